"""The land analysis of the demo park reproduces every case its generator constructed (the manifest).

The manifest (``demo_manifest`` in the park's metadata) lists, as of the park's
reference date, every supplied or planned parcel under exactly one idle status,
the clause, fee and exemption code of each idle parcel, the parcels of each kind
of inefficient land, and the overlapping leases planted as data errors.
"""

from __future__ import annotations

import pandas as pd
import pytest

from geo.analysis import PARCEL_ANALYSIS_FIELDS, analyse_land
from geo.idle import STATUSES
from geo.inefficiency import CATEGORIES
from layers.registry import REGISTRY
from layers.rules import load_rules


@pytest.fixture(scope="module")
def demo(demo_park):
    meta = demo_park.read_meta()
    layers = {name: demo_park.load(name) for name in REGISTRY}
    result = analyse_land(layers, as_of=meta["reference_date"], rules=load_rules())
    parcels = result.parcels.set_index("parcel_id", drop=False)
    return meta["demo_manifest"], result, parcels


def test_parcel_analysis_has_the_design_field_names_first(demo):
    _, result, _ = demo
    assert list(result.parcels.columns[:len(PARCEL_ANALYSIS_FIELDS)]) == list(PARCEL_ANALYSIS_FIELDS)


def test_every_idle_status_of_the_manifest(demo):
    manifest, _, parcels = demo
    listed = {pid: status for status, ids in manifest["idle_status"].items() for pid in ids}
    assert set(manifest["idle_status"]) == set(STATUSES)
    ours = parcels.loc[list(listed), "idle_status"]
    wrong = {pid: (want, ours[pid]) for pid, want in listed.items() if ours[pid] != want}
    assert wrong == {}
    # Nothing the manifest leaves out is called idle, and nothing in scope is left unjudged.
    outside = parcels.drop(index=list(listed))
    assert not outside["idle_status"].isin(["overdue", "idle_fee", "idle_reclaim", "stalled_idle", "exempt"]).any()
    assert parcels.loc[list(listed), "idle_status"].notna().all()


def test_clauses_fees_and_exemption_codes(demo):
    manifest, _, parcels = demo
    clauses = parcels["idle_clause"].dropna()
    idle = parcels["idle_status"].isin(["idle_fee", "idle_reclaim", "stalled_idle"])
    assert clauses[idle[clauses.index]].to_dict() == manifest["idle_clause"]
    for pid, fee in manifest["idle_fee_wan"].items():
        assert parcels.loc[pid, "idle_fee_wan"] == pytest.approx(fee, abs=0.01), pid
    assert parcels["exempt_code"].dropna().to_dict() == manifest["exempt_cause"]


def test_every_inefficiency_case(demo):
    manifest, _, parcels = demo
    assert set(manifest["inefficiency"]) == set(CATEGORIES)
    for category, ids in manifest["inefficiency"].items():
        found = parcels.loc[ids, category]
        assert found.all(), f"{category}: not found {found[~found].index.tolist()}"
        assert parcels.loc[ids, "inefficiency_reason"].notna().all()
        # Each listed parcel names the category in its joined field too.
        assert parcels.loc[ids, "inefficiency"].str.split(",").map(lambda kinds: category in kinds).all()


def test_inefficiency_finds_no_more_than_the_manifest(demo):
    manifest, _, parcels = demo
    for category, ids in manifest["inefficiency"].items():
        extra = sorted(set(parcels.index[parcels[category].to_numpy(dtype=bool)]) - set(ids))
        assert extra == [], f"{category}: found beyond the manifest: {extra}"


def test_overlapping_leases_are_reported(demo):
    manifest, result, _ = demo
    found = sorted(map(sorted, result.overlaps[["lease_a", "lease_b"]].values.tolist()))
    assert found == sorted(map(sorted, manifest["overlapping_leases"]))
    # Their units are counted once, not twice.
    units = result.units
    assert (units["leased_m2"] <= units["leasable_m2"]).all()


def test_vacancy_and_muju_are_sane_on_the_demo(demo):
    _, result, parcels = demo
    rate = result.park_vacancy["vacancy_rate"]
    assert 0 < rate < 1
    assert ((result.trend["vacancy_rate"] >= 0) & (result.trend["vacancy_rate"] <= 1)).all()
    land = result.muju.land.groupby("parcel_id")["land_m2"].sum()
    area = parcels["area_m2"]
    held = land.index.intersection(area.index)
    pd.testing.assert_series_equal(land[held], area[held], check_names=False, rtol=1e-9)
    grades = result.muju.firms["grade"].value_counts()
    assert set(grades.index) <= {"A", "B", "C", "D", "T"} and grades.get("D", 0) >= 1
