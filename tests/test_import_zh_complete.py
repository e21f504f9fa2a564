"""Every import notice and problem the upload page can show has its Chinese (layers/import_text.py).

A representative set of sample files — the messy ones (tests/messy_samples.py), the hostile and everyday ones
(tests/io_samples.py), 国土 TXTs (tests/gtxt_samples.py) and a few written here — goes through the import as the
upload page runs it (a dry run, far records asked for). Each message of the report must have its Chinese in the
catalogue; only the kinds in :data:`CLI_ONLY` may stay English, because the upload form cannot produce them.
A new kind of message a reader starts to write fails here until the catalogue says it in Chinese.
"""

from __future__ import annotations

import json
import re
import zipfile

import geopandas as gpd
import gtxt_samples as gs
import io_samples
import messy_samples
import pytest
from conftest import X0, Y0

from layers.import_text import chinese, record_in
from layers.io import ImportOptions
from layers.io.importer import import_layer
from layers.io.report import ImportRejected, ImportReport, message_for_web

#: Kinds of message only the command line can produce: the upload form offers no way to them (a refusal caused by
#: the server's configuration can reach the page, so it has Chinese). Each is a full-match pattern of the English.
CLI_ONLY = (
    # A source path typed on the command line that is missing or a folder: the web stores what was uploaded.
    re.compile(r".+: no such file"),
    re.compile(r".+: is a folder; give the dataset file .+"),
    # A mapping file given with --mapping (the web applies mappings saved in the park, by name).
    re.compile(r".+: cannot read the mapping file \(.+\)"),
    re.compile(r".+: the mapping file must be UTF-8 text"),
    re.compile(r".+: not valid YAML \(.+\)"),
    # A layer name typed on the command line: the upload form lists the importable layers only.
    re.compile(r"unknown layer '.*'; known layers: .+"),
    re.compile(r"'.*' is a history log, written only as changes happen; it cannot be imported \(layers: .+\)"),
    # A GDAL virtual path or URL typed as the source: an upload is always a file.
    re.compile(r".+: a GDAL virtual path or URL, not a file; .+"),
)


def _cli_only(message: str) -> bool:
    return any(pattern.fullmatch(message) for pattern in CLI_ONLY)


def _english_left(said: str) -> str | None:
    """Three English words in a row outside brackets and quotes (where a library's own words, a file's values and
    coordinates are given as written), or None."""
    bare = re.sub(r"（[^（）]*）|\([^()]*\)|'[^']*'|“[^”]*”", "", said)
    found = re.search(r"\b[A-Za-z]{2,} [a-z]{2,} [a-z]{2,}\b", bare)
    return found and found[0]


def _geojson_text(path, features: list[dict]) -> object:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def _feature(geometry: dict, **properties) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _lonlat_ring(dx: float, dy: float, corners) -> list[list[float]]:
    return [list(messy_samples.lonlat(dx + x, dy + y)) for x, y in corners]


# -- the sample files: each returns (file, layer, options) ---------------------------------------------------------


def _gbk_shapefile(tmp):
    return io_samples.gbk_shapefile(tmp / "src"), "parcels", {}


def _truncated_shapefile(tmp):
    shp = io_samples.gbk_shapefile(tmp / "src")
    io_samples.truncate(shp, shp.stat().st_size - 60)
    return shp, "parcels", {}


def _shapefile_without_dbf(tmp):
    shp = io_samples.gbk_shapefile(tmp / "src")
    shp.with_suffix(".dbf").unlink()
    return shp, "parcels", {}


def _records_past_the_dbf(tmp):
    """The .dbf of a one-record copy beside the three-record .shp: the counts disagree."""
    shp = io_samples.gbk_shapefile(tmp / "src")
    (tmp / "one").mkdir()
    io_samples.gbk_parcels_frame().iloc[:1].to_file(tmp / "one" / "one.shp", encoding="gbk", engine="pyogrio")
    shp.with_suffix(".dbf").write_bytes((tmp / "one" / "one.dbf").read_bytes())
    return shp, "parcels", {}


def _ambiguous_big5_shapefile(tmp):
    """Big5 names GB18030 reads as other words: the encoding is unsure, and the page says why in Chinese."""
    return messy_samples.ambiguous_big5_shapefile(tmp / "b5"), "parcels", {}


def _utf16_csv_without_bom(tmp):
    return messy_samples.utf16_csv(tmp / "gates.csv", bom=False), "facilities", {}


def _nan_shapefile(tmp):
    return io_samples.nan_coordinates_shapefile(tmp / "nan"), "parcels", {}


def _zip_with_styles(tmp):
    shp = io_samples.gbk_shapefile(tmp / "src")
    style = tmp / "src" / "parcels.qml"
    style.write_text("<qgis/>", encoding="utf-8")
    return io_samples.zip_files([*io_samples.shapefile_files(shp), style], tmp / "地块.zip"), "parcels", {}


