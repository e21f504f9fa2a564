"""Integer id codes the 亩均 and vacancy evaluations join and group on (geo.reasons) — by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.muju import _largest_shares
from geo.reasons import TEXT_DTYPE, all_distinct, first_rows, key_codes, key_labels, same_keys, take_at, take_text


def text(values) -> pd.Series:
    return pd.Series(values, dtype=TEXT_DTYPE)


def test_key_codes_share_one_space_sorted_like_the_ids_with_minus_one_for_missing():
    (left, right), keys = key_codes(text(["b", "a", None, "c"]), text(["c", "z", "a"]))
    assert left.tolist() == [1, 0, -1, 2]
    assert right.tolist() == [2, 3, 0]
    assert keys.to_pylist() == ["a", "b", "c", "z"]


def test_key_codes_order_groups_as_the_text_does():
    # Binary (code point) order: upper case before lower case, ASCII before 园.
    ids = text(["园区2", "a1", "B7", "a1", "Z", "园区10"])
    (codes,), keys = key_codes(ids)
    assert keys.to_pylist() == ["B7", "Z", "a1", "园区10", "园区2"]
    assert codes.tolist() == [4, 2, 0, 2, 1, 3]
    by_text = pd.Series(1.0, index=range(6)).groupby(ids).sum()
    by_code = pd.Series(1.0, index=range(6)).groupby(codes).sum()
    assert list(by_text.index) == [keys[i].as_py() for i in by_code.index]


def test_key_codes_accept_plain_object_columns_and_nothing_at_all():
    (codes,), keys = key_codes(pd.Series(["x", np.nan, "w"], dtype=object))
    assert codes.tolist() == [1, -1, 0] and keys.to_pylist() == ["w", "x"]
    (empty,), none = key_codes(text([]))
    assert empty.tolist() == [] and len(none) == 0


def test_key_labels_give_the_ids_back():
    ids = text(["P2", None, "P1", "P2"])
    (codes,), keys = key_codes(ids)
    back = pd.Series(key_labels(keys, codes))
    assert back.dtype == TEXT_DTYPE
    assert back.iloc[[0, 2, 3]].tolist() == ["P2", "P1", "P2"] and pd.isna(back.iloc[1])


def test_first_rows_is_the_first_row_of_each_code():
    assert first_rows(np.array([2, 0, 2, -1, 0]), 4).tolist() == [1, -1, 0, -1]
    assert first_rows(np.array([], dtype=np.int64), 2).tolist() == [-1, -1]


def test_take_at_fills_where_the_row_is_minus_one():
    values = np.array([10.0, 20.0])
    assert np.array_equal(take_at(values, np.array([1, -1, 0])), [20.0, np.nan, 10.0], equal_nan=True)
    ints = take_at(np.array([7, 8]), np.array([-1, 1]), fill=-1)
    assert ints.dtype.kind == "i" and ints.tolist() == [-1, 8]
    assert np.isnan(take_at(np.array([]), np.array([-1, -1]))).all()


def test_take_text_reads_columns_end_to_end():
    out = pd.Series(take_text([text(["a", "b"]), pd.Series(["c"], dtype=object)], np.array([2, 0, -1, 1])))
    assert out.dtype == TEXT_DTYPE
    assert out.iloc[[0, 1, 3]].tolist() == ["c", "a", "b"] and pd.isna(out.iloc[2])
    assert pd.isna(pd.Series(take_text([text([])], np.array([-1])))).all()


def test_all_distinct_counts_one_missing_id_as_distinct_and_two_as_a_repeat():
    assert all_distinct(text(["a", "b", None]))
    assert not all_distinct(text(["a", "b", "a"]))
    assert not all_distinct(text([None, "b", None]))
    assert all_distinct(text([]))


def test_same_keys_means_the_same_ids_in_the_same_order():
    assert same_keys(pd.Index(text(["a", None, "c"]).array), text(["a", None, "c"]))
    assert same_keys(pd.Series(["a", "c"], dtype=object), text(["a", "c"]))
    assert not same_keys(text(["c", "a"]), text(["a", "c"]))
    assert not same_keys(text(["a", None]), text(["a", "b"]))


def test_largest_share_of_each_building_is_the_later_pair_among_equals():
    # Grouped by building (read in runs): building 0's larger share is pair 1; building 1's equal 3s, the later (3).
    assert _largest_shares(np.array([0, 0, 1, 1, 1]), np.array([2.0, 5.0, 3.0, 3.0, 1.0])).tolist() == [1, 3]
    # Not grouped (sorted instead): building 0 is pair 1; building 1's equal 3s at pairs 0 and 2, the later (2).
    assert _largest_shares(np.array([1, 0, 1]), np.array([3.0, 2.0, 3.0])).tolist() == [1, 2]
    assert _largest_shares(np.array([], dtype=int), np.array([])).tolist() == []
