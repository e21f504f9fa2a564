"""Import: plan → report (dry run) → commit, all-or-nothing per layer.

:func:`import_layer` stages the source (unpacking zips safely), reads it,
decides its CRS, repairs geometries, maps and normalises fields, validates the
records with the same :func:`layers.validate.validate_layer` as everything
else, merges them into the park's layer by mode, and — unless it is a dry run
or anything is wrong — archives the original and saves the layer through the
store's atomic ``save`` (or ``save_park`` for a park the import creates).
Problems of every step are gathered; one problem rejects the whole import and
leaves the park as it was.

Modes keep history (DESIGN.md: records are retired, never deleted):

* ``replace`` — the file is the layer: matching ids are updated, new ones
  added, records the file no longer has are retired (``retired_on`` = today).
* ``append`` — new records only; an id already in the park is a problem.
* ``upsert`` — update by id and add new; others untouched. Needs ids.

``first_added`` of an updated record is kept; ``last_updated`` moves to today
only when something changed.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo import gcj02
from layers.audit import Scope, read_modify_write, write_lock
from layers.contract import row_store
from layers.io import crs_detect, datum, geometry, messy, normalise, wide_years
from layers.io import links as linking
from layers.io.archive import ImportArchive, archive_folder_for
from layers.io.encoding import EncodingChoice, display_name, percent, resolve_codec
from layers.io.formats import refuse_virtual_path
from layers.io.keeping import Kept, keep_columns, manifest_entries
from layers.io.mapping import FieldMapping, MappingError, load_mapping, match_columns, read_mapping_text
from layers.io.options import ImportOptions
from layers.io.read import SourceData, read_source
from layers.io.report import FieldOutcome, ImportRejected, ImportReport
from layers.io.suggest import profile_columns
from layers.io.uploads import SourceError, StagedSource, stage_source
from layers.name_columns import restating_columns
from layers.registry import REGISTRY, get_layer
from layers.saved_mappings import get_mapping
from layers.schema import HISTORY_FIELD_NAMES, SOURCE_ATTRIBUTES, VALID_TIME_FIELD_NAMES, LayerSpec, Link
from layers.source_attributes import carries, is_types_column, merge_documents
from layers.stores import open_store
from layers.text_keys import isin
from layers.valid_time import fill_valid_time, has_valid_time, load_rules
from layers.validate import LayerValidationError, Problem, aggregated, validate_layer
from layers.values import empty_column, normalise_text, present, to_text

#: Layers that record history: written only by the application as changes happen, never imported over.
HISTORY_LOGS = ("audit_events", "case_events")
#: Layers an import may write.
IMPORTABLE_LAYERS = tuple(name for name in REGISTRY if name not in HISTORY_LOGS)

#: Records a preview shows.
PREVIEW_RECORDS = 200
#: How far (degrees of longitude) data may lie beyond the park's Gauss-Krüger zone before areas are
#: distorted enough (≈ 0.2 % at 3° from the central meridian) to refuse it.
ZONE_MARGIN_DEG = 1.5
#: A record label of validation ("row 7", "row 7 (parcel_id=…)"); aggregated notices name several.
_ROW_LABEL = re.compile(r"(?:^|(?<=, ))row (\d+)")


@dataclass
class ImportPlan:
    """What an import would do: the report, the incoming records and the layer as it would be saved.

    ``result`` is the layer as planned against the park when the plan was made (the
    preview); a commit merges ``incoming`` again into the layer as it is when it is
    written. ``generated`` are the positions in ``incoming`` whose ids were generated
    (numbered again then), ``has_ids`` and ``provided`` what :func:`merge` needs.
    """

    report: ImportReport
    spec: LayerSpec
    incoming: pd.DataFrame | None = None
    result: pd.DataFrame | None = None
    meta: dict | None = None
    preview: pd.DataFrame | None = None
    generated: np.ndarray | None = None
    has_ids: bool = True
    provided: set[str] | None = None
    yearly: YearlyPlan | None = None
    links: LinkPlan | None = None


@dataclass
class LinkPlan:
    """What the import's link column (:mod:`layers.io.links`: an enterprise list's 所在地块) does to the layer it
    names: ``cells`` the column's values, aligned with the incoming records; ``result`` as planned against the park
    (made again against the layer as it is when written); ``said`` the notices saying it."""

    link: Link
    column: str
    cells: pd.Series
    result: linking.LinkResult
    said: list[Problem]
    #: Linked by the records' names (``Link.by_name``), not by a column of ids.
    by_name: bool = False

    @property
    def writes(self) -> bool:
        return bool(self.result.linked)


@dataclass
class YearlyPlan:
    """The records of the layer's yearly table an import writes with the layer (:mod:`layers.io.wide_years`):
    ``incoming`` validated, ``provided`` (per record, the figures the file gives), ``result`` the table as
    planned."""

    spec: LayerSpec
    incoming: pd.DataFrame
    provided: pd.DataFrame
    result: pd.DataFrame


def _row(i: int) -> str:
    return f"row {i + 1}"


def _renumber(problems: list[Problem], source_rows: np.ndarray) -> list[Problem]:
    """Validation numbers rows of the frame it saw; say which source record each one is."""
    def source_row(match: re.Match) -> str:
        position = int(match.group(1)) - 1
        return f"row {source_rows[position] + 1}" if 0 <= position < len(source_rows) else match.group(0)

    return [dataclasses.replace(p, record=_ROW_LABEL.sub(source_row, p.record)) for p in problems]


#: Distinct values one normalisation message may show one notice each for (codes read the same
#: way); beyond that (dates, numbers) the message is one notice without values.
NOTICE_VALUE_GROUPS = 10


def _in_source_coordinates(problems: list[Problem], to_source: messy.SourceCoordinates | None) -> list[Problem]:
    """Geometry problems of validation (in the working CRS) with their points in the source's coordinates."""
    if to_source is None:
        return problems
    return [dataclasses.replace(p, message=to_source.rewrite(p.message)) if p.field == "geometry" else p
            for p in problems]


def _aggregate_notes(notes: list[tuple[int, str, str, object]], labels: np.ndarray) -> list[Problem]:
    """Normalisation notes (row, field, message, value) as one notice per field, message and value.

    A message seen with more than :data:`NOTICE_VALUE_GROUPS` distinct values is one
    notice without a value: a value shown must be every named record's.
    """
    groups: dict[tuple[str, str], dict[object, list[int]]] = {}
    for row, name, message, value in notes:
        groups.setdefault((name, message), {}).setdefault(_hashable(value), []).append(row)
    out = []
    for (name, message), by_value in groups.items():
        if len(by_value) > NOTICE_VALUE_GROUPS:
            by_value = {None: sorted(row for rows in by_value.values() for row in rows)}
        out += [aggregated(labels, np.asarray(rows), name, message, value) for value, rows in by_value.items()]
    return out


def _hashable(value: object) -> object:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


# -- steps -------------------------------------------------------------------------------------------


def _load_mapping(options: ImportOptions, spec: LayerSpec, store, report: ImportReport) -> FieldMapping:
    """The mapping asked for: a file, a mapping saved in the park by name, or none."""
    if options.mapping_name:
        try:
            saved = get_mapping(store, options.mapping_name) if store is not None else None
            if saved is None:
                raise KeyError(f"no park to find saved mapping {options.mapping_name!r} in")
            mapping = read_mapping_text(saved.text, spec, path=f"saved mapping {saved.name!r}")
        except KeyError as exc:
            raise report.reject("mapping", "name", str(exc.args[0])) from None
        except MappingError as exc:
            raise report.reject("mapping", "name", str(exc)) from None
        report.mapping_name = saved.name
        report.note("all", "mapping", f"saved mapping {saved.name!r} applied")
        return mapping
    if not options.mapping_path:
        return FieldMapping()
    try:
        mapping = load_mapping(options.mapping_path, spec)
    except MappingError as exc:
        raise report.reject("mapping", "file", str(exc)) from None
    report.note("all", "mapping", f"mapping file {Path(options.mapping_path).name} applied")
    return mapping


def _read(staged: StagedSource, spec: LayerSpec, options: ImportOptions, mapping: FieldMapping,
          report: ImportReport) -> SourceData:
    encoding = options.encoding or mapping.encoding
    try:
        if encoding:
            resolve_codec(encoding)
        data = read_source(staged.dataset, spec, source_layer=options.source_layer or mapping.source_layer,
                           encoding=encoding, limits=options.limits,
                           min_confidence=options.checks.encoding_min_confidence)
    except (SourceError, ValueError) as exc:
        raise report.reject("file", "source", str(exc)) from None
    report.driver = data.driver
    report.source_layer = data.source_layer
    if data.encoding is not None:
        report.encoding = data.encoding.label()
        _encoding_choice(data.encoding, options, report)
    for note in staged.notes + data.notes:
        report.note("file", "source", note)
    return data


