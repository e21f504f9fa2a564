"""Accounts, sessions, roles and CSRF, enforced in one ``before_request`` hook.

:func:`enforce` runs before every view of every blueprint (it is registered
first): it loads the signed-in user from the session, asks the permission table
(:mod:`web.permissions`) what the endpoint needs, refuses with 401/403 (or sends
a browser to the login page), and checks the CSRF token of every request that
can change data. Views never check permissions themselves, so an endpoint added
later is covered without touching it.

Configuration (environment variable → config key, default):

* ``PARKATLAS_AUTH_REQUIRED`` → ``AUTH_REQUIRED``: ``1``. Test apps
  (``TESTING``) that do not set it run without accounts so the other modules'
  tests stay about their own behaviour; the permission tests set it.
* ``CSRF_ENABLED``: follows ``AUTH_REQUIRED`` unless set.
* ``PARKATLAS_ACCOUNTS`` → ``ACCOUNTS_PATH``: ``instance/accounts.sqlite``.
* ``PARKATLAS_PUBLIC_LAYERS`` → ``PUBLIC_LAYERS``: comma-separated layers an
  anonymous visitor may see read-only at ``/public`` (default none: no public view).
* ``PARKATLAS_PUBLIC_FIELDS`` → ``PUBLIC_FIELDS``: their fields an anonymous visitor
  sees (:mod:`layers.public_fields`; default id, name, land use/kind/grade, status).
* ``PARKATLAS_LOGIN_MAX_FAILURES`` → ``LOGIN_MAX_FAILURES`` (5),
  ``PARKATLAS_LOGIN_ADDRESS_MAX_FAILURES`` → ``LOGIN_ADDRESS_MAX_FAILURES`` (30),
  ``PARKATLAS_LOGIN_WINDOW_S`` → ``LOGIN_WINDOW_S`` (900): see :mod:`layers.login_limit`.
* ``PARKATLAS_BASIC_CACHE_S`` → ``BASIC_CACHE_S`` (300) and ``PARKATLAS_API_TOKENS_MAX`` →
  ``API_TOKENS_MAX`` (20): desktop sign-in, :mod:`web.credentials` and :mod:`layers.api_tokens`.
* ``PARKATLAS_PASSWORD_MIN_LENGTH`` → ``PASSWORD_MIN_LENGTH`` (10) and
  ``PARKATLAS_COMMON_PASSWORDS`` → ``COMMON_PASSWORDS_PATH``: see :mod:`layers.passwords`.
* ``PARKATLAS_HTTPS=1``: session cookies are ``Secure`` (and HSTS is sent).
* ``PARKATLAS_PROXY=1``: trust one reverse proxy's ``X-Forwarded-For/-Proto``.
* ``PARKATLAS_SECRET_KEY``: the session-signing key; when unset, a random key is
  created once in ``instance/secret_key`` (owner-only).
* ``PARKATLAS_SESSION_HOURS`` → ``SESSION_HOURS``: 12. A session ends that long
  after the sign-in, on the server (its row in the accounts file) and in the browser
  (the cookie's lifetime, Flask's ``PERMANENT_SESSION_LIFETIME``).
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
import secrets
import time
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup, escape
from werkzeug.exceptions import Forbidden, Unauthorized
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import generate_password_hash

from layers.accounts import Account, AccountError, AccountStore, instance_secret
from layers.audit import set_actor
from layers.login_limit import Attempt, LoginLimiter, LoginLimits
from layers.passwords import COMMON_PASSWORDS, check_password, common_passwords
from layers.public_fields import parse_public_fields, resolve_public_fields
from web import credentials
from web.credentials import PASSWORD_HASH_METHOD, verify_password
from web.i18n import tr
from web.negotiation import names_html, wants_html
from web.permissions import PUBLIC_INDEX_ENDPOINTS, PUBLIC_LAYER_ENDPOINTS, SAFE_METHODS, policy_for, required_role

bp = Blueprint("auth", __name__)

_EXTENSION = "parkatlas_accounts"
_LIMITER = "parkatlas_login_limiter"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
#: The session cookie's key holding the server-side session token.
SESSION_TOKEN = "sid"


def _flag(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def env_number(name: str, default: float, *, kind: type = int, minimum: float = 1) -> float:
    """The number in environment variable ``name`` (``default`` when unset); :class:`ValueError` naming it,
    the bad value and what is allowed otherwise."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        what = "a whole number" if kind is int else "a number"
        msg = f"{name} must be {what} of at least {minimum}, got {raw!r}"
        raise ValueError(msg)
    return value


