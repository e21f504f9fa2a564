"""The annual report's text and tables, composed from the year's figures and the national evaluation.

One composition serves every output: the table of the year beside the year before
(:func:`year_table`), the evaluation's tables (:func:`evaluation_tables`) and the Word
document of the land section of a 年度工作总结 (:func:`report_document`), in Chinese or
English. A figure the park cannot judge is never written as a number: its cell says
"无法判断" / "not judged", and the text says why in the tables' notes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import pandas as pd

from geo.annual import FIGURES, YearFigures, compare
from geo.formats import format_day
from layers.report_docx import Document, Figure, Section, Table

#: Decimal places per unit of the year's figures.
DECIMALS = {"亩": 1, "km": 2, "m²": 0, "万元": 1, "宗": 0, "间": 0, "件": 0}
NOT_JUDGED = {"zh": "无法判断", "en": "not judged"}
UNITS_EN = {"亩": "mu", "宗": "parcels", "间": "units", "件": "cases", "m²": "m²", "km": "km", "万元": "10k yuan",
            "万元/公顷": "10k yuan/ha", "人/公顷": "persons/ha", "%": "%"}

#: The report's parts: heading (中文, English) and the figures each tabulates.
PARTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("土地供应与项目建设", "Land supply and projects",
     ("land_supplied_parcels", "land_supplied_mu", "land_supplied_industrial_mu", "projects_started",
      "projects_completed", "investment_done_wan")),
    ("闲置土地与低效用地", "Idle and inefficient land",
     ("idle_new_parcels", "idle_new_mu", "idle_disposed_parcels", "idle_disposed_mu", "idle_year_end_parcels",
      "idle_year_end_mu", "inefficient_year_end_mu")),
    ("标准厂房与盘活", "Standard factory space and revitalisation",
     ("factory_leasable_m2_start", "factory_leasable_m2_end", "factory_let_m2_start", "factory_let_m2_end",
      "factory_vacant_m2_start", "factory_vacant_m2_end", "units_newly_let", "units_newly_let_m2", "cases_closed",
      "revitalised_land_mu", "revitalised_floor_m2")),
    ("基础设施建设", "Infrastructure built", ("roads_completed_km", "pipelines_built_km")),
    ("企业效益", "Enterprises", ("tax_wan", "output_wan", "value_added_wan")),
)


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def number(value: float | int | None, unit: str, lang: str = "zh") -> str:
    """``value`` written with the decimals of ``unit`` and thousands separators; "无法判断" for None / NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_JUDGED["en" if lang == "en" else "zh"]
    return f"{value:,.{DECIMALS.get(unit, 2)}f}"


def _change(value: float, unit: str, lang: str) -> str:
    if math.isnan(value):
        return "—"
    return ("+" if value > 0 else "") + number(value, unit, lang)


def _pct(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:+.1f} %"


def figure_label(key: str, lang: str) -> tuple[str, str]:
    """A figure's label and unit in ``lang``."""
    zh, en, unit = FIGURES[key]
    return (en, UNITS_EN.get(unit, unit)) if lang == "en" else (zh, unit)


def year_table(current: YearFigures, previous: YearFigures, lang: str = "zh",
               keys: tuple[str, ...] | None = None) -> Table:
    """The figures of ``current`` beside ``previous``, the change and the change in per cent."""
    compared = compare(current, previous).set_index("key")
    rows = []
    for key in keys or tuple(FIGURES):
        label, unit = figure_label(key, lang)
        unit_zh = FIGURES[key][2]
        row = compared.loc[key]
        rows.append([label, unit, number(current.figures[key], unit_zh, lang),
                     number(previous.figures[key], unit_zh, lang), _change(row["change"], unit_zh, lang),
                     _pct(row["change_pct"])])
    header = [_t(lang, "指标", "Figure"), _t(lang, "单位", "Unit"), f"{current.year}", f"{previous.year}",
              _t(lang, "增减", "Change"), _t(lang, "增减幅度", "Change %")]
    return Table(_t(lang, f"{current.year}年与{previous.year}年对比", f"{current.year} against {previous.year}"),
                 header, rows, numeric_columns=frozenset({2, 3, 4, 5}))


def _area(value_m2: float | None, lang: str) -> list[str]:
    if value_m2 is None:
        return [NOT_JUDGED["en" if lang == "en" else "zh"]] * 2
    return [f"{value_m2 / 10_000:,.2f}", f"{value_m2 / (2000 / 3):,.1f}"]


def reason_and_note(item, lang: str) -> str:
    """Why ``item`` (a status area, indicator, potential …) is not judged, and the caveat on a judged one, in
    ``lang`` ("；" between them in Chinese)."""
    parts = [p.text(lang) for p in (getattr(item, "reason", None), getattr(item, "note", None)) if p is not None]
    return ("; " if lang == "en" else "；").join(parts)


_reason = reason_and_note


