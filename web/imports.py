"""``/import`` (upload → preview and report → confirm) and ``/export`` downloads.

The upload page takes the same options as ``flask --app app import``. A file
is parked under a random token (:class:`layers.io.uploads.UploadStore`), read
as a dry run and shown: the report (encoding, CRS, mapping, fixes, problems by
record and field), the first records on a small map and in a table. Confirming
runs the import for real through the app's store: the records are merged into
the layer as it is at that moment, under the park's write lock, and logged as
action ``import`` by the importing user; cancelling drops the upload. A token
belongs to the user who uploaded it (anyone else gets 404, as for an unknown
token) and is spent once: a second confirmation, even one racing the first,
gets 409. Rejected input answers 400 with its report, never 500. Every page has
a JSON twin (``Accept: application/json`` or ``?format=json``).

The preview has a mapping step (``/import/<token>/mapping``): each source
field → a layer field, kept as is, or ignored, with value crosswalks for coded
fields; a mapping can be saved by name in the park and chosen on the upload
form (and by the CLI). Messages never advise a command-line flag on a page.

Messy files (docs/import.md): when the text could be GB18030 or Big5, or the
id column is none (one value on every row, duplicates), the preview shows the
choice and ``/import/<token>/choose`` previews the upload again with the one
taken; records far from the park are flagged, and the confirmation needs the
preview's checkbox for them (``accept_far``).

``/export`` lists the layers with a download per format; ``/export/<layer>.<fmt>``
serves one (gpkg, geojson, shp, kml, csv, xlsx, gtxt — the 国土 TXT, GBK unless
``?encoding=utf-8``), its records in force, or with the retired ones too when asked
(``?retired=1``).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from markupsafe import Markup
from werkzeug.exceptions import Conflict, NotFound

from layers.audit import current_actor
from layers.import_text import layer_in
from layers.io import ImportChecks, ImportLimits, ImportOptions, ImportRejected, ImportReport, import_layer
from layers.io.archive import default_archive_dir
from layers.io.encoding import resolve_codec
from layers.io.importer import IMPORTABLE_LAYERS
from layers.io.mapping import FieldMapping, MappingError, dump_mapping, load_mapping, read_mapping_text
from layers.io.mapping_step import MappingFormError, mapping_rows, posted_mapping
from layers.io.options import MODES
from layers.io.report import group
from layers.io.suggest import load_crosswalks
from layers.io.uploads import SourceError, UploadNotFound, UploadSpent, UploadStore
from layers.io.write import DOWNLOADS, WKT_HEADER, attribute_table, export_bytes, formats_for, without_retired
from layers.registry import REGISTRY, get_layer
from layers.saved_mappings import MappingNameError, get_mapping, list_mappings, save_mapping
from layers.store import is_storage_full
from web.api_params import day_in_range
from web.auth import current_user
from web.errors import BadRequest, error_body, wants_json
from web.i18n import current_lang, tr
from web.park import park, park_absent

log = logging.getLogger(__name__)

bp = Blueprint("imports", __name__)
export_bp = Blueprint("exports", __name__)

#: Records shown in the preview table and on the preview map.
PREVIEW_TABLE_ROWS = 20
PREVIEW_MAP_RECORDS = 200
_OPTION_FIELDS = ("crs", "encoding", "source_layer", "id_field")
#: Longest id field name a form may give (a dBASE name has 10 characters, a GeoPackage column rarely 60).
_ID_FIELD_CHARS = 200


def _uploads() -> UploadStore:
    root = current_app.config.get("UPLOAD_DIR") or Path(current_app.instance_path) / "uploads"
    return UploadStore(root)


def _uploader() -> str:
    """Who owns the uploads of this request: the signed-in user (``local`` when sign-in is off)."""
    user = current_user()
    return user.username if user is not None else current_actor()


#: Why a token that was confirmed or cancelled cannot be used again, in the user's language.
_SPENT = {
    "confirmed": ("这个上传已确认过（正在导入或已导入），每个预览只能确认一次；结果见历史记录",
                  "this upload was already confirmed (it is being imported or is imported); a preview is "
                  "confirmed once: see the history"),
    "cancelled": ("这个上传已取消；请重新上传文件", "this upload was cancelled; upload the file again"),
}


@contextmanager
def _owned_upload() -> Iterator[None]:
    """Answer 404 for an upload that is not the user's (unknown, expired, someone else's), 409 for a spent one."""
    try:
        yield
    except UploadNotFound:
        raise NotFound(tr("没有这个待导入的上传，或已过期；请重新上传文件",
                          "unknown or expired upload; upload the file again")) from None
    except UploadSpent as exc:
        raise Conflict(tr(*_SPENT.get(exc.how, _SPENT["confirmed"]))) from None


@contextmanager
def _parked_upload(token: str, *, how: str) -> Iterator[tuple[Path, dict]]:
    """The user's parked upload, claimed for good (:meth:`UploadStore.claim`); 404 when not theirs, 409 when spent."""
    with _owned_upload(), _uploads().claim(token, uploader=_uploader(), how=how) as parked:
        yield parked


