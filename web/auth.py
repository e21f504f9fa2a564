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
* ``PARKATLAS_LOGIN_MAX_FAILURES`` / ``PARKATLAS_LOGIN_WINDOW_S``: 5 failures per
  account and per address within 900 s lock the login for the rest of the window.
* ``PARKATLAS_HTTPS=1``: session cookies are ``Secure`` (and HSTS is sent).
* ``PARKATLAS_PROXY=1``: trust one reverse proxy's ``X-Forwarded-For/-Proto``.
* ``PARKATLAS_SECRET_KEY``: the session-signing key; when unset, a random key is
  created once in ``instance/secret_key`` (owner-only).
* ``PARKATLAS_SESSION_HOURS``: session lifetime, 12.
"""

from __future__ import annotations

import collections
import datetime as dt
import hmac
import os
import secrets
import threading
import time
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
from werkzeug.exceptions import Forbidden, TooManyRequests, Unauthorized
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import check_password_hash, generate_password_hash

from layers.accounts import Account, AccountError, AccountStore, instance_secret
from layers.audit import set_actor
from web.i18n import tr
from web.permissions import PUBLIC_LAYER_ENDPOINTS, SAFE_METHODS, required_role

bp = Blueprint("auth", __name__)

_EXTENSION = "parkatlas_accounts"
_LIMITER = "parkatlas_login_limiter"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
PASSWORD_HASH_METHOD = "scrypt"
#: A hash to check against when the user name is unknown, so both answers take as long.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16), method=PASSWORD_HASH_METHOD)


def _flag(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def _config_defaults(app: Flask) -> None:
    config = app.config
    if "AUTH_REQUIRED" not in config:
        config["AUTH_REQUIRED"] = False if app.testing else _flag("PARKATLAS_AUTH_REQUIRED", "1")
    config.setdefault("CSRF_ENABLED", config["AUTH_REQUIRED"])
    config.setdefault("ACCOUNTS_PATH", os.environ.get("PARKATLAS_ACCOUNTS")
                      or str(Path(app.instance_path) / "accounts.sqlite"))
    public = os.environ.get("PARKATLAS_PUBLIC_LAYERS", "")
    config.setdefault("PUBLIC_LAYERS", tuple(name.strip() for name in public.split(",") if name.strip()))
    config.setdefault("LOGIN_MAX_FAILURES", int(os.environ.get("PARKATLAS_LOGIN_MAX_FAILURES", "5")))
    config.setdefault("LOGIN_WINDOW_S", int(os.environ.get("PARKATLAS_LOGIN_WINDOW_S", "900")))
    config.setdefault("PASSWORD_MIN_LENGTH", 10)
    config.setdefault("HTTPS", _flag("PARKATLAS_HTTPS", "0"))
    config["SESSION_COOKIE_NAME"] = "parkatlas_session"
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_SECURE"] = bool(config["HTTPS"])
    if config["HTTPS"]:
        config["PREFERRED_URL_SCHEME"] = "https"
    config.setdefault("PERMANENT_SESSION_LIFETIME",
                      dt.timedelta(hours=float(os.environ.get("PARKATLAS_SESSION_HOURS", "12"))))
    if not config.get("SECRET_KEY"):
        # Kept in the instance folder rather than drawn per process: sessions survive a restart
        # and are shared by the processes of one server.
        config["SECRET_KEY"] = (secrets.token_hex(32) if app.testing
                                else instance_secret(Path(app.instance_path) / "secret_key"))


# -- passwords and accounts ------------------------------------------------------------------


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` (werkzeug's format, method and salt inside the string)."""
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


def check_password_rules(password: str, *, min_length: int) -> None:
    """:class:`AccountError` unless ``password`` is long enough (length beats composition rules)."""
    if len(password or "") < min_length:
        english = f"the password needs at least {min_length} characters"
        msg = tr(f"密码至少需要 {min_length} 个字符", english) if has_request_context() else english
        raise AccountError(msg)


def accounts() -> AccountStore:
    """The accounts of the current app."""
    return current_app.extensions[_EXTENSION]


def create_account(store: AccountStore, username: str, password: str, *, role: str, min_length: int,
                   display_name: str = "") -> Account:
    """Check the password and create the account (used by the admin page and ``create-admin``)."""
    check_password_rules(password, min_length=min_length)
    return store.create(username, password_hash=hash_password(password), role=role, display_name=display_name)


def current_user() -> Account | None:
    """The signed-in account of this request, or ``None``."""
    return g.get("user")


# -- login rate limiting ---------------------------------------------------------------------