def _zip_slip(tmp):
    return io_samples.zip_slip(tmp / "slip.zip"), "parcels", {}


def _zip_bomb(tmp):
    return io_samples.zip_bomb(tmp / "bomb.zip", megabytes=4), "parcels", {}


def _zip_damaged(tmp):
    path = tmp / "liar.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("parcels.geojson", '{"type": "FeatureCollection", "features": []}')
    data = bytearray(path.read_bytes())
    at = data.index(b'{"type"')
    data[at + 2] ^= 0x01  # one byte of the member changed: its CRC no longer holds
    path.write_bytes(bytes(data))
    return path, "parcels", {}


def _mixed_kinds(tmp):
    return messy_samples.mixed_geojson(tmp / "osm.geojson"), "parcels", {}


def _points_into_parcels(tmp):
    return io_samples.points_geojson(tmp / "gates.geojson"), "parcels", {}


def _constant_ids(tmp):
    return messy_samples.constant_id_geojson(tmp / "c.geojson", with_parcel_numbers=False), "parcels", {}


def _constant_ids_beside_parcel_numbers(tmp):
    return messy_samples.constant_id_geojson(tmp / "c.geojson", with_parcel_numbers=True), "parcels", {}


def _far_plots_asked(tmp):
    return messy_samples.far_geojson(tmp / "far.geojson", km=30), "parcels", {"ask_far": True}


def _far_plots_refused(tmp):
    return messy_samples.far_geojson(tmp / "far.geojson", km=30), "parcels", {"ask_far": False}


def _overlapping_plots(tmp):
    """Two plots that overlap by 20 m × 40 m, and a thin one beside them: topology notices."""
    frame = gpd.GeoDataFrame({"parcel_id": ["OV-1", "OV-2", "OV-3"]},
                             geometry=[messy_samples.square(0, 300), messy_samples.square(20, 300),
                                       messy_samples.square(0, 400, side=0.5)], crs=4326)
    path = tmp / "overlap.geojson"
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path, "parcels", {}


def _repairs(tmp):
    """A bow-tie (self-intersection, repaired), a ring of two points (nothing survives), a 3D multipolygon
    (heights dropped, parts exploded into buildings) and a geometry collection."""
    bowtie = _lonlat_ring(0, 0, [(0, 0), (40, 40), (40, 0), (0, 40), (0, 0)])
    flat = _lonlat_ring(60, 0, [(0, 0), (40, 0), (0, 0), (0, 0)])
    parts = [[[[*p, 12.0] for p in _lonlat_ring(120 + 50 * k, 0, [(0, 0), (30, 0), (30, 30), (0, 30), (0, 0)])]]
             for k in range(2)]
    collection = {"type": "GeometryCollection", "geometries": [
        {"type": "Polygon", "coordinates": [_lonlat_ring(0, 100, [(0, 0), (30, 0), (30, 30), (0, 30), (0, 0)])]},
        {"type": "Point", "coordinates": list(messy_samples.lonlat(0, 150))}]}
    return _geojson_text(tmp / "b.geojson", [
        _feature({"type": "Polygon", "coordinates": [bowtie]}, building_id="B-1"),
        _feature({"type": "Polygon", "coordinates": [flat]}, building_id="B-2"),
        _feature({"type": "MultiPolygon", "coordinates": parts}, building_id="B-3"),
        _feature(collection, building_id="B-4"),
    ]), "buildings", {"accept_damaged": True}


def _repairs_refused(tmp):
    path, layer, _ = _repairs(tmp)
    return path, layer, {}


def _cad_plan(tmp):
    return io_samples.cad_plan(tmp / "plan.dxf"), "parcels", {}


def _cad_plan_into_roads(tmp):
    return io_samples.cad_plan(tmp / "plan.dxf"), "facilities", {}


def _phone_kml(tmp):
    return io_samples.phone_kml(tmp / "外业.kml"), "parcels", {}


def _broken_kml(tmp):
    path = tmp / "cut.kml"
    path.write_text(io_samples.PHONE_KML[: io_samples.PHONE_KML.index("<Placemark><name>西门") + 40], encoding="utf-8")
    return path, "parcels", {"accept_damaged": False}


def _gcj02_csv(tmp):
    return io_samples.gcj02_csv(tmp / "设施.csv"), "facilities", {}


def _gcj02_csv_given_a_projected_crs(tmp):
    return io_samples.gcj02_csv(tmp / "设施.csv"), "facilities", {"crs": "EPSG:4549"}


def _crs_not_a_crs(tmp):
    return io_samples.gcj02_csv(tmp / "设施.csv"), "facilities", {"crs": "EPSG:99999999"}


