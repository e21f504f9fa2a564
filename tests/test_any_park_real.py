"""Parks built from real files nobody here made, through the import pipeline, answer every page and command.

Each park is what an office starting from one kind of register gets (shared/data/real,
SOURCE.md in each folder): a zoning map as parcels alone, petroleum mains as pipelines
alone, the Prague cadastre (plots, buildings, streets), an OSM extract (industrial
areas, buildings, roads, power lines), a brownfield register as facilities alone, the
Macau districts as zones alone. Every GET route of the app answers without a 5xx, the
pages list exactly what they could not judge, and ``analyse``, ``export`` and
``check-park`` run.
"""

from __future__ import annotations

import datetime as dt

import pytest
from real_data import REAL

from layers.io import ImportOptions, import_layer
from layers.store import GeoPackageStore
from tests.anypark_helpers import TWINS, expected_topics, get_urls, park_app, shown_topics

TODAY = dt.date(2026, 6, 30)
KOTKA = REAL / "osm_karhula_kotka" / "derived" / "karhula_kotka_etrs_tm35fin.gpkg"
PRAGUE = REAL / "momepy_bubenec_prague" / "bubenec.gpkg"

#: Park → the imports that build it: (layer, source, import options, mapping text or None).
PARKS = {
    "hsinchu_parcels": [("parcels", REAL / "tw_zoning_J0302_hsinchu_science_park" / "J0302_zoning_twd97.geojson",
                         {}, None)],
    # The Shapefile's ID column repeats: the mapping sets it aside and ids are generated.
    "kaohsiung_pipelines": [("pipelines", REAL / "kaohsiung_petroleum_pipelines" / "kh_petroleum_pipelines_twd97.shp",
                             {}, "fields:\n  ID: null\n")],
    "prague_cadastre": [("parcels", PRAGUE, {"source_layer": "plots"}, None),
                        ("buildings", PRAGUE, {"source_layer": "buildings"}, None),
                        ("roads", PRAGUE, {"source_layer": "streets"}, None)],
    "karhula_osm": [("parcels", KOTKA, {"source_layer": "industrial_landuse"}, None),
                    ("buildings", KOTKA, {"source_layer": "buildings", "accept_damaged": True}, None),
                    ("roads", KOTKA, {"source_layer": "roads"}, None),
                    ("pipelines", KOTKA, {"source_layer": "power_lines"}, None)],
    "purbeck_facilities": [("facilities", REAL / "uk_brownfield_purbeck" / "purbeck_brownfield_register.csv", {},
                            "fields:\n  SiteReference: facility_id\n  SiteNameAddress: name\n")],
    "macau_zones": [("zones", REAL / "china_admin_macau_gcj02_noprj" / "澳门特别行政区.shp", {"crs": "gcj02"}, None)],
}
#: Records each import brings (SOURCE.md; Karhula's buildings without 22 degenerate outlines, 8 exploded in two).
RECORDS = {"hsinchu_parcels": {"parcels": 142}, "kaohsiung_pipelines": {"pipelines": 59},
           "prague_cadastre": {"parcels": 407, "buildings": 144, "roads": 35},
           "karhula_osm": {"parcels": 9, "buildings": 2201, "roads": 331, "pipelines": 2},
           "purbeck_facilities": {"facilities": 10}, "macau_zones": {"zones": 8}}


@pytest.fixture(scope="module")
def real_park(tmp_path_factory):
    """Each real park imported once per module: (app, store, its layers' frames)."""
    built = {}

    def build(name: str):
        if name not in built:
            folder = tmp_path_factory.mktemp(name)
            park = folder / "park.gpkg"
            for layer, source, options, mapping in PARKS[name]:
                if mapping is not None:
                    (folder / f"{layer}.yaml").write_text(mapping, encoding="utf-8")
                    options = {**options, "mapping_path": str(folder / f"{layer}.yaml")}
                import_layer(source, layer, park=park, options=ImportOptions(today=TODAY, **options))
            store = GeoPackageStore(park)
            frames = {layer: store.load(layer) for layer, *_ in PARKS[name]}
            built[name] = (park_app(store), store, frames)
        return built[name]

    return build


@pytest.mark.parametrize("name", list(PARKS))
def test_a_park_imported_from_real_files_answers_every_route(real_park, name):
    app, store, frames = real_park(name)
    assert {layer: len(frame) for layer, frame in frames.items()} == RECORDS[name]
    client = app.test_client()
    failed = [(url, response.status_code) for _, url in get_urls(app, store, frames, variants=False)
              if (response := client.get(url)).status_code >= 500]
    assert failed == []
    held = set(RECORDS[name])
    for page, twin in [*TWINS.items(), ("/expansion", None)]:
        expected = expected_topics(page, held)
        assert sorted(shown_topics(client.get(page).get_data(as_text=True))) == sorted(expected), page
        if twin is not None:
            listed = client.get(twin).get_json()["not_judged"]
            assert {item["topic"]: {m["layer"] for m in item["missing_layers"]} for item in listed} == expected
            # The park's file holds only the layers imported: every other one is absent, not empty.
            assert {m["state"] for item in listed for m in item["missing_layers"]} <= {"absent"}


@pytest.mark.parametrize("name", list(PARKS))
def test_commands_answer_on_a_park_imported_from_real_files(real_park, tmp_path, name):
    app, _, _ = real_park(name)
    runner = app.test_cli_runner()

    def run(*args):
        with app.app_context():  # the flask command line pushes one; the test runner does not
            return runner.invoke(args=[str(a) for a in args])

    result = run("analyse", "--out", tmp_path / "analysis.gpkg")
    assert result.exit_code == 0, result.output
    parcels = RECORDS[name].get("parcels", 0)
    assert f": {parcels} parcels as of " in result.output
    if "units" not in RECORDS[name]:
        assert "could not be judged: factory vacancy — the park has no factory units layer (units)" in result.output
    for layer in RECORDS[name]:
        for suffix in (".gpkg", ".csv", ".zip"):
            dest = tmp_path / f"{layer}{suffix}"
            result = run("export", layer, dest)
            assert result.exit_code == 0 and dest.stat().st_size > 0, (layer, suffix, result.output)
    result = run("check-park", "--deep")
    assert result.exit_code == 0, result.output
