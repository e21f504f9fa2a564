"""Child process of the PostGIS kill -9 test: saves single-record edits with their events until it is killed.

Usage: ``python tests/pg_rows_writer.py URL SCHEMA``. Each round renames parcel P1 to ``名称 <seq>`` with its
audit event (seq taken from the log) through ``PostGISStore.save_rows`` under the write lock, then prints
``committed <seq>``, flushing at once, so the parent knows which saves were complete before SIGKILL.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from layers.audit import number_events  # noqa: E402
from layers.postgis import PostGISStore  # noqa: E402
from layers.store import checked_frame  # noqa: E402


def main() -> None:
    store = PostGISStore(sys.argv[1], schema=sys.argv[2])
    crs = store.working_crs()
    while True:
        with store.write_lock():
            seq = store.next_seq()
            row = store.read_rows("parcels", ["P1"])
            old, new = row["name"].iloc[0], f"名称 {seq}"
            row["name"] = new
            event = pd.DataFrame({
                "change_id": [f"C{seq}"], "at": ["2026-06-30T08:00:00.000000+00:00"],
                "date": [pd.Timestamp("2026-06-30")], "user": ["crash-test"], "action": ["update"],
                "op": ["update"], "layer": ["parcels"], "record_id": ["P1"], "field": ["name"],
                "old_value": [old], "new_value": [new], "reason": [None], "undoes": [None]})
            store.save_rows({"parcels": checked_frame("parcels", row, crs, source="writer")}, {},
                            checked_frame("audit_events", number_events(event, start_seq=seq), crs, source="writer"))
        print(f"committed {seq}", flush=True)


if __name__ == "__main__":
    main()
