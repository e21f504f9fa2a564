"""Messy source files (issue 13 §5): real ones made awkward the way the field does, and hand-made ones.

Hand-made files sit beside the tiny park (conftest: near 121.40°E, 28.65°N, built in
EPSG:4549 at X0, Y0; its boundary zone is the box -20…320 × -20…220 m from there), so
only the file that is meant to be far from the park is.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from conftest import WORKING_EPSG, X0, Y0
from pyproj import Transformer
from real_data import REAL

MACAU = REAL / "china_admin_macau_gcj02_noprj" / "澳门特别行政区.shp"
HSINCHU = REAL / "tw_zoning_J0302_hsinchu_science_park" / "J0302_zoning_twd97.geojson"
KAOHSIUNG_SHP = REAL / "kaohsiung_petroleum_pipelines" / "kh_petroleum_pipelines_twd97.shp"
#: The tiny park's boundary zone, in metres from (X0, Y0).
BOUNDARY_TOP_M = 220.0

_TO_LONLAT = Transformer.from_crs(WORKING_EPSG, 4326, always_xy=True)


def lonlat(dx: float, dy: float) -> tuple[float, float]:
    """The lon/lat of the point ``dx``, ``dy`` metres from the tiny park's origin."""
    lon, lat = _TO_LONLAT.transform(X0 + dx, Y0 + dy)
    return float(lon), float(lat)


def square(dx: float, dy: float, side: float = 40.0):
    """A lon/lat square whose south-west corner is ``dx``, ``dy`` metres from the tiny park's origin."""
    return shapely.transform(shapely.box(X0 + dx, Y0 + dy, X0 + dx + side, Y0 + dy + side),
                             lambda c: np.column_stack(_TO_LONLAT.transform(c[:, 0], c[:, 1])))


