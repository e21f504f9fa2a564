"""Workbook downloads in the convention of the request's language (issue 17 §4), for every page.

A download is a first sheet saying what it is, which park, when it was made (the park's
time zone) and which rules were in force, then the page's tables as ``layers.workbook_style``
writes them. Views call :func:`workbook_response`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Response, current_app

from geo.formats import format_day
from layers.workbook_style import Cover, Sheet, styled_workbook
from web.i18n import current_lang, tr
from web.park import park

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Rule families as a person names them.
FAMILY_NAMES = {"land": ("土地规则", "land rules"), "infrastructure": ("基础设施规则", "infrastructure rules"),
                "expansion": ("拓展区规则", "expansion rules"), "evaluation": ("评价规则", "evaluation rules")}


def park_today() -> dt.date:
    """Today in the park's time zone (``TIMEZONE``): the day a workbook is made on."""
    return dt.datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def park_name() -> str:
    return str(park().meta().get("park_name") or tr("园区", "Park"))


def rules_text() -> str:
    """The rules in force: a short version id (what results are keyed by) and what overrides the defaults."""
    service = park()
    digest = hashlib.sha256(service.rules().version.encode("utf-8")).hexdigest()[:12]
    overrides = service.rules_overrides()
    if not overrides:
        return tr(f"{digest}（国家默认值，园区未覆盖）", f"{digest} (national defaults, no park overrides)")
    lang = current_lang()
    parts = []
    for family, sources in overrides.items():
        names = [tr("园区自带", "the park's own") if s == "park" else Path(s).name for s in sources]
        label = FAMILY_NAMES.get(family, (family, family))[1 if lang == "en" else 0]
        parts.append(f"{label} ← {' + '.join(names)}")
    return tr(f"{digest}（覆盖：{'；'.join(parts)}）", f"{digest} (overridden: {'; '.join(parts)})")


def cover(what: str, *, as_of: dt.date | None = None, extra: Sequence[tuple[str, object]] = ()) -> Cover:
    """The first sheet: what the workbook is, the park, the day judged, when it was made, the rules in force."""
    lang = current_lang()
    lines = [(tr("内容", "Contents"), what), (tr("园区", "Park"), park_name())]
    if as_of is not None:
        lines.append((tr("数据日期", "As of"), format_day(as_of, lang)))
    lines += [(tr("生成日期", "Made on"), format_day(park_today(), lang)), (tr("规则版本", "Rules version"), rules_text()),
              *extra]
    return Cover(tr("说明", "About"), f"{park_name()} · {what}", tuple(lines))


def workbook_response(sheets: Sequence[Sheet], cover_sheet: Cover, filename: str) -> Response:
    """The workbook as a download named ``filename``."""
    content = styled_workbook(sheets, cover=cover_sheet, lang=current_lang())
    response = Response(content, mimetype=XLSX)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response


__all__ = ["XLSX", "cover", "park_name", "park_today", "rules_text", "workbook_response"]
