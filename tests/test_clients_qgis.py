"""QGIS (Debian's python3-qgis, headless) adding every collection of the OGC API from the landing page alone.

``tests/qgis_oapif_client.py`` runs under ``/usr/bin/python3`` with
``QT_QPA_PLATFORM=offscreen`` (QGIS's bindings are not in the venv) and prints
what QGIS made of each layer. With sign-in required it signs every request with
a QGIS authentication configuration of type Basic, holding a password or an API
token.

QGIS 3.22 types an OAPIF layer's fields from its first 10 features through GDAL's
GeoJSON reader (newer QGIS reads the Part 5 schema the collections link): a field
with a value among them gets its registry type, one empty in all of them comes as
text. The typed park (:func:`client_helpers.typed_frames`) has a value in every
field of each layer's first record, so every field is checked; the expectation
below follows the same rule, so it holds for any park.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
from client_helpers import TESTS, credentials, park_server, require_qgis, run, typed_frames, write_park
from live_helpers import live_session

from layers.geojson import json_ready
from layers.registry import REGISTRY
from layers.schema import SOURCE_ATTRIBUTES

#: What QGIS calls each registry kind.
QGIS_TYPES = {"str": "String", "code": "String", "int": "Integer", "float": "Real", "bool": "Boolean", "date": "Date"}
#: Features QGIS 3.22 reads to type the fields (its first items request asks for limit=10).
SAMPLE = 10


@pytest.fixture(scope="module")
def typed_park(tmp_path_factory):
    return write_park(tmp_path_factory.mktemp("qgis") / "typed.gpkg", typed_frames())


def add_every_collection(landing: str, tmp_path, *, user: str | None = None, password: str | None = None) -> dict:
    command = [require_qgis(), str(TESTS / "qgis_oapif_client.py"), landing]
    if user:
        auth_dir = tmp_path / "qgis-auth"
        auth_dir.mkdir(exist_ok=True)
        command += ["--user", user, "--password", password, "--auth-dir", str(auth_dir)]
    done = run(command, env={"QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}, timeout=600)
    return json.loads(done.stdout.strip().splitlines()[-1])


def qgis_322_fields(spec, frame) -> dict[str, str]:
    """The fields QGIS 3.22 gives a layer: "id", then each field, typed when a sampled feature has a value."""
    if not len(frame):
        return {}
    sample = json_ready(frame.iloc[:SAMPLE])

    def qgis_type(f) -> str:
        if not sample[f.name].notna().any():
            return "String"
        # The kept source attributes are one object property {name: value} in the API: a JSON field.
        return "JSON" if f.name == SOURCE_ATTRIBUTES else QGIS_TYPES[f.kind]

    return {"id": "String", **{f.name: qgis_type(f) for f in spec.fields}}


def check_layers(found: dict, park) -> None:
    assert found["collections"] == list(REGISTRY)
    for name, spec in REGISTRY.items():
        layer = found["layers"][name]
        frame = park.load(name)
        assert layer["valid"], (name, layer)
        assert layer["feature_count"] == layer["features"] == len(frame), name
        assert layer["fields"] == qgis_322_fields(spec, frame), name
        if not spec.is_table:
            assert layer["crs"] == "EPSG:4326", name
            west, south, east, north = frame.to_crs(4326).total_bounds
            assert layer["extent"] == pytest.approx([west, south, east, north], abs=1e-9), name


def test_qgis_adds_every_collection_typed_from_the_landing_page(typed_park, tmp_path):
    with park_server(typed_park.path, tmp_path) as (base_url, _):
        found = add_every_collection(f"{base_url}/api", tmp_path)
    check_layers(found, typed_park)
    parcels = found["layers"]["parcels"]["fields"]
    typed = (parcels["contract_date"], parcels["site_levelled"], parcels["land_price_wan"])
    assert typed == ("Date", "Boolean", "Real")
    assert found["layers"]["units"]["fields"]["floor"] == "Integer"


def test_qgis_signs_in_with_a_basic_authentication_configuration(typed_park, tmp_path):
    user, password = credentials()
    with park_server(typed_park.path, tmp_path, sign_in=True) as (base_url, app):
        found = add_every_collection(f"{base_url}/api", tmp_path, user=user, password=password)
        check_layers(found, typed_park)
        with live_session(app, base_url, "viewer", username=user) as browser:
            page = browser.post("/account/tokens", data={"name": "QGIS"}).text
        token = re.search(r'<code class="token">(pat_[A-Za-z0-9_-]+)</code>', page).group(1)
        (tmp_path / "token").mkdir()
        with_token = add_every_collection(f"{base_url}/api", tmp_path / "token", user=user, password=token)
    assert with_token["layers"]["parcels"]["feature_count"] == 3
    assert with_token["layers"]["parcels"]["fields"]["contract_date"] == "Date"


def test_qgis_without_credentials_is_refused_when_sign_in_is_required(typed_park, tmp_path):
    with park_server(typed_park.path, tmp_path, sign_in=True) as (base_url, _):
        done = subprocess.run([require_qgis(), str(TESTS / "qgis_oapif_client.py"), f"{base_url}/api"],
                              capture_output=True, text=True, timeout=600,
                              env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)})
    assert done.returncode != 0
    assert "could not fetch" in done.stdout + done.stderr
