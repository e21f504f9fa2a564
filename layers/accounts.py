"""User accounts of a ParkAtlas installation, kept apart from the park's data.

Accounts live in a small SQLite file (``instance/accounts.sqlite`` by default),
not in the park: a park file is copied, exported and handed to consultants,
password hashes must not travel with it. This module only stores and reads
accounts; hashing is the web side's job (``web.auth`` uses werkzeug's scrypt),
so the stored hash is an opaque string here.

Every account has a role (``viewer`` < ``editor`` < ``admin``). User names are
unique regardless of case (``Admin`` cannot join ``admin``) and found regardless
of case at sign-in.

Sessions are kept here too, server-side: a browser's cookie carries a random
token whose SHA-256 is a row of ``sessions``. Signing out deletes the row, so a
copied cookie stops working; changing a role, disabling an account or setting a
password deletes the account's rows in the same transaction.

Personal API tokens (:mod:`layers.api_tokens`) live in the same file; a new
password or disabling the account revokes them with the sessions.

Every write is one read-modify-write transaction (``BEGIN IMMEDIATE``): what a
change is checked against (the name is free, another administrator remains, the
password is still the one verified) cannot change before it is written, whatever
other threads or server processes do meanwhile.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import logging
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from layers._sql import immediate

log = logging.getLogger(__name__)

ROLES = ("viewer", "editor", "admin")
#: Each role's name as pages show it (Chinese, English); the code stays the stored value.
ROLE_NAMES = {"viewer": ("查看者（只读）", "Viewer (read-only)"), "editor": ("编辑者", "Editor"),
              "admin": ("管理员", "Administrator")}
#: Rank of each role: a request needing role R is allowed to anyone whose rank is at least R's.
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    username      TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    session_epoch INTEGER NOT NULL DEFAULT 0,  -- how many times the account's sessions were ended
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,               -- SHA-256 of the cookie's token: the file holds no usable token
    username   TEXT NOT NULL,
    created_at REAL NOT NULL,                  -- Unix time
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_username ON sessions (username);
CREATE TABLE IF NOT EXISTS login_failures (
    id                 INTEGER PRIMARY KEY,
    account            TEXT NOT NULL,          -- the name as typed, case-folded (known or not)
    address            TEXT NOT NULL,
    at                 REAL NOT NULL,          -- Unix time
    counts_for_account INTEGER NOT NULL DEFAULT 1  -- 0 once the account signed in since
);
CREATE INDEX IF NOT EXISTS login_failures_account ON login_failures (account, at);
CREATE INDEX IF NOT EXISTS login_failures_address ON login_failures (address, at);
CREATE INDEX IF NOT EXISTS login_failures_at ON login_failures (at);
CREATE TABLE IF NOT EXISTS api_tokens (        -- personal API tokens (layers.api_tokens)
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,         -- SHA-256 of the token, shown to its owner once
    username     TEXT NOT NULL,
    name         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at REAL,                         -- Unix time, written at most once a minute
    UNIQUE (username, name)
);
"""
#: Case-insensitive uniqueness of user names (NOCASE folds ASCII, all a user name may hold). Made apart from
#: the schema: a file from before the rule may hold "Admin" and "admin", and must still open.
_NOCASE_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS accounts_username_nocase ON accounts (username COLLATE NOCASE)"


class AccountError(ValueError):
    """A request about accounts that cannot be carried out (message names the value and what is allowed).

    ``str(error)`` is English; ``error.zh`` the same in Chinese, for the web pages.
    """

    def __init__(self, message: str, *, zh: str | None = None):
        super().__init__(message)
        self.zh = zh or message


@dataclass(frozen=True)
class Account:
    """One account as stored (``password_hash`` is the web side's opaque hash string)."""

    username: str
    display_name: str
    role: str
    password_hash: str
    disabled: bool
    session_epoch: int
    created_at: str
    updated_at: str

    def has_role(self, role: str) -> bool:
        """Whether this account may act as ``role`` (a higher role includes the lower ones)."""
        return not self.disabled and ROLE_RANK[self.role] >= ROLE_RANK[role]


