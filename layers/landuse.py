"""Land-use classification systems and their codes.

The same digits mean different things in different systems: ``1001`` is
工业用地 in 用地用海分类 (2023) but 铁路用地 in GB/T 21010-2017. Every parcel
therefore stores its code together with the system (``land_use_std``); the
validator checks the code against that system's table.

Colours follow the national planning palette as commonly published with the
用地用海 guideline (an approximation: the official colour table was not seen;
see DOMAIN.md §6).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

STD_2023 = "用地用海2023"
STD_GB50137 = "GB50137-2011"
STD_GBT21010 = "GB/T21010-2017"
LAND_USE_STANDARDS = (STD_2023, STD_GB50137, STD_GBT21010)


@dataclass(frozen=True)
class LandUseClass:
    code: str
    label_zh: str
    label_en: str
    color: str


def _classes(rows):
    return {code: LandUseClass(code, zh, en, color) for code, zh, en, color in rows}


#: 国土空间调查、规划、用途管制用地用海分类 (2023): first-level classes and the
#: second/third levels a park planner meets. Industrial subtypes are six-digit.
CLASSES_2023 = _classes(
    [
        ("01", "耕地", "Cropland", "#f5f8dc"),
        ("0101", "水田", "Paddy field", "#f5f8dc"),
        ("0102", "水浇地", "Irrigated land", "#f5f8dc"),
        ("0103", "旱地", "Dry land", "#f5f8dc"),
        ("02", "园地", "Orchard land", "#bfe9aa"),
        ("03", "林地", "Forest land", "#68b167"),
        ("0301", "乔木林地", "Arbour forest", "#68b167"),
        ("0304", "其他林地", "Other forest", "#8cc98a"),
        ("04", "草地", "Grassland", "#c9f5ad"),
        ("05", "湿地", "Wetland", "#65cdaa"),
        ("06", "农业设施建设用地", "Agricultural facilities", "#d8d7a0"),
        ("07", "居住用地", "Residential", "#ffff2d"),
        ("0701", "城镇住宅用地", "Urban housing", "#ffff2d"),
        ("08", "公共管理与公共服务用地", "Public administration and services", "#ff7fbf"),
        ("0802", "科研用地", "Research", "#e6a5a0"),
        ("09", "商业服务业用地", "Commercial and business", "#ff0000"),
        ("0901", "商业用地", "Commercial", "#ff0000"),
        ("0902", "商务金融用地", "Business and finance", "#e64545"),
        ("10", "工矿用地", "Industrial and mining", "#bb9674"),
        ("1001", "工业用地", "Industrial", "#bb9674"),
        ("100101", "一类工业用地", "Class 1 industrial", "#d9bf9e"),
        ("100102", "二类工业用地", "Class 2 industrial", "#bb9674"),
        ("100103", "三类工业用地", "Class 3 industrial", "#96704f"),
        ("1002", "采矿用地", "Mining", "#9e6b57"),
        ("1003", "盐田", "Salt pans", "#e1e1e1"),
        ("11", "仓储用地", "Storage", "#8761d3"),
        ("1101", "物流仓储用地", "Logistics and warehousing", "#8761d3"),
        ("110101", "一类物流仓储用地", "Class 1 logistics", "#a588e0"),
        ("110102", "二类物流仓储用地", "Class 2 logistics", "#8761d3"),
        ("110103", "三类物流仓储用地", "Class 3 logistics", "#6a45b8"),
        ("1102", "储备库用地", "Reserve depots", "#a088e0"),
        ("12", "交通运输用地", "Transport", "#a3a3a3"),
        ("1207", "城镇村道路用地", "Roads", "#a3a3a3"),
        ("1208", "交通场站用地", "Transport stations", "#8c8c8c"),
        ("13", "公用设施用地", "Public utilities", "#00637f"),
        ("1301", "供水用地", "Water supply", "#3d8fb3"),
        ("1302", "排水用地", "Drainage", "#2f7a8c"),
        ("1303", "供电用地", "Power supply", "#00637f"),
        ("1304", "供燃气用地", "Gas supply", "#1f6f99"),
        ("1305", "供热用地", "Heat supply", "#2b5f73"),
        ("1306", "通信用地", "Telecommunications", "#3f7f99"),
        ("1309", "环卫用地", "Sanitation", "#467a8a"),
        ("1310", "消防用地", "Fire service", "#2d6c7f"),
        ("14", "绿地与开敞空间用地", "Green and open space", "#33cc33"),
        ("1401", "公园绿地", "Parks", "#33cc33"),
        ("1402", "防护绿地", "Protective green", "#30a32e"),
        ("1403", "广场用地", "Squares", "#acd598"),
        ("16", "留白用地", "Reserved land", "#ffffff"),
        ("17", "陆地水域", "Inland water", "#85b7e6"),
        ("23", "其他土地", "Other land", "#c8c8c8"),
        ("2301", "空闲地", "Vacant land", "#c8c8c8"),
    ]
)

#: GB 50137-2011 城市用地分类 (codes still used in CAD plans).
CLASSES_GB50137 = _classes(
    [
        ("R", "居住用地", "Residential", "#ffff2d"),
        ("A", "公共管理与公共服务设施用地", "Public administration and services", "#ff7fbf"),
        ("B", "商业服务业设施用地", "Commercial and business", "#ff0000"),
        ("B1", "商业用地", "Commercial", "#ff0000"),
        ("B2", "商务用地", "Business", "#e64545"),
        ("B41", "加油加气站用地", "Filling stations", "#ff5f5f"),
        ("M", "工业用地", "Industrial", "#bb9674"),
        ("M1", "一类工业用地", "Class 1 industrial", "#d9bf9e"),
        ("M2", "二类工业用地", "Class 2 industrial", "#bb9674"),
        ("M3", "三类工业用地", "Class 3 industrial", "#96704f"),
        ("W", "物流仓储用地", "Logistics and warehousing", "#8761d3"),
        ("W1", "一类物流仓储用地", "Class 1 logistics", "#a588e0"),
        ("W2", "二类物流仓储用地", "Class 2 logistics", "#8761d3"),
        ("W3", "三类物流仓储用地", "Class 3 logistics", "#6a45b8"),
        ("S", "道路与交通设施用地", "Roads and transport", "#a3a3a3"),
        ("S1", "城市道路用地", "Urban roads", "#a3a3a3"),
        ("S4", "交通场站用地", "Transport stations", "#8c8c8c"),
        ("U", "公用设施用地", "Public utilities", "#00637f"),
        ("U11", "供水用地", "Water supply", "#3d8fb3"),
        ("U12", "供电用地", "Power supply", "#00637f"),
        ("U13", "供燃气用地", "Gas supply", "#1f6f99"),
        ("U14", "供热用地", "Heat supply", "#2b5f73"),
        ("U15", "通信用地", "Telecommunications", "#3f7f99"),
        ("U21", "排水用地", "Drainage", "#2f7a8c"),
        ("G", "绿地与广场用地", "Green space and squares", "#33cc33"),
        ("G1", "公园绿地", "Parks", "#33cc33"),
        ("G2", "防护绿地", "Protective green", "#30a32e"),
        ("G3", "广场用地", "Squares", "#acd598"),
        ("E", "非建设用地", "Non-construction land", "#c8e6c8"),
        ("E1", "水域", "Water", "#85b7e6"),
    ]
)

#: GB/T 21010-2017 土地利用现状分类 (and the 三调 working classes).
CLASSES_GBT21010 = _classes(
    [
        ("01", "耕地", "Cropland", "#f5f8dc"),
        ("03", "林地", "Forest land", "#68b167"),
        ("05", "商服用地", "Commercial", "#ff0000"),
        ("0508", "物流仓储用地", "Logistics and warehousing", "#8761d3"),
        ("06", "工矿仓储用地", "Industrial, mining and storage", "#bb9674"),
        ("0601", "工业用地", "Industrial", "#bb9674"),
        ("0602", "采矿用地", "Mining", "#9e6b57"),
        ("0604", "仓储用地", "Storage", "#8761d3"),
        ("07", "住宅用地", "Residential", "#ffff2d"),
        ("08", "公共管理与公共服务用地", "Public administration and services", "#ff7fbf"),
        ("0809", "公用设施用地", "Public utilities", "#00637f"),
        ("0810", "公园与绿地", "Parks and green", "#33cc33"),
        ("10", "交通运输用地", "Transport", "#a3a3a3"),
        ("1001", "铁路用地", "Railway", "#5f5f5f"),
        ("1004", "城镇村道路用地", "Roads", "#a3a3a3"),
        ("11", "水域及水利设施用地", "Water and water works", "#85b7e6"),
        ("12", "其他土地", "Other land", "#c8c8c8"),
        ("1201", "空闲地", "Vacant land", "#c8c8c8"),
    ]
)

CLASSES_BY_STANDARD = {
    STD_2023: CLASSES_2023,
    STD_GB50137: CLASSES_GB50137,
    STD_GBT21010: CLASSES_GBT21010,
}

#: Codes of the 2023 system that count as industrial land (工业用地) and logistics.
INDUSTRIAL_CODES_2023 = ("1001", "100101", "100102", "100103")
LOGISTICS_CODES_2023 = ("11", "1101", "110101", "110102", "110103", "1102")

#: The industrial-land class (工业用地) of each system; its sub-classes start with the same code.
INDUSTRIAL_CLASS_BY_STANDARD = {STD_2023: "1001", STD_GB50137: "M", STD_GBT21010: "0601"}

UNKNOWN_COLOR = "#cccccc"


def land_use_class(code: str, standard: str = STD_2023) -> LandUseClass | None:
    """The class of ``code`` in ``standard``; falls back to its parent code."""
    table = CLASSES_BY_STANDARD.get(standard, {})
    return next((table[c] for c in (str(code), *_parents(str(code))) if c in table), None)


def code_of_name(name: str, fold=lambda text: text) -> tuple[str, str] | None:
    """(code, system) of the class whose Chinese name is ``name`` (二类工业用地 → 100102, 用地用海2023); a name of
    several systems is the 2023 class (the same land: 工业用地 is 1001, M and 0601). ``fold`` makes names
    comparable (width, case, traditional characters: ``layers.io.suggest.fold``)."""
    return _codes_by_name(fold).get(fold(name))


@functools.lru_cache(maxsize=4)
def _codes_by_name(fold) -> dict[str, tuple[str, str]]:
    names: dict[str, tuple[str, str]] = {}
    for std in (STD_GB50137, STD_GBT21010, STD_2023):  # 2023 last: it wins a shared name
        names.update({fold(c.label_zh): (code, std) for code, c in CLASSES_BY_STANDARD[std].items()})
    return names


def is_known_code(code: str, standard: str) -> bool:
    """Whether ``code`` (or its parent class) exists in ``standard``."""
    return land_use_class(code, standard) is not None


def top_classes(standard: str) -> tuple[str, ...]:
    """The first-level class codes of ``standard``: a code is known when it is one of them or a sub-code of one."""
    table = CLASSES_BY_STANDARD.get(standard, {})
    return tuple(code for code in table if not any(parent in table for parent in _parents(code)))


def _parents(code: str) -> list[str]:
    """``code``'s parent codes, nearest first: 100101 → 1001, 10; B41 → B4, B."""
    parents = []
    while code:
        code = code[:-2] if code.isdigit() else code[:-1]
        if code:
            parents.append(code)
    return parents


def land_use_color(code: str, standard: str = STD_2023) -> str:
    found = land_use_class(code, standard)
    return found.color if found is not None else UNKNOWN_COLOR
