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
        ("02", "园地", "Orchard land", "#bfe9aa"),
        ("03", "林地", "Forest land", "#68b167"),
        ("04", "草地", "Grassland", "#c9f5ad"),
        ("05", "商服用地", "Commercial", "#ff0000"),
        ("0508", "物流仓储用地", "Logistics and warehousing", "#8761d3"),
        ("06", "工矿仓储用地", "Industrial, mining and storage", "#bb9674"),
        ("0601", "工业用地", "Industrial", "#bb9674"),
        ("0602", "采矿用地", "Mining", "#9e6b57"),
        ("0604", "仓储用地", "Storage", "#8761d3"),
        ("07", "住宅用地", "Residential", "#ffff2d"),
        ("0701", "城镇住宅用地", "Urban housing", "#ffff2d"),
        ("0702", "农村宅基地", "Rural homesteads", "#ffff9f"),
        ("08", "公共管理与公共服务用地", "Public administration and services", "#ff7fbf"),
        ("0809", "公用设施用地", "Public utilities", "#00637f"),
        ("0810", "公园与绿地", "Parks and green", "#33cc33"),
        ("09", "特殊用地", "Special use", "#a0a0c8"),
        ("10", "交通运输用地", "Transport", "#a3a3a3"),
        ("1001", "铁路用地", "Railway", "#5f5f5f"),
        ("1004", "城镇村道路用地", "Roads", "#a3a3a3"),
        ("11", "水域及水利设施用地", "Water and water works", "#85b7e6"),
        ("12", "其他土地", "Other land", "#c8c8c8"),
        ("1201", "空闲地", "Vacant land", "#c8c8c8"),
    ]
)

