"""Coordinate reference systems of the OGC API (Features Part 2, CRS by reference).

The API offers four CRSs for every spatial collection: CRS84 (lon/lat, the
GeoJSON default), EPSG:4326 (the same datum, but **lat/lon**: Part 2 requires
coordinates in the CRS's own axis order), the park's working CGCS2000
Gauss-Krüger CRS (its storage CRS; EPSG:4534–4554 put **northing first**), and
EPSG:3857 (web mercator, easting first).

Geometries are kept in the traditional GIS order (easting/longitude first)
everywhere inside ParkAtlas; :func:`swap_axes` turns a page of them into the
CRS's authority order on the way out, and bounding boxes given in that order are
turned back by :func:`bbox_traditional`. Pure: nothing is read or written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"
#: Web mercator: what tile-based clients draw in.
WEB_MERCATOR_EPSG = 3857
#: EPSG:4326 (lat/lon) offered beside CRS84 (lon/lat).
WGS84_EPSG = 4326
_EPSG_FORMS = (
    re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/0/(\d+)$"),
    re.compile(r"^\[?EPSG:(\d+)\]?$", re.IGNORECASE),
    re.compile(r"^urn:ogc:def:crs:EPSG::(\d+)$", re.IGNORECASE),
)
_CRS84_FORMS = {CRS84, "https://www.opengis.net/def/crs/OGC/1.3/CRS84", "[OGC:CRS84]", "OGC:CRS84",
                "urn:ogc:def:crs:OGC:1.3:CRS84", "CRS84"}


@dataclass(frozen=True)
class ApiCrs:
    """One CRS the API offers: its URI, the EPSG code of its coordinates, and whether its first axis is north."""

    uri: str
    epsg: int
    north_first: bool

    @property
    def is_lonlat(self) -> bool:
        """CRS84 or EPSG:4326: the coordinates of the API's lon/lat index (in traditional order)."""
        return self.epsg == WGS84_EPSG


def epsg_uri(code: int) -> str:
    return EPSG_URI.format(code=int(code))


@functools.lru_cache(maxsize=64)
def north_first(epsg: int) -> bool:
    """Whether the authority's first axis of EPSG ``epsg`` points north (lat/lon, northing/easting)."""
    axes = CRS.from_epsg(epsg).axis_info
    return bool(axes) and axes[0].direction.lower() == "north"


def api_crs_list(working_epsg: int) -> list[ApiCrs]:
    """The CRSs offered for a park whose storage CRS is ``working_epsg``, CRS84 first (the default)."""
    crs = [ApiCrs(CRS84, WGS84_EPSG, False), ApiCrs(epsg_uri(WGS84_EPSG), WGS84_EPSG, True)]
    for code in (int(working_epsg), WEB_MERCATOR_EPSG):
        if code != WGS84_EPSG and all(known.epsg != code for known in crs):
            crs.append(ApiCrs(epsg_uri(code), code, north_first(code)))
    return crs


def find_crs(raw: str, offered: Sequence[ApiCrs]) -> ApiCrs:
    """The offered CRS that ``raw`` names (its URI, ``EPSG:n``, ``[EPSG:n]`` or a URN); :class:`ValueError`
    naming the value and the offered URIs otherwise."""
    text = (raw or "").strip()
    if text in _CRS84_FORMS:
        return offered[0]
    for form in _EPSG_FORMS:
        match = form.match(text)
        if match:
            uri = epsg_uri(int(match.group(1)))
            for crs in offered:
                if crs.uri == uri:
                    return crs
    msg = f"{raw!r} is not offered; CRSs: {', '.join(crs.uri for crs in offered)}"
    raise ValueError(msg)


def swap_axes(geometries: np.ndarray) -> np.ndarray:
    """The geometries with x and y exchanged (traditional order ↔ a north-first authority order)."""
    if not len(geometries):
        return geometries
    return shapely.transform(geometries, lambda xy: xy[:, ::-1])


def in_authority_order(geometries: np.ndarray, crs: ApiCrs) -> np.ndarray:
    """Geometries kept in traditional order, written in ``crs``'s own axis order."""
    return swap_axes(geometries) if crs.north_first else geometries


def bbox_traditional(values: Sequence[float], crs: ApiCrs) -> tuple[float, float, float, float]:
    """A 4- or 6-number bbox in ``crs``'s axis order as (min x, min y, max x, max y) in traditional order
    (easting/longitude first); heights of a 6-number bbox are dropped (the park is 2-D)."""
    if len(values) == 6:
        values = (values[0], values[1], values[3], values[4])
    low1, low2, high1, high2 = (float(v) for v in values)
    if crs.north_first:
        return low2, low1, high2, high1
    return low1, low2, high1, high2
