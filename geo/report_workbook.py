"""The annual report as a workbook, its tables laid out as the national evaluation's (TD/T 1029).

The sheets: the year's figures beside the year before (:func:`year_sheet`), the breakdowns
of the year (:func:`breakdown_sheets`: land supplied by tenure and land use, cases by
method, inefficient land by kind, roads by grade and stage, pipelines by network, 亩均
grades), then the evaluation's tables (:func:`evaluation_sheets`): 土地利用状况, the
indicators grouped by 目标 / 子目标 with 现状值, 理想值, 标准化值, 权重, 分值 and the
source and certainty of each, the potentials and 尚可供地年数. Numbers stay numbers
(rounded to their format's decimals by ``layers.workbook_style``); a number the park
cannot judge is the words "无法判断" with the reason beside it, never a number.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from geo.annual import FIGURES, YearFigures, compare
from geo.evaluation import ZONE_TYPE_LABELS
from geo.formats import format_day
from geo.names import code_name, grade_name, inefficiency_name, land_use_name, named
from geo.reason_text import evaluation_source_in
from geo.report import NOT_JUDGED, PARTS, UNITS_EN, indicator_unit, reason_and_note
from geo.units import M2_PER_HA, M2_PER_MU
from layers.workbook_style import INTEGER, Sheet, unit_format

#: Where each indicator sits in the evaluation's hierarchy (DOMAIN-REPORTS.md §1.4): (目标, 子目标) in 中文, English.
INDICATOR_GROUPS: dict[str, tuple[str, str, str, str]] = {
    **{key: ("土地利用状况", "Land-use status", "土地利用程度", "Degree of land use")
       for key in ("development_rate", "supply_rate", "built_rate")},
    "industrial_rate": ("土地利用状况", "Land-use status", "用地结构状况", "Land-use structure"),
    **{key: ("土地利用状况", "Land-use status", "土地利用强度", "Intensity of land use")
       for key in ("comprehensive_far", "building_density", "industrial_far", "industrial_building_coef")},
    **{key: ("用地效益", "Land-use returns", "产业用地投入产出效益", "Input and output of industrial land")
       for key in ("industrial_investment_intensity", "industrial_tax_per_ha", "comprehensive_tax_per_ha",
                   "population_density")},
    "idle_rate": ("管理绩效", "Management", "土地利用监管绩效", "Supervision of land use"),
}
#: Research marks of the evaluation rules (DOMAIN-REPORTS.md's legend).
MARKS = {"✅": ("已核实", "verified"), "◐": ("仅一处来源", "one source only"), "❓": ("未经核实", "unverified")}
#: Number formats of the evaluation tables.
HA, MU, SCORE, WEIGHT, POINTS, YEARS = "#,##0.00", "#,##0.0", "0.0", "0.0000", "0.00", "0.0"
PERCENT_CHANGE = "+0.0%;-0.0%;0.0%"
BREAKDOWN_UNITS_EN = {**UNITS_EN, "家": "firms"}


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _not_judged(lang: str) -> str:
    return NOT_JUDGED["en" if lang == "en" else "zh"]


def _nan(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# -- the year's figures --------------------------------------------------------------------------------


def year_sheet(current: YearFigures, previous: YearFigures, lang: str = "zh") -> Sheet:
    """Every figure of the year beside the year before, the change and the change in per cent, by part."""
    compared = compare(current, previous).set_index("key")
    en = lang == "en"
    cols = [_t(lang, "类别", "Part"), _t(lang, "指标", "Figure"), _t(lang, "单位", "Unit"),
            _t(lang, f"{current.year}年", str(current.year)), _t(lang, f"{previous.year}年", str(previous.year)),
            _t(lang, "增减", "Change"), _t(lang, "增减幅度", "Change %")]
    rows, formats = [], []
    for part_zh, part_en, keys in PARTS:
        for key in keys:
            zh, label_en, unit = FIGURES[key]
            row = compared.loc[key]
            now, before = current.figures[key], previous.figures[key]
            rows.append([part_en if en else part_zh, label_en if en else zh, UNITS_EN.get(unit, unit) if en else unit,
                         _not_judged(lang) if now is None else now, _not_judged(lang) if before is None else before,
                         None if _nan(row["change"]) else float(row["change"]),
                         None if _nan(row["change_pct"]) else float(row["change_pct"]) / 100.0])
            formats.append(unit_format(unit, INTEGER))
    frame = pd.DataFrame(rows, columns=cols)
    return Sheet(_t(lang, f"{current.year}年与上年对比", f"{current.year} against {previous.year}"), frame,
                 formats={cols[3]: formats, cols[4]: formats, cols[5]: formats, cols[6]: PERCENT_CHANGE},
                 title=(_t(lang, f"{current.year}年主要指标与{previous.year}年对比",
                           f"The figures of {current.year} against {previous.year}"),
                        _t(lang, "单位见各行；增减幅度为较上年的百分比", "Units by row; change % is of the year before")),
                 merge=(cols[0],))


# -- the year's breakdowns -----------------------------------------------------------------------------

def _named_by(lang: str) -> dict[str, Callable[[object], object]]:
    return {"tenure": code_name("parcels", "tenure", lang), "land_use": lambda v: land_use_name(v, lang=lang),
            "method": code_name("cases", "method", lang), "kind": lambda v: inefficiency_name(v, lang),
            "grade_road": code_name("roads", "grade", lang), "status": code_name("roads", "status", lang),
            "network": code_name("pipelines", "network", lang), "grade": lambda v: grade_name(v, lang)}


#: Breakdown table → (sheet 中文, English, key column, namer, value columns: (name, 中文, English, unit)).
BREAKDOWNS: dict[str, tuple[str, str, str, str, tuple[tuple[str, str, str, str], ...]]] = {
    "supplied_by_tenure": ("供地按供地方式", "Supplied by tenure", "tenure", "tenure",
                           (("parcels", "宗数", "Parcels", "宗"), ("mu", "面积", "Area", "亩"))),
    "supplied_by_land_use": ("供地按用地类别", "Supplied by land use", "land_use", "land_use",
                             (("parcels", "宗数", "Parcels", "宗"), ("mu", "面积", "Area", "亩"))),
    "disposed_by_method": ("盘活按方式", "Revitalised by method", "method", "method",
                           (("cases", "案件数", "Cases", "件"), ("land_mu", "土地面积", "Land", "亩"),
                            ("floor_m2", "厂房面积", "Floor space", "m²"))),
    "inefficient_by_kind": ("低效用地按类型", "Inefficient land by kind", "kind", "kind",
                            (("parcels", "宗数", "Parcels", "宗"), ("mu", "面积", "Area", "亩"))),
    "roads_completed_by_grade": ("建成道路按等级", "Roads completed by grade", "grade", "grade_road",
                                 (("km", "里程", "Length", "km"),)),
    "roads_by_stage": ("道路按建设状态", "Roads by stage", "status", "status", (("km", "里程", "Length", "km"),)),
    "pipelines_built_by_network": ("建成管线按类别", "Pipelines built by network", "network", "network",
                                   (("km", "长度", "Length", "km"),)),
    "muju_grades": ("亩均等级", "Muju grades", "grade", "grade", (("firms", "企业数", "Firms", "家"),)),
}
#: The key column's header per namer.
KEY_HEADERS = {"tenure": ("供地方式", "Tenure"), "land_use": ("用地类别", "Land use"), "method": ("盘活方式", "Method"),
               "kind": ("低效用地类型", "Kind"), "grade_road": ("道路等级", "Grade"), "status": ("建设状态", "Stage"),
               "network": ("管线类别", "Network"), "grade": ("亩均等级", "Grade")}


def breakdown_sheet(table: str, frame: pd.DataFrame, year: int, lang: str = "zh") -> Sheet:
    """One breakdown of the year: names, not codes (the code in its own column for land use)."""
    sheet_zh, sheet_en, key, namer, values = BREAKDOWNS[table]
    unknown = _t(lang, "未填写", "not recorded")
    names = _named_by(lang)[namer]
    header = KEY_HEADERS[namer][1 if lang == "en" else 0]
    out = {}
    if table == "supplied_by_land_use":
        out[_t(lang, "用地代码", "Land-use code")] = frame[key].astype(object).tolist()
    out[header] = [unknown if v is None else v for v in named(frame[key], names).tolist()]
    formats = {}
    for name, zh, en, unit in values:
        heading = f"{_t(lang, zh, en)}（{unit}）" if lang != "en" else f"{en} ({BREAKDOWN_UNITS_EN.get(unit, unit)})"
        out[heading] = pd.to_numeric(frame[name], errors="coerce").tolist()
        formats[heading] = unit_format(unit, INTEGER)
    return Sheet(_t(lang, sheet_zh, sheet_en), pd.DataFrame(out), formats=formats,
                 title=(_t(lang, f"{year}年{sheet_zh}", f"{sheet_en}, {year}"),))


def breakdown_sheets(current: YearFigures, lang: str = "zh") -> list[Sheet]:
    """The year's breakdown tables (those it has), in the order of :data:`BREAKDOWNS`."""
    return [breakdown_sheet(name, current.tables[name], current.year, lang) for name in BREAKDOWNS
            if name in current.tables]