#: The research marks of data/evaluation.yaml (DOMAIN-REPORTS.md's legend) in words.
CERTAINTY = {"✅": ("已核实", "confirmed"), "◐": ("仅见一处来源", "seen in one source"),
             "❓": ("未核实，须园区复核", "unverified: the park must review it")}


def certainty(mark: str, lang: str) -> str:
    """A research mark with its meaning: "❓ 未核实，须园区复核"."""
    zh, en = CERTAINTY.get(mark, (mark, mark))
    return f"{mark} {en if lang == 'en' else zh}"


def indicator_value(value: float | None, unit: str, lang: str, *, digits: int = 2) -> str:
    """An indicator's value as shown: a share as a percentage (0.9646 → "96.5"), else with ``digits``."""
    if value is None:
        return NOT_JUDGED["en" if lang == "en" else "zh"]
    return f"{value * 100:,.1f}" if unit == "%" else f"{value:,.{digits}f}"


def evaluation_tables(evaluation, lang: str = "zh") -> list[Table]:
    """The evaluation's tables: land-use status areas, indicators with scores, potentials."""
    en = lang == "en"
    area_columns = [_t(lang, "面积（公顷）", "Area (ha)"), _t(lang, "面积（亩）", "Area (mu)")]
    statuses = Table(_t(lang, "土地利用状况", "Land-use status"),
                     [_t(lang, "类别", "Category"), *area_columns, _t(lang, "说明", "Note")],
                     [[s.label_en if en else s.label_zh, *_area(s.area_m2, lang), _reason(s, lang)]
                      for s in evaluation.statuses], numeric_columns=frozenset({1, 2}))
    indicators = Table(
        _t(lang, "评价指标", "Indicators"),
        [_t(lang, "指标", "Indicator"), _t(lang, "现状值", "Value"), _t(lang, "单位", "Unit"),
         _t(lang, "理想值", "Ideal"), _t(lang, "权重", "Weight"), _t(lang, "标准化分值", "Score"),
         _t(lang, "公式确定性", "Formula"), _t(lang, "理想值确定性", "Ideal value"), _t(lang, "说明", "Note")],
        [[i.label_en[:1].upper() + i.label_en[1:] if en else i.label_zh, indicator_value(i.value, i.unit, lang), indicator_unit(i.unit, lang),
          "—" if i.ideal is None else indicator_value(i.ideal, i.unit, lang), f"{i.weight:.2f}",
          "—" if i.score is None else f"{i.score:.1f}", certainty(i.status, lang),
          certainty(i.ideal_status, lang) if i.ideal is not None else _t(lang, "未设定", "not set"),
          _reason(i, lang)] for i in evaluation.indicators],
        numeric_columns=frozenset({1, 3, 4, 5}))
    potentials = Table(_t(lang, "潜力测算", "Potentials"),
                       [_t(lang, "潜力", "Potential"), *area_columns, _t(lang, "测算依据", "Basis")],
                       [[p.label_en if en else p.label_zh, *_area(p.area_m2, lang),
                         (p.basis_en if en else p.basis_zh) + (f"（{_reason(p, lang)}）" if p.reason else "")]
                        for p in evaluation.potentials], numeric_columns=frozenset({1, 2}))
    return [statuses, indicators, potentials]


def _more_or_less(current, previous, unit: str, lang: str) -> str:
    """"较上年增加 3 宗" / "up 3 parcels on the year before" (or nothing when either is not judged)."""
    if current is None or previous is None:
        return ""
    change = current - previous
    if change == 0:
        return _t(lang, "，与上年持平", ", as the year before")
    amount = number(abs(change), unit, lang)
    unit_text = figure_unit(unit, lang)
    return (_t(lang, f"，较上年增加{amount}{unit_text}", f", up {amount} {unit_text} on the year before") if change > 0
            else _t(lang, f"，较上年减少{amount}{unit_text}", f", down {amount} {unit_text} on the year before"))


def figure_unit(unit: str, lang: str) -> str:
    return UNITS_EN.get(unit, unit) if lang == "en" else unit


def indicator_unit(unit: str, lang: str) -> str:
    """An evaluation indicator's unit in ``lang`` ("—" for a pure number such as a FAR)."""
    return figure_unit(unit, lang) or "—"


def _sentence(key: str, current: YearFigures, previous: YearFigures, lang: str, zh: str, en: str) -> str:
    """A sentence of one figure with its change, or saying it cannot be judged."""
    value = current.figures[key]
    unit = FIGURES[key][2]
    if value is None:
        zh, en = current.reasons.get(key, ("园区缺少所需图层", "the park lacks the layers it needs"))
        return _t(lang, f"{FIGURES[key][0]}无法判断（{zh}）。", f"{FIGURES[key][1]}: not judged ({en}).")
    text = (en if lang == "en" else zh).format(value=number(value, unit, lang), unit=figure_unit(unit, lang))
    return text + _more_or_less(value, previous.figures[key], unit, lang) + _t(lang, "。", ".")


