"""Editing in the browser: forms generated from the layer registry, geometry, leases, cases.

Every POST here builds new frames with :mod:`layers.edits` (or the case ledger
of :mod:`geo.revitalisation`) inside :func:`web.audit.commit_change`, which holds
the park's write lock, checks the record's version against the one the form was
built from (409 with the other user's change when stale), validates exactly
like an import, and saves the change with its audit events atomically. Forms
post ``application/x-www-form-urlencoded``; scripts may post JSON
(``{"values": {...}, "version": n, "fingerprint": "...", "reason": "..."}``)
and get JSON back. Who may call what is the permission table's business
(``edit.*`` is for editors), never checked here.
"""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import pandas as pd
import shapely
from flask import Blueprint, Flask, current_app, flash, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.exceptions import NotFound

from geo.audit_log import layer_names
from geo.crs import to_web, to_working
from geo.maps import map_components
from geo.maps_edit import edit_map
from geo.pickers import enterprise_options, land_use_options, record_options
from geo.revitalisation import EDITABLE as CASE_EDITABLE
from geo.revitalisation import CaseError, close_case, create_case, update_case
from layers import audit, edits
from layers.import_text import field_in
from layers.io.report import message_for_web
from layers.polygon_edits import GeometryEditError
from layers.registry import REGISTRY
from layers.schema import SOURCE_ATTRIBUTES, LayerSpec, code_label, field_label
from layers.source_attributes import display_items
from layers.valid_time import has_valid_time
from layers.validate import LayerValidationError
from web.audit import commit_change, enterprise_names, event_rows, log, named_records
from web.errors import BadRequest, json_error, no_record, nothing_called, wants_json
from web.i18n import current_lang, tr
from web.limits import json_body, json_limits, json_value
from web.park import park

bp = Blueprint("edit", __name__, url_prefix="/edit")

#: Layers written only by the application itself.
READ_ONLY = (audit.AUDIT_LAYER, "case_events")
#: Records a layer page lists at a time.
PAGE_ROWS = 200
#: Context around the edited record on its map (m, working CRS).
CONTEXT_M = 250.0
TEXTAREA_FIELDS = ("notes", "note", "description")


def _spec(layer: str) -> LayerSpec:
    spec = REGISTRY.get(layer)
    if spec is None or layer in READ_ONLY:
        editable = [name for name in REGISTRY if name not in READ_ONLY]
        zh = f"{spec.label_zh}由程序写入，不能编辑" if spec is not None else f"没有可编辑的图层 {layer!r}"
        en = f"{layer} is written by the application only" if spec is not None else f"no editable layer {layer!r}"
        raise nothing_called(f"{zh}；可编辑：{layer_names(editable)}", f"{en}; layers: {layer_names(editable, 'en')}",
                             field="layer", value=layer, allowed=editable)
    return spec


# -- request parsing ---------------------------------------------------------------------------


def _geometry_limits():
    """Nesting, vertices (``EDIT_MAX_VERTICES``) and features (``MAX_FEATURES``) of a posted geometry."""
    config = current_app.config
    return json_limits(max_vertices=int(config["EDIT_MAX_VERTICES"]), max_features=int(config["MAX_FEATURES"]))


