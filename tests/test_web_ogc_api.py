"""OGC API – Features Parts 1 and 2 at /api: landing page, conformance, OpenAPI, schemas, CRS, filters, HTML.

Expectations are computed by hand from the tiny park (tests/conftest.py), built
in EPSG:4549 at X0 = 636 000 m east, Y0 = 3 171 000 m north:
P1 = [0,100]×[0,100] m, P2 = [100,300]×[0,100] m, P3 = [0,100]×[100,200] m.
"""

from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pandas as pd
import pytest
from conftest import TINY_META, X0, Y0, tiny_frames
from openapi_spec_validator import validate as validate_openapi
from test_web_api import assert_error

from layers.registry import REGISTRY
from layers.store import GeoPackageStore

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"


def json_links(body: dict) -> dict[str, dict]:
    return {link["rel"]: link for link in body["links"] if link["type"] != "text/html"}


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [feature["id"] for feature in response.get_json()["features"]]


def path_of(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# -- landing page, conformance, OpenAPI ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api", "/api/"])
def test_landing_page_links_everything_a_client_starts_from(tiny_client, path):
    response = tiny_client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["title"] == "测试园区 — ParkAtlas OGC API"
    by_rel = {(link["rel"], link["type"]): link["href"] for link in body["links"]}
    assert set(by_rel) >= {("self", "application/json"), ("alternate", "text/html"), ("service-desc", OPENAPI_JSON),
                           ("service-doc", "text/html"), ("conformance", "application/json"),
                           ("data", "application/json")}
    assert urlsplit(by_rel[("data", "application/json")]).path == "/api/collections"
    assert urlsplit(by_rel[("service-desc", OPENAPI_JSON)]).path == "/api/openapi"
    for (rel, media_type), href in by_rel.items():  # every link answers, in the type it announces
        answer = tiny_client.get(path_of(href), headers={"Accept": media_type})
        assert answer.status_code == 200, (rel, href)
        assert answer.mimetype == media_type.split(";")[0], (rel, answer.mimetype)


def test_conformance_declares_core_geojson_oas30_html_and_crs(tiny_client):
    conforms = tiny_client.get("/api/conformance").get_json()["conformsTo"]
    base = "http://www.opengis.net/spec/ogcapi-features-{}/1.0/conf/{}"
    assert {base.format(1, "core"), base.format(1, "geojson"), base.format(1, "oas30"), base.format(1, "html"),
            base.format(2, "crs")} <= set(conforms)


def test_openapi_document_is_valid_and_states_the_configured_page_sizes(tiny_park):
    from app import create_app

    client = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "API_MAX_LIMIT": 50,
                         "API_DEFAULT_LIMIT": 20}).test_client()
    response = client.get("/api/openapi")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == OPENAPI_JSON
    document = json.loads(response.data)
    validate_openapi(document)  # raises on anything OpenAPI 3.0 does not allow
    limit = document["components"]["parameters"]["limit"]["schema"]
    assert (limit["maximum"], limit["default"], limit["minimum"]) == (50, 20, 1)
    assert document["servers"] == [{"url": "http://localhost/api"}]
    # Each collection's items lists its queryables, so GDAL sends attribute filters to the server.
    parameters = document["paths"]["/collections/parcels/items"]["get"]["parameters"]
    named = {p["name"]: p for p in parameters if "name" in p}
    assert set(named) == set(REGISTRY["parcels"].field_names)
    assert named["status"]["schema"]["enum"] == list(REGISTRY["parcels"].field("status").allowed_values)
    assert named["contract_date"]["schema"] == {"type": "string", "format": "date"}
    assert {"$ref": "#/components/parameters/crs"} in parameters
    crs_enum = document["components"]["parameters"]["crs"]["schema"]["enum"]
    assert crs_enum == [CRS84, EPSG.format(4326), EPSG.format(4549), EPSG.format(3857)]
    assert {f"/collections/{name}/items" for name in REGISTRY} <= set(document["paths"])
    assert "security" not in document  # no sign-in in this app


