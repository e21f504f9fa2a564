"""Enterprises (企业)."""

from layers.catalog._common import INDUSTRY_CODE_STANDARDS
from layers.schema import Field, LayerSpec, history_fields, source_attributes_field

LAYER = LayerSpec(
    name="enterprises",
    label_zh="企业",
    label_en="Enterprises",
    geometry=None,
    id_field="enterprise_id",
    description="The park's enterprises: name, unified social credit code and industry.",
    description_zh="园区企业：名称、统一社会信用代码与所属行业。",
    fields=(
        Field("enterprise_id", "str", "企业编号", "Enterprise id", required=True, aliases=("企业编号",)),
        Field("name", "str", "企业名称", "Name", aliases=("企业名称", "名称")),
        Field("credit_code", "str", "统一社会信用代码", "Unified social credit code", aliases=("统一社会信用代码", "信用代码")),
        Field("industry_code", "str", "行业代码", "Industry code", aliases=("行业代码",)),
        Field("industry_code_std", "code", "行业分类标准", "Industry classification", codes=INDUSTRY_CODE_STANDARDS),
        Field("above_scale", "bool", "规上企业", "Above designated size", aliases=("规上", "规上企业")),
        Field("high_tech", "bool", "高新技术企业", "High-tech enterprise", aliases=("高新", "高新技术企业")),
        Field("established", "date", "成立日期", "Established", aliases=("成立日期",)),
        source_attributes_field(),
        *history_fields(),
    ),
)
