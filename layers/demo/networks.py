"""Roads' construction stages, pipelines along them, and the park's facilities.

Pipes run parallel to road centrelines inside the red line at a fixed offset per
network, in the order GB 50289-2016 gives from the red line towards the centre
(DOMAIN.md §8.5): power, telecom, water, gas, heat, sewer, storm. Wide roads carry
each network on both sides; branch roads carry gas and drainage on one side. The
offsets keep every pair of different networks at least their GB 50289 clearance
(DOMAIN.md §8.4) from outer wall to outer wall, with a few decimetres to spare.

A pipe is laid along a run of up to six road segments of one maturity band and
reaches across the crossing roads to their far red lines, so pipes of different
networks meet at intersections only by crossing (a vertical-clearance matter).
Deliberate GB 50289 conflicts are added on top and listed for the manifest: short
pipes laid too close to another network, and service branches into plots that end
too close to, or run under, a building.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers.demo.buildings import Buildings
from layers.demo.layout import (
    BAND_EXPANSION,
    BAND_MATURE,
    BAND_MID,
    BAND_PHASE1,
    BAND_YOUNG,
    Layout,
)
from layers.demo.scenarios import K, Scenario

#: CJJ 61-2017 two-letter codes, used as pipe id prefixes.
NETWORK_CODES = {"water_supply": "JS", "rain": "YS", "sewer": "WS", "gas": "RQ", "heat": "RL", "power": "DL",
                 "telecom": "TX"}
#: Offset of each network from its side's red line (m), GB 50289 order red line → centre.
SLOT_M = {"power": 1.0, "telecom": 3.0, "water_supply": 5.0, "gas": 7.0, "heat": 9.5, "sewer": 12.0, "rain": 14.5}
#: Branch roads (20 m) have no heat; drainage moves in to keep clear of the far side's water.
BRANCH_SLOT_M = {**SLOT_M, "sewer": 9.5, "rain": 12.0}
#: The sub-high-pressure B gas trunk along one arterial, where clearances allow (≥ 5 m to buildings).
TRUNK_SLOT_M = 17.0
MAX_RUN_SEGMENTS = 6

#: Pipe layout per road grade: (network, sides); "centre" lays one pipe on the centreline.
GRADE_NETWORKS = {
    "arterial": {net: "both" for net in SLOT_M},
    "secondary": {**{net: "both" for net in SLOT_M if net != "rain"}, "rain": "centre"},
    "branch": {"power": "both", "telecom": "both", "water_supply": "both", "gas": "A", "sewer": "A", "rain": "A"},
}
#: Diameters (mm) by grade; gas pressure class by grade (GB 50028: distribution is medium pressure).
DIAMETER_MM = {
    "arterial": {"power": 200, "telecom": 150, "water_supply": 400, "gas": 315, "heat": 400, "sewer": 500,
                 "rain": 1000},
    "secondary": {"power": 200, "telecom": 150, "water_supply": 300, "gas": 250, "heat": 300, "sewer": 400,
                  "rain": 800},
    "branch": {"power": 200, "telecom": 150, "water_supply": 200, "gas": 160, "sewer": 300, "rain": 600},
}
GAS_PRESSURE = {"arterial": "medium_a", "secondary": "medium_b", "branch": "medium_b"}
MATERIAL = {"power": "YJV22-8.7/15kV 电缆", "telecom": "HDPE 硅芯管", "water_supply": "球墨铸铁管", "gas": "PE100",
            "heat": "预制直埋保温钢管", "sewer": "HDPE 双壁波纹管", "rain": "钢筋混凝土管"}
DEPTH_M = {"power": (0.8, 1.0), "telecom": (0.7, 0.9), "water_supply": (1.0, 1.4), "gas": (1.0, 1.3),
           "heat": (1.2, 1.6), "sewer": (2.5, 3.8), "rain": (1.8, 2.8)}
LAYING = {"power": "duct", "telecom": "duct"}

#: GB 50289 minimum clearances of the deliberate conflicts (DOMAIN.md §8.3–8.4), m.
PIPE_PIPE_REQUIRED_M = {("gas", "heat"): 1.0, ("sewer", "water_supply"): 1.5, ("power", "telecom"): 0.5}
PIPE_BUILDING_REQUIRED_M = {"gas_medium_b": 1.0, "gas_medium_a": 1.5, "water_large": 3.0, "sewer": 2.5}
#: Deliberate conflicts: one set per 600 plots, at most 40 sets (the manifest stops at 50 000 plots).
CONFLICTS_PER_PLOTS, MAX_CONFLICT_SETS = 600, 40

#: Road construction stage by maturity band (arterials first), and construction years.
ROAD_STATUS = {
    BAND_PHASE1: ("completed", "completed"), BAND_MATURE: ("completed", "completed"),
    BAND_MID: ("completed", "temporary_surface"), BAND_YOUNG: ("temporary_surface", "subgrade"),
    BAND_EXPANSION: ("approved", "planned"),
}
ROAD_YEARS = {BAND_PHASE1: (2008, 2013), BAND_MATURE: (2017, 2021), BAND_MID: (2022, 2024),
              BAND_YOUNG: (2025, 2025), BAND_EXPANSION: (0, 0)}
PIPE_STATUS_OF_ROAD = {"completed": "in_service", "temporary_surface": "in_service",
                       "subgrade": "under_construction", "approved": "planned", "planned": "planned"}


def road_status(layout: Layout, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Construction stage and year of every road segment."""
    roads = layout.roads
    arterial = roads.grade == "arterial"
    status = np.empty(len(roads), dtype=object)
    year = np.full(len(roads), np.nan)
    for band, (main, other) in ROAD_STATUS.items():
        rows = roads.band == band
        status[rows] = np.where(arterial[rows], main, other)
        first, last = ROAD_YEARS[band]
        if first:
            year[rows] = rng.integers(first, last + 1, rows.sum())
    connector = roads.kind == "connector"
    status[connector], year[connector] = "completed", 2012
    # Planned and approved roads have no construction year yet.
    year[np.isin(status, ["planned", "approved"])] = np.nan
    return status, year


