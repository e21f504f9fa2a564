"""The park's year in figures: what a 管委会's 年度工作总结 reports of its land, space and networks.

Pure: validated layers and the land analyses of the year's ends in, figures out. A
calendar year runs from 1 January to 31 December, both included. Something *happened in
the year* when its own date (contract, start, completion, lease start, case closure, the
year a road or pipe was built) falls in it, and the record was true in the world on that
day (valid time, :func:`layers.valid_time.valid_on_each`): a parcel split after its
contract is counted once, as the parcel it was on the contract day; a record entered in
error (never true) not at all. A state *at the year end* is the land analysis as of
31 December (idle land, inefficient land, vacancy, 亩均 grades); *at the start* is the one
as of 31 December of the year before, so a year's start is the previous year's end.

The figures are one flat mapping of scalars (the keys of ``FIGURES``) and a few tables
of breakdowns; :func:`compare` sets a year beside the one before. What a park lacks the
layers for is not given a number: its keys are ``None`` and ``not_judged`` names the
topics (:mod:`geo.judged`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.idle import IDLE_STATUSES
from geo.inefficiency import CATEGORIES
from geo.reasons import date_column  # (one reader of a date column; year_changes imports it from here)
from geo.records import dated_without_status, is_industrial  # the park's one definition of industrial land
from geo.units import M2_PER_MU
from layers.registry import get_layer
from layers.text_keys import isin
from layers.valid_time import valid_on, valid_on_each

METRES_PER_KM = 1000.0
#: Case problems that are land (idle land, stalled projects): their disposals are the year's idle land disposed of.
LAND_PROBLEMS = ("idle_land", "stalled")

#: Every figure of a year: key → (中文, English, unit). Keys ending in _mu, _m2, _km, _wan carry their unit.
FIGURES: dict[str, tuple[str, str, str]] = {
    "land_supplied_parcels": ("供地宗数", "Parcels supplied", "宗"),
    "land_supplied_mu": ("供地面积", "Land supplied", "亩"),
    "land_supplied_industrial_mu": ("其中工业用地", "of which industrial", "亩"),
    "projects_started": ("开工项目（宗地）", "Projects started (parcels)", "宗"),
    "projects_completed": ("竣工项目（宗地）", "Projects completed (parcels)", "宗"),
    "idle_new_parcels": ("新增闲置土地", "Newly idle land", "宗"),
    "idle_new_mu": ("新增闲置面积", "Newly idle area", "亩"),
    "idle_disposed_parcels": ("处置闲置土地", "Idle land disposed of", "宗"),
    "idle_disposed_mu": ("处置闲置面积", "Idle area disposed of", "亩"),
    "idle_year_end_parcels": ("年末闲置土地", "Idle land at year end", "宗"),
    "idle_year_end_mu": ("年末闲置面积", "Idle area at year end", "亩"),
    "inefficient_year_end_mu": ("年末低效用地面积", "Inefficient land at year end", "亩"),
    "factory_leasable_m2_start": ("年初可租厂房面积", "Leasable factory space, start", "m²"),
    "factory_leasable_m2_end": ("年末可租厂房面积", "Leasable factory space, end", "m²"),
    "factory_let_m2_start": ("年初已租面积", "Let, start", "m²"),
    "factory_let_m2_end": ("年末已租面积", "Let, end", "m²"),
    "factory_vacant_m2_start": ("年初空置面积", "Vacant, start", "m²"),
    "factory_vacant_m2_end": ("年末空置面积", "Vacant, end", "m²"),
    "units_newly_let": ("新出租厂房单元", "Factory units newly let", "间"),
    "units_newly_let_m2": ("新出租厂房面积", "Factory space newly let", "m²"),
    "cases_closed": ("完成盘活案件", "Revitalisation cases completed", "件"),
    "revitalised_land_mu": ("盘活土地面积", "Land revitalised", "亩"),
    "revitalised_floor_m2": ("盘活厂房面积", "Floor space revitalised", "m²"),
    "roads_completed_km": ("建成道路", "Roads completed", "km"),
    "pipelines_built_km": ("建成管线", "Pipelines built", "km"),
    "tax_wan": ("企业税收", "Enterprises' tax", "万元"),
    "output_wan": ("企业产值", "Enterprises' output", "万元"),
    "value_added_wan": ("企业增加值", "Enterprises' value added", "万元"),
    "investment_done_wan": ("累计完成投资（年末在册地块）", "Investment done to date (parcels at year end)", "万元"),
}

#: Why an enterprise figure of the year is None though the park keeps yearly figures (zh, en).
UNREPORTED: dict[str, tuple[str, str]] = {
    "tax_wan": ("没有企业报送本年度税收", "no enterprise reported its tax for the year"),
    "output_wan": ("没有企业报送本年度产值", "no enterprise reported its output for the year"),
    "value_added_wan": ("没有企业报送本年度增加值", "no enterprise reported its value added for the year"),
}

#: The topics of :mod:`geo.judged` each figure needs (the figure is None when its topic cannot be judged).
FIGURE_TOPICS: dict[str, str] = {
    **{key: "land_supply" for key in ("land_supplied_parcels", "land_supplied_mu", "land_supplied_industrial_mu",
                                      "projects_started", "projects_completed", "investment_done_wan")},
    **{key: "idle_land" for key in ("idle_new_parcels", "idle_new_mu", "idle_year_end_parcels",
                                    "idle_year_end_mu")},
    "inefficient_year_end_mu": "inefficient_land",
    **{key: "vacancy" for key in ("factory_leasable_m2_start", "factory_leasable_m2_end", "factory_let_m2_start",
                                  "factory_let_m2_end", "factory_vacant_m2_start", "factory_vacant_m2_end",
                                  "units_newly_let", "units_newly_let_m2")},
    **{key: "cases" for key in ("idle_disposed_parcels", "idle_disposed_mu", "cases_closed", "revitalised_land_mu",
                                "revitalised_floor_m2")},
    "roads_completed_km": "roads",
    "pipelines_built_km": "pipelines",
    **{key: "enterprise_figures" for key in ("tax_wan", "output_wan", "value_added_wan")},
}


#: The :mod:`geo.judged` topics the year's figures need, each once.
ANNUAL_TOPICS: tuple[str, ...] = tuple(dict.fromkeys(FIGURE_TOPICS.values()))
#: The layers a year's report reads (all their records: valid time decides what was true when).
REPORT_LAYERS = ("zones", "parcels", "buildings", "roads", "pipelines", "units", "leases", "enterprises",
                 "enterprise_years", "cases")


@dataclass(frozen=True)
class YearFigures:
    """One year's figures (:data:`FIGURES` keys; None = not judged) and its breakdowns (small tables)."""

    year: int
    figures: dict[str, float | int | None]
    #: Why a figure is None when the records, not the layers, leave it not judged: key → (zh, en). A figure None
    #: without a reason here lacks its layers (``judgeable``).
    reasons: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: name → table: ``supplied_by_tenure``, ``supplied_by_land_use`` (parcels, mu), ``disposed_by_method``
    #: (cases, land mu, floor m²), ``inefficient_by_kind`` (parcels, mu), ``roads_completed_by_grade`` (km),
    #: ``roads_by_stage`` (km at year end), ``pipelines_built_by_network`` (km), ``muju_grades`` (firms).
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def year_days(year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last day of ``year``."""
    return pd.Timestamp(year=year, month=1, day=1), pd.Timestamp(year=year, month=12, day=31)


def year_end(year: int) -> dt.date:
    """The day a year's end states are judged on (31 December)."""
    return dt.date(year, 12, 31)


def happened_in(frame: pd.DataFrame, date_field: str, year: int) -> np.ndarray:
    """Records whose ``date_field`` falls in ``year`` and that were true in the world on that day."""
    days = date_column(frame, date_field)
    first, last = year_days(year)
    in_year = ((days >= first) & (days <= last)).fillna(False).to_numpy(dtype=bool)
    if not in_year.any():
        return in_year
    true_then = np.zeros(len(frame), dtype=bool)
    rows = np.flatnonzero(in_year)
    true_then[rows] = valid_on_each(frame.iloc[rows], days.iloc[rows])
    return true_then


def built_in(frame: pd.DataFrame, year_field: str, year: int) -> np.ndarray:
    """Records built in ``year`` (an int year field) and true in the world at its end."""
    years = pd.to_numeric(frame[year_field], errors="coerce") if year_field in frame else pd.Series(
        np.nan, index=frame.index)
    built = (years == year).fillna(False).to_numpy(dtype=bool)
    return built & valid_on(frame, year_days(year)[1])


def _empty(name: str) -> pd.DataFrame:
    """A layer the park lacks: no records, its declared fields (and a geometry column when it has geometry)."""
    spec = get_layer(name)
    frame = pd.DataFrame({f.name: pd.Series(dtype=object) for f in spec.fields})
    return frame if spec.is_table else gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([]))


