"""Saved expansion scenarios: reopened as saved, listed with formatted numbers, two or more compared side by side.

The park is the expansion test park (``expansion_helpers``): EXP1 is 1 000 m × 680 m
(1 020 亩) with 90 亩 of basic farmland, so its net developable land is 930 亩.
"""

from __future__ import annotations

import json
import re

import pytest
import shapely
from conftest import X0, Y0
from expansion_helpers import GROSS_M2, NET_M2, expansion_app, expansion_client  # noqa: F401
from pyproj import Transformer

from geo.scenarios import compare_scenarios, figure_text, unit_text
from geo.units import M2_PER_MU

TO_LONLAT = Transformer.from_crs(4549, 4326, always_xy=True)


def lonlat_ring(corners):
    ring = [list(TO_LONLAT.transform(X0 + x, Y0 + y)) for x, y in corners]
    return ring + [ring[0]]


#: A drawn quadrilateral inside EXP1, clear of the farmland (local metres).
DRAWN = {"type": "Polygon", "coordinates": [lonlat_ring([(0, 300), (450, 320), (420, 700), (-20, 650)])]}


def save(client, name, **body):
    response = client.post("/api/expansion/scenarios?lang=zh", json={"name": name, **body})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


# -- numbers --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "unit", "signed", "text"), [
    (87637.7, "万元", False, "87,637.7"),
    (87637.74, "万元", False, "87,637.7"),
    (1234.56, "亩", False, "1,234.6"),
    (930, "亩", False, "930.0"),
    (1234, "", False, "1,234"),
    (0.62, "km²", False, "0.620"),
    (1.675, "km", False, "1.68"),  # 1.675 is 1.67499… in binary: half-way cases follow the float
    (None, "亩", False, "—"),
    (float("nan"), "万元", False, "—"),
    (2366.4, "万元", True, "+2,366.4"),
    (-21.6, "亩", True, "\u221221.6"),
    (0.0, "亩", True, "0.0"),
    (-0.04, "亩", True, "0.0"),  # rounds to nothing: no sign
    (5, "", True, "+5"),
])
def test_figure_text(value, unit, signed, text):
    assert figure_text(value, unit, signed=signed) == text


def test_units_in_english():
    assert unit_text("万元", "en") == "10k yuan" and unit_text("亩", "en") == "mu"
    assert unit_text("万元", "zh") == "万元" and unit_text("km", "en") == "km"


def test_compare_three_scenarios_by_hand():
    a = {"net_mu": 930.0, "plots": 10, "cost_wan": 5880.3, "mean_suitability": None}
    b = {"net_mu": 930.0, "plots": 15, "cost_wan": 8246.7, "mean_suitability": 4.2}
    c = {"net_mu": 812.26, "plots": 7, "cost_wan": 87637.7, "mean_suitability": 3.0}
    rows = {row["figure"]: row for row in compare_scenarios([a, b, c], lang="en")}
    assert rows["plots"]["values"] == [10, 15, 7]
    assert rows["plots"]["differences"] == [None, 5, -3]
    assert rows["plots"]["difference_texts"] == [None, "+5", "\u22123"]
    assert rows["net_mu"]["differences"] == [None, 0.0, pytest.approx(-117.74)]
    assert rows["net_mu"]["value_texts"] == ["930.0", "930.0", "812.3"]
    assert rows["cost_wan"]["value_texts"][2] == "87,637.7"
    assert rows["cost_wan"]["difference_texts"] == [None, "+2,366.4", "+81,757.4"]
    assert (rows["cost_wan"]["label"], rows["cost_wan"]["unit"]) == ("Infrastructure cost", "10k yuan")
    # a missing value has no difference either way
    assert rows["mean_suitability"]["differences"] == [None, None, None]
    assert rows["mean_suitability"]["value_texts"] == ["—", "4.20", "3.00"]
    assert rows["gross_mu"]["values"] == [None, None, None]
    zh = {row["figure"]: row for row in compare_scenarios([a, b], lang="zh")}
    assert (zh["cost_wan"]["label"], zh["cost_wan"]["unit"]) == ("基础设施投资估算", "万元")


# -- reopening ------------------------------------------------------------------------------------------


