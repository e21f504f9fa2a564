"""Maps of the land pages (/land, /idle, /vacancy), built from ``geo/maps.py``'s pieces.

Every feature's colour is computed here, vectorised, from an analysis column
(compliance, idle status, vacancy rate) and travels as its ``_c`` property; the
browser styles from it (``StyledGeoJson``), so page load stays linear. Popups list
chosen analysis columns as DOM text. The palettes are drawing choices, not rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.crs import to_web
from geo.maps import (
    WEB_PRECISION,
    ParkMap,
    StyledGeoJson,
    TiledLayer,
    TileSettings,
    add_basemap,
    add_layer_control,
    fit_to_layers,
)
from layers.geojson import feature_texts, script_safe

NO_DATA_COLOR = "#cccccc"
#: Parcels drawn beneath a page's own layer, for orientation.
PARCEL_CONTEXT_COLOR = "#f7f7f7"
#: Parcels a page's filter left out, drawn beneath the chosen ones for orientation.
FILTERED_OUT_COLOR = "#e6e6e6"

#: Idle status → (colour, 中文, English). One hue family per meaning (``tests/test_chip_contrast.py``): the idle
#: statuses red, graded by severity; overdue yellow; on track green; started (已动工, building under way)
#: purple and exempt teal, so neither reads as idle; completed blue; not supplied grey.
IDLE_PALETTE = {
    "not_supplied": ("#e0e0e0", "未供地", "Not supplied"),
    "on_track": ("#a6d96a", "未到约定动工期", "On track"),
    "overdue": ("#fee08b", "逾期未动工", "Overdue"),
    "idle_fee": ("#f46d43", "闲置满一年（征缴闲置费）", "Idle ≥ 1 year (fee)"),
    "idle_reclaim": ("#a50026", "闲置满两年（无偿收回）", "Idle ≥ 2 years (reclaim)"),
    "stalled_idle": ("#d73027", "中止开发满一年", "Stalled ≥ 1 year"),
    "exempt": ("#35978f", "政府原因或不可抗力（不认定闲置）", "Exempt"),
    "started": ("#9970ab", "已动工", "Started"),
    "completed": ("#4575b4", "已竣工", "Completed"),
}

#: Inefficiency category → (colour, 中文, English).
INEFFICIENCY_PALETTE = {
    "approved_unsupplied": ("#fdd49e", "批而未供", "Approved, not supplied"),
    "supplied_unused": ("#fc8d59", "供而未用", "Supplied, not used"),
    "underused": ("#d7301f", "用而未尽", "Underused"),
    "built_not_operating": ("#9e9ac8", "建而未投", "Built, not operating"),
    "below_target": ("#6a51a3", "投而未达标", "Below target"),
}

#: Compliance class → (colour, 中文, English).
COMPLIANCE_PALETTE = {
    "compliant": ("#1a9850", "达标", "Compliant"),
    "below": ("#d73027", "低于控制指标", "Below the control indicators"),
    "not_judged": ("#bdbdbd", "无法判断（缺数据）", "Not judged (data missing)"),
    "not_built": ("#f0f0f0", "未建成", "Not built"),
}

#: Vacancy-rate bands (upper bound inclusive) → (colour, label).
VACANCY_BANDS = ((0.0, "#1a9850", "0 %"), (0.2, "#a6d96a", "≤ 20 %"), (0.5, "#fee08b", "20–50 %"),
                 (0.8, "#fc8d59", "50–80 %"), (1.0, "#d73027", "> 80 %"))


@dataclass(frozen=True)
class PopupField:
    """A popup row: the property, its label and unit."""

    name: str
    label: str
    unit: str | None = None
    digits: int | None = None


@dataclass(frozen=True)
class LegendEntry:
    label: str
    color: str


def palette_colors(values: pd.Series, palette: dict) -> pd.Series:
    """Colour per value from a palette ``{value: (colour, …)}`` (grey for missing or unknown)."""
    colors = {key: entry[0] for key, entry in palette.items()}
    return values.map(colors).fillna(NO_DATA_COLOR).astype(object)


def palette_legend(palette: dict, *, lang: str, present: Sequence[str] | None = None) -> list[LegendEntry]:
    return [LegendEntry(entry[2] if lang == "en" else entry[1], entry[0]) for key, entry in palette.items()
            if present is None or key in set(present)]


def compliance_class(analysis: pd.DataFrame) -> pd.Series:
    """``compliant``, ``below``, ``not_judged`` or ``not_built`` per parcel from its FAR and coefficient flags."""
    far_ok = analysis["far_ok"]
    coef_ok = analysis["building_coef_ok"]
    judged = analysis["compliance_judged"].to_numpy(dtype=bool)
    below = (far_ok.eq(False) | coef_ok.eq(False)).fillna(False).to_numpy(dtype=bool)
    known = (far_ok.notna() | coef_ok.notna()).to_numpy(dtype=bool)
    out = np.where(~judged, "not_built", np.where(below, "below", np.where(known, "compliant", "not_judged")))
    return pd.Series(out, index=analysis.index, dtype="str")


def vacancy_colors(rates: pd.Series) -> pd.Series:
    """Colour per vacancy rate band (grey where the rate is unknown)."""
    values = rates.to_numpy(dtype=float, na_value=np.nan)
    out = np.full(len(values), NO_DATA_COLOR, dtype=object)
    for upper, color, _ in reversed(VACANCY_BANDS):
        out[values <= upper] = color
    return pd.Series(out, index=rates.index, dtype=object)


def vacancy_legend() -> list[LegendEntry]:
    return [LegendEntry(label, color) for _, color, label in VACANCY_BANDS]


def colored_layer(
    frame: pd.DataFrame,
    *,
    key: str,
    name: str,
    colors: pd.Series,
    popup: Sequence[PopupField],
    id_field: str,
    title: str,
    fill_opacity: float = 0.7,
    outline: str = "#444444",
    show: bool = True,
    weight_px: float = 0.8,
    color_target: str = "fill",
) -> StyledGeoJson:
    """A styled layer of ``frame`` (working CRS) with precomputed colours and popup fields.

    ``color_target`` says what the colour paints: ``fill`` (polygons with an ``outline``), ``stroke`` (lines)
    or ``both``.
    """
    columns = [f.name for f in popup if f.name != id_field]
    web = to_web(frame[[id_field, "geometry"]] if id_field in frame else frame[["geometry"]].assign(
        **{id_field: frame.index.astype(str)}))
    web = web.join(frame[columns]) if columns else web
    web["_c"] = colors.reindex(frame.index).to_numpy()
    texts = feature_texts(web, id_field=id_field, properties=[*columns, "_c"], precision=WEB_PRECISION)
    data_json = script_safe(f'{{"type":"FeatureCollection","features":[{",".join(texts)}]}}')
    spec = {
        "title": title,
        "popupFields": [{k: v for k, v in vars(f).items() if v is not None} for f in popup],
        "style": {"color": outline, "weight": weight_px, "fillOpacity": fill_opacity},
        "colorTarget": color_target,
        "radius": 6,
    }
    return StyledGeoJson(key, data_json, spec, name=name, n_features=len(texts), show=show)


# -- analysis layers from vector tiles (parks above the tile threshold) ---------------------------------------

#: The tiled analysis layer of the land analysis (``service.tiles.ANALYSIS_LAYERS``); its features carry the
#: parcel's id and the columns the pages colour by.
ANALYSIS_TILE_LAYER = "parcel_analysis"


@dataclass(frozen=True)
class AnalysisTiles:
    """Where a land page's parcels come from as vector tiles when there are more than ``threshold`` of them.

    ``url``: the ``parcel_analysis`` tile URL with Leaflet's ``{z}/{x}/{y}`` and the page's day; ``item_url``: the
    parcels' API item URL (a popup fetches the parcel's name by id).
    """

    url: str
    item_url: str
    threshold: int
    min_zoom: int


def tiled(frame: pd.DataFrame, tiles: AnalysisTiles | TileSettings | None) -> bool:
    """Whether ``frame`` goes to the page as vector tiles: it holds more features than the threshold."""
    return tiles is not None and len(frame) > tiles.threshold


def tile_spec(*, title: str, popup: Sequence[PopupField], item_url: str, min_zoom: int, color_field: str | None,
              palette: dict, labels: dict[str, str], fill_opacity: float = 0.7, outline: str = "#444444",
              default_color: str = NO_DATA_COLOR) -> dict:
    """The client spec (``static/js/parkatlas-tiles.js``) of a parcel layer drawn from tiles in one page's colours:
    by tile property ``color_field`` through ``palette`` ({value: (colour, …)}), else all ``default_color``;
    popups name ``labels`` for its values and fetch the rest by id from ``item_url``."""
    return {
        "title": title,
        "popupFields": [{k: v for k, v in vars(f).items() if v is not None} for f in popup],
        "style": {"color": outline, "weight": 0.8, "fillOpacity": fill_opacity},
        "colorTarget": "fill", "radius": 6, "idField": "parcel_id", "geometry": "Polygon",
        "itemUrl": item_url, "minZoom": min_zoom,
        "colorField": color_field, "stdField": None, "defaultStd": None,
        "palette": {key: entry[0] for key, entry in palette.items()}, "defaultColor": default_color,
        "weightField": None, "weights": {}, "outlineField": None, "outlineOnly": [],
        "codeLabels": {color_field: labels} if color_field else {}, "landUseLabels": {},
    }


def analysis_tiled_layer(*, name: str, title: str, color_field: str, palette: dict, labels: dict[str, str],
                         popup: Sequence[PopupField], tiles: AnalysisTiles, n_features: int,
                         asset_base_url: str) -> TiledLayer:
    """The parcels of the land analysis drawn from tiles, coloured by their ``color_field``."""
    spec = tile_spec(title=title, popup=popup, item_url=tiles.item_url, min_zoom=tiles.min_zoom,
                     color_field=color_field, palette=palette, labels=labels)
    return TiledLayer(ANALYSIS_TILE_LAYER, tiles.url, spec, name=name, n_features=n_features,
                      asset_base_url=asset_base_url)


def plain_parcels_tiled(parcels: pd.DataFrame, *, name: str, popup: Sequence[PopupField], color: str,
                        tiles: TileSettings, asset_base_url: str) -> TiledLayer:
    """The registry's parcel tiles drawn in one light colour, for orientation beneath a page's own layer."""
    spec = tile_spec(title=name, popup=popup, item_url=tiles.item_url_template.format(layer="parcels"),
                     min_zoom=tiles.min_zoom, color_field=None, palette={}, labels={}, fill_opacity=0.4,
                     outline="#bbbbbb", default_color=color)
    return TiledLayer("parcels", tiles.url_template.replace("{layer}", "parcels"), spec, name=name,
                      n_features=len(parcels), asset_base_url=asset_base_url)


def base_map(frames: Sequence[pd.DataFrame], *, lang: str, basemap: str, asset_base_url: str,
              tianditu_key: str) -> ParkMap:
    m = ParkMap(asset_base_url=asset_base_url, lang=lang, zoom_start=14)
    add_basemap(m, basemap, lang=lang, tianditu_key=tianditu_key)
    fit_to_layers(m, [f for f in frames if len(f)])
    return m


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def land_map(analysis: pd.DataFrame, *, lang: str = "zh", basemap: str = "none", asset_base_url: str = "/static",
             tianditu_key: str = "", tiles: AnalysisTiles | None = None) -> ParkMap:
    """Parcels coloured by compliance with the control indicators (FAR, building coefficient); from ``tiles``
    when there are more than their threshold."""
    m = base_map([analysis], lang=lang, basemap=basemap, asset_base_url=asset_base_url, tianditu_key=tianditu_key)
    popup = [
        PopupField("name", _t(lang, "名称", "Name")),
        PopupField("area_mu", _t(lang, "面积", "Area"), _t(lang, "亩", "mu")),
        PopupField("far", _t(lang, "容积率", "FAR")),
        PopupField("far_required", _t(lang, "容积率要求", "FAR required")),
        PopupField("building_coef", _t(lang, "建筑系数", "Building coefficient")),
        PopupField("far_headroom_m2", _t(lang, "可增建筑面积", "Extra floor area"), "m²", 0),
        PopupField("inefficiency", _t(lang, "低效类型", "Inefficiency")),
        PopupField("mu_grade", _t(lang, "亩均等级", "亩均 grade")),
    ]
    if tiled(analysis, tiles):
        analysis_tiled_layer(name=_t(lang, "地块达标情况", "Parcel compliance"), title=_t(lang, "地块", "Parcel"),
                             color_field="compliance", palette=COMPLIANCE_PALETTE,
                             labels=palette_labels(COMPLIANCE_PALETTE, lang),
                             popup=[popup[0], PopupField("compliance", _t(lang, "达标情况", "Compliance"))],
                             tiles=tiles, n_features=len(analysis), asset_base_url=asset_base_url).add_to(m)
    else:
        colored_layer(analysis, key="parcels", name=_t(lang, "地块达标情况", "Parcel compliance"),
                      colors=palette_colors(compliance_class(analysis), COMPLIANCE_PALETTE), popup=popup,
                      id_field="parcel_id", title=_t(lang, "地块", "Parcel")).add_to(m)
    add_layer_control(m)
    return m


def palette_labels(palette: dict, lang: str) -> dict[str, str]:
    """Each palette value's label in ``lang``."""
    return {key: entry[2] if lang == "en" else entry[1] for key, entry in palette.items()}