def _area_mu(frame: pd.DataFrame) -> np.ndarray:
    if not len(frame):
        return np.zeros(0)
    return shapely.area(frame.geometry.to_numpy()) / M2_PER_MU


def _km(frame: pd.DataFrame) -> np.ndarray:
    if not len(frame):
        return np.zeros(0)
    return shapely.length(frame.geometry.to_numpy()) / METRES_PER_KM


def _table(values: pd.Series, columns: Mapping[str, np.ndarray], key: str) -> pd.DataFrame:
    """Sums of ``columns`` grouped by ``values`` (missing values grouped as None), one row per value."""
    frame = pd.DataFrame({key: values.astype(object).where(values.notna(), None).to_numpy(), **columns})
    if frame.empty:
        return pd.DataFrame({key: pd.Series(dtype=object), **{c: pd.Series(dtype=float) for c in columns}})
    return frame.groupby(key, dropna=False, sort=True).sum().reset_index()


def _industrial(parcels: pd.DataFrame) -> np.ndarray:
    return is_industrial(parcels) if len(parcels) else np.zeros(0, dtype=bool)


#: The land supply figures of a year, all None when a parcel at its end has neither a status nor a contract date
#: (when it was supplied cannot be told: the overview's rule, ``geo.records.supplied_parcels``).
SUPPLY_FIGURES = ("land_supplied_parcels", "land_supplied_mu", "land_supplied_industrial_mu")

