"""The annual report's change map: what changed in the year over the park as it stood at the year end.

The park's parcels held on 31 December are drawn in grey as context; each change of
:data:`geo.year_changes.CHANGES` present in the year is a layer of its own (toggled in the
layer control), coloured by the change, with a popup naming the record and the change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.maps import ParkMap, add_layer_control
from geo.maps_land import LegendEntry, PopupField, base_map, colored_layer
from geo.year_changes import CHANGES, change_label

CONTEXT_COLOR = "#d9d9d9"
CONTEXT_OUTLINE = "#9e9e9e"


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def changes_legend(changes: pd.DataFrame, *, lang: str = "zh") -> list[LegendEntry]:
    """One entry per change present in ``changes``, in drawing order."""
    present = set(changes["change"]) if len(changes) else set()
    return [LegendEntry(change_label(change, lang), colour) for change, (_, _, colour) in CHANGES.items()
            if change in present]


def changes_map(changes: pd.DataFrame, context: pd.DataFrame, *, lang: str = "zh", basemap: str = "none",
                asset_base_url: str = "/static", tianditu_key: str = "") -> ParkMap:
    """The year's changes (``geo.year_changes.year_changes``) over the parcels of ``context`` (working CRS).

    The map opens on the park (context and changes); a park without parcels or changes gives an empty map
    on its default view.
    """
    frames = [frame for frame in (context, changes) if frame is not None and len(frame)]
    m = base_map(frames, lang=lang, basemap=basemap, asset_base_url=asset_base_url, tianditu_key=tianditu_key)
    popup = [PopupField("name", _t(lang, "名称", "Name")), PopupField("change_label", _t(lang, "变化", "Change"))]
    if context is not None and len(context):
        parcels = context[["parcel_id", "geometry"]].assign(name=context.get("name"), change_label=None)
        colored_layer(parcels, key="park", name=_t(lang, "园区地块（年末）", "Park parcels (year end)"),
                      colors=pd.Series(CONTEXT_COLOR, index=parcels.index), popup=popup[:1], id_field="parcel_id",
                      title=_t(lang, "地块", "Parcel"), fill_opacity=0.5, outline=CONTEXT_OUTLINE).add_to(m)
    for change, (_, _, colour) in CHANGES.items():
        chosen = changes[changes["change"] == change] if len(changes) else changes
        if not len(chosen):
            continue
        lines = bool(np.all(chosen.geometry.geom_type.isin(["LineString", "MultiLineString"])))
        shown = chosen.assign(change_label=change_label(change, lang))
        colored_layer(shown, key=f"change_{change}", name=change_label(change, lang),
                      colors=pd.Series(colour, index=shown.index), popup=popup, id_field="record_id",
                      title=change_label(change, lang), fill_opacity=0.0 if lines else 0.55,
                      weight_px=4.0 if lines else 2.0, color_target="stroke" if lines else "both").add_to(m)
    add_layer_control(m)
    return m


__all__ = ["CONTEXT_COLOR", "changes_legend", "changes_map"]
