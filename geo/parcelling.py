"""Automatic parcelling of net developable land: road blocks, then plots of target sizes with road frontage.

The land is turned so the expansion area's longest side runs along x (the
orientation of its minimum rotated rectangle). With ``layout="grid"`` new roads
are laid at about ``road_spacing_m`` in both directions (the spacing is evened
out over the land's extent), except where an existing or planned road already runs
alongside (more than ``drop_parallel_share`` of the new road within half a
spacing of a parallel one); ``planned_roads`` lays none. The land minus the new
road corridors falls into blocks.

Each block is cut, all blocks at once, into one or two rows of equal plots along
its long side: per block the combination of rows and target size (30/50/100 亩 …)
whose plots come closest to the target with sensible proportions, the block's
preferred target (targets taken in turn over the blocks, for a mix) first. A
piece without road frontage (a row against farmland) is merged with the piece
across the block, and a piece off its target size with its neighbour in the row,
where the merged plot passes; everything else is a leftover with its reason.

Invariants (checked by the tests): plots are disjoint, lie in the net land, have
at least ``min_frontage_m`` on a road, are within ``area_tolerance`` of a target,
fit ``max_aspect`` and ``min_fill``; plots + leftovers + new road land = net land.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.constraints import DevelopableLand, road_reserve
from geo.crs import require_projected
from geo.records import in_force
from geo.units import M2_PER_MU
from layers.expansion_rules import ExpansionRules, ParcellingRules
from layers.infra_rules import InfraRules

#: Slack (m) for road frontage: plots and road land share edges up to floating-point noise.
SNAP_M = 0.01
#: Road segments within this angle (degrees) of a new road count as running alongside it.
PARALLEL_DEG = 20.0
LEFTOVER_REASONS = ("below_minimum", "no_frontage", "off_target", "proportions")


def _rotate(geoms, angle: float, origin: tuple[float, float]):
    """Geometries turned by ``angle`` radians about ``origin`` (vectorised over coordinates)."""
    c, s = math.cos(angle), math.sin(angle)
    ox, oy = origin

    def turn(xy):
        x, y = xy[:, 0] - ox, xy[:, 1] - oy
        return np.column_stack([ox + c * x - s * y, oy + s * x + c * y])

    return shapely.transform(geoms, turn)


def orientation(area: shapely.Geometry) -> float:
    """Angle (radians) of the longest side of ``area``'s minimum rotated rectangle."""
    rect = shapely.minimum_rotated_rectangle(area)
    xy = shapely.get_coordinates(rect)
    if len(xy) < 4:
        return 0.0
    sides = np.diff(xy[:3], axis=0)
    longest = sides[np.argmax(np.hypot(sides[:, 0], sides[:, 1]))]
    return float(math.atan2(longest[1], longest[0]))


def _polygons(geom) -> np.ndarray:
    parts = shapely.get_parts(shapely.make_valid(np.atleast_1d(geom)))
    parts = parts[np.isin(shapely.get_type_id(parts), (3,))]
    return parts[shapely.area(parts) > 0]


