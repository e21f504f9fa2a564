"""The small park whose year 2025 tests/test_geo_annual.py computes by hand (the table is there)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from layers.registry import get_layer
from layers.rules import load_rules
from layers.validate import validate_layer

EPSG = 4549
X0, Y0 = 636_000.0, 3_171_000.0
RULES = load_rules()


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def line(x0, x1, y=-50.0):
    return shapely.LineString([(X0 + x0, Y0 + y), (X0 + x1, Y0 + y)])


def typed(name, rows, geometry=None):
    frame = pd.DataFrame(rows)
    if geometry is not None:
        frame = gpd.GeoDataFrame(frame, geometry=geometry, crs=EPSG)
    return validate_layer(frame, get_layer(name), source=f"test:{name}")[0]


def parcel(pid, i, contract, land_use="100101", width=100.0, **values):
    base = {"parcel_id": pid, "contract_date": contract, "land_use": land_use, "land_use_std": "用地用海2023",
            "status": "supplied", "tenure": "granted"}
    return {**base, **values}, box(i * 200, 0, i * 200 + width, 100)


def annual_park() -> dict:
    """The small park of the module docstring of tests/test_geo_annual.py, its layers validated."""
    rows = [
        parcel("A", 0, "2025-01-01", actual_start_date="2025-03-01", status="under_construction"),
        parcel("B", 1, "2025-12-31", land_use="1101", tenure="allocated"),
        parcel("C", 2, "2024-12-31", actual_start_date="2024-02-01", actual_completion_date="2025-06-30",
               status="completed"),
        parcel("D", 3, "2026-01-01", status="approved_unsupplied"),
        parcel("E", 4, "2025-05-01", land_use="100102", actual_start_date="2025-06-01",
               actual_completion_date="2025-11-30", status="operating"),
        parcel("F", 5, "2025-07-01", valid_from="2025-07-01", valid_to="2025-07-01", retired_on="2025-08-01"),
        parcel("G", 6, "2025-03-01", valid_to="2025-09-01", retired_on="2025-09-01"),
        parcel("G-1", 7, "2025-03-01", width=50.0, valid_from="2025-09-01", previously_part_of="G"),
        parcel("G-2", 8, "2025-03-01", width=50.0, valid_from="2025-09-01", previously_part_of="G"),
        parcel("H", 9, "2023-01-01", agreed_start_date="2024-03-01", land_price_wan=100.0),
        parcel("I", 10, "2023-01-01", agreed_start_date="2023-06-01", land_price_wan=100.0),
    ]
    parcels = typed("parcels", [r for r, _ in rows], [g for _, g in rows])
    units = typed("units", [{"unit_id": "U1", "area_m2": 1000.0, "status": "leasable"},
                            {"unit_id": "U2", "area_m2": 500.0, "status": "leasable"}])
    leases = typed("leases", [{"lease_id": "L1", "unit_id": "U1", "start": "2024-05-01", "end": "2026-04-30"},
                              {"lease_id": "L2", "unit_id": "U2", "start": "2025-01-01", "end": "2027-12-31"}])
    cases = typed("cases", [
        {"case_id": "K1", "parcel_id": "I", "problem": "idle_land", "method": "reclaim", "status": "done",
         "opened": "2025-02-01", "closed": "2025-12-31", "area_m2": 10_000.0},
        {"case_id": "K2", "problem": "vacant_factory", "method": "lease", "status": "done", "opened": "2024-10-01",
         "closed": "2025-01-01", "floor_area_m2": 800.0},
        {"case_id": "K3", "parcel_id": "H", "problem": "idle_land", "method": "re_perform", "status": "done",
         "opened": "2025-02-01", "closed": "2026-01-01", "area_m2": 10_000.0},
        {"case_id": "K4", "parcel_id": "H", "problem": "idle_land", "method": "graft", "status": "dropped",
         "opened": "2025-02-01", "closed": "2025-06-01", "area_m2": 10_000.0},
    ])
    roads = typed("roads", [{"road_id": "R1", "status": "completed", "year": 2025, "grade": "secondary"},
                            {"road_id": "R2", "status": "completed", "year": 2024, "grade": "branch"},
                            {"road_id": "R3", "status": "subgrade", "year": 2025, "grade": "branch"}],
                  [line(0, 1000), line(0, 500, y=-80), line(0, 300, y=-110)])
    pipelines = typed("pipelines", [{"pipe_id": "W1", "network": "water_supply", "status": "in_service",
                                     "year_built": 2025},
                                    {"pipe_id": "S1", "network": "sewer", "status": "in_service",
                                     "year_built": 2024}],
                      [line(0, 200, y=-60), line(0, 400, y=-70)])
    firm_years = typed("enterprise_years", [
        {"record_id": "1", "enterprise_id": "E1", "year": 2025, "tax_wan": 100.0, "output_wan": 1000.0,
         "value_added_wan": 300.0},
        {"record_id": "2", "enterprise_id": "E2", "year": 2025, "tax_wan": 50.0, "output_wan": 500.0,
         "value_added_wan": 100.0},
        {"record_id": "3", "enterprise_id": "E1", "year": 2024, "tax_wan": 80.0, "output_wan": 900.0,
         "value_added_wan": 250.0},
    ])
    return {"parcels": parcels, "units": units, "leases": leases, "cases": cases, "roads": roads,
            "pipelines": pipelines, "enterprise_years": firm_years}