class Submission:
    """What a form or a JSON body sent: field values, version, fingerprint, reason, geometry.

    JSON (the body, or a form's ``geometry`` field) is parsed within the nesting,
    vertex and feature limits, so an oversized geometry is refused (400) before
    shapely builds it.
    """

    def __init__(self, spec: LayerSpec | None, *, creating: bool = False):
        if request.is_json:
            body = json_body(_geometry_limits())
            if not isinstance(body, dict):
                raise BadRequest(tr("JSON 请求体必须是一个对象（可读的 JSON）", "the JSON body must be an object"))
            values = body.get("values") or {}
            if not isinstance(values, dict):
                raise BadRequest(tr("values 必须是 字段: 值 的对象", "values must be an object of field: value"),
                                 field="values")
            self.values = {str(k): (None if v is None else str(v)) for k, v in values.items()}
            self.raw = body
        else:
            names = set() if spec is None else {f.name for f in edits.form_fields(spec, creating=creating)}
            if spec is not None and spec.name == "cases":
                names &= set(CASE_EDITABLE)
            self.values = {name: request.form[name] for name in request.form if name in names}
            self.raw = request.form
        self.version = _int(self.raw.get("version"), "version")
        fp = self.raw.get("fingerprint")
        self.fingerprint = str(fp) if fp else None
        self.reason = (str(self.raw.get("reason") or "")).strip() or None

    def geometry(self, *, required: bool = True):
        """The posted GeoJSON geometry (EPSG:4326) in the park's working CRS."""
        raw = self.raw.get("geometry")
        if raw in (None, ""):
            if required:
                raise BadRequest(tr("缺少图形（GeoJSON）", "no geometry was sent (GeoJSON expected)"))
            return None
        data = json_value(raw, _geometry_limits()) if isinstance(raw, str) else raw
        if data is None:
            raise BadRequest(tr("图形必须是经纬度（EPSG:4326）的 GeoJSON，所给内容不是有效的 JSON",
                                "geometry must be GeoJSON in lon/lat (EPSG:4326); what was sent is not valid JSON"))
        try:
            if isinstance(data, dict) and data.get("type") == "Feature":
                data = data.get("geometry")
            geometry = shapely.geometry.shape(data)
        except (ValueError, TypeError, AttributeError, KeyError, shapely.errors.GEOSException) as exc:
            raise BadRequest(f"geometry must be GeoJSON in lon/lat (EPSG:4326); it could not be read ({exc})") from None
        frame = gpd.GeoDataFrame(geometry=[geometry], crs=4326)
        return to_working(frame, park().store.working_crs()).geometry.iloc[0]


def _int(raw, name: str) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return int(str(raw).strip())
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, got {raw!r}") from None


def _require_version(sub: Submission, spec: LayerSpec | None = None, record_id: str | None = None) -> None:
    """Refuse an edit without a version (400), and a stale one at once (409) before queueing for the write lock.

    The check that counts runs again under the lock in the change's ``build``; this
    early one only spares a stale request the wait (many users on one record).
    """
    if sub.version is None:
        raise BadRequest(tr("缺少记录版本号 version（防止覆盖他人的修改）",
                            "version is required (it stops an edit from overwriting someone else's)"))
    if spec is not None and record_id is not None and park().store.capabilities.rows is None:
        # (A store that writes records in place holds the lock a few milliseconds: no wait to spare.)
        frame = park().records(spec.name, [record_id])
        if len(frame):
            edits.check_version(frame, park().events(records=[(spec.name, record_id)]), spec, record_id,
                                version=sub.version, seen_fingerprint=sub.fingerprint)


# -- presentation helpers ----------------------------------------------------------------------


def field_rows(spec: LayerSpec, record: dict | None, *, creating: bool = False, errors: dict | None = None,
               submitted: dict | None = None) -> list[dict]:
    """What the form shows for each editable field: label, input kind, options (value, name, code on hover),
    current text, error."""
    lang = current_lang()
    names = edits.form_fields(spec, creating=creating)
    if spec.name == "cases":
        names = [f for f in names if f.name in CASE_EDITABLE or (creating and f.name == spec.id_field)]
        if creating:
            names = [f for f in names if f.name != spec.id_field]  # the ledger numbers new cases
    rows = []
    for f in names:
        value = (submitted or {}).get(f.name)
        if value is None and record is not None:
            value = record.get(f.name)
        input_kind = {"int": "number", "float": "number", "date": "date", "bool": "select",
                      "code": "select"}.get(f.kind, "textarea" if f.name in TEXTAREA_FIELDS else "text")
        options = []
        if f.kind == "code":
            options = [(c.value, code_label(c, lang), c.value) for c in f.codes]  # the code on hover
        elif f.name in PICKED_FIELDS and f.name != spec.id_field:
            input_kind = "select"
            options = [(value, text, "") for value, text in picker_options(f.name, record, submitted, lang)]
        elif f.kind == "bool":
            options = [("true", tr("是", "yes"), ""), ("false", tr("否", "no"), "")]
        rows.append({
            "name": f.name, "label": field_label(f, lang), "unit": f.unit, "kind": f.kind, "input": input_kind,
            "options": options, "value": "" if value is None else value,
            "step": "1" if f.kind == "int" else "any", "min": f.min_value, "max": f.max_value,
            "required": f.required, "error": (errors or {}).get(f.name), "help": f.description,
        })
    return rows


