"""The demo park's ground plan: a road grid, blocks between the roads, plots in the blocks.

The grid is C columns × R rows of blocks. East–west roads (arterial 40 m every third
line, secondary 30 m otherwise) carry the plots' frontage; north–south roads are
arterial (every fourth line), secondary or branch (20 m). A block is one big plot,
or is cut into two rows (north row fronting the north road, south row the south
road) of several strips; some blocks have a 12 m internal lane between the rows.
A few middle strips are cut again into a front plot and a landlocked back plot
(no road along any side: the manifest's ``no_road_access``).

Columns are grouped into areas from west to east: 一期 (mature), 二期 (building
out, in three maturity bands) and 拓展区 (expansion, towards the coast). Everything
is generated with NumPy arrays; no Python loop runs per block or per plot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyproj import Transformer

from layers.demo.constants import PARK_LAT_DEG, PARK_LON_DEG, ROAD_WIDTH_M, WORKING_EPSG

#: Maturity bands of columns, west to east.
BAND_PHASE1, BAND_MATURE, BAND_MID, BAND_YOUNG, BAND_EXPANSION = range(5)
AREA_OF_BAND = np.array(["一期", "二期", "二期", "二期", "拓展区"])

#: Block interior sizes between red lines (m): east–west width and north–south depth.
BLOCK_WIDTH_M = (260.0, 460.0)
BLOCK_DEPTH_M = (220.0, 320.0)
#: A strip's nominal width (block width ÷ strips) is at least this; with ±10 % jitter
#: the narrowest plot is ≈ 57 m wide.
MIN_STRIP_M = 70.0
STRIP_JITTER = 0.10
#: Target plot size: lognormal around 22 亩 (≈ 14 700 m²).
TARGET_PLOT_M2 = 22 * 2000.0 / 3.0
TARGET_PLOT_SIGMA = 0.5
#: Share of blocks (up to 150 亩) left as one big plot; of split blocks with an internal lane.
SINGLE_SHARE = 0.15
SINGLE_MAX_M2 = 100_000.0
LANE_SHARE = 0.10
#: Standard-factory parcels (big single blocks) and landlocked plots per plot of the park.
SF_RATE, SF_MIN = 0.001, 3
LANDLOCKED_RATE, LANDLOCKED_MIN = 0.002, 3
#: The highway connector leaves the park westwards this far.
CONNECTOR_LENGTH_M = 1500.0

ARTERIAL_NAMES = ("东海大道", "临港大道", "海虹大道", "滨海大道", "港城大道", "椒江大道", "台州湾大道",
                  "海昌大道", "望海大道", "金港大道")


@dataclass
class Grid:
    """Road centrelines and column/row bands of the block grid."""

    xb: np.ndarray          # x of north–south road centrelines (C + 1)
    yb: np.ndarray          # y of east–west road centrelines (R + 1)
    ns_width: np.ndarray
    ew_width: np.ndarray
    ns_grade: np.ndarray
    ew_grade: np.ndarray
    col_band: np.ndarray    # band of each column (C)

    @property
    def n_cols(self) -> int:
        return len(self.xb) - 1

    @property
    def n_rows(self) -> int:
        return len(self.yb) - 1


@dataclass
class Plots:
    """One entry per plot (arrays of equal length)."""

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    block: np.ndarray
    col: np.ndarray
    row: np.ndarray
    part: np.ndarray        # 0 single block, 1 north row, 2 south row
    strip: np.ndarray
    front: np.ndarray       # +1 fronts the road to the north, −1 to the south, 0 none
    landlocked: np.ndarray
    sf: np.ndarray          # standard-factory parcel
    band: np.ndarray
    number: np.ndarray      # plot number within its block (1-based)

    def __len__(self) -> int:
        return len(self.x0)

    @property
    def area_m2(self) -> np.ndarray:
        return (self.x1 - self.x0) * (self.y1 - self.y0)


@dataclass
class Roads:
    """Road centreline segments between intersections, and their corridors (red-line areas)."""

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    kind: np.ndarray        # "ew", "ns", "lane", "connector"
    line: np.ndarray        # index of the grid line (row boundary j, column boundary i, block for lanes)
    pos: np.ndarray         # position along the line (column c or row r)
    width: np.ndarray
    grade: np.ndarray
    band: np.ndarray
    name: np.ndarray
    corridor: np.ndarray    # (n, 4) box of the road land (x0, y0, x1, y1); NaN where none

    def __len__(self) -> int:
        return len(self.x0)


@dataclass
class Layout:
    grid: Grid
    plots: Plots
    roads: Roads
    lane_blocks: np.ndarray


def park_centre_xy() -> tuple[float, float]:
    """The park centre (121.40°E, 28.65°N) in the working CRS."""
    to_working = Transformer.from_crs(4326, WORKING_EPSG, always_xy=True)
    return to_working.transform(PARK_LON_DEG, PARK_LAT_DEG)


def _row_strips(width: np.ndarray, depth: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Strips per block row aimed at the target plot size, and the most the width allows."""
    target = TARGET_PLOT_M2 * rng.lognormal(0.0, TARGET_PLOT_SIGMA, size=width.shape)
    k_max = np.maximum(np.floor(width / MIN_STRIP_M), 1).astype(np.int64)
    k = np.clip(np.rint(width * depth / target), 1, k_max).astype(np.int64)
    return k, k_max


