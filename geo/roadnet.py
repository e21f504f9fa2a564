"""Roads: which roads border a parcel, and network distance along roads.

A road *borders* a parcel when at least ``min_frontage_m`` of the parcel's
boundary lies in the road's widened corridor: the centreline buffered by half the
red-line width plus ``frontage_tolerance_m``, with flat ends, so that a road which
ends across the street (a T-junction) or only grazes a corner does not count.

The road network is a :mod:`networkx` graph noded wherever two road centrelines
meet or cross, weighted by length along the centrelines. Network distance runs
from a parcel's access points (the points of each bordering graph road nearest
the parcel) to the nearest facility of a kind (park gates, highway exits,
substations, the sewage plant), each facility attached at the nearest point of
the graph. One Dijkstra run per kind serves every parcel (multi-source, through
one added source node), so nothing is routed per parcel or per request.
Distances are measured along centrelines; the short legs from the parcel or
facility to the centreline are not added.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_projected
from geo.nearby import EPS_M, box_pairs, clip_uv, near_pairs, run_blocks, run_positions, segments
from geo.threads import in_threads
from layers.infra_rules import InfraRules

#: Parcel boundary segments clipped at once, with their pieces (some tens of MB of arrays).
_SEGMENTS_PER_BLOCK = 400_000
#: (Centreline piece, pipe segment) pairs clipped at once (likewise).
_PAIRS_PER_BLOCK = 500_000
#: Parcels paired with the centreline pieces at once: their query boxes, candidate pairs and boundary segments
#: take some hundred MB (for all of 10⁶ parcels at once, about a GB).
_PARCELS_PER_BLOCK = 100_000


def road_widths_m(roads: pd.DataFrame, *, rules: InfraRules) -> pd.Series:
    """Red-line width of each road: ``width_m``, else the configured default for its grade."""
    defaults = rules.roads.default_width_m
    fallback = roads["grade"].map(dict(defaults)).astype("float64").fillna(defaults["unknown"])
    return roads["width_m"].astype("float64").fillna(fallback).rename("width_m")


def single_lines(roads: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The single-part, non-empty centrelines of ``roads`` and the position of each one's road."""
    lines, line_road = shapely.get_parts(roads.geometry.to_numpy(), return_index=True)
    keep = ~shapely.is_empty(lines) & (shapely.length(lines) > 0)
    return lines[keep], line_road[keep]


@dataclass(frozen=True)
class Frontage:
    """Which road centrelines border which parcels, computed once for readiness and routing.

    ``lines``/``line_road`` are the roads' single-part centrelines and the position
    of each one's road; every other array has one entry per bordering pair:
    positions into the parcels and into ``lines``, the boundary length in the
    road's corridor, the distance to the centreline, and where along the
    centreline that boundary stretch lies (``start_m`` … ``end_m``).
    """

    lines: np.ndarray
    line_road: np.ndarray
    parcel: np.ndarray
    line: np.ndarray
    frontage_m: np.ndarray
    distance_m: np.ndarray
    start_m: np.ndarray
    end_m: np.ndarray