#: Fields naming a record of another layer (the layer and its id field): picked among its records in force.
REFERENCES = {"parcel_id": "parcels", "building_id": "buildings", "unit_id": "units"}
#: Free-text fields whose values are codes of something else: picked by name, never typed.
PICKED_FIELDS = ("land_use", "enterprise_id", *REFERENCES)


def picker_options(name: str, record: dict | None, submitted: dict | None, lang: str) -> list[tuple[str, str]]:
    """The choices of a picked field: land-use classes of the record's system, the park's enterprises, or
    the records in force of the layer a reference names."""
    if name == "land_use":
        values = {**(record or {}), **{k: v for k, v in (submitted or {}).items() if v}}
        return land_use_options(values.get("land_use_std"), lang, values.get("land_use"))
    if name in REFERENCES:
        frame = park().layer(REFERENCES[name])
        live = frame[frame["retired_on"].isna()] if "retired_on" in frame.columns else frame
        names = live["name"] if "name" in live.columns else pd.Series(None, index=live.index, dtype=object)
        return record_options((str(key), None if pd.isna(text) else str(text))
                              for key, text in zip(live[name], names) if not pd.isna(key))
    return enterprise_options(enterprise_names())


def kept_rows(text: object) -> list[tuple[str, str]]:
    """A record's kept source attributes as (name, value as shown): 是/否, — for none, numbers and text as they are."""
    def shown(value: object) -> str:
        if value is None:
            return "—"
        if isinstance(value, bool):
            return tr("是", "yes") if value else tr("否", "no")
        return str(value)

    return [(name, shown(value)) for name, value in display_items(text)]


def _problems(exc: Exception) -> list[dict]:
    """Problems of a refused edit as ``{field, message, value}`` dicts."""
    if isinstance(exc, LayerValidationError):
        return [{"field": p.field, "message": p.message, "value": None if p.value is None else str(p.value),
                 "record": p.record} for p in exc.problems]
    if isinstance(exc, edits.EditError):
        return [{"field": field, "message": message} for field, message in exc.problems]
    if isinstance(exc, GeometryEditError):
        return [{"field": "geometry", "message": str(exc)}]
    if isinstance(exc, CaseError):
        return [{"field": "*", "message": message} for message in exc.problems]
    return [{"field": "*", "message": str(exc)}]


REFUSED = (LayerValidationError, edits.EditError, GeometryEditError, CaseError)


def _refused(exc: Exception, spec: LayerSpec, record_id: str | None, sub: Submission | None, *, creating=False):
    problems = _problems(exc)
    if wants_json():
        return json_error(400, "InvalidValue", tr("未保存：", "not saved: ") + "; ".join(
            f"{p['field']}: {p['message']}" for p in problems), problems=problems)
    errors, lang = {}, current_lang()
    for p in problems:  # the page says them in its language, in its terms (JSON keeps the stable English)
        value = p.get("value")
        got = "" if not value else f"（收到 {value}）" if lang != "en" else f" ({value})"
        errors.setdefault(p["field"], message_for_web(p["message"], lang) + got)
    return _render_record(spec, record_id, errors=errors, submitted=sub.values if sub else None,
                          creating=creating, status=400)


