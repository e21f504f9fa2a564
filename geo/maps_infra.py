"""The infrastructure map: roads by status, pipelines by network, facilities, readiness, conflicts.

Built from the pieces of :mod:`geo.maps` (``ParkMap``, ``styled_layer``, the
layer control and legend types): the analysis results are described with small
:class:`~layers.schema.LayerSpec` declarations of their own, so their colours,
popups and labels go through the same vectorised, escaped path as every layer.
Each pipeline network is its own layer (``parkatlas.layers["pipelines_<network>"]``),
so the layer control toggles networks one by one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd
import shapely

from geo.maps import (
    LegendItem,
    LegendSection,
    ParkMap,
    TileSettings,
    add_basemap,
    add_layer_control,
    add_park_layers,
    fit_to_layers,
    legend,
    styled_layer,
    tiles_needed,
)
from layers.infra_rules import InfraRules
from layers.registry import get_layer
from layers.schema import Code, Field, LayerSpec, Style, code_label

#: Label of each connection a readiness template may require, (zh, en).
CONNECTION_LABELS: dict[str, tuple[str, str]] = {
    **{code.value: (code.label_zh, code.label_en) for code in get_layer("pipelines").field("network").codes},
    "road": ("道路", "Road"),
    "site_levelled": ("场地平整", "Site levelled"),
}

#: Conflict kinds with their labels and marker colours (kept apart from the facility colours).
CONFLICT_KINDS = (
    Code("pipe_pipe", "管线水平间距不足", "Pipe–pipe clearance", "#fde725"),
    Code("pipe_building", "管线距建筑过近", "Pipe–building clearance", "#f781bf"),
    Code("pipe_under_building", "管线穿越建筑", "Pipe under a building", "#111111"),
)

#: DOMAIN.md's research marks in words (the ✅ glyph is missing from many fonts).
MARK_LABELS: dict[str, tuple[str, str]] = {
    "✅": ("已确认", "confirmed"),
    "◐": ("部分确认", "partly confirmed"),
    "❓": ("待核实", "unverified"),
}

#: Readiness colours from "no label" (red) to the richest template (green), a drawing choice.
READINESS_RAMP = ("#d73027", "#f46d43", "#fdae61", "#fee08b", "#a6d96a", "#66bd63", "#1a9850")
#: Value of ``readiness_label`` on the map for parcels that meet no template.
NO_LABEL = "none"


def mark_label(mark: str, lang: str) -> str:
    zh, en = MARK_LABELS.get(mark, (mark, mark))
    return en if lang == "en" else zh


def connection_label(code: str, lang: str) -> str:
    zh, en = CONNECTION_LABELS.get(code, (code, code))
    return en if lang == "en" else zh


def missing_text(missing: pd.Series, *, lang: str) -> pd.Series:
    """The comma-separated connection codes of ``missing`` as labels in ``lang`` (、-separated in Chinese; a code
    without a label as it is; nothing missing, or no value: empty). Each distinct value is labelled once: a park of
    10⁵ parcels has a few dozen (a text per parcel cost seconds a page)."""
    separator = ", " if lang == "en" else "、"
    codes, distinct = pd.factorize(missing.fillna("").astype(object), sort=False)
    texts = [separator.join(connection_label(code, lang) for code in value.split(",") if code) for value in distinct]
    return pd.Series(np.array([*texts, ""], dtype=object)[codes], index=missing.index, dtype=object)


def readiness_codes(rules: InfraRules) -> tuple[Code, ...]:
    """One map class per template label, plus ``none``; greener for richer templates."""
    labels = rules.readiness.templates
    ramp = np.array(READINESS_RAMP)
    picks = ramp[np.linspace(1, len(ramp) - 1, num=len(labels)).round().astype(int)] if labels else []
    codes = [Code(NO_LABEL, "未达三通一平", "No template met", str(ramp[0]))]
    codes += [Code(t.label, t.label, f"{t.label} ({t.label_en})", str(color)) for t, color in zip(labels, picks)]
    return tuple(codes)


def readiness_spec(rules: InfraRules) -> LayerSpec:
    """Declaration of the readiness layer: parcels coloured by label, with what they lack."""
    parcels = get_layer("parcels")
    return LayerSpec(
        name="readiness",
        label_zh="地块配套（N通一平）",
        label_en="Parcel readiness",
        geometry="Polygon",
        id_field="parcel_id",
        style=Style(by_field="readiness_label", fill_opacity=0.7, weight=0.8, color="#444444"),
        popup_fields=("parcel_id", "name", "status", "readiness_label", "missing_text", "to_highway_exit_m",
                      "to_park_gate_m"),
        fields=(
            parcels.field("parcel_id"),
            parcels.field("name"),
            parcels.field("status"),
            Field("readiness_label", "code", "配套水平", "Readiness", codes=readiness_codes(rules)),
            Field("missing_text", "str", f"距{rules.readiness.default_template}缺少",
                  f"Missing for {rules.readiness.default_template}"),
            Field("to_highway_exit_m", "float", "至高速出入口路网距离", "Road distance to highway exit", unit="m"),
            Field("to_park_gate_m", "float", "至园区出入口路网距离", "Road distance to park gate", unit="m"),
        ),
    )


CONFLICT_SPEC = LayerSpec(
    name="conflicts",
    label_zh="管线间距冲突",
    label_en="Clearance conflicts",
    geometry="Point",
    id_field="conflict_id",
    style=Style(by_field="kind", radius_px=10.0, fill_opacity=1.0),
    popup_fields=("kind", "id_a", "id_b", "required_m", "actual_m", "status"),
    fields=(
        Field("conflict_id", "str", "编号", "No."),
        Field("kind", "code", "冲突类型", "Kind", codes=CONFLICT_KINDS),
        Field("id_a", "str", "管线编号", "Pipe id"),
        Field("id_b", "str", "对象编号", "Other pipe / building"),
        Field("required_m", "float", "规范最小间距", "Required clearance", unit="m"),
        Field("actual_m", "float", "实测间距", "Measured clearance", unit="m"),
        Field("status", "str", "规范依据状态", "Rule status"),
    ),
)


def readiness_frame(parcels: pd.DataFrame, result: pd.DataFrame, *, lang: str) -> pd.DataFrame:
    """The readiness layer's features: in-force parcels with their label and missing connections."""
    frame = parcels[["parcel_id", "name", "status", "geometry"]].copy()
    frame["readiness_label"] = result["readiness_label"].fillna(NO_LABEL)
    frame["missing_text"] = missing_text(result["missing"], lang=lang)
    for column in ("to_highway_exit_m", "to_park_gate_m"):
        frame[column] = result[column].round(0) if column in result else np.nan
    return frame


