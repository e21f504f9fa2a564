"""User accounts of a ParkAtlas installation, kept apart from the park's data.

Accounts live in a small SQLite file (``instance/accounts.sqlite`` by default),
not in the park: a park file is copied, exported and handed to consultants,
password hashes must not travel with it. This module only stores and reads
accounts; hashing is the web side's job (``web.auth`` uses werkzeug's scrypt),
so the stored hash is an opaque string here.

Every account has a role (``viewer`` < ``editor`` < ``admin``) and a session
epoch: raising the epoch (password change, disabling, "sign out everywhere")
invalidates every session issued before.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

ROLES = ("viewer", "editor", "admin")
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
    session_epoch INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
"""


class AccountError(ValueError):
    """A request about accounts that cannot be carried out (message names the value and what is allowed)."""


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
        raise AccountError(msg)
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        msg = f"role {role!r} is unknown; allowed: {', '.join(ROLES)}"
        raise AccountError(msg)
    return role


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class AccountStore:
    """Accounts in one SQLite file; safe to share between the threads of a server.

    Parameters
    ----------
    path
        The SQLite file; created (with its folder, readable by the owner only) on first write.
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
                conn.executescript(_SCHEMA)
                self._ready = True
        return conn

    def _query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        conn = self._connect()
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def _write(self, sql: str, params: tuple) -> int:
        conn = self._connect()
        try:
            with conn:  # BEGIN … COMMIT, rolled back on error
                conn.execute("BEGIN IMMEDIATE")
                cursor = conn.execute(sql, params)
                return cursor.rowcount
        finally:
            conn.close()

    # -- reading -------------------------------------------------------------------

    def count(self) -> int:
        """Number of accounts (0 when the file does not exist yet)."""
        if not self.path.exists():
            return 0
        return int(self._query("SELECT count(*) FROM accounts")[0][0])

    def get(self, username: str) -> Account | None:
        """The account called ``username`` (exact match), or ``None``."""
        if not self.path.exists():
            return None
        rows = self._query("SELECT * FROM accounts WHERE username = ?", (username,))
        return _account(rows[0]) if rows else None

    def all(self) -> list[Account]:
        """Every account, by user name."""
        if not self.path.exists():
            return []
        return [_account(row) for row in self._query("SELECT * FROM accounts ORDER BY username")]

    # -- writing -------------------------------------------------------------------

    def create(self, username: str, *, password_hash: str, role: str, display_name: str = "") -> Account:
        """Add an account; :class:`AccountError` when the name is taken or not allowed."""
        name = check_username(username)
        check_role(role)
        now = _now()
        try:
            self._write(
                "INSERT INTO accounts (username, display_name, role, password_hash, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, display_name.strip(), role, password_hash, now, now),
            )
        except sqlite3.IntegrityError:
            msg = f"user name {name!r} is already taken"
            raise AccountError(msg) from None
        return self.get(name)

    def _update(self, username: str, assignments: str, params: tuple) -> Account:
        changed = self._write(
            f"UPDATE accounts SET {assignments}, updated_at = ? WHERE username = ?",  # noqa: S608 (fixed text)
            (*params, _now(), username),
        )
        if not changed:
            msg = f"no account called {username!r}"
            raise AccountError(msg)
        return self.get(username)

    def set_password(self, username: str, password_hash: str) -> Account:
        """Replace the password hash and end every existing session of the account."""
        return self._update(username, "password_hash = ?, session_epoch = session_epoch + 1", (password_hash,))

    def set_role(self, username: str, role: str) -> Account:
        """Change the role; existing sessions end so the new role applies at once."""
        check_role(role)
        return self._update(username, "role = ?, session_epoch = session_epoch + 1", (role,))

    def set_disabled(self, username: str, disabled: bool) -> Account:
        """Disable (or enable) an account; disabling ends its sessions. Accounts are never deleted."""
        return self._update(username, "disabled = ?, session_epoch = session_epoch + 1", (int(bool(disabled)),))

    def set_display_name(self, username: str, display_name: str) -> Account:
        return self._update(username, "display_name = ?", (display_name.strip(),))


def _account(row: sqlite3.Row) -> Account:
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
