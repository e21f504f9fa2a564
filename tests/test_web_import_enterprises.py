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
