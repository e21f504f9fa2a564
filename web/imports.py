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

``/export`` lists the layers with a download per format; ``/export/<layer>.<fmt>``
serves one (gpkg, geojson, shp, kml, csv, xlsx).
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
from layers.io import ImportLimits, ImportOptions, ImportRejected, ImportReport, import_layer
from layers.io.archive import default_archive_dir
from layers.io.importer import IMPORTABLE_LAYERS
from layers.io.options import MODES
from layers.io.report import group
from layers.io.uploads import SourceError, UploadNotFound, UploadSpent, UploadStore
from layers.io.write import DOWNLOADS, attribute_table, export_bytes
from layers.registry import REGISTRY, get_layer
from layers.store import is_storage_full
from web.api import day_in_range
from web.auth import current_user
from web.errors import BadRequest
from web.i18n import current_lang, tr
from web.park import park

log = logging.getLogger(__name__)

bp = Blueprint("imports", __name__)
export_bp = Blueprint("exports", __name__)

#: Records shown in the preview table and on the preview map.
PREVIEW_TABLE_ROWS = 20
PREVIEW_MAP_RECORDS = 200
_OPTION_FIELDS = ("crs", "encoding", "source_layer")


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
def _parked_upload(token: str, *, how: str) -> Iterator[tuple[Path, dict]]:
    """The user's parked upload, claimed for good (:meth:`UploadStore.claim`); 404 when not theirs, 409 when spent."""
    try:
        with _uploads().claim(token, uploader=_uploader(), how=how) as parked:
            yield parked
    except UploadNotFound:
        raise NotFound(tr("没有这个待导入的上传，或已过期；请重新上传文件",
                          "unknown or expired upload; upload the file again")) from None
    except UploadSpent as exc:
        raise Conflict(tr(*_SPENT.get(exc.how, _SPENT["confirmed"]))) from None


def _archive_dir():
    """Where originals are kept: beside a GeoPackage park, else the configured folder."""
    return default_archive_dir(park().store, current_app.config.get("IMPORT_ARCHIVE_DIR")
                               or Path(current_app.instance_path) / "import_archive")


def _wants_json() -> bool:
    return request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json"


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
    for name in _OPTION_FIELDS:
        value = (request.form.get(name) or "").strip()
        options[name] = value or None
    options["valid_from"] = _valid_from(request.form.get("valid_from"))
    return options


def _valid_from(raw: str | None) -> str | None:
    """The form's "valid from (for the whole file)" as ``YYYY-MM-DD`` (blank: None); 400 naming the value otherwise."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise BadRequest(tr(f"整个文件的生效日期 valid_from 必须是日期 YYYY-MM-DD，收到 {text!r}",
                            f"valid from (for the whole file) must be a date written YYYY-MM-DD, got {text!r}")) from None
    return day_in_range(day, "valid_from").isoformat()


def _run(path: Path, saved: dict, *, commit: bool):
    mapping = saved.get("mapping")
    options = ImportOptions(
        crs=saved.get("crs"), encoding=saved.get("encoding"), mode=saved["mode"], dry_run=not commit,
        source_layer=saved.get("source_layer"), accept_damaged=bool(saved.get("accept_damaged")),
        valid_from=dt.date.fromisoformat(saved["valid_from"]) if saved.get("valid_from") else None,
        mapping_path=str(path.parent / mapping) if mapping else None,
        limits=ImportLimits(max_upload_bytes=current_app.config["MAX_CONTENT_LENGTH"]),
    )
    return import_layer(path, saved["layer"], park=park().store, options=options, archive_dir=_archive_dir(),
                        source_name=saved["filename"])


def _unexpected(exc: Exception, source: str, layer: str) -> ImportReport:
    """A failure nobody foresaw is still the input's: report it as a rejection (the log keeps the details)."""
    log.exception("import of %s failed unexpectedly", source)
    report = ImportReport(layer=layer, source=source)
    report.problem("file", "source", f"the input could not be processed ({type(exc).__name__})")
    return report


def _report_page(report: ImportReport, status: int, token: str | None = None, plan=None):
    if _wants_json():
        body = report.to_dict()
        if token:
            body["token"] = token
        return jsonify(body), status
    context = {"report": report, "problems": group(report.problems), "notices": group(report.notices),
               "token": token, "spec": get_layer(report.layer) if report.layer in REGISTRY else None}
    if plan is not None and plan.preview is not None and token:
        context.update(_preview(plan))
    template = "import/preview.html" if token else "import/result.html"
    return render_template(template, **context), status


