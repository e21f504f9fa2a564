"""Time and peak memory of building the demo park and of loading it back; print the figures.

    .venv/bin/python bench/bench_demo_park.py [--parcels 1000000] [--seed 20261122] [--keep]

Each phase runs in its own Python process, so its peak resident memory
(``resource.getrusage(...).ru_maxrss``) is its own:

* ``generate``: ``layers.demo.generate_demo_park`` alone (the frames in memory, nothing written);
* ``build``: ``layers.demo.build_demo_park`` (generate, validate every layer, write the
  GeoPackage atomically) into ``bench/out/`` (gitignored);
* ``load parcels`` and ``load buildings``: ``GeoPackageStore.load`` of one layer (read with
  pyogrio/Arrow and validated against the registry);
* ``load_all``: every layer of the park.

The park file is removed afterwards unless ``--keep`` is given (the 10⁶ park takes
about 1.5 GB on disk).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"


def _peak_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase(name: str, path: Path, n_parcels: int, seed: int) -> dict:
    """Run one phase in this process and return its figures."""
    from layers.store import GeoPackageStore

    start = time.perf_counter()
    if name == "generate":
        from layers.demo import generate_demo_park

        frames, _ = generate_demo_park(n_parcels=n_parcels, seed=seed)
        counts = {layer: len(frame) for layer, frame in frames.items()}
    elif name == "build":
        from layers.demo import build_demo_park

        counts = build_demo_park(path, n_parcels=n_parcels, seed=seed)
    elif name == "load_all":
        counts = {layer: len(frame) for layer, frame in GeoPackageStore(path).load_all().items()}
    else:
        layer = name.removeprefix("load_")
        counts = {layer: len(GeoPackageStore(path).load(layer))}
    return {"phase": name, "seconds": time.perf_counter() - start, "peak_mb": _peak_mb(), "counts": counts}


def run_child(name: str, path: Path, n_parcels: int, seed: int) -> dict:
    command = [sys.executable, __file__, "--phase", name, "--path", str(path), "--parcels", str(n_parcels),
               "--seed", str(seed)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=1_000_000, help="plots in the park (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--keep", action="store_true", help="keep the park file in bench/out/")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, Path(args.path), args.parcels, args.seed)))
        return

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"bench_demo_{args.parcels}.gpkg"
    print(f"demo park of {args.parcels:,} plots (seed {args.seed}), each phase in its own process")
    print(f"{'phase':<16}{'seconds':>9}{'peak_MB':>9}  records")
    try:
        for name in ("generate", "build", "load_parcels", "load_buildings", "load_all"):
            r = run_child(name, path, args.parcels, args.seed)
            counts = ", ".join(f"{layer} {count:,}" for layer, count in r["counts"].items())
            if name == "build":
                counts = "the same records, validated and written"
            print(f"{name:<16}{r['seconds']:>9.1f}{r['peak_mb']:>9.0f}  {counts}", flush=True)
        print(f"file size: {path.stat().st_size / 2**20:,.0f} MB")
    finally:
        if not args.keep:
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
