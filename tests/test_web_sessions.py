"""Sessions, the login limiter, the password policy, account writes under concurrency, and next= redirects.

Attacks and races run against the real app on a loopback port (``browser_helpers.serve``),
with ``requests`` sessions from many threads, as browsers and scripts would.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from auth_helpers import PASSWORD, auth_config, login, make_account, signed_in
from browser_helpers import serve

from app import create_app
from layers.accounts import AccountError, AccountStore
from web.auth import accounts, hash_password, local_target

COOKIE = "parkatlas_session"


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
        r'<meta name="csrf-token" content="([^"]+)"', page)
    return found.group(1)


def browser_login(base: str, username: str, password: str = PASSWORD, *, next_url: str | None = None,
                  session: requests.Session | None = None) -> tuple[requests.Session, requests.Response]:
    """Sign in over HTTP as a browser does: the login page's token, then the form; the session and answer."""
    session = session or requests.Session()
    token = _token(session.get(f"{base}/login", timeout=30).text)
    data = {"username": username, "password": password, "csrf_token": token}
    if next_url is not None:
        data["next"] = next_url
    return session, session.post(f"{base}/login", data=data, allow_redirects=False, timeout=60)


@pytest.fixture
def app(tiny_park, tmp_path):
    return create_app(auth_config(tiny_park.path, tmp_path / "accounts.sqlite"))


# -- sessions ------------------------------------------------------------------------------------------


def test_a_copied_cookie_stops_working_after_sign_out(app):
    make_account(app, "alice", "viewer")
    with serve(app) as base:
        browser, answer = browser_login(base, "alice")
        assert answer.status_code == 303
        stolen = {COOKIE: browser.cookies[COOKIE]}
        assert requests.get(f"{base}/api/summary", cookies=stolen, timeout=30).status_code == 200  # the copy works
        token = _token(browser.get(f"{base}/account", timeout=30).text)
        assert browser.post(f"{base}/logout", data={"csrf_token": token}, allow_redirects=False,
                            timeout=30).status_code == 303
        assert requests.get(f"{base}/api/summary", cookies=stolen, timeout=30).status_code == 401
        page = requests.get(f"{base}/land", cookies=stolen, headers={"Accept": "text/html"}, allow_redirects=False,
                            timeout=30)
        assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    with app.app_context():
        assert accounts().live_sessions("alice", now=time.time()) == 0


def test_sign_out_ends_only_that_session(app):
    make_account(app, "alice", "viewer")
    with serve(app) as base:
        first, _ = browser_login(base, "alice")
        second, _ = browser_login(base, "alice")
        token = _token(first.get(f"{base}/account", timeout=30).text)
        first.post(f"{base}/logout", data={"csrf_token": token}, timeout=30)
        assert first.get(f"{base}/api/summary", timeout=30).status_code == 401
        assert second.get(f"{base}/api/summary", timeout=30).status_code == 200


def test_the_session_ends_after_session_hours_on_the_server_too(tiny_park, tmp_path):
    app = create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite", SESSION_HOURS=1.5 / 3600))  # 1.5 s
    assert app.config["PERMANENT_SESSION_LIFETIME"] == dt.timedelta(seconds=1.5)
    make_account(app, "alice", "viewer")
    with serve(app) as base:
        browser, answer = browser_login(base, "alice")
        kept = {COOKIE: browser.cookies[COOKIE]}  # a client that ignores the cookie's expiry keeps sending it
        assert requests.get(f"{base}/api/summary", cookies=kept, timeout=30).status_code == 200
        time.sleep(1.6)
        assert requests.get(f"{base}/api/summary", cookies=kept, timeout=30).status_code == 401


def test_session_hours_set_the_cookie_lifetime(tiny_park, tmp_path, monkeypatch):
    monkeypatch.setenv("PARKATLAS_SESSION_HOURS", "6")
    app = create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite"))
    assert app.config["PERMANENT_SESSION_LIFETIME"] == dt.timedelta(hours=6)  # not Flask's 31 days
    make_account(app, "alice", "viewer")
    before = time.time()
    response = login(app.test_client(), "alice")
    expires = re.search(r"Expires=([^;]+)", response.headers["Set-Cookie"]).group(1)
    lifetime = dt.datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=dt.timezone.utc).timestamp()
    assert 6 * 3600 - 5 <= lifetime - before <= 6 * 3600 + 5
    monkeypatch.setenv("PARKATLAS_SESSION_HOURS", "a day")
    with pytest.raises(ValueError, match=r"PARKATLAS_SESSION_HOURS must be a number .* got 'a day'"):
        create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite"))


