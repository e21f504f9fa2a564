"""Request limits against the real app on a loopback port (issue 12 §3, §6).

Body caps per endpoint (a declared length refused before the body is sent, a
chunked body refused at the cap), 100 000-deep JSON, vertex and feature counts at
and one over their limits, the analysis gate (per user, in all, first come first
served, 429/503 with Retry-After), the time budget and the predicted memory of a
grid. Analyses are the real ones on the expansion test park; where a test needs
to see *how many* run at once or *which steps* ran, it wraps the real function
with a counter.
"""

from __future__ import annotations

import http.client
import inspect
import json
import math
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests
from auth_helpers import PASSWORD, auth_config, make_account
from browser_helpers import serve
from conftest import X0, Y0
from expansion_helpers import write_park
from pyproj import Transformer

TO_LONLAT = Transformer.from_crs(4549, 4326, always_xy=True)
DEEP = 100_000
JSON_CAP = 64 * 1024


def lonlat_ring(points):
    """Working-CRS offsets from the park's origin → a lon/lat ring (closed by the caller's last point)."""
    return [list(TO_LONLAT.transform(X0 + x, Y0 + y)) for x, y in points]


def circle(cx, cy, radius, positions):
    """A closed polygon ring of exactly ``positions`` positions (the last repeats the first)."""
    n = positions - 1
    ring = [(cx + radius * math.cos(2 * math.pi * i / n), cy + radius * math.sin(2 * math.pi * i / n))
            for i in range(n)]
    return {"type": "Polygon", "coordinates": [lonlat_ring([*ring, ring[0]])]}


def square(x0, y0, size):
    return {"type": "Polygon", "coordinates": [lonlat_ring([(x0, y0), (x0 + size, y0), (x0 + size, y0 + size),
                                                            (x0, y0 + size), (x0, y0)])]}


def limits_app(tmp_path, **config):
    """The expansion test park served with accounts, CSRF and the given limits."""
    from app import create_app

    store = write_park(tmp_path / "expansion.gpkg")
    settings = {"MAX_JSON_BYTES": JSON_CAP, **config}
    return create_app(auth_config(store.path, tmp_path / "accounts.sqlite", **settings))


class Client:
    """A signed-in user of the loopback server, sending the CSRF token as the page script does."""

    def __init__(self, app, base: str, username: str, role: str = "viewer"):
        make_account(app, username, role)
        self.base, self.session = base, requests.Session()
        login = self.session.get(base + "/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        signed = self.session.post(base + "/login", data={"username": username, "password": PASSWORD,
                                                         "csrf_token": token}, allow_redirects=False)
        assert signed.status_code == 303
        page = self.session.get(base + "/account").text
        self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)

    def post(self, path: str, *, body: bytes | None = None, json_body=None, data=None, files=None,
             timeout: float = 60):
        headers = {"X-CSRF-Token": self.csrf, "Accept": "application/json"}
        if json_body is not None:
            body = json.dumps(json_body).encode()
        if body is not None:
            headers["Content-Type"] = "application/json"
        return self.session.post(self.base + path, data=body if body is not None else data, files=files,
                                 headers=headers, timeout=timeout)

    def get(self, path: str, timeout: float = 60):
        return self.session.get(self.base + path, headers={"Accept": "application/json"}, timeout=timeout)

    def raw(self, path: str, headers: dict, body_chunks=None, *, timeout: float = 5.0):
        """POST with exactly these headers over http.client; ``body_chunks`` None sends no body at all."""
        parts = urlsplit(self.base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.session.cookies)
        connection.putrequest("POST", path)
        for name, value in {"Cookie": cookie, "X-CSRF-Token": self.csrf, "Content-Type": "application/json",
                            "Accept": "application/json", **headers}.items():
            connection.putheader(name, value)
        connection.endheaders()
        if body_chunks is not None:
            for chunk in body_chunks:
                connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            connection.send(b"0\r\n\r\n")
        response = connection.getresponse()
        status, text, retry = response.status, response.read().decode(), response.getheader("Retry-After")
        connection.close()
        return status, text, retry


def padded(body: dict, size: int) -> bytes:
    """``body`` as compact JSON of exactly ``size`` bytes (a ``pad`` string member takes up the rest)."""
    text = json.dumps({**body, "pad": ""}, separators=(",", ":"))
    return text.replace('"pad":""', '"pad":"' + "x" * (size - len(text)) + '"').encode()


