"""Pipelines (工程管线), by network, with CJJ 61-2017 codes and colours."""

from layers.schema import Code, Field, LayerSpec, Style, history_fields, source_attributes_field

#: CJJ 61-2017 Appendix B colours; rain and sewer share the drainage brown, sewer darker.
NETWORKS = (
    Code("water_supply", "给水", "Water supply", "#00c8c8", aliases=("JS", "给水", "GS", "供水")),
    Code("rain", "雨水", "Storm water", "#8c6239", aliases=("YS", "雨水")),
    Code("sewer", "污水", "Sewer", "#4c3926", aliases=("WS", "污水")),
    Code("combined", "雨污合流", "Combined sewer", "#6b4a2e", aliases=("HS", "PS", "排水", "雨污合流")),
    Code("reclaimed", "再生水", "Reclaimed water", "#5fb4c8", aliases=("ZS", "中水", "再生水")),
    Code("gas", "燃气", "Gas", "#ff00ff", aliases=("RQ", "燃气", "TR", "天然气", "MQ", "YH")),
    Code("heat", "热力", "Heat", "#ff8000", aliases=("RL", "热力", "RS", "ZQ")),
    Code("power", "电力", "Power", "#ff0000", aliases=("DL", "电力", "GD", "供电", "LD")),
    Code("telecom", "通信", "Telecom", "#00b000", aliases=("TX", "通信", "电信", "DH", "XX")),
    Code("cable_tv", "有线电视", "Cable TV", "#007a33", aliases=("DS", "有线电视", "GB")),
)

#: GB 50028-2006 gauge-pressure classes.
PRESSURE_CLASSES = (
    Code("low", "低压", "Low (< 0.01 MPa)"),
    Code("medium_b", "中压B", "Medium B (0.01–0.2 MPa)", aliases=("中压B",)),
    Code("medium_a", "中压A", "Medium A (0.2–0.4 MPa)", aliases=("中压A",)),
    Code("subhigh_b", "次高压B", "Sub-high B (0.4–0.8 MPa)", aliases=("次高压B",)),
    Code("subhigh_a", "次高压A", "Sub-high A (0.8–1.6 MPa)", aliases=("次高压A",)),
    Code("high_b", "高压B", "High B (1.6–2.5 MPa)", aliases=("高压B",)),
    Code("high_a", "高压A", "High A (2.5–4.0 MPa)", aliases=("高压A",)),
)

STATUSES = (
    Code("planned", "规划", "Planned", aliases=("规划",)),
    Code("under_construction", "在建", "Under construction", aliases=("在建",)),
    Code("in_service", "在用", "In service", aliases=("在用", "运行")),
    Code("abandoned", "废弃", "Abandoned", aliases=("废弃",)),
)

LAYINGS = (
    Code("direct_buried", "直埋", "Direct-buried", aliases=("直埋",)),
    Code("duct", "管块/排管", "Duct", aliases=("管块", "排管", "管道")),
    Code("trench", "管沟", "Trench", aliases=("管沟",)),
    Code("tunnel", "综合管廊", "Utility tunnel", aliases=("管廊", "综合管廊")),
)

LAYER = LayerSpec(
    name="pipelines",
    label_zh="管线",
    label_en="Pipelines",
    geometry="LineString",
    id_field="pipe_id",
    description="Underground utility lines; networks use CJJ 61 codes (JS/PS/RQ/RL/DL/TX accepted).",
    description_zh="地下管线；管线类别按 CJJ 61 代码（也接受 JS/PS/RQ/RL/DL/TX）。",
    style=Style(by_field="network", weight=2.0),
    popup_fields=("pipe_id", "network", "diameter_mm", "pressure_class", "voltage_kv", "status"),
    fields=(
        Field("pipe_id", "str", "管线编号", "Pipe id", required=True, aliases=("管线编号", "管线点号", "GXBH", "id")),
        Field("network", "code", "管线类别", "Network", codes=NETWORKS, aliases=("管线类别", "管类", "GXLB")),
        Field("diameter_mm", "float", "管径", "Diameter", unit="mm", min_value=0, aliases=("管径", "GJ", "DN")),
        Field("pressure_class", "code", "压力级制", "Pressure class", codes=PRESSURE_CLASSES, aliases=("压力", "压力级制")),
        Field("voltage_kv", "float", "电压", "Voltage", unit="kV", min_value=0, aliases=("电压", "DY")),
        Field("material", "str", "材质", "Material", aliases=("材质", "CZ")),
        Field("depth_m", "float", "埋深", "Depth", unit="m", min_value=0, aliases=("埋深", "MS")),
        Field("laying", "code", "埋设方式", "Laying", codes=LAYINGS, aliases=("埋设方式",)),
        Field("status", "code", "状态", "Status", codes=STATUSES, aliases=("状态",)),
        Field("year_built", "int", "建设年份", "Year built", min_value=1900, max_value=2100, aliases=("建设年份", "埋设年代")),
        source_attributes_field(),
        *history_fields(),
    ),
)