def check_username(username: str) -> str:
    """``username`` stripped, or :class:`AccountError` saying what is allowed."""
    name = (username or "").strip()
    if not USERNAME_PATTERN.match(name):
        msg = (f"user name {username!r} is not allowed: 2–64 characters of letters, digits and . _ @ - "
               "(no spaces)")
        raise AccountError(msg, zh=f"用户名 {username!r} 不可用：须为 2–64 个字母、数字或 . _ @ -（不含空格）")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        msg = f"role {role!r} is unknown; allowed: {', '.join(ROLES)}"
        raise AccountError(msg, zh=f"未知角色 {role!r}；可选：{'、'.join(ROLES)}")
    return role


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class AccountStore:
    """Accounts and sessions in one SQLite file; safe to share between threads and server processes.

    Parameters
    ----------
    path
        The SQLite file; created (with its folder, readable by the owner only) on first use.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._ready = False

    def __repr__(self) -> str:
        return f"AccountStore({str(self.path)!r})"

    def _connect(self) -> sqlite3.Connection:
        first = not self.path.exists()
        if first:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        if first:
            os.chmod(self.path, 0o600)  # password hashes: owner only
        if not self._ready:
            with self._lock:
                if not self._ready:
                    _create_schema(conn, self.path)
                    self._ready = True
        return conn

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads (no write lock taken), closed when the block ends."""
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        """Rows of one read-only statement."""
        with self.reading() as conn:
            return conn.execute(sql, params).fetchall()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A connection inside ``BEGIN IMMEDIATE`` (the file's write lock, taken before the first read):
        committed when the block ends, rolled back when it raises."""
        with immediate(self._connect()) as conn:
            yield conn

    # -- reading -------------------------------------------------------------------

    def count(self) -> int:
        """Number of accounts (0 when the file does not exist yet)."""
        if not self.path.exists():
            return 0
        return int(self.query("SELECT count(*) FROM accounts")[0][0])

    def get(self, username: str) -> Account | None:
        """The account called ``username`` in any case (``ADMIN`` finds ``admin``), or ``None``."""
        if not self.path.exists():
            return None
        conn = self._connect()
        try:
            row = _find(conn, username)
        finally:
            conn.close()
        return account_from_row(row) if row is not None else None

    def all(self) -> list[Account]:
        """Every account, by user name."""
        if not self.path.exists():
            return []
        return [account_from_row(row) for row in self.query("SELECT * FROM accounts ORDER BY username")]

    # -- writing -------------------------------------------------------------------

    def create(self, username: str, *, password_hash: str, role: str, display_name: str = "",
               actor: str | None = None, actor_role: str | None = None) -> Account:
        """Add an account; :class:`AccountError` when the name is taken (in any case) or not allowed, or
        ``actor`` no longer has ``actor_role`` (see :meth:`change`)."""
        name = check_username(username)
        check_role(role)
        now = _now()
        with self.transaction() as conn:
            _check_actor(conn, actor, actor_role)
            taken = _find(conn, name)
            if taken is not None:
                raise AccountError(f"user name {name!r} is already taken (as {taken['username']!r})",
                                   zh=f"用户名 {name!r} 已被占用（{taken['username']!r}，不区分大小写）")
            conn.execute(
                "INSERT INTO accounts (username, display_name, role, password_hash, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, display_name.strip(), role, password_hash, now, now),
            )
            return account_from_row(_find(conn, name))

    def change(self, username: str, *, role: str | None = None, disabled: bool | None = None,
               password_hash: str | None = None, display_name: str | None = None, actor: str | None = None,
               actor_role: str | None = None, expect_hash: str | None = None,
               keep_session: str | None = None) -> Account:
        """Change an account in one transaction: all of it or, on :class:`AccountError`, nothing.

        Parameters
        ----------
        username
            The account, in any case.
        role, disabled, password_hash, display_name
            What to set (``None``: leave it). A new role, disabling or a new password
            ends the account's sessions at once.
        actor
            Who asks; they may not change their own role or disable themselves.
        actor_role
            The role ``actor`` needs, checked in the transaction: an administrator
            demoted by another one a moment ago can no longer change accounts.
        expect_hash
            The password hash the caller verified: refused if it changed meanwhile.
        keep_session
            A session token to keep when sessions end (a user's own password change).
        """
        with self.transaction() as conn:
            _check_actor(conn, actor, actor_role)
            row = _find(conn, username)
            if row is None:
                raise AccountError(f"no account called {username!r}", zh=f"没有名为 {username!r} 的账户")
            before = account_from_row(row)
            after = _changed(before, role=role, disabled=disabled, password_hash=password_hash,
                             display_name=display_name)
            _check_change(conn, before, after, actor=actor, expect_hash=expect_hash)
            ends_sessions = (after.role, after.disabled, after.password_hash) != (
                before.role, before.disabled, before.password_hash)
            conn.execute(
                "UPDATE accounts SET role = ?, disabled = ?, password_hash = ?, display_name = ?, "
                "session_epoch = session_epoch + ?, updated_at = ? WHERE username = ?",
                (after.role, int(after.disabled), after.password_hash, after.display_name, int(ends_sessions),
                 _now(), before.username),
            )
            if ends_sessions:
                conn.execute("DELETE FROM sessions WHERE username = ? AND token_hash IS NOT ?",
                             (before.username, token_hash(keep_session) if keep_session else None))
            if after.password_hash != before.password_hash or (after.disabled and not before.disabled):
                # A new password or a disabled account: whoever held a token of it must sign in again.
                conn.execute("DELETE FROM api_tokens WHERE username = ?", (before.username,))
            return account_from_row(_find(conn, before.username))

    def set_password(self, username: str, password_hash: str, **options) -> Account:
        """Replace the password hash and end every session of the account (see :meth:`change`)."""
        return self.change(username, password_hash=password_hash, **options)

    def set_role(self, username: str, role: str, **options) -> Account:
        """Change the role; existing sessions end so the new role applies at once."""
        return self.change(username, role=role, **options)

    def set_disabled(self, username: str, disabled: bool, **options) -> Account:
        """Disable (or enable) an account; disabling ends its sessions. Accounts are never deleted."""
        return self.change(username, disabled=disabled, **options)

    def set_display_name(self, username: str, display_name: str) -> Account:
        return self.change(username, display_name=display_name)

    # -- sessions ------------------------------------------------------------------

    def open_session(self, username: str, *, lifetime_s: float, now: float) -> str:
        """A new session of ``username`` until ``now + lifetime_s`` (Unix time): its token, for the cookie."""
        token = secrets.token_urlsafe(32)
        with self.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))  # expired ones, of anyone
            conn.execute("INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES (?, ?, ?, ?)",
                         (token_hash(token), username, now, now + lifetime_s))
        return token

    def session_account(self, token: str, *, now: float) -> Account | None:
        """The enabled account whose session ``token`` is live at ``now``, or ``None``."""
        if not token or not self.path.exists():
            return None
        rows = self.query(
            "SELECT accounts.* FROM sessions JOIN accounts ON accounts.username = sessions.username "
            "WHERE sessions.token_hash = ? AND sessions.expires_at > ? AND accounts.disabled = 0",
            (token_hash(token), now),
        )
        return account_from_row(rows[0]) if rows else None

    def close_session(self, token: str) -> None:
        """End one session (signing out): a copy of its cookie no longer signs anyone in."""
        if token and self.path.exists():
            with self.transaction() as conn:
                conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash(token),))

    def live_sessions(self, username: str, *, now: float) -> int:
        """How many sessions of ``username`` are live at ``now``."""
        if not self.path.exists():
            return 0
        return int(self.query("SELECT count(*) FROM sessions WHERE username = ? AND expires_at > ?",
                               (username, now))[0][0])


def token_hash(token: str) -> str:
    """What the file keeps of a session token: its SHA-256 (a stolen file holds no usable session)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _create_schema(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("PRAGMA journal_mode = WAL")  # sign-ins write while every request reads its session
    conn.executescript(_SCHEMA)
    try:
        conn.execute(_NOCASE_INDEX)
    except sqlite3.IntegrityError:
        # Names that differ only in case, from before the rule: they keep working; new ones are refused
        # by the check in create(), which runs in the same transaction as the insert.
        log.warning("%s holds user names that differ only in case; rename one of each pair", path)


def _find(conn: sqlite3.Connection, username: str) -> sqlite3.Row | None:
    """The row of ``username`` in any case; an exact match first (files from before the rule may hold both)."""
    return conn.execute(
        "SELECT * FROM accounts WHERE username = ? COLLATE NOCASE ORDER BY username = ? DESC LIMIT 1",
        ((username or "").strip(), (username or "").strip()),
    ).fetchone()


def _changed(before: Account, **new) -> Account:
    values = {key: value for key, value in new.items() if value is not None}
    if "role" in values:
        check_role(values["role"])
    if "disabled" in values:
        values["disabled"] = bool(values["disabled"])
    if "display_name" in values:
        values["display_name"] = values["display_name"].strip()
    return dataclasses.replace(before, **values)


def _check_actor(conn: sqlite3.Connection, actor: str | None, role: str | None) -> None:
    """:class:`AccountError` unless ``actor`` is (still) an enabled account with ``role`` (no check without one)."""
    if actor is None or role is None:
        return
    row = _find(conn, actor)
    if row is None or not account_from_row(row).has_role(role):
        raise AccountError(f"your account {actor!r} no longer has the {role!r} role", zh=f"您的账户 {actor!r} 已不再具有“{role}”角色")


def _check_change(conn: sqlite3.Connection, before: Account, after: Account, *, actor: str | None,
                  expect_hash: str | None) -> None:
    """:class:`AccountError` when the change is not allowed, judged on the rows as they are in this transaction."""
    if actor is not None and actor.casefold() == before.username.casefold() and (
            after.role != before.role or (after.disabled and not before.disabled)):
        raise AccountError("you cannot change your own role or disable yourself",
                           zh="不能修改自己的角色或停用自己的账户")
    if expect_hash is not None and before.password_hash != expect_hash:
        raise AccountError("the password was changed meanwhile; sign in again",
                           zh="密码已在此期间被修改，请重新登录")
    was_admin = before.role == "admin" and not before.disabled
    if was_admin and (after.role != "admin" or after.disabled):
        others = conn.execute("SELECT count(*) FROM accounts WHERE role = 'admin' AND disabled = 0 AND username != ?",
                              (before.username,)).fetchone()[0]
        if not others:
            raise AccountError(f"{before.username!r} is the last active administrator; make another one first",
                               zh=f"{before.username!r} 是最后一个有效的管理员，请先设立另一个管理员")


def account_from_row(row: sqlite3.Row) -> Account:
    return Account(
        username=row["username"],
        display_name=row["display_name"],
        role=row["role"],
        password_hash=row["password_hash"],
        disabled=bool(row["disabled"]),
        session_epoch=int(row["session_epoch"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def instance_secret(path: str | os.PathLike) -> str:
    """The installation's session-signing secret kept in ``path``, created once (owner-only) when absent.

    Used only when ``PARKATLAS_SECRET_KEY`` is not set, so sessions survive a
    restart and are shared by the processes of one installation.
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process of the installation created it first
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(os.urandom(32).hex())
    with open(path, encoding="ascii") as handle:
        secret = handle.read().strip()
    if len(secret) < 32:
        msg = f"{path}: the session secret is too short or damaged; delete the file to create a new one"
        raise AccountError(msg)
    return secret