#: GB/T 21010-2007 土地利用现状分类 (二调): the codes of cadastral and land-registry files older than 2017
#: (``TDYT`` 土地用途 061 …). Read by the import and re-coded to GB/T 21010-2017 (never stored as such): the
#: 2017 revision kept the twelve first-level classes and gave the second level two digits (061 工业用地 → 0601),
#: splitting some classes (051 批发零售用地 → 0501 零售商业 / 0502 批发市场). ◐: the three-digit codes, the
#: twelve first-level classes and which classes 2017 split are from the foreword of GB/T 21010-2017 and public
#: copies of the 2007 table (docs/import.md, "Land-use codes"); where 2017 split a class, the pair is its
#: first-level class, and every re-coded record is flagged for review.
STD_GBT21010_2007 = "GB/T21010-2007"
#: 2007 code → (name, English name, the 2017 code of the same land; a first-level class where 2017 split it).
GBT21010_2007 = {
    "01": ("耕地", "Cropland", "01"), "011": ("水田", "Paddy field", "0101"),
    "012": ("水浇地", "Irrigated land", "0102"), "013": ("旱地", "Dry land", "0103"),
    "02": ("园地", "Orchard land", "02"), "021": ("果园", "Orchard", "0201"), "022": ("茶园", "Tea garden", "0202"),
    "023": ("其他园地", "Other orchard land", "02"),
    "03": ("林地", "Forest land", "03"), "031": ("有林地", "Forest", "03"), "032": ("灌木林地", "Shrubland", "0305"),
    "033": ("其他林地", "Other forest", "0307"),
    "04": ("草地", "Grassland", "04"), "041": ("天然牧草地", "Natural pasture", "0401"),
    "042": ("人工牧草地", "Sown pasture", "0403"), "043": ("其他草地", "Other grassland", "0404"),
    "05": ("商服用地", "Commercial", "05"), "051": ("批发零售用地", "Wholesale and retail", "05"),
    "052": ("住宿餐饮用地", "Hotels and catering", "05"), "053": ("商务金融用地", "Business and finance", "0505"),
    "054": ("其他商服用地", "Other commercial", "0507"),
    "06": ("工矿仓储用地", "Industrial, mining and storage", "06"), "061": ("工业用地", "Industrial", "0601"),
    "062": ("采矿用地", "Mining", "0602"), "063": ("仓储用地", "Storage", "0604"),
    "07": ("住宅用地", "Residential", "07"), "071": ("城镇住宅用地", "Urban housing", "0701"),
    "072": ("农村宅基地", "Rural homesteads", "0702"),
    "08": ("公共管理与公共服务用地", "Public administration and services", "08"),
    "081": ("机关团体用地", "Government and institutions", "0801"), "082": ("新闻出版用地", "Press and publishing", "0802"),
    "083": ("科教用地", "Science and education", "08"), "084": ("医卫慈善用地", "Health and charity", "08"),
    "085": ("文体娱乐用地", "Culture, sports and recreation", "08"), "086": ("公共设施用地", "Public utilities", "0809"),
    "087": ("公园与绿地", "Parks and green", "0810"), "088": ("风景名胜设施用地", "Scenic-site facilities", "09"),
    "09": ("特殊用地", "Special use", "09"), "091": ("军事设施用地", "Military", "0901"),
    "092": ("使领馆用地", "Embassies", "0902"), "093": ("监教场所用地", "Prisons", "0903"),
    "094": ("宗教用地", "Religious", "0904"), "095": ("殡葬用地", "Burial", "0905"),
    "10": ("交通运输用地", "Transport", "10"), "101": ("铁路用地", "Railway", "1001"), "102": ("公路用地", "Highway", "1003"),
    "103": ("街巷用地", "Streets", "10"), "104": ("农村道路", "Rural roads", "1006"), "105": ("机场用地", "Airport", "1007"),
    "106": ("港口码头用地", "Ports", "1008"), "107": ("管道运输用地", "Pipeline transport", "1009"),
    "11": ("水域及水利设施用地", "Water and water works", "11"), "111": ("河流水面", "Rivers", "1101"),
    "112": ("湖泊水面", "Lakes", "1102"), "113": ("水库水面", "Reservoirs", "1103"), "114": ("坑塘水面", "Ponds", "1104"),
    "115": ("沿海滩涂", "Coastal flats", "1105"), "116": ("内陆滩涂", "Inland flats", "1106"),
    "117": ("沟渠", "Ditches", "1107"), "118": ("水工建筑用地", "Water works", "1109"),
    "119": ("冰川及永久积雪", "Glaciers and snow", "1110"),
    "12": ("其他土地", "Other land", "12"), "121": ("空闲地", "Vacant land", "1201"),
    "122": ("设施农用地", "Farm facilities", "1202"), "123": ("田坎", "Field ridges", "1203"),
    "124": ("盐碱地", "Saline land", "1204"), "125": ("沼泽地", "Marsh", "11"), "126": ("沙地", "Sand", "1205"),
    "127": ("裸地", "Bare land", "12"),
}
#: The classifications a file's codes are read in: those stored, and GB/T 21010-2007, re-coded on import.
READ_STANDARDS = (*LAND_USE_STANDARDS, STD_GBT21010_2007)


def recode_gbt21010_2007(code: str) -> str | None:
    """The GB/T 21010-2017 code of the same land as GB/T 21010-2007 ``code`` (061 → 0601; 051 → 05, the
    first-level class, where 2017 split the class); None when ``code`` is no 2007 class."""
    found = GBT21010_2007.get(code)
    return found[2] if found is not None else None


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
        # Digits: two per level (a three-digit GB/T 21010-2007 code's parent is its first two).
        code = code[:(len(code) - 1) // 2 * 2] if code.isdigit() else code[:-1]
        if code:
            parents.append(code)
    return parents


def land_use_color(code: str, standard: str = STD_2023) -> str:
    found = land_use_class(code, standard)
    return found.color if found is not None else UNKNOWN_COLOR


# The 2007 classes by name, coloured as the 2017 class they became (a file's codes shown before re-coding).
CLASSES_BY_STANDARD[STD_GBT21010_2007] = {
    code: LandUseClass(code, zh, en, land_use_color(new, STD_GBT21010)) for code, (zh, en, new) in GBT21010_2007.items()}
