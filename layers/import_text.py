"""Import problems and notices in the reader's language and in the terms of the place they are read.

layers/io and layers/validate write each problem once, in English, in the command line's terms
(``give it with --crs``): the CLI prints them as they are. The upload page shows them through
:func:`layers.io.report.for_web`: in English with the upload form's terms (``web_wording``), in
Chinese from :data:`ZH_PATTERNS` here (each kind of message once, the form's terms, never a flag).
A message the catalogue lacks is shown in the web's English: add its pattern here (tests/test_import_zh_complete.py
imports sample files of every kind and fails on a message without Chinese; only command-line kinds may lack it).
A message that wraps another (``damaged: …``, ``left out: …``, ``报批.txt: …``) is said in Chinese only when what it
wraps is: nothing is shown half translated.

Record labels (``row 3 (parcel_id=P1)``, ``all``, ``file``) and field names are said by
:func:`record_in` and :func:`field_in`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from layers.registry import REGISTRY
from layers.source_attributes import KEPT_TYPE_NAMES

#: What a kind of value is (layers.values.KIND_DESCRIPTIONS) in Chinese.
KINDS_ZH = {
    "text": "文本",
    "a number": "数值",
    "a whole number": "整数",
    "yes/no (true/false, 是/否, 1/0)": "是/否（true/false、是/否、1/0）",
    "a date, year first (YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYYMMDD or YYYY年M月D日)":
        "日期，年份在前（YYYY-MM-DD、YYYY/M/D、YYYY.M.D、YYYYMMDD 或 YYYY年M月D日）",
}
#: Geometry kinds as logged (shapely's and the registry's names) in Chinese.
GEOMETRY_ZH = {"Point": "点", "LineString": "线", "Polygon": "面", "MultiPoint": "多点", "MultiLineString": "多线",
               "MultiPolygon": "多面", "point": "点", "line": "线", "linestring": "线", "polygon": "面", "points": "点", "lines": "线",
               "polygons": "面"}
#: What a file's content is (layers.io.formats' refusals) in Chinese; others lose only their article.
CONTENT_ZH = {"plain text": "纯文本", "empty": "空的", "binary data of no format ParkAtlas imports": "无法导入的二进制数据",
              "a zip archive": "zip 压缩包", "an SQLite database": "SQLite 数据库",
              "a dBASE table (.dbf)": "dBASE 表（.dbf）",
              "a Shapefile geometry file (.shp)": "Shapefile 图形文件（.shp）", "an OSM PBF extract": "OSM PBF 数据",
              "a text DXF drawing": "文本格式 DXF 图纸", "JSON": "JSON 文本", "KML": "KML 文档",
              "a binary DXF drawing (save it from CAD as ASCII DXF)": "二进制 DXF 图纸（请在 CAD 中另存为文本格式 ASCII DXF）",
              "an OGR virtual dataset (VRT): a list of other files and URLs for GDAL to open, not data":
                  "OGR 虚拟数据集（VRT）：只是让 GDAL 去打开其他文件和网址的清单，不是数据",
              "an XML document that is not KML (GML, GPX, VRT and other XML formats are not imported)":
                  "一份非 KML 的 XML 文档（GML、GPX、VRT 等其他 XML 格式不能导入）",
              "a 国土 boundary-coordinate TXT (界址点坐标交换格式; name it .txt)":
                  "国土 TXT（界址点坐标交换格式；请用 .txt 作扩展名）"}
#: Record labels that are not rows.
RECORDS_ZH = {"all": "全部记录", "file": "文件", "park": "园区", "mapping": "字段映射"}


def layer_in(name: str, lang: str = "zh") -> str:
    """A layer as the page names it (地块 for ``parcels``); unknown names as written."""
    spec = REGISTRY.get(name.strip("'\""))
    return spec.label(lang) if spec is not None and lang != "en" else name


def _layers_zh(names: str) -> str:
    return "、".join(layer_in(name.strip()) for name in names.split(","))


def field_in(name: str, lang: str = "zh") -> str:
    """A field as the page names it: its label (用地性质 for ``land_use``) in zh, as written in English and
    for source fields no layer declares."""
    if lang == "en":
        return name
    for spec in REGISTRY.values():
        if name in spec.field_names:
            return spec.field(name).label_zh
    return {"geometry": "图形", "source": "源文件", "record": "记录", "encoding": "字符编码"}.get(name, name)


def _kind_zh(expected: str) -> str:
    for english, chinese in KINDS_ZH.items():
        if expected.startswith(english):
            return chinese + expected[len(english):].replace(" and ", " 且 ")
    return expected


def _geometry_zh(kind: str) -> str:
    return GEOMETRY_ZH.get(kind.strip(), kind)


def _geometries_zh(text: str) -> str:
    """``2 Point, 1 LineString`` → ``2 个点、1 个线``."""
    return "、".join(re.sub(r"(\d+) (\w+)", lambda m: f"{m[1]} 个{_geometry_zh(m[2])}", part.strip())
                    for part in text.split(","))


def _sources_zh(text: str) -> str:
    """Where valid_from came from: ``contract_date, the valid-from given for the file, 2025-06-01`` →
    ``合同签订日期、整个文件的生效日期 2025-06-01``."""
    text = re.sub(r"the valid-from given for the file, (\S+)", r"整个文件的生效日期 \1", text)
    return "、".join(field_in(part.strip()) for part in text.split(","))


def _datum_zh(label: str) -> str:
    """A datum as the English messages name it (Xi'an 1980, layers.io.gk_zones) → as Chinese pages do."""
    from layers.io.gk_zones import DATUMS  # (here: layers.io's package imports this module)

    return next((datum.header_name for datum in DATUMS.values() if datum.label == label), label)


def _content_zh(text: str) -> str:
    return CONTENT_ZH.get(text, re.sub(r"^an? ", "", text))


#: What a file's name promises it is (layers.io.formats.SourceFormat.noun) in Chinese.
NOUNS_ZH = {"a Shapefile": "Shapefile 文件", "a dBASE table": "dBASE 表", "a GeoPackage": "GeoPackage 文件",
            "GeoJSON": "GeoJSON 文件", "an OSM PBF extract": "OSM PBF 文件", "KML": "KML 文件", "a KMZ": "KMZ 文件",
            "a text DXF": "文本格式 DXF 文件", "CSV text": "CSV 文本", "a 国土 boundary-coordinate TXT": "国土 TXT 文件",
            "an XLSX workbook": "XLSX 工作簿", "a zip archive": "zip 压缩包"}


def _not_what_it_says_zh(match: re.Match) -> str:
    """A file whose content is not what its name promises (layers.io.formats.check_content), in Chinese."""
    noun = NOUNS_ZH.get(match["noun"]) or _content_zh(match["noun"]) + " 文件"
    what = _content_zh(match["what"])
    what = (" " if what[:1].isascii() else "") + what
    never = "；这类文件一律不会打开" if match["never"] else ""
    return f"{match['name']} 不是 {noun}：其内容是{what}（开头字节 {match['head']}）{never}"


_AT = r"\((?:line|row) (?P<{0}>\d+)\)"
#: What is said of one plot of a 国土 TXT or a boundary-point table (layers.io.gtxt, layers.io.vertex_table), sentence
#: by sentence: a plot's message is "plot <id> (line|row n): " or "plot <id> (rows a–b): " then sentences joined by
#: "; ".
PLOT_SENTENCES_ZH: tuple[tuple[re.Pattern, str | Callable[[dict], str]], ...] = tuple((re.compile(pattern), zh) for pattern, zh in (
    (r"point (?P<p>\S+) " + _AT.format("n") + r" repeats the closing point; dropped", "点 {p}（第 {n} 行）重复闭合点，已舍去"),
    (r"ring 圈号 (?P<r>\S+) " + _AT.format("n") + r" has (?P<k>\d+) distinct point\(s\); a ring needs at least 3",
     "圈号 {r} 的环（第 {n} 行）只有 {k} 个不同的点，一个环至少要 3 个点"),
    (r"ring 圈号 (?P<r>\S+): closing point (?P<p>\S+) " + _AT.format("n") + r" lies (?P<d>[\d,.]+) m from the first "
     r"point (?P<p0>\S+) " + _AT.format("n0") + r"; they must be the same point \(within (?P<t>[\d.]+) m\)",
     "圈号 {r} 的环：闭合点 {p}（第 {n} 行）距首点 {p0}（第 {n0} 行）{d} 米，二者应为同一点（相差不超过 {t} 米）"),
    (r"ring 圈号 (?P<r>\S+) is not closed \(last point (?P<p>\S+), (?:line|row) (?P<n>\d+), is not the first point "
     r"(?P<p0>\S+)\); closed", "圈号 {r} 的环未闭合（末点 {p}，第 {n} 行，不是首点 {p0}），已闭合"),
    (r"rings read by containment: outer ring\(s\) 圈号 (?P<a>[^(]+?)(?:, hole\(s\) 圈号 (?P<b>[^(]+?))? "
     r"\((?P<k>\d+) part\(s\)\)", "按包含关系判断各环：外环 圈号 {a}{holes}（共 {k} 个部分）"),
    (r"(?:line|row) (?P<n>\d+), (?P<column>.+?): coordinate missing", "第 {n} 行“{column}”：缺坐标"),
    (r"(?:line|row) (?P<n>\d+), (?P<column>.+?): (?P<raw>.+?) is not a number", "第 {n} 行“{column}”：{raw} 不是数字"),
    (r"no point lines", "没有界址点行"),
    (r"zone mismatch: the header's 带号 is (?P<z>\d+), but the eastings carry zone prefix (?P<p>\d+) "
     r"\(Y = (?P<y>[\d,.-]+) at point (?P<pt>\S+)\); correct the 带号 or the coordinates",
     "带号不符：文件头的带号为 {z}，但东坐标带有带号前缀 {p}（界址点 {pt} 的 Y = {y}）；请更正带号或坐标"),
    (r"zone mismatch: the file's other plots are in zone (?P<z>\d+), but the eastings carry zone prefix (?P<p>\d+) "
     r"\(Y = (?P<y>[\d,.-]+) at point (?P<pt>\S+)\); correct the 带号 or the coordinates",
     "带号不符：文件中其他地块位于第 {z} 带，但东坐标带有带号前缀 {p}（界址点 {pt} 的 Y = {y}）；请更正带号或坐标"),
    (r"(?P<a>\d+) of (?P<b>\d+) eastings carry a zone prefix \((?P<z>\d+)\) and the others none; one plot is "
     r"written in one form", "{b} 个东坐标中有 {a} 个带带号前缀（{z}），其余不带；同一地块的坐标应采用同一种写法"),
    (r"the eastings carry several zone prefixes \((?P<z>[^)]*)\); one plot lies in one zone",
     "东坐标带有多个带号前缀（{z}）；一个地块只能位于一个投影带内"),
    (r"eastings with the zone prefix, unlike the file's other plots; read in their form",
     "东坐标带带号前缀，与文件中其他地块不同；按其本身的写法读取"),
    (r"eastings without the zone prefix, unlike the file's other plots; read in their form",
     "东坐标不带带号前缀，与文件中其他地块不同；按其本身的写法读取"),
    (r"X holds the eastings and Y the northings \(X must be the northing\); exchanged",
     "X 列存放的是东坐标、Y 列存放的是北坐标（X 应为北坐标）；已互换"),
    (r"地块面积 (?P<text>\S+) (?P<unit>\S+) in the header, (?P<calc>[\d,.]+) (?P<unit2>\S+) from the coordinates "
     r"\((?P<share>[+-][\d,.]+ %|the coordinates enclose no area); tolerance (?P<tol>[\d.]+) %\)",
     lambda g: f"文件头的地块面积为 {g['text']} {g['unit']}，按坐标计算为 {g['calc']} {g['unit2']}（"
               + ("坐标围不成面积" if g["share"] == "the coordinates enclose no area" else f"相差 {g['share']}")
               + f"；允许误差 {g['tol']} %）"),
    (r"it matches the coordinates if read as (?P<as>\S+), not (?P<unit>\S+)",
     "若按{as}而不是{unit}读取，则与坐标相符"),
    (r"地块面积 (?P<text>'.*?') is not a number; not checked", "地块面积 {text} 不是数字，未核对"),
    (r"界址点数 is (?P<text>\S+), but the plot has (?P<n>\d+) point line\(s\) \((?P<k>\d+) without the closing "
     r"points\)", "界址点数为 {text}，但该地块有 {n} 个界址点行（不计闭合点为 {k} 个）"),
    (r"line (?P<n>\d+) is not a point line 点号,圈号,X,Y \(it has (?P<k>\d+) fields\)",
     "第 {n} 行不是“点号,圈号,X,Y”形式的界址点行（该行有 {k} 个字段）"),
    (r"line (?P<n>\d+): coordinate (?P<raw>'.*?') is not a number", "第 {n} 行：坐标 {raw} 不是数字"),
))
_PLOT_AT = re.compile(r"plot (?P<id>.+?) \((?:(?:line|row) (?P<n>\d+)|(?:lines|rows) (?P<a>\d+)–(?P<b>\d+))\): ")


def plot_zh(text: str) -> str | None:
    """A plot's message (:data:`PLOT_SENTENCES_ZH`) in Chinese; None when a sentence of it is not in the catalogue."""
    head = _PLOT_AT.match(text)
    if head is None:
        return None
    rows = f"{head['a']}–{head['b']}" if head["a"] else head["n"]
    said, position = [], head.end()
    while position < len(text):
        for pattern, zh in PLOT_SENTENCES_ZH:
            sentence = pattern.match(text, position)
            if sentence is not None:
                groups = {k: v or "" for k, v in sentence.groupdict().items()}
                groups["holes"] = f"，内环（洞）圈号 {groups['b']}" if groups.get("b") else ""
                said.append(zh(groups) if callable(zh) else zh.format(**groups))
                position = sentence.end()
                break
        else:
            return None
        if text.startswith("; ", position):
            position += 2
    plot = "（无地块编号）" if head["id"] == "(no 地块编号)" else head["id"]
    return f"地块 {plot}（第 {rows} 行）：" + "；".join(said)


#: How to make a file ParkAtlas reads (layers.io.formats.CONVERT_FIRST), by the file's suffix, in Chinese.
CONVERT_FIRST_ZH = {
    ".dwg": "这是 DWG 图纸：请在 CAD 软件中另存为 DXF 后导入",
    ".xls": "这是 Excel 97–2003 工作簿：请另存为 .xlsx（或 .csv）后导入",
    ".et": "这是 WPS 表格：请另存为 .xlsx（或 .csv）后导入",
    ".mdb": "这是个人地理数据库：请在 ArcGIS 或 QGIS 中把图层导出为 Shapefile 或 GeoPackage 后导入",
    ".gdb": "这是文件地理数据库：请在 ArcGIS 或 QGIS 中把图层导出为 Shapefile 或 GeoPackage 后导入",
    ".tab": "这是 MapInfo 表：请在 MapInfo 或 QGIS 中导出为 Shapefile 或 GeoPackage 后导入",
    ".mif": "这是 MapInfo 交换文件：请在 MapInfo 或 QGIS 中导出为 Shapefile 或 GeoPackage 后导入",
    ".ovobj": "这是奥维互动地图的对象：请在奥维中导出为 KML 或 KMZ 后导入",
    ".ovjsn": "这是奥维互动地图的对象：请在奥维中导出为 KML 或 KMZ 后导入",
    ".rar": "这是 RAR 压缩包：请解压，或把其中的文件打包成 zip 后导入",
    ".7z": "这是 7-Zip 压缩包：请解压，或把其中的文件打包成 zip 后导入",
}


def _convert_first_zh(hint: str | None) -> str | None:
    """The Chinese of a refusal's advice, after "；" ("" without advice; None for advice the catalogue lacks)."""
    if not hint:
        return ""
    from layers.io.formats import CONVERT_FIRST  # (here: layers.io's package imports this module)

    suffix = next((suffix for suffix, english in CONVERT_FIRST.items() if english == hint), None)
    return None if suffix is None else "；" + CONVERT_FIRST_ZH[suffix]


def _prefixed(prefix: str, said: str | None) -> str | None:
    return None if said is None else prefix + said


#: GEOS's validity reasons (shapely.is_valid_reason) and geometry-decoding errors in Chinese; the point GEOS names
#: follows as `` at (x, y)``.
GEOS_ZH = {"Self-intersection": "自相交", "Ring Self-intersection": "环自相交",
           "Too few points in geometry component": "图形组成部分的点数过少",
           "Too few distinct points in geometry component": "图形组成部分的不同点数过少",
           "Hole lies outside shell": "内环（洞）位于外环之外", "Holes are nested": "内环（洞）相互嵌套",
           "Nested holes": "内环（洞）相互嵌套", "Nested shells": "外环相互嵌套", "Interior is disconnected": "内部不连通",
           "Duplicate Rings": "环重复", "Invalid Coordinate": "坐标无效", "Ring is not closed": "环未闭合",
           "Repeated Point": "重复点", "Topology Validation Error": "拓扑错误"}
#: Warnings the readers pass on as ``GDAL: …`` (layers.io.read), in Chinese; others are shown as written.
LIBRARY_WARNINGS_ZH = {"invalid value encountered in from_wkb": "解码图形时遇到无效数值（NaN 或无穷大）"}
_LINEAR_RING = re.compile(r"(?:IllegalArgumentException: )?Invalid number of points in LinearRing found (\d+) - "
                          r"must be 0 or >= 3")


#: Why a KML geometry cannot be read (layers.io.kml), in Chinese.
KML_ZH: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"geometry without coordinates"), "图形没有坐标"),
    (re.compile(r"coordinate ('.*') is not lon,lat\[,alt\]"), r"坐标 \1 不是“经度,纬度[,高程]”的形式"),
    (re.compile(r"Polygon without outerBoundaryIs/LinearRing"), "面没有外环（outerBoundaryIs/LinearRing）"),
)


