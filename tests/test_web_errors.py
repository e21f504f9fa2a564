"""One JSON error shape for every JSON answer, pinned by walking every route of ``app.url_map``.

A request is a JSON request when the route is an API or tile route, when it asks
``?f=json``/``?format=json``, sends a JSON body, or prefers JSON in ``Accept``
(``web.errors.wants_json``). Each route is asked, signed in as an administrator
with the CSRF token (so the answer is the route's own, not the sign-in's), with
unknown ids in its path and bad values in its query or body; whatever it answers
with a 4xx is the one shape of ``web.errors.error_body`` in JSON, worded in the
user's language, and nothing answers 5xx.
"""

from __future__ import annotations

import re

import pytest
from auth_helpers import auth_config, signed_in

#: Path values no park holds (an int for int converters; the first choice of an ``any`` converter).
UNKNOWN = {"layer": "no_such_layer", "layers": "no_such_layer", "record_id": "NO-SUCH-ID", "item_id": "NO-SUCH-ID",
           "case_id": "NO-SUCH-CASE", "change_id": "999999", "token": "0" * 32, "name": "no-such-scenario",
           "username": "nobody", "filename": "no-such-file", "fmt": "no-such-format"}
#: Path values that name nothing of the park: a GET of them is 404 (a user's history of no change is empty, 200).
NAMING = {"layer", "layers", "record_id", "item_id", "case_id", "change_id", "token", "name"}
#: Bad query values every page or API route that reads them must refuse (the rest ignore them).
BAD_QUERY = {"as_of": "not-a-day", "at": "not-a-day", "min_mu": "abc", "limit": "abc", "bbox": "x", "kind": "house"}
#: Members the ``error`` object may carry besides status, code and message.
DETAILS = {"field", "value", "allowed", "problems", "changes"}
#: Each page's JSON twin and a bad parameter it must refuse with 400 naming that field.
TWIN_REFUSALS = [
    ("/idle", "min_mu", "abc"), ("/idle", "status", "nope"), ("/api/idle", "min_mu", "-1"),
    ("/land", "as_of", "2026-13-01"), ("/api/land", "as_of", "yesterday"), ("/vacancy", "as_of", "x"),
    ("/api/vacancy", "as_of", "x"), ("/cases", "as_of", "x"), ("/api/cases", "as_of", "x"),
    ("/api/summary", "as_of", "x"), ("/infrastructure", "template", "nope"), ("/api/infrastructure", "planned", "2"),
    ("/api/sites", "kind", "house"), ("/api/sites", "area_min_mu", "many"),
    ("/api/collections/parcels/items", "limit", "x"),
    ("/api/expansion/compare", "a", ""),
]
CJK = re.compile(r"[\u4e00-\u9fff]")
LOGOUT = "auth.logout"


@pytest.fixture
def admin(tiny_park, tmp_path):
    from app import create_app

    app = create_app(auth_config(tiny_park.path, tmp_path / "accounts.sqlite"))
    return app, signed_in(app, "admin")


def assert_error(response, status: int | None = None) -> dict:
    """The one JSON error shape (``web.errors.error_body``); the ``error`` member."""
    assert response.content_type == "application/json", response.get_data(as_text=True)[:200]
    body = response.get_json()
    error = body["error"]
    assert {"status", "code", "message"} <= set(error) <= {"status", "code", "message", *DETAILS}
    assert error["status"] == response.status_code == (status or response.status_code)
    assert body["code"] == error["code"] and body["description"] == error["message"]
    return error


def route_urls(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL with unknown path values) for every rule and method; signing out last."""
    calls = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            kind = type(converter).__name__
            if kind == "IntegerConverter":
                values[name] = 999999 if name in ("token_id",) else 1
            elif kind == "AnyConverter":
                values[name] = sorted(converter.items)[0]
            else:
                values[name] = UNKNOWN[name]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            calls.append((rule.endpoint, method, adapter.build(rule.endpoint, values, method=method)))
    return sorted(calls, key=lambda call: (call[0] == LOGOUT, call))


def ask(client, method: str, url: str, query: dict | None = None, **headers):
    if method == "GET":
        return client.get(url, query_string=query, headers={"Accept": "application/json", **headers})
    return client.open(url, method=method, query_string=query, data=b'{"values": ', content_type="application/json",
                       headers={"Accept": "application/json", **headers})


def test_every_route_answers_json_requests_with_the_one_error_shape(admin):
    app, client = admin
    refused, unknown_ids = 0, []
    for endpoint, method, url in route_urls(app):
        for query in (None, BAD_QUERY):
            response = ask(client, method, url, query)
            where = f"{method} {url} {query or ''}"
            assert response.status_code < 500, (where, response.get_data(as_text=True)[:300])
            if response.status_code >= 400:
                refused += 1
                error = assert_error(response)
                assert CJK.search(error["message"]), (where, error)  # the Chinese UI reads Chinese
            rule_arguments = set(app.url_map._rules_by_endpoint[endpoint][0].arguments)
            if method == "GET" and query is None and rule_arguments & NAMING:
                unknown_ids.append((where, response.status_code))
    assert unknown_ids and all(status == 404 for _, status in unknown_ids), unknown_ids
    assert refused > 100


@pytest.mark.parametrize(("page", "field", "value"), TWIN_REFUSALS)
def test_each_json_twin_refuses_a_bad_parameter_naming_it(admin, page, field, value):
    _, client = admin
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    twin = [(page, {}), (page, {"format": "json"}), (page, {"f": "json"})] if not page.startswith("/api/") else [
        (page, {})]
    for path, extra in twin:
        needs_kind = "sites" in path and field != "kind"  # a site search names its kind
        query = {field: value, "lang": "zh", **extra, **({"kind": "land"} if needs_kind else {})}
        for headers in ({"Accept": "application/json"}, browser) if extra else ({"Accept": "application/json"},):
            response = client.get(path, query_string=query, headers=headers)
            error = assert_error(response, 400)
            assert error["field"] == field and error["value"] == value, error
            assert CJK.search(error["message"]) and field in error["message"]
            english = client.get(path, query_string={**query, "lang": "en"}, headers=headers)
            worded = assert_error(english, 400)["message"]
            assert worded != error["message"] and field in worded, worded  # English asked, English said


def test_a_page_asked_by_a_browser_gets_the_error_page(admin):
    _, client = admin
    response = client.get("/idle", query_string={"min_mu": "abc"},
                          headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 400 and response.content_type.startswith("text/html")
    assert "min_mu" in response.get_data(as_text=True)
    api = client.get("/api/idle", query_string={"min_mu": "abc", "f": "html"},
                     headers={"Accept": "text/html"})
    assert api.status_code == 400 and api.content_type.startswith("text/html")


def test_signed_out_json_requests_get_401_in_the_shape(tiny_park, tmp_path):
    from app import create_app

    app = create_app(auth_config(tiny_park.path, tmp_path / "accounts.sqlite"))
    client = app.test_client()
    for path in ("/api/idle", "/idle?format=json", "/api/collections/parcels/items", "/tiles/parcels.json"):
        error = assert_error(client.get(path, headers={"Accept": "application/json"}), 401)
        assert CJK.search(error["message"])
    refused = set()
    for endpoint, method, url in route_urls(app):  # every route: signed out, a JSON request is refused as JSON
        response = ask(client, method, url)
        assert response.status_code < 500, (method, url)
        if response.status_code >= 400:
            assert_error(response)
            refused.add(response.status_code)
    assert {400, 401} <= refused  # 401 for what needs a sign-in, 400 for a write without the CSRF token
