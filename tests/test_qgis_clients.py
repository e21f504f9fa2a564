"""The desktop clients from Debian packages on what ParkAtlas writes: GDAL 3.6 and QGIS 3.22 (headless).

GDAL's validator and ``ogrinfo`` check the GeoPackages and the KML; QGIS opens the
park GeoPackage, exported files, the PostGIS park and the ``.qgz`` project, and
reports what a planner would see: which layers it lists, whether each opens, its
record count and field types, and the style it opens with (a categorised renderer
with the registry's classes and Chinese labels, the English style beside it). The
tiny park's classes are known by hand (tests/conftest.py): P1 is 100101, P2 100102,
P3 1101; R1 is a completed secondary road, R2 a branch road at the subgrade stage.
When a client is missing the tests fail saying how to install it (``make clients``).
"""

from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path

import pytest
import qgis_helpers
from conftest import TINY_META, tiny_frames
from qgis_helpers import ogrinfo, require_gdal_tools, require_qgis, run_probe, validate_gpkg

from layers.io.write import export_layer
from layers.registry import REGISTRY, get_layer

README_SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "qgis.png"
#: What the README's screenshot may weigh (it is committed).
SCREENSHOT_MAX_BYTES = 300_000
ZH_STYLE, EN_STYLE = "ParkAtlas 中文", "ParkAtlas English"
#: QGIS's names of the field types ParkAtlas writes, by registry kind.
QGIS_TYPES = {"str": "QString", "code": "QString", "float": "double", "int": "qlonglong", "bool": "bool",
              "date": "QDate"}


def labels(renderer: dict) -> list[str]:
    return [category["label"] for category in renderer["categories"]]


@pytest.fixture(scope="module")
def park_layers(tmp_path_factory):
    """What QGIS lists and opens in the tiny park's GeoPackage (read once: the tests only look)."""
    from layers.store import GeoPackageStore

    folder = tmp_path_factory.mktemp("qgis-park")
    park = GeoPackageStore(folder / "tiny.gpkg")
    park.save_park(tiny_frames(), TINY_META)
    return run_probe(folder, "datasource", park.path)["layers"]


# -- the clients are there, or the tests say how to get them -------------------------------------------------


def test_a_missing_qgis_fails_the_test_with_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(qgis_helpers, "QGIS_PYTHON", str(tmp_path / "no-python3"))
    with pytest.raises(pytest.fail.Exception) as failed:
        require_qgis()
    assert "make clients" in str(failed.value) and "python3-qgis" in str(failed.value)


def test_missing_gdal_tools_fail_the_test_with_how_to_install_them(monkeypatch, tmp_path):
    monkeypatch.setattr(qgis_helpers.shutil, "which", lambda name: None)
    monkeypatch.setattr(qgis_helpers, "VALIDATE_GPKG", str(tmp_path / "validate_gpkg.py"))
    with pytest.raises(pytest.fail.Exception) as failed:
        require_gdal_tools()
    message = str(failed.value)
    assert "ogrinfo (gdal-bin)" in message and "validate_gpkg.py" in message and "make clients" in message


# -- the park GeoPackage ----------------------------------------------------------------------------------


def test_the_park_geopackage_passes_gdals_validator(tiny_park):
    checked = validate_gpkg(tiny_park.path)
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


def test_gdal_36_opens_the_park_without_a_version_warning(tiny_park):
    listed = ogrinfo("-q", "-so", str(tiny_park.path))
    assert listed.returncode == 0
    assert "user_version" not in listed.stderr and "Warning" not in listed.stderr, listed.stderr
    names = {line.split(": ", 1)[1].split(" (")[0] for line in listed.stdout.splitlines() if ": " in line}
    assert names == {*tiny_frames(), "parkatlas_meta", "parkatlas_trust", "layer_styles"}


def test_qgis_lists_only_layers_that_open(park_layers):
    # layer_styles is QGIS's own table: it does not list it. Every table it lists opens.
    assert set(park_layers) == {*tiny_frames(), "parkatlas_meta", "parkatlas_trust"}
    assert {name: layer["valid"] for name, layer in park_layers.items()} == dict.fromkeys(park_layers, True)
    assert {name: park_layers[name]["count"] for name in tiny_frames()} == {
        name: len(frame) for name, frame in tiny_frames().items()}


