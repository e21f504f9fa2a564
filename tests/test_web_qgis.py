"""Style downloads, the QGIS project and TileJSON, through the app (QGIS itself reads them in test_qgis_clients.py)."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
import zipfile

import pytest
from conftest import WORKING_EPSG, X0, Y0
from pyproj import Transformer

from layers.qgis.qml import DOCTYPE

REMOTE = {"REMOTE_ADDR": "203.0.113.7"}


def categories(qml_bytes: bytes) -> list[tuple[str, str]]:
    root = ET.fromstring(qml_bytes.decode("utf-8").removeprefix(DOCTYPE))
    return [(c.get("value"), c.get("label")) for c in root.iter("category")]


def project_document(data: bytes) -> ET.Element:
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        (name,) = bundle.namelist()
        return ET.fromstring(bundle.read(name).decode("utf-8").split("\n", 1)[1])


# -- QML and SLD per layer ---------------------------------------------------------------------------------


def test_a_layers_qml_has_the_classes_of_the_park_in_the_pages_language(tiny_client):
    answer = tiny_client.get("/export/parcels.qml")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == "attachment; filename=parcels.zh.qml"
    assert categories(answer.data) == [("100101", "100101 一类工业用地"), ("100102", "100102 二类工业用地"),
                                       ("1101", "1101 物流仓储用地"), ("", "其他/未知")]
    english = tiny_client.get("/export/parcels.qml?lang=en")
    assert english.headers["Content-Disposition"] == "attachment; filename=parcels.en.qml"
    assert categories(english.data)[0] == ("100101", "100101 Class 1 industrial")


def test_a_layers_sld_is_served_as_sld(tiny_client):
    answer = tiny_client.get("/export/roads.sld")
    assert (answer.status_code, answer.mimetype) == (200, "application/vnd.ogc.sld+xml")
    root = ET.fromstring(answer.data)
    assert root.tag == "{http://www.opengis.net/sld}StyledLayerDescriptor" and root.get("version") == "1.1.0"


def test_a_table_has_a_qml_but_no_sld(tiny_client):
    assert tiny_client.get("/export/units.qml").status_code == 200
    refused = tiny_client.get("/export/units.sld")
    assert refused.status_code == 400
    assert "厂房单元是没有几何的表" in refused.get_data(as_text=True)
    english = tiny_client.get("/export/units.sld?lang=en", headers={"Accept": "application/json"})
    assert english.status_code == 400
    assert "Factory units is a table without geometry" in english.get_json()["error"]["message"]


def test_an_unknown_layers_style_is_not_found(tiny_client):
    assert tiny_client.get("/export/nothing.qml").status_code == 404
    assert tiny_client.get("/export/nothing.sld").status_code == 404


def test_the_export_page_offers_styles_the_project_and_tilejson(tiny_client):
    page = tiny_client.get("/export").get_data(as_text=True)
    assert 'href="/export/parcels.qml"' in page and 'href="/export/parcels.sld"' in page
    assert 'href="/export/units.qml"' in page and 'href="/export/units.sld"' not in page
    assert 'href="/export/park.qgz"' in page
    assert 'href="/tiles/zones,parcels,buildings,roads,pipelines,facilities.json"' in page
    overview = tiny_client.get("/").get_data(as_text=True)
    assert 'href="/export/park.qgz"' in overview
    assert 'href="/tiles/zones,parcels,buildings,roads,pipelines,facilities.json"' in overview


# -- the QGIS project ----------------------------------------------------------------------------------------


def test_a_loopback_client_gets_the_park_file_project(tiny_client, tiny_park):
    answer = tiny_client.get("/export/park.qgz")
    assert (answer.status_code, answer.mimetype) == (200, "application/x-qgis-project-zip")
    root = project_document(answer.data)
    sources = [element.text for element in root.iter("datasource")]
    assert f"{tiny_park.path.resolve()}|layername=parcels" in sources
    assert {element.text for element in root.iter("provider")} == {"ogr"}  # no basemap configured


def test_another_machine_gets_the_api_project_and_may_not_ask_for_the_file(tiny_client):
    answer = tiny_client.get("/export/park.qgz", environ_base=REMOTE)
    assert answer.headers["Content-Disposition"] == "attachment; filename=parkatlas-api.qgz"
    providers = {element.text for element in project_document(answer.data).iter("provider")}
    assert providers == {"OAPIF"}
    refused = tiny_client.get("/export/park.qgz?source=file", environ_base=REMOTE)
    assert refused.status_code == 400
    assert "园区文件在服务器上" in refused.get_data(as_text=True)


def test_an_unknown_source_is_refused_naming_the_choices(tiny_client):
    refused = tiny_client.get("/export/park.qgz?source=ftp&lang=en")
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "source=&#39;ftp&#39;" in text and "file" in text and "api" in text


def test_the_project_carries_the_configured_basemap(tiny_park):
    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "SECRET_KEY": "t", "BASEMAP": "tianditu",
                      "TIANDITU_KEY": "k&1"})
    root = project_document(app.test_client().get("/export/park.qgz?source=api").data)
    rasters = root.findall("projectlayers/maplayer[@type='raster']")
    assert [r.find("layername").text for r in rasters] == ["天地图", "天地图注记"]
    # One subdomain (QGIS's XYZ has none), the key percent-encoded twice: once in the URL, once in the URI.
    assert "https://t0.tianditu.gov.cn/vec_w/wmts%3F" in rasters[0].find("datasource").text
    assert "tk%3Dk%2526" in rasters[0].find("datasource").text


def test_a_postgis_park_has_no_file_project(postgis_store, postgis_url):
    from conftest import TINY_META, tiny_frames

    from app import create_app

    postgis_store.save_park(tiny_frames(), TINY_META)
    app = create_app({"TESTING": True, "DATABASE_URL": f"{postgis_url}?schema={postgis_store.schema}",
                      "SECRET_KEY": "t", "TILE_CACHE_PATH": "none"})
    client = app.test_client()
    assert client.get("/export/park.qgz").headers["Content-Disposition"] == "attachment; filename=parkatlas-api.qgz"
    refused = client.get("/export/park.qgz?source=file")
    assert refused.status_code == 400 and "PostGIS" in refused.get_data(as_text=True)


# -- TileJSON ------------------------------------------------------------------------------------------------


@pytest.fixture
def tile_client(tiny_park):
    from app import create_app

    # A threshold of 2 features: parcels (3) are a large layer, drawn from zoom 12; roads (2) are not.
    app = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "SECRET_KEY": "t",
                      "TILE_FEATURE_THRESHOLD": 2, "TILE_MIN_ZOOM": 12, "TILE_CACHE_PATH": "none"})
    return app.test_client()


def test_tilejson_gives_the_url_bounds_zooms_and_fields(tile_client):
    doc = tile_client.get("/tiles/zones,parcels,roads.json").get_json()
    assert doc["tilejson"] == "3.0.0" and doc["scheme"] == "xyz"
    assert doc["tiles"] == ["http://localhost/tiles/zones,parcels,roads/{z}/{x}/{y}.pbf"]
    assert (doc["minzoom"], doc["maxzoom"]) == (0, 22)
    layers = {layer["id"]: layer for layer in doc["vector_layers"]}
    assert [(name, layers[name]["minzoom"]) for name in layers] == [("zones", 0), ("parcels", 12), ("roads", 0)]
    assert layers["parcels"]["fields"] == {"parcel_id": "String", "land_use": "String", "land_use_std": "String",
                                           "_layer": "String", "_area_mu": "Number"}
    assert layers["roads"]["fields"] == {"road_id": "String", "status": "String", "grade": "String",
                                         "_layer": "String"}
    # The zone Z1 (-20 … 320, -20 … 220 m around the origin) holds every other feature: its corners give the bounds.
    to_lonlat = Transformer.from_crs(WORKING_EPSG, 4326, always_xy=True)
    xs, ys = [X0 - 20, X0 + 320, X0 - 20, X0 + 320], [Y0 - 20, Y0 - 20, Y0 + 220, Y0 + 220]
    lons, lats = to_lonlat.transform(xs, ys)
    assert doc["bounds"] == pytest.approx([min(lons), min(lats), max(lons), max(lats)], abs=1e-9)
    assert doc["center"][2] == 15


def test_tilejson_of_a_large_layer_alone_starts_at_its_zoom(tile_client):
    doc = tile_client.get("/tiles/parcels.json").get_json()
    assert (doc["minzoom"], doc["center"][2]) == (12, 15)


def test_tilejson_of_what_is_not_tiled_is_not_found(tile_client):
    assert tile_client.get("/tiles/units.json").status_code == 404
    missing = tile_client.get("/tiles/parcel_analysis.json")
    assert missing.status_code == 404 and "TileJSON" in json.dumps(missing.get_json(), ensure_ascii=False)
