"""``flask --app app demo``: build the deterministic demo park."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app


@click.command("demo")
@click.option("--park", "park_path", type=click.Path(dir_okay=False), default=None,
              help="GeoPackage to write (default: PARKATLAS_PARK or data/demo_park.gpkg).")
@click.option("--parcels", "n_parcels", type=click.IntRange(min=50), default=600, show_default=True,
              help="Number of plots to generate (scales to 1,000,000 for benchmarks).")
@click.option("--seed", type=int, default=20261122, show_default=True, help="Random seed: same seed, same park.")
def demo_command(park_path: str | None, n_parcels: int, seed: int) -> None:
    """Build the demo park (a coastal Zhejiang-style park) into a GeoPackage."""
    from layers.demo import build_demo_park

    path = Path(park_path or current_app.config["PARK_PATH"])
    started = time.perf_counter()
    counts = build_demo_park(path, n_parcels=n_parcels, seed=seed)
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{name} {count}" for name, count in counts.items())
    click.echo(f"demo park written to {path} in {elapsed:.1f} s: {summary}")
