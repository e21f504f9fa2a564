"""Revitalisation (盘活): ranked candidates, the case ledger's rules, and the year's figures.

The ledger functions are pure: they take the ``cases`` and ``case_events`` frames and
return new ones (the caller saves them through ``layers.store``). Cases are never
deleted; every create, update and close adds events naming the field, the old and
the new value, so the history of a case can always be read back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.annual import happened_in
from geo.reasons import TEXT_DTYPE
from geo.units import M2_PER_MU
from layers.registry import get_layer
from layers.rules import LandRules
from layers.values import convert

CANDIDATE_KINDS = ("idle_land", "stalled", "vacant_factory", "zombie_enterprise")
OPEN_STATUSES = ("identified", "planned", "in_progress")
CLOSED_STATUSES = ("done", "dropped")
#: Fields a user may set on a case (the id, dates of record and history are the ledger's).
EDITABLE = ("parcel_id", "building_id", "problem", "method", "status", "opened", "target_date", "area_m2",
            "floor_area_m2", "notes")
LAND_PROBLEMS = ("idle_land", "stalled", "inefficient", "zombie_enterprise")


class CaseError(ValueError):
    """A ledger request that cannot be carried out; ``problems`` name field, value and what is allowed."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


# -- candidates ---------------------------------------------------------------------


