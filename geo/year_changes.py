"""What changed on the ground in a year: the features of the report's change map.

Pure: the park's layers (all records, valid time decides) and the land analyses of the
year's two ends in, one feature per record and change out. The same definitions as the
year's figures (:mod:`geo.annual`): a parcel *supplied* in the year is one whose contract
is dated in it and that was true in the world that day (a parcel split later is drawn as
it was then), *started* and *completed* by its actual dates, *newly idle* when idle on
31 December and not on 31 December of the year before, *revitalised* when a case on it
was closed as done in the year; a parcel *ended* when its last true day falls in the
year (split, merged or withdrawn; a record never true — entered in error — is not drawn).
Buildings completed in the year, roads completed in the year or whose construction stage
the register recorded changing in it (a road has one record: its stages are known from
the audit trail, dated when recorded), and pipelines built in the year complete the
picture. A record can change several ways in one year (supplied and
completed): it has one row per change.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.annual import built_in, date_column, happened_in, year_days
from geo.idle import IDLE_STATUSES
from layers.valid_time import VALID_FROM, VALID_TO, valid_on

#: Change → (中文, English, colour), in drawing order (areas first, lines last). Colours are distinct per
#: meaning and readable on white and on the grey park (a drawing choice, not a rule).
CHANGES: dict[str, tuple[str, str, str]] = {
    "ended": ("注销或调整的地块", "Parcels ended (split, merged, withdrawn)", "#969696"),
    "supplied": ("新供地块", "Parcels supplied", "#1f78b4"),
    "started": ("新开工地块", "Parcels started", "#ff7f00"),
    "completed": ("新竣工地块", "Parcels completed", "#33a02c"),
    "revitalised": ("完成盘活的地块", "Parcels revitalised", "#6a3d9a"),
    "became_idle": ("新增闲置地块", "Parcels newly idle", "#e31a1c"),
    "building_completed": ("新建成建筑", "Buildings completed", "#b15928"),
    "road_completed": ("新建成道路", "Roads completed", "#252525"),
    "road_stage": ("登记变更建设阶段的道路", "Roads whose construction stage was changed", "#a6761d"),
    "pipeline_built": ("新建管线", "Pipelines built", "#1b9e77"),
}
#: The year's figure (``geo.annual.FIGURES``) that counts the same change: where the figure is not judged (no
#: dates to tell the year, no layer), the change's count is not judged either, whatever the map holds.
CHANGE_FIGURES: dict[str, str] = {
    "supplied": "land_supplied_parcels", "started": "projects_started", "completed": "projects_completed",
    "became_idle": "idle_new_parcels", "revitalised": "cases_closed", "road_completed": "roads_completed_km",
    "pipeline_built": "pipelines_built_km",
}
#: The columns of :func:`year_changes`.
COLUMNS = ("layer", "record_id", "name", "change", "geometry")
ID_FIELDS = {"parcels": "parcel_id", "buildings": "building_id", "roads": "road_id", "pipelines": "pipe_id"}


def change_label(change: str, lang: str = "zh") -> str:
    """The change's name in ``lang``."""
    zh, en, _ = CHANGES[change]
    return en if lang == "en" else zh


def _rows(frame: pd.DataFrame, chosen: np.ndarray, layer: str, change: str) -> pd.DataFrame:
    """The chosen records of ``frame`` as change rows (id, name and geometry)."""
    picked = frame[chosen]
    id_field = ID_FIELDS[layer]
    names = picked["name"] if "name" in picked else pd.Series(None, index=picked.index, dtype=object)
    return pd.DataFrame({"layer": layer, "record_id": picked[id_field].astype(object).to_numpy(),
                         "name": names.astype(object).where(names.notna(), None).to_numpy(),
                         "change": change, "geometry": picked.geometry.to_numpy()})


