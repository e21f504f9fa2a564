"""Leases (租约) of factory units."""

from layers.schema import Field, LayerSpec, history_fields, source_attributes_field

LAYER = LayerSpec(
    name="leases",
    label_zh="租约",
    label_en="Leases",
    geometry=None,
    id_field="lease_id",
    description="Signed leases; a unit is leased on the days from start to end inclusive.",
    description_zh="已签租约；自起租日至到期日（含首尾两日）单元计为已出租。",
    fields=(
        Field("lease_id", "str", "租约编号", "Lease id", required=True, aliases=("租约编号", "合同编号")),
        Field("unit_id", "str", "单元编号", "Unit id", aliases=("单元编号", "房号")),
        Field("enterprise_id", "str", "企业编号", "Enterprise id", aliases=("企业编号", "承租企业")),
        Field("start", "date", "起租日期", "Start", aliases=("起租日期", "开始日期")),
        Field("end", "date", "到期日期", "End", aliases=("到期日期", "结束日期")),
        Field("rent_yuan_m2_month", "float", "租金", "Rent", unit="元/m²·月", min_value=0, aliases=("租金", "月租金")),
        source_attributes_field(),
        *history_fields(),
    ),
)
