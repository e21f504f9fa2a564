"""Hostile web requests (issue 12 §3, §6): each case's time, the server's peak memory above idle, and its answer.

    .venv/bin/python bench/hostile_web.py [--app-root DIR] [--park PATH] [--only NAME …]
    .venv/bin/python bench/hostile_web.py --cells      # bytes per grid cell behind web.expansion.GRID_BYTES_PER_CELL

:func:`cases` gives ``[(name, case(where) -> HTTP status)]`` for any runner
(``bench/bench_hostile.py`` replays them). ``where`` is the server's base URL
(sign-in off, as ``bench/common.LoopbackServer`` serves: every request is one
client, by address), or an object with ``base_url`` and signed-in ``viewer`` and
``editor`` sessions (``requests`` sessions with a ``csrf`` token, as
``bench_hostile``'s context has): analyses are then the viewer's, edits the
editor's. The park needs an ``expansion_area`` zone and parcels (the demo park);
the cases find them through the API. A case with several requests answers with
the most telling status: 200 when all were served, else the highest other one (a
429 among 200s says the gate refused some).

Run as a script, it starts the app of ``--app-root`` (default: this checkout;
``--app-root /work/main`` measures the code before the limits) in a server
process on the demo park, warms it up, and for each case prints the wall time,
the server's peak RSS above its idle RSS (``VmHWM`` after resetting it through
``/proc/PID/clear_refs``, minus ``VmRSS`` before the case), what it still holds
after the case (``VmRSS`` then, minus idle: caches), the status, and the p95 of
``/api/summary`` read by another client (every 50 ms) while the case ran.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import select
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

#: The body the issue measured: one JSON polygon of 72 MB.
HUGE_BODY_BYTES = 72 * 1024 * 1024
DEEP = 100_000
#: The default JSON cap (PARKATLAS_MAX_JSON_MB) and vertex limit (PARKATLAS_EXPANSION_MAX_VERTICES).
JSON_CAP = 4 * 1024 * 1024
MAX_VERTICES = 5_000
#: A "large" analysis every version accepts: a 6.9 km square (47.6 km², under the 50 km² limit) at the
#: default 20 m cells — 119 000 cells, predicted 125 MB, under the default 160 MB budget.
LARGE_SIDE_M = 6_900.0
M_PER_DEGREE = 111_320.0


# -- HTTP ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where the cases send: the base URL and the headers that make a request the viewer's or the editor's."""

    base_url: str
    viewer: dict = field(default_factory=dict)
    editor: dict = field(default_factory=dict)


def _session_headers(session) -> dict:
    if session is None:
        return {}
    headers = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in session.cookies)}
    if getattr(session, "csrf", None):
        headers["X-CSRF-Token"] = session.csrf
    return headers


def target(where) -> Target:
    """A :class:`Target` from a base URL or a runner's context (``base_url``, ``viewer``, ``editor``)."""
    if isinstance(where, str):
        return Target(where.rstrip("/"))
    return Target(where.base_url.rstrip("/"), _session_headers(getattr(where, "viewer", None)),
                  _session_headers(getattr(where, "editor", None)))


