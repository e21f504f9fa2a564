"""Lossless import: every source field is mapped, kept as it came (name and type), ignored by the mapping, or
reported unreadable with the reason; kept attributes survive every export and re-import."""

import datetime as dt
import json
import sqlite3
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import pytest
import shapely
from conftest import TINY_META, WORKING_EPSG, X0, Y0
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.io import ImportOptions, ImportRejected, import_layer
from layers.io.write import export_layer
from layers.registry import get_layer
from layers.source_attributes import KeptColumn, document_problem, encode
from layers.store import GeoPackageStore
from layers.validate import LayerValidationError, validate_layer

EXTENSIONS = (".gpkg", ".geojson", ".zip", ".kml", ".csv", ".xlsx")
TODAY = dt.date(2030, 1, 1)


def _attributes(store: GeoPackageStore, layer: str = "parcels", id_field: str = "parcel_id") -> dict:
    frame = store.load(layer)
    return {i: (None if text is None or pd.isna(text) else json.loads(text))
            for i, text in zip(frame[id_field], frame["source_attributes"])}


def _zoning_source(path):
    """Four parcels with the attributes a zoning map carries: Chinese names, text numbers, dates, yes/no, gaps."""
    n = 4
    frame = gpd.GeoDataFrame({
        "宗地号": ["Z1", "Z2", "Z3", "Z4"],
        "分區類": ["工業區", None, "住宅區", "保護區"],
        "容积率": [2.5, None, 1.0, 3.25],
        "栋数": np.array([3, 1, 0, 12], dtype="int64"),
        "竣工日期": pd.to_datetime(["2020-01-02", None, "1999-12-31", "2024-02-29"]),
        "已验收": [True, False, False, True],
        "管径文本": ["300", "DN400", None, "007"],
        "status": ["甲", "乙", None, "丙"],
    }, geometry=shapely.box(X0 + np.arange(n) * 60, Y0, X0 + np.arange(n) * 60 + 50, Y0 + 50), crs=WORKING_EPSG)
    frame.to_file(path, layer="parcels")
    return path


#: What the park keeps of _zoning_source, by hand: the source's names, order, types and values.
ZONING_TYPES = {"分區類": "text", "容积率": "float", "栋数": "int", "竣工日期": "date", "已验收": "bool",
                "管径文本": "text", "status": "text"}
ZONING_VALUES = {
    "Z1": {"分區類": "工業區", "容积率": 2.5, "栋数": 3, "竣工日期": "2020-01-02", "已验收": True, "管径文本": "300",
           "status": "甲"},
    "Z2": {"分區類": None, "容积率": None, "栋数": 1, "竣工日期": None, "已验收": False, "管径文本": "DN400",
           "status": "乙"},
    "Z3": {"分區類": "住宅區", "容积率": 1.0, "栋数": 0, "竣工日期": "1999-12-31", "已验收": False, "管径文本": None,
           "status": None},
    "Z4": {"分區類": "保護區", "容积率": 3.25, "栋数": 12, "竣工日期": "2024-02-29", "已验收": True, "管径文本": "007",
           "status": "丙"},
}


@pytest.fixture
def zoning_park(tmp_path):
    """A park made from _zoning_source; ``status`` kept as it is (the registry has a field of that name)."""
    mapping = tmp_path / "keep.yaml"
    mapping.write_text("keep: [status]\n", encoding="utf-8")
    park = tmp_path / "park.gpkg"
    plan = import_layer(_zoning_source(tmp_path / "zoning.gpkg"), "parcels", park=park,
                        options=ImportOptions(mapping_path=str(mapping), today=TODAY))
    return GeoPackageStore(park), plan