def _write_shapefile(frame: gpd.GeoDataFrame, path: Path, encoding: str) -> Path:
    """A Shapefile in ``encoding`` without a ``.cpg`` (as older desktop tools leave them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_file(path, encoding=encoding, engine="pyogrio")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    return path


#: Zoning fields of the Hsinchu file kept in the Big5 copy (dBASE names of at most 10 bytes in Big5).
HSINCHU_FIELDS = ["OBJECTID", "計畫_1", "使用分", "分區類", "建蔽率", "容積率", "參考面", "備註"]


def big5_zoning_shapefile(folder: Path) -> Path:
    """The real Hsinchu Science Park zoning (142 zones) as a Big5 Shapefile without ``.cpg``."""
    frame = gpd.read_file(HSINCHU)[[*HSINCHU_FIELDS, "geometry"]]
    return _write_shapefile(frame, folder / "分區.shp", "big5")


class _Big5NameInfo(zipfile.ZipInfo):
    """A zip entry named in Big5 bytes without the UTF-8 flag, as Windows in Taiwan writes them."""

    def _encodeFilenameFlags(self):  # noqa: N802 — CPython's hook
        return self.filename.encode("big5"), self.flag_bits & ~0x800


def big5_named_zip(files: list[Path], dest: Path) -> Path:
    """``files`` zipped under their (Chinese) names written in Big5."""
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            info = _Big5NameInfo(file.name)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, file.read_bytes())
    return dest


#: Big5 words whose bytes are also common simplified words in GB18030: 部 → 场, 第 → 材, 最 → 程.
AMBIGUOUS_BIG5 = ["部", "第", "最"]


def ambiguous_big5_shapefile(folder: Path) -> Path:
    """Three parcels beside the tiny park named in Big5 with words GB18030 reads as other common words."""
    frame = gpd.GeoDataFrame({"parcel_id": ["B5-1", "B5-2", "B5-3"], "name": AMBIGUOUS_BIG5},
                             geometry=[square(0, 300 + 50 * k) for k in range(3)], crs=4326)
    return _write_shapefile(frame.to_crs(WORKING_EPSG), folder / "parcels.shp", "big5")


def facilities_csv_text() -> str:
    """Two gates beside the tiny park, CR LF line endings (the codec and line ends are the caller's)."""
    (lon1, lat1), (lon2, lat2) = lonlat(100, 230), lonlat(200, 230)
    return (f"设施编号,名称,类型,经度,纬度\r\nG-N,北门,出入口,{lon1:.9f},{lat1:.9f}\r\n"
            f"G-W,西门,出入口,{lon2:.9f},{lat2:.9f}\r\n")


def cr_only_csv(path: Path) -> Path:
    """The gates with lines ending in CR alone (old Mac Excel, some exporters)."""
    path.write_bytes(facilities_csv_text().replace("\r\n", "\r").encode("utf-8"))
    return path


def utf16_csv(path: Path, *, bom: bool) -> Path:
    """The gates as Excel's "Unicode text": UTF-16 (little-endian), with or without the byte-order mark."""
    path.write_bytes(facilities_csv_text().encode("utf-16" if bom else "utf-16-le"))
    return path


def mixed_geojson(path: Path) -> Path:
    """An OSM-like extract beside the park: two plots, a gate (point) and a lane (line)."""
    frame = gpd.GeoDataFrame(
        {"parcel_id": ["MX-1", "MX-2", "MX-3", "MX-4"], "name": ["甲地块", "北门", "支路", "乙地块"]},
        geometry=[square(0, 300), shapely.Point(*lonlat(60, 300)),
                  shapely.LineString([lonlat(0, 360), lonlat(100, 360)]), square(100, 300)], crs=4326)
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def constant_id_geojson(path: Path, *, with_parcel_numbers: bool) -> Path:
    """Three plots whose ``ID`` is 100 on every row; with or without a 宗地号 column holding the real ids."""
    columns = {"ID": [100, 100, 100], "名称": ["东一", "东二", "东三"], "备注": ["a", "b", "c"]}
    if with_parcel_numbers:
        columns["宗地号"] = ["ZD-7", "ZD-8", "ZD-9"]
    frame = gpd.GeoDataFrame(columns, geometry=[square(0, 300 + 50 * k) for k in range(3)], crs=4326)
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def far_geojson(path: Path, *, km: float, ids: tuple[str, ...] = ("FAR-1", "FAR-2")) -> Path:
    """Plots ``km`` north of the tiny park's boundary zone (their south edge on the line ``km`` away)."""
    dy = BOUNDARY_TOP_M + km * 1000.0
    frame = gpd.GeoDataFrame({"parcel_id": list(ids)}, geometry=[square(60 * k, dy) for k in range(len(ids))],
                             crs=4326)
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def collapsing_pipeline_shapefile(folder: Path, *, whole_line: bool = False) -> tuple[Path, tuple[float, float]]:
    """The real Kaohsiung lines with a part of one ULP (3·10⁻¹¹ m) added to the first line, as digitising
    leaves them; it collapses once transformed into the park's CRS. ``whole_line``: the first line is that
    part alone. Returns the file and the point (in the file's TWD97 coordinates) where the part lies."""
    frame = gpd.read_file(KAOHSIUNG_SHP).drop(columns=["ID"])
    first = frame.geometry.iloc[0]
    x, y = shapely.get_coordinates(first)[3]
    tiny = shapely.LineString([(x, y), (np.nextafter(x, np.inf), y)])
    frame.loc[0, "geometry"] = tiny if whole_line else shapely.MultiLineString([first, tiny])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kh_lines.shp"
    frame.to_file(path, encoding="UTF-8", engine="pyogrio")
    return path, (float(x), float(y))


def macau_with_a_speck(folder: Path) -> tuple[Path, tuple[float, float]]:
    """The real Macau districts (GCJ-02 lon/lat, no ``.prj``, UTF-8 without ``.cpg``) with a speck — a triangle
    of 10⁻¹¹° sides (about 1 µm) — added to the first district, as a digitiser's stray click leaves one.
    Returns the file and the speck's first vertex in the file's GCJ-02 coordinates."""
    frame = gpd.read_file(MACAU, encoding="utf-8")
    first = frame.geometry.iloc[0]
    xmin, ymin, xmax, ymax = first.bounds
    x, y = xmax + 0.001, ymin  # just east of the district (inside it, it would nest a shell: invalid)
    speck = shapely.Polygon([(x, y), (x + 1e-11, y), (x, y + 1e-11)])
    frame.loc[0, "geometry"] = shapely.MultiPolygon([first, speck])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "澳门.shp"
    frame.set_crs(4326).to_file(path, encoding="UTF-8", engine="pyogrio")  # the .prj is removed below
    path.with_suffix(".cpg").unlink(missing_ok=True)
    path.with_suffix(".prj").unlink(missing_ok=True)
    return path, (float(x), float(y))