def _config_defaults(app: Flask) -> None:
    config = app.config
    if "AUTH_REQUIRED" not in config:
        config["AUTH_REQUIRED"] = False if app.testing else _flag("PARKATLAS_AUTH_REQUIRED", "1")
    config.setdefault("CSRF_ENABLED", config["AUTH_REQUIRED"])
    config.setdefault("ACCOUNTS_PATH", os.environ.get("PARKATLAS_ACCOUNTS")
                      or str(Path(app.instance_path) / "accounts.sqlite"))
    public = os.environ.get("PARKATLAS_PUBLIC_LAYERS", "")
    config.setdefault("PUBLIC_LAYERS", tuple(name.strip() for name in public.split(",") if name.strip()))
    config.setdefault("PUBLIC_FIELDS", os.environ.get("PARKATLAS_PUBLIC_FIELDS", ""))
    fields = config["PUBLIC_FIELDS"]
    # Resolved once at start: a typo in a layer or field name stops the server with a message, not a leak later.
    config["PUBLIC_FIELDS"] = resolve_public_fields(
        config["PUBLIC_LAYERS"], parse_public_fields(fields) if isinstance(fields, str) else fields)
    config.setdefault("LOGIN_MAX_FAILURES", env_number("PARKATLAS_LOGIN_MAX_FAILURES", 5))
    # Well above what one office's staff mistype in a window, well below a guessing run across names.
    config.setdefault("LOGIN_ADDRESS_MAX_FAILURES", env_number("PARKATLAS_LOGIN_ADDRESS_MAX_FAILURES", 30))
    config.setdefault("LOGIN_WINDOW_S", env_number("PARKATLAS_LOGIN_WINDOW_S", 900))
    config.setdefault("PASSWORD_MIN_LENGTH", env_number("PARKATLAS_PASSWORD_MIN_LENGTH", 10))
    # Desktop sign-in (web.credentials): a verified Basic password is remembered this long (scrypt costs ~0.1 s
    # of CPU, a QGIS map asks for hundreds of pages and tiles), for this many credentials at once; each account
    # holds at most API_TOKENS_MAX tokens (what a stolen session could mint is bounded); "last used" is written
    # at most once per API_TOKEN_TOUCH_S (not once per tile).
    config.setdefault("BASIC_CACHE_S", env_number("PARKATLAS_BASIC_CACHE_S", 300.0, kind=float, minimum=0))
    config.setdefault("BASIC_CACHE_ENTRIES", 1000)
    config.setdefault("API_TOKENS_MAX", env_number("PARKATLAS_API_TOKENS_MAX", 20))
    config.setdefault("API_TOKEN_TOUCH_S", 60.0)
    config.setdefault("COMMON_PASSWORDS_PATH", os.environ.get("PARKATLAS_COMMON_PASSWORDS") or str(COMMON_PASSWORDS))
    config.setdefault("HTTPS", _flag("PARKATLAS_HTTPS", "0"))
    config["SESSION_COOKIE_NAME"] = "parkatlas_session"
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_SECURE"] = bool(config["HTTPS"])
    if config["HTTPS"]:
        config["PREFERRED_URL_SCHEME"] = "https"
    # Always set from SESSION_HOURS: Flask's own default (31 days) is already in the config, so a setdefault
    # would never apply.
    config.setdefault("SESSION_HOURS", env_number("PARKATLAS_SESSION_HOURS", 12.0, kind=float, minimum=0.01))
    config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=float(config["SESSION_HOURS"]))
    if not config.get("SECRET_KEY"):
        # Kept in the instance folder rather than drawn per process: sessions survive a restart
        # and are shared by the processes of one server.
        config["SECRET_KEY"] = (secrets.token_hex(32) if app.testing
                                else instance_secret(Path(app.instance_path) / "secret_key"))