# -- the evaluation ------------------------------------------------------------------------------------


_reason = reason_and_note


def _area_cells(area_m2: float | None, lang: str) -> list:
    if area_m2 is None:
        return [_not_judged(lang)] * 2
    return [area_m2 / M2_PER_HA, area_m2 / M2_PER_MU]


def status_sheet(evaluation, lang: str = "zh") -> Sheet:
    """表1 土地利用状况: each category's code, area in 公顷 and 亩, and why one is not judged."""
    cols = [_t(lang, "代码", "Code"), _t(lang, "类别", "Category"), _t(lang, "面积（公顷）", "Area (ha)"),
            _t(lang, "面积（亩）", "Area (mu)"), _t(lang, "说明", "Note")]
    rows = [[s.code, s.label_en if lang == "en" else s.label_zh, *_area_cells(s.area_m2, lang), _reason(s, lang)]
            for s in evaluation.statuses]
    return Sheet(_t(lang, "土地利用状况", "Land-use status"), pd.DataFrame(rows, columns=cols),
                 formats={cols[2]: HA, cols[3]: MU},
                 title=(_t(lang, f"表1 土地利用状况（{format_day(evaluation.as_of, lang)}）",
                           f"Table 1 Land-use status ({format_day(evaluation.as_of, lang)})"),
                        _t(lang, "单位：公顷、亩", "Units: hectares, mu")))