def test_service_doc_is_an_html_page_served_by_the_app_itself(tiny_client):
    response = tiny_client.get("/api/openapi?f=html&lang=en")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "GET /collections/parcels/items" in page and "Shared parameters" in page
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    external = [url for url in urls if urlsplit(url).netloc not in ("", "localhost")]
    assert external == []  # offline: no CDN, no script or stylesheet from elsewhere


def test_openapi_lists_sign_in_schemes_when_sign_in_is_required(viewer_client):
    document = json.loads(viewer_client.get("/api/openapi").data)
    validate_openapi(document)
    assert document["components"]["securitySchemes"]["basic"] == {"type": "http", "scheme": "basic"}
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


# -- collections, schemas, queryables ---------------------------------------------------------------------


def test_collection_offers_four_crs_and_links_its_schemas(tiny_client):
    body = tiny_client.get("/api/collections/parcels").get_json()
    assert body["crs"] == [CRS84, EPSG.format(4326), EPSG.format(4549), EPSG.format(3857)]
    assert body["storageCrs"] == EPSG.format(4549) and body["storageCrs"] in body["crs"]
    rels = {link["rel"]: link for link in body["links"]}
    for rel in ("describedby", "describedBy", "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/schema"):
        assert rels[rel]["type"] == "application/schema+json"
        assert tiny_client.get(path_of(rels[rel]["href"])).status_code == 200
    assert urlsplit(rels["describedBy"]["href"]).path == "/api/collections/parcels/feature-schema"
    table = tiny_client.get("/api/collections/units").get_json()
    assert "crs" not in table and "storageCrs" not in table


def test_queryables_type_each_field_from_the_registry(tiny_client):
    response = tiny_client.get("/api/collections/parcels/queryables")
    assert response.headers["Content-Type"] == "application/schema+json"
    body = response.get_json()
    jsonschema.Draft202012Validator.check_schema(body)
    fields = body["properties"]
    assert list(fields) == list(REGISTRY["parcels"].field_names)  # the registry's order
    assert fields["land_price_wan"].items() >= {"type": "number", "minimum": 0, "x-ogc-unit": "万元",
                                                "title": "土地价款", "title_zh": "土地价款",
                                                "title_en": "Land price"}.items()
    assert fields["contract_date"]["type"] == "string" and fields["contract_date"]["format"] == "date"
    assert fields["site_levelled"]["type"] == "boolean"
    assert fields["building_coef_min"]["maximum"] == 1
    assert fields["parcel_id"]["x-ogc-role"] == "id" and "nullable" not in fields["parcel_id"]
    status = fields["status"]
    assert status["type"] == "string"
    assert status["enum"] == ["planned", "approved_unsupplied", "supplied", "under_construction", "completed",
                              "operating", "reclaimed", None]  # None: the status may be empty
    assert status["oneOf"][5] == {"const": "operating", "title": "已投产", "title_zh": "已投产",
                                  "title_en": "Operating"}
    units = tiny_client.get("/api/collections/units/queryables?lang=en").get_json()["properties"]
    assert units["floor"]["type"] == "integer" and units["floor"]["title"] == "Floor"


def nullable_validator(schema: dict):
    """A validator reading ``nullable: true`` as "null is allowed too" (how the schema says a field may be empty)."""
    base = jsonschema.Draft202012Validator
    check_type = base.VALIDATORS["type"]

    def type_or_null(validator, types, instance, schema):
        if instance is None and schema.get("nullable"):
            return
        yield from check_type(validator, types, instance, schema)

    return jsonschema.validators.extend(base, {"type": type_or_null})(schema)


@pytest.mark.parametrize("layer", list(REGISTRY))
def test_every_item_validates_against_its_described_by_schema(tiny_client, layer):
    schema = tiny_client.get(f"/api/collections/{layer}/feature-schema").get_json()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = nullable_validator(schema)
    features = tiny_client.get(f"/api/collections/{layer}/items").get_json()["features"]
    for feature in features:
        errors = [error.message for error in validator.iter_errors(feature)]
        assert errors == [], (feature["id"], errors)


