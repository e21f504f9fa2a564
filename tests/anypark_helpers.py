"""Parks holding any subset of the registry's layers, and every GET a park answers.

Used by ``tests/test_any_park.py``: a park is built from the tiny park's frames
(``tests/conftest.py``) keeping only the spatial layers of a subset; the other
spatial layers are written empty or left out of the file (absent): all of them
(``mode`` 'empty' or 'absent'), or every other one (``mode`` 'mixed', which layers by
the subset, so that over all subsets each layer is missing both ways). Each table
follows the spatial layer its records hang on (units and leases on buildings,
enterprises, their yearly figures and the cases on parcels), so "parcels alone"
is a park of parcels and nothing else.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import jinja2
import jinja2.bccache
import pandas as pd
import pyproj
import shapely

from layers.registry import REGISTRY, spatial_layers
from layers.store import GeoPackageStore
from tests.conftest import TINY_META, WORKING_EPSG, X0, Y0, tiny_frames

SPATIAL = tuple(spec.name for spec in spatial_layers())
#: Each table and the spatial layer its records hang on.
TABLE_OWNER = {"units": "buildings", "leases": "buildings", "enterprises": "parcels",
               "enterprise_years": "parcels", "cases": "parcels", "case_events": "parcels"}
MODES = ("empty", "absent", "mixed")
#: Zoom of the tile asked for (vector tiles are drawn from zoom 12).
TILE_ZOOM = 15


def subsets() -> list[tuple[str, ...]]:
    """Every subset of the spatial layers (2^6 = 64), smallest first."""
    return [combo for size in range(len(SPATIAL) + 1) for combo in itertools.combinations(SPATIAL, size)]


def park_id(kept: tuple[str, ...], mode: str) -> str:
    return f"{'+'.join(kept) or 'nothing'}/{mode}"


def rich_frames() -> dict[str, pd.DataFrame]:
    """The tiny park with an expansion area, a lease, a year of enterprise figures and a case (every analysis has rows)."""
    frames = tiny_frames()
    zones = frames["zones"]
    expansion = shapely.box(X0 + 0, Y0 + 240, X0 + 200, Y0 + 340)
    frames["zones"] = gpd.GeoDataFrame(
        {"zone_id": [*zones["zone_id"], "Z2"], "kind": [*zones["kind"], "expansion_area"],
         "name": [*zones["name"], "北拓展区"]},
        geometry=[*zones.geometry, expansion], crs=WORKING_EPSG)
    frames["leases"] = pd.DataFrame({"lease_id": ["L1"], "unit_id": ["U1"], "enterprise_id": ["E2"],
                                     "start": pd.to_datetime(["2025-01-01"]),
                                     "end": pd.to_datetime(["2027-12-31"])})
    frames["enterprise_years"] = pd.DataFrame({"record_id": ["Y1"], "enterprise_id": ["E1"], "year": [2025],
                                               "tax_wan": [120.0], "revenue_wan": [3000.0]})
    frames["cases"] = pd.DataFrame({"case_id": ["C1"], "parcel_id": ["P2"], "problem": ["idle_land"],
                                    "method": ["re_perform"], "status": ["in_progress"],
                                    "opened": pd.to_datetime(["2026-01-10"])})
    return frames


def absent_layers(kept: tuple[str, ...], mode: str) -> set[str]:
    """The layers a park of ``kept`` spatial layers leaves out of its file (tables with the layer they hang on).

    ``mixed``: of the spatial layers not kept, those whose position in :data:`SPATIAL` has the parity of the
    number kept are absent, the others empty (over all subsets, each layer is missing both ways).
    """
    if mode == "empty":
        spatial = set()
    elif mode == "absent":
        spatial = set(SPATIAL) - set(kept)
    else:
        spatial = {name for i, name in enumerate(SPATIAL) if name not in kept and (i + len(kept)) % 2 == 0}
    return spatial | {name for name, owner in TABLE_OWNER.items() if owner in spatial} | {"audit_events"}


def park_frames(kept: tuple[str, ...], mode: str) -> dict[str, pd.DataFrame]:
    """The layers a park of ``kept`` spatial layers holds: full, else empty, unless :func:`absent_layers` leaves
    them out (then they are not in the result at all)."""
    frames = rich_frames()
    absent = absent_layers(kept, mode)
    out = {}
    for name in REGISTRY:
        if name in absent:
            continue
        out[name] = frames[name] if name in frames and TABLE_OWNER.get(name, name) in kept else _empty_like(
            name, frames)
    return out


def _empty_like(name: str, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Layer ``name`` with its columns (or only the id) and no rows."""
    spec = REGISTRY[name]
    if name in frames:
        return frames[name].iloc[:0]
    columns = {spec.id_field: pd.Series([], dtype=object)}
    if spec.is_table:
        return pd.DataFrame(columns)
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=WORKING_EPSG), crs=WORKING_EPSG)


