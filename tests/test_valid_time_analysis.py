"""A register imported today is analysed for last year from its records' own dates (valid time), through
the analysis and through the command line. The register and its hand-computed answers: valid_time_samples."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from valid_time_samples import (
    FEES_AT_LAST_YEAR_END,
    IDLE_AT_LAST_YEAR_END,
    IDLE_SINCE,
    IMPORT_DAY,
    LAST_YEAR_END,
    buildings_geojson,
    import_register,
    register_geojson,
    units_csv,
)

from geo.analysis import analyse_land
from layers.io import ImportOptions
from layers.rules import default_rules
from layers.store import GeoPackageStore


@pytest.fixture
def imported(tmp_path) -> GeoPackageStore:
    """A park created today by importing the register, buildings and units (the import day fixed: 2026-06-30)."""
    park = GeoPackageStore(tmp_path / "park.gpkg")
    import_register(tmp_path, park, ImportOptions(today=IMPORT_DAY))
    return park


def test_the_idle_rules_judge_an_imported_register_for_last_year_from_its_own_dates(imported):
    parcels = imported.load("parcels")
    assert (parcels["first_added"] == pd.Timestamp(IMPORT_DAY)).all()  # the register learnt of them all today
    result = analyse_land(imported.load_all(), as_of=LAST_YEAR_END, rules=default_rules()).parcels.set_index("parcel_id")
    assert result["idle_status"].to_dict() == IDLE_AT_LAST_YEAR_END
    fees = result["idle_fee_wan"].dropna().to_dict()
    assert fees == pytest.approx(FEES_AT_LAST_YEAR_END)
    assert sum(fees.values()) == pytest.approx(160.0)
    for parcel_id, (since, days) in IDLE_SINCE.items():
        assert (result.loc[parcel_id, "idle_since"], result.loc[parcel_id, "idle_days"]) == (pd.Timestamp(since),
                                                                                            days)
    # Buildings by their completion year: JZ1 (2025) stands on D, JZ2 (2026) not yet on A.
    assert (result.loc["D", "footprint_m2"], result.loc["A", "footprint_m2"]) == pytest.approx((1600.0, 0.0))


def test_vacancy_last_year_does_not_take_the_import_day_for_the_day_a_unit_became_free(imported):
    units = analyse_land(imported.load_all(), as_of=LAST_YEAR_END, rules=default_rules()).units.set_index("unit_id")
    assert units.loc["U1", "vacant_m2"] == 500.0
    assert pd.isna(units.loc["U1", "days_vacant"])  # never leased; known to the register only since 2026-06-30
    assert "days vacant unknown" in units.loc["U1", "vacancy_note"]
    today = analyse_land(imported.load_all(), as_of=dt.date(2026, 7, 30), rules=default_rules()).units.set_index("unit_id")
    assert today.loc["U1", "days_vacant"] == 30  # from the day the register learnt of it


def test_the_same_register_judged_on_the_import_day(imported):
    result = analyse_land(imported.load_all(), as_of=IMPORT_DAY, rules=default_rules()).parcels.set_index("parcel_id")
    # C started on 2026-02-01; E was contracted 2026-03-01 and its agreed start (2026-09-01) is ahead;
    # B's two full years run to 2026-07-01, one day after.
    assert result["idle_status"].to_dict() == {**IDLE_AT_LAST_YEAR_END, "C": "started", "E": "on_track"}


@pytest.mark.parametrize(("day", "parcels"), [(dt.date(2026, 2, 28), 5), (dt.date(2026, 3, 1), 6)])
def test_a_parcel_is_in_force_from_its_contract_day(imported, day, parcels):
    assert len(analyse_land(imported.load_all(), as_of=day, rules=default_rules()).parcels) == parcels


# -- the command line --------------------------------------------------------------------------------


@pytest.fixture
def run(tiny_app):
    runner = tiny_app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=[str(a) for a in args])

    return invoke


def _figures(output: str) -> tuple[int, dict[str, int], float]:
    """(parcels, idle status counts, fees) as ``analyse`` prints them."""
    parcels = int(re.search(r": (\d+) parcels as of", output).group(1))
    pairs = (part.rsplit(" ", 1) for part in re.search(r"idle status: (.*)", output).group(1).split(", "))
    statuses = {name: int(n) for name, n in pairs}
    fees = float(re.search(r"idle fees due: ([\d,.]+) 万元", output).group(1).replace(",", ""))
    return parcels, statuses, fees


def test_analyse_as_of_last_years_end_on_a_park_freshly_imported_from_files(tmp_path, run):
    park = tmp_path / "new.gpkg"
    imported = run("import", "parcels", register_geojson(tmp_path / "register.geojson"), "--park", park,
                   "--park-name", "新园区")
    assert imported.exit_code == 0, imported.output
    assert "valid time: 5 of 6 record(s) have a valid_from (from contract_date)" in imported.output
    for layer, source in (("buildings", buildings_geojson(tmp_path / "b.geojson")),
                          ("units", units_csv(tmp_path / "u.csv"))):
        assert run("import", layer, source, "--park", park).exit_code == 0
    result = run("analyse", "--park", park, "--as-of", LAST_YEAR_END.isoformat(), "--out", tmp_path / "a.csv")
    assert result.exit_code == 0, result.output
    parcels, statuses, fees = _figures(result.output)
    assert parcels == 5
    # Every parcel judged: the line lists only the statuses present (no "not judged" part; web.commands.analyse).
    assert statuses == {"idle_reclaim": 1, "idle_fee": 1, "overdue": 1, "started": 1, "not_supplied": 1}
    assert fees == pytest.approx(160.0)
    written = pd.read_csv(tmp_path / "a.csv", dtype=str)
    ids = written[next(c for c in written.columns if "parcel_id" in c or "地块编号" in c)]
    assert sorted(ids) == ["A", "B", "C", "D", "F"]


def test_the_whole_file_valid_from_through_the_command_line(tmp_path, run):
    park = tmp_path / "new.gpkg"
    imported = run("import", "parcels", register_geojson(tmp_path / "register.geojson"), "--park", park,
                   "--valid-from", "2025-06-01")
    assert imported.exit_code == 0, imported.output
    assert run("import", "units", units_csv(tmp_path / "u.csv"), "--park", park).exit_code == 0
    # F (no own date) is true from 2025-06-01: out the day before, in on the day.
    assert _figures(run("analyse", "--park", park, "--as-of", "2025-05-31").output)[0] == 4  # A, B, C, D
    assert _figures(run("analyse", "--park", park, "--as-of", "2025-06-01").output)[0] == 5


def test_a_bad_valid_from_is_refused_naming_it(tmp_path, run):
    source = register_geojson(tmp_path / "register.geojson")
    result = run("import", "parcels", source, "--park", tmp_path / "p.gpkg", "--valid-from", "2025-13-01")
    assert result.exit_code == 2 and "--valid-from" in result.output and "2025-13-01" in result.output
    result = run("import", "parcels", source, "--park", tmp_path / "p.gpkg", "--valid-from", "1800-01-01")
    assert result.exit_code == 2
    assert "--valid-from must be between 1900-01-01 and 2199-12-31, got 1800-01-01" in result.output
    assert not (tmp_path / "p.gpkg").exists()
