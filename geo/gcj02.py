"""GCJ-02 and BD-09: the Chinese web-map offsets, both directions (DOMAIN.md §9.3).

Amap/Gaode and Tencent publish coordinates in GCJ-02, a non-linear offset of
WGS84 by tens to hundreds of metres; Baidu adds a second transform on top
(BD-09). Neither has an EPSG code, so data in them is converted with the
published algorithm and never labelled EPSG:4326.

The forward transforms are the widely re-implemented closed formulas
(Krasovsky constants, applied only inside the China bounding box). Their
inverses have no closed form: :func:`gcj02_to_wgs84` and :func:`bd09_to_gcj02`
solve ``forward(x) = y`` by fixed-point iteration until the round trip agrees to
``tolerance_deg`` (1e-10° ≈ 0.01 mm by default), which the forward transform's
slow variation makes converge in a handful of steps.

Pure math on NumPy arrays: longitudes and latitudes in degrees in, the same
shapes out. Scalars work too.
"""

from __future__ import annotations

import numpy as np

#: Krasovsky 1940 ellipsoid, as used by the published GCJ-02 algorithm.
KRASOVSKY_A_M = 6_378_245.0
KRASOVSKY_EE = 0.00669342162296594323
#: The algorithm offsets points only inside this box (lon_min, lat_min, lon_max, lat_max).
CHINA_BBOX_DEG = (72.004, 0.8293, 137.8347, 55.8271)
#: BD-09 constant: π · 3000 / 180.
BD_X_PI = np.pi * 3000.0 / 180.0
#: BD-09 false origin shift (degrees).
BD_DLON_DEG = 0.0065
BD_DLAT_DEG = 0.006
#: Convergence of the iterative inverses, and the most steps they may take.
DEFAULT_TOLERANCE_DEG = 1e-10
MAX_ITERATIONS = 50

__all__ = [
    "CHINA_BBOX_DEG",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]


def _arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon_arr = np.asarray(lon, dtype="float64")
    lat_arr = np.asarray(lat, dtype="float64")
    return np.broadcast_arrays(lon_arr, lat_arr)


def _result(lon: np.ndarray, lat: np.ndarray, like):
    if np.ndim(like) == 0:
        return float(lon), float(lat)
    return lon, lat


def out_of_china(lon, lat) -> np.ndarray:
    """True where a point lies outside the box the GCJ-02 algorithm offsets."""
    lon_arr, lat_arr = _arrays(lon, lat)
    lon_min, lat_min, lon_max, lat_max = CHINA_BBOX_DEG
    return ~((lon_arr >= lon_min) & (lon_arr <= lon_max) & (lat_arr >= lat_min) & (lat_arr <= lat_max))


def _shift_terms(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The published polynomial-plus-sine offsets, in the algorithm's scaled units (x = lon-105, y = lat-35)."""
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    return dlon, dlat


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS84 at WGS84 point (lon, lat), in degrees; zero outside the China box."""
    dlon, dlat = _shift_terms(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - KRASOVSKY_EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((KRASOVSKY_A_M * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (KRASOVSKY_A_M / sqrt_magic * np.cos(radlat) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon, lat):
    """WGS84 → GCJ-02 (the published forward formula); points outside China are returned unchanged."""
    lon_arr, lat_arr = _arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon_arr, lat_arr)
    return _result(lon_arr + dlon, lat_arr + dlat, lon)


def _invert(forward, lon, lat, tolerance_deg: float):
    """Solve forward(x) = (lon, lat) by fixed-point iteration x ← x − (forward(x) − target)."""
    target_lon, target_lat = _arrays(lon, lat)
    x_lon, x_lat = target_lon.copy(), target_lat.copy()
    for _ in range(MAX_ITERATIONS):
        f_lon, f_lat = forward(x_lon, x_lat)
        err_lon, err_lat = f_lon - target_lon, f_lat - target_lat
        x_lon, x_lat = x_lon - err_lon, x_lat - err_lat
        worst = np.nanmax(np.abs(np.concatenate([np.ravel(err_lon), np.ravel(err_lat)])), initial=0.0)
        if worst < tolerance_deg:
            break
    return _result(x_lon, x_lat, lon)


def gcj02_to_wgs84(lon, lat, *, tolerance_deg: float = DEFAULT_TOLERANCE_DEG):
    """GCJ-02 → WGS84, the exact (iterative) inverse of :func:`wgs84_to_gcj02`."""
    def forward(x_lon, x_lat):
        dlon, dlat = _gcj_offset(x_lon, x_lat)
        return x_lon + dlon, x_lat + dlat

    return _invert(forward, lon, lat, tolerance_deg)


def gcj02_to_bd09(lon, lat):
    """GCJ-02 → BD-09 (Baidu): polar perturbation plus a fixed shift (DOMAIN.md §9.3)."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * BD_X_PI)
    return _result(z * np.cos(theta) + BD_DLON_DEG, z * np.sin(theta) + BD_DLAT_DEG, lon)


def bd09_to_gcj02(lon, lat, *, tolerance_deg: float = DEFAULT_TOLERANCE_DEG):
    """BD-09 → GCJ-02, the exact (iterative) inverse of :func:`gcj02_to_bd09`."""
    def forward(x_lon, x_lat):
        return tuple(np.asarray(part) for part in gcj02_to_bd09(x_lon, x_lat))

    return _invert(forward, lon, lat, tolerance_deg)


def wgs84_to_bd09(lon, lat):
    """WGS84 → BD-09 (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat, *, tolerance_deg: float = DEFAULT_TOLERANCE_DEG):
    """BD-09 → WGS84 (through GCJ-02), exact inverse of :func:`wgs84_to_bd09`."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat, tolerance_deg=tolerance_deg), tolerance_deg=tolerance_deg)


def to_wgs84(coords: np.ndarray, *, system: str) -> np.ndarray:
    """An (n, 2) array of lon/lat in ``system`` (``gcj02`` or ``bd09``) as WGS84 lon/lat.

    Shaped for ``shapely.transform``, which passes every vertex of every geometry at once.
    """
    if system == "gcj02":
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    elif system == "bd09":
        lon, lat = bd09_to_wgs84(coords[:, 0], coords[:, 1])
    else:
        msg = f"unknown offset coordinate system {system!r}; allowed: gcj02, bd09"
        raise ValueError(msg)
    return np.column_stack([lon, lat])