def _encoding_not_an_encoding(tmp):
    return io_samples.gcj02_csv(tmp / "设施.csv"), "facilities", {"encoding": "klingon"}


def _xy_table_with_title_and_totals(tmp):
    """A surveyor's CSV: a title line, X坐标/Y坐标 in the working CRS, a bad number, a totals row."""
    rows = ["某园区设施一览表,,,", "设施编号,名称,X坐标,Y坐标",
            f"F-1,东区变电站,{X0 + 10:.3f},{Y0 + 10:.3f}", f"F-2,南门,{X0 + 50:.3f},abc", f"F-3,西门,{X0 + 90:.3f},",
            "合计,3,,"]
    path = tmp / "设施表.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("gb18030"))
    return path, "facilities", {"crs": "EPSG:4549"}


def _wkt_table(tmp):
    rows = ["parcel_id,name,WKT", f"W-1,甲,\"POLYGON (({X0} {Y0}, {X0 + 50} {Y0}, {X0 + 50} {Y0 + 50}, {X0} {Y0}))\"",
            "W-2,乙,POLYGON ((broken"]
    path = tmp / "wkt.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path, "parcels", {"crs": "EPSG:4549"}


def _table_without_geometry(tmp):
    path = tmp / "names.csv"
    path.write_text("parcel_id,name\nP-9,甲\n", encoding="utf-8")
    return path, "parcels", {}


def _vertex_table(tmp):
    rows = ["地块编号,点号,X坐标,Y坐标", f"T-1,J1,{Y0:.3f},{X0:.3f}", f",J2,{Y0:.3f},{X0 + 60:.3f}",
            f",J3,{Y0 + 60:.3f},{X0 + 60:.3f}", f",J4,{Y0 + 60:.3f},{X0:.3f}", f"T-2,J1,{Y0:.3f},{X0 + 100:.3f}",
            f",J2,abc,{X0 + 120:.3f}"]
    path = tmp / "界址点.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("gb18030"))
    return path, "parcels", {"crs": "EPSG:4549"}


def _gtxt(tmp, plots, *, header=gs.STANDARD_HEADER, **options):
    return gs.write(tmp, gs.gtxt(plots, header=header)), "parcels", options


def _gtxt_plots(tmp):
    """An area that disagrees, X and Y exchanged, a plot in another zone, a plot not closed."""
    other_zone = [line.replace(",40", ",39") if line.startswith("J") else line
                  for line in gs.one_hectare("DK-4", dn=600)]
    return _gtxt(tmp, [gs.one_hectare(area="1.2000"), gs.one_hectare("DK-2", dn=200, swap=True), other_zone,
                       gs.one_hectare("DK-5", dn=800, close=False, count="4")])


def _gtxt_without_crs(tmp):
    header = {k: v for k, v in gs.STANDARD_HEADER.items() if k != "坐标系"}
    return _gtxt(tmp, [gs.one_hectare()], header=header)


def _gtxt_without_zone(tmp):
    header = {k: v for k, v in gs.STANDARD_HEADER.items() if k != "带号"}
    return _gtxt(tmp, [gs.one_hectare(prefix=False)], header=header)


def _gtxt_into_roads(tmp):
    path, _, options = _gtxt(tmp, [gs.one_hectare()])
    return path, "roads", options


def _two_layer_geopackage(tmp):
    path = tmp / "two.gpkg"
    for name in ("甲", "乙"):
        gpd.GeoDataFrame({"parcel_id": [name]}, geometry=[messy_samples.square(0, 0)], crs=4326).to_file(
            path, layer=name, engine="pyogrio")
    return path, "parcels", {}


def _not_what_it_says(tmp):
    path = tmp / "parcels.geojson"
    path.write_text("宗地号,名称\nA,甲\n", encoding="utf-8")
    return path, "parcels", {}


def _virtual_dataset_named_geojson(tmp):
    path = tmp / "evil.geojson"
    path.write_text('<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/vsicurl/http://example.invalid/x.csv'
                    '</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>', encoding="utf-8")
    return path, "parcels", {}


def _gpx_named_kml(tmp):
    path = tmp / "track.kml"
    path.write_text('<?xml version="1.0"?><gpx version="1.1"><wpt lat="28.65" lon="121.4"/></gpx>', encoding="utf-8")
    return path, "parcels", {}


def _empty_file(tmp):
    path = tmp / "parcels.kml"
    path.write_bytes(b"")
    return path, "parcels", {}


def _unknown_kind(tmp):
    path = tmp / "parcels.abc"
    path.write_text("?", encoding="utf-8")
    return path, "parcels", {}


