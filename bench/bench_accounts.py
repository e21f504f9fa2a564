"""Time what accounts add to requests: the server-side session look-up and the login limiter's reservation.

    .venv/bin/python bench/bench_accounts.py [--lookups 2000] [--reservations 300]

Every signed-in request looks its session up in the accounts SQLite file; every sign-in
reserves its attempt there in a ``BEGIN IMMEDIATE`` transaction before the password
hash is checked (an scrypt check, timed too, for scale). Means per operation, in a
fresh accounts file in a temporary folder.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def mean_us(count: int, function) -> float:
    start = time.perf_counter()
    for _ in range(count):
        function()
    return (time.perf_counter() - start) / count * 1e6


def main() -> None:
    from werkzeug.security import check_password_hash, generate_password_hash

    from layers.accounts import AccountStore
    from layers.login_limit import LoginLimiter, LoginLimits

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--reservations", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = AccountStore(Path(folder) / "accounts.sqlite")
        password_hash = generate_password_hash("a long password", method="scrypt")
        store.create("alice", password_hash=password_hash, role="viewer")
        token = store.open_session("alice", lifetime_s=3600, now=time.time())
        lookup = mean_us(args.lookups, lambda: store.session_account(token, now=time.time()))
        limiter = LoginLimiter(store, LoginLimits(max_failures=5, address_max_failures=30, window_s=900))
        names = itertools.count()
        reserve = mean_us(args.reservations, lambda: limiter.reserve(f"user{next(names)}", "10.0.0.1"))
        check = mean_us(5, lambda: check_password_hash(password_hash, "a wrong password"))
    print(f"session look-up per signed-in request: {lookup:8.0f} µs (mean of {args.lookups})")
    print(f"sign-in reservation (BEGIN IMMEDIATE):  {reserve:8.0f} µs (mean of {args.reservations})")
    print(f"scrypt password check, for scale:       {check:8.0f} µs (mean of 5)")


if __name__ == "__main__":
    main()
