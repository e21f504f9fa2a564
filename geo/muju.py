"""亩均效益评价 (per-mu performance evaluation), per enterprise and per parcel (DOMAIN.md §4).

Land: an enterprise holds the parcels it owns; tenants of standard factories get
land apportioned by leased floor area (``muju.tenant_land_basis``), weighted by the
days of the evaluation year each lease ran. The owner keeps the remainder, so the
land records of a parcel always add up to the parcel.

Score: Σ weight × value ÷ benchmark over the configured indicators (above- and
below-size firms have their own sets); benchmarks are fixed or the park mean ×
``benchmark_multiple``. Grades A/B/C/D by cumulative percentile bands among the
graded firms of a group (ties share the better grade); T for firms not graded
(utilities, new firms, no land, no figures, under construction).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.reasons import (
    TEXT_DTYPE,
    all_distinct,
    as_bool,
    first_rows,
    join_reasons,
    key_codes,
    key_labels,
    labelled,
    same_keys,
    take_at,
    take_text,
)
from geo.units import M2_PER_MU
from geo.utilisation import industry_division
from layers.rules import GRADES, LandRules

#: Enterprise-year figures → the indicators built from them (numerator, denominator).
INDICATOR_PARTS = {
    "tax_per_mu_wan": ("tax_wan", "land_mu"),
    "value_added_per_mu_wan": ("value_added_wan", "land_mu"),
    "revenue_per_mu_wan": ("revenue_wan", "land_mu"),
    "output_per_mu_wan": ("output_wan", "land_mu"),
    "value_added_per_tce_wan": ("value_added_wan", "energy_tce"),
    "value_added_per_t_emission_wan": ("value_added_wan", "emissions_t"),
    "labour_productivity_wan": ("value_added_wan", "employees"),
    "rd_share": ("rd_wan", "revenue_wan"),
}
#: Land record roles, owner first.
ROLES = pd.Series(["owner", "tenant"], dtype=TEXT_DTYPE)
FIGURES = ("tax_wan", "output_wan", "value_added_wan", "revenue_wan", "energy_tce", "emissions_t", "rd_wan",
           "employees")


@dataclass(frozen=True)
class MujuResult:
    """The evaluation: ``firms`` (indexed by enterprise_id), ``parcels`` (like the parcels), ``land`` records."""

    year: int
    firms: pd.DataFrame
    parcels: pd.DataFrame
    land: pd.DataFrame
    cutoffs: pd.DataFrame


def evaluation_year(as_of, *, rules: LandRules) -> int:
    """The year evaluated on ``as_of`` (the as-of year plus ``muju.evaluation_year_offset``)."""
    return pd.Timestamp(as_of).year + rules.muju.evaluation_year_offset


def building_parcel(pairs: pd.DataFrame, buildings: pd.DataFrame, parcels: pd.DataFrame) -> pd.Series:
    """The parcel id each building stands on (the parcel holding most of its footprint).

    Among parcels holding equal shares, the later one in ``pairs`` (in canonical order,
    the later parcel of the layer). Falls back to the building's own ``parcel_id`` where
    it touches no parcel.
    """
    n = len(buildings)
    own = buildings["parcel_id"] if "parcel_id" in buildings else pd.Series(np.nan, index=buildings.index,
                                                                            dtype=TEXT_DTYPE)
    # Rows of the buildings' own parcel ids followed by the parcels' ids: one Arrow take, no Python strings.
    pick = np.arange(n)
    if len(pairs):
        building, inside = pairs["building"].to_numpy(), pairs["inside_m2"].to_numpy()
        last = _largest_shares(building, inside)
        pick[building[last]] = n + pairs["parcel"].to_numpy()[last]
    ids = pd.Index(buildings["building_id"].astype(TEXT_DTYPE).array)
    out = pd.Series(take_text([own, parcels["parcel_id"]], pick), index=ids)
    return out if all_distinct(ids) else out[~ids.duplicated()]


def _largest_shares(building: np.ndarray, inside_m2: np.ndarray) -> np.ndarray:
    """Per building among the pairs, the pair holding most of it (the later pair among equals).

    ``np.lexsort((inside_m2, building))``'s last pair of each building; pairs in canonical order (grouped by
    building) are read in runs instead of sorted (2·10⁶ pairs at 10⁶ parcels).
    """
    if not len(building):
        return np.zeros(0, dtype=np.intp)
    if (np.diff(building) < 0).any() or np.isnan(inside_m2).any():
        order = np.lexsort((inside_m2, building))  # stable: the last of each building is its largest share
        return order[np.append(building[order][1:] != building[order][:-1], True)]
    starts = np.flatnonzero(np.append(True, building[1:] != building[:-1]))
    run = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(building))))
    largest = np.maximum.reduceat(inside_m2, starts)[run] == inside_m2
    return np.maximum.reduceat(np.where(largest, np.arange(len(building)), -1), starts)


def _key_codes(parcels: pd.DataFrame, *, units: pd.DataFrame, leases: pd.DataFrame, unit_parcel: pd.Series,
               parcel_floor_m2: pd.Series | None, firm_columns=()) -> dict:
    """The evaluation's text ids as integer codes, one code space per kind of id (parcel, unit, enterprise).

    Ids are matched and grouped many times over 10⁵–10⁶ records; hashing the text once and
    joining and grouping integers afterwards keeps the evaluation fast. Codes sort like the
    ids, so groups come out in the same order as grouped by text.
    """
    floor_ids = parcel_floor_m2.index if parcel_floor_m2 is not None else pd.Index([], dtype=TEXT_DTYPE)
    # The floor areas are usually indexed by the parcels' own ids, in their order (``geo.analysis``): their codes
    # are then the parcels', without hashing 10⁶ ids once more.
    same_ids = len(floor_ids) == len(parcels) and same_keys(floor_ids, parcels["parcel_id"])
    (parcel, unit_on, *floor), parcel_keys = key_codes(parcels["parcel_id"], unit_parcel,
                                                       *([] if same_ids else [pd.Series(floor_ids)]))
    floor = parcel if same_ids else floor[0]
    (unit, lease_unit, unit_index), unit_keys = key_codes(units["unit_id"], leases["unit_id"],
                                                          pd.Series(unit_parcel.index))
    (owner, lease_firm, *firms), firm_keys = key_codes(parcels["enterprise_id"], leases["enterprise_id"],
                                                       *firm_columns)
    return {"parcel": parcel, "unit_on": unit_on, "floor": floor, "parcel_keys": parcel_keys,
            "unit": unit, "lease_unit": lease_unit, "unit_index": unit_index, "n_units": len(unit_keys),
            "owner": owner, "lease_firm": lease_firm, "firms": firms, "firm_keys": firm_keys}


def land_records(
    parcels: pd.DataFrame,
    *,
    area_m2: np.ndarray,
    units: pd.DataFrame,
    leases: pd.DataFrame,
    unit_parcel: pd.Series,
    parcel_floor_m2: pd.Series | None = None,
    year: int,
    rules: LandRules,
) -> pd.DataFrame:
    """Who holds how much land on which parcel during ``year``.

    Parameters
    ----------
    parcels
        With ``parcel_id`` and ``enterprise_id`` (the land user of record).
    area_m2
        Each parcel's area (aligned with ``parcels``).
    units, leases
        Standard-factory units and their leases.
    unit_parcel
        Parcel id per unit id.
    parcel_floor_m2
        Total floor area per parcel id (for ``tenant_land_basis`` = ``total_floor_area``).
    year
        Leases count by the share of this year's days they ran.

    Returns
    -------
    DataFrame ``enterprise_id, parcel_id, land_m2, role`` (``owner`` or ``tenant``); per parcel
    the records add up to the parcel area when it has a land user of record.
    """
    codes = _key_codes(parcels, units=units, leases=leases, unit_parcel=unit_parcel, parcel_floor_m2=parcel_floor_m2)
    land = _coded_land(area_m2, units=units, leases=leases, parcel_floor_m2=parcel_floor_m2, year=year, rules=rules,
                       codes=codes)
    return _land_text(land, codes)


def _land_text(land: pd.DataFrame, codes: dict) -> pd.DataFrame:
    """Coded land records (:func:`_coded_land`) with their text ids."""
    return pd.DataFrame({"enterprise_id": key_labels(codes["firm_keys"], land["firm"].to_numpy()),
                         "parcel_id": key_labels(codes["parcel_keys"], land["parcel"].to_numpy()),
                         "land_m2": land["land_m2"].to_numpy(),
                         "role": take_text([ROLES], land["tenant"].to_numpy(dtype=np.int64))})


def _coded_land(area_m2, *, units, leases, parcel_floor_m2, year, rules, codes) -> pd.DataFrame:
    """:func:`land_records` on integer ids: ``firm, parcel`` (codes), ``land_m2, tenant`` (role)."""
    n_parcels = len(codes["parcel_keys"])
    area = np.asarray(area_m2, dtype=float)
    area_of = take_at(area, first_rows(codes["parcel"], n_parcels))  # by parcel code, like a text index
    first = pd.Timestamp(year=year, month=1, day=1)
    last = pd.Timestamp(year=year, month=12, day=31)
    n_days = (last - first).days + 1
    unit_rows = first_rows(codes["unit"], codes["n_units"])
    unit_areas = units["area_m2"].to_numpy(dtype=float, na_value=np.nan)
    unit_area_of = take_at(unit_areas, unit_rows)
    unit_on_of = take_at(codes["unit_on"], first_rows(codes["unit_index"], codes["n_units"]), fill=-1)
    unit_on_of[unit_rows < 0] = -1
    if rules.muju.tenant_land_basis == "total_floor_area" and parcel_floor_m2 is not None:
        basis_of = take_at(parcel_floor_m2.to_numpy(dtype=float, na_value=np.nan),
                           first_rows(codes["floor"], n_parcels))
    else:
        kept = unit_rows[unit_rows >= 0]
        kept.sort()
        on = unit_on_of[codes["unit"][kept]]
        sums = pd.Series(unit_areas[kept][on >= 0]).groupby(on[on >= 0]).sum()
        basis_of = np.full(n_parcels, np.nan)
        # An empty group-by has an untyped index: cast, or numpy refuses it as positions.
        basis_of[sums.index.to_numpy(dtype=np.intp)] = sums.to_numpy()
    live_rows = leases["retired_on"].isna().to_numpy(dtype=bool) if "retired_on" in leases else np.ones(
        len(leases), dtype=bool)
    live = leases[live_rows]
    start = pd.to_datetime(live["start"]).clip(lower=first)
    end = pd.to_datetime(live["end"]).fillna(last).clip(upper=last)
    days = (end - start).dt.days + 1
    running = (live["start"].notna() & (days > 0)).to_numpy(dtype=bool)
    lease_unit = codes["lease_unit"][live_rows][running]
    lease_parcel = take_at(unit_on_of, lease_unit, fill=-1)
    floor_share = take_at(unit_area_of, lease_unit) * (days[running].to_numpy(dtype=float) / n_days)
    with np.errstate(divide="ignore", invalid="ignore"):
        land = floor_share / take_at(basis_of, lease_parcel) * take_at(area_of, lease_parcel)
    tenants = pd.DataFrame({"firm": codes["lease_firm"][live_rows][running], "parcel": lease_parcel, "land_m2": land})
    tenants = tenants[(tenants["firm"] >= 0) & (tenants["parcel"] >= 0) & (tenants["land_m2"] > 0)]
    tenants = tenants.groupby(["firm", "parcel"], as_index=False)["land_m2"].sum()
    # Overlapping leases could hand out more than the parcel; cap the tenants' total at the parcel.
    given = tenants.groupby("parcel")["land_m2"].transform("sum")
    cap = take_at(area_of, tenants["parcel"].to_numpy())
    tenants["land_m2"] = np.where(given > cap, tenants["land_m2"] * cap / given, tenants["land_m2"])
    tenants["tenant"] = True
    leased = tenants.groupby("parcel")["land_m2"].sum()
    leased_of = np.zeros(n_parcels)
    leased_of[leased.index.to_numpy(dtype=np.intp)] = leased.to_numpy()
    owners = pd.DataFrame({"firm": codes["owner"], "parcel": codes["parcel"],
                           "land_m2": area - take_at(leased_of, codes["parcel"], fill=0.0), "tenant": False})
    owners = owners[(owners["firm"] >= 0) & (owners["land_m2"] > 1e-9)]
    return pd.concat([owners, tenants], ignore_index=True)


def _year_rows(enterprise_years: pd.DataFrame, year: int) -> pd.DataFrame:
    """The live enterprise-year records of ``year``: their ids and figures (the columns the evaluation reads; the
    others, text among them, are not copied)."""
    rows = (enterprise_years["year"] == year).fillna(False).to_numpy(dtype=bool, copy=True)  # written below
    if "retired_on" in enterprise_years:
        rows &= enterprise_years["retired_on"].isna().to_numpy(dtype=bool)
    return enterprise_years.loc[rows, [c for c in ("enterprise_id", *FIGURES) if c in enterprise_years]]


def _figures_for_year(rows: pd.DataFrame, firm: np.ndarray, n_firms: int) -> np.ndarray:
    """Figures of :func:`_year_rows` summed per enterprise code (``firm``: codes of the rows): (n_firms, FIGURES)."""
    known = firm >= 0
    values = rows[known].reindex(columns=list(FIGURES)).astype(float)
    sums = values.groupby(firm[known]).sum(min_count=1)
    out = np.full((n_firms, len(FIGURES)), np.nan)
    out[sums.index.to_numpy(dtype=np.intp)] = sums.to_numpy(dtype=float)
    return out


def _indicator_values(figures: pd.DataFrame) -> pd.DataFrame:
    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for name, (num, den) in INDICATOR_PARTS.items():
            denominator = figures[den].to_numpy(dtype=float)
            out[name] = np.where(denominator > 0, figures[num].to_numpy(dtype=float) / denominator, np.nan)
    return pd.DataFrame(out, index=figures.index)


def _scores(values: pd.DataFrame, groups: pd.Series, graded: np.ndarray, *, rules: LandRules,
            benchmarks: dict | None = None) -> tuple[pd.Series, dict]:
    """Weighted scores of ``values`` within each group; benchmarks from the graded rows unless given."""
    muju = rules.muju
    score = pd.Series(np.nan, index=values.index)
    found = {} if benchmarks is None else benchmarks
    for group, indicators in muju.indicators.items():
        rows = (groups == group).to_numpy()
        if not rows.any():
            continue
        total = np.zeros(rows.sum())
        for indicator in indicators:
            v = values.loc[rows, indicator.name].to_numpy(dtype=float)
            key = (group, indicator.name)
            if benchmarks is None:
                if indicator.benchmark is not None:
                    found[key] = indicator.benchmark
                else:
                    pool = values.loc[rows & graded, indicator.name].to_numpy(dtype=float)
                    pool = pool[np.isfinite(pool)]
                    found[key] = float(pool.mean()) * muju.benchmark_multiple if len(pool) else np.nan
            benchmark = found.get(key, np.nan)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = v / benchmark if benchmark and np.isfinite(benchmark) and benchmark > 0 else np.full(
                    len(v), np.nan)
            if muju.score_cap_ratio is not None:
                ratio = np.minimum(ratio, muju.score_cap_ratio)
            missing = ~np.isfinite(ratio)
            if missing.any():
                pool = ratio[~missing & graded[rows]]
                fill = float(pool.mean()) if muju.missing_indicator == "average" and len(pool) else 0.0
                ratio = np.where(missing, fill, ratio)
            total += indicator.weight * ratio
        score[rows] = total
    return score, found


def grade_by_percentile(score: pd.Series, *, bands: dict) -> pd.Series:
    """A/B/C/D by cumulative share from the top: rank (ties take the best rank) ÷ count ≤ band.

    Rows with NaN scores get NaN.
    """
    valid = score.notna()
    out = pd.Series(np.nan, index=score.index, dtype=object)
    if not valid.any():
        return out.astype(TEXT_DTYPE)
    position = score[valid].rank(method="min", ascending=False) / valid.sum()
    grade = np.full(valid.sum(), GRADES[-1], dtype=object)
    for name in reversed(GRADES):
        grade[position.to_numpy() <= bands[name]] = name
    out[valid] = grade
    return out.astype(TEXT_DTYPE)


def muju_evaluation(
    parcels: pd.DataFrame,
    *,
    area_m2: np.ndarray,
    enterprises: pd.DataFrame,
    enterprise_years: pd.DataFrame,
    units: pd.DataFrame,
    leases: pd.DataFrame,
    unit_parcel: pd.Series,
    as_of,
    parcel_floor_m2: pd.Series | None = None,
    rules: LandRules,
) -> MujuResult:
    """亩均 evaluation of enterprises and parcels as of ``as_of`` (figures of the evaluation year).

    Returns
    -------
    MujuResult
        ``firms``: indexed by enterprise_id — ``land_m2, land_mu, group``, the indicator values,
        ``score, grade`` (A–D or T) and ``grade_reason`` for T.
        ``parcels``: indexed like ``parcels`` — attributed figures (``tax_wan`` …),
        ``tax_per_mu_wan, value_added_per_mu_wan, mu_score, mu_grade, mu_users``.
        ``land``: the land records; ``cutoffs``: the lowest score of each grade per group.
    """
    muju = rules.muju
    year = evaluation_year(as_of, rules=rules)
    year_rows = _year_rows(enterprise_years, year)
    codes = _key_codes(parcels, units=units, leases=leases, unit_parcel=unit_parcel, parcel_floor_m2=parcel_floor_m2,
                       firm_columns=(enterprises["enterprise_id"], year_rows["enterprise_id"]))
    firm_rows, year_firm = codes["firms"]
    n_firms = len(codes["firm_keys"])
    land = _coded_land(area_m2, units=units, leases=leases, parcel_floor_m2=parcel_floor_m2, year=year, rules=rules,
                       codes=codes)
    land_firm, land_parcel = land["firm"].to_numpy(dtype=np.intp), land["parcel"].to_numpy(dtype=np.intp)
    # The enterprises layer's ids first, then those holding land only (in order of appearance).
    seen = np.concatenate([firm_rows, land_firm])
    seen = seen[seen >= 0]
    id_codes = seen[np.sort(np.unique(seen, return_index=True)[1])]
    ids = pd.Index(key_labels(codes["firm_keys"], id_codes), dtype=TEXT_DTYPE, name="enterprise_id")
    row_of = first_rows(firm_rows, n_firms)[id_codes]  # the enterprise record of each id (-1: land only)

    land_sums = land["land_m2"].groupby(land_firm).sum()
    land_of = np.full(n_firms, np.nan)
    land_of[land_sums.index.to_numpy(dtype=np.intp)] = land_sums.to_numpy()
    land_m2 = pd.Series(land_of[id_codes], index=ids).fillna(0.0)
    figures = pd.DataFrame(_figures_for_year(year_rows, year_firm, n_firms)[id_codes], index=ids,
                           columns=list(FIGURES))
    figures["land_mu"] = land_m2.to_numpy() / M2_PER_MU
    values = _indicator_values(figures)

    above = take_at(as_bool(enterprises["above_scale"], enterprises.index), row_of, fill=False).astype(bool) if (
        "above_scale" in enterprises) else np.zeros(len(ids), dtype=bool)
    group = pd.Series(labelled(len(ids), [(~above, "below_scale"), (above, "above_scale")]), index=ids)
    group = group.where(group.isin(list(muju.indicators)), next(iter(muju.indicators)))

    code = (pd.Series(enterprises["industry_code"].astype(TEXT_DTYPE).array.take(row_of, allow_fill=True), index=ids)
            if "industry_code" in enterprises else pd.Series(np.nan, index=ids, dtype=TEXT_DTYPE))
    utility = industry_division(code).isin(muju.utility_divisions).to_numpy()
    established = (pd.Series(pd.to_datetime(enterprises["established"]).array.take(row_of, allow_fill=True),
                             index=ids) if "established" in enterprises else pd.Series(pd.NaT, index=ids))
    year_end = pd.Timestamp(year=year, month=12, day=31)
    young = (established > year_end - pd.DateOffset(years=muju.new_firm_years)).fillna(False).to_numpy(dtype=bool)
    no_land = land_m2.to_numpy() <= 0
    small = ~no_land & (land_m2.to_numpy() / M2_PER_MU < muju.min_land_mu)
    no_figures = figures[list(FIGURES)].isna().all(axis=1).to_numpy()
    operating = (parcels["status"].astype(TEXT_DTYPE) == "operating").fillna(False).to_numpy(dtype=bool)
    on_operating = take_at(operating, first_rows(codes["parcel"], len(codes["parcel_keys"]))[land_parcel],
                           fill=False).astype(bool)
    in_production = np.zeros(n_firms, dtype=bool)
    in_production[land_firm[on_operating | land["tenant"].to_numpy(dtype=bool)]] = True
    building_only = ~no_land & ~in_production[id_codes]
    reason = join_reasons(ids, [
        (utility, "utility (water, power, gas, heat)"),
        (young, f"new firm (< {muju.new_firm_years} years)"),
        (no_land, "no land of its own or leased"),
        (small, f"less than {muju.min_land_mu:g} 亩"),
        (no_figures, f"no figures for {year}"),
        (building_only, "land not yet in production (under construction)"),
    ])
    graded = reason.isna().to_numpy()
    score, benchmarks = _scores(values, group, graded, rules=rules)
    score = score.where(graded)
    # Filled as an array: assigning Series would align them on the text index.
    grades = np.full(len(ids), np.nan, dtype=object)
    for name in muju.indicators:
        rows = (group == name).to_numpy() & graded
        grades[rows] = grade_by_percentile(score[rows], bands=dict(muju.bands)).to_numpy(dtype=object)
    grades[~graded] = "T"
    grade = pd.Series(grades, index=ids, dtype=object)
    cutoffs = pd.DataFrame({"score": score, "grade": grade, "group": group})[graded].groupby(
        ["group", "grade"])["score"].min().unstack("grade") if graded.any() else pd.DataFrame()

    firm_table = pd.concat([
        pd.DataFrame({"land_m2": land_m2, "land_mu": land_m2 / M2_PER_MU, "group": group}),
        figures[list(FIGURES)], values,
        pd.DataFrame({"score": score, "grade": grade.astype(TEXT_DTYPE), "grade_reason": reason}),
    ], axis=1)
    firm_table.index.name = "enterprise_id"
    position = np.full(n_firms, -1)
    position[id_codes] = np.arange(len(id_codes))
    parcel_table = _parcel_evaluation(parcels, area_m2, land, firm_table, position[land_firm], benchmarks, cutoffs,
                                      codes=codes, rules=rules)
    return MujuResult(year=year, firms=firm_table, parcels=parcel_table, land=_land_text(land, codes),
                      cutoffs=cutoffs)


def _parcel_evaluation(parcels, area_m2, land, firms, firm_of_land, benchmarks, cutoffs, *, codes,
                       rules) -> pd.DataFrame:
    """Firms' figures attributed to parcels by land share, per-mu values, score and grade.

    ``land``: coded land records; ``firm_of_land``: each record's row in ``firms``.
    """
    index = parcels.index
    parcel_code, n_parcels = codes["parcel"], len(codes["parcel_keys"])
    land_parcel = land["parcel"].to_numpy(dtype=np.intp)
    share = land["land_m2"].to_numpy() / firms["land_m2"].to_numpy(dtype=float)[firm_of_land]
    attributed = firms[list(FIGURES)].to_numpy(dtype=float)[firm_of_land] * share[:, None]
    sums = pd.DataFrame(attributed, columns=list(FIGURES)).groupby(land_parcel).sum(min_count=1)
    by_parcel = np.full((n_parcels, len(FIGURES)), np.nan)
    by_parcel[sums.index.to_numpy(dtype=np.intp)] = sums.to_numpy(dtype=float)
    taken = by_parcel[np.maximum(parcel_code, 0)]
    taken[parcel_code < 0] = np.nan  # in the array: a frame's masked assignment copied every column
    figures = pd.DataFrame(taken, index=index, columns=list(FIGURES))
    del share, attributed, sums, by_parcel, taken  # per land record and parcel: hundreds of MB at 10⁶ parcels
    figures["land_mu"] = np.asarray(area_m2, dtype=float) / M2_PER_MU
    values = _indicator_values(figures)

    graded_land = (firms["grade"] != "T").to_numpy(dtype=bool)[firm_of_land]
    users = take_at(np.bincount(land_parcel, minlength=n_parcels), parcel_code, fill=0).astype(int)
    graded_users = take_at(np.bincount(land_parcel[graded_land], minlength=n_parcels), parcel_code,
                           fill=0).astype(int)
    # Groups as categories: compared per group below, never shown.
    names = list(rules.muju.indicators)
    firm_group = pd.Categorical(firms["group"], categories=names).codes
    graded = pd.DataFrame({"land_m2": land["land_m2"].to_numpy()[graded_land], "parcel": land_parcel[graded_land],
                           "group": firm_group[firm_of_land][graded_land]})
    # The group of the firm holding most graded land on the parcel (the later record among equals).
    main = graded.sort_values("land_m2").drop_duplicates("parcel", keep="last")
    group_of = np.full(n_parcels, -1, dtype=firm_group.dtype)
    group_of[main["parcel"].to_numpy()] = main["group"].to_numpy()
    group = pd.Series(pd.Categorical.from_codes(take_at(group_of, parcel_code, fill=-1), categories=names),
                      index=index)
    has_graded = graded_users > 0
    score, _ = _scores(values, group, has_graded, rules=rules, benchmarks=benchmarks)
    score = score.where(has_graded)
    # Grades as positions into the letters and T (taken as text at the end, not from 10⁶ Python strings).
    letters = pd.Series([*GRADES, "T"], dtype=TEXT_DTYPE)
    grade = np.full(len(index), -1)
    for name in (cutoffs.index if len(cutoffs) else []):
        rows = (group == name).to_numpy() & has_graded
        assigned = np.full(rows.sum(), len(GRADES) - 1)
        for at, letter in reversed(list(enumerate(GRADES[:-1]))):
            threshold = cutoffs.loc[name].get(letter, np.nan)
            if np.isfinite(threshold):
                assigned[score[rows].to_numpy() >= threshold] = at
        grade[rows] = assigned
    grade[(users > 0) & ~has_graded] = len(GRADES)
    out = figures[list(FIGURES)]  # copy-on-write: the columns added below leave ``figures`` as it is
    out["tax_per_mu_wan"] = values["tax_per_mu_wan"]
    out["value_added_per_mu_wan"] = values["value_added_per_mu_wan"]
    out["output_per_mu_wan"] = values["output_per_mu_wan"]
    out["mu_score"] = score
    out["mu_grade"] = pd.Series(take_text([letters], grade), index=index)
    out["mu_users"] = users
    return out
