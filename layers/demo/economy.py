"""Enterprises, their yearly figures, factory units, leases and the revitalisation ledger.

Land users of record hold one plot each; tenants lease units of standard factory
buildings. Yearly figures (2023–2025) are lognormal and scaled by land (or leased
floor area); enterprises on plots with contracted 亩均 targets beat them by at
least 35 % in every year unless the plot is a deliberate 投而未达标 case, which
misses them by at least 35 % (or is a near-idle "zombie"). Unified social credit
codes follow GB 32100-2015, with the organisation code check digit of GB 11714.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from layers.demo.buildings import Buildings
from layers.demo.constants import HISTORY_YEARS, M2_PER_MU, REFERENCE_DATE
from layers.demo.layout import Layout
from layers.demo.scenarios import K, Scenario

CITY_WORDS = ("台州", "临海", "浙江", "台州湾", "椒江", "路桥", "黄岩", "温岭")
CORE_CHARS = tuple("鑫华宏泰恒达盛隆永丰顺瑞嘉凯海港东新联创远宇正中金天元精博诚信安康明辉锐科晶捷")
SUFFIXES = ("有限公司", "股份有限公司", "集团有限公司")
SUFFIX_P = (0.8, 0.15, 0.05)
#: Administrative division codes of 台州 (GB/T 2260) used in credit codes.
ADMIN_CODES = ("331082", "331002", "331004", "331003", "331081", "331022")
#: Tenants of standard factories: small manufacturers (GB/T 4754-2017 class, name word).
TENANT_INDUSTRIES = (("3976", "电子科技"), ("4011", "仪器仪表"), ("1810", "服饰"), ("3670", "汽车配件"),
                     ("3484", "精密机械"), ("3825", "新能源科技"), ("2720", "生物医药"), ("3311", "五金制品"))
HIGH_TECH_CODES = ("3976", "4011", "3825", "2710", "2720", "2651")
#: Above designated size (规上): main business revenue of at least 2 000 万元.
ABOVE_SCALE_REVENUE_WAN = 2000.0
#: Units per floor of a standard factory, and their shares.
UNITS_PER_FLOOR, UNITS_PER_FLOOR_P = (1, 2, 3), (0.35, 0.45, 0.20)
UNIT_STATUS, UNIT_STATUS_P = ("leasable", "self_used", "under_renovation", "sold"), (0.85, 0.05, 0.05, 0.05)
#: Lease terms (days) and the share of renewals that follow on the next day.
LEASE_TERMS_DAYS, RENEWAL_SHARE = (365, 730, 1095), 0.4
MAX_LEASES_PER_UNIT = 6
TENANCIES_PER_TENANT = 1.6

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)])
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])


def credit_codes(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` unified social credit codes (18 characters, both check characters valid).

    Layout (GB 32100-2015): registration authority 9 (market regulation), type 1
    (enterprise), six-digit division code, nine-character organisation code (eight
    characters and the GB 11714 check), and the check character over the first 17.
    Characters are handled as positions in the 31-character alphabet throughout.
    """
    alphabet = np.array(list(_USCC_ALPHABET))
    admin = np.array([[int(ch) for ch in code] for code in ADMIN_CODES])[rng.integers(0, len(ADMIN_CODES), n)]
    # Organisation code body: mostly digits, sometimes a letter of the USCC alphabet.
    body = np.where(rng.random((n, 8)) < 0.05, rng.integers(10, 31, (n, 8)), rng.integers(0, 10, (n, 8)))
    # GB 11714 values letters A–Z as 10–35 (their code point − 55).
    code_points = np.array([ord(c) for c in _USCC_ALPHABET])
    org_values = np.where(body < 10, body, code_points[body] - 55)
    org_check = 11 - (org_values * _ORG_WEIGHTS).sum(axis=1) % 11
    org_char = np.where(org_check == 10, _USCC_ALPHABET.index("X"), org_check % 11)
    positions = np.column_stack([np.full(n, 9), np.full(n, 1), admin, body, org_char])
    check = (31 - (positions * _USCC_WEIGHTS).sum(axis=1) % 31) % 31
    chars = alphabet[np.column_stack([positions, check])].astype("<U1")
    return np.ascontiguousarray(chars).view("<U18").ravel().astype(object)


