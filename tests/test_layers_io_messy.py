"""Messy files through the command line (issue 13 §5): real files made awkward and hand-made ones, each with
the park compared before and after. The web preview → confirm flow of the same files is test_web_messy.py."""

import json
import math
import zipfile

import numpy as np
import pandas as pd
import pytest
import shapely
from io_samples import file_digest
from messy_samples import (
    AMBIGUOUS_BIG5,
    HSINCHU,
    ambiguous_big5_shapefile,
    big5_named_zip,
    big5_zoning_shapefile,
    collapsing_pipeline_shapefile,
    constant_id_geojson,
    cr_only_csv,
    far_geojson,
    macau_with_a_speck,
    mixed_geojson,
    utf16_csv,
)
from pyproj import CRS, Transformer

from layers.io import ImportChecks
from layers.io.crs_detect import CrsChoice
from layers.io.encoding import choose_dbf_encoding, decode_text
from layers.io.hanzi import CLASS_WEIGHTS, guess_script
from layers.io.messy import SourceCoordinates, id_column_fault
from layers.io.shapefile import read_dbf_layout
from layers.store import GeoPackageStore


@pytest.fixture
def run(tiny_app):
    runner = tiny_app.test_cli_runner()  # the tiny park is the app's park

    def invoke(*args):
        return runner.invoke(args=[str(a) for a in args])

    return invoke


def _layer(store, name):
    return GeoPackageStore(store.path).load(name)


# -- GB18030 or Big5 ------------------------------------------------------------------------------------------


def test_big5_zoning_without_cpg_is_read_as_big5_and_the_mapping_matches(tmp_path, run):
    """The known failure: a Big5 Shapefile without .cpg read as GB18030 mojibake, the mapping matching nothing."""
    shp = big5_zoning_shapefile(tmp_path / "src")
    mapping = tmp_path / "tw.yaml"
    mapping.write_text("fields:\n  OBJECTID: parcel_id\n  使用分: name\ninclude:\n  分區類: [工業區, 特定事業專用區(工業)]\n"
                       "defaults:\n  land_use: '1001'\n  land_use_std: 用地用海2023\n", encoding="utf-8")
    park = tmp_path / "hsinchu.gpkg"
    result = run("import", "parcels", shp, "--park", park, "--mapping", mapping)
    assert result.exit_code == 0, result.output
    assert ("encoding: Big5 (no .cpg; the text reads as Big5 (traditional Chinese) rather than GB18030: "
            "confidence > 99.9 %)") in result.output
    assert "hint:" not in result.output  # sure: nothing to ask
    parcels = GeoPackageStore(park).load("parcels")
    # SOURCE.md: 38 industrial zones (工業區 36 + 特定事業專用區(工業) 2), 356.1 ha; their names (使用分) as
    # the UTF-8 original has them.
    original = json.loads(HSINCHU.read_text(encoding="utf-8"))["features"]
    names = {f["properties"]["使用分"] for f in original if f["properties"]["分區類"] in ("工業區", "特定事業專用區(工業)")}
    assert len(parcels) == 38
    assert set(parcels["name"]) == names == {"工業區", "零星工業區", "園區事業專用區"}
    assert shapely.area(parcels.geometry.to_numpy()).sum() / 1e4 == pytest.approx(356.14, rel=1e-3)


