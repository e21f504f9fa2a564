"""Security headers on every response, with a per-request nonce for inline scripts.

Content-Security-Policy: scripts only from this site or carrying this request's
nonce — no ``'unsafe-inline'`` and no ``'unsafe-eval'`` for scripts. Folium emits
its map as inline JavaScript; pages put that script part (``map_components``) in
``<script nonce="{{ csp_nonce() }}">``, so it runs while an injected script
would not. Styles do allow ``'unsafe-inline'``: Folium's header carries a
``<style>`` element, templates size bars with ``style=""`` attributes and
Leaflet positions every marker and tile with inline styles; CSS cannot run
code, and user text is escaped before it reaches any of them.

Images may also come from the configured basemap's tile servers (OSM,
Tianditu); everything else is same-origin. Responses also carry
X-Frame-Options DENY (and ``frame-ancestors 'none'``), X-Content-Type-Options
nosniff, Referrer-Policy same-origin, and Strict-Transport-Security when
``HTTPS`` is configured. Signed-in pages are ``Cache-Control: private``.
"""

from __future__ import annotations

import secrets

from flask import Flask, current_app, g

BASEMAP_IMAGE_HOSTS = {
    "none": (),
    "osm": ("https://tile.openstreetmap.org",),
    "tianditu": ("https://*.tianditu.gov.cn",),
    "gaode": ("https://*.is.autonavi.com",),
}
HSTS_SECONDS = 180 * 24 * 3600


def csp_nonce() -> str:
    """This request's script nonce (templates: ``<script nonce="{{ csp_nonce() }}">``)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str, *, basemap: str = "none", extra_image_hosts: tuple[str, ...] = ()) -> str:
    """The CSP header value for one response."""
    images = " ".join(("'self'", "data:", "blob:", *BASEMAP_IMAGE_HOSTS.get(basemap, ()), *extra_image_hosts))
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": images,
        "connect-src": "'self'",
        "font-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def init_app(app: Flask) -> None:
    app.config.setdefault("CSP_EXTRA_IMAGE_HOSTS", ())
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def security_headers(response):
        config = current_app.config
        headers = response.headers
        headers["Content-Security-Policy"] = content_security_policy(
            csp_nonce(), basemap=config.get("BASEMAP", "none"),
            extra_image_hosts=tuple(config["CSP_EXTRA_IMAGE_HOSTS"]))
        headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        if config.get("HTTPS"):
            headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}"
        if g.get("user") is not None and "Cache-Control" not in headers:
            headers["Cache-Control"] = "private, no-cache"
        retry = g.get("retry_after_s")
        if response.status_code == 429 and retry:
            headers["Retry-After"] = str(retry)
        return response
