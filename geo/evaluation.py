"""The national land-use evaluation of a park for one year (开发区土地集约利用评价, TD/T 1029).

:func:`evaluate_land_use` judges the park on 31 December of the year (the evaluation's time
point, DOMAIN-REPORTS.md §1.1) in valid time (``geo.summary.in_force``): the land-use
status areas (§1.2), the zone type (§1.3), every indicator with its formula (§1.4), the
standardised scores and the weighted 集约度分值 (§1.5), the potentials and 尚可供地年数
(§1.6). All thresholds, ideal values and weights come from ``layers.evaluation_rules``
(``data/evaluation.yaml``), each with its source and research mark.

A number that needs data the park lacks is *not judged*: it is ``None`` with a
:class:`Reason` naming the layer or field missing, in Chinese and English. Nothing is
guessed. Areas are measured in the park's projected CRS (m²) and given in 公顷 and 亩.
docs/evaluation.md tells the whole story.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_projected
from geo.idle import idle_land
from geo.reasons import date_column, float_column, text_column
from geo.records import dated_without_status
from geo.summary import in_force
from geo.units import M2_PER_HA, M2_PER_MU
from geo.utilisation import building_floor_areas, building_parcel_pairs, per_parcel_sums
from layers.evaluation_rules import EvaluationRules
from layers.registry import get_layer
from layers.rules import LandRules
from layers.text_keys import isin
from layers.valid_time import valid_on

#: Labels of the zone types (开发区类型).
ZONE_TYPE_LABELS = {"industrial": ("工业主导型", "industry-led"),
                    "integrated": ("产城融合型", "industry–city integrated")}

#: Land-use status categories in report order: key → (中文, English, code of DOMAIN-REPORTS.md §1.2).
STATUS_LABELS = {
    "evaluation_area": ("评价范围总面积", "evaluation area", ""),
    "not_buildable": ("不可建设土地", "land that cannot be built on", "C"),
    "developable": ("可开发建设土地", "developable land", "总面积 − C"),
    "ready": ("已达到供地条件的土地", "land ready for supply", "D + E"),
    "supplied": ("已供应国有建设用地", "state land supplied", "D"),
    "built": ("已建成城镇建设用地", "built urban construction land", "A"),
    "industrial": ("工矿仓储用地", "industrial, mining and storage land", "A2"),
    "supplyable": ("尚可供应土地", "land still to supply", "E"),
    "supplyable_industrial": ("尚可供应工矿仓储用地", "industrial land still to supply", "E21"),
    "idle": ("闲置土地", "idle land", "G"),
}

#: Indicators: key → (中文, English, unit, formula 中文, formula English).
INDICATOR_LABELS = {
    "development_rate": ("土地开发率", "land development rate", "%",
                         "已达到供地条件的土地 ÷ 可开发建设土地", "land ready for supply ÷ developable land"),
    "supply_rate": ("土地供应率", "land supply rate", "%",
                    "已供应国有建设用地 ÷ 已达到供地条件的土地", "land supplied ÷ land ready for supply"),
    "built_rate": ("土地建成率", "land built rate", "%",
                   "已建成城镇建设用地 ÷ 已供应国有建设用地", "built land ÷ land supplied"),
    "industrial_rate": ("工业用地率", "industrial land rate", "%",
                        "工矿仓储用地 ÷ 已建成城镇建设用地", "industrial land ÷ built land"),
    "comprehensive_far": ("综合容积率", "overall floor-area ratio", "",
                          "已建成城镇建设用地上总建筑面积 ÷ 已建成城镇建设用地",
                          "floor area on built land ÷ built land"),
    "building_density": ("建筑密度", "building density", "%",
                         "已建成城镇建设用地上建筑基底总面积 ÷ 已建成城镇建设用地",
                         "building footprints on built land ÷ built land"),
    "industrial_far": ("工业用地综合容积率", "industrial floor-area ratio", "",
                       "工矿仓储用地上总建筑面积 ÷ 工矿仓储用地", "floor area on industrial land ÷ industrial land"),
    "industrial_building_coef": ("工业用地建筑系数", "industrial building coefficient", "%",
                                 "工矿仓储用地上建筑物基底面积 ÷ 工矿仓储用地",
                                 "building footprints on industrial land ÷ industrial land"),
    "industrial_investment_intensity": ("工业用地固定资产投入强度", "industrial fixed-asset investment intensity",
                                        "万元/公顷", "工业（物流）企业累计固定资产投资总额 ÷ 工矿仓储用地",
                                        "industrial firms' accumulated fixed-asset investment ÷ industrial land"),
    "industrial_tax_per_ha": ("工业用地地均税收", "tax per hectare of industrial land", "万元/公顷",
                              "工业（物流）企业税收总额 ÷ 工矿仓储用地", "industrial firms' tax ÷ industrial land"),
    "comprehensive_tax_per_ha": ("综合地均税收", "tax per hectare of built land", "万元/公顷",
                                 "二、三产业税收总额 ÷ 已建成城镇建设用地", "secondary and tertiary tax ÷ built land"),
    "population_density": ("人口密度", "population density", "人/公顷",
                           "常住人口 ÷ 已建成城镇建设用地", "resident population ÷ built land"),
    "idle_rate": ("土地闲置率", "idle land rate", "%",
                  "闲置土地 ÷ 已供应国有建设用地", "idle land ÷ land supplied"),
}

#: Intensity potentials: indicator → the land it is measured on (A2 or A).
INTENSITY_BASES = {
    "industrial_far": "industrial", "industrial_building_coef": "industrial",
    "industrial_investment_intensity": "industrial", "industrial_tax_per_ha": "industrial",
    "comprehensive_far": "built", "comprehensive_tax_per_ha": "built",
}


# -- results ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why a figure is not judged: the text in both languages and the ``layer.field`` names missing."""

    zh: str
    en: str
    missing: tuple[str, ...] = ()

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def as_dict(self, lang: str) -> dict:
        return {"message": self.text(lang), "missing": list(self.missing)}


def _reason_dict(reason: Reason | None, lang: str) -> dict | None:
    return None if reason is None else reason.as_dict(lang)


