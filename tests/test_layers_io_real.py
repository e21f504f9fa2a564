"""Every real file in shared/data/real imports, or is rejected with a precise reason.

The files and their facts are described in each folder's SOURCE.md.
"""

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import shapely
from io_samples import file_digest
from real_data import REAL

from geo import gcj02
from layers.io import ImportOptions, ImportRejected, import_layer
from layers.store import GeoPackageStore

TW = REAL / "tw_zoning_J0302_hsinchu_science_park" / "J0302_zoning_twd97.geojson"
KH = REAL / "kaohsiung_petroleum_pipelines"
PRAGUE = REAL / "momepy_bubenec_prague" / "bubenec.gpkg"
KOTKA_GPKG = REAL / "osm_karhula_kotka" / "derived" / "karhula_kotka_etrs_tm35fin.gpkg"
KOTKA_PBF = REAL / "osm_karhula_kotka" / "karhula_kotka.osm.pbf"
PURBECK = REAL / "uk_brownfield_purbeck" / "purbeck_brownfield_register.csv"
MACAU = REAL / "china_admin_macau_gcj02_noprj" / "澳门特别行政区.shp"
TODAY = dt.date(2026, 6, 30)


def _import(source, layer, park, **options):
    return import_layer(source, layer, park=park, options=ImportOptions(today=TODAY, **options))


def _rejected(source, layer, park, **options) -> str:
    with pytest.raises(ImportRejected) as caught:
        _import(source, layer, park, **options)
    if not isinstance(park, GeoPackageStore):
        assert not Path(park).exists()  # a rejected import creates no park
    return caught.value.report.text()


# -- Hsinchu Science Park zoning (EPSG:3826, Chinese field names) ------------------------------------------


def test_hsinchu_zoning_imports_as_parcels_with_areas_matching_shape_area(tmp_path):
    park = tmp_path / "hsinchu.gpkg"
    plan = _import(TW, "parcels", park)
    assert plan.report.records_imported == 142
    assert "EPSG:3826" in plan.report.source_crs
    assert GeoPackageStore(park).read_meta()["working_epsg"] == 4549  # 121.0°E → CM 120°E
    parcels = GeoPackageStore(park).load("parcels")
    total_ha = shapely.area(parcels.geometry.to_numpy()).sum() / 1e4
    # SOURCE.md: 830 ha (Shape_Area, planar in TM2 with k0 = 0.9999). GK CM 120°E at 121°E scales areas
    # by ≈ 1.0003 and TM2 by 0.9998, so the two planar totals differ by ≈ 0.05 %.
    assert total_ha == pytest.approx(829.97, rel=1e-3)


def test_hsinchu_industrial_zones_by_mapping_file(tmp_path):
    mapping = tmp_path / "tw.yaml"
    mapping.write_text(
        "fields:\n  OBJECTID: parcel_id\n  使用分: name\n  參考面: registered_area_m2\n"
        "include:\n  分區類: [工業區, 特定事業專用區(工業)]\n"
        "defaults:\n  land_use: '1001'\n  land_use_std: 用地用海2023\n",
        encoding="utf-8",
    )
    park = tmp_path / "hsinchu.gpkg"
    plan = _import(TW, "parcels", park, mapping_path=str(mapping))
    parcels = GeoPackageStore(park).load("parcels")
    assert len(parcels) == 38
    assert "104 record(s) left out: value not in the mapping's include list" in plan.report.text()
    # SOURCE.md: industrial 356.1 ha ≈ 5 342 亩 (by Shape_Area).
    assert shapely.area(parcels.geometry.to_numpy()).sum() / 1e4 == pytest.approx(356.14, rel=1e-3)
    assert parcels["registered_area_m2"].notna().any()
    assert set(parcels["land_use"]) == {"1001"}


# -- Kaohsiung pipelines (Shapefile with .cpg, and two GeoJSONs) ---------------------------------------------


