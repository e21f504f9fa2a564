"""What a park map draws: its layers as the register holds them now, whole or — drawn from tiles — only the fields
the page reads, and where the map opens.

A map whose layers go to the page as vector tiles needs no geometry in the page: the
tiles carry it. Its layers are then read field by field without geometry
(``ParkService.fields``) and the map opens on the store's extents, so a large park's
page loads no geometry at all. A smaller park's layers are loaded whole, as their
features go into the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import pandas as pd
from flask import Flask, current_app

from geo.maps import FOCUS, TileSettings, boxes_bounds, tiled_map_fields, tiles_needed
from geo.records import in_force
from layers.registry import get_layer
from layers.valid_time import HELD_NOW_FIELD
from web.park import park


def tile_settings(app: Flask | None = None) -> TileSettings:
    """The app's tile settings, for the map builders."""
    config = (app or current_app).config
    return TileSettings(threshold=int(config["TILE_FEATURE_THRESHOLD"]), min_zoom=int(config["TILE_MIN_ZOOM"]))


def map_layers(names: Sequence[str], tiles: TileSettings | None, *,
               also: Callable[[str], Iterable[str]] = lambda name: ()
               ) -> tuple[dict[str, pd.DataFrame], list[list[float]] | None]:
    """The layers ``names`` as the register holds them now (retired records, e.g. the parent of a split parcel,
    stay in history, not on the map), and where the map opens (None: on them).

    Drawn from tiles, each layer comes with the fields its tiled map and legend read (:func:`tiled_map_fields`)
    and those ``also(name)`` names, read once per layer; the map opens on the extents of :data:`FOCUS` (else of
    every layer) held now. Otherwise the layers come whole.
    """
    held = {HELD_NOW_FIELD: None}
    outlines = {name: in_force(park().fields(name, [*tiled_map_fields(get_layer(name)), HELD_NOW_FIELD,
                                                    *also(name)])) for name in names}
    if tiles_needed(outlines, tiles):
        crs = park().store.working_crs()
        start = boxes_bounds([park().extent(name, **values, **held) for name, values in FOCUS if name in names],
                             crs) or boxes_bounds([park().extent(name, **held) for name in names], crs)
        if start is not None:
            return outlines, start
    return {name: in_force(park().layer(name)) for name in names}, None


__all__ = ["map_layers", "tile_settings"]
