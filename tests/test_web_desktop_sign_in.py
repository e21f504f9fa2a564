"""Desktop sign-in against the real app on a loopback port: HTTP Basic, API tokens, the challenge, the limits.

Clients here are what GDAL, QGIS and scripts are to the server: ``requests`` with
an ``Authorization`` header and no cookie, many at once from threads where it
matters. Tokens are created the way a user does, on the account page of a
browser session (:func:`tests.live_helpers.live_session`).
"""

from __future__ import annotations

import html
import re
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from auth_helpers import PASSWORD, make_account
from browser_helpers import serve
from live_helpers import live_session

CHALLENGE = 'Basic realm="ParkAtlas"'
_TOKEN = re.compile(r'<code class="token">(pat_[A-Za-z0-9_-]+)</code>')


@pytest.fixture
def live(auth_app):
    """(base URL, app) of the tiny park with sign-in required, served on a loopback port."""
    make_account(auth_app, "viewer1", "viewer")
    make_account(auth_app, "editor1", "editor")
    with serve(auth_app) as base_url:
        yield base_url, auth_app


def get(base_url: str, path: str, **kwargs) -> requests.Response:
    kwargs.setdefault("timeout", 60)
    kwargs.setdefault("allow_redirects", False)
    return requests.get(base_url + path, **kwargs)


def create_token(session, name: str) -> str:
    """A token created on the account page (shown once in the answer)."""
    page = session.post("/account/tokens", data={"name": name})
    assert page.status_code == 200, page.text[:500]
    assert page.headers["Cache-Control"] == "no-store"
    found = _TOKEN.search(page.text)
    assert found, page.text[:2000]
    return found.group(1)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# -- the challenge -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api", "/api/collections/parcels/items", "/tiles/parcels/12/3431/1712.pbf",
                                  "/export", "/export/parcels.csv"])
def test_desktop_clients_get_401_with_a_basic_challenge(live, path):
    base_url, _ = live
    for accept in (None, "*/*", "application/json"):  # GDAL and curl, OWSLib, QGIS
        response = get(base_url, path, headers={"Accept": accept} if accept else {})
        assert response.status_code == 401, (path, accept)
        assert response.headers["WWW-Authenticate"] == CHALLENGE


@pytest.mark.parametrize(("path", "login"), [("/export", "/login?next=/export"), ("/", "/login?next=/"),
                                              ("/api/collections?f=html", "/login?next=/api/collections?f%3Dhtml")])