def enterprise_names(words: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Chinese company names: city + two characters + industry word + legal form."""
    n = len(words)
    city = np.array(CITY_WORDS)[rng.integers(0, len(CITY_WORDS), n)]
    core = np.char.add(np.array(CORE_CHARS)[rng.integers(0, len(CORE_CHARS), n)],
                       np.array(CORE_CHARS)[rng.integers(0, len(CORE_CHARS), n)])
    suffix = np.array(SUFFIXES)[rng.choice(len(SUFFIXES), n, p=SUFFIX_P)]
    return np.char.add(np.char.add(np.char.add(city, core), words.astype(str)), suffix).astype(object)


@dataclass
class Economy:
    enterprises: dict
    years: dict
    units: dict
    leases: dict
    cases: dict
    overlapping_leases: list
    owner_of_plot: np.ndarray       # enterprise position per plot (−1 none)


def _units(buildings: Buildings, building_ids: np.ndarray, rng: np.random.Generator) -> dict:
    sf = np.flatnonzero(buildings.slot == "sf")
    per_floor = rng.choice(UNITS_PER_FLOOR, len(sf), p=UNITS_PER_FLOOR_P)
    floors = buildings.floors[sf]
    count = floors * per_floor
    b = np.repeat(sf, count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    upf = np.repeat(per_floor, count)
    floor = k // upf + 1
    index = k % upf + 1
    unit_id = np.char.add(np.char.add(np.char.add(building_ids[b].astype(str), "-"), floor.astype(str)),
                          np.char.zfill(index.astype(str), 2))
    area = np.round(buildings.footprint_m2[b] / upf * 0.92, 1)
    ground = floor == 1
    upper_load = np.repeat(rng.choice((8.0, 10.0), len(sf)), count)
    return dict(
        unit_id=unit_id, building=b, building_id=building_ids[b], floor=floor, area_m2=area,
        status=np.array(UNIT_STATUS, dtype=object)[rng.choice(len(UNIT_STATUS), len(b), p=UNIT_STATUS_P)],
        floor_load_kn_m2=np.where(ground, 30.0, upper_load),
        clear_height_m=np.where(ground, buildings.ground_m[b] - 1.0, buildings.upper_m[b] - 1.0),
    )


def _leases(units: dict, rng: np.random.Generator) -> tuple[dict, list]:
    """Consecutive leases of each leasable unit over the three years before the reference date."""
    ref = REFERENCE_DATE.astype("datetime64[D]")
    window = ref - np.timedelta64(3 * 365, "D")
    leasable = np.flatnonzero((units["status"] == "leasable") & (rng.random(len(units["status"])) > 0.06))
    m, k = len(leasable), MAX_LEASES_PER_UNIT
    term = np.array(LEASE_TERMS_DAYS)[rng.integers(0, len(LEASE_TERMS_DAYS), (m, k))]
    term = term + rng.integers(-20, 21, (m, k)) * (rng.random((m, k)) < 0.3)
    renewal = rng.random((m, k)) < RENEWAL_SHARE
    gap = np.where(renewal, 1, rng.integers(20, 241, (m, k)))
    gap[:, 0] = 0
    first = window + rng.integers(-500, 200, m).astype("timedelta64[D]")
    # start_i = first + Σ_{<i} term + Σ_{≤i} gap; end_i = start_i + term_i − 1 (ends are inclusive).
    offset = np.cumsum(gap, axis=1) + np.concatenate([np.zeros((m, 1), int), np.cumsum(term, axis=1)[:, :-1]],
                                                    axis=1)
    start = first[:, None] + offset.astype("timedelta64[D]")
    end = start + (term - 1).astype("timedelta64[D]")
    keep = (start <= ref) & (end >= window - np.timedelta64(180, "D"))
    unit_row, slot = np.nonzero(keep)
    unit_pos = leasable[unit_row]
    # A tenancy continues through renewals; a new tenancy starts after a gap.
    new_tenancy = ~renewal[unit_row, slot] | (slot == 0) | ~keep[unit_row, np.maximum(slot - 1, 0)]
    tenancy = np.cumsum(new_tenancy) - 1
    lease = dict(unit=unit_pos, unit_id=units["unit_id"][unit_pos], start=start[unit_row, slot],
                 end=end[unit_row, slot], tenancy=tenancy)
    base = np.where(units["floor"][unit_pos] == 1, rng.uniform(22, 28, len(unit_pos)),
                    rng.uniform(15, 20, len(unit_pos)))
    growth = 1.0 + 0.03 * (lease["start"].astype("datetime64[Y]").astype(int) + 1970 - 2023)
    lease["rent_yuan_m2_month"] = np.round(base * growth, 1)

    # Deliberate data errors: a few units let twice over a stretch of days.
    second = np.flatnonzero((slot > 0) & keep[unit_row, np.maximum(slot - 1, 0)])
    n_overlap = max(3, int(round(0.005 * len(units["unit_id"]))))
    chosen = rng.permutation(second)[:n_overlap]
    pairs = []
    if len(chosen):
        prev = chosen - 1  # leases of a unit are consecutive rows, in slot order
        shift = rng.integers(30, 91, len(chosen)).astype("timedelta64[D]")
        lease["start"][chosen] = lease["end"][prev] - shift
        # The double-let lease goes to a different tenant; so do its renewals (the rows after it
        # in the same tenancy).
        first_row = dict(zip(tenancy[chosen].tolist(), chosen.tolist()))
        new_id = dict(zip(tenancy[chosen].tolist(), (tenancy.max() + 1 + np.arange(len(chosen))).tolist()))
        rows = np.flatnonzero(np.isin(tenancy, tenancy[chosen]))
        move = rows[rows >= np.array([first_row[t] for t in tenancy[rows].tolist()], dtype=int)]
        tenancy[move] = np.array([new_id[t] for t in tenancy[move].tolist()], dtype=int)
        pairs = list(zip(prev.tolist(), chosen.tolist()))
    lease["tenancy"] = tenancy
    return lease, pairs


def plan_economy(layout: Layout, scenario: Scenario, buildings: Buildings, building_ids: np.ndarray,
                 plot_ids: np.ndarray, rng: np.random.Generator) -> Economy:
    """Enterprises (land users and tenants), their figures, units, leases and cases."""
    p = layout.plots
    area_mu = p.area_m2 / M2_PER_MU
    units = _units(buildings, building_ids, rng)
    leases, overlap_pairs = _leases(units, rng)

    # Land users: one per held plot, in plot order.
    owner_plots = np.flatnonzero(scenario.held)
    n_owners = len(owner_plots)
    n_tenancies = int(leases["tenancy"].max()) + 1 if len(leases["tenancy"]) else 0
    n_tenants = max(1, int(np.ceil(n_tenancies / TENANCIES_PER_TENANT))) if n_tenancies else 0
    tenant_of_tenancy = rng.integers(0, max(n_tenants, 1), n_tenancies)
    lease_tenant = n_owners + tenant_of_tenancy[leases["tenancy"]] if n_tenancies else np.array([], int)
    n = n_owners + n_tenants
    owner_of_plot = np.full(len(p), -1)
    owner_of_plot[owner_plots] = np.arange(n_owners)

    tenant_ind = rng.integers(0, len(TENANT_INDUSTRIES), n_tenants)
    code = np.concatenate([scenario.industry_code[owner_plots],
                           np.array([c for c, _ in TENANT_INDUSTRIES], dtype=object)[tenant_ind]])
    word = np.concatenate([scenario.industry_word[owner_plots].astype(str),
                           np.array([w for _, w in TENANT_INDUSTRIES])[tenant_ind]])
    names = enterprise_names(word, rng)
    kind = np.concatenate([scenario.kind[owner_plots], np.full(n_tenants, -1)])
    utility = kind == K["utility"]
    names[utility] = np.char.add(np.char.add("台州湾", word[utility].astype(str)), "有限公司")
    sf_owner = kind == K["sf"]
    number = (np.arange(sf_owner.sum()) + 1).astype(str)
    names[sf_owner] = np.where(number == "1", "台州湾临港标准厂房开发有限公司",
                               np.char.add(np.char.add("台州湾临港", number), "号标准厂房开发有限公司"))

    ref = REFERENCE_DATE.astype("datetime64[D]")
    contract = scenario.contract_date[owner_plots]
    first_lease = np.full(n_tenants, ref)
    if n_tenancies:
        np.minimum.at(first_lease, lease_tenant - n_owners, leases["start"])
    anchor = np.concatenate([np.where(np.isnat(contract), ref - np.timedelta64(400, "D"), contract), first_lease])
    established = anchor - rng.integers(100, 3000, n).astype("timedelta64[D]")

    # Yearly figures.
    below = np.concatenate([scenario.below_target[owner_plots], np.zeros(n_tenants, int)])
    zombie = below == 3
    tenant_zombie = np.zeros(n, dtype=bool)
    tenant_zombie[n_owners:] = rng.random(n_tenants) < 0.02
    zombie |= tenant_zombie
    land_mu = np.concatenate([area_mu[owner_plots], np.zeros(n_tenants)])
    producing = np.isin(kind, [K["operating"], K["utility"], K["sf"]]) | (kind == -1)
    tax_target = np.concatenate([scenario.contract_tax_per_mu_wan[owner_plots], np.full(n_tenants, np.nan)])
    output_target = np.concatenate([scenario.contract_output_per_mu_wan[owner_plots], np.full(n_tenants, np.nan)])
    free_output = np.clip(rng.lognormal(np.log(350), 0.45, n), 120, None)
    output_mu = np.where(np.isnan(output_target), free_output, output_target * rng.uniform(1.45, 2.2, n))
    tax_rate = rng.lognormal(np.log(0.055), 0.3, n)
    tax_mu = np.where(np.isnan(tax_target), output_mu * tax_rate, tax_target * rng.uniform(1.45, 2.2, n))
    short = below == 1
    output_mu = np.where(short, output_target * rng.uniform(0.25, 0.6, n), output_mu)
    tax_mu = np.where(short, tax_target * rng.uniform(0.2, 0.6, n), tax_mu)
    commercial = scenario.extra["commercial"][owner_plots]
    tax_mu[:n_owners] = np.where(commercial, tax_mu[:n_owners] * 1.5, tax_mu[:n_owners])

    years = np.array(HISTORY_YEARS)
    ny = len(years)
    factor_output = rng.uniform(0.93, 1.08, (n, ny))
    factor_tax = rng.uniform(0.93, 1.08, (n, ny))
    output = output_mu[:, None] * land_mu[:, None] * factor_output
    tax = tax_mu[:, None] * land_mu[:, None] * factor_tax
    # Tenants: by the floor area they leased in each year.
    leased = np.zeros((n, ny))
    if n_tenancies:
        unit_area = units["area_m2"][leases["unit"]]
        for i, year in enumerate(years):  # three history years
            first = np.datetime64(f"{year}-01-01")
            last = np.datetime64(f"{year}-12-31")
            days = (np.minimum(leases["end"], last) - np.maximum(leases["start"], first)).astype(int) + 1
            np.add.at(leased[:, i], lease_tenant, unit_area * np.clip(days, 0, None) / 365.0)
    per_m2 = rng.lognormal(np.log(0.35), 0.5, n)
    tenant = np.arange(n) >= n_owners
    output[tenant] = (leased * per_m2[:, None] * factor_output)[tenant]
    tax[tenant] = output[tenant] * tax_rate[tenant, None] * factor_tax[tenant]
    # Not producing: no output; tax is the land-use tax (≈ 6 元/m², 0.0006 万元/m²).
    idle_rows = ~producing
    output[idle_rows] = 0.0
    tax[idle_rows] = (land_mu[idle_rows] * M2_PER_MU * 0.0006)[:, None] * factor_tax[idle_rows]
    output[zombie] = rng.uniform(0.0, 5.0, (zombie.sum(), ny))
    tax[zombie] = rng.uniform(0.0, 0.5, (zombie.sum(), ny))
    value_added = output * rng.uniform(0.18, 0.30, (n, 1))
    revenue = output * rng.uniform(0.95, 1.12, (n, 1))
    energy = value_added / rng.uniform(1.5, 6.0, (n, 1))
    emissions = energy * rng.lognormal(np.log(0.004), 0.5, (n, 1))
    high_tech = np.isin(code.astype(str), HIGH_TECH_CODES) & (rng.random(n) < 0.45)
    high_tech |= ~np.isin(code.astype(str), HIGH_TECH_CODES) & (rng.random(n) < 0.12)
    high_tech &= ~zombie & producing
    rd = revenue * np.where(high_tech, rng.uniform(0.03, 0.06, n), rng.uniform(0.005, 0.02, n))[:, None]
    employees = np.where(output > 0, np.maximum(np.rint(output / rng.uniform(60, 150, (n, 1))), 5),
                         rng.integers(3, 15, (n, ny)))
    employees = np.where(zombie[:, None], rng.integers(2, 9, (n, ny)), employees)
    above = revenue[:, -1] >= ABOVE_SCALE_REVENUE_WAN

    ids = np.char.add("QY", np.char.zfill(np.arange(1, n + 1).astype(str), 7))
    enterprises = dict(enterprise_id=ids, name=names, credit_code=credit_codes(n, rng), industry_code=code,
                       above_scale=above, high_tech=high_tech, established=established)
    rep = np.repeat(np.arange(n), ny)
    year_col = np.tile(years, n)
    # record_id ('<enterprise_id>-<year>') is joined when the frame is built, from ``rows``.
    figures = dict(
        rows=rep, enterprise_id=ids[rep], year=year_col, tax_wan=np.round(tax.ravel(), 2),
        output_wan=np.round(output.ravel(), 1), value_added_wan=np.round(value_added.ravel(), 1),
        revenue_wan=np.round(revenue.ravel(), 1), energy_tce=np.round(energy.ravel(), 1),
        emissions_t=np.round(emissions.ravel(), 3), rd_wan=np.round(rd.ravel(), 1),
        employees=employees.ravel().astype(int))
    leases["enterprise_id"] = ids[lease_tenant] if n_tenancies else np.array([], dtype=str)
    lease_ids = np.char.add("ZY", np.char.zfill(np.arange(1, len(leases["unit"]) + 1).astype(str), 7))
    leases["lease_id"] = lease_ids
    overlapping = [[str(lease_ids[a]), str(lease_ids[b])] for a, b in overlap_pairs]
    cases = _cases(layout, scenario, buildings, building_ids, plot_ids, units, leases, owner_of_plot, rng)
    return Economy(enterprises=enterprises, years=figures, units=units, leases=leases, cases=cases,
                   overlapping_leases=overlapping, owner_of_plot=owner_of_plot)


#: Ledger entries per 600 plots, by (plot kind or selector, problem, method, status).
CASE_TYPES = (
    ("idle_reclaim", "idle_land", "reclaim", "in_progress", "闲置满两年，已下达收回决定书"),
    ("idle_fee", "idle_land", "re_perform", "planned", "已征收闲置费，企业承诺补充协议后动工"),
    ("stalled", "stalled", "graft", "identified", "停工项目，拟引入新投资方嫁接"),
    ("reclaimed", "idle_land", "reclaim", "done", "依法无偿收回，纳入储备"),
    ("vacant", "vacant_factory", "lease", "in_progress", "标准厂房空置，委托招商公司定向招租"),
    ("zombie", "zombie_enterprise", "merge", "planned", "亩均D档企业，协调兼并重组"),
    ("underused", "inefficient", "self_upgrade", "in_progress", "容积率不达标，企业自主加层改造"),
    ("underused", "inefficient", "redevelop", "done", "腾笼换鸟，引进新项目"),
    ("exempt", "idle_land", "re_perform", "dropped", "政府原因延期，不认定闲置"),
)


def _cases(layout, scenario, buildings, building_ids, plot_ids, units, leases, owner_of_plot, rng) -> dict:
    p = layout.plots
    ref = REFERENCE_DATE.astype("datetime64[D]")
    per = max(1, len(p) // 600)
    selectors = {
        "idle_reclaim": scenario.kind == K["idle_reclaim"], "idle_fee": scenario.kind == K["idle_fee"],
        "stalled": scenario.kind == K["stalled"], "reclaimed": scenario.kind == K["reclaimed"],
        "zombie": scenario.below_target == 3, "underused": scenario.underused > 0,
        "exempt": (scenario.kind == K["exempt"]) & (scenario.delay_cause == "GOV-2"),
    }
    used = np.zeros(len(p), dtype=bool)
    rows = {key: [] for key in ("plot", "building", "problem", "method", "status", "notes")}
    sf_buildings = np.flatnonzero(buildings.slot == "sf")
    vacant = rng.permutation(sf_buildings)
    for selector, problem, method, status, note in CASE_TYPES:
        if selector == "vacant":
            chosen_b = vacant[:per]
            vacant = vacant[per:]
            rows["plot"] += buildings.parcel[chosen_b].tolist()
            rows["building"] += chosen_b.tolist()
            count = len(chosen_b)
        else:
            chosen = rng.permutation(np.flatnonzero(selectors[selector] & ~used))[:per]
            used[chosen] = True
            rows["plot"] += chosen.tolist()
            rows["building"] += [-1] * len(chosen)
            count = len(chosen)
        for key, value in (("problem", problem), ("method", method), ("status", status), ("notes", note)):
            rows[key] += [value] * count
    plot = np.array(rows["plot"], dtype=int)
    building = np.array(rows["building"], dtype=int)
    status = np.array(rows["status"], dtype=object)
    m = len(plot)
    opened = ref - rng.integers(120, 700, m).astype("timedelta64[D]")
    closed = np.where(np.isin(status, ["done", "dropped"]), opened + rng.integers(60, 110, m).astype(
        "timedelta64[D]"), np.datetime64("NaT"))
    target = np.where(np.isin(status, ["done", "dropped"]), np.datetime64("NaT"),
                      ref + rng.integers(90, 400, m).astype("timedelta64[D]"))
    target = np.where(np.isnat(target) & ~np.isnat(closed), closed + np.timedelta64(30, "D"), target)
    gfa = buildings.footprint_m2 * buildings.floors
    return dict(
        case_id=np.char.add("PH", np.char.zfill(np.arange(1, m + 1).astype(str), 5)),
        parcel_id=plot_ids[plot], building_id=np.where(building >= 0, building_ids[np.maximum(building, 0)], None),
        problem=np.array(rows["problem"], dtype=object), method=np.array(rows["method"], dtype=object),
        status=status, opened=opened, target_date=target, closed=closed, area_m2=np.round(p.area_m2[plot], 1),
        floor_area_m2=np.where(building >= 0, np.round(gfa[np.maximum(building, 0)], 1), np.nan),
        notes=np.array(rows["notes"], dtype=object),
    )