def _record_state(spec: LayerSpec, record_id: str) -> tuple[pd.DataFrame, int]:
    """The record as it is now (a frame of it alone, empty when absent) and its version."""
    trail = park().events(records=[(spec.name, record_id)])
    return park().records(spec.name, [record_id]), audit.record_version(trail, spec.name, record_id)


def _saved(spec: LayerSpec, record_id: str, events: pd.DataFrame, message: str | None = None):
    if wants_json():
        # A change written in place says how it left the record; otherwise it is read again.
        saved = events.attrs.get("saved", {}).get((spec.name, record_id))
        if saved is None:
            frame, version = _record_state(spec, record_id)
            saved = (audit.fingerprint(frame, spec, record_id), version)
        return jsonify({"ok": True, "layer": spec.name, "record_id": record_id, "events": len(events),
                        "change_id": events["change_id"].iloc[0] if len(events) else None,
                        "version": saved[1], "fingerprint": saved[0]})
    if len(events):
        flash(message or tr(f"已保存（{len(events)} 条变更记录）", f"saved ({len(events)} change events)"), "ok")
    else:
        flash(tr("没有变化，未保存", "nothing changed; nothing saved"), "ok")
    return redirect(url_for("edit.record", layer=spec.name, record_id=record_id), code=303)


def _render_record(spec: LayerSpec, record_id: str | None, *, errors=None, submitted=None, creating=False,
                   status=200):
    frame = park().layer(spec.name)
    record = None if creating else audit.record_texts_of(frame, spec, record_id)
    if record is None and not creating:
        raise no_record(spec.name, record_id)
    fingerprint = audit.texts_fingerprint(record) if record is not None else None  # (before the page uses them)
    trail = log()
    context = {
        "spec": spec, "record_id": record_id, "record": record, "creating": creating,
        "fields": field_rows(spec, record, creating=creating, errors=errors, submitted=submitted),
        "errors": errors or {}, "layer_label": spec.label(current_lang()),
        "field_names": {"geometry": field_in("geometry", current_lang()), "*": tr("记录", "record"),
                        **{f.name: field_label(f, current_lang()) for f in spec.fields}},
    }
    if not creating:
        context.update(
            kept=kept_rows(record.get(SOURCE_ATTRIBUTES)),
            version=audit.record_version(trail, spec.name, record_id),
            fingerprint=fingerprint,
            retired=record.get("retired_on"),
            has_valid_time=has_valid_time(spec), today=_today().date().isoformat(),
            history=event_rows(audit.history(trail, layer=spec.name, record_id=record_id).tail(8).iloc[::-1]),
        )
    if spec.name == "cases":
        context["case_methods"] = [(c.value, code_label(c, current_lang())) for c in spec.field("method").codes]
    if spec.geometry is not None:
        context.update(_map_context(spec, frame, record_id if not creating else None, creating=creating))
    return render_template("edit/record.html", **context), status


