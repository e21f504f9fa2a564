"""Exports a planner reads without a code book: names beside codes, readable source-field types, and a re-import
of the export that gives the same records back (the added names dropped, nothing lost)."""

import datetime as dt
import io
import json
import re

import openpyxl
import pandas as pd
import pytest
import shapely
from conftest import TINY_META, X0, Y0, tiny_frames
from test_layers_io_export import assert_same_layer
from test_zh_pages import offences

from layers.import_text import chinese
from layers.io import ImportOptions, import_layer
from layers.io.write import attribute_table, export_layer
from layers.registry import REGISTRY, get_layer
from layers.schema import HISTORY_FIELD_NAMES
from layers.source_attributes import KeptColumn, encode, read_manifest
from layers.store import GeoPackageStore
from layers.validate import validate_layer

TODAY = dt.date(2030, 1, 1)


def _parcels() -> pd.DataFrame:
    """The tiny park's parcels (P1 100101, P2 100102, P3 1101 in 用地用海2023) and two more: the same digits 1001
    in GB/T 21010 (铁路用地, not 工业用地), and a sub-code the table does not list (100199, a class of 1001 工业用地);
    P1 was M1 under GB 50137 before the crosswalk."""
    frame = tiny_frames()["parcels"]
    extra = frame.iloc[:2].copy()
    extra["parcel_id"] = ["P4", "P5"]
    extra["land_use"] = ["1001", "100199"]
    extra["land_use_std"] = ["GB/T21010-2017", "用地用海2023"]
    extra["geometry"] = [shapely.box(X0 + 400, Y0, X0 + 450, Y0 + 50), shapely.box(X0 + 500, Y0, X0 + 550, Y0 + 50)]
    frame = pd.concat([frame, extra], ignore_index=True)
    frame["land_use_original"] = ["M1", None, None, None, None]
    frame["land_use_original_std"] = ["GB50137-2011", None, None, None, None]
    typed, _ = validate_layer(frame, get_layer("parcels"), source="test")
    for name in HISTORY_FIELD_NAMES[:2]:  # an import stamps records without them with its day
        typed[name] = pd.Timestamp("2024-01-01")
    return typed


def _re_import(frame, spec, tmp_path, name):
    park = GeoPackageStore(tmp_path / f"{name}.back.gpkg")
    park.save_park({}, TINY_META)
    plan = import_layer(tmp_path / name, spec.name, park=park, options=ImportOptions(today=TODAY))
    return park.load(spec.name), plan


# -- land-use names ------------------------------------------------------------------------------------------


def test_the_land_use_name_follows_its_code_in_chinese():
    table = attribute_table(_parcels(), get_layer("parcels"))
    columns = list(table.columns)
    assert columns[columns.index("用地性质") + 1] == "用地性质名称"
    assert columns[columns.index("原用地代码") + 1] == "原用地名称"
    # By hand from layers/landuse.py: 100101 一类, 100102 二类 工业用地 (用地用海2023); 1101 物流仓储用地;
    # 1001 in GB/T 21010 is 铁路用地; 100199 is named by its class 1001 工业用地.
    assert table["用地性质"].tolist() == ["100101", "100102", "1101", "1001", "100199"]
    assert table["用地性质名称"].tolist() == ["一类工业用地", "二类工业用地", "物流仓储用地", "铁路用地", "工业用地"]
    assert table["原用地名称"].tolist() == ["一类工业用地", None, None, None, None]  # M1 in GB 50137


def test_the_land_use_name_is_english_in_english():
    table = attribute_table(_parcels(), get_layer("parcels"), lang="en")
    columns = list(table.columns)
    assert columns[columns.index("Land use") + 1] == "Land-use name"
    assert table["Land-use name"].tolist() == ["Class 1 industrial", "Class 2 industrial",
                                               "Logistics and warehousing", "Railway", "Industrial"]
    assert table["Original land-use name"].tolist() == ["Class 1 industrial", None, None, None, None]


