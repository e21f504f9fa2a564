"""Vacancy of standard factory space (DOMAIN.md §10.3), as of any date.

可租赁面积 is the area of units whose status is in ``vacancy.leasable_unit_statuses``;
a unit is leased on the days from its lease's start to its end inclusive, so a lease
ending the day before ``as_of`` leaves the unit vacant on ``as_of``. 空置率 = vacant ÷
leasable. Two leases of one unit that overlap are data errors: they are reported
(:func:`overlapping_leases`) and the unit is counted once, never twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.reasons import TEXT_DTYPE, date_column, first_rows, join_reasons, key_codes, key_labels, take_at, take_text
from layers.rules import LandRules

#: An open-ended lease (no end date) runs until this day.
OPEN_END = pd.Timestamp("2262-01-01")


def _usable_leases(leases: pd.DataFrame) -> pd.DataFrame:
    """Leases with a unit and a start date; open ends run to :data:`OPEN_END`."""
    out = pd.DataFrame({
        "lease_id": leases["lease_id"].astype(TEXT_DTYPE),
        "unit_id": leases["unit_id"].astype(TEXT_DTYPE),
        "enterprise_id": leases["enterprise_id"].astype(TEXT_DTYPE) if "enterprise_id" in leases else np.nan,
        "start": date_column(leases, "start"),
        "end": date_column(leases, "end").fillna(OPEN_END),
    }, index=leases.index)
    if "retired_on" in leases:
        out = out[leases["retired_on"].isna()]
    return out[out["unit_id"].notna() & out["start"].notna()]


def overlapping_leases(leases: pd.DataFrame) -> pd.DataFrame:
    """Pairs of leases of the same unit whose periods overlap (data errors, never summed).

    Returns
    -------
    DataFrame with ``unit_id, lease_a, lease_b, overlap_start, overlap_end, overlap_days``
    (``lease_a`` < ``lease_b``), one row per pair.
    """
    usable = _usable_leases(leases)
    # Units and leases as integer codes that sort like their ids: the self-join and the order stay the same.
    (unit,), unit_keys = key_codes(usable["unit_id"])
    (lease,), lease_keys = key_codes(usable["lease_id"])
    coded = pd.DataFrame({"unit": unit, "lease": lease, "start": usable["start"].to_numpy(),
                          "end": usable["end"].to_numpy()})
    pairs = coded.merge(coded, on="unit", suffixes=("_a", "_b"))
    pairs = pairs[(pairs["lease_a"] >= 0) & (pairs["lease_a"] < pairs["lease_b"]) & (pairs["start_a"] <= pairs["end_b"])
                  & (pairs["start_b"] <= pairs["end_a"])]
    pairs = pairs.sort_values(["unit", "lease_a", "lease_b"], ignore_index=True)
    start = pairs[["start_a", "start_b"]].max(axis=1)
    end = pairs[["end_a", "end_b"]].min(axis=1)

    def labels(keys, column):
        # No pairs: empty object columns, as the frame has always had.
        return key_labels(keys, pairs[column].to_numpy()) if len(pairs) else np.array([], dtype=object)

    return pd.DataFrame({
        "unit_id": labels(unit_keys, "unit"),
        "lease_a": labels(lease_keys, "lease_a"),
        "lease_b": labels(lease_keys, "lease_b"),
        "overlap_start": start.to_numpy(),
        "overlap_end": end.to_numpy(),
        "overlap_days": ((end - start).dt.days + 1).to_numpy(),
    })


def unit_vacancy(units: pd.DataFrame, leases: pd.DataFrame, *, as_of, rules: LandRules) -> pd.DataFrame:
    """Per unit on ``as_of``: leasable, leased, vacant area and days vacant.

    Returns
    -------
    DataFrame indexed like ``units``: ``unit_id, building_id, leasable, leasable_m2, leased,
    leased_m2, vacant_m2, tenant_id, lease_id, lease_end, vacant_since, days_vacant,
    overlapping_now, vacancy_note``. ``vacant_since`` is the day after the last lease
    ended (if never leased, the unit's ``valid_from``, else its ``first_added`` when that is not
    after ``as_of``; NaT, with a note, if unknown).
    """
    when = pd.Timestamp(as_of).normalize()
    index = units.index
    status = units["status"].astype(TEXT_DTYPE)
    area = units["area_m2"].to_numpy(dtype=float, na_value=np.nan)
    retired = date_column(units, "retired_on")
    live = ~(retired.notna() & (retired <= when)).to_numpy()
    leasable = live & status.isin(rules.vacancy.leasable_unit_statuses).fillna(False).to_numpy(dtype=bool)

    usable = _usable_leases(leases)
    # Unit ids as integer codes that sort like the ids (one hash), matched and grouped as integers.
    (unit_code, lease_unit), unit_keys = key_codes(units["unit_id"], usable["unit_id"])
    n_keys = len(unit_keys)
    starts = usable["start"].to_numpy(dtype="datetime64[ms]")
    ends = usable["end"].to_numpy(dtype="datetime64[ms]")
    active = np.flatnonzero((starts <= when.to_datetime64()) & (ends >= when.to_datetime64()))
    active = active[np.lexsort((starts[active], lease_unit[active]))]  # by unit, then start; stable
    n_active = np.bincount(lease_unit[active], minlength=n_keys)
    # The current lease of a unit: the last to start among those running on the day.
    latest = active[np.append(lease_unit[active][1:] != lease_unit[active][:-1], True)] if len(active) else active
    current_of = np.full(n_keys, -1)
    current_of[lease_unit[latest]] = latest
    ended = ends < when.to_datetime64()
    past = pd.Series(ends[ended]).groupby(lease_unit[ended]).max()
    past_of = np.full(n_keys, np.datetime64("NaT", "ms"))
    past_of[past.index.to_numpy(dtype=np.intp)] = past.to_numpy(dtype="datetime64[ms]")

    unit_id = units["unit_id"].astype(TEXT_DTYPE)
    active_count = take_at(n_active, unit_code, fill=0)
    leased = leasable & (active_count > 0)
    overlapping_now = active_count > 1
    vacant = leasable & ~leased
    last_end = pd.Series(take_at(past_of, unit_code, fill=np.datetime64("NaT", "ms")), index=index,
                         dtype="datetime64[ms]")
    current = take_at(current_of, unit_code, fill=-1)
    # Never leased: vacant since the unit was there to let — its valid_from, else the day the register learnt
    # of it (first_added) when that was by the day judged (a register imported later cannot say).
    available = date_column(units, "valid_from").fillna(date_column(units, "first_added"))
    available = available.where(~(available > when))
    since = (last_end + pd.Timedelta(days=1)).where(last_end.notna(), available)
    since = since.where(vacant)
    days = (when - since).dt.days.astype("Int64")
    known_area = ~np.isnan(area)
    note = join_reasons(index, [
        (status.isna().to_numpy(), "unit status unknown: not counted as leasable"),
        (leasable & ~known_area, "unit area unknown"),
        (vacant & last_end.isna().to_numpy() & available.isna().to_numpy(),
         "never leased and no date it became available: days vacant unknown"),
        (overlapping_now, "overlapping leases on this unit (data error): counted once"),
    ])
    leasable_m2 = np.where(leasable, area, 0.0)
    leased_m2 = np.where(leased, area, 0.0)
    return pd.DataFrame({
        "unit_id": unit_id,
        "building_id": units["building_id"].astype(TEXT_DTYPE),
        "leasable": leasable,
        "leasable_m2": leasable_m2,
        "leased": leased,
        "leased_m2": leased_m2,
        "vacant_m2": leasable_m2 - leased_m2,
        "tenant_id": pd.Series(take_text([usable["enterprise_id"].astype(TEXT_DTYPE)], current),
                               index=index).where(leased),
        "lease_id": pd.Series(take_text([usable["lease_id"]], current), index=index).where(leased),
        "lease_end": pd.Series(take_at(ends, current, fill=np.datetime64("NaT", "ms")), index=index,
                               dtype="datetime64[ms]").where(leased),
        "vacant_since": since,
        "days_vacant": days,
        "overlapping_now": overlapping_now,
        "vacancy_note": note,
    }, index=index)


def vacancy_by(unit_table: pd.DataFrame, *, by: pd.Series | str) -> pd.DataFrame:
    """Leasable, leased and vacant m², vacancy rate and unit counts per group.

    Parameters
    ----------
    unit_table
        :func:`unit_vacancy` output.
    by
        A column of ``unit_table`` or a Series aligned with it (e.g. the phase of each unit's building).
    """
    keys = unit_table[by] if isinstance(by, str) else by
    frame = pd.DataFrame({
        "group": keys.to_numpy(),
        "units": 1,
        "leasable_units": unit_table["leasable"].to_numpy(dtype=int),
        "vacant_units": (unit_table["leasable"] & ~unit_table["leased"]).to_numpy(dtype=int),
        "leasable_m2": np.nan_to_num(unit_table["leasable_m2"].to_numpy(dtype=float)),
        "leased_m2": np.nan_to_num(unit_table["leased_m2"].to_numpy(dtype=float)),
        "vacant_m2": np.nan_to_num(unit_table["vacant_m2"].to_numpy(dtype=float)),
    })
    out = frame.groupby("group", dropna=False).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["vacancy_rate"] = np.where(out["leasable_m2"] > 0, out["vacant_m2"] / out["leasable_m2"], np.nan)
    return out


def park_vacancy(unit_table: pd.DataFrame) -> dict[str, float]:
    """Whole-park figures: leasable, leased, vacant m², vacancy rate, unit counts."""
    row = vacancy_by(unit_table, by=pd.Series("park", index=unit_table.index))
    if row.empty:
        return {"leasable_m2": 0.0, "leased_m2": 0.0, "vacant_m2": 0.0, "vacancy_rate": float("nan"),
                "units": 0, "leasable_units": 0, "vacant_units": 0}
    first = row.iloc[0]
    return {key: (float(first[key]) if "m2" in key or key == "vacancy_rate" else int(first[key]))
            for key in row.columns}


def lease_blocks(leases: pd.DataFrame, unit_ids: pd.Index | None = None) -> pd.DataFrame:
    """Leases merged per unit into disjoint leased periods (overlaps counted once).

    Returns ``unit_id, start, end`` per block.
    """
    usable = _usable_leases(leases)
    (unit, *wanted), keys = key_codes(usable["unit_id"], *([] if unit_ids is None else [pd.Series(unit_ids)]))
    if unit_ids is not None:
        unit = _only(unit, wanted[0], len(keys))
    starts, ends, unit, rows = _blocks(usable, unit)
    if not len(rows):
        return pd.DataFrame({"unit_id": [], "start": [], "end": []})
    return pd.DataFrame({"unit_id": take_text([usable["unit_id"]], rows), "start": starts, "end": ends})


def _only(codes: np.ndarray, wanted: np.ndarray, n_keys: int) -> np.ndarray:
    """``codes`` with -1 where the code is not among ``wanted``."""
    keep = np.zeros(n_keys + 1, dtype=bool)
    keep[wanted[wanted >= 0]] = True
    return np.where(keep[codes], codes, -1)


def _blocks(usable: pd.DataFrame, unit: np.ndarray) -> tuple[pd.Series, pd.Series, np.ndarray, np.ndarray]:
    """Disjoint leased periods of the leases in ``usable`` whose unit code (``unit``) is not -1.

    Returns each block's start, end, unit code and the row of ``usable`` of its first lease.
    """
    rows = np.flatnonzero(unit >= 0)
    starts = usable["start"].to_numpy(dtype="datetime64[ms]")
    rows = rows[np.lexsort((starts[rows], unit[rows]))]  # by unit, then start; stable
    unit = unit[rows]
    if not len(rows):
        empty = pd.Series([], dtype="datetime64[ms]")
        return empty, empty.copy(), unit, rows
    ordered = usable.iloc[rows].reset_index(drop=True)
    running_end = ordered["end"].groupby(unit).cummax()
    previous_end = running_end.groupby(unit).shift(1)
    # A new block starts where a lease begins after every earlier lease of the unit has ended.
    new_block = previous_end.isna() | (ordered["start"] > previous_end + pd.Timedelta(days=1))
    block = new_block.cumsum()
    grouped = ordered.groupby(block)
    first = np.flatnonzero(new_block.to_numpy())
    return (grouped["start"].min().reset_index(drop=True), grouped["end"].max().reset_index(drop=True), unit[first],
            rows[first])


def vacancy_trend(units: pd.DataFrame, leases: pd.DataFrame, *, as_of, months: int | None = None,
                  rules: LandRules) -> pd.DataFrame:
    """Leased and vacant area on the last day of each month up to ``as_of``.

    The units' current leasable status and area are applied to every month (the unit
    layer keeps no status history). The month of ``as_of`` is sampled on ``as_of``.

    Returns
    -------
    DataFrame indexed by date: ``leasable_m2, leased_m2, vacant_m2, vacancy_rate``.
    """
    months = months or rules.vacancy.trend_months
    when = pd.Timestamp(as_of).normalize()
    ends = pd.date_range(end=when, periods=months, freq="ME") if when.is_month_end else pd.date_range(
        end=when, periods=months - 1, freq="ME").append(pd.DatetimeIndex([when]))
    status = units["status"].astype(TEXT_DTYPE)
    leasable = status.isin(rules.vacancy.leasable_unit_statuses).fillna(False).to_numpy(dtype=bool)
    usable = _usable_leases(leases)
    (unit_code, lease_unit), keys = key_codes(units["unit_id"], usable["unit_id"])
    # The leasable units' areas by unit code (a unit listed twice: its first leasable row).
    leasable_area = np.nan_to_num(units["area_m2"].to_numpy(dtype=float, na_value=np.nan))[leasable]
    firsts = first_rows(unit_code[leasable], len(keys))
    area_of = take_at(leasable_area, firsts)
    starts, finishes, block_unit, _ = _blocks(usable, _only(lease_unit, unit_code[leasable], len(keys)))
    block_area = area_of[block_unit]
    starts = starts.to_numpy(dtype="datetime64[ms]")
    finishes = finishes.to_numpy(dtype="datetime64[ms]")
    order_s = np.argsort(starts)
    order_e = np.argsort(finishes)
    begun = np.concatenate([[0.0], np.cumsum(block_area[order_s])])
    ended = np.concatenate([[0.0], np.cumsum(block_area[order_e])])
    days = ends.to_numpy(dtype="datetime64[ms]")
    # Leased on day d: blocks with start ≤ d, minus those that ended before d.
    leased = begun[np.searchsorted(starts[order_s], days, side="right")] - ended[
        np.searchsorted(finishes[order_e], days, side="left")]
    total = float(pd.Series(leasable_area[np.sort(firsts[firsts >= 0])]).sum())  # summed in the units' order
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(total > 0, (total - leased) / total, np.nan)
    return pd.DataFrame({"leasable_m2": total, "leased_m2": leased, "vacant_m2": total - leased,
                         "vacancy_rate": rate}, index=pd.DatetimeIndex(ends, name="month_end"))
