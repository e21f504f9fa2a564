"""Roads (道路): centrelines with grade, red-line width and construction stage."""

from layers.schema import Code, Field, LayerSpec, Style, history_fields, source_attributes_field

GRADES = (
    Code("expressway", "快速路", "Expressway", aliases=("快速路", "高速")),
    Code("arterial", "主干路", "Arterial", aliases=("主干路", "主干道")),
    Code("secondary", "次干路", "Secondary", aliases=("次干路", "次干道")),
    Code("branch", "支路", "Branch", aliases=("支路",)),
    Code("internal", "园区内部路", "Internal", aliases=("内部路", "园区内部路")),
)

#: Construction stages as a committee reports them (规划, 报批, 路基, 临时路面, 建成).
STATUSES = (
    Code("planned", "规划", "Planned", "#bdbdbd", aliases=("规划",)),
    Code("approved", "报批", "Approved", "#9ecae1", aliases=("报批", "已批")),
    Code("subgrade", "路基", "Subgrade", "#fdae6b", aliases=("路基",)),
    Code("temporary_surface", "临时路面", "Temporary surface", "#e6550d", aliases=("临时路面",)),
    Code("completed", "建成", "Completed", "#252525", aliases=("建成", "已建成")),
)

LAYER = LayerSpec(
    name="roads",
    label_zh="道路",
    label_en="Roads",
    geometry="LineString",
    id_field="road_id",
    description="Road centrelines; width_m is the red-line (红线) width.",
    description_zh="道路中心线；宽度为道路红线宽度。",
    style=Style(by_field="status", weight=3.0),
    popup_fields=("road_id", "name", "grade", "width_m", "status", "year"),
    fields=(
        Field("road_id", "str", "道路编号", "Road id", required=True, aliases=("道路编号", "DLBH", "id")),
        Field("name", "str", "道路名称", "Name", aliases=("道路名称", "路名", "名称")),
        Field("grade", "code", "道路等级", "Grade", codes=GRADES, aliases=("道路等级", "等级")),
        Field("width_m", "float", "红线宽度", "Red-line width", unit="m", min_value=0, aliases=("红线宽度", "路宽", "宽度")),
        Field("lanes", "int", "车道数", "Lanes", min_value=0, max_value=20, aliases=("车道数",)),
        Field("status", "code", "建设状态", "Status", codes=STATUSES, aliases=("建设状态", "状态")),
        Field("year", "int", "建设年份", "Year", min_value=1900, max_value=2100, aliases=("建设年份", "年份")),
        source_attributes_field(),
        *history_fields(),
    ),
)