def certainty(status: str, ideal_status: str, lang: str) -> str:
    """"公式：已核实（✅）；理想值：未经核实（❓）" from the research marks of an indicator's rule."""
    def mark(value: str) -> str:
        names = MARKS.get(value)
        if names is None:
            return value
        return f"{names[1]} ({value})" if lang == "en" else f"{names[0]}（{value}）"

    return _t(lang, f"公式：{mark(status)}；理想值：{mark(ideal_status)}",
              f"formula: {mark(status)}; ideal value: {mark(ideal_status)}")


def _indicator_format(unit: str) -> str:
    return {"%": "0.0%", "": "0.00", "人/公顷": "#,##0"}.get(unit, "#,##0.0")


def indicator_sheet(evaluation, lang: str = "zh") -> Sheet:
    """表2 评价指标: the indicators grouped by 目标 / 子目标, each with its values, weight, score and certainty,
    and the 集约度分值 as the last row."""
    en = lang == "en"
    cols = [_t(lang, "目标", "Goal"), _t(lang, "子目标", "Sub-goal"), _t(lang, "指标", "Indicator"),
            _t(lang, "单位", "Unit"), _t(lang, "现状值", "Current value"), _t(lang, "理想值", "Ideal value"),
            _t(lang, "标准化值", "Standardised value"), _t(lang, "权重", "Weight"), _t(lang, "分值", "Score"),
            _t(lang, "计算公式", "Formula"), _t(lang, "数据来源/确定性", "Source / certainty"),
            _t(lang, "依据", "Basis"), _t(lang, "说明", "Note")]
    rows, value_formats = [], []
    for i in evaluation.indicators:
        goal_zh, goal_en, sub_zh, sub_en = INDICATOR_GROUPS[i.key]
        points = None if i.score is None or not i.weight else i.weight * i.score
        rows.append([goal_en if en else goal_zh, sub_en if en else sub_zh, i.label_en if en else i.label_zh,
                     indicator_unit(i.unit, lang),
                     _not_judged(lang) if i.value is None else i.value,
                     _t(lang, "未设定", "not set") if i.ideal is None else i.ideal,
                     "—" if i.score is None else i.score, i.weight, "—" if points is None else points,
                     i.formula_en if en else i.formula_zh, certainty(i.status, i.ideal_status, lang),
                     evaluation_source_in(i.source, lang),
                     _reason(i, lang)])
        value_formats.append(_indicator_format(i.unit))
    score = evaluation.score
    note = "" if score.reason is None else score.reason.text(lang)
    if score.value is None and score.partial is not None:
        note += _t(lang, f"（已评分指标按权重 {score.judged_weight:.4f} 折算为 {score.partial:.1f}，仅供参考）",
                   f" (the indicators scored, weight {score.judged_weight:.4f}, come to {score.partial:.1f}; "
                   "for reference only)")
    rows.append([_t(lang, "合计", "Total"), "", _t(lang, "集约度分值", "Intensive-use score"), "", None, None, None,
                 sum(i.weight for i in evaluation.indicators),
                 _not_judged(lang) if score.value is None else score.value, "Σ 权重 × 标准化值" if not en else
                 "Σ weight × standardised value", "", "", note])
    value_formats.append(None)
    zone = evaluation.zone_type
    zone_text = (_t(lang, "开发区类型无法判定", "zone type not judged") if zone is None else
                 _t(lang, f"开发区类型：{ZONE_TYPE_LABELS[zone][0]}", f"zone type: {ZONE_TYPE_LABELS[zone][1]}"))
    return Sheet(_t(lang, "评价指标", "Indicators"), pd.DataFrame(rows, columns=cols),
                 formats={cols[4]: value_formats, cols[5]: value_formats, cols[6]: SCORE, cols[7]: WEIGHT,
                          cols[8]: POINTS},
                 title=(_t(lang, f"表2 土地集约利用评价指标（{evaluation.year}年）",
                           f"Table 2 Intensive land-use indicators ({evaluation.year})"),
                        _t(lang, f"{zone_text}；评价时点：{format_day(evaluation.as_of, lang)}；单位见各行；"
                                 "分值 = 权重 × 标准化值",
                           f"{zone_text}; as of {format_day(evaluation.as_of, lang)}; units by row; "
                           "score = weight × standardised value")),
                 merge=(cols[0], cols[1]))


