"""Which CRS a source is in: the user's ``--crs``, the file's own, or an unambiguous inference.

Rules (DESIGN.md "Coordinates and units", DOMAIN.md §9.2):

* ``--crs`` wins: an EPSG code, WKT or PROJ string, or ``gcj02`` / ``bd09``
  (offset lon/lat of Chinese web maps, converted with :mod:`geo.gcj02`).
* A CRS the file declares (``.prj``, GeoPackage, GeoJSON ``crs``) is honoured,
  unless the coordinates cannot be in it (lon/lat declared but eastings found,
  or points far outside the CRS's area of use): that is rejected with what the
  coordinates look like.
* Without either, the coordinates decide, only where unambiguous: lon/lat
  ranges → geographic; 8-digit eastings with zone prefix 25–45 → CGCS2000 3°
  Gauss-Krüger zone (EPSG 4488 + zone), 13–23 → 6° zone (EPSG 4478 + zone);
  X and Y swapped (Chinese surveying writes X = north) is detected and fixed.
  Anything else is refused with a message asking for ``--crs``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo import crs as crs_policy

OFFSET_SYSTEMS = {"gcj02": "GCJ-02 (Amap/Gaode, Tencent)", "bd09": "BD-09 (Baidu)"}
_OFFSET_ALIASES = {"gcj02": "gcj02", "gcj-02": "gcj02", "gcj": "gcj02", "mars": "gcj02",
                   "bd09": "bd09", "bd-09": "bd09", "bd09ll": "bd09", "baidu": "bd09"}
_NAMED = {"wgs84": 4326, "wgs-84": 4326, "cgcs2000": 4490, "crs84": 4326}

#: Geographic CRS assumed for lon/lat found without a declaration (GPS and phones give WGS84;
#: CGCS2000 agrees with it within centimetres, DOMAIN.md §9.3).
INFERRED_GEOGRAPHIC_EPSG = 4326
#: Zone-prefixed Gauss-Krüger eastings: zone × 10⁶ + 500 000 ± the zone half-width.
ZONE_PREFIX_FACTOR = 1_000_000
GK3_ZONES = (25, 45)
GK6_ZONES = (13, 23)
#: Northings of China (about 0.2–6 × 10⁶ m; DOMAIN.md §9.2), with room for the South China Sea.
NORTHING_RANGE_M = (0.0, 6_500_000.0)
#: Eastings of CM-series Gauss-Krüger / UTM without a zone prefix.
PLAIN_EASTING_RANGE_M = (100_000.0, 900_000.0)
#: How far (degrees) data may lie outside a declared CRS's area of use before it is called a mismatch.
AREA_OF_USE_MARGIN_DEG = 5.0


class CrsError(ValueError):
    """The CRS is unknown, ambiguous or contradicted by the coordinates."""


@dataclass(frozen=True)
class CrsChoice:
    """The CRS of the source coordinates.

    ``crs`` is what the coordinates are in after any X/Y swap and offset
    conversion; ``offset`` names gcj02/bd09 coordinates still to convert.
    """

    crs: CRS
    how: str
    offset: str | None = None
    swap_xy: bool = False

    @property
    def label(self) -> str:
        if self.offset:
            return OFFSET_SYSTEMS[self.offset]
        return crs_label(self.crs)


def crs_label(crs: CRS) -> str:
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg} {crs.name}" if epsg else crs.name


#: Places in a CRS definition that name a file PROJ opens: PROJ-string grids and init files, WKT
#: parameter files (a PROJ string in a WKT ``EXTENSION`` is matched by the first pattern).
_FILE_REFERENCES = (
    re.compile(r"\+?\b(nadgrids|geoidgrids|grids|init)\s*=\s*([^\s\"'\]]+)", re.IGNORECASE),
    re.compile(r"PARAMETERFILE\[\s*\"[^\"]*\"\s*,\s*\"([^\"]*)\"", re.IGNORECASE),
)
#: A grid file PROJ finds in its own data folder (``@`` marks it optional; ``null`` is the empty grid).
_PLAIN_GRID = re.compile(r"@?[A-Za-z0-9_.-]+")
#: ``+init=epsg:4326`` names an authority's code, not a file.
_INIT_CODE = re.compile(r"[A-Za-z]+:[A-Za-z0-9_]+")


def check_crs_references(text: str, *, source: str) -> None:
    """Refuse a CRS definition that names a file or URL (a grid or init file given by path).

    PROJ opens grid and init files by name; a path there would make the server
    read a file of the attacker's choosing (and, with PROJ's network on, a URL).
    Grids from PROJ's own data folder (``@null``, ``ntv2_0.gsb``) and
    ``+init=epsg:…`` codes are fine.
    """
    for pattern in _FILE_REFERENCES:
        for match in pattern.finditer(str(text)):
            key = match.group(1).lower() if match.lastindex == 2 else "parameter file"
            values = (match.group(match.lastindex) or "").split(",")
            for value in values:
                plain = _INIT_CODE.fullmatch(value) if key == "init" else _PLAIN_GRID.fullmatch(value)
                if value and not plain:
                    msg = (f"{source}: its CRS names the file {value!r} ({key}); a CRS may name only grids that "
                           "come with PROJ, never a path or URL; give the CRS as an EPSG code")
                    raise CrsError(msg)


def parse_crs_option(text: str) -> tuple[CRS, str | None]:
    """Parse ``--crs``: (CRS, offset system or None). Offset systems return EPSG:4326 lon/lat."""
    raw = str(text).strip()
    check_crs_references(raw, source=f"--crs {raw!r}")
    key = raw.lower().replace("_", "").replace(" ", "")
    if key in _OFFSET_ALIASES:
        return CRS.from_epsg(INFERRED_GEOGRAPHIC_EPSG), _OFFSET_ALIASES[key]
    if key in _NAMED:
        return CRS.from_epsg(_NAMED[key]), None
    if raw.isdigit():
        raw = f"EPSG:{raw}"
    try:
        return CRS.from_user_input(raw), None
    except CRSError:
        msg = (f"--crs {text!r} is not a CRS; give an EPSG code (EPSG:4528 or 4528), WKT, a PROJ string, "
               "or gcj02 / bd09 for Amap/Tencent or Baidu coordinates")
        raise CrsError(msg) from None


@dataclass(frozen=True)
class Extent:
    """Coordinate ranges of the finite vertices (x = first ordinate as stored)."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float
    x_zones: tuple[int, ...]
    y_zones: tuple[int, ...]

    @classmethod
    def of(cls, coords: np.ndarray) -> Extent | None:
        finite = coords[np.isfinite(coords).all(axis=1)]
        if not len(finite):
            return None
        x, y = finite[:, 0], finite[:, 1]
        return cls(float(x.min()), float(y.min()), float(x.max()), float(y.max()),
                   tuple(np.unique(np.floor(x / ZONE_PREFIX_FACTOR)).astype(int).tolist()[:5]),
                   tuple(np.unique(np.floor(y / ZONE_PREFIX_FACTOR)).astype(int).tolist()[:5]))

    def text(self) -> str:
        return f"x {self.xmin:,.6g} … {self.xmax:,.6g}, y {self.ymin:,.6g} … {self.ymax:,.6g}"

    def swapped(self) -> Extent:
        return Extent(self.ymin, self.xmin, self.ymax, self.xmax, self.y_zones, self.x_zones)


