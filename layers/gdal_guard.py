"""GDAL limited to what ParkAtlas needs: four vector drivers, no network.

GDAL opens far more than ParkAtlas reads, and several of its formats are
instructions rather than data: an OGR VRT names other files and URLs, an
SQLite database can hold virtual tables over other files, ``/vsicurl/``
paths fetch URLs, and a GeoJSON ``crs`` of type ``link`` makes GDAL fetch its
``href`` (``OGRGeoJSONReadSpatialReference`` → ``importFromUrl``). ParkAtlas
reads and writes GeoPackage, Shapefile and GeoJSON, and reads OSM PBF, so
every other driver is deregistered for the whole process (``GDAL_SKIP``, then
GDAL's registration again, which honours it), ``/vsicurl/`` accepts no file
extension, and GDAL's HTTP client goes through a proxy address where nothing
listens. PROJ's network (grids fetched from a CDN) is switched off too. This is
defence in depth: :mod:`layers.io.formats` already refuses such files before
GDAL sees them.
"""

from __future__ import annotations

#: The GDAL drivers ParkAtlas uses (``pyogrio.list_drivers()`` names).
ALLOWED_DRIVERS = ("GPKG", "ESRI Shapefile", "GeoJSON", "OSM")
#: A loopback port nothing serves (the TCP "discard" port): GDAL's HTTP requests fail at once.
_DEAD_PROXY = "127.0.0.1:9"
#: No real file has this extension: ``/vsicurl/`` opens nothing.
_NO_EXTENSION = ".parkatlas-no-remote-files"

_applied = False


def restrict_gdal() -> None:
    """Deregister every GDAL driver but :data:`ALLOWED_DRIVERS` and cut GDAL and PROJ off the network.

    Idempotent; called when :mod:`layers` is imported, so it holds before any
    ParkAtlas code opens a file.
    """
    global _applied  # noqa: PLW0603 — a process-wide switch, applied once
    if _applied:
        return
    import pyogrio
    from pyogrio._ogr import _register_drivers, set_gdal_config_options

    # Comma-separated: some driver names hold a space ("MapInfo File").
    skip = [name for name in pyogrio.list_drivers() if name not in ALLOWED_DRIVERS]
    set_gdal_config_options({
        "GDAL_SKIP": ",".join(skip),
        "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": _NO_EXTENSION,
        "GDAL_HTTP_PROXY": _DEAD_PROXY,
        "GDAL_HTTP_MAX_RETRY": "0",
        "GDAL_HTTP_CONNECTTIMEOUT": "1",
        "GDAL_HTTP_TIMEOUT": "1",
        "GDAL_ALLOW_REMOTE_RESOURCE_TO_ACCESS_LOCAL_FILE": "NO",
        "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
        "PROJ_NETWORK": "OFF",
    })
    _register_drivers()  # GDALAllRegister again: it drops the drivers named in GDAL_SKIP
    try:
        import pyproj.network

        pyproj.network.set_network_enabled(False)
    except ImportError:  # pragma: no cover — pyproj is a hard dependency; kept for partial installs
        pass
    _applied = True


def registered_drivers() -> list[str]:
    """The GDAL vector drivers registered now (for tests and ``check-park``)."""
    import pyogrio

    return sorted(pyogrio.list_drivers())