def _geos_zh(reason: str) -> str:
    """``Self-intersection at (x, y)`` (or GEOS's ``Self-intersection[x y]``) → ``自相交，位于 (x, y)``; a KML
    reader's reason in Chinese too; a reason worded otherwise as written."""
    for pattern, zh in KML_ZH:
        if pattern.fullmatch(reason):
            return pattern.sub(zh, reason)
    reason = re.sub(r"\[(\S+) (\S+)\]$", r" at (\1, \2)", reason)
    name, at, point = reason.partition(" at ")
    name = name.strip()
    said = GEOS_ZH.get(name) or _LINEAR_RING.sub(r"线性环只有 \1 个点，应为 0 个或至少 3 个", name)
    return said + (f"，位于 {point}" if at else "")


def _crs_zh(label: str) -> str:
    """A CRS as the messages name it: the offset systems (GCJ-02, BD-09) in Chinese, others as written."""
    return {"GCJ-02 (Amap/Gaode, Tencent)": "GCJ-02（高德、腾讯）", "BD-09 (Baidu)": "BD-09（百度）"}.get(label, label)


def _size_zh(size: str) -> str:
    """``area under 1 µm²`` → ``面积不足 1 µm²``."""
    return re.sub(r"^(length|area) under ", lambda m: ("长度" if m[1] == "length" else "面积") + "不足 ", size)


def _list_zh(text: str) -> str:
    """``a, b, c`` → ``a、b、c``."""
    return text.replace(", ", "、")


def _duplicates_zh(shown: str) -> str:
    """``'200' ×39, '1' ×20 and 3 more`` → ``'200' ×39、'1' ×20 等另 3 个``."""
    return re.sub(r" and (\d+) more$", r" 等另 \1 个", _list_zh(shown))


def id_fault_in(fault: str, lang: str = "zh") -> str:
    """Why a source column is no id (layers.io.messy.id_column_fault, shown by the preview's id choice) in
    ``lang``; as written in English or when the catalogue lacks it."""
    return (_id_fault_zh(fault) if lang != "en" else None) or fault


#: Why a record is damaged (the readers' ``damaged`` reasons: layers.io.read, shapefile, kml, dxf), in Chinese.
DAMAGE_ZH: tuple[tuple[re.Pattern, str | Callable[[re.Match], str]], ...] = tuple(
    (re.compile(pattern), zh) for pattern, zh in (
        (r"attributes missing: (?P<dbf>.+) ends before this record", "属性缺失：{dbf} 在这条记录之前就已结束"),
        (r"geometry cannot be decoded \((?P<detail>.+)\)", lambda m: f"图形无法解码（{_geos_zh(m['detail'])}）"),
        (r"geometry cannot be read \((?P<detail>.+)\)", lambda m: f"图形无法读取（{_geos_zh(m['detail'])}）"),
        (r"record cannot be read \((?P<detail>.+)\)", "记录无法读取（{detail}）"),
        (r"text does not decode as (?P<codec>.+)", "文本无法按 {codec} 解码"),
        (r"the file breaks off or is malformed at line (?P<line>\d+), column (?P<column>\d+); (?P<k>\d+) "
         r"placemark\(s\) before it were read, any after it are lost",
         "文件在第 {line} 行第 {column} 列中断或格式有误；此前的 {k} 个地标已读取，此后的全部丢失"),
        (r"(?P<kind>\w+) entity (?P<handle>\S+) on layer '(?P<cad>.*)' cannot be converted \((?P<detail>.+)\)",
         "CAD 图层“{cad}”上的 {kind} 实体 {handle} 无法转换（{detail}）"),
    ))


def _damage_zh(reason: str) -> str | None:
    """Why a record is damaged, in Chinese (a plot of a 国土 TXT or table, or a reader's reason); None if unknown."""
    said = plot_zh(reason)
    if said is not None:
        return said
    for pattern, zh in DAMAGE_ZH:
        match = pattern.fullmatch(reason)
        if match:
            return zh(match) if callable(zh) else zh.format(**match.groupdict())
    return None


def _where_zh(crs: str | None) -> str:
    """The suffix `` (the source's coordinates, CRS)`` of a repair notice whose points were transformed back."""
    return f"（源数据坐标，{_crs_zh(crs)}）" if crs else ""


def _header_keys_zh(keys: str) -> str:
    """A 国土 TXT header section's ``k=v; k=v`` (written in Chinese already) with Chinese punctuation."""
    return keys.replace("; ", "；")


def _gtxt_crs_form_zh(form: str) -> str:
    """How a 国土 TXT's eastings were read (layers.io.gtxt._declared) in Chinese."""
    prefixed = re.fullmatch(r"with the zone prefix (\d+) \(EPSG:(\d+)\), read without it \(the prefix digits "
                            r"dropped, exactly\)", form)
    if prefixed:
        return f"东坐标带带号前缀 {prefixed[1]}（EPSG:{prefixed[2]}），去掉前缀数字后读取（精确无损）"
    return "东坐标不带带号前缀" if form == "without the zone prefix" else form


def _zone_source_zh(prefix: str | None) -> str:
    """Where a 国土 TXT's zone came from, before what is wrong with it: the header or the eastings' prefix."""
    return "文件头：" if prefix is None else f"东坐标的带号前缀 {prefix}（文件头没有带号）："


def _zone_zh(describe: str) -> str:
    """``EPSG:4549 CGCS2000 3° Gauss-Krüger CM 120°E, eastings without the zone prefix`` (GkZone.describe) in
    Chinese."""
    said = re.sub(r"CM (\d+)°E, eastings without the zone prefix", r"中央经线 \1°E，东坐标不带带号", describe)
    said = re.sub(r"zone (\d+), eastings with the zone prefix", r"第 \1 带，东坐标带带号", said)
    said = said.replace("Gauss-Krüger", "高斯-克吕格")
    return re.sub(r"(?<=\s)(Xi'an 1980|Beijing 1954)(?=\s)", lambda m: _datum_zh(m[1]), said)


#: Kept source types (layers.io.keeping) as the notices name them.
_KEPT_KINDS_ZH = {kind: zh for kind, (zh, _) in KEPT_TYPE_NAMES.items()}


def _holds_zh(what: str) -> str:
    """What an empty source holds (layers.io.importer._plan): ``no records``, ``no polygon entities in the model
    space``."""
    entities = re.fullmatch(r"no (\w+) entities in the model space", what)
    if entities:
        return f"模型空间里没有{_geometry_zh(entities[1])}实体"
    return "没有记录" if what == "no records" else what


