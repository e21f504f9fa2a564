"""Valid time on the web: the import form's "valid from (for the whole file)", retiring with "no longer true
from", the editor's valid dates, and the history's "as known on" (system time) kept apart from as-of views."""

from __future__ import annotations

import datetime as dt
import html
import io

import pandas as pd
import pytest
from test_web_edit import item, version_of
from valid_time_samples import register_geojson

from layers.store import GeoPackageStore


@pytest.fixture
def upload_dir(tiny_app, tmp_path):
    tiny_app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def _upload(client, path, **fields):
    data = {"layer": "parcels", "mode": "upsert", "file": (io.BytesIO(path.read_bytes()), path.name), **fields}
    return client.post("/import", data=data, content_type="multipart/form-data")


def test_the_import_form_has_a_valid_from_for_the_whole_file(tiny_client):
    page = tiny_client.get("/import").get_data(as_text=True)
    assert 'name="valid_from" type="date"' in page and "整个文件的生效日期" in page
    assert "Valid from (for the whole file)" in tiny_client.get("/import?lang=en").get_data(as_text=True)


def test_preview_and_confirm_with_a_valid_from_for_the_whole_file(tmp_path, tiny_client, tiny_park, upload_dir):
    preview = _upload(tiny_client, register_geojson(tmp_path / "register.geojson"), valid_from="2025-06-01")
    assert preview.status_code == 200
    text = html.unescape(preview.get_data(as_text=True))
    assert "生效时间：6 条中 6 条有生效日期（取自合同签订日期、整个文件的生效日期 2025-06-01）；其余视为每天都成立" in text
    start = text.index("/import/", text.index("import-confirm") - 400) + len("/import/")
    assert tiny_client.post(f"/import/{text[start:start + 32]}/confirm").status_code == 200
    parcels = GeoPackageStore(tiny_park.path).load("parcels").set_index("parcel_id")
    assert parcels.loc["F", "valid_from"] == pd.Timestamp("2025-06-01")
    assert parcels.loc["A", "valid_from"] == pd.Timestamp("2022-03-01")
    assert pd.isna(parcels.loc["P1", "valid_from"])  # the park's own records are not the file's


@pytest.mark.parametrize(("value", "zh", "en"), [
    ("2025-13-01", "整个文件的生效日期必须是日期 YYYY-MM-DD，收到 '2025-13-01'",
     "valid from (for the whole file) must be a date written YYYY-MM-DD, got '2025-13-01'"),
    ("1800-01-01", "valid_from 必须在 1900-01-01 至 2199-12-31 之间，收到 1800-01-01",
     "valid_from must be between 1900-01-01 and 2199-12-31, got 1800-01-01"),
])
def test_a_bad_valid_from_is_refused_in_the_users_language(tmp_path, tiny_client, upload_dir, value, zh, en):
    source = register_geojson(tmp_path / "register.geojson")
    chinese = _upload(tiny_client, source, valid_from=value)
    assert chinese.status_code == 400 and zh in html.unescape(chinese.get_data(as_text=True))
    english = tiny_client.post("/import?lang=en", data={"layer": "parcels", "valid_from": value, "file": (
        io.BytesIO(source.read_bytes()), source.name)}, content_type="multipart/form-data")
    assert english.status_code == 400 and en in html.unescape(english.get_data(as_text=True))
    assert not upload_dir.exists() or not any(upload_dir.iterdir())


def test_retiring_asks_since_when_the_record_is_no_longer_true(editor_client):
    page = editor_client.get("/edit/parcels/P1").get_data(as_text=True)
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()  # the park's day (Asia/Shanghai)
    assert f'name="valid_to" value="{today}" required' in page and "自该日起不再成立" in page
    version, fp = version_of(editor_client, "parcels", "P1")
    done = editor_client.post("/edit/parcels/P1/retire", data={"version": version, "fingerprint": fp,
                                                               "valid_to": "2025-12-01"})
    assert done.status_code == 303
    record = item(editor_client, "parcels", "P1")
    assert (record["retired_on"], record["valid_to"]) == (today, "2025-12-01")
    events = editor_client.get("/history/?format=json&record_id=P1").get_json()["events"]
    assert {e["field"]: e["new_value"] for e in events}["valid_to"] == "2025-12-01"
    # As-of views use valid time: P1 is counted on the last day it was true, not on the first it was not.
    assert editor_client.get("/api/summary?as_of=2025-11-30").get_json()["parcels"]["total"] == 3
    assert editor_client.get("/api/summary?as_of=2025-12-01").get_json()["parcels"]["total"] == 2  # P2, P3


