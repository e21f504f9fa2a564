"""``geo.reasons.join_reasons``: each record's reasons joined in the order given, NaN where none."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.reasons import TEXT_DTYPE, join_reasons, labelled


def test_reasons_are_joined_in_the_order_given_per_record():
    index = pd.Index([10, 11, 12, 13])
    out = join_reasons(index, [([True, False, True, False], "甲"), (pd.Series([None, True, True, False],
                                                                              dtype="boolean", index=index), "b"),
                               (np.zeros(4, dtype=bool), "never"), ([False, False, True, False], "c")])
    assert out.index.equals(index) and out.dtype == TEXT_DTYPE
    assert out.tolist()[:3] == ["甲", "b", "甲; b; c"] and pd.isna(out.iloc[3])


def test_no_reason_at_all_gives_missing_texts():
    out = join_reasons(pd.RangeIndex(3), [(np.zeros(3, dtype=bool), "never")])
    assert out.dtype == TEXT_DTYPE and out.isna().all()


def test_more_reasons_than_bits_in_a_word():
    # 70 reasons: record 0 has reasons 0 and 69, record 1 every reason, record 2 none.
    masks = [(np.array([j in (0, 69), True, False]), f"r{j}") for j in range(70)]
    out = join_reasons(pd.RangeIndex(3), masks)
    assert out.iloc[0] == "r0; r69"
    assert out.iloc[1] == "; ".join(f"r{j}" for j in range(70))
    assert pd.isna(out.iloc[2])


def test_reasons_joined_by_another_separator():
    out = join_reasons(pd.RangeIndex(2), [([True, True], "a"), ([True, False], "b")], separator=",")
    assert out.tolist() == ["a,b", "a"]


def test_counted_and_sorted_combinations_give_the_same_texts():
    # 16 reasons are counted in a table, 17 sorted: record 0 has the first and the last, record 1 none.
    for n in (16, 17):
        masks = [(np.array([j in (0, n - 1), False, True]), f"r{j}") for j in range(n)]
        out = join_reasons(pd.RangeIndex(3), masks)
        assert out.iloc[0] == f"r0; r{n - 1}" and pd.isna(out.iloc[1])
        assert out.iloc[2] == "; ".join(f"r{j}" for j in range(n))


def test_labelled_takes_the_last_mask_holding_each_record():
    out = labelled(4, [(np.array([True, True, False, False]), "a"), (np.array([False, True, True, False]), "b"),
                       (np.array([False, False, True, False]), None)])
    assert out.dtype == TEXT_DTYPE
    assert out[0] == "a" and out[1] == "b" and pd.isna(out[2]) and pd.isna(out[3])
