"""The import preview's mapping step: fields and value crosswalks suggested, changed, previewed again, saved by
name and reused on the web and the command line; web pages never advise a command-line flag."""

import io
import json
import re

import geopandas as gpd
import pandas as pd
import pytest
from browser_helpers import serve
from click.testing import CliRunner
from live_helpers import live_session
from real_data import REAL
from shapely.geometry import LineString, box

from layers.io import ImportOptions, import_layer
from layers.io.mapping import FieldMapping
from layers.io.mapping_step import IGNORE, KEEP, MappingFormError, posted_mapping
from layers.io.report import web_wording
from layers.io.suggest import FieldProfile, fold, load_crosswalks, suggest
from layers.registry import get_layer
from layers.saved_mappings import MappingNameError, check_name, get_mapping, list_mappings, save_mapping
from layers.store import GeoPackageStore

HSINCHU = REAL / "tw_zoning_J0302_hsinchu_science_park" / "J0302_zoning_twd97.geojson"
KAOHSIUNG = REAL / "kaohsiung_petroleum_pipelines" / "kh_petroleum_pipelines_twd97.shp"
PARCELS = get_layer("parcels")
_TOKEN = re.compile(r"/import/([0-9a-f]{32})/mapping")


def _profile(*values):
    return FieldProfile("x", len(values), len(set(values)), tuple((v, 1) for v in dict.fromkeys(values)))


# -- suggestions from values ------------------------------------------------------------------------------------


def test_traditional_characters_fold_to_simplified():
    assert fold("特定事業專用區(工業)") == "特定事业专用区(工业)"
    assert fold("綠地") == fold("绿地") == "绿地"
    assert fold("ＡＢＣ") == "abc"


@pytest.mark.parametrize("values, target, defaults, crosswalked", [
    (("工業區", "住宅區", "綠地", "機關用地"), "land_use", {"land_use_std": "GB50137-2011"},
     {"工業區": "M", "住宅區": "R", "綠地": "G", "機關用地": "A1"}),
    (("M1", "m2", "W1", "B41"), "land_use", {"land_use_std": "GB50137-2011"}, {}),
    (("0601", "1004", "0101"), "land_use", {"land_use_std": "GB/T21010-2017"}, {}),  # 三调 codes
    (("100101", "1001", "0701"), "land_use", {"land_use_std": "用地用海2023"}, {}),
    (("工业用地", "二类工业用地"), "land_use", {"land_use_std": "用地用海2023"},
     {"工业用地": "1001", "二类工业用地": "100102"}),
    (("已投产", "在建", "已竣工"), "status", {}, {"已投产": "operating", "在建": "under_construction",
                                             "已竣工": "completed"}),
])
def test_values_suggest_the_field_and_its_crosswalk(values, target, defaults, crosswalked):
    found = suggest(_profile(*values), PARCELS, load_crosswalks(), min_share=0.8)
    assert (found.target, found.defaults, found.values) == (target, defaults, crosswalked)


def test_free_text_or_few_matches_suggest_nothing():
    crosswalks = load_crosswalks()
    # A remark, Taiwanese zone codes (not GB 50137 codes: 'A01000' only starts with a class letter), names.
    for values in (("1.依土管要點整理",), ("A01000", "A03000"), ("东区", "西区", "Shape")):
        assert suggest(_profile(*values), PARCELS, crosswalks, min_share=0.8) is None
    # 3 of 4 zoning classes (75 %) is under the share asked for; at 70 % it is enough.
    few = _profile("工業區", "住宅區", "綠地", "备注")
    assert suggest(few, PARCELS, crosswalks, min_share=0.8) is None
    assert suggest(few, PARCELS, crosswalks, min_share=0.7).target == "land_use"


def test_a_field_already_taken_is_not_suggested_again():
    found = suggest(_profile("M1", "M2"), PARCELS, load_crosswalks(), min_share=0.8, taken={"land_use"})
    assert found is None


# -- the posted form ---------------------------------------------------------------------------------------------