def test_every_source_field_is_kept_with_its_name_type_and_values(zoning_park):
    store, _ = zoning_park
    kept = _attributes(store)
    assert {i: doc["types"] for i, doc in kept.items()} == {i: ZONING_TYPES for i in ZONING_VALUES}
    assert {i: doc["values"] for i, doc in kept.items()} == ZONING_VALUES
    assert list(kept["Z1"]["types"]) == list(ZONING_TYPES)  # the source's order
    assert store.load("parcels")["status"].isna().all()  # kept, not read into the registry's status


def test_the_report_says_per_field_what_became_of_it(zoning_park):
    _, plan = zoning_park
    lines = {f.source: (f.text("zh"), f.text("en")) for f in plan.report.fields}
    assert lines["宗地号"] == ("映射到 地块编号", "mapped to parcel_id")
    assert lines["分區類"] == ("原样保留（文本）", "kept as is (text)")
    assert lines["容积率"] == ("原样保留（数值）", "kept as is (number)")
    assert lines["栋数"] == ("原样保留（整数）", "kept as is (whole number)")
    assert lines["竣工日期"] == ("原样保留（日期）", "kept as is (date)")
    assert lines["已验收"] == ("原样保留（是/否）", "kept as is (yes/no)")
    assert list(lines) == ["宗地号", "分區類", "容积率", "栋数", "竣工日期", "已验收", "管径文本", "status"]
    text = plan.report.text()
    assert "  - 分區類: 原样保留（文本） / kept as is (text)" in text
    assert plan.report.to_dict()["fields"][1] == {"source": "分區類", "outcome": "kept", "target": None,
                                                   "type": "text", "zh": "原样保留（文本）", "en": "kept as is (text)"}


def test_ignored_and_unreadable_fields_are_said_with_the_reason(tmp_path):
    source = tmp_path / "blob.gpkg"
    table = pa.table({"宗地号": ["B1"], "备注": ["x"],
                      "附件": pa.array([b"\x00\xff\x10"], type=pa.binary()),  # an attachment, as desktop GIS keeps them
                      "geometry": shapely.to_wkb([shapely.box(X0, Y0, X0 + 10, Y0 + 10)])})
    pyogrio.write_arrow(table, source, layer="parcels", driver="GPKG", geometry_name="geometry",
                        geometry_type="Polygon", crs=f"EPSG:{WORKING_EPSG}")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("fields:\n  备注: null\n", encoding="utf-8")
    plan = import_layer(source, "parcels", park=tmp_path / "p.gpkg",
                        options=ImportOptions(mapping_path=str(mapping), today=TODAY))
    lines = {f.source: (f.text("zh"), f.text("en")) for f in plan.report.fields}
    assert lines["备注"] == ("忽略（映射如此指定）", "ignored (the mapping says so)")
    assert lines["附件"] == ("无法读取（二进制数据（BLOB），没有文字形式）",
                           "could not be read (binary data (BLOB), which has no text form)")
    assert _attributes(GeoPackageStore(tmp_path / "p.gpkg")) == {"B1": None}


def test_a_field_an_alias_maps_twice_is_kept_not_dropped(tmp_path):
    source = tmp_path / "two.csv"
    source.write_text("宗地号,宗地代码,WKT\nA,ZD-0001,\"POINT (121.5 28.6)\"\n", encoding="utf-8")
    plan = import_layer(source, "facilities", park=tmp_path / "p.gpkg", options=ImportOptions(today=TODAY))
    assert {f.source: f.outcome for f in plan.report.fields} == {"WKT": "geometry", "宗地号": "kept",
                                                                   "宗地代码": "kept"}
    source = tmp_path / "parcels.csv"
    source.write_text("宗地号,宗地代码,WKT\nA,ZD-0001,\"POLYGON ((121.5 28.6, 121.501 28.6, 121.501 28.601, "
                      "121.5 28.6))\"\n", encoding="utf-8")
    plan = import_layer(source, "parcels", park=tmp_path / "q.gpkg", options=ImportOptions(today=TODAY))
    assert plan.report.mapping == {"宗地号": "parcel_id"}
    assert _attributes(GeoPackageStore(tmp_path / "q.gpkg")) == {
        "A": {"types": {"宗地代码": "text"}, "values": {"宗地代码": "ZD-0001"}}}
    assert "source field '宗地代码' also matches; kept as it is (the field is taken from '宗地号')" in plan.report.text()


