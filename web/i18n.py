"""Language: Chinese (zh-CN) by default, English on request.

Templates write both languages side by side with ``tr('中文', 'English')``, so
the two can never drift apart; ``flask --app app i18n-catalogue`` gathers every pair into one
gettext catalogue for review (:mod:`layers.i18n_catalogue`). The language comes from ``?lang=``
(remembered in a cookie), else the cookie, else ``DEFAULT_LANG``.
"""

from __future__ import annotations

import numpy as np
from flask import Flask, current_app, g, request

from geo.formats import MISSING, as_day, format_day, format_number
from geo.names import clause_name, code_name, grade_name
from geo.reason_text import localised
from layers.accounts import ROLE_NAMES

LANGUAGES = ("zh", "en")
COOKIE = "parkatlas_lang"


def current_lang() -> str:
    lang = getattr(g, "lang", None)
    if lang is None:
        asked = request.args.get("lang") or request.cookies.get(COOKIE) or current_app.config["DEFAULT_LANG"]
        lang = asked if asked in LANGUAGES else "zh"
        g.lang = lang
    return lang


def tr(zh: str, en: str) -> str:
    """The text in the current language."""
    return en if current_lang() == "en" else zh


def notes(text):
    """An analysis's notes (``geo.reason_text``) in the current language: the ``notes`` template filter."""
    return localised(text, current_lang())


def role_name(role: str) -> str:
    """A role's name in the current language (the code itself for a role without one)."""
    return tr(*ROLE_NAMES[role]) if role in ROLE_NAMES else role


def code_names() -> dict:
    """Template globals naming coded values in the current language (the code goes on hover, ``title=``):
    ``clause_name`` (IDLE-A …), ``exemption_name`` (GOV-1 …, the parcels' delay causes), ``grade_name`` (亩均 A–D, T)."""
    lang = current_lang()
    return {"clause_name": lambda code: clause_name(code, lang) or "",
            "exemption_name": lambda code: code_name("parcels", "delay_cause", lang)(code) or "",
            "grade_name": lambda code: grade_name(code, lang) or "—"}


def number_filter(value, digits: int = 2) -> str:
    """A number for tables: thousands separators, '—' for missing; yes/no for a flag."""
    if isinstance(value, bool | np.bool_):
        return tr("是", "yes") if value else tr("否", "no")
    return format_number(value, digits, current_lang())


def percent_filter(value, digits: int = 1) -> str:
    """A share (0–1) as a percentage for tables: '12.5%', '—' for missing."""
    text = number_filter(None if value is None or isinstance(value, bool) else value * 100, digits)
    return text if text == MISSING else text + "%"


def day_filter(value) -> str:
    """A day as a reader reads it: 2026年12月6日 / 2026-12-06, '—' for missing (form values use ``iso_day``);
    a text that is no day (a reference date typed freely into the park's metadata) as it is."""
    try:
        return format_day(value, current_lang())
    except (ValueError, TypeError):
        return str(value)


def iso_day(value) -> str:
    """A day as ISO 8601 (``2026-12-06``) for form values and machines; empty when missing."""
    day = as_day(value)
    return "" if day is None else day.isoformat()


def init_app(app: Flask) -> None:
    """Register the language's template globals and the one set of reader-facing formats (geo.formats):
    ``num``, ``pct``, ``day``, ``iso_day`` and ``notes``."""
    for name, function in (("num", number_filter), ("pct", percent_filter), ("day", day_filter),
                           ("iso_day", iso_day)):
        app.add_template_filter(function, name)
    app.add_template_filter(notes, "notes")
    app.add_template_global(role_name)
    app.context_processor(code_names)

    @app.context_processor
    def inject_language():
        return {"tr": tr, "lang": current_lang(), "html_lang": "en" if current_lang() == "en" else "zh-CN"}

    @app.after_request
    def remember_language(response):
        asked = request.args.get("lang")
        if asked in LANGUAGES:
            response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response