def _map_context(spec: LayerSpec, frame: pd.DataFrame, record_id: str | None, *, creating: bool) -> dict:
    """The editor map (neighbourhood as context) and the JSON the editing script reads."""
    focus = frame[(frame[spec.id_field] == record_id).fillna(False)] if record_id else frame.iloc[:0]
    live = frame[frame["retired_on"].isna()]
    if len(focus):
        minx, miny, maxx, maxy = focus.total_bounds
        near = live.cx[minx - CONTEXT_M:maxx + CONTEXT_M, miny - CONTEXT_M:maxy + CONTEXT_M]
        near = near[near[spec.id_field] != record_id]
    else:
        near = live.head(PAGE_ROWS)
    config = current_app.config
    the_map = edit_map({spec.name: near}, focus=focus if len(focus) else None, lang=current_lang(),
                       basemap=config["BASEMAP"], asset_base_url=url_for("static", filename=""),
                       tianditu_key=config["TIANDITU_KEY"])
    parts = map_components(the_map)
    geometry = None
    if len(focus):
        geometry = json.loads(shapely.to_geojson(to_web(focus[[spec.id_field, "geometry"]]).geometry.iloc[0]))
    data = {
        "layer": spec.name, "recordId": record_id, "geometryType": spec.geometry, "geometry": geometry,
        "mode": "create" if creating else "edit",
        "urls": {
            "geometry": url_for("edit.geometry", layer=spec.name, record_id=record_id) if record_id else None,
            "split": url_for("edit.split", record_id=record_id) if record_id and spec.name == "parcels" else None,
            "record": url_for("edit.record", layer=spec.name, record_id=record_id) if record_id else None,
        },
        "text": {
            "save": tr("保存图形", "Save geometry"), "reset": tr("还原", "Reset"),
            "split": tr("画分割线", "Draw split line"), "splitSave": tr("沿此线分割", "Split along this line"),
            "draw": tr("在地图上点击绘制，双击结束", "Click on the map to draw; double-click to finish"),
            "reason": tr("修改原因", "Reason"), "saved": tr("已保存", "Saved"),
            "conflict": tr("他人已修改此记录：", "Someone else changed this record:"),
            "refused": tr("未保存：", "Not saved:"),
        },
    }
    return {"map_header": Markup(parts.header), "map_html": Markup(parts.html),
            "map_script": Markup(parts.script), "edit_data": data}


# -- pages -------------------------------------------------------------------------------------


@bp.get("/")
def index():
    """The editable layers with their record counts."""
    lang = current_lang()
    layers = [{"name": name, "label": spec.label(lang), "count": len(park().layer(name)), "table": spec.is_table}
              for name, spec in REGISTRY.items() if name not in READ_ONLY]
    return render_template("edit/index.html", layers=layers)


@bp.get("/<layer>/")
def layer_page(layer: str):
    """Records of one layer (filter ``?q=`` on id and name; retired ones marked)."""
    spec = _spec(layer)
    frame = park().layer(layer)
    q = (request.args.get("q") or "").strip()
    if q:
        mask = frame[spec.id_field].str.contains(q, case=False, regex=False).fillna(False)
        if "name" in frame.columns:
            mask |= frame["name"].astype("str").str.contains(q, case=False, regex=False).fillna(False)
        frame = frame[mask]
    shown_fields = [spec.id_field, *[name for name in spec.popup_fields if name != spec.id_field][:4]]
    if not spec.popup_fields:
        shown_fields = [f.name for f in spec.fields[:5]]
    lang = current_lang()
    columns = [(name, field_label(spec.field(name), lang)) for name in shown_fields]
    texts = audit.record_texts(frame.head(PAGE_ROWS), spec)
    rows = [{"id": text[spec.id_field], "retired_on": text.get("retired_on"), "cells": cells}
            for text, cells in zip(texts, named_records(texts, layer))]
    return render_template("edit/layer.html", spec=spec, columns=columns, rows=rows, total=len(frame), q=q,
                           layer_label=spec.label(lang))


@bp.get("/<layer>/<record_id>")
def record(layer: str, record_id: str):
    """The edit form of one record, its geometry editor, actions and latest history.

    ``?format=json`` gives what a script needs to edit it: the values as canonical
    text with the version and fingerprint computed from the same state.
    """
    spec = _spec(layer)
    if request.args.get("format") == "json":
        frame, version = _record_state(spec, record_id)
        values = audit.record_texts_of(frame, spec, record_id)
        if values is None:
            raise no_record(layer, record_id)
        fingerprint = audit.texts_fingerprint(values)  # (of the same texts: not converted again)
        values.pop("geometry", None)
        return jsonify({"layer": layer, "record_id": record_id, "values": values,
                        "fingerprint": fingerprint, "version": version})
    return _render_record(spec, record_id)


