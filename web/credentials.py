"""Desktop sign-in: HTTP Basic over the same accounts, and personal API tokens (``Authorization: Bearer``).

QGIS (an authentication configuration), GDAL (``USERPWD``, ``GDAL_HTTP_AUTH``),
OWSLib (``auth=``) and scripts cannot fill in the login form; they send an
``Authorization`` header with every request. :func:`header_account` reads it for
the permission hook (:func:`web.auth.enforce`), so a request signed in this way
has the account's role, as it is now, on every endpoint the role may call.

* **Basic** ``user:password`` is checked like the login form: the attempt is
  reserved with the login limiter first (:mod:`layers.login_limit`), so wrong
  passwords count and lock exactly as failed sign-ins do, and a lock refuses the
  right password too (429 with ``Retry-After``). A verified password is then
  remembered in memory, as a keyed digest, for ``BASIC_CACHE_S`` seconds: scrypt
  would otherwise cost every tile and page of features ~0.1 s of CPU (105 ms measured). The account
  row is still read on every request, so disabling it, changing its password or
  its role applies at once. Concurrent first requests with the same credentials
  wait for one check (a QGIS project opens many connections at once), so they
  never count as several attempts in flight.
* **Bearer** ``pat_…`` is a personal token (:mod:`layers.api_tokens`), looked up
  on every request (revoking it ends it at once). An unknown token counts as a
  failure of the name ``api-token@<address>``, locked at the address threshold
  (``LOGIN_ADDRESS_MAX_FAILURES``): one address sending wrong tokens is stopped.
  A token is also accepted as the password of Basic (with its owner's name), for
  clients that only speak Basic (QGIS 3.22's authentication configurations).

Basic is read-only: browsers replay Basic credentials by themselves, so a write
sent with them could be forged by another site; a token, which no browser sends
on its own, may write (without a CSRF token) what its role allows. Neither may
manage accounts or tokens: that needs the browser's sign-in.

A ``401`` to a client that is not a script of the app's own pages carries
``WWW-Authenticate: Basic realm="ParkAtlas"``, which is what makes GDAL, QGIS and
``requests`` send the credentials they were given. Scripts in a browser page
(``Sec-Fetch-Mode`` other than ``navigate``) get the 401 without it, so the browser
does not pop its own password dialog over the page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, current_app, g, request
from werkzeug.exceptions import TooManyRequests, Unauthorized
from werkzeug.security import check_password_hash, generate_password_hash

from layers.accounts import Account, AccountStore
from layers.api_tokens import is_token, token_account
from layers.login_limit import Attempt, LoginLimiter
from web.i18n import tr

REALM = "ParkAtlas"
CHALLENGE = f'Basic realm="{REALM}"'
PASSWORD_HASH_METHOD = "scrypt"
#: A hash to check against when the user name is unknown, so both answers take as long.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16), method=PASSWORD_HASH_METHOD)
_EXTENSION = "parkatlas_basic_cache"
#: Locks that make concurrent first requests with the same credentials wait for one check (striped: bounded).
_STRIPES = [threading.Lock() for _ in range(64)]


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches the hash (a dummy hash for an unknown account: both take as long)."""
    return check_password_hash(password_hash or _DUMMY_HASH, password)


def reserve_attempt(limiter: LoginLimiter, username: str, *, most: int | None = None) -> Attempt:
    """Reserve a password check for ``username`` from this client; 429 with ``Retry-After`` when locked."""
    attempt = limiter.reserve(username, request.remote_addr or "", most=most)
    if attempt.refused:
        too_many(attempt.retry_after_s)
    return attempt


def too_many(wait_s: float):
    """429 with ``Retry-After`` (whole seconds, rounded up)."""
    g.retry_after_s = int(wait_s) + 1
    raise TooManyRequests(tr(f"登录失败次数过多，请 {g.retry_after_s} 秒后再试",
                             f"too many failed sign-ins; try again in {g.retry_after_s} s"))


def unauthorized(zh: str, en: str) -> Unauthorized:
    """A 401 naming what is wrong (the challenge is added on the way out, :func:`add_challenge`)."""
    return Unauthorized(tr(zh, en))


@dataclass(frozen=True)
class _Verified:
    username: str
    password_hash: str
    until: float


class VerifiedPasswords:
    """Basic credentials whose password was verified lately, by a keyed digest (never the password itself).

    Parameters
    ----------
    key
        The app's secret key: digests differ between installations and cannot be looked up.
    keep_s
        How long a verification is remembered.
    most
        How many are remembered (least recently used first out).
    """

    def __init__(self, key: str, *, keep_s: float, most: int):
        self._key = key.encode()
        self.keep_s, self.most = keep_s, most
        self._entries: OrderedDict[str, _Verified] = OrderedDict()
        self._lock = threading.Lock()

    def digest(self, username: str, password: str) -> str:
        return hmac.new(self._key, f"{username.casefold()}\0{password}".encode(), hashlib.sha256).hexdigest()

    def get(self, digest: str, *, now: float) -> _Verified | None:
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None or entry.until <= now:
                self._entries.pop(digest, None)
                return None
            self._entries.move_to_end(digest)
            return entry

    def put(self, digest: str, account: Account, *, now: float) -> None:
        with self._lock:
            self._entries[digest] = _Verified(account.username, account.password_hash, now + self.keep_s)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.most:
                self._entries.popitem(last=False)


