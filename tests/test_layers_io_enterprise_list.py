"""An enterprise list as a park office makes it (企业名单 .xlsx/.csv, tests/enterprise_samples.py): ids from the
统一社会信用代码 when it has no 企业编号 (GB 32100-2015 checked, a bad code kept with a notice), wide yearly columns
(``2024年营业收入（万元）``) reshaped into enterprise_years in the same write, and float ids read value by value."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from enterprise_samples import HEADER, enterprise_rows, write_list

from layers.credit_code import ALPHABET, WEIGHTS, check_character, credit_code_fault
from layers.demo.economy import credit_codes
from layers.import_text import chinese
from layers.io import ImportOptions, ImportRejected, import_layer
from layers.io.wide_years import reshape_years, yearly_columns
from layers.registry import get_layer
from layers.store import GeoPackageStore
from layers.validate import validate_layer
from layers.values import to_text

YEARS = get_layer("enterprise_years")
#: A code whose check character is worked out by hand below.
CODE = "91350100M000100Y43"


# -- the credit code (GB 32100-2015) ---------------------------------------------------------------------------


def test_the_check_character_hand_computed():
    # Values 9 1 3 5 0 1 0 0 M=21 0 0 0 1 0 0 Y=30 4, weights 3^i mod 31 = 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28:
    # 9 + 3 + 27 + 135 + 26 + 420 + 8 + 900 + 112 = 1640; 1640 mod 31 = 28; 31 − 28 = 3.
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert (ALPHABET.index("M"), ALPHABET.index("Y")) == (21, 30)
    assert check_character(CODE[:17]) == "3"
    assert credit_code_fault(CODE) is None
    # A sum that is a multiple of 31 gives 0, not 31: seventeen zeros.
    assert check_character("0" * 17) == "0" and credit_code_fault("0" * 18) is None


def test_codes_made_by_another_implementation_pass():
    # layers.demo.economy computes the check characters its own way (numpy, positions throughout).
    codes = credit_codes(200, np.random.default_rng(3))
    assert [c for c in codes if credit_code_fault(c) is not None] == []


@pytest.mark.parametrize(("value", "reason"), [
    (CODE[:17], "17 character(s), not 18"),
    (CODE + "0", "19 character(s), not 18"),
    ("91350100I000100Y43", "character 'I' at position 9 is not one of"),
    ("913501000000100O43", "character 'O' at position 16 is not one of"),
    ("91350100Z000100Y43", "character 'Z' at position 9"),
    ("91350100S000100Y43", "character 'S' at position 9"),
    ("91350100V000100Y43", "character 'V' at position 9"),
    ("91350100m000100y43", "character 'm' at position 9"),  # lower case is not the code's
    (CODE[:17] + "4", "the check character is '4'; the first 17 characters give '3'"),
])
def test_what_is_not_a_credit_code_says_why(value, reason):
    assert credit_code_fault(value).startswith(reason)


def test_validation_keeps_a_bad_code_and_names_the_record_and_value():
    frame = pd.DataFrame({"enterprise_id": ["E1", "E2", "E3"], "credit_code": [CODE, "9135010", None]})
    typed, report = validate_layer(frame, get_layer("enterprises"), source="list.xlsx")
    assert typed["credit_code"].tolist()[:2] == [CODE, "9135010"]
    assert [(n.record, n.message) for n in report.notices] == [
        ("row 2 (enterprise_id=E2)", "'9135010' is not a unified social credit code (GB 32100-2015): 7 character(s), "
                                     "not 18; kept as it is")]
    assert chinese(report.notices[0].message) == ("“9135010”不是统一社会信用代码（GB 32100-2015）：共 7 个字符，应为 18 个；"
                                                  "按原样保留")


# -- float ids ---------------------------------------------------------------------------------------------------


def test_whole_floats_become_integers_value_by_value():
    assert to_text(pd.Series([1001.0, 1001.5, np.nan, 1002.0]))[0].tolist() == ["1001", "1001.5", np.nan, "1002"]
    assert to_text(pd.Series([1001.0, 1002.0]))[0].tolist() == ["1001", "1002"]
    assert to_text(pd.Series([1001.0, "A1", 2.5, None], dtype=object))[0].tolist() == ["1001", "A1", "2.5", np.nan]
    assert to_text(pd.Series([-3.0, 2.0**53]))[0].tolist() == ["-3", "9007199254740992"]


def test_a_float_id_column_imports_as_written(tmp_path, tiny_park):
    # A GeoJSON's numbers are floats as soon as one has a fraction: the column is float64.
    features = [{"type": "Feature", "geometry": None, "properties": {"企业编号": number, "企业名称": name}}
                for number, name in ((1001.0, "甲"), (1001.5, "乙"), (1002.0, "丙"))]
    source = tmp_path / "ids.geojson"
    source.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    plan = import_layer(source, "enterprises", park=tiny_park, options=ImportOptions(mode="upsert", dry_run=True))
    assert plan.incoming["enterprise_id"].tolist() == ["1001", "1001.5", "1002"]


# -- wide yearly columns -----------------------------------------------------------------------------------------


def test_year_and_measure_headers_are_recognised():
    found = yearly_columns(["企业名称", "2024年营业收入（万元）", "营业收入2022", "2021营收", "营业收入（2020年）",
                            "2024年度税收（元）", "2023年从业人员（人）", "2024年综合能耗（万吨标准煤）"], YEARS,
                           key="enterprise_id")
    assert [(c.column, c.year, c.field, c.factor) for c in found.columns] == [
        ("2024年营业收入（万元）", 2024, "revenue_wan", 1.0),
        ("营业收入2022", 2022, "revenue_wan", 1.0),
        ("2021营收", 2021, "revenue_wan", 1.0),
        ("营业收入（2020年）", 2020, "revenue_wan", 1.0),
        ("2024年度税收（元）", 2024, "tax_wan", 1e-4),
        ("2023年从业人员（人）", 2023, "employees", 1.0),
        ("2024年综合能耗（万吨标准煤）", 2024, "energy_tce", 1e4),
    ]
    assert found.left == []


def test_what_stays_an_attribute_and_why():
    found = yearly_columns(["营业收入（万元）", "税收", "2024年亩均税收", "2024年1-6月营业收入", "2024年营业收入（亩）",
                            "1985年营业收入", "2024年营业收入", "营业收入2024"], YEARS, key="enterprise_id")
    # A known measure without a year is not looked at (the list's own attribute); the rest is said.
    assert [c.column for c in found.columns] == ["2024年营业收入"]
    left = dict(found.left)
    assert list(left) == ["2024年亩均税收", "2024年1-6月营业收入", "2024年营业收入（亩）", "1985年营业收入", "营业收入2024"]
    assert left["2024年亩均税收"].startswith("a year (2024) and no figure of enterprise_years ('亩均税收' is none of")
    assert left["2024年营业收入（亩）"] == ("unit '亩' cannot be converted to revenue_wan (万元; a unit of money): kept as "
                                       "an attribute")
    assert left["1985年营业收入"] == "year 1985 is outside 1990–2100: kept as an attribute"
    assert left["营业收入2024"] == "revenue_wan of 2024 is taken from '2024年营业收入' already: kept as an attribute"
    assert chinese(left["2024年营业收入（亩）"]) == "单位“亩”无法换算为营业收入的单位（万元）：作为属性原样保留"


def test_wide_rows_become_yearly_records_hand_computed():
    columns = ["2023年营业收入（万元）", "2024年营业收入（元）", "2024年从业人员"]
    rows = pd.DataFrame({columns[0]: ["100", None, ""], columns[1]: ["12345678", "x", None],
                         columns[2]: ["12", None, None]})
    found = yearly_columns(columns, YEARS, key="enterprise_id")
    out = reshape_years(rows, pd.Series(["A", "B", "C"]), found.columns, YEARS, key="enterprise_id")
    # C has no figure at all: no record; B has no 2023 figure: no 2023 record; B's "x" goes on for validation to name.
    assert out.frame["record_id"].tolist() == ["A-2023", "A-2024", "B-2024"]
    assert out.frame["year"].tolist() == [2023, 2024, 2024]
    assert out.frame["revenue_wan"].tolist() == ["100", 1234.5678, "x"]  # 12 345 678 元 = 1 234.5678 万元
    assert out.frame["employees"].tolist()[1] == "12"
    assert out.provided.to_dict("list") == {"revenue_wan": [True, True, True], "employees": [False, True, False]}
    assert out.source.tolist() == [0, 0, 1]


# -- the import --------------------------------------------------------------------------------------------------


def _import(source, park, **options):
    return import_layer(source, "enterprises", park=park, options=ImportOptions(**{"mode": "upsert", **options}),
                        archive_dir=park.path.parent / "archive")


def _years(park) -> pd.DataFrame:
    return park.load("enterprise_years").set_index("record_id")


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_an_enterprise_list_without_ids_upserts_by_credit_code_with_its_years(tmp_path, tiny_park, suffix):
    rows = enterprise_rows(4)
    plan = _import(write_list(tmp_path / f"名单{suffix}", rows), tiny_park)
    report = plan.report
    assert report.committed and report.counts == {"added": 4}
    codes = [row[2] for row in rows]
    enterprises = tiny_park.load("enterprises").set_index("enterprise_id")
    assert enterprises.loc[codes, "credit_code"].tolist() == codes
    assert enterprises.loc[codes[0], "name"] == "浙江恒丰精密机械有限公司"
    kept = json.loads(enterprises.loc[codes[0], "source_attributes"])["values"]
    assert set(kept) == {"序号", "所在地块", "行业", "2024年亩均税收", "备注"}  # the yearly columns went to the years
    # Fields that could be the ids instead: a value on every record, each once (the yearly figures are figures).
    assert report.choices["id_field"] == {"source": "统一社会信用代码", "chosen": "统一社会信用代码", "default": True,
                                          "fault": None, "candidates": ["序号", "企业名称", "统一社会信用代码", "所在地块",
                                                                       "行业", "2024年亩均税收"]}
    said = {n.field: n.message for n in report.notices}
    assert said["enterprise_id"] == ("the source has no enterprise_id; taken from the source field '统一社会信用代码' "
                                     "(credit_code), which holds a value on every record, each once (to take them "
                                     "from another field or generate them: --id-field)")
    assert said["2024年营业收入（万元）"] == "moved to enterprise_years: revenue_wan of 2024 (in 万元)"
    assert said["2024年从业人员"] == "moved to enterprise_years: employees of 2024 (no unit)"
    assert said["enterprise_years"] == ("8 yearly record(s) of 2023–2024 from 4 column(s), upserted by record_id: "
                                        "added 8")
    assert report.also == {"enterprise_years": {"added": 8}}
    outcomes = {f.source: f.text("zh") for f in report.fields}
    assert outcomes["统一社会信用代码"] == "映射到 统一社会信用代码，并作为企业编号"
    assert outcomes["2023年营业收入（万元）"] == "移入企业年度数据：2023 年营业收入"
    assert outcomes["2024年亩均税收"] == ("原样保留（数值）" if suffix == ".xlsx" else "原样保留（文本）")  # a CSV holds text
    # Four enterprises × two years; the last one's 2024 tax is not reported: no value, the record is there.
    years = _years(tiny_park)
    assert len(years) == 8
    first, last = rows[0], rows[3]
    assert years.loc[f"{first[2]}-2023", ["enterprise_id", "year", "revenue_wan"]].tolist() == [first[2], 2023, first[5]]
    assert years.loc[f"{first[2]}-2024", ["revenue_wan", "tax_wan", "employees"]].tolist() == [first[6], first[7],
                                                                                             first[8]]
    assert pd.isna(years.loc[f"{last[2]}-2024", "tax_wan"]) and years.loc[f"{last[2]}-2024", "employees"] == last[8]


def test_a_second_list_updates_the_years_and_an_empty_cell_keeps_the_figure(tmp_path, tiny_park):
    rows = enterprise_rows(2)
    _import(write_list(tmp_path / "2024.xlsx", rows), tiny_park)
    code = rows[0][2]
    tax = rows[0][7]
    # The list again, the revenue in 元 now, the first tax left empty, a 2025 column added.
    header = [*HEADER[:6], "2024年营业收入（元）", *HEADER[7:], "2025年营业收入"]
    again = [[*row[:6], 98_765_432, None if i == 0 else row[7], *row[8:], 10.5] for i, row in enumerate(rows)]
    plan = _import(write_list(tmp_path / "2025.xlsx", again, header=header), tiny_park)
    said = {n.field: n.message for n in plan.report.notices}
    assert said["2024年营业收入（元）"] == "moved to enterprise_years: revenue_wan of 2024 (元 converted to 万元, × 0.0001)"
    assert said["2025年营业收入"] == "moved to enterprise_years: revenue_wan of 2025 (no unit in the header: read in 万元)"
    assert plan.report.also == {"enterprise_years": {"added": 2, "updated": 2, "unchanged": 2}}
    years = _years(tiny_park)
    assert years.loc[f"{code}-2024", "revenue_wan"] == 9876.5432  # 98 765 432 元 ÷ 10 000
    assert years.loc[f"{code}-2024", "tax_wan"] == tax  # the empty cell changed nothing
    assert years.loc[f"{code}-2025", "revenue_wan"] == 10.5


def test_a_code_that_is_not_one_is_kept_with_a_notice_naming_row_and_value(tmp_path, tiny_park):
    rows = enterprise_rows(3)
    rows[1][2] = "9133010"
    rows[2][2] = rows[2][2][:8] + "O" + rows[2][2][9:]
    plan = _import(write_list(tmp_path / "名单.xlsx", rows), tiny_park)
    assert plan.report.committed
    notes = [(n.record, n.message) for n in plan.report.notices if n.field == "credit_code"]
    assert notes == [
        ("row 2 (enterprise_id=9133010)", "'9133010' is not a unified social credit code (GB 32100-2015): 7 "
                                          "character(s), not 18; kept as it is"),
        (f"row 3 (enterprise_id={rows[2][2]})", f"'{rows[2][2]}' is not a unified social credit code (GB 32100-2015): "
                                                "character 'O' at position 9 is not one of the code's (digits and "
                                                "upper-case letters but I, O, Z, S, V); kept as it is")]
    assert set(tiny_park.load("enterprises")["enterprise_id"]) >= {"9133010", rows[2][2]}
    assert f"{rows[2][2]}-2024" in _years(tiny_park).index


@pytest.mark.parametrize(("change", "fault"), [
    (lambda rows: rows[1].__setitem__(2, rows[0][2]), "holds duplicates ("),
    (lambda rows: rows[1].__setitem__(2, None), "has no value on 1 record(s)"),
])
def test_codes_missing_or_twice_are_no_ids_and_an_upsert_is_refused(tmp_path, tiny_park, change, fault):
    rows = enterprise_rows(3)
    change(rows)
    with pytest.raises(ImportRejected) as refused:
        _import(write_list(tmp_path / "名单.xlsx", rows), tiny_park)
    report = refused.value.report
    said = [n.message for n in report.notices if n.field == "enterprise_id"]
    assert said[0].startswith(f"not taken from the source field '统一社会信用代码' (credit_code), which {fault}")
    assert [p.message for p in report.problems] == [
        "upsert keys on enterprise_id, and the source has none; use replace or append, or choose the field that "
        "holds the ids"]
    assert "id_field" not in report.choices
    assert len(tiny_park.load("enterprise_years")) == 0
    # Replace generates ids; the credit codes stay what they are.
    plan = _import(write_list(tmp_path / "名单.xlsx", rows), tiny_park, mode="replace")
    assert plan.incoming["enterprise_id"].str.startswith("AUTO-enterprises-").all()


def test_a_chosen_id_field_wins_and_stays_offered(tmp_path, tiny_park):
    source = write_list(tmp_path / "名单.xlsx", enterprise_rows(3))
    plan = _import(source, tiny_park, id_field="序号")
    assert plan.incoming["enterprise_id"].tolist() == ["1", "2", "3"]
    assert plan.report.choices["id_field"] == {"source": "序号", "chosen": "序号", "default": False, "fault": None,
                                               "candidates": ["序号", "企业名称", "统一社会信用代码", "所在地块", "行业",
                                                         "2024年亩均税收"]}
    assert sorted(_years(tiny_park)["enterprise_id"].unique()) == ["1", "2", "3"]
    # Generated ids key nothing an upsert could find again: they go with replace.
    generated = _import(source, tiny_park, id_field="AUTO", mode="replace")
    assert generated.incoming["enterprise_id"].tolist() == ["AUTO-enterprises-1", "AUTO-enterprises-2",
                                                            "AUTO-enterprises-3"]
    assert generated.report.choices["id_field"]["chosen"] == "AUTO"


def test_a_bad_yearly_figure_rejects_the_whole_import(tmp_path, tiny_park):
    rows = enterprise_rows(3)
    rows[1][7] = "5l6.0"  # a letter l for a 1
    with pytest.raises(ImportRejected) as refused:
        _import(write_list(tmp_path / "名单.xlsx", rows), tiny_park)
    problems = refused.value.report.problems
    assert [(p.record, p.field, p.value, p.message) for p in problems] == [
        (f"row 2 (record_id={rows[1][2]}-2024)", "tax_wan", "5l6.0", "expected a number")]
    assert chinese(problems[0].message) == "应为数值"
    assert len(tiny_park.load("enterprises")) == 2 and len(tiny_park.load("enterprise_years")) == 0


def test_the_list_and_its_years_are_one_write(tmp_path, tiny_park, monkeypatch):
    writes = []
    save = GeoPackageStore.save_layers

    def recorded(self, frames, **kwargs):
        writes.append(sorted(frames))
        return save(self, frames, **kwargs)

    monkeypatch.setattr(GeoPackageStore, "save_layers", recorded)
    _import(write_list(tmp_path / "名单.xlsx", enterprise_rows(2)), tiny_park)
    assert writes == [["enterprise_years", "enterprises"]]


def test_a_list_without_yearly_columns_writes_the_enterprises_alone(tmp_path, tiny_park):
    rows = [row[:5] for row in enterprise_rows(2)]
    plan = _import(write_list(tmp_path / "名单.csv", rows, header=HEADER[:5]), tiny_park)
    assert plan.yearly is None and plan.report.also == {}
    assert len(tiny_park.load("enterprise_years")) == 0


def test_the_command_line_says_where_the_ids_come_from(tmp_path, tiny_park, tiny_app):
    source = write_list(tmp_path / "名单.xlsx", enterprise_rows(2))
    runner = CliRunner()
    result = runner.invoke(tiny_app.cli, ["import", "enterprises", str(source), "--park", str(tiny_park.path),
                                          "--mode", "upsert", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "  - 统一社会信用代码: 映射到 统一社会信用代码，并作为企业编号 / mapped to credit_code, and taken as enterprise_id" \
        in result.output
    assert ("hint: the ids are the values of '统一社会信用代码' (the file has no id column); to take them from another "
            "field give --id-field FIELD (could be: 序号, 企业名称, 所在地块, 行业, 2024年亩均税收), or --id-field AUTO to generate ids") \
        in result.output
    assert "layer 'enterprise_years': added 4" in result.output
    chosen = runner.invoke(tiny_app.cli, ["import", "enterprises", str(source), "--park", str(tiny_park.path),
                                          "--mode", "upsert", "--dry-run", "--id-field", "序号"])
    assert chosen.exit_code == 0, chosen.output
    assert "ids from the source field '序号', as chosen" in chosen.output and "hint:" not in chosen.output


@pytest.mark.parametrize(("english", "zh"), [
    ("not taken from the source field '统一社会信用代码' (credit_code), which holds duplicates ('9133' ×2; 3 distinct "
     "values on 4 rows)", "未取源字段“统一社会信用代码”作编号：有重复值（'9133' ×2；4 行中只有 3 个不同的值）"),
    ("not taken from the source field '信用代码' (credit_code), which has no value on 1 record(s)",
     "未取源字段“信用代码”（统一社会信用代码）作编号：有 1 条记录没有值"),
    (f"'{CODE[:17]}4' is not a unified social credit code (GB 32100-2015): the check character is '4'; the first 17 "
     "characters give '3'; kept as it is",
     f"“{CODE[:17]}4”不是统一社会信用代码（GB 32100-2015）：校验码是“4”，按前 17 位应为“3”；按原样保留"),
    ("moved to enterprise_years: revenue_wan of 2024 (元 converted to 万元, × 0.0001)",
     "移入企业年度数据：2024 年营业收入（元 换算为 万元，× 0.0001）"),
    ("moved to enterprise_years: tax_wan of 2025 (no unit in the header: read in 万元)",
     "移入企业年度数据：2025 年税收（表头未写单位，按 万元 读取）"),
    ("8 yearly record(s) of 2023–2024 from 4 column(s), upserted by record_id: added 6, updated 1, unchanged 1",
     "由 4 列得到 2023–2024 年的 8 条年度记录，按记录编号更新或新增：新增 6，更新 1，未变 1"),
    ("2 yearly column(s) and no figure in them: no yearly record", "2 个年度列都没有数值：未生成年度记录"),
])
def test_the_new_notices_read_in_chinese(english, zh):
    assert chinese(english) == zh


def test_a_yearly_column_the_mapping_keeps_stays_an_attribute(tmp_path, tiny_park):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("keep: [2024年税收（万元）]\n", encoding="utf-8")
    rows = enterprise_rows(2)
    plan = _import(write_list(tmp_path / "名单.xlsx", rows), tiny_park, mapping_path=str(mapping))
    outcomes = {f.source: f.outcome for f in plan.report.fields}
    assert outcomes["2024年税收（万元）"] == "kept" and outcomes["2024年营业收入（万元）"] == "yearly"
    enterprise = tiny_park.load("enterprises").set_index("enterprise_id").loc[rows[0][2]]
    assert json.loads(enterprise["source_attributes"])["values"]["2024年税收（万元）"] == rows[0][7]
    assert _years(tiny_park)["tax_wan"].isna().all()


def test_the_mapping_step_posts_a_yearly_column_as_read_from_its_header():
    from layers.io.mapping import FieldMapping
    from layers.io.mapping_step import KEEP, YEARLY, posted_mapping

    enterprises = get_layer("enterprises")
    mapping = posted_mapping({"field-0": YEARLY, "field-1": KEEP, "field-2": "credit_code"}, enterprises,
                             ["2024年营业收入（万元）", "2024年税收（万元）", "统一社会信用代码"], FieldMapping())
    assert mapping.keep == ("2024年税收（万元）",) and mapping.fields == {"统一社会信用代码": "credit_code"}


@pytest.mark.parametrize("where", ["gpkg", "postgis"])
def test_an_audited_upsert_logs_the_list_and_its_years_as_one_change(tmp_path, tiny_park, where, request):
    from conftest import TINY_META, tiny_frames

    from layers.audit import AuditedStore

    if where == "gpkg":
        store = tiny_park
    else:
        store = request.getfixturevalue("postgis_store")
        store.save_park(tiny_frames(), TINY_META)
    rows = enterprise_rows(2)
    def upsert(name):
        return import_layer(write_list(tmp_path / name, rows), "enterprises", park=AuditedStore(store),
                            options=ImportOptions(mode="upsert"), archive_dir=tmp_path / "archive")

    upsert("名单.xlsx")
    rows[1][6] = 4321.0  # again with one figure changed
    plan = upsert("名单2.xlsx")
    assert plan.report.counts == {"added": 0, "unchanged": 2}
    assert plan.report.also == {"enterprise_years": {"added": 0, "updated": 1, "unchanged": 3}}
    years = store.load("enterprise_years").set_index("record_id")
    assert years.loc[f"{rows[1][2]}-2024", "revenue_wan"] == 4321.0 and len(years) == 4
    events = store.load("audit_events")
    imports = events[events["action"] == "import"]
    assert imports.groupby("change_id")["layer"].apply(set).tolist() == [{"enterprises", "enterprise_years"},
                                                                          {"enterprise_years"}]


def test_yearly_records_follow_generated_ids_numbered_again_at_the_write(tmp_path, tiny_park):
    # Two offices' lists without ids, appended with generated ids; the other one is written between this import's
    # preview (planned AUTO-enterprises-1…3) and its write, so this one's ids become 4…6, and its years with them.
    from test_layers_io_import import WrittenFirst

    mine, theirs = enterprise_rows(3, seed=7), enterprise_rows(3, seed=8)
    for rows in (mine, theirs):
        for row in rows:
            row[3] = None  # no 所在地块: this is about the years
    other_list = write_list(tmp_path / "别的名单.xlsx", theirs)
    other = lambda: _import(other_list, tiny_park, mode="append", id_field="AUTO")  # noqa: E731
    plan = import_layer(write_list(tmp_path / "名单.xlsx", mine), "enterprises",
                        park=WrittenFirst(tiny_park.path, other),
                        options=ImportOptions(mode="append", id_field="AUTO"),
                        archive_dir=tiny_park.path.parent / "archive")
    assert "generated ids are now AUTO-enterprises-4 … AUTO-enterprises-6" in plan.report.text()
    enterprises = tiny_park.load("enterprises").set_index("enterprise_id")["name"]
    years = _years(tiny_park)
    for first, rows in ((1, theirs), (4, mine)):
        for i, row in enumerate(rows):
            owner = f"AUTO-enterprises-{first + i}"
            assert enterprises[owner] == row[1]
            # 2023年营业收入 of this list's row, on its own enterprise's record (not the other list's).
            record = years.loc[f"{owner}-2023"]
            assert (record["enterprise_id"], record["revenue_wan"]) == (owner, pytest.approx(row[5]))
    assert years.index.str.startswith("AUTO-enterprises-").sum() == 12  # 2 years × 3 enterprises × 2 lists