@dataclass(frozen=True)
class StatusArea:
    """One land-use status category's area (``None`` with ``reason`` when not judged)."""

    key: str
    label_zh: str
    label_en: str
    code: str
    area_m2: float | None
    reason: Reason | None = None
    #: A caveat on a judged area (some records could not be judged and are not in it).
    note: Reason | None = None

    @property
    def area_ha(self) -> float | None:
        return None if self.area_m2 is None else self.area_m2 / M2_PER_HA

    @property
    def area_mu(self) -> float | None:
        return None if self.area_m2 is None else self.area_m2 / M2_PER_MU

    def as_dict(self, lang: str) -> dict:
        return {"key": self.key, "label": self.label_en if lang == "en" else self.label_zh, "code": self.code,
                "area_m2": self.area_m2, "area_ha": self.area_ha, "area_mu": self.area_mu,
                "not_judged": _reason_dict(self.reason, lang), "note": _reason_dict(self.note, lang)}


@dataclass(frozen=True)
class IndicatorResult:
    """An indicator's value (a ratio for %, not ×100), its formula, ideal, weight and standardised score."""

    key: str
    label_zh: str
    label_en: str
    unit: str
    formula_zh: str
    formula_en: str
    value: float | None
    numerator: float | None
    denominator: float | None
    direction: str
    ideal: float | None
    weight: float
    score: float | None
    source: str
    status: str
    ideal_status: str
    reason: Reason | None = None
    #: A caveat on a judged value (e.g. idle land is a lower bound).
    note: Reason | None = None

    def as_dict(self, lang: str) -> dict:
        en = lang == "en"
        return {"key": self.key, "label": self.label_en if en else self.label_zh, "unit": self.unit,
                "formula": self.formula_en if en else self.formula_zh, "value": self.value,
                "value_percent": None if self.value is None or self.unit != "%" else self.value * 100.0,
                "numerator": self.numerator, "denominator": self.denominator, "direction": self.direction,
                "ideal": self.ideal, "weight": self.weight, "score": self.score, "source": self.source,
                "status": self.status, "ideal_status": self.ideal_status,
                "not_judged": _reason_dict(self.reason, lang), "note": _reason_dict(self.note, lang)}


@dataclass(frozen=True)
class Potential:
    """A potential (潜力) as land area, with how it was measured."""

    key: str
    label_zh: str
    label_en: str
    basis_zh: str
    basis_en: str
    area_m2: float | None
    reason: Reason | None = None

    @property
    def area_ha(self) -> float | None:
        return None if self.area_m2 is None else self.area_m2 / M2_PER_HA

    @property
    def area_mu(self) -> float | None:
        return None if self.area_m2 is None else self.area_m2 / M2_PER_MU

    def as_dict(self, lang: str) -> dict:
        en = lang == "en"
        return {"key": self.key, "label": self.label_en if en else self.label_zh,
                "basis": self.basis_en if en else self.basis_zh, "area_m2": self.area_m2, "area_ha": self.area_ha,
                "area_mu": self.area_mu, "not_judged": _reason_dict(self.reason, lang)}


@dataclass(frozen=True)
class SupplyYears:
    """尚可供地年数: land still to supply ÷ the average yearly supply of the last ``window_years``."""

    years: float | None
    supplyable_m2: float | None
    supplied_in_window_m2: float | None
    window_years: int
    first_year: int
    reason: Reason | None = None

    def as_dict(self, lang: str) -> dict:
        yearly = None if self.supplied_in_window_m2 is None else self.supplied_in_window_m2 / self.window_years
        return {"years": self.years, "supplyable_m2": self.supplyable_m2,
                "supplied_in_window_m2": self.supplied_in_window_m2, "average_yearly_supply_m2": yearly,
                "window_years": self.window_years, "first_year": self.first_year,
                "not_judged": _reason_dict(self.reason, lang)}


@dataclass(frozen=True)
class Score:
    """集约度分值 (0–100): ``value`` when every weighted indicator is judged; ``partial`` over those judged."""

    value: float | None
    partial: float | None
    judged_weight: float
    left_out: tuple[str, ...]
    reason: Reason | None = None

    def as_dict(self, lang: str) -> dict:
        return {"value": self.value, "partial": self.partial, "judged_weight": self.judged_weight,
                "left_out": list(self.left_out), "not_judged": _reason_dict(self.reason, lang)}


@dataclass(frozen=True)
class Evaluation:
    """The park's evaluation for ``year`` as of ``as_of`` (31 December)."""

    year: int
    as_of: dt.date
    zone_type: str | None
    zone_type_basis: str
    zone_type_reason: Reason | None
    statuses: tuple[StatusArea, ...]
    indicators: tuple[IndicatorResult, ...]
    score: Score
    potentials: tuple[Potential, ...]
    years_of_supply_left: SupplyYears
    #: 工矿仓储 and 住宅 shares of 已建成 land behind the zone type (``None`` when not judged).
    industrial_share: float | None = None
    residential_share: float | None = None
    rules_files: tuple[str, ...] = field(default=())

    def status(self, key: str) -> StatusArea:
        return next(s for s in self.statuses if s.key == key)

    def indicator(self, key: str) -> IndicatorResult:
        return next(i for i in self.indicators if i.key == key)

    def potential(self, key: str) -> Potential:
        return next(p for p in self.potentials if p.key == key)

    def as_dict(self, lang: str = "zh") -> dict:
        """The ``evaluation`` member of ``/api/report``: plain JSON types only."""
        label = None if self.zone_type is None else ZONE_TYPE_LABELS[self.zone_type][1 if lang == "en" else 0]
        return {"year": self.year, "as_of": self.as_of.isoformat(), "zone_type": self.zone_type,
                "zone_type_label": label, "zone_type_basis": self.zone_type_basis,
                "zone_type_not_judged": _reason_dict(self.zone_type_reason, lang),
                "industrial_share": self.industrial_share, "residential_share": self.residential_share,
                "land_status": [s.as_dict(lang) for s in self.statuses],
                "indicators": [i.as_dict(lang) for i in self.indicators],
                "score": self.score.as_dict(lang),
                "potential": [p.as_dict(lang) for p in self.potentials],
                "years_of_supply_left": self.years_of_supply_left.as_dict(lang)}


