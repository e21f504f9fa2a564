"""The Chinese of import notices and problems (layers/import_text.py), written out by hand: one or more per group of
messages — geometry repairs, CRS, ids, archives and Shapefiles, 国土 TXT, tables, DXF, KML. Numbers, ids, file names
and coordinates stay as written; layers and fields are named by their Chinese labels; no flag is ever shown."""

from __future__ import annotations

import pytest

from layers.import_text import chinese, record_in
from layers.io.report import message_for_web

CASES = [
    # -- geometry repairs ------------------------------------------------------------------------------------------
    ("invalid geometry (Self-intersection at (26.93005456, 60.52911960)) repaired with make_valid",
     "图形无效（自相交，位于 (26.93005456, 60.52911960)），已用 make_valid 修复"),
    ("invalid geometry (Ring Self-intersection at (496161.072, 6710342.445)) repaired with make_valid "
     "(the source's coordinates, EPSG:3826 TWD97 / TM2 zone 121)",
     "图形无效（环自相交，位于 (496161.072, 6710342.445)），已用 make_valid 修复（源数据坐标，EPSG:3826 TWD97 / TM2 zone 121）"),
    ("left out: invalid geometry (Too few points in geometry component at (496158.258, 6710428.954)) and nothing of "
     "it survives repair",
     "已略去：图形无效（图形组成部分的点数过少，位于 (496158.258, 6710428.954)），修复后没有留下任何部分"),
    ("multi-part geometry exploded into 3 records", "多部件要素已拆分为 3 条记录"),
    ("Z (height) coordinates dropped", "高程（Z）坐标已舍去"),
    ("curved geometry linearised", "曲线已转为折线"),
    ("closed line turned into a polygon", "闭合线已转为面"),
    ("geometry collection read as MultiPolygon; 2 part(s) of another kind dropped",
     "几何集合已按多面读取；另有 2 个其他类型的部分已舍去"),
    ("geometry collection read as Polygon", "几何集合已按面读取"),
    ("1 part(s) collapsed to area under 1 µm² once transformed into the working CRS: dropped (the first at "
     "(113.55643300, 22.19223900) in the source's coordinates (GCJ-02 (Amap/Gaode, Tencent)))",
     "1 个部分转换到工作坐标系后面积不足 1 µm²，已舍去（第一个位于源数据坐标 (113.55643300, 22.19223900)，GCJ-02（高德、腾讯））"),
    ("collapses once transformed into the working CRS: every part has length under 1 µm (the first at "
     "(177971.654, 2501238.914) in the source's coordinates (EPSG:3826 TWD97 / TM2 zone 121))",
     "转换到工作坐标系后整体退化：每个部分的长度不足 1 µm（第一个位于源数据坐标 (177971.654, 2501238.914)，"
     "EPSG:3826 TWD97 / TM2 zone 121）"),
    ("1,000,001 vertices; at most 200,000 per feature are accepted (simplify it, or it is not a parcel/building "
     "outline)", "1,000,001 个顶点；每个要素最多接受 200,000 个（请先简化；否则它多半不是地块或建筑的轮廓）"),
    ("coordinates are not finite numbers (NaN or infinity)", "坐标不是有限数值（NaN 或无穷大）"),
    ("damaged: geometry cannot be decoded (IllegalArgumentException: Invalid number of points in LinearRing found 2 "
     "- must be 0 or >= 3)", "记录损坏：图形无法解码（线性环只有 2 个点，应为 0 个或至少 3 个）"),
    ("cannot be transformed into EPSG:4549 (outside its valid area)", "无法转换到 EPSG:4549（超出其适用范围）"),
    # -- CRS --------------------------------------------------------------------------------------------------------
    ("new park: working CRS EPSG:4547 (CGCS2000 3° Gauss-Krüger CM 114°E, from the data)",
     "新园区：工作坐标系 EPSG:4547（按数据位置选定的 CGCS2000 3° 带高斯-克吕格投影，中央经线 114°E）"),
    ("new park: working CRS EPSG:32633 (the data lies at 14.40°E, outside the CGCS2000 Gauss-Krüger series "
     "(CM 75–135°E); WGS84 / UTM (EPSG:32633) chosen instead)",
     "新园区：工作坐标系 EPSG:32633（数据位于东经 14.40°，在 CGCS2000 高斯-克吕格投影带系列（中央经线 75–135°E）之外，"
     "改用 WGS84 / UTM（EPSG:32633））"),
    ("the data spans 113.54–113.55°E (centre 113.55°E, 22.20°N), outside the park's working CRS EPSG:4549 "
     "(118.5–121.5°E, ±1.5°); areas would be distorted: check --crs, or import it into a park of its own",
     "数据范围为东经 113.54–113.55°（中心 113.55°E、22.20°N），超出园区工作坐标系 EPSG:4549 的适用范围"
     "（118.5–121.5°E，±1.5°），面积会变形：请核对上传表单“坐标系”一栏，或将其导入单独的园区"),
    ("converted from BD-09 (Baidu) to WGS84 with the published algorithm (exact inverse)",
     "已按公开算法（精确逆算）从 BD-09（百度）转换为 WGS84"),
    ("--crs 'EPSG:99999999' is not a CRS; give an EPSG code (EPSG:4528 or 4528), WKT, a PROJ string, or gcj02 / bd09 "
     "for Amap/Tencent or Baidu coordinates",
     "上传表单“坐标系”一栏填写的 'EPSG:99999999' 不是坐标系：请填写 EPSG 代码（EPSG:4528 或 4528）、WKT、PROJ 字符串，"
     "高德/腾讯坐标填 gcj02，百度坐标填 bd09"),
    ("a.shp: the file declares EPSG:4326 WGS 84, which is geographic (degrees) but the coordinates are not "
     "longitude/latitude (x 500,000 … 501,000, y 3.3e+06 … 3.301e+06); the coordinates look like EPSG:4549 "
     "CGCS2000 / 3-degree Gauss-Kruger CM 120E with X/Y swapped; give the right CRS with --crs",
     "a.shp：文件声明的坐标系 EPSG:4326 WGS 84 是地理坐标系（度），但坐标不是经纬度（x 500,000 … 501,000, "
     "y 3.3e+06 … 3.301e+06）；坐标看起来是 EPSG:4549 CGCS2000 / 3-degree Gauss-Kruger CM 120E（X、Y 互换）："
     "请在上传表单的“坐标系”一栏填写正确的坐标系"),
    ("lies 12.5 km from the extent of the park's layers (parcels, roads); data more than 10 km from the park is most "
     "often in a wrong CRS or another place's file: accepted, as confirmed",
     "距园区现有图层的范围（地块、道路） 12.5 km；距园区超过 10 km 的数据多半是坐标系有误或别处的文件：已按确认导入"),
    # -- ids --------------------------------------------------------------------------------------------------------
    ("holds one value on every row ('100'): it is not an id (not taken as parcel_id)",
     "每一行都是同一个值（'100'）：不是编号（未用作地块编号）"),
    ("holds duplicates ('200' ×39, '1' ×20; 2 distinct values on 59 rows): it is not an id (not taken as pipe_id)",
     "有重复值（'200' ×39、'1' ×20；59 行中只有 2 个不同的值）：不是编号（未用作管线编号）"),
    ("holds one value on every row ('100'): it is not an id; parcel_id taken from '宗地号', which names it too and "
     "holds a value on every record, each once",
     "每一行都是同一个值（'100'）：不是编号；地块编号改取自“宗地号”，该字段名也指编号，且每条记录都有值、各不相同"),
    ("no field 'Nope' in the source to take the ids from; fields: ID, 名称, 备注, 宗地号",
     "源数据中没有用作编号的字段“Nope”；现有字段：ID、名称、备注、宗地号"),
    ("the park changed since the preview: generated ids are now AUTO-parcels-3 … AUTO-parcels-4",
     "预览后园区数据已有变化：生成的编号现为 AUTO-parcels-3 … AUTO-parcels-4"),
    # -- archives, zips and Shapefiles -----------------------------------------------------------------------------
    ("left packed (not part of the dataset read): parcels.qml, files/photo.jpg",
     "未解压（不属于所读取的数据集）：parcels.qml、files/photo.jpg"),
    ("geometry decoding: invalid value encountered in from_wkb", "图形解码提示：解码图形时遇到无效数值（NaN 或无穷大）"),
    ("GDAL: Value 'abc' of field X parsed incompletely", "GDAL 提示：（原文）Value 'abc' of field X parsed incompletely"),
    ("files chosen together: 4 file(s) of 宗地.shp read", "所选文件中读取了 宗地.shp 的 4 个文件"),
    ("not read (not part of the dataset read): 道路.shp, 道路.dbf", "未读取（不属于所读取的数据集）：道路.shp、道路.dbf"),
    ("bomb.zip: unpacks to 8,388,608 bytes, more than the 4,194,304 allowed (a zip bomb, or a dataset to import in "
     "parts)", "bomb.zip：解压后 8,388,608 字节，超过允许的 4,194,304 字节（可能是压缩炸弹，或是应分批导入的数据）"),
    ("liar.zip: member 'parcels.geojson' is damaged and cannot be unpacked (Bad CRC-32 for file 'parcels.geojson')",
     "liar.zip：成员“parcels.geojson”已损坏，无法解压（Bad CRC-32 for file 'parcels.geojson'）"),
    ("园区.zip: the zip holds several datasets (地块.shp, 道路.shp); choose one with --source-layer",
     "园区.zip：压缩包中有多个数据集（地块.shp、道路.shp）：请在上传表单的“源图层/工作表”一栏选择一个"),
    ("two.gpkg: several layers (甲, 乙); choose one with --source-layer",
     "two.gpkg：有多个图层（甲、乙）：请在上传表单的“源图层/工作表”一栏选择一个"),
    ("地块.shp has no 地块.dbf beside it: a Shapefile needs .shp, .shx and .dbf (the .dbf holds every attribute); "
     "send all of its files, e.g. zipped together",
     "地块.shp 旁边没有 地块.dbf：Shapefile 需要 .shp、.shx 和 .dbf（.dbf 存放全部属性）；请在上传表单的“文件”一栏一次选中它的全部文件（或打包成 zip）上传"),
    ("地块.shp is truncated: its header declares 624 bytes, the file has 564",
     "地块.shp 不完整：文件头声明 624 字节，实际只有 564 字节"),
    ("damaged: attributes missing: 地块.dbf ends before this record", "记录损坏：属性缺失：地块.dbf 在这条记录之前就已结束"),
    ("the bulk read failed (ArrowInvalid: Invalid UTF8 sequence at string index 1); read record by record with fiona",
     "整批读取失败（ArrowInvalid: Invalid UTF8 sequence at string index 1）；已改为逐条记录读取"),
    ("parcels.kml: the file is empty", "parcels.kml：文件是空的"),
    ("track.kml is not KML: its content is an XML document that is not KML (GML, GPX, VRT and other XML formats are "
     "not imported) (first bytes 3c3f786d6c207665)",
     "track.kml 不是 KML 文件：其内容是一份非 KML 的 XML 文档（GML、GPX、VRT 等其他 XML 格式不能导入）（开头字节 3c3f786d6c207665）"),
    ("地块.dbf is not a dBASE table: its content is a Shapefile geometry file (.shp) (first bytes 0000270a00000000)",
     "地块.dbf 不是 dBASE 表：其内容是 Shapefile 图形文件（.shp）（开头字节 0000270a00000000）"),
    ("evil.csv is not CSV text: its content is an OGR virtual dataset (VRT): a list of other files and URLs for GDAL "
     "to open, not data (first bytes 3c4f475256525444); such a file is never opened",
     "evil.csv 不是 CSV 文本：其内容是 OGR 虚拟数据集（VRT）：只是让 GDAL 去打开其他文件和网址的清单，不是数据"
     "（开头字节 3c4f475256525444）；这类文件一律不会打开"),
    ("x.gpkg: view 'v' reads 'tbl' of the database 'aux'; a view may read only this file's tables; refused",
     "x.gpkg：视图“v”读取了数据库 'aux' 中的 'tbl'；视图只能读取本文件中的表；已拒绝"),
    # -- 国土 TXT ---------------------------------------------------------------------------------------------------
    ("国土 TXT: 2 plot(s); X read as northing, Y as easting", "国土 TXT：2 个地块；X 按北坐标、Y 按东坐标读取"),
    ("[属性描述] 格式版本号=1.01; 坐标系=2000国家大地坐标系; 带号=40", "[属性描述] 格式版本号=1.01；坐标系=2000国家大地坐标系；带号=40"),
    ("plot DK-1 (line 13): 地块面积 1.2000 公顷 in the header, 1.0000 公顷 from the coordinates (+20.00 %; tolerance 1 %)",
     "地块 DK-1（第 13 行）：文件头的地块面积为 1.2000 公顷，按坐标计算为 1.0000 公顷（相差 +20.00 %；允许误差 1 %）"),
    ("plot DK-1 (line 13): 地块面积 15.0000 公顷 in the header, 1.0000 公顷 from the coordinates (+1,400.00 %; "
     "tolerance 1 %); it matches the coordinates if read as 亩, not 公顷",
     "地块 DK-1（第 13 行）：文件头的地块面积为 15.0000 公顷，按坐标计算为 1.0000 公顷（相差 +1,400.00 %；允许误差 1 %）；"
     "若按亩而不是公顷读取，则与坐标相符"),
    ("damaged: plot DK-2 (line 19): zone mismatch: the header's 带号 is 40, but the eastings carry zone prefix 39 "
     "(Y = 39,636,000.000 at point J1); correct the 带号 or the coordinates",
     "记录损坏：地块 DK-2（第 19 行）：带号不符：文件头的带号为 40，但东坐标带有带号前缀 39（界址点 J1 的 Y = 39,636,000.000）；"
     "请更正带号或坐标"),
    ("plot DK-2 (line 18): X holds the eastings and Y the northings (X must be the northing); exchanged",
     "地块 DK-2（第 18 行）：X 列存放的是东坐标、Y 列存放的是北坐标（X 应为北坐标）；已互换"),
    ("坐标系 CGCS2000, but neither a 带号 nor zone-prefixed eastings say the zone: give the CRS with --crs",
     "坐标系为2000国家大地坐标系，但既没有带号、东坐标也不带带号前缀，无法确定投影带：请在上传表单的“坐标系”一栏填写"),
    ("CRS from the header (坐标系='2000国家大地坐标系', 3° zone 40) and the eastings, with the zone prefix 40 "
     "(EPSG:4528), read without it (the prefix digits dropped, exactly): EPSG:4549 CGCS2000 3° Gauss-Krüger CM 120°E, "
     "eastings without the zone prefix",
     "坐标系取自文件头（坐标系='2000国家大地坐标系'，3° 分带第 40 带）和东坐标，东坐标带带号前缀 40（EPSG:4528），"
     "去掉前缀数字后读取（精确无损）：EPSG:4549 CGCS2000 3° 高斯-克吕格 中央经线 120°E，东坐标不带带号"),
    ("PARKATLAS_GTXT_CLOSURE_M='-1' is not a number ≥ 0 (default 0.01)",
     "服务器设置 PARKATLAS_GTXT_CLOSURE_M='-1' 不是 ≥ 0 的数（默认 0.01；请联系管理员）"),
    ("报批.txt: 18 lines; at most 17 are read from one 国土 TXT (split it into several files)",
     "报批.txt：共 18 行；一个国土 TXT 最多读取 17 行（请拆分为多个文件）"),
    ("报批.txt: a 国土 TXT holds land plots (polygons); layer 'roads' is not a polygon layer",
     "报批.txt：国土 TXT 存放的是地块（面）；道路图层不是面图层"),
    ("报批.txt: header: 带号 41 is not a 6° zone of China (allowed: 13–23); 41 is a 3° zone",
     "报批.txt：文件头：带号 41 不是我国的 6° 分带带号（允许 13–23）；41 是 3° 分带的带号"),
    ("报批.txt: header: 几度分带 7 is not a zone width; allowed: 3 or 6", "报批.txt：文件头：几度分带 7 不是分带宽度；允许：3 或 6"),
    ("报批.txt: the eastings' zone prefix 12 (the header has no 带号): 带号 12 is not a 3° zone of China (allowed: 25–45)",
     "报批.txt：东坐标的带号前缀 12（文件头没有带号）：带号 12 不是我国的 3° 分带带号（允许 25–45）"),
    # -- tables -----------------------------------------------------------------------------------------------------
    ("geometry from column(s) X坐标 + Y坐标 (X坐标/Y坐标)", "图形取自列 X坐标 + Y坐标（X坐标/Y坐标）"),
    ("layer 'parcels' needs geometry, and the table has no WKT column and no coordinate pair (looked for wkt, "
     "geometry, geom, the_geom …, lon/lat, 经度/纬度, X/Y, GeoX/GeoY)",
     "地块图层需要图形，但表中既没有 WKT 列，也没有坐标列对（查找过 wkt、geometry、geom、the_geom …、lon/lat、经度/纬度、X/Y、GeoX/GeoY）"),
    ("not valid WKT", "不是有效的 WKT"),
    ("台账.xlsx (sheet '企业'): about 1,000 rows × 10 columns = 10,000 cells; at most 5,000 are read at once (import it "
     "in parts)", "台账.xlsx（工作表“企业”）：约 1,000 行 × 10 列 = 10,000 个单元格；一次最多读取 5,000 个（请分批导入）"),
    ("source field '用地面积(公里)': unit '公里' cannot be converted to area_m2 (m²; a unit of area)",
     "源字段“用地面积(公里)”：单位“公里”无法换算为面积的单位（m²；应为面积单位）"),
    ("2 value(s) do not read as date; kept as text", "2 个值无法按日期读取；按文本保留"),
    ("104 record(s) left out: value not in the mapping's include list", "104 条记录未导入：其值不在映射的“仅导入”列表中"),
    ("unsure: the text reads as GB18030 with a confidence of only 50.0 %; compare the values as GB18030 and as Big5 "
     "read them, and give the encoding if it is the other",
     "不确定：文本按 GB18030 读取，置信度只有 50.0 %；请对照按 GB18030 和按 Big5 读出的值，若应为后者，请在“字符编码”一栏选定"),
    ("台账.csv: cannot decode the text (UTF-8 fails at line 3; GB18030 fails at line 9); give the encoding with "
     "--encoding", "台账.csv：无法解码文本（按 UTF-8 解码在第 3 行出错；按 GB18030 解码在第 9 行出错）：请在上传表单的“字符编码”一栏填写"),
    # -- DXF --------------------------------------------------------------------------------------------------------
    ("ignored 1 open LWPOLYLINE entity (not a polygon)", "已忽略 1 个未闭合的 LWPOLYLINE 实体（不是面）"),
    ("ignored 3 HATCH entities (not a linestring)", "已忽略 3 个 HATCH 实体（不是线）"),
    ("dropped 1 closed polyline(s) that only outline a hatch on the same layer",
     "已舍去 1 条闭合多段线：它们只是同一图层上填充（HATCH）的边界"),
    ("plan.dxf: a DXF drawing holds geometry only; layer 'enterprises' is a table",
     "plan.dxf：DXF 图纸只有图形，而企业图层是表格"),
    ("plan.dxf holds no polygon entities in the model space; nothing to import (a DXF that is cut short reads as "
     "empty)", "plan.dxf 的模型空间里没有面实体；没有可导入的内容（被截断的 DXF 读出来是空的）"),
    ("damaged: LWPOLYLINE entity 2F on layer '地块-M1' cannot be converted (bad bulge)",
     "记录损坏：CAD 图层“地块-M1”上的 LWPOLYLINE 实体 2F 无法转换（bad bulge）"),
    # -- KML --------------------------------------------------------------------------------------------------------
    ("damaged: the file breaks off or is malformed at line 10, column 28; 1 placemark(s) before it were read, any "
     "after it are lost", "记录损坏：文件在第 10 行第 28 列中断或格式有误；此前的 1 个地标已读取，此后的全部丢失"),
    ("damaged, left out: geometry cannot be read (coordinate '120.1' is not lon,lat[,alt])",
     "记录损坏，已略去：图形无法读取（坐标 '120.1' 不是“经度,纬度[,高程]”的形式）"),
    ("invalid geometry: Self-intersection[636010.5 3171020.25]", "图形无效：自相交，位于 (636010.5, 3171020.25)"),
]