def _archive_dir():
    """Where originals are kept: beside a GeoPackage park, else the configured folder."""
    return default_archive_dir(park().store, current_app.config.get("IMPORT_ARCHIVE_DIR")
                               or Path(current_app.instance_path) / "import_archive")


def _form_options() -> dict:
    layer = request.form.get("layer", "")
    if layer not in IMPORTABLE_LAYERS:
        raise BadRequest(tr(f"不能导入图层 {layer!r}", f"layer {layer!r} cannot be imported") + "; "
                         + tr("可选：", "allowed: ") + ", ".join(IMPORTABLE_LAYERS))
    mode = request.form.get("mode", "replace")
    if mode not in MODES:
        raise BadRequest(tr(f"未知导入方式 {mode!r}", f"unknown mode {mode!r}") + "; "
                         + tr("可选：", "allowed: ") + ", ".join(MODES))
    options = {"layer": layer, "mode": mode, "accept_damaged": request.form.get("accept_damaged") in ("1", "on")}
    options["mapping_name"] = (request.form.get("mapping_name") or "").strip() or None
    for name in _OPTION_FIELDS:
        value = (request.form.get(name) or "").strip()
        options[name] = value or None
    options["valid_from"] = _valid_from(request.form.get("valid_from"))
    options["park_name"] = _park_name(request.form.get("park_name"))
    return options


#: The longest park name the form takes (it titles every page and report).
PARK_NAME_MAX = 60


def _park_name(raw: str | None) -> str | None:
    """The name a park this import creates takes (blank: None, the file's name then); 400 when too long."""
    text = " ".join(str(raw or "").split())
    if len(text) > PARK_NAME_MAX:
        raise BadRequest(tr(f"园区名称最长 {PARK_NAME_MAX} 个字，收到 {len(text)} 个字",
                            f"the park name takes at most {PARK_NAME_MAX} characters, got {len(text)}"))
    return text or None