# -- reasons ------------------------------------------------------------------------------------------


def _layer_label(name: str) -> tuple[str, str]:
    spec = get_layer(name)
    return spec.label("zh"), spec.label("en").lower()


def no_records(layer: str, *, what_zh: str = "", what_en: str = "") -> Reason:
    """The park has no records of ``layer`` in force on the day (optionally: of the kind ``what``)."""
    zh, en = _layer_label(layer)
    return Reason(f"{zh}图层在评价日没有{what_zh or ''}记录",
                  f"the {en} layer ({layer}) holds no {what_en + ' ' if what_en else ''}records on the day judged",
                  (layer,))


def missing_values(layer: str, fields: tuple[str, ...], missing: int, of: int, *, what_zh: str,
                   what_en: str) -> Reason:
    """``missing`` of ``of`` records (``what``) have no value in ``layer.fields``.

    The Chinese names the fields by their labels only (the ``layer.field`` codes are the reason's third member).
    """
    names = " / ".join(f"{layer}.{f}" for f in fields)
    labels_zh = "、".join(get_layer(layer).field(f).label_zh for f in fields)
    return Reason(f"{of} 个{what_zh}中有 {missing} 个缺少{labels_zh}",
                  f"{missing} of {of} {what_en} have no {names}", tuple(f"{layer}.{f}" for f in fields))


def zero_denominator(label_zh: str, label_en: str) -> Reason:
    return Reason(f"{label_zh}为零，比值无意义", f"{label_en} is zero: the ratio has no meaning")


# -- the land-use status ----------------------------------------------------------------------------


def land_use_in(parcels: pd.DataFrame, prefixes: Mapping[str, tuple[str, ...]]) -> np.ndarray:
    """Whether each parcel's land-use code starts with a prefix listed for its classification system."""
    codes = text_column(parcels, "land_use").fillna("")
    standards = text_column(parcels, "land_use_std")
    out = np.zeros(len(parcels), dtype=bool)
    for standard, starts in prefixes.items():
        if starts:
            out |= ((standards == standard).fillna(False) & codes.str.startswith(tuple(starts))).to_numpy(dtype=bool)
    return out


@dataclass(frozen=True)
class ParcelClasses:
    """Each in-force parcel's area and membership of the status categories on the day."""

    area_m2: np.ndarray
    supplied: np.ndarray
    built: np.ndarray
    industrial: np.ndarray
    residential: np.ndarray
    land_use_known: np.ndarray
    supplyable: np.ndarray
    idle: np.ndarray
    idle_unknown: np.ndarray
    contract: pd.Series
    inside_share: np.ndarray
    #: Parcels without a status counted as supplied (built) by their date (``status.*_date_without_status``).
    supplied_by_date: np.ndarray | None = None
    built_by_date: np.ndarray | None = None
    #: Parcels without a status whose supply (whether still to supply; whether built) could not be judged.
    supply_unknown: np.ndarray | None = None
    supplyable_unknown: np.ndarray | None = None
    built_unknown: np.ndarray | None = None


def area_inside(geoms: np.ndarray, outline) -> np.ndarray:
    """Area (m²) of each geometry inside ``outline`` (all of it without an outline)."""
    area = shapely.area(geoms)
    if outline is None or not len(geoms):
        return area
    shapely.prepare(outline)
    whole = shapely.contains(outline, geoms)
    area = area.copy()
    area[~whole] = shapely.area(shapely.intersection(geoms[~whole], outline))
    return area


def classify_parcels(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, *, day: pd.Timestamp,
                     rules: EvaluationRules, land_rules: LandRules, outline=None,
                     idle: pd.DataFrame | None = None) -> ParcelClasses:
    """Which category each parcel is in on ``day``: supplied needs its contract by then, built its completion.

    A parcel's ``status`` decides its category, and wins over its dates: a parcel whose status is not supplied
    (``approved_unsupplied`` …) is not supplied even with a contract dated before the day, and a supplied status
    with a contract dated after the day is not yet supplied. A parcel **without a status** (a surveyor's file has
    no status column) is supplied when its ``status.supplied_date_without_status`` (the contract date: land is
    supplied when its contract is signed) is on or before ``day`` — on the day itself included, after it not — and
    then built when its ``status.built_date_without_status`` (the completion date) is on or before ``day``. What
    such a parcel lacks is not guessed: with neither status nor contract date its supply is unknown
    (``supply_unknown``); without a status and not supplied by its date, whether it is still to supply is unknown
    (``supplyable_unknown``); supplied by its date without a completion date, whether it is built is unknown
    (``built_unknown``). The figures resting on them are not judged (:func:`unknown_status`).

    With an ``outline`` (the evaluation area), only the part of a parcel inside it counts.
    ``idle``: ``geo.idle.idle_land`` of these parcels on ``day`` when already computed
    (a land analysis of the day), else it is computed here.
    """
    status_rules = rules.status
    status = text_column(parcels, "status")
    contract = date_column(parcels, "contract_date")
    completion = date_column(parcels, "actual_completion_date")
    area = area_inside(parcels.geometry.to_numpy(), outline)
    full = shapely.area(parcels.geometry.to_numpy())
    no_status = status.isna().to_numpy(dtype=bool)
    supplied_by_date, supply_untold = dated_without_status(
        status, date_column(parcels, status_rules.supplied_date_without_status), day)
    built_reached, built_untold = dated_without_status(
        status, date_column(parcels, status_rules.built_date_without_status), day)
    built_by_date = supplied_by_date & built_reached
    supplied = (status.isin(status_rules.supplied_statuses).to_numpy(dtype=bool)
                & ~(contract > day).to_numpy(bool)) | supplied_by_date
    built = (supplied & status.isin(status_rules.built_statuses).to_numpy(dtype=bool)
             & ~(completion > day).to_numpy(dtype=bool)) | built_by_date
    if idle is None:
        idle = idle_land(parcels, buildings, as_of=day, rules=land_rules)
    idle_status = idle["idle_status"]
    # Land outside 53号令's tenures cannot be idle; the rest that geo.idle could not judge is unknown.
    tenure = text_column(parcels, "tenure")
    other_tenure = (tenure.notna() & ~tenure.isin(land_rules.idle.tenures)).to_numpy(dtype=bool)
    idle_unknown = supplied & idle["idle_not_judged"].notna().to_numpy(dtype=bool) & ~other_tenure
    return ParcelClasses(
        area_m2=area,
        supplied=supplied,
        built=built,
        industrial=land_use_in(parcels, status_rules.industrial_land_use),
        residential=land_use_in(parcels, status_rules.residential_land_use),
        land_use_known=text_column(parcels, "land_use").notna().to_numpy(dtype=bool)
        & text_column(parcels, "land_use_std").notna().to_numpy(dtype=bool),
        supplyable=status.isin(status_rules.supplyable_statuses).to_numpy(dtype=bool),
        idle=supplied & idle_status.isin(status_rules.idle_statuses).to_numpy(dtype=bool),
        idle_unknown=idle_unknown,
        contract=contract,
        inside_share=np.divide(area, full, out=np.zeros_like(area), where=full > 0),
        supplied_by_date=supplied_by_date,
        built_by_date=built_by_date,
        supply_unknown=supply_untold,
        supplyable_unknown=no_status & ~supplied_by_date,
        built_unknown=supplied_by_date & built_untold,
    )


