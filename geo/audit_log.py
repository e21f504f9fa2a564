"""The audit trail as a person reads it: times in the park's time zone, names instead of codes.

The log stores UTC instants (``2026-12-06T06:10:29.182715Z``), field names and coded
values, so that it reads the same in every store. This module says them in a language:
``2026年12月6日 14:10:29`` / ``2026-12-06 14:10:29 (UTC+8)``, 用地性质 for ``land_use``,
工业用地 for ``100103``, an enterprise's name for its id, 修改属性 for ``update``. The history
pages, their JSON twins (ISO with the zone's offset) and the log workbook all use it; times are said by
:func:`geo.formats.format_moment`.
"""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

import pandas as pd

from geo.formats import local_moment, utc_instant
from geo.names import code_names, named_value
from layers.registry import REGISTRY

AUDIT_LAYER = "audit_events"
WHOLE_RECORD = "*"
GEOMETRY = "geometry"
#: Log columns of the workbook, with their headers (zh, en); times are cells in the park's zone.
WORKBOOK_COLUMNS = (
    ("seq", "序号", "No."), ("at", "时间", "Time"), ("user", "用户", "User"), ("action", "操作", "Action"),
    ("layer", "图层", "Layer"), ("record_id", "记录编号", "Record"), ("field", "字段", "Field"),
    ("old_value", "原值", "Old value"), ("new_value", "新值", "New value"), ("reason", "原因", "Reason"),
    ("change_id", "变更编号", "Change"), ("undoes", "撤销的变更", "Undoes"),
)


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def moment_iso(at: str, timezone: str) -> str | None:
    """``at`` as ISO 8601 in the park's zone with its offset (``2026-12-06T14:10:29.182715+08:00``)."""
    instant = utc_instant(at)
    return None if instant is None else instant.astimezone(ZoneInfo(timezone)).isoformat()


def layer_name(layer: str, lang: str = "zh") -> str:
    """A layer's name (地块 for ``parcels``); an unknown layer as logged."""
    spec = REGISTRY.get(layer)
    return spec.label(lang) if spec is not None else str(layer)


def layer_names(layers, lang: str = "zh") -> str:
    """Layers named in a sentence: ``地块、建筑`` in Chinese, ``parcels, buildings`` (as addressed) in English."""
    return "、".join(layer_name(layer, "zh") for layer in layers) if lang != "en" else ", ".join(layers)


def action_name(action: str, lang: str = "zh") -> str:
    """A change's action (修改属性 for ``update``); an unknown action as logged."""
    return code_names(AUDIT_LAYER, "action", lang).get(action, action)


def field_name(layer: str, field: str, lang: str = "zh") -> str:
    """A logged field's label (用地性质 for ``land_use``; 图形, （整条记录）)."""
    spec = REGISTRY.get(layer)
    if spec is not None and field in spec.field_names:
        declared = spec.field(field)
        return declared.label_en if lang == "en" else declared.label_zh
    if field == GEOMETRY:
        return "geometry" if lang == "en" else "图形"
    if field == WHOLE_RECORD:
        return "(whole record)" if lang == "en" else "（整条记录）"
    return str(field)


def value_name(layer: str, field: str, text, lang: str = "zh",
               enterprises: Mapping[str, str] | None = None) -> str | None:
    """A logged value in one cell (a workbook's): a code's name with the code after it (``工业用地 (100103)``),
    an enterprise's name with its id; other values as logged. None when missing. Pages keep the code on hover
    instead (:func:`geo.names.named_value`)."""
    shown, code = named_value(layer, field, text, lang, enterprises)
    return f"{shown} ({code})" if code else shown


def log_workbook_frame(events: pd.DataFrame, timezone: str, lang: str = "zh",
                       enterprises: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The log as a workbook table: headers in ``lang``, times as naive park-zone date-times (date cells),
    names not codes; whole records (created / removed) as their logged JSON."""
    en = lang == "en"
    rows = events.sort_values("seq", kind="stable")
    out = {}
    for column, zh, english in WORKBOOK_COLUMNS:
        values = rows[column].tolist() if column in rows.columns else [None] * len(rows)
        if column == "at":
            values = [None if (m := local_moment(v, timezone)) is None else m.replace(tzinfo=None) for v in values]
        elif column == "action":
            values = [action_name(v, lang) if not _missing(v) else None for v in values]
        elif column == "layer":
            values = [layer_name(v, lang) if not _missing(v) else None for v in values]
        elif column == "field":
            values = [field_name(layer, f, lang) for layer, f in zip(rows["layer"], values)]
        elif column in ("old_value", "new_value"):
            values = [value_name(layer, f, v, lang, enterprises) for layer, f, v in
                      zip(rows["layer"], rows["field"], values)]
        elif column == "seq":
            values = [int(v) for v in values]
        else:
            values = [None if _missing(v) else v for v in values]
        header = english if en else zh
        if column == "at":
            header = f"{header} ({timezone})" if en else f"{header}（{timezone}）"
        out[header] = pd.Series(values, dtype=object)
    return pd.DataFrame(out)


__all__ = ["WORKBOOK_COLUMNS", "action_name", "field_name", "layer_name", "layer_names", "log_workbook_frame",
           "moment_iso", "value_name"]