@pytest.mark.parametrize(("english", "zh"), CASES, ids=[english[:50] for english, _ in CASES])
def test_the_chinese_of_an_import_message(english, zh):
    assert chinese(english) == zh
    assert message_for_web(english, "zh") == zh  # what the Chinese upload page shows


def test_an_unknown_reason_leaves_the_whole_message_to_the_english_page():
    """A damaged record whose reason the catalogue lacks is not half translated: the message has no Chinese (and the
    completeness test names it)."""
    assert chinese("damaged: something no reader says") is None
    assert chinese("plan.dxf: something no reader says") is None
    assert message_for_web("damaged: something no reader says", "zh") == "damaged: something no reader says"


@pytest.mark.parametrize(("english", "zh"), [
    ("gap at (636010.500, 3171020.250) in the source's coordinates (EPSG:4549 CGCS2000 / 3-degree Gauss-Kruger CM 120E)",
     "空隙位于源数据坐标 (636010.500, 3171020.250)（EPSG:4549 CGCS2000 / 3-degree Gauss-Kruger CM 120E）"),
    ("gap at (636,010.5, 3,171,020.2)", "空隙位于 (636,010.5, 3,171,020.2)"),
    ("P-1 / P-2", "P-1 / P-2"),
    # an aggregated notice's records (layers.validate.aggregated): the rest counted, in Chinese too
    ("row 1, row 2, row 5 … and 3 more", "第 1 行、第 2 行、第 5 行 … 等另 3 条"),
    ("row 1 (parcel_id=P1) … and 12 more", "第 1 行（地块编号 P1） … 等另 12 条"),
])
def test_the_record_a_topology_notice_concerns(english, zh):
    assert record_in(english) == zh
    assert record_in(english, "en") == english


def test_a_reading_warning_is_said_with_where_it_comes_from():
    import warnings

    from layers.io.read import _warning_notes

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("invalid value encountered in from_wkb", RuntimeWarning, stacklevel=1)  # NumPy's, in Shapely
        warnings.warn("Value 'abc' of field X parsed incompletely", RuntimeWarning, stacklevel=1)  # GDAL's
    assert _warning_notes(caught) == ["geometry decoding: invalid value encountered in from_wkb",
                                      "GDAL: Value 'abc' of field X parsed incompletely"]