#: What a parcel without a status leaves unknown, by mask of :class:`ParcelClasses`: (中文, English) of the question.
UNKNOWN_STATUS = {
    "supply_unknown": ("无法判断是否已供应", "whether they are supplied could not be judged"),
    "supplyable_unknown": ("无法判断是否为尚可供应土地", "whether they are land still to supply could not be judged"),
    "built_unknown": ("无法判断是否已建成", "whether they are built could not be judged"),
}


def _field_en(spec, name: str) -> str:
    """A field's English label within a sentence (``contract_date`` → "contract date")."""
    label = spec.field(name).label_en
    return label[:1].lower() + label[1:]


def unknown_status(classes: ParcelClasses | None, mask: str, rules: EvaluationRules) -> Reason | None:
    """Why a category cannot be judged: parcels without a status whose dates do not tell (``mask`` of
    :data:`UNKNOWN_STATUS`), counted among the parcels in force."""
    members = None if classes is None else getattr(classes, mask)
    if members is None or not members.any():
        return None
    n, of = int(members.sum()), len(members)
    question_zh, question_en = UNKNOWN_STATUS[mask]
    status_rules = rules.status
    spec = get_layer("parcels")
    supplied_field = status_rules.supplied_date_without_status
    supplied_en = _field_en(spec, supplied_field)
    if mask == "supply_unknown":
        fields = ("status", supplied_field)
        zh = f"{of} 个地块中有 {n} 个既没有状态也没有{spec.field(supplied_field).label_zh}，{question_zh}"
        en = f"{n} of {of} parcels have neither a status nor a {supplied_en}: {question_en}"
    elif mask == "supplyable_unknown":
        fields = ("status", supplied_field)
        zh = (f"{of} 个地块中有 {n} 个没有状态，且评价日前没有{spec.field(supplied_field).label_zh}，"
              f"{question_zh}")
        en = f"{n} of {of} parcels have no status and no {supplied_en} on or before the day: {question_en}"
    else:
        built_field = status_rules.built_date_without_status
        fields = ("status", built_field)
        zh = (f"{of} 个地块中有 {n} 个没有状态、按{spec.field(supplied_field).label_zh}计为已供应，但没有"
              f"{spec.field(built_field).label_zh}，{question_zh}")
        en = (f"{n} of {of} parcels have no status, are supplied by their {supplied_en} but have no "
              f"{_field_en(spec, built_field)}: {question_en}")
    return Reason(zh, en, tuple(f"parcels.{f}" for f in fields))


def inferred_note(classes: ParcelClasses | None, category: str, rules: EvaluationRules) -> Reason | None:
    """The note on 已供应 (``supplied``) or 已建成 (``built``) land counting parcels without a status by their date."""
    members = None if classes is None else getattr(classes, f"{category}_by_date")
    if members is None or not members.any():
        return None
    field_name = getattr(rules.status, f"{category}_date_without_status")
    spec = get_layer("parcels")
    label = spec.field(field_name).label_zh
    mu = float(classes.area_m2[members].sum()) / M2_PER_MU
    what_zh, what_en = ("已供应", "supplied") if category == "supplied" else ("已建成", "built")
    return Reason(f"其中 {int(members.sum())} 个地块（{mu:.2f} 亩）没有状态，按{label}（不晚于评价日）计为{what_zh}",
                  f"{int(members.sum())} parcels ({mu:.2f} mu) of it have no status and are counted as {what_en} by "
                  f"their {_field_en(spec, field_name)} (on or before the day judged)", (f"parcels.{field_name}",))


def idle_lower_bound(classes: ParcelClasses) -> Reason | None:
    """The caveat on idle land when ``geo.idle`` could not judge some supplied parcels (they are not counted)."""
    unknown = classes.idle_unknown
    if not unknown.any():
        return None
    mu = float(classes.area_m2[unknown].sum()) / M2_PER_MU
    return Reason(f"闲置土地为下限：{int(unknown.sum())} 个已供应地块（{mu:.2f} 亩）无法判断是否闲置"
                  "（缺少供地方式或约定动工日期等，见闲置土地分析）",
                  f"idle land is a lower bound: {int(unknown.sum())} supplied parcels ({mu:.2f} mu) could not be "
                  "judged (no tenure or agreed start date …, see the idle-land analysis)",
                  ("parcels.tenure", "parcels.agreed_start_date"))


def evaluation_area(zones: pd.DataFrame, *, rules: EvaluationRules
                    ) -> tuple[float | None, float | None, Reason | None, object]:
    """(evaluation area m², 不可建设 m² inside it, reason, outline) from the park-boundary and constraint zones."""
    if zones is None or not len(zones):
        return None, None, no_records("zones"), None
    kind = text_column(zones, "kind")
    boundary = zones.geometry.to_numpy()[kind.eq("park_boundary").fillna(False).to_numpy(dtype=bool)]
    if not len(boundary):
        return None, None, Reason("范围与管控图层没有园区范围，无法确定评价范围",
                                  "the zones layer has no park boundary (kind = park_boundary): the evaluation "
                                  "area is unknown", ("zones.kind",)), None
    require_projected(zones, what="evaluation area")
    outline = shapely.union_all(boundary)
    blocked = zones.geometry.to_numpy()[kind.isin(rules.status.not_buildable_zone_kinds).to_numpy(dtype=bool)]
    inside = shapely.area(shapely.intersection(shapely.union_all(blocked), outline)) if len(blocked) else 0.0
    return float(shapely.area(outline)), float(inside), None, outline