def _preview(plan) -> dict:
    """The first records as a table (labelled columns that hold anything) and, for layers with geometry, a map."""
    spec = plan.spec
    lang = current_lang()
    frame = plan.preview
    table = attribute_table(frame.head(PREVIEW_TABLE_ROWS), spec, lang=lang).drop(columns=["WKT"], errors="ignore")
    table = table.loc[:, table.notna().any()]
    context = {"columns": list(table.columns), "rows": table.astype(object).where(table.notna(), "").values.tolist(),
               "shown": min(len(frame), PREVIEW_TABLE_ROWS), "total": len(plan.incoming)}
    if spec.geometry is not None and len(frame):
        from geo.maps import ParkMap, fit_to_layers, map_components, styled_layer

        the_map = ParkMap(asset_base_url=url_for("static", filename=""), lang=lang, zoom_start=15)
        shown = frame.head(PREVIEW_MAP_RECORDS)
        styled_layer(shown, spec, lang=lang).add_to(the_map)
        fit_to_layers(the_map, [shown])
        parts = map_components(the_map)
        # Folium's own output, built from escaped data by geo.maps: embedded as markup.
        context.update(map_header=Markup(parts.header), map_html=Markup(parts.html), map_script=Markup(parts.script))
    return context


@bp.get("/import")
def upload_form():
    """The upload form: layer, file, CRS, encoding, mapping file, mode, source layer."""
    layers = [(name, get_layer(name).label(current_lang()), get_layer(name).is_table) for name in IMPORTABLE_LAYERS]
    return render_template("import/index.html", layers=layers, modes=MODES,
                           max_mb=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024))


@bp.post("/import")
def upload():
    """Park the upload and show what importing it would do (a dry run)."""
    options = _form_options()
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        raise BadRequest(tr("请选择要导入的文件", "choose a file to import"))
    uploads = _uploads()
    uploader = _uploader()
    try:
        token = uploads.save(upload_file.stream, upload_file.filename, options,
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
    try:
        plan = _run(*uploads.get(token, uploader=uploader), commit=False)
    except ImportRejected as exc:
        uploads.drop(token)
        return _report_page(exc.report, 400)
    except Exception as exc:  # noqa: BLE001 — never 500 for a file someone uploaded
        uploads.drop(token)
        if is_storage_full(exc):
            raise  # the server's disk, not the file: 507 (web.errors)
        return _report_page(_unexpected(exc, upload_file.filename, options["layer"]), 400)
    return _report_page(plan.report, 200, token=token, plan=plan)


@bp.post("/import/<token>/confirm")
def confirm(token: str):
    """Import the user's parked upload for real; the token is spent whatever happens."""
    with _parked_upload(token, how="confirmed") as (path, saved):
        try:
            plan = _run(path, saved, commit=True)
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


@export_bp.get("/export")
def downloads():
    """Every layer with a download button per format."""
    lang = current_lang()
    rows = []
    for name, spec in REGISTRY.items():
        formats = [fmt for fmt in DOWNLOADS if not (spec.is_table and fmt in ("geojson", "kml"))]
        rows.append({"name": name, "label": spec.label(lang), "records": len(park().layer(name)),
                     "formats": formats})
    return render_template("import/exports.html", rows=rows)


@export_bp.get("/export/<layer>.<fmt>")
def download(layer: str, fmt: str):
    """One layer in one format, as a file download."""
    if layer not in REGISTRY:
        raise NotFound(tr(f"没有图层 {layer!r}", f"no layer {layer!r}"))
    if fmt not in DOWNLOADS:
        raise BadRequest(tr(f"不支持的导出格式 {fmt!r}", f"unknown export format {fmt!r}") + "; "
                         + tr("可选：", "allowed: ") + ", ".join(DOWNLOADS))
    spec = get_layer(layer)
    try:
        content, name, media_type = export_bytes(park().layer(layer), spec, fmt, lang=current_lang(),
                                                 meta=park().meta())
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    return send_file(io.BytesIO(content), mimetype=media_type, as_attachment=True, download_name=name)


def init_app(app: Flask) -> None:
    """Register the import and export blueprints."""
    app.register_blueprint(bp)
    app.register_blueprint(export_bp)
