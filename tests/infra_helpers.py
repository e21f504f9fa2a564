"""Hand-built infrastructure layers for the readiness, road-network and clearance tests.

Coordinates are given in metres relative to the tiny park's origin (X0, Y0) in
its working CRS, EPSG:4549, so each test's geometry can be read off by hand.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely
import yaml

from layers.infra_rules import load_infra_rules
from layers.registry import get_layer
from layers.validate import validate_layer
from tests.conftest import WORKING_EPSG, X0, Y0


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def line(*points: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in points])


def point(x: float, y: float) -> shapely.Point:
    return shapely.Point(X0 + x, Y0 + y)


def layer(name: str, rows: list[dict]) -> gpd.GeoDataFrame:
    """A validated layer from rows of attributes, each with its ``geometry``."""
    frame = gpd.GeoDataFrame([{k: v for k, v in row.items() if k != "geometry"} for row in rows],
                             geometry=[row["geometry"] for row in rows], crs=WORKING_EPSG)
    typed, _ = validate_layer(frame, get_layer(name), source=f"test:{name}")
    return typed


def rules_with(tmp_path: Path, override: dict):
    """The default infrastructure rules with ``override`` (bare values) merged over them."""
    path = tmp_path / "override.infrastructure.yaml"
    path.write_text(yaml.safe_dump(override, allow_unicode=True), encoding="utf-8")
    return load_infra_rules(path)
