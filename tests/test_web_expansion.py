"""The expansion page, its JSON twin, posted areas (and every way they are refused), scenarios and exports."""

from __future__ import annotations

import io
import json

import openpyxl
import pandas as pd
import pytest
from conftest import X0, Y0
from expansion_helpers import FARMLAND_M2, GROSS_M2, NET_M2, expansion_app, expansion_client  # noqa: F401
from pyproj import Transformer

from geo.units import M2_PER_MU

TO_LONLAT = Transformer.from_crs(4549, 4326, always_xy=True)


def lonlat_ring(x0, y0, x1, y1):
    """A closed lon/lat ring of the local box (x0, y0)–(x1, y1)."""
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    return [list(TO_LONLAT.transform(X0 + x, Y0 + y)) for x, y in corners]


def test_page_has_the_draw_tool_and_the_zone_result(expansion_client):
    response = expansion_client.get("/expansion")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "/static/vendor/node_modules/leaflet-draw/dist/leaflet.draw.js" in page
    assert "/static/js/expansion.js" in page
    assert 'id="expansion-initial"' in page
    assert "拓展区规划" in page
    # the embedded first result is the zone's plan
    start = page.index('id="expansion-initial">') + len('id="expansion-initial">')
    initial = json.loads(page[start:page.index("</script>", start)])
    assert initial["constraints"]["net"]["m2"] == pytest.approx(NET_M2, rel=1e-6)
    assert "<script>alert" not in page


def test_json_twin_of_a_zone(expansion_client):
    data = expansion_client.get("/api/expansion?zone=EXP1").get_json()
    c = data["constraints"]
    assert c["gross"]["m2"] == pytest.approx(GROSS_M2, rel=1e-6)
    assert c["gross"]["mu"] == pytest.approx(GROSS_M2 / M2_PER_MU, abs=0.01)
    farmland = next(row for row in c["excluded"] if row["constraint"] == "basic_farmland")
    assert farmland["excluded"]["m2"] == pytest.approx(FARMLAND_M2, rel=1e-6)
    assert c["net"]["m2"] == pytest.approx(NET_M2, rel=1e-6)
    assert c["net"]["km2"] == pytest.approx(0.62)
    assert any("urban_dev_boundary" in w for w in c["warnings"])
    assert data["source"] == {"kind": "zone", "zone": "EXP1"}
    assert data["figures"]["net_mu"] == pytest.approx(930.0)
    keys = [layer["key"] for layer in data["layers"]]
    assert keys == ["exp_suitability", "exp_excluded", "exp_soft", "exp_net", "exp_plots", "exp_leftovers",
                    "exp_new_roads", "exp_needs"]
    plots = next(layer for layer in data["layers"] if layer["key"] == "exp_plots")
    assert plots["count"] == data["figures"]["plots"] == len(plots["data"]["features"])
    assert data["suitability"]["cell_m"] == 20
    assert sum(h["cells"] for h in data["suitability"]["histogram"]) == data["suitability"]["scored_cells"]


def test_options_change_the_plan(expansion_client):
    base = expansion_client.get("/api/expansion?zone=EXP1").get_json()
    coarse = expansion_client.get("/api/expansion?zone=EXP1&cell_m=50&targets_mu=50&industry=logistics").get_json()
    assert coarse["suitability"]["cell_m"] == 50
    assert coarse["options"]["targets_mu"] == [50.0]
    assert coarse["infrastructure"]["industry"] == "logistics"
    assert coarse["suitability"]["scored_cells"] < base["suitability"]["scored_cells"]


def test_a_posted_drawing_is_planned(expansion_client):
    geometry = {"type": "Polygon", "coordinates": [lonlat_ring(0, 300, 500, 700)]}
    response = expansion_client.post("/api/expansion", json={"geometry": geometry, "options": {"cell_m": 25}})
    assert response.status_code == 200
    data = response.get_json()
    assert data["source"] == {"kind": "drawn"}
    # 500 m × 400 m drawn in lon/lat and brought back to the working CRS: within a few m² of 200 000 m²
    assert data["constraints"]["gross"]["m2"] == pytest.approx(200_000, rel=1e-4)
    assert data["constraints"]["net"]["m2"] == pytest.approx(200_000, rel=1e-4)