def error_message(response) -> str:
    return response.json()["error"]["message"]


# -- body caps ------------------------------------------------------------------------------------------


def test_a_json_body_of_exactly_the_cap_is_read_and_one_byte_more_is_refused_unread(tmp_path):
    app = limits_app(tmp_path)
    with serve(app) as base:
        viewer = Client(app, base, "viewer1")
        at_cap = padded({"zone": "EXP1"}, JSON_CAP)
        assert len(at_cap) == JSON_CAP
        accepted = viewer.post("/api/expansion", body=at_cap)
        assert accepted.status_code == 200, accepted.text[:300]
        assert accepted.json()["source"] == {"kind": "zone", "zone": "EXP1"}
        # One byte over, declared: the answer comes although not one byte of the body is sent
        # (a server that read the body would wait for it, and this client would time out).
        status, text, _ = viewer.raw("/api/expansion", {"Content-Length": str(JSON_CAP + 1)})
        assert status == 413
        message = json.loads(text)["error"]["message"]
        assert "65,537" in message and "65,536" in message and "0.0625 MB" in message


def test_a_chunked_body_is_capped_while_it_is_read(tmp_path):
    app = limits_app(tmp_path)
    with serve(app) as base:
        viewer = Client(app, base, "viewer1")
        chunked = {"Transfer-Encoding": "chunked"}
        at_cap = padded({"zone": "EXP1"}, JSON_CAP)
        status, text, _ = viewer.raw("/api/expansion", chunked, [at_cap[:1000], at_cap[1000:]], timeout=60)
        assert status == 200, text[:300]
        over = padded({"zone": "EXP1"}, JSON_CAP + 1)
        status, text, _ = viewer.raw("/api/expansion", chunked, [over[:1000], over[1000:]])
        assert status == 413
        assert "65,536" in json.loads(text)["error"]["message"]


def test_uploads_keep_the_upload_cap_and_the_json_cap_does_not_apply_to_them(tmp_path):
    app = limits_app(tmp_path, MAX_CONTENT_LENGTH=256 * 1024)
    with serve(app) as base:
        editor = Client(app, base, "editor1", "editor")
        # 100 KB of file: over the 64 KB JSON cap, under the 256 KB upload cap, so the import view reads it.
        upload = editor.post("/import", data={"layer": "parcels"},
                             files={"file": ("big.csv", b"parcel_id,name\n" + b"Q1,x\n" * 20_000, "text/csv")})
        assert upload.status_code != 413 and upload.status_code < 500, upload.text[:300]
        status, text, _ = editor.raw("/import", {"Content-Length": str(256 * 1024 + 1),
                                                 "Content-Type": "multipart/form-data; boundary=x"})
        assert status == 413 and "262,144" in json.loads(text)["error"]["message"]
        # A form to an editing endpoint is capped like JSON.
        status, _, _ = editor.raw("/edit/parcels/P1", {"Content-Length": str(JSON_CAP + 1),
                                                       "Content-Type": "application/x-www-form-urlencoded"})
        assert status == 413


def test_a_form_field_over_the_field_limit_inside_the_body_cap_says_so(tmp_path):
    app = limits_app(tmp_path, MAX_JSON_BYTES=4 * 1024 * 1024, MAX_FORM_MEMORY_SIZE=100_000)
    with serve(app) as base:
        editor = Client(app, base, "editor1", "editor")
        # multipart (werkzeug applies the field limit there; a urlencoded body is read whole, within the cap)
        response = editor.session.post(base + "/edit/parcels/new?lang=en", headers={"X-CSRF-Token": editor.csrf},
                                       files={"parcel_id": (None, "P9"), "notes": (None, "x" * 100_001)})
        assert response.status_code == 413
        assert "a form field is too large, or there are too many: at most 100,000 bytes per field" in response.text


def test_every_view_that_reads_files_is_an_upload_endpoint(tmp_path):
    from web.limits import UPLOAD_ENDPOINTS

    app = limits_app(tmp_path)
    reading_files = {endpoint for endpoint, view in app.view_functions.items()
                     if "request.files" in inspect.getsource(inspect.unwrap(view))}
    assert reading_files == set(UPLOAD_ENDPOINTS) == {"imports.upload"}


# -- deep JSON (§6: these were 500s) ---------------------------------------------------------------------


