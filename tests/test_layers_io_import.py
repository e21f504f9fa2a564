"""End-to-end imports: the GBK zone-prefixed Shapefile of the Done-when, new parks, modes, dry runs, archive."""

import datetime as dt
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from io_samples import (
    EPSG_CM120,
    GBK_SHAPES,
    X0,
    Y0,
    file_digest,
    gbk_shapefile,
    geodesic_area_m2,
    independent_area_m2,
    shapefile_files,
    shifted,
    zip_files,
)

from geo.units import M2_PER_MU
from layers.io import ImportOptions, ImportRejected, import_layer
from layers.io.archive import archive_folder_for, sha256_of
from layers.registry import get_layer
from layers.store import GeoPackageStore
from layers.valid_time import fill_valid_time

TODAY = dt.date(2026, 6, 30)


def _options(**kwargs) -> ImportOptions:
    return ImportOptions(today=TODAY, **kwargs)


# -- the Done-when Shapefile -------------------------------------------------------------------------------


@pytest.mark.parametrize("with_prj", [True, False], ids=["prj", "no-prj"])
def test_gbk_shapefile_in_epsg4528_imports_with_text_and_areas(tmp_path, with_prj):
    shp = gbk_shapefile(tmp_path / "src")
    if not with_prj:
        shp.with_suffix(".prj").unlink()
    park = tmp_path / "new_park.gpkg"

    plan = import_layer(shp, "parcels", park=park, options=_options())

    report = plan.report
    assert report.committed and report.new_park
    assert report.encoding.startswith("GB18030")  # no .cpg: UTF-8 fails, GB18030 decodes
    assert "EPSG:4528" in report.source_crs
    assert ("declared in the file" in report.crs_how) if with_prj else ("zone prefix 40" in report.crs_how)
    store = GeoPackageStore(park)
    assert store.read_meta()["working_epsg"] == EPSG_CM120  # data at 120.1°E → CM 120°E
    parcels = store.load("parcels").set_index("parcel_id")
    assert list(parcels.index) == ["ZD-001", "ZD-002", "ZD-003"]
    assert list(parcels["name"]) == ["一号地块（东区）", "二号地块", "三号·仓储"]
    assert list(parcels["tenure"]) == ["granted", "granted", "allocated"]
    assert parcels.loc["ZD-001", "land_price_wan"] == 300.0
    assert parcels.loc["ZD-002", "land_price_wan"] == 450.5
    assert np.isnan(parcels.loc["ZD-003", "land_price_wan"])
    # 2021/3/1, 2021年3月15日 and the Excel serial 44256 (= 2021-03-01).
    assert list(parcels["contract_date"].dt.strftime("%Y-%m-%d")) == ["2021-03-01", "2021-03-15", "2021-03-01"]
    # GB 50137 codes crosswalked to 用地用海 2023, the originals kept and flagged.
    assert list(parcels["land_use"]) == ["100101", "100102", "110101"]
    assert set(parcels["land_use_std"]) == {"用地用海2023"}
    assert list(parcels["land_use_original"]) == ["M1", "M2", "W1"]
    assert set(parcels["land_use_original_std"]) == {"GB50137-2011"}
    assert parcels["land_use_review"].all()

    areas = shapely.area(parcels.geometry.to_numpy())
    for area, source in zip(areas, GBK_SHAPES):
        expected = independent_area_m2(source)
        assert abs(area - expected) / expected < 1e-4
        geodesic = geodesic_area_m2(shifted(source), 4528)
        assert abs(area - geodesic) / geodesic < 1e-4
    assert [independent_area_m2(s) for s in GBK_SHAPES] == [10_000.0, 10_000.0, 9_200.0]  # by hand


