"""``flask --app app seed-tiles [--park …] [--zooms 12-14] [--layers …]``: pre-render a park's vector tiles."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

#: Zooms seeded unless told otherwise: the large layers' first zooms (TILE_MIN_ZOOM 12 by default).
DEFAULT_ZOOMS = "12-14"
#: Deepest zoom that may be seeded: a zoom-18 tile is 150 m wide, and deeper ones multiply fast.
MAX_SEED_ZOOM = 18


def parse_zooms(text: str) -> list[int]:
    """``12-14`` or ``12,14`` (or both) → sorted zooms; ``ValueError`` naming the bad part otherwise."""
    zooms: set[int] = set()
    for part in text.split(","):
        bounds = part.strip().split("-")
        try:
            low, high = int(bounds[0]), int(bounds[-1])
        except ValueError:
            raise ValueError(f"--zooms: {part.strip()!r} is not a zoom or a range like 12-14") from None
        if len(bounds) > 2 or not 0 <= low <= high <= MAX_SEED_ZOOM:
            raise ValueError(f"--zooms: {part.strip()!r} must be zooms from 0 to {MAX_SEED_ZOOM}, low-high")
        zooms.update(range(low, high + 1))
    return sorted(zooms)


@click.command("seed-tiles")
@click.option("--park", "location", default=None,
              help="Park to seed (a .gpkg file or postgresql:// URL); default: the app's park.")
@click.option("--zooms", default=DEFAULT_ZOOMS, show_default=True, help="Zooms to render, e.g. 12-14 or 12,14.")
@click.option("--layers", default=None, help="Comma-separated layers; default: every spatial layer.")
@with_appcontext
def seed_tiles_command(location: str | None, zooms: str, layers: str | None) -> None:
    """Render every tile of the park's extent that holds features into its persistent tile cache.

    Tiles already cached for the current data are skipped, so a second run after an
    edit renders only the tiles the edit reached. Prints the number of tiles, their
    size and the rate. Exits 2 when an option is rejected.
    """
    from layers.registry import REGISTRY
    from layers.stores import close_store

    try:
        zoom_list = parse_zooms(zooms)
        spatial = [name for name, spec in REGISTRY.items() if not spec.is_table]
        names = spatial if layers is None else list(dict.fromkeys(n.strip() for n in layers.split(",") if n.strip()))
        unknown = [n for n in names if n not in spatial]
        if unknown or not names:
            raise ValueError(f"--layers: {', '.join(unknown) or '(none)'} not tiled; tiled layers: {', '.join(spatial)}")
    except ValueError as exc:
        click.echo(f"seed-tiles: {exc}", err=True)
        sys.exit(2)
    from layers.store import ParkStoreError
    from web import tiles
    from web.park import park, switch_park

    app = current_app._get_current_object()
    try:
        if location is not None:
            # This command's process serves nothing: point its app at the other park (the same service and
            # tile code as a server of that park), not at a second app.
            switch_park(app, location)
            tiles.reset(app)
        result = tiles.seed(names, zoom_list, progress=lambda line: click.echo(f"  {line}", err=True))
    except (ParkStoreError, ValueError, RuntimeError) as exc:
        click.echo(f"seed-tiles: {exc}", err=True)
        sys.exit(2)
    finally:
        if location is not None:
            close_store(park().store)
    stats, label = tiles.cache_file().stats(), tiles.cache_file().path
    rate = result["tiles"] / result["seconds"] if result["seconds"] else 0.0
    click.echo(
        f"seeded {result['tiles']} layer tiles ({result['bytes'] / 1e6:.1f} MB) at zooms {zooms} of "
        f"{', '.join(names)} in {result['seconds']:.1f} s ({rate:.1f} tiles/s); "
        f"cache {label}: {stats['tiles']} tiles, {stats['bytes'] / 1e6:.1f} MB, "
        f"file {stats['file_bytes'] / 1e6:.1f} MB"
    )

