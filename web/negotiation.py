"""Which rendition a request asks for: JSON (the default) or an HTML page, by ``?f=`` or by ``Accept``.

OGC API clients (GDAL, QGIS, OWSLib) send ``Accept: application/json`` or
``*/*`` and get JSON; a browser's navigation puts ``text/html`` first and gets the
page. ``?f=json`` / ``?f=html`` decide over the header. The sign-in hook asks the
same question, so a browser opening an API page while signed out is sent to the
login page while a desktop client gets ``401`` with a challenge.
"""

from __future__ import annotations

from flask import request

from web.errors import BadRequest
from web.i18n import tr

FORMATS = ("json", "html")
#: Media types a browser names when it wants a page (``*/*`` alone is no such wish).
HTML_TYPES = ("text/html", "application/xhtml+xml")


def names_html() -> bool:
    """Whether the ``Accept`` header names an HTML type itself (not only through ``*/*``)."""
    return any(value in HTML_TYPES and quality > 0 for value, quality in request.accept_mimetypes)


def wants_html() -> bool:
    """HTML for ``?f=html``, JSON for ``?f=json``; otherwise HTML only when ``Accept`` prefers an HTML type
    over JSON (a browser), JSON for everyone else."""
    asked = request.args.get("f")
    if asked:
        return asked == "html"
    if not names_html():
        return False
    accept = request.accept_mimetypes
    return accept.quality("text/html") > max(accept.quality("application/json"), accept.quality("application/geo+json"))


def check_format() -> str:
    """``json`` or ``html`` as asked (:func:`wants_html`); 400 naming the value for any other ``f``."""
    asked = request.args.get("f")
    if asked and asked not in FORMATS:
        raise BadRequest(tr(f"f 必须是 {' 或 '.join(FORMATS)}，收到 {asked!r}",
                            f"f must be {' or '.join(FORMATS)}, got {asked!r}"))
    return "html" if wants_html() else "json"
