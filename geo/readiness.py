"""Site readiness (三通/五通/七通/九通一平): served flags per parcel and network, and the label.

DOMAIN.md §5 keeps one boolean per connection and derives the label from a
configured template; §8.6 gives the "served" heuristic, shipped as configuration
(``data/infrastructure.yaml``, section ``served``):

* a connection is served when an eligible main lies in a road that borders the
  parcel (between that road's red lines, :func:`geo.roadnet.parts_in_roads`), within
  that road's half red-line width + ``extra_distance_m`` of the parcel (its red
  line). A main behind the parcel, in no road (say, across its back side through
  other parcels), does not serve it however close it runs; nor does one in a road
  that does not border the parcel. With ``require_bordering_road`` false, a main
  within ``extra_distance_m`` of the parcel serves it wherever it lies;
* eligible: one of the connection's networks, an in-service status, and what the
  connection demands of the main (water DN ≥ 150, gas from the medium-pressure
  network, power from a 10 kV feeder);
* ``road``: a completed or temporary-surface road borders the parcel;
  ``site_levelled``: the parcel's own flag (unknown counts as not levelled).

The parcel's label is the richest template it meets in full; what it lacks is
listed against the park's target template (七通一平 by default).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_projected
from geo.nearby import EPS_M, any_within, envelope_gap_at, near_pairs, nearest_distance, run_blocks, run_positions
from geo.reasons import join_reasons, labelled
from geo.roadnet import Frontage, LineSegments, frontage, parts_in_roads, road_widths_m
from geo.threads import in_threads
from layers.infra_rules import InfraRules, ServedSource

#: Separator of the connection codes in the ``missing`` column.
MISSING_SEPARATOR = ","

#: Candidate (parcel, pipe part) pairs handled at once (some tens of MB of arrays).
_CANDIDATES = 1_000_000

#: Road lines whose pipe parts are cut at once (about 20 parts each in the demo parks: some tens of MB; the parts
#: of all roads of 10⁶ parcels at once took about 0.8 GB).
_LINES_PER_BLOCK = 50_000

#: How much closer than the limit a parcel vertex must lie to a part for the pair to be settled without GEOS
#: (m): NumPy's and GEOS's point–segment distances differ by rounding (~1e-9 m at Gauss-Krüger coordinates),
#: far less than this, so a pair accepted here is one GEOS accepts too.
_SURE_M = 1e-7


def eligible_mains(pipelines: pd.DataFrame, source: ServedSource, *, rules: InfraRules) -> np.ndarray:
    """Mask of the pipes that can serve ``source.connection`` (network, status and capacity)."""
    served = rules.served
    unknown_ok = served.unknown_attribute_serves
    ok = (pipelines["network"].isin(source.networks) & pipelines["status"].isin(served.pipe_statuses)).to_numpy(copy=True)
    if source.min_diameter_mm is not None:
        diameter = pipelines["diameter_mm"].to_numpy(dtype=float, na_value=np.nan)
        ok &= (diameter >= source.min_diameter_mm) | (np.isnan(diameter) & unknown_ok)
    if source.voltage_kv is not None:
        voltage = pipelines["voltage_kv"]
        ok &= (voltage.isin(source.voltage_kv) | (voltage.isna() & unknown_ok)).to_numpy()
    if source.pressure_classes is not None:
        pressure = pipelines["pressure_class"]
        ok &= (pressure.isin(source.pressure_classes) | (pressure.isna() & unknown_ok)).to_numpy()
    return ok


def nearest_main_m(parcels: gpd.GeoDataFrame, mains: np.ndarray) -> np.ndarray:
    """Distance from each parcel (its red line; 0 when a main crosses it) to the nearest of ``mains`` (NaN: none)."""
    return nearest_distance(parcels.geometry.to_numpy(), mains)


def served_in_roads(parcels: gpd.GeoDataFrame, fronting: Frontage, half_width_m: np.ndarray, extra_m: float,
                    pipes: np.ndarray, masks: list[np.ndarray]) -> list[np.ndarray]:
    """For each mask over ``pipes``: whether one of its pipes serves each parcel from a bordering road.

    A pipe serves from road R when a part of it lies in R (:func:`geo.roadnet.parts_in_roads`),
    R borders the parcel, and that part comes within R's half red-line width + ``extra_m``
    of the parcel.

    Parameters
    ----------
    fronting
        :func:`geo.roadnet.frontage` of ``parcels`` and the roads.
    half_width_m
        Half the red-line width of each centreline of ``fronting.lines``.
    pipes
        Pipe geometries (lines); ``masks`` are boolean arrays over them (one per network).
    """
    out = [np.zeros(len(parcels), dtype=bool) for _ in masks]
    wanted = np.logical_or.reduce(masks) if masks else np.zeros(len(pipes), dtype=bool)
    used = np.unique(fronting.line)
    if not len(used) or not wanted.any():
        return out
    pipe_at = np.flatnonzero(wanted)
    limit_m = half_width_m + extra_m
    pipe_segments = LineSegments.of(pipes[pipe_at])
    geoms = parcels.geometry.to_numpy()
    parcel_bounds = tuple(np.ascontiguousarray(column) for column in shapely.bounds(geoms).T)
    vertices = _vertices(geoms)
    # In blocks of road lines: the pipe parts in those roads, and the pairs bordering them. A parcel is served
    # when one of its candidate pairs serves it, whichever block the pair is in, so the parts of the whole park
    # (millions at 10⁶ parcels) are never held at once.
    by_line = np.argsort(fronting.line, kind="stable")
    pair_lines = fronting.line[by_line]

    def served_from_block(block: int) -> None:
        lines = used[block:block + _LINES_PER_BLOCK]
        parts, part_line, part_pipe = parts_in_roads(fronting.lines[lines], half_width_m[lines], pipe_segments)
        part_line, part_pipe = lines[part_line], pipe_at[part_pipe]
        pairs = by_line[np.searchsorted(pair_lines, lines[0]):np.searchsorted(pair_lines, lines[-1], side="right")]
        pairs = pairs[np.argsort(fronting.parcel[pairs], kind="stable")]
        _serve_from_parts(fronting.parcel[pairs], fronting.line[pairs], parts, part_line,
                          [mask[part_pipe] for mask in masks], limit_m, geoms, parcel_bounds, vertices, out)

    # The blocks (in threads) mark the same flags, so that a parcel served in one block is not tested again in the
    # next (flags of their own per block tested more pairs: ≈ 1.7 s more at 10⁶ parcels). A flag only ever turns true, and
    # a block that reads it before another block sets it only tests more pairs: the flags cannot depend on the
    # threads.
    in_threads(served_from_block, range(0, len(used), _LINES_PER_BLOCK))
    return out


def _serve_from_parts(pair_parcel: np.ndarray, pair_line: np.ndarray, parts: np.ndarray, part_line: np.ndarray,
                      part_masks: list[np.ndarray], limit_m: np.ndarray, geoms: np.ndarray,
                      parcel_bounds: tuple[np.ndarray, ...], vertices: tuple[np.ndarray, np.ndarray, np.ndarray],
                      out: list[np.ndarray]) -> None:
    """Mark in ``out`` the parcels of the bordering pairs (``pair_parcel`` grouped, ``pair_line``) that a pipe
    part (``parts``, lying along ``part_line``, of the networks ``part_masks``) within the line's limit serves."""
    # The parts each bordering (parcel, road line) pair may be served from: those lying in that line's road. The
    # parts are put in line order once, so that each pair's candidates are one run of them (read in sequence, not
    # looked up all over the arrays).
    by_line = np.argsort(part_line, kind="stable")
    parts, part_masks = parts[by_line], [mask[by_line] for mask in part_masks]
    n_lines = len(limit_m)
    first = np.searchsorted(part_line[by_line], np.arange(n_lines))
    count = np.searchsorted(part_line[by_line], np.arange(n_lines), side="right") - first
    del by_line
    part_bounds = (np.minimum(parts[:, 0, 0], parts[:, 1, 0]), np.minimum(parts[:, 0, 1], parts[:, 1, 1]),
                   np.maximum(parts[:, 0, 0], parts[:, 1, 0]), np.maximum(parts[:, 0, 1], parts[:, 1, 1]))
    for a, b in run_blocks(pair_parcel, count[pair_line], _CANDIDATES):
        per_pair = count[pair_line[a:b]]
        i = np.repeat(pair_parcel[a:b], per_pair)
        j = run_positions(first[pair_line[a:b]], per_pair)
        # Against that road's limit; envelopes farther apart than it cannot hold a pair within it (twice the
        # slack: rounding).
        limit = np.repeat(limit_m[pair_line[a:b]], per_pair)
        gap = envelope_gap_at(parcel_bounds, i, part_bounds, j)
        near = gap <= limit + 2 * EPS_M
        _settle(i[near], j[near], limit[near], gap[near], geoms, vertices, parts, part_masks, out)


