"""Leasable units (厂房单元) of standard factory buildings."""

from layers.schema import Code, Field, LayerSpec, history_fields, source_attributes_field

STATUSES = (
    Code("leasable", "可租赁", "Leasable", aliases=("可租", "可租赁")),
    Code("self_used", "自用", "Self-used", aliases=("自用",)),
    Code("under_renovation", "改造中", "Under renovation", aliases=("改造中", "维修中")),
    Code("sold", "已出售", "Sold", aliases=("已售", "已出售")),
)

LAYER = LayerSpec(
    name="units",
    label_zh="厂房单元",
    label_en="Factory units",
    geometry=None,
    id_field="unit_id",
    description="Units of standard factory buildings; vacancy is derived from leases.",
    description_zh="标准厂房的单元；空置情况由租约推算。",
    fields=(
        Field("unit_id", "str", "单元编号", "Unit id", required=True, aliases=("单元编号", "房号")),
        Field("building_id", "str", "建筑编号", "Building id", aliases=("建筑编号", "楼栋编号")),
        Field("floor", "int", "楼层", "Floor", min_value=-5, max_value=200, aliases=("楼层", "所在层")),
        Field("area_m2", "float", "面积", "Area", unit="m²", min_value=0, aliases=("面积", "建筑面积")),
        Field("status", "code", "状态", "Status", codes=STATUSES, aliases=("状态",)),
        Field("floor_load_kn_m2", "float", "楼面荷载", "Floor load", unit="kN/m²", min_value=0),
        Field("clear_height_m", "float", "净高", "Clear height", unit="m", min_value=0),
        source_attributes_field(),
        *history_fields(),
    ),
)
