"""Source files the import tests build: real-world shapes of data, and hostile ones.

Coordinates sit near 120.1°E, 28.65°N — close to the 120°E central meridian of
CGCS2000 3° Gauss-Krüger zone 40, so planar and geodesic areas agree to a few
parts in 10⁷ there (the Done-when comparison is to 0.01 %).
"""

from __future__ import annotations

import hashlib
import struct
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

#: Zone-prefixed CGCS2000 / 3-degree GK zone 40 (CM 120°E): eastings carry the prefix 40.
EPSG_ZONE40 = 4528
#: The same projection without the prefix (the park's working CRS series).
EPSG_CM120 = 4549
ZONE40_FALSE_EASTING = 40_000_000.0
#: Lower-left corner of the sample parcels in EPSG:4528 (about 120.10°E, 28.65°N).
X0, Y0 = 40_509_790.0, 3_170_000.0

GBK_PARCELS = pd.DataFrame({
    "宗地号": ["ZD-001", "ZD-002", "ZD-003"],
    "地块名称": ["一号地块（东区）", "二号地块", "三号·仓储"],
    "用地性质": ["M1", "M2", "W1"],
    "供地方式": ["出让", "出让", "划拨"],
    "土地价款": ["300", "450.5", ""],
    "签约日期": ["2021/3/1", "2021年3月15日", "44256"],
})
#: Outlines (metres from X0, Y0): a 100 × 100 square, an L-shape of 7 500 + 2 500 m², and a 120 × 80
#: rectangle with a 20 × 20 hole (9 200 m²).
GBK_SHAPES = [
    shapely.box(0, 0, 100, 100),
    shapely.Polygon([(150, 0), (300, 0), (300, 50), (200, 50), (200, 100), (150, 100)]),
    shapely.Polygon([(350, 0), (470, 0), (470, 80), (350, 80)], [[(400, 20), (420, 20), (420, 40), (400, 40)]]),
]


def shifted(geom, dx=X0, dy=Y0):
    return shapely.affinity.translate(geom, dx, dy)


def gbk_parcels_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(GBK_PARCELS.copy(), geometry=[shifted(g) for g in GBK_SHAPES], crs=EPSG_ZONE40)


