"""Edits as frame operations: split and merge with lineage, leases, forms from the registry."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

from layers import edits
from layers.polygon_edits import GeometryEditError, merge_polygons, split_polygon
from layers.registry import get_layer
from layers.validate import validate_layer
from tests.conftest import X0, Y0, tiny_frames

PARCELS = get_layer("parcels")
LEASES = get_layer("leases")
DAY = pd.Timestamp("2026-06-30")


@pytest.fixture
def parcels():
    frame = tiny_frames()["parcels"]
    frame["registered_area_m2"] = [10_000.0, 20_000.0, 10_000.0]
    return validate_layer(frame, PARCELS, source="test")[0]


def vertical(x, y0=-10, y1=110):
    return shapely.LineString([(X0 + x, Y0 + y0), (X0 + x, Y0 + y1)])


def test_split_p2_down_the_middle_gives_two_100_by_100_parcels(parcels):
    out, new_ids = edits.split_parcel(parcels, PARCELS, "P2", vertical(200), day=DAY)
    assert new_ids == ["P2-1", "P2-2"]
    pieces = out.set_index("parcel_id").loc[new_ids]
    assert shapely.area(pieces.geometry.to_numpy()).tolist() == [10_000.0, 10_000.0]
    assert list(pieces["previously_part_of"]) == ["P2", "P2"]
    assert list(pieces["status"]) == ["supplied", "supplied"] and list(pieces["enterprise_id"]) == ["E2", "E2"]
    assert pieces["registered_area_m2"].isna().all()  # the parent's registered area is not the pieces'
    assert out.set_index("parcel_id").loc["P2", "retired_on"] == DAY
    assert len(out) == 5  # nothing deleted


def test_split_by_an_uneven_line_puts_the_larger_piece_first(parcels):
    _, new_ids = edits.split_parcel(parcels, PARCELS, "P2", vertical(250), day=DAY)
    pieces = split_polygon(parcels.geometry.iloc[1], vertical(250))
    assert [round(p.area) for p in pieces] == [15_000, 5_000]
    assert new_ids == ["P2-1", "P2-2"]


@pytest.mark.parametrize("line,message", [
    (vertical(200, 10, 90), "does not cut the parcel"),  # stops inside: no cut
    (vertical(400), "does not cut the parcel"),  # misses the parcel
    (vertical(100.001), "sliver"),  # 1 mm from the edge: a 0.1 m² sliver
])
def test_split_refuses_lines_that_do_not_cut_cleanly(parcels, line, message):
    with pytest.raises(GeometryEditError, match=message):
        edits.split_parcel(parcels, PARCELS, "P2", line, day=DAY)


def test_split_ids_skip_ids_that_are_taken(parcels):
    out, first = edits.split_parcel(parcels, PARCELS, "P2", vertical(200), day=DAY)
    out = validate_layer(out, PARCELS, source="t")[0]
    middle = out.set_index("parcel_id").loc["P2-1"].geometry.centroid.x - X0
    _, second = edits.split_parcel(out, PARCELS, "P2-1", vertical(middle), day=DAY)
    assert second == ["P2-1-1", "P2-1-2"]
    with pytest.raises(edits.EditError, match="retired"):
        edits.split_parcel(out, PARCELS, "P2", vertical(150), day=DAY)


def test_merge_parcels_sharing_an_edge(parcels):
    out, new_id = edits.merge_parcels(parcels, PARCELS, ["P1", "P2"], day=DAY)
    assert new_id == "P1-M-1"
    merged = out.set_index("parcel_id").loc[new_id]
    assert merged.geometry.area == 30_000.0 and merged.geometry.geom_type == "Polygon"
    assert merged["previously_part_of"] == "P1,P2" and merged["name"] == "一号地块 <b>"
    assert pd.isna(merged["registered_area_m2"])
    assert (out.set_index("parcel_id").loc[["P1", "P2"], "retired_on"] == DAY).all()


def test_merge_refuses_parcels_that_touch_only_at_a_corner(parcels):
    # P2 spans x 100–300, y 0–100; P3 x 0–100, y 100–200: they meet in the point (100, 100) only.
    with pytest.raises(GeometryEditError, match="not adjacent: P2, P3"):
        edits.merge_parcels(parcels, PARCELS, ["P2", "P3"], day=DAY)
    with pytest.raises(GeometryEditError, match="at least two"):
        merge_polygons([parcels.geometry.iloc[0]])
    with pytest.raises(edits.EditError, match="taken"):
        edits.merge_parcels(parcels, PARCELS, ["P1", "P2"], new_id="P3", day=DAY)


@pytest.fixture
def leases():
    frame = pd.DataFrame({"lease_id": ["L1"], "unit_id": ["U1"], "enterprise_id": ["E1"],
                          "start": ["2025-01-01"], "end": ["2025-12-31"]})
    return validate_layer(frame, LEASES, source="t")[0]


@pytest.mark.parametrize("start,end,ok", [
    ("2026-01-01", "2026-12-31", True),  # the day after the old lease ended
    ("2025-12-31", "2026-12-31", False),  # its last day overlaps
    ("2024-01-01", "2024-12-31", True),  # before it
    ("2024-06-01", "2025-01-01", False),  # runs into its first day
])
def test_a_new_lease_may_not_overlap_a_live_lease_of_the_unit(leases, start, end, ok):
    values = {"lease_id": "L2", "unit_id": "U1", "start": start, "end": end}
    if ok:
        assert len(edits.add_lease(leases, LEASES, values, unit_ids=["U1"])) == 2
    else:
        with pytest.raises(edits.EditError, match="already leased then: L1"):
            edits.add_lease(leases, LEASES, values, unit_ids=["U1"])


def test_a_new_lease_needs_a_known_unit_and_a_start_before_its_end(leases):
    with pytest.raises(edits.EditError) as refused:
        edits.add_lease(leases, LEASES, {"lease_id": "L2", "unit_id": "U9", "start": "2026-02-01",
                                         "end": "2026-01-01"}, unit_ids=["U1"])
    fields = [field for field, _ in refused.value.problems]
    assert fields == ["unit_id", "end"]


@pytest.mark.parametrize("day,ok", [("2025-01-01", True), ("2024-12-31", False), ("2025-12-31", True),
                                    ("2026-01-01", False)])
def test_ending_a_lease_between_its_start_and_its_end(leases, day, ok):
    if ok:
        out = edits.end_lease(leases, LEASES, "L1", day)
        assert out["end"].iloc[0] == pd.Timestamp(day)
    else:
        with pytest.raises(edits.EditError, match="before the lease's start|after the lease's end"):
            edits.end_lease(leases, LEASES, "L1", day)


def test_forms_show_every_declared_field_but_bookkeeping():
    names = [f.name for f in edits.form_fields(PARCELS)]
    assert "parcel_id" not in names and "previously_part_of" in names
    assert not set(names) & {"first_added", "last_updated", "retired_on"}
    assert [f.name for f in edits.form_fields(PARCELS, creating=True)][0] == "parcel_id"


def test_unknown_fields_and_missing_records_are_refused(parcels):
    with pytest.raises(edits.EditError, match="cannot be set here"):
        edits.update_record(parcels, PARCELS, "P1", {"last_updated": "2020-01-01"})
    with pytest.raises(KeyError, match="no record 'P9'"):
        edits.update_record(parcels, PARCELS, "P9", {"name": "x"})
    with pytest.raises(edits.EditError, match="taken"):
        edits.create_record(parcels, PARCELS, {"parcel_id": "P1"}, geometry=shapely.box(0, 0, 1, 1))
    with pytest.raises(edits.EditError, match="draw the new"):
        edits.create_record(parcels, PARCELS, {"parcel_id": "P9"})
