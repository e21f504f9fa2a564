"""Facilities (设施): substations, plants, gates, highway exits."""

from layers.schema import Code, Field, LayerSpec, Style, history_fields, source_attributes_field

KINDS = (
    Code("substation", "变电站", "Substation", "#e41a1c", aliases=("变电站",)),
    Code("water_plant", "水厂", "Water plant", "#00c8c8", aliases=("水厂", "自来水厂")),
    Code("sewage_plant", "污水处理厂", "Sewage plant", "#8c6239", aliases=("污水处理厂", "污水厂")),
    Code("gas_station", "燃气调压站", "Gas regulating station", "#ff00ff", aliases=("调压站", "燃气站")),
    Code("heat_plant", "热源厂", "Heat plant", "#ff8000", aliases=("热源厂", "热电厂")),
    Code("park_gate", "园区出入口", "Park gate", "#377eb8", aliases=("出入口", "大门")),
    Code("highway_exit", "高速出入口", "Highway exit", "#4daf4a", aliases=("高速出入口", "高速道口")),
    Code("rail_freight", "铁路货运站", "Rail freight", "#984ea3", aliases=("货运站",)),
    Code("fire_station", "消防站", "Fire station", "#ff7f00", aliases=("消防站",)),
)

STATUSES = (
    Code("planned", "规划", "Planned"),
    Code("under_construction", "在建", "Under construction"),
    Code("in_service", "运行", "In service"),
)

LAYER = LayerSpec(
    name="facilities",
    label_zh="设施",
    label_en="Facilities",
    geometry="Point",
    id_field="facility_id",
    description="Point facilities: substations, water and sewage plants, gas and heat stations, gates, fire stations and transport links, with capacity and status.",
    description_zh="点状设施：变电站、水厂、污水处理厂、燃气调压站、热源厂、出入口、消防站等，含规模与建设状态。",
    style=Style(by_field="kind", radius_px=7.0, fill_opacity=0.9),
    multipart="explode",
    popup_fields=("facility_id", "name", "kind", "capacity", "capacity_unit", "status"),
    fields=(
        Field("facility_id", "str", "设施编号", "Facility id", required=True, aliases=("设施编号", "id")),
        Field("kind", "code", "类型", "Kind", codes=KINDS, aliases=("类型", "设施类型")),
        Field("name", "str", "名称", "Name", aliases=("名称",)),
        Field("capacity", "float", "能力", "Capacity", min_value=0, aliases=("能力", "容量", "规模")),
        Field("capacity_unit", "str", "能力单位", "Capacity unit", aliases=("单位",)),
        Field("status", "code", "状态", "Status", codes=STATUSES, aliases=("状态",)),
        source_attributes_field(),
        *history_fields(),
    ),
)