def _segments(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(segment lines, direction in degrees 0–180) of every straight piece of ``lines``."""
    xy, which = shapely.get_coordinates(lines, return_index=True)
    same = which[1:] == which[:-1]
    a, b = xy[:-1][same], xy[1:][same]
    keep = np.hypot(*(b - a).T) > 0
    a, b = a[keep], b[keep]
    segs = shapely.linestrings(np.stack([a, b], axis=1))
    return segs, np.degrees(np.arctan2(b[:, 1] - a[:, 1], b[:, 0] - a[:, 0])) % 180.0


def _grid_lines(net: shapely.Geometry, existing: np.ndarray, p: ParcellingRules, spacing_m: float) -> np.ndarray:
    """New road centrelines (turned frame): evenly spaced lines, less those beside an existing parallel road."""
    minx, miny, maxx, maxy = shapely.bounds(net)
    lines = []
    for low, high, vertical in ((minx, maxx, True), (miny, maxy, False)):
        blocks = max(int(round((high - low) / spacing_m)), 1)
        at = low + np.arange(1, blocks) * (high - low) / blocks
        if vertical:
            lines += [shapely.LineString([(v, miny - 1), (v, maxy + 1)]) for v in at]
        else:
            lines += [shapely.LineString([(minx - 1, v), (maxx + 1, v)]) for v in at]
    lines = np.array(lines, dtype=object)
    if not len(lines):
        return lines
    clipped = shapely.intersection(lines, net)
    length = shapely.length(clipped)
    keep = length > 0
    if len(existing):
        segs, direction = _segments(existing)
        xy = shapely.get_coordinates(lines).reshape(-1, 2, 2)
        line_vertical = np.abs(xy[:, 0, 0] - xy[:, 1, 0]) < 1e-9
        near_v = np.abs(direction - 90.0) <= PARALLEL_DEG
        near_h = (direction <= PARALLEL_DEG) | (direction >= 180.0 - PARALLEL_DEG)
        zones = {
            True: shapely.buffer(shapely.union_all(segs[near_v]), spacing_m / 2.0) if near_v.any() else None,
            False: shapely.buffer(shapely.union_all(segs[near_h]), spacing_m / 2.0) if near_h.any() else None,
        }
        share = np.zeros(len(lines))
        for orient, zone in zones.items():  # two orientations, each tested on all its lines at once
            mine = line_vertical == orient
            if zone is not None and mine.any():
                beside = shapely.length(shapely.intersection(clipped[mine], zone))
                share[mine] = np.where(length[mine] > 0, beside / np.where(length[mine] > 0, length[mine], 1), 0)
        keep &= share <= p.drop_parallel_share
    return lines[keep]


@dataclass(frozen=True)
class Parcelling:
    """Plots, leftovers and new roads of a parcelled expansion area, in the working CRS.

    ``plots``: ``plot_id, block_id, target_mu, area_m2, area_mu, frontage_m,
    aspect, fill``; ``leftovers``: ``reason, area_m2, area_mu``; ``roads``: new road
    centrelines (``road_id, grade, width_m, status, length_m``) inside the net land;
    ``road_land``: their corridors inside the net land; ``blocks``: the blocks.
    """

    plots: gpd.GeoDataFrame
    leftovers: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    road_land: shapely.Geometry
    blocks: gpd.GeoDataFrame
    access: shapely.Geometry
    angle_deg: float
    rules: ParcellingRules

    def summary(self) -> dict:
        """JSON-ready: plot count and areas by target, leftovers by reason, new road length and land."""
        plots, left = self.plots, self.leftovers
        by_target = plots.groupby("target_mu")["area_m2"].agg(["count", "sum"])
        by_reason = left.groupby("reason")["area_m2"].agg(["count", "sum"])
        return {
            "plots": int(len(plots)),
            "plots_m2": round(float(plots["area_m2"].sum()), 2),
            "plots_mu": round(float(plots["area_m2"].sum() / M2_PER_MU), 2),
            "by_target": [{"target_mu": float(t), "plots": int(r["count"]), "mu": round(float(r["sum"]) / M2_PER_MU, 2)}
                          for t, r in by_target.iterrows()],
            "leftovers": int(len(left)),
            "leftovers_mu": round(float(left["area_m2"].sum() / M2_PER_MU), 2),
            "leftovers_by_reason": [{"reason": str(k), "pieces": int(r["count"]), "mu": round(float(r["sum"]) / M2_PER_MU, 2)}
                                    for k, r in by_reason.iterrows()],
            "new_road_km": round(float(self.roads["length_m"].sum() / 1000.0), 3),
            "road_land_mu": round(float(shapely.area(self.road_land) / M2_PER_MU), 2),
            "blocks": int(len(self.blocks)),
            "angle_deg": round(self.angle_deg, 2),
        }

    def planned_parcels(self, *, area_name: str = "拓展区") -> gpd.GeoDataFrame:
        """The plots as a parcels layer frame (status planned), ready to save or export."""
        return gpd.GeoDataFrame({
            "parcel_id": self.plots["plot_id"].to_numpy(),
            "name": self.plots["plot_id"].to_numpy(),
            "area_name": area_name,
            "status": "planned",
            "registered_area_m2": self.plots["area_m2"].round(2).to_numpy(),
        }, geometry=self.plots.geometry.to_numpy(), crs=self.plots.crs)


def _judge(geoms: np.ndarray, access: shapely.Geometry, targets_m2: np.ndarray, p: ParcellingRules) -> pd.DataFrame:
    """Area, frontage, proportions, nearest target and verdict of each piece."""
    area = shapely.area(geoms)
    frontage = shapely.length(shapely.intersection(shapely.boundary(geoms), access)) if len(geoms) else np.array([])
    rect = shapely.minimum_rotated_rectangle(geoms)
    xy = shapely.get_coordinates(rect, return_index=True)
    corners = pd.DataFrame(xy[0]).groupby(xy[1]).head(3).to_numpy().reshape(-1, 3, 2) if len(geoms) else \
        np.zeros((0, 3, 2))
    steps = np.diff(corners, axis=1)
    sides = np.hypot(steps[..., 0], steps[..., 1])  # two sides of each rectangle
    long_side, short_side = sides.max(axis=1, initial=0.0), sides.min(axis=1, initial=np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        aspect = np.where(short_side > 0, long_side / short_side, np.inf)
        fill = np.where(long_side * short_side > 0, area / (long_side * short_side), 0.0)
        error = np.abs(area[:, None] - targets_m2[None, :]) / targets_m2[None, :]
    nearest = error.argmin(axis=1) if len(geoms) else np.array([], dtype=int)
    off = error[np.arange(len(geoms)), nearest] > p.area_tolerance + 1e-12
    single = shapely.get_type_id(geoms) == 3
    reason = np.select(
        [area < p.min_plot_mu * M2_PER_MU, frontage < p.min_frontage_m, off,
         (aspect > p.max_aspect) | (fill < p.min_fill) | ~single],
        list(LEFTOVER_REASONS), default="")
    return pd.DataFrame({"area_m2": area, "frontage_m": frontage, "aspect": aspect, "fill": fill,
                         "target_m2": targets_m2[nearest] if len(geoms) else np.array([]), "reason": reason})


def _side_frontage(blocks: np.ndarray, bounds: np.ndarray, access: shapely.Geometry) -> np.ndarray:
    """Road frontage (m) along each block's four sides: shape (blocks, 4) — south, north, west, east."""
    fronts = shapely.intersection(shapely.boundary(blocks), access)
    band = 1.0 + SNAP_M  # how far from the block's bounding box a side may lie
    minx, miny, maxx, maxy = bounds.T
    strips = (
        (minx, miny - band, maxx, miny + band), (minx, maxy - band, maxx, maxy + band),
        (minx - band, miny, minx + band, maxy), (maxx - band, miny, maxx + band, maxy),
    )
    # Four sides, each for every block at once.
    return np.column_stack([shapely.length(shapely.intersection(fronts, shapely.box(*strip))) for strip in strips])


def _plan(blocks: np.ndarray, targets_m2: np.ndarray, p: ParcellingRules, access: shapely.Geometry) -> pd.DataFrame:
    """Per block: rows (1 or 2) and plots per row for the best target, and the block's frame.

    Plots line up along the pair of opposite sides with the most road frontage (the
    longer pair on a tie); two rows back to back only where both of those sides front a road.
    """
    bounds = shapely.bounds(blocks)
    width, height = bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]
    sides = _side_frontage(blocks, bounds, access)
    along_x, along_y = sides[:, :2].max(axis=1), sides[:, 2:].max(axis=1)
    horizontal = np.where(np.isclose(along_x, along_y), width >= height, along_x > along_y)
    long_, across = np.where(horizontal, width, height), np.where(horizontal, height, width)
    pair = np.where(horizontal[:, None], sides[:, :2], sides[:, 2:])
    two_rows = (pair >= p.min_frontage_m).all(axis=1)
    # Candidates: one or two rows × plots per row rounded down or up, for every target.
    rows = np.array([1.0, 1.0, 2.0, 2.0])
    rounding = np.array([np.floor, np.ceil, np.floor, np.ceil])
    depth = across[:, None, None] / rows[None, :, None]
    exact = long_[:, None, None] * depth / targets_m2[None, None, :]
    count = np.maximum(1.0, np.stack([rounding[i](exact[:, i, :]) for i in range(len(rows))], axis=1))
    side = long_[:, None, None] / count
    error = np.abs(side * depth - targets_m2[None, None, :]) / targets_m2[None, None, :]
    aspect = np.maximum(side, depth) / np.maximum(np.minimum(side, depth), 1e-9)
    feasible = (error <= p.area_tolerance) & (aspect <= p.max_aspect) & (two_rows[:, None, None] | (rows == 1)[
        None, :, None])
    preferred = (np.arange(len(blocks)) % len(targets_m2))[:, None, None] == np.arange(len(targets_m2))[None, None, :]
    key = np.where(feasible, 0.0, 100.0) + np.where(preferred, 0.0, 10.0) + np.minimum(error, 9.0)
    best = key.reshape(len(blocks), -1).argmin(axis=1)
    r_index, t_index = np.divmod(best, len(targets_m2))
    pick = (np.arange(len(blocks)), r_index, t_index)
    return pd.DataFrame({"rows": rows[r_index].astype(int), "count": count[pick].astype(int),
                         "horizontal": horizontal, "long_from": np.where(horizontal, bounds[:, 0], bounds[:, 1]),
                         "long_to": np.where(horizontal, bounds[:, 2], bounds[:, 3]),
                         "across_from": np.where(horizontal, bounds[:, 1], bounds[:, 0]),
                         "across_to": np.where(horizontal, bounds[:, 3], bounds[:, 2])})


