"""The web side: blueprints, CLI commands, error handlers, language and park access.

Flask is imported only here and in ``app.py``; views call ``layers`` and ``geo``
with plain values and wrap what they return.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach every blueprint, command and handler to ``app``."""
    from web import background, commands, errors, hardening, i18n, park, tables, tiles

    hardening.init_security(app)  # first: permissions, CSRF and headers cover every view
    errors.init_app(app)
    i18n.init_app(app)
    tables.init_app(app)
    park.init_app(app)
    background.init_app(app)  # park-wide figures of a large park off the request
    hardening.init_editing(app)  # integrity check, audited store, editor, history, accounts
    commands.init_app(app)
    from layers.contrast import chip_text_color
    app.add_template_filter(chip_text_color, "chip_text")  # every chip's text colour (templates/partials/chip.html)
    tiles.init_app(app)

    from web import api_meta, tokens
    from web.pages import bp as pages_bp

    app.register_blueprint(pages_bp)
    api_meta.init_app(app)  # the OGC API: web.api's views, then its index and schemas
    tokens.init_app(app)
    from web.infrastructure import bp as infrastructure_bp
    app.register_blueprint(infrastructure_bp)
    from web.land import bp as land_bp
    app.register_blueprint(land_bp)
    from web.expansion import bp as expansion_bp
    app.register_blueprint(expansion_bp)
    from web.sites import bp as sites_bp
    app.register_blueprint(sites_bp)
    from web.report import bp as report_bp
    app.register_blueprint(report_bp)
    from web.imports import init_app as init_imports
    init_imports(app)
    from web.qgis import init_app as init_qgis
    init_qgis(app)
    from web.search import init_app as init_search
    init_search(app)
    from web.measure import init_app as init_measure
    init_measure(app)
    from web.map_print import init_app as init_map_print
    init_map_print(app)
