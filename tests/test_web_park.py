"""The web's park cache: layers and derived figures computed once per park version."""

from __future__ import annotations

from web.park import park


def test_derived_results_are_computed_once_per_park_version(tiny_app, tiny_park):
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    with tiny_app.app_context():
        assert park().derived(("figure",), compute) == 1
        assert park().derived(("figure",), compute) == 1
        assert park().derived(("other",), compute) == 2
        roads = tiny_park.load("roads")
        tiny_park.save("roads", roads.iloc[:1])
        # A save makes a new version: the old results are dropped and recomputed.
        assert park().derived(("figure",), compute) == 3
        assert len(park().layer("roads")) == 1


def test_summary_api_follows_a_change_of_the_park(tiny_app, tiny_client, tiny_park):
    before = tiny_client.get("/api/summary").get_json()
    roads = tiny_park.load("roads")
    tiny_park.save("roads", roads.iloc[:1])
    after = tiny_client.get("/api/summary").get_json()
    assert before != after
