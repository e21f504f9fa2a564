"""The upload page with an enterprise list as a park office makes it (tests/enterprise_samples.py): the ids from the
统一社会信用代码 pre-selected in the mapping step and changeable there, the wide yearly columns going to the yearly
figures (企业年度数据) on the preview and on confirmation, in Chinese and in English."""

import io
import re

from enterprise_samples import enterprise_rows, write_list

_TOKEN = re.compile(r"/import/([0-9a-f]{32})/mapping")


def _upload(client, path, *, query=""):
    return client.post(f"/import{query}", data={"layer": "enterprises", "mode": "upsert",
                                                "file": (io.BytesIO(path.read_bytes()), path.name)},
                       content_type="multipart/form-data")


def _choices(html: str) -> dict:
    """The mapping step's selects as a browser would post them (each select's selected option)."""
    form = {}
    for name, options in re.findall(r'<select name="((?:field|std)-\d+|id_field)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*\bselected\b', options)
        form[name] = chosen.group(1) if chosen else ""
    return form


def _index(html: str, source: str) -> str:
    return re.search(rf'<tr data-source="{re.escape(source)}">.*?name="(field-\d+)"', html, re.S).group(1)


def _did(html: str) -> dict:
    """What the preview did with each source field (the mapping step's third column)."""
    return dict(re.findall(r'<tr data-source="([^"]+)">\s*<td>[^<]*</td>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>', html))


def test_the_credit_code_is_the_preselected_id_and_the_years_go_to_their_table(tiny_client, tiny_park, tmp_path):
    rows = enterprise_rows(4)
    reply = _upload(tiny_client, write_list(tmp_path / "入园企业名单.xlsx", rows))
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200, html[:2000]
    form = _choices(html)
    assert form["id_field"] == "统一社会信用代码"
    assert "企业编号取自" in html and "默认：源数据没有企业编号，“统一社会信用代码”每条记录都有值且各不相同" in html
    assert '<option value="AUTO">自动生成编号</option>' in html
    assert form[_index(html, "2024年营业收入（万元）")] == "__yearly__"
    assert form[_index(html, "2024年亩均税收")] == "__keep__"
    did = _did(html)
    assert did["统一社会信用代码"] == "映射到 统一社会信用代码，并作为企业编号"
    assert did["2024年税收（万元）"] == "移入企业年度数据：2024 年税收"
    assert "源数据没有企业编号：取自源字段“统一社会信用代码”，每条记录都有值且各不相同" in html
    assert "企业年度数据：新增 8" in html
    assert "--id-field" not in html  # a page never advises a flag
    assert 'id="import-ids"' not in html  # no warning: the ids are fine, only offered to change

    # Preview again as it is, then with the ids from 序号; confirm.
    token = _TOKEN.search(html).group(1)
    same = tiny_client.post(f"/import/{token}/mapping", data={**form, "action": "preview"}).get_data(as_text=True)
    assert _choices(same)["id_field"] == "统一社会信用代码" and "按所选取源字段“统一社会信用代码”作编号" in same
    assert _did(same)["2023年营业收入（万元）"] == "移入企业年度数据：2023 年营业收入"
    changed = tiny_client.post(f"/import/{token}/mapping", data={**form, "id_field": "序号", "action": "preview"})
    assert changed.status_code == 200 and _choices(changed.get_data(as_text=True))["id_field"] == "序号"
    confirmed = tiny_client.post(f"/import/{token}/confirm")
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)[:2000]
    enterprises = tiny_park.load("enterprises").set_index("enterprise_id")
    assert enterprises.loc[["1", "2", "3", "4"], "credit_code"].tolist() == [row[2] for row in rows]
    years = tiny_park.load("enterprise_years").set_index("record_id")
    assert sorted(years.index) == ["1-2023", "1-2024", "2-2023", "2-2024", "3-2023", "3-2024", "4-2023", "4-2024"]
    assert years.loc["2-2024", "revenue_wan"] == rows[1][6]


def test_the_json_twin_and_the_english_page(tiny_client, tmp_path):
    source = write_list(tmp_path / "list.xlsx", enterprise_rows(2))
    body = _upload(tiny_client, source, query="?format=json").get_json()
    ids = body["mapping_step"]["ids"]
    assert (ids["field"], ids["chosen"]) == ("enterprise_id", "统一社会信用代码")
    assert [value for value, _ in ids["options"]][-1] == "AUTO"
    assert body["also"] == {"enterprise_years": {"added": 4}}
    assert body["choices"]["id_field"]["default"] is True
    notices = [n["message"] for n in body["notices"] if n["field"] == "enterprise_id"]
    assert notices == ["the source has no enterprise_id; taken from the source field '统一社会信用代码' (credit_code), "
                       "which holds a value on every record, each once (to take them from another field or generate "
                       "them: the preview's choice of id field)"]
    english = _upload(tiny_client, source, query="?lang=en").get_data(as_text=True)
    assert "Enterprise id from" in english and "by default: the source has no enterprise id" in english
    assert _did(english)["2024年从业人员"] == "moved to enterprise_years: employees of 2024"
    assert "to enterprise yearly figures (by the header&#39;s year)" in english