def test_zipped_shapefile_with_gbk_member_names_imports_the_same(tmp_path):
    shp = gbk_shapefile(tmp_path / "src")
    archive = zip_files(shapefile_files(shp), tmp_path / "宗地.zip", gbk_names=True, prefix="数据/")
    park = tmp_path / "park.gpkg"

    plan = import_layer(archive, "parcels", park=park, options=_options())

    assert plan.report.committed
    names = GeoPackageStore(park).load("parcels")["name"].tolist()
    assert names == ["一号地块（东区）", "二号地块", "三号·仓储"]


def test_cpg_is_honoured_and_said(tmp_path):
    shp = gbk_shapefile(tmp_path / "src", cpg=True)  # .cpg says 936 (GBK)
    plan = import_layer(shp, "parcels", park=tmp_path / "p.gpkg", options=_options(dry_run=True))
    assert plan.report.encoding == "GBK (from 地块.cpg)"


def test_wrong_encoding_override_rejects_every_record_it_cannot_decode(tmp_path):
    shp = gbk_shapefile(tmp_path / "src")
    with pytest.raises(ImportRejected) as caught:
        import_layer(shp, "parcels", park=tmp_path / "p.gpkg", options=_options(encoding="UTF-8"))
    text = caught.value.report.text()
    assert "row 1, row 2, row 3 · record: damaged: text does not decode as UTF-8" in text
    assert not (tmp_path / "p.gpkg").exists()


def test_mapping_file_maps_fields_values_defaults_and_units(tmp_path):
    shp = gbk_shapefile(tmp_path / "src")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "fields:\n  地块名称: null\n  土地价款: registered_area_m2\n"
        "units:\n  土地价款: mu\n"
        "values:\n  land_use: {W1: M3}\n"
        "defaults:\n  status: supplied\n",
        encoding="utf-8",
    )
    plan = import_layer(shp, "parcels", park=tmp_path / "p.gpkg", options=_options(mapping_path=str(mapping)))
    parcels = GeoPackageStore(tmp_path / "p.gpkg").load("parcels").set_index("parcel_id")
    assert parcels["name"].isna().all()
    assert parcels.loc["ZD-001", "registered_area_m2"] == pytest.approx(300 * M2_PER_MU)
    assert parcels.loc["ZD-003", "land_use"] == "100103"  # W1 → M3 by the mapping, then crosswalked
    assert set(parcels["status"]) == {"supplied"}
    assert "地块名称" not in plan.report.mapping


# -- dry run, archive, park unchanged ----------------------------------------------------------------------


def test_dry_run_changes_nothing(tmp_path, tiny_park):
    shp = gbk_shapefile(tmp_path / "src")
    before = file_digest(tiny_park.path)

    # accept_far: the sample lies 126 km from the tiny park (data far from the park: test_layers_io_messy).
    plan = import_layer(shp, "parcels", park=tiny_park, options=_options(dry_run=True, mode="upsert", accept_far=True))

    assert plan.report.dry_run and not plan.report.committed
    assert plan.report.counts["added"] == 3
    assert file_digest(tiny_park.path) == before
    assert not archive_folder_for(tiny_park.path).exists()
    new_park = tmp_path / "never.gpkg"
    import_layer(shp, "parcels", park=new_park, options=_options(dry_run=True))
    assert not new_park.exists()