def centreline_pieces(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The straight pieces of single-part ``lines`` of non-zero length, each with its frame.

    Returns start and end xy (n × 2), the position of each piece's line, its length and
    its unit direction (n × 2).
    """
    origin, end, piece_line = segments(lines)
    length = np.hypot(*(end - origin).T)
    solid = length > 0
    origin, end, piece_line, length = origin[solid], end[solid], piece_line[solid], length[solid]
    return origin, end, piece_line, length, (end - origin) / length[:, None]


def _in_frame(xy: np.ndarray, origin: np.ndarray, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points ``xy`` in the frames of pieces (row by row): along the piece and across it (its direction turned a
    quarter to the left)."""
    x, y = xy[:, 0] - origin[:, 0], xy[:, 1] - origin[:, 1]
    dx, dy = direction[:, 0], direction[:, 1]
    return x * dx + y * dy, x * -dy + y * dx


@dataclass(frozen=True)
class LineSegments:
    """The straight segments of some lines (:func:`geo.nearby.segments`) and an STRtree of them: made once for
    several calls of :func:`parts_in_roads` on parts of a road network."""

    start: np.ndarray
    end: np.ndarray
    of_geom: np.ndarray
    tree: shapely.STRtree

    @classmethod
    def of(cls, geoms: np.ndarray) -> LineSegments:
        start, end, of_geom = segments(geoms)
        return cls(start, end, of_geom, shapely.STRtree(shapely.linestrings(np.stack([start, end], axis=1))))


def parts_in_roads(lines: np.ndarray, half_width_m: np.ndarray, geoms: np.ndarray | LineSegments
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The parts of the lines ``geoms`` (pipes) that lie in roads: between the red lines of a centreline.

    A part lies in a road where it is within ``half_width_m`` (one value per line of
    ``lines``) of a straight piece of the road's centreline, across it and not beyond
    its ends: each piece's flat-ended rectangle, as :func:`frontage` clips parcel
    boundaries, widened by :data:`geo.nearby.EPS_M` so that a pipe on the red line is in.
    ``geoms`` may be given as their :class:`LineSegments` (a caller going through the roads
    in blocks makes them once).

    Returns
    -------
    tuple
        The parts as start and end points (n × 2 × 2: one straight part per pipe segment
        and road piece it crosses; kept as coordinates, as a park holds millions of them),
        the position into ``lines`` of the centreline each lies along, and the position
        into ``geoms`` of the pipe it comes from.
    """
    origin, end, piece_line, length, direction = centreline_pieces(lines)
    pipe_segments = geoms if isinstance(geoms, LineSegments) else LineSegments.of(geoms)
    start_xy, end_xy, of_geom = pipe_segments.start, pipe_segments.end, pipe_segments.of_geom
    pieces = shapely.linestrings(np.stack([origin, end], axis=1))
    half = half_width_m[piece_line]
    all_pieces, all_segs = box_pairs(pieces, pipe_segments.tree.geometries, half, tree=pipe_segments.tree)
    found = []
    # In blocks of candidate pairs, so that the per-pair arrays stay small (at 10⁶ parcels, about a GB at once).
    for block in range(0, max(len(all_pieces), 1), _PAIRS_PER_BLOCK):
        piece, seg = all_pieces[block:block + _PAIRS_PER_BLOCK], all_segs[block:block + _PAIRS_PER_BLOCK]
        piece_origin, piece_direction = origin[piece], direction[piece]
        a_u, a_v = _in_frame(start_xy[seg], piece_origin, piece_direction)
        b_u, b_v = _in_frame(end_xy[seg], piece_origin, piece_direction)
        t0, t1 = clip_uv(a_u, a_v, b_u, b_v, length[piece], half[piece])
        inside = t1 >= t0  # a pipe touching the red line at one point lies in the road there
        piece, seg, t0, t1 = piece[inside], seg[inside], t0[inside, None], t1[inside, None]
        a, b = start_xy[seg], end_xy[seg]
        found.append((np.stack([a + t0 * (b - a), a + t1 * (b - a)], axis=1), piece_line[piece], of_geom[seg]))
    if len(found) == 1:
        return found[0]
    return tuple(np.concatenate(arrays) for arrays in zip(*found))


def frontage(parcels: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, *, rules: InfraRules) -> Frontage:
    """The bordering (parcel, road centreline) pairs of a park; see :func:`road_frontage`.

    Each straight piece of a centreline has a rectangular corridor (flat ends);
    the parcel's boundary is clipped to it in the piece's own frame, so the
    length inside and the stretch along the centreline come out together. A
    line's frontage is the sum over its pieces: at a bend, boundary inside two
    pieces' rectangles counts twice (for a straight road this is exactly the
    flat-ended buffer of DOMAIN.md §8.6's heuristic).
    """
    require_projected(parcels, what="road frontage")
    require_projected(roads, what="road frontage")
    lines, line_road = single_lines(roads)
    reach = road_widths_m(roads, rules=rules).to_numpy()[line_road] / 2.0 + rules.roads.frontage_tolerance_m
    # Straight pieces of the centrelines, each with its frame: origin, direction, length, offset along its line.
    origin, end, piece_line, length, direction = centreline_pieces(lines)
    offset = pd.Series(length).groupby(piece_line).cumsum().to_numpy() - length
    geoms = parcels.geometry.to_numpy()
    piece_geoms = shapely.linestrings(np.stack([origin, end], axis=1))
    tree = shapely.STRtree(piece_geoms)
    pieces = dict(origin=origin, direction=direction, length=length, offset=offset, piece_line=piece_line,
                  reach=reach)
    n_lines = max(len(lines), 1)
    # In blocks of parcels, and within them of boundary segments (at 10⁶ parcels the arrays of all at once would
    # take several GB): each block's pairs are the same, in the same order, as those of all parcels at once.
    # The blocks share only read-only arrays (and the STRtree, which GEOS queries from any thread).
    blocks = [frame for block in in_threads(
        lambda start: _block_frontage(geoms[start:start + _PARCELS_PER_BLOCK], start, tree, piece_geoms, pieces,
                                      n_lines, rules.roads.min_frontage_m),
        range(0, len(geoms), _PARCELS_PER_BLOCK)) for frame in block]
    if not blocks:
        blocks = _block_frontage(geoms[:0], 0, tree, piece_geoms, pieces, n_lines, rules.roads.min_frontage_m,
                                 at_least_one=True)
    grouped = pd.concat(blocks) if len(blocks) > 1 else blocks[0]
    key = grouped.index.to_numpy(dtype=np.int64)
    return Frontage(lines, line_road, (key // n_lines).astype(np.intp), (key % n_lines).astype(np.intp),
                    grouped["frontage_m"].to_numpy(), grouped["distance_m"].to_numpy(),
                    grouped["start_m"].to_numpy(), grouped["end_m"].to_numpy())


def _block_frontage(geoms: np.ndarray, first_parcel: int, tree: shapely.STRtree, piece_geoms: np.ndarray,
                    pieces: dict[str, np.ndarray], n_lines: int, min_frontage_m: float, *,
                    at_least_one: bool = False) -> list[pd.DataFrame]:
    """:func:`_per_line` of the parcels ``geoms`` (positions from ``first_parcel`` on) and the centreline pieces
    within their reach, one frame per block of boundary segments (``at_least_one``: an empty one when no pair).

    ``tree``: the STRtree of ``piece_geoms``; ``pieces``: their frames (see :func:`_clipped_boundary`).
    """
    reach, piece_line = pieces["reach"], pieces["piece_line"]
    parcel, piece, distance = near_pairs(geoms, piece_geoms, reach.max(initial=0.0), tree=tree)
    near = distance <= reach[piece_line[piece]] + EPS_M
    parcel, piece, distance = parcel[near], piece[near], distance[near]

    # Every boundary segment of each paired parcel, in the piece's frame; in blocks of pairs, so that the
    # per-segment arrays stay small. A block never splits a parcel's pairs, so each (parcel, line) is summed
    # within one block, over the same segments in the same order as over all of them at once, and only the
    # grouped pairs are kept.
    if len(parcel) > 1 and (np.diff(parcel) < 0).any():
        by_parcel = np.argsort(parcel, kind="stable")  # keeps each parcel's pairs in their order
        parcel, piece, distance = parcel[by_parcel], piece[by_parcel], distance[by_parcel]
    seg_start, seg_end, seg_parcel = segments(geoms)
    first = np.searchsorted(seg_parcel, np.arange(len(geoms)))
    n_segments = np.bincount(seg_parcel, minlength=len(geoms))
    blocks = []
    for a, b in run_blocks(parcel, n_segments[parcel], _SEGMENTS_PER_BLOCK) or ([(0, 0)] if at_least_one else []):
        block_parcel, block_piece = parcel[a:b], piece[a:b]
        count = n_segments[block_parcel]
        pair = np.repeat(np.arange(len(block_parcel)), count)
        seg = run_positions(first[block_parcel], count)
        per_seg = _clipped_boundary(seg_start[seg], seg_end[seg], block_parcel[pair] + first_parcel,
                                    block_piece[pair], **pieces)
        del pair, seg
        blocks.append(_per_line(per_seg, block_parcel + first_parcel, piece_line[block_piece], distance[a:b],
                                n_lines, min_frontage_m))
    return blocks


def _per_line(per_seg: dict[str, np.ndarray], parcel: np.ndarray, line: np.ndarray, distance: np.ndarray,
              n_lines: int, min_frontage_m: float) -> pd.DataFrame:
    """Per (parcel, line) pair: the frontage, the stretch along the line and the nearest distance, where the
    frontage reaches ``min_frontage_m``; indexed by ``parcel × n_lines + line``, sorted.

    ``per_seg``: :func:`_clipped_boundary` of every paired piece of these parcels; ``parcel``, ``line``,
    ``distance``: each (parcel, piece) pair's parcel, the piece's line, and their distance.
    """
    per_seg = pd.DataFrame(per_seg)
    # Pieces of one line add up. One integer key per (parcel, line) groups faster than the two columns, in the
    # same sorted order.
    grouped = per_seg.groupby(per_seg["parcel"].to_numpy(dtype=np.int64) * n_lines
                              + per_seg["line"].to_numpy(dtype=np.int64), sort=True).agg(
        frontage_m=("frontage_m", "sum"), start_m=("start_m", "min"), end_m=("end_m", "max"))
    closest = pd.Series(distance).groupby(parcel.astype(np.int64) * n_lines + line).min()
    grouped["distance_m"] = closest.reindex(grouped.index).to_numpy()
    return grouped[grouped["frontage_m"] >= min_frontage_m - EPS_M]


def _clipped_boundary(seg_start: np.ndarray, seg_end: np.ndarray, parcel: np.ndarray, piece: np.ndarray, *,
                      origin: np.ndarray, direction: np.ndarray, length: np.ndarray, offset: np.ndarray,
                      piece_line: np.ndarray, reach: np.ndarray) -> dict[str, np.ndarray]:
    """The part of each parcel boundary segment inside its paired piece's corridor (rows with a part only).

    Returns ``parcel``, ``line``, ``frontage_m`` (length inside) and ``start_m``/``end_m`` (where
    along the line the part lies), one entry per segment with a part inside.
    """
    piece_origin, piece_direction = origin[piece], direction[piece]
    a_u, a_v = _in_frame(seg_start, piece_origin, piece_direction)
    b_u, b_v = _in_frame(seg_end, piece_origin, piece_direction)
    piece_length = length[piece]
    t0, t1 = clip_uv(a_u, a_v, b_u, b_v, piece_length, reach[piece_line[piece]])
    inside = t1 > t0
    a_u, a_v, b_u, b_v, t0, t1 = a_u[inside], a_v[inside], b_u[inside], b_v[inside], t0[inside], t1[inside]
    piece, piece_length = piece[inside], piece_length[inside]
    u0 = a_u + t0 * (b_u - a_u)
    u1 = a_u + t1 * (b_u - a_u)
    return {"parcel": parcel[inside], "line": piece_line[piece],
            "frontage_m": (t1 - t0) * np.hypot(b_u - a_u, b_v - a_v),
            "start_m": offset[piece] + np.clip(np.minimum(u0, u1), 0.0, piece_length),
            "end_m": offset[piece] + np.clip(np.maximum(u0, u1), 0.0, piece_length)}


def road_frontage(parcels: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, *, rules: InfraRules,
                  fronting: Frontage | None = None) -> pd.DataFrame:
    """Every (parcel, road) pair where the road borders the parcel.

    Parameters
    ----------
    parcels, roads
        Validated layers in the park's working CRS.
    rules
        Infrastructure rules (``roads.frontage_tolerance_m``, ``roads.min_frontage_m``,
        ``roads.default_width_m``).
    fronting
        :func:`frontage` of the same layers, if already computed.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``parcel`` and ``road`` (index labels of the inputs),
        ``parcel_id``, ``road_id``, ``frontage_m`` (boundary length in the road's
        corridor), ``distance_m`` (parcel to centreline), ``width_m`` and the road's ``status``.
    """
    fronting = fronting if fronting is not None else frontage(parcels, roads, rules=rules)
    pairs = pd.DataFrame({"parcel": fronting.parcel, "road": fronting.line_road[fronting.line],
                          "frontage_m": fronting.frontage_m, "distance_m": fronting.distance_m})
    # A multi-part road borders a parcel once: its parts' frontages add up.
    pairs = pairs.groupby(["parcel", "road"], sort=True).agg(frontage_m=("frontage_m", "sum"),
                                                             distance_m=("distance_m", "min")).reset_index()
    parcel, road = pairs["parcel"].to_numpy(), pairs["road"].to_numpy()
    return pd.DataFrame({
        "parcel": parcels.index.to_numpy()[parcel],
        "road": roads.index.to_numpy()[road],
        "parcel_id": parcels["parcel_id"].to_numpy()[parcel],
        "road_id": roads["road_id"].to_numpy()[road],
        "frontage_m": pairs["frontage_m"].to_numpy(),
        "distance_m": pairs["distance_m"].to_numpy(),
        "width_m": road_widths_m(roads, rules=rules).to_numpy()[road],
        "status": roads["status"].to_numpy()[road],
    })


@dataclass(frozen=True)
class RoadGraph:
    """A road network noded at intersections.

    ``graph`` has integer nodes ``0 … n-1`` at ``node_xy`` and edges weighted by
    centreline length (``weight``, m). ``lines`` are the single-part centrelines
    the graph was built from, ``line_road`` the position of each one's road in
    ``roads`` (the whole layer), ``source_line`` its position among all the
    roads' centrelines (:func:`single_lines`); the ``edge_*`` arrays describe
    every piece of every line between two nodes, sorted by line and position.
    """

    graph: nx.Graph
    roads: gpd.GeoDataFrame
    lines: np.ndarray
    line_road: np.ndarray
    source_line: np.ndarray
    node_xy: np.ndarray
    edge_line: np.ndarray
    edge_start_m: np.ndarray
    edge_end_m: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray

    @property
    def length_m(self) -> float:
        """Total centreline length in the graph."""
        return float(shapely.length(self.lines).sum())

    def locate(self, line: np.ndarray, position_m: np.ndarray) -> np.ndarray:
        """Index of the edge holding each (line, position along it) point; -1 where none does."""
        line = np.asarray(line, dtype=np.intp)
        if len(self.edge_line) == 0 or len(line) == 0:
            return np.full(len(line), -1, dtype=np.intp)
        # One sorted key over all lines: line number × (longest line + 1) + position.
        span = float(self.edge_end_m.max()) + 1.0
        keys = self.edge_line * span + self.edge_start_m
        found = np.searchsorted(keys, line * span + np.asarray(position_m, dtype=float), side="right") - 1
        found = np.clip(found, 0, None)
        return np.where(self.edge_line[found] == line, found, -1)


def _node_points(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(line, xy) of every line end and every point where two lines meet."""
    starts = shapely.get_coordinates(shapely.get_point(lines, 0))
    ends = shapely.get_coordinates(shapely.get_point(lines, -1))
    a, b, _ = near_pairs(lines, lines, 0.0)
    pairs = a < b
    a, b = a[pairs], b[pairs]
    # Crossings are points; overlapping stretches are lines, whose vertices all become nodes.
    xy, which = shapely.get_coordinates(shapely.intersection(lines[a], lines[b]), return_index=True)
    index = np.arange(len(lines))
    line = np.concatenate([index, index, a[which], b[which]])
    return line, np.concatenate([starts, ends, xy, xy])


def build_road_graph(roads: gpd.GeoDataFrame, *, rules: InfraRules, include_planned: bool = False) -> RoadGraph:
    """The road network graph, noded where centrelines meet or cross.

    Parameters
    ----------
    roads
        Validated roads layer in the park's working CRS.
    rules
        ``roads.network_statuses`` (built roads; a road without a status counts as
        built), ``roads.planned_statuses`` (added when ``include_planned``) and
        ``roads.node_grid_m`` (vertices closer than this grid are one node).
    include_planned
        Add planned and approved roads to the network.
    """
    require_projected(roads, what="road network")
    statuses = rules.roads.network_statuses + (rules.roads.planned_statuses if include_planned else ())
    all_lines, all_road = single_lines(roads)
    status = roads["status"]
    built = (status.isin(statuses) | status.isna()).to_numpy()[all_road]
    source_line = np.flatnonzero(built)
    lines, line_road = all_lines[source_line], all_road[source_line]

    line, xy = _node_points(lines)
    grid = rules.roads.node_grid_m
    cells, node = np.unique(np.round(xy / grid).astype(np.int64), axis=0, return_inverse=True)
    node = node.reshape(-1)
    position = shapely.line_locate_point(lines[line], shapely.points(xy))
    order = np.lexsort((position, line))
    line, position, node = line[order], position[order], node[order]
    # Consecutive nodes along one line make an edge; repeated nodes (a point counted twice) do not.
    step = (line[1:] == line[:-1]) & (node[1:] != node[:-1])
    edge_line = line[:-1][step]
    start, end = position[:-1][step], position[1:][step]
    u, v = node[:-1][step], node[1:][step]

    graph = nx.Graph()
    graph.add_nodes_from(range(len(cells)))
    weights = pd.DataFrame({"u": np.minimum(u, v), "v": np.maximum(u, v), "weight": end - start})
    # Two roads joining the same two nodes: the graph keeps the shorter.
    shortest = weights.groupby(["u", "v"], sort=False)["weight"].min()
    graph.add_weighted_edges_from(zip(shortest.index.get_level_values(0).tolist(),
                                      shortest.index.get_level_values(1).tolist(), shortest.tolist()))
    return RoadGraph(graph=graph, roads=roads, lines=lines, line_road=line_road, source_line=source_line,
                     node_xy=cells * grid,
                     edge_line=edge_line, edge_start_m=start, edge_end_m=end, edge_u=u, edge_v=v)


@dataclass(frozen=True)
class Attachment:
    """Points on graph edges: which item each is, its edge, position along the line, distance to each end."""

    item: np.ndarray
    edge: np.ndarray
    position_m: np.ndarray
    to_u_m: np.ndarray
    to_v_m: np.ndarray


def attach(graph: RoadGraph, item: np.ndarray, line: np.ndarray, position_m: np.ndarray) -> Attachment:
    """Attach points given by line and position; points on no edge are dropped."""
    edge = graph.locate(line, position_m)
    ok = edge >= 0
    item, edge, position = item[ok], edge[ok], position_m[ok]
    return Attachment(item, edge, position, position - graph.edge_start_m[edge], graph.edge_end_m[edge] - position)


def attach_facilities(graph: RoadGraph, facilities: gpd.GeoDataFrame, max_m: float) -> Attachment:
    """Each facility at the nearest point of the graph within ``max_m``."""
    points = facilities.geometry.to_numpy()
    item = line = np.array([], dtype=np.intp)
    if len(points) and len(graph.lines):
        item, line = shapely.STRtree(graph.lines).query_nearest(points, max_distance=max_m, all_matches=False)
    nearest = shapely.get_point(shapely.shortest_line(points[item], graph.lines[line]), 1)
    return attach(graph, item, line, shapely.line_locate_point(graph.lines[line], nearest))


def node_distances(graph: RoadGraph, sources: Attachment) -> np.ndarray:
    """Shortest distance from any source point to every node (inf where unreachable)."""
    distances = np.full(len(graph.node_xy), np.inf)
    if len(sources.item) == 0:
        return distances
    # A single added node stands for every source; its edge to a node is the shortest way onto it.
    legs = pd.DataFrame({"node": np.concatenate([graph.edge_u[sources.edge], graph.edge_v[sources.edge]]),
                         "weight": np.concatenate([sources.to_u_m, sources.to_v_m])})
    legs = legs.groupby("node")["weight"].min()
    origin = len(graph.node_xy)
    g = graph.graph
    g.add_weighted_edges_from(zip([origin] * len(legs), legs.index.tolist(), legs.tolist()))
    try:
        reached = nx.single_source_dijkstra_path_length(g, origin, weight="weight")
    finally:
        g.remove_node(origin)
    reached.pop(origin)
    nodes = np.fromiter(reached.keys(), dtype=np.intp, count=len(reached))
    distances[nodes] = np.fromiter(reached.values(), dtype=float, count=len(reached))
    return distances


def _group_min(values: np.ndarray, groups: np.ndarray, size: int) -> np.ndarray:
    """Minimum of ``values`` per group number ``0 … size-1`` (inf for empty groups)."""
    out = np.full(size, np.inf)
    np.minimum.at(out, groups, values)
    return out


def _frontage_distances(graph: RoadGraph, line: np.ndarray, start_m: np.ndarray, end_m: np.ndarray,
                        sources: Attachment) -> np.ndarray:
    """Network distance from the nearest point of each frontage stretch [start, end] of a line to any source.

    Along one edge the distance is the lower of two straight lines (through either
    end), so over a stretch it is least at the stretch's ends, at a node inside
    it, or zero at a source inside it.
    """
    n = len(line)
    node = node_distances(graph, sources)
    ends = attach(graph, np.concatenate([np.arange(n), np.arange(n)]), np.concatenate([line, line]),
                   np.concatenate([start_m, end_m]))
    at_ends = np.minimum(node[graph.edge_u[ends.edge]] + ends.to_u_m, node[graph.edge_v[ends.edge]] + ends.to_v_m)
    best = _group_min(at_ends, ends.item, n)
    # Nodes strictly inside a stretch: the start nodes of the edges after the one holding its start.
    first, last = graph.locate(line, start_m), graph.locate(line, end_m)
    count = np.where((first >= 0) & (last >= 0), last - first, 0)
    stretch = np.repeat(np.arange(n), count)
    inner = np.repeat(first + 1, count) + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    best = np.minimum(best, _group_min(node[graph.edge_u[inner]], stretch, n))
    if len(sources.item) and n:
        # A source on the stretch itself is reached without travelling.
        fronts = pd.DataFrame({"stretch": np.arange(n), "line": line, "start": start_m, "end": end_m})
        placed = pd.DataFrame({"line": graph.edge_line[sources.edge], "at": sources.position_m})
        same = fronts.merge(placed, on="line")
        inside = same["stretch"][(same["at"] >= same["start"] - EPS_M) & (same["at"] <= same["end"] + EPS_M)]
        best[inside.to_numpy()] = 0.0
        # Reaching the stretch's ends directly along the edge they share with a source.
        same_edge = pd.DataFrame({"stretch": ends.item, "edge": ends.edge, "at": ends.position_m}).merge(
            pd.DataFrame({"edge": sources.edge, "source_at": sources.position_m}), on="edge")
        direct = (same_edge["at"] - same_edge["source_at"]).abs().to_numpy()
        best = np.minimum(best, _group_min(direct, same_edge["stretch"].to_numpy(), n))
    return best


def network_distances(parcels: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, *,
                      rules: InfraRules, include_planned: bool = False, graph: RoadGraph | None = None,
                      fronting: Frontage | None = None) -> pd.DataFrame:
    """Network distance along roads from every parcel to the nearest facility of each destination kind.

    A parcel is reached anywhere along its frontage on a road of the graph (its
    boundary stretch in the road's corridor, projected onto the centreline); the
    distance is from the best such access point.

    Parameters
    ----------
    parcels, roads, facilities
        Validated layers in the park's working CRS.
    rules
        Infrastructure rules (``roads.*``: frontage, graph statuses, destinations,
        ``facility_snap_max_m``).
    include_planned
        Route over planned and approved roads too.
    graph, fronting
        :func:`build_road_graph` and :func:`frontage` of the same layers and
        options, if already computed.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``parcels``: ``network_access`` (a road of the graph borders
        the parcel), ``access_road_id`` (the graph road with the longest frontage)
        and ``to_<kind>_m`` for each destination kind (NaN when the parcel has no
        access or no such facility is reachable).
    """
    require_projected(facilities, what="network distance")
    graph = graph if graph is not None else build_road_graph(roads, rules=rules, include_planned=include_planned)
    fronting = fronting if fronting is not None else frontage(parcels, roads, rules=rules)
    # Only the pairs on roads of the graph give access.
    graph_line = np.full(len(fronting.lines), -1, dtype=np.intp)
    graph_line[graph.source_line] = np.arange(len(graph.source_line))
    on_graph = graph_line[fronting.line] >= 0
    parcel, line = fronting.parcel[on_graph], graph_line[fronting.line[on_graph]]
    start_m, end_m = fronting.start_m[on_graph], fronting.end_m[on_graph]

    out = pd.DataFrame(index=parcels.index)
    out["network_access"] = pd.array(np.isin(np.arange(len(parcels)), parcel), dtype="boolean")
    longest = np.lexsort((-fronting.frontage_m[on_graph], parcel))
    first = longest[np.r_[True, parcel[longest][1:] != parcel[longest][:-1]]] if len(longest) else longest
    access_road = np.full(len(parcels), np.nan, dtype=object)
    access_road[parcel[first]] = graph.roads["road_id"].to_numpy()[graph.line_road[line[first]]]
    out["access_road_id"] = pd.Series(access_road, index=parcels.index, dtype="str")

    status_ok = facilities["status"].isin(rules.roads.destination_statuses) | facilities["status"].isna()
    for kind in rules.roads.destinations:
        chosen = facilities[(status_ok & (facilities["kind"] == kind)).to_numpy()]
        sources = attach_facilities(graph, chosen, rules.roads.facility_snap_max_m)
        per_pair = _frontage_distances(graph, line, start_m, end_m, sources)
        values = _group_min(per_pair, parcel, len(parcels))
        out[f"to_{kind}_m"] = np.where(np.isfinite(values), values, np.nan)
    return out


__all__ = ["Attachment", "Frontage", "RoadGraph", "attach", "attach_facilities", "build_road_graph", "frontage",
           "network_distances", "node_distances", "road_frontage", "road_widths_m", "single_lines"]
