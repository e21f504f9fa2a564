"""The JSON API: summary, OGC API Features collections and items, paging, and every error path."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.summary import park_summary
from layers.infra_rules import default_infra_rules
from layers.registry import REGISTRY
from layers.rules import default_rules
from layers.store import GeoPackageStore
from tests.conftest import TINY_META, tiny_frames

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: What the error may name besides its status, code and message (``web.errors.BadRequest``).
DETAILS = {"field", "value", "allowed"}


def assert_error(response, status: int, code: str, *words: str) -> dict:
    """The one JSON error shape of web/errors.py — the OGC API exception (code, description) and the app's
    ``error`` member — with the message naming ``words``."""
    assert response.status_code == status
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"code", "description", "error"}
    assert {"status", "code", "message"} <= set(body["error"]) <= {"status", "code", "message", *DETAILS}
    assert body["error"]["status"] == status
    assert body["code"] == body["error"]["code"] == code
    assert body["description"] == body["error"]["message"]
    for word in words:
        assert word in body["error"]["message"]
    return body["error"]


def query(href: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(href).query).items()}


def links(body: dict) -> dict[str, dict]:
    """The JSON links of a document by relation (the HTML renditions beside them left out)."""
    return {link["rel"]: link for link in body["links"] if link["type"] != "text/html"}


# -- summary -----------------------------------------------------------------------------------------


def test_summary_has_the_same_figures_as_the_page(tiny_client, tiny_park):
    body = tiny_client.get("/api/summary").get_json()
    # Without as_of the park is judged on its reference date (the tiny park's: 2026-06-30).
    expected = json.loads(json.dumps(park_summary(tiny_park.load_all(), as_of=dt.date(2026, 6, 30),
                                                   rules=default_rules(), infra_rules=default_infra_rules())))
    assert {key: body[key] for key in expected} == expected
    assert body["park"] == {"park_name": "测试园区", "working_epsg": 4549, "reference_date": "2026-06-30"}
    assert body["land_supply"]["supplied_mu"] == pytest.approx(45.0)
    assert body["roads"]["by_status_km"]["completed"] == pytest.approx(0.3)


def test_summary_as_of_a_day_counts_the_records_of_that_day(tiny_client):
    body = tiny_client.get("/api/summary?as_of=2026-06-30").get_json()
    assert body["as_of"] == "2026-06-30"
    assert body["parcels"]["total"] == 3
    assert tiny_client.get("/api/summary").get_json()["as_of"] == "2026-06-30"  # the park's reference date


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026/06/30", "20260630x"])
def test_summary_with_a_bad_date_is_400(tiny_client, value):
    response = tiny_client.get("/api/summary", query_string={"as_of": value})
    assert_error(response, 400, "InvalidParameterValue", "as_of", "YYYY-MM-DD", repr(value))


# -- collections -------------------------------------------------------------------------------------


def test_collections_list_every_registry_layer(tiny_client):
    body = tiny_client.get("/api/collections").get_json()
    assert [c["id"] for c in body["collections"]] == list(REGISTRY)
    by_id = {c["id"]: c for c in body["collections"]}
    assert by_id["parcels"]["title"] == "地块"
    assert (by_id["parcels"]["title_zh"], by_id["parcels"]["title_en"]) == ("地块", "Land parcels")
    assert by_id["parcels"]["itemType"] == "feature"
    assert by_id["units"]["itemType"] == "record"
    assert "extent" not in by_id["units"]
    assert links(body)["self"]["href"].endswith("/api/collections")


def test_collection_titles_follow_the_language(tiny_client):
    body = tiny_client.get("/api/collections?lang=en").get_json()
    assert body["collections"][1]["title"] == "Land parcels"


def test_collection_extent_is_a_crs84_bbox_of_the_layer(tiny_client, tiny_park):
    body = tiny_client.get("/api/collections/parcels").get_json()
    assert body["extent"]["spatial"]["crs"] == CRS84
    (bbox,) = body["extent"]["spatial"]["bbox"]
    expected = tiny_park.load("parcels").to_crs(4326).total_bounds
    assert bbox == pytest.approx(list(expected))
    assert 121.3 < bbox[0] < bbox[2] < 121.5 and 28.6 < bbox[1] < bbox[3] < 28.7
    assert body["storageCrs"].endswith("/EPSG/0/4549")
    assert links(body)["items"]["href"].endswith("/api/collections/parcels/items")
    assert links(body)["items"]["type"] == "application/geo+json"


# -- items -------------------------------------------------------------------------------------------


def test_items_are_geojson_in_degrees_with_layer_ids(tiny_client):
    response = tiny_client.get("/api/collections/parcels/items")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    body = response.get_json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == body["numberReturned"] == 3
    assert [f["id"] for f in body["features"]] == ["P1", "P2", "P3"]
    lon, lat = body["features"][0]["geometry"]["coordinates"][0][0]
    assert 121.3 < lon < 121.5 and 28.6 < lat < 28.7


def test_items_carry_iso_dates_and_nulls(tiny_client):
    features = tiny_client.get("/api/collections/parcels/items").get_json()["features"]
    p1, _, p3 = (f["properties"] for f in features)
    assert p1["contract_date"] == "2019-05-01"
    assert p1["land_price_wan"] == 300.0
    assert p1["name"] == "一号地块 <b>"
    assert p3["contract_date"] is None
    assert p3["land_price_wan"] is None
    assert p3["tenure"] is None
    assert p1["site_levelled"] is None


def test_tables_come_as_features_without_geometry(tiny_client):
    body = tiny_client.get("/api/collections/units/items").get_json()
    assert body["numberMatched"] == 1
    (feature,) = body["features"]
    assert feature == {"type": "Feature", "id": "U1", "geometry": None, "properties": feature["properties"]}
    assert feature["properties"]["floor"] == 1
    assert feature["properties"]["area_m2"] == 2000.0


def test_an_absent_layer_is_an_empty_collection(tiny_client):
    body = tiny_client.get("/api/collections/cases/items").get_json()
    assert body["numberMatched"] == 0 and body["features"] == []


@pytest.mark.parametrize(
    ("limit", "offset", "returned", "ids", "prev", "next"),
    [
        (2, 0, 2, ["P1", "P2"], None, 2),
        (2, 2, 1, ["P3"], 0, None),
        (2, 1, 2, ["P2", "P3"], 0, None),
        (1, 1, 1, ["P2"], 0, 2),
        (3, 0, 3, ["P1", "P2", "P3"], None, None),
        (5, 3, 0, [], 0, None),
        (2, 7, 0, [], 5, None),
    ],
)
def test_paging_arithmetic(tiny_client, limit, offset, returned, ids, prev, next):
    body = tiny_client.get(f"/api/collections/parcels/items?limit={limit}&offset={offset}").get_json()
    assert body["numberMatched"] == 3
    assert body["numberReturned"] == returned
    assert [f["id"] for f in body["features"]] == ids
    found = links(body)
    assert query(found["self"]["href"]) == {"limit": str(limit), "offset": str(offset)}
    assert (query(found["prev"]["href"])["offset"] if "prev" in found else None) == (
        None if prev is None else str(prev))
    assert (query(found["next"]["href"])["offset"] if "next" in found else None) == (
        None if next is None else str(next))


def test_default_limit_comes_from_configuration(tiny_park):
    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "API_DEFAULT_LIMIT": 2})
    body = app.test_client().get("/api/collections/parcels/items").get_json()
    assert body["numberReturned"] == 2
    assert query(links(body)["next"]["href"]) == {"offset": "2", "limit": "2"}


def test_bbox_selects_intersecting_features_and_is_kept_in_links(tiny_client, tiny_park):
    parcels = tiny_park.load("parcels").to_crs(4326)
    # A box around P1 only, shrunk so it does not touch P2 or P3.
    west, south, east, north = parcels.geometry.iloc[0].bounds
    inset = 0.0001
    bbox = f"{west + inset},{south + inset},{east - inset},{north - inset}"
    body = tiny_client.get(f"/api/collections/parcels/items?bbox={bbox}&limit=1").get_json()
    assert body["numberMatched"] == 1
    assert [f["id"] for f in body["features"]] == ["P1"]
    assert query(links(body)["self"]["href"])["bbox"] == bbox


def test_bbox_covering_the_park_selects_everything(tiny_client):
    body = tiny_client.get("/api/collections/roads/items?bbox=121,28,122,29").get_json()
    assert body["numberMatched"] == 2


def test_bbox_pages_through_the_matches_in_layer_order(tiny_client, tiny_park):
    # A box over the bottom row (P1 and P2), kept 10 m clear of P3 above them: two matches, one per page.
    parcels = tiny_park.load("parcels").to_crs(4326).set_index("parcel_id")
    west, south, _, north = parcels.loc["P1"].geometry.bounds
    east = parcels.loc["P2"].geometry.bounds[2]
    inset = 0.0001
    bbox = f"{west + inset},{south + inset},{east - inset},{north - inset}"
    pages = [tiny_client.get(f"/api/collections/parcels/items?bbox={bbox}&limit=1&offset={offset}").get_json()
             for offset in (0, 1, 2)]
    assert [[f["id"] for f in page["features"]] for page in pages] == [["P1"], ["P2"], []]
    assert [page["numberMatched"] for page in pages] == [2, 2, 2]
    assert "next" in links(pages[0]) and "next" not in links(pages[1])


@pytest.mark.parametrize("bbox", ["0,0,1,1", "-180,-90,-170,-80", "130,40,135,45"])
def test_bbox_elsewhere_selects_nothing(tiny_client, bbox):
    body = tiny_client.get(f"/api/collections/parcels/items?bbox={bbox}").get_json()
    assert body["numberMatched"] == 0 and body["features"] == []


def test_whole_world_bbox_selects_everything(tiny_client):
    body = tiny_client.get("/api/collections/parcels/items?bbox=-180,-90,180,90").get_json()
    assert body["numberMatched"] == 3


def test_one_item_by_id(tiny_client):
    response = tiny_client.get("/api/collections/buildings/items/B1")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    body = response.get_json()
    assert body["type"] == "Feature" and body["id"] == "B1"
    assert body["properties"]["gfa_m2"] == 4000.0
    assert links(body)["collection"]["href"].endswith("/api/collections/buildings")


def test_an_item_of_a_table(tiny_client):
    body = tiny_client.get("/api/collections/enterprises/items/E2").get_json()
    assert body["geometry"] is None and body["properties"]["name"] == "乙公司"


# -- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ("limit=abc", ["limit", "'abc'", "integer"]),
        ("limit=1.5", ["limit", "'1.5'"]),
        ("limit=0", ["limit", "at least 1", "got 0"]),
        ("limit=-1", ["limit", "got -1"]),
        ("offset=-1", ["offset", "between 0 and 1000000000", "got -1"]),
        # 2⁶³ overflowed numpy's int64 in the page arithmetic (500); the bound is the app's API_MAX_OFFSET.
        ("offset=9223372036854775808", ["offset", "between 0 and 1000000000", "got 9223372036854775808"]),
        ("offset=1000000001", ["offset", "between 0 and 1000000000", "got 1000000001"]),
        ("offset=x", ["offset", "'x'"]),
        ("bbox=1,2,3", ["bbox", "4 numbers", "or 6", "got 3"]),
        ("bbox=1,2,3,4,5", ["bbox", "4 numbers", "or 6", "got 5"]),
        ("bbox=1,2,3,4,5,6,7", ["bbox", "4 numbers", "or 6", "got 7"]),
        ("bbox=a,b,c,d", ["bbox", "'a,b,c,d'"]),
        ("bbox=", None),
        ("bbox=122,28,121,29", ["minimum must not exceed maximum"]),
        ("bbox=121,29,122,28", ["minimum must not exceed maximum"]),
        ("bbox=121,28,200,29", ["longitudes in [-180, 180]"]),
        ("bbox=121,-95,122,29", ["latitudes in [-90, 90]"]),
        ("bbox=nan,28,122,29", ["finite"]),
        ("bbox=121,28,inf,29", ["finite"]),
    ],
)
def test_bad_parameters_are_400_in_the_error_shape(tiny_client, params, words):
    response = tiny_client.get(f"/api/collections/parcels/items?lang=en&{params}")
    if words is None:  # an empty bbox is no bbox
        assert response.status_code == 200
        return
    assert_error(response, 400, "InvalidParameterValue", *words)


def test_bbox_on_a_table_is_400(tiny_client):
    response = tiny_client.get("/api/collections/units/items?bbox=121,28,122,29&lang=en")
    assert_error(response, 400, "InvalidParameterValue", "'units'", "table", "bbox")


@pytest.mark.parametrize("path", [
    "/api/collections/nope", "/api/collections/nope/items", "/api/collections/nope/items/1",
])
def test_unknown_collection_is_404_naming_the_known_ones(tiny_client, path):
    assert_error(tiny_client.get(path), 404, "NotFound", "'nope'", "parcels", "enterprise_years")


def test_unknown_item_is_404(tiny_client):
    assert_error(tiny_client.get("/api/collections/parcels/items/P9"), 404, "NotFound", "P9", "地块")


def test_unknown_api_path_is_404_in_the_error_shape(tiny_client):
    assert_error(tiny_client.get("/api/nothing-here"), 404, "NotFound")


def test_wrong_method_is_405_in_the_error_shape(tiny_client):
    assert_error(tiny_client.post("/api/collections"), 405, "MethodNotAllowed")


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory):
    from app import create_app

    store = GeoPackageStore(tmp_path_factory.mktemp("fuzz") / "tiny.gpkg")
    store.save_park(tiny_frames(), TINY_META)
    return create_app({"TESTING": True, "PARK_PATH": str(store.path)}).test_client()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    layer=st.sampled_from([*REGISTRY, "nope", "..", "%00"]),
    limit=st.one_of(st.none(), st.text(max_size=8), st.integers(-5, 20_000).map(str)),
    offset=st.one_of(st.none(), st.text(max_size=8), st.integers(-5, 20).map(str)),
    bbox=st.one_of(st.none(), st.text(max_size=20),
                   st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=6)
                   .map(lambda xs: ",".join(map(str, xs)))),
)
def test_no_query_makes_the_server_fail(fuzz_client, layer, limit, offset, bbox):
    params = {k: v for k, v in {"limit": limit, "offset": offset, "bbox": bbox}.items() if v is not None}
    response = fuzz_client.get(f"/api/collections/{layer}/items", query_string=params)
    assert response.status_code in (200, 400, 404)
    if response.status_code != 200:
        assert {"status", "code", "message"} <= set(response.get_json()["error"]) <= {"status", "code", "message",
                                                                                   *DETAILS}
