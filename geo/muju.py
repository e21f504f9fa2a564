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

from geo.reasons import TEXT_DTYPE, align, join_reasons, lookup
from geo.units import M2_PER_MU
from geo.utilisation import industry_division
from layers.rules import GRADES, LandRules, default_rules

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
    ids = buildings["building_id"].astype(TEXT_DTYPE).to_numpy()
    on = (buildings["parcel_id"].astype(TEXT_DTYPE).to_numpy(dtype=object, na_value=np.nan) if "parcel_id" in
          buildings else np.full(len(buildings), np.nan, dtype=object))
    if len(pairs):
        building, inside = pairs["building"].to_numpy(), pairs["inside_m2"].to_numpy()
        # By building, then inside area; stable, so the last of each building is its largest share.
        order = np.lexsort((inside, building))
        last = order[np.append(building[order][1:] != building[order][:-1], True)]
        parcel_ids = parcels["parcel_id"].astype(TEXT_DTYPE).to_numpy(dtype=object, na_value=np.nan)
        on[building[last]] = parcel_ids[pairs["parcel"].to_numpy()[last]]
    out = pd.Series(on, index=ids, dtype=TEXT_DTYPE)
    return out[~out.index.duplicated()]


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
    parcel_id = parcels["parcel_id"].astype(TEXT_DTYPE).to_numpy()
    area = pd.Series(np.asarray(area_m2, dtype=float), index=parcel_id)
    first = pd.Timestamp(year=year, month=1, day=1)
    last = pd.Timestamp(year=year, month=12, day=31)
    n_days = (last - first).days + 1
    unit_ids = units["unit_id"].astype(TEXT_DTYPE)
    unit_area = pd.Series(units["area_m2"].to_numpy(dtype=float, na_value=np.nan), index=unit_ids.to_numpy())
    unit_area = unit_area[~unit_area.index.duplicated()]
    unit_on = lookup(pd.Series(unit_area.index, index=unit_area.index), unit_parcel.astype(TEXT_DTYPE))
    if rules.muju.tenant_land_basis == "total_floor_area" and parcel_floor_m2 is not None:
        basis = parcel_floor_m2
    else:
        basis = unit_area.groupby(unit_on).sum()
    live = leases[leases["retired_on"].isna()] if "retired_on" in leases else leases
    start = pd.to_datetime(live["start"]).clip(lower=first)
    end = pd.to_datetime(live["end"]).fillna(last).clip(upper=last)
    days = (end - start).dt.days + 1
    running = live["start"].notna() & (days > 0)
    lease_unit = live["unit_id"].astype(TEXT_DTYPE)[running]
    lease_parcel = lookup(lease_unit, unit_on)
    floor_share = lookup(lease_unit, unit_area).to_numpy(dtype=float) * (
        days[running].to_numpy(dtype=float) / n_days)
    with np.errstate(divide="ignore", invalid="ignore"):
        land = floor_share / lookup(lease_parcel, basis.astype(float)).to_numpy(dtype=float) * lookup(
            lease_parcel, area).to_numpy(dtype=float)
    tenants = pd.DataFrame({"enterprise_id": live["enterprise_id"].astype(TEXT_DTYPE)[running].to_numpy(),
                            "parcel_id": lease_parcel.to_numpy(), "land_m2": land})
    tenants = tenants[tenants["enterprise_id"].notna() & tenants["parcel_id"].notna() & (tenants["land_m2"] > 0)]
    tenants = tenants.groupby(["enterprise_id", "parcel_id"], as_index=False)["land_m2"].sum()
    # Overlapping leases could hand out more than the parcel; cap the tenants' total at the parcel.
    given = tenants.groupby("parcel_id")["land_m2"].transform("sum")
    cap = lookup(tenants["parcel_id"], area)
    tenants["land_m2"] = np.where(given > cap, tenants["land_m2"] * cap / given, tenants["land_m2"])
    tenants["role"] = "tenant"
    owner_id = parcels["enterprise_id"].astype(TEXT_DTYPE).to_numpy()
    leased_out = lookup(pd.Series(parcel_id), tenants.groupby("parcel_id")["land_m2"].sum()).fillna(0.0).to_numpy()
    owners = pd.DataFrame({"enterprise_id": owner_id, "parcel_id": parcel_id,
                           "land_m2": area.to_numpy() - leased_out, "role": "owner"})
    owners = owners[owners["enterprise_id"].notna() & (owners["land_m2"] > 1e-9)]
    out = pd.concat([owners, tenants], ignore_index=True)
    out["enterprise_id"] = out["enterprise_id"].astype(TEXT_DTYPE)
    out["parcel_id"] = out["parcel_id"].astype(TEXT_DTYPE)
    out["role"] = out["role"].astype(TEXT_DTYPE)
    return out


