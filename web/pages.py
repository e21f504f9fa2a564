"""HTML pages. ``/`` is the overview: KPI strip, the map of every layer, and its legend."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from flask import Blueprint, current_app, render_template, url_for
from markupsafe import Markup

from geo.maps import (
    TileSettings,
    legend,
    map_components,
    overview_map,
)
from geo.year_changes import history_fields
from layers.registry import get_layer, spatial_layers
from layers.schema import code_label
from web.api import SUMMARY_TOPICS, park_info
from web.background import park_figures, refresh_s
from web.i18n import current_lang, tr
from web.judged import notices
from web.map_layers import map_layers, tile_settings
from web.park import park, request_day

bp = Blueprint("pages", __name__)

#: Areas from this size up are written in 万 m² in Chinese (the committee's unit for floor space).
WAN = 10_000


@dataclass(frozen=True)
class Share:
    """One segment of a KPI card's breakdown bar."""

    label: str
    value: str
    color: str
    fraction: float


@dataclass(frozen=True)
class Card:
    """One KPI card: a label, a headline value with its unit, a detail line and an optional breakdown."""

    key: str
    label: str
    value: str
    unit: str
    detail: str = ""
    shares: list[Share] = field(default_factory=list)
    #: More about the detail line, shown on hover (the card has room for one short line).
    hint: str = ""


#: What a card shows for a figure that could not be judged (``None`` in the summary), never 0.
NOT_JUDGED = "–"


def _number(value: float | None, digits: int = 0) -> str:
    """A figure with thousands separators; the dash for one not judged (``None`` or NaN)."""
    return NOT_JUDGED if value is None or value != value else f"{value:,.{digits}f}"


def _floor_area(area_m2: float | None) -> tuple[str, str]:
    if area_m2 is not None and current_lang() == "zh" and area_m2 >= WAN:
        return _number(area_m2 / WAN, 1), "万m²"
    return _number(area_m2), "m²"


def _or_not_judged(value, detail: str) -> str:
    """A card's detail line, or 无法判断 when its headline figure ``value`` is not judged (``None``)."""
    return tr("无法判断", "not judged") if value is None else detail


def network_count(km_by_network: dict[str, float] | None, unclassified: str) -> str:
    """The pipeline card's detail: how many CJJ 61 networks hold pipelines, and the pipelines of a type outside the
    code list (no network: ``unknown``) as 未分类 with ``unclassified`` (their count or km), never "0 类管网" when
    there are pipelines; 无法判断 when the pipelines are not judged."""
    if km_by_network is None:
        return tr("无法判断", "not judged")
    kinds = sum(1 for key, km in km_by_network.items() if km > 0 and key != "unknown")
    parts = [tr(f"{kinds} 类管网", f"{kinds} networks")] if kinds or not unclassified else []
    if unclassified:
        parts.append(tr(f"未分类 {unclassified}", f"unclassified {unclassified}"))
    return " · ".join(parts)


def _supply_detail(supply: dict) -> str:
    """The land-supplied card's detail: of it industrial and how many parcels were counted by their contract date,
    or how many parcels leave it not judged."""
    if supply["supplied_mu"] is None:
        unknown = supply.get("supply_unknown") or 0
        parcels = "1 parcel has" if unknown == 1 else f"{unknown} parcels have"
        return tr(f"{unknown} 宗地块既无状态也无合同签订日期，无法判断", f"{parcels} neither status nor contract date: "
                  "not judged") if unknown else tr("无法判断", "not judged")
    industrial = _number(supply["industrial_mu"])
    detail = tr(f"其中工业用地 {industrial} 亩", f"of which industrial {industrial} mu")
    if supply.get("supplied_by_date"):
        n = supply["supplied_by_date"]
        detail += tr(f" · {n} 宗无状态、按合同签订日期计", f" · {n} without status, by contract date")
    return detail


def _shares(amounts: dict[str, float], layer: str, field_name: str, *, unit: str, digits: int) -> list[Share]:
    """Breakdown segments for the declared codes with a non-zero amount, coloured as on the map."""
    declared = get_layer(layer).field(field_name)
    total = 0 if amounts is None else sum(amounts.values())
    if total <= 0:
        return []
    lang = current_lang()
    shares = [
        Share(code_label(code, lang), f"{_number(amounts[code.value], digits)} {unit}".strip(),
              code.color or "#8a94a6", amounts[code.value] / total)
        for code in declared.codes
        if amounts.get(code.value, 0) > 0
    ]
    if amounts.get("unknown", 0) > 0:
        shares.append(Share(tr("未知", "unknown"), f"{_number(amounts['unknown'], digits)} {unit}".strip(),
                            "#c8ced8", amounts["unknown"] / total))
    return shares


