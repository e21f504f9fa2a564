"""Failed sign-ins counted in the accounts file, so every thread and server process sees the same count.

A sign-in first *reserves* its attempt: in one ``BEGIN IMMEDIATE`` transaction the
limiter counts the failures in the window and, unless a lock applies, records the
attempt as a failure. Only then is the password hash checked; a correct password
takes the record back. Twenty concurrent wrong passwords therefore reach the hash
check at most ``max_failures`` times: the others find the limit reached (attempts
in flight count) and are refused without a check.

Two locks, both for the rest of the window:

* **account** — ``max_failures`` failures for one name (from any address) lock
  that name everywhere. Names that are no account count alike, so the answer
  never tells whether an account exists.
* **address** — from ``address_max_failures`` failures from one address on (a
  higher threshold, across names), that address may no longer try a name it has
  already failed on. A different account that has not failed from there still
  signs in: an office behind one NAT is not locked out by one person's typing,
  while a guesser there gets one try per name.

A correct password clears the name's failures (not the address's, so guessing
across accounts stays counted).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from layers.accounts import AccountStore

#: Longest name kept as typed: longer ones are no account (user names have at most 64 characters).
_MAX_NAME = 100


@dataclass(frozen=True)
class LoginLimits:
    """How many failures lock what, within how many seconds (configuration: ``PARKATLAS_LOGIN_*``)."""

    max_failures: int
    address_max_failures: int
    window_s: float


@dataclass(frozen=True)
class Attempt:
    """A reserved sign-in attempt (``id``), or a refusal: ``retry_after_s`` > 0 and no id."""

    id: int | None
    account: str
    retry_after_s: float = 0.0

    @property
    def refused(self) -> bool:
        return self.id is None


def account_key(username: str) -> str:
    """The name a failure is counted under: as typed, stripped and case-folded (``Alice`` is ``alice``)."""
    return (username or "").strip()[:_MAX_NAME].casefold()


class LoginLimiter:
    """Failed sign-ins per name and per address, in the accounts SQLite file.

    Parameters
    ----------
    store
        The accounts store whose file keeps the failures.
    limits
        The thresholds and the window.
    clock
        Unix time now (tests pass their own).
    """

    def __init__(self, store: AccountStore, limits: LoginLimits, *, clock: Callable[[], float] = time.time):
        self.store = store
        self.limits = limits
        self._clock = clock

    def reserve(self, username: str, address: str, *, most: int | None = None) -> Attempt:
        """Record an attempt of ``username`` from ``address`` as a failure, or refuse it when a lock applies
        (``most``: the name's lock threshold, when not ``max_failures``)."""
        account, now = account_key(username), self._clock()
        cutoff = now - self.limits.window_s
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM login_failures WHERE at <= ?", (cutoff,))
            wait = _lock_left(conn, "account = ? AND counts_for_account = 1", (account,),
                              most or self.limits.max_failures, now, self.limits.window_s)
            if not wait and _tried(conn, account, address):
                wait = _lock_left(conn, "address = ?", (address,), self.limits.address_max_failures, now,
                                  self.limits.window_s)
            if wait:
                return Attempt(None, account, wait)
            cursor = conn.execute("INSERT INTO login_failures (account, address, at) VALUES (?, ?, ?)",
                                  (account, address, now))
            return Attempt(cursor.lastrowid, account)

    def locked(self, username: str, address: str, *, most: int | None = None) -> float:
        """Seconds left of a lock on ``username`` tried from ``address`` (0: none), recording nothing.

        For clients that were let in before (a remembered HTTP Basic password): a lock
        set meanwhile refuses them as it refuses a sign-in, without a write per request.
        """
        if not self.store.path.exists():
            return 0.0
        account, now = account_key(username), self._clock()
        with self.store.reading() as conn:
            wait = _lock_left(conn, "account = ? AND counts_for_account = 1 AND at > ?",
                              (account, now - self.limits.window_s), most or self.limits.max_failures, now,
                              self.limits.window_s)
            if not wait and _tried(conn, account, address):
                wait = _lock_left(conn, "address = ? AND at > ?", (address, now - self.limits.window_s),
                                  self.limits.address_max_failures, now, self.limits.window_s)
        return wait

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: take the attempt back and clear the name's failures."""
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM login_failures WHERE id = ?", (attempt.id,))
            conn.execute("UPDATE login_failures SET counts_for_account = 0 WHERE account = ?", (attempt.account,))

    def failures(self, *, account: str | None = None, address: str | None = None) -> int:
        """Failures in the window for a name, an address or both (what the locks count)."""
        where, params = ["at > ?"], [self._clock() - self.limits.window_s]
        if account is not None:
            where.append("account = ? AND counts_for_account = 1")
            params.append(account_key(account))
        if address is not None:
            where.append("address = ?")
            params.append(address)
        sql = f"SELECT count(*) FROM login_failures WHERE {' AND '.join(where)}"  # noqa: S608 (fixed text)
        return int(self.store.query(sql, tuple(params))[0][0])


def _tried(conn: sqlite3.Connection, account: str, address: str) -> bool:
    """Whether ``address`` has a failure on ``account`` not cleared by a sign-in since."""
    return conn.execute("SELECT 1 FROM login_failures WHERE account = ? AND address = ? AND counts_for_account = 1 "
                        "LIMIT 1", (account, address)).fetchone() is not None


def _lock_left(conn: sqlite3.Connection, where: str, params: tuple, limit: int, now: float, window_s: float) -> float:
    """Seconds until fewer than ``limit`` failures matching ``where`` remain in the window (0: not locked).

    Failures of a locked key leave the window oldest first; the lock ends when the
    one that brought the count down to ``limit - 1`` leaves.
    """
    count = conn.execute(f"SELECT count(*) FROM login_failures WHERE {where}", params).fetchone()[0]  # noqa: S608
    if count < limit:
        return 0.0
    (at,) = conn.execute(f"SELECT at FROM login_failures WHERE {where} ORDER BY at LIMIT 1 OFFSET ?",  # noqa: S608
                         (*params, count - limit)).fetchone()
    return max(window_s - (now - at), 0.0)
