"""The overview's figures filed in the park's results cache (``layers.results_cache``, ``service.park``).

A restart on an unchanged park serves the figures without computing them — proved by a
``park_summary`` that raises in the second app, not by timing; an edit, a rules change, another
day or another code digest is another key, so they are computed (and the fresh figures differ
where the change reaches them). A damaged file, another layout, a crafted row or a folder that
cannot be written are misses: the page is 200 with the figures computed. Figures read back are
the computed ones to the last value and type, for the demo park and for parks of a few layers.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
import shutil
import sqlite3
import threading

import numpy as np
import pytest
import shapely
from anypark_helpers import build_park
from conftest import TINY_META, tiny_frames
from test_park_service import OVERRIDE
from test_service_results_carried import open_case
from test_web_background import TINY_PARCELS, WAIT_S, make_app, refresh_meta, without_random_tokens

import layers.results_cache
import service.park
from geo.summary import summary_shaped
from layers.results_cache import (
    KEYS_KEPT,
    NotDecodable,
    NotStorable,
    ResultsCacheFile,
    decode,
    encode,
    results_cache_for,
)
from layers.stores import open_store
from service.park import ParkService
from web.background import background
from web.park import park

REAL_SUMMARY = service.park.park_summary
DAY = dt.date(2026, 6, 30)  # the tiny park's reference date
OTHER_DAY = dt.date(2026, 1, 1)


def same(a: object, b: object) -> bool:
    """Equal values of the same types, all the way down (NaN equals NaN; 1 is not 1.0, nor True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


#: What differs from one drawing of a page to the next: the ids folium gives a map's elements, the scripts' nonce.
DRAWN_ANEW = re.compile(r'_[0-9a-f]{32}(?![0-9a-f])|nonce="[^"]*"')


def page_text(html: str) -> str:
    """The page without what differs from one drawing of it to the next (tokens, ids, nonces)."""
    return DRAWN_ANEW.sub("_", without_random_tokens(html))


def results_path(store):
    return store.path.with_name(store.path.name + ".results.sqlite")


@pytest.fixture
def computed(monkeypatch):
    """Days ``park_summary`` was asked for, in order (it computes as before)."""
    days = []
    monkeypatch.setattr(service.park, "park_summary", lambda *a, **k: days.append(k["as_of"]) or REAL_SUMMARY(*a, **k))
    return days


def never_computed(*_, **__):
    raise AssertionError("the figures were computed")


def filed_service(store, **options) -> ParkService:
    return ParkService(store, results_file=results_cache_for(store, None, str(store.path.parent)), **options)


# -- values: JSON that gives back what was written -------------------------------------------------------------------

EXACT = {"ints": {"zero": 0, "big": 2**63 + 1, "negative": -7}, "floats": [1.0, 0.1 + 0.2, -0.0, 1e-310, 1e308],
         "special": [math.nan, math.inf, -math.inf], "none": None, "flags": [True, False], "text": "七通一平 \"q\" $x",
         "tuple": (1, (2.5, "a"), []), "day": dt.date(2026, 6, 30), "nested": {"empty": {}, "list": [{"a": None}]}}


def test_every_kind_of_value_comes_back_equal_and_of_the_same_type():
    back = decode(encode(EXACT))
    assert same(back, EXACT)
    assert type(back["floats"][0]) is float and type(back["ints"]["zero"]) is int  # 1.0 stays a float, 0 an int
    assert type(back["tuple"]) is tuple and type(back["tuple"][2]) is list


def test_the_checker_tells_values_apart():
    assert not same(1, 1.0) and not same(1, True) and not same(0.0, -0.0) and not same((1,), [1])
    assert same(math.nan, math.nan) and not same(math.nan, 0.0) and same({"a": 1}, {"a": 1})
    assert not same({"a": 1, "b": 2}, {"b": 2, "a": 1})  # order counts: the page lists them in it


class Grade(enum.IntEnum):
    A = 1


@pytest.mark.parametrize("value", [np.float64(1.5), np.int64(3), Grade.A, dt.datetime(2026, 1, 1), {1: "a"},
                                   {"$tuple": [1]}, {"a": {3.0}}, b"bytes"])
def test_a_value_that_would_not_come_back_the_same_is_refused(value):
    with pytest.raises(NotStorable):
        encode({"figures": value})


@pytest.mark.parametrize("text", ["NaN", '{"a": Infinity}', '{"$pickle": "cos\\nsystem\\n"}', '{"$date": "tomorrow"}',
                                  '{"$tuple": 3}', '{"$float": "1.5"}', '{"$date": "2026-01-01", "x": 1}', "not json",
                                  "[" * 100_000])
def test_text_that_encode_did_not_write_is_not_decoded(text):
    with pytest.raises(NotDecodable):
        decode(text)


# -- the file ---------------------------------------------------------------------------------------------------------

def test_a_value_is_found_under_exactly_its_key_only(tmp_path):
    cache = ResultsCacheFile(tmp_path / "r.sqlite")
    assert cache.get('["summary"]') is None  # no file yet: nothing created by reading
    assert not cache.path.exists()
    assert cache.put('["summary","v1"]', {"a": 1})
    assert cache.get('["summary","v1"]') == {"a": 1}
    assert cache.get('["summary","v2"]') is None and cache.get('["summary","v1",null]') is None


def test_only_the_newest_keys_are_kept(tmp_path):
    cache = ResultsCacheFile(tmp_path / "r.sqlite", kept=3)
    for i in range(5):
        assert cache.put(f"k{i}", {"i": i})
    assert [cache.get(f"k{i}") for i in range(5)] == [None, None, {"i": 2}, {"i": 3}, {"i": 4}]
    assert cache.put("k2", {"i": 22})  # written again: the newest
    assert cache.put("k5", {"i": 5})
    assert [cache.get(f"k{i}") for i in range(6)] == [None, None, {"i": 22}, None, {"i": 4}, {"i": 5}]
    assert KEYS_KEPT == 8  # the default (a few days and the versions just before)


def test_a_damaged_file_is_a_miss_and_is_made_anew(tmp_path):
    cache = ResultsCacheFile(tmp_path / "r.sqlite")
    cache.path.write_bytes(b"garbage, not a database" * 100)
    assert cache.get("k") is None
    assert cache.put("k", {"a": 1})
    assert cache.get("k") == {"a": 1}


def test_a_damaged_file_not_named_as_a_cache_is_left_alone(tmp_path):
    cache = ResultsCacheFile(tmp_path / "notes.txt")
    cache.path.write_bytes(b"the user's notes")
    assert not cache.put("k", {"a": 1}) and cache.get("k") is None
    assert cache.path.read_bytes() == b"the user's notes"


def test_another_layout_is_a_miss_and_its_rows_are_dropped(tmp_path):
    cache = ResultsCacheFile(tmp_path / "r.sqlite")
    assert cache.put("k", {"a": 1})
    with sqlite3.connect(cache.path) as conn:
        conn.execute("UPDATE cache_meta SET value = '0' WHERE key = 'layout'")
    assert cache.get("k") is None
    assert cache.put("j", {"b": 2})
    assert cache.get("k") is None and cache.get("j") == {"b": 2}


def test_a_database_of_another_program_is_never_written(tmp_path):
    cache = ResultsCacheFile(tmp_path / "park.sqlite")
    with sqlite3.connect(cache.path) as conn:
        conn.execute("CREATE TABLE results (x)")
        conn.execute("INSERT INTO results VALUES (42)")
    assert not cache.put("k", {"a": 1}) and cache.get("k") is None
    with sqlite3.connect(cache.path) as conn:
        assert conn.execute("SELECT x FROM results").fetchall() == [(42,)]
        assert [name for (name,) in conn.execute("SELECT name FROM sqlite_master")] == ["results"]


def test_a_row_that_does_not_decode_is_a_miss(tmp_path):
    cache = ResultsCacheFile(tmp_path / "r.sqlite")
    assert cache.put("k", {"a": 1})
    for crafted in ('{"$pickle": "x"}', "not json", b"\x80\x04blob"):
        with sqlite3.connect(cache.path) as conn:
            conn.execute("UPDATE results SET value = ? WHERE key = 'k'", (crafted,))
        assert cache.get("k") is None


def test_a_folder_that_cannot_be_written_is_a_miss(tmp_path):
    (tmp_path / "file").write_text("a file where the folder would be")
    cache = ResultsCacheFile(tmp_path / "file" / "r.sqlite")
    assert not cache.put("k", {"a": 1}) and cache.get("k") is None


def test_writers_of_several_threads_share_the_file(tmp_path):
    path = tmp_path / "r.sqlite"
    written = []

    def write(writer: int) -> None:
        cache = ResultsCacheFile(path, kept=100)  # one each, as several processes have
        written.extend(cache.put(f"{writer}-{i}", {"i": i}) for i in range(10))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert written == [True] * 60
    assert all(ResultsCacheFile(path).get(f"{w}-{i}") == {"i": i} for w in range(6) for i in range(10))


def test_a_writer_held_up_by_another_gives_up_and_readers_are_not_held_up(tmp_path, monkeypatch):
    monkeypatch.setattr(layers.results_cache, "BUSY_TIMEOUT_S", 0.2)
    cache = ResultsCacheFile(tmp_path / "r.sqlite")
    assert cache.put("k", {"a": 1})
    other = sqlite3.connect(cache.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing for longer than a writer waits
    try:
        assert not cache.put("j", {"b": 2})
        assert cache.get("k") == {"a": 1}
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert cache.put("j", {"b": 2})


# -- the park service: served under exactly its key -------------------------------------------------------------------

def test_a_restart_serves_the_figures_filed_without_computing_them(tiny_park, monkeypatch, computed):
    first = filed_service(tiny_park).summary(DAY)
    assert computed == [DAY] and results_path(tiny_park).exists()
    monkeypatch.setattr(service.park, "park_summary", never_computed)
    again = filed_service(tiny_park)
    assert same(again.summary_kept(DAY), first)  # what the background path asks
    assert same(filed_service(tiny_park).summary(DAY), first)  # what a request below the threshold asks
    with pytest.raises(AssertionError, match="computed"):  # the other side: without the file it computes
        ParkService(tiny_park).summary(DAY)


def test_a_filed_summary_with_figures_not_judged_is_served_as_filed(tmp_path, monkeypatch, computed):
    # A park of pipelines alone: its land, building and road figures are None (not judged), which the stored
    # summary's check (geo.summary.summary_shaped) accepts, so a restart serves them instead of computing again.
    store, _ = build_park(tmp_path / "pipes.gpkg", ("pipelines",), "absent")
    first = filed_service(store).summary(DAY)
    assert first["land_supply"]["supplied_mu"] is None and first["roads"]["total_km"] is None
    assert first["pipelines"]["total_km"] > 0 and summary_shaped(first)
    monkeypatch.setattr(service.park, "park_summary", never_computed)
    assert same(filed_service(store).summary(DAY), first)
    assert not summary_shaped({**first, "roads": None})  # a group itself is never None


def test_another_day_is_computed(tiny_park, computed):
    filed_service(tiny_park).summary(DAY)
    restarted = filed_service(tiny_park)
    assert restarted.summary_kept(OTHER_DAY) is None
    restarted.summary(OTHER_DAY)
    assert computed == [DAY, OTHER_DAY]
    filed_service(tiny_park).summary(OTHER_DAY)  # and is then filed too
    assert computed == [DAY, OTHER_DAY]


def test_an_edit_is_computed_and_gives_the_fresh_figures(tiny_park, computed):
    before = filed_service(tiny_park).summary(DAY)
    frames = tiny_frames()
    frames["parcels"].loc[0, "geometry"] = shapely.affinity.scale(frames["parcels"].geometry.iloc[0], 2, 2)
    tiny_park.save_park(frames, TINY_META)
    after = filed_service(tiny_park).summary(DAY)
    assert computed == [DAY, DAY]
    assert after["park_area"]["parcels_mu"] != before["park_area"]["parcels_mu"]  # the old figures would be wrong
    assert same(after, ParkService(tiny_park).summary(DAY))


def test_a_rules_change_is_computed(tiny_park, computed, monkeypatch):
    monkeypatch.delenv("PARKATLAS_RULES", raising=False)
    filed_service(tiny_park).summary(DAY)
    tiny_park.path.with_name("tiny.rules.yaml").write_text(OVERRIDE, encoding="utf-8")
    filed_service(tiny_park).summary(DAY)
    assert computed == [DAY, DAY]
    filed_service(tiny_park).summary(DAY)  # the same rules again: filed
    assert computed == [DAY, DAY]


def test_another_code_digest_is_computed(tiny_park, computed, monkeypatch):
    monkeypatch.setattr(service.park, "code_digest", lambda *_: "release 1")
    filed_service(tiny_park).summary(DAY)
    filed_service(tiny_park).summary(DAY)
    assert computed == [DAY]
    monkeypatch.setattr(service.park, "code_digest", lambda *_: "release 2")
    filed_service(tiny_park).summary(DAY)
    assert computed == [DAY, DAY]


def test_a_row_of_another_shape_under_the_right_key_is_computed(tiny_park, computed):
    filed_service(tiny_park).summary(DAY)
    with sqlite3.connect(results_path(tiny_park)) as conn:
        conn.execute("""UPDATE results SET value = '{"parcels":{}}'""")
    assert filed_service(tiny_park).summary_kept(DAY) is None
    assert same(filed_service(tiny_park).summary(DAY), ParkService(tiny_park).summary(DAY))
    assert computed == [DAY, DAY, DAY]


def test_figures_carried_over_a_case_entry_are_filed_under_the_new_version(auth_app, editor_client, tiny_park,
                                                                         monkeypatch):
    """A case entry, written row by row, reads no layer of the figures: they are carried in memory to the new
    version (``service.park.carried_results``) without computing them, and filed under it once asked for."""
    open_case(editor_client)  # the first case makes the ledger's tables (a whole save); later ones are rows
    with auth_app.app_context():
        served = park()
        figures = served.summary(DAY)
        version = served.version()
        monkeypatch.setattr(service.park, "park_summary", never_computed)
        open_case(editor_client)
        assert served.version() != version
        assert served.summary(DAY) is figures  # carried, not computed
    restarted = make_app(tiny_park, TINY_PARCELS)
    with restarted.app_context():
        assert same(park().summary(DAY), figures)  # the new version's figures, filed


# -- exact, for any park ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kept", [("parcels",), ("pipelines",), ("zones", "buildings"), ()])
def test_figures_read_back_are_the_computed_ones_for_a_park_of_a_few_layers(tmp_path, kept, monkeypatch):
    store, _ = build_park(tmp_path / "some.gpkg", kept, "absent")
    fresh = ParkService(store).summary(DAY)
    filed_service(store).summary(DAY)
    monkeypatch.setattr(service.park, "park_summary", never_computed)
    assert same(filed_service(store).summary(DAY), fresh)


def test_figures_read_back_are_the_computed_ones_for_the_demo_park(demo_park, tmp_path, monkeypatch):
    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_park.path, path)
    store = open_store(path)
    day = ParkService(store).day()
    fresh = ParkService(store).summary(day)
    filed_service(store).summary(day)
    monkeypatch.setattr(service.park, "park_summary", never_computed)
    back = filed_service(store).summary(day)
    assert same(back, fresh)
    assert len(str(back)) > 2000  # the whole of them (every group), not a part


# -- the web: every page and twin agree --------------------------------------------------------------------------------

def test_after_a_restart_the_overview_and_its_twin_are_those_computed_without_the_file(tiny_park, monkeypatch):
    unfiled = make_app(tiny_park, TINY_PARCELS, RESULTS_CACHE_PATH="none").test_client()
    page, twin = unfiled.get("/?lang=en").get_data(as_text=True), unfiled.get("/api/summary").get_json()
    make_app(tiny_park, TINY_PARCELS).test_client().get("/api/summary")  # files them
    monkeypatch.setattr(service.park, "park_summary", never_computed)
    restarted = make_app(tiny_park, TINY_PARCELS).test_client()
    assert restarted.get("/api/summary").get_json() == twin
    response = restarted.get("/?lang=en")
    assert response.status_code == 200
    assert page_text(response.get_data(as_text=True)) == page_text(page)


def test_above_the_threshold_a_restart_shows_the_figures_at_once(tiny_park):
    warm = make_app(tiny_park, TINY_PARCELS - 1)
    warm.test_client().get("/")
    assert background(warm).join(WAIT_S)
    app = make_app(tiny_park, TINY_PARCELS - 1)
    html = app.test_client().get("/?lang=zh").get_data(as_text=True)
    assert "正在计算园区指标" not in html and refresh_meta(html) == []
    assert 'data-kpi="idle_land"' in html
    assert app.test_client().get("/api/summary").status_code == 200
    assert not background(app).running()  # nothing was started


def test_the_warm_up_files_the_figures(tiny_park, monkeypatch):
    from web.background import warm_up

    warm_up(make_app(tiny_park, TINY_PARCELS), say=lambda _: None).join(WAIT_S)
    monkeypatch.setattr(service.park, "park_summary", never_computed)
    assert make_app(tiny_park, TINY_PARCELS).test_client().get("/api/summary").status_code == 200


@pytest.mark.parametrize("damage", ["garbage", "layout", "shape", "unwritable"])
def test_a_damaged_or_unwritable_file_has_the_figures_computed_and_the_page_200(tiny_park, tmp_path, damage):
    path = results_path(tiny_park)
    config = {}
    if damage == "garbage":
        path.write_bytes(b"\x00garbage" * 512)
    elif damage == "unwritable":
        (tmp_path / "a file").write_text("where the folder would be")
        config["RESULTS_CACHE_PATH"] = str(tmp_path / "a file" / "results.sqlite")
    else:
        make_app(tiny_park, TINY_PARCELS).test_client().get("/api/summary")
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE cache_meta SET value = 'other'" if damage == "layout"
                         else """UPDATE results SET value = '{"parcels":{"total":"x"}}'""")
    client = make_app(tiny_park, TINY_PARCELS, **config).test_client()
    response = client.get("/?lang=zh")
    assert response.status_code == 200 and 'data-kpi="idle_land"' in response.get_data(as_text=True)
    expected = make_app(tiny_park, TINY_PARCELS, RESULTS_CACHE_PATH="none").test_client().get("/api/summary")
    assert client.get("/api/summary").get_json() == expected.get_json()