def test_a_drawn_scenario_reopens_with_its_saved_geometry(expansion_client):
    saved = save(expansion_client, "画的", geometry=DRAWN, options={"spacing_m": 300})
    assert saved["links"]["open"] == "/expansion?scenario=%E7%94%BB%E7%9A%84"
    data = expansion_client.get("/api/expansion/scenarios/画的?lang=zh").get_json()
    assert data["source"]["kind"] == "scenario" and data["source"]["saved_from"] == {"kind": "drawn"}
    reopened = shapely.from_geojson(json.dumps(data["scenario"]["geometry"]))
    drawn = shapely.from_geojson(json.dumps(DRAWN))
    # back through the working CRS: the same ring within 1e-8° (about a millimetre)
    assert reopened.geom_type == "Polygon"
    assert shapely.equals_exact(shapely.normalize(reopened), shapely.normalize(drawn), tolerance=1e-8)
    assert data["figures"] == saved["figures"]
    assert data["options"]["spacing_m"] == 300
    keys = [layer["key"] for layer in data["layers"]]
    assert keys[0] == "exp_scenario_area" and "exp_plots" in keys
    plots = next(layer for layer in data["layers"] if layer["key"] == "exp_plots")
    assert plots["count"] == saved["figures"]["plots"]
    area = next(layer for layer in data["layers"] if layer["key"] == "exp_scenario_area")
    expected_mu = shapely.Polygon([(0, 300), (450, 320), (420, 700), (-20, 650)]).area / M2_PER_MU
    assert area["data"]["features"][0]["properties"]["area_mu"] == pytest.approx(expected_mu, rel=1e-4)


def test_the_page_reopens_a_scenario_with_its_options(expansion_client):
    save(expansion_client, "宽路", zone="EXP1", options={"spacing_m": 300, "width_m": 30})
    page = expansion_client.get("/expansion?scenario=宽路&lang=zh").get_data(as_text=True)
    initial = json.loads(re.search(r'id="expansion-initial">(.*?)</script>', page, re.S).group(1))
    assert initial["scenario"]["name"] == "宽路"
    assert initial["constraints"]["net"]["mu"] == pytest.approx(NET_M2 / M2_PER_MU)
    saved = shapely.from_geojson(json.dumps(initial["scenario"]["geometry"]))
    zone = shapely.Polygon(lonlat_ring([(-200, 220), (800, 220), (800, 900), (-200, 900)])[:-1])
    assert shapely.equals_exact(shapely.normalize(saved), shapely.normalize(zone), tolerance=1e-8)
    assert 'id="exp-reopened"' in page and "宽路" in page
    assert 'name="spacing_m" min="50" max="5000" value="300"' in page
    assert 'name="width_m" min="4" max="200" value="30"' in page
    assert "/api/expansion/scenarios/%E5%AE%BD%E8%B7%AF" in page  # the JSON twin is the scenario's


def test_reopening_an_unknown_scenario_is_404_naming_the_saved_ones(expansion_client):
    save(expansion_client, "A", zone="EXP1")
    response = expansion_client.get("/api/expansion/scenarios/nope?lang=en")
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "no scenario called 'nope'; saved: A"
    page = expansion_client.get("/expansion?scenario=nope&lang=zh")
    assert page.status_code == 404
    assert "没有名为 &#39;nope&#39; 的方案；已保存：A" in page.get_data(as_text=True)


# -- list and comparison --------------------------------------------------------------------------------


def scenario_rows(page: str) -> list[list[str]]:
    table = re.search(r'<table class="data-table" id="scenario-table">(.*?)</table>', page, re.S).group(1)
    body = table.split("<tbody>")[1]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


