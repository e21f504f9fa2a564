"""The pages' other tables: each sorts (any column, both ways), filters and pages on its own query parameters.

The tiny park (tests/conftest.py): P1 一号地块 15 亩 (operating 已投产, idle status completed, inefficient:
underused 用而未尽), P2 二号地块 30 亩 (supplied 已供地, idle status not judged, inefficient: supplied_unused
供而未用), P3 三号地块 15 亩 (planned 规划, not supplied, area 拓展区). Areas: 一期 45 亩 (P1, P2), 拓展区 15 亩,
the park 60 亩. One building B1 (P1, 2 000 m² vacant), one phase, no overlapping leases, one candidate
(vacant_factory B1).
"""

from __future__ import annotations

import re

import pytest

from web.tables import clamp_note, table_query


def rows_of(client, url: str, table: str, pattern: str = r'<tr data-parcel="([^"]+)"') -> list[str]:
    """The first captured value of each row of the HTML table ``table`` (its element id), in order."""
    answer = client.get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    text = answer.get_data(as_text=True)
    start = text.index(f'id="{table}"')
    return re.findall(pattern, text[start:text.index("</table>", start)])


def first_cells(client, url: str, table: str) -> list[str]:
    return rows_of(client, url, table, r"<tr[^>]*><td>([^<]*)</td>")


def error_detail(answer) -> str:
    return re.search(r'class="detail">(.*?)</p>', answer.get_data(as_text=True), re.S).group(1)


# -- /idle: inefficient land ----------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["P2", "P1"]),  # default: the largest first
    ("&ineff_sort=area_mu&ineff_order=asc", ["P1", "P2"]),
    ("&ineff_sort=area_mu&ineff_order=desc", ["P2", "P1"]),
    ("&ineff_sort=parcel_id", ["P1", "P2"]),
    ("&ineff_sort=parcel_id&ineff_order=desc", ["P2", "P1"]),
    # by the kinds' names: 供而未用 (U+4F9B) before 用而未尽 (U+7528)
    ("&ineff_sort=inefficiency&ineff_order=asc", ["P2", "P1"]),
    ("&ineff_sort=inefficiency&ineff_order=desc", ["P1", "P2"]),
    ("&ineff_q=一号", ["P1"]),
    ("&ineff_per_page=1", ["P2"]),
    ("&ineff_per_page=1&ineff_page=2", ["P1"]),  # the last page
    ("&ineff_per_page=2&ineff_page=1", ["P2", "P1"]),  # exactly one full page
])
def test_inefficient_land_sorts_filters_and_pages(tiny_client, query, expected):
    assert rows_of(tiny_client, f"/idle?lang=zh{query}", "inefficiency-table") == expected


def test_two_tables_on_one_page_page_independently(tiny_client):
    # main table by default: not supplied (P3), completed (P1), not judged (P2) last
    url = "/idle?lang=zh&per_page=1&page=3&ineff_per_page=1&ineff_page=2"
    assert rows_of(tiny_client, url, "idle-table") == ["P2"]
    assert rows_of(tiny_client, url, "inefficiency-table") == ["P1"]
    text = tiny_client.get(url).get_data(as_text=True).replace("&amp;", "&")
    pagers = re.findall(r'<nav class="pager" data-page="(\d)" data-pages="(\d)" data-total="(\d)"([^>]*)>', text)
    assert pagers == [("3", "3", "3", ""), ("2", "2", "2", ' data-prefix="ineff_"')]
    # a header of one table keeps the other's page and goes back to its own first page
    main_sort = re.search(r'<a class="sort" href="([^"]*sort=area_mu[^"]*)"', text).group(1)
    assert "ineff_page=2" in main_sort and "&page=" not in main_sort and "ineff_sort" not in main_sort
    ineff_sort = re.search(r'<a class="sort" href="([^"]*ineff_sort=area_mu[^"]*)"', text).group(1)
    assert "ineff_page" not in ineff_sort and "page=3" in ineff_sort and "ineff_per_page=1" in ineff_sort
    # each search form carries the other table's state, not its own text and page
    forms = re.findall(r'<form class="table-search" method="get">(.*?)</form>', text, re.S)
    main_form, ineff_form = forms
    assert 'name="ineff_page" value="2"' in main_form and 'name="page"' not in main_form
    assert 'name="page" value="3"' in ineff_form and 'name="ineff_page"' not in ineff_form
    assert 'name="ineff_q"' in ineff_form


