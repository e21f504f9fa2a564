"""Kept results carried over a change that cannot affect them (issue 18: analyses recomputed for what a change can
affect): a change written row by row to none of the layers a kind of result reads (``service.park.RESULT_LAYERS``)
leaves its kept results as they were, under the new version; a change to one of them has it computed again.

On the tiny park, edited as an editor does (the JSON edit of one field, a case opened on the ledger — after a first
one, which makes the ledger's tables by a whole save): a case entry
keeps every kind; a facility's name keeps the land analysis and the figures but not the infrastructure analysis or
the site search inputs; a zone's name keeps the land analysis and the infrastructure analysis, not the figures (they
count the park's area from its zones); a parcel's name keeps nothing. What is carried equals what a fresh service
computes.
"""

from __future__ import annotations

from collections import OrderedDict

import pytest

from service.park import ParkService, carried_results
from web.park import park

KINDS = ("land", "summary", "infrastructure", "sites")


def kept(service: ParkService, day) -> dict[str, object | None]:
    return {"land": service.land_kept(day), "summary": service.summary_kept(day),
            "infrastructure": service.infrastructure_kept(day), "sites": service.sites_kept(day)}


def compute_all(service: ParkService, day) -> dict[str, object]:
    return {"land": service.land(day), "summary": service.summary(day),
            "infrastructure": service.infrastructure(day), "sites": service.sites(day)}


def edit_name(client, layer: str, record_id: str, name: str) -> None:
    state = client.get(f"/edit/{layer}/{record_id}?format=json").get_json()
    body = {"values": {"name": name}, "version": state["version"], "fingerprint": state["fingerprint"],
            "reason": "test"}
    answer = client.post(f"/edit/{layer}/{record_id}", json=body, headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.get_data(as_text=True)


def open_case(client) -> None:
    answer = client.post("/edit/cases/new", data={"problem": "idle_land", "parcel_id": "P2", "notes": "约谈企业"})
    assert answer.status_code == 303


@pytest.mark.parametrize(("change", "carried"), [
    (open_case, {"land", "summary", "infrastructure", "sites"}),
    (lambda client: edit_name(client, "facilities", "F1", "北门"), {"land", "summary"}),
    (lambda client: edit_name(client, "zones", "Z1", "园区范围（调整）"), {"land", "infrastructure"}),
    (lambda client: edit_name(client, "parcels", "P1", "一号地块（改名）"), set()),
])
def test_results_a_change_cannot_affect_are_carried_to_the_new_version(auth_app, editor_client, change, carried):
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
        for kind in carried:
            assert now[kind] is before[kind]  # the very result, not computed again
        fresh = compute_all(ParkService(service.store), day)
        assert fresh["summary"] == compute_all(service, day)["summary"]  # what is kept is what the park gives now
        for kind in carried & {"land"}:
            for name, frame in vars(fresh["land"]).items():
                kept_frame = getattr(now["land"], name)
                if hasattr(frame, "equals"):
                    assert frame.equals(kept_frame), name


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
    assert carried_results(results, "v1", "v2", {"cases", "case_events", "audit_events"}) == {
        "land": OrderedDict({("v2", "r", "land", 1): "L1"}), "summary": OrderedDict({("v2", "r", "summary", 1): "S1"})}
    assert carried_results(results, "v1", "v2", {"zones"}) == {"land": OrderedDict({("v2", "r", "land", 1): "L1"})}
    assert carried_results(results, "v1", "v2", {"parcels"}) == {}
    assert carried_results(results, "v1", "v2", None) == {}  # not known what changed
    assert carried_results(results, None, "v2", set()) == {}
    assert carried_results(results, "v9", "v2", set()) == {}  # kept at another version: not carried