def _failures_zh(failures: str) -> str:
    """``UTF-8 fails at line 3; GBK fails at line 9`` → ``按 UTF-8 在第 3 行出错；按 GBK 在第 9 行出错``."""
    return "；".join(re.sub(r"^(.+) fails at line (\d+)$", r"按 \1 解码在第 \2 行出错", part)
                    for part in failures.split("; "))


def _view_reason_zh(reason: str) -> str:
    """Why a GeoPackage view reaches outside the file (layers.io.formats._guarded) in Chinese."""
    said = re.sub(r"attaches the database ('[^']*')", r"附加了数据库 \1", reason)
    said = re.sub(r"reads ('[^']*') of the database ('[^']*')", r"读取了数据库 \2 中的 \1", said)
    return re.sub(r"calls (\S+)", r"调用了 \1", said).replace("; ", "；")


_FAR_THEN_ZH = {
    "check the CRS and the file; imported only if the confirmation says these records belong to the park":
        "请核对坐标系和文件；只有确认这些记录属于本园区才会导入",
    "check the CRS and the file; data this far is imported only when the import is confirmed for it":
        "请核对坐标系和文件；这么远的数据只有在预览中确认后才会导入",
    "accepted, as confirmed": "已按确认导入",
}


def _far_zh(match: re.Match) -> str | None:
    """Records far from the park (layers.io.importer._far_from_park), measured from the park's boundary or its
    layers' extent, in Chinese."""
    then = _FAR_THEN_ZH.get(match["then"])
    if then is None:
        return None
    reference = "园区边界" if match["reference"].startswith("the park boundary") else reference_in(match["reference"])
    return (f"距{reference} {match['distance']} km；距园区超过 {match['limit']} km 的数据多半是"
            f"坐标系有误或别处的文件：{then}")


_CONTRADICTIONS_ZH = {
    "is geographic (degrees) but the coordinates are not longitude/latitude": "是地理坐标系（度），但坐标不是经纬度",
    "is projected (metres) but the coordinates look like longitude/latitude": "是投影坐标系（米），但坐标看起来是经纬度",
    "does not fit the coordinates: they fall far outside the area where it is defined":
        "与坐标不符：坐标远在其适用范围之外",
}


def _contradiction_zh(match: re.Match) -> str:
    """A declared or given CRS the coordinates contradict (layers.io.crs_detect.check_declared) in Chinese."""
    said = match["said"]
    if said == "the file declares":
        who = "文件声明的坐标系"
    elif said.startswith("--crs"):
        who = "上传表单“坐标系”一栏填写的"
    else:
        who = "坐标系列写明的 " + said[len("the CRS column names "):-len(", i.e.")] + "，即"
    guess = ""
    if match["guess"]:
        guess = f"；坐标看起来是 {match['guess']}" + ("（X、Y 互换）" if match["swapped"] else "")
    return (f"{match['source']}：{who} {match['crs']} {_CONTRADICTIONS_ZH[match['why']]}（{match['extent']}）{guess}："
            "请在上传表单的“坐标系”一栏填写正确的坐标系")