def test_the_described_by_schema_catches_a_value_of_the_wrong_type(tiny_client):
    validator = nullable_validator(tiny_client.get("/api/collections/parcels/feature-schema").get_json())
    feature = tiny_client.get("/api/collections/parcels/items/P1").get_json()
    for field, wrong in (("land_price_wan", "300"), ("status", "idle"), ("site_levelled", 1), ("parcel_id", None)):
        broken = {**feature, "properties": {**feature["properties"], field: wrong}}
        assert list(validator.iter_errors(broken)), field


# -- CRS -------------------------------------------------------------------------------------------------


def p1_ring(client, crs: str | None = None) -> tuple[list, str]:
    query = f"?crs={crs}" if crs else ""
    response = client.get(f"/api/collections/parcels/items/P1{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["geometry"]["coordinates"][0], response.headers["Content-Crs"]


def test_working_crs_is_northing_first_with_the_stored_coordinates(tiny_client):
    ring, content_crs = p1_ring(tiny_client, EPSG.format(4549))
    assert content_crs == f"<{EPSG.format(4549)}>"
    # shapely.box(x0, y0, x1, y1) starts at (x1, y0) and runs counter-clockwise; EPSG:4549's axes are north, east.
    assert ring == [[Y0, X0 + 100], [Y0 + 100, X0 + 100], [Y0 + 100, X0], [Y0, X0], [Y0, X0 + 100]]


def test_epsg_4326_is_crs84_with_latitude_first(tiny_client):
    lonlat, crs84 = p1_ring(tiny_client)
    latlon, epsg4326 = p1_ring(tiny_client, "EPSG:4326")
    assert crs84 == f"<{CRS84}>" and epsg4326 == f"<{EPSG.format(4326)}>"
    assert latlon == [[lat, lon] for lon, lat in lonlat]
    assert all(121.3 < lon < 121.5 and 28.6 < lat < 28.7 for lon, lat in lonlat)


def test_web_mercator_matches_the_spherical_formula(tiny_client):
    lonlat, _ = p1_ring(tiny_client)
    mercator, content_crs = p1_ring(tiny_client, EPSG.format(3857))
    assert content_crs == f"<{EPSG.format(3857)}>"
    radius = 6378137.0
    for (lon, lat), (x, y) in zip(lonlat, mercator):
        assert x == pytest.approx(radius * math.radians(lon), abs=0.01)
        assert y == pytest.approx(radius * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)), abs=0.01)


def test_items_in_a_crs_say_so_and_keep_the_crs_in_their_links(tiny_client):
    response = tiny_client.get(f"/api/collections/roads/items?crs={EPSG.format(4549)}&limit=1")
    assert response.headers["Content-Crs"] == f"<{EPSG.format(4549)}>"
    body = response.get_json()
    assert body["features"][0]["geometry"]["coordinates"] == [[Y0 - 10, X0], [Y0 - 10, X0 + 300]]  # R1, north first
    assert parse_qs(urlsplit(json_links(body)["next"]["href"]).query)["crs"] == [EPSG.format(4549)]


@pytest.mark.parametrize("value", ["EPSG:2000", "http://www.opengis.net/def/crs/EPSG/0/4490", "nonsense"])
def test_a_crs_not_offered_is_400_listing_the_offered_ones(tiny_client, value):
    response = tiny_client.get("/api/collections/parcels/items", query_string={"crs": value, "lang": "en"})
    assert_error(response, 400, "InvalidParameterValue", "crs", repr(value), CRS84, EPSG.format(4549))


def test_crs_on_a_table_is_400(tiny_client):
    response = tiny_client.get("/api/collections/units/items?crs=EPSG:4549&lang=en")
    assert_error(response, 400, "InvalidParameterValue", "'units'", "table", "crs")


