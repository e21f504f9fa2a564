"""Parks holding any subset of the registry's layers, and every GET a park answers.

Used by ``tests/test_any_park.py``: a park is built from the tiny park's frames
(``tests/conftest.py``) keeping only the spatial layers of a subset; the other
spatial layers are written empty or left out of the file (``absent``). Each table
follows the spatial layer its records hang on (units and leases on buildings,
enterprises, their yearly figures and the cases on parcels), so "parcels alone"
is a park of parcels and nothing else.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path

import jinja2
import jinja2.bccache
import pandas as pd
import pyproj
import shapely

from layers.registry import REGISTRY, spatial_layers
from layers.store import GeoPackageStore
from tests.conftest import TINY_META, WORKING_EPSG, tiny_frames

SPATIAL = tuple(spec.name for spec in spatial_layers())
#: Each table and the spatial layer its records hang on.
TABLE_OWNER = {"units": "buildings", "leases": "buildings", "enterprises": "parcels",
               "enterprise_years": "parcels", "cases": "parcels", "case_events": "parcels"}
MODES = ("empty", "absent")
#: Zoom of the tile asked for (vector tiles are drawn from zoom 12).
TILE_ZOOM = 15


def subsets() -> list[tuple[str, ...]]:
    """Every subset of the spatial layers (2^6 = 64), smallest first."""
    return [combo for size in range(len(SPATIAL) + 1) for combo in itertools.combinations(SPATIAL, size)]


def park_id(kept: tuple[str, ...], mode: str) -> str:
    return f"{'+'.join(kept) or 'nothing'}/{mode}"


def rich_frames() -> dict[str, pd.DataFrame]:
    """The tiny park with a lease, a year of enterprise figures and a case, so every analysis has rows."""
    frames = tiny_frames()
    frames["leases"] = pd.DataFrame({"lease_id": ["L1"], "unit_id": ["U1"], "enterprise_id": ["E2"],
                                     "start": pd.to_datetime(["2025-01-01"]),
                                     "end": pd.to_datetime(["2027-12-31"])})
    frames["enterprise_years"] = pd.DataFrame({"record_id": ["Y1"], "enterprise_id": ["E1"], "year": [2025],
                                               "tax_wan": [120.0], "revenue_wan": [3000.0]})
    frames["cases"] = pd.DataFrame({"case_id": ["C1"], "parcel_id": ["P2"], "problem": ["idle_land"],
                                    "method": ["re_perform"], "status": ["in_progress"],
                                    "opened": pd.to_datetime(["2026-01-10"])})
    return frames


def park_frames(kept: tuple[str, ...], mode: str) -> dict[str, pd.DataFrame]:
    """The layers a park of ``kept`` spatial layers holds: full, or empty (``mode`` 'empty') for the others.

    With ``mode`` 'absent' the other layers are not in the result at all.
    """
    frames = rich_frames()
    out = {}
    for name in REGISTRY:
        if name == "audit_events":
            continue
        owner = TABLE_OWNER.get(name, name)
        if name in frames and owner in kept:
            out[name] = frames[name]
        elif mode == "empty":
            out[name] = _empty_like(name, frames)
    return out


def _empty_like(name: str, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Layer ``name`` with its columns (or only the id) and no rows."""
    spec = REGISTRY[name]
    if name in frames:
        return frames[name].iloc[:0]
    columns = {spec.id_field: pd.Series([], dtype=object)}
    if spec.is_table:
        return pd.DataFrame(columns)
    import geopandas as gpd

    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=WORKING_EPSG), crs=WORKING_EPSG)


def build_park(path: Path, kept: tuple[str, ...], mode: str) -> tuple[GeoPackageStore, dict[str, pd.DataFrame]]:
    """The park of ``kept`` spatial layers written to ``path``, and the frames it was written from."""
    frames = park_frames(kept, mode)
    store = GeoPackageStore(path)
    store.save_park(frames, TINY_META)
    return store, frames


# -- every GET a park answers ----------------------------------------------------------------------------


def park_tile(store: GeoPackageStore) -> tuple[int, int, int]:
    """A tile over the tiny park's middle (whatever the park holds)."""
    to_wgs84 = pyproj.Transformer.from_crs(WORKING_EPSG, 4326, always_xy=True)
    from tests.conftest import X0, Y0

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
}


#: Path values naming one layer: a route taking one reads that layer (and answers from its state alone).
LAYER_VALUES = {"layer", "record_id"}


def is_layer_route(rule) -> bool:
    """Whether ``rule`` serves one layer named in its path (exports, collections, edit forms, record history)."""
    return bool(LAYER_VALUES & set(rule.arguments)) or rule.endpoint == "exports.download"


def get_urls(app, store: GeoPackageStore, frames: dict[str, pd.DataFrame], *, layer_routes: bool | None = None
             ) -> Iterator[tuple[str, str]]:
    """(endpoint, url) for every GET route of ``app.url_map``, path values filled from the park's ``frames``.

    Routes with path values get one URL per layer, export format and record (the
    first record, or an id the park lacks); pages with a JSON twin or XLSX get those too.
    ``layer_routes``: only the routes of one layer (True), only the others (False), or all (None).
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
            for query in VARIANTS.get(rule.endpoint, ("",)):
                yield rule.endpoint, base + (query if "?" not in base else query.replace("?", "&"))


def _rule_values(rule, fillers, ids, downloads) -> Iterator[dict]:
    names = sorted(rule.arguments)
    choices = []
    for name in names:
        if name == "fmt":
            choices.append(list(downloads) if rule.endpoint == "exports.download" else (
                ["xlsx", "gpkg"] if rule.endpoint == "expansion.export_scenario" else ["csv", "json", "xlsx"]))
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


__all__ = ["MODES", "SPATIAL", "build_park", "get_urls", "park_frames", "park_id", "subsets", "shapely"]