def test_the_accounts_file_keeps_no_usable_session_token(app):
    client = signed_in(app, "viewer")
    with client.session_transaction() as session:
        token = session["sid"]
    stored = [row[0] for row in sqlite3.connect(app.config["ACCOUNTS_PATH"]).execute("SELECT token_hash FROM sessions")]
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64  # its SHA-256 only


# -- the login limiter ---------------------------------------------------------------------------------


@pytest.fixture
def counted_checks(monkeypatch):
    """Counts the password-hash verifications (the real check runs; web.credentials checks every password)."""
    import web.credentials

    real, count, lock = web.credentials.check_password_hash, [0], threading.Lock()

    def counting(password_hash, password):
        with lock:
            count[0] += 1
        return real(password_hash, password)

    monkeypatch.setattr(web.credentials, "check_password_hash", counting)
    return count


def test_twenty_concurrent_wrong_passwords_are_checked_at_most_the_limit(app, counted_checks):
    make_account(app, "alice", "viewer")
    make_account(app, "bob", "viewer")
    limit = app.config["LOGIN_MAX_FAILURES"]
    assert limit == 5
    browsers = []
    with serve(app) as base:
        for _ in range(20):
            browser = requests.Session()
            browsers.append((browser, _token(browser.get(f"{base}/login", timeout=30).text)))
        start = threading.Barrier(20)

        def guess(pair):
            browser, token = pair
            start.wait()
            return browser.post(f"{base}/login", data={"username": "alice", "password": "wrong guess",
                                                       "csrf_token": token}, allow_redirects=False, timeout=120)

        with ThreadPoolExecutor(20) as pool:
            statuses = sorted(answer.status_code for answer in pool.map(guess, browsers))
        assert statuses == [200] * limit + [429] * (20 - limit)
        assert counted_checks[0] == limit  # the other 15 were refused before any hash was checked
        assert app.extensions["parkatlas_login_limiter"].failures(account="alice") == limit
        # Another account from the same address still signs in; alice, even with her password, waits.
        assert browser_login(base, "bob")[1].status_code == 303
        assert browser_login(base, "alice")[1].status_code == 429


def test_failures_are_counted_across_server_processes(tiny_park, tmp_path):
    # Two apps over one accounts file stand for two server processes: they share no memory.
    config = auth_config(tiny_park.path, tmp_path / "a.sqlite", LOGIN_MAX_FAILURES=4)
    first, second = create_app(config), create_app(config)
    make_account(first, "alice", "viewer")
    for app in (first, second, first):
        assert login(app.test_client(), "alice", "guess").status_code == 200
    assert login(second.test_client(), "alice", "guess").status_code == 200  # the 4th failure, in process 2
    assert login(first.test_client(), "alice", PASSWORD).status_code == 429


def _client_from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_an_address_over_its_threshold_may_not_retry_names_it_failed_on(tiny_park, tmp_path, counted_checks):
    app = create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite", LOGIN_MAX_FAILURES=3,
                                 LOGIN_ADDRESS_MAX_FAILURES=4))
    for name in ("u1", "u2", "bob"):
        make_account(app, name, "viewer")
    office = "10.1.1.1"
    for name in ("u1", "u2", "u1"):
        assert login(_client_from(app, office), name, "guess").status_code == 200
    # 3 failures from the office: one below its threshold, and u1 has 2 of its 3: u1 may try again.
    assert login(_client_from(app, office), "u1", "guess").status_code == 200
    assert login(_client_from(app, office), "u1", PASSWORD).status_code == 429  # 3 for u1: locked everywhere
    # 4 failures from the office now: it may no longer retry u2, which it failed on …
    checks = counted_checks[0]
    assert login(_client_from(app, office), "u2", PASSWORD).status_code == 429
    assert counted_checks[0] == checks  # refused before any check
    # … but a colleague who has not failed there signs in, and a name never tried there is checked once.
    assert login(_client_from(app, office), "bob", PASSWORD).status_code == 303
    assert login(_client_from(app, office), "nobody", "guess").status_code == 200
    assert login(_client_from(app, office), "nobody", "guess").status_code == 429
    # From elsewhere u2 (1 failure) signs in.
    assert login(_client_from(app, "10.9.9.9"), "u2", PASSWORD).status_code == 303


