"""An enterprise list's 所在地块 links its enterprises to their land (layers/io/links.py): the parcels it names get
the enterprise's id in ``parcels.enterprise_id`` in the same audited change as the list, by rules said in the report
(not found, retired, named twice, linked to another enterprise already), and the per-mu figures then have land."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from conftest import WORKING_EPSG, X0, Y0
from enterprise_samples import write_list

from geo.analysis import analyse_land
from layers.audit import AuditedStore
from layers.demo.economy import credit_codes
from layers.import_text import chinese
from layers.io import ImportOptions, ImportRejected, import_layer
from layers.io.links import cell_ids, link_column, plan_links
from layers.registry import REGISTRY, get_layer
from layers.rules import load_rules
from layers.store import GeoPackageStore

ENTERPRISES, PARCELS = get_layer("enterprises"), get_layer("parcels")
LINK = ENTERPRISES.links[0]
HEADER = ["企业名称", "统一社会信用代码", "所在地块", "2024年税收（万元）"]
#: Five real codes (GB 32100-2015), the list's enterprise ids.
CODES = credit_codes(5, np.random.default_rng(11))


def _square(x: float, width: float = 100.0) -> shapely.Polygon:
    return shapely.box(X0 + x, Y0, X0 + x + width, Y0 + 100)


def _park(path, *, parcels: bool = True, rows: list[dict] | None = None) -> GeoPackageStore:
    """A park of parcels L1 (100 m × 100 m = 15 亩), L2 (200 m × 100 m = 30 亩), L3 (retired), L4 (linked to E-OLD)
    and L5, none but L4 linked; or, without ``parcels``, a park holding zones only."""
    zone = gpd.GeoDataFrame({"zone_id": ["Z1"], "kind": ["park_boundary"]}, geometry=[_square(-50, 1000)],
                            crs=WORKING_EPSG)
    frames = {"zones": zone}
    if parcels:
        rows = rows if rows is not None else [
            {"parcel_id": "L1", "status": "operating", "enterprise_id": None, "retired_on": None},
            {"parcel_id": "L2", "status": "operating", "enterprise_id": None, "retired_on": None},
            {"parcel_id": "L3", "status": "operating", "enterprise_id": None, "retired_on": pd.Timestamp("2024-01-01")},
            {"parcel_id": "L4", "status": "operating", "enterprise_id": "E-OLD", "retired_on": None},
            {"parcel_id": "L5", "status": "supplied", "enterprise_id": None, "retired_on": None}]
        widths = {"L2": 200.0}
        frames["parcels"] = gpd.GeoDataFrame(
            pd.DataFrame(rows, columns=["parcel_id", "status", "enterprise_id", "retired_on"]).astype(
                {"retired_on": "datetime64[ms]"}),
            geometry=[_square(300.0 * i, widths.get(r["parcel_id"], 100.0)) for i, r in enumerate(rows)],
            crs=WORKING_EPSG)
    store = GeoPackageStore(path)
    store.save_park(frames, {"working_epsg": WORKING_EPSG, "park_name": "关联测试园区", "reference_date": "2025-06-30"})
    return store


def _list(path, rows: list[list[object]], header=HEADER):
    return write_list(path, rows, header=header, title=None)


def _import(source, store, **options):
    return import_layer(source, "enterprises", park=AuditedStore(store),
                        options=ImportOptions(**{"mode": "upsert", **options}), archive_dir=store.path.parent / "archive")


def _links(store) -> dict[str, object]:
    parcels = store.load("parcels")
    return {p: (None if pd.isna(e) else e) for p, e in zip(parcels["parcel_id"], parcels["enterprise_id"])}


# -- the cells -------------------------------------------------------------------------------------------------


def test_a_cell_names_several_parcels_split_on_any_separator_full_width_too():
    cells = pd.Series(["L1、L2", "L1，L2；L3", " L1 / L2 ", "L1\u3000L2", "Ｌ１／Ｌ２", "L1,,L1", None, "", 1001.0, 1001.5],
                      dtype=object)
    assert cell_ids(cells) == [["L1", "L2"], ["L1", "L2", "L3"], ["L1", "L2"], ["L1", "L2"], ["L1", "L2"], ["L1"], [],
                               [], ["1001"], ["1001.5"]]
    # A column of whole floats (a spreadsheet's number column) reads as integers.
    assert cell_ids(pd.Series([1001.0, 1002.0])) == [["1001"], ["1002"]]


@pytest.mark.parametrize(("header", "found"), [
    ("所在地块", True), ("地块编号", True), ("宗地号", True), ("用地地块", True), ("项目地块", True), ("ＰＡＲＣＥＬ", True),
    ("所在地块（编号）", True), ("地块面积", False), ("所在园区", False)])
def test_the_link_column_is_found_by_the_headers_the_registry_declares(header, found):
    assert (link_column(["企业名称", header], ENTERPRISES) is not None) is found
    assert "所在地块" in LINK.aliases and (LINK.layer, LINK.field) == ("parcels", "enterprise_id")


def test_two_columns_naming_parcels_the_first_links_and_the_second_is_said_kept():
    assert link_column(["宗地号", "所在地块"], ENTERPRISES)[1:] == ("宗地号", ["所在地块"])


# -- the rules, both sides, on frames --------------------------------------------------------------------------


def _target() -> pd.DataFrame:
    return pd.DataFrame({"parcel_id": ["L1", "L2", "L3", "L4", "1001"],
                         "enterprise_id": [None, None, None, "E-OLD", None],
                         "retired_on": pd.to_datetime([None, None, "2024-01-01", None, None])})


def test_each_rule_and_its_other_side():
    owners = pd.Series(["A", "B", "C", "D"])
    cells = pd.Series(["L1、L9", "L2；L3", "L4", "L2、1001.0"])
    result = plan_links(owners, cells, _target(), PARCELS, LINK)
    assert result.linked == {"L1": "A", "1001": "D"}  # an id the layer holds, live, free, named once
    assert result.not_found == ["L9"]  # … not held
    assert result.retired == ["L3"]  # … retired
    assert result.claimed == [("L2", ("B", "D"))]  # … named by two enterprises: neither
    assert result.conflicts == [("L4", "E-OLD", "C")]  # … linked to another: not changed
    assert result.already == []
    assert result.counts() == {"linked": 2, "not_found": 1, "conflicts": 1, "claimed_twice": 1, "retired": 1}
    # Linked to the same enterprise already: nothing to do (and one enterprise naming a parcel twice claims it once).
    again = plan_links(pd.Series(["E-OLD"]), pd.Series(["L4 L4"]), _target(), PARCELS, LINK)
    assert (again.linked, again.already, again.conflicts) == ({}, ["L4"], [])
    assert again.counts() == {"linked": 0, "already": 1}


def test_ids_match_as_text_after_trimming_and_width_folding_not_case():
    result = plan_links(pd.Series(["A", "B"]), pd.Series(["  L1 ", "l2"]), _target(), PARCELS, LINK)
    assert result.linked == {"L1": "A"} and result.not_found == ["l2"]


# -- the import ------------------------------------------------------------------------------------------------


def test_the_list_links_its_parcels_in_the_same_change_and_says_so(tmp_path):
    store = _park(tmp_path / "park.gpkg")
    rows = [["甲公司", CODES[0], "L1、L9", 60.0], ["乙公司", CODES[1], "L2；L3", 30.0], ["丙公司", CODES[2], "L4", None],
            ["丁公司", CODES[3], "L5", None], ["戊公司", CODES[4], "L5，L10", None]]
    plan = _import(_list(tmp_path / "名单.xlsx", rows), store)
    report = plan.report
    assert report.committed
    # L1 → 甲, L2 → 乙; L9, L10 not found; L3 retired; L4 is E-OLD's; L5 named by 丁 and 戊.
    assert report.links == {"parcels": {"linked": 2, "not_found": 2, "conflicts": 1, "claimed_twice": 1, "retired": 1}}
    assert _links(store) == {"L1": CODES[0], "L2": CODES[1], "L3": None, "L4": "E-OLD", "L5": None}
    said = [n.message for n in report.notices if n.field == "所在地块"]
    assert said == [
        "2 record(s) of parcels linked to the enterprises record whose row names them (enterprise_id set): L1, L2",
        "2 id(s) not in parcels: not linked, the value is kept on the enterprises record as written (L9, L10)",
        "1 record(s) of parcels retired: not linked (L3)",
        f"1 record(s) of parcels linked to another enterprises record already: not changed, the link parcels holds is "
        f"kept (L4: E-OLD, not {CODES[2]})",
        f"1 record(s) of parcels named by several rows of the list: linked to none of them (L5: {CODES[3]} and "
        f"{CODES[4]})"]
    assert [chinese(m) for m in said] == [
        "2 个地块已关联到名单中列出它的企业（设置企业编号）：L1、L2",
        "2 个编号在地块图层中没有：未关联，该值按原样保留在企业记录上（L9、L10）",
        "1 个地块已注销：未关联（L3）",
        f"1 个地块已关联其他企业：未更改，以地块图层中的关联为准（L4：地块图层中为 E-OLD，名单中为 {CODES[2]}）",
        f"1 个地块被名单中的多行同时列出：不关联其中任何一个（L5：{CODES[3]}、{CODES[4]}）"]
    assert "; links to 'parcels': linked 2, not found 2, conflicts 1, claimed twice 1, retired 1" in report.summary()
    outcome = next(f for f in report.fields if f.source == "所在地块")
    assert (outcome.outcome, outcome.text("zh")) == ("kept", "原样保留（文本），并按其中的编号关联地块（企业编号）")
    # The value stays on the enterprise as written, found or not.
    enterprises = store.load("enterprises").set_index("enterprise_id")
    assert json.loads(enterprises.loc[CODES[0], "source_attributes"])["values"] == {"所在地块": "L1、L9"}
    # One change: the enterprises, their years and the parcels' enterprise_id events share its id.
    events = store.load("audit_events")
    imports = events[events["action"] == "import"]
    assert imports["change_id"].nunique() == 1
    assert set(imports["layer"]) == {"enterprises", "enterprise_years", "parcels"}
    parcel_events = imports[imports["layer"] == "parcels"]
    assert sorted(set(zip(parcel_events["record_id"], parcel_events["field"]))) == [
        ("L1", "enterprise_id"), ("L1", "last_updated"), ("L2", "enterprise_id"), ("L2", "last_updated")]
    linked = parcel_events[parcel_events["field"] == "enterprise_id"]
    assert linked["old_value"].isna().all()  # (no link before)
    assert sorted(zip(linked["record_id"], linked["new_value"])) == [("L1", CODES[0]), ("L2", CODES[1])]


def test_the_preview_says_what_will_be_linked_and_writes_nothing(tmp_path):
    store = _park(tmp_path / "park.gpkg")
    rows = [["甲公司", CODES[0], "L1", 60.0], ["乙公司", CODES[1], "L9", None], ["丙公司", CODES[2], "L4", None]]
    plan = _import(_list(tmp_path / "名单.csv", rows), store, dry_run=True)
    assert plan.report.links == {"parcels": {"linked": 1, "not_found": 1, "conflicts": 1}}
    assert not plan.report.committed and _links(store)["L1"] is None
    assert plan.report.to_dict()["links"] == {"parcels": {"linked": 1, "not_found": 1, "conflicts": 1}}


@pytest.mark.parametrize("mode", ["upsert", "replace"])
def test_importing_the_list_again_gives_the_same_answer(tmp_path, mode):
    store = _park(tmp_path / "park.gpkg")
    rows = [["甲公司", CODES[0], "L1", 60.0], ["乙公司", CODES[1], "L2", 30.0]]
    _import(_list(tmp_path / "1.xlsx", rows), store, mode=mode)
    before = _links(store)
    again = _import(_list(tmp_path / "2.xlsx", rows), store, mode=mode)
    assert again.report.links == {"parcels": {"linked": 0, "already": 2}}
    assert _links(store) == before == {"L1": CODES[0], "L2": CODES[1], "L3": None, "L4": "E-OLD", "L5": None}
    events = store.load("audit_events")
    parcel_changes = events.loc[events["layer"] == "parcels", "change_id"]
    assert parcel_changes.nunique() == 1 and parcel_changes.iloc[0] == events["change_id"].iloc[0]  # the first only
    assert chinese(next(n.message for n in again.report.notices if n.field == "所在地块")) == (
        "2 个地块已关联到名单中列出它的企业，无需更改（L1、L2）")


def test_replace_retires_an_enterprise_the_list_drops_and_its_parcel_keeps_the_link(tmp_path):
    store = _park(tmp_path / "park.gpkg")
    _import(_list(tmp_path / "1.xlsx", [["甲公司", CODES[0], "L1", 60.0], ["乙公司", CODES[1], "L2", 30.0]]), store,
            mode="replace")
    # 乙 leaves the list; 丙 now says it is on L2: the register's link (乙) stands, shown as a conflict.
    plan = _import(_list(tmp_path / "2.xlsx", [["甲公司", CODES[0], "L1", 60.0], ["丙公司", CODES[2], "L2", None]]),
                   store, mode="replace")
    assert plan.report.counts["retired"] == 1
    assert plan.report.links == {"parcels": {"linked": 0, "already": 1, "conflicts": 1}}
    assert _links(store)["L2"] == CODES[1]


def test_append_links_the_new_enterprises(tmp_path):
    store = _park(tmp_path / "park.gpkg")
    plan = _import(_list(tmp_path / "1.xlsx", [["甲公司", CODES[0], "L5", None]]), store, mode="append")
    assert plan.report.links == {"parcels": {"linked": 1}} and _links(store)["L5"] == CODES[0]


def test_a_park_without_parcels_imports_the_list_and_says_why_nothing_is_linked(tmp_path):
    store = _park(tmp_path / "park.gpkg", parcels=False)
    plan = _import(_list(tmp_path / "名单.xlsx", [["甲公司", CODES[0], "L1", 60.0], ["乙公司", CODES[1], None, 1.0]]),
                   store)
    assert plan.report.committed and len(store.load("enterprises")) == 2
    assert plan.report.links == {"parcels": {"unavailable": 1}}
    message = next(n.message for n in plan.report.notices if n.field == "所在地块")
    assert message == ("nothing linked: the park has no parcels layer; the column is kept on the enterprises records, "
                       "and importing the list again once the parcels are in the park links them")
    assert chinese(message) == ("园区还没有地块图层：未能关联；该列按原样保留在企业记录上，地块导入园区后再次导入名单即可关联")
    assert "parcels" not in store.layer_names()


def test_an_empty_parcels_layer_says_so_too(tmp_path):
    store = _park(tmp_path / "park.gpkg", rows=[])
    plan = _import(_list(tmp_path / "名单.xlsx", [["甲公司", CODES[0], "L1", 60.0]]), store)
    message = next(n.message for n in plan.report.notices if n.field == "所在地块")
    assert message.startswith("nothing linked: the park's parcels layer holds no record in force;")
    assert chinese(message).startswith("地块图层中还没有现行记录：未能关联；")


def test_a_list_whose_cells_name_no_parcel_says_nothing_of_links(tmp_path):
    store = _park(tmp_path / "park.gpkg")
    plan = _import(_list(tmp_path / "名单.xlsx", [["甲公司", CODES[0], None, 60.0]]), store)
    assert plan.report.links == {} and plan.links is None


def test_a_parcel_linked_by_someone_else_since_the_plan_is_not_taken_over(tmp_path, monkeypatch):
    from layers.io import importer

    store = _park(tmp_path / "park.gpkg")
    planned = importer._plan_links

    def then_someone_links_l1(*args, **kwargs):
        plan = planned(*args, **kwargs)
        parcels = store.load("parcels")
        parcels.loc[parcels["parcel_id"] == "L1", "enterprise_id"] = "E-NEW"
        store.save_layers({"parcels": parcels})
        return plan

    monkeypatch.setattr(importer, "_plan_links", then_someone_links_l1)
    plan = _import(_list(tmp_path / "名单.xlsx", [["甲公司", CODES[0], "L1", 60.0], ["乙公司", CODES[1], "L2", None]]),
                   store)
    assert plan.report.committed
    assert plan.report.links == {"parcels": {"linked": 1, "conflicts": 1}}
    assert _links(store)["L1"] == "E-NEW" and _links(store)["L2"] == CODES[1]
    said = [n.message for n in plan.report.notices if n.field == "所在地块"]
    assert said == [
        "1 record(s) of parcels linked to the enterprises record whose row names them (enterprise_id set): L2",
        f"1 record(s) of parcels linked to another enterprises record already: not changed, the link parcels holds is "
        f"kept (L1: E-NEW, not {CODES[0]})"]


def test_a_mapping_file_names_a_link_column_or_keeps_one_from_linking(tmp_path):
    store = _park(tmp_path / "park.gpkg")
    header = ["企业名称", "统一社会信用代码", "土地坐落", "2024年税收（万元）"]
    source = _list(tmp_path / "名单.xlsx", [["甲公司", CODES[0], "L1", 60.0]], header=header)
    named = tmp_path / "links.yaml"
    named.write_text("links: [土地坐落]\n", encoding="utf-8")
    assert _import(source, store, dry_run=True).report.links == {}  # 土地坐落: no alias
    assert _import(source, store, dry_run=True, mapping_path=str(named)).report.links == {"parcels": {"linked": 1}}
    kept = tmp_path / "keep.yaml"
    kept.write_text("keep: [所在地块]\n", encoding="utf-8")
    aliased = _list(tmp_path / "名单2.xlsx", [["甲公司", CODES[0], "L1", 60.0]])
    assert _import(aliased, store, dry_run=True, mapping_path=str(kept)).report.links == {}
    both = tmp_path / "both.yaml"
    both.write_text("keep: [所在地块]\nlinks: [所在地块]\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as refused:
        _import(aliased, store, dry_run=True, mapping_path=str(both))
    assert refused.value.report.problems[0].message.endswith(
        "links: source field '所在地块' is also under fields or keep; say one of the two")


def test_the_per_mu_tax_goes_from_none_to_a_hand_computed_figure(tmp_path):
    store = _park(tmp_path / "park.gpkg")
    rules = load_rules()

    def firms():
        layers = {name: store.load(name) for name in REGISTRY if name not in ("audit_events", "case_events")}
        return analyse_land(layers, as_of="2025-06-30", rules=rules).muju.firms  # evaluates 2024

    # 甲 reports 60 万元 of tax for 2024 and sits on L1 (100 m × 100 m = 10 000 m² = 15 亩); 乙 on L2 (30 亩), 45 万元.
    rows = [["甲公司", CODES[0], "L1", 60.0], ["乙公司", CODES[1], "L2", 45.0]]
    header = ["企业名称", "统一社会信用代码", "备注", "2024年税收（万元）"]
    _import(_list(tmp_path / "无地块.xlsx", rows, header=header), store)  # the same list without its parcels column
    before = firms()
    assert before.loc[CODES[0], "land_mu"] == 0 and pd.isna(before.loc[CODES[0], "tax_per_mu_wan"])
    _import(_list(tmp_path / "名单.xlsx", rows), store)
    after = firms()
    assert after.loc[CODES[0], "land_mu"] == pytest.approx(15.0)
    assert after.loc[CODES[0], "tax_per_mu_wan"] == pytest.approx(4.0)  # 60 万元 ÷ 15 亩
    assert after.loc[CODES[1], "tax_per_mu_wan"] == pytest.approx(1.5)  # 45 万元 ÷ 30 亩


def test_the_command_line_preview_counts_the_links(tmp_path):
    from app import create_app

    store = _park(tmp_path / "park.gpkg")
    app = create_app({"TESTING": True, "PARK_PATH": str(store.path), "SECRET_KEY": "test"})
    source = _list(tmp_path / "名单.xlsx", [["甲公司", CODES[0], "L1", 60.0], ["乙公司", CODES[1], "L9", None]])
    result = CliRunner().invoke(app.cli, ["import", "enterprises", str(source), "--park", str(store.path), "--mode",
                                          "upsert", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "links to 'parcels': linked 1, not found 1" in result.output.splitlines()[0]
    assert "  - 所在地块: 原样保留（文本），并按其中的编号关联地块（企业编号） / kept as is (text), and links the parcels it " \
           "names (enterprise_id)" in result.output
    assert _links(store)["L1"] is None


@pytest.mark.parametrize("listed_before", [False, True])
def test_postgis_links_in_the_same_change(tmp_path, postgis_store, listed_before):
    # Listed before: the enterprises and their years are in the park, so the change is written record by record.
    frames = {"parcels": gpd.GeoDataFrame({"parcel_id": ["L1", "L2"], "enterprise_id": [None, "E-OLD"]},
                                          geometry=[_square(0), _square(300)], crs=WORKING_EPSG)}
    postgis_store.save_park(frames, {"working_epsg": WORKING_EPSG, "park_name": "关联测试园区"})
    rows = [["甲公司", CODES[0], "L1", 60.0], ["乙公司", CODES[1], "L2", None]]

    def upsert(source):
        return import_layer(source, "enterprises", park=AuditedStore(postgis_store),
                            options=ImportOptions(mode="upsert"), archive_dir=tmp_path / "archive")

    if listed_before:
        upsert(_list(tmp_path / "无地块.xlsx", [[*row[:2], None, row[3]] for row in rows],
                     header=["企业名称", "统一社会信用代码", "备注", "2024年税收（万元）"]))
    plan = upsert(_list(tmp_path / "名单.xlsx", rows))
    assert plan.report.links == {"parcels": {"linked": 1, "conflicts": 1}}
    parcels = postgis_store.load("parcels").set_index("parcel_id")
    assert parcels["enterprise_id"].to_dict() == {"L1": CODES[0], "L2": "E-OLD"}
    events = postgis_store.load("audit_events")
    imports = events[events["action"] == "import"]
    last = imports[imports["change_id"] == imports["change_id"].iloc[-1]]
    assert set(last["layer"]) == ({"enterprises", "parcels"} if listed_before  # (the same years: unchanged)
                                  else {"enterprises", "enterprise_years", "parcels"})
    assert (imports["layer"] == "parcels").sum() == (last["layer"] == "parcels").sum()
    linked = last[(last["layer"] == "parcels") & (last["field"] == "enterprise_id")]
    assert linked[["record_id", "new_value"]].values.tolist() == [["L1", CODES[0]]]