def ended_in(frame: pd.DataFrame, year: int) -> np.ndarray:
    """Records whose last true day (the day before ``valid_to``; before retirement when it has none) falls in
    ``year`` and that were true at least one day."""
    first, last = year_days(year)
    end = date_column(frame, VALID_TO).fillna(date_column(frame, "retired_on"))
    last_true = end - pd.Timedelta(days=1)
    ever_true = ~(date_column(frame, VALID_FROM) >= end).to_numpy(dtype=bool)
    return ((last_true >= first) & (last_true <= last)).fillna(False).to_numpy(dtype=bool) & ever_true


def parcel_changes(parcels: gpd.GeoDataFrame, year: int, *, end: pd.DataFrame, start: pd.DataFrame,
                   cases: pd.DataFrame | None = None) -> list[pd.DataFrame]:
    """The parcels supplied, started, completed, ended, revitalised and newly idle in ``year``.

    ``end`` and ``start`` are the parcel analyses (``LandAnalysis.parcels``) of 31 December of the year and
    of the year before.
    """
    parts = [_rows(parcels, ended_in(parcels, year), "parcels", "ended")]
    for change, field in (("supplied", "contract_date"), ("started", "actual_start_date"),
                          ("completed", "actual_completion_date")):
        parts.append(_rows(parcels, happened_in(parcels, field, year), "parcels", change))
    if cases is not None and len(cases):
        done = happened_in(cases, "closed", year) & (cases["status"] == "done").fillna(False).to_numpy(dtype=bool)
        # Any case closed as done on a parcel revitalises it (its land or the floor space on it, as the year's
        # figures count both); drawn as the parcel true at the year end.
        revitalised_ids = set(cases.loc[done, "parcel_id"].dropna())
        at_end = valid_on(parcels, year_days(year)[1])
        parts.append(_rows(parcels, at_end & parcels["parcel_id"].isin(revitalised_ids).to_numpy(dtype=bool),
                           "parcels", "revitalised"))
    if len(end) and "idle_status" in end:
        idle_end = end["idle_status"].isin(IDLE_STATUSES).fillna(False).to_numpy(dtype=bool)
        idle_start = start["idle_status"].isin(IDLE_STATUSES).fillna(False).to_numpy(dtype=bool) if len(start) \
            else np.zeros(0, dtype=bool)
        was_idle = set(start.loc[idle_start, "parcel_id"]) if len(start) else set()
        newly = idle_end & ~end["parcel_id"].isin(was_idle).to_numpy(dtype=bool)
        parts.append(_rows(end, newly, "parcels", "became_idle"))
    return parts


def stage_changed_ids(events: pd.DataFrame | None, year: int) -> set[str]:
    """The roads whose construction stage the register recorded changing in ``year`` (audit events of the
    ``status`` field dated in the year, a value to another)."""
    if events is None or not len(events):
        return set()
    first, last = year_days(year)
    days = date_column(events, "date")
    chosen = ((events["layer"] == "roads") & (events["field"] == "status") & (days >= first) & (days <= last)
              & (events["old_value"].fillna("") != events["new_value"].fillna(""))
              & events["old_value"].notna()).fillna(False).to_numpy(dtype=bool)
    return set(events.loc[chosen, "record_id"].dropna())


def network_changes(buildings: pd.DataFrame | None, roads: pd.DataFrame | None, pipelines: pd.DataFrame | None,
                    year: int, events: pd.DataFrame | None = None) -> list[pd.DataFrame]:
    """Buildings completed, roads completed or changed in stage, and pipelines built in ``year``.

    A road's stage is one value per record: its changes are known from the register's audit trail
    (``events``, the ``audit_events`` layer), dated when the register recorded them.
    """
    parts = []
    if buildings is not None and len(buildings):
        parts.append(_rows(buildings, built_in(buildings, "completion_year", year), "buildings",
                           "building_completed"))
    if roads is not None and len(roads):
        completed = built_in(roads, "year", year) & (roads["status"] == "completed").fillna(False).to_numpy(
            dtype=bool)
        parts.append(_rows(roads, completed, "roads", "road_completed"))
        staged = stage_changed_ids(events, year)
        parts.append(_rows(roads, valid_on(roads, year_days(year)[1]) & roads["road_id"].isin(staged).to_numpy(dtype=bool),
                           "roads", "road_stage"))
    if pipelines is not None and len(pipelines):
        parts.append(_rows(pipelines, built_in(pipelines, "year_built", year), "pipelines", "pipeline_built"))
    return parts