#: Each kind of message (a full match of the English text) → its Chinese: a template over the named
#: groups, or a function of the match. Groups named ``layer``/``layers``/``field``/``kind``/``geometry``
#: are said by name (:func:`layer_in`, :func:`field_in`, :data:`KINDS_ZH`, :data:`GEOMETRY_ZH`).
ZH_PATTERNS: tuple[tuple[re.Pattern, str | Callable[[re.Match], str]], ...] = tuple(
    (re.compile(pattern, re.S), zh) for pattern, zh in (
        # layers/validate.py: values and ids
        (r"unknown value; allowed: (?P<allowed>.+)", "不是允许的代码；允许：{allowed}"),
        (r"out of range; expected (?P<kind>.+)", "超出范围；应为{kind}"),
        (r"expected (?P<kind>.+)", "应为{kind}"),
        (r"required field is missing", "缺少必填字段"),
        (r"required value is missing", "必填值为空"),
        (r"duplicate id; ids must be unique within the layer", "编号重复：同一图层内编号必须唯一"),
        (r"not a field of layer '(?P<layer>\w+)'; ignored", "不是{layer}图层的字段，已忽略"),
        (r"no id; generated (?P<first>\S+)", "缺编号，已生成 {first}"),
        (r"no id; generated AUTO-\w+-<row> \((?P<first>\S+) … (?P<last>\S+)\)", "缺编号，已生成 {first} … {last}"),
        (r"the source has no (?P<field>\w+)(?: column)?; generated(?: ids)? (?P<first>\S+) … (?P<last>\S+)",
         "源数据没有{field}，已生成编号 {first} … {last}"),
        (r"generated (?P<first>\S+) … (?P<last>\S+)", "已生成编号 {first} … {last}"),
        (r"ids generated, as chosen", "按所选自动生成编号"),
        (r"ids from the source field '(?P<source>[^']*)', as chosen", "按所选取源字段“{source}”作编号"),
        # ids a declared field stands for (an enterprise list's 统一社会信用代码), and its form
        (r"the source has no (?P<field>\w+); taken from the source field '(?P<source>[^']*)' \((?P<target>\w+)\), "
         r"which holds a value on every record, each once \(to take them from another field or generate them: "
         r"(?:--id-field|the preview's choice of id field)\)",
         lambda m: f"源数据没有{field_in(m['field'])}：取自源字段{_source_zh(m['source'], m['target'])}，每条记录都有值且"
                   "各不相同（如要改取其他字段或自动生成编号：在字段映射中选择编号来源）"),
        (r"not taken from the source field '(?P<source>[^']*)' \((?P<target>\w+)\), which (?P<fault>.+)",
         lambda m: _prefixed(f"未取源字段{_source_zh(m['source'], m['target'])}作编号：", _id_fault_zh(m["fault"]))),
        (r"'(?P<value>.*)' is not a unified social credit code \(GB 32100-2015\): (?P<reason>.+); kept as it is",
         lambda m: f"“{m['value']}”不是统一社会信用代码（GB 32100-2015）：{_credit_fault_zh(m['reason'])}；按原样保留"),
        # wide yearly columns (layers.io.wide_years)
        (r"moved to (?P<layer>\w+): (?P<field>\w+) of (?P<year>\d{4}) \((?P<unit>.*)\)",
         lambda m: f"移入{layer_in(m['layer'])}：{m['year']} 年{field_in(m['field'])}（{_unit_read_zh(m['unit'])}）"),
        (r"a year \((?P<year>\d{4})\) and no figure of (?P<layer>\w+) \('(?P<measure>[^']*)' is none of "
         r"(?P<fields>[\w, ]+)\): kept as an attribute",
         lambda m: f"有年份（{m['year']}），但“{m['measure']}”不是{layer_in(m['layer'])}的指标（"
                   + "、".join(field_in(f.strip()) for f in m["fields"].split(",")) + "）：作为属性原样保留"),
        (r"year (?P<year>\d+) is outside (?P<low>\d+)–(?P<high>\d+): kept as an attribute",
         "年份 {year} 不在 {low}–{high} 之内：作为属性原样保留"),
        (r"(?P<field>\w+) of (?P<year>\d{4}) is taken from '(?P<source>[^']*)' already: kept as an attribute",
         "{year} 年{field}已取自“{source}”：作为属性原样保留"),
        (r"unit '(?P<unit>[^']*)' cannot be converted to (?P<field>\w+) \((?P<declared>[^;]*); [^)]*\): kept as an "
         r"attribute", "单位“{unit}”无法换算为{field}的单位（{declared}）：作为属性原样保留"),
        (r"(?P<count>\d+) yearly record\(s\) of (?P<years>[\d–]+) from (?P<columns>\d+) column\(s\), upserted by "
         r"(?P<field>\w+): (?P<counts>.+)",
         lambda m: f"由 {m['columns']} 列得到 {m['years']} 年的 {m['count']} 条年度记录，按{field_in(m['field'])}更新或新增："
                   + _counts_zh(m["counts"])),
        (r"(?P<columns>\d+) yearly column\(s\) and no figure in them: no yearly record",
         "{columns} 个年度列都没有数值：未生成年度记录"),
        # links to another layer's records (layers.io.links): an enterprise list's 所在地块
        (r"(?P<count>\d+) record\(s\) of (?P<layer>\w+) linked by name: their (?P<held>\w+) is the name of the "
         r"(?P<owner>\w+) record \((?P<field>\w+) set\): (?P<items>.+)",
         lambda m: f"{m['count']} 个{layer_in(m['layer'])}按名称关联：其{field_in(m['held'])}即{layer_in(m['owner'])}"
                   f"名称（设置{_link_field_zh(m['layer'], m['field'])}）：{_ids_zh(m['items'])}"),
        (r"(?P<count>\d+) record\(s\) of (?P<layer>\w+) linked to the (?P<owner>\w+) record whose row names them "
         r"\((?P<field>\w+) set\): (?P<items>.+)",
         lambda m: f"{m['count']} 个{layer_in(m['layer'])}已关联到名单中列出它的{layer_in(m['owner'])}（设置"
                   f"{_link_field_zh(m['layer'], m['field'])}）：{_ids_zh(m['items'])}"),
        (r"(?P<count>\d+) record\(s\) of (?P<layer>\w+) linked to the (?P<owner>\w+) record whose row names them "
         r"already: nothing to do \((?P<items>.+)\)",
         lambda m: f"{m['count']} 个{layer_in(m['layer'])}已关联到名单中列出它的{layer_in(m['owner'])}，无需更改"
                   f"（{_ids_zh(m['items'])}）"),
        (r"(?P<count>\d+) id\(s\) not in (?P<layer>\w+): not linked, the value is kept on the (?P<owner>\w+) record "
         r"as written \((?P<items>.+)\)",
         lambda m: f"{m['count']} 个编号在{layer_in(m['layer'])}图层中没有：未关联，该值按原样保留在"
                   f"{layer_in(m['owner'])}记录上（{_ids_zh(m['items'])}）"),
        (r"(?P<count>\d+) record\(s\) of (?P<layer>\w+) retired: not linked \((?P<items>.+)\)",
         lambda m: f"{m['count']} 个{layer_in(m['layer'])}已注销：未关联（{_ids_zh(m['items'])}）"),
        (r"(?P<count>\d+) record\(s\) of (?P<layer>\w+) linked to another (?P<owner>\w+) record already: not "
         r"changed, the link (?P=layer) holds is kept \((?P<items>.+)\)",
         lambda m: f"{m['count']} 个{layer_in(m['layer'])}已关联其他{layer_in(m['owner'])}：未更改，以"
                   f"{layer_in(m['layer'])}图层中的关联为准（{_conflicts_zh(m['items'], m['layer'])}）"),
        (r"(?P<count>\d+) name\(s\) of the (?P<owner>\w+) list match no (?P<held>\w+) of (?P<layer>\w+) exactly, but one "
         r"nearly: not linked \(if it is the same, give the \w+ id in a (?P<column>.+?) column\) \((?P<items>.+)\)",
         lambda m: f"{m['count']} 个{layer_in(m['owner'])}名称与{layer_in(m['layer'])}的{field_in(m['held'])}不完全相同，"
                   f"但与其中一个相近：未关联（如为同一企业，请在名单的“{m['column']}”一栏填写{layer_in(m['layer'])}编号）"
                   f"（{m['items'].replace('; ', '；')}）"),
        (r"(?P<count>\d+) record\(s\) of (?P<layer>\w+) named by several rows of the list: linked to none of them "
         r"\((?P<items>.+)\)",
         lambda m: f"{m['count']} 个{layer_in(m['layer'])}被名单中的多行同时列出：不关联其中任何一个"
                   f"（{_claimed_zh(m['items'])}）"),
        (r"nothing linked: (?:the park has no (?P<none>\w+) layer|the park's (?P<empty>\w+) layer holds no record in "
         r"force); the "
         r"column is kept on the (?P<owner>\w+) records, and importing the list again once the (?P<layer>\w+) are in "
         r"the park links them",
         lambda m: ("园区还没有" + layer_in(m["none"]) + "图层" if m["none"] else layer_in(m["empty"]) + "图层中还没有现行记录")
                   + f"：未能关联；该列按原样保留在{layer_in(m['owner'])}记录上，{layer_in(m['layer'])}导入园区后再次"
                     "导入名单即可关联"),
        (r"also names (?P<layer>\w+); kept as it is \(the link reads '(?P<column>[^']*)'\)",
         lambda m: f"也列出了{layer_in(m['layer'])}：按原样保留（关联按“{m['column']}”读取）"),
        (r"upsert keys on (?P<field>\w+), and the source has none; use replace or append, or choose the field "
         r"that holds the ids",
         "“更新或新增”按{field}对应记录，而源数据没有该字段：请改选“替换”或“追加”，或选择存放编号的字段"),
        # geometry
        (r"the layer has no CRS; give the source CRS \(for import: --crs EPSG:…\)",
         "源数据没有坐标系：请在上传表单的“坐标系”一栏填写（如 EPSG:4528）"),
        (r"geometry is missing", "缺图形"),
        (r"geometry is empty", "图形为空"),
        (r"wrong geometry type; allowed: (?P<allowed>.+)", "图形类型不符；允许：{allowed}"),
        (r"invalid geometry: (?P<reason>.+?)(?: \(the source's coordinates, (?P<crs>.+)\))?",
         lambda m: f"图形无效：{_geos_zh(m['reason'])}{_where_zh(m['crs'])}"),
        (r"layer '(?P<layer>\w+)' needs geometries \((?P<geometry>\w+)\)", "{layer}图层需要图形（{geometry}）"),
        (r"no (?P<geometry>\w+) in the source \((?P<found>[^)]*)\): layer '(?P<layer>\w+)' holds (?P<held>\w+); "
         r"the records fit layer\(s\) (?P<layers>.+)",
         lambda m: f"源数据中没有{_geometry_zh(m['geometry'])}（只有 {_geometries_zh(m['found'])}）：{layer_in(m['layer'])}图层存放"
                   f"{_geometry_zh(m['held'])}；这些记录适合导入：{_layers_zh(m['layers'])}"),
        (r"(?P<found>\w+), not a (?P<geometry>\w+): not imported \(layer '(?P<layer>\w+)' holds (?P<held>\w+)\); "
         r"(?P<kind>\w+) fit layer\(s\) (?P<layers>.+): import the file into one of them for these records",
         lambda m: f"{_geometry_zh(m['found'])}，不是{_geometry_zh(m['geometry'])}：未导入（{layer_in(m['layer'])}"
                   f"图层存放{_geometry_zh(m['held'])}）；这些记录请导入：{_layers_zh(m['layers'])}"),
        (r"parcels overlap by (?P<area>[\d.,]+) m²", "地块重叠 {area} m²"),
        (r"sliver: (?P<area>[\d.,]+) m², mean width (?P<width>[\d.,]+) m", "狭长碎片：{area} m²，平均宽 {width} m"),
        (r"gap of (?P<area>[\d.,]+) m² between parcels", "地块间空隙 {area} m²"),
        # the datum (layers/io/datum.py)
        (r"no published transformation leads from the file's datum \((?P<source>[^)]*)\) to the park's "
         r"\((?P<target>[^,]*), EPSG:(?P<epsg>\d+)\): the coordinates were converted without a datum shift, so "
         r"positions may be tens of metres off against the park's other data; if the surveyor gave conversion "
         r"parameters \(七参数 or 三参数\), import again with the CRS written with them \(a PROJ string with "
         r"(?P<towgs84>\+towgs84=\S+)\) given with --crs",
         lambda m: f"文件的坐标基准（{_datum_zh(m['source'])}）到园区的坐标基准（{_datum_zh(m['target'])}，EPSG:{m['epsg']}）"
                   "没有公开的转换参数：坐标未做基准转换，与园区其他数据相比位置可能相差数十米；如测绘单位提供了转换参数"
                   f"（七参数或三参数），请在上传表单的“坐标系”一栏填写带参数的坐标系（含 {m['towgs84']} 的 PROJ 字符串）"
                   "后重新导入"),
        # the CRS (layers/io/crs_detect.py): where the web asks for the upload form's CRS field
        (r"(?P<source>.+?): no finite coordinates to tell the CRS from; give it with --crs",
         "{source}：没有可用的坐标，无法判断坐标系：请在上传表单的“坐标系”一栏填写"),
        (r"(?P<source>.+?): eastings carry several zone prefixes \((?P<zones>[^)]*)\); one file must be in one zone: "
         r"split it or give --crs",
         "{source}：东坐标带有多个带号（{zones}），一个文件只能在一个投影带内：请拆分文件，或在上传表单的“坐标系”一栏填写"),
        (r"(?P<source>.+?): no CRS in the file and the coordinates \((?P<extent>[^)]*)\) look like Gauss-Krüger or UTM "
         r"without a zone prefix, which does not say the central meridian; give it with --crs, e.g\. EPSG:4549 "
         r"for CGCS2000 3° GK CM 120°E \(EPSG = 4534 \+ \(CM − 75\) / 3\)",
         "{source}：文件没有坐标系，坐标（{extent}）像是不带带号的高斯-克吕格或 UTM 坐标，看不出中央经线：请在上传表单的"
         "“坐标系”一栏填写，如 CGCS2000 3° 带中央经线 120°E 为 EPSG:4549（EPSG = 4534 + (中央经线 − 75) / 3）"),
        (r"(?P<source>.+?): no CRS in the file and the coordinates \((?P<extent>[^)]*)\) match no CRS that can be "
         r"inferred safely; give it with --crs \(EPSG code, WKT, or gcj02 / bd09\)",
         "{source}：文件没有坐标系，由坐标（{extent}）无法可靠推断：请在上传表单的“坐标系”一栏填写（EPSG 代码、WKT，"
         "或 gcj02 / bd09）"),
        # Shapefile field names (layers.io.read.whole_field_names)
        (r"field name cut inside a character at the Shapefile's 10-byte limit: read as '(?P<name>.*)'",
         "字段名在 Shapefile 的 10 字节上限处截断了一个字符：按“{name}”读取"),
        # tables (layers.io.tables): a title above the header, a totals row below the records
        (r"the header is (?:row|line) (?P<n>\d+): the (?:row|line)\(s\) above it skipped as a title \((?P<title>.*)\)",
         lambda m: f"表头在第 {m['n']} 行：其上各行作为标题跳过（{'空行' if m['title'] == 'blank' else m['title']}）"),
        (r"(?:row|line) (?P<n>\d+) left out: a totals row \((?P<cells>.*)\), not a record",
         "第 {n} 行未导入：这是合计行（{cells}），不是一条记录"),
        # dates, land use, valid time
        (r"Excel serial day number read as a date", "Excel 日期序号已按日期读取"),
        (r"letters: read as (?P<std>.+)", "字母代码：按 {std} 读取"),
        (r"class name read as its code (?P<code>\S+) \((?P<std>[^)]+)\)", "地类名称已按其代码 {code}（{std}）读取"),
        (r"no classification given; assumed (?P<std>.+)", "未给出用地分类标准，按 {std}"),
        (r"land-use classification told by 地块用途: every plot's 地块用途 is the class name its 地类编码 has in "
         r"(?P<std>.+)", "用地分类标准由地块用途确定：每个地块的地块用途都是其地类编码在 {std} 中的类名"),
        (r"(?P<code>\S+) (?P<name>\S+) read as (?P<std>\S+) \(二调\) and re-coded to (?P<std2>\S+) (?P<new>\S+)"
         r"(?: (?P<newname>\S+))?$",
         lambda m: f"{m['code']} {m['name']} 按 {m['std']}（二调）读取，并改写为 {m['std2']} 代码 {m['new']}"
                   + (f" {m['newname']}" if m["newname"] else "")),
        (r"crosswalked (?P<code>\S+) \((?P<std>[^)]+)\) → (?P<new>\S+) (?P<name>\S+) \((?P<std2>[^)]+)\); "
         r"original kept, flagged for review",
         "已将 {code}（{std}）对应为 {new} {name}（{std2}）；原代码保留，标记待复核"),
        (r"not a land-use code of (?P<std>.+?); allowed: a class of .+? or a sub-code of one, "
         r"first-level classes (?P<top>.+)",
         "不是 {std} 的用地代码；允许：{std} 的一类或其细分代码，一级类 {top}"),
        (r"before valid_from (?P<day>[\d-]+); allowed: valid_from or a later day \(valid_to is the first day the "
         r"record is no longer true\), or empty",
         "早于生效日期 {day}；允许：生效日期当天或之后（失效日期是记录不再成立的第一天），或留空"),
        (r"valid time: (?P<known>\d+) of (?P<total>\d+) record\(s\) have a valid_from(?: \(from (?P<from>[^)]+)\))?; "
         r"the others are taken as true on every day",
         lambda m: f"生效时间：{m['total']} 条中 {m['known']} 条有生效日期"
                   + (f"（取自{_sources_zh(m['from'])}）" if m["from"] else "")
                   + "；其余视为每天都成立"),
        # the file
        (r"unpacked (?P<archive>.+?): (?P<count>\d+) file\(s\) of (?P<name>.+)", "已解压 {archive}：{name} 的 {count} 个文件"),
        (r"files chosen together: (?P<count>\d+) file\(s\) of (?P<name>.+) read", "所选文件中读取了 {name} 的 {count} 个文件"),
        (r"(?P<archive>.+?): member '(?P<member>.*)' would be written outside the folder it is unpacked to "
         r"\(zip-slip\); refused", "{archive}：成员“{member}”会被解压到目标文件夹之外（zip-slip）；已拒绝"),
        (r"(?P<archive>.+?): member '(?P<member>.*)' expands (?P<ratio>[\d,]+)× \((?P<packed>[\d,]+) → "
         r"(?P<size>[\d,]+) bytes\), more than the (?P<limit>[\d,]+)× allowed \(zip bomb\); refused",
         "{archive}：成员“{member}”解压后膨胀 {ratio} 倍（{packed} → {size} 字节），超过允许的 {limit} 倍"
         "（压缩炸弹 zip bomb）；已拒绝"),
        (r"(?P<name>.+?) is not (?P<noun>.+?): its content is (?P<what>.+) \(first bytes (?P<head>\w+)\)"
         r"(?P<never>; such a file is never opened)?",
         _not_what_it_says_zh),
        (r"(?P<name>.+?) is an SQLite database but not a GeoPackage \(no gpkg_contents table or another "
         r"application id\); ParkAtlas imports GeoPackages only",
         "{name} 是 SQLite 数据库，但不是 GeoPackage（没有 gpkg_contents 表或应用编号不符）；只能导入 GeoPackage"),
        (r"(?P<k>\d+) record\(s\) read whole; to import them without the damaged ones, repeat with --accept-damaged",
         "{k} 条记录完好；如要只导入这些记录、略去损坏的，请勾选上传表单的“跳过损坏记录”后重新上传"),
        (r"damaged, left out: (?P<reason>.+)", lambda m: _prefixed("记录损坏，已略去：", _damage_zh(m["reason"]))),
        (r"damaged: (?P<reason>.+)", lambda m: _prefixed("记录损坏：", _damage_zh(m["reason"]))),
        (r"plot .+", lambda m: plot_zh(m[0])),
        # boundary-point tables (layers/io/vertex_table.py)
        (r"boundary-point table: (?P<n>\d+) (?:line|row)s made into (?P<k>\d+) plot\(s\), (?:one per (?P<column>.+?)|"
         r"the whole table one plot \(no plot-id column\)); points in the order of the (?:line|row)s, coordinates from "
         r"(?P<xy>.+)",
         lambda m: f"界址点坐标表：{m['n']} 行组成 {m['k']} 个地块，"
                   + (f"按“{m['column']}”分组" if m["column"] else "整张表为一个地块（没有地块编号列）")
                   + f"；点按行的顺序相连，坐标取自 {m['xy']}"),
        (r"(?P<column>.+?) blank on (?P<k>\d+) (?:line|row)\(s\) \(merged cells\): each taken from the (?:line|row) above",
         "“{column}”有 {k} 行为空（合并单元格）：各取上一行的值"),
        (r"column\(s\) (?P<columns>.+) vary along a plot's points: kept on the plot as the points' values in order, "
         r"joined with '(?P<join>.)'", "{columns} 的值随界址点变化：按点的顺序以“{join}”连接后存在地块上"),
        (r"saved mapping '(?P<name>.*)' applied", "已套用保存的映射“{name}”"),
        (r"mapping file (?P<name>.+) applied", "已套用映射文件 {name}"),
        (r"the source has no such field", "源数据没有这个字段"),
        (r"default (?P<value>.+) from the mapping file where the source has no value", "源数据无值处取映射文件的默认值 {value}"),
        # geometry repairs (layers/io/geometry.py, read.py, kml.py): each said in the file's coordinates
        (r"invalid geometry \((?P<reason>.+?)\) repaired with make_valid(?: \(the source's coordinates, (?P<crs>.+)\))?",
         lambda m: f"图形无效（{_geos_zh(m['reason'])}），已用 make_valid 修复{_where_zh(m['crs'])}"),
        (r"invalid geometry \((?P<reason>.+?)\) and nothing of it survives repair(?: \(the source's coordinates, "
         r"(?P<crs>.+)\))?",
         lambda m: f"图形无效（{_geos_zh(m['reason'])}），修复后没有留下任何部分{_where_zh(m['crs'])}"),
        (r"left out: (?P<reason>.+)", lambda m: _prefixed("已略去：", chinese(m["reason"]))),
        (r"collapses once transformed into the working CRS: every part has (?P<size>.+?) \(the first at "
         r"(?P<point>\([^)]*\)) in the source's coordinates \((?P<crs>.+)\)\)",
         lambda m: f"转换到工作坐标系后整体退化：每个部分的{_size_zh(m['size'])}（第一个位于源数据坐标 {m['point']}，"
                   f"{_crs_zh(m['crs'])}）"),
        (r"(?P<k>\d+) part\(s\) collapsed to (?P<size>.+?) once transformed into the working CRS: dropped \(the first "
         r"at (?P<point>\([^)]*\)) in the source's coordinates \((?P<crs>.+)\)\)",
         lambda m: f"{m['k']} 个部分转换到工作坐标系后{_size_zh(m['size'])}，已舍去（第一个位于源数据坐标 "
                   f"{m['point']}，{_crs_zh(m['crs'])}）"),
        (r"Z \(height\) coordinates dropped", "高程（Z）坐标已舍去"),
        (r"curved geometry linearised", "曲线已转为折线"),
        (r"multi-part geometry exploded into (?P<n>\d+) records", "多部件要素已拆分为 {n} 条记录"),
        (r"closed line turned into a polygon", "闭合线已转为面"),
        (r"geometry collection read as (?P<geometry>\w+)(?:; (?P<k>\d+) part\(s\) of another kind dropped)?",
         lambda m: f"几何集合已按{_geometry_zh(m['geometry'])}读取"
                   + (f"；另有 {m['k']} 个其他类型的部分已舍去" if m["k"] else "")),
        (r"coordinates are not finite numbers \(NaN or infinity\)", "坐标不是有限数值（NaN 或无穷大）"),
        (r"(?P<n>[\d,]+) vertices; at most (?P<max>[\d,]+) per feature are accepted \(simplify it, or it is not a "
         r"parcel/building outline\)", "{n} 个顶点；每个要素最多接受 {max} 个（请先简化；否则它多半不是地块或建筑的轮廓）"),
        (r"cannot be transformed into EPSG:(?P<epsg>\d+) \(outside its valid area\)",
         "无法转换到 EPSG:{epsg}（超出其适用范围）"),
        (r"the bulk read failed \((?P<detail>.+)\); read record by record with fiona",
         "整批读取失败（{detail}）；已改为逐条记录读取"),
        (r"the bulk read failed \((?P<detail>.+)\); geometries decoded one by one",
         lambda m: f"整批读取失败（{_geos_zh(m['detail'])}）；已逐个解码图形"),
        (r"GDAL: (?P<detail>.+)", lambda m: "GDAL 提示：" + LIBRARY_WARNINGS_ZH.get(m["detail"], f"（原文）{m['detail']}")),
        (r"geometry decoding: (?P<detail>.+)",
         lambda m: "图形解码提示：" + LIBRARY_WARNINGS_ZH.get(m["detail"], f"（原文）{m['detail']}")),
        (r"geometry from column\(s\) (?P<columns>.+) \((?P<kind>[^()]+)\)",
         lambda m: f"图形取自列 {m['columns']}（{m['kind']}）"),
        (r"layer '(?P<layer>\w+)' needs geometry, and the table has no WKT column and no coordinate pair \(looked for "
         r"(?P<looked>.+)\)", lambda m: f"{layer_in(m['layer'])}图层需要图形，但表中既没有 WKT 列，也没有坐标列对（查找过 {_list_zh(m['looked'])}）"),
        (r"layer '(?P<layer>\w+)' needs geometry \((?P<geometry>\w+)\); the source has none",
         "{layer}图层需要图形（{geometry}），而源数据没有图形"),
        (r"layer '(?P<layer>\w+)' is a table: the source's geometry is not imported", "{layer}图层是表格，不存图形：源数据的图形不导入"),
        (r"not valid WKT", "不是有效的 WKT"),
        (r"not a number", "不是数字"),
        (r"coordinate missing", "缺坐标"),
        (r"lies (?P<distance>[\d.,–]+) km from (?P<reference>the park boundary \(zones, kind park_boundary\)|the extent "
         r"of the park's layers \([^)]*\)); data more than (?P<limit>[\d.,]+) km from the park is most often in a wrong "
         r"CRS or another place's file: (?P<then>.+)",
         lambda m: _far_zh(m)),
        # the CRS and the park's working CRS
        (r"new park: working CRS EPSG:(?P<epsg>\d+) \(CGCS2000 3° Gauss-Krüger CM (?P<cm>\d+)°E, from the data\)",
         "新园区：工作坐标系 EPSG:{epsg}（按数据位置选定的 CGCS2000 3° 带高斯-克吕格投影，中央经线 {cm}°E）"),
        (r"new park: working CRS EPSG:(?P<epsg>\d+) \(the data lies at (?P<lon>-?[\d.]+)°E, outside the CGCS2000 "
         r"Gauss-Krüger series \(CM 75–135°E\); WGS84 / UTM \(EPSG:(?P<utm>\d+)\) chosen instead\)",
         "新园区：工作坐标系 EPSG:{epsg}（数据位于东经 {lon}°，在 CGCS2000 高斯-克吕格投影带系列（中央经线 75–135°E）"
         "之外，改用 WGS84 / UTM（EPSG:{utm}））"),
        (r"no usable geometry to choose the new park's working CRS from", "没有可用的图形，无法为新园区选定工作坐标系"),
        (r"the data spans (?P<west>-?[\d.]+)–(?P<east>-?[\d.]+)°E \(centre (?P<lon>-?[\d.]+)°E, (?P<lat>-?[\d.]+)°N\), "
         r"outside the park's working CRS EPSG:(?P<epsg>\d+) \((?P<w>-?[\d.]+)–(?P<e>-?[\d.]+)°E, ±(?P<m>[\d.]+)°\); "
         r"areas would be distorted: check --crs, or import it into a park of its own",
         "数据范围为东经 {west}–{east}°（中心 {lon}°E、{lat}°N），超出园区工作坐标系 EPSG:{epsg} 的适用范围"
         "（{w}–{e}°E，±{m}°），面积会变形：请核对上传表单“坐标系”一栏，或将其导入单独的园区"),
        (r"converted from (?P<crs>.+) to WGS84 with the published algorithm \(exact inverse\)",
         lambda m: f"已按公开算法（精确逆算）从 {_crs_zh(m['crs'])}转换为 WGS84"),
        (r"--crs (?P<text>'.*') is not a CRS; give an EPSG code \(EPSG:4528 or 4528\), WKT, a PROJ string, or gcj02 / "
         r"bd09 for Amap/Tencent or Baidu coordinates",
         "上传表单“坐标系”一栏填写的 {text} 不是坐标系：请填写 EPSG 代码（EPSG:4528 或 4528）、WKT、PROJ 字符串，"
         "高德/腾讯坐标填 gcj02，百度坐标填 bd09"),
        (r"(?P<source>.+?): --crs (?P<text>\S+) needs longitude/latitude coordinates, but they are (?P<extent>.+)",
         "{source}：上传表单“坐标系”一栏填写的 {text} 要求坐标为经纬度，而实际坐标为 {extent}"),
        (r"(?P<source>.+?): (?P<said>the file declares|--crs \S+ is|the CRS column names '[^']*', i\.e\.) (?P<crs>.+?), "
         r"which (?P<why>is geographic \(degrees\) but the coordinates are not longitude/latitude|is projected \(metres\) "
         r"but the coordinates look like longitude/latitude|does not fit the coordinates: they fall far outside the "
         r"area where it is defined) \((?P<extent>[^)]*)\)(?:; the coordinates look like (?P<guess>.+?)"
         r"(?P<swapped> with X/Y swapped)?)?; give the right CRS with --crs",
         lambda m: _contradiction_zh(m)),
        (r"the CRS column says (?P<name>'.*'), which is not a CRS ParkAtlas knows; give the CRS with --crs",
         "坐标系列写的 {name} 不是可识别的坐标系：请在上传表单的“坐标系”一栏填写"),
        (r"(?P<source>.+?): its CRS names the file (?P<value>'.*') \((?P<key>[^)]*)\); a CRS may name only grids that "
         r"come with PROJ, never a path or URL; give the CRS as an EPSG code",
         "{source}：其坐标系引用了文件 {value}（{key}）；坐标系只能引用 PROJ 自带的格网，不能引用路径或网址："
         "请在上传表单的“坐标系”一栏填写 EPSG 代码"),
        # ids
        (r"(?P<fault>holds .+?): it is not an id \(not taken as (?P<field>\w+)\)",
         lambda m: _prefixed("", _id_fault_zh(m["fault"]) and
                             f"{_id_fault_zh(m['fault'])}：不是编号（未用作{field_in(m['field'])}）")),
        (r"(?P<fault>holds .+?): it is not an id; (?P<field>\w+) taken from '(?P<alias>.*)', which names it too and "
         r"holds a value on every record, each once",
         lambda m: _prefixed("", _id_fault_zh(m["fault"]) and
                             f"{_id_fault_zh(m['fault'])}：不是编号；{field_in(m['field'])}改取自“{m['alias']}”，"
                             "该字段名也指编号，且每条记录都有值、各不相同")),
        (r"source field '(?P<column>.*)' also matches; kept as it is \(the field is taken from '(?P<taken>.*)'\)",
         "源字段“{column}”也对应这个字段；已原样保留（该字段取自“{taken}”）"),
        (r"no field '(?P<chosen>.*)' in the source to take the ids from; fields: (?P<fields>.+)",
         lambda m: f"源数据中没有用作编号的字段“{m['chosen']}”；现有字段：{_list_zh(m['fields'])}"),
        (r"the park changed since the preview: generated ids are now (?P<first>\S+) … (?P<last>\S+)",
         "预览后园区数据已有变化：生成的编号现为 {first} … {last}"),
        (r"the park changed since the preview; nothing was imported", "预览后园区数据已有变化；未导入任何内容"),
        (r"someone else created this park since this import was checked; import the file again to merge it into that "
         r"park", "本次导入检查之后，已有他人建立了这个园区：请重新导入文件，以并入该园区"),
        (r"a park is created by importing a spatial layer first \(its working CRS comes from the data\)",
         "新园区须先导入一个带图形的图层（工作坐标系由其数据确定）"),
        (r"the park cannot be read \((?P<detail>.+)\)", "无法读取园区数据（{detail}）"),
        # the server's configuration (the uploader cannot change it, but the page still says it in Chinese)
        (r"the park is not a file: say where originals are archived \(archive_dir; the app uses (?P<setting>\w+)\)",
         "园区数据不是单个文件：须在服务器设置 {setting} 中指定原始文件的存档位置（请联系管理员）"),
        (r"(?P<variable>PARKATLAS_\w+)=(?P<raw>'.*') is not a number ≥ 0 \(default (?P<default>[^)]+)\)",
         "服务器设置 {variable}={raw} 不是 ≥ 0 的数（默认 {default}；请联系管理员）"),
        # tables, values, mapping
        (r"(?P<k>[\d,]+) value\(s\) do not read as (?P<kind>\w+); kept as text",
         lambda m: f"{m['k']} 个值无法按{_KEPT_KINDS_ZH.get(m['kind'], m['kind'])}读取；按文本保留"),
        (r"(?P<k>[\d,]+) value\(s\) name a class other than the record's (?P<field>\w+): the \w+ code is imported, "
         r"the names are not kept",
         lambda m: f"{m['k']} 个名称与本记录的{field_in(m['field'])}代码不符：导入的是代码，这些名称不保留"),
        (r"(?P<k>\d+) record\(s\) left out: value not in the mapping's include list",
         "{k} 条记录未导入：其值不在映射的“仅导入”列表中"),
        (r"no saved mapping '(?P<name>.*)' in this park \(saved: (?P<saved>.+)\)",
         lambda m: f"本园区没有名为“{m['name']}”的已保存映射（已保存："
                   + ("尚无" if m["saved"] == "none saved yet" else _list_zh(m["saved"])) + "）"),
        (r"no park to find saved mapping '(?P<name>.*)' in", "还没有园区，无法查找已保存的映射“{name}”"),
        (r"required field is missing from the source", "源数据缺少这个必填字段"),
        (r"source field '(?P<column>.*)': unit '(?P<unit>.*)' cannot be converted to (?P<field>\w+) \((?P<target>[^;]+); "
         r"(?P<expected>no unit|a unit of (?:area|money|length|ratio))\)",
         lambda m: f"源字段“{m['column']}”：单位“{m['unit']}”无法换算为{field_in(m['field'])}的单位（"
                   + ("无单位" if m["target"] == "no unit" else m["target"]) + "；"
                   + {"no unit": "不应带单位", "a unit of area": "应为面积单位", "a unit of money": "应为金额单位",
                      "a unit of length": "应为长度单位", "a unit of ratio": "应为比例"}[m["expected"]] + "）"),
        (r"source field '(?P<source>.*)': layer '(?P<layer>\w+)' has no field '(?P<choice>.*)'",
         "源字段“{source}”：{layer}图层没有字段“{choice}”"),
        (r"source fields '(?P<a>.*)' and '(?P<b>.*)' both map to (?P<field>\w+); a field takes one source field",
         "源字段“{a}”和“{b}”都对应到{field}；一个字段只能对应一个源字段"),
        (r"date read as day/month/year \(no value proves the order; read day first\)",
         "日期按“日/月/年”读取（没有值能证明顺序；按日在前读取）"),
        (r"date read as day/month/year", "日期按“日/月/年”读取"),
        (r"date read as month/day/year", "日期按“月/日/年”读取"),
        (r"converted from (?P<unit>\S+) \(× (?P<factor>[^)]+)\)", "已从 {unit} 换算（× {factor}）"),
        (r"value with unit (?P<unit>\S+) converted \(× (?P<factor>[^)]+)\)", "带单位 {unit} 的值已换算（× {factor}）"),
        (r"read as CJJ 61 network (?P<network>\S+)", "已按 CJJ 61 管网类别 {network} 读取"),
        (r"no 用地用海2023 equivalent for (?P<code>\S+) \((?P<std>[^)]+)\); kept in (?P<std2>.+), review",
         "{code}（{std}）在用地用海2023中没有对应类别；按 {std2} 保留，请复核"),
        (r"no classification given; read as (?P<std>\S+), but in (?P<other>.+?) (?P<code>\S+) means (?P<name>\S+): review",
         "未给出用地分类标准；按 {std} 读取，但在 {other} 中 {code} 指“{name}”：请复核"),
        # 国土 TXT (layers/io/gtxt.py)
        (r"国土 TXT: (?P<k>\d+) plot\(s\); X read as northing, Y as easting", "国土 TXT：{k} 个地块；X 按北坐标、Y 按东坐标读取"),
        (r"\[(?P<section>[^\]]+)\] keys outside the standard's ten, kept in this report: (?P<keys>.+)",
         lambda m: f"[{m['section']}] 标准规定的十项以外的键，记入本报告：{_list_zh(m['keys'])}"),
        (r"\[(?P<section>[^\]]+)\] (?P<keys>[^=;]+=.*)", lambda m: f"[{m['section']}] {_header_keys_zh(m['keys'])}"),
        (r"转换参数 \(7-parameter datum shift\) given; not applied: the CRS is transformed with PROJ's parameters for the "
         r"datum", "文件给出了转换参数（七参数）但未采用：坐标系按 PROJ 对该基准的参数转换"),
        (r"CRS from the header \(坐标系=(?P<datum>'.*?'), (?P<width>\d)° zone (?P<zone>\d+)\) and the eastings, "
         r"(?P<form>.+?): (?P<zone_crs>EPSG:\d+ .+)",
         lambda m: f"坐标系取自文件头（坐标系={m['datum']}，{m['width']}° 分带第 {m['zone']} 带）和东坐标，"
                   f"{_gtxt_crs_form_zh(m['form'])}：{_zone_zh(m['zone_crs'])}"),
        (r"zone (?P<zone>\d+) from the eastings' prefix \(the header has no 带号\)",
         "投影带第 {zone} 带取自东坐标的带号前缀（文件头没有带号）"),
        (r"the header names no 坐标系: the CRS is told from the coordinates \(zone-prefixed eastings are read as "
         r"CGCS2000\) or given with --crs",
         "文件头没有写明坐标系：坐标系由坐标判断（带带号前缀的东坐标按 CGCS2000 读取），或在上传表单的“坐标系”一栏填写"),
        (r"坐标系=(?P<datum>'.*?') names none of CGCS2000, Xi'an 1980, Beijing 1954: the CRS is told from the "
         r"coordinates \(zone-prefixed eastings are read as CGCS2000\) or given with --crs",
         "坐标系={datum} 不是 2000国家大地坐标系、1980西安坐标系或1954北京坐标系：坐标系由坐标判断（带带号前缀的东坐标按 "
         "CGCS2000 读取），或在上传表单的“坐标系”一栏填写"),
        (r"坐标系 (?P<datum>.+?), but neither a 带号 nor zone-prefixed eastings say the zone: give the CRS with --crs",
         lambda m: f"坐标系为{_datum_zh(m['datum'])}，但既没有带号、东坐标也不带带号前缀，无法确定投影带：请在上传表单的"
                   "“坐标系”一栏填写"),
        (r"(?P<k>\d+) line\(s\) written with full-width punctuation \(，＠［］＝\) read as ASCII",
         "{k} 行使用了全角标点（，＠［］＝），已按半角读取"),
        (r"(?P<k>\d+) line\(s\) outside any plot and not a header key were ignored \(line (?P<lines>.+)\)",
         lambda m: f"{m['k']} 行既不属于任何地块也不是文件头的键，已忽略（第 {_list_zh(m['lines'])} 行）"),
        (r"(?P<n>[\d,]+) lines; at most (?P<max>[\d,]+) are read from one 国土 TXT \(split it into several files\)",
         "共 {n} 行；一个国土 TXT 最多读取 {max} 行（请拆分为多个文件）"),
        (r"more than (?P<max>[\d,]+) plots; at most (?P=max) records are imported at once",
         "地块超过 {max} 个；一次最多导入 {max} 条记录"),
        (r"no plot: a 国土 TXT lists plots under \[地块坐标\], each a header line ending in '@' \(界址点数,地块面积,地块编号,"
         r"…,@\) followed by point lines 点号,圈号,X,Y",
         "没有地块：国土 TXT 在 [地块坐标] 下逐个列出地块，每个地块先是一行以“@”结尾的地块行（界址点数,地块面积,地块编号,…,@），"
         "其后是“点号,圈号,X,Y”形式的界址点行"),
        (r"header: 面积单位=(?P<unit>'.*') is not an area unit; allowed: 公顷, 亩, 平方米",
         "文件头：面积单位={unit} 不是面积单位；允许：公顷、亩、平方米"),
        (r"(?:header|the eastings' zone prefix (?P<prefix>\d+) \(the header has no 带号\)): 几度分带 (?P<w>\S+) is not a "
         r"zone width; allowed: 3 or 6",
         lambda m: f"{_zone_source_zh(m['prefix'])}几度分带 {m['w']} 不是分带宽度；允许：3 或 6"),
        (r"(?:header|the eastings' zone prefix (?P<prefix>\d+) \(the header has no 带号\)): 带号 (?P<zone>\d+) is not a "
         r"(?P<w>\d)° zone of China \(allowed: (?P<a>\d+)–(?P<b>\d+)\)(?:; (?P=zone) is a (?P<other>\d)° zone)?",
         lambda m: _zone_source_zh(m["prefix"]) + f"带号 {m['zone']} 不是我国的 {m['w']}° 分带带号（允许 {m['a']}–{m['b']}）"
                   + (f"；{m['zone']} 是 {m['other']}° 分带的带号" if m["other"] else "")),
        (r"a 国土 TXT holds land plots \(polygons\); layer '(?P<layer>\w+)' is not a polygon layer",
         "国土 TXT 存放的是地块（面）；{layer}图层不是面图层"),
        # DXF (layers/io/dxf.py)
        (r"ignored (?P<k>\d+) (?P<open>open )?(?P<kind>\w+) entit(?:y|ies) \(not a (?P<geometry>\w+)\)",
         lambda m: f"已忽略 {m['k']} 个{'未闭合的 ' if m['open'] else ' '}{m['kind']} 实体（不是{_geometry_zh(m['geometry'])}）"),
        (r"dropped (?P<k>\d+) closed polyline\(s\) that only outline a hatch on the same layer",
         "已舍去 {k} 条闭合多段线：它们只是同一图层上填充（HATCH）的边界"),
        (r"ezdxf repaired the drawing on reading: (?P<fixes>\d+) fix\(es\), (?P<errors>\d+) error\(s\)",
         "读取时已修复图纸：修复 {fixes} 处，错误 {errors} 处"),
        (r"(?P<name>.+?) holds no (?P<geometry>\w+) entities in the model space; nothing to import \(a DXF that is cut "
         r"short reads as empty\)",
         lambda m: f"{m['name']} 的模型空间里没有{_geometry_zh(m['geometry'])}实体；没有可导入的内容"
                   "（被截断的 DXF 读出来是空的）"),
        (r"(?P<name>.+?): about (?P<n>[\d,]+) DXF entities; at most (?P<max>[\d,]+) are read from one drawing \(split it "
         r"by layer or area in CAD\)", "{name}：约 {n} 个 DXF 实体；一张图纸最多读取 {max} 个（请在 CAD 中按图层或区域拆分）"),
        (r"(?P<name>.+?): not a DXF file ezdxf can read \((?P<detail>.+)\)", "{name}：不是可读取的 DXF 文件（{detail}）"),
        (r"(?P<name>.+?): the DXF structure is broken beyond repair \((?P<detail>.+)\)",
         "{name}：DXF 结构损坏，无法修复（{detail}）"),
        (r"(?P<name>.+?): a DXF drawing holds geometry only; layer '(?P<layer>\w+)' is a table",
         "{name}：DXF 图纸只有图形，而{layer}图层是表格"),
        # archives, zips and Shapefiles (layers/io/uploads.py, shapefile.py)
        (r"left packed \(not part of the dataset read\): (?P<names>.+)",
         lambda m: f"未解压（不属于所读取的数据集）：{_list_zh(m['names'])}"),
        (r"not read \(not part of the dataset read\): (?P<names>.+)",
         lambda m: f"未读取（不属于所读取的数据集）：{_list_zh(m['names'])}"),
        (r"(?P<name>.+?): unpacks to (?P<size>[\d,]+) bytes, more than the (?P<limit>[\d,]+) allowed \(a zip bomb, or a "
         r"dataset to import in parts\)", "{name}：解压后 {size} 字节，超过允许的 {limit} 字节（可能是压缩炸弹，或是应分批导入的数据）"),
        (r"(?P<name>.+?): its members expand (?P<ratio>[\d,]+)× together \((?P<packed>[\d,]+) → (?P<size>[\d,]+) bytes\), "
         r"more than the (?P<limit>[\d.,]+)× allowed \(zip bomb\); refused",
         "{name}：全部成员解压后膨胀 {ratio} 倍（{packed} → {size} 字节），超过允许的 {limit} 倍（压缩炸弹）；已拒绝"),
        (r"(?P<name>.+?): member '(?P<member>.*)' is damaged and cannot be unpacked \((?P<detail>.+)\)",
         "{name}：成员“{member}”已损坏，无法解压（{detail}）"),
        (r"(?P<name>.+?): member '(?P<member>.*)' unpacks to more than its header declares or than the limit allows "
         r"\(zip bomb\); refused", "{name}：成员“{member}”解压后超过其头部声明的大小或限额（压缩炸弹）；已拒绝"),
        (r"(?P<name>.+?): member '(?P<member>.*)' resolves outside the unpack folder; refused",
         "{name}：成员“{member}”指向解压文件夹之外；已拒绝"),
        (r"(?P<name>.+?): member '(?P<member>.*)' is a symbolic link; refused", "{name}：成员“{member}”是符号链接；已拒绝"),
        (r"(?P<name>.+?): member '(?P<member>.*)' is encrypted; send it without a password",
         "{name}：成员“{member}”已加密；请上传不带密码的文件"),
        (r"(?P<name>.+?): (?P<k>\d+) members; at most (?P<max>\d+) are accepted", "{name}：共 {k} 个成员；最多接受 {max} 个"),
        (r"(?P<name>.+?): not a readable zip archive \((?P<detail>.+)\)", "{name}：不是可读取的 zip 压缩包（{detail}）"),
        (r"(?P<name>.+?): the zip holds no dataset ParkAtlas reads \(looked for (?P<looked>.+)\)",
         lambda m: f"{m['name']}：压缩包中没有可导入的数据集（查找过 {_list_zh(m['looked'])}）"),
        (r"(?P<name>.+?): the zip holds several datasets \((?P<names>.+)\); choose one with --source-layer",
         lambda m: f"{m['name']}：压缩包中有多个数据集（{_list_zh(m['names'])}）：请在上传表单的“源图层/工作表”一栏选择一个"),
        (r"(?P<name>.+?): several layers \((?P<names>.+)\); choose one with --source-layer",
         lambda m: f"{m['name']}：有多个图层（{_list_zh(m['names'])}）：请在上传表单的“源图层/工作表”一栏选择一个"),
        (r"(?P<name>.+?): no layer '(?P<wanted>.*)'; layers: (?P<names>.+)",
         lambda m: f"{m['name']}：没有图层“{m['wanted']}”；现有图层：{_list_zh(m['names'])}"),
        (r"(?P<name>.+?): holds no layers", "{name}：没有任何图层"),
        (r"(?P<name>.+?): the file is empty", "{name}：文件是空的"),
        (r"(?P<name>.+?): (?P<size>[\d,]+) bytes, more than the (?P<limit>[\d,]+) accepted",
         "{name}：{size} 字节，超过允许的 {limit} 字节"),
        (r"(?P<name>.+?): more than the (?P<limit>[\d,]+) bytes accepted", "{name}：超过允许的 {limit} 字节"),
        (r"(?P<shp>.+?) has no (?P<dbf>.+?\.dbf) beside it: a Shapefile needs \.shp, \.shx and \.dbf \(the \.dbf holds "
         r"every attribute\); send all of its files, e.g\. zipped together",
         "{shp} 旁边没有 {dbf}：Shapefile 需要 .shp、.shx 和 .dbf（.dbf 存放全部属性）；请在上传表单的“文件”一栏一次选中"
         "它的全部文件（或打包成 zip）上传"),
        (r"(?P<shp>.+?) has no (?P<shx>.+?\.shx) \(the record index\) beside it; send all of the Shapefile's files",
         "{shp} 旁边没有 {shx}（记录索引）；请上传 Shapefile 的全部文件"),
        (r"(?P<shp>.+?) is not a Shapefile: its first bytes are (?P<head>\w+), a \.shp starts with the file code "
         r"(?P<code>\d+) \(0000270a\)", "{shp} 不是 Shapefile：其开头字节为 {head}，.shp 应以文件代码 {code}（0000270a）开头"),
        (r"(?P<shp>.+?) is truncated: its header declares (?P<declared>[\d,]+) bytes, the file has (?P<size>[\d,]+)",
         "{shp} 不完整：文件头声明 {declared} 字节，实际只有 {size} 字节"),
        (r"(?P<shx>.+?) is not a Shapefile index \(wrong file code\)", "{shx} 不是 Shapefile 索引（文件代码不符）"),
        (r"(?P<dbf>.+?) is not a dBASE file \(version byte (?P<byte>\w+)\)", "{dbf} 不是 dBASE 文件（版本字节 {byte}）"),
        (r"(?P<dbf>.+?) has an inconsistent header \(header (?P<h>\d+) B, record (?P<r>\d+) B\)",
         "{dbf} 的文件头前后矛盾（文件头 {h} 字节，记录 {r} 字节）"),
        (r"record counts disagree: (?P<shx>.+?) indexes (?P<n>\d+) shapes but (?P<dbf>.+?) declares (?P<k>\d+) records; "
         r"the files do not belong together", "记录数不一致：{shx} 索引了 {n} 个图形，而 {dbf} 声明有 {k} 条记录；这些文件不是同一套"),
        # the file as a whole
        (r"(?P<name>.+?): ParkAtlas does not import this kind of file \(its name ends in (?P<suffix>'.*')\); accepted: "
         r"(?P<accepted>[^;]+)(?:; (?P<hint>.+))?",
         lambda m: _prefixed(f"{m['name']}：不能导入这类文件（文件名以 {m['suffix']} 结尾）；可导入："
                             f"{_list_zh(m['accepted']).replace('dBASE table', 'dBASE 表').replace('zip (', '压缩包 zip (')}",
                             _convert_first_zh(m["hint"]))),
        (r"(?P<name>.+?): not a readable GeoPackage \((?P<detail>.+)\)", "{name}：不是可读取的 GeoPackage（{detail}）"),
        (r"(?P<name>.+?): cannot be opened as (?P<label>.+?) \((?P<detail>.+)\)", "{name}：无法按 {label} 打开（{detail}）"),
        (r"(?P<name>.+?): cannot be read \((?P<error>.+); record by record: (?P<detail>.+)\)",
         "{name}：无法读取（{error}；逐条读取也失败：{detail}）"),
        (r"(?P<name>.+?): cannot be read \((?P<detail>.+)\)", "{name}：无法读取（{detail}）"),
        (r"(?P<name>.+?): not a well-formed CSV table \((?P<detail>.+)\)", "{name}：不是格式正确的 CSV 表格（{detail}）"),
        (r"(?P<name>.+?): not a readable XLSX workbook \((?P<detail>.+)\)", "{name}：不是可读取的 XLSX 工作簿（{detail}）"),
        (r"(?P<name>.+?): (?P<k>[\d,]+) columns; at most (?P<max>[\d,]+) are read", "{name}：共 {k} 列；最多读取 {max} 列"),
        (r"(?P<name>.+?): about (?P<rows>[\d,]+) rows × (?P<cols>[\d,]+) columns = (?P<cells>[\d,]+) cells; at most "
         r"(?P<max>[\d,]+) are read at once \(import it in parts\)",
         "{name}：约 {rows} 行 × {cols} 列 = {cells} 个单元格；一次最多读取 {max} 个（请分批导入）"),
        (r"(?P<n>[\d,]+) records; at most (?P<max>[\d,]+) are imported at once", "共 {n} 条记录；一次最多导入 {max} 条"),
        (r"at most (?P<max>[\d,]+) records are imported at once", "一次最多导入 {max} 条记录"),
        (r"(?P<name>.+?) holds (?P<what>.+?); nothing to import", lambda m: f"{m['name']} 中{_holds_zh(m['what'])}；没有可导入的内容"),
        (r"(?P<name>.+?): cannot decode the text \((?P<failures>.+)\); give the encoding with --encoding",
         lambda m: f"{m['name']}：无法解码文本（{_failures_zh(m['failures'])}）：请在上传表单的“字符编码”一栏填写"),
        (r"(?P<name>.+?): line (?P<n>\d+) is not valid (?P<codec>.+) text", "{name}：第 {n} 行不是有效的 {codec} 文本"),
        (r"--encoding: unknown text encoding (?P<name>'.*'); use a name such as UTF-8, GBK, GB18030, Big5 or a code "
         r"page such as 936", "上传表单“字符编码”一栏填写的 {name} 不是可识别的文本编码；请填写 UTF-8、GBK、GB18030、Big5 等"
                              "名称，或 936 这样的代码页"),
        (r"(?P<where>.+?) XML declaration: unknown text encoding (?P<name>'.*'); use a name such as UTF-8, GBK, GB18030, "
         r"Big5 or a code page such as 936", "{where} 的 XML 声明中的 {name} 不是可识别的文本编码"),
        (r"unsure: the text reads as (?P<chosen>\S+) with a confidence of only (?P<confidence>[\d.]+ %); compare the "
         r"values as (?P=chosen) and as (?P<others>.+) read them, and give the encoding if it is the other",
         lambda m: f"不确定：文本按 {m['chosen']} 读取，置信度只有 {m['confidence']}；请对照按 {m['chosen']} 和按 "
                   f"{m['others'].replace(' or ', ' 或 ')} 读出的值，若应为后者，请在“字符编码”一栏选定"),
        (r"(?P<name>.+?): its 'crs' \(at byte (?P<at>[\d,]+)\) is of type (?P<kind>'.*'), which names a URL to fetch; "
         r"ParkAtlas fetches nothing\. Give the CRS by name .+ or choose it on the import page",
         "{name}：其“crs”（第 {at} 字节处）的类型为 {kind}，指向需要下载的网址，而本系统不下载任何内容：请在文件中按名称写明"
         "坐标系（如 EPSG:4490），或在上传表单的“坐标系”一栏填写"),
        (r"(?P<name>.+?): a 'crs' member at byte (?P<at>[\d,]+) cannot be checked \(longer than 64 KB or broken\)",
         "{name}：第 {at} 字节处的“crs”成员无法检查（超过 64 KB 或已损坏）"),
        (r"(?P<name>.+?): table '(?P<table>.*)' is a virtual table of module '(?P<module>.*)', whose rows come from "
         r"outside the file; refused \(only R-tree spatial indexes are accepted\)",
         "{name}：表“{table}”是 {module} 模块的虚拟表，其行来自文件之外；已拒绝（只接受 R-tree 空间索引）"),
        (r"(?P<name>.+?): view '(?P<view>[^']*)' (?P<reason>.+); a view may read only this file's tables; refused",
         lambda m: f"{m['name']}：视图“{m['view']}”{_view_reason_zh(m['reason'])}；视图只能读取本文件中的表；已拒绝"),
        (r"(?P<name>.+?): (?P<what>view|layer) '(?P<layer>.*)' takes too long to count \(more than (?P<max>[\d,]+) SQLite "
         r"steps\); refused", lambda m: f"{m['name']}：{'视图' if m['what'] == 'view' else '图层'}“{m['layer']}”计数耗时过长"
                                      f"（超过 {m['max']} 个 SQLite 步骤）；已拒绝"),
        (r"(?P<name>.+?): (?P<what>view|layer) '(?P<layer>.*)' has more than (?P<max>[\d,]+) rows; a view of a "
         r"(?P<size>[\d,]+)-byte file may compute at most (?P=max) rows",
         lambda m: f"{m['name']}：{'视图' if m['what'] == 'view' else '图层'}“{m['layer']}”超过 {m['max']} 行；"
                   f"{m['size']} 字节的文件中的视图最多只能算出 {m['max']} 行"),
        (r"layer '(?P<source_layer>.*)' cannot be read \((?P<detail>.+)\)", "图层“{source_layer}”无法读取（{detail}）"),
        (r"the input could not be processed \((?P<error>\w+)\)", "无法处理上传的文件（{error}）"),
        # a file's name before any message above (a reader's refusal, layers.io.read: "报批.txt: …")
        (r"(?P<name>[^:]+?\.\w{2,8}(?: \(sheet '[^']*'\))?): (?P<rest>.+)",
         lambda m: _prefixed(f"{m['name']}：", chinese(m["rest"]))),
    ))