def deep(member: str, extra: str = "") -> bytes:
    """``{"<member>": [[[…]]] 100 000 deep<extra>}``: nesting 100 001 with the outer object."""
    return b'{"' + member.encode() + b'":' + b"[" * DEEP + b"]" * DEEP + extra.encode() + b"}"


def test_deep_json_is_a_clear_400_at_once(tmp_path):
    app = limits_app(tmp_path, MAX_JSON_BYTES=4 * 1024 * 1024)  # the default: 200 KB of brackets fits
    with serve(app) as base:
        editor = Client(app, base, "editor1", "editor")
        version = editor.get("/edit/parcels/P1?format=json").json()["version"]
        for path, body in [("/api/expansion", deep("geometry")),
                           ("/edit/parcels/P1/geometry", deep("geometry", f',"version":{version}')),
                           ("/edit/parcels/P2/split", deep("geometry", f',"version":{version}'))]:
            started = time.perf_counter()
            response = editor.post(path, body=body)
            elapsed = time.perf_counter() - started
            assert response.status_code == 400, (path, response.text[:300])
            assert "嵌套过深：100001 层，最多允许 64 层" in error_message(response), path
            assert elapsed < 1.0, (path, elapsed)
        # The same through a form field (the editor's create form posts its geometry so).
        form = editor.session.post(base + "/edit/parcels/new", headers={"X-CSRF-Token": editor.csrf},
                                   data={"parcel_id": "P9", "geometry": "[" * DEEP + "]" * DEEP})
        assert form.status_code == 400 and "嵌套过深：100000 层" in form.text
        # Views that read JSON with request.get_json() get the depth check from the provider: never a 500.
        undo = editor.post("/history/undo/NOPE", body=b"[" * DEEP + b"]" * DEEP)
        assert undo.status_code == 400 and "100000" in error_message(undo)
        assert editor.post("/history/undo/NOPE", body=b"[1]").status_code == 404


def test_depth_at_the_limit_is_parsed_and_one_more_is_refused(tmp_path):
    app = limits_app(tmp_path, JSON_MAX_DEPTH=8)
    with serve(app) as base:
        viewer = Client(app, base, "viewer1")
        # {"zone": "EXP1", "pad": [[[[[[[]]]]]]]}: the object and 7 arrays = 8 levels
        at_limit = viewer.post("/api/expansion", body=b'{"zone":"EXP1","pad":' + b"[" * 7 + b"]" * 7 + b"}")
        assert at_limit.status_code == 200
        over = viewer.post("/api/expansion", body=b'{"zone":"EXP1","pad":' + b"[" * 8 + b"]" * 8 + b"}")
        assert over.status_code == 400 and "嵌套过深：9 层，最多允许 8 层" in error_message(over)


# -- vertices and features, counted while parsing -----------------------------------------------------------


def test_expansion_vertices_at_the_limit_and_one_over(tmp_path):
    app = limits_app(tmp_path, EXPANSION_MAX_VERTICES=40)
    with serve(app) as base:
        viewer = Client(app, base, "viewer1")
        accepted = viewer.post("/api/expansion", json_body={"geometry": circle(300, 500, 150, 40)})
        assert accepted.status_code == 200, accepted.text[:300]
        refused = viewer.post("/api/expansion", json_body={"geometry": circle(300, 500, 150, 41)})
        assert refused.status_code == 400
        assert error_message(refused) == "图形至少有 41 个顶点，最多允许 40 个（请简化图形）"
        english = viewer.post("/api/expansion?lang=en", json_body={"geometry": circle(300, 500, 150, 41)})
        assert error_message(english) == "the geometry has at least 41 vertices; at most 40 are accepted (simplify it)"