@bp.get("/<layer>/new")
def new(layer: str):
    return _render_record(_spec(layer), None, creating=True)


# -- attribute edits ---------------------------------------------------------------------------


@bp.post("/<layer>/new")
def create(layer: str):
    """Add a record (leases: unit must exist and not be leased then; cases: the ledger opens it)."""
    spec = _spec(layer)
    sub = Submission(spec, creating=True)
    try:
        if layer == "cases":
            return _case_open(spec, sub)
        geometry = sub.geometry() if spec.geometry is not None else None
        if layer == "leases":
            unit_ids = park().layer("units")["unit_id"].dropna()

            def build(current, trail):
                return {"leases": edits.add_lease(current["leases"], spec, sub.values, unit_ids=unit_ids)}
            action = "lease_add"
        else:
            def build(current, trail):
                return {layer: edits.create_record(current[layer], spec, sub.values, geometry=geometry)}
            action = "create"
        new_id = str(sub.values.get(spec.id_field) or "").strip()
        scope = None if layer == "leases" else audit.Scope.of(layer, new_id)
        events = commit_change(action, build, layers=[layer], reason=sub.reason, scope=scope)
    except REFUSED as exc:
        return _refused(exc, spec, None, sub, creating=True)
    return _saved(spec, str(sub.values.get(spec.id_field) or "").strip(), events)


@bp.post("/<layer>/<record_id>")
def update(layer: str, record_id: str):
    """Change attributes of a record; refused with 409 when the record changed since the form was built."""
    spec = _spec(layer)
    sub = Submission(spec)
    _require_version(sub, spec, record_id)
    try:
        if layer == "cases":
            return _case_update(spec, record_id, sub)

        def build(current, trail):
            edits.check_version(current[layer], trail, spec, record_id, version=sub.version,
                                seen_fingerprint=sub.fingerprint)
            return {layer: edits.update_record(current[layer], spec, record_id, sub.values)}

        events = commit_change("update", build, layers=[layer], reason=sub.reason,
                               scope=audit.Scope.of(layer, record_id))
    except KeyError:
        raise no_record(layer, record_id) from None
    except REFUSED as exc:
        return _refused(exc, spec, record_id, sub)
    return _saved(spec, record_id, events)


def _simple_change(layer: str, record_id: str, action: str, change, *, geometry_field=False):
    """A version-checked change of one record built by ``change(frame, spec, sub)``."""
    spec = _spec(layer)
    sub = Submission(spec)
    _require_version(sub, spec, record_id)
    try:
        def build(current, trail):
            edits.check_version(current[layer], trail, spec, record_id, version=sub.version,
                                seen_fingerprint=sub.fingerprint)
            return {layer: change(current[layer], spec, sub)}

        events = commit_change(action, build, layers=[layer], reason=sub.reason,
                               scope=audit.Scope.of(layer, record_id))
    except KeyError:
        raise no_record(layer, record_id) from None
    except REFUSED as exc:
        return _refused(exc, spec, record_id, sub)
    return _saved(spec, record_id, events)


def _posted_day(raw, name: str) -> dt.date | None:
    """A posted ``YYYY-MM-DD`` (blank: None); a 400 naming the field and the value otherwise."""
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadRequest(tr(f"{name} 必须是日期 YYYY-MM-DD，收到 {text!r}",
                            f"{name} must be a date written YYYY-MM-DD, got {text!r}")) from None


def _today():
    return audit.new_change("update", timezone=current_app.config["TIMEZONE"]).date


@bp.post("/<layer>/<record_id>/retire")
def retire(layer: str, record_id: str):
    """Retire a record today; it is no longer true from ``valid_to`` (default today). Records are never
    deleted: retired ones stay in the history and in as-of views of the days they were true."""
    return _simple_change(layer, record_id, "retire",
                          lambda frame, spec, sub: edits.set_retired(
                              frame, spec, record_id, _today(),
                              no_longer_true_from=_posted_day(sub.raw.get("valid_to"), "valid_to")))