def test_zip_member_names_in_big5_are_read(tmp_path, run):
    from io_samples import shapefile_files

    shp = big5_zoning_shapefile(tmp_path / "src")
    archive = big5_named_zip(shapefile_files(shp), tmp_path / "zoning.zip")
    assert zipfile.ZipFile(archive).infolist()[0].flag_bits & 0x800 == 0  # no UTF-8 flag: raw Big5 bytes
    result = run("import", "parcels", archive, "--park", tmp_path / "p.gpkg", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "unpacked zoning.zip: 4 file(s) of 分區.shp" in result.output


def test_a_cpg_naming_the_other_script_is_overruled(tmp_path):
    shp = big5_zoning_shapefile(tmp_path / "src")
    shp.with_suffix(".cpg").write_text("936")  # GBK: re-saved by a mainland tool that wrote its own code page
    choice = choose_dbf_encoding(read_dbf_layout(shp.with_suffix(".dbf")), override=None, cpg_text="936")
    assert choice.codec == "cp950"
    assert choice.how == ("分區.cpg says '936' but the text reads as Big5 (traditional Chinese) rather than GB18030: "
                          "confidence > 99.9 %")
    # Below the confidence asked for, a .cpg that fits stands: 部 第 最 read as GB18030 just as well (50 %).
    tie = ambiguous_big5_shapefile(tmp_path / "tie")
    choice = choose_dbf_encoding(read_dbf_layout(tie.with_suffix(".dbf")), override=None, cpg_text="950")
    assert (choice.codec, choice.how) == ("cp950", "from parcels.cpg")


def test_the_evidence_is_the_sum_of_the_class_weights():
    # 工業區 in GBK (traditional characters written by a mainland tool), bytes B9A4 9849 855E. As GB18030:
    # 工 is frequent, 業 and 區 are outside GB 2312 level 1 (other). As Big5: B9A4 is 馱 (Big5 level 1,
    # common), 98 and 85 are no Big5 lead bytes (undecodable, other) and 49 5E read as ASCII "I^".
    raw = "工業區".encode("gbk")
    assert raw.decode("cp950", errors="replace") == "馱\ufffdI\ufffd^"
    gb = CLASS_WEIGHTS["frequent"] + 2 * CLASS_WEIGHTS["other"]
    big5 = CLASS_WEIGHTS["common"] + 2 * CLASS_WEIGHTS["other"]
    guess = guess_script([raw])
    assert guess.codec == "gb18030"
    assert guess.confidence == pytest.approx(1 / (1 + math.exp(-(gb - big5))))
    # ln(0.75/0.10) − ln(0.24/0.40) = 2.526: 92.6 %, under 0.99 — unsure, as a human would be with one word.
    assert guess.confidence == pytest.approx(0.9259, abs=1e-4)


def test_unsure_text_warns_shows_both_readings_and_takes_the_encoding_given(tmp_path, run, tiny_park):
    shp = ambiguous_big5_shapefile(tmp_path / "src")
    before = file_digest(tiny_park.path)
    result = run("import", "parcels", shp, "--mode", "append", "--dry-run")
    assert result.exit_code == 0, result.output
    # 部 第 最 in Big5 are 场 材 程 in GB18030, all frequent both ways: a tie, read as GB18030 (mainland files
    # are the common case), confidence 50 %.
    assert "encoding: GB18030 (no .cpg; the text reads as GB18030 (simplified Chinese) rather than Big5: " \
           "confidence 50.0 %)" in result.output
    assert "file · encoding: unsure: the text reads as GB18030 with a confidence of only 50.0 %" in result.output
    assert "  as GB18030: 场 | 材 | 程\n  as Big5: 部 | 第 | 最" in result.output
    assert "give the encoding with --encoding" in result.output
    assert file_digest(tiny_park.path) == before

    result = run("import", "parcels", shp, "--mode", "append", "--encoding", "Big5")
    assert result.exit_code == 0, result.output
    parcels = _layer(tiny_park, "parcels").set_index("parcel_id")
    assert parcels.loc[["B5-1", "B5-2", "B5-3"], "name"].tolist() == AMBIGUOUS_BIG5
    assert parcels.loc[["P1", "P2", "P3"], "name"].tolist() == ["一号地块 <b>", "二号地块", "三号地块"]


def test_the_confidence_threshold_on_both_sides(tmp_path):
    layout = read_dbf_layout(big5_zoning_shapefile(tmp_path / "src").with_suffix(".dbf"))
    sure = choose_dbf_encoding(layout, override=None, cpg_text=None)
    assert not sure.unsure(0.99) and sure.unsure(1.5)
    tie = choose_dbf_encoding(read_dbf_layout(ambiguous_big5_shapefile(tmp_path / "b").with_suffix(".dbf")),
                              override=None, cpg_text=None)
    assert tie.confidence == 0.5 and tie.unsure(0.5000001) and not tie.unsure(0.5)


def test_text_files_big5_and_gbk_are_told_apart():
    values = sorted({f["properties"]["分區類"] for f in json.loads(HSINCHU.read_text(encoding="utf-8"))["features"]} - {None})
    big5_csv = ("代號,使用分\n" + "\n".join(f"{k},{v}" for k, v in enumerate(values))).encode("big5")
    text, choice = decode_text(big5_csv)
    assert "特定事業專用區(工業)" in text and choice.codec == "cp950" and choice.confidence > 0.999
    gbk_csv = "编号,名称\n1,一号地块（东区）\n2,污水处理厂\n".encode("gbk")
    text, choice = decode_text(gbk_csv)
    assert "污水处理厂" in text and choice.codec == "gb18030" and choice.confidence > 0.999
    assert choice.samples["cp950"][0] != "一号地块（东区）"


# -- UTF-16 and CR line ends ----------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [cr_only_csv, lambda p: utf16_csv(p, bom=False), lambda p: utf16_csv(p, bom=True)],
                         ids=["cr-only", "utf16-no-bom", "utf16-bom"])
