"""An enterprise list without 所在地块 links its enterprises to the parcels whose 土地使用权人 is their name.

A cadastral surveyor's register names who holds each parcel (权利人 → ``parcels.land_user``); an office's enterprise
list names each enterprise. Where the list has no column of parcel ids, the names are matched (``Link.by_name``), by
the same rules as ids (``layers.io.links``): a parcel linked already is not changed, one two enterprises of the list
share a name with is linked to neither.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_layers_io_cadastral import _cadastral_shapefile

from layers.io import ImportOptions, import_layer
from layers.io.links import cell_ids, ids_by_name, name_key
from layers.registry import get_layer
from layers.store import GeoPackageStore

PARCELS = get_layer("parcels")
#: The cadastral sample's parcels and their 权利人.
HOLDERS = {"330521101001GB00001": "浙江恒丰精密机械有限公司", "330521101001GB00002": "宁波海天新材料科技有限公司",
           "330521101001GB00003": "国有"}


def test_names_are_compared_without_white_space_and_in_one_width():
    assert name_key(" 浙江恒丰 精密机械（集团）有限公司 ") == name_key("浙江恒丰精密机械(集团)有限公司")
    assert name_key("   ") is None and name_key(None) is None
    target = pd.DataFrame({"parcel_id": list(HOLDERS), "land_user": list(HOLDERS.values())})
    names = pd.Series(["宁波海天新材料科技有限公司 ", "某某公司", None, "浙江恒丰精密机械有限公司"])
    assert ids_by_name(names, target, PARCELS, "land_user") == [
        ["330521101001GB00002"], [], [], ["330521101001GB00001"]]
    # The cells are lists: read as the ids they hold, not split again.
    assert cell_ids(pd.Series([["A 1", "B/2"], []], dtype=object)) == [["A 1", "B/2"], []]


@pytest.fixture
def cadastral_park(tmp_path):
    park = GeoPackageStore(tmp_path / "park.gpkg")
    (tmp_path / "src").mkdir()
    import_layer(_cadastral_shapefile(tmp_path / "src"), "parcels", park=park,
                 options=ImportOptions(park_name="某某开发区"))
    return park


def _list(tmp_path, rows: list[dict], name: str = "名单.csv"):
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def test_a_list_without_parcel_ids_links_by_the_holders_names(cadastral_park, tmp_path):
    from layers.import_text import chinese

    source = _list(tmp_path, [{"企业编号": "E1", "企业名称": "浙江恒丰精密机械有限公司"},
                              {"企业编号": "E2", "企业名称": "宁波海天新材料科技有限公司"},
                              {"企业编号": "E3", "企业名称": "某某不在册公司"}])
    plan = import_layer(source, "enterprises", park=cadastral_park, options=ImportOptions(mode="upsert"))
    linked = cadastral_park.load("parcels").set_index("parcel_id")["enterprise_id"]
    assert linked.fillna("-").to_dict() == {"330521101001GB00001": "E1", "330521101001GB00002": "E2",
                                            "330521101001GB00003": "-"}
    assert plan.report.links == {"parcels": {"linked": 2}}
    said = [n.message for n in plan.report.notices if "linked by name" in n.message]
    assert said == ["2 record(s) of parcels linked by name: their land_user is the name of the enterprises record "
                    "(enterprise_id set): 330521101001GB00001, 330521101001GB00002"]
    assert chinese(said[0]) == ("2 个地块按名称关联：其土地使用权人即企业名称（设置企业编号）："
                                "330521101001GB00001、330521101001GB00002")
    # The same list again: linked already, nothing written.
    again = import_layer(source, "enterprises", park=cadastral_park, options=ImportOptions(mode="upsert"))
    assert again.report.links == {"parcels": {"linked": 0, "already": 2}}


def test_names_link_by_the_rules_of_ids(cadastral_park, tmp_path):
    # Two enterprises of the list share a name (a branch written as its parent): that parcel is linked to neither.
    first = _list(tmp_path, [{"企业编号": "E1", "企业名称": "浙江恒丰精密机械有限公司"},
                             {"企业编号": "E9", "企业名称": "浙江恒丰精密机械有限公司"},
                             {"企业编号": "E2", "企业名称": "宁波海天新材料科技有限公司"}])
    plan = import_layer(first, "enterprises", park=cadastral_park, options=ImportOptions(mode="upsert"))
    assert plan.report.links == {"parcels": {"linked": 1, "claimed_twice": 1}}
    # A parcel the register links already keeps its link: a later list naming another enterprise is a conflict.
    second = _list(tmp_path, [{"企业编号": "E7", "企业名称": "宁波海天新材料科技有限公司"}], name="名单2.csv")
    plan = import_layer(second, "enterprises", park=cadastral_park, options=ImportOptions(mode="upsert"))
    assert plan.report.links == {"parcels": {"linked": 0, "conflicts": 1}}
    linked = cadastral_park.load("parcels").set_index("parcel_id")["enterprise_id"]
    assert linked["330521101001GB00002"] == "E2" and pd.isna(linked["330521101001GB00001"])


def test_a_list_with_parcel_ids_links_by_them_not_by_names(cadastral_park, tmp_path):
    # 所在地块 says GB00003 (held by 国有 in the register): the ids decide, the names are not looked at.
    source = _list(tmp_path, [{"企业编号": "E1", "企业名称": "浙江恒丰精密机械有限公司", "所在地块": "330521101001GB00003"}])
    plan = import_layer(source, "enterprises", park=cadastral_park, options=ImportOptions(mode="upsert"))
    linked = cadastral_park.load("parcels").set_index("parcel_id")["enterprise_id"]
    assert linked["330521101001GB00003"] == "E1" and pd.isna(linked["330521101001GB00001"])
    assert not [n for n in plan.report.notices if "linked by name" in n.message]


def test_a_park_whose_parcels_name_no_holder_links_nothing_and_says_nothing_of_names(tiny_park, tmp_path):
    source = _list(tmp_path, [{"企业编号": "E8", "企业名称": "浙江恒丰精密机械有限公司"}])
    plan = import_layer(source, "enterprises", park=tiny_park, options=ImportOptions(mode="upsert"))
    assert "parcels" not in plan.report.links
    assert set(tiny_park.load("enterprises")["enterprise_id"]) >= {"E8"}


def test_near_names_are_said_never_linked():
    from layers.io.links import NEAR_MIN_CHARS, near_names

    target = pd.DataFrame({"parcel_id": [*HOLDERS, "P4", "P5"],
                           "land_user": [*HOLDERS.values(), "温州华顺食品有限公司", "温州华顺食品销售有限公司"]})
    names = pd.Series(["浙江恒丰精密机械有限责任公司",  # the other legal form of GB00001's holder
                       "恒丰精密",  # a 简称 of 4 characters inside it
                       "海天新",  # 3 characters: too short to count
                       "宁波海天新材料科技有限公司",  # exact: linked, so not near
                       "温州华顺食品",  # inside two holders' names: near neither
                       "某某不在册公司"])
    cells = pd.Series(ids_by_name(names, target, PARCELS, "land_user"), dtype=object)
    assert NEAR_MIN_CHARS == 4
    assert near_names(names, cells, target, PARCELS, "land_user") == [
        ("浙江恒丰精密机械有限责任公司", "330521101001GB00001", "浙江恒丰精密机械有限公司"),
        ("恒丰精密", "330521101001GB00001", "浙江恒丰精密机械有限公司")]


def test_a_list_whose_names_only_come_near_the_holders_links_nothing_and_says_which(cadastral_park, tmp_path):
    from layers.import_text import chinese

    source = _list(tmp_path, [{"企业编号": "E1", "企业名称": "恒丰精密"},
                              {"企业编号": "E2", "企业名称": "宁波海天新材料科技有限责任公司"}])
    plan = import_layer(source, "enterprises", park=cadastral_park, options=ImportOptions(mode="upsert"))
    assert cadastral_park.load("parcels")["enterprise_id"].isna().all()
    said = [n.message for n in plan.report.notices if "nearly" in n.message]
    assert said == ["2 name(s) of the enterprises list match no land_user of parcels exactly, but one nearly: not "
                    "linked (if it is the same, give the parcels id in a 所在地块 column) (恒丰精密 ≈ "
                    "330521101001GB00001 浙江恒丰精密机械有限公司; 宁波海天新材料科技有限责任公司 ≈ 330521101001GB00002 "
                    "宁波海天新材料科技有限公司)"]
    assert chinese(said[0]) == ("2 个企业名称与地块的土地使用权人不完全相同，但与其中一个相近：未关联（如为同一企业，请在名单的"
                                "“所在地块”一栏填写地块编号）（恒丰精密 ≈ 330521101001GB00001 浙江恒丰精密机械有限公司；"
                                "宁波海天新材料科技有限责任公司 ≈ 330521101001GB00002 宁波海天新材料科技有限公司）")