# -- the evaluation ---------------------------------------------------------------------------------


def _frame(layers: Mapping[str, pd.DataFrame], name: str, day: pd.Timestamp) -> pd.DataFrame | None:
    frame = layers.get(name)
    return None if frame is None else in_force(frame, as_of=day)


def _empty_buildings(crs) -> gpd.GeoDataFrame:
    columns = {f.name: pd.Series(dtype=object) for f in get_layer("buildings").fields}
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _ratio(numerator: float | None, denominator: float | None, den_zh: str, den_en: str
           ) -> tuple[float | None, Reason | None]:
    if numerator is None or denominator is None:
        return None, None
    if denominator == 0:
        return None, zero_denominator(den_zh, den_en)
    return numerator / denominator, None


def standardised(value: float, ideal: float, *, direction: str) -> float:
    """Score 0–100: positive S = value ÷ ideal × 100; negative (a rate) S = (1 − value) ÷ (1 − ideal) × 100; capped."""
    raw = value / ideal if direction == "positive" else (1.0 - value) / (1.0 - ideal)
    return float(min(100.0, max(0.0, raw * 100.0)))


def evaluate_land_use(layers: Mapping[str, pd.DataFrame], *, year: int, rules: EvaluationRules,
                      land_rules: LandRules, idle: pd.DataFrame | None = None, pairs=None) -> Evaluation:
    """The national land-use evaluation of a park for ``year``, judged on 31 December.

    Parameters
    ----------
    layers
        Validated layers by name (parcels, buildings, zones, enterprise_years), in the park's
        projected CRS; a layer may be absent. Records not in force on the day are left out.
    year
        The year evaluated; its 31 December is the time point.
    rules
        The evaluation rules in force (``layers.evaluation_rules``; the park service's ``rules().evaluation``).
    land_rules
        The land rules in force (``layers.rules``), for idle land and floor areas.
    idle
        Idle land on 31 December when already judged (``parcel_analysis`` of a land analysis of
        that day under the same rules: ``parcel_id``, ``idle_status``, ``idle_not_judged``);
        used when its parcels are the ones in force on the day, in the same order.
    pairs
        ``pairs(parcel_rows, building_rows)``: the building–parcel overlay of the layers' records at the true
        rows of the two masks, from one kept for every day (``geo.utilisation.pairs_among``); by default the
        overlay of the day's records is computed here.
    """
    year = checked_year(year)
    day = pd.Timestamp(year=year, month=12, day=31)
    parcels = _frame(layers, "parcels", day)
    buildings = _frame(layers, "buildings", day)
    zones = _frame(layers, "zones", day)
    years = _frame(layers, "enterprise_years", day)
    has_parcels = parcels is not None and len(parcels) > 0
    if has_parcels:
        require_projected(parcels, what="parcel area")
    if buildings is None or not len(buildings):
        buildings = _empty_buildings(parcels.crs if has_parcels else None)

    total_m2, blocked_m2, area_reason, outline = evaluation_area(zones, rules=rules)
    parcel_reason = None if has_parcels else no_records("parcels")
    classes = classify_parcels(parcels, buildings, day=day, rules=rules, land_rules=land_rules, outline=outline,
                               idle=_same_parcels(idle, parcels)) if has_parcels else None

    def parcel_sum(mask_name: str, extra: np.ndarray | None = None) -> float:
        mask = getattr(classes, mask_name) if extra is None else getattr(classes, mask_name) & extra
        return float(classes.area_m2[mask].sum())

    # Parcels without a status whose dates do not tell leave their categories, and all resting on them, not judged.
    supply_unknown = parcel_reason or unknown_status(classes, "supply_unknown", rules)
    supplyable_unknown = supply_unknown or unknown_status(classes, "supplyable_unknown", rules)
    built_unknown = supply_unknown or unknown_status(classes, "built_unknown", rules)
    built_land_use_missing = unknown_land_use(classes, "built", what_zh="已建成地块", what_en="built parcels")
    industrial_unknown = built_unknown or built_land_use_missing
    supplied = None if supply_unknown else parcel_sum("supplied")
    built = None if built_unknown else parcel_sum("built")
    industrial = None if industrial_unknown else parcel_sum("built", classes.industrial)
    residential = None if industrial_unknown else parcel_sum("built", classes.residential)
    supplyable = None if supplyable_unknown else parcel_sum("supplyable")
    supplyable_use_missing = supplyable_unknown or unknown_land_use(
        classes, "supplyable", what_zh="尚可供应地块", what_en="parcels still to supply")
    supplyable_industrial = None if supplyable_use_missing else parcel_sum("supplyable", classes.industrial)
    idle = None if supply_unknown else parcel_sum("idle")
    ready = None if supplied is None or supplyable is None else supplied + supplyable
    developable = None if total_m2 is None else total_m2 - blocked_m2
    areas = {"evaluation_area": (total_m2, area_reason), "not_buildable": (blocked_m2, area_reason),
             "developable": (developable, area_reason), "ready": (ready, supplyable_unknown),
             "supplied": (supplied, supply_unknown), "built": (built, built_unknown),
             "industrial": (industrial, industrial_unknown), "supplyable": (supplyable, supplyable_unknown),
             "supplyable_industrial": (supplyable_industrial, supplyable_use_missing),
             "idle": (idle, supply_unknown)}
    idle_note = None if classes is None else idle_lower_bound(classes)
    notes = {"supplied": inferred_note(classes, "supplied", rules), "built": inferred_note(classes, "built", rules),
             "idle": idle_note}
    statuses = tuple(StatusArea(key, *STATUS_LABELS[key], area, None if area is not None else reason,
                                notes.get(key) if area is not None else None)
                     for key, (area, reason) in areas.items())

    zone_type, basis, type_reason = zone_type_of(built, industrial, residential, industrial_unknown, rules=rules)
    values = indicator_values(
        parcels=parcels, buildings=buildings, years=years, classes=classes, year=int(year), land_rules=land_rules,
        rules=rules, areas={key: area for key, (area, _) in areas.items()},
        reasons={key: reason for key, (_, reason) in areas.items()},
        pairs=None if pairs is None or not has_parcels or not len(buildings) else
        pairs(valid_on(layers["parcels"], day), valid_on(layers["buildings"], day)))
    indicators = tuple(_indicator(key, values[key], zone_type, rules, idle_note if key == "idle_rate" else None)
                       for key in INDICATOR_LABELS)
    return Evaluation(
        year=int(year), as_of=day.date(), zone_type=zone_type, zone_type_basis=basis, zone_type_reason=type_reason,
        statuses=statuses, indicators=indicators, score=_score(indicators, zone_type, type_reason, rules),
        potentials=potentials(statuses, indicators, zone_type, rules),
        years_of_supply_left=supply_years(classes, supplyable, supply_unknown or supplyable_unknown, year=int(year),
                                          rules=rules),
        industrial_share=_share(industrial, built), residential_share=_share(residential, built),
        rules_files=rules.files)