def test_cr_only_and_utf16_csv_import(tmp_path, run, tiny_park, make):
    before = _layer(tiny_park, "facilities")
    result = run("import", "facilities", make(tmp_path / "gates.csv"), "--mode", "append")
    assert result.exit_code == 0, result.output
    after = _layer(tiny_park, "facilities").set_index("facility_id")
    assert len(after) == len(before) + 2
    assert after.loc[["G-N", "G-W"], "name"].tolist() == ["北门", "西门"]
    assert after.loc["F1", "name"] == "东门"  # the park's own gate untouched
    # Hand-made at 100 and 200 m east, 230 m north of the park's origin: back within a millimetre.
    from conftest import X0, Y0

    points = after.loc[["G-N", "G-W"]].geometry.to_numpy()
    assert shapely.get_coordinates(points) == pytest.approx(np.array([[X0 + 100, Y0 + 230], [X0 + 200, Y0 + 230]]),
                                                            abs=1e-3)


def test_utf16_detection_needs_the_zero_bytes_of_ascii():
    assert decode_text("a,b\r1,2\r".encode("utf-16-le"))[1].codec == "utf-16-le"
    assert decode_text("名称,编号\n地块,1\n".encode("utf-16-be"))[1].codec == "utf-16-be"
    assert decode_text("a,b\n1,2\n".encode("utf-8"))[1].codec == "utf-8"  # no zero bytes: not UTF-16


# -- mixed geometry types -------------------------------------------------------------------------------------


def test_mixed_geometry_imports_the_layers_kind_and_names_the_rest(tmp_path, run, tiny_park):
    source = mixed_geojson(tmp_path / "osm.geojson")
    result = run("import", "parcels", source, "--mode", "append")
    assert result.exit_code == 0, result.output
    assert ("row 2 · geometry: Point, not a polygon: not imported (layer 'parcels' holds polygons); points fit "
            "layer(s) facilities: import the file into one of them for these records") in result.output
    assert "row 3 · geometry: LineString, not a polygon" in result.output
    assert set(_layer(tiny_park, "parcels")["parcel_id"]) == {"P1", "P2", "P3", "MX-1", "MX-4"}
    # The same file into facilities takes the gate and names the plots and the lane.
    result = run("import", "facilities", source, "--mode", "append")
    assert result.exit_code == 0, result.output
    assert "row 1, row 4 · geometry: Polygon, not a point: not imported" in result.output
    facilities = _layer(tiny_park, "facilities")
    assert len(facilities) == 2 and facilities["name"].tolist()[-1] == "北门"