def _remembered() -> VerifiedPasswords:
    return current_app.extensions[_EXTENSION]


def decode_basic(value: str) -> tuple[str, str]:
    """``user:password`` of a Basic header value (UTF-8, else Latin-1); 401 when it is not one."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise unauthorized("Basic 凭据不是有效的 base64", "the Basic credentials are not valid base64") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    username, sep, password = text.partition(":")
    if not sep or not username:
        raise unauthorized("Basic 凭据须为“用户名:密码”", "the Basic credentials must be user:password")
    return username, password


def bearer_account(store: AccountStore, limiter: LoginLimiter, secret: str) -> Account:
    """The account owning API token ``secret``; 401 for an unknown or revoked token (counted per address)."""
    address = request.remote_addr or ""
    name = f"api-token@{address}"
    # A token cannot be guessed; the count stops one address flooding the accounts file with failed look-ups,
    # at the address threshold, so a revoked token left in one office QGIS does not soon lock its colleagues out.
    most = limiter.limits.address_max_failures
    wait = limiter.locked(name, address, most=most)
    if wait:
        too_many(wait)
    config = current_app.config
    account = token_account(store, secret.strip(), now=time.time(), touch_s=float(config["API_TOKEN_TOUCH_S"]))
    if account is None:
        reserve_attempt(limiter, name, most=most)  # recorded as a failure of this address's token name
        raise unauthorized("API 令牌无效或已被撤销", "the API token is unknown or revoked")
    return account


def basic_account(store: AccountStore, limiter: LoginLimiter, username: str, password: str) -> Account:
    """The account signed in by Basic ``username``/``password`` (or its API token as the password)."""
    if is_token(password):
        account = bearer_account(store, limiter, password)
        if account.username.casefold() != username.strip().casefold():
            raise unauthorized("API 令牌不属于该用户", "the API token belongs to another user")
        return account
    address = request.remote_addr or ""
    wait = limiter.locked(username, address)
    if wait:
        too_many(wait)
    remembered = _remembered()
    digest = remembered.digest(username.strip(), password)
    with _STRIPES[int(digest[:8], 16) % len(_STRIPES)]:
        known = remembered.get(digest, now=time.time())
        if known is not None:
            account = store.get(known.username)
            if account is not None and not account.disabled and account.password_hash == known.password_hash:
                return account
        attempt = reserve_attempt(limiter, username)
        account = store.get(username.strip())
        if account is None or not verify_password(account.password_hash, password) or account.disabled:
            raise unauthorized("用户名或密码错误，或账户已停用",
                               "wrong user name or password, or the account is disabled")
        limiter.succeeded(attempt)
        remembered.put(digest, account, now=time.time())
    current_app.logger.info("sign-in over HTTP Basic: %s (%s) from %s", account.username, account.role, address)
    return account


def header_account(store: AccountStore, limiter: LoginLimiter) -> Account | None:
    """The account the ``Authorization`` header signs in (``None`` without one); 401 or 429 when it fails.

    Sets ``g.signed_in_by`` to ``"basic"`` or ``"bearer"``.
    """
    header = request.headers.get("Authorization", "").strip()
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer" and value.strip():
        g.signed_in_by = "bearer"
        return bearer_account(store, limiter, value)
    if scheme == "basic":
        g.signed_in_by = "basic"
        return basic_account(store, limiter, *decode_basic(value))
    raise unauthorized("只接受 Basic（用户名与密码或 API 令牌）或 Bearer（API 令牌）凭据",
                       "only Basic (user name and password, or an API token) or Bearer (an API token) "
                       "credentials are accepted")


def wants_challenge() -> bool:
    """Whether a 401 should carry the Basic challenge: not for a script of a browser page (see the module)."""
    mode = request.headers.get("Sec-Fetch-Mode")
    return mode is None or mode == "navigate"


def init_app(app: Flask) -> None:
    """Remember verified Basic passwords, and challenge desktop clients on every 401."""
    config = app.config
    app.extensions[_EXTENSION] = VerifiedPasswords(str(config["SECRET_KEY"]), keep_s=float(config["BASIC_CACHE_S"]),
                                                   most=int(config["BASIC_CACHE_ENTRIES"]))

    @app.after_request
    def add_challenge(response):
        if response.status_code == 401 and wants_challenge():
            response.headers["WWW-Authenticate"] = CHALLENGE
        return response