def _valid_from(raw: str | None) -> str | None:
    """The form's "valid from (for the whole file)" as ``YYYY-MM-DD`` (blank: None); 400 naming the value otherwise."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise BadRequest(tr(f"整个文件的生效日期必须是日期 YYYY-MM-DD，收到 {text!r}",
                            f"valid from (for the whole file) must be a date written YYYY-MM-DD, got {text!r}")) from None
    return day_in_range(day, "valid_from").isoformat()


def _run(path: Path, saved: dict, *, commit: bool, accept_far: bool = False):
    """The import of a parked upload: a preview (records far from the park flagged for the confirmation), or
    the confirmed import (far records only with ``accept_far``, the confirmation's checkbox)."""
    mapping = saved.get("mapping")
    options = ImportOptions(
        crs=saved.get("crs"), encoding=saved.get("encoding"), mode=saved["mode"], dry_run=not commit,
        source_layer=saved.get("source_layer"), accept_damaged=bool(saved.get("accept_damaged")),
        valid_from=dt.date.fromisoformat(saved["valid_from"]) if saved.get("valid_from") else None,
        mapping_path=str(path.parent / mapping) if mapping else None,
        mapping_name=None if mapping else saved.get("mapping_name"), id_field=saved.get("id_field"),
        park_name=saved.get("park_name"),
        accept_far=accept_far, ask_far=not commit,
        limits=ImportLimits(max_upload_bytes=current_app.config["MAX_CONTENT_LENGTH"]),
        checks=ImportChecks.from_config(current_app.config),
        profile_values=0 if commit else int(current_app.config["MAPPING_VALUE_ROWS"]),
    )
    return import_layer(path, saved["layer"], park=park().store, options=options, archive_dir=_archive_dir(),
                        source_name=saved["filename"])


def _unexpected(exc: Exception, source: str, layer: str) -> ImportReport:
    """A failure nobody foresaw is still the input's: report it as a rejection (the log keeps the details)."""
    log.exception("import of %s failed unexpectedly", source)
    report = ImportReport(layer=layer, source=source)
    report.problem("file", "source", f"the input could not be processed ({type(exc).__name__})")
    return report


def _report_page(report: ImportReport, status: int, token: str | None = None, plan=None, *,
                 current: FieldMapping | None = None, errors: list[str] | None = None):
    """The report (and, with a token, the preview with its choices and mapping step); worded for the web."""
    # JSON twins keep the stable English texts (in the web's terms); the page speaks the UI language.
    report = report.worded_for_web("en" if wants_json() else current_lang())
    if wants_json():
        body = report.to_dict()
        if status >= 400:  # a refused import is an error like any other, its report the details
            body.update(error_body(status, "ImportRejected", tr(
                f"导入被拒绝：发现 {len(report.problems)} 个问题", f"the import was rejected: "
                f"{len(report.problems)} problem(s) found"), problems=body["problems"]))
        if token:
            body["token"] = token
            body["mapping_step"] = _mapping_step(report, current or FieldMapping())
        return jsonify(body), status
    lang = current_lang()
    context = {"report": report, "problems": group(report.problems), "notices": group(report.notices),
               "token": token, "errors": errors or [], "layer_label": lambda name: layer_in(name, lang),
               "spec": get_layer(report.layer) if report.layer in REGISTRY else None}
    if plan is not None and plan.preview is not None and token:
        context.update(_preview(plan))
    if token:
        context["mapping"] = _mapping_step(report, current or FieldMapping())
    template = "import/preview.html" if token else "import/result.html"
    return render_template(template, **context), status


def _preview(plan) -> dict:
    """The first records as a table (labelled columns that hold anything) and, for layers with geometry, a map."""
    spec = plan.spec
    lang = current_lang()
    frame = plan.preview
    table = attribute_table(frame.head(PREVIEW_TABLE_ROWS), spec, lang=lang).drop(columns=[WKT_HEADER],
                                                                                   errors="ignore")
    table = table.loc[:, table.notna().any()]
    context = {"columns": list(table.columns), "rows": table.astype(object).where(table.notna(), "").values.tolist(),
               "shown": min(len(frame), PREVIEW_TABLE_ROWS), "total": len(plan.incoming)}
    if spec.geometry is not None and len(frame):
        from geo.maps import ParkMap, fit_to_layers, map_components, styled_layer

        the_map = ParkMap(asset_base_url=url_for("static", filename=""), lang=lang, zoom_start=15)
        shown = frame.head(PREVIEW_MAP_RECORDS)
        styled_layer(shown, spec, lang=lang, kept_inline=True).add_to(the_map)  # not in the park: no API item
        fit_to_layers(the_map, [shown])
        parts = map_components(the_map)
        # Folium's own output, built from escaped data by geo.maps: embedded as markup.
        context.update(map_header=Markup(parts.header), map_html=Markup(parts.html), map_script=Markup(parts.script))
    return context


@bp.get("/import")
def upload_form():
    """The upload form: layer, file, CRS, encoding, mapping (a saved one or a file), mode, source layer."""
    layers = [(name, get_layer(name).label(current_lang()), get_layer(name).is_table) for name in IMPORTABLE_LAYERS]
    saved = [(m.name, get_layer(m.layer).label(current_lang()) if m.layer in REGISTRY else m.layer)
             for m in list_mappings(park().store)]
    return render_template("import/index.html", layers=layers, modes=MODES, saved_mappings=saved,
                           max_mb=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024),
                           new_park=park_absent(), park_name_max=PARK_NAME_MAX)


