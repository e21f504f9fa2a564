"""Attributes taken out of encoded vector tiles (geo.mvt_fields): keys, tags and their values gone, the rest as it was."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
import shapely

from geo.mvt_fields import TileFormatError, layer_name, without_fields

OPTIONS = {"extents": 4096, "y_coord_down": True}


def _tile(*layers: dict) -> bytes:
    return mapbox_vector_tile.encode(list(layers), default_options=OPTIONS)


def _decoded(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


PARCELS = {"name": "parcels", "features": [
    {"geometry": shapely.box(10, 10, 200, 300), "properties": {"parcel_id": "P1", "land_use": "100101", "_layer": "parcels"}},
    {"geometry": shapely.box(300, 10, 900, 400), "properties": {"parcel_id": "P3", "land_use": "机密用地", "_layer": "parcels"}},
    {"geometry": shapely.box(1000, 10, 1200, 400), "properties": {"land_use": "100101"}},
]}
ROADS = {"name": "roads", "features": [
    {"geometry": shapely.LineString([(0, 0), (4000, 4000)]), "properties": {"road_id": "R1", "grade": "主干路",
                                                                            "land_use": "kept on roads"}},
]}


def test_hidden_keys_and_their_values_leave_the_tile_and_nothing_else_changes():
    tile = _tile(PARCELS, ROADS)
    stripped = without_fields(tile, {"parcels": ["land_use"]})
    before, after = _decoded(tile), _decoded(stripped)
    assert [f["properties"] for f in after["parcels"]["features"]] == [
        {"parcel_id": "P1", "_layer": "parcels"}, {"parcel_id": "P3", "_layer": "parcels"}, {}]
    for old, new in zip(before["parcels"]["features"], after["parcels"]["features"]):
        assert new["geometry"] == old["geometry"] and new["type"] == old["type"] and new.get("id") == old.get("id")
    assert after["roads"] == before["roads"]  # another layer with the same key keeps it
    assert "机密用地".encode() not in stripped and b"100101" not in stripped and b"land_use" in stripped  # roads'
    assert stripped.count(b"land_use") == 1


def test_values_shared_with_a_kept_key_stay_and_indexes_are_renumbered():
    layer = {"name": "parcels", "features": [
        {"geometry": shapely.Point(5, 5), "properties": {"a": "x", "secret": "x", "b": "y"}},
        {"geometry": shapely.Point(6, 6), "properties": {"secret": "s", "b": "x", "n": 7}},
    ]}
    after = _decoded(without_fields(_tile(layer), {"parcels": {"secret"}}))
    assert [f["properties"] for f in after["parcels"]["features"]] == [{"a": "x", "b": "y"}, {"b": "x", "n": 7}]


def test_a_tile_without_hidden_keys_comes_back_as_it_was():
    tile = _tile(PARCELS, ROADS)
    assert without_fields(tile, {"parcels": ["width_m"], "roads": []}) is tile  # not even copied
    assert without_fields(tile, {"zones": ["kind"]}) == tile
    assert without_fields(tile, {}) == tile
    assert without_fields(b"", {"parcels": ["land_use"]}) == b""


def test_every_attribute_hidden_leaves_features_without_tags():
    after = _decoded(without_fields(_tile(ROADS), {"roads": ["road_id", "grade", "land_use"]}))
    assert after["roads"]["features"][0]["properties"] == {}
    assert after["roads"]["features"][0]["geometry"] == _decoded(_tile(ROADS))["roads"]["features"][0]["geometry"]


def test_layer_names_and_bad_bytes():
    tile = _tile(PARCELS)
    layer = next(iter(mapbox_vector_tile.decode(tile)))
    assert layer == "parcels"
    # The first field of the tile is the layer: its payload starts after the key byte and the length varint.
    size_bytes = 2 if tile[1] & 0x80 else 1
    assert layer_name(tile[1 + size_bytes:]) == "parcels"
    for bad in (b"\x1a\xff", b"\x1a\x05ab", b"\x1b"):
        with pytest.raises(TileFormatError):
            without_fields(bad, {"parcels": ["land_use"]})
