"""Area units used in Chinese land administration.

Areas are stored in m² (float64) and converted only for display. 1 亩 is exactly
2000/3 m² (60 平方丈); never store a rounded 666.67. The converters work on
scalars, NumPy arrays and pandas Series alike.
"""

from __future__ import annotations

#: Square metres in one 亩, exactly.
M2_PER_MU = 2000.0 / 3.0
#: Square metres in one 公顷 (hectare).
M2_PER_HA = 10_000.0
#: 亩 in one 公顷.
MU_PER_HA = M2_PER_HA / M2_PER_MU
#: Square metres in one km².
M2_PER_KM2 = 1_000_000.0


def m2_to_mu(area_m2):
    """Convert m² to 亩."""
    return area_m2 / M2_PER_MU


def mu_to_m2(area_mu):
    """Convert 亩 to m²."""
    return area_mu * M2_PER_MU


def m2_to_ha(area_m2):
    """Convert m² to 公顷."""
    return area_m2 / M2_PER_HA


def ha_to_m2(area_ha):
    """Convert 公顷 to m²."""
    return area_ha * M2_PER_HA


def m2_to_km2(area_m2):
    """Convert m² to km²."""
    return area_m2 / M2_PER_KM2