# -- parts that collapse, coordinates in the source's CRS -----------------------------------------------------


def test_collapsed_part_is_dropped_with_the_place_in_the_files_coordinates(tmp_path, run):
    """The known failure: refused even with --accept-damaged, the point given in the working CRS."""
    shp, (x, y) = collapsing_pipeline_shapefile(tmp_path / "src")
    park = tmp_path / "kh.gpkg"
    result = run("import", "pipelines", shp, "--park", park)
    assert result.exit_code == 0, result.output
    assert (f"row 1 · geometry: 1 part(s) collapsed to length under 1 µm once transformed into the working CRS: "
            f"dropped (the first at ({x:.3f}, {y:.3f}) in the source's coordinates (EPSG:3826 TWD97 / TM2 zone 121))"
            ) in result.output
    pipes = GeoPackageStore(park).load("pipelines")
    assert len(pipes) == 59
    # SOURCE.md: 162.4 km in all (GK CM 120°E at 120.3°E stretches lengths by ~1e-5); the part is 3e-11 m.
    assert shapely.length(pipes.geometry.to_numpy()).sum() / 1000 == pytest.approx(162.427, rel=2e-4)


def test_a_line_that_collapses_whole_is_damaged(tmp_path, run):
    shp, (x, y) = collapsing_pipeline_shapefile(tmp_path / "src", whole_line=True)
    park = tmp_path / "kh.gpkg"
    result = run("import", "pipelines", shp, "--park", park)
    assert result.exit_code == 2
    assert (f"row 1 · geometry: collapses once transformed into the working CRS: every part has length under 1 µm "
            f"(the first at ({x:.3f}, {y:.3f}) in the source's coordinates") in result.output
    assert not park.exists()
    result = run("import", "pipelines", shp, "--park", park, "--accept-damaged")
    assert result.exit_code == 0, result.output
    assert "row 1 · geometry: left out: collapses once transformed" in result.output
    assert len(GeoPackageStore(park).load("pipelines")) == 58


def test_a_speck_in_gcj02_data_is_named_in_the_files_gcj02_coordinates(tmp_path, run):
    shp, (lon, lat) = macau_with_a_speck(tmp_path / "src")
    park = tmp_path / "macau.gpkg"
    result = run("import", "zones", shp, "--park", park, "--crs", "gcj02")
    assert result.exit_code == 0, result.output
    # The park's CRS is CGCS2000 GK CM 114°E; the message gives the point as the file holds it (GCJ-02 lon/lat).
    assert (f"row 1 · geometry: 1 part(s) collapsed to area under 1 µm² once transformed into the working CRS: "
            f"dropped (the first at ({lon:.8f}, {lat:.8f}) in the source's coordinates (GCJ-02 (Amap/Gaode, "
            "Tencent)))") in result.output
    zones = GeoPackageStore(park).load("zones")
    assert len(zones) == 8 and zones.geometry.iloc[0].geom_type == "Polygon"  # the speck gone, the district kept


def test_source_coordinates_undo_the_transformation_the_offset_and_the_swap():
    park = CRS.from_epsg(4549)
    lon, lat = 121.4, 28.65
    x, y = Transformer.from_crs(4326, 4549, always_xy=True).transform(lon, lat)
    assert SourceCoordinates(CrsChoice(CRS.from_epsg(4326), "test"), park)(x, y) == pytest.approx((lon, lat))
    # A GCJ-02 file: the message gives the GCJ-02 lon/lat the file holds (the published forward formula).
    from geo.gcj02 import wgs84_to_gcj02

    gcj = SourceCoordinates(CrsChoice(CRS.from_epsg(4326), "test", offset="gcj02"), park)(x, y)
    assert gcj == pytest.approx(tuple(map(float, wgs84_to_gcj02(lon, lat))), abs=1e-9)
    # Surveyors' X = north: the file holds (y, x).
    swapped = SourceCoordinates(CrsChoice(CRS.from_epsg(4549), "test", swap_xy=True), park)(x, y)
    assert swapped == pytest.approx((y, x))


