"""History of the revitalisation ledger (盘活台账变更记录): one record per changed field.

Cases are never deleted and their changes never overwritten silently: every
create, update and close writes events here (what changed, from what, to what, when).
"""

from layers.schema import Code, Field, LayerSpec, history_fields

#: What an event did to its case.
ACTIONS = (
    Code("create", "立案", "Opened"),
    Code("update", "修改", "Changed"),
    Code("close", "办结", "Closed"),
)

LAYER = LayerSpec(
    name="case_events",
    label_zh="盘活台账变更记录",
    label_en="Revitalisation case history",
    geometry=None,
    id_field="event_id",
    description="One record per changed field of a revitalisation case.",
    description_zh="盘活台账的变更：每改动一个字段记一条。",
    fields=(
        Field("event_id", "str", "记录编号", "Event id", required=True),
        Field("case_id", "str", "台账编号", "Case id"),
        Field("date", "date", "日期", "Date"),
        Field("action", "code", "操作", "Action", codes=ACTIONS, description="create, update or close"),
        Field("field", "str", "字段", "Field"),
        Field("old_value", "str", "原值", "Old value"),
        Field("new_value", "str", "新值", "New value"),
        *history_fields(),
    ),
)