def _cut(blocks: np.ndarray, plan: pd.DataFrame) -> pd.DataFrame:
    """Pieces of every block: its boxes (rows × plots, outer ones widened past the block) cut by the block."""
    n = (plan["rows"] * plan["count"]).to_numpy()
    block = np.repeat(np.arange(len(blocks)), n)
    j = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    per_row = plan["count"].to_numpy()[block]
    rows = plan["rows"].to_numpy()[block]
    row, col = j // per_row, j % per_row
    lf, lt = plan["long_from"].to_numpy()[block], plan["long_to"].to_numpy()[block]
    af, at = plan["across_from"].to_numpy()[block], plan["across_to"].to_numpy()[block]
    step_l, step_a = (lt - lf) / per_row, (at - af) / rows
    # Shared edges come from one formula so neighbouring boxes meet exactly; the outer ones reach past the block.
    s0 = np.where(col == 0, lf - 1.0, lf + col * step_l)
    s1 = np.where(col == per_row - 1, lt + 1.0, lf + (col + 1) * step_l)
    t0 = np.where(row == 0, af - 1.0, af + row * step_a)
    t1 = np.where(row == rows - 1, at + 1.0, af + (row + 1) * step_a)
    horizontal = plan["horizontal"].to_numpy()[block]
    boxes = shapely.box(np.where(horizontal, s0, t0), np.where(horizontal, t0, s0),
                        np.where(horizontal, s1, t1), np.where(horizontal, t1, s1))
    cut = shapely.intersection(boxes, blocks[block])
    parts, which = shapely.get_parts(cut, return_index=True)
    polygon = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    parts, which = parts[polygon], which[polygon]
    frame = pd.DataFrame({"block": block[which], "row": row[which], "col": col[which], "rows": rows[which]})
    # A box cut into several parts by a concave block: each part is its own piece (key unique per box).
    frame["parts"] = frame.groupby(["block", "row", "col"])["block"].transform("size")
    frame["geometry"] = parts
    return frame


