"""Few-record reads of a PostGIS park (``read_rows``, ``read_events``) through psycopg, and a change's transactions on
the writer lock's own connection: the same frames as the Arrow (ADBC) path of ``load``, at the cost of a statement.

Every test runs against a real PostgreSQL + PostGIS (the ``postgis_store`` fixture), on the tiny park of
tests/conftest.py with awkward records put in; the expected frames are ``load``'s (read through Arrow) filtered.
"""

from __future__ import annotations

import threading

import pandas as pd
import pytest
import shapely
from conftest import TINY_META, X0, Y0, tiny_frames
from conftest_postgis import psql
from test_postgis_rows import typed

from layers import postgis_arrow
from layers.audit import number_events
from layers.postgis import FEW_ROWS_MAX
from layers.registry import REGISTRY
from layers.store import ParkStoreError, empty_frame

#: Texts a CSV, COPY or binary transfer could get wrong.
AWKWARD_TEXTS = ["一号地块（改）\n第二行", 'quote " and \\ backslash', "NA", "‘’", "null", "inner  spaces  kept",
                 "emoji 🏭 and tab\tend"]


@pytest.fixture
def park_pg(postgis_store):
    """The tiny park, in PostGIS."""
    postgis_store.save_park(tiny_frames(), TINY_META)
    return postgis_store


def awkward_parcels(store) -> pd.DataFrame:
    """Parcels A0…A6: every kind of value, empty ones, multipolygons and a polygon with a hole."""
    base = store.load("parcels").iloc[[0] * len(AWKWARD_TEXTS)].reset_index(drop=True)
    base["parcel_id"] = [f"A{i}" for i in range(len(AWKWARD_TEXTS))]
    base["name"] = AWKWARD_TEXTS
    base["area_name"] = [None, "拓展区", None, "一期", None, "二期", None]
    base["land_price_wan"] = [0.1, None, 1e308, 5e-324, 123456789.123456789, 0.0, 2.0 ** 53 + 2]
    base["far_max"] = [None] * len(AWKWARD_TEXTS)
    base["site_levelled"] = pd.array([True, False, None, True, None, False, True], dtype="boolean")
    base["contract_date"] = pd.to_datetime(["1900-01-01", None, "2999-12-31", "2024-02-29", None, "1970-01-01",
                                            "2026-06-30"])
    hole = shapely.Polygon([(X0, Y0), (X0 + 90, Y0), (X0 + 90, Y0 + 90), (X0, Y0 + 90)],
                           [[(X0 + 10, Y0 + 10), (X0 + 20, Y0 + 10), (X0 + 20, Y0 + 20), (X0 + 10, Y0 + 20)]])
    multi = shapely.MultiPolygon([shapely.box(X0 + 0.125, Y0, X0 + 50.5, Y0 + 50),
                                  shapely.box(X0 + 60, Y0 + 1 / 3, X0 + 99.999999, Y0 + 50)])
    base["geometry"] = [hole, multi, shapely.box(X0, Y0, X0 + 1e-3, Y0 + 1e-3), multi, hole, multi,
                        shapely.box(X0 + 1 / 7, Y0 + 2 / 7, X0 + 3 / 7, Y0 + 4 / 7)]
    return typed(store, "parcels", base)


def awkward_events(store) -> pd.DataFrame:
    """Events of change C1 on parcels A0…A6: texts, empty values, a date, positions 1…7."""
    n = len(AWKWARD_TEXTS)
    frame = pd.DataFrame({
        "change_id": "C1", "at": "2026-06-30T08:00:00.000000+00:00", "date": pd.Timestamp("2026-06-30"),
        "user": "规划员", "action": "update", "op": "update", "layer": "parcels",
        "record_id": [f"A{i}" for i in range(n)], "field": "name", "old_value": [None, *AWKWARD_TEXTS[1:]],
        "new_value": list(reversed(AWKWARD_TEXTS)), "reason": ["原因\n两行", *[None] * (n - 1)], "undoes": None,
    })
    return typed(store, "audit_events", number_events(frame, start_seq=1))