def _encoding_choice(choice: EncodingChoice, options: ImportOptions, report: ImportReport) -> None:
    """Offer the reading of the text in each candidate encoding when it was told by its characters; warn when
    the choice is unsure."""
    if not choice.samples:
        return
    unsure = choice.unsure(options.checks.encoding_min_confidence)
    report.choices["encoding"] = {
        "chosen": choice.codec, "confidence": choice.confidence, "confidence_text": percent(choice.confidence),
        "unsure": unsure,
        "candidates": [{"codec": codec, "name": display_name(codec), "samples": values}
                       for codec, values in choice.samples.items()],
    }
    if unsure:
        others = " or ".join(display_name(c) for c in choice.samples if c != choice.codec)
        report.note("file", "encoding", f"unsure: the text reads as {choice.name} with a confidence of only "
                                        f"{percent(choice.confidence)}; compare the values as {choice.name} and as "
                                        f"{others} read them, and give the encoding if it is the other")


def _handle_damaged(data: SourceData, keep: np.ndarray, options: ImportOptions, report: ImportReport) -> None:
    for index, reason in sorted(data.damaged.items()):
        if index >= len(keep):  # a record the reader never returned (a file that breaks off)
            if options.accept_damaged:
                report.note(_row(index), "record", f"damaged, left out: {reason}")
            else:
                report.problem(_row(index), "record", f"damaged: {reason}")
            continue
        keep[index] = False
        if options.accept_damaged:
            report.note(_row(index), "record", f"damaged, left out: {reason}")
        else:
            report.problem(_row(index), "record", f"damaged: {reason}")
    if data.damaged and not options.accept_damaged:
        good = int(keep.sum())
        report.note("file", "record", f"{good} record(s) read whole; to import them without the damaged ones, "
                                      "repeat with --accept-damaged")
    for index, (column, message, value) in sorted(data.row_problems.items()):
        keep[index] = False
        report.problem(_row(index), column, message, value)


def _apply_include(frame: pd.DataFrame, keep: np.ndarray, mapping: FieldMapping, report: ImportReport) -> None:
    for source_field, allowed in mapping.include.items():
        column = next((c for c in frame.columns if normalise_text(c) == normalise_text(source_field)), None)
        if column is None:
            raise report.reject("mapping", f"include.{source_field}", "the source has no such field")
        wanted = {normalise_text(v) for v in allowed}
        matches = frame[column].map(lambda v: pd.notna(v) and normalise_text(v) in wanted).to_numpy(dtype=bool)
        left_out = keep & ~matches
        keep &= matches
        if left_out.any():
            report.note("all", source_field, f"{int(left_out.sum())} record(s) left out: value not in the "
                                             f"mapping's include list")


def _park_crs(store, report: ImportReport) -> CRS | None:
    if store is None or not store.exists():
        return None
    try:
        return store.working_crs()
    except Exception as exc:  # noqa: BLE001 — a store that cannot say its CRS is not a park we can write
        raise report.reject("park", "park", f"the park cannot be read ({exc})") from None


