"""Exports: every format round-trips back through import without loss (fixed cases and Hypothesis)."""

import datetime as dt
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import TINY_META, WORKING_EPSG, X0, Y0, tiny_frames
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers import landuse
from layers.io import ImportOptions, import_layer
from layers.io.write import DOWNLOADS, attribute_table, export_format, export_layer, shapefile_names
from layers.registry import get_layer
from layers.schema import HISTORY_FIELD_NAMES
from layers.store import GeoPackageStore
from layers.validate import validate_layer

EXTENSIONS = (".gpkg", ".geojson", ".zip", ".kml", ".csv", ".xlsx")
#: Formats that carry lon/lat (EPSG:4326) rather than the working CRS: geometry back within a millimetre.
TOLERANCE_M = 1e-3


def _round_trip(frame, spec, tmp_path, extension):
    dest = tmp_path / f"{spec.name}{extension}"
    export_layer(frame, spec, dest, meta=TINY_META, include_retired=True)  # the whole register, retired too
    park = tmp_path / f"back{extension.replace('.', '_')}.gpkg"
    GeoPackageStore(park).save_park({}, TINY_META)
    import_layer(dest, spec.name, park=park, options=ImportOptions(today=dt.date(2030, 1, 1)))
    return GeoPackageStore(park).load(spec.name)


def assert_same_layer(original: pd.DataFrame, back: pd.DataFrame, spec) -> None:
    original = original.sort_values(spec.id_field).reset_index(drop=True)
    back = back.sort_values(spec.id_field).reset_index(drop=True)
    assert len(back) == len(original)
    for name in spec.field_names:
        left, right = original[name], back[name]
        if spec.field(name).kind == "float":
            np.testing.assert_allclose(left.to_numpy(float), right.to_numpy(float), rtol=1e-12, err_msg=name)
        else:
            assert left.astype(object).where(left.notna(), None).tolist() == \
                right.astype(object).where(right.notna(), None).tolist(), name
    if spec.geometry is not None:
        distance = shapely.hausdorff_distance(original.geometry.to_numpy(), back.geometry.to_numpy())
        assert np.all(distance < TOLERANCE_M)
        assert list(shapely.get_type_id(original.geometry.to_numpy())) == \
            list(shapely.get_type_id(back.geometry.to_numpy()))


def _tiny(layer: str) -> pd.DataFrame:
    frame, _ = validate_layer(tiny_frames()[layer], get_layer(layer), source="tiny")
    for name in HISTORY_FIELD_NAMES[:2]:
        frame[name] = pd.Timestamp("2024-01-01")
    return frame


@pytest.mark.parametrize("extension", EXTENSIONS)
@pytest.mark.parametrize("layer", ["parcels", "buildings", "pipelines", "facilities"])
def test_tiny_layers_round_trip(tmp_path, layer, extension):
    frame = _tiny(layer)
    assert_same_layer(frame, _round_trip(frame, get_layer(layer), tmp_path, extension), get_layer(layer))


@pytest.mark.parametrize("extension", [".gpkg", ".zip", ".csv", ".xlsx"])
def test_tables_round_trip(tmp_path, extension):
    frame = _tiny("units")
    assert_same_layer(frame, _round_trip(frame, get_layer("units"), tmp_path, extension), get_layer("units"))


def test_tables_have_no_geojson_or_kml(tmp_path):
    with pytest.raises(ValueError, match="layer 'units' is a table without geometry; export it as CSV"):
        export_layer(_tiny("units"), get_layer("units"), tmp_path / "u.geojson")


def test_export_format_comes_from_the_name():
    assert export_format("a/b.shp.zip") == "shp" and export_format("x.GPKG") == "gpkg"
    with pytest.raises(ValueError, match=r"Shapefiles are exported zipped: name it \.zip"):
        export_format("parcels.shp")
    assert set(DOWNLOADS) == {"gpkg", "geojson", "shp", "kml", "csv", "xlsx", "gtxt"}
    assert export_format("approval.TXT") == "gtxt"


def test_shapefile_zip_is_utf8_with_cpg_and_a_field_table(tmp_path):
    dest = tmp_path / "parcels.zip"
    export_layer(_tiny("parcels"), get_layer("parcels"), dest)
    with zipfile.ZipFile(dest) as archive:
        names = set(archive.namelist())
        assert {"parcels.shp", "parcels.shx", "parcels.dbf", "parcels.prj", "parcels.cpg",
                "parcels.fields.csv"} <= names
        assert archive.read("parcels.cpg").decode().strip() == "UTF-8"
        table = pd.read_csv(archive.open("parcels.fields.csv"), encoding="utf-8-sig")
    # source_attributes is spread into columns of their own names, never written as one field.
    short = shapefile_names([n for n in get_layer("parcels").field_names if n != "source_attributes"])
    assert dict(zip(table["field"], table["shapefile_field"])) == short
    assert table.set_index("field").loc["agreed_completion_date", "label_zh"] == "约定竣工日期"


