"""Import problems and notices in the reader's language and in the terms of the place they are read.

layers/io and layers/validate write each problem once, in English, in the command line's terms
(``give it with --crs``): the CLI prints them as they are. The upload page shows them through
:func:`layers.io.report.for_web`: in English with the upload form's terms (``web_wording``), in
Chinese from :data:`ZH_PATTERNS` here (each kind of message once, the form's terms, never a flag).
A message the catalogue lacks is shown in the web's English: add its pattern here.

Record labels (``row 3 (parcel_id=P1)``, ``all``, ``file``) and field names are said by
:func:`record_in` and :func:`field_in`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from layers.registry import REGISTRY

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
               "MultiPolygon": "多面", "point": "点", "line": "线", "polygon": "面", "points": "点", "lines": "线",
               "polygons": "面"}
#: What a file's content is (layers.io.formats' refusals) in Chinese; others lose only their article.
CONTENT_ZH = {"plain text": "纯文本", "empty": "空的", "binary data of no format ParkAtlas imports": "无法导入的二进制数据",
              "a zip archive": "zip 压缩包", "an SQLite database": "SQLite 数据库"}
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


_AT = r"\((?:line|row) (?P<{0}>\d+)\)"
#: What is said of one plot of a 国土 TXT or a boundary-point table (layers.io.gtxt, layers.io.vertex_table), sentence
#: by sentence: a plot's message is "plot <id> (line|row n): " or "plot <id> (rows a–b): " then sentences joined by
#: "; ".
PLOT_SENTENCES_ZH: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(pattern), zh) for pattern, zh in (
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
                said.append(zh.format(**groups))
                position = sentence.end()
                break
        else:
            return None
        if text.startswith("; ", position):
            position += 2
    plot = "（无地块编号）" if head["id"] == "(no 地块编号)" else head["id"]
    return f"地块 {plot}（第 {rows} 行）：" + "；".join(said)


def _reason_zh(reason: str) -> str:
    return plot_zh(reason) or reason


def _prefixed(prefix: str, said: str | None) -> str | None:
    return None if said is None else prefix + said


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
         lambda m: f"未取源字段{_source_zh(m['source'], m['target'])}作编号：{_id_fault_zh(m['fault'])}"),
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
        (r"upsert keys on (?P<field>\w+), and the source has none; use replace or append, or choose the field "
         r"that holds the ids",
         "“更新或新增”按{field}对应记录，而源数据没有该字段：请改选“替换”或“追加”，或选择存放编号的字段"),
        # geometry
        (r"the layer has no CRS; give the source CRS \(for import: --crs EPSG:…\)",
         "源数据没有坐标系：请在上传表单的“坐标系”一栏填写（如 EPSG:4528）"),
        (r"geometry is missing", "缺图形"),
        (r"geometry is empty", "图形为空"),
        (r"wrong geometry type; allowed: (?P<allowed>.+)", "图形类型不符；允许：{allowed}"),
        (r"invalid geometry: (?P<reason>.+)", "图形无效：{reason}"),
        (r"layer '(?P<layer>\w+)' needs geometries \((?P<geometry>\w+)\)", "{layer}图层需要图形（{geometry}）"),
        (r"no (?P<geometry>\w+) in the source \((?P<found>[^)]*)\): layer '(?P<layer>\w+)' holds (?P<held>\w+); "
         r"the records fit layer\(s\) (?P<layers>.+)",
         lambda m: f"源数据中没有{_geometry_zh(m['geometry'])}（只有 {_geometries_zh(m['found'])}）：{layer_in(m['layer'])}图层存放"
                   f"{_geometry_zh(m['held'])}；这些记录适合导入：{_layers_zh(m['layers'])}"),
        (r"(?P<found>\w+), not a (?P<geometry>\w+): not imported \(layer '(?P<layer>\w+)' holds (?P<held>\w+)\); "
         r"(?P<kind>\w+) fit layer\(s\) (?P<layers>.+): import the file into one of them for these records",
         lambda m: f"{_geometry_zh(m['found'])}，不是{_geometry_zh(m['geometry'])}：未导入（{layer_in(m['layer'])}"
                   f"图层存放{_geometry_zh(m['held'])}）；这些记录请导入：{_layers_zh(m['layers'])}"),
        (r"lies (?P<distance>[\d.,–]+) km from the park boundary \(zones, kind park_boundary\); data more than "
         r"(?P<limit>[\d.,]+) km from the park is most often in a wrong CRS or another place's file: check the CRS "
         r"and the file; imported only if the confirmation says these records belong to the park",
         "距园区边界 {distance} km；距园区超过 {limit} km 的数据多半是坐标系有误或别处的文件：请核对坐标系和文件；"
         "只有确认这些记录属于本园区才会导入"),
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
        (r"(?P<archive>.+?): member '(?P<member>.*)' would be written outside the folder it is unpacked to "
         r"\(zip-slip\); refused", "{archive}：成员“{member}”会被解压到目标文件夹之外（zip-slip）；已拒绝"),
        (r"(?P<archive>.+?): member '(?P<member>.*)' expands (?P<ratio>[\d,]+)× \((?P<packed>[\d,]+) → "
         r"(?P<size>[\d,]+) bytes\), more than the (?P<limit>[\d,]+)× allowed \(zip bomb\); refused",
         "{archive}：成员“{member}”解压后膨胀 {ratio} 倍（{packed} → {size} 字节），超过允许的 {limit} 倍"
         "（压缩炸弹 zip bomb）；已拒绝"),
        (r"(?P<name>.+?) is not (?P<noun>.+?): its content is (?P<what>.+) \(first bytes (?P<head>\w+)\)",
         lambda m: f"{m['name']} 不是 {_content_zh(m['noun'])} 文件：其内容是{_content_zh(m['what'])}（开头字节 {m['head']}）"),
        (r"(?P<name>.+?) is an SQLite database but not a GeoPackage \(no gpkg_contents table or another "
         r"application id\); ParkAtlas imports GeoPackages only",
         "{name} 是 SQLite 数据库，但不是 GeoPackage（没有 gpkg_contents 表或应用编号不符）；只能导入 GeoPackage"),
        (r"(?P<k>\d+) record\(s\) read whole; to import them without the damaged ones, repeat with --accept-damaged",
         "{k} 条记录完好；如要只导入这些记录、略去损坏的，请勾选上传表单的“跳过损坏记录”后重新上传"),
        (r"damaged, left out: (?P<reason>.+)", lambda m: f"记录损坏，已略去：{_reason_zh(m['reason'])}"),
        (r"damaged: (?P<reason>plot .+)", lambda m: _prefixed("记录损坏：", plot_zh(m["reason"]))),
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
    (r"holds one value on every row \((.*)\)", r"每条记录都是同一个值（\1）"),
    (r"holds duplicates \((.*?)(?: and (\d+) more)?; (\d+) distinct values on (\d+) rows\)",
     lambda m: f"有重复值（{m[1]}{f' 等另 {m[2]} 个' if m[2] else ''}；{m[4]} 条记录中只有 {m[3]} 个不同值）"),
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


def _id_fault_zh(fault: str) -> str:
    return _first_said(fault, ID_FAULTS_ZH)


def _credit_fault_zh(reason: str) -> str:
    return _first_said(reason, CREDIT_FAULTS_ZH)


def _unit_read_zh(text: str) -> str:
    return _first_said(text, UNITS_READ_ZH)


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


def chinese(message: str) -> str | None:
    """``message`` in Chinese from the catalogue, or None when the catalogue lacks its kind."""
    for pattern, zh in ZH_PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            return zh(match) if callable(zh) else zh.format(**_said(match))
    return None


#: How the import chose a file's encoding and CRS (layers.io.encoding, layers.io.crs_detect), phrase by phrase in
#: Chinese, applied in order to the English; a phrase not listed stays as written.
HOW_ZH: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(pattern), zh) for pattern, zh in (
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


def record_in(record: str, lang: str = "zh") -> str:
    """A record label in ``lang``: ``第 3 行（parcel_id=P1）``, 全部记录, 文件; as written in English."""
    if lang == "en":
        return record
    if record in RECORDS_ZH:
        return RECORDS_ZH[record]
    said = ROW.sub(lambda m: f"第 {m[1]} 行" + (f"（{_id_in(m[2])}）" if m[2] else ""), record)
    return said.replace(", ", "、")


def _id_in(text: str) -> str:
    """``parcel_id=P1`` → ``地块编号 P1``."""
    name, equals, value = text.partition("=")
    return f"{field_in(name)} {value}" if equals else text


__all__ = ["HOW_ZH", "ZH_PATTERNS", "chinese", "field_in", "how_in", "layer_in", "record_in", "reference_in"]