def test_kaohsiung_id_column_is_no_id_and_the_lines_get_generated_ids(tmp_path):
    # SOURCE.md: ID is 200 on the 39 lines of 石化輸油管 and 1 on the 20 of 中油: it names the owner, not a line.
    park = tmp_path / "kh.gpkg"
    plan = _import(KH / "kh_petroleum_pipelines_twd97.shp", "pipelines", park)
    text = plan.report.text()
    assert ("all · ID: holds duplicates ('200' ×39, '1' ×20; 2 distinct values on 59 rows): it is not an id "
            "(not taken as pipe_id)") in text
    assert "UTF-8 (from kh_petroleum_pipelines_twd97.cpg)" in text and "ID → pipe_id" not in text
    assert plan.report.choices["id_field"]["candidates"] == []  # NAME repeats too: nothing else could be the id
    pipes = GeoPackageStore(park).load("pipelines")
    assert len(pipes) == 59 and pipes["pipe_id"].is_unique


def test_kaohsiung_ids_chosen_in_the_mapping_file_are_kept_and_their_duplicates_rejected(tmp_path):
    mapping = tmp_path / "kh.yaml"
    mapping.write_text("fields:\n  ID: pipe_id\n", encoding="utf-8")
    text = _rejected(KH / "kh_petroleum_pipelines_twd97.shp", "pipelines", tmp_path / "kh.gpkg",
                     mapping_path=str(mapping))
    assert "pipe_id: duplicate id; ids must be unique within the layer" in text


@pytest.mark.parametrize("name", ["kh_petroleum_pipelines_twd97.shp", "kh_petroleum_pipelines_twd97.geojson",
                                  "kh_petroleum_pipelines_wgs84.geojson"])
def test_kaohsiung_pipelines_import_with_their_ids_set_aside_and_agree(tmp_path, name):
    mapping = tmp_path / "kh.yaml"
    mapping.write_text("fields:\n  ID: null\n", encoding="utf-8")
    park = tmp_path / "kh.gpkg"
    _import(KH / name, "pipelines", park, mapping_path=str(mapping))
    pipes = GeoPackageStore(park).load("pipelines")
    assert len(pipes) == 59
    # SOURCE.md: 162.4 km; GK CM 120°E at 120.3°E stretches lengths by ~1e-5.
    assert shapely.length(pipes.geometry.to_numpy()).sum() / 1000 == pytest.approx(162.427, rel=2e-4)


# -- Prague plots (EPSG:3857 GeoPackage with four layers) ----------------------------------------------------


def test_prague_needs_a_layer_choice(tmp_path):
    text = _rejected(PRAGUE, "parcels", tmp_path / "p.gpkg")
    assert "several layers (tessellation, buildings, streets, plots); choose one with --source-layer" in text


def test_prague_plots_import_into_a_utm_park_outside_the_cgcs2000_series(tmp_path):
    park = tmp_path / "prague.gpkg"
    plan = _import(PRAGUE, "parcels", park, source_layer="plots")
    assert plan.report.records_imported == 407
    assert GeoPackageStore(park).read_meta()["working_epsg"] == 32633
    areas = shapely.area(GeoPackageStore(park).load("parcels").geometry.to_numpy())
    # SOURCE.md: median plot 381 m² (in S-JTSK); Web Mercator would give ≈ 2.4× that.
    assert np.median(areas) == pytest.approx(381, rel=0.02)


def test_prague_buildings_are_found_by_layer_name(tmp_path):
    park = tmp_path / "prague.gpkg"
    plan = _import(PRAGUE, "buildings", park)
    assert plan.report.source_layer == "buildings"
    assert plan.report.records_imported == 144


def test_prague_plots_are_refused_by_a_chinese_park(tiny_park):
    before = file_digest(tiny_park.path)
    text = _rejected(PRAGUE, "parcels", tiny_park, source_layer="plots", mode="upsert")
    assert "outside the park's working CRS EPSG:4549" in text
    assert file_digest(tiny_park.path) == before


# -- Karhula OSM (derived GeoPackage and raw PBF) ---------------------------------------------------------------


def test_karhula_industrial_areas_import_as_zones(tmp_path):
    park = tmp_path / "kotka.gpkg"
    plan = _import(KOTKA_GPKG, "zones", park, source_layer="industrial_landuse")
    assert plan.report.records_imported == 9
    assert GeoPackageStore(park).read_meta()["working_epsg"] == 32635


def test_karhula_buildings_reject_their_degenerate_outlines_by_record(tmp_path):
    text = _rejected(KOTKA_GPKG, "buildings", tmp_path / "kotka.gpkg")
    assert "row 13 · geometry: invalid geometry (Too few points in geometry component" in text
    assert "and nothing of it survives repair" in text


