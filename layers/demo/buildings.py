"""Buildings of the demo park, placed inside their plots.

Every building is a rectangle set back at least ``MIN_SETBACK_M`` from its plot's
edges. Built plots get a main factory (or warehouse, office tower, utility
building) at the back, an office and a dormitory at the front where the plot is
large enough; floors are chosen so the FAR (a storey higher than 8 m counting
twice) is 35–70 % above the plot's minimum and the building coefficient 44–58 %.
Plots built too little on purpose (用而未尽) get one low shed; stalled projects one
small building under construction; standard-factory campuses a grid of 3–6 storey
standard factories. All placement is vectorised per *slot* (main, second main,
office, dormitory, …), never per plot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from layers.demo.constants import DOUBLE_COUNT_STOREY_M, MIN_SETBACK_M
from layers.demo.layout import Layout
from layers.demo.scenarios import K, Scenario

#: Extra setback drawn on top of the minimum (m).
EXTRA_SETBACK_M = (0.0, 3.0)
#: Front zone for office and dormitory: 12 m deep buildings and 12 m of fire separation.
FRONT_BUILDING_DEPTH_M, FIRE_GAP_M = 12.0, 12.0
#: A plot wider than this gets two main buildings side by side, 15 m apart.
TWIN_MAIN_MIN_WIDTH_M, TWIN_GAP_M = 150.0, 15.0
#: Standard factory module (m) and fire separation between modules (GB 50016: ≥ 10 m for 丙类 multi-storey).
SF_MODULE_M, SF_GAP_M, SF_SETBACK_M = (60.0, 24.0), 12.0, 8.0
#: Storey heights (m): tall ground floors count twice in the FAR; nothing sits near 8 m.
TALL_GROUND_M = (8.5, 9.0)
LOW_GROUND_M = (6.0, 7.2)
UPPER_M = (4.5, 5.0, 5.5)
SHED_M = (9.0, 10.0, 12.0)
#: The FAR is built this far above the minimum; the coefficient within this range.
FAR_MARGIN = (1.35, 1.7)
COEF_RANGE = (0.44, 0.58)


@dataclass
class Buildings:
    parcel: np.ndarray      # plot position
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    use: np.ndarray
    name: np.ndarray
    floors: np.ndarray
    ground_m: np.ndarray
    upper_m: np.ndarray
    status: np.ndarray
    floor_load: np.ndarray
    clear_height: np.ndarray
    slot: np.ndarray        # main, main2, office, dorm, small, sf

    def __len__(self) -> int:
        return len(self.parcel)

    @property
    def footprint_m2(self) -> np.ndarray:
        return (self.x1 - self.x0) * (self.y1 - self.y0)

    @property
    def far_storeys(self) -> np.ndarray:
        """Storeys counted in the FAR: each storey once, a storey higher than 8 m twice."""
        return (self.floors + (self.ground_m > DOUBLE_COUNT_STOREY_M)
                + (self.upper_m > DOUBLE_COUNT_STOREY_M) * (self.floors - 1))

    @property
    def height_m(self) -> np.ndarray:
        return self.ground_m + self.upper_m * (self.floors - 1)


def heights_text(floors: np.ndarray, ground_m: np.ndarray, upper_m: np.ndarray) -> np.ndarray:
    """'8.5,5,5'-style storey heights; built once per distinct (floors, ground, upper)."""
    keys = np.column_stack([floors, ground_m * 10, upper_m * 10]).astype(np.int64)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    texts = np.array([",".join([f"{g / 10:g}"] + [f"{u / 10:g}"] * (f - 1)) for f, g, u in unique], dtype=object)
    return texts[inverse.ravel()]


def shared_text(values, shape) -> np.ndarray:
    """An object array of ``values`` (broadcast to ``shape``) holding one Python string per distinct value.

    Converting a NumPy string array with ``astype(object)`` makes a new string per element;
    a million buildings with a dozen distinct uses would hold a million copies.
    """
    arr = np.broadcast_to(np.asarray(values), shape)
    distinct, inverse = np.unique(arr, return_inverse=True)
    return distinct.astype(object)[inverse.reshape(shape)]


def _to_global(layout: Layout, rows, u0, u1, v0, v1):
    """Plot-local rectangles (u along the frontage, v depth from the front edge) to map coordinates."""
    p = layout.plots
    x0, x1 = p.x0[rows] + u0, p.x0[rows] + u1
    north = p.front[rows] == 1
    y0 = np.where(north, p.y1[rows] - v1, p.y0[rows] + v0)
    y1 = np.where(north, p.y1[rows] - v0, p.y0[rows] + v1)
    return x0, y0, x1, y1


def plan_buildings(layout: Layout, scenario: Scenario, rng: np.random.Generator) -> Buildings:
    """All buildings of the park (plot positions, rectangles, storeys, uses, statuses)."""
    p = layout.plots
    n = len(p)
    width, depth = p.x1 - p.x0, p.y1 - p.y0
    area = width * depth
    s = MIN_SETBACK_M + rng.uniform(*EXTRA_SETBACK_M, n)
    kind = scenario.kind
    extra = scenario.extra
    industrial, logistics, commercial = extra["industrial"], extra["logistics"], extra["commercial"]
    utility = kind == K["utility"]
    built = np.isin(kind, [K["operating"], K["completed"], K["utility"]])
    full = built & (scenario.underused == 0)
    small = np.isin(kind, [K["stalled"]]) | extra["exempt_stalled"] | ((kind == K["started"])
                                                                       & (scenario.started_variant == 1))
    growing = (kind == K["started"]) & (scenario.started_variant != 1)
    low = built & (scenario.underused > 0)

    # Front zone: an office (and a dormitory on big plots) on plots of full industrial/logistics use.
    frontable = (full | growing) & (industrial | logistics) & (width >= 80) & (area >= 10_000)
    office = frontable & (rng.random(n) < 0.7)
    dorm = office & industrial & (area >= 26_667) & (width >= 140)
    front_zone = np.where(office, FRONT_BUILDING_DEPTH_M + FIRE_GAP_M, 0.0)
    avail_w = width - 2 * s
    avail_d = depth - 2 * s - front_zone
    office_w = np.minimum(40.0, 0.4 * avail_w)
    dorm_w = np.minimum(36.0, 0.3 * avail_w)
    fp_office = np.where(office, office_w * FRONT_BUILDING_DEPTH_M, 0.0)
    fp_dorm = np.where(dorm, dorm_w * FRONT_BUILDING_DEPTH_M, 0.0)

    coef = np.select([commercial, utility], [rng.uniform(0.35, 0.45, n), rng.uniform(0.42, 0.5, n)],
                     rng.uniform(*COEF_RANGE, n))
    coef = np.select([scenario.underused == 1, scenario.underused == 2],
                     [rng.uniform(0.12, 0.20, n), rng.uniform(0.44, 0.50, n)], coef)
    coef = np.where(small, rng.uniform(0.05, 0.10, n), coef)
    main_fp = np.maximum(coef * area - fp_office - fp_dorm, 200.0)
    twin = (full | growing) & (avail_w > TWIN_MAIN_MIN_WIDTH_M)
    main_w = np.where(low | small, np.minimum(avail_w, 60.0), np.where(twin, (avail_w - TWIN_GAP_M) / 2, avail_w))
    main_d = np.minimum(main_fp / np.where(twin, 2 * main_w, main_w), avail_d)

    # Storeys: enough FAR-counted storeys to reach the target FAR over the minimum.
    far_req = np.where(np.isnan(scenario.far_min), 0.6, scenario.far_min)
    target_far = far_req * rng.uniform(*FAR_MARGIN, n)
    office_floors = rng.integers(3, 6, n)
    dorm_floors = rng.integers(4, 7, n)
    other_far = (fp_office * office_floors + fp_dorm * dorm_floors) / area
    main_total_fp = main_w * main_d * np.where(twin, 2, 1)
    needed = np.maximum((target_far - other_far) * area / main_total_fp, 1.0)
    shed_share = np.where(logistics | (np.char.endswith(scenario.land_use.astype(str), "3")), 0.45, 0.15)
    shed = (rng.random(n) < shed_share) & (needed <= 2.0) & ~commercial & ~utility
    tall = rng.random(n) < 0.6
    ground = np.where(tall, rng.choice(TALL_GROUND_M, n), rng.choice(LOW_GROUND_M, n))
    upper = rng.choice(UPPER_M, n)
    floors = np.clip(np.ceil(needed - tall), 2, 6).astype(int)
    ground = np.where(shed, rng.choice(SHED_M, n), ground)
    floors = np.where(shed, 1, floors)
    # Office towers on commercial land; utility buildings one or two low storeys.
    floors = np.where(commercial, np.clip(np.ceil(needed), 4, 16), floors).astype(int)
    ground = np.where(commercial, 5.1, ground)
    upper = np.where(commercial, 3.9, upper)
    floors = np.where(utility, rng.integers(1, 3, n), floors)
    ground = np.where(utility, rng.choice((5.5, 6.0, 7.0), n), ground)
    upper = np.where(utility, 4.5, upper)
    # Deliberately low and stalled buildings: one storey of 6–6.5 m (counted once).
    floors = np.where(low | small, 1, floors)
    ground = np.where(low, 6.5, np.where(small, 6.0, ground))

    main_use = np.select([commercial, utility, logistics], ["office", "utility", "warehouse"], "factory")
    main_load = np.select([commercial, utility, logistics | shed], [2.5, 10.0, 30.0],
                          rng.choice((10.0, 15.0, 20.0), n))
    parts = []

    def add(rows, u0, u1, v0, v1, use, name, fl, gm, um, status, load, slot):
        x0, y0, x1, y1 = _to_global(layout, rows, u0, u1, v0, v1)
        parts.append(dict(
            parcel=rows, x0=x0, y0=y0, x1=x1, y1=y1, use=shared_text(use, rows.shape),
            name=shared_text(name, rows.shape), floors=np.broadcast_to(fl, rows.shape),
            ground_m=np.broadcast_to(gm, rows.shape), upper_m=np.broadcast_to(um, rows.shape),
            status=shared_text(status, rows.shape),
            floor_load=np.broadcast_to(load, rows.shape), slot=np.full(rows.shape, slot, dtype=object)))

    # Main building(s) at the back of the plot.
    rows = np.flatnonzero(full | growing | low | small)
    centred = low | small
    u0 = np.where(centred, (width - main_w) / 2, s)[rows]
    v1 = (depth - s)[rows]
    v0 = v1 - main_d[rows]
    status = np.where(growing | small, "under_construction", "completed")[rows]
    main_name = np.select([commercial, utility, logistics], ["商务楼", "综合楼", "1号仓库"], "1号厂房")
    add(rows, u0, u0 + main_w[rows], v0, v1, main_use[rows], main_name[rows], floors[rows], ground[rows],
        upper[rows], status, main_load[rows], "main")
    rows = np.flatnonzero(twin)
    u0 = s[rows] + main_w[rows] + TWIN_GAP_M
    second_use = np.where(commercial | utility, main_use, "warehouse")[rows]
    second_name = np.select([commercial, utility, logistics], ["商务楼2", "配套楼", "2号仓库"], "2号厂房")[rows]
    add(rows, u0, u0 + main_w[rows], (depth - s - main_d)[rows], (depth - s)[rows], second_use, second_name,
        floors[rows], ground[rows], upper[rows], np.where(growing, "under_construction", "completed")[rows],
        main_load[rows], "main2")
    # Office and dormitory in the front zone.
    rows = np.flatnonzero(office)
    add(rows, s[rows], s[rows] + office_w[rows], s[rows], s[rows] + FRONT_BUILDING_DEPTH_M, "office", "办公楼",
        office_floors[rows], 4.5, 3.9, np.where(growing, "under_construction", "completed")[rows], 2.5, "office")
    rows = np.flatnonzero(dorm)
    u1 = width[rows] - s[rows]
    add(rows, u1 - dorm_w[rows], u1, s[rows], s[rows] + FRONT_BUILDING_DEPTH_M, "dormitory", "宿舍楼",
        dorm_floors[rows], 3.3, 3.3, np.where(growing, "under_construction", "completed")[rows], 2.0, "dorm")
    _standard_factories(layout, scenario, rng, add)

    out = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    order = np.lexsort((np.concatenate([np.arange(len(part["parcel"])) for part in parts]),
                        np.concatenate([np.full(len(part["parcel"]), i) for i, part in enumerate(parts)]),
                        out["parcel"]))
    out = {key: value[order] for key, value in out.items()}
    clear = np.where(out["floors"] == 1, out["ground_m"] - 1.5, out["ground_m"] - 1.0)
    clear = np.where(np.isin(out["use"], ["office", "dormitory"]), np.nan, clear)
    return Buildings(clear_height=clear, **out)


def _standard_factories(layout: Layout, scenario: Scenario, rng: np.random.Generator, add) -> None:
    """A grid of identical standard factories on every standard-factory campus."""
    p = layout.plots
    rows = np.flatnonzero(scenario.kind == K["sf"])
    if not len(rows):
        return
    w, d = SF_MODULE_M
    width, depth = (p.x1 - p.x0)[rows] - 2 * SF_SETBACK_M, (p.y1 - p.y0)[rows] - 2 * SF_SETBACK_M
    n_u = np.floor((width + SF_GAP_M) / (w + SF_GAP_M)).astype(int)
    n_v = np.floor((depth + SF_GAP_M) / (d + SF_GAP_M)).astype(int)
    count = n_u * n_v
    plot = np.repeat(rows, count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    nu = np.repeat(n_u, count)
    iu, iv = k % nu, k // nu
    # Centre the grid in the campus.
    pad_u = np.repeat((width - (n_u * (w + SF_GAP_M) - SF_GAP_M)) / 2, count)
    pad_v = np.repeat((depth - (n_v * (d + SF_GAP_M) - SF_GAP_M)) / 2, count)
    u0 = SF_SETBACK_M + pad_u + iu * (w + SF_GAP_M)
    v0 = SF_SETBACK_M + pad_v + iv * (d + SF_GAP_M)
    m = len(plot)
    tall = rng.random(m) < 0.7
    ground = np.where(tall, 8.5, 7.2)
    floors = rng.integers(3, 7, m)
    names = np.char.add((k + 1).astype(str), "号标准厂房")
    add(plot, u0, u0 + w, v0, v0 + d, "standard_factory", names, floors, ground, rng.choice(UPPER_M, m),
        "completed", 30.0, "sf")