def test_original_is_archived_with_its_checksum(tmp_path, tiny_park):
    shp = gbk_shapefile(tmp_path / "src")
    archive = zip_files(shapefile_files(shp), tmp_path / "parcels.zip")

    plan = import_layer(archive, "parcels", park=tiny_park, options=_options(mode="upsert", accept_far=True))

    folder = archive_folder_for(tiny_park.path)
    entries = [json.loads(line) for line in (folder / "index.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["layer"] == "parcels" and entry["mode"] == "upsert" and entry["original"] == "parcels.zip"
    stored = folder / entry["archived"]
    assert stored.read_bytes() == archive.read_bytes()
    assert entry["sha256"] == sha256_of(archive)
    assert set(entry["members"]) == {"地块.shp", "地块.shx", "地块.dbf", "地块.prj"}
    assert str(stored) in plan.report.archive
    assert not list(folder.glob("*.partial"))


def test_loose_shapefile_is_archived_as_one_zip_of_its_files(tmp_path, tiny_park):
    shp = gbk_shapefile(tmp_path / "src")
    import_layer(shp, "parcels", park=tiny_park, options=_options(mode="upsert", accept_far=True))
    index = archive_folder_for(tiny_park.path) / "index.jsonl"
    (entry,) = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines()]
    assert entry["archived"].endswith("-parcels-地块.zip")
    assert entry["members"]["地块.dbf"] == sha256_of(shp.with_suffix(".dbf"))


def test_data_far_outside_the_park_zone_is_rejected_and_the_park_unchanged(tmp_path, tiny_park):
    frame = gpd.GeoDataFrame({"parcel_id": ["MO"]}, geometry=[shapely.box(113.54, 22.19, 113.55, 22.20)], crs=4326)
    source = tmp_path / "macau.geojson"
    frame.to_file(source, driver="GeoJSON", engine="pyogrio")
    before = file_digest(tiny_park.path)
    with pytest.raises(ImportRejected, match=r"outside the park's working CRS EPSG:4549"):
        import_layer(source, "parcels", park=tiny_park, options=_options(mode="upsert"))
    assert file_digest(tiny_park.path) == before


# -- modes and history -------------------------------------------------------------------------------------


def _parcels_file(tmp_path, rows: list[tuple[str, str, tuple[float, float, float, float]]], name="in.geojson"):
    """A GeoJSON of parcels in the tiny park's CRS (EPSG:4549, written as such)."""
    from conftest import X0 as TX0
    from conftest import Y0 as TY0

    frame = gpd.GeoDataFrame(
        {"parcel_id": [r[0] for r in rows], "name": [r[1] for r in rows]},
        geometry=[shapely.box(TX0 + a, TY0 + b, TX0 + c, TY0 + d) for *_, (a, b, c, d) in rows],
        crs=EPSG_CM120,
    )
    path = tmp_path / name
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def _seed_history(store: GeoPackageStore) -> None:
    """A register kept since 2020, its valid time derived as an import or the migration derives it."""
    parcels = store.load("parcels")
    parcels["first_added"] = pd.Timestamp("2020-01-01")
    parcels["last_updated"] = pd.Timestamp("2020-01-01")
    store.save("parcels", fill_valid_time(parcels, get_layer("parcels"), today=TODAY))


def test_replace_updates_adds_and_retires_keeping_first_added(tmp_path, tiny_park):
    _seed_history(tiny_park)
    source = _parcels_file(tmp_path, [("P1", "一号地块 <b>", (0, 0, 100, 100)),  # unchanged
                                      ("P2", "二号地块（改）", (100, 0, 300, 100)),  # renamed
                                      ("P9", "新地块", (400, 0, 500, 100))])  # new; P3 is gone

    plan = import_layer(source, "parcels", park=tiny_park, options=_options(mode="replace"))

    assert plan.report.counts == {"added": 1, "updated": 1, "unchanged": 1, "retired": 1}
    parcels = tiny_park.load("parcels").set_index("parcel_id")
    assert set(parcels.index) == {"P1", "P2", "P3", "P9"}
    day = pd.Timestamp(TODAY)
    old = pd.Timestamp("2020-01-01")
    assert parcels.loc["P1", "last_updated"] == old and parcels.loc["P1", "first_added"] == old
    assert parcels.loc["P2", "last_updated"] == day and parcels.loc["P2", "first_added"] == old
    assert parcels.loc["P2", "name"] == "二号地块（改）"
    assert parcels.loc["P2", "status"] == "supplied"  # not in the file: kept
    assert parcels.loc["P3", "retired_on"] == day and parcels.loc["P3", "name"] == "三号地块"
    assert parcels.loc["P3", "valid_to"] == day  # gone from the file: no longer true from the import day
    assert parcels.loc["P9", "first_added"] == day and pd.isna(parcels.loc["P9", "retired_on"])
    assert parcels.loc["P1", "valid_from"] == pd.Timestamp("2019-05-01")  # its contract date, kept
    assert pd.isna(parcels.loc["P9", "valid_from"])  # no own date, no valid-from for the file: always
    assert plan.report.records_imported == 3


def test_an_outline_within_a_millimetre_is_unchanged_and_keeps_its_stored_coordinates(tmp_path, tiny_park):
    """The file's copy of P1 is 0.4 mm off (a re-projection's rounding): unchanged, stored coordinates kept;
    P2 moved 2 mm: updated, the file's outline taken."""
    from conftest import X0 as TX0
    from conftest import Y0 as TY0

    _seed_history(tiny_park)
    before = tiny_park.load("parcels").set_index("parcel_id")
    source = _parcels_file(tmp_path, [("P1", "一号地块 <b>", (0.0004, 0, 100, 100)),
                                      ("P2", before.loc["P2", "name"], (100.002, 0, 300, 100))])
    plan = import_layer(source, "parcels", park=tiny_park, options=_options(mode="upsert"))
    assert plan.report.counts == {"added": 0, "updated": 1, "unchanged": 1}
    after = tiny_park.load("parcels").set_index("parcel_id")
    assert after.loc["P1", "geometry"].wkb == before.loc["P1", "geometry"].wkb
    assert after.loc["P2", "geometry"].bounds[0] == pytest.approx(TX0 + 100.002, abs=1e-6)
    assert after.loc["P2", "geometry"].bounds[1] == pytest.approx(TY0, abs=1e-6)


def test_upsert_updates_and_adds_and_leaves_the_rest(tmp_path, tiny_park):
    _seed_history(tiny_park)
    source = _parcels_file(tmp_path, [("P2", "二号地块", (100, 0, 300, 120)), ("P9", "新地块", (400, 0, 500, 100))])

    plan = import_layer(source, "parcels", park=tiny_park, options=_options(mode="upsert"))

    assert plan.report.counts == {"added": 1, "updated": 1}
    parcels = tiny_park.load("parcels").set_index("parcel_id")
    assert parcels["retired_on"].isna().all()
    assert parcels.loc["P2", "geometry"].area == pytest.approx(200 * 120)
    assert parcels.loc["P2", "status"] == "supplied"  # a field the file does not have is kept
    assert parcels.loc["P2", "last_updated"] == pd.Timestamp(TODAY)
    assert parcels.loc["P1", "status"] == "operating"  # untouched
    assert parcels.loc["P1", "last_updated"] == pd.Timestamp("2020-01-01")


def test_append_refuses_ids_already_in_the_park(tmp_path, tiny_park):
    before = file_digest(tiny_park.path)
    source = _parcels_file(tmp_path, [("P1", "重复", (0, 0, 100, 100)), ("P9", "新地块", (400, 0, 500, 100))])
    with pytest.raises(ImportRejected) as caught:
        import_layer(source, "parcels", park=tiny_park, options=_options(mode="append"))
    assert "row 1 (parcel_id=P1) · parcel_id: already in the park; use --mode upsert to update it" in \
        caught.value.report.text()
    assert file_digest(tiny_park.path) == before


def test_an_append_through_a_fresh_store_reads_only_the_ids_it_names(tmp_path, tiny_park, monkeypatch):
    """A command-line import opens a store for it: the ids the file names (and the generated ones taken) are
    looked up by one scan each time they are needed, the layer's whole id index is never read; taken ids are
    refused all the same."""
    from layers import gpkg_rows

    def whole_index(*args, **kwargs):
        raise AssertionError("the whole layer's id index was read")

    monkeypatch.setattr(gpkg_rows.IdIndex, "read", classmethod(whole_index))
    before = file_digest(tiny_park.path)
    taken = _parcels_file(tmp_path, [("P9", "新地块", (400, 0, 500, 100)), ("P2", "重复", (100, 0, 300, 100))])
    with pytest.raises(ImportRejected) as caught:
        import_layer(taken, "parcels", park=GeoPackageStore(tiny_park.path), options=_options(mode="append"))
    assert "row 2 (parcel_id=P2) · parcel_id: already in the park; use --mode upsert to update it" in \
        caught.value.report.text()
    assert file_digest(tiny_park.path) == before

    source = _parcels_file(tmp_path, [("P9", "新地块", (400, 0, 500, 100))], name="new.geojson")
    plan = import_layer(source, "parcels", park=GeoPackageStore(tiny_park.path), options=_options(mode="append"))
    assert plan.report.counts == {"added": 1} and plan.report.records_imported == 4
    assert sorted(tiny_park.load("parcels")["parcel_id"]) == ["P1", "P2", "P3", "P9"]


def test_append_adds_and_generated_ids_continue_after_the_park_highest(tmp_path, tiny_park):
    frame = gpd.GeoDataFrame({"name": ["甲", "乙"]}, geometry=[shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)],
                             crs=EPSG_CM120)
    frame = frame.set_geometry(frame.geometry.translate(636_400, 3_171_000))
    source = tmp_path / "noid.geojson"
    frame.to_file(source, driver="GeoJSON", engine="pyogrio")
    import_layer(source, "parcels", park=tiny_park, options=_options(mode="append"))
    import_layer(source, "parcels", park=tiny_park, options=_options(mode="append"))
    ids = set(tiny_park.load("parcels")["parcel_id"])
    assert {"AUTO-parcels-1", "AUTO-parcels-2", "AUTO-parcels-3", "AUTO-parcels-4"} <= ids


