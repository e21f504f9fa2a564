"""Investor site search: needs → ranked available land and vacant factory units, with why each fits or not.

Land on offer is every parcel whose status is in ``site_search.land_statuses``
(planned, approved-unsupplied, reclaimed) and every revitalisation candidate (idle
or stalled land the caller names). Factory space is every vacant leasable unit
(``geo.vacancy.unit_vacancy``). Each is checked against the needs — area range in
亩 (land) or m² (space), land-use class, required connections (``geo.readiness``),
maximum network distance to a highway exit (``geo.roadnet``), storey, floor load
and clear height — and gets a fit score: a weighted mean of parts in 0–1 (area
closeness, share of connections or specifications met, highway distance). Results
meeting every need come first, best score first; the others follow, each with
its shortfalls. Every reason is written in Chinese and English.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.idle import idle_land
from geo.readiness import readiness
from geo.records import described_fields, in_force
from geo.roadnet import network_distances
from geo.units import M2_PER_MU
from geo.vacancy import unit_vacancy
from layers.expansion_rules import ExpansionRules
from layers.infra_rules import READINESS_ITEMS, InfraRules
from layers.rules import LandRules

#: Idle statuses that put a parcel on offer for revitalisation (盘活).
REVITALISATION_STATUSES = ("idle_fee", "idle_reclaim", "stalled_idle")
#: Layers a site search reads.
SITE_LAYERS = ("parcels", "roads", "pipelines", "facilities", "buildings", "units", "leases", "zones")
#: Fields the inputs hold with the records in force (``layers``) without computing with them: a change of only these
#: is patched into kept inputs (``geo.records.with_layer_fields``) instead of computing them again.
SITE_SHOWN_FIELDS = described_fields(SITE_LAYERS)


def site_inputs(layers, *, as_of, rules: LandRules, infra_rules: InfraRules, expansion_rules: ExpansionRules) -> dict:
    """What every search of a park on ``as_of`` rests on: readiness, network distances, revitalisation flags,
    unit vacancy and each building's distance to a highway exit, under the park's rules in force.

    Returns ``layers`` (the records in force, by name), ``readiness``, ``distances``,
    ``revitalisation``, ``vacancy``, ``building_distance`` and ``as_of``.
    """
    current = {name: in_force(layers[name], as_of=as_of) for name in SITE_LAYERS}
    parcels = current["parcels"]
    ready = readiness(parcels, current["roads"], current["pipelines"], rules=infra_rules)
    distances = network_distances(parcels, current["roads"], current["facilities"], rules=infra_rules,
                                  include_planned=expansion_rules.site_search.include_planned_roads)
    idle = idle_land(parcels, current["buildings"], as_of=as_of, rules=rules)
    vacancy = unit_vacancy(current["units"], current["leases"], as_of=as_of, rules=rules)
    by_parcel = pd.Series(distances["to_highway_exit_m"].to_numpy(), index=parcels["parcel_id"].to_numpy())
    by_parcel = by_parcel[~by_parcel.index.duplicated()]
    buildings = current["buildings"]
    building_distance = pd.Series(by_parcel.reindex(buildings["parcel_id"].to_numpy()).to_numpy(),
                                  index=buildings["building_id"].to_numpy())
    return {"layers": current, "readiness": ready, "distances": distances,
            "revitalisation": idle["idle_status"].isin(REVITALISATION_STATUSES), "vacancy": vacancy,
            "building_distance": building_distance[~building_distance.index.duplicated()], "as_of": as_of}

KINDS = ("land", "space")
_CONNECTION_NAMES = {
    "road": ("道路", "road"), "water_supply": ("给水", "water supply"), "rain": ("雨水", "storm drain"),
    "sewer": ("污水", "sewer"), "power": ("电力", "power"), "telecom": ("通信", "telecom"), "gas": ("燃气", "gas"),
    "heat": ("热力", "heat"), "cable_tv": ("有线电视", "cable TV"), "site_levelled": ("场地平整", "levelled site"),
}


@dataclass(frozen=True)
class InvestorNeeds:
    """What an investor asks for; ``None`` means no requirement."""

    kind: str = "land"
    area_min_mu: float | None = None
    area_max_mu: float | None = None
    land_use_class: str | None = None
    connections: tuple[str, ...] = ()
    max_highway_m: float | None = None
    floor_area_min_m2: float | None = None
    floor_area_max_m2: float | None = None
    max_floor: int | None = None
    min_floor_load_kn_m2: float | None = None
    min_clear_height_m: float | None = None

    def __post_init__(self):
        problems = []
        if self.kind not in KINDS:
            problems.append(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        unknown = [c for c in self.connections if c not in READINESS_ITEMS]
        if unknown:
            problems.append(f"connections {unknown!r} unknown; allowed: {', '.join(READINESS_ITEMS)}")
        for low, high in (("area_min_mu", "area_max_mu"), ("floor_area_min_m2", "floor_area_max_m2")):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                problems.append(f"{low} ({a:g}) is more than {high} ({b:g})")
        for name in ("area_min_mu", "area_max_mu", "max_highway_m", "floor_area_min_m2", "floor_area_max_m2",
                     "min_floor_load_kn_m2", "min_clear_height_m"):
            value = getattr(self, name)
            if value is not None and (not np.isfinite(value) or value < 0):
                problems.append(f"{name} must be a number ≥ 0, got {value!r}")
        if problems:
            raise ValueError("; ".join(problems))

    def as_dict(self) -> dict:
        data = asdict(self)
        data["connections"] = list(self.connections)
        return data


class _Reasons:
    """Per-record reason texts in both languages, added mask by mask (texts: one, or one per record)."""

    def __init__(self, n: int):
        self.zh = np.full(n, "", dtype=object)
        self.en = np.full(n, "", dtype=object)

    @staticmethod
    def _append(out: np.ndarray, mask: np.ndarray, text, sep: str) -> np.ndarray:
        text = np.broadcast_to(np.asarray(text, dtype=object), out.shape)
        joined = np.where(out == "", text, out + sep + text)
        return np.where(mask, joined, out)

    def add(self, mask: np.ndarray, zh, en) -> None:
        self.zh = self._append(self.zh, np.asarray(mask, dtype=bool), zh, "；")
        self.en = self._append(self.en, np.asarray(mask, dtype=bool), en, "; ")

    def texts(self, lang: str) -> np.ndarray:
        return self.zh if lang == "zh" else self.en


def _fmt(values: np.ndarray, digits: int = 1) -> np.ndarray:
    """Numbers as display texts (thousands separated), '—' where missing."""
    series = pd.Series(np.asarray(values, dtype=float))
    return series.map(lambda v: f"{v:,.{digits}f}").where(series.notna(), "—").to_numpy(dtype=object)


def _range_part(value: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
    """1 inside [low, high], falling linearly with the relative distance outside it, 0 when unknown."""
    part = np.ones(len(value))
    if low is not None and low > 0:
        part = np.where(value < low, np.clip(1 - (low - value) / low, 0, 1), part)
    if high is not None and high > 0:
        part = np.where(value > high, np.clip(1 - (value - high) / high, 0, 1), part)
    return np.where(np.isnan(value), 0.0, part)


def _check_range(reasons_fit: _Reasons, reasons_short: _Reasons, value: np.ndarray, low, high, *, what_zh: str,
                 what_en: str, unit: str) -> np.ndarray:
    """Record fits and shortfalls of ``low ≤ value ≤ high``; the mask of records inside."""
    shown = _fmt(value)
    ok = np.ones(len(value), dtype=bool)
    if low is not None:
        below = value < low
        reasons_short.add(below, f"{what_zh} " + shown + f" {unit}，低于所需 {low:g} {unit}",
                          f"{what_en} " + shown + f" {unit}, below the {low:g} {unit} asked")
        ok &= ~below
    if high is not None:
        above = value > high
        reasons_short.add(above, f"{what_zh} " + shown + f" {unit}，高于所需 {high:g} {unit}",
                          f"{what_en} " + shown + f" {unit}, above the {high:g} {unit} asked")
        ok &= ~above
    if low is not None or high is not None:
        reasons_fit.add(ok, f"{what_zh} " + shown + f" {unit} 符合", f"{what_en} " + shown + f" {unit} fits")
    return ok


def _highway(fit: _Reasons, short: _Reasons, distance_m: np.ndarray, max_m: float | None) -> tuple[np.ndarray, ...]:
    """(ok mask, score part) of the network distance to a highway exit."""
    km = _fmt(distance_m / 1000.0, 2)
    if max_m is None:
        return np.ones(len(distance_m), dtype=bool), np.ones(len(distance_m))
    unknown = np.isnan(distance_m)
    ok = ~unknown & (distance_m <= max_m)
    far = ~unknown & ~ok
    fit.add(ok, "距高速出入口 " + km + " 公里（路网）", km + " km to a highway exit by road")
    short.add(far, "距高速出入口 " + km + f" 公里，超过 {max_m / 1000:g} 公里",
              km + f" km to a highway exit, more than {max_m / 1000:g} km")
    short.add(unknown, "无道路通达高速出入口", "no road route to a highway exit")
    part = np.where(unknown, 0.0, np.where(ok, 1.0, np.clip(1 - (distance_m - max_m) / max_m, 0, 1)))
    return ok, part


def _finish(frame: pd.DataFrame, fit: _Reasons, short: _Reasons, meets: np.ndarray, parts: dict[str, np.ndarray],
            weights: dict[str, float], limit: int) -> pd.DataFrame:
    total = sum(weights.values())
    score = sum(weights[k] * parts[k] for k in parts) / total if total else np.zeros(len(frame))
    out = frame.assign(meets=meets, score=np.round(score, 4), fits_zh=fit.texts("zh"), fits_en=fit.texts("en"),
                       shortfalls_zh=short.texts("zh"), shortfalls_en=short.texts("en"))
    out = out.sort_values(["meets", "score"], ascending=[False, False], kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    return out.head(limit)


def search_land(parcels: gpd.GeoDataFrame, *, needs: InvestorNeeds, readiness: pd.DataFrame,
                distances: pd.DataFrame, revitalisation: pd.Series | None = None,
                rules: ExpansionRules) -> gpd.GeoDataFrame:
    """Available land ranked against the investor's needs.

    Parameters
    ----------
    parcels
        Validated parcels in the working CRS (records in force).
    needs
        The investor's needs.
    readiness
        ``geo.readiness.readiness`` of ``parcels`` (``road``, ``served_<network>``, ``site_levelled``,
        ``readiness_label``), indexed like them.
    distances
        ``geo.roadnet.network_distances`` of ``parcels`` (``to_highway_exit_m``), indexed like them.
    revitalisation
        Boolean per parcel: a revitalisation candidate (idle or stalled land).
    rules
        Expansion rules (``site_search``).

    Returns
    -------
    GeoDataFrame of the best ``site_search.max_results`` candidates, indexed like ``parcels``:
    ``parcel_id, name, area_name, status, offer`` (status or ``revitalisation``), ``area_mu, land_use,
    readiness_label, to_highway_exit_m, meets, score, fits_zh/en, shortfalls_zh/en, rank``.
    """
    srules = rules.site_search
    revit = (revitalisation.reindex(parcels.index).fillna(False).to_numpy(dtype=bool)
             if revitalisation is not None else np.zeros(len(parcels), dtype=bool))
    offered = parcels["status"].isin(srules.land_statuses).to_numpy() | revit
    cand = parcels[offered]
    area_mu = cand.geometry.area.to_numpy() / M2_PER_MU
    n = len(cand)
    fit, short = _Reasons(n), _Reasons(n)
    area_ok = _check_range(fit, short, area_mu, needs.area_min_mu, needs.area_max_mu, what_zh="面积", what_en="area",
                           unit="亩")
    meets = area_ok.copy()
    if needs.land_use_class is not None:
        cls = srules.land_use_classes.get(needs.land_use_class)
        if cls is None:
            msg = f"land-use class {needs.land_use_class!r} unknown; allowed: {', '.join(srules.land_use_classes)}"
            raise ValueError(msg)
        code = cand["land_use"].astype("str")
        std = cand["land_use_std"].astype("str").fillna("用地用海2023")
        matches = np.zeros(n, dtype=bool)
        for standard, prefixes in cls.prefixes.items():  # ≤ 3 classification systems
            in_std = (std == standard).to_numpy()
            matches |= in_std & code.str.startswith(tuple(prefixes)).fillna(False).to_numpy(dtype=bool)
        unset = code.isna().to_numpy()
        fit.add(matches, f"用地性质为{cls.label_zh}", f"zoned {cls.label_en.lower()}")
        fit.add(unset, f"尚未确定用地性质，可按{cls.label_zh}规划", f"land use not set yet: can be zoned {cls.label_en.lower()}")
        other = ~matches & ~unset
        shown_code = code.fillna("").to_numpy(dtype=object)
        short.add(other, "用地性质 " + shown_code + f" 不是{cls.label_zh}",
                  "land use " + shown_code + f" is not {cls.label_en.lower()}")
        meets &= ~other
    required = list(needs.connections)
    have = np.ones((n, max(len(required), 1)), dtype=bool)
    for i, item in enumerate(required):
        column = "road" if item == "road" else ("site_levelled" if item == "site_levelled" else f"served_{item}")
        values = readiness.reindex(cand.index).get(column)
        have[:, i] = False if values is None else values.fillna(False).to_numpy(dtype=bool)
        zh, en = _CONNECTION_NAMES[item]
        fit.add(have[:, i], f"已通{zh}", f"{en} connected")
        short.add(~have[:, i], f"未通{zh}", f"no {en} connection")
    connections_part = have.mean(axis=1) if required else np.ones(n)
    meets &= have.all(axis=1)
    distance = distances.reindex(cand.index)["to_highway_exit_m"].to_numpy(dtype=float) if "to_highway_exit_m" in \
        distances else np.full(n, np.nan)
    highway_ok, highway_part = _highway(fit, short, distance, needs.max_highway_m)
    meets &= highway_ok
    offer = np.where(revit[offered], "revitalisation", cand["status"].astype(object).to_numpy())
    label = readiness.reindex(cand.index)["readiness_label"] if "readiness_label" in readiness else np.nan
    frame = gpd.GeoDataFrame({
        "parcel_id": cand["parcel_id"], "name": cand["name"], "area_name": cand["area_name"],
        "status": cand["status"], "offer": offer, "area_mu": area_mu, "land_use": cand["land_use"],
        "readiness_label": label, "to_highway_exit_m": distance,
    }, geometry=cand.geometry, crs=parcels.crs, index=cand.index)
    parts = {"area": _range_part(area_mu, needs.area_min_mu, needs.area_max_mu), "connections": connections_part,
             "highway": highway_part}
    return _finish(frame, fit, short, meets, parts, dict(srules.weights), srules.max_results)


def search_space(units: pd.DataFrame, *, needs: InvestorNeeds, vacancy: pd.DataFrame, buildings: gpd.GeoDataFrame,
                 distances: pd.Series | None = None, rules: ExpansionRules) -> gpd.GeoDataFrame:
    """Vacant factory units ranked against the investor's needs.

    Parameters
    ----------
    units
        Validated units (``floor``, ``area_m2``, ``floor_load_kn_m2``, ``clear_height_m``).
    vacancy
        ``geo.vacancy.unit_vacancy`` of ``units`` (``vacant_m2``, ``days_vacant``), indexed like them.
    buildings
        Validated buildings: name, floors and the floor load / clear height a unit lacks.
    distances
        Network distance to a highway exit per building id.
    rules
        Expansion rules (``site_search``).
    """
    srules = rules.site_search
    vacant = vacancy.reindex(units.index)["vacant_m2"].fillna(0).to_numpy(dtype=float) > 0
    cand = units[vacant]
    info = buildings.drop_duplicates("building_id").set_index("building_id")
    building = cand["building_id"].astype("str")
    n = len(cand)

    def from_building(column: str) -> np.ndarray:
        own = cand[column].to_numpy(dtype=float, na_value=np.nan) if column in cand else np.full(n, np.nan)
        other = info[column].reindex(building).to_numpy(dtype=float, na_value=np.nan) if column in info else \
            np.full(n, np.nan)
        return np.where(np.isnan(own), other, own)

    area = cand["area_m2"].to_numpy(dtype=float, na_value=np.nan)
    floor = cand["floor"].to_numpy(dtype=float, na_value=np.nan)
    load, height = from_building("floor_load_kn_m2"), from_building("clear_height_m")
    fit, short = _Reasons(n), _Reasons(n)
    meets = _check_range(fit, short, area, needs.floor_area_min_m2, needs.floor_area_max_m2, what_zh="面积",
                         what_en="floor area", unit="m²")
    spec = []
    for value, wanted, name_zh, name_en, unit, higher in (
            (floor, needs.max_floor, "楼层", "floor", "", False),
            (load, needs.min_floor_load_kn_m2, "楼面荷载", "floor load", "kN/m²", True),
            (height, needs.min_clear_height_m, "净高", "clear height", "m", True)):
        if wanted is None:
            continue
        shown = _fmt(value, 0 if not higher else 1)
        unknown = np.isnan(value)
        ok = ~unknown & ((value >= wanted) if higher else (value <= wanted))
        fit.add(ok, f"{name_zh} " + shown + f"{unit} 符合", f"{name_en} " + shown + f"{' ' + unit if unit else ''} fits")
        bad = ~unknown & ~ok
        relation_zh, relation_en = ("低于", "below") if higher else ("高于", "above")
        en_unit = f" {unit}" if unit else ""
        short.add(bad, f"{name_zh} " + shown + f"{unit} {relation_zh}所需 {wanted:g}{unit}",
                  f"{name_en} " + shown + f"{en_unit} {relation_en} the {wanted:g}{en_unit} asked")
        short.add(unknown, f"{name_zh}未知", f"{name_en} unknown")
        spec.append(ok)
        meets &= ok
    distance = (distances.reindex(building).to_numpy(dtype=float) if distances is not None else np.full(n, np.nan))
    highway_ok, highway_part = _highway(fit, short, distance, needs.max_highway_m)
    meets &= highway_ok
    geometry = info.geometry.reindex(building).to_numpy() if len(info) else np.full(n, None)
    frame = gpd.GeoDataFrame({
        "unit_id": cand["unit_id"], "building_id": building, "building_name": info["name"].reindex(building).to_numpy()
        if "name" in info else np.nan, "floor": cand["floor"], "area_m2": area, "floor_load_kn_m2": load,
        "clear_height_m": height, "days_vacant": vacancy.reindex(cand.index)["days_vacant"],
        "to_highway_exit_m": distance,
    }, geometry=list(geometry), crs=buildings.crs, index=cand.index)
    parts = {"area": _range_part(area, needs.floor_area_min_m2, needs.floor_area_max_m2),
             "connections": np.mean(spec, axis=0) if spec else np.ones(n), "highway": highway_part}
    return _finish(frame, fit, short, meets, parts, dict(srules.weights), srules.max_results)


__all__ = ["KINDS", "REVITALISATION_STATUSES", "SITE_LAYERS", "InvestorNeeds", "search_land", "search_space",
           "site_inputs"]