def _figures_for_year(enterprise_years: pd.DataFrame, year: int) -> pd.DataFrame:
    rows = enterprise_years[(enterprise_years["year"] == year).fillna(False)]
    if "retired_on" in rows:
        rows = rows[rows["retired_on"].isna()]
    values = rows.reindex(columns=list(FIGURES)).astype(float)
    figures = values.groupby(rows["enterprise_id"].astype(TEXT_DTYPE)).sum(min_count=1)
    return figures.astype(float)


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
    rules: LandRules | None = None,
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
    rules = rules or default_rules()
    muju = rules.muju
    year = evaluation_year(as_of, rules=rules)
    land = land_records(parcels, area_m2=area_m2, units=units, leases=leases, unit_parcel=unit_parcel,
                        parcel_floor_m2=parcel_floor_m2, year=year, rules=rules)
    firms = enterprises.drop_duplicates("enterprise_id").set_index(
        enterprises.drop_duplicates("enterprise_id")["enterprise_id"].astype(TEXT_DTYPE))
    ids = pd.Index(pd.concat([pd.Series(firms.index, dtype=TEXT_DTYPE), land["enterprise_id"]]).dropna()
                   .drop_duplicates().to_numpy(), dtype=TEXT_DTYPE, name="enterprise_id")
    firms = align(firms, ids)
    land_m2 = align(land.groupby("enterprise_id")["land_m2"].sum(), ids).fillna(0.0)
    figures = align(_figures_for_year(enterprise_years, year), ids)
    figures["land_mu"] = land_m2.to_numpy() / M2_PER_MU
    values = _indicator_values(figures)

    above = firms["above_scale"] if "above_scale" in firms else pd.Series(pd.NA, index=ids)
    group = pd.Series(np.where(above.fillna(False).to_numpy(dtype=bool), "above_scale", "below_scale"), index=ids)
    group = group.where(group.isin(list(muju.indicators)), next(iter(muju.indicators)))

    code = firms["industry_code"] if "industry_code" in firms else pd.Series(np.nan, index=ids)
    utility = industry_division(code.astype(TEXT_DTYPE)).isin(muju.utility_divisions).to_numpy()
    established = pd.to_datetime(firms["established"]) if "established" in firms else pd.Series(
        pd.NaT, index=ids)
    year_end = pd.Timestamp(year=year, month=12, day=31)
    young = (established > year_end - pd.DateOffset(years=muju.new_firm_years)).fillna(False).to_numpy(dtype=bool)
    no_land = land_m2.to_numpy() <= 0
    small = ~no_land & (land_m2.to_numpy() / M2_PER_MU < muju.min_land_mu)
    no_figures = figures[list(FIGURES)].isna().all(axis=1).to_numpy()
    status_of = parcels.set_index(parcels["parcel_id"].astype(TEXT_DTYPE))["status"].astype(TEXT_DTYPE)
    on_operating = lookup(land["parcel_id"], status_of) == "operating"
    producing = land.assign(on=on_operating.fillna(False).to_numpy(dtype=bool) | (land["role"] == "tenant"))
    producing = align(producing.groupby("enterprise_id")["on"].any().astype(float), ids).fillna(0.0).to_numpy() > 0
    building_only = ~no_land & ~producing
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
    grade = pd.Series(np.nan, index=ids, dtype=object)
    for name in muju.indicators:
        rows = (group == name).to_numpy() & graded
        grade[rows] = grade_by_percentile(score[rows], bands=dict(muju.bands)).astype(object)
    grade[~graded] = "T"
    cutoffs = pd.DataFrame({"score": score, "grade": grade, "group": group})[graded].groupby(
        ["group", "grade"])["score"].min().unstack("grade") if graded.any() else pd.DataFrame()

    firm_table = pd.concat([
        pd.DataFrame({"land_m2": land_m2, "land_mu": land_m2 / M2_PER_MU, "group": group}),
        figures[list(FIGURES)], values,
        pd.DataFrame({"score": score, "grade": grade.astype(TEXT_DTYPE), "grade_reason": reason}),
    ], axis=1)
    firm_table.index.name = "enterprise_id"
    parcel_table = _parcel_evaluation(parcels, area_m2, land, firm_table, benchmarks, cutoffs, rules=rules)
    return MujuResult(year=year, firms=firm_table, parcels=parcel_table, land=land, cutoffs=cutoffs)