def test_csv_and_xlsx_have_chinese_headers_labels_and_wkt(tmp_path):
    table = attribute_table(_tiny("parcels"), get_layer("parcels"))
    assert list(table.columns[:4]) == ["地块编号", "名称", "片区/期次", "用地性质"]
    assert "土地价款(万元)" in table.columns and "登记面积(m²)" in table.columns
    assert table.loc[0, "状态"] == "已投产" and table.loc[0, "供地方式"] == "出让"
    assert table["WKT"].str.startswith("POLYGON ((121.").all()
    dest = tmp_path / "p.csv"
    export_layer(_tiny("parcels"), get_layer("parcels"), dest)
    assert dest.read_bytes().startswith("\ufeff地块编号".encode("utf-8"))
    english = attribute_table(_tiny("parcels"), get_layer("parcels"), lang="en")
    assert english.loc[0, "Status"] == "Operating"


@pytest.mark.parametrize("extension", [".csv", ".xlsx"])
def test_text_that_looks_like_a_formula_survives_spreadsheets(tmp_path, extension):
    frame = _tiny("parcels")
    frame["name"] = ['=HYPERLINK("http://x")', "-3号地块", "'+1"]
    dest = tmp_path / f"p{extension}"
    export_layer(frame, get_layer("parcels"), dest)
    if extension == ".csv":
        assert "'=HYPERLINK" in dest.read_text(encoding="utf-8-sig")  # neutralised in the file
    back = _round_trip(frame, get_layer("parcels"), tmp_path, extension)
    assert sorted(back["name"]) == sorted(frame["name"])


def test_text_longer_than_a_dbf_field_is_said(tmp_path):
    frame = _tiny("parcels")
    frame.loc[0, "name"] = "长" * 100  # 300 bytes of UTF-8
    result = export_layer(frame, get_layer("parcels"), tmp_path / "p.zip")
    assert result.notes == ["name: 1 value(s) longer than the Shapefile's 254 bytes are cut; use GeoPackage to "
                            "keep them whole"]


def test_export_replaces_the_destination_atomically(tmp_path):
    dest = tmp_path / "p.geojson"
    dest.write_text("old")
    export_layer(_tiny("parcels"), get_layer("parcels"), dest)
    assert dest.read_text(encoding="utf-8").startswith("{")
    assert [p.name for p in tmp_path.iterdir()] == ["p.geojson"]


# -- property: random valid layers through every format -------------------------------------------------------

_TEXT = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs"),
                                       exclude_characters="\x00"), min_size=1, max_size=40).map(str.strip).filter(bool)
_DATES = st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31)))
_MONEY = st.one_of(st.none(), st.integers(0, 10**10).map(lambda n: n / 1000.0))
_CODES_2023 = sorted(landuse.CLASSES_2023)


@st.composite
def parcel_layers(draw):
    n = draw(st.integers(1, 6))
    ids = draw(st.lists(_TEXT, min_size=n, max_size=n, unique_by=lambda s: s.casefold()))
    spec = get_layer("parcels")
    statuses = [c.value for c in spec.field("status").codes]
    rows = []
    for i in range(n):
        x, y = draw(st.integers(0, 2000)), draw(st.integers(0, 2000))
        w, h = draw(st.integers(5, 300)), draw(st.integers(5, 300))
        shell = shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)
        if draw(st.booleans()) and w > 20 and h > 20:
            shell = shell.difference(shapely.box(X0 + x + 5, Y0 + y + 5, X0 + x + 10, Y0 + y + 10))
        rows.append({
            "parcel_id": ids[i],
            "name": draw(st.one_of(st.none(), _TEXT)),
            "land_use": draw(st.sampled_from(_CODES_2023)),
            "land_use_std": landuse.STD_2023,
            "land_use_review": draw(st.sampled_from([None, True, False])),
            "status": draw(st.sampled_from([None, *statuses])),
            "tenure": draw(st.sampled_from([None, "granted", "allocated", "leased"])),
            "contract_date": draw(_DATES),
            "land_price_wan": draw(_MONEY),
            "site_levelled": draw(st.sampled_from([None, True, False])),
            "first_added": draw(st.dates(dt.date(2000, 1, 1), dt.date(2025, 1, 1))),
            "last_updated": draw(st.dates(dt.date(2025, 1, 2), dt.date(2026, 1, 1))),
            "retired_on": draw(st.one_of(st.none(), st.just(dt.date(2026, 3, 1)))),
            "geometry": shell,
        })
    raw = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=WORKING_EPSG)
    frame, _ = validate_layer(raw, spec, source="hypothesis")
    return frame


@pytest.mark.slow
@pytest.mark.parametrize("extension", EXTENSIONS)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=parcel_layers())
def test_random_parcel_layers_round_trip(tmp_path_factory, extension, frame):
    folder = tmp_path_factory.mktemp("rt")
    assert_same_layer(frame, _round_trip(frame, get_layer("parcels"), folder, extension), get_layer("parcels"))