def build_park(path: Path, kept: tuple[str, ...], mode: str) -> tuple[GeoPackageStore, dict[str, pd.DataFrame]]:
    """The park of ``kept`` spatial layers written to ``path``, and the frames it was written from."""
    frames = park_frames(kept, mode)
    store = GeoPackageStore(path)
    store.save_park(frames, TINY_META)
    return store, frames


# -- what each page says it could not judge ---------------------------------------------------------------

#: What each page's figures need, written from the page's side: topic → groups of layers, each group needing
#: one layer with records (the park area is judged from park-boundary zones or from parcels).
PAGE_TOPICS = {
    "/": {"park_area": [("zones", "parcels")], "land_supply": [("parcels",)], "factory_space": [("buildings",)],
          "roads": [("roads",)], "pipelines": [("pipelines",)], "idle_land": [("parcels",)],
          "inefficient_land": [("parcels",)], "vacancy": [("units",)],
          "readiness": [("parcels",), ("roads",), ("pipelines",)]},
    "/land": {"utilisation": [("parcels",), ("buildings",)], "muju": [("parcels",), ("enterprise_years",)]},
    "/idle": {"idle_land": [("parcels",)], "inefficient_land": [("parcels",)]},
    "/vacancy": {"vacancy": [("units",)]},
    "/cases": {"idle_land": [("parcels",)], "inefficient_land": [("parcels",)], "vacancy": [("units",)]},
    "/infrastructure": {"readiness": [("parcels",), ("roads",), ("pipelines",)], "clearance": [("pipelines",)],
                        "road_access": [("parcels",), ("roads",), ("facilities",)]},
    "/expansion": {"constraints": [("zones",)], "capacity": [("facilities",)]},
    "/sites?kind=land": {"site_land": [("parcels",)], "readiness": [("parcels",), ("roads",), ("pipelines",)],
                         "road_access": [("parcels",), ("roads",), ("facilities",)]},
    "/sites?kind=space": {"site_space": [("units",)]},
}
#: Each page's JSON twin.
TWINS = {"/": "/api/summary", "/land": "/api/land", "/idle": "/api/idle", "/vacancy": "/api/vacancy",
         "/cases": "/api/cases", "/infrastructure": "/api/infrastructure", "/sites?kind=land": "/api/sites?kind=land",
         "/sites?kind=space": "/api/sites?kind=space"}


def holding(kept: tuple[str, ...]) -> set[str]:
    """The layers holding records in the park of ``kept`` spatial layers (tables follow their owner)."""
    return {name for name in REGISTRY if TABLE_OWNER.get(name, name) in kept}


def expected_topics(page: str, held: set[str]) -> dict[str, set[str]]:
    """Topic → the layers named as lacking, for the topics of ``page`` a park whose layers ``held`` hold records
    cannot judge."""
    out = {}
    for topic, groups in PAGE_TOPICS[page].items():
        lacking = {layer for group in groups if not any(name in held for name in group) for layer in group}
        if lacking:
            out[topic] = lacking
    return out


def shown_topics(page_html: str) -> list[str]:
    return re.findall(r'<li data-topic="([a-z_]+)">', page_html)


def shown_messages(page_html: str) -> list[str]:
    return [re.sub(r"&#39;", "'", text) for text in re.findall(r'<li data-topic="[a-z_]+">([^<]*)</li>', page_html)]



# -- every GET a park answers ----------------------------------------------------------------------------


def park_tile(store: GeoPackageStore) -> tuple[int, int, int]:
    """A tile over the tiny park's middle (whatever the park holds)."""
    to_wgs84 = pyproj.Transformer.from_crs(WORKING_EPSG, 4326, always_xy=True)
    lon, lat = to_wgs84.transform(X0 + 150, Y0 + 100)
    n = 2 ** TILE_ZOOM
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return TILE_ZOOM, x, y


def first_ids(frames: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Per layer the first record id of the park's ``frames``, or an id no park holds (the view answers 404)."""
    out = {}
    for name, spec in REGISTRY.items():
        frame = frames.get(name)
        out[name] = str(frame[spec.id_field].iloc[0]) if frame is not None and len(frame) else "NO-SUCH-ID"
    return out


class SharedTemplates(jinja2.BytecodeCache):
    """Compiled templates shared by the apps of many parks (each app would compile every template again).

    Jinja keys the code by template name and source checksum, so an app never gets another's stale code.
    """

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


SHARED_TEMPLATES = SharedTemplates()


def park_app(store: GeoPackageStore, **config):
    """The app serving ``store`` (no sign-in, as the other page tests), sharing compiled templates."""
    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(store.path), "SECRET_KEY": "test", **config})
    app.jinja_env.bytecode_cache = SHARED_TEMPLATES
    return app