#: The land figures told by one date of each parcel: what → (its date field, its figures, (zh, en) name of the date,
#: (zh, en) what it tells). A parcel at the year end with neither a status nor that date leaves them None: it may
#: have been supplied, started or completed in the year or not (``geo.records.dated_without_status``). A parcel
#: with a status but no date is counted in no year, as in the overview.
DATED_FIGURES: dict[str, tuple[str, tuple[str, ...], tuple[str, str], tuple[str, str]]] = {
    "supply": ("contract_date", SUPPLY_FIGURES, ("合同签订日期", "contract date"), ("供地年份", "year of supply")),
    "started": ("actual_start_date", ("projects_started",), ("实际开工日期", "start date"),
                ("开工年份", "year of the start")),
    "completed": ("actual_completion_date", ("projects_completed",), ("实际竣工日期", "completion date"),
                  ("竣工年份", "year of completion")),
}


def untold_dates(parcels: pd.DataFrame, at_end: np.ndarray, end_day: pd.Timestamp) -> dict[str, int]:
    """For each of :data:`DATED_FIGURES`, how many parcels in force at the year end (``at_end``, ``end_day``) have
    neither a status nor its date."""
    status = parcels["status"] if "status" in parcels.columns else pd.Series(pd.NA, index=parcels.index, dtype=object)
    return {what: int((at_end & dated_without_status(status, date_column(parcels, date_field), end_day)[1])
                      .sum())
            for what, (date_field, _, _, _) in DATED_FIGURES.items()}


