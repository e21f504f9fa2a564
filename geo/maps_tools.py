"""What the map tools of every park map (``static/js/parkatlas-tools.js``) are told: their texts in the page's
language and where they ask the server.

The tools are search with zoom-to, the permalink of the view (``#map=zoom/lat/lng&layers=…`` in the URL, the
page's ``?as_of=`` kept), identify popups listing every layer under a click, and an attribute table of a visible
layer that follows the map. :class:`geo.maps.ParkMap` sends :func:`tool_options` with its client options.
"""

from __future__ import annotations

#: Where the search box asks (``web.search``).
SEARCH_URL = "/api/search"

#: Zoom a hit is shown at, at most: a facility's box is a point, and fitting a point would zoom in to the
#: map's limit; level 18 shows a building with its neighbours.
ZOOM_TO_MAX = 18

#: Texts (Chinese, English) of the tools, by key; ``{n}``, ``{m}``, ``{z}`` are filled in by the browser.
TEXTS: dict[str, tuple[str, str]] = {
    "search_label": ("搜索地块、建筑、企业、道路或设施", "Search parcels, buildings, enterprises, roads or facilities"),
    "search_placeholder": ("搜索编号或名称", "Search id or name"),
    "search_none": ("未找到匹配的要素", "Nothing matches"),
    "search_more": ("共 {m} 个匹配，显示前 {n} 个", "{n} of {m} matches shown"),
    "search_failed": ("搜索失败", "The search failed"),
    "copy_link": ("复制链接", "Copy link"),
    "copy_link_title": ("复制本视图的链接（范围、图层、日期）", "Copy a link to this view (extent, layers, day)"),
    "link_copied": ("链接已复制", "Link copied"),
    "link_label": ("本视图的链接", "Link to this view"),
    "table": ("属性表", "Attribute table"),
    "table_title": ("列出可见图层在当前视图内的要素", "List the features of a visible layer in view"),
    "table_layer": ("图层", "Layer"),
    "table_count": ("显示 {n} / {m} 个要素", "Showing {n} of {m} features"),
    "table_none": ("当前视图内没有要素", "No features in view"),
    "table_no_layer": ("没有可见图层", "No layer is visible"),
    "table_zoom_in": ("放大到 {z} 级以上以列出此图层", "Zoom in to level {z} to list this layer"),
    "table_close": ("关闭", "Close"),
    "loading": ("加载中…", "Loading…"),
    "load_failed": ("加载失败", "Could not load"),
    "identify_count": ("此处有 {n} 个要素", "{n} features here"),
}


def tool_texts(lang: str) -> dict[str, str]:
    """:data:`TEXTS` in ``lang`` (``en``, else Chinese)."""
    return {key: en if lang == "en" else zh for key, (zh, en) in TEXTS.items()}


def tool_options(lang: str) -> dict:
    """The tools' client options: texts, the search URL and the zoom limit of zoom-to."""
    return {"texts": tool_texts(lang), "searchUrl": SEARCH_URL, "zoomToMax": ZOOM_TO_MAX,
            "uiLang": "en" if lang == "en" else "zh"}


__all__ = ["SEARCH_URL", "TEXTS", "ZOOM_TO_MAX", "tool_options", "tool_texts"]