@dataclass
class Pipes:
    network: np.ndarray
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    diameter: np.ndarray
    pressure: np.ndarray    # '' where not gas
    status: np.ndarray
    year: np.ndarray
    role: np.ndarray        # main, trunk, extra (deliberate pipe–pipe), branch (service into a plot)

    def __len__(self) -> int:
        return len(self.network)


def _runs(layout: Layout) -> dict:
    """Runs of up to six consecutive segments of one road line and band (east–west and north–south)."""
    roads = layout.roads
    out = []
    for kind in ("ew", "ns"):
        rows = np.flatnonzero(roads.kind == kind)
        rows = rows[np.lexsort((roads.pos[rows], roads.line[rows]))]
        line, pos, band = roads.line[rows], roads.pos[rows], roads.band[rows]
        new_run = np.r_[True, (line[1:] != line[:-1]) | (band[1:] != band[:-1])]
        run_start = np.maximum.accumulate(np.where(new_run, np.arange(len(rows)), 0))
        new_chunk = new_run | ((np.arange(len(rows)) - run_start) % MAX_RUN_SEGMENTS == 0)
        starts = np.flatnonzero(new_chunk)
        ends = np.r_[starts[1:], len(rows)] - 1
        out.append(dict(kind=np.full(len(starts), kind), line=line[starts], first=pos[starts], last=pos[ends],
                        band=band[starts], grade=roads.grade[rows[starts]], width=roads.width[rows[starts]],
                        segment=rows[starts]))
    return {key: np.concatenate([o[key] for o in out]) for key in out[0]}


def _line_geometry(layout: Layout, kind, line, first, last, offset_from_a, width):
    """Endpoints of pipes on road lines: from the far red line of the first crossing road to that of the last."""
    g = layout.grid
    ew = kind == "ew"
    # East–west: side A is the south side; north–south: side A is the west side.
    coord_ew = g.yb[np.where(ew, line, 0)] - width / 2 + offset_from_a
    coord_ns = g.xb[np.where(ew, 0, line)] - width / 2 + offset_from_a
    ew_from = g.xb[np.where(ew, first, 0)] - g.ns_width[np.where(ew, first, 0)] / 2
    ew_to = g.xb[np.where(ew, last + 1, 0)] + g.ns_width[np.where(ew, last + 1, 0)] / 2
    ns_from = g.yb[np.where(ew, 0, first)] - g.ew_width[np.where(ew, 0, first)] / 2
    ns_to = g.yb[np.where(ew, 0, last + 1)] + g.ew_width[np.where(ew, 0, last + 1)] / 2
    x0 = np.where(ew, ew_from, coord_ns)
    x1 = np.where(ew, ew_to, coord_ns)
    y0 = np.where(ew, coord_ew, ns_from)
    y1 = np.where(ew, coord_ew, ns_to)
    return x0, y0, x1, y1