def _lonlat_centre(geoms: np.ndarray, crs: CRS) -> tuple[float, float, float, float]:
    """(lon, lat) of the bounding-box centre and the lon range of the data."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    to_lonlat = crs_detect.lonlat_transformer(crs)
    lon, lat = to_lonlat.transform([xmin, xmax, (xmin + xmax) / 2], [ymin, ymax, (ymin + ymax) / 2])
    return float(lon[2]), float(lat[2]), float(min(lon[0], lon[1])), float(max(lon[0], lon[1]))


def _geometries(data: SourceData, keep: np.ndarray, spec: LayerSpec, options: ImportOptions,
                mapping: FieldMapping, park_crs: CRS | None, report: ImportReport):
    """CRS decided, geometry repaired (in the file's coordinates), offsets removed, transformed and settled.

    Returns (geoms, rows, parts, crs, source coordinates): the last maps working-CRS
    points back to the file's coordinates for messages.
    """
    geoms = data.frame.geometry.to_numpy()[keep]
    rows = np.flatnonzero(keep)
    coords = shapely.get_coordinates(geoms)
    extent = crs_detect.Extent.of(coords)
    option = options.crs or mapping.crs
    declared = data.declared_crs
    try:
        if data.table_crs_name and not option:
            crs, offset = crs_detect.crs_from_name(data.table_crs_name, extent)
            how = f"named in the table's CRS column ({data.table_crs_name!r})"
            choice = crs_detect.CrsChoice(crs, how, offset=offset) if offset else dataclasses.replace(
                crs_detect.check_declared(crs, extent, source=report.source,
                                          said_by=f"the CRS column names {data.table_crs_name!r}, i.e."), how=how)
        else:
            choice = crs_detect.choose_crs(declared, extent, option=option, source=report.source)
    except crs_detect.CrsError as exc:
        raise report.reject("all", "geometry", str(exc)) from None
    report.source_crs, report.crs_how = choice.label, choice.how

    # Repaired in the file's own coordinates, so every point a message names is one the file holds.
    prepared = geometry.prepare_geometries(geoms, spec.geometry, multipart=spec.multipart, limits=options.limits)
    geographic = bool(choice.crs.is_geographic) and not choice.swap_xy
    for position, message, value in prepared.fixes:
        report.note(_row(rows[position]), "geometry", messy.in_file_coordinates(message, geographic=geographic), value)
    for position, message, value in prepared.problems:
        _damaged_geometry(report, options, rows[position], messy.in_file_coordinates(message, geographic=geographic),
                          value)
    set_aside = [position for position, _ in prepared.other_kind]
    if prepared.other_kind:
        if len(set_aside) == int((~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)).sum()):
            raise report.reject("all", "geometry", messy.no_kind_message(prepared.other_kind, spec.geometry,
                                                                         spec.name))
        report.notices += messy.other_kind_notes(prepared.other_kind, rows, spec.geometry, spec.name)
    # Records with a geometry problem or of another kind go no further: the problem (or the note) names them.
    good = ~np.isin(prepared.rows, [position for position, _, _ in prepared.problems] + set_aside)
    out = prepared.geometries[good]
    source_rows, parts = rows[prepared.rows[good]], prepared.part[good]
    if choice.swap_xy:
        out = shapely.transform(out, lambda c: c[:, ::-1])
    if choice.offset:
        out = shapely.transform(out, lambda c: gcj02.to_wgs84(c, system=choice.offset))
        report.note("all", "geometry", f"converted from {crs_detect.OFFSET_SYSTEMS[choice.offset]} to WGS84 "
                                       "with the published algorithm (exact inverse)")
    series = gpd.GeoSeries(out, crs=choice.crs)

    usable = ~shapely.is_missing(out) & ~shapely.is_empty(out)
    if park_crs is None:
        if not usable.any():
            raise report.reject("all", "geometry", "no usable geometry to choose the new park's working CRS from")
        lon, lat, _, _ = _lonlat_centre(out[usable], choice.crs)
        epsg, how = crs_detect.working_epsg_for(lon, lat)
        park_crs = CRS.from_epsg(epsg)
        report.new_park = True
        report.note("park", "working_epsg", f"new park: working CRS EPSG:{epsg} ({how})")
    elif usable.any():
        lon, lat, west, east = _lonlat_centre(out[usable], choice.crs)
        area = park_crs.area_of_use
        if area is not None and (west < area.west - ZONE_MARGIN_DEG or east > area.east + ZONE_MARGIN_DEG):
            raise report.reject(
                "all", "geometry",
                f"the data spans {west:.2f}–{east:.2f}°E (centre {lon:.2f}°E, {lat:.2f}°N), outside the park's "
                f"working CRS EPSG:{park_crs.to_epsg()} ({area.west:g}–{area.east:g}°E, ±{ZONE_MARGIN_DEG}°); "
                "areas would be distorted: check --crs, or import it into a park of its own")
    report.working_epsg = park_crs.to_epsg()
    datum_route = datum.route(choice.crs, park_crs)
    transformed = datum_route.transform(series)
    if datum_route.approximate:
        report.note("all", "geometry", datum.approximate_message(datum_route.approximate, report.working_epsg))
    values = transformed.to_numpy()
    coords, owner = shapely.get_coordinates(values, return_index=True)
    lost = np.unique(owner[~np.isfinite(coords).all(axis=1)])
    for position in lost:
        report.problem(_row(source_rows[position]), "geometry",
                       f"cannot be transformed into EPSG:{park_crs.to_epsg()} (outside its valid area)")
    to_source = messy.SourceCoordinates(choice, park_crs)
    values, source_rows, parts = _settle(values, source_rows, parts, spec, options, to_source, report)
    return values, source_rows, parts, park_crs, to_source


def _far_from_park(store, geoms: np.ndarray, rows: np.ndarray, options: ImportOptions, report: ImportReport,
                   loaded: dict[str, pd.DataFrame]) -> None:
    """Flag records farther than ``options.checks.far_km`` from the park; nothing far is imported unconfirmed.

    Confirmed (``accept_far``): a notice. Asked by the preview (``ask_far``): a
    notice and a confirmation the preview's form asks for. Otherwise a problem.
    A park this import creates has nothing to be far from.
    """
    if report.new_park or store is None or not store.exists():
        return
    names = [name for name in store.layer_names() if name in REGISTRY and REGISTRY[name].geometry is not None]
    reference = messy.park_reference(lambda name: loaded[name] if name in loaded else store.load(name), names)
    if reference is None:
        return
    limit_km = options.checks.far_km
    far, distance_km = messy.far_records(geoms, reference, far_km=limit_km)
    if not len(far):
        return
    labels = np.char.add("row ", (rows[far] + 1).astype(str)).astype(object)
    nearest, farthest = messy.km_text(float(distance_km.min())), messy.km_text(float(distance_km.max()))
    span = f"{nearest} km" if nearest == farthest else f"{nearest}–{farthest} km"
    report.confirmations["far"] = {
        "records": len(far), "nearest_km": nearest, "farthest_km": farthest,
        "threshold_km": limit_km, "reference": reference.label,
        "examples": [[str(label), messy.km_text(float(km))] for label, km in zip(labels[:12], distance_km[:12])],
    }
    message = (f"lies {span} from {reference.label}; data more than {limit_km:g} km from the park is most often "
               "in a wrong CRS or another place's file")
    if options.accept_far:
        report.notices.append(aggregated(labels, np.arange(len(far)), "geometry", f"{message}: accepted, as confirmed"))
    elif options.ask_far:
        report.notices.append(aggregated(labels, np.arange(len(far)), "geometry",
                                         f"{message}: check the CRS and the file; imported only if the "
                                         "confirmation says these records belong to the park"))
    else:
        report.problems.append(aggregated(labels, np.arange(len(far)), "geometry",
                                          f"{message}: check the CRS and the file; data this far is imported only "
                                          "when the import is confirmed for it"))


def _damaged_geometry(report: ImportReport, options: ImportOptions, row: int, message: str, value=None) -> None:
    """A geometry nothing can be made of damages its record: rejected, or left out with --accept-damaged."""
    if options.accept_damaged:
        report.note(_row(row), "geometry", f"left out: {message}", value)
    else:
        report.problem(_row(row), "geometry", message, value)


def _settle(values: np.ndarray, source_rows: np.ndarray, parts: np.ndarray, spec: LayerSpec,
            options: ImportOptions, to_source: messy.SourceCoordinates, report: ImportReport):
    """Drop the parts the transformation collapsed and repair what it made invalid, with notices by record
    naming the place in the source's coordinates; records nothing is left of are damaged."""
    settled = geometry.settle_transformed(values, spec.geometry, min_size_m=options.checks.collapsed_part_m)
    for position, message, point in settled.fixes:
        where = to_source.at(point) + ")" if point is not None else ""
        report.note(_row(source_rows[position]), "geometry", to_source.rewrite(message) + where)
    for position, message, point in settled.problems:
        where = to_source.at(point) + ")" if point is not None else ""
        _damaged_geometry(report, options, source_rows[position], to_source.rewrite(message) + where)
    if not settled.problems:
        return settled.geometries, source_rows, parts
    keep = np.ones(len(values), dtype=bool)
    keep[[position for position, _, _ in settled.problems]] = False
    return settled.geometries[keep], source_rows[keep], parts[keep]


def _mapped_frame(data: SourceData, rows: np.ndarray, spec: LayerSpec, mapping: FieldMapping,
                  report: ImportReport, *, profile_values: int = 0):
    """The source's records with their fields mapped onto the layer's, and every other field kept as it came.

    Returns the frame (registry field names, raw values; ``source_attributes``
    holding the kept fields) and the header units of mapped fields. The report
    gets one outcome per source field (:class:`layers.io.report.FieldOutcome`).
    """
    frame = data.frame
    declared = {short: (kind, data.field_table.get(short, short)) for short, kind in data.field_types.items()}
    columns = [c for c in frame.columns if c != "geometry"]
    types_column = next((c for c in columns if is_types_column(c)), None)
    try:
        entries = manifest_entries(frame.iloc[rows].reset_index(drop=True), types_column)
    except ValueError as exc:
        report.problem("all", str(types_column), str(exc))
        entries = None
    columns = [c for c in columns if c != types_column]
    exported = {column for entry in entries or [] for column in entry}
    absent = [c for c in dict.fromkeys(c for entry in entries or [] for c in entry) if c not in frame.columns]
    if absent:  # a KML placemark writes no element for an empty value: a column empty everywhere is not read
        frame = frame.assign(**{c: pd.Series(None, index=frame.index, dtype=object) for c in absent})
        columns += absent
    explicit = dict(mapping.fields)
    for short, name in data.field_table.items():
        if short in columns and name in spec.field_names and short not in declared:
            explicit.setdefault(short, name)
    keep = tuple(mapping.keep) + tuple(mapping.links) + tuple(c for c in columns if (c in exported or c in declared)
                                                              and c not in explicit)
    match = match_columns(columns, spec, dataclasses.replace(mapping, fields=explicit, keep=keep))
    if entries is not None:
        # A ParkAtlas export: what its format's structure gave (a placemark's folder) that no field takes is not data.
        structure = [c for c in match.kept if c in data.structure_columns and c not in exported]
        match.ignored += structure
        # Kept in the order the export's types column lists them (a column a KML could not show comes last).
        order = {c: i for i, c in enumerate(dict.fromkeys(c for entry in entries for c in entry))}
        match.kept = sorted((c for c in match.kept if c not in structure), key=lambda c: order.get(c, len(order)))
    # An export's name columns (用地性质名称) restate the codes beside them: not data to keep.
    names = restating_columns(frame.iloc[rows], match.renames, [c for c in match.kept if c not in mapping.keep], spec)
    if names.columns:
        data = dataclasses.replace(data, derived_columns={**data.derived_columns, **names.columns})
    for column, message, value in names.notes:
        report.note("all", column, message, value)
    derived = [c for c in match.kept if c in data.derived_columns]
    if derived:  # restating the record (a 国土 TXT's point count and area): not data to keep
        match.kept = [c for c in match.kept if c not in data.derived_columns]
        match.ignored += derived
    yearly = _yearly_columns(match, keep, spec, report)
    link = _link_column(match, spec, mapping, report)
    for target, message, value in match.problems:
        report.problem("all", target, message, value)
    for target, message, value in match.notes:
        report.note("all", target, message, value)
    report.mapping = dict(match.renames)
    source = frame.iloc[rows].reset_index(drop=True)
    out = pd.DataFrame({target: source[column] for column, target in match.renames.items()},
                       index=source.index)
    if profile_values:
        report.profiles = profile_columns(source, columns, limit=profile_values)
    if carries(spec):
        kept = keep_columns(source, match.kept, manifest=entries, declared=declared)
        for column, message, value in kept.notes:
            report.note("all", column, message, value)
        if kept.names:
            out[SOURCE_ATTRIBUTES] = (merge_documents(out[SOURCE_ATTRIBUTES], kept.documents)
                                      if SOURCE_ATTRIBUTES in out.columns else kept.documents)
    else:
        kept = Kept(pd.Series(dtype=object), unreadable={c: ("这个图层不保留源字段", "this layer keeps no source "
                                                         "fields") for c in match.kept})
    report.kept = [kept.names[c] for c in match.kept if c in kept.names]
    report.fields = _field_outcomes(data, types_column, match, kept, yearly, spec, link)
    for target, table in mapping.values.items():
        if target in out.columns:
            lookup = {normalise_text(k): v for k, v in table.items()}
            out[target] = out[target].map(
                lambda v, lookup=lookup: lookup.get(normalise_text(v), v) if pd.notna(v) else v)
    for target, value in mapping.defaults.items():
        if target not in out.columns:
            out[target] = value
        else:
            out[target] = out[target].where(present(out[target]), value)
        report.note("all", target, f"default {value!r} from the mapping file where the source has no value")
    for target, value in data.defaults.items():  # (the reader said how it knows; the user's mapping wins)
        if target not in mapping.defaults:
            out[target] = out[target].where(present(out[target]), value) if target in out.columns else value
    return out, match.units, yearly, link


def _link_column(match, spec: LayerSpec, mapping: FieldMapping, report: ImportReport) -> tuple[Link, str] | None:
    """The kept field whose ids link the records of the layer's link, and the link: the one the mapping names
    (``links``), else the one whose header the link declares (:func:`layers.io.links.link_column`: 所在地块 of an
    enterprise list) but a field the mapping keeps as it is. It stays a kept field too. Other fields naming the
    same layer are said to be kept only."""
    chosen = [c for c in match.kept if normalise_text(c) in {normalise_text(n) for n in mapping.links}]
    if chosen and spec.links:
        link, column, others = spec.links[0], chosen[0], chosen[1:]
    else:
        explicit = {normalise_text(c) for c in mapping.keep}
        found = linking.link_column([c for c in match.kept if normalise_text(c) not in explicit], spec)
        if found is None:
            return None
        link, column, others = found
    for other in others:
        report.note("all", other, f"also names {link.layer}; kept as it is (the link reads {column!r})")
    return link, column


def _yearly_columns(match, keep: tuple[str, ...], spec: LayerSpec, report: ImportReport
                    ) -> wide_years.YearlyColumns | None:
    """The wide yearly columns among the fields no registry field takes (``2024年营业收入（万元）``), for a
    layer with a yearly table; they leave the kept fields, and the report says where each goes or why it stays.
    A field the mapping keeps as it is stays."""
    if spec.yearly_layer is None:
        return None
    table = get_layer(spec.yearly_layer)
    explicit = {normalise_text(c) for c in keep}
    yearly = wide_years.yearly_columns([c for c in match.kept if normalise_text(c) not in explicit], table,
                                       key=spec.id_field)
    moved = {c.column for c in yearly.columns}
    match.kept = [c for c in match.kept if c not in moved]
    for column in yearly.columns:
        report.note("all", column.column, f"moved to {table.name}: {column.field} of {column.year} "
                                          f"({wide_years.unit_text(column, table)})")
    for column, why in yearly.left:
        report.note("all", column, why)
    return yearly


def _field_outcomes(data: SourceData, types_column: str | None, match, kept: Kept,
                    yearly: wide_years.YearlyColumns | None = None, spec: LayerSpec | None = None,
                    link: tuple[Link, str] | None = None) -> list[FieldOutcome]:
    """One outcome per source field, in the source's order (geometry columns of a table first)."""
    outcomes = [FieldOutcome(c, "geometry") for c in data.geometry_columns]
    by_column = {column: FieldOutcome(column, "mapped", target=target) for column, target in match.renames.items()}
    if yearly is not None and spec is not None:
        by_column.update({c.column: FieldOutcome(c.column, "yearly", target=f"{spec.yearly_layer}.{c.field}",
                                                 year=c.year) for c in yearly.columns})
    linked = {link[1]: f"{link[0].layer}.{link[0].field}"} if link is not None else {}
    by_column.update({c: FieldOutcome(kept.names[c], "kept", kind=kept.kinds[c], target=linked.get(c))
                      for c in kept.names})
    by_column.update({c: FieldOutcome(c, "unreadable", reason=why) for c, why in kept.unreadable.items()})
    structure = ("ParkAtlas 导出文件的结构", "the structure of a ParkAtlas export") if types_column else None
    by_column.update({c: FieldOutcome(c, "ignored", reason=data.derived_columns.get(c) or (
                          structure if c in data.structure_columns else None)) for c in match.ignored})
    if types_column is not None:
        by_column[types_column] = FieldOutcome(types_column, "types")
    for column in data.frame.columns:
        if column in by_column:
            outcomes.append(by_column.pop(column))
    return outcomes + list(by_column.values())


def _auto_ids(existing: pd.DataFrame | None, spec: LayerSpec, count: int) -> list[str]:
    """``count`` new ids ``AUTO-<layer>-<n>`` after the highest such id in ``existing``."""
    prefix = f"AUTO-{spec.name}-"
    start = 0
    if existing is not None and len(existing):
        taken = existing[spec.id_field].dropna().astype(str)
        numbers = pd.to_numeric(taken[taken.str.startswith(prefix)].str[len(prefix):], errors="coerce")
        start = int(numbers.max()) if numbers.notna().any() else 0
    return [f"{prefix}{start + k + 1}" for k in range(count)]


def _no_longer_the_id(column: str, data: SourceData, rows: np.ndarray, spec: LayerSpec, frame: pd.DataFrame,
                      report: ImportReport) -> None:
    """Source field ``column`` was taken for the id and is not (a constant column, another field chosen): kept
    as is on the records, as every field no registry field takes is, so its values are not lost."""
    report.mapping.pop(column, None)
    if column not in data.frame.columns:
        return
    if not carries(spec):
        outcome = FieldOutcome(column, "unreadable", reason=("这个图层不保留源字段", "this layer keeps no source fields"))
    else:
        kept = keep_columns(data.frame.iloc[rows].reset_index(drop=True), [column])
        if column not in kept.names:
            outcome = FieldOutcome(column, "unreadable", reason=kept.unreadable.get(column))
        else:
            documents = kept.documents.set_axis(frame.index)
            frame[SOURCE_ATTRIBUTES] = (merge_documents(frame[SOURCE_ATTRIBUTES], documents)
                                        if SOURCE_ATTRIBUTES in frame.columns else documents)
            report.kept.append(kept.names[column])
            outcome = FieldOutcome(kept.names[column], "kept", kind=kept.kinds[column])
    report.fields = [outcome if f.source == column else f for f in report.fields]


def _now_the_id(column: str, spec: LayerSpec, report: ImportReport) -> None:
    """Source field ``column`` gives the ids now (chosen, or the alias beside a faulty id column)."""
    report.mapping[column] = spec.id_field
    report.fields = [FieldOutcome(column, "mapped", target=spec.id_field) if f.source == column else f
                     for f in report.fields]


def _chosen_id(data: SourceData, rows: np.ndarray, spec: LayerSpec, options: ImportOptions, mapping: FieldMapping,
               frame: pd.DataFrame, report: ImportReport) -> bool:
    """Apply the user's choice of id field (``--id-field``, the preview's choice); whether ids were chosen.

    ``AUTO`` generates ids whatever the source holds; a field name takes the ids
    from that field. An id field named in the mapping file is a choice too.
    """
    id_field = spec.id_field
    chosen = (options.id_field or "").strip()
    if not chosen:
        return id_field in mapping.fields.values()
    previous = next((s for s, t in report.mapping.items() if t == id_field), None)
    if previous is not None:  # no longer the id: kept as is, and the report says where the ids come from now
        _no_longer_the_id(previous, data, rows, spec, frame, report)
    if chosen.upper() == messy.GENERATE_IDS:
        if id_field in frame.columns:
            frame.pop(id_field)
        report.note("all", id_field, "ids generated, as chosen")
        return True
    columns = [c for c in data.frame.columns if c != "geometry"]
    column = next((c for c in columns if normalise_text(c) == normalise_text(chosen)), None)
    if column is None:
        raise report.reject("all", id_field, f"no field {chosen!r} in the source to take the ids from; fields: "
                                             f"{', '.join(map(str, columns))}")
    frame[id_field] = data.frame[column].iloc[rows].to_numpy()
    if column not in report.mapping:
        _now_the_id(column, spec, report)
    report.notices = [n for n in report.notices
                      if not (n.field == id_field and n.message.startswith(f"source field {column!r} also matches"))]
    report.note("all", id_field, f"ids from the source field {column!r}, as chosen")
    return True


def _ids_from_declared(data: SourceData, rows: np.ndarray, spec: LayerSpec, frame: pd.DataFrame,
                       report: ImportReport) -> bool:
    """Ids from a field that stands for them (``LayerSpec.id_from``: an enterprise list's 统一社会信用代码) when no
    source field gives the id and none was chosen: taken when the field holds a value on every record, each once;
    the report says so (and the choice stays open: ``report.choices['id_field']``), or why it is not taken.
    Returns whether ids were taken."""
    id_field = spec.id_field
    if id_field in frame.columns:
        return False
    for name in spec.id_from:
        column = next((s for s, t in report.mapping.items() if t == name), None)
        if column is None or name not in frame.columns:
            continue
        ids = to_text(frame[name])[0]
        missing = int(ids.isna().sum())
        fault = f"has no value on {missing} record(s)" if missing else messy.id_column_fault(ids)
        if fault is not None:
            report.note("all", id_field, f"not taken from the source field {column!r} ({name}), which {fault}")
            continue
        frame[id_field] = ids.astype(object).to_numpy()
        report.choices["id_field"] = {"source": column, "chosen": column, "default": True, "fault": None,
                                      "candidates": _id_candidates(data, rows, report)}
        report.note("all", id_field, f"the source has no {id_field}; taken from the source field {column!r} "
                                     f"({name}), which holds a value on every record, each once (to take them from "
                                     "another field or generate them: --id-field)")
        report.fields = [dataclasses.replace(f, also=id_field) if f.source == column else f for f in report.fields]
        return True
    return False


def _chosen_id_offered(data: SourceData, rows: np.ndarray, spec: LayerSpec, options: ImportOptions,
                       report: ImportReport) -> None:
    """For a layer whose ids a field may stand for (``LayerSpec.id_from``), the id field chosen stays a choice the
    preview offers: the field chosen and the others that could be the id."""
    chosen = (options.id_field or "").strip()
    if chosen and spec.id_from and "id_field" not in report.choices:
        source = next((s for s, t in report.mapping.items() if t == spec.id_field), chosen)
        report.choices["id_field"] = {"source": source, "chosen": chosen, "default": False, "fault": None,
                                      "candidates": _id_candidates(data, rows, report)}


def _id_candidates(data: SourceData, rows: np.ndarray, report: ImportReport) -> list[str]:
    """The source fields that could be the id (:func:`layers.io.messy.id_candidates`) but the yearly figures."""
    figures = {f.source for f in report.fields if f.outcome == "yearly"}
    return [c for c in messy.id_candidates(data.frame, np.unique(rows)) if c not in figures]


def _instead_of_faulty_ids(frame: pd.DataFrame, spec: LayerSpec, parts: np.ndarray, source_rows: np.ndarray,
                           report: ImportReport, *, data: SourceData, fault: str) -> tuple[pd.Series, bool]:
    """The ids to use when the column the aliases took for the id is none: another source field that also
    names the id and holds a value on every record, each once; else none (they are generated). Either way
    the fields that could be the id are offered as a choice. Returns (ids, whether the source had ids)."""
    id_field = spec.id_field
    column = next((s for s, t in report.mapping.items() if t == id_field), id_field)
    source = data.frame
    rows = np.unique(source_rows)
    candidates = messy.id_candidates(source, rows)
    report.choices["id_field"] = {"source": column, "fault": fault, "candidates": candidates}
    _no_longer_the_id(column, data, source_rows, spec, frame, report)
    # A field the aliases also read as the id (宗地号 beside a constant ID) is the id the file meant.
    alias = next((c for c in candidates if c != column
                  and match_columns([c], spec).renames.get(c) == id_field), None)
    if alias is None:
        report.note("all", column, f"{fault}: it is not an id (not taken as {id_field})")
        return pd.Series(np.nan, index=frame.index, dtype=object), False
    report.note("all", column, f"{fault}: it is not an id; {id_field} taken from {alias!r}, which names it too "
                               "and holds a value on every record, each once")
    report.notices = [n for n in report.notices
                      if not (n.field == id_field and n.message.startswith(f"source field {alias!r} also matches"))]
    _now_the_id(alias, spec, report)
    return to_text(pd.Series(source[alias].iloc[source_rows].to_numpy(), index=frame.index))[0].astype(object), True


def _fill_ids(frame: pd.DataFrame, spec: LayerSpec, parts: np.ndarray, existing: pd.DataFrame | None,
              source_rows: np.ndarray, report: ImportReport, *, data: SourceData,
              chosen: bool = False) -> tuple[bool, np.ndarray]:
    """Suffix exploded parts, generate missing ids after the park's highest AUTO id.

    A column the aliases took for the id that holds one value on every row, or
    duplicates, is no id: the report says so, ids are generated for every record
    and the source fields that could be the id are offered as a choice. An id
    field the user chose is kept (its duplicates are problems of validation).
    Returns whether the source had ids, and the positions whose ids were generated.
    """
    id_field = spec.id_field
    had_ids = id_field in frame.columns
    ids = to_text(frame[id_field])[0].astype(object) if had_ids else pd.Series(np.nan, index=frame.index,
                                                                                dtype=object)
    fault = None
    if had_ids and not chosen:
        fault = messy.id_column_fault(ids[parts <= 1])  # one value per source record: parts share their record's
        if fault is not None:
            ids, had_ids = _instead_of_faulty_ids(frame, spec, parts, source_rows, report, data=data, fault=fault)
    split = (parts > 0) & ids.notna().to_numpy()
    if split.any():
        ids[split] = [f"{i}-{p}" for i, p in zip(ids[split], parts[split])]
    missing = ids.isna().to_numpy()
    if missing.any():
        generated = _auto_ids(existing, spec, int(missing.sum()))
        ids[missing] = generated
        if fault is not None and not had_ids:
            report.note("all", id_field, f"generated {generated[0]} … {generated[-1]}")
        elif not had_ids:
            report.note("all", id_field, f"the source has no {id_field}; generated {generated[0]} … {generated[-1]}")
        elif len(generated) == 1:
            report.note(_row(source_rows[missing][0]), id_field, f"no id; generated {generated[0]}")
        else:
            labels = np.char.add("row ", (source_rows[missing] + 1).astype(str))
            report.notices.append(aggregated(labels, np.arange(len(generated)), id_field,
                                             f"no id; generated {generated[0]} … {generated[-1]}"))
    frame[id_field] = ids
    return had_ids, np.flatnonzero(missing)


def _empty_layer(spec: LayerSpec, crs: CRS) -> pd.DataFrame:
    """The layer of a park that does not have it yet: no records, declared dtypes."""
    frame = pd.DataFrame({f.name: empty_column(f, pd.RangeIndex(0)) for f in spec.fields})
    if spec.geometry is not None:
        frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs))
    return frame


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise equality of two aligned, identically typed columns, missing equal to missing."""
    both_missing = a.isna().to_numpy() & b.isna().to_numpy()
    equal = a.reset_index(drop=True).eq(b.reset_index(drop=True)).fillna(False).to_numpy(dtype=bool)
    return both_missing | equal


def merge(existing: pd.DataFrame, incoming: pd.DataFrame, spec: LayerSpec, *, mode: str, today,
          has_ids: bool = True, provided: set[str] | None = None,
          valid_from=None) -> tuple[pd.DataFrame, dict[str, int], list[Problem]]:
    """The layer after importing ``incoming`` into ``existing`` by ``mode``, with history kept.

    Both frames are validated (typed). ``provided`` names the fields the source
    had: an updated record keeps its current value of every other field (a file
    of ids and outlines does not wipe the attributes). The file's records without
    valid dates get them from their own dates, else ``valid_from`` (given for the
    whole file); records ``replace`` retires are no longer true from ``today``.
    Returns (result, counts, problems).
    """
    id_field = spec.id_field
    stamp = pd.Timestamp(today).normalize()
    problems: list[Problem] = []
    old_ids = existing[id_field].astype(object)
    new_ids = incoming[id_field].astype(object)
    matched = new_ids.isin(set(old_ids)).to_numpy()
    if mode == "upsert" and not has_ids:
        problems.append(Problem("all", id_field, None,
                                f"upsert keys on {id_field}, and the source has none; use replace or append, "
                                "or choose the field that holds the ids"))
    if mode == "append" and matched.any():
        problems += [Problem(f"row {i + 1} ({id_field}={new_ids.iloc[i]})", id_field, new_ids.iloc[i],
                             "already in the park; use --mode upsert to update it") for i in np.flatnonzero(matched)]
    incoming = incoming.copy()
    for name in HISTORY_FIELD_NAMES:
        incoming[name] = incoming[name].astype("datetime64[ms]")
    counts = {"added": int((~matched).sum()), "updated": 0, "unchanged": 0, "retired": 0}

    position = pd.Series(np.arange(len(existing)), index=old_ids.to_numpy())
    old_rows = position.reindex(new_ids[matched].to_numpy()).to_numpy()
    old_match = existing.iloc[old_rows].reset_index(drop=True)
    new_match = incoming[matched].reset_index(drop=True)
    if provided is not None:
        for name in spec.field_names:
            if name not in provided and name not in (id_field, "first_added", "last_updated"):
                new_match[name] = old_match[name]
    # Valid time: a file that has valid_from / valid_to states them (empty = unknown, as exports write it).
    own = tuple(name for name in VALID_TIME_FIELD_NAMES if provided is None or name not in provided)
    new_match = fill_valid_time(new_match, spec, today=stamp, valid_from=valid_from, own_dates=own)
    compared = [f for f in spec.field_names if f not in HISTORY_FIELD_NAMES]
    unchanged = np.ones(len(new_match), dtype=bool)
    for name in compared:
        unchanged &= _same(old_match[name], new_match[name])
    if spec.geometry is not None and len(new_match):
        a, b = old_match.geometry.to_numpy(), new_match.geometry.to_numpy()
        both = ~shapely.is_missing(a) & ~shapely.is_missing(b)
        same_geometry = shapely.is_missing(a) & shapely.is_missing(b)
        same_geometry[both] = shapely.equals_exact(a[both], b[both], tolerance=1e-3)
        unchanged &= same_geometry
    if "retired_on" in new_match:
        unchanged &= _same(old_match["retired_on"], new_match["retired_on"])
    counts["updated"] = int((~unchanged).sum())
    counts["unchanged"] = int(unchanged.sum())

    new_rows = fill_valid_time(incoming[~matched].copy(), spec, today=stamp, valid_from=valid_from, own_dates=own)
    new_rows["first_added"] = new_rows["first_added"].fillna(stamp)
    new_rows["last_updated"] = new_rows["last_updated"].fillna(stamp)

    updated = new_match.copy()
    if spec.geometry is not None and unchanged.any():
        # Equal within a millimetre is unchanged: keep the stored outline, not the file's re-projected copy of it,
        # so importing the same file again changes no coordinate.
        updated.loc[unchanged, "geometry"] = old_match.geometry[unchanged].to_numpy()
    updated["first_added"] = old_match["first_added"].fillna(new_match["first_added"]).fillna(stamp)
    updated["last_updated"] = np.where(unchanged, old_match["last_updated"], new_match["last_updated"].fillna(stamp))
    updated["last_updated"] = pd.to_datetime(updated["last_updated"]).astype("datetime64[ms]")
    if spec.geometry is not None:
        updated = gpd.GeoDataFrame(updated, geometry="geometry", crs=incoming.crs)

    keep_old = ~old_ids.isin(set(new_ids)).to_numpy() if mode != "append" else np.ones(len(existing), dtype=bool)
    rest = existing[keep_old].copy()
    if mode == "replace":
        live = rest["retired_on"].isna().to_numpy()
        rest.loc[live, "retired_on"] = stamp
        rest.loc[live, "last_updated"] = stamp
        if has_valid_time(spec):  # gone from the file: no longer true from today, unless it says otherwise
            ends = live & rest["valid_to"].isna().to_numpy() & ~(rest["valid_from"] >= stamp).to_numpy(dtype=bool)
            rest.loc[ends, "valid_to"] = stamp
        counts["retired"] = int(live.sum())
    parts = [rest, updated, new_rows] if mode != "append" else [existing, new_rows]
    result = pd.concat([p for p in parts if len(p)] or [existing], ignore_index=True)
    if spec.geometry is not None:
        result = gpd.GeoDataFrame(result, geometry="geometry", crs=existing.crs or incoming.crs)
    return result, {k: v for k, v in counts.items() if v or k == "added"}, problems


def _note_valid_time(result: pd.DataFrame, incoming: pd.DataFrame, spec: LayerSpec, options: ImportOptions,
                     provided: set[str], report: ImportReport) -> None:
    """Say how many of the file's records know since when they were true, and from what."""
    if not has_valid_time(spec) or not len(incoming):
        return
    mine = result[isin(result[spec.id_field], incoming[spec.id_field])]  # Arrow's hash: 10⁵ ids in ms
    known = int(mine["valid_from"].notna().sum())
    rule = load_rules().get(spec.name)
    own = ["the file's valid_from column"] if "valid_from" in provided else list(rule.valid_from if rule else ())
    sources = [*own, *(["the valid-from given for the file, " + options.valid_from.isoformat()]
                       if options.valid_from else [])]
    how = f" (from {', '.join(sources)})" if sources else ""
    report.note("all", "valid_from", f"valid time: {known} of {len(mine)} record(s) have a valid_from{how}; "
                                     "the others are taken as true on every day")


