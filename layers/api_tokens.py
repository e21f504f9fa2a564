"""Personal API tokens: how desktop clients (QGIS, GDAL, scripts) sign in without a browser session.

A token is created by its owner on the account page and shown once; the accounts
file keeps only its SHA-256 (a token is 256 random bits, so a fast hash is as good
as a slow one and costs nothing per request), its name, when it was created and
when it was last used. It acts with its owner's role as the role is *now* (a role
change applies at once); revoking it deletes the row, so the next request with it
is refused. A new password (set by the owner or an administrator) and disabling
the account revoke every token of the account, in the same transaction
(:meth:`layers.accounts.AccountStore.change`).

"Last used" is written at most once per ``touch_s`` seconds per token, so a QGIS
session fetching hundreds of tiles does not write the accounts file for each.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from layers.accounts import Account, AccountError, AccountStore, account_from_row, token_hash

#: What every token starts with: a reader (and a secret scanner) can tell a ParkAtlas token at a glance.
TOKEN_PREFIX = "pat_"
NAME_MAX = 64


@dataclass(frozen=True)
class ApiToken:
    """One token as listed (never the token itself: only its hash is kept)."""

    id: int
    username: str
    name: str
    created_at: str
    last_used_at: float | None


def is_token(secret: str) -> bool:
    """Whether ``secret`` has the shape of a ParkAtlas token (a password never is told apart by more)."""
    return secret.startswith(TOKEN_PREFIX) and len(secret) > len(TOKEN_PREFIX) + 20


def check_name(name: str) -> str:
    """The token's name stripped, or :class:`AccountError` saying what is allowed."""
    text = (name or "").strip()
    if not 1 <= len(text) <= NAME_MAX or any(not char.isprintable() for char in text):
        raise AccountError(f"token name {name!r} is not allowed: 1–{NAME_MAX} printable characters",
                           zh=f"令牌名称 {name!r} 不可用：须为 1–{NAME_MAX} 个可打印字符")
    return text


def create_token(store: AccountStore, username: str, name: str, *, most: int) -> tuple[str, ApiToken]:
    """A new token of ``username`` called ``name``: (the token, shown once; its listing).

    :class:`AccountError` when the name is taken among the account's tokens, or the
    account already holds ``most`` tokens.
    """
    label = check_name(name)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with store.transaction() as conn:
        held = conn.execute("SELECT name FROM api_tokens WHERE username = ?", (username,)).fetchall()
        if any(row["name"] == label for row in held):
            raise AccountError(f"you already have a token called {label!r}", zh=f"已有名为 {label!r} 的令牌")
        if len(held) >= most:
            raise AccountError(f"an account holds at most {most} tokens; revoke one first",
                               zh=f"每个账户最多 {most} 个令牌，请先撤销一个")
        cursor = conn.execute("INSERT INTO api_tokens (token_hash, username, name, created_at) VALUES (?, ?, ?, ?)",
                              (token_hash(secret), username, label, now))
        return secret, ApiToken(cursor.lastrowid, username, label, now, None)


def list_tokens(store: AccountStore, username: str) -> list[ApiToken]:
    """The tokens of ``username``, newest first."""
    if not store.path.exists():
        return []
    rows = store.query("SELECT id, username, name, created_at, last_used_at FROM api_tokens WHERE username = ? "
                       "ORDER BY id DESC", (username,))
    return [ApiToken(**dict(row)) for row in rows]


def revoke_token(store: AccountStore, username: str, token_id: int) -> bool:
    """Delete token ``token_id`` of ``username`` (never another account's); whether there was one."""
    with store.transaction() as conn:
        cursor = conn.execute("DELETE FROM api_tokens WHERE id = ? AND username = ?", (int(token_id), username))
        return cursor.rowcount > 0


def token_account(store: AccountStore, secret: str, *, now: float, touch_s: float) -> Account | None:
    """The enabled account that owns token ``secret`` (``None`` for an unknown or revoked one), noting its use."""
    if not secret or not store.path.exists():
        return None
    rows = store.query(
        "SELECT accounts.*, api_tokens.id AS token_id, api_tokens.last_used_at AS token_used "
        "FROM api_tokens JOIN accounts ON accounts.username = api_tokens.username "
        "WHERE api_tokens.token_hash = ? AND accounts.disabled = 0", (token_hash(secret),))
    if not rows:
        return None
    row = rows[0]
    if row["token_used"] is None or now - float(row["token_used"]) >= touch_s:
        with store.transaction() as conn:
            conn.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (now, row["token_id"]))
    return account_from_row(row)
