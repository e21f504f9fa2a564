"""The role matrix: every endpoint of the app × every method × anonymous, viewer, editor, admin.

Generated from ``app.url_map``, so endpoints other modules add later are covered
without touching this file: one that matches no rule of ``web.permissions``
fails :func:`test_every_endpoint_has_a_permission_rule`, and one that lets the
wrong role through fails the matrix. Requests carry the CSRF token, so what is
tested here is the role, not the token (``test_web_security.py`` does that).
"""

from __future__ import annotations

import pytest
from auth_helpers import CsrfClient, auth_config, signed_in
from flask import Blueprint

from layers.accounts import ROLE_RANK
from web.permissions import RULES, policy_for, required_role

#: A value for each URL argument name (records of the tiny park where it matters).
SAMPLE_ARGS = {
    "layer": "parcels", "record_id": "P1", "item_id": "P1", "case_id": "C-2026-0001", "change_id": "CH-none",
    "username": "viewer1", "fmt": "csv", "filename": "css/parkatlas.css", "z": 0, "x": 0, "y": 0,
    "scenario_id": "S1", "name": "x", "format": "json",
}
LOGOUT = "auth.logout"


def endpoint_calls(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every rule and method of the app; signing out last."""
    calls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            values = {}
            for name in rule.arguments:
                converter = rule._converters[name]
                kind = type(converter).__name__
                if kind in ("IntegerConverter", "NumberConverter"):
                    values[name] = 0
                elif kind == "AnyConverter":
                    values[name] = sorted(converter.items)[0]
                else:
                    values[name] = SAMPLE_ARGS.get(name, "x")
            url = rule.build(values, append_unknown=False)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                calls.append((rule.endpoint, method, url))
    return sorted(calls, key=lambda call: call[0] == LOGOUT)


@pytest.fixture
def matrix_app(tiny_park, tmp_path):
    from app import create_app

    app = create_app(auth_config(tiny_park.path, tmp_path / "accounts.sqlite"))
    app.test_client_class = CsrfClient
    return app


def test_every_endpoint_has_a_permission_rule(matrix_app):
    uncovered = sorted({rule.endpoint for rule in matrix_app.url_map.iter_rules() if policy_for(rule.endpoint) is None})
    assert uncovered == [], f"add these endpoints (or their blueprint) to web.permissions.RULES: {uncovered}"


def test_an_endpoint_without_a_rule_is_refused_and_reported(tiny_park, tmp_path):
    from app import create_app

    app = create_app(auth_config(tiny_park.path, tmp_path / "accounts.sqlite"))
    rogue = Blueprint("rogue", __name__)
    rogue.add_url_rule("/rogue", "dump", lambda: "everything")
    app.register_blueprint(rogue)
    assert policy_for("rogue.dump") is None
    client = signed_in(app, "admin")
    response = client.get("/rogue")
    assert response.status_code == 403
    assert "rogue.dump" in response.get_data(as_text=True)


def _client(app, role):
    if role == "anonymous":
        client = app.test_client()
        client.get("/login")  # a session with a CSRF token, so the token is not what refuses
        return client
    return signed_in(app, role, username=f"{role}1")


@pytest.mark.parametrize("role", ["anonymous", "viewer", "editor", "admin"])
def test_role_matrix(matrix_app, role):
    calls = endpoint_calls(matrix_app)
    assert len(calls) > 20
    client = _client(matrix_app, role)
    wrong = []
    for endpoint, method, url in calls:
        covered, needed = required_role(endpoint, method)
        response = client.open(url, method=method, headers={"Accept": "text/html"})
        status = response.status_code
        response.close()  # static files are streamed from an open file
        allowed = needed is None or (role != "anonymous" and ROLE_RANK[role] >= ROLE_RANK[needed])
        if status >= 500:
            wrong.append(f"{method} {url} ({endpoint}): {status} server error")
        elif allowed and status in (401, 403):
            wrong.append(f"{method} {url} ({endpoint}): {status} but {role} may call it (needs {needed})")
        elif not allowed and role == "anonymous" and not (status == 401 or (status == 302 and "/login" in response.location)):
            wrong.append(f"{method} {url} ({endpoint}): {status}, expected 401 or a redirect to the login page")
        elif not allowed and role != "anonymous" and status != 403:
            wrong.append(f"{method} {url} ({endpoint}): {status}, expected 403 for {role} (needs {needed})")
    assert wrong == []


def test_anonymous_api_client_gets_401_json_and_browser_the_login_page(auth_app):
    client = auth_app.test_client()
    api = client.get("/api/collections/parcels/items", headers={"Accept": "application/json"})
    assert api.status_code == 401
    assert api.get_json()["error"]["status"] == 401
    page = client.get("/?lang=en", headers={"Accept": "text/html"})
    assert page.status_code == 302
    assert page.location.startswith("/login?next=/")


def test_a_viewer_post_to_an_edit_endpoint_is_403_from_any_page(viewer_client):
    before = viewer_client.get("/api/collections/parcels/items/P1").get_json()
    for referer in ("http://localhost/", "http://localhost/edit/parcels/P1", ""):
        response = viewer_client.post("/edit/parcels/P1", data={"name": "viewer was here", "version": "0"},
                                      headers={"Referer": referer})
        assert response.status_code == 403
    json_post = viewer_client.post("/edit/parcels/P1", json={"values": {"name": "x"}, "version": 0})
    assert json_post.status_code == 403
    assert viewer_client.get("/api/collections/parcels/items/P1").get_json() == before


def test_the_rules_name_only_known_policies():
    from web.permissions import POLICIES

    assert set(RULES.values()) <= set(POLICIES)
    assert required_role("edit.update", "GET") == (True, "editor")
    assert required_role("api.items", "GET") == (True, "viewer")
    assert required_role("api.items", "POST") == (True, "editor")
    assert required_role("admin.users", "GET") == (True, "admin")
    assert required_role("auth.login", "POST") == (True, None)
    assert required_role("nobody.knows", "GET") == (False, None)


def test_a_viewer_may_send_an_area_for_analysis_but_not_save_a_scenario(viewer_client):
    area = {"type": "Polygon", "coordinates": [[[121.39, 28.64], [121.40, 28.64], [121.40, 28.65],
                                                [121.39, 28.64]]]}
    analysed = viewer_client.post("/api/expansion", json={"geometry": area})
    assert analysed.status_code == 200, analysed.get_data(as_text=True)
    saved = viewer_client.post("/api/expansion/scenarios", json={"name": "v", "geometry": area})
    assert saved.status_code == 403
