"""GDAL's own clients (Debian's gdal-bin: ogrinfo, ogr2ogr) reading the OGC API of a live server.

``OAPIF:`` (the Features driver) and ``OGCAPI:`` (the generic OGC API driver) are
given the landing page only. Counts, field types, the bbox filter and the CRS are
checked against the park as stored, with and without sign-in (``USERPWD``).
GDAL 3.6 has no Part 2 support (it always reads CRS84), so the CRS is checked by
reprojecting with ``ogr2ogr -t_srs`` to the park's working CRS and comparing
with the stored coordinates; ``crs=`` itself is checked with OWSLib and the
Flask tests.
"""

from __future__ import annotations

import json
import subprocess

import geopandas as gpd
import pytest
import shapely
from client_helpers import credentials, park_server, require, run, typed_frames, write_park
from conftest import X0, Y0

from layers.registry import REGISTRY
from layers.store import GeoPackageStore

#: What GDAL calls each registry kind (bool is an integer with the Boolean subtype).
OGR_TYPES = {"str": "String", "code": "String", "int": "Integer", "float": "Real", "bool": "Integer(Boolean)",
             "date": "Date"}


@pytest.fixture(scope="module")
def typed_park(tmp_path_factory) -> GeoPackageStore:
    return write_park(tmp_path_factory.mktemp("gdal") / "typed.gpkg", typed_frames())


@pytest.fixture(scope="module")
def server(typed_park, tmp_path_factory):
    with park_server(typed_park.path, tmp_path_factory.mktemp("gdal-server")) as (base_url, _):
        yield base_url


def ogrinfo_layers(source: str, *args: str) -> dict:
    """What ``ogrinfo -so -al`` says of a source (GDAL 3.6 has no -json: its text is parsed)."""
    done = run([require("ogrinfo"), "-ro", "-so", "-al", source, *args])
    return parse_ogrinfo(done.stdout)


def parse_ogrinfo(text: str) -> dict:
    """Layers of ``ogrinfo -so -al`` text: name → {count, geometry, fields: {name: type}}."""
    layers: dict[str, dict] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("Layer name: "):
            current = layers.setdefault(line.split(": ", 1)[1], {"fields": {}})
        elif current is None:
            continue
        elif line.startswith("Feature Count: "):
            current["count"] = int(line.split(": ", 1)[1])
        elif line.startswith("Geometry: "):
            current["geometry"] = line.split(": ", 1)[1]
        elif line.startswith("Extent: "):
            current["extent"] = line.split(": ", 1)[1]
        elif ": " in line and not line.startswith((" ", "\t")) and line.rstrip().endswith(")"):
            name, kind = line.split(": ", 1)
            current["fields"][name] = kind.rsplit(" (", 1)[0]
    return layers


def test_oapif_lists_every_collection_with_its_count_and_registry_types(server, typed_park):
    layers = ogrinfo_layers(f"OAPIF:{server}/api")
    assert list(layers) == list(REGISTRY)
    for name, spec in REGISTRY.items():
        assert layers[name]["count"] == len(typed_park.load(name)), name
        # From the describedBy schema: every field, typed, even in an empty layer; "id" comes from the features.
        expected = {f.name: OGR_TYPES[f.kind] for f in spec.fields}
        if layers[name]["count"]:
            expected = {"id": "String", **expected}
        assert layers[name]["fields"] == expected, name
    assert layers["parcels"]["geometry"] == "Polygon" and layers["roads"]["geometry"] == "Line String"


def test_the_generic_ogcapi_driver_reads_a_collection_from_the_landing_page(server):
    done = run([require("ogrinfo"), "-ro", "-so", f"OGCAPI:{server}/api"])
    assert f"OGCAPI:{server}/api/collections/parcels" in done.stdout  # one subdataset per collection
    layers = ogrinfo_layers(f"OGCAPI:{server}/api/collections/parcels")
    assert layers["parcels"]["count"] == 3
    assert layers["parcels"]["fields"]["contract_date"] == "Date"
    assert layers["parcels"]["fields"]["site_levelled"] == "Integer(Boolean)"


def test_ogr2ogr_with_a_bbox_selects_what_the_api_selects(server, typed_park, tmp_path):
    # A box around P1 only, in lon/lat, shrunk so it touches neither P2 nor P3.
    west, south, east, north = typed_park.load("parcels").to_crs(4326).geometry.iloc[0].bounds
    inset = 0.0001
    box = [west + inset, south + inset, east - inset, north - inset]
    out = tmp_path / "p1.geojson"
    run([require("ogr2ogr"), "-f", "GeoJSON", str(out), f"OAPIF:{server}/api", "parcels",
         "-spat", *map(str, box)])
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["parcel_id"] for f in features] == ["P1"]
    roads = tmp_path / "roads.geojson"
    run([require("ogr2ogr"), "-f", "GeoJSON", str(roads), f"OAPIF:{server}/api", "roads", "-spat", *map(str, box)])
    assert json.loads(roads.read_text(encoding="utf-8"))["features"] == []  # R1 runs 6 m south of P1's edge


def test_ogr2ogr_reprojected_to_the_working_crs_gives_the_stored_coordinates(server, tmp_path):
    out = tmp_path / "parcels.gpkg"
    run([require("ogr2ogr"), "-f", "GPKG", str(out), f"OAPIF:{server}/api", "parcels", "-t_srs", "EPSG:4549"])
    frame = gpd.read_file(out).set_index("parcel_id")
    assert frame.crs.to_epsg() == 4549
    expected = shapely.box(X0, Y0, X0 + 100, Y0 + 100)
    # CRS84 degrees of ~1e-14 (what JSON carries) reprojected back: well under a millimetre.
    assert shapely.hausdorff_distance(frame.geometry.loc["P1"], expected) < 1e-3
    assert frame.loc["P1", "contract_date"] is not None and str(frame.loc["P1", "contract_date"])[:10] == "2019-05-01"


def test_ogrinfo_pushes_an_attribute_filter_to_the_server(server):
    layers = run([require("ogrinfo"), "-ro", "-al", "-q", f"OAPIF:{server}/api", "parcels",
                  "-where", "status = 'supplied'"]).stdout
    assert "parcel_id (String) = P2" in layers and "= P1" not in layers and "= P3" not in layers


@pytest.fixture(scope="module")
def signed_in_server(typed_park, tmp_path_factory):
    with park_server(typed_park.path, tmp_path_factory.mktemp("gdal-auth"), sign_in=True) as (base_url, _):
        yield base_url


def test_gdal_signs_in_with_userpwd(signed_in_server):
    user, password = credentials()
    refused = subprocess.run([require("ogrinfo"), "-ro", "-so", f"OAPIF:{signed_in_server}/api"],
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0 and "401" in refused.stderr
    layers = ogrinfo_layers(f"OAPIF:{signed_in_server}/api", "-oo", f"USERPWD={user}:{password}")
    assert list(layers) == list(REGISTRY) and layers["parcels"]["count"] == 3
    done = run([require("ogrinfo"), "-ro", "-so", f"OGCAPI:{signed_in_server}/api",
                "--config", "GDAL_HTTP_USERPWD", f"{user}:{password}"])
    assert "collections/parcels" in done.stdout


def test_a_missing_client_fails_naming_the_package_to_install(monkeypatch):
    import client_helpers

    monkeypatch.setitem(client_helpers.PACKAGES, "ogr-no-such-tool", "gdal-bin")
    with pytest.raises(AssertionError, match=r"ogr-no-such-tool is not installed.*Debian's gdal-bin.*apt-get install"):
        require("ogr-no-such-tool")
