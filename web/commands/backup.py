"""``backup``, ``restore`` and ``check-park``: keeping the park safe from the command line.

* ``flask --app app backup DEST.gpkg`` — a consistent copy and ``DEST.gpkg.sha256.json``.
* ``flask --app app restore BACKUP.gpkg`` — verify the checksum and the backup, keep
  the current park beside it (``*.before-restore-<time>.gpkg``), swap the backup in.
* ``flask --app app check-park [--deep]`` — exit 0 when the park is sound, 2 otherwise.

Exit codes: 0 done, 2 refused (the message says why).
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from layers.backup import BackupError, backup_park, check_park, recovery_hint, restore_park


def _store():
    from web.park import park

    return park().store


@click.command("backup")
@with_appcontext
@click.argument("dest", type=click.Path(dir_okay=False))
def backup_command(dest: str) -> None:
    """Write a consistent copy of the park with its SHA-256 manifest."""
    try:
        manifest = backup_park(_store(), dest)
    except BackupError as exc:
        click.echo(f"backup refused: {exc}", err=True)
        raise SystemExit(2) from None
    layers = ", ".join(f"{name} {count}" for name, count in manifest["layers"].items())
    click.echo(f"backup written to {dest} ({manifest['bytes']} bytes, sha256 {manifest['sha256']}): {layers}")


@click.command("restore")
@with_appcontext
@click.argument("backup", type=click.Path(dir_okay=False))
def restore_command(backup: str) -> None:
    """Replace the park with a verified backup (the current park is kept beside it)."""
    try:
        manifest, kept = restore_park(backup, _store())
    except BackupError as exc:
        click.echo(f"restore refused: {exc}", err=True)
        raise SystemExit(2) from None
    kept_text = f"; the previous park is kept as {kept}" if kept else ""
    click.echo(f"park restored from {backup} (sha256 {manifest['sha256']} verified){kept_text}")
    restore = manifest.get("restore")
    if restore:
        click.echo(f"{restore['records']} record(s) that differed from the backup were set back by change "
                   f"{restore['change_id']} ({restore['events']} audit events, action restore_backup); the changes "
                   "made since the backup stay in the audit trail, and the restore can be undone from /history")


@click.command("check-park")
@with_appcontext
@click.option("--deep", is_flag=True, help="Read and validate every layer, not only those changed outside ParkAtlas.")
def check_park_command(deep: bool) -> None:
    """Check the park's integrity (the server runs the quick check before it starts)."""
    store = _store()
    problems = check_park(store, deep=deep)
    if problems:
        location = store.capabilities.file or "PATH.gpkg"
        click.echo("the park is damaged:\n  " + "\n  ".join(problems) + "\n" + recovery_hint(location), err=True)
        raise SystemExit(2)
    click.echo("the park is sound" + (" (every layer read and validated)" if deep else ""))