def _source_zh(source: str, target: str) -> str:
    """A source field in quotes, with the layer field it maps to when its name is not that field's label."""
    label = field_in(target)
    return f"“{source}”" if source == label else f"“{source}”（{label}）"


def _first_said(text: str, phrases) -> str:
    """``text`` in Chinese by the first of ``phrases`` (pattern, template with ``\\1``… or a function of the match)
    that matches it whole; as written when none does."""
    for pattern, zh in phrases:
        found = re.fullmatch(pattern, text)
        if found:
            return zh(found) if callable(zh) else found.expand(zh)
    return text


#: Why a column is no id (``layers.io.messy.id_column_fault``, or values missing) in Chinese.
ID_FAULTS_ZH = (
    (r"has no value on (\d+) record\(s\)", r"有 \1 条记录没有值"),
    (r"holds one value on every row \((.*)\)", r"每一行都是同一个值（\1）"),
    (r"holds duplicates \((?P<shown>.+); (?P<k>\d+) distinct values on (?P<n>\d+) rows\)",
     lambda m: f"有重复值（{_duplicates_zh(m['shown'])}；{m['n']} 行中只有 {m['k']} 个不同的值）"),
)
#: Why a value is not a unified social credit code (``layers.credit_code.credit_code_fault``) in Chinese.
CREDIT_FAULTS_ZH = (
    (r"(\d+) character\(s\), not (\d+)", r"共 \1 个字符，应为 \2 个"),
    (r"character '(.*)' at position (\d+) is not one of the code's .*",
     r"第 \2 位的“\1”不是代码用字（数字和除 I、O、Z、S、V 以外的大写字母）"),
    (r"the check character is '(.)'; the first 17 characters give '(.)'", r"校验码是“\1”，按前 17 位应为“\2”"),
)
#: How a yearly column's unit was read (``layers.io.wide_years.unit_text``) in Chinese.
UNITS_READ_ZH = (
    (r"in (.+)", r"单位 \1"),
    (r"no unit in the header: read in (.+)", r"表头未写单位，按 \1 读取"),
    (r"no unit", "无单位"),
    (r"(.+) converted to (.+), × (.+)", r"\1 换算为 \2，× \3"),
)


