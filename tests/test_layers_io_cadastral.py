"""A cadastral surveyor's parcels (地籍/不动产登记 databases): their field codes and their GB/T 21010-2007 land uses.

Such a Shapefile names its fields by the databases' pinyin codes (ZDDM 宗地代码, QLR 权利人, TDYT 土地用途, QLXZ
权利性质, SYQMJ 使用权面积, ZL 坐落 …) and writes land uses as GB/T 21010-2007 (二调) three-digit codes (061 工业用地),
which the 2017 revision re-coded with a second two-digit level (0601).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from layers import landuse
from layers.io.normalise import normalise_land_use
from layers.registry import get_layer

PARCELS = get_layer("parcels")


def test_three_digit_codes_are_read_as_gbt21010_2007_re_coded_and_crosswalked_keeping_what_was_written():
    # 061 → 0601 → 1001 (2023); 063 仓储用地 → 0604, which has no 2023 pair: kept in 2017; 051 批发零售用地 was split
    # by 2017 (0501/0502): its first-level class 05; 071 → 0701. Beside them, the boundary of the rule: 0601 (four
    # digits) is no 2007 code (read as 2023, as before, with its review notice); 131 (13 no first-level class of
    # 2007) is no 2007 code either (left to the validator); 061 with 二调 named reads the same.
    frame = pd.DataFrame({"land_use": ["061", "063", "051", "071", "0601", "131", "061"],
                          "land_use_std": [None, None, None, None, None, None, "二调"]})
    notes = normalise_land_use(frame)
    assert list(frame["land_use"]) == ["1001", "0604", "05", "0701", "0601", "131", "1001"]
    assert list(frame["land_use_std"].fillna("-")) == ["用地用海2023", "GB/T21010-2017", "GB/T21010-2017",
                                                       "GB/T21010-2017", "-", "-", "用地用海2023"]
    assert list(frame["land_use_original"].fillna("-")) == ["061", "063", "051", "071", "-", "-", "061"]
    assert list(frame["land_use_original_std"].fillna("-")) == ["GB/T21010-2007"] * 4 + ["-", "-", "GB/T21010-2007"]
    assert list(frame["land_use_review"].fillna(False)) == [True] * 5 + [False, True]
    by_row: dict[int, list[str]] = {}
    for row, _, message, _ in notes:
        by_row.setdefault(row, []).append(message)
    assert by_row[0] == ["061 工业用地 read as GB/T21010-2007 (二调) and re-coded to GB/T21010-2017 0601 工业用地",
                         "crosswalked 0601 (GB/T21010-2017) → 1001 工业用地 (用地用海2023); original kept, flagged for "
                         "review"]
    assert by_row[2][0] == "051 批发零售用地 read as GB/T21010-2007 (二调) and re-coded to GB/T21010-2017 05 商服用地"
    assert "in GB/T21010-2017 0601 means 工业用地: review" in by_row[4][0]
    assert 5 not in by_row
    # The value a notice shows is the code as the file wrote it.
    assert {value for row, _, _, value in notes if row == 0} == {"061"}


def test_the_2007_table_re_codes_to_classes_the_2017_table_knows():
    for code, (name, _, new) in landuse.GBT21010_2007.items():
        assert landuse.is_known_code(new, landuse.STD_GBT21010), (code, name, new)
        assert len(code) in (2, 3) and code[:2] in landuse.GBT21010_2007, code
    assert landuse.land_use_class("061", landuse.STD_GBT21010_2007).label_zh == "工业用地"
    assert landuse.land_use_class("0701", landuse.STD_GBT21010).label_zh == "城镇住宅用地"
    # A three-digit code's parent is its first two digits (not a one-digit code).
    assert landuse.land_use_class("069", landuse.STD_GBT21010_2007).label_zh == "工矿仓储用地"


def test_cadastral_field_codes_map_onto_the_parcels_fields():
    from layers.io.mapping import match_columns

    renames = match_columns(["ZDDM", "ZL", "QLR", "TDYT", "QLXZ", "SYQMJ", "DJSJ", "RJL"], PARCELS).renames
    assert renames == {"ZDDM": "parcel_id", "QLR": "land_user", "TDYT": "land_use", "QLXZ": "tenure",
                       "SYQMJ": "registered_area_m2"}
    for header, field in (("土地用途", "land_use"), ("批准用途", "land_use"), ("权利性质", "tenure"),
                          ("权利人", "land_user"), ("土地使用权人", "land_user"), ("宗地面积", "registered_area_m2"),
                          ("ZDMJ", "registered_area_m2")):
        assert match_columns([header], PARCELS).renames == {header: field}


def test_the_mapping_step_offers_and_accepts_gbt21010_2007_and_refuses_an_unknown_classification():
    from layers.io.mapping import FieldMapping
    from layers.io.mapping_step import MappingFormError, posted_mapping

    base = FieldMapping({}, (), {}, {}, {}, {})
    form = {"field-0": "parcel_id", "field-1": "land_use", "std-1": "GB/T21010-2007"}
    mapping = posted_mapping(form, PARCELS, ["ZDDM", "TDYT"], base)
    assert mapping.defaults["land_use_std"] == "GB/T21010-2007"
    with pytest.raises(MappingFormError) as refused:
        posted_mapping({**form, "std-1": "GB/T21010-1984"}, PARCELS, ["ZDDM", "TDYT"], base)
    assert "GB/T21010-2007" in refused.value.args[0]


def test_three_digit_codes_are_suggested_as_gbt21010_2007():
    from layers.io.suggest import _land_use_codes

    found = _land_use_codes(["061", "061", "062", "071", "121"])
    assert found.defaults == {"land_use_std": "GB/T21010-2007"}
    assert found.why[0] == "值为二调（GB/T 21010-2007）代码"
    # Four-digit 2017 codes are not taken for 2007 ones.
    assert _land_use_codes(["0601", "0602"]).defaults["land_use_std"] != "GB/T21010-2007"


def _cadastral_shapefile(folder, *, crs=4549):
    """A surveyor's 宗地 Shapefile: GBK text, no .cpg, the database's field codes, 2007 land-use codes."""
    x0, y0 = 636_000.0, 3_171_000.0
    frame = gpd.GeoDataFrame({
        "ZDDM": ["330521101001GB00001", "330521101001GB00002", "330521101001GB00003"],
        "ZL": ["纬一路1号", "纬一路2号", "纬一路3号"],
        "QLR": ["浙江恒丰精密机械有限公司", "宁波海天新材料科技有限公司", "国有"],
        "TDYT": ["061", "063", "121"],
        "QLXZ": ["出让", "出让", "划拨"],
        "SYQMJ": [32000.0, 32000.0, 32000.0],
    }, geometry=[shapely.box(x0 + 220 * i, y0, x0 + 220 * i + 200, y0 + 160) for i in range(3)], crs=crs)
    path = folder / "宗地.shp"
    frame.to_file(path, encoding="GBK", engine="pyogrio")
    (folder / "宗地.cpg").unlink(missing_ok=True)
    return path


def test_a_cadastral_shapefile_imports_its_land_uses_users_and_tenures_and_says_so_in_chinese(tmp_path):
    from layers.import_text import chinese
    from layers.io import ImportOptions, import_layer
    from layers.store import GeoPackageStore

    source = _cadastral_shapefile(tmp_path)
    park = GeoPackageStore(tmp_path / "park.gpkg")
    plan = import_layer(source, "parcels", park=park, options=ImportOptions(park_name="某某开发区"))
    parcels = park.load("parcels").set_index("parcel_id")
    first, second, third = (parcels.loc[f"330521101001GB0000{i}"] for i in (1, 2, 3))
    assert (first["land_use"], first["land_use_std"]) == ("1001", "用地用海2023")
    assert (first["land_use_original"], first["land_use_original_std"]) == ("061", "GB/T21010-2007")
    assert (second["land_use"], second["land_use_std"]) == ("0604", "GB/T21010-2017")
    assert (third["land_use"], third["land_use_std"]) == ("1201", "GB/T21010-2017")
    assert bool(first["land_use_review"]) and bool(third["land_use_review"])
    assert list(parcels["tenure"]) == ["granted", "granted", "allocated"]
    assert list(parcels["land_user"]) == ["浙江恒丰精密机械有限公司", "宁波海天新材料科技有限公司", "国有"]
    assert list(parcels["registered_area_m2"]) == [32000.0] * 3
    # 坐落 has no field of its own: kept, as the source said it.
    assert "纬一路1号" in first["source_attributes"]
    text = plan.report.text()
    assert "061 工业用地 read as GB/T21010-2007 (二调) and re-coded to GB/T21010-2017 0601 工业用地" in text
    assert (chinese("061 工业用地 read as GB/T21010-2007 (二调) and re-coded to GB/T21010-2017 0601 工业用地")
            == "061 工业用地 按 GB/T21010-2007（二调）读取，并改写为 GB/T21010-2017 代码 0601 工业用地")
    assert (chinese("051 批发零售用地 read as GB/T21010-2007 (二调) and re-coded to GB/T21010-2017 05")
            == "051 批发零售用地 按 GB/T21010-2007（二调）读取，并改写为 GB/T21010-2017 代码 05")


def _gtxt_plots(tmp_path, uses_and_codes):
    import gtxt_samples as g

    plots = [g.plot(["5", "1.0000", f"DK-{i}", f"{i}号地块", "面", "", use, code],
                    g.ring_lines(g.square(200 * i, 0, 100.0), 1))
             for i, (use, code) in enumerate(uses_and_codes, start=1)]
    return g.write(tmp_path, g.gtxt(plots))


@pytest.mark.parametrize(("uses_and_codes", "told", "stored", "review"), [
    # 工业用地 is 1001 only in 用地用海 2023 (1001 is 铁路用地 in GB/T 21010): told, nothing to review.
    ([("工业用地", "1001"), ("一类工业用地", "100101")], "用地用海2023", [("1001", "用地用海2023"),
                                                                    ("100101", "用地用海2023")], [False, False]),
    # 铁路用地 1001 is GB/T 21010-2017: told, then crosswalked to 2023 (1201) and reviewed as a crosswalk is.
    ([("铁路用地", "1001")], "GB/T21010-2017", [("1201", "用地用海2023")], [True]),
    # A 2007 code named: told, re-coded.
    ([("工业用地", "061")], "GB/T21010-2007", [("1001", "用地用海2023")], [True]),
    # Two plots whose names tell two classifications: none told (read as before: 2023, reviewed).
    ([("工业用地", "1001"), ("工业用地", "0601")], None, [("1001", "用地用海2023"), ("0601", "用地用海2023")],
     [True, True]),
    # A plot with a code and no name: none told.
    ([("工业用地", "1001"), ("", "1001")], None, [("1001", "用地用海2023"), ("1001", "用地用海2023")], [True, True]),
])
def test_a_gtxts_class_names_tell_the_classification_of_its_codes(tmp_path, uses_and_codes, told, stored, review):
    from layers.import_text import chinese
    from layers.io import ImportOptions, import_layer
    from layers.io.gtxt import read_gtxt, told_classification
    from layers.store import GeoPackageStore

    path = _gtxt_plots(tmp_path, uses_and_codes)
    assert told_classification(read_gtxt(path.read_bytes().decode("gbk")).frame) == told
    park = GeoPackageStore(tmp_path / "park.gpkg")
    plan = import_layer(path, "parcels", park=park, options=ImportOptions(park_name="报批"))
    parcels = park.load("parcels").sort_values("parcel_id")
    assert list(zip(parcels["land_use"], parcels["land_use_std"], strict=True)) == stored
    assert list(parcels["land_use_review"].fillna(False).astype(bool)) == review
    said = (f"land-use classification told by 地块用途: every plot's 地块用途 is the class name its 地类编码 has in "
            f"{told}")
    assert (said in plan.report.text()) == (told is not None)
    if told == "用地用海2023":
        assert "no classification given" not in plan.report.text()
        assert chinese(said) == "用地分类标准由地块用途确定：每个地块的地块用途都是其地类编码在 用地用海2023 中的类名"