def test_the_posted_form_is_a_mapping_file():
    form = {"field-0": "land_use", "vsrc-0-0": "工業區", "vdst-0-0": "M", "vsrc-0-1": "保護區", "vdst-0-1": "",
            "std-0": "GB50137-2011", "field-1": KEEP, "field-2": IGNORE, "field-3": "far_max"}
    mapping = posted_mapping(form, PARCELS, ["分區類", "容積率", "備註", "FAR"], FieldMapping(units={"FAR": "%"}))
    assert mapping.fields == {"分區類": "land_use", "備註": None, "FAR": "far_max"}
    assert mapping.keep == ("容積率",)
    assert mapping.values == {"land_use": {"工業區": "M"}}  # an empty value: as it is
    assert mapping.defaults == {"land_use_std": "GB50137-2011"} and mapping.units == {"FAR": "%"}


@pytest.mark.parametrize("form, message", [
    ({"field-0": "colour"}, "layer 'parcels' has no field 'colour'"),
    ({"field-0": "name", "field-1": "name"}, "source fields 'a' and 'b' both map to name"),
    ({"field-0": "land_use", "std-0": "GB 2000"}, "unknown land-use classification 'GB 2000'"),
])
def test_a_form_that_cannot_be_a_mapping_is_refused(form, message):
    with pytest.raises(MappingFormError, match=message) as caught:
        posted_mapping(form, PARCELS, ["a", "b"], FieldMapping())
    assert caught.value.texts[0]  # and in Chinese


# -- web wording -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("message, web", [
    ("several layers (a, b); choose one with --source-layer",
     "several layers (a, b); choose one in the upload form's source layer / sheet field"),
    ("no finite coordinates to tell the CRS from; give it with --crs",
     "no finite coordinates to tell the CRS from; give it in the upload form's CRS field"),
    ("(if they come from Amap/Tencent or Baidu give --crs gcj02 or bd09)",
     "(if they come from Amap/Tencent or Baidu give gcj02 or bd09 in the upload form's CRS field)"),
    ("--crs 'EPSG:9' is not a CRS", "the CRS 'EPSG:9' given on the upload form is not a CRS"),
    ("3 record(s) read whole; to import them without the damaged ones, repeat with --accept-damaged",
     "3 record(s) read whole; to import them without the damaged ones, upload it again with 'skip damaged "
     "records' ticked"),
    ("already in the park; use --mode upsert to update it",
     "already in the park; choose the mode 'upsert' on the upload form to update it"),
    ("cannot decode the text (x); give the encoding with --encoding",
     "cannot decode the text (x); in the upload form's encoding field"),
])
def test_command_line_advice_is_worded_for_the_web(message, web):
    assert web_wording(message) == web


def test_the_web_report_of_a_multi_layer_file_advises_no_flag(tmp_path, tiny_client, tiny_app):
    tiny_app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    # Two layers, as a surveyor's GeoPackage of plots and streets has; small, so the test client keeps it in memory.
    two_layers = tmp_path / "two_layers.gpkg"
    for name, shape in (("plots", box(0, 0, 10, 10)), ("streets", LineString([(0, 0), (10, 0)]))):
        gpd.GeoDataFrame({"name": [name]}, geometry=[shape], crs=4547).to_file(two_layers, layer=name)
    content = two_layers.read_bytes()
    reply = tiny_client.post("/import", data={"layer": "parcels", "mode": "upsert",
                                              "file": (io.BytesIO(content), "two_layers.gpkg")},
                             content_type="multipart/form-data")
    html = reply.get_data(as_text=True)
    assert reply.status_code == 400
    assert "请在上传表单的“源图层/工作表”一栏选择一个" in html  # the Chinese page names the form's field
    assert "--source-layer" not in html and "--crs" not in html
    body = tiny_client.post("/import?format=json", data={"layer": "parcels", "mode": "upsert",
                                                          "file": (io.BytesIO(content), "two_layers.gpkg")},
                            content_type="multipart/form-data").get_json()
    assert not any("--" in p["message"] for p in body["problems"])


# -- saved mappings -----------------------------------------------------------------------------------------------


def test_saved_mappings_live_in_the_park_and_survive_its_saves(tiny_park):
    save_mapping(tiny_park, "新竹分区", "parcels", "keep: [分區類]\n", saved_by="amy")
    save_mapping(tiny_park, "管线", "pipelines", "fields:\n  ID: null\n")
    assert [m.name for m in list_mappings(tiny_park)] == ["新竹分区", "管线"]
    assert [m.name for m in list_mappings(tiny_park, layer="pipelines")] == ["管线"]
    tiny_park.save("parcels", tiny_park.load("parcels"))  # a save copies the file and swaps it in
    assert get_mapping(tiny_park, "新竹分区").text == "keep: [分區類]\n"
    save_mapping(tiny_park, "新竹分区", "parcels", "keep: [備註]\n")  # the same name replaces it
    assert get_mapping(tiny_park, "新竹分区").text == "keep: [備註]\n" and len(list_mappings(tiny_park)) == 2
    with pytest.raises(KeyError, match=r"no saved mapping '别的' in this park \(saved: 新竹分区, 管线\)"):
        get_mapping(tiny_park, "别的")


