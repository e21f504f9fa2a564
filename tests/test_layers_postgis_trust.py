"""Trusted loads of a PostGIS park: a layer the store validated and nothing changed since is only cast;
an edit made with psql (or any client) is counted by the table's trigger and the layer validated again."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import TINY_META, tiny_frames
from conftest_postgis import psql

import layers.postgis as postgis_module
from layers.postgis import EDIT_TRIGGER, STATE_TABLE, TRUST_TABLE
from layers.registry import REGISTRY
from layers.store import checked_frame
from layers.validate import LayerValidationError


@pytest.fixture
def tiny_pg(postgis_store):
    postgis_store.save_park(tiny_frames(), TINY_META)
    return postgis_store


@pytest.fixture
def validations(monkeypatch):
    """Names of the layers the store validated value by value while loading."""
    seen = []

    def counting(name, frame, crs, *, source):
        seen.append(name)
        return checked_frame(name, frame, crs, source=source)

    monkeypatch.setattr(postgis_module, "checked_frame", counting)
    return seen


def test_an_untouched_layer_loads_trusted_and_equal_to_a_full_validation(tiny_pg, validations):
    crs = tiny_pg.working_crs()
    for name in tiny_frames():
        assert tiny_pg.is_trusted(name)
        loaded = tiny_pg.load(name)
        with tiny_pg.connection() as conn:
            raw = tiny_pg._read_table(conn, REGISTRY[name], crs.to_epsg(), None)
        pd.testing.assert_frame_equal(loaded, checked_frame(name, raw, crs, source="x"), check_exact=True)
    assert validations == []


def test_a_value_changed_with_psql_is_validated_and_reported(tiny_pg, validations):
    psql(tiny_pg, "UPDATE {}.{} SET status = 'bogus' WHERE parcel_id = 'P3'", tiny_pg.schema, "parcels")
    assert not tiny_pg.is_trusted("parcels")
    assert tiny_pg.is_trusted("buildings")
    with pytest.raises(LayerValidationError) as caught:
        tiny_pg.load("parcels")
    assert [(p.record, p.field, p.value) for p in caught.value.problems] == [
        ("row 3 (parcel_id=P3)", "status", "bogus")]
    assert validations == ["parcels"]


def test_an_edit_with_the_trigger_disabled_is_not_trusted(tiny_pg, validations):
    psql(tiny_pg, "ALTER TABLE {}.{} DISABLE TRIGGER {}", tiny_pg.schema, "roads", EDIT_TRIGGER)
    psql(tiny_pg, "UPDATE {}.{} SET name = '  改名路  '", tiny_pg.schema, "roads")
    assert not tiny_pg.is_trusted("roads")
    assert set(tiny_pg.load("roads")["name"]) == {"改名路"}  # stripped: validation ran
    assert validations == ["roads"]


def test_a_column_dropped_with_psql_gets_the_layer_validated(tiny_pg, validations):
    psql(tiny_pg, "ALTER TABLE {}.{} DROP COLUMN parcel_id", tiny_pg.schema, "parcels")  # DDL fires no trigger
    parcels = tiny_pg.load("parcels")
    assert validations == ["parcels"]
    assert list(parcels["parcel_id"]) == ["AUTO-parcels-1", "AUTO-parcels-2", "AUTO-parcels-3"]


def test_truncate_and_insert_are_counted(tiny_pg):
    psql(tiny_pg, "TRUNCATE {}.{}", tiny_pg.schema, "units")
    assert not tiny_pg.is_trusted("units")
    psql(tiny_pg, "INSERT INTO {}.{} (enterprise_id, name) VALUES ('E9', '丙公司')", tiny_pg.schema, "enterprises")
    assert not tiny_pg.is_trusted("enterprises")


def test_saves_through_the_store_stamp_and_appends_keep_trust_only_where_there_was_trust(tiny_pg, validations):
    more = tiny_frames()["enterprises"].assign(enterprise_id=lambda f: f["enterprise_id"] + "-2")
    tiny_pg.save_layers({"enterprises": more}, append=("enterprises",))
    assert tiny_pg.is_trusted("enterprises")
    psql(tiny_pg, "UPDATE {}.{} SET name = 'outside' WHERE enterprise_id = 'E1'", tiny_pg.schema, "enterprises")
    again = more.assign(enterprise_id=lambda f: f["enterprise_id"] + "-3")
    tiny_pg.save_layers({"enterprises": again}, append=("enterprises",))
    assert not tiny_pg.is_trusted("enterprises")  # the outside edit was never validated
    validations.clear()  # the saves validated their rows
    replaced = tiny_pg.load("enterprises")
    assert validations == ["enterprises"] and len(replaced) == 3 * len(more)
    tiny_pg.save("enterprises", replaced)
    assert tiny_pg.is_trusted("enterprises")


def test_a_park_of_layout_1_loads_validated_until_each_layer_is_saved(tiny_pg, validations):
    psql(tiny_pg, "DROP TABLE {}.{}", tiny_pg.schema, TRUST_TABLE)
    psql(tiny_pg, "DROP FUNCTION {}.{}() CASCADE", tiny_pg.schema, EDIT_TRIGGER)  # and the triggers
    psql(tiny_pg, "UPDATE {}.{} SET layout_version = 1", tiny_pg.schema, STATE_TABLE)
    assert not tiny_pg.is_trusted("parcels")
    assert len(tiny_pg.load("parcels")) == 3
    assert validations == ["parcels"]
    assert tiny_pg.migrate() is True
    assert not tiny_pg.is_trusted("parcels")  # no trigger was on it while it could be edited
    tiny_pg.save("parcels", tiny_pg.load("parcels"))
    assert tiny_pg.is_trusted("parcels") and not tiny_pg.is_trusted("roads")
