"""The park's audit trail (审计日志): one record per changed field or record, never rewritten.

Every save through the application's store appends events here in the same
atomic write as the change itself, so a change can never exist without the
record of who made it. ``op`` says what happened to the record: ``create``
(``new_value`` holds the whole record as JSON), ``delete`` (``old_value`` holds
it), ``update`` (one field; values as canonical text: ISO dates, shortest exact
numbers, ``true``/``false``, geometry as full-precision WKT).
"""

from layers.schema import Code, Field, LayerSpec, history_fields

OPS = (
    Code("create", "新增", "Create"),
    Code("update", "修改", "Update"),
    Code("delete", "移除", "Delete"),
)

ACTIONS = (
    Code("create", "新增记录", "Create record"),
    Code("update", "修改属性", "Edit attributes"),
    Code("geometry", "修改图形", "Edit geometry"),
    Code("retire", "注销", "Retire"),
    Code("restore", "恢复", "Restore"),
    Code("split", "分割地块", "Split parcel"),
    Code("merge", "合并地块", "Merge parcels"),
    Code("lease_add", "新增租约", "Add lease"),
    Code("lease_end", "终止租约", "End lease"),
    Code("case_open", "立案", "Open case"),
    Code("case_update", "更新台账", "Update case"),
    Code("case_close", "办结", "Close case"),
    Code("undo", "撤销", "Undo"),
    Code("import", "导入", "Import"),
    Code("save", "保存（其他功能）", "Save (other feature)"),
    Code("restore_backup", "从备份恢复", "Restore from backup"),
)

LAYER = LayerSpec(
    name="audit_events",
    label_zh="审计日志",
    label_en="Audit trail",
    geometry=None,
    id_field="event_id",
    description="Every change to the park's data: who, when, layer, record, field, old and new value, reason.",
    description_zh="园区数据的每次修改：谁、何时、哪个图层与记录、哪个字段、原值与新值、原因。",
    fields=(
        Field("event_id", "str", "事件编号", "Event id", required=True),
        Field("seq", "int", "序号", "Sequence", min_value=1,
              description="Position in the log; strictly increasing."),
        Field("change_id", "str", "变更编号", "Change id",
              description="Events written by one user action share it; undo works on a change."),
        Field("at", "str", "时间", "Time", description="UTC, ISO 8601 with microseconds."),
        Field("date", "date", "日期", "Date", description="The day of the change in the park's time zone."),
        Field("user", "str", "用户", "User"),
        Field("action", "code", "操作", "Action", codes=ACTIONS),
        Field("op", "code", "记录变化", "Operation", codes=OPS),
        Field("layer", "str", "图层", "Layer"),
        Field("record_id", "str", "记录编号", "Record id"),
        Field("field", "str", "字段", "Field", description="'*' for a whole record (create, delete)."),
        Field("old_value", "str", "原值", "Old value"),
        Field("new_value", "str", "新值", "New value"),
        Field("reason", "str", "原因", "Reason"),
        Field("undoes", "str", "撤销的变更", "Undoes", description="The change this one undoes."),
        *history_fields(valid_time=False),
    ),
)