def test_the_preview_and_the_confirmation_say_what_the_parcels_column_links_in_chinese(tiny_client, tiny_park,
                                                                                        tmp_path):
    # The tiny park: P1 is E1's, P2 is E2's, P3 is nobody's; the list puts its four enterprises on P1 … P4.
    rows = enterprise_rows(4)
    html = _upload(tiny_client, write_list(tmp_path / "入园企业名单.xlsx", rows)).get_data(as_text=True)
    assert "关联地块：将关联 1, 编号不存在 1, 已关联其他企业 2" in html
    assert _did(html)["所在地块"] == "原样保留（文本），并按其中的编号关联地块（企业编号）"
    assert _choices(html)[_index(html, "所在地块")] == "__link__"  # kept, and linking
    assert "1 个地块已关联到名单中列出它的企业（设置企业编号）：P3" in html
    assert "1 个编号在地块图层中没有：未关联，该值按原样保留在企业记录上（P4）" in html
    assert (f"2 个地块已关联其他企业：未更改，以地块图层中的关联为准（P1：地块图层中为 E1，名单中为 {rows[0][2]}；"
            f"P2：地块图层中为 E2，名单中为 {rows[1][2]}）") in html
    assert tiny_park.load("parcels").set_index("parcel_id").loc["P3", "enterprise_id"] is None or \
        tiny_park.load("parcels").set_index("parcel_id")["enterprise_id"].isna()["P3"]
    token = _TOKEN.search(html).group(1)
    confirmed = tiny_client.post(f"/import/{token}/confirm").get_data(as_text=True)
    assert "关联地块：已关联 1, 编号不存在 1, 已关联其他企业 2" in confirmed
    parcels = tiny_park.load("parcels").set_index("parcel_id")["enterprise_id"]
    assert parcels.to_dict() == {"P1": "E1", "P2": "E2", "P3": rows[2][2]}


def test_the_english_page_and_the_json_twin_count_the_links(tiny_client, tmp_path):
    source = write_list(tmp_path / "list.xlsx", enterprise_rows(4))
    body = _upload(tiny_client, source, query="?format=json").get_json()
    assert body["links"] == {"parcels": {"linked": 1, "not_found": 1, "conflicts": 2}}
    english = _upload(tiny_client, source, query="?lang=en").get_data(as_text=True)
    assert "links to parcels：to link 1, not found 1, linked to another 2" in english
    assert "1 record(s) of parcels linked to the enterprises record whose row names them (enterprise_id set): P3" \
        in english


def test_a_park_without_parcels_imports_the_list_and_says_why_in_chinese(tmp_path):
    import geopandas as gpd
    import shapely
    from conftest import WORKING_EPSG, X0, Y0

    from app import create_app
    from layers.store import GeoPackageStore

    store = GeoPackageStore(tmp_path / "no-parcels.gpkg")
    store.save_park({"zones": gpd.GeoDataFrame({"zone_id": ["Z1"], "kind": ["park_boundary"]},
                                               geometry=[shapely.box(X0, Y0, X0 + 500, Y0 + 500)], crs=WORKING_EPSG)},
                    {"working_epsg": WORKING_EPSG, "park_name": "无地块园区"})
    client = create_app({"TESTING": True, "PARK_PATH": str(store.path), "SECRET_KEY": "test"}).test_client()
    reply = _upload(client, write_list(tmp_path / "名单.xlsx", enterprise_rows(2)))
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200, html[:2000]
    assert "关联地块：无法关联 2" in html
    assert "园区还没有地块图层：未能关联；该列按原样保留在企业记录上，地块导入园区后再次导入名单即可关联" in html
    confirmed = client.post(f"/import/{_TOKEN.search(html).group(1)}/confirm")
    assert confirmed.status_code == 200 and len(store.load("enterprises")) == 2
    assert "parcels" not in store.layer_names()


def test_the_mapping_step_links_a_column_of_any_name_and_keeping_one_links_nothing(tiny_client, tiny_park, tmp_path):
    from enterprise_samples import HEADER

    # The list calls its parcels column 土地坐落, which no alias knows: kept, linking nothing.
    rows = enterprise_rows(4)
    header = [name if name != "所在地块" else "土地坐落" for name in HEADER]
    html = _upload(tiny_client, write_list(tmp_path / "名单.xlsx", rows, header=header)).get_data(as_text=True)
    form = _choices(html)
    column = _index(html, "土地坐落")
    assert form[column] == "__keep__" and "关联地块：" not in html
    assert '<option value="__link__" title="__link__">原样保留并关联地块（按其中的编号）</option>' in html
    token = _TOKEN.search(html).group(1)
    linked = tiny_client.post(f"/import/{token}/mapping", data={**form, column: "__link__", "action": "preview"})
    linked = linked.get_data(as_text=True)
    assert "关联地块：将关联 1, 编号不存在 1, 已关联其他企业 2" in linked
    assert _choices(linked)[column] == "__link__"
    # Chosen back to keep as is: no link.
    kept = tiny_client.post(f"/import/{token}/mapping", data={**form, column: "__keep__", "action": "preview"})
    assert "关联地块：" not in kept.get_data(as_text=True)
    tiny_client.post(f"/import/{token}/mapping", data={**form, column: "__link__", "action": "preview"})
    assert tiny_client.post(f"/import/{token}/confirm").status_code == 200
    assert tiny_park.load("parcels").set_index("parcel_id").loc["P3", "enterprise_id"] == rows[2][2]