def _network_status(band: np.ndarray, pipe_status: np.ndarray, network: str) -> np.ndarray:
    """Status of a network's pipe on runs of a band ('' where the network is absent)."""
    if network == "heat":
        # The steam network reaches 一期 and mature 二期; the building-out band has none, the young one
        # has it planned.
        return np.where(band == BAND_MID, "", np.where(band == BAND_YOUNG, "planned", pipe_status))
    if network == "gas":
        return np.where(band == BAND_YOUNG, "planned", pipe_status)
    return pipe_status


def plan_pipes(layout: Layout, roads_status: np.ndarray, roads_year: np.ndarray) -> Pipes:
    """The pipe mains along the road grid and the gas trunk."""
    runs = _runs(layout)
    pipe_status = pd.Series(roads_status[runs["segment"]]).map(PIPE_STATUS_OF_ROAD).to_numpy(dtype=object)
    year = roads_year[runs["segment"]]
    parts = []
    for grade, networks in GRADE_NETWORKS.items():
        slots = BRANCH_SLOT_M if grade == "branch" else SLOT_M
        for network, sides in networks.items():
            status = _network_status(runs["band"], pipe_status, network)
            # Branch roads of the expansion area get no pipes yet.
            keep = (runs["grade"] == grade) & (status != "") & ~((runs["band"] == BAND_EXPANSION)
                                                                  & (grade == "branch"))
            rows = np.flatnonzero(keep)
            width = runs["width"][rows]
            offsets = {"both": [slots[network], width - slots[network]], "A": [slots[network]],
                       "centre": [width / 2]}[sides]
            for from_a in offsets:
                x0, y0, x1, y1 = _line_geometry(layout, runs["kind"][rows], runs["line"][rows],
                                                runs["first"][rows], runs["last"][rows],
                                                np.broadcast_to(from_a, width.shape), width)
                parts.append(_pipe_part(network, x0, y0, x1, y1, DIAMETER_MM[grade][network],
                                        GAS_PRESSURE[grade] if network == "gas" else "", status[rows],
                                        year[rows], "main"))
    # The sub-high-pressure B trunk: the main east–west arterial, 一期 and mature 二期 only.
    main_line = layout.roads.line[layout.roads.kind == "connector"][0]
    rows = np.flatnonzero((runs["kind"] == "ew") & (runs["line"] == main_line)
                          & (runs["band"] <= BAND_MATURE))
    if len(rows):
        x0, y0, x1, y1 = _line_geometry(layout, runs["kind"][rows], runs["line"][rows], runs["first"][rows],
                                        runs["last"][rows], np.full(len(rows), TRUNK_SLOT_M), runs["width"][rows])
        parts.append(_pipe_part("gas", x0, y0, x1, y1, 400, "subhigh_b", np.full(len(rows), "in_service"),
                                year[rows], "trunk"))
    return Pipes(**{key: np.concatenate([p[key] for p in parts]) for key in parts[0]})


def _pipe_part(network, x0, y0, x1, y1, diameter, pressure, status, year, role) -> dict:
    n = len(x0)
    return dict(network=np.full(n, network, dtype=object), x0=x0, y0=y0, x1=x1, y1=y1,
                diameter=np.full(n, float(diameter)), pressure=np.full(n, pressure, dtype=object),
                status=np.asarray(status, dtype=object), year=np.where(np.asarray(status) == "in_service", year,
                                                                        np.nan),
                role=np.full(n, role, dtype=object))


@dataclass
class Conflicts:
    """Deliberate conflicts, as positions into the final pipe and building arrays."""

    pipe_pipe: list
    pipe_building: list
    pipe_under_building: list


