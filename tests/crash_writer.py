"""Child process of the crash test: commits edits to a park in a loop until it is killed.

Usage: ``python tests/crash_writer.py PARK.gpkg START [rows]``; ``rows``: each change is written record by
record, in place (``layers.audit.Scope``), else the layer is saved whole. Prints ``committed N`` after
each change is saved (N counts this park's changes), flushing at once, so the
parent knows which changes were complete before it sent SIGKILL.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from layers import audit, edits  # noqa: E402
from layers.registry import get_layer  # noqa: E402
from layers.store import GeoPackageStore  # noqa: E402

PARCELS = get_layer("parcels")


def main() -> None:
    store = GeoPackageStore(sys.argv[1])
    n = int(sys.argv[2])
    scope = audit.Scope.of("parcels", "P1") if sys.argv[3:] == ["rows"] else None
    while True:
        n += 1
        value = f"{1000 + n}"

        def build(current, log, value=value):
            return {"parcels": edits.update_record(current["parcels"], PARCELS, "P1", {"land_price_wan": value})}

        audit.commit(store, audit.new_change("update", user="crash-test"), build, layers=["parcels"], scope=scope)
        print(f"committed {n}", flush=True)


if __name__ == "__main__":
    main()
