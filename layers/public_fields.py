"""What an anonymous visitor may see of a public layer: which fields, and which records.

A park can show some layers without a sign-in (``PARKATLAS_PUBLIC_LAYERS``). Those
layers also hold what a committee does not publish: land prices, investment,
enterprise ids, the causes of delays. Anonymous visitors therefore see only the
layer's *public fields* and only its records in force (retired ones are history,
for signed-in users).

The public fields are configured per layer with ``PARKATLAS_PUBLIC_FIELDS``
(``parcels:parcel_id,name,land_use,status;roads:road_id,name,grade,status``). A
public layer not named there gets the safe default of :func:`default_public_fields`:
its id, name, land use / kind / grade / use / network, and status. The id is
always public (features are addressed by it), and ``land_use_std`` goes with
``land_use`` (a land-use code means nothing without its classification standard).
The geometry of a public layer is always public.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from layers.registry import REGISTRY
from layers.schema import LayerSpec
from layers.valid_time import held_now

#: Fields public by default when a layer has them: what a visitor needs to read the map, nothing about money,
#: enterprises or enforcement.
DEFAULT_PUBLIC = ("name", "land_use", "land_use_std", "kind", "grade", "use", "network", "status")


def default_public_fields(spec: LayerSpec) -> tuple[str, ...]:
    """The safe default: the id and those of :data:`DEFAULT_PUBLIC` the layer has, in the layer's order."""
    return complete_fields(spec, DEFAULT_PUBLIC)


def complete_fields(spec: LayerSpec, fields: Iterable[str]) -> tuple[str, ...]:
    """``fields`` with the id first and ``land_use_std`` beside ``land_use``, each once, in the layer's order."""
    wanted = {spec.id_field, *fields} & set(spec.field_names)
    if "land_use" in wanted and "land_use_std" in spec.field_names:
        wanted.add("land_use_std")
    return tuple(name for name in spec.field_names if name in wanted)


def parse_public_fields(text: str) -> dict[str, tuple[str, ...]]:
    """``layer:field,field;layer:field`` as a dict; :class:`ValueError` naming a bad layer or field.

    An empty text is an empty dict (every public layer gets its default).
    """
    configured: dict[str, tuple[str, ...]] = {}
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        layer, sep, names = part.partition(":")
        layer = layer.strip()
        spec = REGISTRY.get(layer)
        if not sep or spec is None:
            msg = (f"PARKATLAS_PUBLIC_FIELDS: {part.strip()!r} must be LAYER:FIELD,FIELD with a known layer; "
                   f"layers: {', '.join(REGISTRY)}")
            raise ValueError(msg)
        fields = tuple(name.strip() for name in names.split(",") if name.strip())
        unknown = [name for name in fields if name not in spec.field_names]
        if unknown:
            msg = (f"PARKATLAS_PUBLIC_FIELDS: layer {layer!r} has no field {', '.join(map(repr, unknown))}; "
                   f"fields: {', '.join(spec.field_names)}")
            raise ValueError(msg)
        configured[layer] = fields
    return configured


def resolve_public_fields(public_layers: Iterable[str], configured: Mapping[str, Iterable[str]]) -> dict[str, tuple]:
    """The public fields of every public layer (configured, else the default); :class:`ValueError` when the
    configuration names a layer that is not public or unknown, or a public layer is unknown."""
    public = list(public_layers)
    unknown = [name for name in public if name not in REGISTRY]
    if unknown:
        msg = f"PARKATLAS_PUBLIC_LAYERS: no layer {', '.join(map(repr, unknown))}; layers: {', '.join(REGISTRY)}"
        raise ValueError(msg)
    stray = [name for name in configured if name not in public]
    if stray:
        msg = (f"PARKATLAS_PUBLIC_FIELDS names {', '.join(map(repr, stray))}, which PARKATLAS_PUBLIC_LAYERS does "
               f"not make public ({', '.join(public) or 'none'})")
        raise ValueError(msg)
    return {name: complete_fields(REGISTRY[name], configured[name]) if name in configured
            else default_public_fields(REGISTRY[name]) for name in public}


def in_force_mask(frame: pd.DataFrame) -> np.ndarray:
    """Which records are in force now (``retired_on`` empty: :func:`layers.valid_time.held_now`)."""
    return held_now(frame)


def public_records(frame: pd.DataFrame, fields: Iterable[str]) -> pd.DataFrame:
    """The records in force of ``frame`` with only ``fields`` (and the geometry of a spatial layer)."""
    columns = [name for name in fields if name in frame.columns]
    if "geometry" in frame.columns:
        columns.append("geometry")
    return frame.loc[in_force_mask(frame), columns]