class WrittenFirst(GeoPackageStore):
    """The tiny park's real store, where another writer's change lands just before this import takes the
    write lock: what a second user's confirmation or edit does between this import's preview and its save."""

    def __init__(self, path, other_write):
        super().__init__(path)
        self._other_write = other_write

    def write_lock(self):
        other, self._other_write = self._other_write, None
        if other is not None:
            other()
        return super().write_lock()


def _rename_parcel(store: GeoPackageStore, parcel_id: str, name: str) -> None:
    parcels = store.load("parcels")
    parcels.loc[parcels["parcel_id"] == parcel_id, "name"] = name
    store.save("parcels", parcels)


def test_an_import_merges_into_the_layer_as_it_is_when_written(tmp_path, tiny_park):
    source = _parcels_file(tmp_path, [("P2", "二号地块（改）", (100, 0, 300, 100))])
    store = WrittenFirst(tiny_park.path, lambda: _rename_parcel(tiny_park, "P1", "别人刚改的名字"))

    import_layer(source, "parcels", park=store, options=_options(mode="upsert"))

    names = tiny_park.load("parcels").set_index("parcel_id")["name"]
    assert names["P1"] == "别人刚改的名字"  # the other writer's change is not reverted
    assert names["P2"] == "二号地块（改）" and names["P3"] == "三号地块"