def _same_parcels(judged: pd.DataFrame | None, parcels: pd.DataFrame) -> pd.DataFrame | None:
    """``judged`` when it holds a row for each of ``parcels`` in the same order, else None."""
    if judged is None or len(judged) != len(parcels):
        return None
    same = judged["parcel_id"].to_numpy(dtype=object) == parcels["parcel_id"].to_numpy(dtype=object)
    return judged if bool(same.all()) else None


def _share(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else part / whole


def unknown_land_use(classes: ParcelClasses | None, category: str, *, what_zh: str, what_en: str) -> Reason | None:
    """Why the land-use split of ``category`` (``built``, ``supplyable``) cannot be judged: parcels without a code."""
    if classes is None:
        return None
    members = getattr(classes, category)
    unknown = members & ~classes.land_use_known
    if not unknown.any():
        return None
    return missing_values("parcels", ("land_use", "land_use_std"), int(unknown.sum()), int(members.sum()),
                          what_zh=what_zh, what_en=what_en)


def checked_year(year) -> int:
    """``year`` as an int, or ValueError naming it and the years the register can hold (its year fields' range)."""
    spec = get_layer("buildings").field("completion_year")
    low, high = int(spec.min_value), int(spec.max_value)
    if isinstance(year, bool) or not isinstance(year, int | np.integer) or not low <= year <= high:
        raise ValueError(f"evaluation year: got {year!r}; allowed: a whole year from {low} to {high}")
    return int(year)


def zone_type_of(built: float | None, industrial: float | None, residential: float | None, reason: Reason | None, *,
                 rules: EvaluationRules) -> tuple[str | None, str, Reason | None]:
    """(zone type, basis, reason): fixed by the rules, else from the 工矿仓储 and 住宅 shares of built land."""
    typing = rules.zone_type
    if typing.fixed is not None:
        return typing.fixed, "fixed", None
    if reason is not None or built is None or industrial is None or residential is None:
        return None, "shares", reason
    if built == 0:
        return None, "shares", zero_denominator("已建成城镇建设用地", "built land")
    industrial_share, residential_share = industrial / built, residential / built
    if industrial_share > typing.industrial_share_above and residential_share < typing.residential_share_below:
        return "industrial", "shares", None
    if industrial_share <= typing.industrial_share_above and residential_share >= typing.residential_share_below:
        return "integrated", "shares", None
    return typing.other_as, "other", None


@dataclass(frozen=True)
class _Value:
    value: float | None
    numerator: float | None
    denominator: float | None
    reason: Reason | None


def _value(numerator: float | None, denominator: float | None, reason: Reason | None, den_zh: str, den_en: str,
           *, scale: float = 1.0) -> _Value:
    """``numerator ÷ denominator × scale``, or not judged with ``reason`` (or a zero denominator)."""
    if reason is not None:
        return _Value(None, None, None, reason)
    value, zero = _ratio(numerator, denominator, den_zh, den_en)
    return _Value(None if value is None else value * scale, numerator, denominator, zero)


def _building_sums(parcels, buildings, classes, land_rules, rules, pairs=None
                   ) -> tuple[pd.DataFrame | None, Reason | None, np.ndarray]:
    """Floor area and footprint of counted buildings per parcel (NaN where a building's floor area is unknown);
    ``pairs``: their overlay when already taken."""
    if not len(buildings):
        return None, no_records("buildings"), np.zeros(0, dtype=bool)
    counted = text_column(buildings, "status").isin(rules.status.counted_building_statuses).to_numpy(dtype=bool)
    floor = building_floor_areas(buildings, rules=land_rules)[["gfa_m2", "footprint_m2"]]
    if pairs is None:
        pairs = building_parcel_pairs(parcels, buildings)
    sums = per_parcel_sums(pairs, floor, len(parcels), mask=counted)
    unknown_gfa = counted & np.isnan(floor["gfa_m2"].to_numpy(dtype=float))
    return sums, None, unknown_gfa


def indicator_values(*, parcels, buildings, years, classes: ParcelClasses | None, year: int, land_rules, rules,
                     areas: Mapping[str, float | None], reasons: Mapping[str, Reason | None],
                     pairs: pd.DataFrame | None = None) -> dict[str, _Value]:
    """Every indicator's value with numerator and denominator, or its reason (``reasons``: why each area of
    ``areas`` is not judged, by the same keys; ``pairs``: the building–parcel overlay of ``parcels`` and
    ``buildings`` when already taken)."""
    a, a2, d = areas["built"], areas["industrial"], areas["supplied"]
    ready_reason, supplied_reason = reasons["ready"], reasons["supplied"]
    built_reason, industrial_reason = reasons["built"], reasons["industrial"]
    out = {
        "development_rate": _value(areas["ready"], areas["developable"], reasons["developable"] or ready_reason,
                                   "可开发建设土地", "developable land"),
        "supply_rate": _value(d, areas["ready"], supplied_reason or ready_reason, "已达到供地条件的土地",
                              "land ready for supply"),
        "built_rate": _value(a, d, supplied_reason or built_reason, "已供应国有建设用地", "land supplied"),
        "industrial_rate": _value(a2, a, industrial_reason, "已建成城镇建设用地", "built land"),
        "idle_rate": _value(areas["idle"], d, supplied_reason or reasons["idle"], "已供应国有建设用地", "land supplied"),
        "population_density": _Value(None, None, None, Reason(
            "没有图层记录常住人口（人口密度需要园区常住人口）",
            "no layer holds the resident population (population density needs it)", ("常住人口",))),
    }
    sums, building_reason, unknown_gfa = (None, None, np.zeros(0, dtype=bool)) if classes is None else \
        _building_sums(parcels, buildings, classes, land_rules, rules, pairs)
    for key, land, mask_reason, measure in (
            ("comprehensive_far", a, built_reason, "gfa_m2"), ("building_density", a, built_reason, "footprint_m2"),
            ("industrial_far", a2, industrial_reason, "gfa_m2"),
            ("industrial_building_coef", a2, industrial_reason, "footprint_m2")):
        reason = mask_reason or building_reason
        numerator = None
        if reason is None:
            on = classes.built & (classes.industrial if key.startswith("industrial") else True)
            # A parcel partly outside the evaluation area brings the same share of its buildings.
            values = (sums[measure].to_numpy(dtype=float) * classes.inside_share)[on]
            if np.isnan(values).any():
                reason = missing_values("buildings", ("gfa_m2", "floors"), int(unknown_gfa.sum()),
                                        int(len(unknown_gfa)), what_zh="建筑", what_en="buildings")
            else:
                numerator = float(values.sum())
        den_zh, den_en = ("工矿仓储用地", "industrial land") if key.startswith("industrial") else \
            ("已建成城镇建设用地", "built land")
        out[key] = _value(numerator, land, reason, den_zh, den_en)
    out["industrial_investment_intensity"] = _investment(parcels, classes, a2, industrial_reason)
    out.update(_taxes(parcels, years, classes, year, a, a2, built_reason, industrial_reason))
    return out


def _investment(parcels, classes, a2, reason) -> _Value:
    if reason is not None:
        return _Value(None, None, None, reason)
    on = classes.built & classes.industrial
    invested = float_column(parcels, "investment_done_wan")[on]
    if np.isnan(invested).any():
        reason = missing_values("parcels", ("investment_done_wan",), int(np.isnan(invested).sum()), int(on.sum()),
                                what_zh="工矿仓储地块", what_en="industrial parcels")
        return _Value(None, None, None, reason)
    return _value(float(invested.sum()), a2 / M2_PER_HA, None, "工矿仓储用地", "industrial land")


def _taxes(parcels, years, classes, year, a, a2, built_reason, industrial_reason) -> dict[str, _Value]:
    """工业用地地均税收 and 综合地均税收 from the enterprises' figures of ``year``."""
    records = None
    if years is not None and "year" in years:
        records = years[pd.to_numeric(years["year"], errors="coerce").eq(year).to_numpy(dtype=bool)]
    if records is None or not len(records):
        reason = no_records("enterprise_years", what_zh=f"{year} 年度的", what_en=f"{year}")
        return {"industrial_tax_per_ha": _Value(None, None, None, industrial_reason or reason),
                "comprehensive_tax_per_ha": _Value(None, None, None, built_reason or reason)}
    tax = float_column(records, "tax_wan")
    firms = text_column(records, "enterprise_id")
    out = {}
    if np.isnan(tax).any():
        reason = missing_values("enterprise_years", ("tax_wan",), int(np.isnan(tax).sum()), len(tax),
                                what_zh=f"{year} 年度企业记录", what_en=f"enterprise records of {year}")
        out["comprehensive_tax_per_ha"] = _Value(None, None, None, built_reason or reason)
    else:
        out["comprehensive_tax_per_ha"] = _value(float(tax.sum()), None if a is None else a / M2_PER_HA,
                                                 built_reason, "已建成城镇建设用地", "built land")
    if industrial_reason:
        out["industrial_tax_per_ha"] = _Value(None, None, None, industrial_reason)
        return out
    on = classes.built & classes.industrial
    holders = text_column(parcels, "enterprise_id")[on]
    if holders.isna().any():
        out["industrial_tax_per_ha"] = _Value(None, None, None, missing_values(
            "parcels", ("enterprise_id",), int(holders.isna().sum()), int(on.sum()), what_zh="工矿仓储地块",
            what_en="industrial parcels"))
        return out
    wanted = pd.unique(holders.to_numpy(dtype=object))
    by_firm = pd.Series(tax, index=firms.to_numpy()).groupby(level=0).sum(min_count=1)
    lacking = sorted(wanted[~isin(wanted, by_firm.dropna().index)])
    if lacking:
        out["industrial_tax_per_ha"] = _Value(None, None, None, Reason(
            f"{len(wanted)} 家工矿仓储用地企业中有 {len(lacking)} 家没有 {year} 年的税收（企业年度数据）："
            + "、".join(lacking[:5]),
            f"{len(lacking)} of {len(wanted)} firms on industrial land have no {year} tax "
            f"(enterprise_years.tax_wan): " + ", ".join(lacking[:5]), ("enterprise_years.tax_wan",)))
        return out
    # The firms' sums in the order of their ids (the groups' order), as a sum over the sorted ids adds them.
    out["industrial_tax_per_ha"] = _value(float(by_firm[isin(by_firm.index, wanted)].sum()), a2 / M2_PER_HA, None,
                                          "工矿仓储用地", "industrial land")
    return out


def _indicator(key: str, value: _Value, zone_type: str | None, rules: EvaluationRules,
               note: Reason | None = None) -> IndicatorResult:
    rule = rules.indicator(key)
    label_zh, label_en, unit, formula_zh, formula_en = INDICATOR_LABELS[key]
    ideal = None if zone_type is None else rule.ideal[zone_type]
    weight = 0.0 if zone_type is None else rule.weight[zone_type]
    score = None
    if value.value is not None and ideal is not None:
        score = standardised(value.value, ideal, direction=rule.direction)
    return IndicatorResult(key, label_zh, label_en, unit, formula_zh, formula_en, value.value, value.numerator,
                           value.denominator, rule.direction, ideal, weight, score, rule.source, rule.status,
                           rule.ideal_status, value.reason, None if value.value is None else note)


def _score(indicators: tuple[IndicatorResult, ...], zone_type: str | None, type_reason: Reason | None,
           rules: EvaluationRules) -> Score:
    """集约度分值 = Σ weight × score over the zone type's indicators; ``None`` unless all are scored."""
    if zone_type is None:
        reason = Reason("开发区类型无法判定，不能选择指标与权重", "the zone type is not judged: no indicator set "
                        "or weights apply")
        if type_reason is not None:
            reason = Reason(f"{reason.zh}（{type_reason.zh}）", f"{reason.en} ({type_reason.en})", type_reason.missing)
        return Score(None, None, 0.0, (), reason)
    weighted = [i for i in indicators if i.weight > 0]
    scored = [i for i in weighted if i.score is not None]
    left_out = tuple(i.key for i in weighted if i.score is None)
    judged_weight = float(sum(i.weight for i in scored))
    partial = float(sum(i.weight * i.score for i in scored) / judged_weight) if judged_weight else None
    if not left_out:
        return Score(float(sum(i.weight * i.score for i in scored)), partial, judged_weight, ())
    names_zh = "、".join(i.label_zh + ("（未设理想值）" if i.ideal is None else "")
                        for i in weighted if i.score is None)
    names_en = ", ".join(i.label_en + (" (no ideal value set)" if i.ideal is None else "")
                         for i in weighted if i.score is None)
    return Score(None, partial, judged_weight, left_out, Reason(
        f"有指标未能评分：{names_zh}", f"indicators not scored: {names_en}", left_out))


def potentials(statuses: tuple[StatusArea, ...], indicators: tuple[IndicatorResult, ...], zone_type: str | None,
               rules: EvaluationRules) -> tuple[Potential, ...]:
    """扩展、结构、强度、管理潜力 as land areas (formulas ◐/❓, DOMAIN-REPORTS.md §1.6)."""
    area = {s.key: s for s in statuses}
    by_key = {i.key: i for i in indicators}
    out = [
        Potential("expansion", "扩展潜力", "expansion potential", "尚可供应土地（E）", "land still to supply (E)",
                  area["supplyable"].area_m2, area["supplyable"].reason),
        Potential("expansion_industrial", "扩展潜力（工矿仓储）", "expansion potential (industrial)",
                  "尚可供应工矿仓储用地（E21）", "industrial land still to supply (E21)",
                  area["supplyable_industrial"].area_m2, area["supplyable_industrial"].reason),
    ]
    rate = by_key["industrial_rate"]
    out.append(_gap_potential("structure", "结构潜力", "structural potential",
                              "已建成城镇建设用地 × (理想工业用地率 − 现状工业用地率)",
                              "built land × (ideal − current industrial land rate)",
                              area["built"], rate, lambda value, ideal: max(0.0, ideal - value)))
    for key, base in INTENSITY_BASES.items():
        indicator = by_key[key]
        if indicator.weight == 0 and zone_type is not None:
            continue
        out.append(_gap_potential(f"intensity.{key}", f"强度潜力（{indicator.label_zh}）",
                                  f"intensity potential ({indicator.label_en})",
                                  f"{STATUS_LABELS[base][0]} × (1 − 现状 ÷ 理想)", f"{STATUS_LABELS[base][1]} × "
                                  "(1 − current ÷ ideal)", area[base], indicator,
                                  lambda value, ideal: max(0.0, 1.0 - value / ideal)))
    out.append(Potential("management", "管理潜力", "management potential", "闲置土地（G）", "idle land (G)",
                         area["idle"].area_m2, area["idle"].reason))
    return tuple(out)


def _gap_potential(key, label_zh, label_en, basis_zh, basis_en, land: StatusArea, indicator: IndicatorResult,
                   gap) -> Potential:
    if land.area_m2 is None:
        return Potential(key, label_zh, label_en, basis_zh, basis_en, None, land.reason)
    if indicator.value is None:
        return Potential(key, label_zh, label_en, basis_zh, basis_en, None, indicator.reason)
    if indicator.ideal is None:
        return Potential(key, label_zh, label_en, basis_zh, basis_en, None, Reason(
            # The words name no file or key (a page reads them); the key stays in the reason's fields for the JSON.
            f"{indicator.label_zh}没有设定理想值（园区可在评价规则中设定）",
            f"{indicator.label_en} has no ideal value (a park sets it in its evaluation rules)",
            (f"indicators.definitions.{indicator.key}.ideal",)))
    return Potential(key, label_zh, label_en, basis_zh, basis_en, land.area_m2 * gap(indicator.value, indicator.ideal))


def supply_years(classes: ParcelClasses | None, supplyable: float | None, reason: Reason | None, *, year: int,
                 rules: EvaluationRules) -> SupplyYears:
    """尚可供地年数 = 尚可供应 ÷ (land whose contract is dated in the last N years ÷ N)."""
    window = rules.supply.years_of_supply_window
    first = year - window + 1
    if classes is None or reason is not None:
        return SupplyYears(None, supplyable, None, window, first, reason)
    undated = classes.supplied & classes.contract.isna().to_numpy(dtype=bool)
    if undated.any():
        return SupplyYears(None, supplyable, None, window, first, missing_values(
            "parcels", ("contract_date",), int(undated.sum()), int(classes.supplied.sum()),
            what_zh="已供应地块", what_en="supplied parcels"))
    start = pd.Timestamp(year=first, month=1, day=1)
    in_window = classes.supplied & (classes.contract >= start).to_numpy(dtype=bool)
    supplied = float(classes.area_m2[in_window].sum())
    if supplied == 0:
        return SupplyYears(None, supplyable, 0.0, window, first, Reason(
            f"{first}–{year} 年没有供地，年均供地为零", f"no land was supplied in {first}–{year}: the yearly "
            "average is zero"))
    return SupplyYears(supplyable / (supplied / window), supplyable, supplied, window, first)


__all__ = ["Evaluation", "IndicatorResult", "Potential", "Reason", "Score", "StatusArea", "SupplyYears",
           "evaluate_land_use", "standardised"]