#: Query strings that turn a page into its JSON twin or XLSX, per endpoint.
VARIANTS = {
    "land.land_page": ("", "?format=json", "?format=xlsx", "?lang=en"),
    "land.idle_page": ("", "?format=json", "?format=xlsx", "?lang=en"),
    "land.vacancy_page": ("", "?format=json", "?format=xlsx", "?lang=en"),
    "land.cases_page": ("", "?format=json", "?format=xlsx", "?lang=en"),
    "pages.overview": ("", "?lang=en"),
    "infrastructure.page": ("", "?lang=en"),
    "expansion.page": ("", "?lang=en"),
    "sites.page": ("", "?kind=land", "?kind=space", "?lang=en&kind=land"),
    "sites.api": ("?kind=land", "?kind=space"),
    "audit.log": ("", "?format=json"),
    "audit.as_of": ("?at=2026-06-30", "?at=2026-06-30&format=json"),
    "search.search": ("?q=1", "?q=1&as_of=2026-06-30", "?q=1&lang=en"),
}


#: Path values naming one layer: a route taking one reads that layer (and answers from its state alone).
LAYER_VALUES = {"layer", "record_id"}


def is_layer_route(rule) -> bool:
    """Whether ``rule`` serves one layer named in its path (exports, collections, edit forms, record history)."""
    return bool(LAYER_VALUES & set(rule.arguments)) or rule.endpoint == "exports.download"


#: The query strings a route needs to answer at all (``variants=False`` asks for these only).
PRIMARY = {"sites.page": ("?kind=land", "?kind=space"), "sites.api": ("?kind=land", "?kind=space"),
           "audit.as_of": ("?at=2026-06-30",), "search.search": ("?q=1",)}


def get_urls(app, store: GeoPackageStore, frames: dict[str, pd.DataFrame], *, layer_routes: bool | None = None,
             variants: bool = True) -> Iterator[tuple[str, str]]:
    """(endpoint, url) for every GET route of ``app.url_map``, path values filled from the park's ``frames``.

    Routes with path values get one URL per layer, export format and record (the
    first record, or an id the park lacks); pages with a JSON twin or XLSX get those too.
    ``layer_routes``: only the routes of one layer (True), only the others (False), or all (None);
    ``variants=False``: each page once (its JSON twin is a route of its own), without XLSX or English.
    """
    from layers.io.write import DOWNLOADS

    z, x, y = park_tile(store)
    ids = first_ids(frames)
    fillers = {
        "layer": list(REGISTRY),
        "fmt": None,  # per endpoint below
        "record_id": None,
        "item_id": None,
        "username": ["admin"],
        "kind": ["land", "space"],
        "name": ["no-such-scenario"],
        "layers": ["parcels", ",".join(SPATIAL)],
        "z": [z], "x": [x], "y": [y],
        "change_id": ["1"],
        "token": ["0" * 32],
    }
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if layer_routes is not None and is_layer_route(rule) != layer_routes:
            continue
        for values in _rule_values(rule, fillers, ids, DOWNLOADS):
            base = app.url_map.bind("localhost").build(rule.endpoint, values, method="GET")
            queries = VARIANTS.get(rule.endpoint, ("",)) if variants else PRIMARY.get(rule.endpoint, ("",))
            for query in queries:
                yield rule.endpoint, base + (query if "?" not in base else query.replace("?", "&"))


def _rule_values(rule, fillers, ids, downloads) -> Iterator[dict]:
    names = sorted(rule.arguments)
    choices = []
    for name in names:
        if name == "fmt":
            choices.append(list(downloads) if rule.endpoint == "exports.download" else (
                ["xlsx", "gpkg"] if rule.endpoint == "expansion.export_scenario" else ["csv", "xlsx"]))
        elif name in ("record_id", "item_id"):
            choices.append([None])  # filled from the layer (or the kind) below
        else:
            choices.append(fillers[name])
    for combo in itertools.product(*choices):
        values = dict(zip(names, combo))
        if "record_id" in values:
            values["record_id"] = ids[values["layer"]]
        if "item_id" in values:
            values["item_id"] = (ids[values["layer"]] if "layer" in values
                                 else ids["parcels" if values.get("kind") == "land" else "units"])
        yield values


__all__ = ["MODES", "PAGE_TOPICS", "SPATIAL", "TABLE_OWNER", "TWINS", "absent_layers", "build_park", "expected_topics",
           "get_urls", "holding", "is_layer_route", "park_app", "park_frames", "park_id", "rich_frames", "shown_messages",
           "shown_topics", "subsets"]