def year_changes(layers: Mapping[str, pd.DataFrame], year: int, *, end, start) -> gpd.GeoDataFrame:
    """Every change of ``year``: one row per record and change (:data:`COLUMNS`), in :data:`CHANGES` order.

    Parameters
    ----------
    layers
        The park's validated layers (all records; a layer the park lacks may be missing or empty).
    year
        The calendar year.
    end, start
        :class:`geo.analysis.LandAnalysis` of 31 December of ``year`` and of the year before.
    """
    parcels = layers.get("parcels")
    parts: list[pd.DataFrame] = []
    if parcels is not None and len(parcels):
        parts += parcel_changes(parcels, year, end=end.parcels, start=start.parcels, cases=layers.get("cases"))
    parts += network_changes(layers.get("buildings"), layers.get("roads"), layers.get("pipelines"), year,
                             layers.get("audit_events"))
    crs = next((frame.crs for frame in (layers.get(n) for n in ID_FIELDS) if frame is not None
                and getattr(frame, "crs", None) is not None), None)
    parts = [part for part in parts if len(part)]
    if not parts:
        return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in COLUMNS[:-1]},
                                geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    frame = pd.concat(parts, ignore_index=True)
    order = {change: rank for rank, change in enumerate(CHANGES)}
    frame = frame.iloc[np.argsort(frame["change"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)


#: The dated fields that tell when a park's history begins (dates; years for the int fields).
HISTORY_DATES = {"parcels": ("contract_date", "actual_start_date", "actual_completion_date"), "cases": ("closed",)}
HISTORY_YEARS = {"buildings": ("completion_year",), "roads": ("year",), "pipelines": ("year_built",)}
#: The layers :func:`first_year` reads (the overview asks it: no other layer need be loaded for it).
HISTORY_LAYERS = (*HISTORY_DATES, *HISTORY_YEARS)


def history_fields(name: str) -> tuple[str, ...]:
    """The fields of layer ``name`` :func:`first_year` reads (none for a layer it does not read)."""
    return HISTORY_DATES.get(name, ()) + HISTORY_YEARS.get(name, ())


def first_year(layers: Mapping[str, pd.DataFrame]) -> int | None:
    """The earliest year any change of :data:`CHANGES` could be dated in (None: the park has no dates)."""
    years = []
    for name, fields in HISTORY_DATES.items():
        frame = layers.get(name)
        for field in fields if frame is not None else ():
            earliest = date_column(frame, field).min()
            if pd.notna(earliest):
                years.append(earliest.year)
    for name, fields in HISTORY_YEARS.items():
        frame = layers.get(name)
        for field in fields if frame is not None and len(frame) else ():
            earliest = pd.to_numeric(frame[field], errors="coerce").min() if field in frame else np.nan
            if pd.notna(earliest):
                years.append(int(earliest))
    return min(years) if years else None


def change_counts(changes: pd.DataFrame) -> dict[str, int]:
    """Features per change (every change of :data:`CHANGES`, 0 when none)."""
    counts = changes["change"].value_counts() if len(changes) else pd.Series(dtype=int)
    return {change: int(counts.get(change, 0)) for change in CHANGES}


__all__ = ["CHANGES", "CHANGE_FIGURES", "COLUMNS", "HISTORY_LAYERS", "change_counts", "change_label", "ended_in", "first_year", "history_fields", "network_changes", "parcel_changes",
           "stage_changed_ids", "year_changes"]
