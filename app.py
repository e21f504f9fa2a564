"""ParkAtlas: the Flask application factory.

``flask --app app run`` serves the park named by ``PARKATLAS_PARK`` (default: the
demo park in ``data/``), or the PostGIS park at ``PARKATLAS_DATABASE_URL`` when
that is set (it wins; ``?schema=NAME`` picks the park's schema). Views live in the
``web`` package as blueprints; this module only builds and configures the application.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent
DEFAULT_PARK = ROOT / "data" / "demo_park.gpkg"


def _env(variable: str, default: float, kind: type = int):
    """A number from an environment variable, ``default`` when it is unset."""
    return kind(os.environ.get(variable, str(default)))


def _mb(variable: str, default: float) -> int:
    """Bytes from an environment variable given in MB."""
    return int(_env(variable, default, float) * 1024 * 1024)


def default_config() -> dict:
    """Configuration from the environment, with the documented defaults."""
    return {
        "PARK_PATH": os.environ.get("PARKATLAS_PARK", str(DEFAULT_PARK)),
        "DATABASE_URL": os.environ.get("PARKATLAS_DATABASE_URL") or None,
        # Basemap: "none" (offline default), "osm", or "tianditu" (needs TIANDITU_KEY).
        "BASEMAP": os.environ.get("PARKATLAS_BASEMAP", "none"),
        "TIANDITU_KEY": os.environ.get("PARKATLAS_TIANDITU_KEY", ""),
        "DEFAULT_LANG": os.environ.get("PARKATLAS_LANG", "zh"),
        # Unset: web.auth keeps a random key in instance/secret_key (a fresh one per test app).
        "SECRET_KEY": os.environ.get("PARKATLAS_SECRET_KEY") or None,
        # Bodies: uploads (web.limits.UPLOAD_ENDPOINTS) up to MAX_CONTENT_LENGTH, which also caps every other
        # endpoint; JSON and form endpoints up to MAX_JSON_BYTES (the largest legitimate body, an editor
        # geometry of EDIT_MAX_VERTICES vertices, is under 1 MB; parsing takes up to ~25 bytes per byte).
        "MAX_CONTENT_LENGTH": _mb("PARKATLAS_MAX_UPLOAD_MB", 200),
        "MAX_JSON_BYTES": _mb("PARKATLAS_MAX_JSON_MB", 4),
        # Nesting of JSON bodies (a FeatureCollection of MultiPolygons nests 7 deep); deeper is refused unparsed.
        "JSON_MAX_DEPTH": _env("PARKATLAS_JSON_MAX_DEPTH", 64),
        # GeoJSON counted while parsing: a drawn or uploaded expansion area (its overlays grow with the
        # vertices), an editor geometry (a surveyed parcel or a long pipeline), features in either.
        "EXPANSION_MAX_VERTICES": _env("PARKATLAS_EXPANSION_MAX_VERTICES", 5000),
        "EDIT_MAX_VERTICES": _env("PARKATLAS_EDIT_MAX_VERTICES", 20000),
        "MAX_FEATURES": _env("PARKATLAS_MAX_FEATURES", 500),
        # The map's measure tool: a hand-drawn line or polygon has tens of vertices; the cap bounds the
        # projection work of one request (web.measure).
        "MEASURE_MAX_VERTICES": _env("PARKATLAS_MEASURE_MAX_VERTICES", 1000),
        # The map's print (web.map_print): features drawn into one PDF page; above it the view is too crowded
        # to read on A4 and the request is refused, saying to zoom in.
        "PRINT_MAX_FEATURES": _env("PARKATLAS_PRINT_MAX_FEATURES", 20000),
        # Expensive analyses on request (web.analysis_gate): per user and in all at once (2 cores: one
        # analysis per core leaves readers a share), requests allowed to wait and for how long, the time
        # budget of an expansion plan (the largest area at the default 20 m cells takes ~5 s alone), and the
        # memory a plan may be predicted to need (the largest area, a 50 km² square, at 20 m cells: 125 000 cells,
        # 131 MB).
        "ANALYSIS_PER_USER": _env("PARKATLAS_ANALYSIS_PER_USER", 1),
        "ANALYSIS_CONCURRENT": _env("PARKATLAS_ANALYSIS_CONCURRENT", 2),
        "ANALYSIS_QUEUE": _env("PARKATLAS_ANALYSIS_QUEUE", 8),
        "ANALYSIS_WAIT_S": _env("PARKATLAS_ANALYSIS_WAIT_S", 10, float),
        "ANALYSIS_TIME_S": _env("PARKATLAS_ANALYSIS_TIME_S", 30, float),
        "ANALYSIS_MEMORY_MB": _env("PARKATLAS_ANALYSIS_MEMORY_MB", 160, float),
        # Layers with more features than this go to map pages as vector tiles, drawn from TILE_MIN_ZOOM on.
        # Imports (layers.io.options.ImportChecks): data farther than this from the park (its boundary zone, else
        # its layers' extent) is imported only when confirmed — the largest zones span 20–30 km, data 10 km beyond
        # is a wrong CRS or another place's file; below this confidence the GB18030/Big5 choice asks the user.
        "IMPORT_FAR_KM": _env("PARKATLAS_IMPORT_FAR_KM", 10.0, float),
        "IMPORT_ENCODING_MIN_CONFIDENCE": _env("PARKATLAS_IMPORT_ENCODING_CONFIDENCE", 0.99, float),
        # Parks with more parcels than this get their overview figures (the park summary: land efficiency,
        # readiness, clearance conflicts) computed in the background: a park of 10⁴ parcels takes 2–3 s to
        # analyse (about 10× reading it), 10⁵ 13 s; below 5 000 the figures come in about a second, so the page
        # waits for them as before. A page waiting for them refreshes itself every BACKGROUND_REFRESH_S seconds.
        "BACKGROUND_PARCELS": _env("PARKATLAS_BACKGROUND_PARCELS", 5000),
        "BACKGROUND_REFRESH_S": _env("PARKATLAS_BACKGROUND_REFRESH_S", 5),
        # `serve` prepares the overview's figures and the large layers' tiles once its port is open, so the first
        # visitor does not wait for them (10⁵ parcels: 10–15 s of figures); 0: only when first asked.
        "WARM_UP": _env("PARKATLAS_WARM_UP", 1),
        # A feature with its popup fields is 0.5–0.7 KB of inline GeoJSON: 2 000 keep a page's layer near 1.5 MB
        # (issue 18: no page over 2 MB; 10 000 made /idle of a 10⁴-parcel park 7.5 MB); the demo park's largest
        # layer holds 1 375 features, so it is drawn inline, as are small parks. The land pages' analysis layers
        # (/land, /idle) come from the parcel_analysis tiles above it, /vacancy's parcels from the parcels' tiles.
        "TILE_FEATURE_THRESHOLD": int(os.environ.get("PARKATLAS_TILE_THRESHOLD", "2000")),
        "TILE_MIN_ZOOM": int(os.environ.get("PARKATLAS_TILE_MIN_ZOOM", "12")),
        "TILE_MAX_ZOOM": 22,
        "TILE_CACHE_MB": int(os.environ.get("PARKATLAS_TILE_CACHE_MB", "64")),
        # A layer with more records than this is made ready for tiles (a digest of every feature, the GeoPackage
        # tile source) in the background, its tiles read tile by tile from the store meanwhile: at 10⁵ parcels
        # that work takes 4 s (GeoPackage) to 7 s (PostGIS), which the first tile of a large park waited for; at
        # 2·10⁴ records it is under a second, which a first tile may take.
        "TILE_BACKGROUND_FEATURES": _env("PARKATLAS_TILE_BACKGROUND_FEATURES", 20000),
        # Persistent tile cache (SQLite); unset: beside the GeoPackage, or in instance/ for PostGIS; "none": off.
        "TILE_CACHE_PATH": os.environ.get("PARKATLAS_TILE_CACHE") or None,
        # Persistent results (the overview's figures, JSON in SQLite) so a restart with unchanged data, rules and code
        # serves them at once; unset: beside the GeoPackage (park.gpkg.results.sqlite), or in instance/ for PostGIS;
        # "none": off (kept in memory only, computed again after every start).
        "RESULTS_CACHE_PATH": os.environ.get("PARKATLAS_RESULTS_CACHE") or None,
        # The import preview's mapping step: distinct values shown per source field (and offered a value
        # crosswalk: a zoning map holds a dozen classes, a register of codes a few dozen; beyond that a field is
        # names or numbers, not codes), the share of them that must fit a registry field before it is suggested
        # (below it a few matching words in free text would suggest nonsense), and the value-crosswalk tables.
        "MAPPING_VALUE_ROWS": _env("PARKATLAS_MAPPING_VALUE_ROWS", 50),
        "MAPPING_SUGGEST_SHARE": _env("PARKATLAS_MAPPING_SUGGEST_SHARE", 0.8, float),
        "VALUE_CROSSWALKS": os.environ.get("PARKATLAS_VALUE_CROSSWALKS") or None,
        # Rows of one page of a land page's table (/land, /idle, /vacancy, /cases; ?per_page=): 100 reads on one
        # screen-and-a-scroll; at most 1 000, as one HTML table of 1 000 rows × 15 cells renders in well under a
        # second while 10⁴ would not (every row is still in the JSON twin and the workbook).
        "TABLE_DEFAULT_ROWS": _env("PARKATLAS_TABLE_ROWS", 100),
        "TABLE_MAX_ROWS": _env("PARKATLAS_TABLE_MAX_ROWS", 1000),
        # The map's search box (/api/search): hits listed by default and at most (a list longer than a screen is
        # not read; a longer query than any id or name is a paste gone wrong).
        "SEARCH_DEFAULT_LIMIT": _env("PARKATLAS_SEARCH_LIMIT", 10),
        "SEARCH_MAX_LIMIT": _env("PARKATLAS_SEARCH_MAX_LIMIT", 50),
        "SEARCH_MAX_QUERY": _env("PARKATLAS_SEARCH_MAX_QUERY", 100),
        # The map's attribute table: rows listed at most (the rest counted: "showing N of M"); 500 rows of the demo
        # park's parcels are listed in 30–75 ms in Chromium; a longer list is read through the land pages' tables.
        "MAP_TABLE_ROWS": _env("PARKATLAS_MAP_TABLE_ROWS", 500),
        "API_MAX_LIMIT": 10_000,
        "API_DEFAULT_LIMIT": 1_000,
        # Far above any park (the largest benchmarked holds 10⁶ parcels), and within every integer type downstream.
        "API_MAX_OFFSET": 1_000_000_000,
        # Days a page can be judged on (?as_of=): the analyses count in pandas' nanosecond timestamps
        # (1677-09-21 … 2262-04-11) and add periods of years to the day; no park record predates 1900.
        "AS_OF_EARLIEST": "1900-01-01",
        "AS_OF_LATEST": "2199-12-31",
    }


def create_app(test_config: dict | None = None) -> Flask:
    """Build the ParkAtlas application.

    Parameters
    ----------
    test_config
        Settings that override the environment (tests pass ``PARK_PATH`` etc.).
    """
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.from_mapping(default_config())
    if test_config:
        app.config.from_mapping(test_config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from web import register

    register(app)
    return app