def test_bbox_in_the_working_crs_is_read_northing_first(tiny_client):
    inside_p1 = f"{Y0 + 10},{X0 + 10},{Y0 + 90},{X0 + 90}"  # min north, min east, max north, max east
    working = EPSG.format(4549)
    assert ids(tiny_client.get(f"/api/collections/parcels/items?bbox={inside_p1}&bbox-crs={working}")) == ["P1"]
    east_first = f"{X0 + 10},{Y0 + 10},{X0 + 90},{Y0 + 90}"  # the same numbers in the wrong order select nothing
    assert ids(tiny_client.get(f"/api/collections/parcels/items?bbox={east_first}&bbox-crs={EPSG.format(4549)}")) == []
    across = f"{Y0 + 10},{X0 + 10},{Y0 + 90},{X0 + 190}"  # east across P1 into P2
    assert ids(tiny_client.get(f"/api/collections/parcels/items?bbox={across}&bbox-crs=EPSG:4549")) == ["P1", "P2"]


def test_bbox_in_epsg_4326_is_latitude_first_and_in_3857_easting_first(tiny_client):
    (west, south), (east, north) = [121.3911, 28.6476], [121.3919, 28.6483]  # inside P1 (its CRS84 ring, inset)
    lonlat, _ = p1_ring(tiny_client)
    assert min(p[0] for p in lonlat) < west < east < max(p[0] for p in lonlat)
    assert min(p[1] for p in lonlat) < south < north < max(p[1] for p in lonlat)
    latlon = f"{south},{west},{north},{east}"
    assert ids(tiny_client.get(f"/api/collections/parcels/items?bbox={latlon}&bbox-crs=EPSG:4326")) == ["P1"]
    radius = 6378137.0
    x0, x1 = radius * math.radians(west), radius * math.radians(east)
    y0, y1 = (radius * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) for lat in (south, north))
    assert ids(tiny_client.get(f"/api/collections/parcels/items?bbox={x0},{y0},{x1},{y1}&bbox-crs=EPSG:3857")) == ["P1"]


def test_a_six_number_bbox_selects_as_its_four_horizontal_numbers(tiny_client):
    four = ids(tiny_client.get("/api/collections/parcels/items?bbox=121.3911,28.6476,121.3919,28.6483"))
    six = ids(tiny_client.get("/api/collections/parcels/items?bbox=121.3911,28.6476,-50,121.3919,28.6483,500"))
    assert four == six == ["P1"]


def test_bbox_in_a_projected_crs_must_be_ordered(tiny_client):
    response = tiny_client.get(f"/api/collections/parcels/items?bbox={Y0 + 90},{X0},{Y0},{X0 + 90}&bbox-crs=EPSG:4549")
    assert_error(response, 400, "InvalidParameterValue", "bbox")


# -- paging, filters, sorting, time -------------------------------------------------------------------------


def test_limit_above_the_maximum_is_clamped_not_refused(tiny_park):
    from app import create_app

    client = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "API_MAX_LIMIT": 2}).test_client()
    body = client.get("/api/collections/parcels/items?limit=5").get_json()
    assert [f["id"] for f in body["features"]] == ["P1", "P2"]
    next_link = parse_qs(urlsplit(json_links(body)["next"]["href"]).query)
    assert next_link["limit"] == ["2"] and next_link["offset"] == ["2"]
    assert ids(client.get("/api/collections/parcels/items?limit=2")) == ["P1", "P2"]  # at the maximum: as asked
    assert client.get("/api/collections/parcels/items?limit=0").status_code == 400


@pytest.mark.parametrize(("query", "expected"), [
    ("status=operating", ["P1"]),
    ("status=operating&status=supplied", ["P1", "P2"]),
    ("land_price_wan=600", ["P2"]),
    ("land_price_wan=600.0", ["P2"]),
    ("contract_date=2019-05-01", ["P1"]),
    ("tenure=granted&area_name=一期", ["P1", "P2"]),
    ("tenure=granted&status=planned", []),
    ("site_levelled=true", []),  # no parcel has the flag set
    ("name=三号地块", ["P3"]),
])
def test_property_filters_select_by_typed_equality(tiny_client, query, expected):
    assert ids(tiny_client.get(f"/api/collections/parcels/items?{query}")) == expected


