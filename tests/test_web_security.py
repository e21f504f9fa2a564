"""CSRF on every unsafe request, security headers, no stack traces, upload limits."""

from __future__ import annotations

import re

import pytest
from auth_helpers import auth_config, signed_in


def _update(client, headers=None, **data):
    return client.post("/edit/parcels/P1", data={"name": "改名", "version": "0", **data}, headers=headers or {})


def test_a_post_without_a_token_is_refused_and_changes_nothing(editor_client):
    refused = _update(editor_client, headers={"X-CSRF-Token": ""})
    assert refused.status_code == 400
    assert "CSRF" in refused.get_data(as_text=True)
    assert editor_client.get("/api/collections/parcels/items/P1").get_json()["properties"]["name"] == "一号地块 <b>"


def test_a_wrong_token_in_the_form_is_refused(editor_client):
    assert _update(editor_client, headers={"X-CSRF-Token": ""}, csrf_token="forged").status_code == 400


def test_a_token_of_another_session_is_refused(auth_app):
    alice = signed_in(auth_app, "editor", username="alice")
    mallory = signed_in(auth_app, "editor", username="mallory")
    with mallory.session_transaction() as session:
        malloryToken = session["csrf"]
    assert _update(alice, headers={"X-CSRF-Token": malloryToken}).status_code == 400


def test_the_token_in_the_form_field_or_the_header_is_accepted(editor_client):
    with editor_client.session_transaction() as session:
        token = session["csrf"]
    assert _update(editor_client, headers={"X-CSRF-Token": ""}, csrf_token=token).status_code == 303
    page = editor_client.get("/edit/parcels/P1").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert _update(editor_client, headers={"X-CSRF-Token": token}, version=version, name="再改").status_code == 303


def test_json_writes_need_the_header(editor_client):
    body = {"values": {"name": "json"}, "version": 0}
    assert editor_client.post("/edit/parcels/P1", json=body, headers={"X-CSRF-Token": ""}).status_code == 400
    assert editor_client.post("/edit/parcels/P1", json=body).status_code == 200


def test_sign_in_and_sign_out_need_the_token_too(auth_app):
    from auth_helpers import PASSWORD, make_account

    make_account(auth_app, "alice", "viewer")
    client = auth_app.test_client()
    assert client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 400
    signed = signed_in(auth_app, "viewer", username="alice")
    assert signed.post("/logout", headers={"X-CSRF-Token": ""}).status_code == 400
    assert signed.get("/api/summary").status_code == 200  # still signed in


def test_every_form_of_the_edit_page_carries_the_token(editor_client):
    page = editor_client.get("/edit/parcels/P1").get_data(as_text=True)
    with editor_client.session_transaction() as session:
        token = session["csrf"]
    forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", page, re.DOTALL)
    assert len(forms) >= 3
    assert all(f'name="csrf_token" value="{token}"' in form for form in forms)
    assert f'<meta name="csrf-token" content="{token}">' in page


def test_security_headers_and_a_nonce_csp_on_pages(editor_client):
    response = editor_client.get("/")
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    page = response.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline and all(f'nonce="{nonce}"' in attrs or "application/json" in attrs for attrs in inline)
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "private, no-cache"
    assert editor_client.get("/").headers["Content-Security-Policy"] != csp  # a new nonce per response


def test_headers_on_api_errors_and_static_files(auth_app):
    client = auth_app.test_client()
    for url in ("/api/summary", "/no/such/page", "/static/css/parkatlas.css", "/login"):
        response = client.get(url)
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert "script-src 'self' 'nonce-" in response.headers["Content-Security-Policy"], url
        response.close()


def test_basemap_tile_hosts_are_allowed_as_images_only(tiny_park, tmp_path):
    from app import create_app

    app = create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite", BASEMAP="osm"))
    csp = app.test_client().get("/login").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://tile.openstreetmap.org" in csp
    assert "tile.openstreetmap.org" not in re.search(r"script-src ([^;]+)", csp).group(1)


def test_no_stack_trace_reaches_the_client(tiny_park, tmp_path):
    from app import create_app

    app = create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite"))

    def boom():
        raise RuntimeError("secret internals /etc/parkatlas password=hunter2")

    app.add_url_rule("/boom", "pages.boom", boom)
    app.testing = False  # as in production: errors are handled, not raised into the test
    client = signed_in(app, "viewer")
    for accept in ("text/html", "application/json"):
        response = client.get("/boom", headers={"Accept": accept})
        assert response.status_code == 500
        text = response.get_data(as_text=True)
        assert "hunter2" not in text and "Traceback" not in text and "RuntimeError" not in text


def test_uploads_over_the_limit_are_refused_before_the_view(tiny_park, tmp_path):
    from app import create_app

    app = create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite", MAX_CONTENT_LENGTH=1024))
    client = signed_in(app, "editor")
    response = client.post("/edit/parcels/P1", data={"name": "x" * 4096, "version": "0"})
    assert response.status_code == 413


@pytest.mark.parametrize("url", ["/history/export.csv", "/history/export.xlsx"])
def test_log_exports_are_not_cached_by_shared_caches(editor_client, url):
    response = editor_client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_template_syntax_in_data_is_never_evaluated_on_the_server(tiny_park):
    # Folium parses a rendered map script again as a Jinja template; data must not reach that parse raw.
    import os

    from app import create_app

    parcels = tiny_park.load("parcels")
    parcels["name"] = parcels["name"].astype(object)
    parcels.loc[0, "name"] = "{{ cycler.__init__.__globals__.os.getcwd() }}{{7*7}}{% if 1 %}IF{% endif %}"
    tiny_park.save("parcels", parcels)
    app = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "SECRET_KEY": "test"})
    page = app.test_client().get("/").get_data(as_text=True)
    assert os.getcwd() not in page
    assert "\\u007b\\u007b7*7}}" in page and "\\u007b% if 1 %}IF" in page
    assert ">49" not in page and '"49' not in page


def test_report_workbooks_keep_formulas_as_text():
    import io

    import openpyxl
    import pandas as pd

    from layers.analysis_io import xlsx_bytes
    from layers.workbook import workbook_bytes

    evil = "=HYPERLINK(\"http://evil.example\",\"click\")"
    frame = pd.DataFrame({"name": [evil, "普通名称"], "value": [-1.5, 2.0]})

    def formulas(data: bytes) -> list[str]:
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        return [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]

    assert formulas(workbook_bytes({"t": frame})) == []
    assert formulas(xlsx_bytes({"t": frame})) == []