def assert_same_frames(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal values, dtypes, columns, index; geometries equal byte for byte (not only as shapes)."""
    assert list(got.dtypes.astype(str)) == list(expected.dtypes.astype(str))
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    if "geometry" in expected.columns:
        assert got.crs == expected.crs
        assert list(shapely.to_wkb(got.geometry.to_numpy())) == list(shapely.to_wkb(expected.geometry.to_numpy()))


def loaded(store, name: str, column: str, values) -> pd.DataFrame:
    whole = store.load(name)
    return whole[whole[column].isin(list(values)).to_numpy()].reset_index(drop=True)


@pytest.fixture
def awkward_pg(park_pg):
    park_pg.save_rows({}, {"parcels": awkward_parcels(park_pg)}, awkward_events(park_pg))
    return park_pg


@pytest.fixture
def arrow_reads(monkeypatch):
    """Counts the reads that go through the ADBC driver."""
    calls = []
    read = postgis_arrow.ArrowReader.read

    def counted(self, conn, query):
        calls.append(query)
        return read(self, conn, query)

    monkeypatch.setattr(postgis_arrow.ArrowReader, "read", counted)
    return calls


def test_a_few_records_read_as_load_reads_them_without_the_driver(awkward_pg, arrow_reads):
    ids = [f"A{i}" for i in range(len(AWKWARD_TEXTS))]
    expected = loaded(awkward_pg, "parcels", "parcel_id", ids)
    assert len(arrow_reads) == 1  # load went through Arrow
    got = awkward_pg.read_rows("parcels", ids)
    assert len(arrow_reads) == 1  # read_rows did not
    assert_same_frames(got, expected)
    assert got["name"].tolist() == AWKWARD_TEXTS
    assert got["land_price_wan"].iloc[3] == 5e-324 and got["land_price_wan"].iloc[6] == 2.0 ** 53 + 2
    assert got["area_name"].isna().tolist() == [True, False, True, False, True, False, True]
    assert list(got.geometry.geom_type) == ["Polygon", "MultiPolygon", "Polygon", "MultiPolygon", "Polygon",
                                            "MultiPolygon", "Polygon"]


def test_events_read_as_the_loaded_log_holds_them(awkward_pg, arrow_reads):
    expected = loaded(awkward_pg, "audit_events", "change_id", ["C1"])
    by_change = awkward_pg.read_events(change_ids=["C1"])
    by_record = awkward_pg.read_events(records=[("parcels", f"A{i}") for i in range(len(AWKWARD_TEXTS))])
    assert len(arrow_reads) == 1
    assert_same_frames(by_change, expected)
    assert_same_frames(by_record, expected)
    assert by_change["reason"].iloc[0] == "原因\n两行" and pd.isna(by_change["old_value"].iloc[0])
    assert by_change["seq"].tolist() == [1, 2, 3, 4, 5, 6, 7]


def test_events_stored_out_of_log_order_are_read_in_log_order(awkward_pg):
    log = awkward_pg.load("audit_events")
    awkward_pg.save_layers({"audit_events": log.iloc[::-1].reset_index(drop=True)})  # the log rewritten backwards
    got = awkward_pg.read_events(change_ids=["C1"])
    assert got["seq"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert list(got.index) == [0, 1, 2, 3, 4, 5, 6]
    assert_same_frames(got, log)
    assert awkward_pg.read_events(records=[("parcels", "A3"), ("parcels", "A1")])["seq"].tolist() == [2, 4]


def test_an_untrusted_layer_is_validated_the_same_way(awkward_pg, arrow_reads):
    psql(awkward_pg, "UPDATE {}.{} SET name = '  改  ' WHERE parcel_id = 'A1'", awkward_pg.schema, "parcels")
    assert not awkward_pg.is_trusted("parcels")
    got = awkward_pg.read_rows("parcels", ["A1", "A2"])
    assert_same_frames(got, loaded(awkward_pg, "parcels", "parcel_id", ["A1", "A2"]))
    assert got["name"].tolist() == ["改", "NA"]


def test_no_record_found_reads_an_empty_typed_frame(awkward_pg, arrow_reads):
    crs = awkward_pg.working_crs()
    assert_same_frames(awkward_pg.read_rows("parcels", ["nope"]), empty_frame(REGISTRY["parcels"], crs))
    assert_same_frames(awkward_pg.read_events(change_ids=["nope"]), empty_frame(REGISTRY["audit_events"], crs))
    assert arrow_reads == []


@pytest.mark.parametrize(("count", "through_arrow"), [(FEW_ROWS_MAX, 0), (FEW_ROWS_MAX + 1, 1)])
def test_more_rows_than_a_few_are_read_through_the_driver(park_pg, arrow_reads, count, through_arrow):
    base = park_pg.load("parcels").iloc[[0] * count].reset_index(drop=True)
    base["parcel_id"] = [f"M-{i:04d}" for i in range(count)]
    base["name"] = [f"第{i}块" for i in range(count)]
    park_pg.save_rows({}, {"parcels": typed(park_pg, "parcels", base)}, empty_frame(REGISTRY["audit_events"],
                                                                                     park_pg.working_crs()))
    arrow_reads.clear()
    got = park_pg.read_rows("parcels", [], id_prefixes=["M-"])
    assert len(arrow_reads) == through_arrow
    assert len(got) == count
    assert_same_frames(got, loaded(park_pg, "parcels", "parcel_id", base["parcel_id"]))


def test_a_column_retyped_outside_the_store_reads_as_load_reads_it(awkward_pg, arrow_reads):
    psql(awkward_pg, "ALTER TABLE {}.{} ALTER COLUMN land_price_wan TYPE numeric", awkward_pg.schema, "parcels")
    psql(awkward_pg, "ALTER TABLE {}.{} ALTER COLUMN name TYPE varchar(200)", awkward_pg.schema, "parcels")
    got = awkward_pg.read_rows("parcels", ["A0", "A4"])
    assert len(arrow_reads) == 1  # not of its registry type: read as load reads it
    assert_same_frames(got, loaded(awkward_pg, "parcels", "parcel_id", ["A0", "A4"]))
    assert got["land_price_wan"].tolist()[0] == 0.1


def test_a_park_without_its_trust_table_reads_through_the_general_path(awkward_pg):
    psql(awkward_pg, "DROP TABLE {}.{}", awkward_pg.schema, "parkatlas_trust")
    got = awkward_pg.read_rows("parcels", ["A0"])
    assert_same_frames(got, loaded(awkward_pg, "parcels", "parcel_id", ["A0"]))


def test_a_dropped_layer_is_still_named_missing(awkward_pg):
    psql(awkward_pg, "DROP TABLE {}.{}", awkward_pg.schema, "parcels")
    with pytest.raises(ParkStoreError, match="parcels"):
        awkward_pg.read_rows("parcels", ["A0"])


# -- the writer lock's connection -------------------------------------------------------------------------------


def backend(store) -> int:
    with store.connection() as conn:
        return conn.execute("SELECT pg_backend_pid()").fetchone()[0]


def lock_holders(store) -> set[int]:
    """Backends holding a session advisory lock (the writer lock), seen from a connection of its own."""
    import psycopg

    with psycopg.connect(store.url, autocommit=True) as conn:
        return {row[0] for row in conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted")}


def test_the_writer_lock_holder_transacts_on_the_lock_connection(park_pg):
    outside = backend(park_pg)
    with park_pg.write_lock():
        holder = lock_holders(park_pg)
        assert len(holder) == 1
        assert {backend(park_pg)} == holder
        with park_pg.connection() as conn:
            assert {conn.execute("SELECT pg_backend_pid()").fetchone()[0]} == holder
            assert backend(park_pg) not in holder  # a transaction begun inside another: a pooled connection
        others = []
        thread = threading.Thread(target=lambda: others.append(backend(park_pg)))
        thread.start()
        thread.join()
        assert others and others[0] not in holder
    assert lock_holders(park_pg) == set()
    assert backend(park_pg) in {outside, *holder}  # pooled again


def test_a_failed_transaction_on_the_lock_connection_rolls_back_and_keeps_the_lock(park_pg):
    version = park_pg.version()
    with park_pg.write_lock():
        with pytest.raises(RuntimeError, match="refused"), park_pg.connection() as conn:
            conn.execute(park_pg._sql("UPDATE {}.{} SET name = 'x'", park_pg.schema, "parcels"))
            raise RuntimeError("refused")
        with pytest.raises(Exception, match="division by zero"), park_pg.connection() as conn:
            conn.execute("SELECT 1 / 0")
        assert len(lock_holders(park_pg)) == 1
        assert park_pg.read_rows("parcels", ["P1"])["name"].tolist() == ["一号地块 <b>"]
        assert park_pg.version() == version
    assert park_pg.load("parcels")["name"].tolist()[0] == "一号地块 <b>"
    assert lock_holders(park_pg) == set()


def test_a_change_in_place_takes_one_connection_from_the_pool(park_pg, monkeypatch):
    from psycopg_pool import ConnectionPool

    from layers import audit

    store = audit.AuditedStore(park_pg)
    store.read_meta()  # the pool open
    taken = []
    getconn = ConnectionPool.getconn
    monkeypatch.setattr(ConnectionPool, "getconn", lambda pool, *a, **k: taken.append(1) or getconn(pool, *a, **k))

    def build(current, trail):
        frame = current["parcels"].copy()
        frame["name"] = "新名"
        return {"parcels": frame}

    events = store.commit_change("update", build, layers=["parcels"], scope=audit.Scope.of("parcels", "P2"))
    assert len(taken) == 1  # the lock's: the layers looked up, the records and events read and written on it
    assert events.loc[events["field"] == "name", "new_value"].tolist() == ["新名"]
    assert park_pg.read_rows("parcels", ["P2"])["name"].tolist() == ["新名"]


# -- the park service's record reads ---------------------------------------------------------------------------


def test_the_service_reads_records_as_its_layers_hold_them_without_asking_which_layers_there_are(park_pg,
                                                                                                   monkeypatch):
    from layers.audit import AuditedStore
    from service.park import ParkService

    service = ParkService(AuditedStore(park_pg))
    asked = []
    monkeypatch.setattr(type(park_pg), "layer_names", lambda store: asked.append(1) or [])
    crs = park_pg.working_crs()
    assert_same_frames(service.records("leases", ["L1"]), empty_frame(REGISTRY["leases"], crs))  # the park lacks it
    assert_same_frames(service.events(records=[("parcels", "P1")]), empty_frame(REGISTRY["audit_events"], crs))
    assert_same_frames(service.records("parcels", ["P2"]), loaded(park_pg, "parcels", "parcel_id", ["P2"]))
    assert asked == []