# -- passwords and accounts ------------------------------------------------------------------


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` (werkzeug's format, method and salt inside the string)."""
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


def account_message(error: AccountError) -> str:
    """The error in the user's language (English outside a request: the command line)."""
    return tr(error.zh, str(error)) if has_request_context() else str(error)


def check_password_rules(password: str, *, username: str) -> None:
    """:class:`AccountError` unless ``password`` meets the policy (:mod:`layers.passwords`) for ``username``."""
    config = current_app.config
    check_password(password, username=username, min_length=int(config["PASSWORD_MIN_LENGTH"]),
                   common=common_passwords(config["COMMON_PASSWORDS_PATH"]))


def accounts() -> AccountStore:
    """The accounts of the current app."""
    return current_app.extensions[_EXTENSION]


def create_account(store: AccountStore, username: str, password: str, *, role: str,
                   display_name: str = "", **options) -> Account:
    """Check the password and create the account (used by the admin page and ``create-admin``;
    ``options`` as :meth:`AccountStore.create`)."""
    check_password_rules(password, username=username)
    return store.create(username, password_hash=hash_password(password), role=role, display_name=display_name,
                        **options)


def set_password(username: str, password: str, **options) -> Account:
    """Check ``password`` against the policy for ``username`` and set it (:meth:`AccountStore.change` options)."""
    check_password_rules(password, username=username)
    return accounts().set_password(username, hash_password(password), **options)


def current_user() -> Account | None:
    """The signed-in account of this request, or ``None``."""
    return g.get("user")


def public_visitor() -> bool:
    """Whether this request comes from an anonymous visitor of a deployment with accounts (sees public fields)."""
    return bool(current_app.config["AUTH_REQUIRED"]) and g.get("user") is None


# -- login rate limiting ---------------------------------------------------------------------


def _limiter() -> LoginLimiter:
    return current_app.extensions[_LIMITER]


def _reserve_attempt(username: str) -> Attempt:
    """Reserve a password check for ``username`` from this client; 429 with ``Retry-After`` when locked."""
    return credentials.reserve_attempt(_limiter(), username)


# -- CSRF ----------------------------------------------------------------------------------


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_field() -> Markup:
    """A hidden form field carrying the CSRF token (templates: ``{{ csrf_field() }}``)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(csrf_token()))


def _check_csrf() -> None:
    expected = session.get("csrf")
    sent = request.headers.get(CSRF_HEADER) or (request.form.get(CSRF_FIELD) if request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data") else None)
    if not expected or not sent or not hmac.compare_digest(str(expected), str(sent)):
        from web.errors import BadRequest

        raise BadRequest(tr("请求缺少有效的 CSRF 令牌（页面可能已过期，请刷新后重试）",
                            "the request has no valid CSRF token (the page may have expired: reload it and retry)"))


# -- the hook ------------------------------------------------------------------------------


def _load_user() -> Account | None:
    """The account of this request: by its ``Authorization`` header when it has one (desktop clients,
    :mod:`web.credentials`), else by its server-side session (none once signed out, ended or expired)."""
    by_header = credentials.header_account(accounts(), _limiter())
    if by_header is not None:
        return by_header
    token = session.get(SESSION_TOKEN)
    if not token:
        return None
    account = accounts().session_account(token, now=time.time())
    if account is None:
        session.pop(SESSION_TOKEN, None)
    return account


def _wants_page() -> bool:
    """A browser asking for a page (redirect to the login) rather than an API client (401 with a challenge).

    A page is what names HTML in ``Accept`` (``*/*`` alone is a client such as GDAL or
    curl); under ``/api`` only an HTML rendition of the OGC API (``?f=html``, or a
    browser's ``Accept``); tiles never.
    """
    if request.path.startswith("/tiles/") or request.method not in SAFE_METHODS:
        return False
    if request.path == "/api" or request.path.startswith("/api/"):
        return wants_html()
    return names_html()


def _public_request() -> bool:
    """A read of public layers only (``layer``, or ``layers`` comma-separated as in tile URLs), or of the API's
    index (landing page, conformance, OpenAPI, collections) when some layer is public: it lists those only."""
    public = set(current_app.config["PUBLIC_LAYERS"])
    if request.method not in SAFE_METHODS or not public:
        return False
    if request.endpoint in PUBLIC_INDEX_ENDPOINTS:
        return True
    args = request.view_args or {}
    named = args.get("layer") or args.get("layers")
    if request.endpoint not in PUBLIC_LAYER_ENDPOINTS or not named:
        return False
    return all(name.strip() in public for name in str(named).split(","))


def _check_signed_in_by_header(policy: str | None) -> None:
    """403 for what a desktop client's header may not do: manage accounts or tokens (``self`` and ``admin``
    endpoints need the browser's sign-in), or write with Basic credentials (browsers replay them)."""
    by = g.get("signed_in_by")
    if by is None:
        return
    if policy in ("self", "admin"):
        raise Forbidden(tr("账户与令牌只能在浏览器中登录后管理", "accounts and tokens are managed in the browser, "
                           "signed in through the login page"))
    if by == "basic" and request.method not in SAFE_METHODS:
        raise Forbidden(tr("HTTP Basic 登录只能读取（浏览器会自动重发它）；写入请用 API 令牌（Authorization: Bearer）",
                           "HTTP Basic sign-in may only read (browsers replay it by themselves); write with an API "
                           "token (Authorization: Bearer)"))


def enforce():
    """Identify the user, then allow or refuse the request by the permission table; check CSRF."""
    config = current_app.config
    g.user = _load_user() if config["AUTH_REQUIRED"] else None
    set_actor(g.user.username if g.user else ("anonymous" if config["AUTH_REQUIRED"] else "local"))
    if request.endpoint is None:
        return None  # no route matched: the 404/405 handlers answer
    if config["AUTH_REQUIRED"]:
        covered, role = required_role(request.endpoint, request.method)
        if not covered:
            raise Forbidden(tr(f"端点 {request.endpoint} 没有权限规则，已拒绝",
                               f"endpoint {request.endpoint} has no permission rule and is refused"))
        _check_signed_in_by_header(policy_for(request.endpoint))
        if role is not None and not (g.user is None and _public_request()):
            if g.user is None:
                if _wants_page():
                    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
                raise Unauthorized(tr("请先登录（桌面客户端：HTTP Basic 或 API 令牌）",
                                      "sign in first (desktop clients: HTTP Basic or an API token)"))
            if not g.user.has_role(role):
                raise Forbidden(tr(f"需要“{role}”角色", f"this needs the {role!r} role"))
    # A token is sent by its client alone, never replayed by a browser: no CSRF token to check.
    if config["CSRF_ENABLED"] and request.method not in SAFE_METHODS and g.get("signed_in_by") != "bearer":
        _check_csrf()
    return None


# -- redirects -----------------------------------------------------------------------------


def local_target(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else ``None``: the one check of every ``next=`` redirect.

    Refused: anything not starting with one ``/`` (``//host`` and ``/\\host`` are other
    sites to a browser, ``https:``, ``javascript:`` are schemes), backslashes anywhere,
    and control characters (browsers drop tabs and newlines, turning ``/\\t/host`` into ``//host``).
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def redirect_back(target: str | None, fallback: str):
    """A 303 to ``target`` when it stays on this site (:func:`local_target`), else to ``fallback``."""
    return redirect(local_target(target) or fallback, code=303)


# -- views ---------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with user name and password; failures are rate-limited per account and address."""
    next_url = local_target(request.values.get("next"))
    no_accounts = accounts().count() == 0
    if request.method == "GET":
        return render_template("auth/login.html", next=next_url, no_accounts=no_accounts, username="")
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    attempt = _reserve_attempt(username)
    account = accounts().get(username) if username else None
    valid = verify_password(account.password_hash if account else None, password)
    if account is None or not valid or account.disabled:
        flash(tr("用户名或密码错误，或账户已停用", "wrong user name or password, or the account is disabled"), "error")
        return render_template("auth/login.html", next=next_url, no_accounts=no_accounts, username=username)
    _limiter().succeeded(attempt)
    session.clear()  # a fresh session: nothing carried over from before the sign-in
    session.permanent = True
    session[SESSION_TOKEN] = accounts().open_session(
        account.username, lifetime_s=float(current_app.config["SESSION_HOURS"]) * 3600, now=time.time())
    session["csrf"] = secrets.token_urlsafe(32)
    current_app.logger.info("sign-in: %s (%s) from %s", account.username, account.role, request.remote_addr)
    return redirect_back(next_url, url_for("pages.overview"))


@bp.post("/logout")
def logout():
    """Sign out: the session ends on the server too, so a copy of the cookie no longer works."""
    accounts().close_session(session.get(SESSION_TOKEN, ""))
    session.clear()
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account", methods=["GET", "POST"])
def account():
    """The signed-in user's own account: change the password (ends every other session)."""
    user = current_user()
    if request.method == "POST" and user is not None:
        new = request.form.get("new_password") or ""
        attempt = _reserve_attempt(user.username)  # guessing the current password is limited like a sign-in
        if not verify_password(user.password_hash, request.form.get("current_password") or ""):
            flash(tr("当前密码不正确", "the current password is wrong"), "error")
            return render_template("auth/account.html", user=user)
        _limiter().succeeded(attempt)
        if new != (request.form.get("confirm_password") or ""):
            flash(tr("两次输入的新密码不一致", "the two new passwords differ"), "error")
            return render_template("auth/account.html", user=user)
        try:
            set_password(user.username, new, expect_hash=user.password_hash, keep_session=session[SESSION_TOKEN])
        except AccountError as exc:
            flash(account_message(exc), "error")
        else:
            flash(tr("密码已修改", "password changed"), "ok")
            return redirect(url_for("auth.account"), code=303)
    return render_template("auth/account.html", user=user)


def init_app(app: Flask) -> None:
    """Configure sessions, accounts and the enforcement hook (call before other blueprints add hooks)."""
    _config_defaults(app)
    if _flag("PARKATLAS_PROXY", "0") or app.config.get("TRUST_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    store = AccountStore(app.config["ACCOUNTS_PATH"])
    app.extensions[_EXTENSION] = store
    config = app.config
    app.extensions[_LIMITER] = LoginLimiter(store, LoginLimits(
        max_failures=int(config["LOGIN_MAX_FAILURES"]), address_max_failures=int(config["LOGIN_ADDRESS_MAX_FAILURES"]),
        window_s=float(config["LOGIN_WINDOW_S"])))
    credentials.init_app(app)
    app.before_request(enforce)

    @app.context_processor
    def inject_auth():
        return {"current_user": g.get("user"), "csrf_token": csrf_token, "csrf_field": csrf_field,
                "auth_required": current_app.config["AUTH_REQUIRED"]}

    app.register_blueprint(bp)