def conflict_frame(conflicts: pd.DataFrame, *, lang: str) -> pd.DataFrame:
    """The conflict markers' features, numbered in table order (C1, C2, …)."""
    frame = conflicts[["kind", "id_a", "id_b", "required_m", "actual_m", "status", "geometry"]].copy()
    frame.insert(0, "conflict_id", [f"C{i + 1}" for i in range(len(frame))])
    frame["actual_m"] = frame["actual_m"].round(3)
    frame["status"] = frame["status"].map({mark: mark_label(mark, lang) for mark in MARK_LABELS})
    return frame


def _network_layers(pipelines: pd.DataFrame, *, lang: str) -> list:
    """One styled layer per pipeline network present, named after the network."""
    spec = get_layer("pipelines")
    layers = []
    for code in spec.field("network").codes:
        chosen = pipelines[(pipelines["network"] == code.value).to_numpy()]
        if not len(chosen):
            continue
        network_spec = dataclasses.replace(
            spec, name=f"pipelines_{code.value}", label_zh=f"管线·{code.label_zh}", label_en=f"Pipes · {code.label_en}")
        layers.append(styled_layer(chosen, network_spec, lang=lang))
    return layers


def largest(frame: pd.DataFrame, parcels: pd.DataFrame, most: int) -> pd.DataFrame:
    """The rows of ``frame`` of the ``most`` largest ``parcels`` (aligned with it): a map above the tile threshold
    draws those inline and leaves the rest to the page's table."""
    if len(frame) <= most:
        return frame
    order = np.argsort(-shapely.area(parcels.geometry.to_numpy()), kind="stable")[:most]
    return frame.iloc[np.sort(order)]