def post(base_url: str, path: str, body: bytes | Iterable[bytes], *, length: int | None = None,
         headers: dict | None = None, content_type: str = "application/json", timeout: float = 300.0) -> int:
    """POST a body (bytes, or chunks with their total ``length``) and return the status.

    Sends as a browser would but stops sending as soon as the server answers, as a
    server that refuses a body unread answers before it has taken it.
    """
    chunks = [body] if isinstance(body, bytes) else body
    size = len(body) if isinstance(body, bytes) else length
    parts = urlsplit(base_url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    try:
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        head = (f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: {content_type}\r\n"
                f"Accept: application/json\r\nContent-Length: {size}\r\nConnection: close\r\n{extra}\r\n")
        sock.sendall(head.encode())
        for chunk in chunks:
            for start in range(0, len(chunk), 256 * 1024):
                if select.select([sock], [], [], 0)[0]:
                    break  # answered already
                try:
                    sock.sendall(chunk[start:start + 256 * 1024])
                except (BrokenPipeError, ConnectionResetError):
                    break
            else:
                continue
            break
        response = http.client.HTTPResponse(sock)
        response.begin()
        response.read()
        return response.status
    finally:
        sock.close()


def get_json(base_url: str, path: str, headers: dict | None = None):
    """(status, parsed JSON or None) of a GET."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    connection.request("GET", path, headers={"Accept": "application/json", **(headers or {})})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, (json.loads(data) if data[:1] in (b"{", b"[") else None)


def telling(statuses: list[int]) -> int:
    """200 when every request was served, else the highest other status."""
    others = [s for s in statuses if s != 200]
    return max(others) if others else 200


# -- what the cases send --------------------------------------------------------------------------------


def expansion_centre(at: Target) -> tuple[float, float]:
    """Lon/lat of the centre of the park's first expansion_area zone."""
    _, zones = get_json(at.base_url, "/api/collections/zones/items?limit=10000", at.viewer)
    for feature in zones["features"]:
        if feature["properties"].get("kind") == "expansion_area":
            coords = [xy for ring in _rings(feature["geometry"]) for xy in ring]
            lons, lats = [c[0] for c in coords], [c[1] for c in coords]
            return (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
    raise RuntimeError("the park has no expansion_area zone")


def _rings(geometry: dict) -> list:
    if geometry["type"] == "Polygon":
        return geometry["coordinates"]
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


def square(lon: float, lat: float, side_m: float) -> dict:
    """A lon/lat square of about ``side_m`` metres a side, centred on (lon, lat)."""
    half_lat = side_m / 2 / M_PER_DEGREE
    half_lon = side_m / 2 / (M_PER_DEGREE * math.cos(math.radians(lat)))
    ring = [[lon - half_lon, lat - half_lat], [lon + half_lon, lat - half_lat], [lon + half_lon, lat + half_lat],
            [lon - half_lon, lat + half_lat], [lon - half_lon, lat - half_lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def circle(lon: float, lat: float, radius_deg: float, positions: int) -> dict:
    n = positions - 1
    ring = [[lon + radius_deg * math.cos(2 * math.pi * i / n), lat + radius_deg * math.sin(2 * math.pi * i / n)]
            for i in range(n)]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def huge_polygon(lon: float, lat: float, size: int) -> tuple[Iterator[bytes], int]:
    """A ``{"geometry": Polygon}`` body of exactly ``size`` bytes, as chunks (never all in memory here)."""
    vertex = f"[{lon:.6f},{lat:.6f}],".encode()
    head, tail = b'{"geometry":{"type":"Polygon","coordinates":[[', f"[{lon:.6f},{lat:.6f}]]]}}}}".encode()
    count, spare = divmod(size - len(head) - len(tail), len(vertex))
    block = vertex * 10_000

    def chunks():
        yield head + b" " * spare  # whitespace is valid JSON between tokens
        full, rest = divmod(count, 10_000)
        for _ in range(full):
            yield block
        yield vertex * rest + tail

    return chunks(), size


def deep_body(member: str, extra: str = "") -> bytes:
    return b'{"' + member.encode() + b'":' + b"[" * DEEP + b"]" * DEEP + extra.encode() + b"}"


def padded(body: dict, size: int) -> bytes:
    """``body`` as JSON of exactly ``size`` bytes."""
    text = json.dumps({**body, "pad": ""}, separators=(",", ":"))
    return text.replace('"pad":""', '"pad":"' + "x" * (size - len(text)) + '"').encode()


# -- the cases ------------------------------------------------------------------------------------------


def huge_polygon_case(where) -> int:
    at = target(where)
    chunks, size = huge_polygon(*expansion_centre(at), HUGE_BODY_BYTES)
    return post(at.base_url, "/api/expansion", chunks, length=size, headers=at.viewer)


def json_cap_plus_one_case(where) -> int:
    at = target(where)
    return post(at.base_url, "/api/expansion", padded({"zone": "none"}, JSON_CAP + 1), headers=at.viewer)


def deep_expansion_case(where) -> int:
    at = target(where)
    return post(at.base_url, "/api/expansion", deep_body("geometry"), headers=at.viewer)


def deep_edit_case(where) -> int:
    at = target(where)
    _, items = get_json(at.base_url, "/api/collections/parcels/items?limit=1", at.editor)
    parcel = items["features"][0]["properties"]["parcel_id"]
    _, record = get_json(at.base_url, f"/edit/parcels/{parcel}?format=json", at.editor)
    return post(at.base_url, f"/edit/parcels/{parcel}/geometry",
                deep_body("geometry", f',"version":{record["version"]}'), headers=at.editor)


def vertices_plus_one_case(where) -> int:
    at = target(where)
    lon, lat = expansion_centre(at)
    body = json.dumps({"geometry": circle(lon, lat, 0.005, MAX_VERTICES + 1)}).encode()
    return post(at.base_url, "/api/expansion", body, headers=at.viewer)


def concurrent_large_case(where, n: int = 4) -> int:
    at = target(where)
    lon, lat = expansion_centre(at)
    bodies = [json.dumps({"geometry": square(lon + i * 1e-4, lat, LARGE_SIDE_M)}).encode() for i in range(n)]
    with ThreadPoolExecutor(n) as pool:
        return telling(list(pool.map(lambda body: post(at.base_url, "/api/expansion", body, headers=at.viewer),
                                     bodies)))


def land_days_case(where, n: int = 8) -> int:
    at = target(where)
    paths = [f"/api/land?as_of=2020-01-{day:02d}&limit=1" for day in range(1, n + 1)]
    with ThreadPoolExecutor(n) as pool:
        return telling(list(pool.map(lambda path: get_json(at.base_url, path, at.viewer)[0], paths)))


#: The name of the one-analysis baseline case (see :func:`cases`).
BASELINE_ONE_LARGE = "expansion: one large analysis alone (baseline)"
#: Cases whose time is judged against a baseline case of the same run: name → (baseline name, multiple).
SERIAL_BUDGETS = {"expansion: 4 large analyses at once": (BASELINE_ONE_LARGE, 4)}


def cases() -> list[tuple[str, Callable[[str], int]]]:
    """(name, case) pairs; a case takes the server (base URL or context) and returns the HTTP status it got."""
    return [
        ("expansion: one 72 MB JSON polygon", huge_polygon_case),
        ("expansion: JSON body of 4 MB + 1 byte", json_cap_plus_one_case),
        ("expansion: JSON nested 100 000 deep", deep_expansion_case),
        ("edit geometry: JSON nested 100 000 deep", deep_edit_case),
        ("expansion: 5 001 vertices (limit + 1)", vertices_plus_one_case),
        # Legitimate work, the yardstick of the next case: one user's 4 analyses at once may take no longer
        # than 4 of these one after another (the gate serialises them), and hold no more memory than budgeted.
        (BASELINE_ONE_LARGE, lambda where: concurrent_large_case(where, n=1)),
        ("expansion: 4 large analyses at once", concurrent_large_case),
        ("land analysis: 8 days at once", land_days_case),
    ]


# -- the runner -----------------------------------------------------------------------------------------

SERVER = """
import logging, sys
sys.path.insert(0, {root!r})
from werkzeug.serving import make_server
from app import create_app
app = create_app({{"TESTING": False, "SECRET_KEY": "bench", "AUTH_REQUIRED": False, "PARK_PATH": {park!r}}})
logging.getLogger("werkzeug").setLevel(logging.ERROR)
httpd = make_server("127.0.0.1", 0, app, threaded=True)
print(httpd.server_port, flush=True)
httpd.serve_forever()
"""


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reads_p95(base_url: str, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        get_json(base_url, "/api/summary")
        out.append(time.perf_counter() - started)
        time.sleep(0.05)


def run(app_root: Path, park: Path, only: list[str]) -> None:
    from common import machine, record

    log = park.parent / "hostile_web_server.log"  # the server's own log (tracebacks of the code before the limits)
    with open(log, "a", encoding="utf-8") as server_log:
        server = subprocess.Popen([sys.executable, "-c", SERVER.format(root=str(app_root), park=str(park))],
                                  stdout=subprocess.PIPE, stderr=server_log, text=True, cwd=str(app_root))
    try:
        base = f"http://127.0.0.1:{int(server.stdout.readline())}"
        for path in ("/api/summary", "/api/land?limit=1", "/api/expansion"):  # load the park, warm the caches
            get_json(base, path)
        label = "main" if app_root.resolve() != ROOT else "limits"
        print(f"machine: {machine()}; app: {app_root} ({label}); park: {park.name}; "
              f"load average {os.getloadavg()[0]:.1f}; server log: {log}")
        print(f"{'case':44} {'status':>6} {'time s':>7} {'peak MB':>8} {'held MB':>8} {'reads p95 s':>11}")
        for name, case in cases():
            if only and not any(word in name for word in only):
                continue
            Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # peak RSS := RSS now
            idle_kb = status_kb(server.pid, "VmRSS")
            stop, reads = threading.Event(), []
            reader = threading.Thread(target=reads_p95, args=(base, stop, reads))
            reader.start()
            started = time.perf_counter()
            try:
                status = case(base)
            except OSError as exc:  # the server dropped the connection without an answer
                status = f"{type(exc).__name__}"
            elapsed = time.perf_counter() - started
            stop.set()
            reader.join()
            peak_mb = (status_kb(server.pid, "VmHWM") - idle_kb) / 1024
            held_mb = (status_kb(server.pid, "VmRSS") - idle_kb) / 1024
            p95 = statistics.quantiles(reads, n=20)[-1] if len(reads) >= 2 else float("nan")
            print(f"{name:44} {status!s:>6} {elapsed:7.2f} {peak_mb:8.0f} {held_mb:8.0f} {p95:11.3f}", flush=True)
            for metric, value, unit in (("time", elapsed, "s"), ("peak_rss_above_idle", peak_mb, "MB"),
                                        ("reads_p95", p95, "s")):
                record("hostile_web", f"{label}: {name}", metric, value, unit)
    finally:
        server.terminate()
        server.wait(timeout=30)


def grid_bytes_per_cell(park: Path) -> None:
    """Peak memory of plans of a large square at two cell sizes, per cell (what GRID_BYTES_PER_CELL rounds)."""
    code = """
import math, resource, sys
sys.path.insert(0, {root!r})
import geopandas as gpd, shapely
from app import create_app
from geo.scenarios import ScenarioOptions
from web import expansion
app = create_app({{"TESTING": True, "SECRET_KEY": "bench", "PARK_PATH": {park!r}, "ANALYSIS_MEMORY_MB": 4096}})
with app.test_request_context("/api/expansion"):
    zones = expansion.park().layer("zones")
    centre = zones[zones["kind"] == "expansion_area"].geometry.union_all().centroid
    half = {side} / 2
    area = gpd.GeoSeries([shapely.box(centre.x - half, centre.y - half, centre.x + half, centre.y + half)], crs=zones.crs)
    expansion.park().layer("parcels"); expansion.park().layer("roads"); expansion.park().layer("pipelines")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    plan = expansion.run_plan(area, ScenarioOptions(cell_m={cell}))
    expansion.result_json(plan, source={{}})
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
    print(len(plan.grid.cells), grown)
"""
    side = 7_000.0
    for cell in (11.1, 14.0):
        out = subprocess.run([sys.executable, "-c", code.format(root=str(ROOT), park=str(park), side=side,
                                                                cell=cell)],
                             capture_output=True, text=True, check=True).stdout.split()
        cells, grown = int(out[-2]), int(out[-1])
        print(f"{side / 1000:g} km square, {cell:g} m cells: {cells:,} cells, peak +{grown / 2**20:.0f} MB, "
              f"{grown / cells:.0f} B per cell")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-root", type=Path, default=ROOT, help="the checkout whose app is served")
    parser.add_argument("--park", type=Path, default=None, help="default: the 600-plot demo park in bench/out/")
    parser.add_argument("--only", nargs="*", default=[], help="run the cases whose name holds one of these words")
    parser.add_argument("--cells", action="store_true", help="measure bytes per grid cell instead")
    args = parser.parse_args()
    from common import demo_park

    park = args.park or demo_park(600)
    if args.cells:
        grid_bytes_per_cell(park)
    else:
        run(args.app_root, park, args.only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
