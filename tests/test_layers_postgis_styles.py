"""QGIS styles of a PostGIS park in ``public.layer_styles`` (where QGIS looks for them), kept with every save."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

import pytest
from conftest import TINY_META, tiny_frames

from layers.qgis.layer_styles import STYLE_NAMES


@pytest.fixture
def tiny_pg(postgis_store):
    postgis_store.save_park(tiny_frames(), TINY_META)
    return postgis_store


def style_rows(store) -> dict[tuple[str, str], tuple]:
    """(table, style name) → (geometry column, default, QML) of the park's rows in public.layer_styles."""
    with store.connection() as conn:
        rows = conn.execute(
            "SELECT f_table_name, stylename, f_geometry_column, useasdefault, styleqml::text, f_table_catalog "
            "FROM public.layer_styles WHERE f_table_schema = %s", (store.schema,)).fetchall()
        database = conn.execute("SELECT current_database()").fetchone()[0]
    assert {row[5] for row in rows} <= {database}
    return {(row[0], row[1]): (row[2], row[3], row[4]) for row in rows}


def categories(qml: str) -> list[tuple[str, str]]:
    return [(c.get("value"), c.get("label")) for c in ET.fromstring(qml.split("\n", 1)[1]).iter("category")]


def test_every_layer_saved_gets_a_chinese_default_and_an_english_style(tiny_pg):
    rows = style_rows(tiny_pg)
    assert set(rows) == {(name, style) for name in tiny_frames() for style in STYLE_NAMES.values()}
    assert rows[("parcels", STYLE_NAMES["zh"])][:2] == ("geometry", True)
    assert rows[("parcels", STYLE_NAMES["en"])][:2] == ("geometry", False)
    assert rows[("units", STYLE_NAMES["zh"])][:2] == (None, True)  # a table: QGIS matches a NULL geometry column
    # The tiny park's three land-use codes, in the planning palette's words, and the catch-all.
    assert categories(rows[("parcels", STYLE_NAMES["zh"])][2]) == [
        ("100101", "100101 一类工业用地"), ("100102", "100102 二类工业用地"), ("1101", "1101 物流仓储用地"),
        ("", "其他/未知")]
    assert categories(rows[("roads", STYLE_NAMES["en"])][2])[-2:] == [("completed", "Completed"),
                                                                      ("", "Other / unknown")]


def test_a_save_replaces_the_layers_styles_and_keeps_a_users_own(tiny_pg):
    with tiny_pg.connection() as conn:
        conn.execute("INSERT INTO public.layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                     "f_geometry_column, stylename, styleqml, useasdefault) VALUES (current_database(), %s, "
                     "'parcels', 'geometry', 'mine', XMLPARSE(DOCUMENT '<qgis/>'), false)", (tiny_pg.schema,))
    parcels = tiny_frames()["parcels"].assign(land_use=["0601", "0601", "0601"], land_use_std="GB/T21010-2017")
    tiny_pg.save("parcels", parcels)
    rows = style_rows(tiny_pg)
    assert sorted(style for table, style in rows if table == "parcels") == sorted([*STYLE_NAMES.values(), "mine"])
    assert categories(rows[("parcels", STYLE_NAMES["zh"])][2]) == [("0601", "0601 工业用地"), ("", "其他/未知")]


def test_dropping_the_park_removes_its_styles(tiny_pg):
    tiny_pg.drop()
    with tiny_pg.connection() as conn:
        left = conn.execute("SELECT count(*) FROM public.layer_styles WHERE f_table_schema = %s",
                            (tiny_pg.schema,)).fetchone()[0]
    assert left == 0


def test_a_park_saved_before_styles_gets_them_when_migrated(tiny_pg):
    with tiny_pg.connection() as conn:
        conn.execute("DELETE FROM public.layer_styles WHERE f_table_schema = %s", (tiny_pg.schema,))
    version = tiny_pg.version()
    tiny_pg.migrate()
    assert len(style_rows(tiny_pg)) == 2 * len(tiny_frames())
    assert tiny_pg.version() == version  # styles are not data: caches stay valid


def test_a_role_that_may_not_write_the_styles_table_still_saves_the_park(postgis_url, caplog):
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from layers.postgis import PostGISStore
    from layers.qgis.layer_styles import POSTGIS_STYLE_TABLE_SQL

    role = "t_nostyles"
    with psycopg.connect(postgis_url, autocommit=True) as admin:
        admin.execute(f"DROP ROLE IF EXISTS {role}")
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"GRANT CREATE ON DATABASE {admin.info.dbname} TO {role}")
        admin.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        admin.execute(POSTGIS_STYLE_TABLE_SQL)  # there, as QGIS made it, but not the role's to write
        admin.execute(f"REVOKE ALL ON public.layer_styles FROM {role}")
    store = PostGISStore(make_conninfo(**{**conninfo_to_dict(postgis_url), "user": role, "password": ""}),
                         schema="t_nostyles_park")
    try:
        with caplog.at_level(logging.WARNING, logger="layers.postgis"):
            store.save_park(tiny_frames(), TINY_META)
        assert len(store.load("parcels")) == 3
        assert "QGIS styles not saved" in caplog.text and "layer_styles" in caplog.text
    finally:
        store.close()
        with psycopg.connect(postgis_url, autocommit=True) as admin:
            admin.execute("DROP SCHEMA IF EXISTS t_nostyles_park CASCADE")
            admin.execute(f"REVOKE CREATE ON DATABASE {admin.info.dbname} FROM {role}")
            admin.execute(f"DROP ROLE {role}")