def test_the_csv_and_xlsx_carry_the_names_and_the_machine_formats_do_not(tmp_path):
    spec = get_layer("parcels")
    export_layer(_parcels(), spec, tmp_path / "p.csv", meta=TINY_META)
    csv = pd.read_csv(tmp_path / "p.csv", encoding="utf-8-sig", dtype=str)
    assert csv.loc[1, "用地性质"] == "100102" and csv.loc[1, "用地性质名称"] == "二类工业用地"
    export_layer(_parcels(), spec, tmp_path / "p.xlsx", meta=TINY_META, lang="en")
    xlsx = pd.read_excel(tmp_path / "p.xlsx", dtype=str)
    assert xlsx.loc[0, "Land use"] == "100101" and xlsx.loc[0, "Land-use name"] == "Class 1 industrial"
    export_layer(_parcels(), spec, tmp_path / "p.geojson", meta=TINY_META)
    properties = json.loads((tmp_path / "p.geojson").read_text(encoding="utf-8"))["features"][0]["properties"]
    assert properties["land_use"] == "100101"
    assert not {"用地性质名称", "Land-use name", "原用地名称"} & set(properties)


@pytest.mark.parametrize("name", ["p.csv", "p.xlsx", "en.csv", "en.xlsx"])
def test_a_re_import_of_the_export_gives_the_same_records_and_drops_the_names(tmp_path, name):
    spec, frame = get_layer("parcels"), _parcels()
    # P4's GB/T 21010 code is crosswalked to 用地用海2023 by any import (its own behaviour, whatever the format).
    frame = frame[frame["parcel_id"] != "P4"].reset_index(drop=True)
    export_layer(frame, spec, tmp_path / name, meta=TINY_META, lang="en" if name.startswith("en") else "zh")
    back, plan = _re_import(frame, spec, tmp_path, name)
    assert_same_layer(frame, back, spec)
    assert back["source_attributes"].isna().all()  # no junk column kept
    said = {f.source: (f.outcome, f.text("zh"), f.text("en")) for f in plan.report.fields}
    header = "Land-use name" if name.startswith("en") else "用地性质名称"
    assert said[header] == ("ignored", "忽略（由用地性质得出的名称）", "ignored (names derived from Land use)")