def gbk_shapefile(folder: Path, *, name: str = "地块", cpg: bool = False) -> Path:
    """A Shapefile as desktop GIS writes it in China: GBK text and field names, zone-prefixed GK, no .cpg."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.shp"
    gbk_parcels_frame().to_file(path, encoding="GBK", engine="pyogrio")
    cpg_path = path.with_suffix(".cpg")
    if cpg:
        cpg_path.write_text("936")
    elif cpg_path.exists():
        cpg_path.unlink()
    return path


def shapefile_files(shp: Path) -> list[Path]:
    return sorted(p for p in shp.parent.iterdir() if p.stem == shp.stem)


class _RawNameInfo(zipfile.ZipInfo):
    """A zip entry whose name is written as raw bytes without the UTF-8 flag (as Chinese Windows does)."""

    raw_name: bytes = b""

    def _encodeFilenameFlags(self):  # noqa: N802 — CPython's hook
        return self.raw_name, self.flag_bits & ~0x800


def zip_files(files: list[Path], dest: Path, *, gbk_names: bool = False, prefix: str = "") -> Path:
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            arcname = prefix + file.name
            if gbk_names:
                info = _RawNameInfo(arcname)
                info.raw_name = arcname.encode("gbk")
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, file.read_bytes())
            else:
                archive.write(file, arcname)
    return dest


def independent_area_m2(geom) -> float:
    """Planar area of the source coordinates, without ParkAtlas: zone 40 and CM 120°E differ only by false easting."""
    return float(shapely.area(geom))


def geodesic_area_m2(geom, epsg: int) -> float:
    """Ellipsoidal area (pyproj Geod on CGCS2000's GRS80) of a polygon given in ``epsg``."""
    from pyproj import Geod

    to_lonlat = Transformer.from_crs(epsg, 4490, always_xy=True)
    lonlat = shapely.transform(geom, lambda c: np.column_stack(to_lonlat.transform(c[:, 0], c[:, 1])))
    # CGCS2000's ellipsoid differs from GRS80 only in the 11th digit of the flattening.
    # Geod sums signed ring areas: holes must wind against the shell.
    area, _ = Geod(ellps="GRS80").geometry_area_perimeter(shapely.geometry.polygon.orient(lonlat))
    return abs(area)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


# -- DXF, KML, CSV -------------------------------------------------------------------------------------


def cad_plan(path: Path) -> Path:
    """A CAD plan: hatched and outlined plots on layers named by GB 50137 code, labels inside, a road line."""
    import ezdxf

    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    for layer in ("地块-M1", "地块-W1", "道路中线"):
        doc.layers.add(layer)

    def xy(points):
        return [(X0 + x, Y0 + y) for x, y in points]

    # Plot 1: a hatch and the closed polyline that outlines it (the duplicate CAD users draw).
    square = [(0, 0), (100, 0), (100, 100), (0, 100)]
    msp.add_lwpolyline(xy(square), close=True, dxfattribs={"layer": "地块-M1"})
    hatch = msp.add_hatch(dxfattribs={"layer": "地块-M1"})
    hatch.paths.add_polyline_path(xy(square), is_closed=True)
    msp.add_text("DK-01", dxfattribs={"layer": "标注", "insert": (X0 + 50, Y0 + 50)})
    # Plot 2: a closed polyline only, with a bulge (arc) edge on top.
    msp.add_lwpolyline([(X0 + 200, Y0, 0), (X0 + 300, Y0, 0), (X0 + 300, Y0 + 100, 1.0), (X0 + 200, Y0 + 100, 0)],
                       format="xyb", close=True, dxfattribs={"layer": "地块-W1"})
    msp.add_text("DK-02", dxfattribs={"layer": "标注", "insert": (X0 + 250, Y0 + 50)})
    # A road centreline and a dimension-like text that a polygon import ignores.
    msp.add_lwpolyline(xy([(0, -10), (300, -10)]), dxfattribs={"layer": "道路中线"})
    doc.saveas(path)
    return path


PHONE_KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>外业采集</name>
<Folder><name>地块</name><Folder><name>一期</name>
<Placemark><name>东门地块</name><description>&lt;script&gt;alert(1)&lt;/script&gt;</description>
<ExtendedData><Data name="宗地号"><value>KML-1</value></Data><Data name="用地性质"><value>100101</value></Data></ExtendedData>
<Polygon><outerBoundaryIs><LinearRing><coordinates>
120.100,28.650,12 120.101,28.650,12 120.101,28.651,12 120.100,28.651,12 120.100,28.650,12
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Folder></Folder>
<Placemark><name>西门地块</name><ExtendedData><Data name="宗地号"><value>KML-2</value></Data></ExtendedData>
<MultiGeometry><Polygon><outerBoundaryIs><LinearRing><coordinates>
120.102,28.650 120.103,28.650 120.103,28.651 120.102,28.650</coordinates></LinearRing></outerBoundaryIs></Polygon>
</MultiGeometry></Placemark>
</Document></kml>
"""


def phone_kml(path: Path) -> Path:
    path.write_text(PHONE_KML, encoding="utf-8")
    return path


#: WGS84 points of three facilities; the CSV holds them as Amap (GCJ-02) shows them.
FACILITY_WGS84 = [(120.1005, 28.6505), (120.1102, 28.6551), (120.0950, 28.6400)]


def gcj02_csv(path: Path, *, encoding: str = "gb18030") -> Path:
    """Facilities from Amap: 经度/纬度 in GCJ-02, Chinese headers and names, saved by Excel in GB18030."""
    from geo.gcj02 import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02(np.array([p[0] for p in FACILITY_WGS84]), np.array([p[1] for p in FACILITY_WGS84]))
    frame = pd.DataFrame({"设施编号": ["F-1", "F-2", "F-3"], "名称": ["东区变电站", "污水处理厂", "园区南门"],
                          "类型": ["变电站", "污水厂", "出入口"], "经度": lon, "纬度": lat})
    path.write_bytes(frame.to_csv(index=False, float_format="%.10f").encode(encoding))
    return path


# -- hostile files -------------------------------------------------------------------------------------


def truncate(path: Path, keep_bytes: int) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(keep_bytes)


def zip_slip(dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w") as archive:
        archive.writestr("parcels.geojson", '{"type":"FeatureCollection","features":[]}')
        archive.writestr("../../outside.txt", "escaped")
    return dest


def zip_bomb(dest: Path, *, megabytes: int = 64) -> Path:
    """A zip whose one member inflates ~1000×: 64 MB of zeros in about 64 kB."""
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("parcels.geojson", "w") as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(megabytes):
                member.write(chunk)
    return dest


def mixed_geometry_geojson(path: Path) -> Path:
    frame = gpd.GeoDataFrame({"parcel_id": ["A", "B", "C"]},
                             geometry=[shapely.box(120.1, 28.65, 120.101, 28.651), shapely.Point(120.1, 28.65),
                                       shapely.LineString([(120.1, 28.65), (120.2, 28.7)])], crs=4326)
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def points_geojson(path: Path) -> Path:
    """Two points (a facilities file) that someone imports into a polygon layer."""
    frame = gpd.GeoDataFrame({"name": ["东门", "西门"]}, geometry=[shapely.Point(120.1, 28.65), shapely.Point(120.11, 28.65)],
                             crs=4326)
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def huge_polygon_geopackage(path: Path, *, vertices: int = 1_000_000) -> Path:
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    ring = np.column_stack([500_000 + 300 * np.cos(angles), 3_170_000 + 300 * np.sin(angles)])
    frame = gpd.GeoDataFrame({"parcel_id": ["BIG", "SMALL"]},
                             geometry=[shapely.Polygon(ring), shapely.box(500_400, 3_170_000, 500_500, 3_170_100)],
                             crs=EPSG_CM120)
    frame.to_file(path, engine="pyogrio", layer="parcels")
    return path


def nan_coordinates_shapefile(folder: Path) -> Path:
    """A Shapefile whose second polygon has a NaN vertex (written, then patched in place)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "nan.shp"
    gpd.GeoDataFrame({"parcel_id": ["N1", "N2"]},
                     geometry=[shifted(shapely.box(0, 0, 10, 10)), shifted(shapely.box(20, 0, 30, 10))],
                     crs=EPSG_ZONE40).to_file(path, engine="pyogrio")
    index = path.with_suffix(".shx").read_bytes()
    offset = struct.unpack(">i", index[108:112])[0] * 2  # record 2
    # Record header (8) + shape type (4) + box (32) + parts (4) + points (4) + part index (4) → first x;
    # the second vertex's x (16 bytes on) keeps the ring closed.
    with open(path, "r+b") as handle:
        handle.seek(offset + 8 + 4 + 32 + 4 + 4 + 4 + 16)
        handle.write(struct.pack("<d", float("nan")))
    return path
