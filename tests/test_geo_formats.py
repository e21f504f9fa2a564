"""One place for days, moments and numbers shown to people (geo.formats), and the template filters using it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geo.formats import format_day, format_moment, format_number


@pytest.mark.parametrize(("day", "zh", "en"), [
    (dt.date(2026, 12, 6), "2026年12月6日", "2026-12-06"),
    (dt.date(2026, 1, 9), "2026年1月9日", "2026-01-09"),            # no leading zeros in Chinese
    (pd.Timestamp("2026-06-30 23:59"), "2026年6月30日", "2026-06-30"),  # a time of day: its day
    ("2025-03-01", "2025年3月1日", "2025-03-01"),
    (None, "—", "—"), (pd.NaT, "—", "—"), (float("nan"), "—", "—"), ("", "—", "—"),
])
def test_format_day(day, zh, en):
    assert format_day(day, "zh") == zh and format_day(day, "en") == en


def test_format_moment_in_the_parks_zone():
    # 16:30 UTC on 6 December is 00:30 on 7 December in Shanghai (UTC+8): the day turns too.
    assert format_moment("2026-12-06T16:30:00Z", "Asia/Shanghai", "zh") == "2026年12月7日 00:30:00"
    assert format_moment("2026-12-06T16:30:00Z", "Asia/Shanghai", "en") == "2026-12-07 00:30:00 (UTC+8)"
    assert format_moment(dt.datetime(2026, 12, 6, 6, 10, 29, 900_000), "UTC", "en") == "2026-12-06 06:10:29 (UTC+0)"
    assert format_moment(None, "Asia/Shanghai") == ""


@pytest.mark.parametrize(("value", "digits", "text"), [
    (12540.94, 1, "12,540.9"), (12540.96, 1, "12,541.0"), (999.5, 0, "1,000"), (-1234.5, 1, "-1,234.5"),
    (np.float64(0.125), 2, "0.12"), (7, 0, "7"), (None, 1, "—"), (float("inf"), 1, "—"), (pd.NA, 1, "—"),
])
def test_format_number(value, digits, text):
    assert format_number(value, digits, "zh") == text == format_number(value, digits, "en")


def test_template_filters_follow_the_ui_language(tiny_app):
    render = tiny_app.jinja_env.from_string(
        "{{ d|day }} | {{ d|iso_day }} | {{ x|num(1) }} | {{ s|pct }} | {{ none|day }} | {{ none|iso_day }}|")
    with tiny_app.test_request_context("/?lang=zh"):
        assert render.render(d=dt.date(2026, 12, 6), x=12540.94, s=0.125, none=None) == \
            "2026年12月6日 | 2026-12-06 | 12,540.9 | 12.5% | — | |"
    with tiny_app.test_request_context("/?lang=en"):
        assert render.render(d=dt.date(2026, 12, 6), x=12540.94, s=0.125, none=None) == \
            "2026-12-06 | 2026-12-06 | 12,540.9 | 12.5% | — | |"