def _re_import(store, tmp_path, extension, layer="parcels"):
    dest = tmp_path / f"export{extension}"
    export_layer(store.load(layer), get_layer(layer), dest, meta=store.read_meta())
    park = tmp_path / f"back{extension.replace('.', '_')}.gpkg"
    GeoPackageStore(park).save_park({}, TINY_META)
    plan = import_layer(dest, layer, park=park, options=ImportOptions(today=TODAY))
    return GeoPackageStore(park), plan, dest


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_every_export_gives_the_kept_attributes_back(zoning_park, tmp_path, extension):
    store, _ = zoning_park
    back, plan, _ = _re_import(store, tmp_path, extension)
    # Exactly the same text: names, order, types and values.
    assert list(back.load("parcels")["source_attributes"]) == list(store.load("parcels")["source_attributes"])
    assert sorted(plan.report.kept) == sorted(ZONING_TYPES)


def test_exports_name_the_columns_as_the_source_did(zoning_park, tmp_path):
    store, _ = zoning_park
    _, _, gpkg = _re_import(store, tmp_path, ".gpkg")
    with sqlite3.connect(gpkg) as conn:
        columns = {row[1]: row[2] for row in conn.execute("PRAGMA table_info(parcels)")}
    # Typed as the source had them; 'status' is the registry's, the kept one is renamed.
    assert columns["容积率"] == "REAL" and columns["栋数"] == "INTEGER" and columns["竣工日期"] == "DATE"
    assert columns["已验收"] == "BOOLEAN" and columns["分區類"] == "TEXT" and columns["status_源"] == "TEXT"
    assert "source_attributes" not in columns
    _, _, csv = _re_import(store, tmp_path, ".csv")
    header = csv.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    # After the registry's labelled columns: the kept ones under their own names, their types, the geometry.
    assert header[-9:] == ["分區類", "容积率", "栋数", "竣工日期", "已验收", "管径文本", "status", "源字段类型", "WKT"]
    _, _, shp = _re_import(store, tmp_path, ".zip")
    with zipfile.ZipFile(shp) as archive:
        table = pd.read_csv(archive.open("parcels.fields.csv"), encoding="utf-8-sig", keep_default_na=False)
    kept_rows = table[table["source_type"] != ""].set_index("field")
    assert kept_rows.loc["管径文本", "shapefile_field"] == "管径文"  # 9 bytes of UTF-8: ≤ 10
    assert kept_rows.loc["status", "shapefile_field"] == "status_源"
    assert kept_rows.loc["竣工日期", "source_type"] == "date"


