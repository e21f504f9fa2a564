"""The audit trail on the web: the audited store, history views, undo, "as known on" views and log exports.

:func:`init_app` wraps the park store in :class:`layers.audit.AuditedStore`, so
every save made through ``park().store`` — the editor's, the case ledger's, an
import's — writes its events in the same atomic write. :func:`commit_change` is
what the editor calls. A stale edit anywhere raises
:class:`layers.audit.ChangeConflict`, answered here with 409 and the other
users' changes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    jsonify,
    render_template,
    request,
    url_for,
)

from geo import audit_log
from geo.crs import to_web
from geo.formats import format_day, format_moment
from geo.names import named_value
from layers import audit
from layers.geojson import feature_collection_text, feature_texts, json_ready
from layers.registry import REGISTRY
from layers.schema import field_label
from layers.workbook_style import INTEGER, Sheet
from web.auth import redirect_back
from web.errors import BadRequest, json_error, nothing_called, wants_json
from web.i18n import current_lang, tr
from web.limits import json_body
from web.park import park
from web.workbooks import cover, workbook_response

bp = Blueprint("audit", __name__, url_prefix="/history")

#: Rows of the log a page shows.
PAGE_ROWS = 200
#: Characters of a long value (a geometry's WKT) shown in a table cell.
VALUE_CHARS = 80


def log() -> pd.DataFrame:
    """The park's audit trail (cached with the park's layers)."""
    return park().layer(audit.AUDIT_LAYER)


def commit_change(action: str, build, *, layers, reason: str | None = None, undoes: str | None = None,
                  scope: audit.Scope | None = None) -> pd.DataFrame:
    """Commit one change by the current user through the audit trail (see :func:`layers.audit.commit`); with
    ``scope``, record by record where the store can."""
    return park().store.commit_change(action, build, layers=layers, reason=reason, undoes=undoes, scope=scope)


# -- presentation ----------------------------------------------------------------------------


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _short(text) -> str:
    if _missing(text):
        return "—"
    text = str(text)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def timezone() -> str:
    """The park's time zone (``PARKATLAS_TIMEZONE``): every time on the history pages is shown in it."""
    return current_app.config["TIMEZONE"]


def enterprise_names() -> dict[str, str]:
    """Enterprise id → name, for logged ``enterprise_id`` values (empty when the park has no enterprises)."""
    try:
        firms = park().layer("enterprises")
    except (KeyError, LookupError, OSError):  # a park without the layer
        return {}
    if "name" not in firms.columns or firms.empty:
        return {}
    named = firms[firms["name"].notna()]
    return dict(zip(named["enterprise_id"].astype(str), named["name"].astype(str)))


def named_cell(layer: str, field: str, value, lang: str, enterprises) -> dict:
    """A stored value as a page shows it: ``{"text": name, "code": code kept on hover, or None}``;
    whole records named, long texts cut, missing values None."""
    if field == audit.WHOLE_RECORD and isinstance(value, str):
        return {"text": tr("（整条记录）", "(whole record)"), "code": None}
    if not isinstance(value, str):
        return {"text": None if _missing(value) else value, "code": None}
    if _is_date(layer, field):
        return {"text": format_day(value, lang), "code": None}
    text, code = named_value(layer, field, value, lang, enterprises)
    return {"text": _short(text), "code": code}


def event_rows(events: pd.DataFrame) -> list[dict]:
    """Log rows ready for a template (names in the current language; times in the park's zone)."""
    lang, zone, firms = current_lang(), timezone(), enterprise_names()
    undone = set(log()["undoes"].dropna())
    rows = []
    first_of_change = ~events["change_id"].duplicated()
    for event, first in zip(events.itertuples(index=False), first_of_change):
        rows.append({
            "seq": int(event.seq), "at": format_moment(event.at, zone, lang), "at_utc": event.at,
            "user": event.user, "change_id": event.change_id,
            "action": audit_log.action_name(event.action, lang), "op": event.op,
            "layer": event.layer, "layer_label": audit_log.layer_name(event.layer, lang),
            "record_id": event.record_id, "field": audit_log.field_name(event.layer, event.field, lang),
            "old": _logged_cell(event.layer, event.field, event.old_value, lang, firms),
            "new": _logged_cell(event.layer, event.field, event.new_value, lang, firms),
            "reason": None if pd.isna(event.reason) else event.reason,
            "undoes": None if pd.isna(event.undoes) else event.undoes,
            "first_of_change": bool(first), "undone": event.change_id in undone,
        })
    return rows


