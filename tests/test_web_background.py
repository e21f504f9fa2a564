"""A large park's overview figures computed in the background (``service.background``, ``web.background``).

The tiny park holds 3 parcels: with ``BACKGROUND_PARCELS`` at 2 it is "large" (the overview answers at once,
saying the figures are computing, and refreshes itself; ``/api/summary`` answers 202 ``computing: true``), at 3
it is not (the figures are computed in the request, as before).
"""

from __future__ import annotations

import re
import threading

import pytest

from service.background import Background
from web.background import background

TINY_PARCELS = 3
WAIT_S = 60


def make_app(tiny_park, threshold: int, **config):
    from app import create_app

    return create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "SECRET_KEY": "test",
                       "BACKGROUND_PARCELS": threshold, **config})


#: The page's random tokens (the CSRF token in its meta tag and forms): 40-odd random characters that hold
#: any short text, "P1" included, now and then.
RANDOM_TOKENS = re.compile(r'(name="csrf-token" content|name="csrf_token" value)="[^"]*"')


def without_random_tokens(html: str) -> str:
    return RANDOM_TOKENS.sub(r'\1=""', html)


def refresh_meta(html: str) -> list[str]:
    return re.findall(r'<meta http-equiv="refresh" content="(\d+)">', html)


def test_the_tiny_park_holds_the_parcels_the_thresholds_are_chosen_around(tiny_park):
    assert len(tiny_park.load("parcels")) == TINY_PARCELS


@pytest.mark.parametrize(("lang", "notice"), [("zh", "正在计算园区指标…"), ("en", "Computing the park&#39;s figures…")])
def test_above_the_threshold_the_overview_says_it_is_computing_then_shows_the_figures(tiny_park, lang, notice):
    app = make_app(tiny_park, TINY_PARCELS - 1, BACKGROUND_REFRESH_S=7)
    client = app.test_client()
    first = client.get(f"/?lang={lang}")
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert notice in html
    assert refresh_meta(html) == ["7"]
    assert 'data-kpi="' not in html
    assert 'id="map' in html or "folium" in html  # the map is served at once
    assert background(app).join(WAIT_S)
    second = client.get(f"/?lang={lang}").get_data(as_text=True)
    assert notice not in second
    assert refresh_meta(second) == []
    assert 'data-kpi="idle_land"' in second and 'data-kpi="parcels"' in second


def test_below_the_threshold_the_first_overview_has_the_figures(tiny_park):
    app = make_app(tiny_park, TINY_PARCELS)
    html = app.test_client().get("/?lang=zh").get_data(as_text=True)
    assert "正在计算园区指标" not in html
    assert refresh_meta(html) == []
    assert 'data-kpi="idle_land"' in html
    assert not background(app).running()


def test_the_json_twin_says_computing_then_gives_the_same_figures_as_below_the_threshold(tiny_park):
    # Its figures not filed: the second app must find them unknown (a restart serving filed figures at once is
    # tests/test_results_cache.py's).
    expected = make_app(tiny_park, TINY_PARCELS, RESULTS_CACHE_PATH="none").test_client().get("/api/summary").get_json()
    assert "computing" not in expected  # below the threshold nothing changed
    app = make_app(tiny_park, TINY_PARCELS - 1, BACKGROUND_REFRESH_S=4)
    client = app.test_client()
    first = client.get("/api/summary")
    assert first.status_code == 202
    assert first.headers["Retry-After"] == "4"
    body = first.get_json()
    assert body["computing"] is True
    assert "land_use_efficiency" not in body
    assert body["as_of"] == "2026-06-30" and body["park"]["park_name"] == "测试园区"
    assert background(app).join(WAIT_S)
    done = client.get("/api/summary")
    assert done.status_code == 200
    assert done.get_json() == {**expected, "computing": False}


def test_the_figures_are_computed_once_per_day_and_kept_by_the_park_service(tiny_park):
    app = make_app(tiny_park, TINY_PARCELS - 1)
    client = app.test_client()
    for _ in range(3):  # asked again while computing: no second computation starts
        client.get("/api/summary")
    assert background(app).join(WAIT_S)
    assert client.get("/api/summary").get_json()["computing"] is False
    # Another day is another computation.
    assert client.get("/api/summary?as_of=2026-01-01").get_json()["computing"] is True
    assert background(app).join(WAIT_S)
    assert client.get("/api/summary?as_of=2026-01-01").get_json()["computing"] is False


def test_no_more_than_max_running_computations_run_at_once():
    jobs = Background(max_running=2)
    release = threading.Event()
    assert jobs.start("day 1", lambda: release.wait(WAIT_S))
    assert jobs.start("day 2", lambda: release.wait(WAIT_S))
    ran = []
    assert not jobs.start("day 3", lambda: ran.append("day 3"))  # both slots taken: asked again later
    assert jobs.start("day 1", lambda: ran.append("again"))  # running already: counts as running
    release.set()
    assert jobs.join(WAIT_S)
    assert ran == []
    assert jobs.start("day 3", lambda: ran.append("day 3"))
    assert jobs.join(WAIT_S)
    assert ran == ["day 3"]