def test_filters_on_a_table_and_integers(tiny_client):
    assert ids(tiny_client.get("/api/collections/units/items?floor=1")) == ["U1"]
    assert ids(tiny_client.get("/api/collections/units/items?floor=2")) == []


@pytest.mark.parametrize(("query", "words"), [
    ("status=idle", ["status", "'idle'", "planned", "reclaimed"]),
    ("land_price_wan=abc", ["land_price_wan", "'abc'", "finite number"]),
    ("land_price_wan=nan", ["land_price_wan", "'nan'"]),
    ("contract_date=2019/05/01", ["contract_date", "YYYY-MM-DD"]),
    ("site_levelled=maybe", ["site_levelled", "true, false"]),
    ("nope=1", ["unknown parameter", "'nope'", "parcel_id", "sortby"]),
    ("name=", ["name", "needs a value"]),
])
def test_bad_filters_are_400_naming_the_field_value_and_what_is_allowed(tiny_client, query, words):
    response = tiny_client.get(f"/api/collections/parcels/items?lang=en&{query}")
    assert_error(response, 400, "InvalidParameterValue", *words)


def test_filter_messages_follow_the_language(tiny_client):
    zh = tiny_client.get("/api/collections/parcels/items?status=idle").get_json()["description"]
    assert zh.startswith("status 的值 'idle' 无效")
    assert "unknown parameter" in tiny_client.get("/api/collections/units/items?x=1&lang=en").get_json()["description"]


def test_floor_filter_refuses_a_fraction(tiny_client):
    response = tiny_client.get("/api/collections/units/items?floor=1.5&lang=en")
    assert_error(response, 400, "InvalidParameterValue", "floor", "'1.5'", "integer")


@pytest.mark.parametrize(("sortby", "expected"), [
    ("-land_price_wan", ["P2", "P1", "P3"]),  # 600, 300, then the empty one last
    ("%2Bland_price_wan", ["P1", "P2", "P3"]),  # "+" sent encoded
    ("+land_price_wan", ["P1", "P2", "P3"]),  # "+" that the URL turned into a space
    ("land_price_wan", ["P1", "P2", "P3"]),
    ("area_name,-parcel_id", ["P2", "P1", "P3"]),  # 一期 (P2, P1 descending) before 拓展区
    ("-contract_date", ["P2", "P1", "P3"]),
])
def test_sortby_orders_the_selection(tiny_client, sortby, expected):
    assert ids(tiny_client.get(f"/api/collections/parcels/items?sortby={sortby}")) == expected


def test_sortby_pages_keep_the_order(tiny_client):
    body = tiny_client.get("/api/collections/parcels/items?sortby=-land_price_wan&limit=1&offset=1").get_json()
    assert [f["id"] for f in body["features"]] == ["P1"]
    assert parse_qs(urlsplit(json_links(body)["next"]["href"]).query)["sortby"] == ["-land_price_wan"]
    filtered = tiny_client.get("/api/collections/parcels/items?sortby=-parcel_id&tenure=granted")
    assert ids(filtered) == ["P2", "P1"]


@pytest.mark.parametrize("sortby", ["nope", "name,name", "-geometry"])
def test_sortby_on_what_is_not_a_queryable_is_400(tiny_client, sortby):
    response = tiny_client.get(f"/api/collections/parcels/items?sortby={sortby}&lang=en")
    assert_error(response, 400, "InvalidParameterValue", "sortby")


