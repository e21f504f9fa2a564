"""The layer registry: every layer and table, declared once.

The loader, validator, API, legend and docs all read :data:`REGISTRY`.
"""

from __future__ import annotations

from layers.catalog import (
    audit_events,
    buildings,
    case_events,
    cases,
    enterprise_years,
    enterprises,
    facilities,
    leases,
    parcels,
    pipelines,
    roads,
    units,
    zones,
)
from layers.schema import LayerSpec

#: Layers in drawing order (bottom first), then attribute tables.
REGISTRY: dict[str, LayerSpec] = {
    module.LAYER.name: module.LAYER
    for module in (
        zones,
        parcels,
        buildings,
        roads,
        pipelines,
        facilities,
        units,
        leases,
        enterprises,
        enterprise_years,
        cases,
        case_events,
        audit_events,
    )
}


def get_layer(name: str) -> LayerSpec:
    """The declaration of layer ``name``; a ``KeyError`` listing the known layers otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        msg = f"unknown layer {name!r}; known layers: {', '.join(REGISTRY)}"
        raise KeyError(msg) from None


def spatial_layers() -> list[LayerSpec]:
    return [spec for spec in REGISTRY.values() if not spec.is_table]


def tables() -> list[LayerSpec]:
    return [spec for spec in REGISTRY.values() if spec.is_table]