def test_qgis_reads_every_field_with_its_registry_type(park_layers):
    for name in tiny_frames():
        spec = get_layer(name)
        expected = {f.name: QGIS_TYPES[f.kind] for f in spec.fields}
        got = {field: kind for field, kind in park_layers[name]["fields"].items() if field != "fid"}
        assert got == expected, name


def test_qgis_opens_each_spatial_layer_with_its_categorised_style(park_layers):
    parcels = park_layers["parcels"]["renderer"]
    assert (parcels["type"], parcels["attribute"]) == ("categorizedSymbol", "land_use")
    assert labels(parcels) == ["100101 一类工业用地", "100102 二类工业用地", "1101 物流仓储用地", "其他/未知"]
    assert [c["color"] for c in parcels["categories"]] == ["#d9bf9e", "#bb9674", "#8761d3", "#cccccc"]
    assert {c["alpha"] for c in parcels["categories"]} == {0.65}  # the registry's fill opacity
    assert sorted(parcels["feature_classes"].values()) == [["100101 一类工业用地"], ["100102 二类工业用地"],
                                                           ["1101 物流仓储用地"]]
    roads = park_layers["roads"]["renderer"]
    assert roads["attribute"] == "status"
    assert labels(roads) == ["规划", "报批", "路基", "临时路面", "建成", "其他/未知"]
    assert sorted(roads["feature_classes"].values()) == [["建成"], ["路基"]]
    # Widths by grade, in mm at 96 dpi: a branch road is 3 px = 0.79 mm, a secondary one 4 px = 1.06 mm.
    width = roads["categories"][0]["width_expression"]
    assert "\"grade\" = 'branch' THEN 0.79" in width and "\"grade\" = 'secondary' THEN 1.06" in width
    pipelines = park_layers["pipelines"]["renderer"]
    assert (pipelines["attribute"], pipelines["categories"][0]["label"], pipelines["categories"][0]["color"]) == (
        "network", "给水", "#00c8c8")  # CJJ 61 water-supply cyan
    assert list(pipelines["feature_classes"].values()) == [["给水"]]
    assert list(park_layers["facilities"]["renderer"]["feature_classes"].values()) == [["园区出入口"]]
    assert list(park_layers["buildings"]["renderer"]["feature_classes"].values()) == [["自建厂房"]]
    zones = park_layers["zones"]["renderer"]
    boundary = zones["categories"][0]
    assert (boundary["label"], boundary["alpha"], boundary["symbol_layers"]) == (
        "园区范围", 0.0, ["SimpleFill", "SimpleLine"])  # an outline only, dashed


def test_qgis_shows_chinese_aliases_and_code_labels(park_layers):
    parcels = park_layers["parcels"]
    assert parcels["aliases"]["land_price_wan"] == "土地价款 (万元)"
    assert parcels["aliases"]["parcel_id"] == "地块编号"
    assert parcels["value_maps"]["status"]["operating"] == "已投产"
    # Land use keeps its code in the file; the attribute table reads the class beside it (layers/landuse.py).
    assert parcels["value_maps"]["land_use"]["100102"] == "100102 二类工业用地"
    assert park_layers["units"]["aliases"]["area_m2"] == "面积 (m²)"  # tables get their aliases too
    assert park_layers["units"]["value_maps"]["status"]["leasable"] == "可租赁"


def test_the_english_style_is_there_beside_the_chinese_default(park_layers):
    for name in tiny_frames():
        assert list(park_layers[name]["styles"]) == [ZH_STYLE, EN_STYLE], name
    english = park_layers["roads"]["styles"][EN_STYLE]
    assert english["loaded"]
    assert labels(english["renderer"]) == ["Planned", "Approved", "Subgrade", "Temporary surface", "Completed",
                                           "Other / unknown"]
    assert english["aliases"]["width_m"] == "Red-line width (m)"
    assert park_layers["units"]["styles"][EN_STYLE]["aliases"]["unit_id"] == "Unit id"