def land_figures(parcels: pd.DataFrame, year: int) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Land supplied (contract in the year), projects started and completed, investment to date. The figures told
    by a date (:data:`DATED_FIGURES`) are None when parcels at the year end have neither a status nor that date
    (``untold`` counts them, by what they leave untold)."""
    supplied = happened_in(parcels, "contract_date", year)
    mu = _area_mu(parcels)
    chosen = parcels[supplied]
    ones = np.ones(int(supplied.sum()))
    tables = {
        "supplied_by_tenure": _table(chosen["tenure"], {"parcels": ones, "mu": mu[supplied]}, "tenure"),
        "supplied_by_land_use": _table(chosen["land_use"], {"parcels": ones, "mu": mu[supplied]}, "land_use"),
    }
    end_day = year_days(year)[1]
    at_end = valid_on(parcels, end_day)
    invested = pd.to_numeric(parcels.get("investment_done_wan"), errors="coerce")
    figures = {
        "land_supplied_parcels": int(supplied.sum()),
        "land_supplied_mu": float(mu[supplied].sum()),
        "land_supplied_industrial_mu": float(mu[supplied & _industrial(parcels)].sum()),
        "projects_started": int(happened_in(parcels, "actual_start_date", year).sum()),
        "projects_completed": int(happened_in(parcels, "actual_completion_date", year).sum()),
        "investment_done_wan": float(np.nansum(invested.to_numpy(dtype=float)[at_end])) if invested is not None
        else 0.0,
    }
    untold = untold_dates(parcels, at_end, end_day)
    for what, count in untold.items():
        if count:
            figures.update(dict.fromkeys(DATED_FIGURES[what][1]))
    return {**figures, "untold": untold}, tables


#: The idle land figures of a year: None when no parcel at its end could be judged (the overview's rule).
IDLE_FIGURES = ("idle_year_end_parcels", "idle_year_end_mu", "idle_new_parcels", "idle_new_mu")


def idle_figures(end: pd.DataFrame, start: pd.DataFrame) -> dict:
    """Idle land at the year end, and newly idle: idle at the end, not at the start (parcel analyses by id). None
    when no parcel at the end could be judged (no status, no dates: ``idle_status`` missing on every one)."""
    if len(end) and end["idle_status"].isna().all():
        return dict.fromkeys(IDLE_FIGURES)
    idle_end = end["idle_status"].isin(IDLE_STATUSES).fillna(False).to_numpy(dtype=bool)
    was_idle = start.loc[start["idle_status"].isin(IDLE_STATUSES).fillna(False).to_numpy(dtype=bool), "parcel_id"]
    new = idle_end & ~isin(end["parcel_id"], was_idle)
    mu = end["area_m2"].to_numpy(dtype=float) / M2_PER_MU
    return {"idle_year_end_parcels": int(idle_end.sum()), "idle_year_end_mu": float(mu[idle_end].sum()),
            "idle_new_parcels": int(new.sum()), "idle_new_mu": float(mu[new].sum())}


def inefficient_figures(end: pd.DataFrame) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Inefficient land at the year end, by kind (a parcel of several kinds counts under each, once in the total)."""
    mu = end["area_m2"].to_numpy(dtype=float) / M2_PER_MU
    flags = {kind: end[kind].fillna(False).to_numpy(dtype=bool) for kind in CATEGORIES}
    table = pd.DataFrame({"kind": list(CATEGORIES), "parcels": [int(flags[k].sum()) for k in CATEGORIES],
                          "mu": [float(mu[flags[k]].sum()) for k in CATEGORIES]})
    anyone = np.logical_or.reduce(list(flags.values())) if len(end) else np.zeros(0, dtype=bool)
    if len(end) and end["inefficiency_not_judged"].notna().all():  # no parcel could be judged: no figure, not 0
        return {"inefficient_year_end_mu": None}, {"inefficient_by_kind": table}
    return {"inefficient_year_end_mu": float(mu[anyone].sum())}, {"inefficient_by_kind": table}


def space_figures(vacancy_end: Mapping, vacancy_start: Mapping, units: pd.DataFrame, leases: pd.DataFrame,
                  year: int) -> dict:
    """Factory space leasable, let and vacant at the start and end of the year; units newly let in it."""
    new_leases = leases[happened_in(leases, "start", year)]
    let_units = units[isin(units["unit_id"], new_leases["unit_id"])]
    return {
        **{f"factory_{name}_m2_{when}": float(figures[f"{source}_m2"])
           for when, figures in (("start", vacancy_start), ("end", vacancy_end))
           for name, source in (("leasable", "leasable"), ("let", "leased"), ("vacant", "vacant"))},
        "units_newly_let": int(len(let_units)),
        "units_newly_let_m2": float(pd.to_numeric(let_units["area_m2"], errors="coerce").sum()),
    }


