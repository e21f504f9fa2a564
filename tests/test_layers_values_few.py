"""A few values that need no conversion are taken as they are (``layers.values.FEW_VALUES``): the same Series
the vectorised conversion returns, and the vectorised conversion wherever a value would change."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from layers import values
from layers.values import STRING_DTYPE, to_date, to_int, to_text

TEXTS = {
    "plain": pd.Series(["一号地块", "P1", None, np.nan], dtype=object),
    "string dtype": pd.Series(["a b", "乙"], dtype=STRING_DTYPE),
    "edge space": pd.Series(["  一号 ", "P1"], dtype=object),
    "ideographic space": pd.Series(["一号\u3000", "P1"], dtype=object),
    "tab inside": pd.Series(["a\tb", "x"], dtype=object),
    "blank": pd.Series(["", "P1"], dtype=object),
    "whitespace only": pd.Series([" ", "P1"], dtype=STRING_DTYPE),
    "numbers": pd.Series([13.0, 2.5], dtype=object),
    "bools": pd.Series([True, None], dtype=object),
    "pd.NA": pd.Series(["P1", pd.NA], dtype=object),
    "all missing": pd.Series([None, None], dtype=object),
    "empty": pd.Series([], dtype=STRING_DTYPE),
}
INTS = {
    "Int64": pd.Series([1, None, -7], dtype="Int64"),
    "large": pd.Series([2**53], dtype="Int64"),
    "beyond exact floats": pd.Series([2**53 + 1], dtype="Int64"),  # the float round trip changes it
    "text": pd.Series(["3", "x"], dtype=object),
    "floats": pd.Series([3.0, 2.5]),
    "int64": pd.Series([3, -4], dtype="int64"),
    "int64 beyond exact floats": pd.Series([2**53 + 1], dtype="int64"),
}
DATES = {
    "midnights": pd.Series(pd.to_datetime(["2021-03-01", None, "1960-12-31"])).astype("datetime64[ms]"),
    "a time of day": pd.Series(pd.to_datetime(["2021-03-01 12:30"])).astype("datetime64[ms]"),
    "ns": pd.Series(pd.to_datetime(["2021-03-01"])),
    "text": pd.Series(["2021/3/1", "2021年3月1日"], dtype=object),
    "all missing": pd.Series([pd.NaT, pd.NaT], dtype="datetime64[ms]"),
    "date objects": pd.Series([dt.date(2021, 3, 1), None, dt.date(1960, 12, 31)], dtype=object),
    "date objects and NaT": pd.Series([dt.date(2021, 3, 1), pd.NaT, np.nan], dtype=object),
    "None only": pd.Series([None, None], dtype=object),
    "datetime objects": pd.Series([dt.datetime(2021, 3, 1, 12, 30)], dtype=object),
    "timestamps": pd.Series([pd.Timestamp("2021-03-01")], dtype=object),
    "s midnights": pd.Series(pd.to_datetime(["2021-03-01", None])).astype("datetime64[s]"),
    "ns a time of day": pd.Series(pd.to_datetime(["2021-03-01 00:00:00.000001"])),
    "tz-aware": pd.Series(pd.to_datetime(["2021-03-01"]).tz_localize("Asia/Shanghai")),
    "NaT of ns": pd.Series([pd.NaT], dtype="datetime64[ns]"),
}


def both_ways(convert, series: pd.Series, monkeypatch) -> tuple[tuple, tuple]:
    few = convert(series.copy())
    monkeypatch.setattr(values, "FEW_VALUES", -1)  # every column through the vectorised conversion
    vectorised = convert(series.copy())
    monkeypatch.undo()
    return few, vectorised


@pytest.mark.parametrize(("convert", "series"),
                         [(to_text, s) for s in TEXTS.values()] + [(to_int, s) for s in INTS.values()]
                         + [(to_date, s) for s in DATES.values()],
                         ids=[f"text {k}" for k in TEXTS] + [f"int {k}" for k in INTS] + [f"date {k}" for k in DATES])
def test_a_few_values_convert_as_the_vectorised_conversion_does(convert, series, monkeypatch):
    (typed, bad), (typed_v, bad_v) = both_ways(convert, series, monkeypatch)
    pd.testing.assert_series_equal(typed, typed_v)
    pd.testing.assert_series_equal(bad, bad_v)


def test_values_taken_as_they_are_are_a_copy():
    series = pd.Series(["P1"], dtype=STRING_DTYPE)
    typed, _ = to_text(series)
    typed.iloc[0] = "changed"
    assert series.iloc[0] == "P1"


def test_what_the_vectorised_conversion_changes_hand_computed():
    assert to_text(TEXTS["edge space"])[0].tolist() == ["一号", "P1"]
    assert to_text(TEXTS["blank"])[0].isna().tolist() == [True, False]
    assert to_text(TEXTS["numbers"])[0].tolist() == ["13", "2.5"]  # whole floats read as integers, value by value
    assert to_int(INTS["beyond exact floats"])[0].tolist() == [2**53]  # float64 cannot hold 2**53 + 1
    assert to_date(DATES["a time of day"])[0].tolist() == [pd.Timestamp("2021-03-01")]
    assert to_date(DATES["date objects"])[0].tolist()[::2] == [pd.Timestamp("2021-03-01"), pd.Timestamp("1960-12-31")]
    assert values.dates_as_they_are(DATES["ns a time of day"]) is None
    assert to_int(INTS["int64"])[0].dtype == "Int64"


def test_more_than_a_few_values_go_the_vectorised_way():
    assert values.text_as_it_is(pd.Series(["P1"] * values.FEW_VALUES, dtype=object)) is not None
    assert values.text_as_it_is(pd.Series(["P1"] * (values.FEW_VALUES + 1), dtype=object)) is None


def test_python_and_the_vectorised_strip_agree_on_what_space_is_for_every_code_point():
    """The few-values path keeps text whose ends are not ``str.isspace``; that is only right if the vectorised
    ``str.strip`` strips exactly those characters (every code point, at the start of a value)."""
    chars = [chr(i) for i in range(0x110000) if not 0xD800 <= i <= 0xDFFF]
    stripped = pd.Series([c + "a" for c in chars], dtype=STRING_DTYPE).str.strip().tolist()
    disagree = [hex(ord(c)) for c, after in zip(chars, stripped) if (after != c + "a") != c.isspace()]
    assert disagree == []
    assert "\u3000".isspace() and to_text(pd.Series(["\u3000一号"], dtype=object))[0].tolist() == ["一号"]
