"""Shared by the scale benchmarks: demo parks in bench/out/, results.csv, a loopback server, bounded load.

Every figure a benchmark prints is also appended to ``bench/out/results.csv``
(``when, machine, benchmark, case, metric, value, unit``) so runs can be compared.
Load is sent only to 127.0.0.1, with a fixed number of requests and a time limit.
"""

from __future__ import annotations

import csv
import datetime as dt
import http.client
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
RESULTS = OUT / "results.csv"
sys.path.insert(0, str(ROOT))


def machine() -> str:
    """Cores, memory and CPU model of this machine, for the CSV and the README."""
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {memory_gb:.0f} GB, {model}"


def record(benchmark: str, case: str, metric: str, value: float, unit: str) -> None:
    """Append one figure to bench/out/results.csv."""
    OUT.mkdir(parents=True, exist_ok=True)
    new = not RESULTS.exists()
    with open(RESULTS, "a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(["when", "machine", "benchmark", "case", "metric", "value", "unit"])
        writer.writerow([dt.datetime.now().isoformat(timespec="seconds"), machine(), benchmark, case, metric,
                         f"{value:.6g}", unit])


def demo_park(n_parcels: int) -> Path:
    """bench/out/demo_<n>.gpkg, built with layers.demo.build_demo_park (in a subprocess) when absent."""
    path = OUT / f"demo_{n_parcels}.gpkg"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        code = ("import sys; sys.path.insert(0, %r); from pathlib import Path; from layers.demo import build_demo_park; "
                "build_demo_park(Path(%r), n_parcels=%d)") % (str(ROOT), str(path), n_parcels)
        subprocess.run([sys.executable, "-c", code], check=True)
        print(f"  (built {path.name} in {time.perf_counter() - start:.0f} s)", flush=True)
    return path


class LoopbackServer:
    """The ParkAtlas app served by a threaded werkzeug server on 127.0.0.1 in this process."""

    def __init__(self, config: dict):
        from werkzeug.serving import make_server

        from app import create_app

        # Sign-in is off: the figures are those of serving, not of the session check.
        self.app = create_app({"TESTING": False, "SECRET_KEY": "bench", "AUTH_REQUIRED": False, **config})
        self.httpd = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackServer:
        import logging

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.httpd.shutdown()
        self.thread.join(timeout=10)


def get(port: int, path: str, connection: http.client.HTTPConnection | None = None, headers: dict | None = None,
        *, timeout: float = 60.0):
    """GET 127.0.0.1:port/path; (status, body bytes, headers, seconds).

    A first request may load and validate a large park: give it a longer ``timeout``.
    """
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    start = time.perf_counter()
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - start
    if connection is None:
        conn.close()
    return response.status, body, dict(response.getheaders()), elapsed


def load(port: int, paths: list[str], *, concurrency: int, max_seconds: float = 120.0) -> dict:
    """Request every path once with ``concurrency`` keep-alive clients; latency percentiles in ms.

    Bounded: len(paths) requests at most, and none started after ``max_seconds``.
    """
    deadline = time.perf_counter() + max_seconds
    chunks = [paths[i::concurrency] for i in range(concurrency)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client(chunk: list[str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for path in chunk:
            if time.perf_counter() > deadline:
                break
            status, _, _, elapsed = get(port, path, conn)
            with lock:
                latencies.append(elapsed * 1000)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(client, chunks))
    wall = time.perf_counter() - start
    return {"n": len(latencies), "statuses": statuses, "per_s": len(latencies) / wall, **percentiles(latencies)}


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan")}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": statistics.median(values), "p95": cuts[94], "p99": cuts[98]}