@bp.post("/import")
def upload():
    """Park the upload and show what importing it would do (a dry run)."""
    options = _form_options()
    # One file, or the files of one dataset chosen together (a Shapefile's .shp, .shx, .dbf, .prj …).
    chosen = [f for f in request.files.getlist("file") if f is not None and f.filename]
    if not chosen:
        raise BadRequest(tr("请选择要导入的文件", "choose a file to import"))
    uploads = _uploads()
    uploader = _uploader()
    try:
        token = uploads.save_files([(f.stream, f.filename) for f in chosen], options,
                                   limit_bytes=current_app.config["MAX_CONTENT_LENGTH"], uploader=uploader)
    except SourceError as exc:
        raise BadRequest(str(exc)) from None
    mapping_file = request.files.get("mapping")
    if mapping_file is not None and mapping_file.filename:
        data = mapping_file.stream.read(1024 * 1024 + 1)
        if len(data) > 1024 * 1024:
            uploads.drop(token)
            raise BadRequest(tr("映射文件过大（上限 1 MB）", "the mapping file is larger than 1 MB"))
        uploads.update_options(token, uploader=uploader, mapping=uploads.save_extra(token, "mapping.yaml", data).name)
    return _preview_upload(uploads, token, first=True)


def _preview_upload(uploads: UploadStore, token: str, *, first: bool, errors: list[str] | None = None):
    """Preview the user's parked upload as it is now (options, choices, mapping): a dry run.

    A rejected first preview drops the upload, unless a choice the preview offers
    (encoding, id field) or its mapping step may mend it (the file was read, and
    every problem is about fields or their values); a re-preview keeps it, so
    another choice can be made. What the confirmation must carry (records far
    from the park) and the source fields the mapping step lists are remembered.
    """
    uploader = _uploader()
    path, saved = uploads.get(token, uploader=uploader)
    plan = None
    try:
        plan = _run(path, saved, commit=False)
    except ImportRejected as exc:
        report, status = exc.report, 400
        if first and not (_mendable(report) or _mapping_can_fix(report)):
            uploads.drop(token)
            return _report_page(report, 400)
    except Exception as exc:  # noqa: BLE001 — never 500 for a file someone uploaded
        if first:
            uploads.drop(token)
        if is_storage_full(exc):
            raise  # the server's disk, not the file: 507 (web.errors)
        report = _unexpected(exc, saved["filename"], saved["layer"])
        return _report_page(report, 400, token=None if first else token)
    else:
        report, status = plan.report, 200
    changes = {"far": bool(report.confirmations.get("far"))}
    if report.fields:
        changes["source_fields"] = [f.source for f in report.fields]
    uploads.update_options(token, uploader=uploader, **changes)
    saved = uploads.get(token, uploader=uploader)[1]
    return _report_page(report, status, token=token, plan=plan, current=_current_mapping(path, saved),
                        errors=errors)


def _mendable(report: ImportReport) -> bool:
    """Whether a choice the preview offers may mend a rejected upload: the id field, or an unsure encoding."""
    encoding = report.choices.get("encoding")
    return "id_field" in report.choices or bool(encoding and encoding["unsure"])


def _mapping_can_fix(report: ImportReport) -> bool:
    """Whether the mapping step may fix a rejected preview: the file was read (its fields are known) and every
    problem is about a field's values or the mapping, none about the file, its geometry or the park."""
    spec = REGISTRY.get(report.layer)
    fields = {f.source for f in report.fields}
    mappable = (set(spec.field_names) - {"geometry"} if spec else set()) | fields | {"mapping", "name", "file"}
    return bool(report.fields) and all(p.field in mappable and p.record != "file" for p in report.problems)