@pytest.fixture
def life_client(tmp_path):
    """P1 added 2020-01-01; P2 added 2024-03-01 and retired 2025-01-01; P3's first day unknown."""
    from app import create_app

    frames = tiny_frames()
    parcels = frames["parcels"]
    parcels["first_added"] = pd.to_datetime(["2020-01-01", "2024-03-01", None])
    parcels["retired_on"] = pd.to_datetime([None, "2025-01-01", None])
    store = GeoPackageStore(tmp_path / "life.gpkg")
    store.save_park(frames, TINY_META)
    return create_app({"TESTING": True, "PARK_PATH": str(store.path)}).test_client()


@pytest.mark.parametrize(("datetime", "expected"), [
    ("2021-06-01", ["P1", "P3"]),
    ("2024-06-01", ["P1", "P2", "P3"]),
    ("2024-12-31T23:00:00Z", ["P1", "P2", "P3"]),
    ("2025-01-01", ["P1", "P3"]),  # retired on that day: no longer in force
    ("../2019-12-31", ["P3"]),
    ("2025-01-01/..", ["P1", "P3"]),
    ("2024-12-31/", ["P1", "P2", "P3"]),
    ("2019-01-01/2024-02-29", ["P1", "P3"]),
])
def test_datetime_selects_the_records_that_existed_then(life_client, datetime, expected):
    assert ids(life_client.get("/api/collections/parcels/items", query_string={"datetime": datetime})) == expected


@pytest.mark.parametrize("datetime", ["2025-13-01", "2025/2024", "2024-01-01/2025-01-01/2026-01-01", "..", "yesterday"])
def test_bad_datetime_is_400(life_client, datetime):
    response = life_client.get("/api/collections/parcels/items", query_string={"datetime": datetime, "lang": "en"})
    assert_error(response, 400, "InvalidParameterValue", "datetime")


# -- formats -------------------------------------------------------------------------------------------------


def test_items_as_html_in_chinese_and_english(tiny_client):
    zh = tiny_client.get("/api/collections/parcels/items?f=html&status=operating").get_data(as_text=True)
    assert "地块" in zh and "已投产" in zh and "一号地块 &lt;b&gt;" in zh and "二号地块" not in zh
    en = tiny_client.get("/api/collections/parcels/items?f=html&lang=en&limit=2").get_data(as_text=True)
    assert "Land parcels" in en and "Operating" in en and "Supplied" in en and "3 matched, showing 1–2" in en
    assert 'href="/api/collections/parcels/items?f=html&amp;lang=en&amp;limit=2&amp;offset=2"' in en


@pytest.mark.parametrize(("accept", "mimetype"), [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),  # a browser
    ("application/json", "application/json"),  # QGIS, GDAL
    ("*/*", "application/json"),  # OWSLib, curl
    ("application/geo+json, application/json", "application/json"),
])
def test_without_f_the_accept_header_decides(tiny_client, accept, mimetype):
    assert tiny_client.get("/api/collections/parcels", headers={"Accept": accept}).mimetype == mimetype


@pytest.mark.parametrize("path", ["/api", "/api/conformance", "/api/collections", "/api/collections/parcels",
                                  "/api/collections/parcels/items", "/api/collections/parcels/items/P1",
                                  "/api/collections/parcels/queryables", "/api/collections/parcels/schema",
                                  "/api/collections/parcels/feature-schema", "/api/openapi"])
def test_every_document_has_an_html_page(tiny_client, path):
    response = tiny_client.get(f"{path}?f=html&lang=en")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "OGC API home" in response.get_data(as_text=True)


def test_an_unknown_format_is_400(tiny_client):
    assert_error(tiny_client.get("/api/collections?f=xml&lang=en"), 400, "InvalidParameterValue", "f", "'xml'")


def test_one_item_refuses_an_unknown_parameter(tiny_client):
    assert_error(tiny_client.get("/api/collections/parcels/items/P1?limit=1&lang=en"), 400, "InvalidParameterValue",
                 "'limit'")


# -- anonymous visitors of public layers ---------------------------------------------------------------------


@pytest.fixture
def public_app(tiny_park, tmp_path):
    from auth_helpers import auth_config

    from app import create_app

    return create_app(auth_config(tiny_park.path, tmp_path / "accounts.sqlite", PUBLIC_LAYERS=("parcels", "roads"),
                                  PUBLIC_FIELDS="parcels:parcel_id,name,status"))