def candidates(
    parcels: pd.DataFrame,
    *,
    analysis: pd.DataFrame,
    buildings: pd.DataFrame | None = None,
    building_vacancy: pd.DataFrame | None = None,
    firms: pd.DataFrame | None = None,
    cases: pd.DataFrame | None = None,
    rules: LandRules,
) -> pd.DataFrame:
    """Revitalisation candidates, ranked within each kind by area and duration.

    Parameters
    ----------
    parcels
        Validated parcels (``parcel_id``, ``enterprise_id``, ``area_name``).
    analysis
        Parcel analysis aligned with ``parcels`` (``area_m2``, ``idle_status``, ``idle_since``, ``idle_days``).
    building_vacancy
        ``geo.vacancy.vacancy_by`` per building id, with ``days_vacant_max``.
    firms
        ``geo.muju`` firm table (``grade``, ``land_m2``).
    cases
        The ledger; candidates with an open case are marked ``open_case``.

    Returns
    -------
    DataFrame: ``kind, rank, parcel_id, building_id, enterprise_id, area_name, area_m2, area_mu,
    vacant_m2, since, duration_days, open_case``.
    """
    rows = []
    status = analysis["idle_status"]
    for kind, mask in (("idle_land", status.isin(["idle_fee", "idle_reclaim"])),
                       ("stalled", status == "stalled_idle")):
        picked = mask.fillna(False).to_numpy(dtype=bool)
        rows.append(pd.DataFrame({
            "kind": kind,
            "parcel_id": parcels["parcel_id"].to_numpy()[picked],
            "building_id": np.nan,
            "enterprise_id": parcels["enterprise_id"].to_numpy()[picked] if "enterprise_id" in parcels else np.nan,
            "area_name": parcels["area_name"].to_numpy()[picked] if "area_name" in parcels else np.nan,
            "area_m2": analysis["area_m2"].to_numpy()[picked],
            "vacant_m2": np.nan,
            "since": analysis["idle_since"].to_numpy()[picked],
            "duration_days": analysis["idle_days"].to_numpy(dtype=float, na_value=np.nan)[picked],
        }))
    if building_vacancy is not None and len(building_vacancy):
        vac = building_vacancy[building_vacancy["vacancy_rate"] >= rules.revitalisation.vacant_building_min_rate]
        parcel_of = pd.Series(dtype=TEXT_DTYPE)
        if buildings is not None and "parcel_id" in buildings:
            parcel_of = buildings.set_index("building_id")["parcel_id"]
            parcel_of = parcel_of[~parcel_of.index.duplicated()]
        area_of = parcels.set_index("parcel_id")["area_name"] if "area_name" in parcels else pd.Series(
            dtype=TEXT_DTYPE)
        on_parcel = vac.index.to_series().map(parcel_of)
        rows.append(pd.DataFrame({
            "kind": "vacant_factory",
            "parcel_id": on_parcel.to_numpy(),
            "building_id": vac.index.to_numpy(),
            "enterprise_id": np.nan,
            "area_name": on_parcel.map(area_of[~area_of.index.duplicated()]).to_numpy(),
            "area_m2": np.nan,
            "vacant_m2": vac["vacant_m2"].to_numpy(),
            "since": pd.NaT,
            "duration_days": vac["days_vacant_max"].to_numpy(dtype=float, na_value=np.nan)
            if "days_vacant_max" in vac else np.nan,
        }))
    if firms is not None and len(firms):
        zombies = firms[(firms["grade"] == "D").fillna(False)]
        rows.append(pd.DataFrame({
            "kind": "zombie_enterprise",
            "parcel_id": np.nan,
            "building_id": np.nan,
            "enterprise_id": zombies.index.to_numpy(),
            "area_name": np.nan,
            "area_m2": zombies["land_m2"].to_numpy(),
            "vacant_m2": np.nan,
            "since": pd.NaT,
            "duration_days": np.nan,
        }))
    out = pd.concat([r for r in rows if len(r)], ignore_index=True) if any(len(r) for r in rows) else pd.DataFrame(
        columns=["kind", "parcel_id", "building_id", "enterprise_id", "area_name", "area_m2", "vacant_m2", "since",
                 "duration_days"])
    for column in ("kind", "parcel_id", "building_id", "enterprise_id", "area_name"):
        out[column] = out[column].astype(TEXT_DTYPE)
    for column in ("area_m2", "vacant_m2", "duration_days"):
        out[column] = out[column].astype(float)
    out["since"] = pd.to_datetime(out["since"]).astype("datetime64[ms]")
    out["area_mu"] = out["area_m2"] / M2_PER_MU
    size = out["area_m2"].fillna(out["vacant_m2"]).fillna(0.0)
    out = out.assign(_size=size, _order=out["kind"].map({k: i for i, k in enumerate(CANDIDATE_KINDS)}))
    out = out.sort_values(["_order", "_size", "duration_days"], ascending=[True, False, False],
                          na_position="last", ignore_index=True)
    out["rank"] = out.groupby("kind").cumcount() + 1
    out["open_case"] = _open_case(out, cases)
    return out.drop(columns=["_size", "_order"])[
        ["kind", "rank", "parcel_id", "building_id", "enterprise_id", "area_name", "area_m2", "area_mu",
         "vacant_m2", "since", "duration_days", "open_case"]]


def _open_case(candidate: pd.DataFrame, cases: pd.DataFrame | None) -> np.ndarray:
    if cases is None or cases.empty:
        return np.zeros(len(candidate), dtype=bool)
    live = cases[cases["status"].isin(OPEN_STATUSES).fillna(False) & cases["retired_on"].isna()]
    by_building = candidate["building_id"].isin(live["building_id"].dropna()).to_numpy(dtype=bool)
    by_parcel = candidate["building_id"].isna().to_numpy() & candidate["parcel_id"].isin(
        live["parcel_id"].dropna()).to_numpy(dtype=bool)
    return by_building | by_parcel


# -- the ledger ---------------------------------------------------------------------


def _typed_fields(values: dict, *, problems: list[str]) -> dict:
    """Convert user values (form text) to the ``cases`` field kinds, collecting problems."""
    spec = get_layer("cases")
    out = {}
    for name, raw in values.items():
        if name not in EDITABLE:
            problems.append(f"field {name!r} cannot be set; allowed: {', '.join(EDITABLE)}")
            continue
        field = spec.field(name)
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            out[name] = None
            continue
        typed, bad = convert(pd.Series([raw], dtype=object), field)
        if bool(bad.iloc[0]):
            allowed = ("one of " + ", ".join(field.allowed_values)) if field.kind == "code" else {
                "date": "a date YYYY-MM-DD", "float": "a number", "str": "text"}.get(field.kind, field.kind)
            problems.append(f"field {name}: got {raw!r}; allowed: {allowed}")
            continue
        value = typed.iloc[0]
        if field.kind == "float" and field.min_value is not None and value < field.min_value:
            problems.append(f"field {name}: got {raw!r}; allowed: a number ≥ {field.min_value:g}")
            continue
        out[name] = value
    return out


