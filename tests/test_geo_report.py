"""The annual report's composition: the year beside the one before, in words and tables, zh and en."""

from __future__ import annotations

import datetime as dt

import pytest
from annual_samples import RULES, annual_park

from geo.analysis import analyse_land
from geo.annual import year_end, year_figures
from geo.report import number, report_document, table_frame, year_table


@pytest.fixture(scope="module")
def years():
    park = annual_park()
    ends = {year: analyse_land(park, as_of=year_end(year), rules=RULES) for year in (2023, 2024, 2025)}
    return (year_figures(park, 2025, end=ends[2025], start=ends[2024]),
            year_figures(park, 2024, end=ends[2024], start=ends[2023]))


@pytest.mark.parametrize(("value", "unit", "lang", "text"), [
    (60.0, "亩", "zh", "60.0"), (1234.5, "m²", "zh", "1,234"), (1234.56, "m²", "zh", "1,235"),
    (1.0, "km", "en", "1.00"), (None, "亩", "zh", "无法判断"), (float("nan"), "km", "en", "not judged"),
])
def test_numbers_are_written_with_the_decimals_of_their_unit(value, unit, lang, text):
    assert number(value, unit, lang) == text


def test_the_year_beside_the_one_before_with_change(years):
    current, previous = years
    table = table_frame(year_table(current, previous, "zh", ("land_supplied_parcels", "land_supplied_mu",
                                                              "projects_completed")))
    assert table.columns.tolist() == ["指标", "单位", "2025", "2024", "增减", "增减幅度"]
    assert table.values.tolist() == [
        ["供地宗数", "宗", "4", "1", "+3", "+300.0 %"],
        ["供地面积", "亩", "60.0", "15.0", "+45.0", "+300.0 %"],
        ["竣工项目（宗地）", "宗", "2", "0", "+2", "—"],  # nothing completed in 2024: no percentage
    ]


def test_the_document_says_each_part_in_words_with_the_change(years):
    current, previous = years
    document = report_document("测试园区", current, previous, made_on=dt.date(2026, 1, 15))
    assert document.title == "测试园区2025年度土地利用工作总结"
    assert document.subtitle == "测试园区 · 2026年1月15日"
    assert [s.heading for s in document.sections] == [
        "一、土地供应与项目建设", "二、闲置土地与低效用地", "三、标准厂房与盘活", "四、基础设施建设", "五、企业效益"]
    assert document.sections[0].paragraphs[0].startswith(
        "2025年园区供应土地4宗，较上年增加3宗。供地面积60.0亩，较上年增加45.0亩。")
    english = report_document("Test park", current, previous, lang="en", made_on=dt.date(2026, 1, 15))
    assert english.sections[0].paragraphs[0].startswith(
        "In 2025 the park supplied 4 parcels of land, up 3 parcels on the year before.")


def test_a_figure_the_park_cannot_judge_is_said_so_not_written_as_zero(years):
    current, previous = years
    park = {"parcels": annual_park()["parcels"]}
    ends = {y: analyse_land(park, as_of=year_end(y), rules=RULES) for y in (2024, 2025)}
    alone = year_figures(park, 2025, end=ends[2025], start=ends[2024], judgeable={"land_supply"})
    document = report_document("测试园区", alone, alone)
    roads = document.sections[3]
    assert roads.paragraphs[0].startswith("建成道路无法判断（园区缺少所需图层）。")
    assert table_frame(roads.tables[0]).iloc[0].tolist()[2:4] == ["无法判断", "无法判断"]


def test_the_word_document_with_the_evaluation_opens_with_every_table(years):
    import io

    import docx

    from geo.evaluation import evaluate_land_use
    from layers.report_docx import docx_bytes

    current, previous = years
    from layers.evaluation_rules import default_evaluation_rules

    evaluation = evaluate_land_use(annual_park(), year=2025, rules=default_evaluation_rules(), land_rules=RULES)
    opened = docx.Document(io.BytesIO(docx_bytes(report_document("测试园区", current, previous, evaluation))))
    headings = [p.text for p in opened.paragraphs if p.style.name == "Heading 1"]
    assert headings[-1] == "六、土地集约利用评价"
    assert len(opened.tables) == 5 + 3  # a year table per part, then status areas, indicators, potentials
    indicator_names = [row.cells[0].text for row in opened.tables[6].rows[1:]]
    assert indicator_names == [i.label_zh for i in evaluation.indicators]


@pytest.mark.parametrize(("value", "unit", "text"), [
    (0.9646, "%", "96.5"), (0.08, "%", "8.0"), (1.3122, "", "1.31"), (5783.93, "万元/公顷", "5,783.93"),
    (None, "%", "无法判断"),
])
def test_indicator_shares_are_shown_as_percentages(value, unit, text):
    from geo.report import indicator_value

    assert indicator_value(value, unit, "zh") == text


def test_the_indicator_table_says_how_sure_each_formula_and_ideal_value_is():
    from geo.evaluation import evaluate_land_use
    from geo.report import evaluation_tables
    from layers.evaluation_rules import default_evaluation_rules

    evaluation = evaluate_land_use(annual_park(), year=2025, rules=default_evaluation_rules(), land_rules=RULES)
    table = table_frame(evaluation_tables(evaluation, "zh")[1]).set_index("指标")
    # data/evaluation.yaml: 土地供应率's formula ✅, its ideal (the 2022 national average) ❓; 土地开发率 has no ideal.
    assert table.loc["土地供应率", "公式确定性"] == "✅ 已核实"
    assert table.loc["土地供应率", "理想值确定性"] == "❓ 未核实，须园区复核"
    assert table.loc["土地供应率", "理想值"] == "92.8"
    assert table.loc["土地开发率", "理想值确定性"] == "未设定"
    english = table_frame(evaluation_tables(evaluation, "en")[1]).set_index("Indicator")
    assert english.iloc[0]["Formula"] == "✅ confirmed"
    assert english.loc["Tax per hectare of built land", "Unit"] == "10k yuan/ha"  # not 万元/公顷 on an English page
    assert table.loc["综合地均税收", "单位"] == "万元/公顷" and table.loc["综合容积率", "单位"] == "—"
