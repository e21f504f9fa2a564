"""`flask analyse`'s summary lines: every count labelled, never an empty label."""

from __future__ import annotations

import pandas as pd

from web.commands.analyse import counts_text


def test_counts_text_labels_each_count():
    values = pd.Series(["active", "idle", "active", None, "active"], dtype=object)
    assert counts_text(values) == "active 3, idle 1, not judged 1"
    assert counts_text(pd.Series([None, None], dtype=object)) == "not judged 2"  # was "idle status: , not judged 2"
    assert counts_text(pd.Series(["idle"], dtype=object)) == "idle 1"
    assert counts_text(pd.Series([], dtype=object)) == "none"


def test_the_command_prints_a_labelled_idle_line(tiny_app):
    with tiny_app.app_context():  # the flask command line pushes one; the test runner does not
        result = tiny_app.test_cli_runner().invoke(args=["analyse"])
    assert result.exit_code == 0, result.output
    line = next(text for text in result.output.splitlines() if text.startswith("idle status: "))
    assert not line.startswith("idle status: ,") and line != "idle status: "