@pytest.mark.parametrize("name", ["", " ", "x" * 61, "a/b", "tab\there"])
def test_mapping_names_are_checked(name):
    with pytest.raises(MappingNameError):
        check_name(name)
    assert check_name(" 新竹 分区 ") == "新竹 分区" and check_name("x" * 60) == "x" * 60


# -- the whole flow over HTTP, then the command line -------------------------------------------------------------


def _form(html: str) -> dict:
    """The mapping step's current choices as a browser would post them."""
    form = {}
    for name, value in re.findall(r'<select name="((?:field|std)-\d+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*\bselected\b', value)
        form[name] = chosen.group(1) if chosen else ""
    form.update(dict(re.findall(r'<input type="hidden" name="(vsrc-\d+-\d+)" value="([^"]*)">', html)))
    form.update(dict(re.findall(r'<input name="(vdst-\d+-\d+)" value="([^"]*)"', html)))
    return form


def _index(html: str, source: str) -> int:
    return int(re.search(rf'<tr data-source="{re.escape(source)}">.*?name="field-(\d+)"', html, re.S).group(1))


def test_upload_change_mapping_preview_save_confirm_then_the_cli_reuses_it(auth_app, tiny_park, tmp_path):
    auth_app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    with serve(auth_app) as base:
        editor = live_session(auth_app, base, "editor")
        reply = editor.post("/import", data={"layer": "parcels", "mode": "append"},
                            files={"file": ("J0302.geojson", HSINCHU.read_bytes())})
        assert reply.status_code == 200, reply.text[:2000]
        html = reply.text
        token = _TOKEN.search(html).group(1)
        # The zoning class is suggested as the land use, by the zoning-class table, with its crosswalk.
        zone = _index(html, "分區類")
        form = _form(html)
        assert form[f"field-{zone}"] == "land_use" and form[f"std-{zone}"] == "GB50137-2011"
        values = {form[k]: form[k.replace("vsrc", "vdst")] for k in form if k.startswith(f"vsrc-{zone}-")}
        assert values["工業區"] == "M" and values["住宅區"] == "R" and values["特定事業專用區(工業)"] == "M"
        assert values["服務區"] == "" and values["墳墓用地"] == ""  # not in the table: the user says what they are
        fill = {form[k]: k.replace("vsrc", "vdst") for k in form if k.startswith(f"vsrc-{zone}-")}
        form[fill["服務區"]], form[fill["墳墓用地"]] = "B", "U"
        # The user: ids from OBJECTID, FAR text kept as it is, the remark ignored, the name from 使用分.
        form[f"field-{_index(html, 'OBJECTID')}"] = "parcel_id"
        form[f"field-{_index(html, '備註')}"] = IGNORE
        form[f"field-{_index(html, '使用分')}"] = "name"
        form[f"field-{_index(html, '分區類')}"] = "land_use"
        again = editor.post(f"/import/{token}/mapping", data={**form, "action": "save", "save_as": "新竹分区"})
        assert again.status_code == 200, [x[:300] for x in re.findall(r"<li>(.*?)</li>", again.text)[:3]]
        assert "映射已保存为“新竹分区”" in again.text and "确认导入" in again.text
        lines = {row: text for row, text in re.findall(r'<tr data-source="([^"]+)">\s*<td>[^<]*</td>\s*<td>[^<]*</td>'
                                                       r'\s*<td>([^<]*)</td>', again.text)}
        assert lines["OBJECTID"] == "映射到 地块编号" and lines["備註"] == "忽略（映射如此指定）"
        assert lines["容積率"] == "原样保留（文本）" and lines["分區類"] == "映射到 用地性质"
        # Hsinchu lies far from the tiny park (in Zhejiang): the preview flags it, the confirmation says yes.
        confirmed = editor.post(f"/import/{token}/confirm", data={"accept_far": "1"})
        assert confirmed.status_code == 200 and "已导入" in confirmed.text
        assert "<li>容積率：原样保留（文本）</li>" in confirmed.text  # the report: one line per source field
        assert "<li>備註：忽略（映射如此指定）</li>" in confirmed.text
    parcels = tiny_park.load("parcels")
    imported = parcels[parcels["parcel_id"] == "55152"].iloc[0]
    assert imported["name"] == "工業區"
    # 工業區 → M (GB 50137) → 1001 (用地用海 2023), the original kept and flagged for review.
    assert (imported["land_use"], imported["land_use_std"]) == ("1001", "用地用海2023")
    assert (imported["land_use_original"], imported["land_use_original_std"]) == ("M", "GB50137-2011")
    kept = json.loads(imported["source_attributes"])
    assert kept["values"]["容積率"] == "200" and kept["values"]["建蔽率"] == "60"
    assert "備註" not in kept["values"] and "分區類" not in kept["values"]
    saved = get_mapping(tiny_park, "新竹分区")
    assert saved.layer == "parcels" and "分區類: land_use" in saved.text and "工業區: M" in saved.text

    # The command line, by name, on a park of its own: the same records.
    other = tmp_path / "cli.gpkg"
    GeoPackageStore(other).save_park({}, {"working_epsg": 4549})
    save_mapping(GeoPackageStore(other), "新竹分区", "parcels", saved.text)
    result = CliRunner().invoke(auth_app.cli, ["import", "parcels", str(HSINCHU), "--park", str(other),
                                               "--mapping", "新竹分区"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "saved mapping: 新竹分区" in result.output
    assert "  - 分區類: 映射到 用地性质 / mapped to land_use" in result.output
    cli = GeoPackageStore(other).load("parcels").set_index("parcel_id")
    web = parcels.set_index("parcel_id").loc[cli.index]
    for column in ("name", "land_use", "land_use_std", "land_use_original", "source_attributes"):
        assert cli[column].tolist() == web[column].tolist(), column


def test_the_cli_says_which_mappings_there_are(auth_app, tiny_park, tmp_path):
    runner = CliRunner()
    missing = runner.invoke(auth_app.cli, ["import", "pipelines", str(KAOHSIUNG), "--park", str(tiny_park.path),
                                           "--mapping", "管线", "--dry-run"])
    assert missing.exit_code == 2 and "no saved mapping '管线' in this park (saved: none saved yet)" in missing.output
    file = tmp_path / "kh.yaml"
    file.write_text("fields:\n  ID: null\n", encoding="utf-8")
    saved = runner.invoke(auth_app.cli, ["mappings", "save", "管线", str(file), "--layer", "pipelines",
                                         "--park", str(tiny_park.path)])
    assert saved.exit_code == 0 and "saved mapping '管线' for layer pipelines" in saved.output
    listed = runner.invoke(auth_app.cli, ["mappings", "list", "--park", str(tiny_park.path)])
    assert listed.output.startswith("管线\tpipelines\tcli\t")
    result = runner.invoke(auth_app.cli, ["import", "pipelines", str(KAOHSIUNG), "--park", str(tiny_park.path),
                                          "--mapping", "管线", "--dry-run", "--accept-far"])  # Kaohsiung is far
    assert result.exit_code == 0, result.output
    # Kaohsiung: the owner (NAME: 中油, 石化輸油管) is kept as it came; the constant ID is ignored as mapped.
    assert "  - ID: 忽略（映射如此指定） / ignored (the mapping says so)" in result.output
    assert "  - NAME: 原样保留（文本） / kept as is (text)" in result.output


def test_the_kaohsiung_owner_is_kept_and_exported_under_its_name(tmp_path):
    mapping = tmp_path / "kh.yaml"
    mapping.write_text("fields:\n  ID: null\n", encoding="utf-8")
    park = tmp_path / "kh.gpkg"
    import_layer(KAOHSIUNG, "pipelines", park=park, options=ImportOptions(mapping_path=str(mapping)))
    pipes = GeoPackageStore(park).load("pipelines")
    owners = pd.Series([json.loads(t)["values"]["NAME"] for t in pipes["source_attributes"]]).value_counts()
    assert owners.to_dict() == {"石化輸油管": 39, "中油": 20}  # SOURCE.md