def test_browsers_opening_pages_are_sent_to_the_login(live, path, login):
    base_url, _ = live
    response = get(base_url, path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 302
    assert response.headers["Location"] in (login, login.replace("%3D", "="))


def test_scripts_of_a_page_get_401_without_the_challenge(live):
    base_url, _ = live
    response = get(base_url, "/api/collections", headers={"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 401 and "WWW-Authenticate" not in response.headers


# -- HTTP Basic --------------------------------------------------------------------------------------------


def test_basic_signs_in_with_the_accounts_role(live):
    base_url, _ = live
    ok = get(base_url, "/api/collections/parcels/items", auth=("viewer1", PASSWORD))
    assert ok.status_code == 200 and ok.json()["numberMatched"] == 3
    assert get(base_url, "/api/collections/parcels/items", auth=("VIEWER1", PASSWORD)).status_code == 200
    assert get(base_url, "/export/parcels.csv", auth=("viewer1", PASSWORD)).status_code == 200
    wrong = get(base_url, "/api/collections", auth=("viewer1", "not the password"))
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == CHALLENGE
    assert get(base_url, "/api/collections", auth=("nobody", PASSWORD)).status_code == 401
    assert get(base_url, "/api/collections", headers={"Authorization": "Basic !!!"}).status_code == 401
    assert get(base_url, "/api/collections", headers={"Authorization": "Digest x"}).status_code == 401


def test_basic_is_read_only_and_cannot_manage_accounts(live):
    base_url, _ = live
    edit = requests.post(base_url + "/edit/parcels/P1", json={"values": {"name": "x"}, "version": 0},
                         auth=("editor1", PASSWORD), timeout=60)
    assert edit.status_code == 403 and "Basic" in edit.json()["description"]
    account = get(base_url, "/account", auth=("viewer1", PASSWORD))
    assert account.status_code == 403


def test_wrong_basic_passwords_lock_the_name_like_failed_sign_ins(live):
    base_url, app = live
    for _ in range(5):  # PARKATLAS_LOGIN_MAX_FAILURES
        assert get(base_url, "/api", auth=("viewer1", "guess")).status_code == 401
    locked = get(base_url, "/api", auth=("viewer1", PASSWORD))
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 800
    from web.auth import _limiter

    with app.app_context():
        assert _limiter().failures(account="viewer1") == 5


def test_a_lock_set_later_refuses_a_remembered_password_too(live):
    base_url, _ = live
    assert get(base_url, "/api", auth=("viewer1", PASSWORD)).status_code == 200  # verified and remembered
    for _ in range(5):
        get(base_url, "/api", auth=("viewer1", "guess"))
    assert get(base_url, "/api", auth=("viewer1", PASSWORD)).status_code == 429


def test_many_concurrent_requests_with_the_right_password_are_one_check(live, caplog):
    base_url, app = live
    caplog.set_level("INFO", logger=app.logger.name)
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda _: get(base_url, "/api/collections/roads/items",
                                               auth=("viewer1", PASSWORD)).status_code, range(32)))
    assert statuses == [200] * 32
    checks = [r for r in caplog.records if "sign-in over HTTP Basic: viewer1" in r.getMessage()]
    assert len(checks) == 1  # the others waited for it, then used the remembered verification
    from web.auth import _limiter

    with app.app_context():
        assert _limiter().failures(account="viewer1") == 0


def test_disabling_an_account_or_changing_its_password_ends_basic_at_once(live):
    base_url, app = live
    assert get(base_url, "/api", auth=("viewer1", PASSWORD)).status_code == 200
    from web.auth import accounts, hash_password

    with app.app_context():
        accounts().set_password("viewer1", hash_password("another long password"))
    assert get(base_url, "/api", auth=("viewer1", PASSWORD)).status_code == 401
    assert get(base_url, "/api", auth=("viewer1", "another long password")).status_code == 200
    with app.app_context():
        accounts().set_disabled("viewer1", True)
    assert get(base_url, "/api", auth=("viewer1", "another long password")).status_code == 401


# -- API tokens ------------------------------------------------------------------------------------------------


def test_a_token_is_shown_once_listed_used_and_revoked_at_once(live):
    base_url, app = live
    with live_session(app, base_url, "viewer", username="viewer1") as browser:
        token = create_token(browser, "office QGIS")
        listed = browser.get("/account").text
        assert "office QGIS" in listed and token not in listed and "从未" in listed  # never used yet
        assert get(base_url, "/api/collections/parcels/items", headers=bearer(token)).status_code == 200
        assert re.search(r"<td>office QGIS</td><td>[0-9T:+-]+</td>\s*<td>20\d\d-", browser.get("/account").text)
        token_id = re.search(r'/account/tokens/(\d+)/revoke', browser.get("/account").text).group(1)
        assert browser.post(f"/account/tokens/{token_id}/revoke").status_code == 303
        assert "office QGIS" not in browser.get("/account").text
    refused = get(base_url, "/api/collections/parcels/items", headers=bearer(token))
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == CHALLENGE


def test_tokens_are_stored_hashed(live):
    base_url, app = live
    with live_session(app, base_url, "viewer", username="viewer1") as browser:
        token = create_token(browser, "script")
    dump = "\n".join(sqlite3.connect(app.config["ACCOUNTS_PATH"]).iterdump())
    assert token not in dump and token[4:] not in dump
    assert "script" in dump


def test_a_token_works_as_the_basic_password_of_its_owner_only(live):
    base_url, app = live
    with live_session(app, base_url, "viewer", username="viewer1") as browser:
        token = create_token(browser, "QGIS 3.22")
    assert get(base_url, "/api", auth=("viewer1", token)).status_code == 200
    assert get(base_url, "/api", auth=("editor1", token)).status_code == 401


def test_a_token_acts_with_the_owners_role_as_it_is_now_and_may_write(live):
    base_url, app = live
    with live_session(app, base_url, "editor", username="editor1") as browser:
        token = create_token(browser, "sync script")
    form = get(base_url, "/edit/parcels/P1?format=json", headers=bearer(token)).json()
    saved = requests.post(base_url + "/edit/parcels/P1", headers=bearer(token), timeout=60, allow_redirects=False,
                          json={"values": {"name": "令牌改名"}, "version": form["version"],
                                "fingerprint": form["fingerprint"]})
    assert saved.status_code in (200, 303), saved.text[:500]  # no CSRF token: a browser never sends a Bearer token
    item = get(base_url, "/api/collections/parcels/items/P1", headers=bearer(token)).json()
    assert item["properties"]["name"] == "令牌改名"
    from web.auth import accounts

    with app.app_context():
        accounts().set_role("editor1", "viewer")
    demoted = requests.post(base_url + "/edit/parcels/P1", headers=bearer(token), timeout=60,
                            json={"values": {"name": "x"}, "version": form["version"] + 1})
    assert demoted.status_code == 403


def test_tokens_cannot_manage_tokens_or_accounts(live):
    base_url, app = live
    with live_session(app, base_url, "viewer", username="viewer1") as browser:
        token = create_token(browser, "limited")
    assert requests.post(base_url + "/account/tokens", data={"name": "more"}, headers=bearer(token),
                         timeout=60).status_code == 403
    assert get(base_url, "/account", headers=bearer(token)).status_code == 403


def test_a_new_password_revokes_every_token(live):
    base_url, app = live
    with live_session(app, base_url, "viewer", username="viewer1") as browser:
        token = create_token(browser, "laptop")
        changed = browser.post("/account", data={"current_password": PASSWORD, "new_password": "a brand new secret 42",
                                                 "confirm_password": "a brand new secret 42"})
        assert changed.status_code == 303
    assert get(base_url, "/api", headers=bearer(token)).status_code == 401


def test_token_names_are_checked_and_bounded(live):
    base_url, app = live
    app.config["API_TOKENS_MAX"] = 2
    with live_session(app, base_url, "viewer", username="viewer1") as browser:
        def refusal(name: str) -> str:
            return html.unescape(browser.post("/account/tokens", data={"name": name}, allow_redirects=True).text)

        create_token(browser, "one")
        assert "已有名为 'one' 的令牌" in refusal("one")
        assert "令牌名称 '  ' 不可用" in refusal("  ")
        assert "不可用" in refusal("x" * 65)
        create_token(browser, "two")
        assert "最多 2 个令牌" in refusal("three")
        assert len(re.findall(r"/account/tokens/\d+/revoke", browser.get("/account").text)) == 2


def test_a_user_cannot_revoke_another_users_token(live):
    base_url, app = live
    with live_session(app, base_url, "viewer", username="viewer1") as alice:
        token = create_token(alice, "alice's")
        token_id = re.search(r'/account/tokens/(\d+)/revoke', alice.get("/account").text).group(1)
    with live_session(app, base_url, "editor", username="editor1") as bob:
        assert "没有这个令牌" in bob.post(f"/account/tokens/{token_id}/revoke", allow_redirects=True).text
    assert get(base_url, "/api", headers=bearer(token)).status_code == 200


def test_wrong_tokens_from_one_address_are_locked_out(live):
    base_url, app = live
    with live_session(app, base_url, "viewer", username="viewer1") as browser:
        token = create_token(browser, "good")
    assert app.config["LOGIN_ADDRESS_MAX_FAILURES"] == 30  # the address threshold counts wrong tokens
    for attempt in range(30):
        assert get(base_url, "/api", headers=bearer(f"pat_{attempt:043d}")).status_code == 401
        if attempt == 28:  # one short of the threshold, the good token still works
            assert get(base_url, "/api", headers=bearer(token)).status_code == 200
    locked = get(base_url, "/api", headers=bearer(token))
    assert locked.status_code == 429 and "Retry-After" in locked.headers
    assert get(base_url, "/api", auth=("viewer1", PASSWORD)).status_code == 200  # passwords are counted apart


def test_concurrent_token_requests_while_it_is_revoked(live):
    base_url, app = live
    with live_session(app, base_url, "viewer", username="viewer1") as browser:
        token = create_token(browser, "busy")
        token_id = re.search(r'/account/tokens/(\d+)/revoke', browser.get("/account").text).group(1)
        revoked = threading.Event()
        after: list[int] = []

        def client(_):
            status = get(base_url, "/api/collections/roads/items", headers=bearer(token)).status_code
            if revoked.is_set():
                after.append(get(base_url, "/api/collections/roads/items", headers=bearer(token)).status_code)
            return status

        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(client, i) for i in range(12)]  # < the 30 wrong tokens that lock the address
            assert browser.post(f"/account/tokens/{token_id}/revoke").status_code == 303
            revoked.set()
            statuses = [future.result() for future in futures]
    assert set(statuses) <= {200, 401}
    assert after and set(after) == {401}  # every request that began after the revocation was refused
