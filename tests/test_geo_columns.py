"""Analysis tables labelled for people (geo/columns.py): headers, units, names of codes, flags, formats."""

from __future__ import annotations

import pandas as pd

from geo.columns import labelled_sheet


def test_a_case_history_reads_as_words():
    events = pd.DataFrame({"event_id": ["E1", "E2"], "case_id": ["K1", "K1"], "action": ["update", "close"],
                           "field": ["status", "notes"], "old_value": ["planned", "旧"],
                           "new_value": ["in_progress", "in_progress"]})
    sheet = labelled_sheet("台账记录", events, lang="zh", layers=("case_events",))
    assert list(sheet.frame.columns) == ["记录编号", "台账编号", "操作", "字段", "原值", "新值"]
    assert sheet.frame.iloc[0].tolist() == ["E1", "K1", "修改", "进展", "已制定方案", "处置中"]
    # Only a coded field's values are named: a note that happens to read like a code stays as written.
    assert sheet.frame.iloc[1].tolist() == ["E2", "K1", "办结", "备注", "旧", "in_progress"]
    english = labelled_sheet("History", events, lang="en", layers=("case_events",))
    assert english.frame.iloc[0].tolist() == ["E1", "K1", "changed", "Status", "Planned", "In progress"]


def test_units_and_formats_of_analysis_columns():
    frame = pd.DataFrame({"area_mu": [15.04], "vacancy_rate": [0.25], "far": [1.234], "idle_days": [400],
                          "far_ok": [True], "mu_grade": ["T"], "inefficiency": ["underused,supplied_unused"]})
    sheet = labelled_sheet("t", frame, lang="zh")
    assert list(sheet.frame.columns) == ["面积（亩）", "空置率（%）", "容积率", "闲置天数", "容积率达标", "亩均等级",
                                         "低效用地类型"]
    assert sheet.formats == {"面积（亩）": "#,##0.0", "空置率（%）": "0.0%", "容积率": "0.00", "闲置天数": "#,##0"}
    assert sheet.frame.iloc[0, 4:].tolist() == ["达标", "暂不评价", "用而未尽、供而未用"]
    english = labelled_sheet("t", frame, lang="en")
    assert list(english.frame.columns)[:3] == ["Area (mu)", "Vacancy rate (%)", "FAR"]
    assert english.frame.iloc[0, 4:].tolist() == ["meets", "not graded", "underused, supplied, not used"]