def test_karhula_buildings_import_without_the_degenerate_ones_when_asked(tmp_path):
    park = tmp_path / "kotka.gpkg"
    plan = _import(KOTKA_GPKG, "buildings", park, accept_damaged=True)
    left_out = [n for n in plan.report.notices if n.message.startswith("left out: invalid geometry")]
    exploded = [n for n in plan.report.notices if n.message == "multi-part geometry exploded into 2 records"]
    assert len(left_out) == 22 and len(exploded) == 8
    buildings = GeoPackageStore(park).load("buildings")
    assert len(buildings) == 2215 - 22 + 8
    assert "repaired with make_valid" in plan.report.text()


def test_karhula_pbf_roads_import_and_multipolygons_name_their_broken_rings(tmp_path):
    park = tmp_path / "pbf.gpkg"
    plan = _import(KOTKA_PBF, "roads", park, source_layer="lines")
    assert plan.report.driver == "OSM"
    assert plan.report.records_imported == 339
    text = _rejected(KOTKA_PBF, "zones", tmp_path / "other.gpkg", source_layer="multipolygons")
    assert "damaged: geometry cannot be decoded (IllegalArgumentException: Invalid number of points in LinearRing" \
        in text


# -- Purbeck brownfield register (CSV with British National Grid columns) ---------------------------------------


def test_purbeck_sites_import_as_points_with_the_crs_named_in_their_column(tmp_path):
    mapping = tmp_path / "purbeck.yaml"
    mapping.write_text("fields:\n  SiteReference: facility_id\n  SiteNameAddress: name\n", encoding="utf-8")
    park = tmp_path / "purbeck.gpkg"
    plan = _import(PURBECK, "facilities", park, mapping_path=str(mapping))
    assert "EPSG:27700" in plan.report.source_crs and "CRS column" in plan.report.crs_how
    sites = GeoPackageStore(park).load("facilities")
    assert len(sites) == 10
    assert not sites["facility_id"].str.endswith(" ").any()  # trailing spaces trimmed
    # Tripled quotes are a quoted value holding text in literal quotes: parsed, not left as """…""".
    assert sites["name"].str.startswith('"').any() and not sites["name"].str.startswith('""').any()


def test_purbeck_points_cannot_be_parcels(tmp_path):
    text = _rejected(PURBECK, "parcels", tmp_path / "p.gpkg")
    assert ("all · geometry: no polygon in the source (10 Point): layer 'parcels' holds polygons; the records fit "
            "layer(s) facilities") in text


# -- Macau (Chinese file name, UTF-8 DBF without .cpg, no .prj, GCJ-02) ---------------------------------------


def test_macau_reads_its_names_and_warns_about_offsets_without_crs(tmp_path):
    park = tmp_path / "macau.gpkg"
    plan = _import(MACAU, "zones", park)
    assert plan.report.encoding == "UTF-8 (no .cpg; the text decodes as UTF-8)"
    assert "give --crs gcj02 or bd09" in plan.report.crs_how
    zones = GeoPackageStore(park).load("zones")
    assert "花王堂區" in set(zones["name"])
    assert GeoPackageStore(park).read_meta()["working_epsg"] == 4547  # 113.5°E → CM 114°E


def test_macau_gcj02_is_shifted_back_to_wgs84(tmp_path):
    plain = tmp_path / "plain.gpkg"
    shifted = tmp_path / "gcj.gpkg"
    _import(MACAU, "zones", plain)
    _import(MACAU, "zones", shifted, crs="gcj02")
    a = GeoPackageStore(plain).load("zones").geometry.to_numpy()
    b = GeoPackageStore(shifted).load("zones").geometry.to_numpy()
    moved_m = shapely.distance(shapely.centroid(a), shapely.centroid(b))
    # The GCJ-02 offset at Macau, computed independently for one point.
    lon, lat = 113.549052, 22.199175
    wgs_lon, wgs_lat = gcj02.gcj02_to_wgs84(lon, lat)
    expected_m = np.hypot((lon - wgs_lon) * 111_320 * np.cos(np.radians(lat)), (lat - wgs_lat) * 110_574)
    assert 100 < expected_m < 1000
    assert moved_m == pytest.approx(np.full(len(a), expected_m), abs=20)