def test_a_park_saved_again_keeps_its_styles_in_step(tiny_park, tmp_path):
    parcels = tiny_park.load("parcels")
    parcels.loc[parcels["parcel_id"] == "P3", "land_use"] = "0901"
    tiny_park.save("parcels", parcels)
    assert validate_gpkg(tiny_park.path).returncode == 0
    layer = run_probe(tmp_path, "datasource", tiny_park.path)["layers"]["parcels"]
    assert labels(layer["renderer"]) == ["0901 商业用地", "100101 一类工业用地", "100102 二类工业用地", "其他/未知"]
    assert list(layer["styles"]) == [ZH_STYLE, EN_STYLE]  # replaced, not added


# -- exports ------------------------------------------------------------------------------------------------


def test_an_exported_geopackage_validates_and_opens_styled(tiny_park, tmp_path):
    dest = tmp_path / "out" / "buildings.gpkg"
    export_layer(tiny_park.load("buildings"), get_layer("buildings"), dest, meta=tiny_park.read_meta())
    checked = validate_gpkg(dest)
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")
    layers = run_probe(tmp_path, "datasource", dest)["layers"]
    assert set(layers) == {"buildings", "parkatlas_meta", "parkatlas_trust"}
    assert all(layer["valid"] for layer in layers.values())
    buildings = layers["buildings"]
    assert (buildings["count"], buildings["renderer"]["attribute"]) == (1, "use")
    assert buildings["fields"]["floors"] == "qlonglong" and buildings["fields"]["gfa_m2"] == "double"
    assert list(buildings["renderer"]["feature_classes"].values()) == [["自建厂房"]]


def test_the_analysis_and_scenario_geopackages_validate_too(tiny_park, tmp_path):
    import geopandas as gpd
    import shapely

    from layers.analysis_io import write_analysis
    from layers.scenarios import Scenario, scenario_gpkg_bytes

    parcels = tiny_park.load("parcels")
    analysis = write_analysis(gpd.GeoDataFrame({"parcel_id": parcels["parcel_id"].astype(object),
                                                "idle_days": [1, 2, None]}, geometry=parcels.geometry),
                              tmp_path / "analysis.gpkg")
    area = gpd.GeoSeries([shapely.box(0, 0, 100, 100)], crs=4549)
    plots = gpd.GeoDataFrame({"plot_id": ["A1"]}, geometry=[shapely.box(0, 0, 50, 50)], crs=4549)
    roads = gpd.GeoDataFrame({"road_id": ["N1"]}, geometry=[shapely.LineString([(0, 0), (50, 0)])], crs=4549)
    scenario = tmp_path / "scenario.gpkg"
    scenario.write_bytes(scenario_gpkg_bytes(Scenario("s", "2026-01-01", {}, {}, {}, area, plots, roads)))
    for path in (analysis, scenario):
        checked = validate_gpkg(path)
        assert (checked.returncode, checked.stdout + checked.stderr) == (0, ""), path


def test_the_shapefile_opens_in_qgis_with_full_names_and_its_style(tiny_park, tmp_path):
    bundle = tmp_path / "parcels.zip"
    export_layer(tiny_park.load("parcels"), get_layer("parcels"), bundle, meta=tiny_park.read_meta())
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(unpacked)
    layer = run_probe(tmp_path, "layer", unpacked / "parcels.shp", "ogr")
    assert (layer["valid"], layer["count"]) == (True, 3)
    # The dBASE names are cut to 10 characters; the QML gives each its full label.
    assert layer["aliases"]["land_use_s"] == "用地分类标准"
    assert layer["aliases"]["contract_d"] == "合同签订日期"
    assert layer["renderer"]["attribute"] == "land_use"
    assert sorted(layer["renderer"]["feature_classes"].values()) == [["100101 一类工业用地"], ["100102 二类工业用地"],
                                                                     ["1101 物流仓储用地"]]
    assert layer["value_maps"]["land_use"]["1101"] == "1101 物流仓储用地"


