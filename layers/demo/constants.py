"""Design constants of the demo park, each with where it comes from.

These are the *generator's* design basis, not analysis rules: the analyses read
their thresholds from ``data/rules.yaml`` and ``data/infrastructure.yaml``. The
demo keeps every constructed value well away from those thresholds (at least 30
days from a one-year period, FAR and coverage 25 % clear of a minimum, pipes a
few decimetres clear of a clearance), so the expected outcome of a case does not
depend on configuration details.
"""

from __future__ import annotations

import numpy as np

#: The day every contract date is relative to; analyses of the demo use it as ``as_of``.
REFERENCE_DATE = np.datetime64("2026-06-30")
DEFAULT_SEED = 20261122
DEFAULT_PARCELS = 600
#: Above this many plots the manifest is not written (it would list most of the park).
MANIFEST_MAX_PARCELS = 50_000

#: Where the park lies: a coastal Zhejiang-style park (台州湾 area).
PARK_LON_DEG, PARK_LAT_DEG = 121.40, 28.65
#: CGCS2000 / 3-degree Gauss-Kruger CM 120E, the working CRS for that longitude.
WORKING_EPSG = 4549
PARK_NAME = "东海湾临港产业园（演示）"

#: Red-line (红线) widths by road grade, m: typical park values (CJJ 37-2012 ranges).
ROAD_WIDTH_M = {"expressway": 50.0, "arterial": 40.0, "secondary": 30.0, "branch": 20.0, "internal": 12.0}
ROAD_LANES = {"expressway": 6, "arterial": 6, "secondary": 4, "branch": 2, "internal": 2}

#: Buildings stand at least this far inside their parcel (the brief asks ≥ 5 m; 1 m spare).
MIN_SETBACK_M = 6.0
#: 1 亩 = 2000/3 m² (geo/units.py); repeated here only to keep layers/ free of geo imports.
M2_PER_MU = 2000.0 / 3.0

# 闲置土地处置办法 (53号令) periods as the demo constructs them: a full year is at most 366 days,
# and every constructed date stays at least 30 days away from each anniversary.
DAYS_MARGIN = 30
YEAR_MAX_DAYS = 366
YEAR_MIN_DAYS = 365
#: 53号令 Art. 14: the idle-land fee is 20 % of the land price (DOMAIN.md §1.3).
IDLE_FEE_RATE = 0.20
#: 53号令 Art. 2 thresholds for IDLE-B (DOMAIN.md §1.1); the demo stays clear of them.
STALLED_DEVELOPED_SHARE = 1.0 / 3.0
STALLED_INVESTED_SHARE = 0.25

#: 工业项目建设用地控制指标 (DOMAIN.md §3.1–3.3): building coefficient ≥ 30 %, a storey
#: higher than 8 m counts twice in the FAR.
BUILDING_COEF_MIN = 0.30
DOUBLE_COUNT_STOREY_M = 8.0
GREEN_RATIO_MAX = 0.20
ADMIN_SHARE_MAX = 0.07

#: Lease and figure history: three years before the reference date.
HISTORY_YEARS = (2023, 2024, 2025)
#: When the park's register went digital: the earliest ``first_added`` of any record.
REGISTER_START = np.datetime64("2023-03-15")