def _merge(pieces: pd.DataFrame, pairs: pd.DataFrame, access, targets_m2, p) -> pd.DataFrame:
    """Replace each accepted pair (a, b) of piece positions by their union where that union passes."""
    if not len(pairs):
        return pieces
    union = shapely.union(pieces["geometry"].to_numpy()[pairs["a"]], pieces["geometry"].to_numpy()[pairs["b"]])
    verdict = _judge(union, access, targets_m2, p)
    good = (verdict["reason"] == "").to_numpy()
    pairs, union, verdict = pairs[good].reset_index(drop=True), union[good], verdict[good]
    # A piece takes part in one merge at most: the first pair that claims it wins.
    used = pd.concat([pairs["a"], pairs["b"]]).to_numpy()
    claimed = pd.Series(np.concatenate([np.arange(len(pairs)), np.arange(len(pairs))]))
    first = claimed.groupby(used).min()
    ok = (first.reindex(pairs["a"]).to_numpy() == np.arange(len(pairs))) & \
         (first.reindex(pairs["b"]).to_numpy() == np.arange(len(pairs)))
    pairs, union, verdict = pairs[ok], union[ok], verdict.iloc[np.flatnonzero(ok)]
    merged = pieces.iloc[pairs["a"].to_numpy()].copy()
    merged["geometry"] = union
    for column in verdict.columns:
        merged[column] = verdict[column].to_numpy()
    merged["parts"] = 1
    keep = ~np.isin(np.arange(len(pieces)), np.concatenate([pairs["a"], pairs["b"]]))
    return pd.concat([pieces[keep], merged], ignore_index=True)