@bp.post("/<layer>/<record_id>/restore")
def restore(layer: str, record_id: str):
    """Hold a retired record again; it is true again from today (a valid_to up to today is cleared)."""
    return _simple_change(layer, record_id, "restore",
                          lambda frame, spec, sub: edits.set_retired(frame, spec, record_id, None,
                                                                     restored_on=_today()))


@bp.post("/<layer>/<record_id>/geometry")
def geometry(layer: str, record_id: str):
    """Replace a record's geometry (GeoJSON in lon/lat), validated like an import."""
    spec = _spec(layer)
    if spec.geometry is None:
        raise NotFound(tr(f"{layer} 是没有几何的表", f"{layer} is a table without geometry"))
    return _simple_change(layer, record_id, "geometry",
                          lambda frame, spec, sub: edits.set_geometry(frame, spec, record_id, sub.geometry()))


@bp.post("/leases/<record_id>/end")
def end_lease(record_id: str):
    """End a lease on ``end`` (default today): not before its start, not after its current end."""
    return _simple_change("leases", record_id, "lease_end",
                          lambda frame, spec, sub: edits.end_lease(frame, spec, record_id,
                                                                   sub.raw.get("end") or _today()))


# -- parcels: split and merge --------------------------------------------------------------------


@bp.post("/parcels/<record_id>/split")
def split(record_id: str):
    """Split a parcel along a drawn line: pieces become new parcels with ``previously_part_of``."""
    spec = _spec("parcels")
    sub = Submission(spec)
    _require_version(sub, spec, record_id)
    made: list[str] = []
    try:
        line = sub.geometry()

        def build(current, trail):
            edits.check_version(current["parcels"], trail, spec, record_id, version=sub.version,
                                seen_fingerprint=sub.fingerprint)
            frame, new_ids = edits.split_parcel(current["parcels"], spec, record_id, line, day=_today())
            made[:] = new_ids
            return {"parcels": frame}

        events = commit_change("split", build, layers=["parcels"], reason=sub.reason,
                               scope=audit.Scope.of("parcels", record_id, prefixes=(record_id + "-",)))
    except KeyError:
        raise no_record("parcels", record_id) from None
    except REFUSED as exc:
        return _refused(exc, spec, record_id, sub)
    if wants_json():
        return jsonify({"ok": True, "retired": record_id, "parcels": made, "events": len(events),
                        "change_id": events["change_id"].iloc[0] if len(events) else None})
    return _saved(spec, made[0], events,
                  tr(f"已分割为 {', '.join(made)}", f"split into {', '.join(made)}"))


@bp.post("/parcels/merge")
def merge():
    """Merge adjacent parcels (``ids``, comma-separated or repeated) into a new one; the parents are retired."""
    spec = _spec("parcels")
    sub = Submission(spec)
    raw_ids = sub.raw.get("ids") if request.is_json else ",".join(request.form.getlist("ids"))
    ids = raw_ids if isinstance(raw_ids, list) else [i.strip() for i in str(raw_ids or "").split(",") if i.strip()]
    versions = sub.raw.get("versions") if request.is_json else None
    made: list[str] = []
    try:
        def build(current, trail):
            if isinstance(versions, dict):
                for record_id, version in versions.items():
                    edits.check_version(current["parcels"], trail, spec, record_id, version=int(version),
                                        seen_fingerprint=None)
            frame, new_id = edits.merge_parcels(current["parcels"], spec, ids, new_id=sub.raw.get("new_id"),
                                                day=_today())
            made[:] = [new_id]
            return {"parcels": frame}

        named = [str(sub.raw.get("new_id") or "").strip()] if sub.raw.get("new_id") else []
        scope = audit.Scope.of("parcels", *ids, *named, prefixes=(str(ids[0]) + "-M",) if ids else ())
        events = commit_change("merge", build, layers=["parcels"], reason=sub.reason, scope=scope)
    except KeyError as exc:
        raise NotFound(tr("未找到：", "not found: ") + str(exc).strip("'\"")) from None
    except REFUSED as exc:
        return _refused(exc, spec, ids[0] if ids else None, sub)
    if wants_json():
        return jsonify({"ok": True, "retired": ids, "parcel": made[0], "events": len(events),
                        "change_id": events["change_id"].iloc[0] if len(events) else None})
    return _saved(spec, made[0], events, tr(f"已合并为 {made[0]}", f"merged into {made[0]}"))