def _is_date(layer: str, field: str) -> bool:
    spec = REGISTRY.get(layer)
    return spec is not None and field in spec.field_names and spec.field(field).kind == "date"


def _logged_cell(layer: str, field: str, value, lang: str, enterprises) -> dict:
    """A logged old or new value: "—" when there was none."""
    cell = named_cell(layer, field, value, lang, enterprises)
    return cell if cell["text"] is not None else {"text": "—", "code": None}


def named_records(records: list[dict], layer: str) -> list[dict]:
    """Records as shown: each value a :func:`named_cell` (``在建`` with ``under_construction`` on hover,
    enterprises by name)."""
    lang, firms = current_lang(), enterprise_names()
    return [{name: named_cell(layer, name, value, lang, firms) for name, value in record.items()}
            for record in records]


def events_json(events: pd.DataFrame) -> list[dict]:
    """Log rows for JSON clients: as logged, the time ISO 8601 in the park's zone with its offset."""
    records = json_ready(events[list(audit.LOG_COLUMNS)]).to_dict("records")
    zone = timezone()
    for record in records:
        record["at"] = audit_log.moment_iso(record["at"], zone)
    return records


def _filters() -> dict:
    args = request.args
    return {name: (args.get(name) or "").strip() or None for name in ("layer", "record_id", "user", "change_id")}


def _filtered() -> pd.DataFrame:
    events = audit.history(log(), **_filters())
    action = (request.args.get("action") or "").strip()
    if action:
        events = events[(events["action"] == action).fillna(False)]
    return events


def shown(events: pd.DataFrame) -> pd.DataFrame:
    """What a history page (and its JSON twin) lists: one event per field changed, bookkeeping
    (``last_updated``) folded into its change, unless ``?bookkeeping=1`` asks for every logged event."""
    return events if request.args.get("bookkeeping") == "1" else audit.shown_events(events)


# -- views -----------------------------------------------------------------------------------


@bp.get("/", endpoint="log")
def log_page():
    """The audit trail, newest first, filtered by layer, record, user, change or action."""
    events = shown(_filtered())
    if request.args.get("format") == "json":
        return jsonify({"events": events_json(events.iloc[::-1].head(PAGE_ROWS * 10)), "total": len(events)})
    newest = events.iloc[::-1].head(PAGE_ROWS)
    return render_template("audit/log.html", rows=event_rows(newest), total=len(events), filters=_filters(),
                           action=request.args.get("action") or "",
                           layers=[(name, audit_log.layer_name(name, current_lang())) for name in REGISTRY],
                           actions=REGISTRY[audit.AUDIT_LAYER].field("action").codes)


