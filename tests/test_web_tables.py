"""Sort, text filter and paging of the land pages' tables, their default orders, units and filtered KPIs.

The tiny park (tests/conftest.py): P1 15 亩 (completed, FAR 0.4: below the control indicators), P2 30 亩
(supplied, no agreed start date: its idle status is not judged), P3 15 亩 (planned: not supplied).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import numpy as np
import pandas as pd
import pytest
from browser_helpers import serve

from web.tables import sort_rows


def ids(client, url: str, key: str = "parcels", id_field: str = "parcel_id") -> list[str]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [row[id_field] for row in answer.get_json()[key]]


def html_ids(client, url: str, table: str) -> list[str]:
    """The parcel ids of the rows of the HTML table ``table`` (its element id), in order (zh page)."""
    answer = client.get(url + ("&" if "?" in url else "?") + "lang=zh")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    text = answer.get_data(as_text=True)
    start = text.index(f'id="{table}"')
    return re.findall(r'<tr data-parcel="([^"]+)"', text[start:text.index("</table>", start)])


def test_sort_rows_puts_missing_values_last_both_ways_and_ties_in_id_order():
    frame = pd.DataFrame({"id": ["d", "c", "b", "a", "e"], "x": [2.0, np.nan, 1.0, 2.0, np.nan]})
    assert sort_rows(frame, "x", descending=False, id_column="id")["id"].tolist() == ["b", "a", "d", "c", "e"]
    assert sort_rows(frame, "x", descending=True, id_column="id")["id"].tolist() == ["a", "d", "b", "c", "e"]
    assert sort_rows(frame, "id", descending=True, id_column="id")["id"].tolist() == ["e", "d", "c", "b", "a"]


def test_area_sorts_both_ways_with_ties_by_parcel_id(tiny_client):
    # 15, 30, 15 亩: P1 and P3 tie and keep their id order either way.
    assert ids(tiny_client, "/api/land?sort=area_mu&order=asc") == ["P1", "P3", "P2"]
    assert ids(tiny_client, "/api/land?sort=area_mu&order=desc") == ["P2", "P1", "P3"]
    assert html_ids(tiny_client, "/land?sort=area_mu&order=asc", "parcel-table") == ["P1", "P3", "P2"]
    assert html_ids(tiny_client, "/land?sort=area_mu&order=desc", "parcel-table") == ["P2", "P1", "P3"]


def test_a_missing_value_sorts_last_both_ways(tiny_client):
    # idle_status: P1 completed, P3 not_supplied, P2 none (not judged).
    assert ids(tiny_client, "/api/idle?sort=idle_status&order=asc") == ["P1", "P3", "P2"]
    assert ids(tiny_client, "/api/idle?sort=idle_status&order=desc") == ["P3", "P1", "P2"]
    assert html_ids(tiny_client, "/idle?sort=idle_status&order=desc", "idle-table") == ["P3", "P1", "P2"]


def test_default_orders_put_the_most_relevant_rows_first(tiny_client):
    # /land: below the indicators (P1) first, then not built by area (P2 30 亩, P3 15 亩).
    assert ids(tiny_client, "/api/land") == ["P1", "P2", "P3"]
    assert html_ids(tiny_client, "/land", "parcel-table") == ["P1", "P2", "P3"]
    # /idle: not supplied (P3) before completed (P1); not judged (P2) last.
    assert ids(tiny_client, "/api/idle") == ["P3", "P1", "P2"]
    assert html_ids(tiny_client, "/idle", "idle-table") == ["P3", "P1", "P2"]


def test_paging_boundaries(tiny_client):
    page_two = tiny_client.get("/land?per_page=2&page=2&lang=zh").get_data(as_text=True)
    assert re.findall(r'<tr data-parcel="([^"]+)"', page_two) == ["P3"]
    assert "第 2 / 2 页，共 3 条" in page_two
    assert 'rel="prev"' in page_two and 'rel="next"' not in page_two
    first = tiny_client.get("/land?per_page=2&lang=en").get_data(as_text=True)
    assert "Page 1 of 2, 3 rows" in first and 'rel="next"' in first
    exact = tiny_client.get("/land?per_page=3&page=1&lang=zh").get_data(as_text=True)
    assert "第 1 / 1 页，共 3 条" in exact
    # A page past the last is a clear 400 (not an empty page), naming the parameter and the pages there are.
    past = tiny_client.get("/land?per_page=3&page=2&lang=zh")
    assert past.status_code == 400
    assert "page 必须在 1 至 1 之间" in past.get_data(as_text=True)
    past_en = tiny_client.get("/land?per_page=2&page=3&lang=en")
    assert past_en.status_code == 400 and "page must be between 1 and 2" in past_en.get_data(as_text=True)
    # An empty table has one empty page.
    nothing = tiny_client.get("/land?q=zzz&lang=zh").get_data(as_text=True)
    assert "第 1 / 1 页，共 0 条" in nothing


@pytest.mark.parametrize(("query", "field"), [("per_page=0", "per_page"), ("per_page=x", "per_page"),
                                              ("page=0", "page"), ("page=x", "page")])
def test_bad_page_sizes_are_400(tiny_client, query, field):
    answer = tiny_client.get(f"/land?{query}&lang=en")
    assert answer.status_code == 400
    assert field in answer.get_data(as_text=True)


def test_a_bad_sort_column_or_order_is_a_400_naming_it(tiny_client):
    page = tiny_client.get("/idle?sort=nope&lang=zh")
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "sort 必须是" in text and "nope" in text and "idle_days" in text
    twin = tiny_client.get("/api/land?sort=nope&lang=en")
    assert twin.status_code == 400
    error = twin.get_json()["error"]
    assert error["field"] == "sort" and error["value"] == "nope" and "area_mu" in error["allowed"]
    assert "sort must be one of" in error["message"]
    order = tiny_client.get("/api/vacancy?sort=unit_id&order=up").get_json()["error"]
    assert order["field"] == "order" and order["allowed"] == ["asc", "desc"]


def test_a_bad_sort_over_http_is_400_not_500(tiny_app):
    with serve(tiny_app) as base:
        for path in ("/land", "/idle", "/vacancy", "/cases", "/api/idle"):
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(f"{base}{path}?sort=%3Cb%3E", timeout=30)
            with caught.value as refused:
                assert refused.code == 400, path
                assert "sort" in refused.read().decode()
        with urllib.request.urlopen(f"{base}/api/idle?sort=area_mu&order=desc", timeout=30) as answer:
            assert [row["parcel_id"] for row in json.load(answer)["parcels"]] == ["P2", "P1", "P3"]


def test_text_filter_finds_ids_and_names(tiny_client):
    assert html_ids(tiny_client, "/land?q=二号", "parcel-table") == ["P2"]
    assert ids(tiny_client, "/api/land?q=p3") == ["P3"]
    assert html_ids(tiny_client, "/idle?q=P", "idle-table") == ["P3", "P1", "P2"]


def test_sort_links_keep_the_other_query_values_and_flip_the_order(tiny_client):
    text = tiny_client.get("/idle?status=completed&lang=en&as_of=2025-06-30").get_data(as_text=True)
    link = re.search(r'<a class="sort" href="([^"]+)"[^>]*>Area \(mu\)', text).group(1).replace("&amp;", "&")
    for part in ("status=completed", "lang=en", "as_of=2025-06-30", "sort=area_mu", "order=asc"):
        assert part in link
    sorted_text = tiny_client.get("/idle?sort=area_mu&order=asc").get_data(as_text=True)
    header = re.search(r'<th aria-sort="ascending"><a class="sort" href="([^"]+)"', sorted_text).group(1)
    assert "order=desc" in header


def test_numeric_headers_carry_units(tiny_client):
    land = tiny_client.get("/land").get_data(as_text=True)
    for header in ("面积（亩）", "可增建筑面积（m²）", "投资强度（万元/亩）", "亩均税收（万元/亩）", "建筑系数（%）"):
        assert header in land
    land_en = tiny_client.get("/land?lang=en").get_data(as_text=True)
    for header in ("Area (mu)", "Extra floor area (m²)", "Investment (10k yuan/mu)", "Coefficient (%)"):
        assert header in land_en
    idle = tiny_client.get("/idle?lang=zh").get_data(as_text=True)
    for header in ("闲置费（万元）", "已计天数（天）", "距下一节点（天）", "开发比例（%）"):
        assert header in idle
    vacancy = tiny_client.get("/vacancy?lang=zh").get_data(as_text=True)
    assert "可租面积（m²）" in vacancy and "空置天数（天）" in vacancy


def test_unit_counts_are_labelled(tiny_client):
    # The tiny park's one unit U1 is leasable.
    assert "可租单元 1 个 · 全部单元 1 个" in tiny_client.get("/vacancy?lang=zh").get_data(as_text=True)
    assert "1 leasable units · 1 units in all" in tiny_client.get("/vacancy?lang=en").get_data(as_text=True)


def test_kpis_and_map_follow_the_filter(tiny_client):
    whole = tiny_client.get("/api/idle").get_json()
    assert whole["filtered"] is False and whole["summary"]["not_judged"] == 1
    chosen = tiny_client.get("/api/idle?status=completed").get_json()
    assert chosen["filtered"] is True
    assert chosen["summary"]["not_judged"] == 0  # P2 is filtered out
    assert chosen["summary"]["by_status"]["completed"] == {"parcels": 1, "area_mu": 15.0}
    assert chosen["park_summary"]["not_judged"] == 1
    page = tiny_client.get("/idle?status=completed&lang=zh").get_data(as_text=True)
    assert 'data-filtered="yes"' in page and "筛选后" in page
    assert "以下指标为筛选后的 1 宗地块（全园区 3 宗）" in page
    assert re.search(r'data-count="not_judged">0<', page)
    # The parcels left out (P2, P3) are drawn grey beneath the chosen one, and the map fits the whole park.
    start = page.index('"others",')
    others = page[start:page.index("parkatlas.geoJsonLayer(", start)]
    assert re.findall(r'"id":"(P\d)"', others) == ["P2", "P3"]
    unfiltered = tiny_client.get("/idle?lang=zh").get_data(as_text=True)
    assert 'data-filtered="no"' in unfiltered and '"others",' not in unfiltered
    assert re.search(r'data-count="not_judged">1<', unfiltered)
