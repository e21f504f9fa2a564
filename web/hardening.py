"""Wiring of issue 8 into the app: accounts, permissions, CSRF, headers, audit, editing, integrity.

Two calls from :func:`web.register`: :func:`init_security` first of all (its
``before_request`` hook must run before any other view code), and
:func:`init_editing` once the park store exists (it wraps the store).
"""

from __future__ import annotations

from flask import Flask


def init_security(app: Flask) -> None:
    """Body limits (their hook before every other), sessions, the permission/CSRF hook, the security headers."""
    from web import analysis_gate, auth, limits, security

    limits.init_app(app)  # a body over its cap is refused before the CSRF check could read it
    analysis_gate.init_app(app)
    auth.init_app(app)
    security.init_app(app)


def init_editing(app: Flask) -> None:
    """Refuse a damaged park, audit every save, and add the editor, history, accounts and public pages."""
    from web import admin, audit, edit, integrity, public

    integrity.init_app(app)
    audit.init_app(app)
    edit.init_app(app)
    admin.init_app(app)
    public.init_app(app)