def test_above_the_threshold_the_background_runs_at_most_analysis_concurrent_computations(tiny_park):
    app = make_app(tiny_park, TINY_PARCELS - 1, ANALYSIS_CONCURRENT=3)
    assert background(app).max_running == 3


def test_one_thread_runs_per_key_and_a_failure_is_remembered():
    jobs = Background()
    release = threading.Event()
    calls = []

    def slow():
        calls.append("slow")
        release.wait(WAIT_S)

    jobs.start("a", slow)
    jobs.start("a", slow)  # running: not started again
    assert jobs.running()
    release.set()
    assert jobs.join(WAIT_S)
    assert calls == ["slow"]

    def broken():
        raise ValueError("rules do not validate")

    jobs.start("b", broken)
    assert jobs.join(WAIT_S)
    assert jobs.failed("b") and not jobs.failed("a")


def test_after_a_failure_in_the_background_the_request_meets_the_error(tiny_park, monkeypatch):
    """A rule override that does not validate, written after start: the background computation fails, and the
    next request computes in the request and answers 500 naming it, as any page does (not a page that refreshes
    for ever)."""
    monkeypatch.delenv("PARKATLAS_RULES", raising=False)
    app = make_app(tiny_park, TINY_PARCELS - 1)
    client = app.test_client()
    assert client.get("/api/summary").status_code == 202
    assert background(app).join(WAIT_S)
    assert client.get("/api/summary").status_code == 200
    tiny_park.path.with_suffix(".rules.yaml").write_text("idle:\n  fee_after_years: three\n", encoding="utf-8")
    assert client.get("/api/summary").status_code == 202  # new rules: computed again, in the background
    assert background(app).join(WAIT_S)
    failed = client.get("/api/summary?lang=en")
    assert failed.status_code == 500
    assert "idle.fee_after_years" in failed.get_json()["error"]["message"]
    assert "three" in failed.get_json()["error"]["message"]


@pytest.mark.parametrize("page", ["/land", "/idle", "/vacancy", "/cases", "/infrastructure", "/sites"])
def test_above_the_threshold_a_page_says_it_is_computing_then_shows_the_analysis(tiny_park, page):
    app = make_app(tiny_park, TINY_PARCELS - 1, BACKGROUND_REFRESH_S=6)
    client = app.test_client()
    first = client.get(f"{page}?lang=zh")
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert "正在计算园区指标…" in html and refresh_meta(html) == ["6"]
    assert "csrf-token" in html and "P1" not in without_random_tokens(html)  # no parcel yet
    assert background(app).join(WAIT_S)
    second = client.get(f"{page}?lang=zh").get_data(as_text=True)
    assert "正在计算园区指标" not in second and refresh_meta(second) == []


def test_above_the_threshold_the_land_twins_answer_202_until_the_analysis_is_kept(tiny_park):
    expected = make_app(tiny_park, TINY_PARCELS).test_client().get("/api/idle").get_json()
    app = make_app(tiny_park, TINY_PARCELS - 1, BACKGROUND_REFRESH_S=4)
    client = app.test_client()
    first = client.get("/api/idle")
    assert first.status_code == 202 and first.headers["Retry-After"] == "4"
    assert first.get_json() == {"computing": True, "retry_after_s": 4}
    assert client.get("/idle?format=json").status_code == 202
    assert background(app).join(WAIT_S)
    assert client.get("/api/idle").get_json() == expected


@pytest.mark.parametrize("twin", ["/api/infrastructure", "/api/sites?kind=land&area_mu=1"])
def test_above_the_threshold_the_infrastructure_and_site_twins_answer_202_then_their_results(tiny_park, twin):
    expected = make_app(tiny_park, TINY_PARCELS).test_client().get(twin).get_json()
    app = make_app(tiny_park, TINY_PARCELS - 1)
    client = app.test_client()
    assert client.get(twin).status_code == 202
    assert background(app).join(WAIT_S)
    assert client.get(twin).get_json() == expected


@pytest.mark.parametrize("download", ["/idle?format=xlsx", "/infrastructure.xlsx"])
def test_a_workbook_download_waits_for_the_analysis_in_the_request(tiny_park, download):
    app = make_app(tiny_park, TINY_PARCELS - 1)
    response = app.test_client().get(download)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert not background(app).running()


def test_the_overview_figures_computed_in_the_background_serve_the_land_pages_too(tiny_park):
    app = make_app(tiny_park, TINY_PARCELS - 1)
    client = app.test_client()
    client.get("/?lang=zh")
    assert background(app).join(WAIT_S)
    assert "正在计算园区指标" not in client.get("/idle?lang=zh").get_data(as_text=True)
    assert not background(app).running()  # nothing started again: the land analysis was kept with the figures