def idle_map(analysis: pd.DataFrame, *, lang: str = "zh", basemap: str = "none", asset_base_url: str = "/static",
             tianditu_key: str = "", others: pd.DataFrame | None = None, tiles: AnalysisTiles | None = None,
             park: pd.DataFrame | None = None) -> ParkMap:
    """Parcels coloured by idle status; a second (hidden) layer of inefficient land by first category.

    ``others``: the park's parcels a filter left out, drawn grey beneath (the park kept as context; the view
    fits the whole park). With ``tiles`` and more chosen parcels than their threshold, every parcel of the
    park (``park``) comes from tiles, coloured by idle status (a tile layer has one colouring: the inefficient
    land is in the page's table); more left out than the threshold are not drawn as context.
    """
    frames = [analysis] if others is None else [analysis, others]
    m = base_map(frames, lang=lang, basemap=basemap, asset_base_url=asset_base_url, tianditu_key=tianditu_key)
    if tiled(analysis, tiles):
        analysis_tiled_layer(name=_t(lang, "闲置土地", "Idle land"), title=_t(lang, "地块", "Parcel"),
                             color_field="idle_status", palette=IDLE_PALETTE, labels=palette_labels(IDLE_PALETTE, lang),
                             popup=[PopupField("name", _t(lang, "名称", "Name")),
                                    PopupField("idle_status", _t(lang, "闲置状态", "Idle status"))],
                             tiles=tiles, n_features=len(analysis if park is None else park),
                             asset_base_url=asset_base_url).add_to(m)
        add_layer_control(m)
        return m
    if others is not None and len(others) and not tiled(others, tiles):
        colored_layer(others, key="others", name=_t(lang, "其他地块（未入选）", "Other parcels (filtered out)"),
                      colors=pd.Series(FILTERED_OUT_COLOR, index=others.index), fill_opacity=0.35,
                      outline="#bbbbbb", popup=[PopupField("name", _t(lang, "名称", "Name"))],
                      id_field="parcel_id", title=_t(lang, "地块", "Parcel")).add_to(m)
    shown = analysis.assign(idle_status_label=analysis["idle_status"].map(palette_labels(IDLE_PALETTE, lang)))
    popup = [
        PopupField("name", _t(lang, "名称", "Name")),
        PopupField("area_mu", _t(lang, "面积", "Area"), _t(lang, "亩", "mu")),
        PopupField("idle_status_label", _t(lang, "闲置状态", "Idle status")),
        PopupField("idle_clause", _t(lang, "认定条款", "Clause")),
        PopupField("idle_since", _t(lang, "起算日", "Clock started")),
        PopupField("idle_days", _t(lang, "天数", "Days"), None, 0),
        PopupField("idle_fee_wan", _t(lang, "闲置费", "Idle fee"), _t(lang, "万元", "10k yuan")),
        PopupField("exempt_code", _t(lang, "免责原因", "Exemption")),
        PopupField("days_to_next_threshold", _t(lang, "距下一节点天数", "Days to next threshold"), None, 0),
    ]
    colored_layer(shown, key="idle", name=_t(lang, "闲置土地", "Idle land"),
                  colors=palette_colors(analysis["idle_status"], IDLE_PALETTE), popup=popup, id_field="parcel_id",
                  title=_t(lang, "地块", "Parcel")).add_to(m)
    # The first category; a regex keeps the string dtype (a split of values all missing is a float column,
    # which has no .str: a park without inefficient land answered 500).
    first = analysis["inefficiency"].str.replace(r",.*$", "", regex=True)
    inefficient = analysis[first.notna().to_numpy()]
    colored_layer(inefficient.assign(inefficiency_reason=inefficient["inefficiency_reason"]), key="inefficiency",
                  name=_t(lang, "低效用地", "Inefficient land"),
                  colors=palette_colors(first[first.notna()], INEFFICIENCY_PALETTE),
                  popup=[PopupField("name", _t(lang, "名称", "Name")),
                         PopupField("inefficiency_reason", _t(lang, "原因", "Reason"))],
                  id_field="parcel_id", title=_t(lang, "低效用地", "Inefficient land"), show=False).add_to(m)
    add_layer_control(m)
    return m


