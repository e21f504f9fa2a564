"""The land pages on the tiny park: HTML, JSON twins, XLSX exports, filters, the ledger forms, escaping."""

from __future__ import annotations

import io

import openpyxl
import pytest

PAGES = ("/land", "/idle", "/vacancy", "/cases")


@pytest.mark.parametrize(("url", "zh", "en"), [
    ("/land", "土地利用与达标", "Land utilisation and compliance"),
    ("/idle", "闲置土地与低效用地", "Idle and inefficient land"),
    ("/vacancy", "标准厂房空置", "Standard factory vacancy"),
    ("/cases", "盘活台账", "Revitalisation ledger"),
])
def test_pages_in_chinese_and_english(tiny_client, url, zh, en):
    page = tiny_client.get(url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert zh in text
    assert 'lang="zh-CN"' in text
    assert en in tiny_client.get(url + "?lang=en").get_data(as_text=True)


def test_pages_load_nothing_from_outside(tiny_client):
    for url in PAGES:
        text = tiny_client.get(url).get_data(as_text=True)
        assert "http://" not in text and "https://" not in text, url


def test_user_text_is_escaped(tiny_client):
    # P1 is called "一号地块 <b>" in the tiny park.
    land = tiny_client.get("/land").get_data(as_text=True)
    assert "一号地块 &lt;b&gt;" in land
    assert "一号地块 <b>" not in land
    assert "一号地块 \\u003cb\\u003e" in land  # inside the map's GeoJSON


def test_land_json_twin_and_paging(tiny_client):
    data = tiny_client.get("/api/land").get_json()
    assert data["as_of"] == "2026-06-30"  # the park's reference date
    assert data["numberMatched"] == 3
    assert [row["parcel_id"] for row in data["parcels"]] == ["P1", "P2", "P3"]
    p1 = data["parcels"][0]
    assert p1["far"] == pytest.approx(0.4) and p1["building_coef"] == pytest.approx(0.2)
    assert p1["building_coef_ok"] is False
    assert data["area_ratios"][-1]["area_name"] == "全园区"
    assert tiny_client.get("/land?format=json").get_json() == data
    page = tiny_client.get("/api/land?limit=1&offset=1").get_json()
    assert [row["parcel_id"] for row in page["parcels"]] == ["P2"]


@pytest.mark.parametrize("url", ["/api/land?limit=0", "/api/land?limit=x", "/api/idle?min_mu=abc",
                                 "/api/idle?status=lazy", "/api/idle?as_of=2026-02-30", "/api/vacancy?offset=-1",
                                 "/api/cases?year=1800"])
def test_bad_parameters_are_400_in_the_json_error_shape(tiny_client, url):
    response = tiny_client.get(url)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["status"] == 400 and error["code"] == "InvalidParameterValue" and error["message"]


@pytest.mark.parametrize("url", ["/land?format=pdf", "/idle?as_of=yesterday", "/vacancy?as_of=2026-13-01"])
def test_bad_page_parameters_are_400_pages(tiny_client, url):
    response = tiny_client.get(url)
    assert response.status_code == 400
    assert "text/html" in response.content_type


@pytest.mark.parametrize(("url", "sheets"), [
    # The tiny park has no enterprise figures: the 亩均 evaluation could not be judged, and the workbook says so.
    ("/land?format=xlsx", ["说明", "地块", "片区指标", "无法判断"]),
    ("/idle?format=xlsx", ["说明", "闲置土地", "低效用地"]),
    ("/vacancy?format=xlsx", ["说明", "园区", "期次", "厂房", "单元", "空置率走势", "租约重叠"]),
    ("/cases?format=xlsx", ["说明", "盘活台账", "台账记录", "盘活候选", "年度"]),
    ("/cases?format=xlsx&lang=en", ["About", "Cases", "History", "Candidates", "Year"]),
])
def test_xlsx_exports(tiny_client, url, sheets):
    response = tiny_client.get(url)
    assert response.status_code == 200
    assert response.content_type.startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == sheets


def test_idle_filters_and_as_of(tiny_client):
    everything = tiny_client.get("/api/idle").get_json()
    assert everything["summary"]["by_status"]["completed"]["parcels"] == 1
    assert everything["summary"]["not_judged"] == 1  # P2 has no agreed start date
    assert everything["summary"]["not_judged_reasons"] == {"no agreed start date (约定动工日期)": 1}
    completed = tiny_client.get("/api/idle?status=completed").get_json()
    assert [row["parcel_id"] for row in completed["parcels"]] == ["P1"]
    unjudged = tiny_client.get("/api/idle?status=not_judged&status=not_supplied").get_json()
    # Default order: a judged status (P3 not supplied) before the parcels not judged (P2).
    assert [row["parcel_id"] for row in unjudged["parcels"]] == ["P3", "P2"]
    assert [r["parcel_id"] for r in tiny_client.get("/api/idle?area=拓展区").get_json()["parcels"]] == ["P3"]
    assert [r["parcel_id"] for r in tiny_client.get("/api/idle?min_mu=20").get_json()["parcels"]] == ["P2"]
    # Before P1's contract (2019-05-01) it was not yet supplied.
    early = tiny_client.get("/api/idle?as_of=2019-01-01").get_json()
    assert early["as_of"] == "2019-01-01"
    assert early["parcels"][0]["idle_status"] == "not_supplied"
    page = tiny_client.get("/idle?status=completed&as_of=2026-06-30").get_data(as_text=True)
    assert 'data-parcel="P1"' in page and 'data-parcel="P2"' not in page
    assert 'value="completed" checked' in page


def test_vacancy_page_and_twin(tiny_client):
    data = tiny_client.get("/api/vacancy").get_json()
    assert data["figures"]["leasable_m2"] == 2000.0
    assert data["figures"]["vacancy_rate"] == 1.0
    assert len(data["trend"]) == 36
    assert data["units"][0]["unit_id"] == "U1"
    page = tiny_client.get("/vacancy").get_data(as_text=True)
    assert '<svg id="vacancy-trend"' in page and "<polyline" in page
    assert 'data-unit="U1"' in page


def test_ledger_create_update_close_with_history(tiny_client, tiny_park):
    created = tiny_client.post("/cases", data={"problem": "vacant_factory", "building_id": "B1",
                                               "floor_area_m2": "2000", "notes": "<script>alert(1)</script>"})
    assert created.status_code == 303
    case_id = created.headers["Location"].split("#")[1]
    assert case_id == "C-" + case_id.split("-")[1] + "-0001"
    page = tiny_client.get("/cases").get_data(as_text=True)
    assert f'data-case="{case_id}"' in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert tiny_client.post(f"/cases/{case_id}", data={"status": "in_progress", "method": "lease"}).status_code == 303
    assert tiny_client.post(f"/cases/{case_id}/close", data={"outcome": "done"}).status_code == 303
    data = tiny_client.get("/api/cases").get_json()
    case = data["cases"][0]
    assert (case["status"], case["method"]) == ("done", "lease")
    assert [e["field"] for e in data["history"] if e["action"] != "create"] == ["method", "status", "status",
                                                                                 "closed"]
    assert len(tiny_park.load("case_events")) == len(data["history"])
    # A closed case stays as it is.
    again = tiny_client.post(f"/cases/{case_id}", data={"notes": "x"})
    assert again.status_code == 400


@pytest.mark.parametrize(("url", "form", "status"), [
    ("/cases", {"problem": "lazy"}, 400),
    ("/cases", {"problem": "idle_land", "parcel_id": "P404"}, 400),
    ("/cases", {"problem": "idle_land", "area_m2": "a lot"}, 400),
    ("/cases", {}, 400),
    ("/cases/C-404", {"notes": "x"}, 404),
    ("/cases/C-404/close", {"outcome": "done", "method": "lease"}, 404),
])
def test_ledger_rejects_bad_input_without_500(tiny_client, url, form, status):
    response = tiny_client.post(url, data=form)
    assert response.status_code == status
    if status == 400:
        assert "台账未保存" in response.get_data(as_text=True)


def test_candidates_offer_a_case(tiny_client):
    # The tiny park's only factory is fully vacant: a vacant-factory candidate.
    data = tiny_client.get("/api/cases").get_json()
    assert [(c["kind"], c["building_id"]) for c in data["candidates"]] == [("vacant_factory", "B1")]
    assert data["year_figures"]["year"] == 2026


def test_nav_links_on_every_page(tiny_client):
    text = tiny_client.get("/").get_data(as_text=True)
    for url in PAGES:
        assert f'href="{url}"' in text