def _looks_geographic(e: Extent) -> bool:
    return -180.0 <= e.xmin and e.xmax <= 180.0 and -90.0 <= e.ymin and e.ymax <= 90.0


def _zone_prefixed(e: Extent) -> tuple[int, int] | None:
    """(EPSG, zone) when every easting carries the same 3° or 6° zone prefix and northings fit China."""
    if len(e.x_zones) != 1 or not (NORTHING_RANGE_M[0] < e.ymin and e.ymax < NORTHING_RANGE_M[1]):
        return None
    zone = e.x_zones[0]
    if GK3_ZONES[0] <= zone <= GK3_ZONES[1]:
        return crs_policy.gk3_zone_prefixed_epsg(zone), zone
    if GK6_ZONES[0] <= zone <= GK6_ZONES[1]:
        return 4478 + zone, zone
    return None


def _several_zones(e: Extent) -> bool:
    zones = [z for z in e.x_zones if GK6_ZONES[0] <= z <= GK3_ZONES[1]]
    return len(e.x_zones) > 1 and len(zones) == len(e.x_zones) and NORTHING_RANGE_M[0] < e.ymin


def _plain_gk(e: Extent) -> bool:
    return (PLAIN_EASTING_RANGE_M[0] <= e.xmin and e.xmax <= PLAIN_EASTING_RANGE_M[1]
            and NORTHING_RANGE_M[0] < e.ymin and e.ymax < NORTHING_RANGE_M[1])


