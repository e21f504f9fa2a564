"""SQLite connections to a park reused across reads and writes in place (layers.gpkg_rows.reader / transaction):
reused only while the file at the path is the one they opened, never with a transaction left open, and every
read sees what any other writer (another process) committed."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

from layers import gpkg_rows
from layers.gpkg_blob import register_functions

ROOT = Path(__file__).resolve().parents[1]


def name_of(conn: sqlite3.Connection, parcel_id: str) -> str:
    return conn.execute("SELECT name FROM parcels WHERE parcel_id = ?", (parcel_id,)).fetchone()[0]


def rename_outside(path, parcel_id: str, name: str) -> None:
    """Another process writes the park (plain SQLite, as QGIS or a command-line tool would)."""
    code = ("import sqlite3, sys; from layers.gpkg_blob import register_functions; "
            "c = register_functions(sqlite3.connect(sys.argv[1])); "
            "c.execute('UPDATE parcels SET name = ? WHERE parcel_id = ?', (sys.argv[3], sys.argv[2])); c.commit()")
    subprocess.run([sys.executable, "-c", code, str(path), parcel_id, name], check=True, cwd=ROOT)


def test_a_reader_is_reused_and_still_sees_another_processs_writes(tiny_park):
    path = tiny_park.path
    with gpkg_rows.reader(path) as first:
        before = name_of(first, "P1")
    rename_outside(path, "P1", "外部改名")
    with gpkg_rows.reader(path) as second:
        assert second is first  # the same connection (no schema parsed again)
        assert name_of(second, "P1") == "外部改名" != before


def test_a_park_swapped_in_is_read_through_a_new_connection(tiny_park, tmp_path):
    path = tiny_park.path
    with gpkg_rows.reader(path) as old:
        assert name_of(old, "P2") != "换入的"
    replacement = tmp_path / "replacement.gpkg"
    shutil.copy(path, replacement)
    with closing(register_functions(sqlite3.connect(replacement))) as conn:
        conn.execute("UPDATE parcels SET name = '换入的' WHERE parcel_id = 'P2'")
        conn.commit()
    os.replace(replacement, path)  # as a whole-park save swaps its copy in (a new inode)
    with gpkg_rows.reader(path) as new:
        assert new is not old
        assert name_of(new, "P2") == "换入的"


def test_a_connection_opened_while_a_park_is_swapped_in_is_not_taken_for_the_file_before(tiny_park, tmp_path,
                                                                                          monkeypatch):
    # A new connection was kept under the inode found at the path before it was opened. When a save swapped its
    # copy in between, the connection read the new file but was kept as one of the file before, and handed out
    # when a file with that inode number was at the path again: the file before moved back, or any later file
    # (ext4 gives a freed number to the next file made) — a read of a file no longer there.
    path = tiny_park.path
    before = tmp_path / "before.gpkg"
    os.link(path, before)  # the file at the path now, kept under another name with its inode
    replacement = tmp_path / "replacement.gpkg"
    shutil.copy(path, replacement)
    with closing(register_functions(sqlite3.connect(replacement))) as conn:
        conn.execute("UPDATE parcels SET name = '换入的' WHERE parcel_id = 'P2'")
        conn.commit()
    opening, swaps = gpkg_rows._open, []

    def swap_then_open(at, *, writer):
        os.replace(replacement, path)  # a whole-park save swaps its copy in just between the look and the open
        swaps.append(at)
        return opening(at, writer=writer)

    monkeypatch.setattr(gpkg_rows, "_open", swap_then_open)
    with gpkg_rows.reader(path) as across:
        assert name_of(across, "P2") == "换入的"
    monkeypatch.undo()
    assert len(swaps) == 1  # (a new connection was opened, across the swap)
    os.replace(before, path)  # the file before is back at the path, with its inode number
    with gpkg_rows.reader(path) as after:
        assert after is not across
        assert name_of(after, "P2") != "换入的"


def test_a_connection_left_in_a_transaction_or_raising_is_closed_not_reused(tiny_park):
    path = tiny_park.path
    with gpkg_rows.reader(path) as left_open:
        left_open.execute("BEGIN")
        name_of(left_open, "P1")
    with gpkg_rows.reader(path) as after_open:
        assert after_open is not left_open
        assert not after_open.in_transaction
    with pytest.raises(ZeroDivisionError), gpkg_rows.reader(path) as raising:
        name_of(raising, "P1")
        1 / 0  # noqa: B018 - the block fails
    with gpkg_rows.reader(path) as after_error:
        assert after_error is not raising
    with pytest.raises(sqlite3.ProgrammingError):  # closed: nobody can use it by mistake
        raising.execute("SELECT 1")


def test_a_write_that_fails_is_rolled_back_and_the_next_one_commits(tiny_park):
    path = tiny_park.path
    with gpkg_rows.reader(path) as conn:
        before = name_of(conn, "P3")
    with pytest.raises(RuntimeError), gpkg_rows.transaction(path) as failing:
        failing.execute("UPDATE parcels SET name = '写到一半' WHERE parcel_id = 'P3'")
        raise RuntimeError("the change fails half way")
    with gpkg_rows.reader(path) as conn:
        assert name_of(conn, "P3") == before
    with gpkg_rows.transaction(path) as writer:
        assert writer is not failing
        writer.execute("UPDATE parcels SET name = '写完' WHERE parcel_id = 'P3'")
    with gpkg_rows.transaction(path) as again:
        assert again is writer  # a clean write's connection is reused
    with gpkg_rows.reader(path) as conn:
        assert name_of(conn, "P3") == "写完"


def test_at_most_the_configured_number_of_idle_connections_is_kept(tiny_park, monkeypatch):
    monkeypatch.setattr(gpkg_rows, "IDLE_CONNECTIONS", 2)
    path = tiny_park.path
    with gpkg_rows.reader(path) as a, gpkg_rows.reader(path) as b, gpkg_rows.reader(path) as c:
        opened = {id(a), id(b), id(c)}
        assert len(opened) == 3  # three blocks at once: three connections
    with gpkg_rows.reader(path) as x, gpkg_rows.reader(path) as y, gpkg_rows.reader(path) as z:
        reused = {id(x), id(y), id(z)} & opened
    assert len(reused) == 2  # two were kept idle; the third was closed


#: Longer than sqlite3's default busy timeout (5 s), which readers had: a commit held up this long refused them.
SLOW_COMMIT_S = 5.5


def test_a_reader_waits_for_a_slow_commit_as_a_writer_waits_for_readers(tiny_park):
    # A commit holds SQLite's lock while it waits for the readers already in and syncs the file (seconds on a
    # stalled disk); a record read behind it failed after 5 s ("database is locked": the edit form answered 500).
    path = tiny_park.path
    tiny_park.read_rows("parcels", ["P1"])
    locked, ends = threading.Event(), threading.Event()

    def slow_commit():  # (under the park's writer lock, as every write in place)
        with tiny_park.write_lock(), closing(register_functions(sqlite3.connect(path, isolation_level=None))) as conn:
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("UPDATE parcels SET name = '慢提交' WHERE parcel_id = 'P2'")
            locked.set()
            ends.wait(timeout=60)
            conn.execute("COMMIT")

    committer = threading.Thread(target=slow_commit)
    committer.start()
    assert locked.wait(timeout=30)
    threading.Timer(SLOW_COMMIT_S, ends.set).start()
    started = time.monotonic()
    try:
        read = tiny_park.read_rows("parcels", ["P2"])
    finally:
        ends.set()
        committer.join()
    assert time.monotonic() - started >= SLOW_COMMIT_S - 0.1  # it waited for the commit …
    assert list(read["name"]) == ["慢提交"]  # … and read what it committed