# -- revitalisation cases: the ledger's own rules --------------------------------------------------


def _referenced(sub: Submission) -> dict[str, list[str]]:
    """Of the parcel and building a case form names, those the park holds (retired ones too), for
    ``geo.revitalisation``'s reference check: looked up by id, not by reading the layers."""
    wanted = {"parcel_ids": ("parcels", sub.values.get("parcel_id")),
              "building_ids": ("buildings", sub.values.get("building_id"))}
    return {key: sorted(park().ids_present(layer, [str(value).strip()])) if value else []
            for key, (layer, value) in wanted.items()}


def _case_scope(*case_ids: str, prefixes: tuple[str, ...] = ()) -> audit.Scope:
    """The records a change of cases concerns: the cases (or those whose ids start with ``prefixes``), and
    every event of them (the next event is numbered after the case's own)."""
    return audit.Scope({"cases": case_ids, "case_events": ()},
                       {"cases": prefixes, "case_events": tuple(f"{case_id}-E" for case_id in case_ids)})


def _case_open(spec: LayerSpec, sub: Submission):
    opened: list[str] = []
    references = _referenced(sub)

    def build(current, trail):
        cases, events, case_id = create_case(current["cases"], current["case_events"], sub.values, today=_today(),
                                             **references)
        opened.append(case_id)
        return {"cases": cases, "case_events": events}

    # The new case's id is the next of the year's: the year's cases are read (its events, none yet).
    events = commit_change("case_open", build, layers=["cases", "case_events"], reason=sub.reason,
                           scope=_case_scope(prefixes=(f"C-{_today().year}-",)))
    return _saved(spec, opened[0], events)


def _case_update(spec: LayerSpec, record_id: str, sub: Submission):
    references = _referenced(sub)

    def build(current, trail):
        edits.check_version(current["cases"], trail, spec, record_id, version=sub.version,
                            seen_fingerprint=sub.fingerprint)
        cases, events = update_case(current["cases"], current["case_events"], record_id, sub.values,
                                    today=_today(), **references)
        return {"cases": cases, "case_events": events}

    events = commit_change("case_update", build, layers=["cases", "case_events"], reason=sub.reason,
                           scope=_case_scope(record_id))
    return _saved(spec, record_id, events)


@bp.post("/cases/<record_id>/close")
def close(record_id: str):
    """Close a case as done (a method is then required) or dropped."""
    spec = _spec("cases")
    sub = Submission(spec)
    _require_version(sub, spec, record_id)
    try:
        def build(current, trail):
            edits.check_version(current["cases"], trail, spec, record_id, version=sub.version,
                                seen_fingerprint=sub.fingerprint)
            cases, events = close_case(current["cases"], current["case_events"], record_id, today=_today(),
                                       outcome=sub.raw.get("outcome") or "done", method=sub.raw.get("method") or None,
                                       closed=sub.raw.get("closed") or None, notes=sub.raw.get("notes") or None)
            return {"cases": cases, "case_events": events}

        events = commit_change("case_close", build, layers=["cases", "case_events"], reason=sub.reason,
                               scope=_case_scope(record_id))
    except KeyError:
        raise no_record("cases", record_id) from None
    except REFUSED as exc:
        return _refused(exc, spec, record_id, sub)
    return _saved(spec, record_id, events)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