def _expected_plots_per_block(rng: np.random.Generator) -> float:
    width = rng.uniform(*BLOCK_WIDTH_M, 4000)
    depth = rng.uniform(*BLOCK_DEPTH_M, 4000)
    k_a, _ = _row_strips(width, depth / 2, rng)
    k_b, _ = _row_strips(width, depth / 2, rng)
    single = (rng.random(4000) < SINGLE_SHARE) & (width * depth <= SINGLE_MAX_M2)
    return float(np.where(single, 1, k_a + k_b).mean())


def _grid(n_blocks: int, rng: np.random.Generator) -> Grid:
    n_rows = max(2, int(round(np.sqrt(n_blocks / 1.25))))
    n_cols = max(5, int(np.ceil(n_blocks / n_rows)))
    widths = rng.uniform(*BLOCK_WIDTH_M, n_cols)
    depths = rng.uniform(*BLOCK_DEPTH_M, n_rows)
    i = np.arange(n_cols + 1)
    ns_grade = np.where(i % 4 == 0, "arterial", np.where(i % 4 == 2, "secondary", "branch"))
    j = np.arange(n_rows + 1)
    ew_grade = np.where(j % 3 == 0, "arterial", "secondary")
    ns_width = np.select([ns_grade == "arterial", ns_grade == "secondary"],
                         [ROAD_WIDTH_M["arterial"], ROAD_WIDTH_M["secondary"]], ROAD_WIDTH_M["branch"])
    ew_width = np.where(ew_grade == "arterial", ROAD_WIDTH_M["arterial"], ROAD_WIDTH_M["secondary"])
    xb = np.concatenate([[0.0], np.cumsum(ns_width[:-1] / 2 + widths + ns_width[1:] / 2)])
    yb = np.concatenate([[0.0], np.cumsum(ew_width[:-1] / 2 + depths + ew_width[1:] / 2)])
    cx, cy = park_centre_xy()
    xb += cx - xb[-1] / 2
    yb += cy - yb[-1] / 2
    c = np.arange(n_cols)
    c1 = max(1, int(round(0.40 * n_cols)))
    c2 = max(c1 + 1, int(round(0.75 * n_cols)))
    band = np.where(c < c1, BAND_PHASE1, np.where(c >= c2, BAND_EXPANSION,
                                                  BAND_MATURE + (3 * (c - c1)) // max(c2 - c1, 1)))
    return Grid(xb, yb, ns_width.astype(float), ew_width.astype(float), ns_grade, ew_grade, band)


def _choose(mask: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``count`` random positions where ``mask`` is true."""
    candidates = np.flatnonzero(mask)
    return rng.permutation(candidates)[:count]


def plan_layout(n_parcels: int, rng: np.random.Generator) -> Layout:
    """Lay out exactly ``n_parcels`` plots on a road grid.

    Parameters
    ----------
    n_parcels
        Number of plots (road-corridor parcels come in addition).
    rng
        The random stream of the layout.
    """
    if n_parcels < 10:
        msg = f"the demo park needs at least 10 plots, got n_parcels={n_parcels!r}"
        raise ValueError(msg)
    per_block = _expected_plots_per_block(np.random.default_rng(rng.integers(2**63)))
    grid = _grid(int(np.ceil(n_parcels / per_block)), rng)
    n_cols, n_rows = grid.n_cols, grid.n_rows
    # Blocks in column-major order: block b is column b // R, row b % R.
    col = np.repeat(np.arange(n_cols), n_rows)
    row = np.tile(np.arange(n_rows), n_cols)
    bx0 = grid.xb[col] + grid.ns_width[col] / 2
    bx1 = grid.xb[col + 1] - grid.ns_width[col + 1] / 2
    by0 = grid.yb[row] + grid.ew_width[row] / 2
    by1 = grid.yb[row + 1] - grid.ew_width[row + 1] / 2
    width, depth = bx1 - bx0, by1 - by0
    band = grid.col_band[col]
    n_blocks = len(col)

    # Standard-factory parcels: big single blocks, two thirds in 一期, the rest in mature 二期.
    n_sf = max(SF_MIN, int(round(SF_RATE * n_parcels)))
    big = (width * depth >= 60_000) & (row > 0) & (row < n_rows - 1)
    sf_blocks = np.concatenate([
        _choose(big & (band == BAND_PHASE1), n_sf - n_sf // 3, rng),
        _choose(big & (band == BAND_MATURE), n_sf // 3, rng),
    ])
    sf = np.zeros(n_blocks, dtype=bool)
    sf[sf_blocks] = True
    single = sf | (~sf & (rng.random(n_blocks) < SINGLE_SHARE) & (width * depth <= SINGLE_MAX_M2))
    lane = ~single & (rng.random(n_blocks) < LANE_SHARE)
    lane_width = np.where(lane, ROAD_WIDTH_M["internal"], 0.0)
    row_depth = (depth - lane_width) / 2
    k_a, k_max = _row_strips(width, row_depth, rng)
    k_b, _ = _row_strips(width, row_depth, rng)
    k_a[single] = 0
    k_b[single] = 0
    n_landlocked = max(LANDLOCKED_MIN, int(round(LANDLOCKED_RATE * n_parcels)))
    landlocked = np.zeros(n_blocks, dtype=bool)
    landlocked[_choose(~single & ~lane & np.isin(band, (BAND_MATURE, BAND_MID)) & (k_max >= 3),
                       n_landlocked, rng)] = True
    k_a[landlocked] = np.maximum(k_a[landlocked], 3)

    _adjust_counts(n_parcels, single, sf, landlocked, k_a, k_b, k_max, rng)
    plots = _plots(grid, col, row, bx0, bx1, by0, by1, single, sf, lane_width, landlocked, k_a, k_b, rng)
    roads = _roads(grid, np.flatnonzero(lane), bx0, bx1, by0, by1)
    return Layout(grid=grid, plots=plots, roads=roads, lane_blocks=np.flatnonzero(lane))


def _adjust_counts(n_parcels, single, sf, landlocked, k_a, k_b, k_max, rng) -> None:
    """Add or remove strips (in place) until the plots number exactly ``n_parcels``."""
    for _ in range(1000):
        total = int(np.where(single, 1, k_a + k_b).sum() + landlocked.sum())
        diff = n_parcels - total
        if diff == 0:
            return
        # Candidate rows: (block, which row) flattened; row A of a landlocked block keeps ≥ 3 strips.
        k_rows = np.concatenate([k_a, k_b])
        floor = np.concatenate([np.where(landlocked, 3, 1), np.ones_like(k_b)])
        split = np.concatenate([~single, ~single])
        if diff > 0:
            eligible = split & (k_rows < np.concatenate([k_max, k_max]))
            step = 1
        else:
            eligible = split & (k_rows > floor)
            step = -1
        chosen = _choose(eligible, abs(diff), rng)
        if len(chosen) == 0:
            if diff > 0 and (single & ~sf).any():
                # Cut a big single block (never a standard-factory one) into two rows.
                block = _choose(single & ~sf, 1, rng)
                single[block] = False
                k_a[block], k_b[block] = 1, 1
                continue
            msg = f"cannot lay out exactly {n_parcels} plots on this grid (off by {diff})"
            raise RuntimeError(msg)
        n_blocks = len(k_a)
        np.add.at(k_a, chosen[chosen < n_blocks], step)
        np.add.at(k_b, chosen[chosen >= n_blocks] - n_blocks, step)
    msg = f"plot count for {n_parcels} plots did not converge"
    raise RuntimeError(msg)


def _plots(grid, col, row, bx0, bx1, by0, by1, single, sf, lane_width, landlocked, k_a, k_b, rng) -> Plots:
    n_blocks = len(col)
    blocks = np.arange(n_blocks)
    mid = (by0 + by1) / 2
    # Block rows: every split block has a north row (part 1) and a south row (part 2).
    split = np.flatnonzero(~single)
    r_block = np.concatenate([split, split])
    r_part = np.concatenate([np.ones(len(split), int), np.full(len(split), 2)])
    r_k = np.concatenate([k_a[split], k_b[split]])
    r_y0 = np.concatenate([mid[split] + lane_width[split] / 2, by0[split]])
    r_y1 = np.concatenate([by1[split], mid[split] - lane_width[split] / 2])
    k_cap = int(r_k.max()) if len(r_k) else 1
    weights = rng.uniform(1 - STRIP_JITTER, 1 + STRIP_JITTER, (len(r_block), k_cap))
    weights[np.arange(k_cap)[None, :] >= r_k[:, None]] = 0.0
    cuts = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
    row_width = (bx1 - bx0)[r_block]
    right = bx0[r_block][:, None] + cuts * row_width[:, None]
    left = np.concatenate([bx0[r_block][:, None], right[:, :-1]], axis=1)
    which_row, strip = np.nonzero(np.arange(k_cap)[None, :] < r_k[:, None])
    s_x0, s_x1 = left[which_row, strip], right[which_row, strip]
    s_x1[strip == r_k[which_row] - 1] = bx1[r_block][which_row][strip == r_k[which_row] - 1]
    s_block = r_block[which_row]
    s_part = r_part[which_row]
    s_y0, s_y1 = r_y0[which_row], r_y1[which_row]
    s_front = np.where(s_part == 1, 1, -1)
    s_landlocked = np.zeros(len(s_block), dtype=bool)

    # Landlocked: the middle strip of a north row is cut into a front plot and a back plot.
    ll_pos = np.flatnonzero(landlocked[s_block] & (s_part == 1) & (strip == k_a[s_block] // 2))
    split_y = (s_y0[ll_pos] + s_y1[ll_pos]) / 2
    back = dict(x0=s_x0[ll_pos], x1=s_x1[ll_pos], y0=s_y0[ll_pos], y1=split_y, block=s_block[ll_pos],
                part=s_part[ll_pos], strip=strip[ll_pos])
    s_y0 = s_y0.copy()
    s_y0[ll_pos] = split_y

    x0 = np.concatenate([s_x0, back["x0"], bx0[single]])
    x1 = np.concatenate([s_x1, back["x1"], bx1[single]])
    y0 = np.concatenate([s_y0, back["y0"], by0[single]])
    y1 = np.concatenate([s_y1, back["y1"], by1[single]])
    block = np.concatenate([s_block, back["block"], blocks[single]])
    part = np.concatenate([s_part, back["part"], np.zeros(single.sum(), int)])
    strips = np.concatenate([strip, back["strip"], np.zeros(single.sum(), int)])
    front = np.concatenate([s_front, np.zeros(len(ll_pos), int), np.full(single.sum(), -1)])
    is_landlocked = np.concatenate([s_landlocked, np.ones(len(ll_pos), bool), np.zeros(single.sum(), bool)])
    # Plots ordered by block (west to east, south to north), then row, strip, front before back.
    order = np.lexsort((is_landlocked, strips, part, block))
    block = block[order]
    first = np.r_[True, block[1:] != block[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(block)), 0))
    return Plots(
        x0=x0[order], y0=y0[order], x1=x1[order], y1=y1[order], block=block, col=col[block], row=row[block],
        part=part[order], strip=strips[order], front=front[order], landlocked=is_landlocked[order],
        sf=sf[block], band=grid.col_band[col[block]], number=np.arange(len(block)) - start + 1,
    )


def _names(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Names of the east–west and north–south road lines."""
    def line_names(grades: np.ndarray, prefix: str, offset: int) -> np.ndarray:
        numbers = np.arange(len(grades)) + 1
        plain = np.char.add(np.char.add(prefix, numbers.astype(str)), "路")
        arterial = np.flatnonzero(grades == "arterial")
        # Arterials take the avenue names in turn; past the list, a section number is added.
        k = np.arange(len(arterial)) + offset
        base = np.array(ARTERIAL_NAMES)[k % len(ARTERIAL_NAMES)]
        section = np.where(k < len(ARTERIAL_NAMES), "", np.char.add((k // len(ARTERIAL_NAMES) + 1).astype(str), "段"))
        names = plain.astype(object)
        names[arterial] = np.char.add(base, section)
        return names.astype(str)

    return line_names(grid.ew_grade, "纬", 0), line_names(grid.ns_grade, "经", 5)


def _roads(grid: Grid, lane_blocks: np.ndarray, bx0, bx1, by0, by1) -> Roads:
    n_cols, n_rows = grid.n_cols, grid.n_rows
    ew_names, ns_names = _names(grid)
    # East–west segments: line j (0..R), position c (0..C-1).
    j = np.repeat(np.arange(n_rows + 1), n_cols)
    c = np.tile(np.arange(n_cols), n_rows + 1)
    ew = dict(
        x0=grid.xb[c], y0=grid.yb[j], x1=grid.xb[c + 1], y1=grid.yb[j], kind=np.full(len(j), "ew"),
        line=j, pos=c, width=grid.ew_width[j], grade=grid.ew_grade[j], band=grid.col_band[c], name=ew_names[j],
        corridor=np.column_stack([
            grid.xb[c] - np.where(c == 0, grid.ns_width[0] / 2, 0.0), grid.yb[j] - grid.ew_width[j] / 2,
            grid.xb[c + 1] + np.where(c == n_cols - 1, grid.ns_width[-1] / 2, 0.0), grid.yb[j] + grid.ew_width[j] / 2,
        ]),
    )
    # North–south segments: line i (0..C), position r (0..R-1); a line between two columns
    # takes the more mature band of the two.
    i = np.repeat(np.arange(n_cols + 1), n_rows)
    r = np.tile(np.arange(n_rows), n_cols + 1)
    ns_band = np.minimum(grid.col_band[np.maximum(i - 1, 0)], grid.col_band[np.minimum(i, n_cols - 1)])
    ns = dict(
        x0=grid.xb[i], y0=grid.yb[r], x1=grid.xb[i], y1=grid.yb[r + 1], kind=np.full(len(i), "ns"),
        line=i, pos=r, width=grid.ns_width[i], grade=grid.ns_grade[i], band=ns_band, name=ns_names[i],
        corridor=np.column_stack([
            grid.xb[i] - grid.ns_width[i] / 2, grid.yb[r] + grid.ew_width[r] / 2,
            grid.xb[i] + grid.ns_width[i] / 2, grid.yb[r + 1] - grid.ew_width[r + 1] / 2,
        ]),
    )
    # Internal lanes between the rows of a block, from one north–south centreline to the next.
    b = lane_blocks
    b_col, b_row = b // n_rows, b % n_rows
    mid = (by0[b] + by1[b]) / 2
    half = ROAD_WIDTH_M["internal"] / 2
    lane = dict(
        x0=grid.xb[b_col], y0=mid, x1=grid.xb[b_col + 1], y1=mid, kind=np.full(len(b), "lane"),
        line=b, pos=np.zeros(len(b), int), width=np.full(len(b), ROAD_WIDTH_M["internal"]),
        grade=np.full(len(b), "internal"), band=grid.col_band[b_col],
        name=np.char.add(np.char.add(np.char.add((b_col + 1).astype(str), "-"), (b_row + 1).astype(str)),
                         "号地块内部路"),
        corridor=np.column_stack([bx0[b], mid - half, bx1[b], mid + half]),
    )
    # The highway connector leaves the west edge along the main east–west arterial.
    arterials = np.flatnonzero(grid.ew_grade == "arterial")
    main = arterials[np.argmin(np.abs(arterials - n_rows / 2))]
    connector = dict(
        x0=np.array([grid.xb[0]]), y0=np.array([grid.yb[main]]), x1=np.array([grid.xb[0] - CONNECTOR_LENGTH_M]),
        y1=np.array([grid.yb[main]]), kind=np.array(["connector"]), line=np.array([main]), pos=np.array([0]),
        width=np.array([ROAD_WIDTH_M["expressway"]]), grade=np.array(["expressway"]),
        band=np.array([BAND_PHASE1]), name=np.array(["高速连接线"]), corridor=np.full((1, 4), np.nan),
    )
    parts = (ew, ns, lane, connector)
    return Roads(**{key: np.concatenate([p[key] for p in parts]) for key in ew})
