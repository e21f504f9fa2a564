"""Land parcels (地块): the unit of supply, contract and compliance."""

from layers.catalog._common import DELAY_CAUSES, INDUSTRY_CODE_STANDARDS
from layers.landuse import LAND_USE_STANDARDS
from layers.schema import Code, Field, LayerSpec, Style, history_fields

STATUSES = (
    Code("planned", "规划", "Planned", "#d9d9d9"),
    Code("approved_unsupplied", "批而未供", "Approved, not supplied", "#fdd49e"),
    Code("supplied", "已供地", "Supplied", "#fc8d59"),
    Code("under_construction", "在建", "Under construction", "#fee08b"),
    Code("completed", "已竣工", "Completed", "#91bfdb"),
    Code("operating", "已投产", "Operating", "#4575b4"),
    Code("reclaimed", "已收回", "Reclaimed", "#999999"),
)

TENURES = (
    Code("granted", "出让", "Granted (出让)", aliases=("出让", "grant")),
    Code("allocated", "划拨", "Allocated (划拨)", aliases=("划拨", "allocation")),
    Code("leased", "租赁", "Leased (租赁)", aliases=("租赁", "lease")),
)

LAYER = LayerSpec(
    name="parcels",
    label_zh="地块",
    label_en="Land parcels",
    geometry="Polygon",
    id_field="parcel_id",
    description="Land parcels with their use, status, contract dates and planning conditions.",
    style=Style(by_field="land_use", fill_opacity=0.65, weight=0.8, color="#444444"),
    popup_fields=("parcel_id", "name", "area_name", "land_use", "status", "enterprise_id"),
    fields=(
        Field("parcel_id", "str", "地块编号", "Parcel id", required=True,
              aliases=("地块编号", "宗地号", "宗地代码", "宗地编号", "DKBH", "ZDDM", "ZDH", "id")),
        Field("name", "str", "名称", "Name", aliases=("地块名称", "项目名称", "名称", "MC")),
        Field("area_name", "str", "片区/期次", "Area / phase", aliases=("片区", "期次", "区块")),
        Field("land_use", "str", "用地性质", "Land use",
              aliases=("用地性质", "用地代码", "地类编码", "DLBM", "YDXZ"),
              description="Code in the classification named by land_use_std."),
        Field("land_use_std", "code", "用地分类标准", "Land-use classification",
              codes=tuple(Code(std, std, std) for std in LAND_USE_STANDARDS)),
        Field("status", "code", "状态", "Status", codes=STATUSES, aliases=("状态", "供地状态")),
        Field("tenure", "code", "供地方式", "Tenure", codes=TENURES, aliases=("供地方式", "供应方式")),
        Field("enterprise_id", "str", "企业编号", "Enterprise id", aliases=("企业编号", "用地单位编号")),
        Field("contract_date", "date", "合同签订日期", "Contract date", aliases=("合同签订日期", "签约日期")),
        Field("agreed_start_date", "date", "约定动工日期", "Agreed start date", aliases=("约定动工日期", "约定开工日期")),
        Field("actual_start_date", "date", "实际动工日期", "Actual start date", aliases=("实际动工日期", "实际开工日期")),
        Field("agreed_completion_date", "date", "约定竣工日期", "Agreed completion date", aliases=("约定竣工日期",)),
        Field("actual_completion_date", "date", "实际竣工日期", "Actual completion date", aliases=("实际竣工日期",)),
        Field("suspended_since", "date", "停工日期", "Suspended since", aliases=("停工日期", "中止开发日期")),
        Field("delay_cause", "code", "延迟原因", "Delay cause", codes=DELAY_CAUSES, aliases=("延迟原因", "闲置原因")),
        Field("land_price_wan", "float", "土地价款", "Land price", unit="万元", min_value=0, aliases=("土地价款", "出让价款", "成交价")),
        Field("investment_planned_wan", "float", "计划总投资", "Planned investment", unit="万元", min_value=0,
              aliases=("计划总投资", "总投资", "约定投资")),
        Field("investment_done_wan", "float", "已完成投资", "Investment done", unit="万元", min_value=0,
              aliases=("已完成投资", "完成投资")),
        Field("developed_area_m2", "float", "已开发面积", "Developed area", unit="m²", min_value=0,
              aliases=("已开发面积",), description="Surveyed; where unknown, analyses estimate it from footprints."),
        Field("registered_area_m2", "float", "登记面积", "Registered area", unit="m²", min_value=0,
              aliases=("登记面积", "宗地面积", "出让面积")),
        Field("industry_code", "str", "行业代码", "Industry code", aliases=("行业代码", "行业分类")),
        Field("industry_code_std", "code", "行业分类标准", "Industry classification", codes=INDUSTRY_CODE_STANDARDS),
        Field("far_min", "float", "容积率下限", "FAR minimum", min_value=0, aliases=("容积率下限", "容积率≥")),
        Field("far_max", "float", "容积率上限", "FAR maximum", min_value=0, aliases=("容积率上限", "容积率≤")),
        Field("building_coef_min", "float", "建筑系数下限", "Building coefficient minimum", min_value=0, max_value=1),
        Field("green_ratio_max", "float", "绿地率上限", "Green ratio maximum", min_value=0, max_value=1),
        Field("green_area_m2", "float", "绿地面积", "Green area", unit="m²", min_value=0, aliases=("绿地面积",)),
        Field("admin_area_m2", "float", "行政办公及生活服务设施用地面积", "Admin and living land", unit="m²",
              min_value=0, aliases=("行政办公及生活服务设施用地面积", "配套用地面积")),
        Field("contract_output_per_mu_wan", "float", "约定亩均产值", "Contracted output per mu", unit="万元/亩",
              min_value=0),
        Field("contract_tax_per_mu_wan", "float", "约定亩均税收", "Contracted tax per mu", unit="万元/亩", min_value=0),
        Field("site_levelled", "bool", "场地平整", "Site levelled", aliases=("场地平整",)),
        *history_fields(),
    ),
)
