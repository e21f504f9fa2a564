"""``flask --app app import`` and ``flask --app app export``: thin wrappers over ``layers.io``.

``import`` exits 0 when the layer was imported (or, with ``--dry-run``, would
be), 2 when the input is rejected; either way it prints the report, which
names record and field for every problem. ``export`` exits 2 for a layer or
destination it cannot serve.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from layers.io import ImportChecks, ImportOptions, ImportRejected, import_layer
from layers.io.archive import default_archive_dir
from layers.io.importer import IMPORTABLE_LAYERS
from layers.io.options import MODES
from layers.store import ParkStoreError
from layers.stores import open_park, open_store

log = logging.getLogger(__name__)

#: Exit status for input the command rejects.
REJECTED = 2


def _park_location(park_path: str | None) -> str:
    return park_path or current_app.config.get("DATABASE_URL") or current_app.config["PARK_PATH"]


@click.command("import")
@click.argument("layer", type=click.Choice(list(IMPORTABLE_LAYERS)))
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--park", "park_path", default=None,
              help="Park GeoPackage (created when it does not exist) or postgresql:// URL.")
@click.option("--crs", default=None, help="Source CRS: EPSG code, WKT, PROJ string, or gcj02 / bd09.")
@click.option("--encoding", default=None, help="Text encoding (overrides .cpg and detection), e.g. GBK, UTF-8.")
@click.option("--mapping", "mapping_path", default=None,
              help="YAML mapping file of source fields to layer fields, values, defaults and units, or the name "
                   "of a mapping saved in the park (flask mappings list).")
@click.option("--mode", type=click.Choice(MODES), default="replace", show_default=True,
              help="replace: the file is the layer (absent records retired); append: new records only; "
                   "upsert: update by id and add.")
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@click.option("--source-layer", default=None, help="Layer, sheet or member to read from a multi-layer source.")
@click.option("--accept-damaged", is_flag=True, help="Import the readable records of a damaged file.")
@click.option("--park-name", default=None, help="Name of a park this import creates.")
@click.option("--id-field", default=None,
              help="Source field holding the records' ids (when the one found is constant or has duplicates), "
                   "or AUTO to generate ids.")
@click.option("--accept-far", is_flag=True,
              help="Import records that lie farther from the park than IMPORT_FAR_KM (otherwise rejected).")
@click.option("--valid-from", "valid_from", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              metavar="YYYY-MM-DD", help="Since when the file's records were true, for those whose own dates "
                                         "(contract, completion, lease start …) do not say (docs/valid-time.md).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_appcontext
def import_command(layer, source, park_path, crs, encoding, mapping_path, mode, dry_run, source_layer,
                   accept_damaged, park_name, id_field, accept_far, valid_from, as_json) -> None:
    """Import SOURCE (Shapefile, zip, GeoPackage, GeoJSON, KML/KMZ, DXF, CSV, XLSX, 国土 TXT) into LAYER."""
    earliest, latest = (dt.date.fromisoformat(str(current_app.config[key])) for key in ("AS_OF_EARLIEST",
                                                                                       "AS_OF_LATEST"))
    if valid_from is not None and not earliest <= valid_from.date() <= latest:
        click.echo(f"{source}: rejected: --valid-from must be between {earliest} and {latest}, "
                   f"got {valid_from.date()}")
        raise SystemExit(REJECTED)
    # A path (an existing file, or one that looks like a path) is a file; anything else a saved mapping's name.
    by_name = mapping_path is not None and not Path(mapping_path).is_file() and "/" not in mapping_path \
        and not mapping_path.lower().endswith((".yaml", ".yml"))
    options = ImportOptions(crs=crs, encoding=encoding, mapping_path=None if by_name else mapping_path,
                            mapping_name=mapping_path if by_name else None, mode=mode, dry_run=dry_run,
                            source_layer=source_layer, accept_damaged=accept_damaged, park_name=park_name,
                            id_field=id_field, accept_far=accept_far,
                            checks=ImportChecks.from_config(current_app.config),
                            valid_from=valid_from.date() if valid_from else None)
    try:
        store = open_park(_park_location(park_path))
    except (ValueError, ParkStoreError) as exc:  # ValidTimeRulesError too: a bad PARKATLAS_VALID_TIME file
        click.echo(f"{source}: rejected: {exc}")
        raise SystemExit(REJECTED) from None
    archive_dir = default_archive_dir(store, current_app.config.get("IMPORT_ARCHIVE_DIR")
                                      or Path(current_app.instance_path) / "import_archive")
    try:
        plan = import_layer(source, layer, park=store, options=options, archive_dir=archive_dir)
    except ImportRejected as exc:
        click.echo(json.dumps(exc.report.to_dict(), ensure_ascii=False, indent=1) if as_json else exc.report.text())
        if not as_json:
            _echo_hints(exc.report)
        raise SystemExit(REJECTED) from None
    except Exception as exc:  # noqa: BLE001 — no input may crash the command; the log keeps the traceback
        log.exception("import of %s failed unexpectedly", source)
        click.echo(f"{source}: rejected: the input could not be processed ({type(exc).__name__}: {exc})")
        raise SystemExit(REJECTED) from None
    click.echo(json.dumps(plan.report.to_dict(), ensure_ascii=False, indent=1) if as_json else plan.report.text())
    if not as_json:
        _echo_hints(plan.report)


def _echo_hints(report) -> None:
    """The flags that answer the report's choices and confirmations (the command line's own advice)."""
    encoding = report.choices.get("encoding")
    if encoding and encoding["unsure"]:
        names = " or ".join(c["name"] for c in encoding["candidates"])
        click.echo(f"hint: check the text as {names} reads it; give the encoding with --encoding")
        for candidate in encoding["candidates"]:
            click.echo(f"  as {candidate['name']}: " + " | ".join(candidate["samples"]))
    ids = report.choices.get("id_field")
    if ids and ids.get("default"):
        others = ", ".join(c for c in ids["candidates"] if c != ids["source"]) or "no other holds a value on every " \
                                                                                 "record, each once"
        click.echo(f"hint: the ids are the values of {ids['source']!r} (the file has no id column); to take them "
                   f"from another field give --id-field FIELD (could be: {others}), or --id-field AUTO to generate ids")
    elif ids and ids.get("fault", True) is not None:
        fields = ", ".join(ids["candidates"]) or "none holds a value on every record, each once"
        click.echo(f"hint: choose the id field with --id-field FIELD (could be: {fields}), or --id-field AUTO "
                   "to generate ids")
    far = report.confirmations.get("far")
    if far and not report.committed and report.problems:
        span = far["nearest_km"] if far["nearest_km"] == far["farthest_km"] else \
            f"{far['nearest_km']}–{far['farthest_km']}"
        click.echo(f"hint: {far['records']} record(s) lie {span} km from the park; if they belong to it, import "
                   "with --accept-far")


@click.command("export")
@click.argument("layer")
@click.argument("dest", type=click.Path(dir_okay=False))
@click.option("--park", "park_path", default=None, help="Park GeoPackage or postgresql:// URL.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of CSV/XLSX headers and code labels.")
@click.option("--encoding", default=None, help="Text encoding of a 国土 TXT (.txt): GBK (default) or UTF-8.")
@click.option("--include-retired", is_flag=True, help="Include retired records (left out by default).")
@with_appcontext
def export_command(layer, dest, park_path, lang, encoding, include_retired) -> None:
    """Export LAYER to DEST: .gpkg, .geojson, .zip (Shapefile), .kml, .csv, .xlsx or .txt (国土 TXT)."""
    from layers.io.write import export_format, export_layer
    from layers.registry import get_layer

    try:
        spec = get_layer(layer)
        export_format(dest)
        store = open_park(_park_location(park_path))
        result = export_layer(store.load(layer), spec, dest, lang=lang, meta=store.read_meta(), encoding=encoding,
                              include_retired=include_retired)
    except (KeyError, ValueError) as exc:
        click.echo(f"export rejected: {exc.args[0] if isinstance(exc, KeyError) else exc}")
        raise SystemExit(REJECTED) from None
    except Exception as exc:  # noqa: BLE001 — a park that cannot be read is reported, not a traceback
        log.exception("export of %s failed", layer)
        click.echo(f"export failed: {type(exc).__name__}: {exc}")
        raise SystemExit(REJECTED) from None
    click.echo(f"{result.records} record(s) of {layer} written to {result.path} ({result.format})")
    for note in result.notes:
        click.echo(f"  note: {note}")


@click.group("mappings")
def mappings_group() -> None:
    """Import mappings saved in the park (by the web's mapping step or 'mappings save')."""


@mappings_group.command("list")
@click.option("--park", "park_path", default=None, help="Park GeoPackage or postgresql:// URL.")
@with_appcontext
def mappings_list(park_path) -> None:
    """List the saved mappings: name, layer, who saved it and when."""
    from layers.saved_mappings import list_mappings

    saved = list_mappings(open_store(_park_location(park_path)))
    if not saved:
        click.echo("no saved mappings")
    for mapping in saved:
        click.echo(f"{mapping.name}\t{mapping.layer}\t{mapping.saved_by or ''}\t{mapping.saved_at or ''}")


@mappings_group.command("show")
@click.argument("name")
@click.option("--park", "park_path", default=None, help="Park GeoPackage or postgresql:// URL.")
@with_appcontext
def mappings_show(name, park_path) -> None:
    """Print saved mapping NAME as YAML (the format of an import --mapping file)."""
    from layers.saved_mappings import get_mapping

    try:
        click.echo(get_mapping(open_store(_park_location(park_path)), name).text, nl=False)
    except KeyError as exc:
        click.echo(f"rejected: {exc.args[0]}")
        raise SystemExit(REJECTED) from None


@mappings_group.command("save")
@click.argument("name")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--layer", required=True, type=click.Choice(list(IMPORTABLE_LAYERS)), help="The layer it maps onto.")
@click.option("--park", "park_path", default=None, help="Park GeoPackage or postgresql:// URL.")
@with_appcontext
def mappings_save(name, file, layer, park_path) -> None:
    """Save mapping FILE (YAML) in the park as NAME, checked against LAYER first."""
    from layers.io.mapping import MappingError, read_mapping_file
    from layers.registry import get_layer
    from layers.saved_mappings import MappingNameError, save_mapping

    try:
        _, text = read_mapping_file(file, get_layer(layer))
        store = open_store(_park_location(park_path))
        saved = save_mapping(store, name, layer, text, saved_by="cli")
    except (MappingError, MappingNameError) as exc:
        click.echo(f"rejected: {exc}")
        raise SystemExit(REJECTED) from None
    click.echo(f"saved mapping {saved.name!r} for layer {layer}")
