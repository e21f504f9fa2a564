"""Accounts and sessions: sign-in, hashing, cookie flags, rate limiting, session ends, admin, CLI, public view."""

from __future__ import annotations

import re
import time

import pytest
from auth_helpers import PASSWORD, auth_config, login, make_account, signed_in

from layers.accounts import AccountError, AccountStore
from layers.login_limit import LoginLimiter, LoginLimits


def test_password_is_stored_as_a_salted_scrypt_hash(auth_app):
    a = make_account(auth_app, "alice", "viewer")
    b = make_account(auth_app, "bob", "viewer")
    assert a.password_hash.startswith("scrypt:")
    assert PASSWORD not in a.password_hash
    assert a.password_hash != b.password_hash  # same password, different salt


def test_sign_in_sets_a_fresh_httponly_samesite_session(auth_app):
    make_account(auth_app, "alice", "editor")
    client = auth_app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        before = session["csrf"]
    response = login(client, "alice")
    assert response.status_code == 303 and response.location == "/"
    cookie = response.headers["Set-Cookie"]
    assert "parkatlas_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    with client.session_transaction() as session:
        token = session["sid"]
        assert session["csrf"] != before  # the token changes at sign-in
    from web.auth import accounts

    with auth_app.app_context():
        assert accounts().session_account(token, now=time.time()).username == "alice"


def test_session_cookie_is_secure_behind_https(tiny_park, tmp_path):
    from app import create_app

    app = create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite", HTTPS=True))
    make_account(app, "alice", "viewer")
    response = login(app.test_client(), "alice")
    assert "Secure" in response.headers["Set-Cookie"]
    assert app.test_client().get("/login").headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("username,password", [("alice", "wrong password"), ("nobody", PASSWORD), ("", "")])
def test_a_failed_sign_in_says_the_same_whatever_was_wrong(auth_app, username, password):
    make_account(auth_app, "alice", "viewer")
    client = auth_app.test_client()
    response = login(client, username, password)
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "user" not in session


def test_next_only_leads_to_this_site(auth_app):
    make_account(auth_app, "alice", "viewer")
    client = auth_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for target, expected in (("/land", "/land"), ("//evil.example/x", "/"), ("https://evil.example/", "/"),
                             ("/\\evil.example", "/")):
        client.post("/logout", headers={"X-CSRF-Token": token})
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token,
                                               "next": target})
        assert response.location == expected, target
        with client.session_transaction() as session:
            token = session["csrf"]


def test_login_limiter_locks_at_the_limit_and_opens_when_the_window_passes(tmp_path):
    now = [1000.0]
    limiter = LoginLimiter(AccountStore(tmp_path / "a.sqlite"),
                           LoginLimits(max_failures=3, address_max_failures=100, window_s=60), clock=lambda: now[0])
    limiter.reserve("a", "10.0.0.1")
    limiter.reserve("a", "10.0.0.2")
    assert limiter.failures(account="a") == 2  # one below the limit
    third = limiter.reserve("A", "10.0.0.3")  # names are counted without regard to case
    assert not third.refused
    refused = limiter.reserve("a", "10.0.0.4")  # 3 failures from three addresses: the account is locked
    assert refused.refused and refused.retry_after_s == 60
    now[0] += 59.9
    assert limiter.reserve("a", "10.0.0.4").retry_after_s == pytest.approx(0.1)
    now[0] += 0.1
    opened = limiter.reserve("a", "10.0.0.4")  # the first failure left the window
    assert not opened.refused
    limiter.reserve("a", "10.0.0.5")  # a wrong password while the right one is being checked
    assert limiter.failures(account="a") == 2
    limiter.succeeded(opened)
    assert limiter.failures(account="a") == 0  # a sign-in clears the account's failures …
    assert limiter.failures(address="10.0.0.5") == 1  # … not the addresses'
    assert limiter.failures(address="10.0.0.4") == 0  # the right password's attempt was taken back


def test_sign_in_is_rate_limited_per_account_but_other_accounts_of_the_address_sign_in(tiny_park, tmp_path):
    from app import create_app

    app = create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite", LOGIN_MAX_FAILURES=3))
    make_account(app, "alice", "viewer")
    make_account(app, "bob", "viewer")
    client = app.test_client()
    for _ in range(3):
        assert login(client, "alice", "guess").status_code == 200
    locked = login(client, "alice", PASSWORD)  # even the right password waits now
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    other_address = app.test_client()
    other_address.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert login(other_address, "ALICE", PASSWORD).status_code == 429  # locked everywhere, in any case
    # Another account from the same address (an office behind one NAT) still signs in.
    assert login(app.test_client(), "bob", PASSWORD).status_code == 303


def test_role_change_disabling_and_password_change_end_sessions(auth_app):
    from web.auth import accounts, hash_password

    client = signed_in(auth_app, "editor", username="carol")
    assert client.get("/edit/").status_code == 200
    with auth_app.app_context():
        accounts().set_role("carol", "viewer")
    assert client.get("/edit/", headers={"Accept": "text/html"}).status_code == 302  # signed out, must sign in again
    client = signed_in(auth_app, "viewer", username="carol")
    assert client.get("/edit/").status_code == 403  # now a viewer
    with auth_app.app_context():
        accounts().set_disabled("carol", True)
    assert client.get("/api/summary").status_code == 401
    assert login(auth_app.test_client(), "carol").status_code == 200  # disabled: cannot sign in
    with auth_app.app_context():
        accounts().set_disabled("carol", False)
        accounts().set_password("carol", hash_password("a new long password"))
    assert login(auth_app.test_client(), "carol").status_code == 200
    assert login(auth_app.test_client(), "carol", "a new long password").status_code == 303