def test_the_main_table_sorts_statuses_by_their_names(tiny_client):
    """Codes sort operating (P1), planned (P3), supplied (P2); the names 已供地 < 已投产 < 规划 do not."""
    assert rows_of(tiny_client, "/idle?lang=zh&sort=status&order=asc", "idle-table") == ["P2", "P1", "P3"]
    assert rows_of(tiny_client, "/idle?lang=zh&sort=status&order=desc", "idle-table") == ["P3", "P1", "P2"]
    # English names sort as the codes do here: Operating, Planned, Supplied
    assert rows_of(tiny_client, "/idle?lang=en&sort=status&order=asc", "idle-table") == ["P1", "P3", "P2"]
    # the idle status: 已竣工 (P1) < 未供地 (P3), not judged (P2) last both ways
    assert rows_of(tiny_client, "/idle?lang=zh&sort=idle_status&order=asc", "idle-table") == ["P1", "P3", "P2"]
    assert rows_of(tiny_client, "/idle?lang=zh&sort=idle_status&order=desc", "idle-table") == ["P3", "P1", "P2"]
    assert rows_of(tiny_client, "/land?lang=zh&sort=status&order=asc", "parcel-table") == ["P2", "P1", "P3"]


@pytest.mark.parametrize(("query", "status", "field", "zh", "en"), [
    ("ineff_sort=nope", 400, "ineff_sort", "ineff_sort 必须是", "ineff_sort must be one of"),
    ("ineff_order=up", 400, "ineff_order", "ineff_order 必须是", "ineff_order must be one of"),
    ("ineff_per_page=1&ineff_page=3", 400, "ineff_page", "ineff_page 必须在 1 至 2 之间（共 2 条，每页 1 条），收到 3",
     "ineff_page must be between 1 and 2 (2 rows, 1 a page), got 3"),
    ("ineff_per_page=0", 400, "ineff_per_page", "ineff_per_page 必须不小于 1，收到 0", "ineff_per_page must be at least 1, got 0"),
    ("ineff_per_page=many", 400, "ineff_per_page", "ineff_per_page 必须是整数", "ineff_per_page must be an integer"),
])
def test_bad_table_parameters_are_a_400_naming_them(tiny_client, query, status, field, zh, en):
    chinese = tiny_client.get(f"/idle?{query}&lang=zh")
    assert chinese.status_code == status and zh in error_detail(chinese)
    english = tiny_client.get(f"/idle?{query}&lang=en", headers={"Accept": "application/json"})
    assert english.status_code == status
    error = english.get_json()["error"]
    assert error["field"] == field and en in error["message"]


def test_a_page_size_above_the_most_is_clamped_with_a_note(tiny_client, tiny_app):
    assert tiny_app.config["TABLE_MAX_ROWS"] == 1000
    at_most = tiny_client.get("/idle?lang=zh&ineff_per_page=1000").get_data(as_text=True)
    assert "table-note" not in at_most
    over = tiny_client.get("/idle?lang=zh&ineff_per_page=1001").get_data(as_text=True)
    assert over.count('class="table-note"') == 1
    assert "每页最多显示 1000 条（请求 1001 条）" in over
    assert rows_of(tiny_client, "/idle?lang=zh&ineff_per_page=1001", "inefficiency-table") == ["P2", "P1"]
    english = tiny_client.get("/idle?lang=en&per_page=5000").get_data(as_text=True)
    assert "at most 1000 rows a page (asked for 5000)" in english


def test_table_query_reads_its_own_prefix(tiny_app):
    with tiny_app.test_request_context("/"):
        args = {"sort": "a", "x_sort": "b", "x_order": "desc", "x_page": "2", "x_per_page": "1001", "x_q": "P"}
        own = table_query(args, ["a", "b"], "x_")
        assert (own.sort, own.descending, own.page, own.per_page, own.text) == ("b", True, 2, 1000, "P")
        assert "1001" in clamp_note(own)
        plain = table_query(args, ["a", "b"])
        assert (plain.sort, plain.descending, plain.page, plain.text) == ("a", False, 1, "")
        assert clamp_note(plain) is None