def test_the_kml_export_is_typed_for_gdal_and_styled_for_qgis(tiny_park, tmp_path):
    dest = tmp_path / "kml" / "parcels.kml"
    parcels = tiny_park.load("parcels")
    parcels["site_levelled"] = [True, False, None]
    export_layer(parcels, get_layer("parcels"), dest, meta=tiny_park.read_meta())
    described = ogrinfo("-al", "-so", str(dest)).stdout
    for line in ("land_price_wan: Real", "site_levelled: Integer", "parcel_id: String"):
        assert line in described, described
    values = ogrinfo("-al", "-q", str(dest)).stdout
    assert "site_levelled (Integer) = 1" in values and "site_levelled (Integer) = 0" in values
    assert "land_price_wan (Real) = 300" in values
    layer = next(iter(run_probe(tmp_path, "datasource", dest)["layers"].values()))
    assert layer["renderer"]["type"] == "embeddedSymbol"  # QGIS draws the KML's own styles
    assert sorted(layer["renderer"]["feature_colors"].values()) == sorted(["#d9bf9e", "#bb9674", "#8761d3"])


def test_the_sld_download_loads_in_qgis(tiny_client, tiny_park, tmp_path):
    answer = tiny_client.get("/export/roads.sld?lang=en")
    assert answer.status_code == 200
    path = tmp_path / "roads.sld"
    path.write_bytes(answer.data)
    loaded = run_probe(tmp_path, "sld", f"{tiny_park.path}|layername=roads", path)
    assert loaded["loaded"], loaded["message"]
    assert loaded["renderer"]["rules"] == ["Planned", "Approved", "Subgrade", "Temporary surface", "Completed",
                                           "Other / unknown"]


# -- the QGIS project -------------------------------------------------------------------------------------


def test_the_project_of_a_local_park_opens_every_layer_styled_and_grouped(tiny_client, tiny_park, tmp_path):
    answer = tiny_client.get("/export/park.qgz")
    assert answer.headers["Content-Disposition"] == "attachment; filename=parkatlas-file.qgz"
    path = tmp_path / "park.qgz"
    path.write_bytes(answer.data)
    project = run_probe(tmp_path, "project", path)
    assert (project["read"], project["title"], project["crs"]) == (True, "测试园区", "EPSG:4549")
    layers = project["layers"]
    assert set(layers) == {get_layer(name).label_zh for name in tiny_frames()}
    assert all(layer["valid"] and layer["provider"] == "ogr" for layer in layers.values())
    assert layers["地块"]["source"] == f"{tiny_park.path.resolve()}|layername=parcels"
    assert layers["地块"]["count"] == 3 and layers["地块"]["renderer"]["attribute"] == "land_use"
    assert sorted(layers["道路"]["renderer"]["feature_classes"].values()) == [["建成"], ["路基"]]
    assert project["tree"] == [
        {"group": "设施与管线", "children": [{"layer": "设施"}, {"layer": "管线"}, {"layer": "道路"}]},
        {"group": "建筑", "children": [{"layer": "建筑"}]},
        {"group": "土地与管控", "children": [{"layer": "地块"}, {"layer": "范围与管控"}]},
        {"group": "属性表", "children": [{"layer": "厂房单元"}, {"layer": "企业"}]},
    ]


def test_the_api_project_reads_every_collection_from_the_api_over_the_basemap(tiny_park, tmp_path):
    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "SECRET_KEY": "test", "BASEMAP": "osm"})
    answer = app.test_client().get("/export/park.qgz?source=api&lang=en")
    path = tmp_path / "api.qgz"
    path.write_bytes(answer.data)
    project = run_probe(tmp_path, "project", path, "no")  # no server runs: the sources are not opened
    layers = project["layers"]
    spatial = [spec for spec in REGISTRY.values() if not spec.is_table]
    for spec in spatial:
        layer = layers[spec.label_en]
        assert layer["provider"] == "OAPIF"
        assert f"typename='{spec.name}'" in layer["source"] and "url='http://localhost/api'" in layer["source"]
    assert layers["OpenStreetMap"]["provider"] == "wms"
    assert "type=xyz" in layers["OpenStreetMap"]["source"] and "tile.openstreetmap.org" in layers["OpenStreetMap"][
        "source"]
    assert [group["group"] for group in project["tree"]] == ["Facilities and networks", "Buildings",
                                                             "Land and constraints", "Basemap"]


