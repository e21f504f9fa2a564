"""OWSLib (from PyPI) calling the OGC API of a live server: conformance, api, collections, queryables, items, crs."""

from __future__ import annotations

import pytest
from client_helpers import credentials, park_server, write_park
from conftest import X0, Y0
from owslib.ogcapi.features import Features
from owslib.util import Authentication

from layers.registry import REGISTRY

EPSG_4549 = "http://www.opengis.net/def/crs/EPSG/0/4549"


@pytest.fixture(scope="module")
def park(tmp_path_factory):
    return write_park(tmp_path_factory.mktemp("owslib") / "tiny.gpkg")


@pytest.fixture(scope="module")
def api(park, tmp_path_factory):
    with park_server(park.path, tmp_path_factory.mktemp("owslib-server")) as (base_url, _):
        yield Features(f"{base_url}/api")


def test_conformance_and_the_openapi_document(api):
    conforms = api.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30" in conforms
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conforms
    document = api.api()
    assert document["openapi"].startswith("3.0")
    assert "/collections/parcels/items" in document["paths"]


def test_collections_and_feature_collections(api):
    listing = api.collections()
    assert [c["id"] for c in listing["collections"]] == list(REGISTRY)
    assert api.feature_collections() == [spec.name for spec in REGISTRY.values() if not spec.is_table]
    assert api.collection("parcels")["storageCrs"] == EPSG_4549


def test_collection_queryables_are_typed(api):
    fields = api.collection_queryables("parcels")["properties"]
    assert fields["contract_date"]["format"] == "date" and fields["site_levelled"]["type"] == "boolean"
    assert fields["status"]["enum"][:2] == ["planned", "approved_unsupplied"]
    schema = api.collection_schema("parcels")["properties"]
    assert schema["geometry"]["x-ogc-role"] == "primary-geometry"


def test_items_page_through_the_layer(api):
    seen, offset = [], 0
    while True:
        page = api.collection_items("parcels", limit=2, offset=offset)
        assert page["numberMatched"] == 3
        seen += [feature["id"] for feature in page["features"]]
        if not any(link["rel"] == "next" for link in page["links"]):
            break
        offset += 2
    assert seen == ["P1", "P2", "P3"]
    assert api.collection_items("parcels", bbox=[121.3911, 28.6476, 121.3919, 28.6483])["numberMatched"] == 1
    ordered = api.collection_items("parcels", sortby=("land_price_wan", "desc"))
    assert [f["id"] for f in ordered["features"]] == ["P2", "P1", "P3"]
    assert [f["id"] for f in api.collection_items("parcels", status="supplied")["features"]] == ["P2"]


def test_items_in_the_working_crs(api):
    page = api.collection_items("parcels", limit=1, crs=EPSG_4549)
    assert api.response_headers["Content-Crs"] == f"<{EPSG_4549}>"
    assert page["features"][0]["geometry"]["coordinates"][0][0] == [Y0, X0 + 100]  # northing first


def test_owslib_signs_in_with_basic_auth(park, tmp_path):
    user, password = credentials()
    with park_server(park.path, tmp_path, sign_in=True) as (base_url, _):
        with pytest.raises(RuntimeError, match="Unauthorized"):
            Features(f"{base_url}/api").conformance()
        api = Features(f"{base_url}/api", auth=Authentication(user, password))
        assert api.conformance()["conformsTo"]
        assert api.collection_items("roads", limit=5)["numberMatched"] == 2