def parcel_land(land: DevelopableLand, *, roads: gpd.GeoDataFrame, rules: ExpansionRules, infra_rules: InfraRules,
                layout: str | None = None, spacing_m: float | None = None, width_m: float | None = None,
                targets_mu: tuple[float, ...] | None = None, as_of=None, id_prefix: str = "EXP-") -> Parcelling:
    """Cut the net developable land into road blocks and plots of target sizes.

    Parameters
    ----------
    land
        The area's developable land (``geo.constraints.developable_land``).
    roads
        Validated roads layer: existing and planned roads of an access grade border plots
        (their reserve is frontage) and keep new roads from being laid beside them.
    rules, infra_rules
        Expansion rules (``parcelling``, ``constraints``) and infrastructure rules (red-line widths).
    layout, spacing_m, width_m, targets_mu
        Override ``parcelling.layout``, ``road_spacing_m``, ``road_width_m`` and ``targets_mu``.
    """
    require_projected(roads, what="parcelling")
    p = rules.parcelling
    layout = layout or p.layout
    spacing = float(spacing_m or p.road_spacing_m)
    width = float(width_m or p.road_width_m)
    targets_m2 = np.array(sorted(targets_mu or p.targets_mu), dtype=float) * M2_PER_MU
    roads = in_force(roads, as_of=as_of)
    crs = roads.crs
    angle = orientation(land.gross) if not shapely.is_empty(land.gross) else 0.0
    origin = tuple(shapely.get_coordinates(shapely.centroid(land.gross))[0]) if not shapely.is_empty(
        land.gross) else (0.0, 0.0)

    net = _rotate(land.net, -angle, origin)
    reserve_roads = roads[roads["status"].isin(rules.constraints.road_reserve_statuses).to_numpy()]
    access_reserve = _rotate(road_reserve(reserve_roads, rules=rules, infra_rules=infra_rules,
                                          grades=p.access_grades), -angle, origin)
    existing = _rotate(reserve_roads.geometry.to_numpy(), -angle, origin)
    lines = _grid_lines(net, existing, p, spacing) if layout == "grid" and not shapely.is_empty(net) else \
        np.array([], dtype=object)
    corridors = shapely.union_all(shapely.buffer(lines, width / 2.0, cap_style="flat")) if len(lines) else \
        shapely.Polygon()
    road_land = shapely.intersection(corridors, net)
    blocks = _polygons(shapely.difference(net, corridors)) if not shapely.is_empty(net) else np.array([], dtype=object)
    access = shapely.buffer(shapely.union(corridors, access_reserve), SNAP_M)
    shapely.prepare(access)

    if len(blocks):
        pieces = _cut(blocks, _plan(blocks, targets_m2, p, access))
        verdict = _judge(pieces["geometry"].to_numpy(), access, targets_m2, p)
        pieces = pd.concat([pieces, verdict], axis=1)
        pieces = _merge_partners(pieces, access, targets_m2, p)
        pieces = _merge_neighbours(pieces, access, targets_m2, p)
    else:
        pieces = pd.DataFrame({"block": [], "geometry": [], "reason": [], "area_m2": [], "frontage_m": [],
                               "aspect": [], "fill": [], "target_m2": []})

    back = _rotate(pieces["geometry"].to_numpy(), angle, origin) if len(pieces) else np.array([], dtype=object)
    good = (pieces["reason"] == "").to_numpy()
    order = np.lexsort((pieces["col"].to_numpy(), pieces["row"].to_numpy(), pieces["block"].to_numpy())) \
        if len(pieces) else np.array([], dtype=int)
    order = order[good[order]]
    plots = gpd.GeoDataFrame({
        "plot_id": [f"{id_prefix}{i + 1:03d}" for i in range(len(order))],
        "block_id": [f"B{int(b) + 1:03d}" for b in pieces["block"].to_numpy()[order]],
        "target_mu": (pieces["target_m2"].to_numpy()[order] / M2_PER_MU).round(6),
        "area_m2": pieces["area_m2"].to_numpy()[order],
        "area_mu": pieces["area_m2"].to_numpy()[order] / M2_PER_MU,
        "frontage_m": pieces["frontage_m"].to_numpy()[order],
        "aspect": pieces["aspect"].to_numpy()[order],
        "fill": pieces["fill"].to_numpy()[order],
    }, geometry=back[order] if len(order) else [], crs=crs)
    left = ~good
    leftovers = gpd.GeoDataFrame({
        "reason": pieces["reason"].to_numpy()[left].astype(str),
        "area_m2": pieces["area_m2"].to_numpy()[left],
        "area_mu": pieces["area_m2"].to_numpy()[left] / M2_PER_MU,
    }, geometry=back[left] if left.any() else [], crs=crs)
    clipped = shapely.intersection(lines, net) if len(lines) else np.array([], dtype=object)
    built = ~shapely.is_empty(clipped) if len(lines) else np.array([], dtype=bool)
    new_roads = gpd.GeoDataFrame({
        "road_id": [f"{id_prefix}R{i + 1:02d}" for i in range(int(built.sum()))],
        "grade": p.road_grade, "width_m": width, "status": "planned",
        "length_m": shapely.length(clipped[built]) if len(lines) else np.array([]),
    }, geometry=_rotate(clipped[built], angle, origin) if built.any() else [], crs=crs)
    block_frame = gpd.GeoDataFrame({"block_id": [f"B{i + 1:03d}" for i in range(len(blocks))],
                                    "area_m2": shapely.area(blocks)},
                                   geometry=_rotate(blocks, angle, origin) if len(blocks) else [], crs=crs)
    return Parcelling(plots=plots, leftovers=leftovers, roads=new_roads,
                      road_land=_rotate(road_land, angle, origin), blocks=block_frame,
                      access=_rotate(access, angle, origin), angle_deg=math.degrees(angle), rules=p)


