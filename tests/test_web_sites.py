"""The site-search page, its JSON twin, the printable sheets and refused input.

In the expansion test park only P3 (planned, 100 m × 100 m = 15 亩, land use 1101
logistics, no road along it) is land on offer; the only unit U1 (2 000 m², floor 1)
is vacant (never leased).
"""

from __future__ import annotations

import pytest
from expansion_helpers import expansion_app, expansion_client  # noqa: F401


def test_form_without_search(expansion_client):
    response = expansion_client.get("/sites")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "招商选址" in page and 'id="site-form"' in page
    assert "填写需求后" in page


def test_land_search_page_and_twin(expansion_client):
    query = "kind=land&area_min_mu=10&area_max_mu=20&land_use_class=logistics&connections=road"
    page = expansion_client.get(f"/sites?{query}").get_data(as_text=True)
    assert "P3" in page
    assert "未通道路" in page
    assert "<script>alert(1)</script>" not in page  # the parcel's name is escaped
    data = expansion_client.get(f"/api/sites?{query}").get_json()
    assert data["kind"] == "land"
    assert [r["parcel_id"] for r in data["results"]] == ["P3"]
    result = data["results"][0]
    assert result["area_mu"] == pytest.approx(15.0)
    assert result["meets"] is False
    assert result["shortfalls"] == "未通道路"
    assert result["offer"] == "planned" and result["offer_label"] == "规划"
    assert result["score"] == pytest.approx((3 * 1 + 3 * 0 + 2 * 1) / 8)
    assert 121.3 < result["lon"] < 121.5 and 28.5 < result["lat"] < 28.8
    english = expansion_client.get(f"/api/sites?{query}&lang=en").get_json()["results"][0]
    assert english["shortfalls"] == "no road connection"
    assert english["offer_label"] == "Planned"


def test_highway_distance_need(expansion_client):
    data = expansion_client.get("/api/sites?kind=land&max_highway_km=5").get_json()
    # P3 has no road along it, so no route to the exit
    assert data["results"][0]["shortfalls"] == "无道路通达高速出入口"


def test_space_search(expansion_client):
    data = expansion_client.get("/api/sites?kind=space&floor_area_min_m2=1500&max_floor=1&lang=en").get_json()
    assert [r["unit_id"] for r in data["results"]] == ["U1"]
    assert data["results"][0]["meets"] is True
    assert "floor area 2,000.0 m² fits" in data["results"][0]["fits"]
    too_big = expansion_client.get("/api/sites?kind=space&floor_area_min_m2=3000&lang=zh").get_json()["results"][0]
    assert too_big["meets"] is False and "低于所需 3000 m²" in too_big["shortfalls"]


def test_sheets_in_both_languages(expansion_client):
    zh = expansion_client.get("/sites/sheet/land/P3?area_min_mu=10&connections=road")
    assert zh.status_code == 200
    text = zh.get_data(as_text=True)
    assert "招商选址资料" in text and "15.00 亩" in text and "<svg" in text and "未通道路" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    en = expansion_client.get("/sites/sheet/land/P3?area_min_mu=10&connections=road&lang=en").get_data(as_text=True)
    assert "Site sheet for investors" in en and "no road connection" in en and "Where it falls short" in en
    unit = expansion_client.get("/sites/sheet/space/U1?lang=en")
    assert unit.status_code == 200 and "Factory unit U1" in unit.get_data(as_text=True)


def test_sheet_of_land_not_on_offer_is_404(expansion_client):
    response = expansion_client.get("/sites/sheet/land/P1")
    assert response.status_code == 404
    assert expansion_client.get("/sites/sheet/office/P3").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=office", "kind must be one of land, space"),
        ("kind=land&area_min_mu=abc", "area_min_mu must be a number"),
        ("kind=land&area_min_mu=50&area_max_mu=40", "area_min_mu (50) is more than area_max_mu (40)"),
        ("kind=land&connections=wifi", "connections must be one of water_supply, rain, "),
        ("kind=land&land_use_class=farm", "land_use_class must be one of industrial, logistics"),
        ("kind=land&max_highway_km=-1", "max_highway_km must be a number between 0 and 1000"),
    ],
)
def test_bad_needs_are_400(expansion_client, query, message):
    response = expansion_client.get(f"/api/sites?{query}&lang=en")
    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]
    assert expansion_client.get(f"/sites?{query}").status_code == 400