def vacancy_map(buildings: pd.DataFrame, parcels: pd.DataFrame, *, lang: str = "zh", basemap: str = "none",
                asset_base_url: str = "/static", tianditu_key: str = "", tiles: TileSettings | None = None) -> ParkMap:
    """Standard-factory buildings coloured by vacancy rate over the parcels (drawn light, for orientation; from
    the parcels' tiles when there are more than the ``tiles`` threshold). Above the threshold only that many
    buildings, those with the most vacant space, are drawn (inline: the vacancy analysis has no tiles)."""
    m = base_map([buildings if len(buildings) else parcels], lang=lang, basemap=basemap,
                  asset_base_url=asset_base_url, tianditu_key=tianditu_key)
    if tiled(parcels, tiles):
        plain_parcels_tiled(parcels, name=_t(lang, "地块", "Parcels"), popup=[PopupField("name", _t(lang, "名称", "Name"))],
                            color=PARCEL_CONTEXT_COLOR, tiles=tiles, asset_base_url=asset_base_url).add_to(m)
    else:
        colored_layer(parcels, key="parcels", name=_t(lang, "地块", "Parcels"),
                      colors=pd.Series(PARCEL_CONTEXT_COLOR, index=parcels.index), fill_opacity=0.4,
                      outline="#bbbbbb", popup=[PopupField("name", _t(lang, "名称", "Name"))], id_field="parcel_id",
                      title=_t(lang, "地块", "Parcel")).add_to(m)
    if len(buildings):
        frame = buildings.reset_index()
        frame["vacancy_pct"] = (frame["vacancy_rate"] * 100).round(1)
        popup = [
            PopupField("name", _t(lang, "名称", "Name")),
            PopupField("phase", _t(lang, "期次", "Phase")),
            PopupField("leasable_m2", _t(lang, "可租面积", "Leasable"), "m²", 0),
            PopupField("vacant_m2", _t(lang, "空置面积", "Vacant"), "m²", 0),
            PopupField("vacancy_pct", _t(lang, "空置率", "Vacancy rate"), "%", 1),
            PopupField("vacant_units", _t(lang, "空置单元", "Vacant units"), None, 0),
        ]
        name = _t(lang, "标准厂房空置率", "Factory vacancy")
        if tiled(frame, tiles):  # no vacancy tiles: the most vacant ones inline, every one in the page's table
            frame = frame.nlargest(tiles.threshold, "vacant_m2", keep="first").sort_index()
            name = _t(lang, f"空置面积最大的 {len(frame)} 栋标准厂房", f"The {len(frame)} factories with most vacant space")
        colored_layer(frame.set_index(frame.index), key="buildings", name=name,
                      colors=vacancy_colors(frame["vacancy_rate"]), popup=popup, id_field="building_id",
                      title=_t(lang, "厂房", "Building"), fill_opacity=0.85).add_to(m)
    add_layer_control(m)
    return m
