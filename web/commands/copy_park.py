"""``flask --app app copy-park SRC DEST``: move a park between a GeoPackage and PostGIS."""

from __future__ import annotations

import sys
import time

import click


@click.command("copy-park")
@click.argument("source")
@click.argument("dest")
@click.option("--replace", is_flag=True, help="Overwrite a park that already exists at DEST.")
def copy_park_command(source: str, dest: str, replace: bool) -> None:
    """Copy the park at SOURCE to DEST, each a .gpkg file or a postgresql:// URL (?schema=NAME).

    Every layer is validated on the way; DEST is written in one transaction (PostGIS)
    or swapped in atomically (GeoPackage). The rule overrides beside a GeoPackage SOURCE
    (``<park>.rules.yaml`` …) go into the copy itself, so it is judged as the original.
    Exits 2 when either side is rejected.
    """
    from layers.rules import RulesError, park_rules_with_files
    from layers.store import ParkStoreError
    from layers.stores import close_store, copy_park, describe, open_store
    from layers.validate import LayerValidationError

    if source == dest:
        click.echo(f"copy-park: SOURCE and DEST are the same park ({describe(source)})", err=True)
        sys.exit(2)
    started = time.perf_counter()
    try:
        src, dst = open_store(source), open_store(dest)
        try:
            # The service keeps the files' reading (same families, same order), so the copy agrees with the source.
            rules = park_rules_with_files(getattr(src, "path", None), src.read_meta().get("rules"))
            counts = copy_park(src, dst, replace=replace, meta_changes={"rules": rules} if rules else None)
        finally:
            close_store(src)
            close_store(dst)
    except (ParkStoreError, LayerValidationError, RulesError, ValueError) as exc:
        click.echo(f"copy-park: {exc}", err=True)
        sys.exit(2)
    summary = ", ".join(f"{name} {count}" for name, count in counts.items())
    elapsed = time.perf_counter() - started
    click.echo(f"copied {describe(source)} → {describe(dest)} in {elapsed:.1f} s: {summary}")