def _choice_form() -> dict:
    """The options a preview's choice changes (only those sent): ``encoding`` and ``id_field``, checked."""
    changes = {}
    if "encoding" in request.form:
        encoding = request.form["encoding"].strip()
        if encoding:
            try:
                resolve_codec(encoding)
            except ValueError:
                raise BadRequest(tr(f"未知字符编码 {encoding!r}；可用如 UTF-8、GBK、GB18030、Big5、UTF-16",
                                    f"unknown text encoding {encoding!r}; use one such as UTF-8, GBK, GB18030, "
                                    "Big5, UTF-16")) from None
        changes["encoding"] = encoding or None
    changes.update(_id_field_choice())
    if not changes:
        raise BadRequest(tr("请选择字符编码或编号字段", "choose an encoding or an id field"))
    return changes


def _id_field_choice() -> dict:
    """``{"id_field": …}`` when the form chooses the id field (a source field, AUTO, or empty: detected), checked;
    else nothing."""
    if "id_field" not in request.form:
        return {}
    id_field = request.form["id_field"].strip()
    if len(id_field) > _ID_FIELD_CHARS:
        raise BadRequest(tr(f"编号字段名过长（{len(id_field)} 个字符，上限 {_ID_FIELD_CHARS}）",
                            f"the id field name is {len(id_field)} characters long; at most {_ID_FIELD_CHARS}"))
    return {"id_field": id_field or None}


@bp.post("/import/<token>/choose")
def choose(token: str):
    """Take a choice the preview offers (the encoding, the id field) and preview the user's upload again."""
    changes = _choice_form()
    uploads = _uploads()
    with _owned_upload():
        uploads.update_options(token, uploader=_uploader(), **changes)
        return _preview_upload(uploads, token, first=False)


@bp.post("/import/<token>/mapping")
def remap(token: str):
    """The mapping step: apply the posted mapping (and the id field it chooses, when it offers one) to the user's
    parked upload (and save it by name when asked), preview again. The upload stays parked until it is confirmed or cancelled."""
    uploads, uploader = _uploads(), _uploader()
    with _owned_upload():
        path, saved = uploads.get(token, uploader=uploader)
        spec = get_layer(saved["layer"])
        try:
            mapping = posted_mapping(request.form, spec, saved.get("source_fields") or [],
                                     _current_mapping(path, saved))
        except MappingFormError as exc:
            return _preview_upload(uploads, token, first=False, errors=[tr(*exc.texts)])
        text = dump_mapping(mapping)
        uploads.update_options(token, uploader=uploader, mapping=uploads.save_extra(token, "mapping.yaml",
                                                                                    text.encode("utf-8")).name,
                               mapping_name=None, **_id_field_choice())
        errors = []
        if request.form.get("action") == "save":
            try:
                name = save_mapping(park().store, request.form.get("save_as", ""), spec.name, text,
                                    saved_by=uploader).name
                flash(tr(f"映射已保存为“{name}”，上传页面可选用",
                         f"mapping saved as '{name}'; choose it on the upload form"), "ok")
            except MappingNameError as exc:
                errors.append(tr("映射未保存：名称须为 1–60 个字符，不含控制字符和斜杠", f"mapping not saved: {exc}"))
        return _preview_upload(uploads, token, first=False, errors=errors)


def _current_mapping(path: Path, saved: dict) -> FieldMapping:
    """The mapping the parked upload is previewed with: its mapping file, the saved mapping it names, or none."""
    spec = get_layer(saved["layer"])
    try:
        if saved.get("mapping"):
            return load_mapping(path.parent / saved["mapping"], spec)
        if saved.get("mapping_name"):
            return read_mapping_text(get_mapping(park().store, saved["mapping_name"]).text, spec, path="saved")
    except (MappingError, KeyError):
        pass  # the preview says what is wrong with it
    return FieldMapping()


def _crosswalks():
    """The value crosswalks the mapping step offers (``VALUE_CROSSWALKS``, else data/value_crosswalks.yaml)."""
    return load_crosswalks(current_app.config.get("VALUE_CROSSWALKS"))


def _mapping_step(report: ImportReport, current: FieldMapping) -> dict:
    """What the preview's mapping step shows (:func:`layers.io.mapping_step.mapping_rows`)."""
    if report.layer not in REGISTRY or not report.fields:
        return {"rows": [], "targets": [], "target_labels": {}, "standards": []}
    return mapping_rows(report, get_layer(report.layer), current, _crosswalks(), lang=current_lang(),
                        min_share=float(current_app.config["MAPPING_SUGGEST_SHARE"]))


