"""``geo.maps_infra.missing_text``: what a parcel lacks, as labels, each distinct value labelled once."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.maps_infra import missing_text


def test_codes_become_labels_in_each_language_and_record_order():
    index = pd.Index([7, 3, 3, 9, 5, 11])  # (not in order, and an index label twice: every row keeps its own text)
    missing = pd.Series(["water_supply,power", "", None, "road", "gas,new_kind,", "water_supply,power"], index=index,
                        dtype="str")
    zh = missing_text(missing, lang="zh")
    assert zh.tolist() == ["给水、电力", "", "", "道路", "燃气、new_kind", "给水、电力"]
    assert zh.index.equals(index) and zh.dtype == object
    en = missing_text(missing, lang="en")
    assert en.tolist() == ["Water supply, Power", "", "", "Road", "Gas, new_kind", "Water supply, Power"]


def test_nothing_to_label():
    assert missing_text(pd.Series([], dtype=object), lang="zh").tolist() == []
    assert missing_text(pd.Series([np.nan, None], dtype=object), lang="en").tolist() == ["", ""]