def test_a_wrong_current_password_on_the_account_page_counts_as_a_failure(tiny_park, tmp_path):
    app = create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite", LOGIN_MAX_FAILURES=2))
    client = signed_in(app, "viewer", username="dora")
    form = {"new_password": "a fresh long one", "confirm_password": "a fresh long one"}
    assert client.post("/account", data={**form, "current_password": "guess"}).status_code == 200
    assert client.post("/account", data={**form, "current_password": "guess"}).status_code == 200
    assert client.post("/account", data={**form, "current_password": PASSWORD}).status_code == 429


# -- the password policy -------------------------------------------------------------------------------


def _create(admin, username: str, password: str) -> str:
    return admin.post("/admin/users", data={"username": username, "password": password, "role": "viewer"},
                      follow_redirects=True).get_data(as_text=True)


@pytest.mark.parametrize("password,refusal", [
    ("nine char", "密码至少需要 10 个字符（现有 9 个）"),
    ("ten chars!", None),  # exactly the minimum
    ("Carol", "密码至少需要 10 个字符"),
    ("my CAROL password", "密码不能是用户名 &#39;carol&#39;，也不能包含它"),  # inside, in another case
    ("woaini1314", "该密码属于最常见的密码"),
    ("QwertyUiop", "该密码属于最常见的密码"),  # the list is compared without regard to case
    ("1qaz2wsx3edc", "该密码属于最常见的密码"),
    ("woaini13145", None),  # one character more than a listed password: not on the list
])
def test_password_policy_boundaries(admin_client, auth_app, password, refusal):
    page = _create(admin_client, "carol", password)
    with auth_app.app_context():
        created = accounts().get("carol") is not None
    if refusal is None:
        assert created and "已创建账户 carol" in page
    else:
        assert not created and refusal in page


def test_a_name_inside_the_password_counts_from_three_characters(auth_app):
    from web.auth import check_password_rules

    with auth_app.test_request_context("/?lang=en"):
        check_password_rules("olive grove path", username="li")  # 2 letters: "li" inside is allowed
        check_password_rules("a long password", username="li")
        with pytest.raises(AccountError, match="must not be or contain the user name 'liu'"):
            check_password_rules("my liu password", username="liu")
        with pytest.raises(AccountError, match="must not be or contain"):
            check_password_rules("longusername", username="LongUserName")  # equal, any case


def test_the_policy_applies_to_resets_changes_and_the_command_line(admin_client, auth_app, monkeypatch):
    make_account(auth_app, "erin", "viewer")
    page = admin_client.post("/admin/users/erin", data={"password": "123456789a"}, follow_redirects=True)
    assert "该密码属于最常见的密码" in page.get_data(as_text=True)
    erin = signed_in(auth_app, "viewer", username="erin")
    answer = erin.post("/account?lang=en", data={"current_password": PASSWORD, "new_password": "erin is me ok",
                                                 "confirm_password": "erin is me ok"})
    assert "must not be or contain the user name" in answer.get_data(as_text=True)
    monkeypatch.setenv("PARKATLAS_ADMIN_PASSWORD", "password123456")
    result = auth_app.test_cli_runner().invoke(args=["create-admin", "root"])
    assert result.exit_code == 2 and "most common passwords" in result.output


def test_existing_accounts_with_weak_passwords_still_sign_in(auth_app):
    with auth_app.app_context():  # as made before the policy: straight into the store
        accounts().create("old", password_hash=hash_password("123456"), role="viewer")
    assert login(auth_app.test_client(), "old", "123456").status_code == 303


