"""Enterprises (企业)."""

from layers.catalog._common import INDUSTRY_CODE_STANDARDS
from layers.credit_code import FORM
from layers.schema import Field, LayerSpec, Link, history_fields, source_attributes_field

LAYER = LayerSpec(
    name="enterprises",
    label_zh="企业",
    label_en="Enterprises",
    geometry=None,
    id_field="enterprise_id",
    id_from=("credit_code",),
    yearly_layer="enterprise_years",
    # An enterprise list's column of the parcels each enterprise holds: importing the list sets their enterprise_id
    # (the link the per-mu figures read), never over a link the parcels layer holds already.
    links=(Link("parcels", "enterprise_id", aliases=(
        "所在地块", "地块编号", "地块号", "宗地号", "宗地编号", "宗地代码", "用地地块", "项目地块", "所在宗地", "所属地块",
        "地块", "parcel", "parcels", "parcel id", "parcel_id"), by_name=("name", "land_user")),),
    description="The park's enterprises: name, unified social credit code and industry.",
    description_zh="园区企业：名称、统一社会信用代码与所属行业。",
    fields=(
        Field("enterprise_id", "str", "企业编号", "Enterprise id", required=True, aliases=("企业编号",)),
        Field("name", "str", "企业名称", "Name", aliases=("企业名称", "名称")),
        Field("credit_code", "str", "统一社会信用代码", "Unified social credit code", form=FORM,
              aliases=("统一社会信用代码", "信用代码", "社会信用代码", "统一信用代码", "社会统一信用代码",
                       "统一社会信用代码证号", "信用代码证", "USCC", "credit code", "unified social credit code"),
              description="18 characters (GB 32100-2015); a value that is not one is reported on import and kept. "
                          "An import without enterprise ids takes its ids from this field when every record has "
                          "one, each once."),
        Field("industry_code", "str", "行业代码", "Industry code", aliases=("行业代码",)),
        Field("industry_code_std", "code", "行业分类标准", "Industry classification", codes=INDUSTRY_CODE_STANDARDS),
        Field("above_scale", "bool", "规上企业", "Above designated size", aliases=("规上", "规上企业")),
        Field("high_tech", "bool", "高新技术企业", "High-tech enterprise", aliases=("高新", "高新技术企业")),
        Field("established", "date", "成立日期", "Established", aliases=("成立日期",)),
        source_attributes_field(),
        *history_fields(),
    ),
)
