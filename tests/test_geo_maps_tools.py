"""The map tools' texts and options (geo/maps_tools.py) and the search's matching (geo/search.py), without a browser."""

from __future__ import annotations

import re

import pandas as pd

from geo import maps
from geo.maps_tools import TEXTS, tool_options, tool_texts
from geo.search import EXACT, INSIDE, NO_MATCH, PREFIX, match_rank

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_tool_text_is_chinese_in_zh_and_english_in_en():
    zh, en = tool_texts("zh"), tool_texts("en")
    assert set(zh) == set(en) == set(TEXTS)
    assert [key for key, value in zh.items() if not CJK.search(value)] == []
    assert [key for key, value in en.items() if CJK.search(value)] == []


def test_every_park_map_carries_the_tools_in_its_language():
    for lang, placeholder in (("zh", "搜索编号或名称"), ("en", "Search id or name")):
        options = maps.ParkMap(lang=lang).client_options["toolOptions"]
        assert options["texts"]["search_placeholder"] == placeholder
        assert options == tool_options(lang)
        assert options["searchUrl"] == "/api/search"


def test_match_rank_is_case_insensitive_and_ranks_exact_prefix_inside():
    values = pd.Series(["P1", "p12", "AP1", "Q", None])
    assert match_rank(values, "p1").tolist() == [EXACT, PREFIX, INSIDE, NO_MATCH, NO_MATCH]
    assert match_rank(values, "P1").tolist() == [EXACT, PREFIX, INSIDE, NO_MATCH, NO_MATCH]


def test_match_rank_takes_the_query_as_text_not_a_pattern():
    values = pd.Series(["a.b", "axb", "(x)"])
    assert match_rank(values, ".").tolist() == [INSIDE, NO_MATCH, NO_MATCH]
    assert match_rank(values, "(").tolist() == [NO_MATCH, NO_MATCH, PREFIX]
