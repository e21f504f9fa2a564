"""A loaded layer keeps nothing of the record batches GDAL handed over (layers.store._text_copied)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from layers.store import _text_copied


def buffer_addresses(column: pa.ChunkedArray) -> set[int]:
    return {buffer.address for chunk in column.chunks for buffer in chunk.buffers() if buffer is not None}


def batches() -> pa.Table:
    # Two record batches, as GDAL hands a layer over: text (one null), large text, a number and WKB bytes.
    first = pa.record_batch({"name": pa.array(["东区", None]), "code": pa.array(["C26", "C27"], pa.large_string()),
                             "floors": pa.array([3, 5]), "wkb": pa.array([b"\x01", b"\x02"])})
    second = pa.record_batch({"name": pa.array(["西区"]), "code": pa.array(["C30"], pa.large_string()),
                              "floors": pa.array([1]), "wkb": pa.array([b"\x03"])})
    return pa.Table.from_batches([first, second])


def test_text_columns_are_copied_into_one_chunk_with_the_same_values():
    table = batches()
    copied = _text_copied(table)
    assert copied.equals(table)
    assert copied.schema == table.schema
    for name in ("name", "code"):
        assert copied.column(name).num_chunks == 1
        assert copied.column(name).to_pylist() == table.column(name).to_pylist()
        # No buffer of the batches is shared: they can be freed once the frame is made.
        assert not buffer_addresses(copied.column(name)) & buffer_addresses(table.column(name)), name


def test_other_columns_are_left_as_they_are():
    table = batches()
    copied = _text_copied(table)
    for name in ("floors", "wkb"):  # converted by pandas (numbers) or read once (geometries): not copied here
        assert copied.column(name).num_chunks == 2
        assert buffer_addresses(copied.column(name)) == buffer_addresses(table.column(name)), name


def test_a_table_without_batches_stays_empty_and_typed():
    table = pa.table({"name": pa.chunked_array([], pa.string()), "floors": pa.chunked_array([], pa.int64())})
    copied = _text_copied(table)
    assert copied.num_rows == 0 and copied.schema == table.schema


def test_layers_read_through_gdal_have_their_text_copied_a_few_rows_read_through_sqlite_not(tiny_park, monkeypatch):
    # GDAL's batches are what the copy lets go of; the few records of an edit are read through SQLite into
    # Arrow's own memory already (and a copy would cost ~0.3 ms a read).
    import layers.store as store_module

    copied = []

    def spy(table):
        copied.append(table.num_rows)
        return _text_copied(table)

    monkeypatch.setattr(store_module, "_text_copied", spy)
    parcels = tiny_park.load("parcels")
    assert copied == [len(parcels)] and len(parcels) > 0
    fields = tiny_park.load_fields("parcels", ["parcel_id", "status"])
    assert fields is not None and copied == [len(parcels), len(parcels)]
    pd.testing.assert_series_equal(fields["parcel_id"], parcels["parcel_id"])
    one = tiny_park.read_rows("parcels", [parcels["parcel_id"].iloc[0]])
    assert len(one) == 1 and len(copied) == 2
