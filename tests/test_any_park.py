"""Any park answers: every page, JSON twin, XLSX, export and command, for any subset of the layers.

The parks (``tests/anypark_helpers.py``) keep the tiny park's records in a subset of
the six spatial layers; the others are written empty or left out of the file. Each
park is built once, and:

* every one of the 2⁶ subsets is served with its missing layers half empty, half
  absent (``mixed``: over the 64 parks each layer is missing 16 times each way), and
  every page that reads the park is asked for: nothing answers 5xx, and each page and
  its JSON twin list exactly the topics they could not judge, naming each layer
  lacking and whether it is empty or absent. An absent layer loads exactly as an
  empty one (``test_absent_and_empty_layers_load_alike``), so the analyses see the
  same input either way and only the wording of the notice differs: each subset is
  served once, not once per mode, which halves the sweep;
* parks with every missing layer empty, or every one absent (nothing, everything,
  parcels alone, the networks alone, …) answer every GET route of the app: the routes
  of one layer, every export format, XLSX and English, and every command.
"""

from __future__ import annotations

import io
import re

import openpyxl
import pandas as pd
import pytest

from layers.io.write import DOWNLOADS, formats_for
from layers.registry import get_layer
from tests.anypark_helpers import (
    SPATIAL,
    TWINS,
    absent_layers,
    build_park,
    expected_topics,
    get_urls,
    holding,
    park_app,
    park_id,
    shown_messages,
    shown_topics,
    subsets,
)

