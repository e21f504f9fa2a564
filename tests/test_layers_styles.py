"""The registry's styles described once (layers/styles.py) and written for each client: QML, SLD, KML, QGIS projects.

Expectations are worked out by hand from the registry (layers/catalog) and the land-use
palette (layers/landuse.py); the real QGIS and GDAL read these files in test_qgis_clients.py.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

import pandas as pd
import pytest
from conftest import tiny_frames

from geo import maps
from layers.io.kml import kml_color
from layers.io.kml_styles import kml_fields, kml_styles
from layers.landuse import CLASSES_2023, STD_2023, STD_GB50137, UNKNOWN_COLOR
from layers.qgis.layer_styles import style_rows
from layers.qgis.project import (
    ProjectLayer,
    RasterLayer,
    gpkg_source,
    oapif_source,
    project_qgs,
    project_qgz,
    xyz_source,
)
from layers.qgis.qml import DOCTYPE, qml, quoted_text, rgba
from layers.qgis.sld import OGC, SE, sld
from layers.registry import get_layer
from layers.styles import (
    OUTLINE_ONLY_ZONES,
    feature_classes,
    land_use_pairs,
    layer_style,
    px_to_mm,
)
from layers.validate import validate_layer


def parcels_with(codes: list[str | None], standards: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame({"land_use": pd.Series(codes, dtype=object),
                         "land_use_std": pd.Series(standards, dtype=object)})


def qml_root(text: str) -> ET.Element:
    assert text.startswith(DOCTYPE)
    return ET.fromstring(text.removeprefix(DOCTYPE))


# -- the style description ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("px", "mm"), [(3, 0.79), (4, 1.06), (6, 1.59), (1.5, 0.4), (14, 3.7)])
def test_pixels_become_millimetres_at_96_dpi(px, mm):
    assert px_to_mm(px) == mm  # 25.4 mm per inch / 96 px per inch, rounded to 0.01 mm


def test_the_web_map_draws_with_the_shared_symbols():
    assert maps._client_style(get_layer("roads")) == ({"weight": 3.0, "opacity": 0.9}, "stroke")
    assert maps._client_style(get_layer("facilities")) == ({"color": "#ffffff", "weight": 1.5, "fillOpacity": 0.9},
                                                           "fill")
    assert maps._client_style(get_layer("zones")) == ({"weight": 2.0, "fillOpacity": 0.15, "dashArray": "6 4"},
                                                      "both")
    assert maps._client_style(get_layer("parcels")) == ({"color": "#444444", "weight": 0.8, "fillOpacity": 0.65},
                                                        "fill")


def test_coded_layers_list_every_declared_code_with_its_colour():
    style = layer_style(get_layer("pipelines"))
    assert style.field == "network"
    assert [(c.value, c.label_zh, c.symbol.stroke) for c in style.classes[:3]] == [
        ("water_supply", "给水", "#00c8c8"), ("rain", "雨水", "#8c6239"), ("sewer", "污水", "#4c3926")]
    assert len(style.classes) == 10 and style.other.stroke == UNKNOWN_COLOR
    assert {c.symbol.fill for c in style.classes} == {None}  # lines have no fill


def test_zones_that_mark_an_extent_are_outlines_only():
    style = layer_style(get_layer("zones"))
    opacities = {c.value: c.symbol.fill_opacity for c in style.classes}
    assert {value for value, opacity in opacities.items() if opacity == 0} == set(OUTLINE_ONLY_ZONES)
    assert opacities["basic_farmland"] == 0.15
    assert style.classes[0].symbol.dash_px == (6.0, 4.0)


def test_roads_are_coloured_by_stage_and_widened_by_grade():
    style = layer_style(get_layer("roads"))
    assert (style.field, style.width_field) == ("status", "grade")
    assert style.widths_px == {"expressway": 6.0, "arterial": 5.0, "secondary": 4.0, "branch": 3.0, "internal": 2.0}


def test_land_use_classes_are_those_present_in_the_planning_palette():
    frame = parcels_with(["100101", "100104", "ZZ", "100101", None], [None, STD_2023, STD_2023, STD_2023, None])
    style = layer_style(get_layer("parcels"), frame)
    # 100104 is not in the table: it takes its parent 1001 工业用地; ZZ is unknown: grey, named by its code.
    assert [(c.value, c.label_zh, c.symbol.fill) for c in style.classes] == [
        ("100101", "100101 一类工业用地", "#d9bf9e"), ("100104", "100104 工业用地", "#bb9674"),
        ("ZZ", "ZZ", UNKNOWN_COLOR)]
    assert not style.mixed_standards
    assert land_use_pairs(None)[0] == (STD_2023, "01")  # without data: every 2023 class


def test_a_park_mixing_classification_systems_matches_system_and_code():
    frame = parcels_with(["M2", "1001"], [STD_GB50137, None])
    style = layer_style(get_layer("parcels"), frame)
    assert style.mixed_standards
    assert [(c.standard, c.value, c.label_en) for c in style.classes] == [
        (STD_GB50137, "M2", "M2 Class 2 industrial"), (STD_2023, "1001", "1001 Industrial")]


def test_each_feature_gets_its_class_or_the_other_one():
    frame = parcels_with(["1101", "M2", "1101", None, "0601"], [None, STD_GB50137, STD_2023, None, STD_GB50137])
    style = layer_style(get_layer("parcels"), frame.iloc[[0, 1]])
    # Classes sort by system name: 0 is (GB50137, M2), 1 is (2023, 1101); an empty system is 2023; 0601 in
    # GB50137 was not among the classes, and an empty code has none: both fall to "other".
    assert [(c.standard, c.value) for c in style.classes] == [(STD_GB50137, "M2"), (STD_2023, "1101")]
    assert feature_classes(frame, style).tolist() == [1, 0, 1, -1, -1]
    roads = tiny_frames()["roads"]
    assert feature_classes(roads, layer_style(get_layer("roads"))).tolist() == [4, 2]  # completed, subgrade


# -- QML ----------------------------------------------------------------------------------------------------


def test_rgba_carries_the_opacity_as_alpha():
    assert rgba("#d9bf9e", 0.65) == "217,191,158,166"
    assert rgba("#00C8C8") == "0,200,200,255"


def test_the_qml_of_a_layer_has_its_categories_aliases_and_value_maps():
    spec = get_layer("roads")
    root = qml_root(qml(spec, layer_style(spec), lang="zh"))
    renderer = root.find("renderer-v2")
    assert (renderer.get("type"), renderer.get("attr")) == ("categorizedSymbol", "status")
    categories = [(c.get("value"), c.get("label"), c.get("symbol")) for c in renderer.iter("category")]
    assert categories[0] == ("planned", "规划", "0") and categories[-1] == ("", "其他/未知", "5")
    first = renderer.find("symbols/symbol[@name='0']/layer/Option")
    values = {option.get("name"): option.get("value") for option in first}
    assert values["line_color"] == "189,189,189,230"  # #bdbdbd at the lines' 0.9 opacity
    assert values["line_width"] == "0.79"
    aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
    assert aliases["width_m"] == "红线宽度 (m)" and aliases["road_id"] == "道路编号"
    value_map = root.find("fieldConfiguration/field[@name='status']/editWidget/config/Option/Option[@name='map']")
    assert [(o.get("name"), o.get("value")) for entry in value_map for o in entry][:2] == [
        ("规划", "planned"), ("报批", "approved")]
    assert root.find("previewExpression").text == 'coalesce("name", "road_id")'


def test_a_shapefiles_qml_names_its_short_columns():
    spec = get_layer("parcels")
    names = {"land_use_std": "land_use_s", "contract_date": "contract_d"}
    root = qml_root(qml(spec, layer_style(spec, parcels_with(["1001", "M"], [None, STD_GB50137])), names=names))
    # Two systems: the renderer classifies by system and code, with the short column name.
    assert root.find("renderer-v2").get("attr") == ("concat(coalesce(\"land_use_s\", '用地用海2023'), '|', "
                                                     "\"land_use\")")
    assert [c.get("value") for c in root.iter("category")] == ["GB50137-2011|M", "用地用海2023|1001", ""]
    aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
    assert aliases["land_use_s"] == "用地分类标准" and aliases["contract_d"] == "合同签订日期"


def test_land_use_reads_as_its_class_in_the_attribute_table_of_one_classification():
    spec = get_layer("parcels")
    frame = parcels_with(["100102", "100104"], [STD_2023, STD_2023])
    root = qml_root(qml(spec, layer_style(spec, frame), lang="zh"))
    value_map = root.find("fieldConfiguration/field[@name='land_use']/editWidget/config/Option/Option[@name='map']")
    labelled = {o.get("value"): o.get("name") for entry in value_map for o in entry}
    # Every class of 用地用海2023 (a form can choose any), and 100104, not in the table, by its parent 1001.
    assert labelled["100102"] == "100102 二类工业用地" and labelled["01"] == "01 耕地"
    assert labelled["100104"] == "100104 工业用地"
    assert len(labelled) == len(CLASSES_2023) + 1
    english = qml_root(qml(spec, layer_style(spec, frame), lang="en"))
    assert "100102 Class 2 industrial" in {o.get("name") for o in english.iter("Option")}
    # Two systems: 1001 would name two classes, so no map (the renderer's categories still name them).
    mixed = qml_root(qml(spec, layer_style(spec, parcels_with(["M2", "1001"], [STD_GB50137, None]))))
    assert mixed.find("fieldConfiguration/field[@name='land_use']") is None


def test_a_table_has_aliases_and_no_renderer():
    root = qml_root(qml(get_layer("units"), None, lang="en"))
    assert root.find("renderer-v2") is None
    assert {a.get("field"): a.get("name") for a in root.iter("alias")}["area_m2"] == "Area (m²)"


def test_quotes_in_expression_text_are_doubled():
    assert quoted_text("it's") == "'it''s'"


def test_style_rows_make_chinese_the_default_and_english_the_second():
    rows = style_rows(get_layer("facilities"), None, "geom")
    assert [(row.name, row.default, row.geometry_column) for row in rows] == [
        ("ParkAtlas 中文", True, "geom"), ("ParkAtlas English", False, "geom")]
    assert 'label="Park gate"' in rows[1].qml and 'label="园区出入口"' in rows[0].qml
    assert style_rows(get_layer("units"), None, None)[0].sld == ""


# -- SLD ----------------------------------------------------------------------------------------------------


def test_the_sld_has_a_rule_per_class_and_an_else_rule():
    spec = get_layer("facilities")
    root = ET.fromstring(sld(spec, layer_style(spec), lang="en").encode())
    rules = root.findall(f".//{{{SE}}}Rule")
    assert [rule.find(f"{{{SE}}}Description/{{{SE}}}Title").text for rule in rules][:2] == ["Substation",
                                                                                              "Water plant"]
    assert len(rules) == 10 and rules[-1].find(f"{{{SE}}}ElseFilter") is not None
    first = rules[0]
    assert first.find(f"{{{OGC}}}Filter/{{{OGC}}}PropertyIsEqualTo/{{{OGC}}}Literal").text == "substation"
    assert first.find(f".//{{{SE}}}Size").text == "14"  # a 7 px radius
    fill = {p.get("name"): p.text for p in first.find(f".//{{{SE}}}Mark/{{{SE}}}Fill")}
    assert fill == {"fill": "#e41a1c", "fill-opacity": "0.9"}


def test_an_outline_only_zone_has_no_fill_in_sld_and_a_dashed_stroke():
    spec = get_layer("zones")
    root = ET.fromstring(sld(spec, layer_style(spec)).encode())
    boundary = root.findall(f".//{{{SE}}}Rule")[0]
    assert boundary.find(f".//{{{SE}}}Fill") is None
    stroke = {p.get("name"): p.text for p in boundary.find(f".//{{{SE}}}Stroke")}
    assert stroke["stroke-dasharray"] == "6 4" and stroke["stroke"] == "#000000"


def test_sld_filters_on_the_system_when_the_park_mixes_them():
    spec = get_layer("parcels")
    root = ET.fromstring(sld(spec, layer_style(spec, parcels_with(["M", "1001"], [STD_GB50137, None]))).encode())
    rules = root.findall(f".//{{{SE}}}Rule")
    gb, ours = (rule.find(f"{{{OGC}}}Filter/{{{OGC}}}And") for rule in rules[:2])
    assert [e.find(f"{{{OGC}}}Literal").text for e in gb] == [STD_GB50137, "M"]
    # The 2023 system is also what an empty system means.
    either = ours.find(f"{{{OGC}}}Or")
    assert either.find(f"{{{OGC}}}PropertyIsNull/{{{OGC}}}PropertyName").text == "land_use_std"


# -- KML ----------------------------------------------------------------------------------------------------


def test_kml_colours_are_alpha_blue_green_red():
    assert kml_color("#ff8000", 0.5) == "800080ff"
    assert kml_color("#00C8C8") == "ffc8c800"


def test_kml_styles_and_fields_of_a_layer():
    frame, _ = validate_layer(tiny_frames()["roads"], get_layer("roads"), source="t")
    styles, ids = kml_styles(frame, get_layer("roads"))
    assert ids == ["roads-4", "roads-2"]  # completed, subgrade
    assert styles["roads-4"].stroke == "#252525" and styles["roads-other"].stroke == UNKNOWN_COLOR
    fields = {f.name: (f.kind, f.display_name) for f in kml_fields(get_layer("roads"), "en")}
    assert fields["lanes"] == ("int", "Lanes") and fields["width_m"] == ("double", "Red-line width")
    assert fields["status"][0] == "string"


def test_a_kml_export_declares_its_schema_and_style_maps(tmp_path):
    from layers.io.write import export_layer

    frame, _ = validate_layer(tiny_frames()["facilities"], get_layer("facilities"), source="t")
    dest = tmp_path / "facilities.kml"
    export_layer(frame, get_layer("facilities"), dest)
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    root = ET.parse(dest).getroot()
    schema = root.find("k:Document/k:Schema", ns)
    assert {f.get("name"): f.get("type") for f in schema.findall("k:SimpleField", ns)}["capacity"] == "double"
    placemark = root.find("k:Document/k:Placemark", ns)
    assert placemark.find("k:styleUrl", ns).text == "#facilities-5"  # park_gate, the sixth kind
    style_map = root.find("k:Document/k:StyleMap[@id='facilities-5']", ns)
    assert [p.find("k:styleUrl", ns).text for p in style_map.findall("k:Pair", ns)] == [
        "#facilities-5-normal", "#facilities-5-highlight"]
    icon = root.find("k:Document/k:Style[@id='facilities-5-normal']/k:IconStyle", ns)
    assert icon.find("k:color", ns).text == "e6b87e37"  # #377eb8 at 0.9
    data = {d.get("name"): d.text for d in placemark.findall("k:ExtendedData/k:SchemaData/k:SimpleData", ns)}
    assert data["kind"] == "park_gate" and data["name"] == "东门"


# -- QGIS projects --------------------------------------------------------------------------------------------


def test_data_sources_are_written_as_qgis_reads_them():
    assert gpkg_source("/srv/park.gpkg", "parcels") == "/srv/park.gpkg|layername=parcels"
    assert oapif_source("http://x/api", "roads") == (
        "pagingEnabled='true' preferCoordinatesForWfsT11='false' restrictToRequestBBOX='1' typename='roads' "
        "url='http://x/api'")
    assert xyz_source("https://t0.example/vec?L=vec&X={x}&tk=a%26b", 18) == (
        "type=xyz&url=https://t0.example/vec%3FL%3Dvec%26X%3D%7Bx%7D%26tk%3Da%2526b&zmax=18&zmin=0")


def test_the_project_groups_the_layers_it_has_and_embeds_their_styles():
    def layer(name):
        spec = get_layer(name)
        return ProjectLayer(spec, gpkg_source("/p.gpkg", name), "ogr", "EPSG:4549",
                            qml(spec, None if spec.is_table else layer_style(spec)), spec.label_en)

    text = project_qgs("Park", "EPSG:4549", [layer("parcels"), layer("roads"), layer("units")],
                       [RasterLayer("OSM", xyz_source("https://t/{z}/{x}/{y}.png", 19))], lang="en")
    root = ET.fromstring(text.split("\n", 1)[1])
    groups = {g.get("name"): [c.get("name") for c in g] for g in root.find("layer-tree-group")}
    assert groups == {"Facilities and networks": ["Roads"], "Land and constraints": ["Land parcels"],
                      "Tables": ["Factory units"], "Basemap": ["OSM"]}
    assert "EPSG\",4549" in root.find("projectCrs/spatialrefsys/wkt").text
    parcels = root.find("projectlayers/maplayer[id='parkatlas_parcels']")
    assert parcels.find("renderer-v2").get("attr") == "land_use" and parcels.find("provider").text == "ogr"
    assert root.find("projectlayers/maplayer[@type='raster']/provider").text == "wms"
    with zipfile.ZipFile(io.BytesIO(project_qgz("park", text))) as bundle:
        assert bundle.namelist() == ["park.qgs"]
