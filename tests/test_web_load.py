"""20 concurrent signed-in editors on loopback (reduced size; the full run is bench/bench_edit_load.py).

Zero lost updates: every shared record ends at its start value plus the
increments the server acknowledged; one logged change per acknowledged edit;
no 5xx answer.
"""

from __future__ import annotations

from bench.bench_edit_load import run_edit_load


def test_twenty_concurrent_editors_lose_no_update_and_get_no_server_error(tiny_park, capsys):
    result = run_edit_load(tiny_park.path, users=20, rounds=2, records=3)
    acknowledged = sum(result["acknowledged"].values())
    assert acknowledged == 20 * 2
    assert result["lost_updates"] == {"P1": 0.0, "P2": 0.0, "P3": 0.0}
    assert result["logged_changes"] == acknowledged
    assert result["server_errors"] == 0
    assert set(result["statuses"]) <= {200, 303, 409}
    with capsys.disabled():
        cuts = result["latency_ms"]
        print(f"\n  load (20 users x 2 rounds): {result['requests']} requests, {result['conflicts']} conflicts retried, "
              f"edit p50 {cuts['edit']['p50']:.0f} ms p95 {cuts['edit']['p95']:.0f} ms, "
              f"read p95 {cuts['read']['p95']:.0f} ms")