def test_anonymous_visitors_see_only_public_collections_and_fields(public_app):
    client = public_app.test_client()
    assert client.get("/api").status_code == 200
    listing = client.get("/api/collections").get_json()
    assert [c["id"] for c in listing["collections"]] == ["parcels", "roads"]
    queryables = client.get("/api/collections/parcels/queryables").get_json()["properties"]
    assert list(queryables) == ["parcel_id", "name", "status"]
    schema = client.get("/api/collections/parcels/feature-schema").get_json()
    assert list(schema["properties"]["properties"]["properties"]) == ["parcel_id", "name", "status"]
    document = json.loads(client.get("/api/openapi").data)
    listed = {path.split("/")[2] for path in document["paths"] if path.startswith("/collections/")}
    assert listed == {"parcels", "roads"}
    parameters = document["paths"]["/collections/parcels/items"]["get"]["parameters"]
    assert {p["name"] for p in parameters if "name" in p} == {"parcel_id", "name", "status"}
    assert ids(client.get("/api/collections/parcels/items?status=operating")) == ["P1"]
    items = client.get("/api/collections/parcels/items").get_json()["features"]
    assert set(items[0]["properties"]) == {"parcel_id", "name", "status"}


@pytest.mark.parametrize("query", ["land_price_wan=300", "sortby=-land_price_wan", "enterprise_id=E1"])
def test_anonymous_visitors_cannot_filter_or_sort_by_a_hidden_field(public_app, query):
    response = public_app.test_client().get(f"/api/collections/parcels/items?{query}&lang=en")
    assert response.status_code == 400
    assert "land_price_wan" not in response.get_json()["description"].split(";")[-1]  # the allowed list hides it


@pytest.mark.parametrize("path", ["/api/collections/buildings", "/api/collections/buildings/queryables",
                                  "/api/collections/buildings/items"])
def test_collections_that_are_not_public_stay_closed(public_app, path):
    response = public_app.test_client().get(path)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == 'Basic realm="ParkAtlas"'


def test_without_public_layers_the_index_asks_for_a_sign_in(auth_app):
    for path in ("/api", "/api/", "/api/conformance", "/api/openapi", "/api/collections"):
        response = auth_app.test_client().get(path)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"] == 'Basic realm="ParkAtlas"'


def test_every_layer_is_described_in_both_languages():
    """One declaration per layer carries its English and Chinese description; the Chinese one reads Chinese."""
    import re as regex

    for spec in REGISTRY.values():
        assert spec.describe("en") == spec.description and spec.description, spec.name
        assert regex.search(r"[\u4e00-\u9fff]", spec.describe("zh")), spec.name
        assert not regex.search(r"\b[a-z]+_[a-z_]+\b", spec.describe("zh")), spec.name


def test_a_collection_and_the_api_page_speak_the_ui_language(tiny_client):
    zh = tiny_client.get("/api/collections/roads?lang=zh").get_json()
    assert zh["description"] == "道路中心线；宽度为道路红线宽度。"
    en = tiny_client.get("/api/collections/roads?lang=en").get_json()
    assert en["description"] == "Road centrelines; width_m is the red-line (红线) width."
    page = tiny_client.get("/api/collections/roads?f=html&lang=zh").get_data(as_text=True)
    assert "<p>道路中心线；宽度为道路红线宽度。</p>" in page
    doc = tiny_client.get("/api/openapi?f=html&lang=zh").get_data(as_text=True)
    assert "每页要素数；超过上限按上限返回" in doc and "<td>地块：要素</td>" in doc and "(查询参数)" in doc
    assert "Features per page" not in doc
    english = tiny_client.get("/api/openapi?f=html&lang=en").get_data(as_text=True)
    assert "Features per page; more than the maximum gets the maximum." in english
    assert "<td>Land parcels: features</td>" in english and "(query)" in english