def add_conflicts(layout: Layout, scenario: Scenario, buildings: Buildings, pipes: Pipes,
                  roads_status: np.ndarray, rng: np.random.Generator) -> tuple[Pipes, Conflicts]:
    """Add the deliberate GB 50289 conflicts: extra pipes too close, and service branches into plots."""
    n_sets = min(max(1, len(layout.plots) // CONFLICTS_PER_PLOTS), MAX_CONFLICT_SETS)
    branches, used_segments = _branches(layout, scenario, buildings, pipes, n_sets, rng)
    extras = _extras(layout, pipes, roads_status, used_segments, n_sets, rng)
    base = len(pipes)
    parts = [dict(network=pipes.network, x0=pipes.x0, y0=pipes.y0, x1=pipes.x1, y1=pipes.y1,
                  diameter=pipes.diameter, pressure=pipes.pressure, status=pipes.status, year=pipes.year,
                  role=pipes.role)]
    pipe_pipe, pipe_building, under = [], [], []
    for position, entry in enumerate(extras + branches, start=base):  # one pipe per named case
        parts.append(entry["pipe"])
        if entry["kind"] == "pipe_pipe":
            pipe_pipe.append({"a": position, "b": entry["other"], "required_m": entry["required_m"],
                              "actual_m": entry["actual_m"]})
        elif entry["kind"] == "pipe_building":
            pipe_building.append({"pipe": position, "building": entry["building"],
                                  "required_m": entry["required_m"], "actual_m": entry["actual_m"]})
        else:
            under.append({"pipe": position, "building": entry["building"]})
    merged = Pipes(**{key: np.concatenate([p[key] for p in parts]) for key in parts[0]})
    return merged, Conflicts(pipe_pipe, pipe_building, under)


def _pipe_on(pipes: Pipes, network: str, x: float, y: float, *, horizontal: bool) -> int:
    """The main of ``network`` passing through (x, y) on a road line."""
    if horizontal:
        hit = (np.abs(pipes.y0 - y) < 1e-6) & (np.minimum(pipes.x0, pipes.x1) <= x) & (np.maximum(pipes.x0,
                                                                                                  pipes.x1) >= x)
    else:
        hit = (np.abs(pipes.x0 - x) < 1e-6) & (np.minimum(pipes.y0, pipes.y1) <= y) & (np.maximum(pipes.y0,
                                                                                                  pipes.y1) >= y)
    hit &= (pipes.network == network) & (pipes.role == "main")
    found = np.flatnonzero(hit)
    if not len(found):
        msg = f"no {network} main through ({x:.1f}, {y:.1f})"
        raise RuntimeError(msg)
    return int(found[0])


#: Service branches: (kind, network, slot, diameter, what it does at the building).
BRANCH_TYPES = (
    ("pipe_building", "gas", SLOT_M["gas"], 110.0, 0.6),
    ("pipe_building", "water_supply", SLOT_M["water_supply"], 300.0, 1.8),
    ("pipe_building", "sewer", SLOT_M["sewer"], 300.0, 1.2),
    ("pipe_under_building", "power", SLOT_M["power"], 100.0, None),
    ("pipe_under_building", "water_supply", SLOT_M["water_supply"], 150.0, None),
)


def _branches(layout, scenario, buildings, pipes, n_sets, rng):
    """Service branches from a main into operating plots, ending too close to or under the main building."""
    p = layout.plots
    main = np.flatnonzero(buildings.slot == "main")
    per_plot = np.bincount(buildings.parcel, minlength=len(p))
    plot = buildings.parcel[main]
    ok = ((scenario.kind[plot] == K["operating"]) & (p.band[plot] <= BAND_MATURE) & (scenario.underused[plot] == 0)
          & (per_plot[plot] == 1) & scenario.extra["industrial"][plot] & (p.front[plot] != 0))
    candidates = rng.permutation(main[ok])[: n_sets * len(BRANCH_TYPES)]
    g = layout.grid
    out, used = [], set()
    for k, b in enumerate(candidates):  # a handful per 600 plots: the manifest's named cases
        kind, network, slot, diameter, gap = BRANCH_TYPES[k % len(BRANCH_TYPES)]
        q = buildings.parcel[b]
        j = p.row[q] + (1 if p.front[q] == 1 else 0)
        x = (buildings.x0[b] + buildings.x1[b]) / 2
        if p.front[q] == 1:       # the plot is south of road j: side A (south) of that road
            y_main = g.yb[j] - g.ew_width[j] / 2 + slot
            wall, centre = buildings.y1[b], (buildings.y0[b] + buildings.y1[b]) / 2
            y_end = wall + gap if gap is not None else centre
        else:                     # north of road j: side B
            y_main = g.yb[j] + g.ew_width[j] / 2 - slot
            wall, centre = buildings.y0[b], (buildings.y0[b] + buildings.y1[b]) / 2
            y_end = wall - gap if gap is not None else centre
        main_pipe = _pipe_on(pipes, network, x, y_main, horizontal=True)
        pressure = pipes.pressure[main_pipe] if network == "gas" else ""
        pipe = _pipe_part(network, np.array([x]), np.array([y_main]), np.array([x]), np.array([y_end]), diameter,
                          pressure, np.array(["in_service"]), pipes.year[[main_pipe]], "branch")
        entry = {"kind": kind, "pipe": pipe, "building": int(b)}
        if kind == "pipe_building":
            key = {"gas": f"gas_{pressure}", "water_supply": "water_large", "sewer": "sewer"}[network]
            entry.update(required_m=PIPE_BUILDING_REQUIRED_M[key], actual_m=gap)
        out.append(entry)
        used.add((int(j), int(p.col[q])))
    return out, used


#: Extra pipes too close to another network: (road kind, grade, network, side-A slot or None for side B,
#: offset, diameter, pressure, the network it crowds).
EXTRA_TYPES = (
    ("ew", "secondary", "gas", True, 9.0, 200.0, "medium_b", "heat"),
    ("ns", "branch", "water_supply", True, 8.7, 300.0, "", "sewer"),
    ("ew", "arterial", "telecom", False, 1.3, 150.0, "", "power"),
)
EXTRA_END_CLEARANCE_M = 10.0


def _extras(layout, pipes, roads_status, used_segments, n_sets, rng):
    roads = layout.roads
    g = layout.grid
    out = []
    taken = set(used_segments)
    for kind, grade, network, side_a, offset, diameter, pressure, crowded in EXTRA_TYPES:
        made = 0
        ok = ((roads.kind == kind) & (roads.grade == grade) & (roads.band <= BAND_MATURE)
              & np.isin(roads_status, ["completed"]))
        # Keep away from the grid's outer lines and from segments fronting a service branch.
        ok &= (roads.line > 0) & (roads.line < (g.n_rows if kind == "ew" else g.n_cols))
        for s in rng.permutation(np.flatnonzero(ok)):
            if made >= n_sets:
                break
            key = (int(roads.line[s]), int(roads.pos[s]))
            if kind == "ew" and key in taken:
                continue
            taken.add(key)
            line, pos, width = roads.line[s], roads.pos[s], roads.width[s]
            from_a = offset if side_a else width - offset
            other_from_a = (SLOT_M if grade != "branch" else BRANCH_SLOT_M)[crowded]
            other_from_a = other_from_a if side_a else width - other_from_a
            if kind == "ew":
                x0 = g.xb[pos] + g.ns_width[pos] / 2 + EXTRA_END_CLEARANCE_M
                x1 = g.xb[pos + 1] - g.ns_width[pos + 1] / 2 - EXTRA_END_CLEARANCE_M
                y = g.yb[line] - width / 2 + from_a
                xs, ys = np.array([x0]), np.array([y])
                xe, ye = np.array([x1]), np.array([y])
                other = _pipe_on(pipes, crowded, (x0 + x1) / 2, g.yb[line] - width / 2 + other_from_a,
                                 horizontal=True)
            else:
                y0 = g.yb[pos] + g.ew_width[pos] / 2 + EXTRA_END_CLEARANCE_M
                y1 = g.yb[pos + 1] - g.ew_width[pos + 1] / 2 - EXTRA_END_CLEARANCE_M
                x = g.xb[line] - width / 2 + from_a
                xs, ys, xe, ye = np.array([x]), np.array([y0]), np.array([x]), np.array([y1])
                other = _pipe_on(pipes, crowded, g.xb[line] - width / 2 + other_from_a, (y0 + y1) / 2,
                                 horizontal=False)
            pair = tuple(sorted((network, crowded)))
            year = pipes.year[[other]]
            made += 1
            out.append({"kind": "pipe_pipe",
                        "pipe": _pipe_part(network, xs, ys, xe, ye, diameter, pressure, np.array(["in_service"]),
                                           year, "extra"),
                        "other": other, "required_m": PIPE_PIPE_REQUIRED_M[pair],
                        "actual_m": round(float(abs(from_a - other_from_a)), 3)})
    return out


#: Facility capacities by kind: (value, unit).
CAPACITY = {"substation": ((80.0, 100.0, 126.0), "MVA"), "water_plant": ((100_000.0,), "m³/d"),
            "sewage_plant": ((50_000.0, 80_000.0), "m³/d"), "gas_station": ((30_000.0,), "m³/h"),
            "heat_plant": ((150.0, 220.0), "t/h"), "fire_station": ((np.nan,), "")}
FACILITY_NAMES = {"substation": "110kV变电站", "water_plant": "自来水厂", "sewage_plant": "污水处理厂",
                  "gas_station": "天然气调压站", "heat_plant": "热电厂", "fire_station": "消防站"}


def plan_facilities(layout: Layout, scenario: Scenario, rng: np.random.Generator) -> dict:
    """Facilities on utility plots, park gates where arterials meet the west boundary road, a highway exit."""
    p = layout.plots
    g = layout.grid
    rows = np.flatnonzero(scenario.facility_kind != "")
    kind = scenario.facility_kind[rows].astype(str)
    x = (p.x0[rows] + p.x1[rows]) / 2
    y = (p.y0[rows] + p.y1[rows]) / 2
    capacity = np.full(len(rows), np.nan)
    unit = np.full(len(rows), "", dtype=object)
    names = np.full(len(rows), "", dtype=object)
    for k in np.unique(kind):  # a few facility kinds
        here = kind == k
        values, unit[here] = CAPACITY[k]
        capacity[here] = rng.choice(values, here.sum())
        number = (np.arange(here.sum()) + 1).astype(str)
        if k == "substation":
            names[here] = np.char.add(np.char.add(number, "号"), FACILITY_NAMES[k])
        else:
            names[here] = np.where(number == "1", FACILITY_NAMES[k], np.char.add(FACILITY_NAMES[k], number))
    status = np.where(scenario.status[rows] == "planned", "planned", "in_service").astype(object)
    arterials = np.flatnonzero(g.ew_grade == "arterial")
    connector = layout.roads.kind == "connector"
    main_line = layout.roads.line[connector][0]
    gate_names = np.where(arterials == main_line, "西大门",
                          np.char.add(np.char.add("西", (np.arange(len(arterials)) + 1).astype(str)), "号门"))
    return dict(
        kind=np.concatenate([kind.astype(object), np.full(len(arterials), "park_gate", dtype=object),
                             np.array(["highway_exit"], dtype=object)]),
        x=np.concatenate([x, np.full(len(arterials), g.xb[0]), layout.roads.x1[connector]]),
        y=np.concatenate([y, g.yb[arterials], layout.roads.y1[connector]]),
        name=np.concatenate([names, gate_names.astype(object), np.array(["高速公路出口（甬台温高速）"], dtype=object)]),
        capacity=np.concatenate([capacity, np.full(len(arterials) + 1, np.nan)]),
        unit=np.concatenate([unit, np.full(len(arterials) + 1, "", dtype=object)]),
        status=np.concatenate([status, np.full(len(arterials) + 1, "in_service", dtype=object)]),
    )


def pipe_depth_material(pipes: Pipes, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cover depth, material and laying per pipe (by network)."""
    depth = np.empty(len(pipes))
    material = np.empty(len(pipes), dtype=object)
    laying = np.full(len(pipes), "direct_buried", dtype=object)
    for network, (low, high) in DEPTH_M.items():
        rows = pipes.network == network
        depth[rows] = np.round(rng.uniform(low, high, rows.sum()), 2)
        material[rows] = MATERIAL[network]
        laying[rows] = LAYING.get(network, "direct_buried")
    material[(pipes.network == "gas") & (pipes.pressure == "subhigh_b")] = "L245 钢管"
    material[(pipes.network == "sewer") & (pipes.diameter >= 500)] = "钢筋混凝土管"
    return depth, material, laying
