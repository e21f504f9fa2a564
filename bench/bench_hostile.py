"""Hostile requests replayed against a real server: time to answer and the server's peak memory, per case.

    .venv/bin/python bench/bench_hostile.py [--only NAME ...] [--parcels 600] [--keep]

Starts the app in its own process (``flask run`` on 127.0.0.1, sign-in required,
the demo park), signs in an editor and a viewer, and replays the corpus of
issue 12: uploads that point at other files or URLs, uploads that cost minutes
or gigabytes when parsed (10⁶ CSV columns, a workbook bomb inside a zip, a
recursive GeoPackage view, 10⁶ DXF points, 1 999 zip members), and the web
requests of ``bench/hostile_web.py`` (huge or deep JSON, concurrent analyses).
For each case it prints the status, the seconds to the answer, and the server's
peak resident memory above what it held just before (the kernel's high-water
mark ``VmHWM``, reset through ``/proc/<pid>/clear_refs`` before each case),
against the budget: answered in ≤ 2 s and ≤ 300 MB above the idle server. One
user's 4 large analyses at once are legitimate work that the analysis gate
serialises: they may take 4 times one such analysis measured in the same run
(the baseline case, judged on memory only) plus 2 s. The corpus files are built
once in ``bench/out/hostile/``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import hostile_samples as hostile  # noqa: E402

from bench.common import OUT, demo_park, record  # noqa: E402

BUDGET_S = 2.0
BUDGET_MB = 300.0
PASSWORD = "hostile bench password 7"
CORPUS = OUT / "hostile"


@dataclass
class Case:
    name: str
    run: Callable[[object], int]  # (the server) → HTTP status of the answer (the last one for several)


# -- the server in its own process ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """``flask run`` of the app on a free loopback port with sign-in required; RSS read from /proc."""

    def __init__(self, park: Path, workdir: Path):
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PARKATLAS_PARK": str(park), "PARKATLAS_AUTH_REQUIRED": "1",
                    "PARKATLAS_ACCOUNTS": str(workdir / "accounts.sqlite"), "PARKATLAS_SECRET_KEY": "bench-hostile",
                    "PARKATLAS_ADMIN_PASSWORD": PASSWORD, "PARKATLAS_TILE_CACHE": "none"}
        self.process: subprocess.Popen | None = None

    def create_account(self, name: str, role: str) -> None:
        subprocess.run([sys.executable, "-m", "flask", "--app", "app", "create-admin", name, "--role", role],
                       cwd=ROOT, env=self.env, check=True, capture_output=True)

    def __enter__(self) -> ServerProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "run", "--host", "127.0.0.1", "--port", str(self.port),
             "--with-threads"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        import requests

        while time.time() < deadline:
            try:
                requests.get(self.base_url + "/login", timeout=5)
                return self
            except requests.ConnectionError:
                time.sleep(0.3)
        msg = "the server did not start within 120 s"
        raise RuntimeError(msg)

    def __exit__(self, *exc_info) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def _status(self, key: str) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024  # kB → MB
        return float("nan")

    def rss_mb(self) -> float:
        return self._status("VmRSS")

    def reset_peak(self) -> bool:
        try:
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
            return True
        except OSError:
            return False

    def peak_mb(self) -> float:
        return self._status("VmHWM")


def _session(server: ServerProcess, name: str):
    from live_helpers import LiveSession

    session = LiveSession(server.base_url)
    reply = session.login(name, PASSWORD)
    if reply.status_code != 303:
        msg = f"{name} could not sign in ({reply.status_code})"
        raise RuntimeError(msg)
    return session


# -- the upload corpus ---------------------------------------------------------------------------------------


def _built(name: str, build: Callable[[Path], Path]) -> Path:
    """``bench/out/hostile/<name>``, built once."""
    CORPUS.mkdir(parents=True, exist_ok=True)
    path = CORPUS / name
    if not path.exists():
        start = time.perf_counter()
        partial = CORPUS / (name + ".building")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        built = build(partial / name)
        os.replace(built, path)
        shutil.rmtree(partial, ignore_errors=True)
        print(f"  (built {name}: {path.stat().st_size / 1024**2:,.2f} MB in {time.perf_counter() - start:.1f} s)",
              flush=True)
    return path


def _vrt(path: Path) -> Path:
    secret = ROOT / "instance" / "secret_key"
    path.write_text(f'<OGRVRTDataSource><OGRVRTLayer name="enterprises"><SrcDataSource>{secret}</SrcDataSource>'
                    "</OGRVRTLayer></OGRVRTDataSource>", encoding="utf-8")
    return path


def _crs_link(path: Path) -> Path:
    path.write_text('{"type":"FeatureCollection","crs":{"type":"link","properties":{"href":"http://127.0.0.1:9/x"}},'
                    '"features":[]}', encoding="utf-8")
    return path


UPLOADS = [
    # (case name, file name, layer, builder)
    ("VRT named .geojson", "vrt.geojson", "enterprises", _vrt),
    ("GeoJSON crs link", "crs-link.geojson", "enterprises", _crs_link),
    ("CSV of 10⁶ columns", "columns.csv", "enterprises", lambda p: hostile.csv_columns(p, 1_000_000)),
    ("zip holding a 1.2 GB workbook", "workbook-bomb.zip", "enterprises",
     lambda p: hostile.xlsx_bomb_in_zip(p, inflated_mb=1200)),
    ("GeoPackage view of 10⁶ rows", "recursive-view.gpkg", "parcels",
     lambda p: hostile.recursive_view_geopackage(p, rows=1_000_000)),
    ("GeoPackage view computing for minutes", "busy-view.gpkg", "parcels", hostile.busy_view_geopackage),
    ("DXF of 10⁶ points", "points.dxf", "facilities", lambda p: hostile.dxf_points(p, 1_000_000)),
    ("zip of 1 999 members under 1 MB", "members.zip", "enterprises",
     lambda p: hostile.zip_many_members(p, members=1999, member_bytes=1024 * 1024 - 1)),
]


def _upload_case(label: str, file_name: str, layer: str, build) -> Case:
    path = _built(file_name, build)

    def run(context) -> int:
        with open(path, "rb") as handle:
            reply = context.editor.post("/import?format=json", data={"layer": layer, "mode": "upsert"},
                                        files={"file": (file_name, handle)}, timeout=600)
        return reply.status_code

    return Case(f"upload: {label} ({path.stat().st_size / 1024**2:,.1f} MB)", run)


def _web_cases() -> list[Case]:
    """The web requests of ``bench/hostile_web.py``: huge and deep JSON, concurrent analyses."""
    from bench import hostile_web

    return [Case(f"web: {name}", run) for name, run in hostile_web.cases()]


def _time_budget(name: str, done: dict[str, float]) -> float | None:
    """The seconds ``name`` may take: 2 s, a multiple of a baseline case's time (concurrent legitimate work),
    or None for a baseline itself (legitimate work, judged on memory only)."""
    from bench import hostile_web

    plain = name.removeprefix("web: ")
    if plain == hostile_web.BASELINE_ONE_LARGE:
        return None
    if plain in hostile_web.SERIAL_BUDGETS:
        baseline, times = hostile_web.SERIAL_BUDGETS[plain]
        return times * done.get("web: " + baseline, 0.0) + BUDGET_S
    return BUDGET_S


# -- measuring -----------------------------------------------------------------------------------------------


@dataclass
class Context:
    server: ServerProcess
    editor: object
    viewer: object
    base_url: str


def measure(context: Context, case: Case, budget_s: float | None) -> dict:
    server = context.server
    time.sleep(0.5)  # let the previous case's memory settle
    idle = server.rss_mb()
    exact = server.reset_peak()
    start = time.perf_counter()
    status = case.run(context)
    seconds = time.perf_counter() - start
    peak = server.peak_mb() if exact else float("nan")
    above = peak - idle
    in_time = budget_s is None or seconds <= budget_s
    ok = in_time and (above <= BUDGET_MB or not exact) and status < 500
    return {"case": case.name, "status": status, "seconds": seconds, "above_mb": above, "idle_mb": idle, "ok": ok,
            "budget_s": budget_s}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=None, help="substrings of case names to run")
    parser.add_argument("--parcels", type=int, default=600, help="demo park size (default 600)")
    args = parser.parse_args()
    park = demo_park(args.parcels)
    cases = [_upload_case(*spec) for spec in UPLOADS] + _web_cases()
    if args.only:
        cases = [c for c in cases if any(word.lower() in c.name.lower() for word in args.only)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="parkatlas-hostile-") as workdir:
        copy = Path(workdir) / "park.gpkg"
        shutil.copy(park, copy)
        server = ServerProcess(copy, Path(workdir))
        server.create_account("bench-editor", "editor")
        server.create_account("bench-viewer", "viewer")
        with server:
            with _session(server, "bench-editor") as editor, _session(server, "bench-viewer") as viewer:
                context = Context(server, editor, viewer, server.base_url)
                editor.get("/")  # the park loaded before anything is measured
                print(f"server idle: {server.rss_mb():,.0f} MB RSS; budget per case: ≤ {BUDGET_S:g} s, "
                      f"≤ {BUDGET_MB:g} MB above idle", flush=True)
                print(f"{'case':58} {'status':>6} {'seconds':>8} {'budget s':>8} {'MB above idle':>14}  verdict")
                done: dict[str, float] = {}
                for case in cases:
                    row = measure(context, case, _time_budget(case.name, done))
                    done[case.name] = row["seconds"]
                    rows.append(row)
                    budget = "—" if row["budget_s"] is None else f"{row['budget_s']:.1f}"
                    print(f"{row['case'][:58]:58} {row['status']:>6} {row['seconds']:>8.2f} {budget:>8} "
                          f"{row['above_mb']:>14.1f}  {'within budget' if row['ok'] else 'OVER BUDGET'}", flush=True)
                    record("bench_hostile", row["case"], "seconds", row["seconds"], "s")
                    record("bench_hostile", row["case"], "peak_above_idle", row["above_mb"], "MB")
    over = [r["case"] for r in rows if not r["ok"]]
    print(f"{len(rows) - len(over)} of {len(rows)} cases within budget" + (f"; over: {', '.join(over)}" if over else ""))
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