@pytest.mark.parametrize(("lang", "header", "open_text"), [
    ("zh", "基础设施投资估算（万元）", "在地图上打开"),
    ("en", "Infrastructure cost (10k yuan)", "Open on the map"),
])
def test_the_list_shows_formatted_figures_and_reopen_links(expansion_client, lang, header, open_text):
    saved = save(expansion_client, "A", zone="EXP1")["figures"]
    page = expansion_client.get(f"/expansion?lang={lang}").get_data(as_text=True)
    assert f'<th class="num">{header}</th>' in page
    (row,) = scenario_rows(page)
    assert row[1] == "A"
    # net 930 亩 with one decimal; cost with thousands separators and one decimal
    assert row[3] == "930.0"
    assert row[7] == f"{saved['cost_wan']:,.1f}" and "," in row[7]  # the test park's cost is over 1 000 万元
    assert row[4] == str(saved["plots"])
    assert row[9] == open_text
    assert 'href="/expansion?scenario=A' in page


def test_three_scenarios_compared_side_by_side(expansion_client):
    figures = {name: save(expansion_client, name, zone="EXP1", options=options)["figures"]
               for name, options in (("A", {}), ("B", {"spacing_m": 300}), ("C", {"spacing_m": 600}))}
    data = expansion_client.get("/api/expansion/compare?s=A&s=B&s=C&lang=zh").get_json()
    assert data["scenarios"] == ["A", "B", "C"]
    rows = {row["figure"]: row for row in data["figures"]}
    for key in ("plots", "road_km", "cost_wan"):
        values = [figures[n][key] for n in "ABC"]
        assert rows[key]["values"] == values
        assert rows[key]["differences"][1:] == [pytest.approx(values[1] - values[0]),
                                                pytest.approx(values[2] - values[0])]
    assert rows["gross_mu"]["value_texts"] == [f"{GROSS_M2 / M2_PER_MU:,.1f}"] * 3 == ["1,020.0"] * 3
    assert rows["gross_mu"]["difference_texts"] == [None, "0.0", "0.0"]
    settings = {row["setting"]: row["texts"] for row in data["settings"]}
    assert settings["spacing_m"] == ["400", "300", "600"]  # A keeps the park's rule (400 m)
    assert settings["area"] == ["EXP1"] * 3
    page = expansion_client.get("/expansion/compare?s=A&s=B&s=C&lang=en").get_data(as_text=True)
    header = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    assert [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", header)] == [
        "Figure", "Unit", "A", "B", "C"]
    cost = re.search(r'<tr data-figure="cost_wan">(.*?)</tr>', page, re.S).group(1)
    b_diff = figure_text(figures["B"]["cost_wan"] - figures["A"]["cost_wan"], "万元", signed=True)
    assert f"({b_diff})" in cost and "10k yuan" in cost
    spacing = re.search(r'<tr data-setting="spacing_m"[^>]*>(.*?)</tr>', page, re.S).group(1)
    assert spacing.count('class="differs"') == 2


@pytest.mark.parametrize(("query", "status", "message"), [
    ("s=A", 400, "a comparison needs at least two scenarios, got 1: tick two or more in the scenario list"),
    ("s=A&s=", 400, "got 1"),
    ("", 400, "got 0"),
    ("a=A", 400, "compare needs two scenario names: ?a=…&b=…; b is empty"),
    ("s=A&s=nope", 404, "no scenario called 'nope'; saved: A, B"),
])
def test_bad_comparisons(expansion_client, query, status, message):
    save(expansion_client, "A", zone="EXP1")
    save(expansion_client, "B", zone="EXP1", options={"spacing_m": 300})
    response = expansion_client.get(f"/api/expansion/compare?{query}&lang=en")
    assert response.status_code == status
    assert message in response.get_json()["error"]["message"]
    zh = expansion_client.get(f"/expansion/compare?{query}&lang=zh")
    assert zh.status_code == status


def test_the_suitability_legend_and_the_heading(expansion_client):
    page = expansion_client.get("/expansion?lang=zh").get_data(as_text=True)
    legend = re.search(r'<section class="legend-section" data-layer="exp_suitability">(.*?)</section>', page,
                       re.S).group(1)
    assert "适宜性评价" in legend
    items = re.findall(r'--swatch: (#[0-9a-f]{6})"></span>([^<]+)</li>', legend)
    assert len(items) == 10
    assert items[0] == ("#a50026", "0–1 分") and items[-1] == ("#006837", "9–10 分")
    english = expansion_client.get("/expansion?lang=en").get_data(as_text=True)
    assert "9–10</li>" in english and ">Suitability</h3>" in english