@bp.post("/import/<token>/confirm")
def confirm(token: str):
    """Import the user's parked upload for real; the token is spent whatever happens.

    An upload whose preview flagged records far from the park needs the
    preview's checkbox (``accept_far``); without it the upload stays waiting.
    """
    accept_far = request.form.get("accept_far") in ("1", "on")
    if not accept_far:
        with _owned_upload():
            _, saved = _uploads().get(token, uploader=_uploader())
        if saved.get("far"):
            raise BadRequest(tr("有记录距园区过远（见预览）；请在预览中勾选“这些记录属于本园区”后再确认导入",
                                "some records lie far from the park (see the preview); tick “these records belong "
                                "to this park” in the preview to confirm the import"))
    with _parked_upload(token, how="confirmed") as (path, saved):
        try:
            plan = _run(path, saved, commit=True, accept_far=accept_far)
        except ImportRejected as exc:
            return _report_page(exc.report, 400)
        except Exception as exc:  # noqa: BLE001 — never 500 for a file someone uploaded
            if is_storage_full(exc):
                raise  # the server's disk, not the file: 507 (web.errors); the save left the park unchanged
            return _report_page(_unexpected(exc, saved["filename"], saved["layer"]), 400)
    return _report_page(plan.report, 200)


@bp.post("/import/<token>/cancel")
def cancel(token: str):
    """Drop the user's parked upload unimported; the token is spent (a later confirmation is told so)."""
    with _parked_upload(token, how="cancelled"):
        pass
    return redirect(url_for("imports.upload_form"))


# -- exports -----------------------------------------------------------------------------------------------


def _include_retired() -> bool:
    """``?retired=1`` asks for the retired records too; absent or 0 for the records in force."""
    value = request.args.get("retired", "0").strip().lower()
    if value not in ("0", "1", "", "false", "true"):
        raise BadRequest(tr(f"参数 retired 的值 {value!r} 无效；可选 0（仅现行记录）或 1（含已注销记录）",
                            f"retired={value!r} is not allowed; use 0 (records in force) or 1 (with the retired ones)"))
    return value in ("1", "true")


@export_bp.get("/export")
def downloads():
    """Every layer with a download button per format (records in force; ``?retired=1`` with the retired ones)."""
    lang = current_lang()
    include_retired = _include_retired()
    rows = []
    for name, spec in REGISTRY.items():
        frame = park().layer(name)
        shown, retired = without_retired(frame, include_retired=False)
        rows.append({"name": name, "label": spec.label(lang), "records": len(frame) if include_retired else len(shown),
                     "retired": retired, "formats": formats_for(spec), "spatial": not spec.is_table})
    tile_layers = ",".join(row["name"] for row in rows if row["spatial"])
    return render_template("import/exports.html", rows=rows, tile_layers=tile_layers, include_retired=include_retired)


@export_bp.get("/export/<layer>.<fmt>")
def download(layer: str, fmt: str):
    """One layer in one format, as a file download: its records in force, or all with ``?retired=1``."""
    if layer not in REGISTRY:
        raise NotFound(tr(f"没有图层 {layer!r}", f"no layer {layer!r}"))
    if fmt not in DOWNLOADS:
        raise BadRequest(tr(f"不支持的导出格式 {fmt!r}", f"unknown export format {fmt!r}") + "; "
                         + tr("可选：", "allowed: ") + ", ".join(DOWNLOADS))
    spec = get_layer(layer)
    include_retired = _include_retired()
    try:
        content, name, media_type = export_bytes(park().layer(layer), spec, fmt, lang=current_lang(),
                                                 meta=park().meta(), encoding=request.args.get("encoding") or None,
                                                 include_retired=include_retired)
    except ValueError as exc:
        # Exporters that know the user's language say it in both (.zh); the others in English.
        raise BadRequest(tr(getattr(exc, "zh", str(exc)), str(exc))) from None
    return send_file(io.BytesIO(content), mimetype=media_type, as_attachment=True, download_name=name)


def init_app(app: Flask) -> None:
    """Register the import and export blueprints."""
    app.register_blueprint(bp)
    app.register_blueprint(export_bp)
