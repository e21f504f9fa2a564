"""Buildings (建筑), standard factory buildings among them."""

from layers.schema import Code, Field, LayerSpec, Style, history_fields, source_attributes_field

USES = (
    Code("standard_factory", "标准厂房", "Standard factory", "#d95f02", aliases=("标准厂房",)),
    Code("factory", "自建厂房", "Factory", "#a6611a", aliases=("厂房",)),
    Code("warehouse", "仓库", "Warehouse", "#7570b3", aliases=("仓库",)),
    Code("office", "办公", "Office", "#e7298a", aliases=("办公", "办公楼")),
    Code("dormitory", "宿舍", "Dormitory", "#e6ab02", aliases=("宿舍",)),
    Code("utility", "配套设施", "Utility", "#1b9e77", aliases=("配套",)),
    Code("other", "其他", "Other", "#666666", aliases=("其他",)),
)

STATUSES = (
    Code("planned", "规划", "Planned"),
    Code("under_construction", "在建", "Under construction"),
    Code("completed", "已建成", "Completed"),
    Code("demolished", "已拆除", "Demolished"),
)

LAYER = LayerSpec(
    name="buildings",
    label_zh="建筑",
    label_en="Buildings",
    geometry="Polygon",
    id_field="building_id",
    description="Building footprints with floors and floor heights (for FAR) and standard-factory data.",
    description_zh="建筑基底：层数与层高（用于计算容积率）及标准厂房信息。",
    style=Style(by_field="use", fill_opacity=0.8, weight=0.5, color="#333333"),
    multipart="explode",
    popup_fields=("building_id", "name", "use", "floors", "gfa_m2", "phase", "status"),
    fields=(
        Field("building_id", "str", "建筑编号", "Building id", required=True, aliases=("建筑编号", "楼栋编号", "JZBH", "id")),
        Field("parcel_id", "str", "地块编号", "Parcel id", aliases=("地块编号", "宗地号"),
              description="Derived spatially when absent."),
        Field("name", "str", "名称", "Name", aliases=("名称", "楼栋名称")),
        Field("use", "code", "用途", "Use", codes=USES, aliases=("用途", "建筑用途")),
        Field("floors", "int", "层数", "Floors", min_value=0, aliases=("层数", "地上层数", "CS")),
        Field("floor_heights_m", "str", "各层层高", "Floor heights", unit="m",
              aliases=("各层层高", "层高"), description="Comma-separated storey heights from the ground floor up."),
        Field("height_m", "float", "建筑高度", "Height", unit="m", min_value=0, aliases=("建筑高度", "高度")),
        Field("gfa_m2", "float", "建筑面积", "Gross floor area", unit="m²", min_value=0, aliases=("建筑面积", "总建筑面积")),
        Field("phase", "str", "期次", "Phase", aliases=("期次",)),
        Field("status", "code", "状态", "Status", codes=STATUSES, aliases=("状态",)),
        Field("completion_year", "int", "竣工年份", "Completion year", min_value=1900, max_value=2100,
              aliases=("竣工年份", "建成年份")),
        Field("floor_load_kn_m2", "float", "楼面荷载", "Floor load", unit="kN/m²", min_value=0, aliases=("楼面荷载", "荷载")),
        Field("clear_height_m", "float", "净高", "Clear height", unit="m", min_value=0, aliases=("净高",)),
        Field("owner", "str", "产权人", "Owner", aliases=("产权人", "业主")),
        source_attributes_field(),
        *history_fields(),
    ),
)