def case_figures(cases: pd.DataFrame, year: int) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Revitalisation cases completed in the year (closed as done), by method; idle land disposed of."""
    done = happened_in(cases, "closed", year) & (cases["status"] == "done").fillna(False).to_numpy(dtype=bool)
    closed = cases[done]
    land = closed["problem"].isin(LAND_PROBLEMS).fillna(False).to_numpy(dtype=bool)
    land_mu = pd.to_numeric(closed["area_m2"], errors="coerce").to_numpy(dtype=float) / M2_PER_MU
    floor_m2 = pd.to_numeric(closed["floor_area_m2"], errors="coerce").to_numpy(dtype=float)
    table = _table(closed["method"], {"cases": np.ones(len(closed)), "land_mu": np.nan_to_num(land_mu),
                                      "floor_m2": np.nan_to_num(floor_m2)}, "method")
    return {
        "cases_closed": int(len(closed)),
        "revitalised_land_mu": float(np.nansum(land_mu)),
        "revitalised_floor_m2": float(np.nansum(floor_m2)),
        "idle_disposed_parcels": int(closed.loc[land, "parcel_id"].nunique()),
        "idle_disposed_mu": float(np.nansum(land_mu[land])),
    }, {"disposed_by_method": table}


def network_figures(roads: pd.DataFrame, pipelines: pd.DataFrame, year: int) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Roads completed in the year (built that year and completed at its end), km by grade and by stage at the
    year end; pipelines built in the year, km by network."""
    road_km, pipe_km = _km(roads), _km(pipelines)
    at_end = valid_on(roads, year_days(year)[1])
    completed = built_in(roads, "year", year) & (roads["status"] == "completed").fillna(False).to_numpy(dtype=bool)
    pipes = built_in(pipelines, "year_built", year)
    return {
        "roads_completed_km": float(road_km[completed].sum()),
        "pipelines_built_km": float(pipe_km[pipes].sum()),
    }, {
        "roads_completed_by_grade": _table(roads["grade"][completed], {"km": road_km[completed]}, "grade"),
        "roads_by_stage": _table(roads["status"][at_end], {"km": road_km[at_end]}, "status"),
        "pipelines_built_by_network": _table(pipelines["network"][pipes], {"km": pipe_km[pipes]}, "network"),
    }


def enterprise_figures(enterprise_years: pd.DataFrame, year: int) -> dict:
    """The enterprises' tax, output and value added reported for the year (万元); None for a figure no enterprise
    reported for the year (a list giving the tax alone has no output: not judged, never 0)."""
    rows = enterprise_years[(pd.to_numeric(enterprise_years["year"], errors="coerce") == year).to_numpy()]
    sums = {f"{name}_wan": pd.to_numeric(rows[f"{name}_wan"], errors="coerce").sum(min_count=1)
            for name in ("tax", "output", "value_added")}
    return {key: None if pd.isna(total) else float(total) for key, total in sums.items()}


def muju_grades(firms: pd.DataFrame) -> pd.DataFrame:
    """Firms per 亩均 grade (A–D, T not graded) in the evaluation of the year end."""
    if not len(firms) or "grade" not in firms:
        return pd.DataFrame({"grade": pd.Series(dtype=object), "firms": pd.Series(dtype=int)})
    counts = firms["grade"].value_counts(dropna=True).sort_index()
    return pd.DataFrame({"grade": counts.index.astype(object), "firms": counts.to_numpy(dtype=int)})


