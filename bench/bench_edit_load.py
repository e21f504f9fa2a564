"""Concurrent editing on loopback: 20 signed-in editors reading and incrementing shared records.

    .venv/bin/python bench/bench_edit_load.py [--users 20] [--rounds 20] [--records 3] [--parcels 600]

Every user signs in through the login form, then for a fixed number of rounds
reads two pages (a page of the parcels API and the record's edit data) and adds
1 to ``investment_done_wan`` of one of a few shared parcels, with optimistic
locking: it sends the version and fingerprint it read, and on 409 reads again
and retries. At the end every shared record must hold its start value plus the
number of increments acknowledged for it (no lost update), the log must hold
one change per acknowledged increment, and no request may have answered 5xx.
Prints latency percentiles of reads, accepted edits and conflicts, and the
throughput. Load goes only to 127.0.0.1, with a fixed number of requests.

``tests/test_web_load.py`` runs the same function in a reduced size.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookies
import json
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import LoopbackServer, demo_park, percentiles, record  # noqa: E402

FIELD = "investment_done_wan"
PASSWORD = "load test password"
#: A user gives up an increment after this many conflicts in a row (never reached in practice).
MAX_RETRIES = 200


class Session:
    """One user's keep-alive connection with its session cookie and CSRF token."""

    def __init__(self, port: int, stats: dict, lock: threading.Lock):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookie = ""
        self.token = ""
        self.stats = stats
        self.lock = lock

    def request(self, method: str, path: str, kind: str, body: bytes | None = None, headers: dict | None = None):
        headers = {**(headers or {}), "Cookie": self.cookie}
        start = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - start
        for value in response.headers.get_all("Set-Cookie") or []:
            morsel = http.cookies.SimpleCookie(value)
            if "parkatlas_session" in morsel:
                self.cookie = f"parkatlas_session={morsel['parkatlas_session'].value}"
        if kind == "edit" and response.status == 409:
            kind = "conflict"
        with self.lock:
            self.stats["latency"][kind].append(elapsed)
            self.stats["status"][response.status] += 1
        return response.status, data

    def login(self, username: str) -> None:
        status, page = self.request("GET", "/login", "login")
        self.token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        form = urlencode({"username": username, "password": PASSWORD, "csrf_token": self.token}).encode()
        status, _ = self.request("POST", "/login", "login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 303:
            raise RuntimeError(f"{username} could not sign in ({status})")
        status, page = self.request("GET", "/edit/", "read")
        self.token = re.search(rb'<meta name="csrf-token" content="([^"]+)"', page).group(1).decode()


def user_work(port: int, username: str, targets: list[str], rounds: int, stats: dict, lock: threading.Lock,
              done: dict) -> None:
    session = Session(port, stats, lock)
    session.login(username)
    for r in range(rounds):
        target = targets[(hash(username) + r) % len(targets)]
        session.request("GET", "/api/collections/parcels/items?limit=50", "read")
        for _ in range(MAX_RETRIES):
            status, data = session.request("GET", f"/edit/parcels/{target}?format=json", "read")
            current = json.loads(data)
            value = float(current["values"][FIELD] or 0.0)
            body = json.dumps({"values": {FIELD: str(value + 1)}, "version": current["version"],
                               "fingerprint": current["fingerprint"], "reason": f"load {username} {r}"}).encode()
            status, _ = session.request("POST", f"/edit/parcels/{target}", "edit", body,
                                        {"Content-Type": "application/json", "X-CSRF-Token": session.token})
            if status == 200:
                with lock:
                    done[target] += 1
                break
            if status != 409:
                raise RuntimeError(f"{username}: edit answered {status}")
            with lock:
                stats["conflicts"] += 1
        else:
            raise RuntimeError(f"{username}: gave up after {MAX_RETRIES} conflicts")
    session.conn.close()


def run_edit_load(park_path: Path, *, users: int = 20, rounds: int = 20, records: int = 3,
                  accounts_path: Path | None = None) -> dict:
    """Run the load on a copy-free park file (it is changed); returns figures and checks."""
    from layers.store import GeoPackageStore

    store = GeoPackageStore(park_path)
    parcels = store.load("parcels")
    live = parcels[parcels["retired_on"].isna()]
    targets = live["parcel_id"].head(records).tolist()
    values = live.set_index("parcel_id")[FIELD].fillna(0.0)
    start_values = {t: float(values.loc[t]) for t in targets}
    changes_before = int(store.load("audit_events")["change_id"].nunique())
    workdir = Path(tempfile.mkdtemp(prefix="parkatlas-load-"))
    config = {"PARK_PATH": str(park_path), "AUTH_REQUIRED": True, "ACCOUNTS_PATH": str(accounts_path or workdir / "a.sqlite"),
              "LOGIN_MAX_FAILURES": 10_000}
    stats = {"latency": defaultdict(list), "status": defaultdict(int), "conflicts": 0}
    lock = threading.Lock()
    done = defaultdict(int)
    try:
        with LoopbackServer(config) as server:
            from web.auth import accounts, hash_password

            with server.app.app_context():
                password_hash = hash_password(PASSWORD)
                for i in range(users):
                    accounts().create(f"user{i:02d}", password_hash=password_hash, role="editor")
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=users) as pool:
                futures = [pool.submit(user_work, server.port, f"user{i:02d}", targets, rounds, stats, lock, done)
                           for i in range(users)]
                for future in futures:
                    future.result()
            elapsed = time.perf_counter() - started
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    after = store.load("parcels").set_index("parcel_id")
    lost = {t: start_values[t] + done[t] - float(after.loc[t, FIELD]) for t in targets}
    changes = int(store.load("audit_events")["change_id"].nunique()) - changes_before
    requests = sum(stats["status"].values())
    return {
        "users": users, "rounds": rounds, "targets": targets, "acknowledged": dict(done), "lost_updates": lost,
        "logged_changes": changes, "server_errors": sum(n for s, n in stats["status"].items() if s >= 500),
        "statuses": dict(stats["status"]), "conflicts": stats["conflicts"], "requests": requests,
        "seconds": elapsed, "latency_ms": {kind: {k: v * 1000 for k, v in percentiles(values).items()}
                                           for kind, values in stats["latency"].items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--records", type=int, default=3)
    parser.add_argument("--parcels", type=int, default=600, help="demo park size (copied; the copy is edited)")
    args = parser.parse_args()
    source = demo_park(args.parcels)
    with tempfile.TemporaryDirectory(prefix="parkatlas-load-") as tmp:
        park = Path(tmp) / "park.gpkg"
        shutil.copyfile(source, park)
        result = run_edit_load(park, users=args.users, rounds=args.rounds, records=args.records)
    case = f"{args.users} users x {args.rounds} rounds, {args.records} shared parcels, {args.parcels}-parcel park"
    print(f"edit load: {case}")
    print(f"  {result['requests']} requests in {result['seconds']:.1f} s "
          f"({result['requests'] / result['seconds']:.1f} req/s); statuses {result['statuses']}")
    print(f"  increments acknowledged {sum(result['acknowledged'].values())}, logged changes "
          f"{result['logged_changes']}, conflicts retried {result['conflicts']}")
    print(f"  lost updates {result['lost_updates']}; 5xx answers {result['server_errors']}")
    for kind, cuts in sorted(result["latency_ms"].items()):
        print(f"  {kind:8s} p50 {cuts['p50']:7.1f} ms  p95 {cuts['p95']:7.1f} ms  p99 {cuts['p99']:7.1f} ms")
        for name, value in cuts.items():
            record("edit_load", case, f"{kind}_{name}", value, "ms")
    record("edit_load", case, "lost_updates", sum(abs(v) for v in result["lost_updates"].values()), "updates")
    record("edit_load", case, "server_errors", result["server_errors"], "responses")
    ok = not any(result["lost_updates"].values()) and result["server_errors"] == 0 and (
        result["logged_changes"] == sum(result["acknowledged"].values()))
    print("  OK" if ok else "  FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
