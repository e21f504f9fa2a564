"""``flask --app app i18n-catalogue``: the UI's bilingual texts as one gettext catalogue (layers.i18n_catalogue)."""

from __future__ import annotations

from pathlib import Path

import click

#: The project root, whose code and templates hold the texts.
ROOT = Path(__file__).resolve().parents[2]


@click.command("i18n-catalogue")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True), default="-", show_default=True,
              help="PO file to write ('-' for standard output).")
def i18n_catalogue_command(out_path: str) -> None:
    """Write every English → Chinese text pair of the UI, with where it is used, as a PO catalogue."""
    from layers.i18n_catalogue import collect, po_text, write_po

    entries = collect(ROOT)
    if out_path == "-":
        click.echo(po_text(entries))
        return
    write_po(entries, Path(out_path))
    english = len({entry.english for entry in entries})
    click.echo(f"{out_path}: {len(entries)} translations of {english} English texts", err=True)
