"""Shared by the map-tool tests: points of the tiny park's working CRS (EPSG:4549) as the browser sends them."""

from __future__ import annotations

import numpy as np
from conftest import WORKING_EPSG, X0, Y0
from pyproj import Transformer

TO_LONLAT = Transformer.from_crs(WORKING_EPSG, 4326, always_xy=True)


def lonlat(points) -> list[list[float]]:
    """GK points (metres from the tiny park's origin X0, Y0) as ``[lon, lat]`` pairs."""
    xy = np.array(points, dtype=float)
    lon, lat = TO_LONLAT.transform(X0 + xy[:, 0], Y0 + xy[:, 1])
    return [[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]


def latlngs(points) -> list[list[float]]:
    """The same as Leaflet's ``[lat, lng]``."""
    return [[lat, lon] for lon, lat in lonlat(points)]