def _part_paragraphs(index: int, current: YearFigures, previous: YearFigures, lang: str) -> list[str]:
    year = current.year
    sentences = {
        0: [("land_supplied_parcels", f"{year}年园区供应土地{{value}}{{unit}}",
             f"In {year} the park supplied {{value}} {{unit}} of land"),
            ("land_supplied_mu", "供地面积{value}{unit}", "Land supplied: {value} {unit}"),
            ("projects_started", "新开工项目{value}{unit}", "Projects started: {value} {unit}"),
            ("projects_completed", "竣工项目{value}{unit}", "Projects completed: {value} {unit}")],
        1: [("idle_year_end_parcels", "年末闲置土地{value}{unit}", "Idle land at the year end: {value} {unit}"),
            ("idle_new_parcels", "其中当年新增{value}{unit}", "of which newly idle: {value} {unit}"),
            ("idle_disposed_mu", "全年处置闲置土地{value}{unit}", "Idle land disposed of: {value} {unit}"),
            ("inefficient_year_end_mu", "年末低效用地{value}{unit}",
             "Inefficient land at the year end: {value} {unit}")],
        2: [("factory_vacant_m2_end", "年末标准厂房空置{value}{unit}",
             "Vacant factory space at the year end: {value} {unit}"),
            ("units_newly_let", "全年新出租厂房单元{value}{unit}", "Factory units newly let: {value} {unit}"),
            ("cases_closed", "完成盘活案件{value}{unit}", "Revitalisation cases completed: {value} {unit}")],
        3: [("roads_completed_km", "全年建成道路{value}{unit}", "Roads completed: {value} {unit}"),
            ("pipelines_built_km", "建成各类管线{value}{unit}", "Pipelines built: {value} {unit}")],
        4: [("tax_wan", "园区企业实现税收{value}{unit}", "The enterprises paid {value} {unit} of tax"),
            ("output_wan", "产值{value}{unit}", "Output: {value} {unit}")],
    }[index]
    return ["".join(_sentence(key, current, previous, lang, zh, en) for key, zh, en in sentences)]


def report_document(park_name: str, current: YearFigures, previous: YearFigures, evaluation=None, *,
                    lang: str = "zh", made_on: dt.date | None = None,
                    figures: Mapping[int, Sequence[Figure]] | None = None) -> Document:
    """The land section of the year's 年度工作总结 as a document description (:mod:`layers.report_docx`).

    ``figures``: the pictures of each section by its position (:func:`geo.report_charts.report_figures`);
    the evaluation's section follows the parts of :data:`PARTS`.
    """
    figures = figures or {}
    year = current.year
    numerals = "一二三四五六七八九十"
    sections = []
    for index, (heading_zh, heading_en, keys) in enumerate(PARTS):
        heading = _t(lang, f"{numerals[index]}、{heading_zh}", f"{index + 1}. {heading_en}")
        sections.append(Section(heading, paragraphs=_part_paragraphs(index, current, previous, lang),
                                tables=[year_table(current, previous, lang, keys)],
                                figures=tuple(figures.get(index, ()))))
    if evaluation is not None:
        score = evaluation.score
        if score.value is not None:
            summary = _t(lang, f"按《开发区土地集约利用评价规程》测算，{year}年园区土地集约利用度分值为"
                               f"{score.value:.1f}。",
                         f"By the national evaluation (TD/T 1029) the park's intensive-use score for {year} is "
                         f"{score.value:.1f}.")
        else:
            summary = _t(lang, "土地集约利用度分值无法完整测算：部分指标缺少数据或理想值，见下表说明。",
                         "The intensive-use score cannot be given in full: some indicators lack data or an ideal "
                         "value (see the notes in the table).")
        supply = evaluation.years_of_supply_left
        if supply.years is not None:
            summary += _t(lang, f"按近{supply.window_years}年平均供地速度，尚可供地年数为{supply.years:.1f}年。",
                          f" At the average supply of the last {supply.window_years} years, land remains for "
                          f"{supply.years:.1f} years.")
        sections.append(Section(_t(lang, f"{numerals[len(PARTS)]}、土地集约利用评价",
                                   f"{len(PARTS) + 1}. Intensive land-use evaluation"),
                                paragraphs=[summary], tables=evaluation_tables(evaluation, lang),
                                figures=tuple(figures.get(len(PARTS), ()))))
    day = made_on or dt.date.today()
    subtitle = f"{park_name} · {format_day(day, lang)}"
    title = _t(lang, f"{park_name}{year}年度土地利用工作总结", f"{park_name}: land use in {year}, the year's report")
    return Document(title, subtitle, sections)


def table_frame(table: Table) -> pd.DataFrame:
    """A table as a frame with its header as columns (the XLSX sheets and the page's tables)."""
    return pd.DataFrame([list(row) for row in table.rows], columns=list(table.header))


__all__ = ["CERTAINTY", "certainty", "reason_and_note", "indicator_unit", "indicator_value", "DECIMALS", "NOT_JUDGED", "PARTS", "evaluation_tables", "figure_label", "number", "report_document",
           "table_frame", "year_table"]