# -- PostGIS ------------------------------------------------------------------------------------------------


def test_qgis_opens_a_postgis_park_with_its_style(postgis_store, tmp_path):
    from psycopg.conninfo import conninfo_to_dict

    postgis_store.save_park(tiny_frames(), TINY_META)
    parts = conninfo_to_dict(postgis_store.url)
    keys = ("dbname", "host", "port", "user", "password")
    connection = " ".join(f"{key}='{parts[key]}'" for key in keys if key in parts)
    uri = (f"{connection} sslmode=disable key='fid' srid=4549 type=Polygon "
           f'table="{postgis_store.schema}"."parcels" (geometry)')
    layer = run_probe(tmp_path, "layer", uri, "postgres")
    assert (layer["valid"], layer["count"]) == (True, 3)
    assert layer["fields"]["contract_date"] == "QDate" and layer["fields"]["land_price_wan"] == "double"
    assert labels(layer["renderer"]) == ["100101 一类工业用地", "100102 二类工业用地", "1101 物流仓储用地", "其他/未知"]
    assert list(layer["styles"]) == [ZH_STYLE, EN_STYLE]
    assert layer["aliases"]["parcel_id"] == "地块编号"


# -- the README's screenshot ----------------------------------------------------------------------------------


def test_screenshot_of_the_demo_park_drawn_by_qgis(demo_park, tmp_path):
    """QGIS draws the demo park from the project ParkAtlas offers, legend beside it (docs/qgis.png)."""
    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(demo_park.path), "SECRET_KEY": "test"})
    project = tmp_path / "demo.qgz"
    project.write_bytes(app.test_client().get("/export/park.qgz?lang=zh").data)
    update_docs = os.environ.get("PARKATLAS_UPDATE_DOCS") == "1"
    image = README_SCREENSHOT if update_docs else tmp_path / "qgis.png"
    rendered = run_probe(tmp_path, "render", project, image, 330, 175)
    assert rendered["result"] == 0 and rendered["layers"] == ["设施", "管线", "道路", "建筑", "地块", "范围与管控"]
    data = image.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1429, 757)  # 330 × 175 mm at 110 dpi: 1429.1 × 757.9 px, cut to whole pixels
    assert 50_000 < len(data) < SCREENSHOT_MAX_BYTES  # drawn (not blank), and small enough to commit


def test_the_api_project_from_a_running_server_opens_every_layer_from_the_api_styled(tiny_park, tmp_path):
    """The project of ``source=api``, downloaded from a running server, opened by QGIS with its sources resolved:
    each layer reads its records over OAPIF and draws them with the park's categorised style."""
    import urllib.request

    from client_helpers import park_server

    with park_server(tiny_park.path, tmp_path) as (base_url, _app):
        with urllib.request.urlopen(f"{base_url}/export/park.qgz?source=api") as answer:
            (tmp_path / "api.qgz").write_bytes(answer.read())
        project = run_probe(tmp_path, "project", tmp_path / "api.qgz")
    layers = project["layers"]
    counts = {spec.label_zh: len(frame) for spec, frame in ((get_layer(n), f) for n, f in tiny_frames().items())
              if not spec.is_table}
    assert {name: (layer["valid"], layer["provider"], layer["count"]) for name, layer in layers.items()} == {
        name: (True, "OAPIF", count) for name, count in counts.items()}
    assert labels(layers["地块"]["renderer"]) == ["100101 一类工业用地", "100102 二类工业用地", "1101 物流仓储用地",
                                                "其他/未知"]
    assert sorted(layers["地块"]["renderer"]["feature_classes"].values()) == [
        ["100101 一类工业用地"], ["100102 二类工业用地"], ["1101 物流仓储用地"]]
    assert sorted(layers["道路"]["renderer"]["feature_classes"].values()) == [["建成"], ["路基"]]
