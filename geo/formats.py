"""Days, moments and numbers as people read them, in Chinese or English: one place for every page,
workbook heading and report line (issue 17 §1).

zh: ``2026年12月6日``, ``2026年12月6日 14:10:29`` (in the park's time zone), ``12,540.9``;
en: ``2026-12-06``, ``2026-12-06 14:10:29 (UTC+8)``, ``12,540.9``. Missing values read ``—``.
Machine-facing text (JSON, form values, file names) keeps ISO 8601.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pandas as pd

MISSING = "—"


def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or another value pandas cannot judge
        return False


def as_day(value) -> dt.date | None:
    """A date, datetime, Timestamp or ISO text as a day; None when missing."""
    if _missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def format_day(day, lang: str = "zh") -> str:
    """A day as people there write it: ``2026年12月6日`` / ``2026-12-06``; ``—`` when missing."""
    found = as_day(day)
    if found is None:
        return MISSING
    return found.isoformat() if lang == "en" else f"{found.year}年{found.month}月{found.day}日"


def local_moment(at, timezone: str) -> dt.datetime | None:
    """The UTC instant ``at`` (ISO text, ``Z`` or an offset; naive means UTC) in ``timezone`` (aware, whole
    seconds); None when missing."""
    instant = utc_instant(at)
    return None if instant is None else instant.astimezone(ZoneInfo(timezone)).replace(microsecond=0)


def utc_instant(at) -> dt.datetime | None:
    """An instant (ISO text with ``Z`` or an offset, or a datetime; naive means UTC) as an aware datetime;
    None when missing."""
    if _missing(at):
        return None
    moment = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def offset_text(moment: dt.datetime) -> str:
    """The zone's offset of ``moment`` as ``UTC+8`` / ``UTC-3:30``."""
    minutes = int(moment.utcoffset().total_seconds() // 60)
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    hours, rest = divmod(minutes, 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def format_moment(at, timezone: str, lang: str = "zh") -> str:
    """``at`` as a person in ``timezone`` writes it: zh ``2026年12月6日 14:10:29``, en
    ``2026-12-06 14:10:29 (UTC+8)``; empty when missing."""
    moment = local_moment(at, timezone)
    if moment is None:
        return ""
    if lang == "en":
        return f"{moment:%Y-%m-%d %H:%M:%S} ({offset_text(moment)})"
    return f"{format_day(moment, lang)} {moment:%H:%M:%S}"


def format_number(value, digits: int = 1, lang: str = "zh") -> str:
    """A number with thousands separators and ``digits`` decimals (``12,540.9`` in both languages); ``—``
    for missing or not finite."""
    if _missing(value) or isinstance(value, bool):
        return MISSING
    number = float(value)
    if not math.isfinite(number):
        return MISSING
    return f"{number:,.{digits}f}"


__all__ = ["MISSING", "as_day", "format_day", "format_moment", "format_number", "local_moment", "offset_text", "utc_instant"]
