"""What the start-up check of the park costs: the quick check with every layer trusted, after outside edits, deep.

    .venv/bin/python bench/bench_start_check.py [--parcels 100000]

On a copy of the demo park of ``--parcels`` plots (bench/out/, built when absent),
:func:`layers.backup.check_park` is timed three ways: the quick check the server
runs before it serves, on the park as the store wrote it (every layer stamped:
structure only); the same after an outside edit of ``parcels`` and ``enterprises``
(their stamps gone: both validated); and ``--deep`` (every layer validated).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from contextlib import closing
from pathlib import Path

from common import demo_park, machine, record

from layers.backup import check_park
from layers.store import GeoPackageStore


def edit_outside(path: Path) -> None:
    """Touch one record of parcels and enterprises through SQLite, as QGIS or sqlite3 would."""
    with closing(sqlite3.connect(path)) as conn:
        for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            conn.create_function(name, 1, lambda blob: 0)  # GDAL's R-tree trigger helpers
        conn.execute("UPDATE parcels SET name = name WHERE rowid = 1")
        conn.execute("UPDATE enterprises SET name = name WHERE rowid = 1")
        conn.commit()


def timed(store, **options) -> float:
    start = time.perf_counter()
    problems = check_park(store, **options)
    assert problems == [], problems
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000)
    args = parser.parse_args()
    source = demo_park(args.parcels)
    print(f"start-up check of the demo park of {args.parcels} plots on {machine()}")
    with tempfile.TemporaryDirectory() as workdir:
        store = GeoPackageStore(Path(workdir) / source.name)
        shutil.copyfile(source, store.path)
        figures = {"quick, every layer trusted": timed(store)}
        edit_outside(store.path)
        figures["quick, parcels and enterprises edited outside"] = timed(store)
        figures["deep, every layer validated"] = timed(store, deep=True)
    for name, seconds in figures.items():
        print(f"  {name:<48} {seconds:6.2f} s")
        record("start_check", f"{args.parcels} parcels, {name}", "time", seconds, "s")


if __name__ == "__main__":
    main()
