"""What happens on each plot: land use, development stage and the constructed cases.

Every plot gets a *kind* — planned, approved, on_track, overdue, idle_fee,
idle_reclaim, exempt, stalled, started, completed, operating, reclaimed, green,
utility or sf (a standard-factory campus) — drawn from the maturity band of its
column, then topped up so that every idle-land status and inefficiency category of
the manifest has its minimum count. Dates are built backwards from the reference
date so each case sits at least 30 days away from every one-year threshold of
闲置土地处置办法 (53号令), and progress shares stay clear of 1/3 developed and 25 %
invested.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from layers.demo.constants import (
    DAYS_MARGIN,
    M2_PER_MU,
    REFERENCE_DATE,
    YEAR_MAX_DAYS,
    YEAR_MIN_DAYS,
)
from layers.demo.layout import BAND_EXPANSION, BAND_MATURE, BAND_MID, BAND_PHASE1, BAND_YOUNG, Layout

KINDS = ("planned", "approved", "on_track", "overdue", "idle_fee", "idle_reclaim", "exempt", "stalled", "started",
         "completed", "operating", "reclaimed", "green", "utility", "sf")
K = {name: i for i, name in enumerate(KINDS)}
#: Kinds whose plots an enterprise holds (the land user of record).
HELD_KINDS = ("on_track", "overdue", "idle_fee", "idle_reclaim", "exempt", "stalled", "started", "completed",
              "operating", "utility", "sf")
NOT_STARTED_KINDS = ("on_track", "overdue", "idle_fee", "idle_reclaim", "exempt")
BUILT_KINDS = ("completed", "operating", "utility", "sf")

#: Kind shares of ordinary (industrial, logistics, commercial) plots in each maturity band.
BAND_KIND_SHARES = {
    BAND_PHASE1: {"operating": 0.82, "completed": 0.04, "started": 0.03, "stalled": 0.02, "idle_reclaim": 0.03,
                  "exempt": 0.02, "idle_fee": 0.02, "reclaimed": 0.02},
    BAND_MATURE: {"operating": 0.55, "completed": 0.10, "started": 0.15, "stalled": 0.05, "exempt": 0.03,
                  "idle_fee": 0.06, "idle_reclaim": 0.06},
    BAND_MID: {"started": 0.28, "stalled": 0.08, "idle_fee": 0.12, "idle_reclaim": 0.06, "overdue": 0.12,
               "exempt": 0.06, "completed": 0.08, "operating": 0.06, "on_track": 0.14},
    BAND_YOUNG: {"on_track": 0.35, "overdue": 0.20, "idle_fee": 0.08, "approved": 0.22, "planned": 0.15},
    BAND_EXPANSION: {"planned": 0.55, "approved": 0.45},
}
#: Minimum plots per kind (and the bands it may be drawn from when topped up): every
#: manifest list needs at least three; seven exempt plots carry each cause once.
KIND_MINIMUMS = {
    "on_track": (4, (BAND_MID, BAND_YOUNG)),
    "overdue": (4, (BAND_MID, BAND_YOUNG)),
    "idle_fee": (4, (BAND_MATURE, BAND_MID, BAND_YOUNG)),
    "idle_reclaim": (4, (BAND_PHASE1, BAND_MATURE, BAND_MID)),
    "exempt": (7, (BAND_PHASE1, BAND_MATURE, BAND_MID)),
    "stalled": (4, (BAND_PHASE1, BAND_MATURE, BAND_MID)),
    "started": (5, (BAND_MATURE, BAND_MID)),
    "completed": (4, (BAND_MATURE, BAND_MID)),
    "operating": (8, (BAND_PHASE1, BAND_MATURE)),
    "reclaimed": (2, (BAND_PHASE1, BAND_MATURE)),
    "approved": (4, (BAND_YOUNG, BAND_EXPANSION)),
    "planned": (4, (BAND_YOUNG, BAND_EXPANSION)),
}

#: Industries of industrial plots: GB/T 4754-2017 class, name word, land class (1/2/3
#: → 100101/100102/100103), national minimum FAR of the division (DOMAIN.md §3.3), draw weight.
INDUSTRIES = (
    ("3976", "光电科技", 1, 1.0, 6), ("4011", "自动化仪表", 1, 1.0, 4), ("1810", "服饰", 1, 1.0, 3),
    ("1491", "食品", 1, 1.0, 3), ("2110", "家具", 1, 0.8, 3), ("3811", "电机", 1, 0.7, 5),
    ("3825", "光伏科技", 1, 0.7, 4), ("3311", "钢结构", 2, 0.7, 4), ("3441", "泵业", 2, 0.7, 6),
    ("3484", "机械", 2, 0.7, 7), ("3599", "装备制造", 2, 0.7, 5), ("3670", "汽车部件", 2, 0.7, 8),
    ("3731", "船舶", 2, 0.7, 3), ("1713", "印染", 2, 0.8, 2), ("2720", "药业", 2, 0.7, 5),
    ("2614", "化工", 3, 0.6, 4), ("2710", "医药化工", 3, 0.7, 5), ("2651", "新材料", 3, 0.6, 3),
)
LOGISTICS_INDUSTRIES = (("5920", "物流"), ("5930", "冷链物流"))
COMMERCIAL_INDUSTRIES = {"0901": ("6110", "酒店管理"), "0902": ("7212", "投资管理")}
SF_INDUSTRY = ("7221", "园区开发")
#: Utility plots per set (one set per 600 plots): land use, facility, industry, name word.
UTILITY_SET = (
    ("1303", "substation", "4420", "供电"), ("1303", "substation", "4420", "供电"),
    ("1301", "water_plant", "4610", "水务"), ("1302", "sewage_plant", "4620", "污水处理"),
    ("1304", "gas_station", "4511", "燃气"), ("1305", "heat_plant", "4430", "热电"),
    ("1306", None, "6311", "通信"), ("1310", "fire_station", None, None),
)
PLOTS_PER_UTILITY_SET = 600
GREEN_SHARE, COMMERCIAL_SHARE, LOGISTICS_SHARE = 0.04, 0.03, 0.08

EXEMPT_CAUSES = ("GOV-1", "GOV-2", "GOV-3", "GOV-4", "GOV-5", "GOV-6", "FM")
#: Zhejiang 标准地 conditions (contracted output and tax per 亩) are written into contracts from this year.
TARGETS_FROM_YEAR = 2017
NAT = np.datetime64("NaT", "D")


@dataclass
class Scenario:
    """Per-plot land use, kind and contract data (arrays aligned with the plots)."""

    kind: np.ndarray
    land_use: np.ndarray
    industry_code: np.ndarray       # '' where none
    industry_word: np.ndarray
    far_min: np.ndarray
    facility_kind: np.ndarray       # '' where the plot holds no facility
    tenure: np.ndarray              # '' where none
    status: np.ndarray
    contract_date: np.ndarray
    agreed_start: np.ndarray
    actual_start: np.ndarray
    agreed_completion: np.ndarray
    actual_completion: np.ndarray
    suspended_since: np.ndarray
    delay_cause: np.ndarray         # '' where none
    land_price_wan: np.ndarray
    investment_planned_wan: np.ndarray
    investment_done_wan: np.ndarray
    developed_area_m2: np.ndarray
    contract_tax_per_mu_wan: np.ndarray
    contract_output_per_mu_wan: np.ndarray
    site_levelled: np.ndarray
    underused: np.ndarray           # 0 no, 1 low coverage, 2 low FAR (deliberate 用而未尽)
    below_target: np.ndarray        # 0 no, 1 figures short, 2 investment short, 3 zombie owner
    started_variant: np.ndarray     # 0 plain, 1 recently suspended, 2 suspended long but progressed
    held: np.ndarray                # an enterprise holds the plot
    extra: dict = field(default_factory=dict)

    def mask(self, *kinds: str) -> np.ndarray:
        return np.isin(self.kind, [K[k] for k in kinds])


def _days(rng: np.random.Generator, low: int, high: int, size: int) -> np.ndarray:
    """Random whole-day spans in [low, high] as timedelta64[D]."""
    return rng.integers(low, high + 1, size).astype("timedelta64[D]")


def _date_between(rng: np.random.Generator, first: str, last: str, size: int) -> np.ndarray:
    start, end = np.datetime64(first, "D"), np.datetime64(last, "D")
    return start + _days(rng, 0, int((end - start).astype(int)), size)


def _assign_kinds(layout: Layout, rng: np.random.Generator, pool: np.ndarray) -> np.ndarray:
    """Draw kinds for the ordinary plots by band, then top up each kind to its minimum."""
    band = layout.plots.band
    kind = np.full(len(band), -1)
    for b, shares in BAND_KIND_SHARES.items():
        rows = np.flatnonzero(pool & (band == b))
        names = list(shares)
        p = np.array([shares[k] for k in names])
        kind[rows] = np.array([K[k] for k in names])[rng.choice(len(names), len(rows), p=p / p.sum())]
    for name, (need, bands) in KIND_MINIMUMS.items():
        have = int((kind == K[name]).sum())
        if have >= need:
            continue
        counts = np.bincount(kind[kind >= 0], minlength=len(KINDS))
        # Take from kinds that stay above their own minimum, most plentiful first.
        spare = np.zeros(len(KINDS), dtype=bool)
        for other in range(len(KINDS)):
            other_min = KIND_MINIMUMS.get(KINDS[other], (0, ()))[0]
            spare[other] = other != K[name] and counts[other] > other_min + 2
        donors = pool & np.isin(band, bands) & spare[np.maximum(kind, 0)] & (kind >= 0)
        chosen = rng.permutation(np.flatnonzero(donors))[: need - have]
        kind[chosen] = K[name]
    return kind


def plan_scenarios(layout: Layout, rng: np.random.Generator) -> Scenario:
    """Land use, kind, contract dates and contract values of every plot."""
    plots = layout.plots
    n = len(plots)
    band = plots.band
    area_m2 = plots.area_m2
    area_mu = area_m2 / M2_PER_MU

    # Land uses: standard-factory campuses, utilities, green, then the ordinary pool.
    land_use = np.full(n, "", dtype=object)
    facility = np.full(n, "", dtype=object)
    industry_code = np.full(n, "", dtype=object)
    industry_word = np.full(n, "", dtype=object)
    kind = np.full(n, -1)
    kind[plots.sf] = K["sf"]
    land_use[plots.sf] = "100101"
    industry_code[plots.sf], industry_word[plots.sf] = SF_INDUSTRY
    free = ~plots.sf & ~plots.landlocked
    n_sets = max(1, int(round(n / PLOTS_PER_UTILITY_SET)))
    utility_rows = rng.permutation(np.flatnonzero(free & np.isin(band, (BAND_PHASE1, BAND_MATURE))
                                                  & (area_mu >= 8)))[: n_sets * len(UTILITY_SET)]
    spec = np.array(UTILITY_SET * n_sets, dtype=object)[: len(utility_rows)]
    kind[utility_rows] = K["utility"]
    land_use[utility_rows] = spec[:, 0]
    facility[utility_rows] = np.where(spec[:, 1] == None, "", spec[:, 1])  # noqa: E711 (object array)
    industry_code[utility_rows] = np.where(spec[:, 2] == None, "", spec[:, 2])  # noqa: E711
    industry_word[utility_rows] = np.where(spec[:, 3] == None, "", spec[:, 3])  # noqa: E711
    free[utility_rows] = False
    # A planned substation in the expansion area per set.
    planned_sub = rng.permutation(np.flatnonzero(free & (band == BAND_EXPANSION)))[:n_sets]
    kind[planned_sub] = K["planned"]
    land_use[planned_sub] = "1303"
    facility[planned_sub] = "substation"
    free[planned_sub] = False
    green = free & (rng.random(n) < GREEN_SHARE)
    kind[green] = K["green"]
    land_use[green] = np.where(rng.random(green.sum()) < 0.6, "1402", "1401")
    free &= ~green

    pool = free | plots.landlocked
    kind_pool = _assign_kinds(layout, rng, pool)
    kind[pool] = kind_pool[pool]
    # Landlocked plots: supplied land the government could not hand over with access (GOV-1).
    kind[plots.landlocked] = K["exempt"]

    # Land use of the pool: commercial, logistics, industrial by industry.
    r = rng.random(n)
    commercial = pool & ~plots.landlocked & (r < COMMERCIAL_SHARE) & (band <= BAND_MID)
    logistics = pool & ~commercial & (r >= COMMERCIAL_SHARE) & (r < COMMERCIAL_SHARE + LOGISTICS_SHARE)
    industrial = pool & ~commercial & ~logistics
    land_use[commercial] = np.where(rng.random(commercial.sum()) < 0.6, "0901", "0902")
    for code, (ind, word) in COMMERCIAL_INDUSTRIES.items():
        rows = commercial & (land_use == code)
        industry_code[rows], industry_word[rows] = ind, word
    lg = rng.integers(0, len(LOGISTICS_INDUSTRIES), n)
    land_use[logistics] = np.where(rng.random(logistics.sum()) < 0.5, "1101", "110101")
    industry_code[logistics] = np.array([c for c, _ in LOGISTICS_INDUSTRIES], dtype=object)[lg[logistics]]
    industry_word[logistics] = np.array([w for _, w in LOGISTICS_INDUSTRIES], dtype=object)[lg[logistics]]
    weights = np.array([row[4] for row in INDUSTRIES], dtype=float)
    ind = rng.choice(len(INDUSTRIES), n, p=weights / weights.sum())
    table = np.array(INDUSTRIES, dtype=object)
    land_use[industrial] = np.array(["", "100101", "100102", "100103"], dtype=object)[
        table[ind[industrial], 2].astype(int)]
    industry_code[industrial] = table[ind[industrial], 0]
    industry_word[industrial] = table[ind[industrial], 1]

    national_far = np.where(industrial, table[ind, 3].astype(float), np.nan)
    far_min = np.full(n, np.nan)
    far_min[industrial] = np.round(national_far[industrial] + np.where(rng.random(industrial.sum()) < 0.4, 0.2, 0.0),
                                   1)
    far_min[logistics] = 1.0
    far_min[commercial] = 1.5
    far_min[plots.sf] = 1.2

    held = np.isin(kind, [K[k] for k in HELD_KINDS]) & ~((kind == K["utility"]) & (land_use == "1310"))
    # Land nobody holds has planning conditions but no industry yet.
    unheld = np.isin(kind, [K["planned"], K["approved"], K["reclaimed"]])
    industry_code[unheld] = ""
    industry_word[unheld] = ""
    s = _dates_and_values(layout, rng, kind, land_use, held, industrial, logistics, commercial, area_mu)
    # A plot built too low on purpose carries a planning FAR minimum of at least 0.8.
    far_min = np.where(s["extra"]["far_floor"], np.fmax(far_min, 0.8), far_min)
    return Scenario(kind=kind, land_use=land_use, industry_code=industry_code, industry_word=industry_word,
                    far_min=far_min, facility_kind=facility, held=held, **s)


def _dates_and_values(layout, rng, kind, land_use, held, industrial, logistics, commercial, area_mu) -> dict:
    plots = layout.plots
    n = len(kind)
    band = plots.band
    ref = REFERENCE_DATE.astype("datetime64[D]")
    year, two_years = YEAR_MAX_DAYS + DAYS_MARGIN, 2 * YEAR_MAX_DAYS + DAYS_MARGIN
    short_year = YEAR_MIN_DAYS - DAYS_MARGIN  # ≤ this many days is surely less than one full year

    def is_(*names):
        return np.isin(kind, [K[k] for k in names])

    contract = np.full(n, NAT)
    agreed = np.full(n, NAT)
    actual_start = np.full(n, NAT)
    actual_completion = np.full(n, NAT)
    suspended = np.full(n, NAT)
    dev_share = np.zeros(n)
    inv_share = np.zeros(n)
    delay = np.full(n, "", dtype=object)

    def put(mask, agreed_dates, lead=(90, 240)):
        rows = np.flatnonzero(mask)
        agreed[rows] = agreed_dates
        contract[rows] = np.minimum(agreed_dates - _days(rng, *lead, len(rows)), ref - np.timedelta64(15, "D"))
        return rows

    # Not started: the agreed start date decides the idle status (53号令 Art. 2, 14).
    put(is_("on_track"), ref + _days(rng, DAYS_MARGIN, 300, is_("on_track").sum()), lead=(180, 330))
    put(is_("overdue"), ref - _days(rng, DAYS_MARGIN, short_year, is_("overdue").sum()))
    put(is_("idle_fee"), ref - _days(rng, year, 2 * YEAR_MIN_DAYS - DAYS_MARGIN, is_("idle_fee").sum()))
    put(is_("idle_reclaim"), ref - _days(rng, two_years, 1500, is_("idle_reclaim").sum()))
    exempt_rows = put(is_("exempt"), ref - _days(rng, year, 1200, is_("exempt").sum()))
    order = rng.permutation(len(exempt_rows))
    causes = np.array(EXEMPT_CAUSES, dtype=object)[np.arange(len(exempt_rows)) % len(EXEMPT_CAUSES)]
    delay[exempt_rows[order]] = causes
    delay[plots.landlocked & is_("exempt")] = "GOV-1"
    # One exempt plot per seven is a stalled project held up by force majeure (typhoon damage).
    exempt_stalled = np.zeros(n, dtype=bool)
    exempt_stalled[exempt_rows[order][causes == "FM"]] = True
    exempt_stalled &= ~plots.landlocked

    # Stalled (IDLE-B): started, little done, suspended more than a full year ago.
    stalled = is_("stalled") | exempt_stalled
    rows = put(stalled, ref - _days(rng, 900, 1800, stalled.sum()))
    actual_start[rows] = agreed[rows] + _days(rng, 0, 90, len(rows))
    latest = ref - np.timedelta64(year, "D")
    span = (latest - actual_start[rows] - np.timedelta64(60, "D")).astype(int)
    suspended[rows] = actual_start[rows] + np.timedelta64(60, "D") + (rng.random(len(rows)) * span).astype(
        int).astype("timedelta64[D]")
    dev_share[rows] = rng.uniform(0.08, 0.25, len(rows))
    inv_share[rows] = rng.uniform(0.05, 0.18, len(rows))

    # Started and not idle: three variants, the first two guaranteed once each.
    started_rows = rng.permutation(np.flatnonzero(is_("started")))
    variant = np.zeros(n, dtype=int)
    v = rng.choice(3, len(started_rows), p=[0.85, 0.10, 0.05])
    v[:2] = [1, 2][: len(v[:2])]
    variant[started_rows] = v
    plain, recent, long_ok = (is_("started") & (variant == i) for i in range(3))
    rows = put(plain, ref - _days(rng, 120, 900, plain.sum()))
    actual_start[rows] = np.minimum(agreed[rows] + _days(rng, -30, 90, len(rows)), ref - np.timedelta64(60, "D"))
    dev_share[rows] = rng.uniform(0.45, 0.9, len(rows))
    inv_share[rows] = rng.uniform(0.40, 0.85, len(rows))
    rows = put(recent, ref - _days(rng, 400, 900, recent.sum()))
    actual_start[rows] = agreed[rows] + _days(rng, 0, 60, len(rows))
    suspended[rows] = ref - _days(rng, 60, short_year, len(rows))
    dev_share[rows] = rng.uniform(0.10, 0.25, len(rows))
    inv_share[rows] = rng.uniform(0.08, 0.18, len(rows))
    rows = put(long_ok, ref - _days(rng, 800, 1100, long_ok.sum()))
    actual_start[rows] = agreed[rows] + _days(rng, 0, 60, len(rows))
    suspended[rows] = ref - _days(rng, year, 600, len(rows))
    dev_share[rows] = rng.uniform(0.45, 0.7, len(rows))
    inv_share[rows] = rng.uniform(0.40, 0.6, len(rows))

    # Built: completed (recently, not yet producing) and operating plots, utilities, campuses.
    rows = np.flatnonzero(is_("completed"))
    actual_completion[rows] = ref - _days(rng, 60, 900, len(rows))
    actual_start[rows] = actual_completion[rows] - _days(rng, 450, 900, len(rows))
    agreed[rows] = actual_start[rows] - _days(rng, -20, 120, len(rows))
    contract[rows] = agreed[rows] - _days(rng, 90, 240, len(rows))
    built = is_("operating", "utility", "sf")
    first = np.select([band == BAND_PHASE1, band == BAND_MATURE], [np.datetime64("2006-01-01"),
                                                                    np.datetime64("2017-01-01")],
                      np.datetime64("2019-01-01"))
    last = np.select([band == BAND_PHASE1, band == BAND_MATURE], [np.datetime64("2016-12-31"),
                                                                   np.datetime64("2021-06-30")],
                     np.datetime64("2022-10-31"))
    rows = np.flatnonzero(built)
    span = (last[rows] - first[rows]).astype(int)
    contract[rows] = first[rows] + (rng.random(len(rows)) * span).astype(int).astype("timedelta64[D]")
    agreed[rows] = contract[rows] + _days(rng, 90, 240, len(rows))
    actual_start[rows] = agreed[rows] + _days(rng, -20, 120, len(rows))
    actual_completion[rows] = np.minimum(actual_start[rows] + _days(rng, 450, 900, len(rows)),
                                         ref - np.timedelta64(60, "D"))
    dev_share[is_("completed") | built] = 1.0

    agreed_completion = np.where(np.isnat(agreed), NAT, agreed + np.timedelta64(2 * 365, "D"))
    not_started = is_(*NOT_STARTED_KINDS) & ~exempt_stalled
    inv_share[not_started] = rng.uniform(0.0, 0.03, not_started.sum())

    # Tenure and status.
    tenure = np.full(n, "", dtype=object)
    tenure[held & ~is_("utility")] = "granted"
    tenure[is_("utility", "green")] = "allocated"
    status = np.full(n, "", dtype=object)
    status[is_("planned")] = "planned"
    status[is_("approved")] = "approved_unsupplied"
    status[not_started] = "supplied"
    status[is_("stalled", "started") | exempt_stalled] = "under_construction"
    status[is_("completed")] = "completed"
    status[is_("operating", "utility", "sf")] = "operating"
    status[is_("reclaimed")] = "reclaimed"
    status[is_("green")] = np.where(band[is_("green")] == BAND_EXPANSION, "planned", "operating")
    tenure[is_("green") & (status == "planned")] = ""

    # Money (万元): land price and investment by 亩, older contracts cheaper.
    old = contract < np.datetime64("2017-01-01")
    price_mu = np.where(old, rng.uniform(12, 30, n), rng.uniform(35, 65, n))
    price_mu = np.where(commercial, price_mu * 5, price_mu)
    price_mu = np.where(is_("utility"), rng.uniform(8, 15, n), price_mu)
    invest_mu = np.where(old, rng.uniform(150, 350, n), rng.uniform(300, 600, n))
    invest_mu = np.select([logistics, commercial, is_("sf"), is_("utility")],
                          [rng.uniform(200, 350, n), rng.uniform(800, 1500, n), rng.uniform(400, 700, n),
                           rng.uniform(500, 1200, n)], invest_mu)
    priced = held | (is_("utility") & (land_use == "1310"))
    land_price = np.where(priced, np.round(price_mu * area_mu, 2), np.nan)
    planned_inv = np.where(priced, np.round(invest_mu * area_mu, 1), np.nan)
    inv_share[is_("operating", "utility", "sf")] = rng.uniform(1.05, 1.35, is_("operating", "utility", "sf").sum())
    inv_share[is_("completed")] = rng.uniform(1.0, 1.2, is_("completed").sum())

    # Deliberate 投而未达标 (operating, contracted targets) and 用而未尽 (built, too little built).
    has_targets = (industrial | logistics) & (contract >= np.datetime64(f"{TARGETS_FROM_YEAR}-01-01")) & held
    tax_target = np.where(has_targets, np.round(rng.uniform(15, 30, n), 1), np.nan)
    output_target = np.where(has_targets, np.round(rng.uniform(200, 500, n), 0), np.nan)
    n_min = max(4, int(round(n / 150)))
    below = np.zeros(n, dtype=int)
    candidates = rng.permutation(np.flatnonzero(is_("operating") & has_targets))[:n_min]
    below[candidates] = np.resize([1, 3, 2], len(candidates))
    inv_share[below == 2] = rng.uniform(0.35, 0.6, (below == 2).sum())
    underused = np.zeros(n, dtype=int)
    candidates = rng.permutation(np.flatnonzero(is_("operating", "completed") & industrial & ~plots.landlocked))
    underused[candidates[:n_min]] = np.resize([1, 2], min(n_min, len(candidates)))
    far_floor = underused == 2

    developed = np.round(dev_share * plots.area_m2, 1)
    developed[~(is_("stalled", "started", "completed", "operating", "utility", "sf") | exempt_stalled)] = np.nan
    site_levelled = (status != "planned") & ~((status == "approved_unsupplied") & (rng.random(n) < 0.5))
    return dict(
        tenure=tenure, status=status, contract_date=contract, agreed_start=agreed, actual_start=actual_start,
        agreed_completion=agreed_completion, actual_completion=actual_completion, suspended_since=suspended,
        delay_cause=np.where(priced & (delay == ""), "none", delay), land_price_wan=land_price,
        investment_planned_wan=planned_inv,
        investment_done_wan=np.where(priced, np.round(planned_inv * inv_share, 1), np.nan),
        developed_area_m2=developed, contract_tax_per_mu_wan=tax_target,
        contract_output_per_mu_wan=output_target, site_levelled=site_levelled, underused=underused,
        below_target=below, started_variant=variant,
        extra={"exempt_stalled": exempt_stalled, "far_floor": far_floor, "industrial": industrial,
               "logistics": logistics, "commercial": commercial},
    )