def potential_sheet(evaluation, lang: str = "zh") -> Sheet:
    """表3 潜力测算: 扩展、结构、强度、管理潜力 as land areas, with how each was measured."""
    cols = [_t(lang, "潜力", "Potential"), _t(lang, "面积（公顷）", "Area (ha)"), _t(lang, "面积（亩）", "Area (mu)"),
            _t(lang, "测算依据", "Basis"), _t(lang, "说明", "Note")]
    en = lang == "en"
    rows = [[p.label_en if en else p.label_zh, *_area_cells(p.area_m2, lang), p.basis_en if en else p.basis_zh,
             _reason(p, lang)] for p in evaluation.potentials]
    return Sheet(_t(lang, "潜力测算", "Potentials"), pd.DataFrame(rows, columns=cols), formats={cols[1]: HA, cols[2]: MU},
                 title=(_t(lang, f"表3 潜力测算（{evaluation.year}年）", f"Table 3 Potentials ({evaluation.year})"),
                        _t(lang, "单位：公顷、亩", "Units: hectares, mu")))


def supply_sheet(evaluation, lang: str = "zh") -> Sheet:
    """表4 尚可供地年数: land still to supply ÷ the average yearly supply of the last N years."""
    s = evaluation.years_of_supply_left
    n = s.window_years
    cols = [_t(lang, "尚可供应土地（公顷）", "Land still to supply (ha)"),
            _t(lang, f"近{n}年供地（公顷）", f"Supplied in the last {n} years (ha)"),
            _t(lang, "年均供地（公顷）", "Average yearly supply (ha)"), _t(lang, "尚可供地年数（年）", "Years of supply left"),
            _t(lang, "统计期", "Period"), _t(lang, "说明", "Note")]
    judged = _not_judged(lang)
    row = [judged if s.supplyable_m2 is None else s.supplyable_m2 / M2_PER_HA,
           judged if s.supplied_in_window_m2 is None else s.supplied_in_window_m2 / M2_PER_HA,
           judged if s.supplied_in_window_m2 is None else s.supplied_in_window_m2 / n / M2_PER_HA,
           judged if s.years is None else s.years, f"{s.first_year}–{evaluation.year}", _reason(s, lang)]
    return Sheet(_t(lang, "尚可供地年数", "Years of supply"), pd.DataFrame([row], columns=cols),
                 formats={cols[0]: HA, cols[1]: HA, cols[2]: HA, cols[3]: YEARS},
                 title=(_t(lang, f"表4 尚可供地年数（{evaluation.year}年）", f"Table 4 Years of supply left "
                        f"({evaluation.year})"),
                        _t(lang, f"尚可供地年数 = 尚可供应土地 ÷ 近{n}年年均供地", f"years = land still to supply ÷ "
                           f"average yearly supply of the last {n} years")))