def test_the_minimum_length_and_list_are_configurable(tiny_park, tmp_path, monkeypatch):
    listed = tmp_path / "ours.txt"
    listed.write_text("# our own\nparkoffice\n", encoding="utf-8")
    monkeypatch.setenv("PARKATLAS_PASSWORD_MIN_LENGTH", "8")
    monkeypatch.setenv("PARKATLAS_COMMON_PASSWORDS", str(listed))
    app = create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite"))
    from web.auth import check_password_rules

    with app.test_request_context("/?lang=en"):
        check_password_rules("8 chars!", username="ann")
        with pytest.raises(AccountError, match="at least 8 characters"):
            check_password_rules("7 chars", username="ann")
        with pytest.raises(AccountError, match="most common"):
            check_password_rules("ParkOffice", username="ann")
        check_password_rules("woaini1314", username="ann")  # not on this list


# -- user names regardless of case ---------------------------------------------------------------------


def test_user_names_are_unique_and_signed_in_regardless_of_case(admin_client, auth_app):
    assert "已创建账户 carol" in _create(admin_client, "carol", "tea at five o'clock")
    page = _create(admin_client, "Carol", "tea at six o'clock")
    assert "用户名 &#39;Carol&#39; 已被占用（&#39;carol&#39;" in page
    with auth_app.app_context():
        assert [a.username for a in accounts().all()] == ["admin1", "carol"]
    client = auth_app.test_client()
    assert login(client, "CAROL", "tea at five o'clock").status_code == 303
    assert "carol" in client.get("/account").get_data(as_text=True)


def test_a_file_from_before_the_rule_with_names_differing_in_case_still_works(tmp_path):
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE accounts (username TEXT PRIMARY KEY, display_name TEXT NOT NULL DEFAULT '', "
                "role TEXT NOT NULL, password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, "
                "session_epoch INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)")
    old.executemany("INSERT INTO accounts (username, role, password_hash, created_at, updated_at) "
                    "VALUES (?, 'viewer', ?, '2025-01-01', '2025-01-01')", [("Admin", "h1"), ("admin", "h2")])
    old.commit()
    old.close()
    store = AccountStore(path)
    assert store.get("Admin").password_hash == "h1" and store.get("admin").password_hash == "h2"  # exact first
    with pytest.raises(AccountError, match="already taken"):
        store.create("ADMIN", password_hash="h3", role="viewer")
    store.set_role("admin", "editor")
    assert (store.get("Admin").role, store.get("admin").role) == ("viewer", "editor")


# -- account writes under concurrency ------------------------------------------------------------------


def test_concurrent_creations_of_one_name_in_any_case_make_one_account(tmp_path):
    store = AccountStore(tmp_path / "a.sqlite")
    names = ["bob", "Bob", "BOB", "bOb"] * 5
    start = threading.Barrier(len(names))

    def create(name):
        start.wait()
        try:
            store.create(name, password_hash="h", role="viewer")
        except AccountError:
            return False
        return True

    with ThreadPoolExecutor(len(names)) as pool:
        made = list(pool.map(create, names))
    assert made.count(True) == 1
    assert store.count() == 1


def test_concurrent_changes_of_one_account_lose_nothing(tmp_path):
    store = AccountStore(tmp_path / "a.sqlite")
    for round_ in range(10):
        name = f"user{round_}"
        store.create(name, password_hash="old", role="viewer")
        changes = [{"role": "editor"}, {"disabled": True}, {"password_hash": "new"}, {"display_name": "张三"}]
        start = threading.Barrier(len(changes))

        def change(values, name=name, start=start):
            start.wait()
            store.change(name, **values)

        with ThreadPoolExecutor(len(changes)) as pool:
            list(pool.map(change, changes))
        account = store.get(name)
        assert (account.role, account.disabled, account.password_hash, account.display_name) == (
            "editor", True, "new", "张三")
        assert account.session_epoch == 3  # role, disabling and password each ended the sessions once