@bp.get("/record/<layer>/<record_id>")
def record(layer: str, record_id: str):
    """One record's history: every change, its version, lineage, and its values on a chosen day."""
    spec = REGISTRY.get(layer)
    if spec is None:
        raise nothing_called(f"没有图层 {layer!r}；可用图层：{audit_log.layer_names(REGISTRY)}",
                             f"unknown layer {layer!r}; layers: {', '.join(REGISTRY)}",
                             field="layer", value=layer, allowed=REGISTRY)
    events = shown(audit.history(log(), layer=layer, record_id=record_id))
    frame = park().layer(layer)
    present = (frame[spec.id_field] == record_id).fillna(False)
    if events.empty and not present.any():
        raise nothing_called(f"{spec.label_zh}：没有记录 {record_id!r}，也没有它的历史",
                             f"{layer}: no record {record_id!r} and no history of one",
                             field="record_id", value=record_id)
    version = audit.record_version(log(), layer, record_id)
    lineage = []
    if "previously_part_of" in spec.field_names and present.any():
        parents = frame.loc[present, "previously_part_of"].iloc[0]
        lineage = [] if pd.isna(parents) else [p.strip() for p in str(parents).split(",") if p.strip()]
    children = []
    if "previously_part_of" in spec.field_names:
        mentions = frame["previously_part_of"].fillna("").str.split(",")
        children = frame.loc[mentions.map(lambda ids: record_id in [i.strip() for i in ids]), spec.id_field].tolist()
    if request.args.get("format") == "json":
        return jsonify({"layer": layer, "record_id": record_id, "version": version, "previously_part_of": lineage,
                        "parts": children, "events": events_json(events)})
    return render_template("audit/record.html", spec=spec, record_id=record_id, version=version,
                           rows=event_rows(events.iloc[::-1]), lineage=lineage, children=children,
                           exists=bool(present.any()))


@bp.get("/user/<username>")
def user(username: str):
    """Everything one user changed, newest first."""
    events = shown(audit.history(log(), user=username))
    if request.args.get("format") == "json":
        return jsonify({"user": username, "events": events_json(events.iloc[::-1])})
    return render_template("audit/user.html", username=username, total=len(events),
                           rows=event_rows(events.iloc[::-1].head(PAGE_ROWS)))


@bp.get("/export.<fmt>")
def export(fmt: str):
    """The (filtered) log as CSV or XLSX; cells a spreadsheet would run as formulas are neutralised."""
    events = _filtered()
    stamp = dt.date.today().isoformat()
    if fmt == "csv":
        return Response(audit.log_csv_bytes(events), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'})
    if fmt == "xlsx":
        return log_workbook(shown(events), f"audit-{stamp}.xlsx")
    raise nothing_called(f"没有导出格式 {fmt!r}；可用：csv, xlsx", f"no export format {fmt!r}; formats: csv, xlsx",
                         field="fmt", value=fmt, allowed=("csv", "xlsx"))


def log_workbook(events: pd.DataFrame, filename: str) -> Response:
    """The log as people read it: headers, actions, layers, fields and values named in the UI language, times
    as date-time cells in the park's zone, after a first sheet saying what, which park and when."""
    lang = current_lang()
    table = audit_log.log_workbook_frame(events, timezone(), lang, enterprise_names())
    what = tr("变更记录", "Change history")
    formats = {table.columns[0]: INTEGER}
    return workbook_response([Sheet(what, table, formats=formats)],
                             cover(what, extra=((tr("时区", "Time zone"), timezone()),
                                                (tr("条数", "Events"), len(table)))), filename)


@bp.post("/undo/<change_id>")
def undo(change_id: str):
    """Undo one change as a new change (values back; records it created retired; removed ones back)."""
    body = json_body() if request.is_json else None
    reason = request.form.get("reason") or (body.get("reason") if isinstance(body, dict) else None)
    touched = park().events(change_ids=[change_id])
    if touched.empty:
        raise nothing_called(f"审计记录中没有变更 {change_id!r}", f"no change {change_id!r} in the audit trail",
                             field="change_id", value=change_id)
    layers = list(dict.fromkeys(touched["layer"]))

    def build(current, trail):
        day = audit.new_change("undo", timezone=current_app.config["TIMEZONE"]).date
        return audit.undo_frames(current, trail, change_id, day=day)

    records = {layer: tuple(touched.loc[touched["layer"] == layer, "record_id"].astype(str)) for layer in layers}
    events = commit_change("undo", build, layers=layers, reason=reason or tr("撤销", "undo"), undoes=change_id,
                           scope=audit.Scope(records, changes=(change_id,)))
    if wants_json():
        return jsonify({"undone": change_id, "events": events_json(events)})
    flash(tr(f"已撤销变更 {change_id}（{len(events)} 条记录）", f"change {change_id} undone ({len(events)} events)"), "ok")
    return redirect_back(request.form.get("next"), url_for("audit.log"))


def _moment(raw: str | None):
    if not raw:
        raise BadRequest(tr("请给出日期 at=YYYY-MM-DD（或 UTC 时间 YYYY-MM-DDTHH:MM:SS）",
                            "give a day at=YYYY-MM-DD (or a UTC time YYYY-MM-DDTHH:MM:SS)"))
    raw = raw.strip()
    try:
        if "T" in raw:
            moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"at must be a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM:SS, got {raw!r}") from None