# -- /land: ratios by area ------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["一期", "拓展区", "全园区"]),
    ("&ratio_sort=land_mu&ratio_order=asc", ["拓展区", "一期", "全园区"]),  # 15 < 45 亩; the park stays last
    ("&ratio_sort=land_mu&ratio_order=desc", ["一期", "拓展区", "全园区"]),
    ("&ratio_sort=supply_rate&ratio_order=desc", ["一期", "拓展区", "全园区"]),  # 拓展区's rate is missing: last
    ("&ratio_sort=supply_rate&ratio_order=asc", ["一期", "拓展区", "全园区"]),
    ("&ratio_per_page=1&ratio_page=2", ["拓展区", "全园区"]),
    ("&ratio_q=拓展", ["拓展区", "全园区"]),
])
def test_the_ratio_table_sorts_and_pages_with_the_park_row_last(tiny_client, query, expected):
    assert first_cells(tiny_client, f"/land?lang=zh{query}", "ratio-table") == expected


def test_the_ratio_table_has_units_and_the_kpis_stay_the_parks(tiny_client):
    text = tiny_client.get("/land?lang=zh&ratio_sort=land_mu&ratio_order=asc&ratio_per_page=1").get_data(as_text=True)
    for header in ("在册地块面积（亩）", "土地供应率（%）", "工业建筑系数（%）", "投资强度（万元/亩）", "地均税收（万元/公顷）"):
        assert header in text
    kpi = re.search(r"已供地</p>\s*<p class=\"kpi-value\">([^<]+)<", text).group(1)
    assert kpi == "45"  # the park's supplied land (P1 + P2), whichever area row the table shows
    assert tiny_client.get("/land?lang=zh&ratio_sort=nope").status_code == 400


# -- /vacancy: phases, buildings, overlaps ----------------------------------------------------------------


def test_vacancy_tables_sort_and_page_each_on_their_own(tiny_client):
    assert rows_of(tiny_client, "/vacancy?lang=zh&bld_sort=vacant_m2&bld_order=asc", "building-table",
                   r'data-building="([^"]+)"') == ["B1"]
    assert rows_of(tiny_client, "/vacancy?lang=zh&bld_q=nothing", "building-table", r'data-building="([^"]+)"') == []
    assert first_cells(tiny_client, "/vacancy?lang=zh&phase_sort=vacancy_rate", "phase-table") == ["—"]
    text = tiny_client.get("/vacancy?lang=zh").get_data(as_text=True)
    assert "空置面积（m²）" in text and "空置率（%）" in text
    assert 'id="overlap-table"' not in text  # no overlapping lease: no table
    searched = tiny_client.get("/vacancy?lang=zh&overlap_q=L9").get_data(as_text=True)
    assert 'id="overlap-table"' in searched and "第 1 / 1 页，共 0 条" in searched  # a search keeps its form
    beyond = tiny_client.get("/vacancy?lang=en&bld_page=2", headers={"Accept": "application/json"})
    assert beyond.status_code == 400 and beyond.get_json()["error"]["field"] == "bld_page"
    bad = tiny_client.get("/vacancy?lang=zh&phase_sort=nope")
    assert bad.status_code == 400 and "phase_sort 必须是" in error_detail(bad)


# -- /cases: candidates ---------------------------------------------------------------------------------