class LoginLimiter:
    """Failed logins per key (an account or an address) in a sliding window, in this process.

    After ``max_failures`` failures within ``window_s`` seconds the key is refused
    until the oldest failure leaves the window. A success clears the account's
    failures (not the address's, so guessing across accounts stays limited).
    """

    def __init__(self, *, max_failures: int, window_s: float, clock=time.monotonic):
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> collections.deque:
        failures = self._failures[key]
        while failures and now - failures[0] >= self.window_s:
            failures.popleft()
        return failures

    def retry_after(self, *keys: str) -> float:
        """Seconds until every key may try again (0 when none is locked)."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                failures = self._trim(key, now)
                if len(failures) >= self.max_failures:
                    wait = max(wait, self.window_s - (now - failures[0]))
        return wait

    #: Keys kept before stale ones are dropped: guesses at many user names must not grow memory without end.
    MAX_KEYS = 10_000

    def failed(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) >= self.MAX_KEYS:
                stale = [key for key, times in self._failures.items() if not times or now - times[-1] >= self.window_s]
                for key in stale:
                    del self._failures[key]
            for key in keys:
                self._trim(key, now).append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


def _limiter() -> LoginLimiter:
    return current_app.extensions[_LIMITER]


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
    name = session.get("user")
    if not name:
        return None
    account = accounts().get(name)
    if account is None or account.disabled or account.session_epoch != session.get("epoch"):
        session.pop("user", None)
        session.pop("epoch", None)
        return None
    return account


def _wants_page() -> bool:
    """A browser asking for a page (redirect to the login) rather than an API client (401)."""
    if request.path.startswith(("/api/", "/tiles/")) or request.method not in SAFE_METHODS:
        return False
    return request.accept_mimetypes.accept_html


def _public_request() -> bool:
    """A read of public layers only (``layer``, or ``layers`` comma-separated as in tile URLs)."""
    args = request.view_args or {}
    named = args.get("layer") or args.get("layers")
    if request.endpoint not in PUBLIC_LAYER_ENDPOINTS or request.method not in SAFE_METHODS or not named:
        return False
    public = set(current_app.config["PUBLIC_LAYERS"])
    return all(name.strip() in public for name in str(named).split(","))


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
        if role is not None and not (g.user is None and _public_request()):
            if g.user is None:
                if _wants_page():
                    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
                raise Unauthorized(tr("请先登录", "sign in first"))
            if not g.user.has_role(role):
                raise Forbidden(tr(f"需要“{role}”角色", f"this needs the {role!r} role"))
    if config["CSRF_ENABLED"] and request.method not in SAFE_METHODS:
        _check_csrf()
    return None


# -- views ---------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//host`` or a scheme): no open redirect after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("pages.overview")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with user name and password; failures are rate-limited per account and address."""
    next_url = request.values.get("next")
    no_accounts = accounts().count() == 0
    if request.method == "GET":
        return render_template("auth/login.html", next=next_url, no_accounts=no_accounts, username="")
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    keys = (f"user:{username.casefold()}", f"addr:{request.remote_addr}")
    wait = _limiter().retry_after(*keys)
    if wait > 0:
        g.retry_after_s = int(wait) + 1
        raise TooManyRequests(tr(f"登录失败次数过多，请 {g.retry_after_s} 秒后再试",
                                 f"too many failed sign-ins; try again in {g.retry_after_s} s"))
    account = accounts().get(username) if username else None
    valid = check_password_hash(account.password_hash if account else _DUMMY_HASH, password)
    if account is None or not valid or account.disabled:
        _limiter().failed(*keys)
        flash(tr("用户名或密码错误，或账户已停用", "wrong user name or password, or the account is disabled"), "error")
        return render_template("auth/login.html", next=next_url, no_accounts=no_accounts, username=username)
    _limiter().succeeded(keys[0])
    session.clear()  # a fresh session: nothing carried over from before the sign-in
    session.permanent = True
    session["user"] = account.username
    session["epoch"] = account.session_epoch
    session["csrf"] = secrets.token_urlsafe(32)
    current_app.logger.info("sign-in: %s (%s) from %s", account.username, account.role, request.remote_addr)
    return redirect(_safe_next(next_url), code=303)


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account", methods=["GET", "POST"])
def account():
    """The signed-in user's own account: change the password (ends every other session)."""
    user = current_user()
    if request.method == "POST" and user is not None:
        current = request.form.get("current_password") or ""
        new = request.form.get("new_password") or ""
        if not check_password_hash(user.password_hash, current):
            flash(tr("当前密码不正确", "the current password is wrong"), "error")
        elif new != (request.form.get("confirm_password") or ""):
            flash(tr("两次输入的新密码不一致", "the two new passwords differ"), "error")
        else:
            try:
                check_password_rules(new, min_length=current_app.config["PASSWORD_MIN_LENGTH"])
            except AccountError as exc:
                flash(str(exc), "error")
            else:
                updated = accounts().set_password(user.username, hash_password(new))
                session["epoch"] = updated.session_epoch
                flash(tr("密码已修改", "password changed"), "ok")
                return redirect(url_for("auth.account"), code=303)
    return render_template("auth/account.html", user=user)


def init_app(app: Flask) -> None:
    """Configure sessions, accounts and the enforcement hook (call before other blueprints add hooks)."""
    _config_defaults(app)
    if _flag("PARKATLAS_PROXY", "0") or app.config.get("TRUST_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    app.extensions[_EXTENSION] = AccountStore(app.config["ACCOUNTS_PATH"])
    app.extensions[_LIMITER] = LoginLimiter(max_failures=app.config["LOGIN_MAX_FAILURES"],
                                            window_s=app.config["LOGIN_WINDOW_S"])
    app.before_request(enforce)

    @app.context_processor
    def inject_auth():
        return {"current_user": g.get("user"), "csrf_token": csrf_token, "csrf_field": csrf_field,
                "auth_required": current_app.config["AUTH_REQUIRED"]}

    app.register_blueprint(bp)