@bp.get("/as-known-on/<layer>")
@bp.get("/as-of/<layer>", endpoint="as_of")  # the address this page had before valid time; links may keep it
def as_known_on(layer: str):
    """Layer ``layer`` as the register knew it at ``?at=`` (a day's end, or a UTC time): system time,
    rebuilt from the log. (What was true in the world on a day is valid time: the analysis pages.)"""
    spec = REGISTRY.get(layer)
    if spec is None or layer == audit.AUDIT_LAYER:
        layers = [name for name in REGISTRY if name != audit.AUDIT_LAYER]
        zh = f"{spec.label_zh}本身不按日期重建" if spec is not None else f"没有图层 {layer!r}"
        en = f"{layer} is not rebuilt as of a moment" if spec is not None else f"unknown layer {layer!r}"
        raise nothing_called(f"{zh}；可查看：{audit_log.layer_names(layers)}",
                             f"{en}; layers: {audit_log.layer_names(layers, 'en')}",
                             field="layer", value=layer, allowed=layers)
    moment = _moment(request.args.get("at"))
    trail = log()
    seq = audit.seq_at(trail, moment)
    day = (moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()
           if isinstance(moment, dt.datetime) else moment)  # first_added is a day in the park's time zone
    frame = audit.as_known_on(park().layer(layer), trail, layer, seq=seq, day=day)
    if request.args.get("format") == "json":
        web = frame if spec.is_table else to_web(frame)
        features = feature_texts(web, id_field=spec.id_field)
        return Response(feature_collection_text(features, {"as_of_seq": seq, "numberReturned": len(features)}),
                        mimetype="application/geo+json")
    shown = json_ready(frame.head(PAGE_ROWS), [f.name for f in spec.fields])
    at_text = (format_moment(moment.isoformat(), timezone(), current_lang())
               if isinstance(moment, dt.datetime) else format_day(moment, current_lang()))
    return render_template("audit/as_known_on.html", spec=spec, at=request.args.get("at"), at_text=at_text, seq=seq,
                           total=len(frame),
                           columns=[(f.name, field_label(f, current_lang())) for f in spec.fields],
                           records=named_records(shown.to_dict("records"), spec.name))


# -- errors ------------------------------------------------------------------------------------


def conflict_response(exc: audit.ChangeConflict):
    """409 with the changes the user missed (JSON for API clients, a page for browsers)."""
    if wants_json():
        return json_error(409, "Conflict", exc.message,
                          changes=events_json(exc.events) if len(exc.events) else [])
    parts = request.path.strip("/").split("/")
    record_id = (request.view_args or {}).get("record_id")
    back = (url_for("edit.record", layer=parts[1], record_id=record_id)
            if record_id and len(parts) > 2 and parts[0] == "edit" and parts[1] in REGISTRY else url_for("audit.log"))
    return render_template("audit/conflict.html", message=exc.message, back=back,
                           rows=event_rows(audit.shown_events(exc.events)) if len(exc.events) else []), 409


def init_app(app: Flask) -> None:
    """Audit every save through the park store; answer stale edits with 409."""
    import os

    from web.park import app_park

    app.config.setdefault("TIMEZONE", os.environ.get("PARKATLAS_TIMEZONE", audit.DEFAULT_TIMEZONE))
    cache = app_park(app)
    if not isinstance(cache.store, audit.AuditedStore):
        cache.store = audit.AuditedStore(cache.store, timezone=app.config["TIMEZONE"], load=cache.layer,
                                         on_rows=cache.rows_written)
    app.register_error_handler(audit.ChangeConflict, conflict_response)
    app.register_blueprint(bp)
