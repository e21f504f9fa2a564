"""Who may call which endpoint: the one permission table of the application.

Every request passes :func:`web.auth.enforce` (an ``app.before_request`` hook),
which asks :func:`required_role` for the request's endpoint and method. Rules
are kept by blueprint (``"land.*"``) or by exact endpoint (``"audit.undo"``),
so an endpoint another engineer adds to a known blueprint is covered the moment
it exists. An endpoint that matches no rule is refused (403) and
``tests/test_web_permissions.py`` lists it, so a new blueprint cannot ship
unprotected by accident.

Policies
--------
``read``
    Safe methods (GET, HEAD, OPTIONS) need a viewer; anything that changes
    data (POST, PUT, PATCH, DELETE) an editor. Data pages, the JSON API,
    exports, imports and tiles.
``edit``
    Editors only, whatever the method (edit forms, undo).
``admin``
    Administrators only (accounts).
``self``
    Any signed-in user, whatever the method (their own password, signing out).
``open``
    Anyone, signed in or not (the login page, static files).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: The role each policy needs, by method class ("safe" or "unsafe"); None = anyone.
POLICIES: dict[str, dict[str, str | None]] = {
    "read": {"safe": "viewer", "unsafe": "editor"},
    "edit": {"safe": "editor", "unsafe": "editor"},
    "admin": {"safe": "admin", "unsafe": "admin"},
    "self": {"safe": "viewer", "unsafe": "viewer"},
    # A POST that only computes (a drawn area sent for analysis) and changes nothing.
    "analyse": {"safe": "viewer", "unsafe": "viewer"},
    "open": {"safe": None, "unsafe": None},
}

#: Endpoint pattern → policy. Exact endpoints are looked up first, then the
#: blueprint patterns; the first match wins. Keep one line per blueprint.
RULES: dict[str, str] = {
    # exact endpoints
    "static": "open",
    "auth.login": "open",
    "auth.logout": "self",
    "auth.account": "self",
    "public.map": "open",
    "audit.undo": "edit",
    "expansion.api_post": "analyse",
    "measure.api_measure": "analyse",
    # blueprints
    "pages.*": "read",
    "api.*": "read",
    "search.*": "read",
    "land.*": "read",
    "imports.*": "read",
    "exports.*": "read",
    "qgis.*": "read",
    "infrastructure.*": "read",
    "expansion.*": "read",
    "sites.*": "read",
    "report.*": "read",
    "mapprint.*": "read",
    "tiles.*": "read",
    "audit.*": "read",
    "edit.*": "edit",
    "admin.*": "admin",
    "tokens.*": "self",
}

#: Endpoints an anonymous visitor may read for the layers named in ``PUBLIC_LAYERS``
#: (the optional read-only public view); the layer comes from the URL's ``layer`` argument. Each of them shows
#: an anonymous visitor the public fields and records in force only (``web.public.visitor_fields``): an endpoint
#: added here must do the same.
PUBLIC_LAYER_ENDPOINTS = frozenset({"api.collection", "api.items", "api.item", "api.queryables",
                                    "api.feature_schema", "api.schema", "tiles.tile"})
#: The OGC API's index, which an anonymous visitor may read when some layer is public: it then lists the public
#: layers only (``web.api_meta``), so QGIS and GDAL can add them from the landing page without a sign-in.
PUBLIC_INDEX_ENDPOINTS = frozenset({"api.landing", "api.conformance", "api.openapi", "api.collections"})


def policy_for(endpoint: str | None) -> str | None:
    """The policy name of ``endpoint``, or ``None`` when no rule covers it."""
    if endpoint is None:
        return None
    if endpoint in RULES:
        return RULES[endpoint]
    for pattern, policy in RULES.items():
        if "*" in pattern and fnmatchcase(endpoint, pattern):
            return policy
    return None


def required_role(endpoint: str | None, method: str) -> tuple[bool, str | None]:
    """(whether a rule covers the endpoint, the role needed or ``None`` for anyone).

    An uncovered endpoint returns ``(False, None)``; the caller refuses it.
    """
    policy = policy_for(endpoint)
    if policy is None:
        return False, None
    kind = "safe" if method.upper() in SAFE_METHODS else "unsafe"
    return True, POLICIES[policy][kind]
