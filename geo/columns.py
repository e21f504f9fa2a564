"""The columns of the analysis tables, declared once: header in 中文 and English, unit, and how values are named.

Layer fields are declared in ``layers/catalog`` (``Field``: labels, unit, codes); the columns an
analysis adds (``far``, ``idle_status``, ``vacancy_rate`` …) are declared here. :func:`labelled_sheet`
turns an analysis frame into a workbook sheet in the language asked: headers with their unit,
code values as names (land use with its code in a column of its own), 是/否 for flags and the
number format of each unit (``layers.workbook_style``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from geo.maps_land import IDLE_PALETTE
from geo.names import code_name, grade_name, inefficiency_name, land_use_name
from geo.reason_text import localised
from layers.registry import REGISTRY, get_layer
from layers.workbook_style import INTEGER, Sheet, unit_format

#: Units in English (headers of English workbooks).
UNITS_EN = {"亩": "mu", "万元": "10k yuan", "天": "days", "万元/亩": "10k yuan/mu", "万元/公顷": "10k yuan/ha",
            "个": "count", "宗": "parcels", "件": "cases", "年": "year"}
#: Flags read as words.
YES_NO = {"zh": ("是", "否"), "en": ("yes", "no")}
PASS_FAIL = {"zh": ("达标", "不达标"), "en": ("meets", "fails")}


@dataclass(frozen=True)
class Column:
    """An analysis column: labels, unit (its number format; "%" for a ratio shown as per cent, "" for a plain
    ratio, "个" for a count) and, for coded or flag values, what they read as (``names``: a namer's key)."""

    zh: str
    en: str
    unit: str | None = None
    names: str | None = None


def _c(zh: str, en: str, unit: str | None = None, names: str | None = None) -> Column:
    return Column(zh, en, unit, names)


COLUMNS: dict[str, Column] = {
    # /land: utilisation and compliance of each parcel
    "area_mu": _c("面积", "Area", "亩"), "footprint_m2": _c("建筑基底面积", "Footprint", "m²"),
    "gfa_m2": _c("建筑面积", "Floor area", "m²"), "far": _c("容积率", "FAR", ""),
    "far_required": _c("容积率下限", "FAR minimum", ""), "far_max": _c("容积率上限", "FAR maximum", ""),
    "far_ok": _c("容积率达标", "FAR meets the minimum", None, "pass"),
    "building_coef": _c("建筑系数", "Building coefficient", "%"),
    "building_coef_required": _c("建筑系数下限", "Building coefficient minimum", "%"),
    "building_coef_ok": _c("建筑系数达标", "Building coefficient meets the minimum", None, "pass"),
    "green_ratio": _c("绿地率", "Green ratio", "%"), "admin_share": _c("行政办公及生活服务设施用地比例",
                                                                      "Admin and living share", "%"),
    "investment_intensity_wan_per_mu": _c("投资强度", "Investment intensity", "万元/亩"),
    "far_headroom_m2": _c("可增建筑面积", "Extra floor area allowed", "m²"),
    "inefficiency": _c("低效用地类型", "Inefficient land", None, "inefficiency"),
    "tax_per_mu_wan": _c("亩均税收", "Tax per mu", "万元/亩"), "mu_grade": _c("亩均等级", "Muju grade", None, "grade"),
    "utilisation_note": _c("说明", "Notes", names="notes"), "readiness_label": _c("配套情况", "Services"),
    # /land: area ratios (片区)
    "area_name": _c("片区", "Area"), "land_m2": _c("土地面积", "Land", "m²"), "ready_m2": _c("已达到供地条件",
                                                                                   "Ready for supply", "m²"),
    "supplied_m2": _c("已供应", "Supplied", "m²"), "built_m2": _c("已建成", "Built", "m²"),
    "supplied_far_gfa_m2": _c("已供应土地建筑面积", "Floor area on supplied land", "m²"),
    "industrial_m2": _c("工矿仓储用地", "Industrial land", "m²"),
    "industrial_far_gfa_m2": _c("工业用地建筑面积", "Floor area on industrial land", "m²"),
    "industrial_footprint_m2": _c("工业用地建筑基底面积", "Footprints on industrial land", "m²"),
    "industrial_investment_wan": _c("工业用地投资额", "Investment on industrial land", "万元"),
    "industrial_investment_m2": _c("有投资数据的工业用地", "Industrial land with investment figures", "m²"),
    "supplied_tax_wan": _c("已供应土地税收", "Tax of supplied land", "万元"),
    "supply_unknown": _c("供地无法判断的地块", "Parcels whose supply cannot be told", "宗"),
    "land_mu": _c("土地面积", "Land", "亩"), "supplied_mu": _c("已供应面积", "Supplied", "亩"),
    "development_rate": _c("土地开发率", "Development rate", "%"), "supply_rate": _c("土地供应率", "Supply rate", "%"),
    "built_rate": _c("土地建成率", "Built rate", "%"), "comprehensive_far": _c("综合容积率", "Overall FAR", ""),
    "industrial_far": _c("工业用地综合容积率", "Industrial FAR", ""),
    "industrial_building_coef": _c("工业用地建筑系数", "Industrial building coefficient", "%"),
    "tax_per_ha_wan": _c("地均税收", "Tax per hectare", "万元/公顷"),
    # /idle
    "idle_status": _c("闲置认定", "Idle status", None, "idle"), "idle_clause": _c("依据条款", "Clause"),
    "idle_since": _c("闲置起算日", "Idle since"), "idle_days": _c("闲置天数", "Days idle", "天"),
    "next_threshold": _c("下一认定节点", "Next threshold", None, "idle"),
    "next_threshold_date": _c("节点日期", "Threshold date"),
    "days_to_next_threshold": _c("距节点天数", "Days to threshold", "天"),
    "idle_fee_wan": _c("闲置费", "Idle fee", "万元"), "exempt_code": _c("免责情形", "Exemption"),
    "developed_share": _c("已开发比例", "Share developed", "%"),
    "developed_source": _c("开发比例来源", "Share developed from", None, "developed_source"),
    "invested_share": _c("已投资比例", "Share invested", "%"), "idle_not_judged": _c("无法认定原因", "Not judged because", names="notes"),
    "idle_note": _c("闲置说明", "Idle notes", names="notes"),
    "inefficiency_reason": _c("低效原因", "Why inefficient", names="notes"),
    # /vacancy
    "group": _c("期次", "Phase"), "units": _c("单元数", "Units", "个"), "leasable_units": _c("可租单元", "Leasable units", "个"),
    "vacant_units": _c("空置单元", "Vacant units", "个"), "leasable_m2": _c("可租面积", "Leasable", "m²"),
    "leased_m2": _c("已租面积", "Let", "m²"), "vacant_m2": _c("空置面积", "Vacant", "m²"),
    "vacancy_rate": _c("空置率", "Vacancy rate", "%"), "days_vacant_max": _c("最长空置天数", "Longest vacancy", "天"),
    "leasable": _c("可租", "Leasable", None, "yes"), "leased": _c("已出租", "Let", None, "yes"),
    "lease_end": _c("租约到期", "Lease ends"), "vacant_since": _c("空置起始", "Vacant since"),
    "days_vacant": _c("空置天数", "Days vacant", "天"), "overlapping_now": _c("租约重叠", "Leases overlap now", None, "yes"),
    "vacancy_note": _c("空置说明", "Vacancy notes", names="notes"), "month_end": _c("月末", "Month end"),
    "lease_a": _c("租约甲", "Lease A"), "lease_b": _c("租约乙", "Lease B"), "overlap_start": _c("重叠起", "Overlap from"),
    "overlap_end": _c("重叠止", "Overlap to"), "overlap_days": _c("重叠天数", "Days overlapping", "天"),
    # /cases: candidates and the year's figures
    "kind": _c("问题类型", "Problem", None, "problem"), "rank": _c("排序", "Rank", "个"),
    "since": _c("起始日期", "Since"), "duration_days": _c("持续天数", "Days", "天"),
    # /cases: the ledger's history (case_events)
    "action": _c("操作", "Action", None, "case_action"), "field": _c("字段", "Field", None, "case_field"),
    "open_case": _c("已立案", "Case open", None, "yes"), "tenant_id": _c("承租企业", "Tenant"), "year": _c("年度", "Year", "年"),
    "supplied_industrial_mu": _c("其中工业用地", "of which industrial", "亩"),
    "started_parcels": _c("开工宗数", "Parcels started", "宗"), "completed_parcels": _c("竣工宗数", "Parcels completed", "宗"),
    "idle_found_mu": _c("新认定闲置面积", "Idle land found", "亩"),
    "idle_revitalised_mu": _c("盘活闲置土地", "Idle land revitalised", "亩"),
    "vacant_factory_revitalised_m2": _c("盘活空置厂房", "Vacant factory space revitalised", "m²"),
    "cases_opened": _c("新立案件", "Cases opened", "件"), "cases_closed": _c("办结案件", "Cases closed", "件"),
}
#: Number formats of units this module adds to ``layers.workbook_style.UNIT_FORMATS``.
FORMATS = {"个": INTEGER, "年": "0"}
#: What a case event did.
CASE_ACTIONS = {c.value: (c.label_zh, c.label_en.lower()) for c in get_layer("case_events").field("action").codes}
#: Readiness columns (``served_<network>``) carry a network code after this prefix.
SERVED = "served_"
#: Sources of the developed share (``geo.idle``).
DEVELOPED_SOURCES = {"surveyed": ("实测", "surveyed"), "estimated_footprint": ("按建筑基底估算", "estimated from footprints")}


def _idle_name(lang: str) -> Callable[[object], object]:
    names = {key: entry[2 if lang == "en" else 1] for key, entry in IDLE_PALETTE.items()}
    names["reclaim"] = "Reclaim" if lang == "en" else "无偿收回"
    return lambda v: names.get(v, v) if isinstance(v, str) else None


def _flag(words: tuple[str, str]) -> Callable[[object], object]:
    return lambda v: None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else words[0 if v else 1]


def _kinds(lang: str) -> Callable[[object], object]:
    sep = ", " if lang == "en" else "、"
    return lambda v: sep.join(inefficiency_name(k.strip(), lang) for k in v.split(",") if k.strip()) \
        if isinstance(v, str) else None


def namer(key: str, lang: str) -> Callable[[object], object]:
    """The function naming the values of a column whose :attr:`Column.names` is ``key``."""
    table = DEVELOPED_SOURCES
    return {
        "idle": lambda: _idle_name(lang), "inefficiency": lambda: _kinds(lang),
        "grade": lambda: (lambda v: grade_name(v, lang)), "problem": lambda: code_name("cases", "problem", lang),
        # The analyses' notes keep stable English texts; people read them through the catalogue (geo.reason_text).
        "notes": lambda: (lambda v: localised(v, lang) if isinstance(v, str) else v),
        "pass": lambda: _flag(PASS_FAIL[lang if lang == "en" else "zh"]),
        "yes": lambda: _flag(YES_NO[lang if lang == "en" else "zh"]),
        "case_action": lambda: (lambda v: CASE_ACTIONS.get(v, (v, v))[1 if lang == "en" else 0]
                                if isinstance(v, str) else None),
        "case_field": lambda: (lambda v: _case_field_label(v, lang)),
        "developed_source": lambda: (lambda v: table.get(v, (v, v))[1 if lang == "en" else 0]
                                     if isinstance(v, str) else None),
    }[key]()


def _case_field_label(name, lang: str):
    if not isinstance(name, str):
        return None
    spec = get_layer("cases")
    if name not in spec.field_names:
        return name
    return spec.field(name).label_en if lang == "en" else spec.field(name).label_zh


def named_event_values(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A case history with each old and new value of a coded case field named (the field says which codes)."""
    if not {"field", "old_value", "new_value"} <= set(frame.columns) or frame.empty:
        return frame
    spec = get_layer("cases")
    coded = {f.name for f in spec.fields if f.kind == "code"}
    out = frame.copy()
    for column in ("old_value", "new_value"):
        out[column] = [code_name("cases", field, lang)(value) if field in coded else value
                       for field, value in zip(frame["field"], frame[column])]
    return out


def header(label: str, unit: str | None, lang: str) -> str:
    """A header with its unit: 面积（亩） / Area (mu); ratios and counts carry none."""
    if not unit or unit in ("%", "", "个", "年", "天", "宗", "件"):
        return label + ("（%）" if unit == "%" and lang != "en" else " (%)" if unit == "%" else "")
    shown = UNITS_EN.get(unit, unit) if lang == "en" else unit
    return f"{label} ({shown})" if lang == "en" else f"{label}（{shown}）"


def _field_of(name: str, layers: Sequence[str]):
    for layer in (*layers, *REGISTRY):
        spec = get_layer(layer)
        if name in spec.field_names:
            return layer, spec.field(name)
    return None, None


def labelled_sheet(sheet_name: str, frame: pd.DataFrame, *, lang: str = "zh", layers: Sequence[str] = ("parcels",),
                   title: tuple[str, ...] = ()) -> Sheet:
    """``frame`` as a sheet in ``lang``: declared headers with units, names for codes and flags, number formats.

    A column is declared by the first of: a field of ``layers`` (in order), :data:`COLUMNS`, a field of any
    registry layer; an undeclared one keeps its name. ``land_use`` is followed by its class name (using the
    frame's ``land_use_std`` when it has one). A named index is written as the first column.
    """
    if frame.index.name is not None:
        frame = frame.reset_index()
    frame = named_event_values(frame, lang)
    en = lang == "en"
    out, formats = {}, {}
    for name in frame.columns:
        values = frame[name]
        layer, spec = _field_of(name, layers) if name not in COLUMNS or name in ("area_name", "status") else \
            (None, None)
        if spec is not None:
            label, unit = (spec.label_en if en else spec.label_zh), spec.unit
            if spec.kind == "code":
                values = values.astype(object).map(code_name(layer, name, lang))
            elif spec.kind == "bool":
                values = values.astype(object).map(namer("yes", lang))
        elif str(name).startswith(SERVED):
            network = code_name("pipelines", "network", lang)(str(name)[len(SERVED):])
            label, unit = (f"Served: {network}" if en else f"{network}配套"), None
            values = values.astype(object).map(namer("yes", lang))
        elif name in COLUMNS:
            column = COLUMNS[name]
            label, unit = (column.en if en else column.zh), column.unit
            if column.names is not None:
                values = values.astype(object).map(namer(column.names, lang))
        else:
            label, unit = str(name), None
        shown = header(label, unit, lang)
        while shown in out:
            shown += " "
        out[shown] = values.astype(object).where(values.notna(), None) if values.dtype != object else values
        number_format = FORMATS.get(unit) or unit_format(unit)
        if number_format is not None and (unit is not None):
            formats[shown] = number_format
        if name == "land_use":
            standards = frame["land_use_std"] if "land_use_std" in frame else pd.Series(None, index=frame.index)
            out[_class_header(lang)] = [land_use_name(code, std, lang) for code, std in zip(values, standards)]
    return Sheet(sheet_name, pd.DataFrame(out, index=frame.index), formats=formats, title=title)


def _class_header(lang: str) -> str:
    return "Land-use class" if lang == "en" else "用地类别"


__all__ = ["CASE_ACTIONS", "COLUMNS", "Column", "header", "labelled_sheet", "named_event_values", "namer"]