def year_figures(layers: Mapping[str, pd.DataFrame], year: int, *, end, start,
                 judgeable: set[str] | None = None) -> YearFigures:
    """The figures of ``year``.

    Parameters
    ----------
    layers
        The park's validated layers (all records: retired ones too, valid time decides); a layer the park
        lacks may be missing or empty.
    year
        The calendar year.
    end, start
        :class:`geo.analysis.LandAnalysis` as of 31 December of ``year`` and of the year before.
    judgeable
        The :mod:`geo.judged` topics the park has the layers for; the figures of the others are None.
        Default: all.
    """
    def layer(name: str) -> pd.DataFrame:
        frame = layers.get(name)
        return _empty(name) if frame is None else frame

    figures: dict[str, float | int | None] = {}
    tables: dict[str, pd.DataFrame] = {}
    for part in (land_figures(layer("parcels"), year), inefficient_figures(end.parcels),
                 case_figures(layer("cases"), year), network_figures(layer("roads"), layer("pipelines"), year)):
        figures.update(part[0])
        tables.update(part[1])
    figures.update(idle_figures(end.parcels, start.parcels))
    figures.update(space_figures(end.park_vacancy, start.park_vacancy, layer("units"), layer("leases"), year))
    figures.update(enterprise_figures(layer("enterprise_years"), year))
    tables["muju_grades"] = muju_grades(end.muju.firms)
    untold = figures.pop("untold")
    reasons = _record_reasons(figures, untold, len(end.parcels))
    if judgeable is not None:
        figures = {key: (value if FIGURE_TOPICS[key] in judgeable else None) for key, value in figures.items()}
        reasons = {key: why for key, why in reasons.items() if FIGURE_TOPICS[key] in judgeable}
    return YearFigures(year, {key: figures[key] for key in FIGURES}, reasons, tables)


def _record_reasons(figures: Mapping[str, object], untold: Mapping[str, int],
                    parcels: int) -> dict[str, tuple[str, str]]:
    """Why the figures the records leave not judged are None (zh, en), by key; ``untold``: :func:`untold_dates`."""
    reasons = {}
    for what, count in untold.items():
        if count:
            _, keys, (date_zh, date_en), (told_zh, told_en) = DATED_FIGURES[what]
            why = (f"{count} 宗地块既无状态也无{date_zh}，{told_zh}不明",
                   f"{count} parcel{'s have' if count > 1 else ' has'} neither a status nor a {date_en}: the "
                   f"{told_en} cannot be told")
            reasons.update(dict.fromkeys(keys, why))
    if parcels and figures["idle_year_end_parcels"] is None:
        reasons.update(dict.fromkeys(IDLE_FIGURES, (f"{parcels} 宗地块均无法判定是否闲置",
                                                    f"none of {parcels} parcels could be judged idle or not")))
    reasons.update({key: why for key, why in UNREPORTED.items() if figures[key] is None})
    if parcels and figures["inefficient_year_end_mu"] is None:
        reasons["inefficient_year_end_mu"] = (f"{parcels} 宗地块均无法判定是否低效",
                                              f"none of {parcels} parcels could be judged inefficient or not")
    return reasons


def compare(current: YearFigures, previous: YearFigures) -> pd.DataFrame:
    """Each figure of ``current`` beside ``previous``: ``key, current, previous, change, change_pct`` (change in %
    of the previous value; NaN when it is 0 or either is not judged)."""
    keys = list(FIGURES)
    now = pd.Series([current.figures[k] for k in keys], index=keys, dtype=float)
    before = pd.Series([previous.figures[k] for k in keys], index=keys, dtype=float)
    change = now - before
    pct = (change / before.where(before != 0)) * 100.0
    return pd.DataFrame({"key": keys, "current": now.to_numpy(), "previous": before.to_numpy(),
                         "change": change.to_numpy(), "change_pct": pct.to_numpy()})


__all__ = ["ANNUAL_TOPICS", "DATED_FIGURES", "FIGURES", "FIGURE_TOPICS", "REPORT_LAYERS", "LAND_PROBLEMS", "YearFigures", "built_in", "case_figures", "compare", "date_column",
           "enterprise_figures", "happened_in", "idle_figures", "inefficient_figures", "land_figures", "muju_grades",
           "network_figures", "space_figures", "untold_dates", "year_days", "year_end", "year_figures"]
