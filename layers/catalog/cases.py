"""Revitalisation ledger (盘活台账)."""

from layers.schema import Code, Field, LayerSpec, history_fields, source_attributes_field

PROBLEMS = (
    Code("idle_land", "闲置土地", "Idle land"),
    Code("stalled", "停工项目", "Stalled project"),
    Code("vacant_factory", "空置厂房", "Vacant factory"),
    Code("zombie_enterprise", "僵尸企业", "Zombie enterprise"),
    Code("inefficient", "低效用地", "Inefficient land"),
)

METHODS = (
    Code("re_perform", "再履约", "Re-performance"),
    Code("lease", "招商租赁", "Leasing"),
    Code("graft", "项目嫁接", "Project grafting"),
    Code("reclaim", "收回", "Reclaim"),
    Code("transfer", "转让", "Transfer"),
    Code("merge", "兼并重组", "Merger"),
    Code("redevelop", "腾笼换鸟", "Redevelopment"),
    Code("self_upgrade", "自我提升", "Self-upgrade"),
)

STATUSES = (
    Code("identified", "已识别", "Identified"),
    Code("planned", "已制定方案", "Planned"),
    Code("in_progress", "处置中", "In progress"),
    Code("done", "已完成", "Done"),
    Code("dropped", "已撤销", "Dropped"),
)

LAYER = LayerSpec(
    name="cases",
    label_zh="盘活台账",
    label_en="Revitalisation cases",
    geometry=None,
    id_field="case_id",
    description="Revitalisation cases: each inefficient site's problem, method, progress and dates.",
    description_zh="盘活台账：每宗低效用地的问题类型、盘活方式、进展与日期。",
    fields=(
        Field("case_id", "str", "台账编号", "Case id", required=True),
        Field("parcel_id", "str", "地块编号", "Parcel id"),
        Field("building_id", "str", "建筑编号", "Building id"),
        Field("problem", "code", "问题类型", "Problem", codes=PROBLEMS),
        Field("method", "code", "盘活方式", "Method", codes=METHODS),
        Field("status", "code", "进展", "Status", codes=STATUSES),
        Field("opened", "date", "立案日期", "Opened"),
        Field("target_date", "date", "计划完成日期", "Target date"),
        Field("closed", "date", "办结日期", "Closed"),
        Field("area_m2", "float", "土地面积", "Land area", unit="m²", min_value=0),
        Field("floor_area_m2", "float", "建筑面积", "Floor area", unit="m²", min_value=0),
        Field("notes", "str", "备注", "Notes"),
        source_attributes_field(),
        *history_fields(),
    ),
)
