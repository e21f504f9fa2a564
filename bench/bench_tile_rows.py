"""The first tile after a save (issue 18): patched from the changed rows against worked out whole.

    .venv/bin/python bench/bench_tile_rows.py [--parcels 10000 100000] [--edits 3] [--parks bench/out]

Per park size (the report parks of ``bench/out/``, copied to a temporary folder so they are never
changed), on GeoPackage, through Flask's test client: a parcel is moved 1 m and written with a whole-layer
save (not timed); then

* **patched** — the change is noted on the park service as a row change (``note_rows``, as the
  application does after a row write) and the first tile holding the parcel is timed: the layer's token
  comes from the previous one and the changed record, only the tiles it reaches are dropped, the tile
  source is patched;
* **whole** — the same without noting it (``row_changes`` is None): the layer is fingerprinted whole and
  its tile source built again, as before issue 18;
* **far** — a tile far from the change, asked after the patched one (served from the tile cache).

Median over ``--edits`` edits; the target of the first tile after a save is ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import shapely
from pyproj import Transformer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from layers.store import GeoPackageStore  # noqa: E402
from service.park import RowChange  # noqa: E402

REPORT_PARKS = Path(__file__).resolve().parent / "out"
ZOOM = 16


def tile_of(point: shapely.Point, crs, zoom: int = ZOOM) -> str:
    lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(point.x, point.y)
    n = 2 ** zoom
    tx = int((lon + 180) / 360 * n)
    ty = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/tiles/parcels/{zoom}/{tx}/{ty}.pbf"


def timed_get(client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return time.perf_counter() - start


def move(store: GeoPackageStore, service, parcel_id: str, *, note: bool) -> None:
    """Move parcel ``parcel_id`` 1 m east with a whole-layer save; with ``note``, as a row change."""
    before = service.version()
    parcels = store.load("parcels")
    rows = parcels["parcel_id"] == parcel_id
    old_rows = parcels[rows].copy()
    parcels.loc[rows, "geometry"] = parcels.geometry[rows].translate(xoff=1.0)
    store.save("parcels", parcels)
    if note:
        service.note_rows(RowChange(before, service.version(), {"parcels": (old_rows, parcels[rows].copy())}))


def measure(n: int, edits: int, folder: Path, parks: Path) -> None:
    from app import create_app

    park = folder / f"report_{n}.gpkg"
    shutil.copy(parks / f"report_{n}.gpkg", park)
    app = create_app({"TESTING": True, "PARK_PATH": str(park), "SECRET_KEY": "bench", "AUTH_REQUIRED": False,
                      "BASEMAP": "none", "TILE_CACHE_PATH": str(folder / f"tiles_{n}.sqlite")})
    service, client, store = app.extensions["parkatlas_park"], app.test_client(), GeoPackageStore(park)
    parcels = store.load("parcels")
    step = max(1, len(parcels) // (2 * edits + 2))
    chosen = parcels.iloc[step::step].head(2 * edits)
    far = tile_of(parcels.geometry.iloc[0].centroid, parcels.crs)
    first = timed_get(client, far)
    print(f"\ngpkg {n}: {len(parcels)} parcels; first tile of a fresh app {first * 1000:.0f} ms", flush=True)
    figures: dict[str, list[float]] = {"patched": [], "whole": [], "far": []}
    for i, (parcel_id, geometry) in enumerate(zip(chosen["parcel_id"], chosen.geometry)):
        url = tile_of(geometry.centroid, parcels.crs)
        timed_get(client, url)
        timed_get(client, far)
        note = i % 2 == 0
        move(store, service, parcel_id, note=note)
        figures["patched" if note else "whole"].append(timed_get(client, url))
        if note:
            figures["far"].append(timed_get(client, far))
    for kind, values in figures.items():
        print(f"  first tile after a save, {kind}: median {statistics.median(values) * 1000:.1f} ms "
              f"(of {', '.join(f'{v * 1000:.0f}' for v in values)} ms)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parcels", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument("--parks", type=Path, default=REPORT_PARKS, help="the folder of report_<n>.gpkg")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tile-rows-") as folder:
        for n in args.parcels:
            measure(n, args.edits, Path(folder), args.parks)


if __name__ == "__main__":
    main()
