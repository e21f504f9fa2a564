"""Signing in from tests: accounts, a client that sends the CSRF token, and app settings with accounts on.

``signed_in(app, role)`` returns a test client logged in as a fresh account of
that role whose unsafe requests (POST, PUT, PATCH, DELETE) carry the session's
CSRF token automatically, as the browser script does; pass ``csrf=False`` to a
request's headers to leave it out (``headers={"X-CSRF-Token": ""}`` sends an
empty one).
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient

PASSWORD = "correct horse battery"
ROLES = ("viewer", "editor", "admin")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def auth_config(park_path, accounts_path, **extra) -> dict:
    """App settings for a test app with accounts, permissions and CSRF enforced."""
    return {"TESTING": True, "PARK_PATH": str(park_path), "SECRET_KEY": "test", "AUTH_REQUIRED": True,
            "ACCOUNTS_PATH": str(accounts_path), **extra}


class CsrfClient(FlaskClient):
    """A test client that sends this session's CSRF token with every unsafe request."""

    def open(self, *args, **kwargs):
        method = str(kwargs.get("method", "GET")).upper()
        headers = dict(kwargs.pop("headers", None) or {})
        if method in UNSAFE and "X-CSRF-Token" not in headers:
            token = session_csrf(self)
            if token:
                headers["X-CSRF-Token"] = token
        return super().open(*args, headers=headers, **kwargs)


def session_csrf(client: FlaskClient) -> str | None:
    with client.session_transaction() as session:
        return session.get("csrf")


def make_account(app, username: str, role: str, password: str = PASSWORD):
    from web.auth import accounts, hash_password

    with app.app_context():
        store = accounts()
        return store.get(username) or store.create(username, password_hash=hash_password(password), role=role)


def login(client: FlaskClient, username: str, password: str = PASSWORD):
    """POST the login form with the token of the login page, as a browser does."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       headers={"X-CSRF-Token": token})


def signed_in(app, role: str, username: str | None = None) -> CsrfClient:
    """A client signed in as a (new) account with ``role``."""
    username = username or f"{role}1"
    make_account(app, username, role)
    app.test_client_class = CsrfClient
    client = app.test_client()
    response = login(client, username)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client