def test_a_value_that_does_not_read_as_its_type_is_kept_as_text(zoning_park, tmp_path):
    store, _ = zoning_park
    dest = tmp_path / "edited.csv"
    export_layer(store.load("parcels"), get_layer("parcels"), dest, meta=store.read_meta())
    table = pd.read_csv(dest, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    table.loc[0, "容积率"] = "约2.5"  # someone typed it in Excel
    table.to_csv(dest, index=False, encoding="utf-8-sig")
    plan = import_layer(dest, "parcels", park=tmp_path / "p.gpkg", options=ImportOptions(today=TODAY))
    kept = _attributes(GeoPackageStore(tmp_path / "p.gpkg"))
    assert kept["Z1"]["types"]["容积率"] == "text" and kept["Z1"]["values"]["容积率"] == "约2.5"
    assert kept["Z4"]["types"]["容积率"] == "float" and kept["Z4"]["values"]["容积率"] == 3.25
    assert "容积率: 1 value(s) do not read as float; kept as text (got '约2.5')" in plan.report.text()


def test_upsert_without_the_extra_fields_keeps_them_and_with_them_replaces_them(zoning_park, tmp_path):
    store, _ = zoning_park
    wkt = shapely.box(X0, Y0, X0 + 50, Y0 + 50).wkt
    options = ImportOptions(mode="upsert", today=TODAY, crs=f"EPSG:{WORKING_EPSG}")
    bare = tmp_path / "bare.csv"
    bare.write_text(f'宗地号,名称,WKT\nZ1,东地块,"{wkt}"\n', encoding="utf-8")
    import_layer(bare, "parcels", park=store, options=options)
    after = _attributes(store)
    assert after["Z1"]["values"] == ZONING_VALUES["Z1"]
    assert store.load("parcels").set_index("parcel_id").loc["Z1", "name"] == "东地块"
    richer = tmp_path / "richer.csv"
    richer.write_text(f'宗地号,备注,WKT\nZ1,已复核,"{wkt}"\n', encoding="utf-8")
    import_layer(richer, "parcels", park=store, options=options)
    assert _attributes(store)["Z1"] == {"types": {"备注": "text"}, "values": {"备注": "已复核"}}


def test_a_malformed_document_is_refused_naming_record_and_reason():
    assert document_problem('{"types":{"a":"text"},"values":{"a":1}}') == \
        "attribute 'a': value 1 is not of its type text"
    assert document_problem('{"types":{"a":"colour"},"values":{"a":"red"}}').startswith(
        "attribute 'a': unknown type 'colour'; allowed: text, int, float, bool, date, datetime")
    assert document_problem("[1]") == 'expected a JSON object {"types": {name: type}, "values": {name: value}}'
    assert document_problem('{"types":{"d":"date"},"values":{"d":"2021/3/1"}}') == \
        "attribute 'd': value '2021/3/1' is not of its type date"
    assert document_problem('{"types":{"a":"int"},"values":{"a":true}}') is not None  # a boolean is no number
    frame = gpd.GeoDataFrame({"parcel_id": ["P1", "P2"], "source_attributes": ['{"types":{},"values":{}}', "{oops"]},
                             geometry=[shapely.box(X0, Y0, X0 + 1, Y0 + 1)] * 2, crs=WORKING_EPSG)
    with pytest.raises(LayerValidationError) as caught:
        validate_layer(frame, get_layer("parcels"), source="t")
    problem, = caught.value.problems
    assert (problem.record, problem.field) == ("row 2 (parcel_id=P2)", "source_attributes")
    assert problem.message.startswith("not JSON")


def test_encoding_keeps_order_types_and_missing_values():
    columns = [KeptColumn("名称", "text", pd.Series(["甲", None])),
               KeptColumn("n", np.array(["int", "text"], dtype=object), pd.Series([1, "x"])),
               KeptColumn("d", "date", pd.Series(["2021-03-01", None]), present=np.array([True, False]))]
    first, second = encode(columns, 2)
    assert first == '{"types":{"名称":"text","n":"int","d":"date"},"values":{"名称":"甲","n":1,"d":"2021-03-01"}}'
    assert second == '{"types":{"名称":"text","n":"text"},"values":{"名称":null,"n":"x"}}'


@pytest.mark.parametrize("extension", [".gpkg", ".zip", ".csv", ".xlsx"])
def test_tables_keep_their_attributes_through_exports(tmp_path, extension):
    source = tmp_path / "units.csv"
    source.write_text("单元编号,楼栋编号,楼层,面积(m²),朝向,可分割\nU1,B1,1,500,南,是\nU2,B1,2,480,北,\n",
                      encoding="utf-8")
    park = GeoPackageStore(tmp_path / "park.gpkg")
    park.save_park({}, TINY_META)
    import_layer(source, "units", park=park, options=ImportOptions(today=TODAY))
    kept = _attributes(park, "units", "unit_id")
    assert kept == {"U1": {"types": {"朝向": "text", "可分割": "text"}, "values": {"朝向": "南", "可分割": "是"}},
                    "U2": {"types": {"朝向": "text", "可分割": "text"}, "values": {"朝向": "北", "可分割": None}}}
    back, _, _ = _re_import(park, tmp_path, extension, layer="units")
    assert _attributes(back, "units", "unit_id") == kept


# -- property: random kept attributes through every format ------------------------------------------------------

_NAMES = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N"), exclude_characters="\x00"),
            min_size=1, max_size=12),
    # Names an export already uses, or a reader takes for something else.
    st.sampled_from(["status", "名称", "状态", "WKT", "geometry", "fid", "name", "folder", "坐标系", "源字段类型",
                     "source_field_types", "地块编号", "Shape_Area"]),
)
_TEXT_VALUES = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs"),
                                              exclude_characters="\x00'\""), min_size=1, max_size=20) \
    .map(str.strip).filter(bool)