def test_changing_ones_password_keeps_this_session_and_ends_others(auth_app):
    first = signed_in(auth_app, "viewer", username="dora")
    second = auth_app.test_client()
    assert login(second, "dora").status_code == 303
    response = first.post("/account", data={"current_password": PASSWORD, "new_password": "another long one",
                                            "confirm_password": "another long one"})
    assert response.status_code == 303
    assert first.get("/api/summary").status_code == 200
    assert second.get("/api/summary").status_code == 401
    short = first.post("/account", data={"current_password": "another long one", "new_password": "short",
                                         "confirm_password": "short"})
    assert "至少需要 10 个字符" in short.get_data(as_text=True)


def test_admin_manages_accounts_and_cannot_lock_themselves_out(admin_client, auth_app):
    response = admin_client.post("/admin/users", data={"username": "erin", "password": "tea at five o'clock",
                                                       "role": "editor", "display_name": "张三"})
    assert response.status_code == 303
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert "erin" in page and "张三" in page
    admin_client.post("/admin/users/erin", data={"role": "viewer"})
    admin_client.post("/admin/users/admin1", data={"disabled": "1"})
    from web.auth import accounts

    with auth_app.app_context():
        assert accounts().get("erin").role == "viewer"
        assert not accounts().get("admin1").disabled
    bad = admin_client.post("/admin/users", data={"username": "has space", "password": "long enough pass",
                                                  "role": "viewer"}, follow_redirects=True)
    assert "不可用" in bad.get_data(as_text=True)  # the Chinese page says it in Chinese


def test_account_store_refuses_bad_names_roles_and_duplicates(tmp_path):
    store = AccountStore(tmp_path / "x" / "accounts.sqlite")
    assert store.count() == 0
    store.create("zhang.san", password_hash="h", role="viewer")
    with pytest.raises(AccountError, match="already taken"):
        store.create("zhang.san", password_hash="h", role="viewer")
    with pytest.raises(AccountError, match="allowed: viewer, editor, admin"):
        store.create("li", password_hash="h", role="boss")
    with pytest.raises(AccountError, match="not allowed"):
        store.create("a", password_hash="h", role="viewer")  # 1 character: below the 2-character minimum
    store.create("ab", password_hash="h", role="viewer")  # 2 characters: allowed
    assert (store.path.stat().st_mode & 0o777) == 0o600


def test_create_admin_command(tiny_park, tmp_path, monkeypatch):
    from app import create_app

    app = create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite"))
    runner = app.test_cli_runner()
    monkeypatch.setenv("PARKATLAS_ADMIN_PASSWORD", "the first admin's password")
    result = runner.invoke(args=["create-admin", "root", "--name", "管理员"])
    assert result.exit_code == 0, result.output
    from web.auth import accounts

    with app.app_context():
        assert accounts().get("root").role == "admin"
    assert runner.invoke(args=["create-admin", "root"]).exit_code == 2  # taken
    monkeypatch.setenv("PARKATLAS_ADMIN_PASSWORD", "short")
    result = runner.invoke(args=["create-admin", "root2"])
    assert result.exit_code == 2 and "10" in result.output


def test_login_page_says_how_to_create_the_first_admin(auth_app):
    page = auth_app.test_client().get("/login").get_data(as_text=True)
    assert "flask --app app create-admin" in page


def test_public_view_shows_only_the_chosen_layers(tiny_park, tmp_path):
    from app import create_app

    app = create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite", PUBLIC_LAYERS=("parcels", "roads")))
    client = app.test_client()
    page = client.get("/public")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "parkatlas.geoJsonLayer(" in text and '"parcels"' in text and '"buildings"' not in text
    assert client.get("/api/collections/parcels/items").status_code == 200
    assert client.get("/api/collections/parcels/items/P1").status_code == 200
    assert client.get("/api/collections/buildings/items", headers={"Accept": "application/json"}).status_code == 401
    assert client.get("/api/summary", headers={"Accept": "application/json"}).status_code == 401
    assert client.post("/edit/parcels/P1", data={"name": "x"}).status_code == 401
    assert client.get("/tiles/parcels,roads/0/0/0.pbf").status_code in (200, 204)
    assert client.get("/tiles/parcels,buildings/0/0/0.pbf").status_code == 401


def test_no_public_view_unless_configured(auth_app):
    assert auth_app.test_client().get("/public").status_code == 404


def test_test_apps_without_the_setting_run_without_accounts(tiny_client):
    # Other modules' tests build apps with TESTING and no AUTH_REQUIRED: no sign-in, no CSRF.
    assert tiny_client.get("/edit/").status_code == 200
    assert tiny_client.post("/edit/parcels/P1", data={"name": "x", "version": "0"}).status_code == 303


def test_login_limiter_forgets_failures_that_left_the_window(tmp_path):
    now = [0.0]
    store = AccountStore(tmp_path / "a.sqlite")
    limiter = LoginLimiter(store, LoginLimits(max_failures=3, address_max_failures=100, window_s=60),
                           clock=lambda: now[0])
    for name in "abcd":
        limiter.reserve(name, "10.0.0.1")
    now[0] = 61.0  # all four failures have left the window
    limiter.reserve("e", "10.0.0.1")
    assert [row["account"] for row in store.query("SELECT account FROM login_failures")] == ["e"]
    limiter.reserve("e", "10.0.0.1")
    limiter.reserve("e", "10.0.0.1")
    assert limiter.reserve("e", "10.0.0.1").retry_after_s == 60  # a live failure is never dropped
