"""A real app on a loopback port, signed in over HTTP as a browser is (cookies, CSRF token from the page).

For tests that attack or load the server the way a client on the network
does, rather than through Flask's test client.
"""

from __future__ import annotations

import re

import requests
from auth_helpers import PASSWORD, make_account

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class LiveSession(requests.Session):
    """A ``requests`` session signed in to ``base_url``; unsafe requests carry the CSRF token."""

    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url
        self.csrf: str | None = None

    def request(self, method, url, *args, **kwargs):
        if url.startswith("/"):
            url = self.base_url + url
        if method.upper() in ("POST", "PUT", "PATCH", "DELETE") and self.csrf:
            kwargs["headers"] = {"X-CSRF-Token": self.csrf, **(kwargs.get("headers") or {})}
        kwargs.setdefault("timeout", 60)
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, url, *args, **kwargs)

    def login(self, username: str, password: str = PASSWORD) -> requests.Response:
        page = self.get("/login").text
        self.csrf = _CSRF_FIELD.search(page).group(1)
        reply = self.post("/login", data={"username": username, "password": password, "csrf_token": self.csrf})
        # The session's token stays the same after login; the next page carries it too.
        found = _CSRF_FIELD.search(self.get("/import").text)
        if found:
            self.csrf = found.group(1)
        return reply


def live_session(app, base_url: str, role: str, username: str | None = None) -> LiveSession:
    """A fresh account with ``role``, signed in over HTTP."""
    username = username or f"live-{role}"
    make_account(app, username, role)
    session = LiveSession(base_url)
    reply = session.login(username)
    assert reply.status_code == 303, reply.text[:500]
    return session
