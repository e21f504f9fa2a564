"""Zones of the demo park: its boundary, the expansion area and the planning constraints.

Placed relative to the grid so they overlap the expansion area in known ways: the
urban development boundary leaves out the coastal strip east of the planned plots,
where the ecological red line (a coastal wetland) begins; permanent basic farmland
presses against the south-east of the expansion area and covers part of its
southern plots; a hill with class I and other forest, prone to geohazards, sits in
the north-east; a canal with its management zone and a flood-prone strip run along
the north edge.
"""

from __future__ import annotations

import numpy as np
import shapely

from layers.demo.layout import BAND_EXPANSION, Layout

SOURCES = {
    "plan": "台州市国土空间总体规划（2021—2035年）（演示数据）",
    "lines": "三区三线划定成果（演示数据）",
    "forest": "林地保护利用规划（演示数据）",
    "hazard": "地质灾害防治规划（演示数据）",
    "water": "防洪规划与河道管理范围划定（演示数据）",
    "park": "园区总体规划（演示数据）",
}


def plan_zones(layout: Layout) -> dict:
    """Zone records: ids, kinds, names, sources, notes and polygons."""
    g = layout.grid
    x_min, x_max = g.xb[0] - g.ns_width[0] / 2, g.xb[-1] + g.ns_width[-1] / 2
    y_min, y_max = g.yb[0] - g.ew_width[0] / 2, g.yb[-1] + g.ew_width[-1] / 2
    expansion_cols = np.flatnonzero(g.col_band == BAND_EXPANSION)
    x_exp = g.xb[expansion_cols[0]] if len(expansion_cols) else x_max
    width, height = x_max - x_min, y_max - y_min
    coast = max(600.0, 0.15 * width)          # the unplotted coastal strip east of the plots
    span = x_max - x_exp
    canal_y = y_max + max(80.0, 0.04 * height)
    hill = shapely.box(x_max + 0.10 * coast, y_max - 0.25 * height, x_max + 0.35 * coast, y_max - 0.10 * height)
    hill_slopes = shapely.box(x_max + 0.05 * coast, y_max - 0.35 * height, x_max + 0.5 * coast, y_max - 0.02 * height)
    canal = shapely.box(x_min - 800, canal_y, x_max + coast + 800, canal_y + 60)
    rows = [
        ("park_boundary", "园区范围（一期、二期）", "park", "一期和二期的规划范围",
         shapely.box(x_min, y_min, x_exp, y_max)),
        ("expansion_area", "拓展区", "park", "向海拓展；东侧沿海滩涂不在城镇开发边界内",
         shapely.box(x_exp, y_min - 0.05 * height, x_max + coast, y_max + 0.08 * height)),
        ("urban_dev_boundary", "城镇开发边界", "lines", "覆盖园区及拓展区大部，沿海一侧除外",
         shapely.box(x_min - 300, y_min - 0.08 * height, x_max + 0.4 * coast, y_max + 0.12 * height)),
        ("eco_redline", "沿海湿地生态保护红线", "lines", "滨海湿地，与拓展区东缘重叠",
         shapely.box(x_max + 0.65 * coast, y_min - 0.3 * height, x_max + coast + 800, y_max + 0.3 * height)),
        ("basic_farmland", "永久基本农田（南片）", "lines", "与拓展区东南部规划地块重叠，需调整规划",
         shapely.box(x_exp + 0.35 * span, y_min - 0.4 * height, x_max + 0.5 * coast, y_min + 0.06 * height)),
        ("basic_farmland", "永久基本农田（西片）", "lines", "园区西侧，不在拓展区内",
         shapely.box(x_min - 1500, y_min - 0.3 * height, x_min - 400, y_min + 0.3 * height)),
        ("forest_i", "Ⅰ级保护林地（东山）", "forest", "山体核心林地，禁止建设", hill),
        ("forest_other", "一般林地（东山）", "forest", "需办理使用林地审核同意书",
         shapely.difference(hill_slopes, hill)),
        ("geohazard_prone", "地质灾害易发区（东山）", "hazard", "需开展地质灾害危险性评估",
         shapely.box(x_max - 0.15 * span, y_max - 0.4 * height, x_max + 0.45 * coast, y_max)),
        ("water", "北岸河", "water", "人工运河", canal),
        ("river_zone", "北岸河河道管理范围", "water", "河道两侧各30米",
         shapely.difference(shapely.buffer(canal, 30.0, join_style="mitre"), canal)),
        ("flood", "北岸河洪泛区", "water", "低洼易涝区，需洪水影响评价",
         shapely.box(x_exp + 0.5 * span, y_max - 0.12 * height, x_max + coast, canal_y)),
    ]
    n = len(rows)
    return dict(
        zone_id=np.array([f"ZN-{i + 1:02d}" for i in range(n)], dtype=object),
        kind=np.array([r[0] for r in rows], dtype=object),
        name=np.array([r[1] for r in rows], dtype=object),
        source=np.array([SOURCES[r[2]] for r in rows], dtype=object),
        note=np.array([r[3] for r in rows], dtype=object),
        geometry=np.array([r[4] for r in rows], dtype=object),
    )
