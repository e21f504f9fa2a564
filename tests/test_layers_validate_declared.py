"""Columns already in their declared form are checked value by value (``layers.values.as_declared``) and give
what the conversion of every column gives: the same typed frame, the same problems in the same order.

The general path is forced by setting ``FEW_VALUES`` to 0 (``as_declared`` and the land-use look-up then decline).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from layers import audit, validate, values
from layers.registry import get_layer
from layers.validate import LayerValidationError, validate_layer

PARCELS = get_layer("parcels")
EVENTS = get_layer("audit_events")


def general(monkeypatch, frame, spec):
    """``validate_layer`` through the conversion of every column (the result, or the problems it raises)."""
    with monkeypatch.context() as patched:
        patched.setattr(values, "FEW_VALUES", 0)
        patched.setattr(validate, "FEW_VALUES", 0)
        return outcome(frame, spec)


def outcome(frame, spec):
    try:
        typed, report = validate_layer(frame, spec, source="test")
    except LayerValidationError as exc:
        return "refused", [(p.record, p.field, str(p.value), p.message) for p in exc.problems]
    return typed, [(p.record, p.field, p.message) for p in report.notices]


def assert_same(monkeypatch, frame, spec):
    fast, expected = outcome(frame, spec), general(monkeypatch, frame, spec)
    if isinstance(expected[0], str):
        assert fast == expected
    else:
        pd.testing.assert_frame_equal(fast[0], expected[0])
        assert fast[1] == expected[1]
    return fast


@pytest.fixture(scope="module")
def parcels(demo_park):
    """Three demo parcels as ``read_rows`` gives them: every column in its declared dtype."""
    return demo_park.read_rows("parcels", demo_park.load("parcels")["parcel_id"].tolist()[:3])


def events_of(reason: str | None = "说明：测试") -> pd.DataFrame:
    change = audit.new_change("update", user="张三", reason=reason,
                              now=dt.datetime(2026, 6, 30, 1, 0, tzinfo=dt.timezone.utc))
    rows = audit._event_rows(change, "parcels", ["P1", "P1"], ["name", "last_updated"], ["旧名", None],
                             ["新名", "2026-06-30"], ["update", "update"])
    return audit.number_events(rows, start_seq=7)


def test_an_events_frame_in_declared_form_validates_as_when_every_column_is_converted(monkeypatch):
    events = events_of()
    assert values.as_declared(events["seq"], EVENTS.field("seq")) == [7, 8]
    typed, notices = assert_same(monkeypatch, events, EVENTS)
    assert typed["seq"].tolist() == [7, 8] and typed["reason"].tolist() == ["说明：测试"] * 2
    assert notices == []
    assert_same(monkeypatch, events_of(reason=None), EVENTS)


def test_an_unknown_or_aliased_code_is_converted_or_refused_as_ever(monkeypatch):
    events = events_of()
    events["op"] = pd.array(["update", "UPDATE"], dtype=values.STRING_DTYPE)  # folded to the code: not as it is
    assert values.as_declared(events["op"], EVENTS.field("op")) is None
    typed, _ = assert_same(monkeypatch, events, EVENTS)
    assert typed["op"].tolist() == ["update", "update"]
    events["op"] = pd.array(["update", "改了"], dtype=values.STRING_DTYPE)
    assert assert_same(monkeypatch, events, EVENTS)[0] == "refused"


@pytest.mark.parametrize(("field", "value", "as_it_is"), [
    ("name", "东区 3号（测试）", True),
    ("name", " 前后有空格 ", False),  # stripped by the conversion
    ("name", np.nan, True),
    ("land_price_wan", -0.5, True),  # in declared form, out of range: refused the same way
    ("land_price_wan", np.nan, True),
    ("building_coef_min", 1.5, True),
    ("tenure", "出让", False),  # an alias: converted to its code
    ("tenure", "granted", True),
    ("contract_date", pd.Timestamp("2021-03-01 13:30"), False),  # a time of day: set to midnight
    ("contract_date", pd.NaT, True),
    ("parcel_id", np.nan, True),  # no id: one is generated, with a notice (ids are never taken as they are)
])
def test_a_parcel_in_declared_form_validates_as_when_every_column_is_converted(monkeypatch, parcels, field, value,
                                                                              as_it_is):
    frame = parcels.copy()
    frame.loc[1, field] = value
    assert (values.as_declared(frame[field], PARCELS.field(field)) is not None) == as_it_is
    assert_same(monkeypatch, frame, PARCELS)


def test_land_use_codes_looked_at_value_by_value_are_judged_as_ever(monkeypatch, parcels):
    frame = parcels.copy()
    assert_same(monkeypatch, frame, PARCELS)
    frame.loc[0, "land_use_std"] = np.nan  # a code without its system: the 2023 one assumed, with a notice
    typed, notices = assert_same(monkeypatch, frame, PARCELS)
    assert typed.loc[0, "land_use_std"] == "用地用海2023" and [n[1] for n in notices] == ["land_use_std"]
    frame.loc[2, "land_use"] = "不存在的地类"
    assert assert_same(monkeypatch, frame, PARCELS)[0] == "refused"


def test_a_required_value_missing_in_declared_form_is_named_as_ever(monkeypatch):
    # (no layer declares a required field besides its id, whose missing values are generated: one made here)
    spec = dataclasses.replace(EVENTS, fields=tuple(dataclasses.replace(f, required=True) if f.name == "user" else f
                                                    for f in EVENTS.fields))
    events = events_of()
    assert_same(monkeypatch, events, spec)
    events["user"] = pd.array(["张三", None], dtype=values.STRING_DTYPE)
    assert values.as_declared(events["user"], spec.field("user")) is not None
    refused = assert_same(monkeypatch, events, spec)
    assert refused == ("refused", [("row 2 (event_id=E000000000008)", "user", "None", "required value is missing")])