def infer_crs(extent: Extent | None, *, source: str) -> CrsChoice:
    """Infer the CRS from coordinate magnitudes, or raise :class:`CrsError` asking for ``--crs``."""
    if extent is None:
        msg = f"{source}: no finite coordinates to tell the CRS from; give it with --crs"
        raise CrsError(msg)
    if _looks_geographic(extent):
        return CrsChoice(CRS.from_epsg(INFERRED_GEOGRAPHIC_EPSG),
                         "no CRS in the file; coordinates are longitude/latitude, read as WGS84 "
                         "(if they come from Amap/Tencent or Baidu give --crs gcj02 or bd09)")
    flipped = extent.swapped()
    if _looks_geographic(flipped) and max(abs(extent.ymin), abs(extent.ymax)) > 90.0:
        return CrsChoice(CRS.from_epsg(INFERRED_GEOGRAPHIC_EPSG),
                         "no CRS in the file; coordinates are latitude/longitude (swapped), read as WGS84",
                         swap_xy=True)
    for candidate, swapped in ((extent, False), (flipped, True)):
        found = _zone_prefixed(candidate)
        if found:
            epsg, zone = found
            width = "3°" if epsg >= 4513 else "6°"
            how = (f"no CRS in the file; 8-digit eastings with zone prefix {zone} → CGCS2000 {width} "
                   f"Gauss-Krüger zone {zone} (EPSG:{epsg}); for Beijing 1954 or Xi'an 1980 data give --crs")
            if swapped:
                how += "; X and Y were swapped (X = northing, as Chinese surveying writes them)"
            return CrsChoice(CRS.from_epsg(epsg), how, swap_xy=swapped)
    if _several_zones(extent):
        msg = (f"{source}: eastings carry several zone prefixes ({', '.join(map(str, extent.x_zones))}); "
               "one file must be in one zone: split it or give --crs")
        raise CrsError(msg)
    if _plain_gk(extent) or _plain_gk(flipped):
        msg = (f"{source}: no CRS in the file and the coordinates ({extent.text()}) look like Gauss-Krüger or UTM "
               "without a zone prefix, which does not say the central meridian; give it with --crs, e.g. "
               "EPSG:4549 for CGCS2000 3° GK CM 120°E (EPSG = 4534 + (CM − 75) / 3)")
        raise CrsError(msg)
    msg = (f"{source}: no CRS in the file and the coordinates ({extent.text()}) match no CRS that can be "
           "inferred safely; give it with --crs (EPSG code, WKT, or gcj02 / bd09)")
    raise CrsError(msg)


@functools.lru_cache(maxsize=64)
def _lonlat_transformer(wkt: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(wkt), CRS.from_epsg(4326), always_xy=True)


def lonlat_transformer(crs: CRS) -> Transformer:
    """A transformer from ``crs`` to WGS84 lon/lat (built once per CRS: building one costs ~0.1 s)."""
    return _lonlat_transformer(CRS.from_user_input(crs).to_wkt())


def _outside_area_of_use(crs: CRS, extent: Extent) -> bool:
    """Whether the data lies well outside where ``crs`` is defined (or cannot be placed at all)."""
    area = crs.area_of_use
    if area is None:
        return False
    try:
        to_lonlat = lonlat_transformer(crs)
        xs = np.array([extent.xmin, extent.xmax, extent.xmin, extent.xmax])
        ys = np.array([extent.ymin, extent.ymin, extent.ymax, extent.ymax])
        lon, lat = to_lonlat.transform(xs, ys)
    except Exception:  # pyproj raises several types for points it cannot project
        return True
    if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
        return True
    margin = AREA_OF_USE_MARGIN_DEG
    return bool(
        lon.min() < area.west - margin or lon.max() > area.east + margin
        or lat.min() < area.south - margin or lat.max() > area.north + margin
    )


def _fits_swapped(crs: CRS, extent: Extent) -> bool:
    """Whether the coordinates fit ``crs`` only once X and Y are exchanged."""
    flipped = extent.swapped()
    if crs.is_geographic:
        return _looks_geographic(flipped) and not _looks_geographic(extent)
    return not _looks_geographic(flipped) and not _outside_area_of_use(crs, flipped)


