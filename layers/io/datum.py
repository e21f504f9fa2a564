"""A source's coordinates into the park's working CRS, honest about the datum.

PROJ goes from one datum to another by a published transformation when it knows one. Between the old
Chinese datums (1980西安坐标系, 1954北京坐标系) and CGCS2000 it knows none, and falls back to a *ballpark*
step that applies no datum shift at all: the numbers come through as if both datums were one, and the
positions can be tens of metres off against CGCS2000 data. Only local parameters (七参数 / 三参数, from
points known in both systems) convert them properly.

Two things follow (:func:`route`):

* **Parameters the user gave are used.** A CRS given with ``+towgs84=…`` (or a WKT ``TOWGS84``) is a *bound*
  CRS: its parameters lead to WGS 84. PROJ applies them only on the way to WGS 84, and goes to CGCS2000 by the
  ballpark step from the unknown datum, so the parameters would be ignored without a word. The route goes
  through WGS 84 (the bound CRS's hub) instead; WGS 84 and CGCS2000 agree to a few centimetres.
* **A ballpark step between datums that do not agree is said** (:attr:`Route.approximate`): the import still
  goes ahead (the user may have nothing better), and the report warns with what to do.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import geopandas as gpd
from pyproj import CRS, Transformer

from layers.io.gk_zones import DATUMS

#: Datums PROJ names that agree with CGCS2000 to a few centimetres: CGCS2000 is realised in ITRF97 at epoch
#: 2000.0 and WGS 84 (G1150 on) is aligned with the ITRF at the centimetre level, so a ballpark step between
#: them moves nothing that matters at a park's scale (the browser's map and every GPS file rely on it).
CENTIMETRE_DATUMS = ("China Geodetic Coordinate System 2000", "China 2000", "WGS 84",
                     "World Geodetic System 1984", "World Geodetic System 1984 ensemble")
_BALLPARK = re.compile(r"Ballpark geographic offset from (?P<source>.+) to (?P<target>.+)$")
#: PROJ's names of the old Chinese datums, as the pages name them (layers.io.gk_zones).
_DATUM_NAMES = {"Xian 1980": DATUMS["xian80"], "Beijing 1954": DATUMS["beijing54"],
                "China Geodetic Coordinate System 2000": DATUMS["cgcs2000"], "China 2000": DATUMS["cgcs2000"]}


@dataclass(frozen=True)
class Route:
    """How coordinates of ``source`` reach ``target``: through ``hub`` (the WGS 84 a bound CRS's parameters lead
    to) when it is not ``None``; ``approximate`` names the two datums (from, to) of the first step that is PROJ's
    ballpark between datums that do not agree (no datum shift applied), else ``None``."""

    source: CRS
    target: CRS
    hub: CRS | None
    approximate: tuple[str, str] | None

    def backward(self) -> list[Transformer]:
        """The transformers from target back to source, in order."""
        stops = [self.target, *([self.hub] if self.hub is not None else []), self.source]
        return [_transformer(a.to_wkt(), b.to_wkt()) for a, b in zip(stops, stops[1:])]

    def to_source(self, x: float, y: float) -> tuple[float, float]:
        """A target point in the source's coordinates."""
        for step in self.backward():
            x, y = step.transform(x, y)
        return x, y

    def transform(self, series: gpd.GeoSeries) -> gpd.GeoSeries:
        """``series`` (in ``source``) in ``target``."""
        if self.hub is not None:
            series = series.to_crs(self.hub)
        return series.to_crs(self.target)


@functools.lru_cache(maxsize=32)
def _transformer(source_wkt: str, target_wkt: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(source_wkt), CRS.from_wkt(target_wkt), always_xy=True)


def _ballpark_datums(source: CRS, target: CRS) -> list[tuple[str, str]]:
    """The (from, to) datum names of each ballpark step PROJ would take from ``source`` to ``target``."""
    chosen = _transformer(source.to_wkt(), target.to_wkt())
    names = [operation.name for operation in (chosen.operations or ())] or [chosen.description]
    return [(m["source"], m["target"]) for name in names if (m := _BALLPARK.search(name))]


def _agree(name: str) -> bool:
    return name in CENTIMETRE_DATUMS


@functools.lru_cache(maxsize=32)
def _route(source_wkt: str, target_wkt: str) -> Route:
    source, target = CRS.from_wkt(source_wkt), CRS.from_wkt(target_wkt)
    hub = source.target_crs if source.is_bound and not target.is_bound else None
    stops = [source, *([hub] if hub is not None else []), target]
    approximate = None
    for a, b in zip(stops, stops[1:]):
        if a is source and hub is not None:  # (the user's own parameters: the step to WGS 84 is theirs)
            continue
        for from_datum, to_datum in _ballpark_datums(a, b):
            if not (_agree(from_datum) and _agree(to_datum)):
                approximate = approximate or (from_datum, to_datum)
    return Route(source, target, hub, approximate)


def route(source: CRS, target: CRS) -> Route:
    """How the coordinates of ``source`` reach ``target`` (module docstring); made once per pair of CRSs."""
    return _route(CRS.from_user_input(source).to_wkt(), CRS.from_user_input(target).to_wkt())


def datum_label(name: str, lang: str = "en") -> str:
    """A PROJ datum name as the pages say it (1980西安坐标系 in zh, Xi'an 1980 in en); others as written."""
    datum = _DATUM_NAMES.get(name)
    if datum is None:
        return name
    return datum.header_name if lang == "zh" else datum.label


def approximate_message(datums: tuple[str, str], target_epsg: int | None) -> str:
    """The import's warning for a ballpark step between ``datums`` (the file's, the park's), in English and the
    command line's terms; its Chinese is in :data:`layers.import_text.ZH_PATTERNS`."""
    source, target = (datum_label(name) for name in datums)
    return (f"no published transformation leads from the file's datum ({source}) to the park's ({target}, "
            f"EPSG:{target_epsg}): the coordinates were converted without a datum shift, so positions may be tens "
            "of metres off against the park's other data; if the surveyor gave conversion parameters (七参数 or "
            "三参数), import again with the CRS written with them (a PROJ string with +towgs84=dx,dy,dz,rx,ry,rz,ds) "
            "given with --crs")


__all__ = ["CENTIMETRE_DATUMS", "Route", "approximate_message", "datum_label", "route"]
