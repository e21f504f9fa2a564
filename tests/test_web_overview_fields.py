"""The overview of a park drawn from tiles, from fields and extents alone (issue 18: the first page after a start
does not wait for whole layers).

The tiny park (3 parcels, P1 = box(0, 0, 100, 100), P2 = box(100, 0, 300, 100), P3 = box(0, 100, 100, 200) from
(X0, Y0)) is drawn from tiles when the tile threshold is 1. Its map must then be what the whole layers give — the
same tiled layers, palettes, labels and counts, the same legend, the same opening view up to the spatial index's
rounding — without any spatial layer being loaded whole in the request.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from conftest import TINY_META, X0, Y0, tiny_frames

from app import create_app
from geo.maps import TiledLayer, focus_layers, layers_bounds, legend, overview_map
from geo.records import in_force
from layers.registry import spatial_layers
from layers.store import GeoPackageStore
from layers.valid_time import HELD_NOW_FIELD
from service.park import ParkService
from web.map_layers import tile_settings
from web.pages import overview_layers
from web.park import park

#: 0.5 m (the R-tree's float32 rounding at these coordinates, see test_layers_store_fields) in degrees of latitude.
INDEX_ROUNDING_DEG = 0.5 / 111_000 * 1.01


def tiled_app(tiny_park, **config):
    return create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(tiny_park.path), "DATABASE_URL": None,
                       "TILE_FEATURE_THRESHOLD": 1, **config})


# -- the service --------------------------------------------------------------------------------------------


def test_fields_are_read_without_loading_the_layer_and_equal_its_own(tiny_park, loads):
    service = ParkService(tiny_park)
    fields = service.fields("parcels", ["land_use", HELD_NOW_FIELD, "contract_date"])
    assert [name for name, _ in loads] == []
    whole = service.layer("parcels")
    pd.testing.assert_frame_equal(fields, pd.DataFrame(whole[["land_use", HELD_NOW_FIELD, "contract_date"]]),
                                  check_exact=True)


def test_fields_kept_field_by_field_are_read_again_after_a_save(tiny_park, loads):
    service = ParkService(tiny_park)
    assert service.fields("parcels", ["status", "land_use"])["status"].tolist() == ["operating", "supplied", "planned"]
    assert service.fields("parcels", ["land_use"])["land_use"].tolist() == ["100101", "100102", "1101"]  # kept
    parcels = tiny_park.load("parcels")
    parcels.loc[parcels["parcel_id"] == "P3", "status"] = "supplied"
    tiny_park.save("parcels", parcels)
    assert service.fields("parcels", ["status"])["status"].tolist() == ["operating", "supplied", "supplied"]
    assert [name for name, _ in loads] == ["parcels"]  # the test's own load, none by the service


def test_extents_from_the_index_and_from_the_loaded_layer_agree(tiny_park):
    from_index = ParkService(tiny_park)
    from_layer = ParkService(tiny_park)
    from_layer.layer("parcels")  # loaded: the service measures the layer it holds
    for values, expected in (({}, (0, 0, 300, 200)), ({"parcel_id": "P3"}, (0, 100, 100, 200)),
                             ({"tenure": None}, (0, 100, 100, 200)), ({HELD_NOW_FIELD: None}, (0, 0, 300, 200))):
        exact = np.array(expected, dtype=float) + [X0, Y0, X0, Y0]
        assert from_layer.extent("parcels", **values) == tuple(exact)
        assert np.allclose(from_index.extent("parcels", **values), exact, atol=0.5, rtol=0)
    assert from_index.extent("parcels", parcel_id="P9") is None
    assert from_layer.extent("parcels", parcel_id="P9") is None


# -- the page -----------------------------------------------------------------------------------------------


def test_the_tiled_overview_loads_no_spatial_layer_whole_in_the_request(tiny_park, loads):
    app = tiled_app(tiny_park, BACKGROUND_PARCELS=0)  # the figures are computed in the background, not here
    response = app.test_client().get("/?lang=zh")
    assert response.status_code == 200
    assert "parkatlas.tileLayer(" in response.get_data(as_text=True)
    spatial = {spec.name for spec in spatial_layers()}
    here = threading.get_ident()
    assert [name for name, thread in loads if thread == here and name in spatial] == []


def test_a_small_park_drawn_inline_still_loads_its_layers(tiny_park, loads):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(tiny_park.path), "DATABASE_URL": None,
                      "BACKGROUND_PARCELS": 0})
    response = app.test_client().get("/?lang=zh")
    assert response.status_code == 200
    assert "parkatlas.tileLayer(" not in response.get_data(as_text=True)
    here = threading.get_ident()
    assert "parcels" in [name for name, thread in loads if thread == here]


def tiled_children(m) -> list[tuple]:
    return [(child.key, child.url, child.client_spec, child.n_features) for child in m._children.values()
            if isinstance(child, TiledLayer)]


@pytest.fixture(params=["gpkg", "postgis"])
def retired_p2(request, tiny_park):
    """The tiny park with P2 retired, in each store, and the config of an app over it."""
    store, config = tiny_park, {}
    if request.param == "postgis":
        store = request.getfixturevalue("postgis_store")
        store.save_park(tiny_frames(), TINY_META)
        config = {"DATABASE_URL": f"{store.url}?schema={store.schema}",
                  "TILE_CACHE_PATH": str(tiny_park.path.with_name("postgis.tiles.sqlite"))}
    parcels = store.load("parcels")  # P2 retired: it leaves the map and its opening view
    parcels.loc[parcels["parcel_id"] == "P2", HELD_NOW_FIELD] = pd.Timestamp("2026-01-05")
    store.save("parcels", parcels)
    return config


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_map_from_fields_is_the_map_from_whole_layers(tiny_park, retired_p2, lang):
    app = tiled_app(tiny_park, **retired_p2)
    with app.test_request_context(f"/?lang={lang}"):
        tiles = tile_settings()
        outlines, start = overview_layers(tiles)
        whole = {spec.name: in_force(park().layer(spec.name)) for spec in spatial_layers()}
        from_fields = overview_map(outlines, lang=lang, tiles=tiles, start_bounds=start)
        from_layers = overview_map(whole, lang=lang, tiles=tiles)
        assert "geometry" not in outlines["parcels"]
        assert len(outlines["parcels"]) == 2
        assert tiled_children(from_fields) == tiled_children(from_layers)
        assert len(tiled_children(from_fields)) == len([name for name, frame in whole.items() if len(frame)])
        assert legend(outlines, lang=lang) == legend(whole, lang=lang)
        expected = layers_bounds(focus_layers(whole))
        assert np.allclose(from_fields.start_bounds, expected, atol=INDEX_ROUNDING_DEG, rtol=0)
        # Opened on P1 and P3 (and the park boundary), not on the retired P2 east of them.
        assert from_fields.start_bounds == start


def test_the_tiled_overview_of_a_park_whose_parcels_are_edited_outside_validates_them(tiny_park):
    from test_layers_store_fields import outside_edit

    client = tiled_app(tiny_park).test_client()
    assert client.get("/?lang=zh").status_code == 200
    outside_edit(tiny_park, "UPDATE parcels SET status = 'bogus' WHERE parcel_id = 'P2'")  # while it serves
    response = client.get("/?lang=zh")
    assert response.status_code == 503  # as every page of a park that no longer validates says
    assert "园区数据（地块图层）当前无法使用" in response.get_data(as_text=True)  # the layer by its Chinese name


# -- a layer read does not hold the park up ---------------------------------------------------------------


def test_a_slow_layer_read_does_not_hold_up_other_questions_and_is_made_once(tiny_park, monkeypatch):
    service = ParkService(tiny_park)
    started, release = threading.Event(), threading.Event()
    reads = []
    real = type(tiny_park).load

    def slow(self, name, **kwargs):
        reads.append(name)
        if name == "parcels":
            started.set()
            assert release.wait(10)
        return real(self, name, **kwargs)

    monkeypatch.setattr(type(tiny_park), "load", slow)
    got = []
    readers = [threading.Thread(target=lambda: got.append(service.layer("parcels"))) for _ in range(2)]
    for reader in readers:
        reader.start()
    assert started.wait(10)
    # While the parcels are being read: the version, another layer's fields and another layer answer.
    assert service.version() == tiny_park.version()
    assert service.fields("roads", ["status"])["status"].notna().all()
    assert len(service.layer("zones")) == len(tiny_park.load("zones"))
    assert all(reader.is_alive() for reader in readers)
    release.set()
    for reader in readers:
        reader.join(10)
    assert [len(frame) for frame in got] == [3, 3]
    assert reads.count("parcels") == 1  # the second asker waited for the first read and took it
    assert service.layer("parcels") is got[0]


def test_fields_read_while_the_park_is_written_are_all_read_again(tiny_park, monkeypatch):
    service = ParkService(tiny_park)
    assert service.fields("parcels", ["land_use"])["land_use"].tolist() == ["100101", "100102", "1101"]  # kept
    real = GeoPackageStore.load_fields
    asked = []

    def written_meanwhile(self, name, fields):
        asked.append(list(fields))
        if len(asked) == 1:  # a save lands after the service looked at the version, before this read
            parcels = real_load(self, "parcels")
            parcels.loc[parcels["parcel_id"] == "P1", ["status", "land_use"]] = ["supplied", "100102"]
            self.save("parcels", parcels)
        return real(self, name, fields)

    real_load = GeoPackageStore.load
    monkeypatch.setattr(GeoPackageStore, "load_fields", written_meanwhile)
    both = service.fields("parcels", ["land_use", "status"])
    # Not the kept land use of before the save beside the status of after it: both fields of after the save.
    assert asked == [["status"], ["land_use", "status"]]
    assert both["land_use"].tolist() == ["100102", "100102", "1101"]
    assert both["status"].tolist() == ["supplied", "supplied", "planned"]


def test_records_with_values_are_selected_as_the_stores_extent_selects_them():
    from geo.records import with_values

    frame = pd.DataFrame({"kind": pd.array(["park_boundary", None, "flood"], dtype="string"),
                          "retired_on": pd.to_datetime([None, None, "2025-01-01"]).astype("datetime64[ms]")})
    assert with_values(frame, {}).tolist() == [True, True, True]
    assert with_values(frame, {"kind": "park_boundary"}).tolist() == [True, False, False]  # an empty kind is not it
    assert with_values(frame, {"kind": None}).tolist() == [False, True, False]
    assert with_values(frame, {HELD_NOW_FIELD: None}).tolist() == [True, True, False]
    assert with_values(frame, {"kind": "flood", HELD_NOW_FIELD: None}).tolist() == [False, False, False]