def test_expansion_features_at_the_limit_and_one_over(tmp_path):
    app = limits_app(tmp_path, MAX_FEATURES=3)

    def collection(n):
        return {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": square(100 * i, 300, 80)} for i in range(n)]}

    with serve(app) as base:
        viewer = Client(app, base, "viewer1")
        accepted = viewer.post("/api/expansion", json_body={"geometry": collection(3)})
        assert accepted.status_code == 200, accepted.text[:300]
        assert accepted.json()["constraints"]["gross"]["m2"] == pytest.approx(3 * 80 * 80, rel=1e-3)
        refused = viewer.post("/api/expansion", json_body={"geometry": collection(4)})
        assert refused.status_code == 400 and error_message(refused) == "要素过多：至少 4 个，最多允许 3 个"


def test_editor_geometry_vertices_at_the_limit_and_one_over(tmp_path):
    app = limits_app(tmp_path, EDIT_MAX_VERTICES=30)
    with serve(app) as base:
        editor = Client(app, base, "editor1", "editor")
        record = editor.get("/edit/parcels/P3?format=json").json()
        over = editor.post("/edit/parcels/P3/geometry", json_body={
            "geometry": circle(50, 150, 40, 31), "version": record["version"], "fingerprint": record["fingerprint"]})
        assert over.status_code == 400 and "图形至少有 31 个顶点，最多允许 30 个" in error_message(over)
        saved = editor.post("/edit/parcels/P3/geometry", json_body={
            "geometry": circle(50, 150, 40, 30), "version": record["version"], "fingerprint": record["fingerprint"]})
        assert saved.status_code == 200, saved.text[:300]
        feature = editor.get("/api/collections/parcels/items/P3").json()
        assert len(feature["geometry"]["coordinates"][0]) == 30


# -- the analysis gate --------------------------------------------------------------------------------------


class Running:
    """Wraps the real plan_expansion: how many run at once, and who ran when."""

    def __init__(self, real):
        self.real, self.now, self.peak, self.runs = real, 0, 0, []
        self.lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        from flask import g

        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        started = time.monotonic()
        try:
            return self.real(*args, **kwargs)
        finally:
            with self.lock:
                self.now -= 1
                self.runs.append((g.user.username, started, time.monotonic()))


@pytest.fixture
def counted(monkeypatch):
    import service.park

    running = Running(service.park.plan_expansion)
    monkeypatch.setattr(service.park, "plan_expansion", running)
    return running


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def summary_times(client: Client, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        assert client.get("/api/summary").status_code == 200
        out.append(time.perf_counter() - started)


def test_six_analyses_of_one_user_run_two_at_a_time_and_others_are_not_held_up(tmp_path, counted):
    app = limits_app(tmp_path, ANALYSIS_PER_USER=2, ANALYSIS_CONCURRENT=3, ANALYSIS_WAIT_S=60)
    with serve(app) as base:
        heavy, other = Client(app, base, "heavy"), Client(app, base, "reader")
        assert other.get("/api/summary").status_code == 200  # computed once, then cached
        idle: list[float] = []
        for _ in range(20):
            started = time.perf_counter()
            other.get("/api/summary")
            idle.append(time.perf_counter() - started)
        stop, loaded = threading.Event(), []
        reader = threading.Thread(target=summary_times, args=(other, stop, loaded))
        reader.start()
        with ThreadPoolExecutor(6) as pool:
            # six different plans (5 m cells: about 0.4 s of real work each), posted at once
            futures = [pool.submit(heavy.post, "/api/expansion",
                                   json_body={"zone": "EXP1", "options": {"cell_m": 5 + 0.5 * i}}) for i in range(6)]
            time.sleep(0.3)
            own = other.post("/api/expansion", json_body={"zone": "EXP1", "options": {"cell_m": 9}})
            statuses = [f.result().status_code for f in futures]
        stop.set()
        reader.join()
    assert statuses == [200] * 6 and own.status_code == 200
    heavy_runs = [run for run in counted.runs if run[0] == "heavy"]
    assert len(heavy_runs) == 6
    # never more than two of the heavy user's at once (their starts and ends, by the analysis itself) …
    events = sorted([(s, 1) for _, s, _ in heavy_runs] + [(e, -1) for _, _, e in heavy_runs])
    at_once = max(sum(step for _, step in events[:i + 1]) for i in range(len(events)))
    assert at_once == 2
    assert counted.peak <= 3
    # … while the other user's analysis started before the heavy user's last one: it did not queue behind them
    (other_run,) = [run for run in counted.runs if run[0] == "reader"]
    assert other_run[1] < max(start for _, start, _ in heavy_runs)
    # and the other user's reads stayed fast
    assert len(loaded) >= 10
    assert p95(loaded) < max(0.5, 10 * p95(idle)), (p95(idle), p95(loaded))


def test_a_user_over_their_limit_waits_briefly_then_gets_429_with_retry_after(tmp_path, counted):
    app = limits_app(tmp_path, ANALYSIS_PER_USER=2, ANALYSIS_CONCURRENT=3, ANALYSIS_WAIT_S=0.05)
    with serve(app) as base:
        heavy = Client(app, base, "heavy")
        with ThreadPoolExecutor(6) as pool:
            responses = list(pool.map(lambda i: heavy.post("/api/expansion", json_body={
                "zone": "EXP1", "options": {"cell_m": 5 + 0.5 * i}}), range(6)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) >= 2 and set(statuses) <= {200, 429} and 429 in statuses
    assert counted.peak <= 2
    refused = next(r for r in responses if r.status_code == 429)
    assert int(refused.headers["Retry-After"]) >= 1
    assert re.fullmatch(r"您已有 2 个分析在运行（每人同时最多 2 个），请 \d+ 秒后再试", error_message(refused))


def test_a_busy_server_answers_503_with_retry_after(tmp_path, monkeypatch):
    import service.park

    release = threading.Event()
    real = service.park.plan_expansion

    def held(*args, **kwargs):
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(service.park, "plan_expansion", held)
    app = limits_app(tmp_path, ANALYSIS_PER_USER=1, ANALYSIS_CONCURRENT=1, ANALYSIS_WAIT_S=0.2)
    with serve(app) as base:
        first, second = Client(app, base, "first"), Client(app, base, "second")
        with ThreadPoolExecutor(1) as pool:
            running = pool.submit(first.post, "/api/expansion", json_body={"zone": "EXP1"})
            while app.extensions["parkatlas_analysis_gate"].running() == 0:
                time.sleep(0.01)
            busy = second.post("/api/expansion?lang=en", json_body={"zone": "EXP1", "options": {"cell_m": 25}})
            release.set()
            assert running.result().status_code == 200
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) >= 1
        assert error_message(busy).startswith("the server is busy: 1 analyses are running (at most 1 at once)")
        # the slot is free again
        assert second.post("/api/expansion", json_body={"zone": "EXP1", "options": {"cell_m": 25}}).status_code == 200


def test_an_analysis_past_its_budget_stops_between_steps(tmp_path, monkeypatch):
    import geo.scenarios

    real_land, steps = geo.scenarios.developable_land, []

    def slow_land(*args, **kwargs):
        time.sleep(0.3)
        return real_land(*args, **kwargs)

    def grid(*args, **kwargs):
        steps.append("suitability")
        return real_grid(*args, **kwargs)

    real_grid = geo.scenarios.suitability_grid
    monkeypatch.setattr(geo.scenarios, "developable_land", slow_land)
    monkeypatch.setattr(geo.scenarios, "suitability_grid", grid)
    app = limits_app(tmp_path, ANALYSIS_TIME_S=0.1, ANALYSIS_PER_USER=1, ANALYSIS_WAIT_S=0)
    with serve(app) as base:
        viewer = Client(app, base, "viewer1")
        stopped = viewer.post("/api/expansion", json_body={"zone": "EXP1"})
        assert stopped.status_code == 503
        assert stopped.json()["error"]["code"] == "AnalysisTimeout"
        assert "分析超过了 0.1 秒的时间上限，已在“suitability”步骤停止" in error_message(stopped)
        assert steps == []  # the grid was never started
        app.config["ANALYSIS_TIME_S"] = 30
        finished = viewer.post("/api/expansion", json_body={"zone": "EXP1"})  # the slot was given back
        assert finished.status_code == 200 and steps == ["suitability"]


def test_a_grid_predicted_over_the_memory_budget_is_refused_before_it_is_built(tmp_path, counted):
    # EXP1 is 1 000 m × 680 m: a 20 m grid has 50 × 34 = 1 700 cells, predicted 1 700 × 1 100 B = 1.78 MB.
    app = limits_app(tmp_path, ANALYSIS_MEMORY_MB=1.75)
    with serve(app) as base:
        viewer = Client(app, base, "viewer1")
        refused = viewer.post("/api/expansion", json_body={"zone": "EXP1"})
        assert refused.status_code == 400
        assert error_message(refused).startswith("20 米网格覆盖该范围需 1,700 个格，预计占用 1.78 MB 内存，超过 1.75 MB 的上限")
        assert counted.runs == []
        app.config["ANALYSIS_MEMORY_MB"] = 1.8
        assert viewer.post("/api/expansion", json_body={"zone": "EXP1"}).status_code == 200
