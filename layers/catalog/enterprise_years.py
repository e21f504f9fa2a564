"""Enterprise yearly figures (企业年度数据) for 亩均 evaluation."""

from layers.schema import Field, LayerSpec, history_fields, source_attributes_field

LAYER = LayerSpec(
    name="enterprise_years",
    label_zh="企业年度数据",
    label_en="Enterprise yearly figures",
    geometry=None,
    id_field="record_id",
    description="One record per enterprise and year; record_id is '<enterprise_id>-<year>'.",
    description_zh="每家企业每年一条记录；记录编号为“企业编号-年份”。",
    fields=(
        Field("record_id", "str", "记录编号", "Record id", required=True),
        Field("enterprise_id", "str", "企业编号", "Enterprise id", aliases=("企业编号",)),
        Field("year", "int", "年度", "Year", min_value=1990, max_value=2100, aliases=("年度", "年份")),
        Field("tax_wan", "float", "税收", "Tax", unit="万元", aliases=("税收", "实缴税金", "税收总额", "纳税额", "纳税总额")),
        Field("output_wan", "float", "产值", "Output", unit="万元", min_value=0, aliases=("产值", "工业总产值")),
        Field("value_added_wan", "float", "增加值", "Value added", unit="万元", aliases=("增加值", "工业增加值")),
        Field("revenue_wan", "float", "营业收入", "Revenue", unit="万元", min_value=0, aliases=("营业收入", "主营业务收入", "营收", "营业总收入")),
        Field("energy_tce", "float", "综合能耗", "Energy use", unit="tce", min_value=0, aliases=("综合能耗", "能耗")),
        Field("emissions_t", "float", "主要污染物排放量", "Emissions", unit="t", min_value=0, aliases=("排放量",)),
        Field("rd_wan", "float", "研发经费", "R&D spending", unit="万元", min_value=0, aliases=("研发经费", "研发投入")),
        Field("employees", "int", "从业人员", "Employees", min_value=0, aliases=("从业人员", "职工人数", "从业人数", "员工人数", "从业人员数")),
        source_attributes_field(),
        *history_fields(),
    ),
)
