"""The layer registry: every DESIGN.md layer declared once, consistently."""

from __future__ import annotations

import pytest

from layers.registry import REGISTRY, get_layer, spatial_layers, tables
from layers.schema import HISTORY_FIELD_NAMES
from layers.values import normalise_text

DESIGN_LAYERS = {
    "parcels": "Polygon",
    "buildings": "Polygon",
    "units": None,
    "leases": None,
    "pipelines": "LineString",
    "roads": "LineString",
    "facilities": "Point",
    "zones": "Polygon",
    "enterprises": None,
    "enterprise_years": None,
    "cases": None,
    "case_events": None,
    "audit_events": None,
}


def test_every_design_layer_is_declared_with_its_geometry():
    assert {name: spec.geometry for name, spec in REGISTRY.items()} == DESIGN_LAYERS


@pytest.mark.parametrize("spec", REGISTRY.values(), ids=lambda s: s.name)
def test_declaration_is_consistent(spec):
    names = spec.field_names
    assert len(names) == len(set(names)), "duplicate field names"
    assert spec.fields[0].name == spec.id_field
    assert spec.field(spec.id_field).required
    # Only the id is required: real data is incomplete.
    assert [f.name for f in spec.fields if f.required] == [spec.id_field]
    assert names[-3:] == HISTORY_FIELD_NAMES
    assert spec.label_zh and spec.label_en
    for field in spec.fields:
        assert field.label_zh and field.label_en, field.name
        if field.kind == "code":
            assert field.codes, f"{spec.name}.{field.name} is a code field without codes"
            values = field.allowed_values
            assert len(values) == len(set(values))
    if spec.style.by_field:
        coded = spec.field(spec.style.by_field)
        assert coded.kind in ("code", "str")
    for name in spec.popup_fields:
        spec.field(name)


@pytest.mark.parametrize("spec", REGISTRY.values(), ids=lambda s: s.name)
def test_import_aliases_map_to_one_field_only(spec):
    seen: dict[str, str] = {}
    for field in spec.fields:
        for alias in (field.name, *field.aliases):
            key = normalise_text(alias)
            assert seen.setdefault(key, field.name) == field.name, f"alias {alias!r} is ambiguous in {spec.name}"


def test_code_aliases_are_unambiguous_within_a_field():
    for spec in REGISTRY.values():
        for field in spec.fields:
            seen: dict[str, str] = {}
            for code in field.codes:
                for alias in (code.value, *code.aliases):
                    key = normalise_text(alias)
                    assert seen.setdefault(key, code.value) == code.value, (spec.name, field.name, alias)


def test_parcel_aliases_named_in_design_are_present():
    aliases = get_layer("parcels").field("parcel_id").aliases
    for alias in ("地块编号", "宗地号", "宗地代码", "DKBH", "ZDDM"):
        assert alias in aliases


def test_pipeline_networks_accept_cjj61_codes():
    network = get_layer("pipelines").field("network")
    accepted = {normalise_text(a): c.value for c in network.codes for a in c.aliases}
    assert accepted["js"] == "water_supply"
    assert accepted["rq"] == "gas"
    assert accepted["rl"] == "heat"
    assert accepted["dl"] == "power"
    assert accepted["tx"] == "telecom"
    assert accepted["ys"] == "rain"
    assert accepted["ws"] == "sewer"


def test_road_statuses_are_the_committee_stages():
    statuses = get_layer("roads").field("status").allowed_values
    assert statuses == ("planned", "approved", "subgrade", "temporary_surface", "completed")


def test_unknown_layer_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown layer 'plots'; known layers: zones, parcels"):
        get_layer("plots")


def test_unknown_field_names_the_layer_and_its_fields():
    with pytest.raises(KeyError, match="layer 'roads' has no field 'speed'; fields: road_id, name"):
        get_layer("roads").field("speed")


def test_spatial_layers_and_tables_partition_the_registry():
    assert {s.name for s in spatial_layers()} | {s.name for s in tables()} == set(REGISTRY)
    assert not {s.name for s in spatial_layers()} & {s.name for s in tables()}