def _id_fault_zh(fault: str) -> str | None:
    """Why a column is no id in Chinese (:data:`ID_FAULTS_ZH`); None when the catalogue lacks the reason."""
    said = _first_said(fault, ID_FAULTS_ZH)
    return None if said is fault else said


def _credit_fault_zh(reason: str) -> str:
    return _first_said(reason, CREDIT_FAULTS_ZH)


def _unit_read_zh(text: str) -> str:
    return _first_said(text, UNITS_READ_ZH)


def _ids_zh(items: str) -> str:
    """Ids a link notice lists (``P3, P5, …``) as a Chinese list."""
    return items.replace(", ", "、")


def _link_field_zh(layer: str, name: str) -> str:
    spec = REGISTRY.get(layer)
    return spec.field(name).label_zh if spec is not None and name in spec.field_names else field_in(name)


def _conflicts_zh(items: str, layer: str) -> str:
    """``P1: E1, not E9; P2: …`` (the record, the link the layer holds, the list's) in Chinese."""
    def one(item: str) -> str:
        found = re.fullmatch(r"(?P<record>.+?): (?P<held>.+), not (?P<claimed>.+)", item)
        return (f"{found['record']}：{layer_in(layer)}图层中为 {found['held']}，名单中为 {found['claimed']}" if found
                else item)
    return "；".join(one(item) for item in items.split("; "))


