"""Kept results carried over a change that cannot affect them (issue 18: analyses recomputed for what a change can
affect): a change written row by row to none of the layers a kind of result reads (``service.park.RESULT_LAYERS``)
leaves its kept results as they were, under the new version; a change to one of them has it computed again.

Within a layer a kind reads, the fields count one by one: a change of fields a kind neither computes with nor shows
(``RESULT_UNREAD_FIELDS``: the figures read no record's name or note, the land analysis and the figures no kept source
attributes or day the register last changed a record) keeps it as it is; a change of fields it only shows
(``RESULT_SHOWN_FIELDS``: the names in the land analysis's tables, every descriptive field of the records the
infrastructure analysis and the site search inputs hold) has them patched into it instead of computing it again.

On the tiny park, edited as an editor does (the JSON edit of one field, a case opened on the ledger — after a first
one, which makes the ledger's tables by a whole save): a case entry keeps every kind as it is; a facility's name
keeps the land analysis and the figures and is patched into the two others; a zone's name is patched into the site
search inputs; a parcel's or a building's name into all but the figures; a facility's capacity has the
infrastructure analysis and the site search inputs computed again, a parcel's price all but the infrastructure
analysis (which only shows it), its status every kind. What is carried
equals what a fresh service computes, and what was patched was left as it was. On the demo park, the fields declared
are scrambled in every layer at once and every result compared with the one computed again.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest

from geo.analysis import analyse_land, readiness_flags
from geo.infrastructure_summary import infrastructure_analysis, park_conflict_counts
from geo.site_search import site_inputs
from geo.summary import park_summary
from layers.registry import get_layer
from layers.schema import SOURCE_ATTRIBUTES
from service.park import (
    RESULT_LAYERS,
    RESULT_PATCHES,
    RESULT_SHOWN_FIELDS,
    RESULT_UNREAD_FIELDS,
    UNREAD_BY_RESULTS,
    ParkService,
    carried_results,
)
from web.park import park

KINDS = ("land", "summary", "infrastructure", "sites")
#: The kinds that show the parcels' and buildings' names.
SHOWING_NAMES = {"land", "infrastructure", "sites"}


def kept(service: ParkService, day) -> dict[str, object | None]:
    return {"land": service.land_kept(day), "summary": service.summary_kept(day),
            "infrastructure": service.infrastructure_kept(day), "sites": service.sites_kept(day)}


def compute_all(service: ParkService, day) -> dict[str, object]:
    return {"land": service.land(day), "summary": service.summary(day),
            "infrastructure": service.infrastructure(day), "sites": service.sites(day)}


def edit_name(client, layer: str, record_id: str, name: str) -> None:
    edit_values(client, layer, record_id, {"name": name})


def edit_values(client, layer: str, record_id: str, values: dict) -> None:
    state = client.get(f"/edit/{layer}/{record_id}?format=json").get_json()
    body = {"values": values, "version": state["version"], "fingerprint": state["fingerprint"], "reason": "test"}
    answer = client.post(f"/edit/{layer}/{record_id}", json=body, headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.get_data(as_text=True)


def open_case(client) -> None:
    answer = client.post("/edit/cases/new", data={"problem": "idle_land", "parcel_id": "P2", "notes": "约谈企业"})
    assert answer.status_code == 303


@pytest.mark.parametrize(("change", "carried", "patched"), [
    (open_case, set(KINDS), set()),
    (lambda client: edit_name(client, "facilities", "F1", "北门"), set(KINDS), {"infrastructure", "sites"}),
    (lambda client: edit_name(client, "zones", "Z1", "园区范围（调整）"), set(KINDS), {"sites"}),
    (lambda client: edit_name(client, "parcels", "P1", "一号地块（改名）"), set(KINDS), SHOWING_NAMES),
    (lambda client: edit_name(client, "buildings", "B1", "一号厂房（改名）"), set(KINDS), SHOWING_NAMES),
    (lambda client: edit_values(client, "facilities", "F1", {"capacity": "12345"}), {"land", "summary"}, set()),
    (lambda client: edit_values(client, "parcels", "P1", {"land_price_wan": "321"}), {"infrastructure"},
     {"infrastructure"}),
    (lambda client: edit_values(client, "parcels", "P1", {"name": "一号地块（改名）", "land_price_wan": "321"}),
     {"infrastructure"}, {"infrastructure"}),
    (lambda client: edit_values(client, "parcels", "P1", {"status": "completed"}), set(), set()),
])
def test_results_a_change_cannot_affect_are_carried_to_the_new_version(auth_app, editor_client, change, carried,
                                                                        patched):
    open_case(editor_client)  # the first case makes the ledger's tables (a whole save); later ones are rows
    with auth_app.app_context():
        service = park()
        day = service.day()
        before = compute_all(service, day)
        version = service.version()
        change(editor_client)
        assert service.version() != version  # written row by row: the service knows what changed
        now = kept(service, day)
        assert {kind for kind in KINDS if now[kind] is not None} == carried
        for kind in carried - patched:
            assert now[kind] is before[kind]  # the very result, not computed again
        for kind in patched:
            assert now[kind] is not before[kind]
        fresh = compute_all(ParkService(service.store), day)
        for kind in carried:  # what is kept is what the park gives now
            same_result(fresh[kind], now[kind], kind)
        for kind in patched:  # (and the result patched was left as it was: pages may hold it)
            with pytest.raises(AssertionError):
                same_result(before[kind], now[kind])
        if "land" in patched:
            assert "改名" not in " ".join(map(str, before["land"].parcels["name"].tolist()
                                              + before["land"].buildings["name"].tolist()))


def test_a_change_not_known_row_by_row_keeps_nothing(auth_app, editor_client):
    with auth_app.app_context():
        service = park()
        day = service.day()
        compute_all(service, day)
        version = service.version()
        facilities = service.store.load("facilities")
        facilities["name"] = "北门"  # a layer that only two kinds read, saved whole: what changed is not known
        service.store.save("facilities", facilities)
        assert service.version() != version
        assert all(value is None for value in kept(service, day).values())


def test_carried_results_by_kind_and_version():
    results = {"land": OrderedDict({("v1", "r", "land", 1): "L1", ("v0", "r", "land", 1): "old"}),
               "summary": OrderedDict({("v1", "r", "summary", 1): "S1"}),
               "report": OrderedDict({("v1", "r", "report", 2026): "R1"})}
    both = {"land": OrderedDict({("v2", "r", "land", 1): "L1"}),
            "summary": OrderedDict({("v2", "r", "summary", 1): "S1"})}
    ledger = {"cases": {"status"}, "case_events": {"*"}, "audit_events": {"*"}}
    assert carried_results(results, "v1", "v2", ledger) == both
    assert carried_results(results, "v1", "v2", {"zones": {"geometry"}}) == {"land": both["land"]}
    assert carried_results(results, "v1", "v2", {"zones": {"name", "note", "last_updated"}}) == both
    assert carried_results(results, "v1", "v2", {"parcels": {"status"}}) == {}
    assert carried_results(results, "v1", "v2", {"parcels": {"name"}}) == {"summary": both["summary"]}
    assert carried_results(results, "v1", "v2", {"parcels": {"source_attributes", "last_updated"}}) == both
    assert carried_results(results, "v1", "v2", {"parcels": {"name", "status"}}) == {}
    # the land analysis shows the parcels' and buildings' names: patched, when there is a way to patch it
    patch = {"land": OrderedDict({("v2", "r", "land", 1): "L1 patched"})}
    assert carried_results(results, "v1", "v2", {"parcels": {"name"}}, lambda kind, value: f"{value} patched") == {
        **patch, "summary": both["summary"]}
    assert carried_results(results, "v1", "v2", {"buildings": {"name"}, "roads": {"name"}},
                           lambda kind, value: f"{value} patched") == {**patch, "summary": both["summary"]}
    assert carried_results(results, "v1", "v2", {"parcels": {"name", "area_name"}},
                           lambda kind, value: f"{value} patched") == {}
    assert carried_results(results, "v1", "v2", None) == {}  # not known what changed
    assert carried_results(results, None, "v2", {}) == {}
    assert carried_results(results, "v9", "v2", {}) == {}  # kept at another version: not carried


def same_result(a, b, where: str = "") -> None:
    """``a`` and ``b`` equal all the way down (frames by value, dtype and index; dataclasses by their fields)."""
    if dataclasses.is_dataclass(a):
        for item in dataclasses.fields(a):
            same_result(getattr(a, item.name), getattr(b, item.name), f"{where}.{item.name}")
    elif isinstance(a, (pd.DataFrame, pd.Series)):
        assert type(a) is type(b) and a.equals(b), where
        if isinstance(a, pd.DataFrame):
            assert list(a.columns) == list(b.columns), where
    elif isinstance(a, Mapping):
        assert list(a) == list(b), where
        for key in a:
            same_result(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, np.ndarray):
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), where
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), where
    else:
        assert a == b, where


def scrambled(frame: pd.DataFrame, fields) -> pd.DataFrame:
    """``frame`` with ``fields`` given other values, every third one missing: texts in other words, numbers doubled
    and one added, days moved (a text field other days), flags turned over."""
    out = frame.copy()
    n = len(out)
    gone = np.arange(n) % 3 == 0
    for name in fields:
        if name not in out.columns or not n:
            continue
        column = out[name]
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            days = column.fillna(pd.Timestamp("2001-02-03")) + pd.to_timedelta(np.arange(n) % 97 + 1, unit="D")
            out[name] = days.mask(gone).astype(column.dtype).to_numpy()
        elif pd.api.types.is_bool_dtype(column.dtype):
            out[name] = pd.array([None if g else not bool(v) if not pd.isna(v) else True
                                  for g, v in zip(gone, column.tolist())], dtype=column.dtype)
        elif pd.api.types.is_numeric_dtype(column.dtype):
            out[name] = (column.fillna(0) * 2 + 1).mask(gone).astype(column.dtype).to_numpy()
        elif name == SOURCE_ATTRIBUTES:
            out[name] = pd.array([None if g else f'{{"备注": "乱码 {i}"}}' for i, g in enumerate(gone)],
                                 dtype=column.dtype)
        else:
            out[name] = pd.array([None if g else f"改 {i}" for i, g in enumerate(gone)], dtype=column.dtype)
    return out


#: A field each kind reads (the parcels' status by default): scrambled like the others, it changes the result.
READ_FIELD = {"readiness": ("parcels", "site_levelled"), "conflicts": ("buildings", "status")}


@pytest.mark.parametrize("kind", sorted(set(RESULT_UNREAD_FIELDS) | set(RESULT_SHOWN_FIELDS)))
def test_fields_declared_unread_or_shown_change_no_figure(demo_park, kind):
    """Every kind's declared unread fields and shown fields, scrambled in every layer it reads at once: the result
    computed again equals the one before, the fields shown patched in, to the last value (and a read field
    scrambled the same way changes it: the comparison can fail)."""
    service = ParkService(demo_park)
    day, rules = service.day(), service.rules()
    reads = sorted(RESULT_LAYERS[kind])
    layers = {name: service.layer(name) for name in reads}
    shown = RESULT_SHOWN_FIELDS.get(kind, {})
    unread = RESULT_UNREAD_FIELDS.get(kind)
    changed = {name: (UNREAD_BY_RESULTS | unread.get(name, frozenset()) if unread is not None else frozenset())
               | shown.get(name, frozenset()) for name in reads}

    def compute(frames):
        if kind == "readiness":
            return readiness_flags(frames, as_of=day, infra_rules=rules.infrastructure)
        if kind == "conflicts":
            return park_conflict_counts(frames, as_of=day, rules=rules.infrastructure)
        if kind == "infrastructure":
            return infrastructure_analysis(frames, rules=rules.infrastructure, as_of=day,
                                           supplied_date=rules.evaluation.status.supplied_date_without_status)
        if kind == "sites":
            return site_inputs(frames, as_of=day, rules=rules.land, infra_rules=rules.infrastructure,
                               expansion_rules=rules.expansion)
        land = analyse_land(frames, as_of=day, rules=rules.land, infra_rules=rules.infrastructure)
        if kind == "land":
            return land
        return park_summary(frames, as_of=day, rules=rules.land, infra_rules=rules.infrastructure, land=land)

    before = compute(layers)
    after = {name: scrambled(frame, changed[name]) for name, frame in layers.items()}
    patched = before
    for name, fields in shown.items():
        patched = RESULT_PATCHES[kind](patched, name, after[name], get_layer(name).id_field, sorted(fields))
    same_result(compute(after), patched)
    if shown:  # the patch changed something (a name shown), and not the result it was given
        with pytest.raises(AssertionError):
            same_result(before, patched)
        same_result(before, compute(layers))
    layer, read = READ_FIELD.get(kind, ("parcels", "status"))
    with pytest.raises(AssertionError):
        same_result(before, compute({**layers, layer: scrambled(layers[layer], [read])}))


def test_the_readiness_flags_and_conflicts_are_kept_over_a_change_they_do_not_read(auth_app, editor_client, monkeypatch):
    """A parcel's price: the land analysis is computed again with the readiness flags kept (not judged again, the
    same result as a fresh service's); whether its site is levelled: the flags are judged again (that this changes
    them is the scramble test's)."""
    import geo.analysis

    open_case(editor_client)
    with auth_app.app_context():
        service = park()
        day = service.day()
        flags = service.readiness_flags(day)
        land = service.land(day)
        assert land.readiness_flags is flags
        counts = service.conflict_counts(day)
        judged = []
        real = geo.analysis._readiness_flags
        monkeypatch.setattr(geo.analysis, "_readiness_flags", lambda *a, **k: judged.append(1) or real(*a, **k))

        edit_values(editor_client, "parcels", "P1", {"land_price_wan": "321"})
        again = service.land(day)
        assert again is not land and not judged
        assert service.readiness_flags(day) is flags and again.readiness_flags is flags
        same_result(ParkService(service.store).land(day), again)  # (a fresh service judges them: one call)
        assert service.conflict_counts(day) is counts  # (the conflicts read no parcel)
        assert service.summary(day) == ParkService(service.store).summary(day)

        edit_values(editor_client, "parcels", "P1", {"site_levelled": "true"})
        after = service.land(day)
        assert len(judged) == 3 and after.readiness_flags is not flags  # (the second fresh service's summary: two)
        same_result(ParkService(service.store).land(day), after)


def test_readiness_flags_given_are_taken_only_for_the_same_parcels(demo_park):
    """``analyse_land(ready=)``: the flags of these parcels give the very analysis it computes without them; flags
    of other parcels (another version's: one fewer) are not taken, the analysis judges them itself."""
    service = ParkService(demo_park)
    day, rules = service.day(), service.rules()
    layers = {name: service.layer(name) for name in RESULT_LAYERS["land"]}
    plain = analyse_land(layers, as_of=day, rules=rules.land, infra_rules=rules.infrastructure)
    flags = readiness_flags(layers, as_of=day, infra_rules=rules.infrastructure)
    same_result(plain, analyse_land(layers, as_of=day, rules=rules.land, infra_rules=rules.infrastructure, ready=flags))
    fewer = flags.iloc[1:]
    taken = analyse_land(layers, as_of=day, rules=rules.land, infra_rules=rules.infrastructure, ready=fewer)
    same_result(plain, taken)
    assert taken.readiness_flags is not fewer
