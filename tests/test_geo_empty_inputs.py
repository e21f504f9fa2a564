"""The analyses on empty layers: empty results of the same columns and types as on a park with records.

A park may hold any subset of the layers (tests/test_any_park.py serves them all); here
each analysis is handed the tiny park with one layer — or every layer — left empty, and
its tables must keep the columns and dtypes they have on the tiny park itself, with no
row invented. Pages, JSON twins and XLSX are built from these tables, so a type that
changes with emptiness is a page that breaks on some park.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geo.analysis import analyse_land
from geo.infrastructure_summary import infrastructure_analysis
from geo.reasons import take_at
from geo.summary import park_summary, summary_shaped
from layers.infra_rules import default_infra_rules
from layers.registry import REGISTRY
from layers.rules import default_rules
from layers.validate import validate_layer
from tests.anypark_helpers import rich_frames

AS_OF = dt.date(2026, 6, 30)
INFRA = default_infra_rules()


def typed_layers(emptied: tuple[str, ...] = ()) -> dict[str, pd.DataFrame]:
    """Every registry layer of the tiny park (validated), with those in ``emptied`` left without rows."""
    frames = rich_frames()
    out = {}
    for name, spec in REGISTRY.items():
        frame = frames.get(name)
        if frame is None:
            frame = pd.DataFrame({spec.id_field: pd.Series([], dtype=object)})
            if not spec.is_table:
                import geopandas as gpd

                frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=frames["parcels"].crs))
        typed, _ = validate_layer(frame.iloc[:0] if name in emptied else frame, spec, source=f"test:{name}")
        out[name] = typed
    return out


def land_tables(layers) -> dict[str, pd.DataFrame]:
    result = analyse_land(layers, as_of=AS_OF, rules=default_rules(), infra_rules=INFRA)
    return {"parcels": result.parcels, "units": result.units, "buildings": result.buildings,
            "phases": result.phases, "overlaps": result.overlaps, "trend": result.trend, "ratios": result.ratios,
            "firms": result.muju.firms, "muju_parcels": result.muju.parcels, "land": result.muju.land}


def infra_tables(layers) -> dict[str, pd.DataFrame]:
    result = infrastructure_analysis(layers, rules=INFRA, as_of=AS_OF)
    return {key: result[key] for key in ("parcels", "conflicts", "unchecked_pipes", "road_km", "pipeline_km")}


def dtypes(table: pd.DataFrame) -> dict[str, str]:
    return {str(column): str(dtype) for column, dtype in table.dtypes.items()}


SPATIAL = ("zones", "parcels", "buildings", "roads", "pipelines", "facilities")


@pytest.mark.parametrize("emptied", [(name,) for name in (*SPATIAL, "units", "leases")] + [tuple(REGISTRY)],
                         ids=[*SPATIAL, "units", "leases", "everything"])
@pytest.mark.parametrize("tables", [land_tables, infra_tables], ids=["land", "infrastructure"])
def test_analyses_of_empty_layers_keep_their_columns_and_types(tables, emptied):
    full = tables(typed_layers())
    empty = tables(typed_layers(emptied))
    assert list(empty) == list(full)
    for key, table in empty.items():
        assert dtypes(table) == dtypes(full[key]), key
    # Nothing is invented for the layer left empty: a table of its records has none.
    for name, key in (("parcels", "parcels"), ("units", "units"), ("buildings", "buildings")):
        if name in emptied and key in empty:
            assert len(empty[key]) == 0, key


def test_the_land_analysis_of_parcels_alone_judges_them_and_leaves_vacancy_unknown():
    layers = typed_layers(tuple(name for name in REGISTRY if name not in ("parcels",)))
    result = analyse_land(layers, as_of=AS_OF, rules=default_rules())
    assert result.parcels["parcel_id"].tolist() == ["P1", "P2", "P3"]
    # No buildings recorded: nothing stands on any parcel.
    assert result.parcels["footprint_m2"].fillna(0).tolist() == [0.0, 0.0, 0.0]
    # ... and their FAR and site coverage are unknown, not 0, in the parcels and in the area ratios.
    assert result.parcels["far"].isna().all() and result.parcels["building_coef"].isna().all()
    assert np.isnan(result.ratios.loc["全园区", "comprehensive_far"])
    assert len(result.units) == 0 and len(result.overlaps) == 0
    assert np.isnan(result.park_vacancy["vacancy_rate"]) and result.park_vacancy["leasable_m2"] == 0
    # The land each enterprise holds is its own parcels' (no tenants): E1 10 000 m², E2 20 000 m².
    land = result.muju.land.set_index("enterprise_id")["land_m2"]
    assert land.to_dict() == pytest.approx({"E1": 10_000.0, "E2": 20_000.0})


def test_the_summary_of_an_empty_park_is_not_judged_not_zero_and_not_an_error():
    figures = park_summary(typed_layers(tuple(REGISTRY)), as_of=AS_OF, rules=default_rules(),
                           infra_rules=default_infra_rules())
    # What is counted is 0 (no parcel registered); what would be judged from records is None, never 0.
    assert figures["park_area"] == {"area_m2": None, "area_km2": None, "area_mu": None, "source": "none",
                                    "parcels_mu": 0.0, "parcels_outside_mu": 0.0}
    assert figures["parcels"]["total"] == 0 and figures["roads"]["total_km"] is None
    efficiency = figures["land_use_efficiency"]
    assert efficiency["idle_mu"] is None and efficiency["vacancy_rate"] is None
    assert figures["infrastructure"]["supplied_parcels"] is None and figures["infrastructure"]["conflicts"] is None
    assert summary_shaped(figures)


@pytest.mark.parametrize(("values", "rows", "fill", "expected"), [
    (np.array([], dtype=np.int64), np.array([], dtype=np.int64), -1, np.array([], dtype=np.int64)),
    (np.array([], dtype=np.int64), np.array([-1, -1]), -1, np.array([-1, -1], dtype=np.int64)),
    (np.array([], dtype=float), np.array([-1]), np.nan, np.array([np.nan])),
    (np.array([7, 8]), np.array([1, -1]), -1, np.array([8, -1])),
])
def test_take_at_keeps_positions_integer_also_from_an_empty_table(values, rows, fill, expected):
    # Positions taken from an empty table index the next one: float or object positions were the IndexError
    # a park of parcels alone answered with (a 500 on every land page).
    out = take_at(values, rows, fill=fill)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)