def _text(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def _next_event_number(existing: pd.DataFrame, case_id: str) -> int:
    """The number of the case's next event: one past the highest of its own (ids ``<case>-E<n>``), so a case's
    events are numbered by the case alone — the ledger need not be read whole to add one."""
    prefix = f"{case_id}-E"
    ids = existing.loc[(existing["case_id"] == case_id).fillna(False).to_numpy(dtype=bool), "event_id"]
    ids = ids.dropna().astype(str)
    numbers = pd.to_numeric(ids[ids.str.startswith(prefix)].str[len(prefix):], errors="coerce").dropna()
    return int(numbers.max()) + 1 if len(numbers) else 1


def _events(case_id: str, action: str, changes: list[tuple[str, object, object]], *, today: pd.Timestamp,
            existing: pd.DataFrame) -> pd.DataFrame:
    start = _next_event_number(existing, case_id)
    return pd.DataFrame({
        "event_id": pd.Series([f"{case_id}-E{start + i:04d}" for i in range(len(changes))], dtype=TEXT_DTYPE),
        "case_id": pd.Series(case_id, index=range(len(changes)), dtype=TEXT_DTYPE),
        "date": today,
        "action": pd.Series(action, index=range(len(changes)), dtype=TEXT_DTYPE),
        "field": pd.Series([c[0] for c in changes], dtype=TEXT_DTYPE),
        "old_value": pd.Series([_text(c[1]) for c in changes], dtype=TEXT_DTYPE),
        "new_value": pd.Series([_text(c[2]) for c in changes], dtype=TEXT_DTYPE),
        "first_added": today,
        "last_updated": today,
    })


def next_case_id(cases: pd.DataFrame, *, today) -> str:
    """The next free id 'C-<year>-<nnnn>'."""
    year = pd.Timestamp(today).year
    prefix = f"C-{year}-"
    taken = cases["case_id"].dropna().astype(str)
    numbers = pd.to_numeric(taken[taken.str.startswith(prefix)].str[len(prefix):], errors="coerce").dropna()
    return f"{prefix}{int(numbers.max()) + 1 if len(numbers) else 1:04d}"


def _check_refs(values: dict, *, parcel_ids, building_ids, problems: list[str]) -> None:
    if parcel_ids is not None and values.get("parcel_id") and values["parcel_id"] not in set(parcel_ids):
        problems.append(f"field parcel_id: got {values['parcel_id']!r}; allowed: a parcel id of this park")
    if building_ids is not None and values.get("building_id") and values["building_id"] not in set(building_ids):
        problems.append(f"field building_id: got {values['building_id']!r}; allowed: a building id of this park")


def create_case(cases: pd.DataFrame, events: pd.DataFrame, values: dict, *, today, parcel_ids=None,
                building_ids=None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Open a new case. Returns (cases, events, new case id).

    ``problem`` is required; ``status`` defaults to ``identified`` and ``opened`` to ``today``.
    A new case cannot be created closed (use :func:`close_case`).
    """
    today = pd.Timestamp(today).normalize()
    problems: list[str] = []
    typed = _typed_fields(values, problems=problems)
    if not typed.get("problem"):
        problems.append("field problem: required; allowed: one of "
                        + ", ".join(get_layer("cases").field("problem").allowed_values))
    if typed.get("status") in CLOSED_STATUSES:
        problems.append(f"field status: got {typed['status']!r}; allowed for a new case: {', '.join(OPEN_STATUSES)}")
    _check_refs(typed, parcel_ids=parcel_ids, building_ids=building_ids, problems=problems)
    if problems:
        raise CaseError(problems)
    case_id = next_case_id(cases, today=today)
    record = {name: None for name in get_layer("cases").field_names}
    record.update({k: v for k, v in typed.items() if v is not None})
    record.update(case_id=case_id, status=typed.get("status") or "identified",
                  opened=typed.get("opened") or today, first_added=today, last_updated=today)
    new_cases = pd.concat([cases, pd.DataFrame([record])], ignore_index=True)
    changes = [(name, None, record[name]) for name in EDITABLE if record.get(name) is not None]
    new_events = pd.concat([events, _events(case_id, "create", changes, today=today, existing=events)],
                           ignore_index=True)
    return new_cases, new_events, case_id


def _locate(cases: pd.DataFrame, case_id: str) -> int:
    rows = np.flatnonzero((cases["case_id"] == case_id).fillna(False).to_numpy(dtype=bool))
    if len(rows) == 0:
        raise KeyError(f"no case {case_id!r}")
    return int(rows[0])


def update_case(cases: pd.DataFrame, events: pd.DataFrame, case_id: str, values: dict, *, today,
                parcel_ids=None, building_ids=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Change fields of an open case; each changed field becomes an event. Closing goes through :func:`close_case`."""
    today = pd.Timestamp(today).normalize()
    row = _locate(cases, case_id)
    problems: list[str] = []
    current = cases.iloc[row]
    if current["status"] in CLOSED_STATUSES:
        problems.append(f"case {case_id} is closed ({current['status']}); closed cases are kept as they are")
    typed = _typed_fields(values, problems=problems)
    if typed.get("status") in CLOSED_STATUSES:
        problems.append(f"field status: got {typed['status']!r}; allowed here: {', '.join(OPEN_STATUSES)} "
                        "(close a case with the close action)")
    _check_refs(typed, parcel_ids=parcel_ids, building_ids=building_ids, problems=problems)
    if typed.get("problem", "x") is None:
        problems.append("field problem: required; it cannot be emptied")
    if problems:
        raise CaseError(problems)
    changes = [(name, current[name], value) for name, value in typed.items()
               if not _same(current[name], value)]
    return _apply(cases, events, row, case_id, "update", changes, today=today)


def close_case(cases: pd.DataFrame, events: pd.DataFrame, case_id: str, *, today, outcome: str = "done",
               method: str | None = None, closed=None, notes: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Close a case as ``done`` (a method is then required) or ``dropped``."""
    today = pd.Timestamp(today).normalize()
    row = _locate(cases, case_id)
    problems: list[str] = []
    current = cases.iloc[row]
    if current["status"] in CLOSED_STATUSES:
        problems.append(f"case {case_id} is already closed ({current['status']})")
    if outcome not in CLOSED_STATUSES:
        problems.append(f"field status: got {outcome!r}; allowed: {', '.join(CLOSED_STATUSES)}")
    values = {"method": method} if method else {}
    if notes:
        values["notes"] = notes
    typed = _typed_fields(values, problems=problems)
    closed_on = today
    if closed is not None and str(closed).strip():
        parsed, bad = convert(pd.Series([closed], dtype=object), get_layer("cases").field("closed"))
        if bool(bad.iloc[0]):
            problems.append(f"field closed: got {closed!r}; allowed: a date YYYY-MM-DD")
        else:
            closed_on = parsed.iloc[0]
    method_after = typed.get("method") or (None if pd.isna(current["method"]) else current["method"])
    if outcome == "done" and not method_after:
        problems.append("field method: required to close a case as done; allowed: one of "
                        + ", ".join(get_layer("cases").field("method").allowed_values))
    if problems:
        raise CaseError(problems)
    changes = [(name, current[name], value) for name, value in typed.items() if not _same(current[name], value)]
    changes += [("status", current["status"], outcome), ("closed", current["closed"], closed_on)]
    return _apply(cases, events, row, case_id, "close", changes, today=today)


def _same(old, new) -> bool:
    old_missing = old is None or (not isinstance(old, str) and pd.isna(old))
    new_missing = new is None or (not isinstance(new, str) and pd.isna(new))
    if old_missing or new_missing:
        return old_missing and new_missing
    return _text(old) == _text(new)


def _apply(cases, events, row, case_id, action, changes, *, today):
    if not changes:
        return cases, events
    out = cases.copy()
    for name, _, value in changes:
        column = out.columns.get_loc(name)
        out.iloc[row, column] = np.nan if value is None else value
    out.iloc[row, out.columns.get_loc("last_updated")] = today
    new_events = pd.concat([events, _events(case_id, action, changes, today=today, existing=events)],
                           ignore_index=True)
    return out, new_events


def case_history(events: pd.DataFrame, case_id: str) -> pd.DataFrame:
    """The events of one case in the order they happened."""
    rows = events[(events["case_id"] == case_id).fillna(False)]
    return rows.sort_values(["date", "event_id"], kind="stable")


# -- the year's figures ----------------------------------------------------------------


def year_figures(parcels: pd.DataFrame, *, analysis: pd.DataFrame, cases: pd.DataFrame, year: int) -> dict:
    """What a park reports for ``year``: land supplied, idle land found and revitalised, factory space revitalised.

    Parameters
    ----------
    parcels
        Validated parcels (contract, start and completion dates).
    analysis
        Parcel analysis aligned with ``parcels`` (``area_m2``, ``is_industrial``, ``idle_status``).
    cases
        The ledger.

    Returns
    -------
    dict with ``supplied_mu, supplied_industrial_mu, started_parcels, completed_parcels,
    idle_found_mu`` (land cases of idle/stalled land opened in the year), ``idle_revitalised_mu``
    and ``idle_revitalised_mu_by_method`` (such cases closed as done in the year),
    ``vacant_factory_revitalised_m2``, ``cases_opened``, ``cases_closed``.
    """

    area_mu = analysis["area_m2"].to_numpy(dtype=float) / M2_PER_MU
    supplied = happened_in(parcels, "contract_date", year)
    industrial = analysis["is_industrial"].to_numpy(dtype=bool) if "is_industrial" in analysis else np.zeros(
        len(parcels), dtype=bool)
    live = cases[cases["retired_on"].isna()] if "retired_on" in cases else cases
    land_case = live["problem"].isin(["idle_land", "stalled"]).fillna(False).to_numpy(dtype=bool)
    opened = happened_in(live, "opened", year)
    done = (live["status"] == "done").fillna(False).to_numpy(dtype=bool) & happened_in(live, "closed", year)
    case_mu = live["area_m2"].to_numpy(dtype=float, na_value=np.nan) / M2_PER_MU
    by_method = pd.Series(np.nan_to_num(case_mu[land_case & done])).groupby(
        live["method"].to_numpy()[land_case & done]).sum()
    vacant = (live["problem"] == "vacant_factory").fillna(False).to_numpy(dtype=bool) & done
    return {
        "year": year,
        "supplied_mu": float(area_mu[supplied].sum()),
        "supplied_industrial_mu": float(area_mu[supplied & industrial].sum()),
        "started_parcels": int(happened_in(parcels, "actual_start_date", year).sum()),
        "completed_parcels": int(happened_in(parcels, "actual_completion_date", year).sum()),
        "idle_found_mu": float(np.nansum(case_mu[land_case & opened])),
        "idle_revitalised_mu": float(np.nansum(case_mu[land_case & done])),
        "idle_revitalised_mu_by_method": {str(k): float(v) for k, v in by_method.items()},
        "vacant_factory_revitalised_m2": float(np.nansum(
            live["floor_area_m2"].to_numpy(dtype=float, na_value=np.nan)[vacant])),
        "cases_opened": int(opened.sum()),
        "cases_closed": int(happened_in(live, "closed", year).sum()),
    }