def test_two_admins_demoting_each_other_at_once_leave_one_admin(tiny_park, tmp_path):
    app = create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite"))
    for name in ("ann", "ben"):
        make_account(app, name, "admin")
    with serve(app) as base:
        browsers = {}
        for name in ("ann", "ben"):
            browser, _ = browser_login(base, name)
            browsers[name] = (browser, _token(browser.get(f"{base}/admin/users", timeout=30).text))
        start = threading.Barrier(2)

        def demote(pair):
            me, other = pair
            browser, token = browsers[me]
            start.wait()
            return browser.post(f"{base}/admin/users/{other}", data={"role": "viewer", "csrf_token": token},
                                timeout=60).text

        with ThreadPoolExecutor(2) as pool:
            pages = list(pool.map(demote, [("ann", "ben"), ("ben", "ann")]))
    with app.app_context():
        roles = sorted(account.role for account in accounts().all())
    assert roles == ["admin", "viewer"]  # never two viewers and no administrator
    assert sum("已更新" in page for page in pages) == 1
    # The other one was demoted first: refused in its transaction, or signed out before its request began (the
    # demotion ended its sessions: the login form after a redirect, or 401 "请先登录" for the POST itself).
    loser = next(page for page in pages if "已更新" not in page)
    assert "已不再具有“admin”角色" in loser or 'name="password"' in loser or "请先登录" in loser


def test_the_last_active_administrator_stays(tmp_path):
    store = AccountStore(tmp_path / "a.sqlite")
    store.create("ann", password_hash="h", role="admin")
    store.create("ben", password_hash="h", role="admin")
    store.set_disabled("ben", True)
    for change in ({"role": "editor"}, {"disabled": True}):
        with pytest.raises(AccountError, match="'ann' is the last active administrator"):
            store.change("ann", **change)
    store.set_disabled("ben", False)
    assert store.set_role("ann", "editor").role == "editor"  # ben is an active administrator again


def test_an_admin_change_is_all_or_nothing(admin_client, auth_app):
    make_account(auth_app, "erin", "viewer")
    page = admin_client.post("/admin/users/erin", data={"role": "editor", "password": "short"}, follow_redirects=True)
    assert "密码至少需要 10 个字符" in page.get_data(as_text=True)
    with auth_app.app_context():
        assert accounts().get("erin").role == "viewer"  # the role was not changed without the password


# -- next= stays on this site --------------------------------------------------------------------------


HOSTILE = ["//evil.example/x", "/\\evil.example", "\\\\evil.example", "https://evil.example/", "http:evil.example",
           "javascript:alert(1)", "/\t/evil.example", "/\n/evil.example", "/\x00", "\x01/land", " /land",
           "evil.example", "", None]


@pytest.mark.parametrize("target", HOSTILE)
def test_local_target_refuses_anything_off_site(target):
    assert local_target(target) is None


@pytest.mark.parametrize("target", ["/land", "/history/record/parcels/P1?at=2026-01-01#x", "/edit/parcels/一号 地块",
                                    "/%2F%2Fevil.example"])
def test_local_target_keeps_paths_on_this_site(target):
    assert local_target(target) == target


def test_no_redirect_after_sign_in_leaves_the_site(app):
    make_account(app, "alice", "viewer")
    with serve(app) as base:
        for target in [t for t in HOSTILE if t and "\x00" not in t]:
            _, answer = browser_login(base, "alice", next_url=target)
            assert answer.status_code == 303 and answer.headers["Location"] == "/", repr(target)
        _, answer = browser_login(base, "alice", next_url="/land?tab=x")
        assert answer.headers["Location"] == "/land?tab=x"
        page = requests.get(f"{base}/login", params={"next": "//evil.example"}, timeout=30).text
        assert "evil.example" not in page  # a refused target is not even carried in the form


def version_of(client, layer, record_id):
    page = client.get(f"/edit/{layer}/{record_id}").get_data(as_text=True)
    return (int(re.search(r'name="version" value="(\d+)"', page).group(1)),
            re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1))


def test_no_redirect_after_an_undo_leaves_the_site(app):
    editor = signed_in(app, "editor")
    for target in ("//evil.example", "/\\evil.example", "https://evil.example/", "/history/record/parcels/P1"):
        version, fp = version_of(editor, "parcels", "P1")
        editor.post("/edit/parcels/P1", data={"name": f"改名 {target}", "version": version, "fingerprint": fp})
        change_id = editor.get("/history/?format=json").get_json()["events"][0]["change_id"]
        answer = editor.post(f"/history/undo/{change_id}", data={"reason": "试", "next": target})
        assert answer.status_code == 303
        expected = target if target.startswith("/history/") else "/history/"
        assert answer.location == expected, target