def infrastructure_map(layers: Mapping[str, pd.DataFrame], parcels: pd.DataFrame, result: Mapping, *,
                       rules: InfraRules, lang: str = "zh", basemap: str = "none", asset_base_url: str = "/static",
                       tianditu_key: str = "", tiles: TileSettings | None = None) -> ParkMap:
    """The infrastructure map of a park.

    Parameters
    ----------
    layers
        Validated layers in force (roads, pipelines, facilities, buildings), working CRS.
    parcels
        The parcels the analysis ran on (in force), working CRS.
    result
        :func:`geo.infrastructure_summary.infrastructure_analysis` of those layers.
    rules
        The infrastructure rules the analysis used (readiness templates for colours).
    lang, basemap, asset_base_url, tianditu_key
        As for :func:`geo.maps.overview_map`.
    tiles
        Where the app serves vector tiles. When a layer is above its threshold the
        roads, pipelines, buildings and facilities come as one tile set (pipelines
        then toggle as one layer) and, when the parcels are, the readiness layer
        shows only the supplied parcels below the target, so the page stays bounded.
    """
    m = ParkMap(asset_base_url=asset_base_url, lang=lang, zoom_start=14)
    add_basemap(m, basemap, lang=lang, tianditu_key=tianditu_key)
    drawn = []
    if len(parcels):
        ready = readiness_frame(parcels, result["parcels"], lang=lang)
        spec = readiness_spec(rules)
        if tiles is not None and len(parcels) > tiles.threshold:
            lacking = np.asarray(result["supplied"], dtype=bool) & ~result["parcels"]["ready"].to_numpy(dtype=bool)
            ready = largest(ready[lacking], parcels[lacking], tiles.threshold)
            spec = dataclasses.replace(spec, label_zh=f"未达{result['template']}的已供地块",
                                       label_en=f"Supplied parcels below {result['template']}")
        styled_layer(ready, spec, lang=lang).add_to(m)
        drawn.append(parcels)
    context = {name: layers[name] for name in ("buildings", "roads", "pipelines", "facilities")
               if layers.get(name) is not None and len(layers[name])}
    if tiles_needed(context, tiles):
        drawn += add_park_layers(m, context, lang=lang, tiles=tiles, asset_base_url=asset_base_url)
    else:
        for name, frame in context.items():
            for layer in _network_layers(frame, lang=lang) if name == "pipelines" else [
                    styled_layer(frame, get_layer(name), lang=lang)]:
                layer.add_to(m)
            drawn.append(frame)
    if len(result["conflicts"]):
        conflicts = conflict_frame(result["conflicts"], lang=lang)
        if tiles is not None:  # the first ones as numbered (C1, C2, …): the page's table pages through all
            conflicts = conflicts.iloc[:tiles.threshold]
        styled_layer(conflicts, CONFLICT_SPEC, lang=lang).add_to(m)
    fit_to_layers(m, drawn)
    add_layer_control(m)
    return m


def infrastructure_legend(layers: Mapping[str, pd.DataFrame], result: Mapping, *, rules: InfraRules,
                          lang: str = "zh") -> list[LegendSection]:
    """Legend: readiness classes, conflict kinds present, then road statuses, networks and facilities."""
    spec = readiness_spec(rules)
    present = set(result["parcels"]["readiness_label"].fillna(NO_LABEL))
    sections = [LegendSection("readiness", spec.label(lang), "fill",
                              [LegendItem(code_label(c, lang), c.color) for c in spec.field("readiness_label").codes
                               if c.value in present])]
    kinds = set(result["conflicts"]["kind"])
    if kinds:
        sections.append(LegendSection("conflicts", CONFLICT_SPEC.label(lang), "point",
                                      [LegendItem(code_label(c, lang), c.color) for c in CONFLICT_KINDS
                                       if c.value in kinds]))
    wanted = {name: layers[name] for name in ("roads", "pipelines", "facilities") if name in layers}
    return sections + legend(wanted, lang=lang)


__all__ = ["CONFLICT_KINDS", "CONFLICT_SPEC", "CONNECTION_LABELS", "connection_label", "conflict_frame",
           "infrastructure_legend", "infrastructure_map", "mark_label", "missing_text", "readiness_codes", "readiness_frame",
           "readiness_spec"]
