"""Named expansion scenarios kept inside the park's GeoPackage, and their exports.

Three extra layers, managed here and outside the layer registry:
``expansion_scenarios`` (one row per scenario: name, when saved, options, figures
and the full summary as JSON, the area as geometry), ``expansion_scenario_plots``
and ``expansion_scenario_roads`` (the scenario's plots and new roads, keyed by
scenario name). Every write copies the park, changes the copy and swaps it in
atomically, as ``layers.store`` does: a failed save leaves the park intact.
Exports are a GeoPackage (area, plots, roads) and an XLSX workbook of the tables.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from layers._atomic_files import fsync_and_replace
from layers.store import GPKG_OPTIONS, saving_beside
from layers.workbook import workbook_bytes

SCENARIOS = "expansion_scenarios"
PLOTS = "expansion_scenario_plots"
ROADS = "expansion_scenario_roads"
NAME_MAX = 60
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f<>]")


class ScenarioError(ValueError):
    """A scenario request that cannot be carried out (bad name, no such scenario, unsupported store).

    ``str()`` is English; ``.zh`` the same in Chinese when the raiser gave it (else the English).
    """

    def __init__(self, message: str, zh: str | None = None):
        super().__init__(message)
        self.zh = zh or message


def check_name(name: object) -> str:
    """A scenario name: 1–60 characters, no control characters or angle brackets; :class:`ScenarioError` otherwise."""
    if not isinstance(name, str) or not name.strip():
        msg = f"scenario name must be a non-empty text, got {name!r}"
        raise ScenarioError(msg, f"方案名称不能为空，收到 {name!r}")
    name = name.strip()
    if len(name) > NAME_MAX or _BAD_NAME.search(name):
        msg = f"scenario name must be at most {NAME_MAX} characters without control characters or < >, got {name!r}"
        raise ScenarioError(msg, f"方案名称最多 {NAME_MAX} 个字符，且不能含控制字符或 < >，收到 {name!r}")
    return name


@dataclass(frozen=True)
class Scenario:
    """A saved scenario as read back."""

    name: str
    saved_at: str
    options: dict
    figures: dict
    summary: dict
    area: gpd.GeoSeries
    plots: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame


class ScenarioStore:
    """Scenarios of the park in the GeoPackage at ``path``."""

    def __init__(self, store):
        # Audit is left out: scenarios are plans, not edits of the park's records.
        if store.capabilities.file is None:
            msg = "scenarios are kept in GeoPackage parks; this park is in PostGIS (export it to a .gpkg to plan there)"
            raise ScenarioError(msg, "方案只保存在 GeoPackage 园区中；本园区在 PostGIS 中（请导出为 .gpkg 后再做规划）")
        self.store = store.unaudited
        self.path = Path(store.capabilities.file)

    def _read(self, layer: str) -> gpd.GeoDataFrame | None:
        if layer not in self.store.layer_names():
            return None
        return pyogrio.read_dataframe(self.path, layer=layer, use_arrow=True)

    def names(self) -> list[str]:
        """Saved scenario names, oldest first."""
        table = self._read(SCENARIOS)
        return [] if table is None else table.sort_values("saved_at", kind="stable")["name"].astype(str).tolist()

    def list(self) -> pd.DataFrame:
        """``name, saved_at`` and the figures of every saved scenario."""
        table = self._read(SCENARIOS)
        if table is None or not len(table):
            return pd.DataFrame({"name": [], "saved_at": []})
        figures = pd.DataFrame([json.loads(text) for text in table["figures"]])
        out = pd.concat([table[["name", "saved_at"]].reset_index(drop=True), figures], axis=1)
        return out.sort_values("saved_at", kind="stable", ignore_index=True)

    def load(self, name: str) -> Scenario:
        """The scenario called ``name``; :class:`ScenarioError` naming the saved ones otherwise."""
        table = self._read(SCENARIOS)
        found = None if table is None else table[table["name"] == name]
        if found is None or not len(found):
            names = self.names()
            msg = f"no scenario called {name!r}; saved: {', '.join(names) or 'none'}"
            raise ScenarioError(msg, f"没有名为 {name!r} 的方案；已保存：{'、'.join(names) or '无'}")
        row = found.iloc[0]
        return Scenario(
            name=name, saved_at=str(row["saved_at"]), options=json.loads(row["options"]),
            figures=json.loads(row["figures"]), summary=json.loads(row["summary"]),
            area=found.geometry.reset_index(drop=True),
            plots=self._rows_of(PLOTS, name), roads=self._rows_of(ROADS, name),
        )

    def _rows_of(self, layer: str, name: str) -> gpd.GeoDataFrame:
        """Scenario ``name``'s rows of ``layer``: none when no scenario has any (the layer is only written
        once a scenario has rows for it: a plan along existing roads lays no new road)."""
        table = self._read(layer)
        if table is None:
            return gpd.GeoDataFrame({"scenario": pd.Series(dtype=str)}, geometry=gpd.GeoSeries([]),
                                    crs=self.store.working_crs())
        return table[table["scenario"] == name].reset_index(drop=True)

    def save(self, name: str, *, area: gpd.GeoSeries, options: dict, figures: dict, summary: dict,
             plots: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> None:
        """Save (or replace) the scenario ``name`` atomically."""
        name = check_name(name)
        crs = self.store.working_crs()
        row = gpd.GeoDataFrame({
            "name": [name], "saved_at": [dt.datetime.now().isoformat(timespec="seconds")],
            "options": [json.dumps(options, ensure_ascii=False)],
            "figures": [json.dumps(figures, ensure_ascii=False)],
            "summary": [json.dumps(summary, ensure_ascii=False, allow_nan=False)],
        }, geometry=[area.union_all()], crs=crs)
        self._write({SCENARIOS: row, PLOTS: plots.assign(scenario=name), ROADS: roads.assign(scenario=name)},
                    drop=name)

    def delete(self, name: str) -> None:
        """Remove the scenario ``name`` (an unknown name is an error)."""
        self.load(name)
        self._write({}, drop=name)

    def _lock(self):
        """The park's writer lock (so a scenario save never interleaves with an edit)."""
        return self.store.write_lock()

    def _write(self, new: dict[str, gpd.GeoDataFrame], *, drop: str) -> None:
        with saving_beside(self.path, self._lock()) as workdir:
            temporary = workdir / self.path.name
            shutil.copy2(self.path, temporary)
            names = [str(n) for n, _ in pyogrio.list_layers(temporary)]
            for layer in (SCENARIOS, PLOTS, ROADS):
                old = pyogrio.read_dataframe(temporary, layer=layer, use_arrow=True) if layer in names else None
                key = "name" if layer == SCENARIOS else "scenario"
                parts = [] if old is None else [old[old[key] != drop]]
                if layer in new:
                    parts.append(new[layer].to_crs(self.store.working_crs()) if len(new[layer]) else new[layer])
                parts = [p for p in parts if len(p)]
                if not parts and old is None:
                    continue
                frame = pd.concat(parts, ignore_index=True) if parts else old.iloc[:0]
                frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=self.store.working_crs())
                pyogrio.write_dataframe(frame, temporary, layer=layer, driver="GPKG",
                                        promote_to_multi=layer != ROADS, dataset_options=GPKG_OPTIONS)
            fsync_and_replace(temporary, self.path)