def test_generated_ids_are_numbered_again_when_another_import_took_them(tmp_path, tiny_park):
    frame = gpd.GeoDataFrame({"name": ["甲", "乙"]}, geometry=[shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)],
                             crs=EPSG_CM120)
    source = tmp_path / "noid.geojson"
    frame.set_geometry(frame.geometry.translate(636_400, 3_171_000)).to_file(source, driver="GeoJSON",
                                                                             engine="pyogrio")
    other = lambda: import_layer(source, "parcels", park=tiny_park, options=_options(mode="append"))  # noqa: E731

    plan = import_layer(source, "parcels", park=WrittenFirst(tiny_park.path, other),
                        options=_options(mode="append"))

    parcels = tiny_park.load("parcels")
    assert sorted(parcels["parcel_id"]) == ["AUTO-parcels-1", "AUTO-parcels-2", "AUTO-parcels-3", "AUTO-parcels-4",
                                            "P1", "P2", "P3"]
    assert "generated ids are now AUTO-parcels-3 … AUTO-parcels-4" in plan.report.text()
    assert plan.report.counts == {"added": 2}


def test_an_append_whose_id_was_taken_since_the_preview_is_rejected_and_nothing_written(tmp_path, tiny_park):
    source = _parcels_file(tmp_path, [("P9", "新地块", (400, 0, 500, 100))])
    taken = _parcels_file(tmp_path, [("P9", "别人先导入的", (400, 0, 500, 100))], name="taken.geojson")
    other = lambda: import_layer(taken, "parcels", park=tiny_park, options=_options(mode="append"))  # noqa: E731

    with pytest.raises(ImportRejected) as caught:
        import_layer(source, "parcels", park=WrittenFirst(tiny_park.path, other), options=_options(mode="append"))

    text = caught.value.report.text()
    assert "parcel_id=P9) · parcel_id: already in the park" in text and "the park changed since the preview" in text
    assert tiny_park.load("parcels").set_index("parcel_id").loc["P9", "name"] == "别人先导入的"
    index = (archive_folder_for(tiny_park.path) / "index.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(index) == 1  # only the other import's original is archived


def test_a_new_park_someone_else_created_meanwhile_is_not_written_over(tmp_path):
    shp = gbk_shapefile(tmp_path / "src")
    theirs = _parcels_file(tmp_path, [("X1", "别人的园区", (0, 0, 100, 100))])
    park = tmp_path / "new.gpkg"
    other = lambda: import_layer(theirs, "parcels", park=park, options=_options(park_name="别人"))  # noqa: E731

    with pytest.raises(ImportRejected, match="someone else created this park since this import was checked"):
        import_layer(shp, "parcels", park=WrittenFirst(park, other), options=_options())

    assert list(GeoPackageStore(park).load("parcels")["parcel_id"]) == ["X1"]
    assert GeoPackageStore(park).read_meta()["park_name"] == "别人"


def test_upsert_without_ids_is_rejected(tmp_path, tiny_park):
    frame = gpd.GeoDataFrame({"name": ["甲"]}, geometry=[shapely.box(636_400, 3_171_000, 636_401, 3_171_001)],
                             crs=EPSG_CM120)
    source = tmp_path / "noid.geojson"
    frame.to_file(source, driver="GeoJSON", engine="pyogrio")
    with pytest.raises(ImportRejected, match="upsert keys on parcel_id, and the source has none"):
        import_layer(source, "parcels", park=tiny_park, options=_options(mode="upsert"))


def test_table_layer_imports_from_csv_with_chinese_headers(tmp_path, tiny_park):
    source = tmp_path / "units.csv"
    source.write_text("单元编号,建筑编号,楼层,面积(m²),状态\nU2,B1,2,1800,可租\n", encoding="utf-8-sig")
    import_layer(source, "units", park=tiny_park, options=_options(mode="upsert"))
    units = tiny_park.load("units").set_index("unit_id")
    assert units.loc["U2", "area_m2"] == 1800.0
    assert units.loc["U2", "building_id"] == "B1"


def test_a_new_park_cannot_start_with_a_table(tmp_path):
    source = tmp_path / "units.csv"
    source.write_text("unit_id,area_m2\nU1,100\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match="a park is created by importing a spatial layer first"):
        import_layer(source, "units", park=tmp_path / "new.gpkg", options=_options())


def test_new_park_is_named_and_centred_by_its_data(tmp_path):
    shp = gbk_shapefile(tmp_path / "src")
    park = tmp_path / "a.gpkg"
    import_layer(shp, "parcels", park=park, options=_options(park_name="试验园区"))
    meta = GeoPackageStore(park).read_meta()
    assert meta["park_name"] == "试验园区"
    assert meta["working_epsg"] == 4549
    assert X0 > 40_000_000 and Y0 > 3_000_000  # the sample really is zone-prefixed


def test_import_into_a_postgis_park_archives_in_the_given_folder(tmp_path, postgis_store):
    shp = gbk_shapefile(tmp_path / "src")
    with pytest.raises(ImportRejected, match="the park is not a file: say where originals are archived"):
        import_layer(shp, "parcels", park=postgis_store, options=_options())
    assert not postgis_store.exists()
    plan = import_layer(shp, "parcels", park=postgis_store, options=_options(), archive_dir=tmp_path / "archive")
    assert plan.report.committed and plan.report.new_park
    assert postgis_store.read_meta()["working_epsg"] == EPSG_CM120
    assert sorted(postgis_store.load("parcels")["parcel_id"]) == ["ZD-001", "ZD-002", "ZD-003"]
    assert (tmp_path / "archive" / "index.jsonl").is_file()
    plan = import_layer(shp, "parcels", park=postgis_store, options=_options(mode="upsert"),
                        archive_dir=tmp_path / "archive")
    assert plan.report.counts == {"added": 0, "unchanged": 3}


def test_aggregated_notices_name_source_rows_after_records_were_left_out():
    from layers.io.importer import _aggregate_notes, _renumber
    from layers.validate import Problem

    # Validation saw rows 1-3; they are source records 2, 5 and 9 (others were left out).
    notice = Problem("row 1 (parcel_id=A), row 2, row 3 … and 4 more", "land_use_std", None, "assumed", count=7)
    assert _renumber([notice], np.array([1, 4, 8]))[0].record == "row 2 (parcel_id=A), row 5, row 9 … and 4 more"
    labels = np.array(["row 2", "row 5", "row 9", "row 11", "row 12"], dtype=object)
    notes = [(0, "land_use", "crosswalked M1", "M1"), (1, "contract_date", "date read as day/month/year", "1/2/2021"),
             (2, "land_use", "crosswalked M1", "M1"), (3, "land_use", "crosswalked M1", "M1"),
             (4, "land_use_std", "letters: read as GB 50137", "W1"), (0, "land_use_std", "letters: read as GB 50137", "M1")]
    merged = _aggregate_notes(notes, labels)
    assert [(p.record, p.field, p.count, p.value) for p in merged] == [
        ("row 2, row 9, row 11", "land_use", 3, "M1"), ("row 5", "contract_date", 1, "1/2/2021"),
        ("row 12", "land_use_std", 1, "W1"), ("row 2", "land_use_std", 1, "M1")]  # one notice per value shown


def test_a_message_with_many_values_is_one_notice_without_a_value():
    from layers.io.importer import NOTICE_VALUE_GROUPS, _aggregate_notes

    n = NOTICE_VALUE_GROUPS + 1
    labels = np.array([f"row {i + 1}" for i in range(n)], dtype=object)
    notes = [(i, "contract_date", "date read as day/month/year", f"{i + 1}/2/2021") for i in reversed(range(n))]
    (merged,) = _aggregate_notes(notes, labels)
    assert (merged.record, merged.count, merged.value) == ("row 1, row 2, row 3 … and 8 more", n, None)
    assert len(_aggregate_notes(notes[1:], labels)) == NOTICE_VALUE_GROUPS  # at the limit: one per value


def test_report_lines_say_how_many_records_aggregated_notices_stand_for():
    from layers.io.report import ImportReport
    from layers.validate import Problem

    report = ImportReport(layer="parcels", source="x.gpkg")
    report.notices += [Problem("row 1, row 4, row 6 … and 97 more", "land_use_std", "M1", "read as GB 50137", count=100),
                       Problem("row 2", "land_use_std", "W1", "read as GB 50137")]
    assert report.text().splitlines()[-1] == (
        "  - 101 records: row 1, row 4, row 6 … and 97 more, row 2 · land_use_std: read as GB 50137 (got 'M1', 'W1')")
    assert report.to_dict()["notices"][0]["count"] == 100 and "count" not in report.to_dict()["notices"][1]
    report.notices[:] = [Problem("row 2", "status", None, "default 'planned'")]
    assert report.text().splitlines()[-1] == "  - row 2 · status: default 'planned'"  # one record: no count
