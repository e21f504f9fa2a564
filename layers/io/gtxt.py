"""国土 boundary-coordinate TXT (界址点坐标交换格式, 部标准格式): ParkAtlas's own reader.

Every land approval (建设用地报批/预审) and survey in China hands its plots over in
this text format (DOMAIN-REPORTS.md §2)::

    [属性描述]
    格式版本号=1.01
    坐标系=2000国家大地坐标系
    几度分带=3
    带号=40
    ...
    [地块坐标]
    12,1.2345,DK-1,一号地块,面,,工业用地,1001,@
    J1,1,3171000.000,40636000.000
    ...
    J1,1,3171000.000,40636000.000

A plot starts with a header line ending in ``@`` (界址点数, 地块面积 in 公顷,
地块编号, 地块名称, 图形属性, 图幅号, 地块用途, 地类编码, sometimes more) and
goes on with point lines ``点号,圈号,X,Y`` where **X is the northing and Y the
easting** (surveying axes). Reading follows every variant seen in the wild and
never relies on a field count: extra sections and unknown keys are kept for the
report, header fields beyond the eighth become ``字段9`` …, full-width
punctuation is read as ASCII, the 界址点数 may or may not count closing points.

Rings are split where the 圈号 changes (or where a ring has closed); which ring
is a shell and which a hole is decided by containment, not by the 圈号, so plots
of several parts read right. The CRS comes from the header (datum, zone width,
zone; :mod:`layers.io.gk_zones`) and the eastings (with or without the zone
prefix).

Per plot, by 地块编号 and 点号: a ring that is not closed is closed (notice);
a closing point that repeats the first point's number far from it, a zone
prefix that contradicts the header's 带号, or a line that is not a point
damages the plot; X and Y written the wrong way round are exchanged (notice);
the header area against the area of the coordinates and the 界址点数 against
the point lines are checked (notices). Tolerances: :class:`GtxtChecks`.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.units import M2_PER_HA, M2_PER_MU
from layers.io import gk_zones
from layers.io.gk_zones import PREFIXED_EASTING_MIN, ZONE_PREFIX_FACTOR, GkZone

#: The two sections of the standard header.
HEADER_SECTION = "属性描述"
PLOTS_SECTION = "地块坐标"
#: The plot header's fields by position (DOMAIN-REPORTS.md §2.2); further ones are 字段9, 字段10 …
PLOT_FIELDS = ("界址点数", "地块面积", "地块编号", "地块名称", "图形属性", "图幅号", "地块用途", "地类编码")
EXTRA_FIELD = "字段{}"
#: The keys of the standard header, in the order writers put them.
HEADER_KEYS = ("格式版本号", "数据产生单位", "数据产生日期", "坐标系", "几度分带", "投影类型", "计量单位", "带号",
               "精度", "转换参数")
#: Units a header may declare for 地块面积 (key 面积单位); 公顷 is the standard's.
AREA_UNITS_M2 = {"公顷": M2_PER_HA, "ha": M2_PER_HA, "亩": M2_PER_MU, "mu": M2_PER_MU, "平方米": 1.0, "m2": 1.0,
                 "㎡": 1.0, "m²": 1.0}
DEFAULT_AREA_UNIT = "公顷"
#: Northings of China (≈ 0.4–5.9 × 10⁶ m, with room for the South China Sea) and eastings without a prefix.
NORTHING_RANGE_M = (0.0, 6_500_000.0)
PLAIN_EASTING_RANGE_M = (100_000.0, 900_000.0)
#: Full-width punctuation some editors put in, read as the ASCII the format prescribes.
_FULL_WIDTH = str.maketrans({"，": ",", "＠": "@", "［": "[", "］": "]", "＝": "=", "．": ".", "－": "-"})
_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\]$")


class GtxtError(ValueError):
    """The text is not a 国土 TXT that can be read as a whole (the message names line and value)."""


@dataclass(frozen=True)
class GtxtChecks:
    """Tolerances of the per-plot checks (configuration: ``PARKATLAS_GTXT_*``, docs/import.md).

    Parameters
    ----------
    area_tolerance_pct
        How far (per cent of the area computed from the coordinates) the header's
        地块面积 may differ before the plot is flagged. No official tolerance was
        found; 1 % is what the OGU4J checker flags, far above the 0.05 % by which
        ellipsoidal and Gauss-Krüger plane areas differ within a zone, far below
        the unit mix-ups it is there to catch (m² or 亩 written as 公顷). The
        rounding of the header value (half its last decimal) is always allowed.
    closure_tolerance_m
        How far a ring's last point may lie from its first and still close it. A
        closing point that repeats the first point's number (J1 … J1) farther
        away damages the plot (a writer bug). Surveys are given to 1–10 mm.
    """

    area_tolerance_pct: float = 1.0
    closure_tolerance_m: float = 0.01

    #: Environment variable → parameter.
    ENVIRONMENT = {"PARKATLAS_GTXT_AREA_TOLERANCE_PCT": "area_tolerance_pct",
                   "PARKATLAS_GTXT_CLOSURE_M": "closure_tolerance_m"}

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> GtxtChecks:
        """The checks with any ``PARKATLAS_GTXT_*`` setting; ``ValueError`` naming a bad one."""
        environ = os.environ if environ is None else environ
        values = {}
        for variable, name in cls.ENVIRONMENT.items():
            raw = (environ.get(variable) or "").strip()
            if not raw:
                continue
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            if not math.isfinite(value) or value < 0:
                msg = f"{variable}={raw!r} is not a number ≥ 0 (default {getattr(cls(), name)})"
                raise ValueError(msg)
            values[name] = value
        return cls(**values)


@dataclass(slots=True)
class PointLine:
    """A point line as written: X (northing) and Y (easting) as numbers and as their text."""

    number: str
    ring: str
    x: float
    y: float
    line: int
    x_text: str = ""
    y_text: str = ""

    def swap(self) -> None:
        self.x, self.y, self.x_text, self.y_text = self.y, self.x, self.y_text, self.x_text


@dataclass
class Plot:
    """One plot as written: its header fields, its point lines, and what damaged it while parsing."""

    fields: list[str]
    line: int
    points: list[PointLine] = field(default_factory=list)
    damage: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: What ``line`` and the points' numbers count: the file's lines, or a table's rows (layers.io.vertex_table).
    unit: str = "line"

    @property
    def plot_id(self) -> str:
        return self.fields[2] if len(self.fields) > 2 and self.fields[2] else "(no 地块编号)"

    def where(self) -> str:
        return f"plot {self.plot_id} ({self.unit} {self.line})"


@dataclass
class GtxtDocument:
    """A parsed file: its sections of keys (header first) and its plots."""

    sections: dict[str, dict[str, str]] = field(default_factory=dict)
    plots: list[Plot] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def header(self) -> dict[str, str]:
        return self.sections.get(HEADER_SECTION, {})

    def key(self, *names: str) -> str | None:
        """The first header value whose key contains one of ``names`` (keys vary: 分带, 几度分带 …)."""
        for name in names:
            for key, value in self.header.items():
                if name in key and value.strip():
                    return value.strip()
        return None


def utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` for UTF-16 text without a byte-order mark (one ArcObjects writer emits it), else None.

    ASCII in UTF-16 puts a zero byte beside every character: in the odd
    positions for little-endian, the even ones for big-endian.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or len(data) < 4:
        return None
    head = data[:4096]
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if odd > len(head) // 4 and even * 4 < odd:
        return "utf-16-le"
    if even > len(head) // 4 and odd * 4 < even:
        return "utf-16-be"
    return None


def check_line_count(data: bytes, *, max_lines: int) -> int:
    """Count the file's lines (line feeds, or carriage returns where there are none) before parsing it.

    Raises
    ------
    GtxtError
        When there are more than ``max_lines``.
    """
    lines = data.count(b"\n") or data.count(b"\r")
    if lines > max_lines:
        msg = f"{lines:,} lines; at most {max_lines:,} are read from one 国土 TXT (split it into several files)"
        raise GtxtError(msg)
    return lines


# -- telling and parsing -------------------------------------------------------------------------------


#: Fields of a plot header whose '@' is not a field of its own (``…,地类编码@``); the standard's eight.
_FIELDS_WITHOUT_TERMINATOR_COMMA = len(PLOT_FIELDS)


def _plot_header_fields(text: str) -> list[str] | None:
    """The fields of a plot header line, else None.

    The line ends in ``@`` — as a field of its own (``…,地类编码,@``, what
    writers put) or glued to the eighth field — and starts with the 界址点数
    (a whole number, or empty).
    """
    if not text.endswith("@"):
        return None
    fields = [part.strip() for part in text[:-1].split(",")]
    if fields[-1] == "":
        fields.pop()  # the comma before the @
    elif len(fields) < _FIELDS_WITHOUT_TERMINATOR_COMMA:
        return None  # "…,someone@": an address, not a terminator
    if len(fields) < 2 or not re.fullmatch(r"(?:\d+(?:\.0*)?)?", fields[0]):
        return None
    return fields


def looks_like_gtxt(text: str) -> bool:
    """Whether text (the start of a file is enough) is a 国土 TXT: a standard section or a plot header line."""
    for raw in text.splitlines():
        line = raw.strip().lstrip("\ufeff").translate(_FULL_WIDTH)
        if line in (f"[{HEADER_SECTION}]", f"[{PLOTS_SECTION}]") or _plot_header_fields(line) is not None:
            return True
    return False


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _point_line(parts: list[str], line: int) -> tuple[PointLine | None, str | None]:
    if len(parts) != 4:
        return None, f"line {line} is not a point line 点号,圈号,X,Y (it has {len(parts)} fields)"
    x, y = _number(parts[2]), _number(parts[3])
    if x is None or y is None:
        bad = parts[2] if x is None else parts[3]
        return None, f"line {line}: coordinate {bad!r} is not a number"
    return PointLine(parts[0], parts[1], x, y, line, parts[2], parts[3]), None


def parse_gtxt(text: str, *, max_plots: int | None = None) -> GtxtDocument:
    """Sections and plots of a 国土 TXT, as written (no geometry yet).

    Raises
    ------
    GtxtError
        When the text holds no plot, or more than ``max_plots``.
    """
    document = GtxtDocument()
    section: str | None = None
    plot: Plot | None = None
    full_width = 0
    orphans: list[int] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff").strip()
        if not line:
            continue
        ascii_line = line.translate(_FULL_WIDTH)
        if ascii_line != line and _plot_header_fields(line) is None:
            # Read as ASCII, except a plot header written right, whose names may hold a '，' of their own.
            full_width += 1
            line = ascii_line
        heading = _SECTION.match(line)
        if heading:
            section = heading.group("name").strip()
            document.sections.setdefault(section, {})
            plot = None
            continue
        fields = _plot_header_fields(line)
        if fields is not None:
            plot = Plot(fields, number)
            document.plots.append(plot)
            if max_plots is not None and len(document.plots) > max_plots:
                msg = f"more than {max_plots:,} plots; at most {max_plots:,} records are imported at once"
                raise GtxtError(msg)
            continue
        if plot is None:
            if section is not None and section != PLOTS_SECTION and "=" in line:
                key, _, value = line.partition("=")
                document.sections[section][key.strip()] = value.strip()
            else:
                orphans.append(number)
            continue
        parts = [part.strip() for part in line.split(",")]
        point, damage = _point_line(parts, number)
        if point is not None:
            plot.points.append(point)
        else:
            plot.damage.append(damage)
    if not document.plots:
        msg = ("no plot: a 国土 TXT lists plots under [地块坐标], each a header line ending in '@' "
               "(界址点数,地块面积,地块编号,…,@) followed by point lines 点号,圈号,X,Y")
        raise GtxtError(msg)
    if full_width:
        document.notes.append(f"{full_width} line(s) written with full-width punctuation (，＠［］＝) read as ASCII")
    if orphans:
        shown = ", ".join(map(str, orphans[:10])) + (" …" if len(orphans) > 10 else "")
        document.notes.append(f"{len(orphans)} line(s) outside any plot and not a header key were ignored "
                              f"(line {shown})")
    return document


# -- rings, shells and holes ---------------------------------------------------------------------------


@dataclass
class Ring:
    number: str
    points: list[PointLine] = field(default_factory=list)
    closed: bool = False


def _distance(a: PointLine, b: PointLine) -> float:
    return math.hypot(a.x - b.x, a.y - b.y)


def split_rings(plot: Plot, checks: GtxtChecks) -> list[Ring]:
    """The plot's rings in file order: a new ring where the 圈号 changes or after a ring has closed.

    A point repeating the closing point right after it, as the last of its
    圈号 (a writer's double closing point), is dropped with a note; one that
    goes on with more points of the 圈号 starts the next ring there (two parts
    touching at a corner).
    """
    rings: list[Ring] = []
    points = plot.points
    for i, point in enumerate(points):
        current = rings[-1] if rings else None
        if current is not None and current.number == point.ring:
            if not current.closed:
                current.points.append(point)
                current.closed = (len(current.points) >= 4
                                  and _distance(point, current.points[0]) <= checks.closure_tolerance_m)
                continue
            last_of_ring = i + 1 == len(points) or points[i + 1].ring != point.ring
            if last_of_ring and _distance(point, current.points[-1]) <= checks.closure_tolerance_m:
                plot.notes.append(f"{plot.where()}: point {point.number} ({plot.unit} {point.line}) repeats the closing "
                                  "point; dropped")
                continue
        rings.append(Ring(point.ring, [point]))
    return rings


def close_ring(ring: Ring, plot: Plot, checks: GtxtChecks) -> np.ndarray | None:
    """The ring's (easting, northing) vertices, closed; None (and the plot damaged) when it cannot be."""
    first, last = ring.points[0], ring.points[-1]
    distinct = {(p.x, p.y) for p in ring.points}
    if len(distinct) < 3:
        plot.damage.append(f"ring 圈号 {ring.number} ({plot.unit} {first.line}) has {len(distinct)} distinct point(s); "
                           "a ring needs at least 3")
        return None
    if not ring.closed:
        if len(ring.points) > 1 and last.number == first.number:
            plot.damage.append(
                f"ring 圈号 {ring.number}: closing point {last.number} ({plot.unit} {last.line}) lies "
                f"{_distance(first, last):,.3f} m from the first point {first.number} ({plot.unit} {first.line}); "
                f"they must be the same point (within {checks.closure_tolerance_m:g} m)")
            return None
        plot.notes.append(f"{plot.where()}: ring 圈号 {ring.number} is not closed (last point {last.number}, "
                          f"{plot.unit} {last.line}, is not the first point {first.number}); closed")
    # Surveying axes: X is the northing, Y the easting; geometry is (easting, northing).
    coords = np.array([(p.y, p.x) for p in ring.points], dtype="float64")
    coords[-1] = coords[0] if ring.closed else coords[-1]
    return coords if ring.closed else np.vstack([coords, coords[:1]])


def assemble(rings: list[np.ndarray], numbers: list[str], plot: Plot) -> shapely.Geometry:
    """Polygon(s) from rings by containment: a ring inside an odd number of others is a hole of the smallest.

    The 圈号 says nothing reliable about roles (tools number the parts of a
    multi-part plot 2, 3 … like holes, some list holes first), so containment
    decides, and a note says when the roles are not "first ring outer, the
    others holes".
    """
    if len(rings) == 1:
        return shapely.Polygon(rings[0])  # most plots: one ring, nothing to decide
    polygons = np.array([shapely.Polygon(coords) for coords in rings], dtype=object)
    areas = shapely.area(polygons)
    solid = shapely.make_valid(polygons)  # only to place points and test cover; the rings stay as written
    inner = shapely.point_on_surface(solid)
    depths, parents = [], []
    for i in range(len(polygons)):
        inside = [j for j in range(len(polygons)) if j != i and areas[j] > areas[i]
                  and bool(shapely.covers(solid[j], inner[i]))]
        depths.append(len(inside))
        parents.append(min(inside, key=lambda j: areas[j]) if inside else None)
    holes: dict[int, list[np.ndarray]] = {i: [] for i in range(len(polygons)) if depths[i] % 2 == 0}
    for i, parent in enumerate(parents):
        if i not in holes:
            holes.setdefault(parent, []).append(rings[i])
    parts = [shapely.Polygon(rings[i], inner_rings) for i, inner_rings in holes.items()]
    if list(holes) != [0]:
        shells = [numbers[i] for i in holes]
        hollow = [numbers[i] for i in range(len(rings)) if i not in holes]
        plot.notes.append(f"{plot.where()}: rings read by containment: outer ring(s) 圈号 {', '.join(shells)}"
                          + (f", hole(s) 圈号 {', '.join(hollow)}" if hollow else "")
                          + f" ({len(parts)} part(s))")
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


# -- axes, zones and the CRS ---------------------------------------------------------------------------


def _is_easting(values: np.ndarray) -> bool:
    prefixed = values >= PREFIXED_EASTING_MIN
    if prefixed.all():
        return gk_zones.width_of_zone(int(values.min() // ZONE_PREFIX_FACTOR)) is not None \
            and gk_zones.width_of_zone(int(values.max() // ZONE_PREFIX_FACTOR)) is not None
    return bool(((values >= PLAIN_EASTING_RANGE_M[0]) & (values <= PLAIN_EASTING_RANGE_M[1])).all())


def _is_northing(values: np.ndarray) -> bool:
    return bool(((values > NORTHING_RANGE_M[0]) & (values < NORTHING_RANGE_M[1])).all())


def swapped_axes(plot: Plot) -> bool:
    """Whether the plot's X column holds the eastings (and Y the northings): exchanged by mistake.

    A prefixed easting has 8 integer digits and starts with a zone number; a
    northing in China has 7 (DOMAIN-REPORTS.md §2.6), so the two cannot be
    confused; without prefix an easting is 6 digits around 500 000.
    """
    xs = np.array([p.x for p in plot.points])
    ys = np.array([p.y for p in plot.points])
    if not len(xs):
        return False
    right = _is_northing(xs) and _is_easting(ys)
    return not right and _is_easting(xs) and _is_northing(ys)


def _prefix_of(plot: Plot) -> int | None:
    """The zone prefix all the plot's eastings carry (None: none carry one); damages a mixed plot."""
    eastings = np.array([p.y for p in plot.points])
    prefixed = eastings >= PREFIXED_EASTING_MIN
    if not prefixed.any():
        return None
    zones = sorted(set((eastings[prefixed] // ZONE_PREFIX_FACTOR).astype(int).tolist()))
    if not prefixed.all():
        plot.damage.append(f"{int(prefixed.sum())} of {len(eastings)} eastings carry a zone prefix ({zones[0]}) "
                           "and the others none; one plot is written in one form")
    elif len(zones) > 1:
        plot.damage.append(f"the eastings carry several zone prefixes ({', '.join(map(str, zones))}); "
                           "one plot lies in one zone")
    return zones[0]


_PREFIXED_DIGITS = re.compile(r"\d{8}(?:\.\d*)?")


def without_prefix(point: PointLine, zone: int) -> float:
    """The easting without its zone prefix, from the digits as written: exact where subtracting is not.

    ``40636400.123 − 40 000 000`` in floating point is 636400.12300000002, not
    the 636400.123 a park stores; dropping the two digits gives the latter.
    """
    text = point.y_text.strip()
    if _PREFIXED_DIGITS.fullmatch(text) and int(text[:2]) == zone:
        return float(text[2:])
    return point.y - zone * ZONE_PREFIX_FACTOR


@dataclass
class FileZone:
    """What the file says about its CRS: the zone (with datum and width when known) and the eastings' form."""

    zone: GkZone | None
    datum: gk_zones.Datum | None
    width: int | None
    number: int | None
    prefixed: bool
    from_header: bool = True
    how: list[str] = field(default_factory=list)


def _header_zone(document: GtxtDocument) -> tuple[int | None, int | None]:
    """(width, zone) from 几度分带/分带 and 带号 (or a 中央子午线 in °E) of the header."""
    width = gk_zones.number_in(document.key("几度分带", "分带"))
    zone = gk_zones.number_in(document.key("带号"))
    meridian = gk_zones.number_in(document.key("中央子午线", "中央经线"))
    if zone is None and meridian is not None:
        width = width or 3
        zone = meridian // 3 if width == 3 else (meridian + 3) // 6
    return width, zone


def file_zone(document: GtxtDocument, prefixes: list[int | None]) -> FileZone:
    """The file's zone from its header and the plots' zone prefixes (the header's 带号 first).

    Raises
    ------
    GtxtError
        When the header's width and zone contradict each other.
    """
    width, number = _header_zone(document)
    prefixed_count = sum(p is not None for p in prefixes)
    prefixed = prefixed_count * 2 >= len(prefixes) and prefixed_count > 0
    how = []
    from_header = number is not None
    if number is None and prefixed_count:
        number = Counter(p for p in prefixes if p is not None).most_common(1)[0][0]
        how.append(f"zone {number} from the eastings' prefix (the header has no 带号)")
    if number is not None:
        width = width or gk_zones.width_of_zone(number)
        try:
            gk_zones.check_zone(width or 3, number)
        except ValueError as exc:
            where = "header" if from_header else f"the eastings' zone prefix {number} (the header has no 带号)"
            raise GtxtError(f"{where}: {exc}") from None
    datum_text = document.key("坐标系")
    datum = gk_zones.datum_from_name(datum_text)
    zone = None
    if datum is not None and number is not None:
        # Declared in the central-meridian form, with prefixes removed from the digits: a park in that form (its
        # working CRS series) gets the file's coordinates exactly, with no transformation's rounding.
        zone = GkZone(datum, width, number, prefixed=False)
    return FileZone(zone, datum, width, number, prefixed, from_header, how)


def _declared(fz: FileZone, document: GtxtDocument) -> tuple[CRS | None, list[str]]:
    """The CRS to declare, and what the report should say about how it was found."""
    notes = list(fz.how)
    datum_text = document.key("坐标系")
    if fz.zone is not None:
        form = "without the zone prefix"
        if fz.prefixed:
            prefixed = GkZone(fz.zone.datum, fz.zone.width, fz.zone.zone, prefixed=True)
            form = (f"with the zone prefix {fz.number} (EPSG:{prefixed.epsg}), read without it (the prefix digits "
                    "dropped, exactly)")
        notes.append(f"CRS from the header (坐标系={datum_text!r}, {fz.width}° zone {fz.number}) and the eastings, "
                     f"{form}: {fz.zone.describe()}")
        return CRS.from_epsg(fz.zone.epsg), notes
    if fz.datum is None:
        said = f"坐标系={datum_text!r} names none of CGCS2000, Xi'an 1980, Beijing 1954" if datum_text else \
            "the header names no 坐标系"
        notes.append(f"{said}: the CRS is told from the coordinates (zone-prefixed eastings are read as "
                     "CGCS2000) or given with --crs")
    else:
        notes.append(f"坐标系 {fz.datum.label}, but neither a 带号 nor zone-prefixed eastings say the zone: "
                     "give the CRS with --crs")
    return None, notes


# -- per-plot checks -----------------------------------------------------------------------------------


def _header_number(plot: Plot, position: int) -> tuple[float | None, str]:
    text = plot.fields[position] if len(plot.fields) > position else ""
    return _number(text) if text else None, text


def _area_allowance(checks: GtxtChecks, computed_m2: float, decimals: int, unit_m2: float) -> float:
    """How far a header area written with ``decimals`` decimals in a unit of ``unit_m2`` m² may be off."""
    return max(checks.area_tolerance_pct / 100.0 * computed_m2, 0.5 * 10.0 ** -decimals * unit_m2)


def check_area(plot: Plot, computed_m2: float, unit: str, checks: GtxtChecks) -> None:
    """Note the plot when its header area differs from ``computed_m2`` beyond the tolerance (both values said)."""
    declared, text = _header_number(plot, 1)
    if declared is None:
        if text:
            plot.notes.append(f"{plot.where()}: 地块面积 {text!r} is not a number; not checked")
        return
    decimals = len(text.partition(".")[2])
    factor = AREA_UNITS_M2[unit]
    difference = declared * factor - computed_m2
    if abs(difference) <= _area_allowance(checks, computed_m2, decimals, factor):
        return
    share = f"{100.0 * difference / computed_m2:+.2f} %" if computed_m2 else "the coordinates enclose no area"
    message = (f"{plot.where()}: 地块面积 {text} {unit} in the header, {computed_m2 / factor:,.4f} {unit} from the "
               f"coordinates ({share}; tolerance {checks.area_tolerance_pct:g} %)")
    for name in ("公顷", "亩", "平方米"):  # a value written in another unit: say which
        meant_m2 = declared * AREA_UNITS_M2[name]
        if name != unit and abs(meant_m2 - computed_m2) <= _area_allowance(checks, computed_m2, decimals,
                                                                            AREA_UNITS_M2[name]):
            message += f"; it matches the coordinates if read as {name}, not {unit}"
    plot.notes.append(message)


def check_count(plot: Plot, rings: list[Ring]) -> None:
    """Note a 界址点数 that is neither the number of point lines nor that without the closing points."""
    declared, text = _header_number(plot, 0)
    lines = len(plot.points)
    closing = sum(ring.closed for ring in rings)
    if declared is None or declared in (lines, lines - closing):
        return
    plot.notes.append(f"{plot.where()}: 界址点数 is {text}, but the plot has {lines} point line(s) "
                      f"({lines - closing} without the closing points)")


# -- the whole file ------------------------------------------------------------------------------------


@dataclass
class GtxtContent:
    """A file read: a frame of plots (header fields as columns, geometry), its CRS, and what was found."""

    frame: gpd.GeoDataFrame
    crs: CRS | None
    damaged: dict[int, str] = field(default_factory=dict)
    fixes: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _columns(plots: list[Plot]) -> dict[str, list]:
    width = max(len(p.fields) for p in plots)
    names = list(PLOT_FIELDS[:width]) + [EXTRA_FIELD.format(i + 1) for i in range(len(PLOT_FIELDS), width)]
    columns: dict[str, list] = {name: [] for name in names}
    for plot in plots:
        for i, name in enumerate(names):
            value = plot.fields[i] if i < len(plot.fields) else ""
            columns[name].append(value or None)
    for name, kind in (("界址点数", "Int64"), ("地块面积", "Float64")):
        numbers = [None if v is None else _number(v) for v in columns.get(name, [])]
        if name in columns and all(n is not None or v is None for n, v in zip(numbers, columns[name])):
            # Numbers where every value is one; otherwise the text as written (nothing is lost).
            columns[name] = pd.array([None if n is None else (int(n) if kind == "Int64" else n) for n in numbers],
                                     dtype=kind)
    return columns


def _header_notes(document: GtxtDocument) -> list[str]:
    notes = []
    for name, keys in document.sections.items():
        if keys:
            notes.append(f"[{name}] " + "; ".join(f"{k}={v}" for k, v in keys.items()))
    unknown = [k for k in document.header if k not in HEADER_KEYS]
    if unknown:
        notes.append(f"[{HEADER_SECTION}] keys outside the standard's ten, kept in this report: {', '.join(unknown)}")
    shift = [v for v in (document.key("转换参数") or "").split(",") if v.strip() not in ("", "0", "0.0")]
    if shift:
        notes.append("转换参数 (7-parameter datum shift) given; not applied: the CRS is transformed with PROJ's "
                     "parameters for the datum")
    return notes


def _area_unit(document: GtxtDocument) -> str:
    declared = document.key("面积单位")
    if declared is None:
        return DEFAULT_AREA_UNIT
    key = declared.replace(" ", "").lower()
    if key not in AREA_UNITS_M2:
        msg = f"header: 面积单位={declared!r} is not an area unit; allowed: 公顷, 亩, 平方米"
        raise GtxtError(msg)
    return key


def read_gtxt(text: str, *, checks: GtxtChecks = GtxtChecks(), max_plots: int | None = None) -> GtxtContent:
    """Read a decoded 国土 TXT into one record per plot (see the module docstring).

    Raises
    ------
    GtxtError
        When the file as a whole cannot be read (no plot, a header that
        contradicts itself).
    """
    document = parse_gtxt(text, max_plots=max_plots)
    plots = document.plots
    unit = _area_unit(document)
    fixes: list[tuple[int, str]] = []
    for i, plot in enumerate(plots):
        if plot.points and swapped_axes(plot):
            for point in plot.points:
                point.swap()
            fixes.append((i, f"{plot.where()}: X holds the eastings and Y the northings (X must be the northing); "
                             "exchanged"))
    prefixes = [_prefix_of(plot) if plot.points else None for plot in plots]
    fz = file_zone(document, prefixes)
    crs, crs_notes = _declared(fz, document)
    geometries: list[shapely.Geometry | None] = []
    for i, plot in enumerate(plots):
        geometries.append(_plot_geometry(plot, prefixes[i], fz, unit, checks))
    damaged = {i: f"{plot.where()}: " + "; ".join(plot.damage) for i, plot in enumerate(plots) if plot.damage}
    fixes += [(i, note) for i, plot in enumerate(plots) for note in plot.notes]
    frame = gpd.GeoDataFrame(pd.DataFrame(_columns(plots)), geometry=gpd.GeoSeries(geometries, crs=crs))
    notes = [f"国土 TXT: {len(plots)} plot(s); X read as northing, Y as easting", *crs_notes,
             *_header_notes(document), *document.notes]
    return GtxtContent(frame, crs, damaged, sorted(fixes, key=lambda pair: pair[0]), notes)


def _plot_geometry(plot: Plot, prefix: int | None, fz: FileZone, unit: str,
                   checks: GtxtChecks) -> shapely.Geometry | None:
    """The plot's polygon in the file's CRS, checked; None when the plot is damaged."""
    if not plot.points:
        plot.damage.append("no point lines")
        return None
    if plot.damage:
        return None
    if prefix is not None and fz.number is not None and prefix != fz.number:
        said = "the header's 带号 is" if fz.from_header else "the file's other plots are in zone"
        plot.damage.append(f"zone mismatch: {said} {fz.number}, but the eastings carry zone prefix {prefix} "
                           f"(Y = {plot.points[0].y:,.3f} at point {plot.points[0].number}); "
                           "correct the 带号 or the coordinates")
        return None
    prefixed = prefix is not None
    if fz.number is not None and prefixed != fz.prefixed:
        plot.notes.append(f"{plot.where()}: eastings {'with' if prefixed else 'without'} the zone prefix, unlike "
                          "the file's other plots; read in their form")
    # A declared CRS is the central-meridian form; without one, the file's own form (for the importer to infer).
    keep_prefix = fz.prefixed and fz.zone is None
    for point in plot.points:
        if prefixed and not keep_prefix:
            point.y = without_prefix(point, fz.number)
        elif not prefixed and keep_prefix:
            point.y += fz.number * ZONE_PREFIX_FACTOR
    rings = split_rings(plot, checks)
    closed = [close_ring(ring, plot, checks) for ring in rings]
    if plot.damage:
        return None
    geometry = assemble(closed, [ring.number for ring in rings], plot)
    check_count(plot, rings)
    check_area(plot, float(shapely.area(geometry)), unit, checks)
    return geometry


#: Plot-header fields that restate the plot itself: its point count and area (checked against the
#: coordinates, see :func:`_check_area`), and the geometry kind marker (面).
_RESTATING = {
    "界址点数": ("界址点数，已与坐标核对", "the point count, checked against the coordinates"),
    "地块面积": ("地块面积，已与坐标计算的面积核对", "the area, checked against the area of the coordinates"),
    "图形属性": ("图形类型标记（面）", "the geometry kind marker (面)"),
}


def derived_columns(frame: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Plot-header columns that are not data to keep, with why (zh, en).

    The point count, area and geometry marker restate the plot; a slot empty in
    every plot (图幅号 left blank) holds nothing; 地块用途 holding, in every plot,
    the name of the class its 地类编码 gives (what ParkAtlas's export writes)
    restates the code. Anything else the header holds is the file's data.
    """
    out = {name: why for name, why in _RESTATING.items() if name in frame.columns}
    for name in frame.columns:
        if name != "geometry" and name not in out and not frame[name].astype(object).map(_has_text).any():
            out[name] = ("每个地块都为空", "empty in every plot")
    if "地块用途" in frame.columns and "地块用途" not in out and "地类编码" in frame.columns:
        if all(_names_its_code(use, code) for use, code in zip(frame["地块用途"], frame["地类编码"])):
            out["地块用途"] = ("地类编码的类名", "the name of the class its 地类编码 gives")
    return out


def _has_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip()) or (
        value is not None and not isinstance(value, str) and not pd.isna(value))


def told_classification(frame: pd.DataFrame) -> str | None:
    """The land-use classification the plots' 地块用途 tells, or None.

    A 国土 TXT gives a plot's 地类编码 without its classification, and 1001 is 工业用地 in 用地用海 2023 but 铁路用地
    in GB/T 21010. When every plot with a code also names its class, and one classification (用地用海 2023 first,
    where the codes mean the same in several) gives every such code that name, the names tell the classification.
    """
    if "地块用途" not in frame.columns or "地类编码" not in frame.columns:
        return None
    from layers.landuse import STD_2023, STD_GB50137, STD_GBT21010, STD_GBT21010_2007, land_use_class

    systems = [STD_2023, STD_GBT21010, STD_GB50137, STD_GBT21010_2007]
    seen = False
    for use, code in zip(frame["地块用途"], frame["地类编码"]):
        if not _has_text(code):
            continue
        if not _has_text(use):
            return None
        seen = True
        systems = [system for system in systems if (found := land_use_class(str(code).strip(), system)) is not None
                   and found.code == str(code).strip() and found.label_zh == str(use).strip()]
        if not systems:
            return None
    return systems[0] if seen else None


def _names_its_code(use: object, code: object) -> bool:
    """Whether ``use`` is empty or the class name of land-use code ``code`` in a system ParkAtlas knows."""
    if not _has_text(use):
        return True
    if not _has_text(code):
        return False
    from layers.landuse import STD_2023, STD_GB50137, STD_GBT21010, land_use_class

    for system in (STD_2023, STD_GBT21010, STD_GB50137):
        found = land_use_class(str(code).strip(), system)
        if found is not None and found.label_zh == str(use).strip():
            return True
    return False


__all__ = ["EXTRA_FIELD", "PLOT_FIELDS", "derived_columns", "told_classification", "GtxtChecks", "GtxtContent", "GtxtDocument", "GtxtError", "assemble",
           "check_area", "check_count", "check_line_count", "looks_like_gtxt", "parse_gtxt", "read_gtxt", "split_rings",
           "swapped_axes", "utf16_without_bom", "without_prefix"]