_VALUES = {
    "text": _TEXT_VALUES,
    "int": st.integers(-10**9, 10**9),
    # Negative zero is zero (+ 0.0): files keep no sign on it.
    "float": st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 6) + 0.0),
    "bool": st.booleans(),
    "date": st.dates(dt.date(1950, 1, 1), dt.date(2099, 12, 31)).map(dt.date.isoformat),
}


@st.composite
def kept_layers(draw):
    names = draw(st.lists(_NAMES, min_size=1, max_size=5, unique_by=lambda s: s.strip().casefold())
                 .map(lambda names: [n.strip() for n in names if n.strip()]).filter(bool))
    kinds = [draw(st.sampled_from(sorted(_VALUES))) for _ in names]
    n = draw(st.integers(1, 4))
    columns = [KeptColumn(name, kind, pd.Series([draw(st.one_of(st.none(), _VALUES[kind])) for _ in range(n)],
                                                dtype=object))
               for name, kind in zip(names, kinds)]
    frame = gpd.GeoDataFrame({"parcel_id": [f"P{i}" for i in range(n)], "source_attributes": encode(columns, n)},
                             geometry=shapely.box(X0 + np.arange(n) * 40, Y0, X0 + np.arange(n) * 40 + 30, Y0 + 30),
                             crs=WORKING_EPSG)
    typed, _ = validate_layer(frame, get_layer("parcels"), source="hypothesis")
    return typed


@pytest.mark.slow
@pytest.mark.parametrize("extension", EXTENSIONS)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=kept_layers())
def test_random_kept_attributes_round_trip(tmp_path_factory, extension, frame):
    folder = tmp_path_factory.mktemp("kept")
    store = GeoPackageStore(folder / "park.gpkg")
    store.save_park({"parcels": frame}, TINY_META)
    try:
        back, _, _ = _re_import(store, folder, extension)
    except ImportRejected as exc:
        pytest.fail(exc.report.text())
    assert list(back.load("parcels")["source_attributes"]) == list(store.load("parcels")["source_attributes"])


# -- PostGIS: the same text column, the same saved mappings ------------------------------------------------------


def test_a_postgis_park_keeps_the_attributes_and_the_saved_mappings(zoning_park, postgis_store):
    from layers.saved_mappings import get_mapping, list_mappings, save_mapping
    from layers.stores import copy_park

    store, _ = zoning_park
    save_mapping(store, "分区", "parcels", "keep: [status]\n", saved_by="amy")
    copy_park(store, postgis_store)
    assert _attributes(postgis_store) == _attributes(store)
    assert get_mapping(postgis_store, "分区").text == "keep: [status]\n"
    # Writing the whole park again (a restore, another copy) keeps the saved mappings: they are not layers.
    postgis_store.save_park({"parcels": postgis_store.load("parcels")}, postgis_store.read_meta())
    assert [m.name for m in list_mappings(postgis_store)] == ["分区"]
    save_mapping(postgis_store, "分区", "parcels", "keep: [备注]\n")
    assert get_mapping(postgis_store, "分区").text == "keep: [备注]\n"
