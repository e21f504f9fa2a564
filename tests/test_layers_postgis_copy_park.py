"""``flask --app app copy-park``: a park moves between GeoPackage and PostGIS both ways, losslessly."""

from __future__ import annotations

import pytest
from conftest import TINY_META
from test_layers_store_contract import assert_same_layer

from app import create_app
from layers.postgis import PostGISStore
from layers.registry import REGISTRY
from layers.store import GeoPackageStore


@pytest.fixture
def runner(tmp_path):
    app = create_app({"TESTING": True, "PARK_PATH": str(tmp_path / "unused.gpkg"), "DATABASE_URL": None})
    return app.test_cli_runner()


def pg_location(store: PostGISStore) -> str:
    return f"{store.url}?schema={store.schema}"


def test_gpkg_to_postgis_and_back_is_lossless(runner, tiny_park, postgis_store, tmp_path):
    result = runner.invoke(args=["copy-park", str(tiny_park.path), pg_location(postgis_store)])
    assert result.exit_code == 0, result.output
    assert "parcels 3" in result.output and "roads 2" in result.output
    back = tmp_path / "back.gpkg"
    result = runner.invoke(args=["copy-park", pg_location(postgis_store), str(back)])
    assert result.exit_code == 0, result.output
    copy = GeoPackageStore(back)
    assert copy.read_meta() == tiny_park.read_meta() == postgis_store.read_meta()
    assert set(copy.layer_names()) == set(tiny_park.layer_names())
    for name in REGISTRY:
        original = tiny_park.load(name)
        assert_same_layer(postgis_store.load(name), original)
        assert_same_layer(copy.load(name), original)


def test_existing_destination_needs_replace(runner, tiny_park, postgis_store):
    postgis_store.save_park({"units": tiny_park.load("units")}, TINY_META)
    result = runner.invoke(args=["copy-park", str(tiny_park.path), pg_location(postgis_store)])
    assert result.exit_code == 2
    assert "already holds a park; pass --replace" in result.output
    assert postgis_store.layer_names() == ["units", "parkatlas_meta"]
    result = runner.invoke(args=["copy-park", "--replace", str(tiny_park.path), pg_location(postgis_store)])
    assert result.exit_code == 0, result.output
    assert len(postgis_store.load("parcels")) == 3


def test_rejected_locations_exit_2_with_a_message_not_a_traceback(runner, tiny_park, tmp_path):
    cases = [
        ([str(tmp_path / "none.gpkg"), str(tmp_path / "out.gpkg")], "no park file here"),
        ([str(tiny_park.path), "mysql://db/x"], "unsupported park location"),
        ([str(tiny_park.path), "postgresql://u:pw@127.0.0.1:1/x?connect_timeout=2"],
         r"cannot connect to PostgreSQL at postgresql://u:***@127.0.0.1:1/x"),
        ([str(tiny_park.path), str(tiny_park.path)], "SOURCE and DEST are the same park"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["copy-park", *args])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "out.gpkg").exists()