def _topology(result: pd.DataFrame, spec: LayerSpec, options: ImportOptions, report: ImportReport,
              to_source: messy.SourceCoordinates | None = None) -> None:
    if spec.name != "parcels" or not len(result):
        return
    live = result[result["retired_on"].isna()]
    flags = geometry.topology_flags(live, tolerances=options.topology)
    ids = live[spec.id_field].to_numpy()
    for a, b, area_m2 in flags.overlaps:
        report.note(f"{ids[a]} / {ids[b]}", "geometry", f"parcels overlap by {area_m2:,.1f} m²")
    for i, area_m2, width_m in flags.slivers:
        report.note(str(ids[i]), "geometry", f"sliver: {area_m2:,.1f} m², mean width {width_m:.2f} m")
    for x, y, area_m2 in flags.gaps:
        where = to_source.at((x, y)).removeprefix(" at ") if to_source is not None else f"({x:,.1f}, {y:,.1f})"
        report.note(f"gap at {where}", "geometry", f"gap of {area_m2:,.1f} m² between parcels")


# -- the whole import ----------------------------------------------------------------------------------


def _plan(staged: StagedSource, spec: LayerSpec, store, options: ImportOptions, report: ImportReport) -> ImportPlan:
    mapping = _load_mapping(options, spec, store, report)
    data = _read(staged, spec, options, mapping, report)
    frame = data.frame
    report.records_read = len(frame)
    if not len(frame) and not data.damaged:
        kind = f"no {spec.geometry.lower()} entities in the model space" if data.driver.startswith("DXF") \
            else "no records"
        raise report.reject("file", "record", f"{report.source} holds {kind}; nothing to import"
                            + (" (a DXF that is cut short reads as empty)" if data.driver.startswith("DXF") else ""))
    if len(frame) > options.limits.max_features:
        raise report.reject("file", "record", f"{len(frame):,} records; at most {options.limits.max_features:,} "
                                              "are imported at once")
    keep = np.ones(len(frame), dtype=bool)
    _handle_damaged(data, keep, options, report)
    _apply_include(frame, keep, mapping, report)
    for position, message in data.fixes:
        report.note(_row(position), "geometry", message)
    park_crs = _park_crs(store, report)
    scoped = _scoped_rows(store, spec, options)
    existing = store.load(spec.name) if store is not None and store.exists() and scoped is None else None
    if spec.geometry is not None:
        if not data.has_geometry:
            raise report.reject("file", "geometry", f"layer {spec.name!r} needs geometry ({spec.geometry}); "
                                                    "the source has none")
        geoms, rows, parts, park_crs, to_source = _geometries(data, keep, spec, options, mapping, park_crs, report)
        _far_from_park(store, geoms, rows, options, report, {spec.name: existing} if existing is not None else {})
    else:
        if data.has_geometry:
            report.note("all", "geometry", f"layer {spec.name!r} is a table: the source's geometry is not imported")
        rows, parts, geoms, to_source = np.flatnonzero(keep), np.zeros(int(keep.sum()), dtype=np.int64), None, None
        if park_crs is None:
            raise report.reject("park", "park", "a park is created by importing a spatial layer first "
                                                "(its working CRS comes from the data)")
    mapped, units, yearly, link = _mapped_frame(data, rows, spec, mapping, report,
                                                profile_values=options.profile_values)
    chosen = _chosen_id(data, rows, spec, options, mapping, mapped, report)
    _chosen_id_offered(data, rows, spec, options, report)
    if not chosen and spec.id_from:
        chosen = _ids_from_declared(data, rows, spec, mapped, report)
    if scoped is not None:  # the records the file names, and the generated ids taken already: not the layer
        named = to_text(mapped[spec.id_field])[0].dropna().astype(str) if spec.id_field in mapped else []
        existing = scoped.read_rows(spec.name, list(named), id_prefixes=(f"AUTO-{spec.name}-",))
    has_ids, generated = _fill_ids(mapped, spec, parts, existing, rows, report, data=data, chosen=chosen)
    labels = np.char.add("row ", (rows + 1).astype(str)).astype(object)
    report.notices += _aggregate_notes(normalise.normalise_frame(mapped, spec, units=units), labels)
    if geoms is not None:
        mapped = gpd.GeoDataFrame(mapped, geometry=gpd.GeoSeries(geoms, crs=park_crs))
    try:
        incoming, validation = validate_layer(mapped, spec, source=report.source)
        report.notices += _renumber(validation.notices, rows)
    except LayerValidationError as exc:
        report.problems += _in_source_coordinates(_renumber(exc.problems, rows), to_source)
        return ImportPlan(report, spec)
    if existing is None:
        existing = _empty_layer(spec, park_crs)
    provided = set(mapped.columns)
    yearly_plan = None
    if yearly is not None and yearly.columns:
        yearly_plan = _plan_yearly(data, rows, yearly, spec, incoming, store, options, report)
    link_plan = (_plan_links(data, rows, link, spec, incoming, store, report) if link is not None
                 else _plan_name_links(spec, incoming, store, report))
    result, counts, problems = merge(existing, incoming, spec, mode=options.mode, today=options.date,
                                     has_ids=has_ids, provided=provided, valid_from=options.valid_from)
    _note_valid_time(result, incoming, spec, options, provided, report)
    report.problems += problems
    report.counts = counts
    report.records_imported = int(result["retired_on"].isna().sum())
    if scoped is not None:  # the layer's other records are not read: count them in the store
        report.records_imported += scoped.count_live(spec.name) - int(existing["retired_on"].isna().sum())
    if spec.geometry is not None:
        _topology(_with_neighbours(result, store, spec) if scoped is not None else result, spec, options, report,
                  to_source)
    meta = None
    if report.new_park:
        meta = {"working_epsg": int(park_crs.to_epsg()),
                "park_name": options.park_name or Path(report.source).stem,
                "created_from": report.source}
    return ImportPlan(report, spec, incoming, result, meta, incoming.head(PREVIEW_RECORDS), generated=generated,
                      has_ids=has_ids, provided=provided, yearly=yearly_plan, links=link_plan)