def test_retiring_without_a_date_ends_today_and_a_bad_one_is_refused(editor_client):
    version, fp = version_of(editor_client, "parcels", "P3")
    bad = editor_client.post("/edit/parcels/P3/retire?lang=en", data={"version": version, "fingerprint": fp,
                                                                      "valid_to": "next week"})
    assert bad.status_code == 400
    assert "valid_to must be a date written YYYY-MM-DD, got 'next week'" in html.unescape(bad.get_data(as_text=True))
    assert item(editor_client, "parcels", "P3")["retired_on"] is None
    assert editor_client.post("/edit/parcels/P3/retire", data={"version": version, "fingerprint": fp}).status_code == 303
    record = item(editor_client, "parcels", "P3")
    assert record["valid_to"] == record["retired_on"] is not None


def test_the_editor_sets_valid_dates_and_an_end_before_the_start_is_refused(editor_client):
    version, fp = version_of(editor_client, "parcels", "P2")
    page = editor_client.get("/edit/parcels/P2").get_data(as_text=True)
    assert 'name="valid_from"' in page and "生效日期" in page and "失效日期" in page
    refused = editor_client.post("/edit/parcels/P2", data={"valid_from": "2024-03-01", "valid_to": "2024-02-01",
                                                           "version": version, "fingerprint": fp})
    assert refused.status_code == 400
    assert "早于生效日期 2024-03-01；允许：生效日期当天或之后" in html.unescape(refused.get_data(as_text=True))
    saved = editor_client.post("/edit/parcels/P2", data={"valid_from": "2024-03-01", "version": version,
                                                         "fingerprint": fp})
    assert saved.status_code == 303
    assert item(editor_client, "parcels", "P2")["valid_from"] == "2024-03-01"
    assert editor_client.get("/api/summary?as_of=2024-02-29").get_json()["parcels"]["total"] == 2  # P1, P3
    assert editor_client.get("/api/summary?as_of=2024-03-01").get_json()["parcels"]["total"] == 3


def test_as_known_on_is_system_time_and_leaves_out_what_the_register_learnt_later(tiny_park, editor_client):
    parcels = tiny_park.load("parcels")
    parcels["first_added"] = pd.to_datetime(["2020-01-01", "2020-01-01", "2026-02-01"]).astype("datetime64[ms]")
    parcels["valid_from"] = pd.to_datetime(["2019-05-01", None, None]).astype("datetime64[ms]")
    tiny_park.save("parcels", parcels)  # as a command-line import writes: not in the log

    def ids(url):
        return sorted(f["id"] for f in editor_client.get(url).get_json()["features"])

    assert ids("/history/as-known-on/parcels?at=2025-12-31&format=json") == ["P1", "P2"]  # P3 learnt in 2026
    assert ids("/history/as-known-on/parcels?at=2026-02-01&format=json") == ["P1", "P2", "P3"]
    assert ids("/history/as-of/parcels?at=2025-12-31&format=json") == ["P1", "P2"]  # the page's former address
    page = editor_client.get("/history/as-known-on/parcels?at=2025-12-31").get_data(as_text=True)
    assert "登记簿在" in page and "登记时间，不是生效时间" in page
    # Valid time, the analyses' question, counts P3 (true always) and not P1 before its contract.
    assert editor_client.get("/api/summary?as_of=2019-04-30").get_json()["parcels"]["total"] == 2  # P2, P3


def test_a_bad_valid_time_rules_file_stops_the_start_naming_it(tiny_park, tmp_path, monkeypatch):
    from app import create_app
    from layers.valid_time import ENV_VAR, ValidTimeRulesError

    bad = tmp_path / "valid_time.yaml"
    bad.write_text("schema: parkatlas-valid-time/1\nlayers:\n  parcels:\n    valid_from: [signed_on]\n",
                   encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(bad))
    with pytest.raises(ValidTimeRulesError, match=r"valid_time.yaml: layers.parcels.valid_from: 'parcels' has no "
                                                  r"field 'signed_on'"):
        create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(tiny_park.path), "DATABASE_URL": None})