def test_validation_points_are_rewritten_in_the_source_coordinates():
    park = CRS.from_epsg(4549)
    to_source = SourceCoordinates(CrsChoice(CRS.from_epsg(4326), "test"), park)
    x, y = Transformer.from_crs(4326, 4549, always_xy=True).transform(121.4, 28.65)
    text = to_source.rewrite(f"invalid geometry: Self-intersection[{x} {y}]")
    assert text == ("invalid geometry: Self-intersection at (121.40000000, 28.65000000) (the source's coordinates, "
                    "EPSG:4326 WGS 84)")


# -- ids ------------------------------------------------------------------------------------------------------


def test_id_column_faults():
    assert id_column_fault(pd.Series(["100", "100", "100"])) == "holds one value on every row ('100')"
    assert id_column_fault(pd.Series(["1", "2", "2"])) == ("holds duplicates ('2' ×2; 2 distinct values on "
                                                            "3 rows)")
    assert id_column_fault(pd.Series(["1", "2", "3"])) is None
    assert id_column_fault(pd.Series(["7", None])) is None  # one id: nothing to compare


def test_constant_id_gets_generated_ids_and_the_choice(tmp_path, run, tiny_park):
    """The known failure: ID = 100 on every row taken as the id and the whole file refused."""
    source = constant_id_geojson(tmp_path / "plots.geojson", with_parcel_numbers=False)
    before = file_digest(tiny_park.path)
    result = run("import", "parcels", source, "--mode", "append", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["choices"]["id_field"] == {"source": "ID", "fault": "holds one value on every row ('100')",
                                             "candidates": ["名称", "备注"]}
    assert set(_layer(tiny_park, "parcels")["parcel_id"]) == {"P1", "P2", "P3", "AUTO-parcels-1", "AUTO-parcels-2",
                                                               "AUTO-parcels-3"}
    assert file_digest(tiny_park.path) != before
    # Upsert needs ids: refused, with the choice printed as the command line's hint.
    result = run("import", "parcels", source, "--mode", "upsert")
    assert result.exit_code == 2
    assert "hint: choose the id field with --id-field FIELD (could be: 名称, 备注), or --id-field AUTO" in result.output


def test_constant_id_beside_the_real_parcel_numbers_takes_them(tmp_path, run, tiny_park):
    source = constant_id_geojson(tmp_path / "plots.geojson", with_parcel_numbers=True)
    result = run("import", "parcels", source, "--mode", "upsert")
    assert result.exit_code == 0, result.output
    assert ("all · ID: holds one value on every row ('100'): it is not an id; parcel_id taken from '宗地号', which "
            "names it too and holds a value on every record, each once") in result.output
    assert "field mapping: 名称 → name, 宗地号 → parcel_id" in result.output
    assert {"ZD-7", "ZD-8", "ZD-9"} <= set(_layer(tiny_park, "parcels")["parcel_id"])


def test_id_field_chosen_on_the_command_line(tmp_path, run, tiny_park):
    source = constant_id_geojson(tmp_path / "plots.geojson", with_parcel_numbers=True)
    before = file_digest(tiny_park.path)
    result = run("import", "parcels", source, "--mode", "append", "--id-field", "Nope")
    assert result.exit_code == 2
    assert "no field 'Nope' in the source to take the ids from; fields: ID, 名称, 备注, 宗地号" in result.output
    assert file_digest(tiny_park.path) == before
    result = run("import", "parcels", source, "--mode", "append", "--id-field", "备注")
    assert result.exit_code == 0, result.output
    assert "ids from the source field '备注', as chosen" in result.output
    result = run("import", "parcels", source, "--mode", "append", "--id-field", "AUTO")
    assert result.exit_code == 0, result.output
    ids = set(_layer(tiny_park, "parcels")["parcel_id"])
    assert {"a", "b", "c", "AUTO-parcels-1", "AUTO-parcels-3"} <= ids and "ZD-7" not in ids
    # A chosen field with duplicates is the user's word: its duplicates are problems.
    result = run("import", "parcels", source, "--mode", "append", "--id-field", "ID")
    assert result.exit_code == 2 and "duplicate id" in result.output


# -- far from the park ----------------------------------------------------------------------------------------


def test_data_430_km_away_is_refused_without_the_flag(tmp_path, run, tiny_park):
    """The known failure: 430 km away imported without a word, the overview zoomed out to a dot."""
    source = far_geojson(tmp_path / "far.geojson", km=430)
    before = file_digest(tiny_park.path)
    result = run("import", "parcels", source, "--mode", "append")
    assert result.exit_code == 2
    assert ("2 records: row 1, row 2 · geometry: lies 430.0 km from the park boundary (zones, kind park_boundary); "
            "data more than 10 km from the park is most often in a wrong CRS or another place's file") in result.output
    assert "hint: 2 record(s) lie 430.0 km from the park; if they belong to it, import with --accept-far" \
        in result.output
    assert file_digest(tiny_park.path) == before
    result = run("import", "parcels", source, "--mode", "append", "--accept-far")
    assert result.exit_code == 0, result.output
    assert "accepted, as confirmed" in result.output
    assert {"FAR-1", "FAR-2"} <= set(_layer(tiny_park, "parcels")["parcel_id"])


@pytest.mark.parametrize(("km", "flagged"), [(9.99, False), (10.01, True)])
def test_the_far_threshold_on_both_sides(tmp_path, run, tiny_park, km, flagged):
    result = run("import", "parcels", far_geojson(tmp_path / "f.geojson", km=km), "--mode", "append", "--dry-run")
    assert result.exit_code == (2 if flagged else 0), result.output
    assert ("lies 10.01 km from the park boundary" in result.output) is flagged


def test_without_a_boundary_zone_the_extent_of_the_layers_is_the_park(tmp_path, tiny_park):
    from layers.io import ImportOptions, ImportRejected, import_layer

    zones = tiny_park.load("zones")
    tiny_park.save("zones", zones.iloc[0:0])
    # The parcels, buildings, roads, pipelines and the gate span -10…310 × -10…200 m: 10.03 km from the
    # boundary's top (220 m) is 10.05 km from the parcels' top (200 m).
    with pytest.raises(ImportRejected) as caught:
        import_layer(far_geojson(tmp_path / "f.geojson", km=10.03), "parcels", park=tiny_park,
                     options=ImportOptions(mode="append", dry_run=True))
    far = caught.value.report.confirmations["far"]
    assert far["reference"] == "the extent of the park's layers (parcels, buildings, roads, pipelines, facilities)"
    assert far["nearest_km"] == "10.05"
    # A larger threshold in the configuration lets it in.
    import_layer(far_geojson(tmp_path / "f.geojson", km=10.03), "parcels", park=tiny_park,
                 options=ImportOptions(mode="append", dry_run=True, checks=ImportChecks(far_km=10.1)))


def test_a_new_park_has_nothing_to_be_far_from(tmp_path, run):
    result = run("import", "parcels", far_geojson(tmp_path / "f.geojson", km=430), "--park", tmp_path / "new.gpkg")
    assert result.exit_code == 0, result.output
    assert "km from" not in result.output


# -- exports --------------------------------------------------------------------------------------------------


def test_exports_leave_retired_records_out_unless_asked(tmp_path, run, tiny_park):
    parcels = tiny_park.load("parcels")
    parcels.loc[parcels["parcel_id"] == "P3", "retired_on"] = pd.Timestamp("2026-03-01")
    tiny_park.save("parcels", parcels)
    result = run("export", "parcels", tmp_path / "in_force.csv")
    assert result.exit_code == 0, result.output
    assert "2 record(s) of parcels written" in result.output
    assert "note: 1 retired record(s) left out (the export holds the records in force)" in result.output
    assert len(pd.read_csv(tmp_path / "in_force.csv", encoding="utf-8-sig")) == 2
    result = run("export", "parcels", tmp_path / "all.gpkg", "--include-retired")
    assert result.exit_code == 0, result.output
    back = GeoPackageStore(tmp_path / "all.gpkg").load("parcels").set_index("parcel_id")
    assert len(back) == 3 and back.loc["P3", "retired_on"] == pd.Timestamp("2026-03-01")


# -- Shapefile field names cut inside a character --------------------------------------------------------------


def _cut_name_shapefile(folder, names: list[bytes]):
    """A UTF-8 Shapefile of two parcels whose field names are set byte for byte to ``names`` (a writer that cuts
    names at 10 bytes leaves 用地面积 as 用地面 plus the first byte of 积)."""
    import geopandas as gpd

    from layers.io.shapefile import read_dbf_layout, with_field_names

    folder.mkdir()
    frame = gpd.GeoDataFrame({"parcel_id": ["P1", "P2"], **{f"f{i}": [1.5 * (i + 1), 2.0] for i in range(len(names) - 1)}},
                             geometry=[shapely.box(500000, 3300000, 500100, 3300100),
                                       shapely.box(500200, 3300000, 500300, 3300100)], crs="EPSG:4549")
    shp = folder / "cut.shp"
    frame.to_file(shp, engine="pyogrio", encoding="UTF-8")
    dbf = folder / "cut.dbf"
    assert len(read_dbf_layout(dbf).fields) == len(names)
    with_field_names(dbf, names, folder / "patched.dbf")
    (folder / "patched.dbf").replace(dbf)
    return shp


def test_field_names_cut_inside_a_character_are_read_without_it_and_said(tmp_path):
    from layers.import_text import chinese
    from layers.io import ImportOptions, import_layer

    cut = "用地面积".encode()[:10]  # 用地面 (9 bytes) + the first byte of 积
    shp = _cut_name_shapefile(tmp_path / "src", [b"parcel_id", cut, cut])  # two names cut the same way
    before = file_digest(shp.with_suffix(".dbf"))
    park = tmp_path / "p.gpkg"
    plan = import_layer(shp, "parcels", park=park, options=ImportOptions())
    kept = GeoPackageStore(park).load("parcels").set_index("parcel_id")["source_attributes"]
    assert [json.loads(kept[p])["values"] for p in ("P1", "P2")] == [{"用地面": 1.5, "用地面2": 3.0},
                                                                    {"用地面": 2.0, "用地面2": 2.0}]
    notes = [p.message for p in plan.report.notices if "cut inside a character" in p.message]
    assert notes == ["field name cut inside a character at the Shapefile's 10-byte limit: read as '用地面'",
                     "field name cut inside a character at the Shapefile's 10-byte limit: read as '用地面2'"]
    assert chinese(notes[0]) == "字段名在 Shapefile 的 10 字节上限处截断了一个字符：按“用地面”读取"
    assert file_digest(shp.with_suffix(".dbf")) == before  # the source is never written


def test_a_name_of_whole_characters_at_the_limit_and_a_shorter_one_are_read_as_they_are(tmp_path):
    from layers.io import ImportOptions, import_layer

    shp = _cut_name_shapefile(tmp_path / "src", [b"parcel_id", "用地面".encode() + b"A", "面积".encode()])
    plan = import_layer(shp, "parcels", park=tmp_path / "p.gpkg", options=ImportOptions(dry_run=True))
    assert not [p.message for p in plan.report.notices if "cut inside a character" in p.message]
    assert set(plan.report.kept) >= {"用地面A", "面积"}