def check_declared(crs: CRS, extent: Extent | None, *, source: str, said_by: str = "the file declares") -> CrsChoice:
    """Honour the file's CRS unless its coordinates contradict it."""
    label = crs_label(crs)
    if extent is None:
        return CrsChoice(crs, "declared in the file")
    contradiction = None
    if crs.is_geographic and not _looks_geographic(extent):
        contradiction = "is geographic (degrees) but the coordinates are not longitude/latitude"
    elif crs.is_projected and _looks_geographic(extent):
        contradiction = "is projected (metres) but the coordinates look like longitude/latitude"
    elif _outside_area_of_use(crs, extent):
        contradiction = "does not fit the coordinates: they fall far outside the area where it is defined"
    if contradiction is None:
        return CrsChoice(crs, "declared in the file")
    if _fits_swapped(crs, extent):
        return CrsChoice(crs, "declared in the file; X and Y were swapped (X = northing)", swap_xy=True)
    hint = ""
    try:
        guess = infer_crs(extent, source=source)
        hint = f"; the coordinates look like {crs_label(guess.crs)}" + (" with X/Y swapped" if guess.swap_xy else "")
    except CrsError:
        pass
    msg = (f"{source}: {said_by} {label}, which {contradiction} ({extent.text()}){hint}; "
           "give the right CRS with --crs")
    raise CrsError(msg)


def choose_crs(declared: CRS | None, extent: Extent | None, *, option: str | None, source: str) -> CrsChoice:
    """The CRS to read the source in: ``--crs``, else the declared one (checked), else inferred."""
    if declared is not None:
        check_crs_references(CRS.from_user_input(declared).to_wkt(), source=source)
    if option:
        crs, offset = parse_crs_option(option)
        how = "given with --crs"
        if declared is not None and offset is None and CRS.from_user_input(declared) != crs:
            how += f" (overrides the file's {crs_label(CRS.from_user_input(declared))})"
        if offset and extent is not None and not _looks_geographic(extent):
            msg = (f"{source}: --crs {option} needs longitude/latitude coordinates, but they are {extent.text()}")
            raise CrsError(msg)
        if offset or extent is None:
            return CrsChoice(crs, how, offset=offset)
        checked = check_declared(crs, extent, source=source, said_by=f"--crs {option} is")
        return CrsChoice(crs, how + ("; X and Y were swapped (X = northing)" if checked.swap_xy else ""),
                         swap_xy=checked.swap_xy)
    if declared is not None:
        return check_declared(CRS.from_user_input(declared), extent, source=source)
    return infer_crs(extent, source=source)


#: CRS names written in data columns (the UK brownfield standard writes OSGB36 for British National
#: Grid eastings/northings): (geographic EPSG, projected EPSG used when the coordinates are metres).
_CRS_NAMES = {"osgb36": (4277, 27700), "osgb": (4277, 27700), "etrs89": (4258, None), "wgs84": (4326, None),
              "cgcs2000": (4490, None), "gcs_wgs_1984": (4326, None)}


def crs_from_name(name: str, extent: Extent | None) -> tuple[CRS, str | None]:
    """A CRS named in a data column: a datum name resolved by the coordinates, or anything ``--crs`` accepts."""
    key = str(name).strip().lower().replace(" ", "").replace("-", "")
    if key in _CRS_NAMES:
        geographic, projected = _CRS_NAMES[key]
        if extent is not None and not _looks_geographic(extent) and projected:
            return CRS.from_epsg(projected), None
        return CRS.from_epsg(geographic), None
    try:
        return parse_crs_option(name)
    except CrsError:
        pass
    msg = f"the CRS column says {name!r}, which is not a CRS ParkAtlas knows; give the CRS with --crs"
    raise CrsError(msg)


def utm_epsg(lon_deg: float, lat_deg: float) -> int:
    """WGS84 / UTM zone EPSG code for a point (326xx north, 327xx south)."""
    zone = int(np.floor((lon_deg + 180.0) / 6.0)) % 60 + 1
    return (32600 if lat_deg >= 0 else 32700) + zone


def working_epsg_for(lon_deg: float, lat_deg: float) -> tuple[int, str]:
    """Working CRS for a new park at (lon, lat): CGCS2000 3° GK CM series, UTM outside its range.

    The CGCS2000 series covers central meridians 75–135°E (China); data
    elsewhere (test files from abroad) gets its UTM zone, still projected metres.
    """
    try:
        epsg = crs_policy.working_epsg_for_lon(lon_deg)
        return epsg, f"CGCS2000 3° Gauss-Krüger CM {crs_policy.gk3_central_meridian(lon_deg)}°E, from the data"
    except ValueError:
        epsg = utm_epsg(lon_deg, lat_deg)
        return epsg, (f"the data lies at {lon_deg:.2f}°E, outside the CGCS2000 Gauss-Krüger series "
                      f"(CM 75–135°E); WGS84 / UTM (EPSG:{epsg}) chosen instead")