def scenario_gpkg_bytes(scenario: Scenario) -> bytes:
    """A GeoPackage of the scenario: layers ``area``, ``plots`` and ``roads`` in the park's CRS."""
    with tempfile.TemporaryDirectory(prefix="parkatlas-export-") as workdir:
        path = Path(workdir) / "scenario.gpkg"
        area = gpd.GeoDataFrame({"name": [scenario.name] * len(scenario.area)}, geometry=scenario.area.to_numpy(),
                                crs=scenario.area.crs)
        for layer, frame in (("area", area), ("plots", scenario.plots), ("roads", scenario.roads)):
            if len(frame):
                pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG", dataset_options=GPKG_OPTIONS)
        if not path.exists():
            pyogrio.write_dataframe(area, path, layer="area", driver="GPKG", dataset_options=GPKG_OPTIONS)
        return path.read_bytes()


def scenario_xlsx_bytes(scenario: Scenario, *, sheets: dict[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook: the given summary sheets, then the plots and new roads (without geometry)."""
    tables = dict(sheets)
    tables["plots"] = pd.DataFrame(scenario.plots.drop(columns="geometry", errors="ignore"))
    tables["roads"] = pd.DataFrame(scenario.roads.drop(columns="geometry", errors="ignore"))
    return workbook_bytes(tables)


__all__ = ["NAME_MAX", "PLOTS", "ROADS", "SCENARIOS", "Scenario", "ScenarioError", "ScenarioStore", "check_name",
           "scenario_gpkg_bytes", "scenario_xlsx_bytes"]