def _claimed_zh(items: str) -> str:
    """``P2: E1 and E2; …`` (the record, the list's records naming it) in Chinese."""
    def one(item: str) -> str:
        record, colon, owners = item.partition(": ")
        return f"{record}：{'、'.join(owners.split(' and '))}" if colon else item
    return "；".join(one(item) for item in items.split("; "))


#: Counts of an import (``added 3, updated 1``) in Chinese.
COUNTS_ZH = {"added": "新增", "updated": "更新", "unchanged": "未变", "retired": "注销"}


def _counts_zh(text: str) -> str:
    return "，".join(re.sub(r"^(\w+)", lambda m: COUNTS_ZH.get(m[1], m[1]), part.strip()) for part in text.split(","))


def _said(match: re.Match) -> dict[str, str]:
    """The match's groups said in Chinese where they name a layer, a field or a kind of value."""
    said = {}
    for name, value in match.groupdict().items():
        if value is None:
            said[name] = ""
        elif name == "layer":
            said[name] = layer_in(value)
        elif name == "layers":
            said[name] = _layers_zh(value)
        elif name == "field":
            said[name] = field_in(value)
        elif name == "kind":
            said[name] = _kind_zh(value)
        elif name == "geometry":
            said[name] = _geometry_zh(value)
        else:
            said[name] = value
    return said


