"""Zones (范围与管控): park boundary, expansion areas and planning constraints."""

from layers.schema import Code, Field, LayerSpec, Style, history_fields, source_attributes_field

KINDS = (
    Code("park_boundary", "园区范围", "Park boundary", "#000000"),
    Code("expansion_area", "拓展区", "Expansion area", "#6a3d9a"),
    Code("urban_dev_boundary", "城镇开发边界", "Urban development boundary", "#b15928"),
    Code("basic_farmland", "永久基本农田", "Permanent basic farmland", "#e6c700"),
    Code("eco_redline", "生态保护红线", "Ecological red line", "#1a9850"),
    Code("forest_i", "Ⅰ级保护林地", "Class I protected forest", "#00441b"),
    Code("forest_other", "其他林地", "Other forest", "#74c476"),
    Code("geohazard_danger", "地质灾害危险区", "Geohazard danger zone", "#d7301f"),
    Code("geohazard_prone", "地质灾害易发区", "Geohazard-prone area", "#fc8d59"),
    Code("mineral", "压覆矿产", "Mineral deposits", "#8c510a"),
    Code("flood", "洪泛区/蓄滞洪区", "Flood zone", "#4292c6"),
    Code("river_zone", "河道管理范围", "River-management zone", "#2171b5"),
    Code("water", "水域", "Water", "#6baed6"),
)

LAYER = LayerSpec(
    name="zones",
    label_zh="范围与管控",
    label_en="Zones and constraints",
    geometry="Polygon",
    id_field="zone_id",
    description="Park boundary, expansion areas, the urban development boundary and constraint zones (farmland, ecological red line, forest, geohazards, minerals, floods, rivers and water).",
    description_zh="园区范围、拓展区、城镇开发边界与各类管控区（永久基本农田、生态保护红线、林地、地质灾害、压覆矿产、洪泛区、河道与水域）。",
    style=Style(by_field="kind", fill_opacity=0.15, weight=2.0),
    popup_fields=("zone_id", "kind", "name", "source"),
    fields=(
        # 地块编号/地块名称: a land approval's boundary comes as a 国土 TXT of plots (layers/io/gtxt.py).
        Field("zone_id", "str", "范围编号", "Zone id", required=True, aliases=("编号", "id", "地块编号")),
        Field("kind", "code", "类型", "Kind", codes=KINDS, aliases=("类型", "管控类型")),
        Field("name", "str", "名称", "Name", aliases=("名称", "地块名称")),
        Field("source", "str", "数据来源", "Source", aliases=("来源", "数据来源")),
        Field("note", "str", "备注", "Note", aliases=("备注",)),
        source_attributes_field(),
        *history_fields(),
    ),
)
