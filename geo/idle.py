"""Idle land (闲置土地) by 闲置土地处置办法 (国土资源部令第53号), as of any date.

Statuses (DESIGN.md ``idle_status``):

* ``not_supplied`` — planned, approved but not supplied, reclaimed, or contracted after ``as_of``;
* ``on_track`` — supplied, not started, the agreed start date not yet passed;
* ``overdue`` — not started, past the agreed start date, less than one full year;
* ``idle_fee`` — IDLE-A: not started one full year after the agreed start (fee 20 % of the land price);
* ``idle_reclaim`` — IDLE-A: two full years (taken back without compensation);
* ``stalled_idle`` — IDLE-B: started, developed < 1/3 or invested < 25 %, suspended one full year;
* ``exempt`` — would be idle, but the delay has a government cause or force majeure (GOV-1…6, FM);
* ``started`` — started and not idle; ``completed`` — completed.

"One full year" is calendar-exact: the land is idle from the anniversary of the
clock's start; an anniversary of 29 February falls on 28 February (or 1 March, by
configuration). Records that cannot be judged get ``idle_status`` NaN and the reason
in ``idle_not_judged``. Every threshold comes from ``LandRules.idle``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.reasons import date_column, float_column, join_reasons, labelled, text_column
from geo.utilisation import building_floor_areas, building_parcel_pairs, per_parcel_sums, standing_buildings
from layers.rules import LandRules

STATUSES = ("not_supplied", "on_track", "overdue", "idle_fee", "idle_reclaim", "stalled_idle", "exempt",
            "started", "completed")
#: Parcel statuses that mean the land is not (or no longer) supplied.
UNSUPPLIED_STATUSES = ("planned", "approved_unsupplied", "reclaimed")
#: Parcel statuses that imply development has started (used when the start date is missing).
STARTED_STATUSES = ("under_construction", "completed", "operating")
BUILT_STATUSES = ("completed", "operating")
#: The idle statuses proper (闲置土地): a year's idle land, the summary's idle count.
IDLE_STATUSES = ("idle_fee", "idle_reclaim", "stalled_idle")


def add_years(dates: pd.Series, years: int | np.ndarray, *, missing_day: str = "month_end") -> pd.Series:
    """The same calendar day ``years`` later; 29 February → 28 February (``month_end``) or 1 March (``next_day``).

    Vectorised on NumPy's calendar units (pandas' field accessors and a frame of year, month and day cost ten times
    as much on a large park); NaT stays NaT.
    """
    dates = pd.to_datetime(dates)
    days = dates.to_numpy(dtype="datetime64[D]")
    valid = ~np.isnat(days)
    months = days.astype("datetime64[M]")
    month0 = months.astype(np.int64) % 12  # 0 = January
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    year = (months.astype("datetime64[Y]").astype(np.int64) + 1970 + np.asarray(years)).astype(np.int64)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    moved = (month0 == 1) & (day == 29) & ~leap
    if missing_day == "next_day":
        month0 = np.where(moved, 2, month0)
        day = np.where(moved, 1, day)
    else:
        day = np.where(moved, 28, day)
    shifted = ((year - 1970) * 12 + month0).astype("datetime64[M]").astype("datetime64[D]") + (day - 1)
    out = np.where(valid, shifted, np.datetime64("NaT")).astype("datetime64[ms]")
    return pd.Series(out, index=dates.index)


def developed_area(
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None,
    *,
    as_of,
    rules: LandRules,
    pairs: pd.DataFrame | None = None,
    floor_areas: pd.DataFrame | None = None,
    park_has_buildings: bool | None = None,
) -> pd.DataFrame:
    """Developed and to-be-developed area per parcel for the IDLE-B test.

    With ``idle.developed_area_basis`` = ``land_area`` the developed area is the
    surveyed ``developed_area_m2``, else the footprints of the parcel's buildings in
    ``idle.estimate_building_statuses`` (labelled ``estimated_footprint``; unknown when the park has no building on
    the day at all, rather than 0); the area to
    develop is ``registered_area_m2``, else the parcel's area. With ``floor_area`` the
    built floor area is compared with the planned floor area (area × ``far_min``).

    Returns
    -------
    DataFrame indexed like ``parcels``: ``developed_m2, to_develop_m2, developed_share, developed_source``.
    """
    idle = rules.idle
    index = parcels.index
    area = shapely.area(parcels.geometry.to_numpy())
    registered = float_column(parcels, "registered_area_m2")
    land = np.where(np.isnan(registered), area, registered)
    # No building on the day anywhere in the park: nothing to estimate from (a park imported without its buildings),
    # not a park where nothing was built. Estimates are then unknown; a surveyed developed area still counts.
    # (``park_has_buildings``: the park's answer where ``buildings`` are a partition's share of them.)
    if park_has_buildings is None:
        park_has_buildings = buildings is not None and len(buildings) > 0
    built = np.zeros((len(parcels), 2)) if park_has_buildings else np.full((len(parcels), 2), np.nan)
    if buildings is not None and len(buildings):
        if pairs is None:
            pairs = building_parcel_pairs(parcels, buildings)
        if floor_areas is None:
            floor_areas = building_floor_areas(buildings, rules=rules)
        floors = floor_areas[["footprint_m2", "gfa_m2"]].reset_index(drop=True)
        mask = standing_buildings(buildings, as_of=as_of, statuses=idle.estimate_building_statuses)
        built = per_parcel_sums(pairs, floors, len(parcels), mask=mask)[["footprint_m2", "gfa_m2"]].to_numpy()
    if idle.developed_area_basis == "land_area":
        surveyed = float_column(parcels, "developed_area_m2")
        developed = np.where(np.isnan(surveyed), built[:, 0], surveyed)
        source = [(np.isnan(surveyed), "estimated_footprint"), (~np.isnan(surveyed), "surveyed")]
        to_develop = land
    else:
        developed = built[:, 1]
        source = [(slice(None), "estimated_floor_area")]
        to_develop = land * float_column(parcels, "far_min")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(to_develop > 0, developed / to_develop, np.nan)
    return pd.DataFrame({
        "developed_m2": developed,
        "to_develop_m2": to_develop,
        "developed_share": share,
        "developed_source": pd.Series(labelled(len(parcels), [*source, (np.isnan(developed), None)]), index=index),
    }, index=index)


def idle_land(
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None = None,
    *,
    as_of,
    rules: LandRules,
    pairs: pd.DataFrame | None = None,
    floor_areas: pd.DataFrame | None = None,
    park_has_buildings: bool | None = None,
) -> pd.DataFrame:
    """Idle-land status of every parcel as of ``as_of`` (53号令 Art. 2, 8, 14; DOMAIN.md §1).

    Parameters
    ----------
    parcels
        Validated parcels (dates, tenure, delay cause, land price, investment, areas).
    buildings
        Validated buildings, used to estimate the developed area where it was not surveyed.
    as_of
        The day the park is judged on (a date or ``YYYY-MM-DD``).
    rules
        The land rules in force.
    pairs, floor_areas
        Precomputed ``geo.utilisation.building_parcel_pairs`` and ``building_floor_areas``
        of the same frames.

    Returns
    -------
    DataFrame indexed like ``parcels``: ``idle_status, idle_clause, idle_since, idle_days,
    idle_fee_wan, exempt_code, next_threshold, next_threshold_date, days_to_next_threshold,
    developed_share, developed_source, invested_share, idle_not_judged, idle_note,
    development_stage`` (``unsupplied, not_started, started, completed`` for every tenure).
    ``idle_since`` is the day the clock started (agreed start for IDLE-A, the suspension
    for IDLE-B); ``idle_days`` the days from it to ``as_of``.
    """
    idle = rules.idle
    when = pd.Timestamp(as_of).normalize()
    index = parcels.index
    n = len(parcels)
    status = text_column(parcels, "status")
    tenure = text_column(parcels, "tenure")
    cause = text_column(parcels, "delay_cause")
    contract = date_column(parcels, "contract_date")
    agreed = date_column(parcels, "agreed_start_date")
    actual_start = date_column(parcels, "actual_start_date")
    actual_completion = date_column(parcels, "actual_completion_date")
    suspended = date_column(parcels, "suspended_since")
    price = float_column(parcels, "land_price_wan")

    def arr(series: pd.Series) -> np.ndarray:
        return series.fillna(False).to_numpy(dtype=bool)

    unsupplied = arr(status.isin(UNSUPPLIED_STATUSES)) | arr(contract > when)
    in_scope = ~unsupplied & arr(tenure.isin(idle.tenures))
    no_tenure = ~unsupplied & tenure.isna().to_numpy()
    other_tenure = ~unsupplied & ~in_scope & ~no_tenure
    start_known = arr(actual_start <= when)
    start_from_status = actual_start.isna().to_numpy() & arr(status.isin(STARTED_STATUSES))
    any_started = ~unsupplied & (start_known | start_from_status)
    any_completed = any_started & (arr(actual_completion <= when)
                                   | (actual_completion.isna().to_numpy() & arr(status.isin(BUILT_STATUSES))))
    started = in_scope & any_started
    completed = in_scope & any_completed
    building = started & ~completed
    waiting = in_scope & ~started
    exempt_cause = arr(cause.isin(idle.exempt_causes))

    # IDLE-A: the clock runs from the agreed start date.
    fee_date = add_years(agreed, idle.fee_after_years, missing_day=idle.missing_anniversary_day)
    reclaim_date = add_years(agreed, idle.reclaim_after_years, missing_day=idle.missing_anniversary_day)
    no_agreed = waiting & agreed.isna().to_numpy()
    a_clock = waiting & ~no_agreed
    reached_fee = a_clock & arr(fee_date <= when)
    reached_reclaim = a_clock & arr(reclaim_date <= when)
    on_track = a_clock & arr(agreed >= when)
    overdue = a_clock & ~on_track & ~reached_fee
    a_exempt = reached_fee & exempt_cause
    idle_fee = reached_fee & ~reached_reclaim & ~exempt_cause
    idle_reclaim = reached_reclaim & ~exempt_cause

    # IDLE-B: started, below the development or investment share, suspended one full year.
    developed = developed_area(parcels, buildings, as_of=when, rules=rules, pairs=pairs, floor_areas=floor_areas,
                               park_has_buildings=park_has_buildings)
    dev_share = developed["developed_share"].to_numpy()
    planned_inv = float_column(parcels, "investment_planned_wan")
    done_inv = float_column(parcels, "investment_done_wan")
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_share = np.where(planned_inv > 0, done_inv / planned_inv, np.nan)
    dev_below = dev_share < idle.stalled_developed_share_min
    inv_below = inv_share < idle.stalled_invested_share_min
    shares_unknown = ~dev_below & ~inv_below & (np.isnan(dev_share) | np.isnan(inv_share))
    below = dev_below | inv_below
    is_suspended = building & arr(suspended <= when)
    b_date = add_years(suspended, idle.stalled_suspension_years, missing_day=idle.missing_anniversary_day)
    b_reclaim = add_years(suspended, idle.stalled_suspension_years + idle.reclaim_after_years - idle.fee_after_years,
                          missing_day=idle.missing_anniversary_day)
    suspended_year = is_suspended & arr(b_date <= when)
    b_unjudged = suspended_year & ~below & shares_unknown
    stalled = suspended_year & below & ~exempt_cause
    b_exempt = suspended_year & below & exempt_cause

    idle_status = pd.Series(labelled(n, [
        (unsupplied, "not_supplied"), (on_track, "on_track"), (overdue, "overdue"), (idle_fee, "idle_fee"),
        (idle_reclaim, "idle_reclaim"), (a_exempt, "exempt"), (building, "started"),
        (stalled, "stalled_idle"), (b_exempt, "exempt"), (completed, "completed"), (b_unjudged, None),
    ]), index=index)
    clause = labelled(n, [(idle_fee | idle_reclaim | a_exempt, "IDLE-A"), (stalled | b_exempt, "IDLE-B")])

    since = pd.Series(pd.NaT, index=index, dtype="datetime64[ms]")
    a_running = overdue | idle_fee | idle_reclaim | a_exempt
    since[a_running] = agreed[a_running]
    b_running = stalled | b_exempt | b_unjudged
    since[b_running] = suspended[b_running]
    days = ((when - since).dt.days).astype("Int64")

    fee_due = idle_fee | idle_reclaim | (stalled & idle.stalled_fee)
    fee = np.where(fee_due, idle.fee_rate * price, np.nan)

    exempt_code = cause.where(a_exempt | b_exempt)

    next_date = pd.Series(pd.NaT, index=index, dtype="datetime64[ms]")
    watch_b = building & below & ~exempt_cause & ~suspended_year & is_suspended
    watch_b_reclaim = stalled & idle.stalled_fee
    thresholds = (
        ((on_track | overdue) & ~exempt_cause, "idle_fee", fee_date),
        ((on_track | overdue) & exempt_cause, "exempt", fee_date),
        (idle_fee, "idle_reclaim", reclaim_date),
        (watch_b, "stalled_idle", b_date),
        (watch_b_reclaim, "reclaim", b_reclaim),
    )
    for mask, _, dates in thresholds:
        next_date[mask] = dates[mask]
    next_label = labelled(n, [(mask, label) for mask, label, _ in thresholds])
    to_next = ((next_date - when).dt.days).astype("Int64")

    price_missing = fee_due & np.isnan(price)
    not_judged = join_reasons(index, [
        (no_tenure, "no tenure recorded (出让/划拨 decides whether 53号令 applies)"),
        (other_tenure, "tenure outside 53号令 (only 出让/划拨 land can be idle)"),
        (no_agreed, "no agreed start date (约定动工日期)"),
        (b_unjudged & np.isnan(inv_share), "suspended a full year, developed share not below the limit, "
                                           "investment share unknown"),
        (b_unjudged & np.isnan(dev_share), "suspended a full year, investment share not below the limit, "
                                           "developed share unknown"),
    ])
    note = join_reasons(index, [
        (price_missing, "land price unknown: fee not computed"),
        (start_from_status & started, "start date missing: started according to the parcel status"),
        ((overdue | on_track) & exempt_cause, "delay cause recorded: exempt once a full year has passed"),
        (building & arr(developed["developed_source"] == "estimated_footprint"),
         "developed area estimated from building footprints"),
    ])
    # Neither a status nor a contract date: whether the land was ever supplied is unknown (a zoning map or a
    # cadastre imported as parcels), so "supplied, not started" cannot be said of it; its stage stays unknown.
    supply_unknown = status.isna().to_numpy() & contract.isna().to_numpy()
    stage = labelled(n, [(unsupplied, "unsupplied"), (~unsupplied & ~any_started & ~supply_unknown, "not_started"),
                         (any_started & ~any_completed, "started"), (any_completed, "completed")])
    return pd.DataFrame({
        "idle_status": idle_status,
        "idle_clause": pd.Series(clause, index=index),
        "idle_since": since,
        "idle_days": days,
        "idle_fee_wan": fee,
        "exempt_code": exempt_code,
        "next_threshold": pd.Series(next_label, index=index),
        "next_threshold_date": next_date,
        "days_to_next_threshold": to_next,
        "developed_share": dev_share,
        "developed_source": developed["developed_source"],
        "invested_share": inv_share,
        "idle_not_judged": not_judged,
        "idle_note": note,
        "development_stage": pd.Series(stage, index=index),
    }, index=index)