def _parcel_evaluation(parcels, area_m2, land, firms, benchmarks, cutoffs, *, rules) -> pd.DataFrame:
    """Firms' figures attributed to parcels by land share, per-mu values, score and grade."""
    index = parcels.index
    parcel_id = parcels["parcel_id"].astype(TEXT_DTYPE)
    per_firm = align(firms[["land_m2", "grade", "group", *FIGURES]], pd.Index(land["enterprise_id"]))
    share = land["land_m2"].to_numpy() / per_firm["land_m2"].to_numpy(dtype=float)
    attributed = per_firm[list(FIGURES)].to_numpy(dtype=float) * share[:, None]
    attributed = pd.DataFrame(attributed, columns=list(FIGURES))
    attributed["parcel_id"] = land["parcel_id"].to_numpy()
    sums = attributed.groupby("parcel_id").sum(min_count=1)
    figures = align(sums, pd.Index(parcel_id))
    figures.index = index
    figures["land_mu"] = np.asarray(area_m2, dtype=float) / M2_PER_MU
    values = _indicator_values(figures)

    land = land.assign(grade=per_firm["grade"].to_numpy(), group=per_firm["group"].to_numpy())
    graded_land = land[(land["grade"] != "T").to_numpy(dtype=bool)]
    users = lookup(parcel_id, land.groupby("parcel_id").size().astype(float)).fillna(0).to_numpy(dtype=int)
    graded_users = lookup(parcel_id, graded_land.groupby("parcel_id").size().astype(float)).fillna(0).to_numpy(
        dtype=int)
    main_group = graded_land.sort_values("land_m2").drop_duplicates("parcel_id", keep="last").set_index(
        "parcel_id")["group"].astype(TEXT_DTYPE)
    group = pd.Series(lookup(parcel_id, main_group).to_numpy(), index=index)
    has_graded = graded_users > 0
    score, _ = _scores(values, group, has_graded, rules=rules, benchmarks=benchmarks)
    score = score.where(has_graded)
    grade = pd.Series(np.nan, index=index, dtype=object)
    for name in (cutoffs.index if len(cutoffs) else []):
        rows = (group == name).to_numpy() & has_graded
        assigned = np.full(rows.sum(), GRADES[-1], dtype=object)
        for letter in reversed(GRADES[:-1]):
            threshold = cutoffs.loc[name].get(letter, np.nan)
            if np.isfinite(threshold):
                assigned[score[rows].to_numpy() >= threshold] = letter
        grade[rows] = assigned
    grade[(users > 0) & ~has_graded] = "T"
    out = figures[list(FIGURES)].copy()
    out["tax_per_mu_wan"] = values["tax_per_mu_wan"]
    out["value_added_per_mu_wan"] = values["value_added_per_mu_wan"]
    out["output_per_mu_wan"] = values["output_per_mu_wan"]
    out["mu_score"] = score
    out["mu_grade"] = grade.astype(TEXT_DTYPE)
    out["mu_users"] = users
    return out