def test_candidates_sort_and_page_on_their_own(tiny_client):
    assert rows_of(tiny_client, "/cases?lang=zh", "candidate-table", r'data-kind="([^"]+)"') == ["vacant_factory"]
    assert rows_of(tiny_client, "/cases?lang=zh&cand_sort=kind&cand_order=desc", "candidate-table",
                   r'data-kind="([^"]+)"') == ["vacant_factory"]
    assert rows_of(tiny_client, "/cases?lang=zh&cand_q=P3", "candidate-table", r'data-kind="([^"]+)"') == []
    bad = tiny_client.get("/cases?lang=en&cand_page=2", headers={"Accept": "application/json"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "cand_page"
    text = tiny_client.get("/cases?lang=zh").get_data(as_text=True)
    assert "土地（亩）" in text and "时长（天）" in text and 'data-prefix="cand_"' in text


# -- /infrastructure: its five tables -------------------------------------------------------------------

#: The coverage table's rows in the analysis' order (supplied P1 and P2: water and road reach both).
COVERAGE = ["给水", "雨水", "污水", "电力", "通信", "燃气", "热力", "有线电视", "通路", "七通一平"]
UNSERVED = [name for name in COVERAGE if name not in ("给水", "通路")]


def coverage_rows(client, query: str) -> list[str]:
    return rows_of(client, f"/infrastructure?lang=zh&cov_per_page=50{query}", "coverage-table",
                   r"<tr><td>([^<]*)</td>")


@pytest.mark.parametrize(("query", "expected"), [
    ("", COVERAGE),
    # by 满足地块数 (column 2): 2 for water and road, 0 for the rest; ties keep the analysis' order both ways
    ("&cov_sort=2&cov_order=desc", ["给水", "通路", *UNSERVED]),
    ("&cov_sort=2&cov_order=asc", [*UNSERVED, "给水", "通路"]),
    ("&cov_q=水", ["给水", "雨水", "污水"]),
])
def test_infrastructure_coverage_sorts_and_filters(tiny_client, query, expected):
    assert coverage_rows(tiny_client, query) == expected


def test_infrastructure_tables_page_on_their_own(tiny_client):
    url = "/infrastructure?lang=zh&cov_per_page=3&cov_page=4&lack_sort=0&lack_order=desc"
    assert rows_of(tiny_client, url, "coverage-table", r"<tr><td>([^<]*)</td>") == ["七通一平"]  # the last page
    assert rows_of(tiny_client, url, "lacking-table", r"<tr><td>([^<]*)</td>") == ["P2", "P1"]
    assert rows_of(tiny_client, "/infrastructure?lang=zh&lack_sort=0", "lacking-table",
                   r"<tr><td>([^<]*)</td>") == ["P1", "P2"]
    text = tiny_client.get(url).get_data(as_text=True)
    assert 'data-prefix="cov_"' in text and 'data-prefix="lack_"' in text and 'data-prefix="pipe_"' in text
    beyond = tiny_client.get("/infrastructure?lang=zh&cov_per_page=3&cov_page=5")
    assert beyond.status_code == 400
    assert "cov_page 必须在 1 至 4 之间（共 10 条，每页 3 条），收到 5" in error_detail(beyond)
    bad = tiny_client.get("/infrastructure?lang=en&road_sort=99", headers={"Accept": "application/json"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "road_sort"


# -- /sites: the results ----------------------------------------------------------------------------------


@pytest.fixture
def all_planned(tiny_park, tiny_client):
    """The tiny park with every parcel planned: a land search offers P1 (15 亩, rank 1), P2 (30 亩, rank 2),
    P3 (15 亩, rank 3), each meeting every need (scores tie at 1.0, ranks in id order)."""
    parcels = tiny_park.load("parcels")
    parcels["status"] = "planned"
    tiny_park.save("parcels", parcels)
    return tiny_client


def site_cards(client, query: str) -> list[str]:
    answer = client.get(f"/sites?kind=land&lang=zh{query}")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return re.findall(r"<strong>\d+\. ([^<]+)</strong>", answer.get_data(as_text=True))


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["P1", "P2", "P3"]),
    ("&res_sort=area_mu&res_order=asc", ["P1", "P3", "P2"]),  # 15 = 15 < 30: the tie in rank order
    ("&res_sort=area_mu&res_order=desc", ["P2", "P1", "P3"]),
    ("&res_sort=rank&res_order=desc", ["P3", "P2", "P1"]),
    ("&res_per_page=2&res_page=2", ["P3"]),
    ("&res_q=二号", ["P2"]),
])
def test_site_results_sort_filter_and_page(all_planned, query, expected):
    assert site_cards(all_planned, query) == expected


def test_site_results_refuse_bad_table_parameters(all_planned):
    bad = all_planned.get("/sites?kind=land&lang=zh&res_sort=nope")
    assert bad.status_code == 400 and "res_sort 必须是" in error_detail(bad)
    beyond = all_planned.get("/sites?kind=land&lang=en&res_per_page=2&res_page=3",
                             headers={"Accept": "application/json"})
    assert beyond.status_code == 400 and beyond.get_json()["error"]["field"] == "res_page"
    text = all_planned.get("/sites?kind=land&lang=zh").get_data(as_text=True)
    assert "共 3 个结果" in text and "面积（亩）" in text and 'data-prefix="res_"' in text