def test_a_name_column_edited_to_say_something_else_is_kept(tmp_path):
    spec, frame = get_layer("parcels"), _parcels()
    export_layer(frame, spec, tmp_path / "p.csv", meta=TINY_META)
    table = pd.read_csv(tmp_path / "p.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    table.loc[0, "用地性质名称"] = "高新产业用地"  # someone's own note: data, not a restated code
    table.to_csv(tmp_path / "edited.csv", index=False, encoding="utf-8-sig")
    back, _ = _re_import(frame, spec, tmp_path, "edited.csv")
    kept = back.set_index("parcel_id")["source_attributes"].map(json.loads)
    assert kept["P1"]["values"] == {"用地性质名称": "高新产业用地"}
    assert kept["P2"]["values"] == {"用地性质名称": "二类工业用地"}  # the column is kept whole


def test_a_code_changed_in_the_spreadsheet_wins_over_the_old_name_beside_it(tmp_path):
    spec, frame = get_layer("parcels"), _parcels()
    export_layer(frame, spec, tmp_path / "p.csv", meta=TINY_META)
    table = pd.read_csv(tmp_path / "p.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    table.loc[1, "用地性质"] = "100103"  # P2 re-zoned in Excel; its name still says 二类工业用地
    table.to_csv(tmp_path / "rezoned.csv", index=False, encoding="utf-8-sig")
    back, plan = _re_import(frame, spec, tmp_path, "rezoned.csv")
    assert back.set_index("parcel_id").loc["P2", "land_use"] == "100103"
    assert back["source_attributes"].isna().all()  # the stale name is no data either
    note = next(n for n in plan.report.notices if n.field == "用地性质名称")
    assert (note.message, note.value) == ("1 value(s) name a class other than the record's land_use: the land_use "
                                          "code is imported, the names are not kept", "二类工业用地")
    assert chinese(note.message) == "1 个名称与本记录的用地性质代码不符：导入的是代码，这些名称不保留"


# -- readable types of the kept source fields -------------------------------------------------------------------


def _kept_parcels() -> pd.DataFrame:
    """Two parcels with kept source fields: text, number, date, and one named WKT (the tables' geometry column)."""
    columns = [KeptColumn("分區類", "text", pd.Series(["工業區", None])),
               KeptColumn("容积率", "float", pd.Series([2.5, 1.0])),
               KeptColumn("竣工日期", "date", pd.Series(["2020-01-02", None])),
               KeptColumn("WKT", "text", pd.Series(["甲", "乙"]))]
    frame = tiny_frames()["parcels"].iloc[:2].copy()
    frame["source_attributes"] = encode(columns, 2).to_numpy()
    typed, _ = validate_layer(frame, get_layer("parcels"), source="test")
    return typed


def test_the_types_column_reads_as_words_in_the_language():
    spec = get_layer("parcels")
    zh = attribute_table(_kept_parcels(), spec, kept_types=True)
    assert zh["源字段类型"].tolist() == ["分區類：文本；容积率：数值；竣工日期：日期；WKT_源：文本（原名 WKT）"] * 2
    en = attribute_table(_kept_parcels(), spec, lang="en", kept_types=True)
    assert en["Source field types"][0] == \
        "分區類: text; 容积率: number; 竣工日期: date; WKT_源: text (originally WKT)"
    # Both read back as the machine formats' JSON says it.
    expected = {"分區類": ("text", "分區類"), "容积率": ("float", "容积率"), "竣工日期": ("date", "竣工日期"),
                "WKT_源": ("text", "WKT")}
    assert read_manifest(pd.concat([zh["源字段类型"], en["Source field types"]])) == [expected] * 4


@pytest.mark.parametrize("name", ["p.csv", "p.xlsx", "en.csv", "en.xlsx", "p.geojson", "p.gpkg"])
def test_kept_fields_round_trip_through_the_readable_and_the_machine_types(tmp_path, name):
    spec, frame = get_layer("parcels"), _kept_parcels()
    export_layer(frame, spec, tmp_path / name, meta=TINY_META, lang="en" if name.startswith("en") else "zh")
    back, _ = _re_import(frame, spec, tmp_path, name)
    assert back["source_attributes"].tolist() == frame["source_attributes"].tolist()


def test_a_name_holding_a_separator_is_written_as_json_and_still_round_trips(tmp_path):
    spec = get_layer("parcels")
    frame = tiny_frames()["parcels"].iloc[:1].copy()
    frame["source_attributes"] = encode([KeptColumn("比例：1;2", "int", pd.Series([3]))], 1).to_numpy()
    frame, _ = validate_layer(frame, spec, source="test")
    assert attribute_table(frame, spec, kept_types=True)["源字段类型"][0] == '{"比例：1;2":"int"}'
    export_layer(frame, spec, tmp_path / "p.csv", meta=TINY_META)
    back, _ = _re_import(frame, spec, tmp_path, "p.csv")
    assert back["source_attributes"].tolist() == frame["source_attributes"].tolist()


def test_a_types_cell_that_says_no_type_is_refused_naming_row_and_text():
    with pytest.raises(ValueError, match=r"row 2: source_field_types: '容积率：很多' does not say a column and its type"):
        read_manifest(pd.Series(["容积率：数值", "容积率：很多"]))


# -- the history logs ---------------------------------------------------------------------------------------------


def test_the_logs_name_their_layers_fields_and_actions():
    audit = pd.DataFrame({"event_id": ["A1", "A2", "A3", "A4"], "seq": [1, 2, 3, 4],
                          "layer": ["parcels", "parcels", "parcels", "retired_layer"],
                          "field": ["land_use", "status", "site_levelled", "x"],
                          "old_value": ["100101", "supplied", "false", "y"],
                          "new_value": ["100102", "under_construction", "true", None],
                          "action": ["update"] * 4, "op": ["update"] * 4})
    audit, _ = validate_layer(audit, get_layer("audit_events"), source="test")
    table = attribute_table(audit, get_layer("audit_events"))
    columns = list(table.columns)
    for code in ("图层", "字段", "原值", "新值"):
        assert columns[columns.index(code) + 1] == f"{code}名称"
    assert table["图层名称"].tolist() == ["地块", "地块", "地块", None]  # a layer the registry no longer has
    assert table["字段名称"].tolist() == ["用地性质", "状态", "场地平整", None]
    assert table["原值"].tolist() == ["100101", "supplied", "false", "y"]  # as logged
    assert table["原值名称"].tolist() == ["一类工业用地", "已供地", "否", None]
    assert table["新值名称"].tolist() == ["二类工业用地", "在建", "是", None]
    english = attribute_table(audit, get_layer("audit_events"), lang="en")
    assert english["Field name"][0] == "Land use" and english["New value name"].tolist()[:3] == [
        "Class 2 industrial", "Under construction", "yes"]
    created = json.dumps({"parcel_id": "P9", "name": None, "land_use": "100102", "status": "planned",
                          "site_levelled": "true", "geometry": "POLYGON ((0 0, 1 0, 1 1, 0 0))",
                          "source_attributes": '{"types":{},"values":{}}'}, ensure_ascii=False)
    whole = pd.DataFrame({"event_id": ["A5"], "seq": [5], "layer": ["parcels"], "field": ["*"],
                          "new_value": [created], "action": ["create"], "op": ["create"]})
    whole, _ = validate_layer(whole, get_layer("audit_events"), source="test")
    # The record's fields as they read; empty ones, the outline and the kept source fields left out.
    assert attribute_table(whole, get_layer("audit_events"))["新值名称"][0] == \
        "地块编号：P9；用地性质：二类工业用地；状态：规划；场地平整：是"
    assert attribute_table(whole, get_layer("audit_events"), lang="en")["New value name"][0] == \
        "Parcel id: P9; Land use: Class 2 industrial; Status: Planned; Site levelled: yes"
    cases = pd.DataFrame({"event_id": ["C1-E1", "C1-E2"], "case_id": ["C1", "C1"], "action": ["create", "update"],
                          "field": ["closed", "method"], "old_value": [None, "reclaim"], "new_value": [None, "lease"]})
    cases, _ = validate_layer(cases, get_layer("case_events"), source="test")
    table = attribute_table(cases, get_layer("case_events"))
    assert table["操作"].tolist() == ["立案", "修改"]
    assert table["字段名称"].tolist() == ["办结日期", "盘活方式"]
    assert table["原值名称"].tolist() == [None, "收回"] and table["新值名称"].tolist() == [None, "招商租赁"]


# -- every layer of the demo park, as a planner reads it ------------------------------------------------------

SNAKE_CASE = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")
NOT_A_VALUE = {"True", "False", "NaN", "nan", "None", "NaT", "<NA>", "null"}
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_layer_export_shows_a_code_book_value(demo_park, tmp_path, lang):
    for name, spec in REGISTRY.items():
        if name == "audit_events":  # its values stay as logged (codes, UTC instants), named beside: tested above
            continue
        export_layer(demo_park.load(name), spec, tmp_path / f"{name}.csv", meta=demo_park.read_meta(), lang=lang)
        table = pd.read_csv(tmp_path / f"{name}.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
        for header in table.columns:
            assert not SNAKE_CASE.match(header), (name, header)
            if lang == "zh" and header != "WKT":
                assert re.search(r"[\u4e00-\u9fff]", header), (name, header)
            values = set(table[header]) - {""}
            assert not values & NOT_A_VALUE, (name, header)
            assert not any(SNAKE_CASE.match(v) or ISO_MOMENT.match(v) for v in values), (name, header)
            if lang == "zh" and header != "WKT":  # no English sentence either (the pages' own detector)
                assert [o for v in values for o in offences(v)] == [], (name, header)
    parcels = pd.read_csv(tmp_path / "parcels.csv", encoding="utf-8-sig", dtype=str)
    header = "用地性质名称" if lang == "zh" else "Land-use name"
    assert parcels[header].notna().all()  # every demo land use is a class of the table


def test_no_layer_workbook_shows_a_code_book_value(demo_park, tmp_path):
    for name, spec in REGISTRY.items():
        dest = tmp_path / f"{name}.xlsx"
        export_layer(demo_park.load(name), spec, dest, meta=demo_park.read_meta())
        workbook = openpyxl.load_workbook(dest, read_only=True)
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
        workbook.close()
        header, rows = rows[0], rows[1:]
        assert all(re.search(r"[\u4e00-\u9fff]", h) for h in header if h != "WKT"), (name, header)
        for row in rows:
            for column, value in zip(header, row):
                if isinstance(value, str) and column != "WKT":
                    assert value not in NOT_A_VALUE and not SNAKE_CASE.match(value), (name, column, value)
                    assert not ISO_MOMENT.match(value), (name, column, value)
                assert not isinstance(value, bool), (name, column)  # yes/no as 是/否


@pytest.mark.parametrize(("lang", "header", "name"), [("zh", "用地性质名称", "一类工业用地"),
                                                      ("en", "Land-use name", "Class 1 industrial")])
def test_the_download_page_serves_the_names_in_the_ui_language(tiny_client, lang, header, name):
    reply = tiny_client.get(f"/export/parcels.csv?lang={lang}")
    table = pd.read_csv(io.BytesIO(reply.get_data()), encoding="utf-8-sig", dtype=str)
    assert table.set_index(table.columns[0]).loc["P1", header] == name
    workbook = tiny_client.get(f"/export/parcels.xlsx?lang={lang}")
    table = pd.read_excel(io.BytesIO(workbook.get_data()), dtype=str)
    assert table.set_index(table.columns[0]).loc["P1", header] == name