SAMPLES = {name[1:]: sample for name, sample in sorted(globals().items())
           if name.startswith("_") and callable(sample) and name not in ("_cli_only", "_english_left", "_geojson_text", "_feature",
                                                                         "_lonlat_ring", "_gtxt")}


def _report(path, layer, options, park) -> ImportReport:
    try:
        return import_layer(path, layer, park=park, options=ImportOptions(dry_run=True, **options)).report
    except ImportRejected as rejected:
        return rejected.report


def _messages(report: ImportReport) -> list[str]:
    return [problem.message for problem in report.problems + report.notices]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_message_of_the_sample_has_chinese(name, tmp_path, tiny_park):
    path, layer, options = SAMPLES[name](tmp_path)
    report = _report(path, layer, options, tiny_park)
    messages = _messages(report)
    assert messages, f"{name}: the sample says nothing, so it checks nothing"
    untranslated = [m for m in dict.fromkeys(messages) if chinese(m) is None and not _cli_only(m)]
    assert untranslated == []
    # What the upload page shows in Chinese: no English sentence and no flag left in it.
    for message in messages:
        if not _cli_only(message):
            said = message_for_web(message, "zh")
            assert "--" not in said and not _english_left(said), said
    # The records they concern (row 3, 全部记录, a gap's place), as the Chinese page labels them.
    for problem in report.problems + report.notices:
        assert not _english_left(record_in(problem.record)), problem.record
    # How the encoding and the CRS were chosen, as the Chinese page's facts say it.
    page = report.worded_for_web("zh")
    for how in (page.encoding, page.crs_how, (page.choices.get("id_field") or {}).get("fault")):
        assert not _english_left(how or ""), how


def test_the_cli_only_kinds_are_ones_the_catalogue_lacks_and_only_those():
    """The allow-list excuses only messages the catalogue really lacks: nothing translated hides behind it, and a
    message of the upload page is not excused."""
    cli = ["/tmp/x/no-such.shp: no such file", "/tmp/x/absent.yaml: cannot read the mapping file (No such file)",
           "unknown layer 'plots'; known layers: zones, parcels",
           "'case_events' is a history log, written only as changes happen; it cannot be imported (layers: zones)"]
    assert [m for m in cli if not _cli_only(m) or chinese(m) is not None] == []
    web = ["报批.txt: 18 lines; at most 17 are read from one 国土 TXT (split it into several files)",
           "PARKATLAS_GTXT_CLOSURE_M='-1' is not a number ≥ 0 (default 0.01)",
           "two.gpkg: several layers (甲, 乙); choose one with --source-layer"]
    assert [m for m in web if _cli_only(m)] == []


@pytest.mark.parametrize("parcels", ["linked", "none", "empty"])
def test_every_link_message_of_an_enterprise_list_has_chinese(tmp_path, parcels):
    """An enterprise list's 所在地块 (layers/io/links.py) in each case it can meet: parcels linked, not found, retired,
    linked to another enterprise, named twice, a second column naming parcels; a park without parcels, or with an
    empty parcels layer."""
    import geopandas as gpd
    import pandas as pd
    from conftest import TINY_META, tiny_frames
    from enterprise_samples import HEADER, enterprise_rows, write_list

    from layers.store import GeoPackageStore

    frames = tiny_frames()
    if parcels == "linked":  # P4 retired beside P1 (E1's), P2 (E2's), P3 (nobody's)
        extra = frames["parcels"].iloc[[2]].assign(parcel_id="P4", retired_on=pd.Timestamp("2024-01-01"))
        frames["parcels"] = gpd.GeoDataFrame(pd.concat([frames["parcels"], extra], ignore_index=True),
                                             crs=frames["parcels"].crs)
    elif parcels == "none":
        del frames["parcels"], frames["buildings"]
    else:
        frames["parcels"] = frames["parcels"].iloc[:0]
        del frames["buildings"]
    park = GeoPackageStore(tmp_path / "park.gpkg")
    park.save_park(frames, TINY_META)
    rows = [[*row, "P1"] for row in enterprise_rows(5)]
    rows[4][3] = "P3、P9，P4"  # P3 named by the third and the fifth enterprise
    report = _report(write_list(tmp_path / "名单.xlsx", rows, header=[*HEADER, "宗地号"]), "enterprises",
                     {"mode": "upsert"}, park)
    said = [m for m in _messages(report) if "parcels" in m]
    assert said, "the list says nothing of parcels, so it checks nothing"
    if parcels == "linked":  # every outcome, and the second column
        assert set(report.links["parcels"]) == {"linked", "not_found", "conflicts", "claimed_twice", "retired"}
        assert any(m.startswith("also names parcels") for m in said)
    for message in _messages(report):
        zh = chinese(message)
        assert zh is not None, message
        assert not _english_left(zh), zh