def _park_area_note(area: dict) -> tuple[str, str]:
    """The park area in 亩 with its basis, and on hover the registered parcels' total, which /land sums (issue 17:
    the two differ because parcels lie outside the boundary and the boundary holds unparcelled land)."""
    mu = _number(area["area_mu"])
    if area["source"] == "none" or area["area_mu"] is None:
        return (tr(f"{mu} 亩", f"{mu} mu"), "") if area["area_mu"] is not None else (tr("无法判断", "not judged"), "")
    if area["source"] != "park_boundary":
        return tr(f"{mu} 亩（无园区边界，按地块范围）", f"{mu} mu (no park boundary: the parcels' extent)"), ""
    parcels, outside = _number(area["parcels_mu"]), _number(area["parcels_outside_mu"])
    return (tr(f"{mu} 亩（园区边界以内）", f"{mu} mu inside the park boundary"),
            tr(f"在册地块合计 {parcels} 亩，其中园区边界以外 {outside} 亩（土地利用页“全园区”一行按地块相加）",
               f"Parcels registered: {parcels} mu, {outside} mu of it outside the park boundary (the land-use "
               "page's park row sums the parcels)"))


def kpi_cards(figures: dict) -> list[Card]:
    """The KPI strip of the overview, labelled in the current language."""
    area, supply, parcels = figures["park_area"], figures["land_supply"], figures["parcels"]
    factory, roads, pipes = figures["factory_space"], figures["roads"], figures["pipelines"]
    gfa_value, gfa_unit = _floor_area(factory["standard_factory_gfa_m2"])
    area_note, area_hint = _park_area_note(area)
    km = tr("公里", "km")
    completed = None if roads["by_status_km"] is None else roads["by_status_km"]["completed"]
    unclassified = (pipes["by_network_count"] or {}).get("unknown", 0)
    return [
        Card("park_area", tr("园区面积", "Park area"), _number(area["area_km2"], 2), tr("平方公里", "km²"),
             area_note, hint=area_hint),
        Card("land_supply", tr("已供地", "Land supplied"), _number(supply["supplied_mu"]), tr("亩", "mu"),
             _supply_detail(supply)),
        Card("parcels", tr("地块", "Parcels"), _number(parcels["total"]), tr("宗", ""),
             tr(f"已供 {supply['supplied_parcels']} 宗", f"{supply['supplied_parcels']} supplied")
             if supply["supplied_parcels"] is not None else tr("已供宗数无法判断", "supplied: not judged"),
             _shares(parcels["by_status"], "parcels", "status", unit=tr("宗", ""), digits=0)),
        Card("factory_space", tr("标准厂房", "Standard factories"), gfa_value, gfa_unit,
             _or_not_judged(factory["standard_factory_gfa_m2"], tr(
                 f"{factory['standard_factory_buildings']} 栋 · {factory['standard_factory_units']} 个单元",
                 f"{factory['standard_factory_buildings']} buildings · {factory['standard_factory_units']} units"))),
        Card("roads", tr("道路", "Roads"), _number(roads["total_km"], 1), km,
             _or_not_judged(completed, tr(f"建成 {_number(completed, 1)} 公里", f"{_number(completed, 1)} km completed")),
             _shares(roads["by_status_km"], "roads", "status", unit=km, digits=1)),
        Card("pipelines", tr("管线", "Pipelines"), _number(pipes["total_km"], 1), km,
             network_count(pipes["by_network_km"], tr(f"{unclassified} 条", f"{unclassified} pipelines")
                           if unclassified else ""),
             _shares(pipes["by_network_km"], "pipelines", "network", unit=km, digits=1)),
        *analysis_cards(figures),
    ]


def _percent(share: float | None) -> str:
    """A share as a percentage; a dash when nothing could be counted (None or NaN)."""
    return "–" if share is None or share != share else f"{share * 100:.1f}"


def _lower_bound(value: float | None, detail: str, unjudged: int | None) -> str:
    """A detail line with " · 3 宗无法判定" when some parcels could not be judged (the figure is a lower bound), or
    when none could (the figure ``value`` is ``None``) that alone."""
    if value is None:
        return tr(f"{unjudged} 宗地块均无法判定", f"none of {unjudged} parcels could be judged") if unjudged else \
            tr("无法判断", "not judged")
    return detail + (tr(f" · {unjudged} 宗无法判定", f" · {unjudged} not judged") if unjudged else "")