EVERYTHING = SPATIAL
PARKS = [(kept, "mixed") for kept in subsets()]
#: A layer's download: /export/<layer>.<format>.
EXPORT_URL = re.compile(r"/export/(\w+)\.(\w+)(?:\?.*)?")
#: Routes whose answer does not depend on the park's layers (sign-in, accounts, the import form, saved scenarios,
#: the audit trail): asked for on the parks of ``COVERING`` only.
PARK_INDEPENDENT = {"auth.login", "auth.account", "admin.users", "imports.upload_form", "expansion.list_scenarios",
                    "expansion.compare_page", "expansion.compare_api", "expansion.export_scenario", "expansion.scenario_api",
                    "audit.log",
                    "audit.user", "audit.export", "public.map"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app of each park, built once per module and kept for every test asking for that park."""
    built = {}

    def serve(kept: tuple[str, ...], mode: str):
        key = (kept, mode)
        if key not in built:
            path = tmp_path_factory.mktemp("anypark") / "park.gpkg"
            store, frames = build_park(path, kept, mode)
            built[key] = (park_app(store), store, frames)
        return built[key]

    return serve


def test_absent_and_empty_layers_load_alike(tmp_path):
    """A layer left out of the file loads exactly as one written without records: the analyses see the same input."""
    empty, _ = build_park(tmp_path / "empty.gpkg", (), "empty")
    absent, _ = build_park(tmp_path / "absent.gpkg", (), "absent")
    assert set(absent.layer_names()) == {"parkatlas_meta"}
    for name in empty.layer_names():
        if name == "parkatlas_meta":
            continue
        written, missing = empty.load(name), absent.load(name)
        pd.testing.assert_frame_equal(written, missing, check_index_type=True)
        assert getattr(written, "crs", None) == getattr(missing, "crs", None), name


@pytest.mark.parametrize(("kept", "mode"), PARKS, ids=[park_id(*p) for p in PARKS])
def test_every_page_answers_on_any_park(served, kept, mode):
    """Every page that reads the park answers; pages and JSON twins say what they could not judge, and why."""
    app, store, frames = served(kept, mode)
    client = app.test_client()
    answers = {url: client.get(url) for endpoint, url in get_urls(app, store, frames, layer_routes=False,
                                                                  variants=False)
               if endpoint not in PARK_INDEPENDENT}
    assert [(url, r.status_code) for url, r in answers.items() if r.status_code >= 500] == []
    absent = absent_layers(kept, mode)
    for page, twin in [*TWINS.items(), ("/expansion", None)]:
        expected = expected_topics(page, holding(kept))
        html = answers[page].get_data(as_text=True)
        assert sorted(shown_topics(html)) == sorted(expected), page
        assert all(message.startswith("无法判断：") for message in shown_messages(html))
        if twin is None:
            continue
        listed = answers[twin].get_json()["not_judged"]
        assert {item["topic"]: {m["layer"] for m in item["missing_layers"]} for item in listed} == expected, twin
        # Each lacking layer says how it lacks: the park's file has it without records, or has no such layer.
        for missing in (m for item in listed for m in item["missing_layers"]):
            assert missing["state"] == ("absent" if missing["layer"] in absent else "empty"), missing


#: Parks on which every route (including those of one layer, every export format, XLSX and English) is asked for:
#: each layer with records, empty and absent, and the parks an office starts from.
COVERING = [(EVERYTHING, "empty"), ((), "empty"), ((), "absent"), (("parcels",), "empty"), (("parcels",), "absent"),
            (("roads", "pipelines"), "absent"), (("buildings",), "empty"), (("zones", "facilities"), "absent")]


@pytest.mark.parametrize(("kept", "mode"), COVERING, ids=[park_id(*p) for p in COVERING])
def test_every_route_and_format_answers(served, kept, mode):
    """Every GET route of the app, every export format of every layer, XLSX and English: no 5xx."""
    app, store, frames = served(kept, mode)
    client = app.test_client()
    answers = {url: client.get(url) for _, url in get_urls(app, store, frames)}
    assert [(url, r.status_code) for url, r in answers.items() if r.status_code >= 500] == []
    # Every layer downloads in every format its geometry can take; the others (GeoJSON or KML of a table, a 国土 TXT
    # of lines or points) answer 400 naming the formats it has.
    for url, response in answers.items():
        found = EXPORT_URL.fullmatch(url)
        if found and found[2] in DOWNLOADS:  # (its styles, .qml and .sld, are routes of their own)
            layer, fmt = found.groups()
            if fmt in formats_for(get_layer(layer)):
                assert response.status_code == 200 and response.data, url
            else:
                assert response.status_code == 400, url
    # The XLSX of each page lists what it could not judge on a sheet of its own (a new client: the sweep asked
    # for English, which the session keeps).
    for page in ("/land", "/idle", "/vacancy", "/cases"):
        book = openpyxl.load_workbook(io.BytesIO(app.test_client().get(page + "?format=xlsx").data))
        assert ("无法判断" in book.sheetnames) == bool(expected_topics(page, holding(kept))), page
        if expected_topics(page, holding(kept)):
            sheet = book["无法判断"]
            topics = [row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)]  # the code, last
            assert sorted(topics) == sorted(expected_topics(page, holding(kept))), page
    # In English too.
    for page in ("/land", "/idle", "/vacancy", "/cases", "/"):
        english = app.test_client().get(page + "?lang=en").get_data(as_text=True)
        assert sorted(shown_topics(english)) == sorted(expected_topics(page, holding(kept)))
        assert all(message.startswith("could not be judged: ") for message in shown_messages(english))


def test_a_park_of_parcels_alone_says_what_it_could_not_judge(served):
    """The park of the issue: parcels and nothing else answers every page, naming what is missing and why."""
    app, _, _ = served(("parcels",), "absent")
    client = app.test_client()
    overview = client.get("/").get_data(as_text=True)
    assert shown_messages(overview) == [
        "无法判断：标准厂房面积——园区没有建筑图层",
        "无法判断：道路里程——园区没有道路图层",
        "无法判断：管线里程——园区没有管线图层",
        "无法判断：厂房空置——园区没有厂房单元图层",
        "无法判断：七通一平（配套）——园区没有道路图层；园区没有管线图层",
    ]
    # The figures that could be judged are there: 3 parcels, 2 supplied, 45 亩 of land supplied.
    assert re.search(r'data-kpi="parcels">.*?3.*?已供 2 宗', overview, re.DOTALL)
    english = client.get("/vacancy?lang=en").get_data(as_text=True)
    assert shown_messages(english) == ["could not be judged: factory vacancy — the park has no factory units layer (units)"]
    summary = client.get("/api/summary").get_json()
    assert summary["land_supply"]["supplied_mu"] == pytest.approx(45.0)
    assert summary["land_use_efficiency"]["vacancy_rate"] is None  # no units: not judged (null, not NaN or 0)
    assert [item["topic"] for item in summary["not_judged"]] == ["factory_space", "roads", "pipelines", "vacancy",
                                                                  "readiness"]


def test_an_empty_layer_is_told_from_an_absent_one(served):
    app, _, _ = served(("parcels",), "empty")
    page = app.test_client().get("/vacancy").get_data(as_text=True)
    assert shown_messages(page) == ["无法判断：厂房空置——厂房单元图层没有记录"]
    english = app.test_client().get("/vacancy?lang=en").get_data(as_text=True)
    assert shown_messages(english) == ["could not be judged: factory vacancy — the factory units layer (units) "
                                       "holds no records"]


def test_a_complete_park_shows_no_notice(served):
    app, _, _ = served(EVERYTHING, "empty")
    client = app.test_client()
    for page in ("/", "/land", "/idle", "/vacancy", "/cases", "/infrastructure", "/expansion", "/sites?kind=land"):
        assert 'class="not-judged"' not in client.get(page).get_data(as_text=True), page


# -- commands ---------------------------------------------------------------------------------------------

COMMAND_PARKS = [((), "absent"), ((), "empty"), (("parcels",), "absent"), (("roads", "pipelines"), "empty"),
                 (EVERYTHING, "empty")]


@pytest.mark.parametrize(("kept", "mode"), COMMAND_PARKS, ids=[park_id(*p) for p in COMMAND_PARKS])
def test_commands_answer_on_any_park(served, tmp_path, kept, mode):
    """``analyse`` (every output format), ``export`` (every layer and format), ``check-park``, ``backup``,
    ``copy-park`` and ``seed-tiles``."""
    from layers.io.write import DOWNLOADS
    from layers.registry import REGISTRY

    app, store, _ = served(kept, mode)
    runner = app.test_cli_runner()

    def run(*args):
        with app.app_context():  # the flask command line pushes one; the test runner does not
            return runner.invoke(args=[str(a) for a in args])

    for suffix in (".csv", ".geojson", ".xlsx", ".gpkg"):
        result = run("analyse", "--out", tmp_path / f"analysis{suffix}")
        assert result.exit_code == 0, result.output
        assert (tmp_path / f"analysis{suffix}").stat().st_size > 0
    lines = [line for line in result.output.splitlines() if line.startswith("could not be judged: ")]
    vacancy = {"absent": "could not be judged: factory vacancy — the park has no factory units layer (units)",
               "empty": "could not be judged: factory vacancy — the factory units layer (units) holds no records"}
    assert (vacancy[mode] in lines) == ("units" not in holding(kept))
    assert (lines == []) == (kept == EVERYTHING)
    # Every layer in one format and two layers (a spatial one, a table) in every format: the command writes what
    # the web downloads (swept above for every layer and format).
    exports = {(name, "gpkg") for name in REGISTRY} | {(name, fmt) for name in ("parcels", "units") for fmt in formats_for(REGISTRY[name])}
    for name, fmt in sorted(exports):
        dest = tmp_path / f"{name}{DOWNLOADS[fmt]}"
        result = run("export", name, dest)
        assert result.exit_code == 0 and dest.stat().st_size > 0, (name, fmt, result.output)
    for args in (["check-park"], ["check-park", "--deep"], ["backup", tmp_path / "backup.gpkg"],
                 ["copy-park", store.path, tmp_path / "copy.gpkg"], ["seed-tiles", "--zooms", "15"]):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
    # The copy and the backup are parks of the same layers: present, empty and absent alike.
    from layers.store import GeoPackageStore

    for copy in ("backup.gpkg", "copy.gpkg"):
        assert set(GeoPackageStore(tmp_path / copy).layer_names()) >= set(store.layer_names()) - {"parkatlas_meta"}


def _card_values(page: str) -> dict[str, str]:
    return {key: value.split("<")[0] for key, value in
            re.findall(r'data-kpi="(\w+)">\s*<h2[^>]*>.*?</h2>\s*<p class="kpi-value">(.*?)</p>', page, re.DOTALL)}


def test_the_infrastructure_cards_dash_what_the_park_cannot_judge(served):
    """Parcels alone: no card of roads or pipelines says 0 (no road access for all 3 parcels, 0 km, 0 conflicts);
    they say – and 无法判断, as the notices explain. The whole park shows its figures."""
    alone = served(("parcels",), "absent")[0].test_client().get("/infrastructure").get_data(as_text=True)
    assert _card_values(alone) == {key: "–" for key in ("ready", "road", "no_access", "conflicts", "road_km",
                                                        "pipe_km")}
    assert alone.count('<p class="kpi-detail">无法判断</p>') == 6
    networks = served(("roads", "pipelines"), "absent")[0].test_client().get("/infrastructure").get_data(as_text=True)
    values = _card_values(networks)
    assert values["ready"] == values["road"] == values["no_access"] == "–"  # no parcels to judge
    assert values["road_km"] != "–" and values["pipe_km"] != "–" and values["conflicts"] == "0"
    whole = served(EVERYTHING, "absent")[0].test_client().get("/infrastructure").get_data(as_text=True)
    assert "–" not in _card_values(whole).values()