def _vertices(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every vertex of ``geoms`` (xy), and the first vertex and vertex count of each geometry."""
    xy, vertex_of = shapely.get_coordinates(geoms, return_index=True)
    return xy, np.searchsorted(vertex_of, np.arange(len(geoms))), np.bincount(vertex_of, minlength=len(geoms))


def _vertex_within(i: np.ndarray, segment: np.ndarray, reach_m: np.ndarray,
                   vertices: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """Whether a vertex of geometry ``i`` lies within ``reach_m`` of ``segment`` (start and end points, n × 2 × 2).

    A vertex is a point of its geometry, so then the geometry lies within ``reach_m`` of the segment too:
    enough to settle a pair without building a line and measuring it exactly.
    """
    xy, first, count = vertices
    per = count[i]
    pair = np.repeat(np.arange(len(i)), per)
    at = run_positions(first[i], per)
    # Per segment once: its start, direction and squared length; per vertex the projection onto it, clamped.
    ax, ay = segment[:, 0, 0], segment[:, 0, 1]
    dx, dy = segment[:, 1, 0] - ax, segment[:, 1, 1] - ay
    length2 = dx * dx + dy * dy
    px, py = xy[at, 0] - ax[pair], xy[at, 1] - ay[pair]
    dx, dy, length2 = dx[pair], dy[pair], length2[pair]
    t = np.divide(px * dx + py * dy, length2, out=np.zeros(len(pair)), where=length2 > 0)
    np.clip(t, 0.0, 1.0, out=t)
    gap = np.hypot(px - t * dx, py - t * dy)
    nearest = np.full(len(i), np.inf)
    np.minimum.at(nearest, pair, gap)
    return nearest <= reach_m


def _settle(i: np.ndarray, j: np.ndarray, limit: np.ndarray, gap: np.ndarray, geoms: np.ndarray,
            vertices: tuple[np.ndarray, np.ndarray, np.ndarray], parts: np.ndarray, masks: list[np.ndarray],
            out: list[np.ndarray]) -> None:
    """Mark ``out[k][i]`` where a candidate part ``j`` of ``masks[k]`` lies within ``limit`` of parcel ``i``.

    ``parts`` are start and end points (n × 2 × 2); only the parts measured become lines.
    ``i`` must not decrease (candidates grouped by parcel). Each parcel's candidate with the
    nearest envelope is tested first, the others only for the parcels it did not settle, and
    no pair is measured twice (one pipe may serve several networks): most parcels are settled by
    their first candidate, so few of the pairs are ever tested. A pair with a parcel vertex well
    within the limit of the part (:func:`_vertex_within`) is settled without GEOS; the others are
    measured exactly.
    """
    measured = np.full(len(i), np.nan)
    for mask, served in zip(masks, out):
        mine = np.flatnonzero(mask[j])
        if not len(mine):
            continue
        parcel = i[mine]
        starts = np.flatnonzero(np.append(True, parcel[1:] != parcel[:-1]))
        run = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(mine))))
        lowest = np.flatnonzero(gap[mine] == np.minimum.reduceat(gap[mine], starts)[run])
        nearest = np.zeros(len(mine), dtype=bool)
        # The first of each parcel's lowest (``run`` does not decrease).
        nearest[lowest[np.append(True, run[lowest][1:] != run[lowest][:-1])]] = True
        for tested in (mine[nearest], mine[~nearest]):
            tested = tested[~served[i[tested]]]
            todo = tested[np.isnan(measured[tested])]
            sure = _vertex_within(i[todo], parts[j[todo]], limit[todo] + EPS_M - _SURE_M, vertices)
            served[i[todo[sure]]] = True
            todo = todo[~sure]
            measured[todo] = shapely.distance(geoms[i[todo]], shapely.linestrings(parts[j[todo]]))
            served[i[tested[measured[tested] <= limit[tested] + EPS_M]]] = True


def _labels(connections: pd.DataFrame, rules: InfraRules, target: str) -> tuple:
    """(label, ready, missing) per row from the boolean ``connections`` frame (label and missing as text arrays)."""
    def has(item: str) -> np.ndarray:
        column = connections.get(item)
        return np.zeros(len(connections), dtype=bool) if column is None else column.to_numpy(dtype=bool)

    # As text taken from the few labels and combinations of connections (not 10⁶ Python strings made and parsed).
    label = labelled(len(connections), [(np.logical_and.reduce([has(item) for item in template.requires]),
                                         template.label) for template in rules.readiness.templates])
    goal = rules.readiness.template(target)
    missing = join_reasons(connections.index, [(~has(item), item) for item in goal.requires],
                           separator=MISSING_SEPARATOR).fillna("")
    ready = np.logical_and.reduce([has(item) for item in goal.requires])
    return label, ready, missing.array


def readiness(parcels: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, pipelines: gpd.GeoDataFrame, *,
              rules: InfraRules, template: str | None = None, fronting: Frontage | None = None,
              distances: bool = True) -> pd.DataFrame:
    """Per parcel: road frontage, distance to the nearest eligible main and served flag per network, the label.

    Parameters
    ----------
    parcels, roads, pipelines
        Validated layers in the park's working CRS (records in force only).
    rules
        Infrastructure rules (sections ``served``, ``roads``, ``readiness``).
    template
        The target label (default ``rules.readiness.default_template``).
    fronting
        :func:`geo.roadnet.frontage` of the same parcels and roads, if already computed.
    distances
        ``False``: leave out the ``<network>_distance_m`` columns (the same served
        flags, without searching the nearest main of every parcel, which at 10⁶
        parcels is most of the time; for callers that keep only the flags).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``parcels``: ``road_access`` (any road borders it),
        ``road`` (a completed or temporary-surface road does), ``serve_limit_m``
        (widest bordering half-width + the extra distance: the farthest a serving
        main may lie; NaN without a road when one is required),
        ``<network>_distance_m`` (the nearest eligible main, in a road or not;
        unless ``distances`` is false) and ``served_<network>`` for each served
        network, ``site_levelled``, ``readiness_label`` (richest
        template met; missing if none), ``ready`` (target met) and ``missing``
        (the target's connections the parcel lacks, comma-separated).
    """
    require_projected(parcels, what="readiness")
    require_projected(pipelines, what="readiness")
    target = rules.readiness.template(template).label
    fronting = fronting if fronting is not None else frontage(parcels, roads, rules=rules)
    road = fronting.line_road[fronting.line]
    line_half_m = road_widths_m(roads, rules=rules).to_numpy()[fronting.line_road] / 2.0
    width = np.full(len(parcels), np.nan)
    np.fmax.at(width, fronting.parcel, 2.0 * line_half_m[fronting.line])
    road_ready = np.zeros(len(parcels), dtype=bool)
    road_ready[fronting.parcel[roads["status"].isin(rules.roads.ready_statuses).to_numpy()[road]]] = True

    out = pd.DataFrame(index=parcels.index)
    out["road_access"] = pd.array(~np.isnan(width), dtype="boolean")
    out["road"] = pd.array(road_ready, dtype="boolean")
    extra_m = rules.served.extra_distance_m
    off_road = not rules.served.require_bordering_road  # a main near the parcel serves wherever it lies
    if off_road:
        width = np.where(np.isnan(width), 0.0, width)
    # The farthest a serving main can lie from the parcel: its widest bordering road's limit.
    limit = width / 2.0 + extra_m
    out["serve_limit_m"] = limit
    parcel_geoms, geoms = parcels.geometry.to_numpy(), pipelines.geometry.to_numpy()
    networks = rules.served.networks
    eligible = [eligible_mains(pipelines, rules.served.sources[network], rules=rules) for network in networks]
    from_roads = served_in_roads(parcels, fronting, line_half_m, extra_m, geoms, eligible)
    if not distances:
        near = any_within(parcel_geoms, geoms, extra_m, eligible) if off_road else [False] * len(networks)
        for network, in_road, nearby in zip(networks, from_roads, near):
            out[f"served_{network}"] = pd.array(in_road | nearby, dtype="boolean")
    else:
        # Pipes within reach of a served limit are paired once for all networks; the rest searched per network.
        near_parcel, near_pipe, near_m = near_pairs(parcel_geoms, geoms, float(np.nanmax(limit, initial=0.0)))
        for network, mask, in_road in zip(networks, eligible, from_roads):
            mine = mask[near_pipe]
            # The nearest main wherever it lies (in a road or not), for the record; serving is judged above.
            distance = nearest_distance(parcel_geoms, geoms[mask], known=(near_parcel[mine], near_m[mine]))
            out[f"{network}_distance_m"] = distance
            out[f"served_{network}"] = pd.array(in_road | (off_road & (distance <= extra_m + EPS_M)),
                                                dtype="boolean")
    out["site_levelled"] = parcels["site_levelled"].fillna(False).astype("boolean")

    connections = out[["road", "site_levelled"]].copy()
    for network in rules.served.networks:
        connections[network] = out[f"served_{network}"]
    label, ready, missing = _labels(connections, rules, target)
    out["readiness_label"] = pd.Series(label, index=parcels.index, dtype="str")
    out["ready"] = pd.array(ready, dtype="boolean")
    out["missing"] = pd.Series(missing, index=parcels.index, dtype="str")
    return out


__all__ = ["MISSING_SEPARATOR", "eligible_mains", "nearest_main_m", "readiness", "served_in_roads"]