#: A sheet of a workbook as the readers name it after the file (layers.io.tables): ``x.xlsx (sheet '甲')``.
_SHEET = re.compile(r" \(sheet '([^']*)'\)")


def chinese(message: str) -> str | None:
    """``message`` in Chinese from the catalogue, or None when the catalogue lacks its kind."""
    for pattern, zh in ZH_PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            said = zh(match) if callable(zh) else zh.format(**_said(match))
            return None if said is None else _SHEET.sub(r"（工作表“\1”）", said)
    return None


#: How the import chose a file's encoding and CRS (layers.io.encoding, layers.io.crs_detect), phrase by phrase in
#: Chinese, applied in order to the English; a phrase not listed stays as written.
HOW_ZH: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(pattern), zh) for pattern, zh in (
    (r"best guess: some records decode in no encoding tried \((.*)\)(?=\)$)",
     r"最可能的编码（有些记录按所试的各种编码都无法解码）：\1"),
    (r"(\d+) record\(s\) do not decode", r"\1 条记录无法解码"),
    (r"UTF-16 without a byte-order mark \(a zero byte beside every ASCII character\)",
     "UTF-16，无字节顺序标记（每个 ASCII 字符旁都有一个零字节）"),
    (r" \(simplified Chinese\)", "（简体中文）"),
    (r" \(traditional Chinese\)", "（繁体中文）"),
    (r"reads as ([\w-]+)(（\w+）)? rather than ([\w-]+): confidence", r"按 \1\2读取，而不是 \3：置信度"),
    (r"not UTF-8; ", "不是 UTF-8；"),
    (r"no \.cpg; the text decodes as ([\w-]+)", r"无 .cpg 文件；文本可按 \1 解码"),
    (r"(\S+)\.cpg says ('[^']*') but the text is not in it; it decodes as ([\w-]+)",
     r"\1.cpg 写明 \2，但文本不是该编码；可按 \3 解码"),
    (r"(\S+)\.cpg says ('[^']*') but the text ", r"\1.cpg 写明 \2，但文本"),
    (r"no \.cpg; the text ", "无 .cpg 文件；文本"),
    (r"decodes as ([\w-]+)", r"可按 \1 解码"),
    (r"from (\S+)\.cpg", r"取自 \1.cpg"),
    (r"no byte-order mark; the zero bytes of its ASCII characters say so", "无字节顺序标记，由 ASCII 字符间的零字节判断"),
    (r"byte-order mark", "字节顺序标记（BOM）"),
    (r"declared ('[^']*') in the file", r"文件中声明为 \1"),
    (r"text is plain ASCII", "文本为纯 ASCII"),
    (r"given with --(?:crs|encoding)", "在上传页面填写"),
    (r" \(overrides the file's ([^)]*)\)", r"（覆盖文件中的 \1）"),
    (r"named in the table's CRS column \(('[^']*')\)", r"表中坐标系列写明 \1"),
    (r"X and Y were swapped \(X = northing, as Chinese surveying writes them\)", "X、Y 已互换（按测量习惯 X 为北坐标）"),
    (r"X and Y were swapped \(X = northing\)", "X、Y 已互换（X 为北坐标）"),
    (r"declared in the file", "文件中已声明"),
    (r"no CRS in the file; coordinates are longitude/latitude, read as WGS84 \(if they come from Amap/Tencent or "
     r"Baidu give --crs gcj02 or bd09\)",
     "文件未声明坐标系；坐标为经纬度，按 WGS84 读取（若来自高德/腾讯或百度地图，请在坐标系一栏填写 gcj02 或 bd09）"),
    (r"no CRS in the file; coordinates are latitude/longitude \(swapped\), read as WGS84",
     "文件未声明坐标系；坐标为纬度/经度（顺序颠倒），按 WGS84 读取"),
    (r"no CRS in the file; 8-digit eastings with zone prefix (\d+) → CGCS2000 (\S+) Gauss-Krüger zone \d+ "
     r"\(EPSG:(\d+)\); for Beijing 1954 or Xi'an 1980 data give --crs",
     r"文件未声明坐标系；8 位东坐标带带号 \1 → CGCS2000 \2 高斯-克吕格第 \1 带（EPSG:\3）；北京 1954 或西安 1980 坐标请在坐标系一栏填写"),
    (r" \(new park\)", "（新园区）"),
    (r"; ", "；"),
))
#: The reference a far record's distance is measured from (layers.io.messy.park_reference) in Chinese.
REFERENCE_ZH: tuple[tuple[re.Pattern, Callable[[re.Match], str]], ...] = (
    (re.compile(r"the park boundary \(zones, kind park_boundary\)"), lambda m: "园区边界（范围与管控图层中的园区边界）"),
    (re.compile(r"the extent of the park's layers \((?P<layers>[^)]*)\)"),
     lambda m: f"园区现有图层的范围（{_layers_zh(m['layers'])}）"),
)


def how_in(text: str, lang: str = "zh") -> str:
    """How an encoding or CRS was chosen (``UTF-8 (decodes as UTF-8)``) in ``lang``: phrase by phrase in Chinese."""
    if lang == "en" or not text:
        return text
    for pattern, zh in HOW_ZH:
        text = pattern.sub(zh, text)
    return re.sub(r" \((.*)\)$", r"（\1）", text)


def reference_in(text: str, lang: str = "zh") -> str:
    """What a far record's distance was measured from, in ``lang``."""
    if lang != "en":
        for pattern, zh in REFERENCE_ZH:
            match = pattern.fullmatch(text)
            if match:
                return zh(match)
    return text


ROW = re.compile(r"row (\d+)(?: \(([^)]*)\))?")
#: Where a gap between parcels lies (layers.io.importer._topology), the record label of its notice.
_GAP = re.compile(r"gap at (?P<point>\([^)]*\))(?: in the source's coordinates \((?P<crs>.+)\))?")


def record_in(record: str, lang: str = "zh") -> str:
    """A record label in ``lang``: ``第 3 行（parcel_id=P1）``, 全部记录, 文件; as written in English."""
    if lang == "en":
        return record
    if record in RECORDS_ZH:
        return RECORDS_ZH[record]
    gap = _GAP.fullmatch(record)
    if gap:
        if gap["crs"]:
            return f"空隙位于源数据坐标 {gap['point']}（{_crs_zh(gap['crs'])}）"
        return f"空隙位于 {gap['point']}"
    said = ROW.sub(lambda m: f"第 {m[1]} 行" + (f"（{_id_in(m[2])}）" if m[2] else ""), record)
    # An aggregated notice's records (layers.validate.aggregated): "row 1, row 2 … and 3 more".
    said = _MORE.sub(lambda m: f" … 等另 {m[1]} 条", said)
    return said.replace(", ", "、")


_MORE = re.compile(r" … and (\d+) more$")


def _id_in(text: str) -> str:
    """``parcel_id=P1`` → ``地块编号 P1``."""
    name, equals, value = text.partition("=")
    return f"{field_in(name)} {value}" if equals else text


__all__ = ["HOW_ZH", "ZH_PATTERNS", "chinese", "field_in", "how_in", "id_fault_in", "layer_in", "record_in",
           "reference_in"]