def _merge_partners(pieces: pd.DataFrame, access, targets_m2, p) -> pd.DataFrame:
    """Merge a piece without frontage with the piece across the block (two-row blocks, whole boxes only)."""
    whole = (pieces["rows"] == 2) & (pieces["parts"] == 1)
    frame = pieces[whole].reset_index().rename(columns={"index": "position"})
    bottom, top = frame[frame["row"] == 0], frame[frame["row"] == 1]
    pairs = bottom.merge(top, on=["block", "col"], suffixes=("_a", "_b"))
    lacking = (pairs["reason_a"] == "no_frontage") | (pairs["reason_b"] == "no_frontage")
    pairs = pairs[lacking]
    return _merge(pieces, pd.DataFrame({"a": pairs["position_a"].to_numpy(), "b": pairs["position_b"].to_numpy()}),
                  access, targets_m2, p)


def _merge_neighbours(pieces: pd.DataFrame, access, targets_m2, p) -> pd.DataFrame:
    """Merge a piece that fails with its left, else right, neighbour in the row where the union passes."""
    for step in (-1, 1):
        frame = pieces[pieces["parts"] == 1].reset_index().rename(columns={"index": "position"})
        bad = frame[frame["reason"] != ""]
        if not len(bad):
            break
        pairs = bad.assign(col=bad["col"] + step).merge(frame, on=["block", "row", "col"], suffixes=("_a", "_b"))
        # The neighbour must not itself be waiting to merge in this pass (it keeps its own plot then).
        pairs = pairs[pairs["reason_b"] == ""]
        pieces = _merge(pieces, pd.DataFrame({"a": pairs["position_a"].to_numpy(), "b": pairs["position_b"].to_numpy()}),
                        access, targets_m2, p)
    return pieces


__all__ = ["LEFTOVER_REASONS", "Parcelling", "orientation", "parcel_land"]