def evaluation_sheets(evaluation, lang: str = "zh") -> list[Sheet]:
    """The evaluation's four tables in its order."""
    return [status_sheet(evaluation, lang), indicator_sheet(evaluation, lang), potential_sheet(evaluation, lang),
            supply_sheet(evaluation, lang)]


# -- the first sheet -----------------------------------------------------------------------------------


def unverified_ideals(evaluation, lang: str = "zh") -> str:
    """The indicators whose ideal value is set but not verified (❓ or ◐), and those without one."""
    unverified = [i for i in evaluation.indicators if i.ideal is not None and i.ideal_status != "✅"]
    unset = [i for i in evaluation.indicators if i.ideal is None]
    name = (lambda i: i.label_en) if lang == "en" else (lambda i: i.label_zh)
    sep = ", " if lang == "en" else "、"
    return _t(lang, f"理想值未经核实（占位值，需园区复核）：{sep.join(map(name, unverified)) or '无'}；"
                    f"未设理想值（不评分）：{sep.join(map(name, unset)) or '无'}",
              f"ideal values not verified (placeholders for the park to review): "
              f"{sep.join(map(name, unverified)) or 'none'}; no ideal value (not scored): "
              f"{sep.join(map(name, unset)) or 'none'}")


def report_sheets(current: YearFigures, previous: YearFigures, evaluation, lang: str = "zh") -> list[Sheet]:
    """The year's figures, its breakdowns and the evaluation's tables, in that order."""
    return [year_sheet(current, previous, lang), *breakdown_sheets(current, lang), *evaluation_sheets(evaluation, lang)]


def report_cover_lines(year: int, evaluation, sheets: list[Sheet], lang: str = "zh") -> tuple[tuple[str, str], ...]:
    """What the report workbook's first sheet says beyond park, date and rules: the year, the evaluation's time
    point, its rules files, which ideal values are unverified, the marks and the sheets."""
    sep = ", " if lang == "en" else "、"
    return (
        (_t(lang, "年度", "Year"), str(year)),
        (_t(lang, "评价时点", "Evaluated as of"), format_day(evaluation.as_of, lang)),
        (_t(lang, "评价规则文件", "Evaluation rules files"), sep.join(Path(f).name for f in evaluation.rules_files)),
        (_t(lang, "理想值的确定性", "Certainty of the ideal values"), unverified_ideals(evaluation, lang)),
        (_t(lang, "确定性标记", "Certainty marks"), _t(lang, "✅ 已核实；◐ 仅一处来源；❓ 未经核实",
                                                   "✅ verified; ◐ one source only; ❓ unverified")),
        (_t(lang, "工作表", "Sheets"), sep.join(sheet.name for sheet in sheets)),
    )


__all__ = ["BREAKDOWNS", "INDICATOR_GROUPS", "breakdown_sheet", "breakdown_sheets", "certainty", "evaluation_sheets",
           "indicator_sheet", "potential_sheet", "report_cover_lines", "report_sheets", "status_sheet", "supply_sheet",
           "unverified_ideals", "year_sheet"]