def test_a_feature_collection_upload_is_accepted(expansion_client):
    upload = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
                                                            "coordinates": [lonlat_ring(600, 600, 800, 900)]}}]}
    data = expansion_client.post("/api/expansion", json={"geometry": upload}).get_json()
    assert data["constraints"]["net"]["m2"] == pytest.approx(0, abs=1)  # all of it is farmland


def many_vertices(n):
    import math

    ring = [list(TO_LONLAT.transform(X0 + 300 + 200 * math.cos(2 * math.pi * i / n),
                                     Y0 + 500 + 200 * math.sin(2 * math.pi * i / n))) for i in range(n)]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "请求体必须是 JSON 对象"),
        ({"geometry": {"type": "Point", "coordinates": [121.4, 28.66]}}, "must be a Polygon or MultiPolygon, got Point"),
        ({"geometry": {"type": "Polygon", "coordinates": "nonsense"}}, "geometry is not valid GeoJSON"),
        ({"geometry": {"coordinates": []}}, "GeoJSON object with a 'type'"),
        ({"geometry": {"type": "FeatureCollection", "features": []}}, "has no features"),
        # 5001 points and the closing one, counted while parsing; the Chinese UI reads Chinese
        ({"geometry": many_vertices(5001)}, "图形至少有 5002 个顶点，最多允许 5000 个"),
        ({"geometry": {"type": "Polygon", "coordinates": [[[10, 50], [10.1, 50], [10.1, 50.1], [10, 50]]]}},
         "outside the park's coordinate system"),
        ({"geometry": {"type": "Polygon", "coordinates": [[[121.0, 28.0], [121.4, 28.0], [121.4, 28.4],
                                                          [121.0, 28.4], [121.0, 28.0]]]}},
         "at most 50 km² can be planned"),
        ({"zone": "NOPE"}, "zone must be an expansion area of the park (EXP1), got 'NOPE'"),
        ({"zone": "EXP1", "options": {"cell_m": 0}}, "cell_m 必须是 5 至 500 之间的数，收到 0"),
        ({"zone": "EXP1", "options": {"layout": "spiral"}}, "layout 必须是 grid, planned_roads 之一，收到 'spiral'"),
        ({"zone": "EXP1", "options": {"industry": "mining"}}, "industry 必须是 general"),
        ({"zone": "EXP1", "options": {"targets_mu": "abc"}}, "targets_mu 必须是"),
        ({"zone": "EXP1", "options": {"colour": "red"}}, "options 必须是 cell_m, industry, layout, spacing_m, targets_mu, width_m 之一，收到 'colour'"),
        ({"zone": "EXP1", "options": {"spacing_m": 100, "width_m": 100}}, "width_m must be less than spacing_m"),
        ({"zone": "EXP1", "options": "fast"}, "options must be a JSON object"),
    ],
)
def test_bad_posts_are_400_with_a_clear_message(expansion_client, body, message):
    if isinstance(body, str):
        response = expansion_client.post("/api/expansion", data=body, content_type="application/json")
    else:
        response = expansion_client.post("/api/expansion", json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "InvalidParameterValue"
    assert message in error["message"]


def test_a_self_intersecting_drawing_is_made_valid(expansion_client):
    bow = [list(TO_LONLAT.transform(X0 + x, Y0 + y)) for x, y in
           [(0, 300), (400, 700), (400, 300), (0, 700), (0, 300)]]
    response = expansion_client.post("/api/expansion", json={"geometry": {"type": "Polygon", "coordinates": [bow]}})
    assert response.status_code == 200
    assert response.get_json()["constraints"]["gross"]["m2"] == pytest.approx(2 * 0.5 * 400 * 200, rel=1e-3)


def test_scenarios_saved_listed_compared_and_exported(expansion_client):
    first = expansion_client.post("/api/expansion/scenarios", json={"name": "方案 & A", "zone": "EXP1"})
    assert first.status_code == 201
    assert first.get_json()["figures"]["net_mu"] == pytest.approx(930.0)
    second = expansion_client.post("/api/expansion/scenarios",
                                   json={"name": "B", "zone": "EXP1", "options": {"spacing_m": 300}})
    assert second.status_code == 201
    listed = expansion_client.get("/api/expansion/scenarios").get_json()["scenarios"]
    assert [s["name"] for s in listed] == ["方案 & A", "B"]
    # saving again under the same name replaces it
    again = expansion_client.post("/api/expansion/scenarios",
                                  json={"name": "B", "zone": "EXP1", "options": {"spacing_m": 500}})
    assert again.status_code == 201
    assert len(expansion_client.get("/api/expansion/scenarios").get_json()["scenarios"]) == 2

    compared = expansion_client.get("/api/expansion/compare", query_string={"a": "方案 & A", "b": "B"}).get_json()
    assert compared["scenarios"] == ["方案 & A", "B"]
    rows = {row["figure"]: row for row in compared["figures"]}
    assert rows["net_mu"]["values"] == [pytest.approx(930.0), pytest.approx(930.0)]
    assert rows["net_mu"]["differences"] == [None, 0]
    a_plots, b_plots = rows["plots"]["values"]
    assert rows["plots"]["differences"] == [None, b_plots - a_plots]
    page = expansion_client.get("/expansion/compare", query_string={"a": "方案 & A", "b": "B"})
    assert page.status_code == 200
    assert "方案 &amp; A" in page.get_data(as_text=True)
    listing = expansion_client.get("/expansion").get_data(as_text=True)
    assert "方案 &amp; A" in listing and 'id="scenario-table"' in listing

    xlsx = expansion_client.get("/expansion/scenarios/B.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    assert {"指标", "硬约束", "plots", "roads"} <= set(book.sheetnames)
    gpkg = expansion_client.get("/expansion/scenarios/B.gpkg")
    assert gpkg.status_code == 200 and gpkg.data[:16] == b"SQLite format 3\x00"
    assert "attachment" in gpkg.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("name", "status", "message"),
    [("", 400, "non-empty"), ("<b>x</b>", 400, "without control characters or < >"), ("x" * 61, 400, "at most 60")],
)
def test_bad_scenario_names(expansion_client, name, status, message):
    response = expansion_client.post("/api/expansion/scenarios?lang=en", json={"name": name, "zone": "EXP1"})
    assert response.status_code == status
    assert message in response.get_json()["error"]["message"]


def test_unknown_scenarios_are_404(expansion_client):
    assert expansion_client.get("/expansion/scenarios/none.xlsx").status_code == 404
    response = expansion_client.get("/api/expansion/compare?a=x&b=y&lang=en")
    assert response.status_code == 404
    assert "no scenario called 'x'" in response.get_json()["error"]["message"]
    response = expansion_client.get("/api/expansion/compare?a=x&b=y&lang=zh")
    assert response.get_json()["error"]["message"].startswith("没有名为 'x' 的方案；已保存：")
    assert expansion_client.get("/api/expansion/compare?a=x").status_code == 400


def test_english(expansion_client):
    data = expansion_client.get("/api/expansion?zone=EXP1&lang=en").get_json()
    farmland = next(row for row in data["constraints"]["excluded"] if row["constraint"] == "basic_farmland")
    assert farmland["label"] == "Permanent basic farmland"
    page = expansion_client.get("/expansion?lang=en").get_data(as_text=True)
    assert "Expansion planning" in page


def test_a_park_without_expansion_zone_shows_the_draw_tool_only(tiny_client):
    response = tiny_client.get("/expansion")
    assert response.status_code == 200
    assert 'id="expansion-initial">null<' in response.get_data(as_text=True)
    bad = tiny_client.get("/api/expansion")
    assert bad.status_code == 400
    assert "园区没有拓展区范围" in bad.get_json()["error"]["message"]


def test_the_map_leaves_retired_records_out(tiny_park, tiny_client):
    parcels = tiny_park.load("parcels")
    first, second = parcels["parcel_id"].iloc[0], parcels["parcel_id"].iloc[1]
    before = tiny_client.get("/expansion").get_data(as_text=True)
    assert f'"{first}"' in before and f'"{second}"' in before
    parcels["retired_on"] = pd.to_datetime([None, "2025-01-01"] + [None] * (len(parcels) - 2)).astype(
        "datetime64[ms]")
    tiny_park.save("parcels", parcels)
    after = tiny_client.get("/expansion").get_data(as_text=True)
    assert f'"{first}"' in after and f'"{second}"' not in after