def analysis_cards(figures: dict) -> list[Card]:
    """Cards from the analyses: idle and inefficient land, factory vacancy, readiness and conflicts."""
    cards = []
    land = figures.get("land_use_efficiency")
    if land:
        mu = tr("亩", "mu")
        approved = None if land["inefficient_by_category_mu"] is None else \
            land["inefficient_by_category_mu"].get("approved_unsupplied", 0)
        cards += [
            Card("idle_land", tr("闲置土地", "Idle land"), _number(land["idle_mu"]), mu,
                 _lower_bound(land["idle_mu"], tr(
                     f"{land['idle_parcels']} 宗 · 闲置费 {_number(land['idle_fee_wan'])} 万元",
                     f"{land['idle_parcels']} parcels · fees {_number(land['idle_fee_wan'])} 10k yuan"),
                     land["idle_not_judged"])),
            Card("inefficient_land", tr("低效用地", "Inefficient land"), _number(land["inefficient_mu"]), mu,
                 _lower_bound(approved, tr(f"批而未供 {_number(approved)} 亩",
                                           f"approved, unsupplied {_number(approved)} mu"),
                              land["inefficient_not_judged"])),
            Card("vacancy", tr("厂房空置率", "Factory vacancy"), _percent(land["vacancy_rate"]), "%",
                 _or_not_judged(land["leasable_m2"], tr(
                     f"空置 {_number(land['vacant_m2'])} m² / 可租 {_number(land['leasable_m2'])} m²",
                     f"vacant {_number(land['vacant_m2'])} of {_number(land['leasable_m2'])} m² leasable"))),
        ]
    infra = figures.get("infrastructure")
    if infra:
        conflicts = None if infra["conflicts"] is None else infra["conflicts"]["total"]
        ready, supplied = infra["ready_parcels"], infra["supplied_parcels"]
        parts = [] if supplied is None else [tr(f"已供地块 {ready}/{supplied} 宗", f"{ready}/{supplied} supplied parcels")]
        if conflicts is not None:
            parts.append(tr(f"管线冲突 {conflicts} 处", f"{conflicts} pipe conflicts"))
        cards.append(
            Card("readiness", tr(f"{infra['template']}", f"Ready ({infra['template']})"),
                 _percent(infra["ready_share"]), "%", " · ".join(parts) or tr("无法判断", "not judged"))
        )
    return cards


def map_settings() -> dict:
    """What the overview's map depends on besides the park: language, basemap, asset URL, tiles."""
    config = current_app.config
    return {"lang": current_lang(), "basemap": config["BASEMAP"], "asset_base_url": url_for("static", filename=""),
            "tianditu_key": config["TIANDITU_KEY"], "tiles": tile_settings()}


def overview_layers(tiles: TileSettings) -> tuple[dict[str, pd.DataFrame], list[list[float]] | None]:
    """The layers the overview draws (:func:`web.map_layers.map_layers` of every spatial layer, with the fields the
    page's history slider reads: a store reads each layer once) and where its map opens."""
    return map_layers([spec.name for spec in spatial_layers()], tiles, also=history_fields)


@bp.get("/")
def overview():
    """KPI strip, the map of every layer with its layer control, and the legend.

    A large park's figures may still be computing (``web.background``): then the page says so instead of the
    KPI strip and refreshes itself.
    """
    settings = map_settings()

    def build_page_parts():
        layers, start_bounds = overview_layers(settings["tiles"])
        parts = map_components(overview_map(layers, **settings, start_bounds=start_bounds))
        return parts, legend(layers, lang=settings["lang"])

    # The map and legend depend only on the park's version and these settings:
    # build them once per version instead of on every request.
    parts, page_legend = park().derived(("overview_page", repr(sorted(settings.items()))), build_page_parts)
    page = {"park": park_info(), "history_years": park().history_years()}
    figures = park_figures(request_day())  # last: a computation it starts does not slow the page's own work
    return render_template(
        "overview.html", **page,
        # What the figures could not judge comes with them (counting it reads every layer: 0.6 s at 10⁵ parcels).
        not_judged=[] if figures is None else notices(*SUMMARY_TOPICS),
        cards=[] if figures is None else kpi_cards(figures),
        computing=figures is None,
        refresh_s=refresh_s(),
        legend=page_legend,
        map_header=Markup(parts.header),
        map_html=Markup(parts.html),
        map_script=Markup(parts.script),
        tile_layers=",".join(spec.name for spec in spatial_layers()),
    )