def _plan_yearly(data: SourceData, rows: np.ndarray, yearly: wide_years.YearlyColumns, spec: LayerSpec,
                 incoming: pd.DataFrame, store, options: ImportOptions, report: ImportReport) -> YearlyPlan | None:
    """The yearly records the wide yearly columns give (:func:`layers.io.wide_years.reshape_years`), keyed by the
    records' ids as imported, validated and upserted into the yearly table as the park holds it."""
    table = get_layer(spec.yearly_layer)
    source = data.frame.iloc[rows].reset_index(drop=True)
    reshaped = wide_years.reshape_years(source, incoming[spec.id_field], yearly.columns, table, key=spec.id_field)
    columns = len(yearly.columns)
    if not len(reshaped.frame):
        report.note("all", table.name, f"{columns} yearly column(s) and no figure in them: no yearly record")
        return None
    source_rows = rows[reshaped.source]
    try:
        typed, validation = validate_layer(reshaped.frame, table, source=report.source)
    except LayerValidationError as exc:
        report.problems += _renumber(exc.problems, source_rows)
        return None
    report.notices += _renumber(validation.notices, source_rows)
    existing = store.load(table.name) if table.name in store.layer_names() else _empty_layer(table, None)
    result, counts, problems = _merge_yearly(existing, typed, reshaped.provided, table, options, key=spec.id_field)
    report.problems += problems
    report.also[table.name] = counts
    years = sorted(set(typed["year"].dropna().astype(int)))
    span = f"{years[0]}" if len(years) == 1 else f"{years[0]}–{years[-1]}"
    report.note("all", table.name, f"{len(typed)} yearly record(s) of {span} from {columns} column(s), "
                                   f"upserted by {table.id_field}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return YearlyPlan(table, typed, reshaped.provided, result)


def _merge_yearly(existing: pd.DataFrame, incoming: pd.DataFrame, provided: pd.DataFrame, spec: LayerSpec,
                  options: ImportOptions, *, key: str) -> tuple[pd.DataFrame, dict[str, int], list[Problem]]:
    """The yearly table with ``incoming`` upserted: a record updated keeps its figures the file leaves empty
    (merged by groups of records that give the same figures). Returns (result, counts, problems)."""
    given = [tuple(row) for row in provided.to_numpy(dtype=bool)]
    result, total, problems = existing, {"added": 0}, []
    for figures in dict.fromkeys(given):
        positions = [i for i, g in enumerate(given) if g == figures]
        fields = {name for name, has in zip(provided.columns, figures) if has}
        result, counts, found = merge(result, incoming.iloc[positions].reset_index(drop=True), spec, mode="upsert",
                                      today=options.date, provided={spec.id_field, key, wide_years.YEAR_FIELD, *fields},
                                      valid_from=options.valid_from)
        problems += found
        for name, value in counts.items():
            total[name] = total.get(name, 0) + value
    return result, total, problems


def _plan_links(data: SourceData, rows: np.ndarray, link: tuple[Link, str], spec: LayerSpec,
                incoming: pd.DataFrame, store, report: ImportReport) -> LinkPlan | None:
    """What the link column does to the layer it names, planned against the park (:mod:`layers.io.links`), said in
    the report (its counts in ``report.links``, a notice per outcome); None when no record names anything. A park
    without that layer, or with none of its records, gets a notice saying why nothing is linked: the list is
    imported all the same."""
    declared, column = link
    cells = data.frame.iloc[rows][column].reset_index(drop=True)
    named = sum(bool(ids) for ids in linking.cell_ids(cells))
    if not named:
        return None
    has_layer = store is not None and store.exists() and declared.layer in store.layer_names()
    rows_of = row_store(store, [declared.layer]) if has_layer else None
    if rows_of is not None:  # the records the list names, not the layer (which may hold 10⁶)
        live = rows_of.count_live(declared.layer)
        target = rows_of.read_rows(declared.layer, linking.named_ids(cells))
    else:
        target = store.load(declared.layer) if has_layer else None
        live = int(target["retired_on"].isna().sum()) if target is not None else 0
    if not live:
        report.note("all", column, linking.unavailable(declared, spec.name, has_layer=has_layer))
        report.links[declared.layer] = {"unavailable": named}
        return None
    result = linking.plan_links(incoming[spec.id_field], cells, target, get_layer(declared.layer), declared)
    return LinkPlan(declared, column, cells, result, _say_links(result, declared, column, spec, report))


def _plan_name_links(spec: LayerSpec, incoming: pd.DataFrame, store, report: ImportReport) -> LinkPlan | None:
    """Where the list has no column of ids to link by: its records' names against the holders the linked layer
    writes (``Link.by_name``: an enterprise's name and a parcel's 土地使用权人), by the same rules as ids; None when
    the layer has no link by name, the park lacks the linked layer, or no name matches a holder."""
    declared = next((link for link in spec.links if link.by_name is not None), None)
    if declared is None or store is None or not store.exists() or declared.layer not in store.layer_names():
        return None
    own_name, held_name = declared.by_name
    if own_name not in incoming.columns or not incoming[own_name].notna().any():
        return None
    target_spec = get_layer(declared.layer)
    reader = store.capabilities.fields  # (the holders' names of every record, without geometry, where it can)
    fields = [target_spec.id_field, declared.field, held_name, "retired_on"]
    target = reader.load_fields(declared.layer, fields) if reader is not None else None
    if target is None:
        if reader is not None and reader.load_fields(declared.layer, [target_spec.id_field]) is not None:
            return None  # read field by field, but no holder's name stored (a park older than the field): none match
        target = store.load(declared.layer)  # (not trusted: the layer's own read validates it)
    names = incoming[own_name].reset_index(drop=True)
    cells = pd.Series(linking.ids_by_name(names, target, target_spec, held_name), dtype=object)
    near = linking.near_note(linking.near_names(names, cells, target, target_spec, held_name), declared, spec.name,
                             declared.aliases[0])
    if near is not None:
        report.notices.append(Problem("all", own_name, None, near))
    if not any(cells.tolist()):
        return None
    result = linking.plan_links(incoming[spec.id_field], cells, target, target_spec, declared)
    return LinkPlan(declared, own_name, cells, result,
                    _say_links(result, declared, own_name, spec, report, by_name=True), by_name=True)


def _say_links(result: linking.LinkResult, link: Link, column: str, spec: LayerSpec, report: ImportReport, *,
               by_name: bool = False) -> list[Problem]:
    """Put what ``result`` does in the report (counts and notices); returns the notices added."""
    report.links[link.layer] = result.counts()
    said = [Problem("all", column, None, message)
            for message in linking.notes(result, link, spec.name, by_name=by_name)]
    report.notices += said
    return said


def _links_now(plan: ImportPlan, owners: pd.Series, current: pd.DataFrame, options: ImportOptions
               ) -> pd.DataFrame | None:
    """The linked layer with the import's links made as it is now (under the write lock; ``current`` may hold only
    the records the plan links), the records' ids as written (generated ids numbered again); None when nothing is to
    be linked any more. Only what the plan links is made: the report says it again if the park changed since."""
    links, report = plan.links, plan.report
    target_spec = get_layer(links.link.layer)
    now = linking.plan_links(owners, links.cells, current, target_spec, links.link, only=set(links.result.linked))
    result = links.result.rechecked(now)
    if result != links.result:
        said = set(map(id, links.said))
        report.notices = [n for n in report.notices if id(n) not in said]
        links.result, links.said = result, _say_links(result, links.link, links.column, plan.spec, report,
                                                      by_name=links.by_name)
    return linking.linked_layer(current, target_spec, links.link, result, today=options.date)


def _scoped_rows(store, spec: LayerSpec, options: ImportOptions):
    """The store's record reader when an import needs only the records it names (``append``/``upsert`` into a
    layer the park holds, in a store that reads records by id), else None (the layer is read whole)."""
    if options.mode == "replace" or store is None or not store.exists():
        return None
    return row_store(store, [spec.name])


def _with_neighbours(result: pd.DataFrame, store, spec: LayerSpec) -> pd.DataFrame:
    """The import's records and the park's records near them (within their extent, a little widened): what an
    overlap, sliver or gap the import makes involves; the rest of the layer is as it was."""
    if not len(result):
        return result
    x0, y0, x1, y1 = shapely.total_bounds(result.geometry.to_numpy())
    margin = max(x1 - x0, y1 - y0, 1.0) * 0.05
    near = store.load(spec.name, bbox=(x0 - margin, y0 - margin, x1 + margin, y1 + margin))
    near = near[~near[spec.id_field].isin(set(result[spec.id_field])).to_numpy(dtype=bool)]
    return gpd.GeoDataFrame(pd.concat([result, near], ignore_index=True), geometry="geometry", crs=result.crs)


def _merged_now(plan: ImportPlan, current: pd.DataFrame, options: ImportOptions, *, whole: bool = True,
                incoming: pd.DataFrame | None = None) -> pd.DataFrame:
    """The layer with the incoming records merged into it as it is now (under the write lock).

    Generated ids are numbered again after the highest one in the layer now
    (:func:`_incoming_now`, unless ``incoming`` is given as it made them), so two
    imports without ids never hand out the same one; a record that another writer
    added since the preview (an id ``append`` may no longer take) rejects the import.
    """
    report, spec = plan.report, plan.spec
    incoming = _incoming_now(plan, current) if incoming is None else incoming
    result, counts, problems = merge(current, incoming, spec, mode=options.mode, today=options.date,
                                     has_ids=plan.has_ids, provided=plan.provided, valid_from=options.valid_from)
    if problems:
        report.problems += problems
        report.note("park", spec.name, "the park changed since the preview; nothing was imported")
        raise ImportRejected(report)
    report.counts = counts
    if whole:  # (merged into the records concerned only, the layer's count is the preview's)
        report.records_imported = int(result["retired_on"].isna().sum())
    return result


def _incoming_now(plan: ImportPlan, current: pd.DataFrame) -> pd.DataFrame:
    """The incoming records with their generated ids numbered after the highest one in the layer now."""
    report, spec = plan.report, plan.spec
    incoming = plan.incoming
    if plan.generated is not None and len(plan.generated):
        ids = _auto_ids(current, spec, len(plan.generated))
        planned = incoming[spec.id_field].iloc[plan.generated].tolist()
        if ids != planned:
            incoming = incoming.copy()
            incoming.iloc[plan.generated, incoming.columns.get_loc(spec.id_field)] = ids
            report.note("all", spec.id_field, f"the park changed since the preview: generated ids are now "
                                              f"{ids[0]} … {ids[-1]}")
    return incoming


def _yearly_now(plan: ImportPlan, current: pd.DataFrame, options: ImportOptions, owners: pd.Series) -> pd.DataFrame:
    """The yearly table with the import's yearly records upserted into it as it is now (under the write lock), keyed
    by their owners' ids as written (``owners``, aligned with ``plan.incoming``: generated ids numbered again)."""
    yearly = plan.yearly
    planned = plan.incoming[plan.spec.id_field]
    ids_now = {str(a): str(b) for a, b in zip(planned, owners, strict=True) if pd.notna(a) and a != b}
    incoming = wide_years.rekeyed(yearly.incoming, ids_now, yearly.spec, key=plan.spec.id_field)
    result, counts, problems = _merge_yearly(current, incoming, yearly.provided, yearly.spec, options,
                                             key=plan.spec.id_field)
    if problems:
        plan.report.problems += problems
        plan.report.note("park", yearly.spec.name, "the park changed since the preview; nothing was imported")
        raise ImportRejected(plan.report)
    plan.report.also[yearly.spec.name] = counts
    return result


def _others(plan: ImportPlan) -> list[str]:
    """The layers an import writes with its own: the yearly table, the layer its links name."""
    return ([plan.yearly.spec.name] if plan.yearly is not None else []) + (
        [plan.links.link.layer] if plan.links is not None and plan.links.writes else [])


def _with_others_now(plan: ImportPlan, current: dict[str, pd.DataFrame], options: ImportOptions, *,
                     whole: bool = True) -> dict[str, pd.DataFrame]:
    """The layer, its yearly table and the layer its links name as the import makes them from the park as it is
    now (under the write lock; ``whole``: the layers read whole, else the records of :func:`_others_scope`); the
    linked layer only when it links something."""
    name = plan.spec.name
    incoming = _incoming_now(plan, current[name])
    out = {name: _merged_now(plan, current[name], options, incoming=incoming, whole=whole)}
    if plan.yearly is not None:
        out[plan.yearly.spec.name] = _yearly_now(plan, current[plan.yearly.spec.name], options,
                                                 incoming[plan.spec.id_field])
    if plan.links is not None and plan.links.writes:
        target = plan.links.link.layer
        linked = _links_now(plan, incoming[plan.spec.id_field], current[target], options)
        if linked is not None:
            out[target] = linked
    return out


def _others_scope(plan: ImportPlan, options: ImportOptions) -> Scope | None:
    """The records an import that writes other layers with its own reads and writes: the file's ids, their yearly
    records' ids, the records its links set; None (the layers whole) for ``replace`` and for generated ids (known
    only at the write, and their yearly records' ids with them)."""
    own = _import_scope(plan, options)
    if own is None or own.prefixes:
        return None
    records = dict(own.records)
    if plan.yearly is not None:
        yearly = plan.yearly
        records[yearly.spec.name] = tuple(yearly.incoming[yearly.spec.id_field].dropna().astype(str))
    if plan.links is not None and plan.links.writes:
        records[plan.links.link.layer] = tuple(plan.links.result.linked)
    return Scope(records)


def _import_scope(plan: ImportPlan, options: ImportOptions) -> Scope | None:
    """The records an import reads and writes (``layers.audit.Scope``): the file's ids, and the generated ids
    taken already (new ones are numbered after them); None for ``replace``, which retires every record the
    file lacks and so concerns the whole layer."""
    if options.mode == "replace":
        return None
    name = plan.spec.name
    prefixes = (f"AUTO-{name}-",) if plan.generated is not None and len(plan.generated) else ()
    return Scope.of(name, *plan.incoming[plan.spec.id_field].dropna().astype(str), prefixes=prefixes)


def _create_park(plan: ImportPlan, store) -> None:
    """Write the park this import creates, unless another writer created it since the plan was made."""
    with write_lock(store):
        if store.exists():
            raise plan.report.reject("park", "park", "someone else created this park since this import was "
                                                     "checked; import the file again to merge it into that park")
        store.save_park({plan.spec.name: plan.result}, plan.meta)


def _commit(plan: ImportPlan, staged: StagedSource, store, archive_dir, options: ImportOptions) -> None:
    report = plan.report
    if archive_dir is None and store.capabilities.file is None:
        raise report.reject("park", "archive", "the park is not a file: say where originals are archived "
                                               "(archive_dir; the app uses IMPORT_ARCHIVE_DIR)")
    archive = ImportArchive(archive_dir or archive_folder_for(store.capabilities.file))
    staged_archive = archive.stage(staged.members, original=staged.original, layer=plan.spec.name,
                                   mode=options.mode)
    name = plan.spec.name
    try:
        if plan.meta is not None:
            _create_park(plan, store)
        elif plan.yearly is not None or (plan.links is not None and plan.links.writes):
            # The yearly records and the links to the records the list names in the same write as the layer's (one
            # transaction, one audited change); in a store that writes records in place only the records concerned
            # are read and written (the parcels layer may hold 10⁶ records), else the layers whole.
            scope = _others_scope(plan, options)
            read_modify_write(store, "import", lambda current, log: _with_others_now(plan, current, options,
                                                                                     whole=scope is None),
                              layers=[name, *_others(plan)], scope=scope)
        else:
            # Merged under the write lock against the layer as it is then: never over another user's change.
            scope = _import_scope(plan, options)
            read_modify_write(store, "import", lambda current, log: {
                name: _merged_now(plan, current[name], options, whole=scope is None)}, layers=[name], scope=scope)
    except ImportRejected:
        staged_archive.discard()
        raise
    except (LayerValidationError, ValueError) as exc:
        staged_archive.discard()
        problems = exc.problems if isinstance(exc, LayerValidationError) else [Problem("all", "layer", None, str(exc))]
        report.problems += problems
        raise ImportRejected(report) from None
    except BaseException:
        staged_archive.discard()
        raise
    entry = staged_archive.commit()
    report.archive = f"{archive.folder / entry['archived']} (sha256 {entry['sha256'][:16]}…)"
    report.committed = True


def import_layer(source: str | Path, layer: str, *, park, options: ImportOptions = ImportOptions(),
                 archive_dir: str | Path | None = None, source_name: str | None = None) -> ImportPlan:
    """Import ``source`` into ``layer`` of ``park`` (a store, or a GeoPackage path / database URL).

    Returns the plan (its report says what happened). With ``options.dry_run``
    nothing is written.

    Raises
    ------
    ImportRejected
        With the report, when anything is wrong; the park is unchanged.
    """
    raw_source, source = str(source), Path(source)
    report = ImportReport(layer=layer, source=source_name or source.name, mode=options.mode,
                          dry_run=options.dry_run)
    try:
        refuse_virtual_path(raw_source)  # before pathlib folds "http://" into "http:/"
    except SourceError as exc:
        raise report.reject("file", "source", str(exc)) from None
    try:
        spec = get_layer(layer)
    except KeyError as exc:
        raise report.reject("all", "layer", str(exc.args[0])) from None
    if layer in HISTORY_LOGS:
        raise report.reject("all", "layer", f"{layer!r} is a history log, written only as changes happen; "
                                            f"it cannot be imported (layers: {', '.join(IMPORTABLE_LAYERS)})")
    store = open_store(park) if isinstance(park, str | Path) else park
    wanted = tuple(n for n in (options.source_layer, spec.name, spec.label_zh, spec.label_en) if n)
    try:
        with stage_source(source, limits=options.limits, wanted=wanted) as staged:
            if staged.chosen_together:  # named by the file read, not by the bundle the upload form made of them
                report.source = staged.dataset.name
            plan = _plan(staged, spec, store, options, report)
            if report.problems:
                raise ImportRejected(report)
            if not options.dry_run:
                _commit(plan, staged, store, archive_dir, options)
    except SourceError as exc:
        raise report.reject("file", "source", str(exc)) from None
    return plan
