"""The analyses' per-record notes and reasons in the reader's language.

The analyses write their notes in English, '; '-joined (:func:`geo.reasons.join_reasons`):
the JSON twins and workbooks keep those stable texts. Pages show them through
:func:`localised`, which turns each piece into the UI language from :data:`ZH`
(fixed texts) and :data:`ZH_PATTERNS` (texts carrying numbers). A piece the
catalogue lacks is shown as written, and tests/test_zh_pages.py fails on it.
"""

from __future__ import annotations

import re

SEPARATOR = "; "

#: Fixed notes: English (as the analyses write it) → Chinese.
ZH = {
    # geo/utilisation.py: building floor areas and the parcel's planning conditions
    "no floors or floor area": "缺层数和建筑面积",
    "floor area estimated as footprint × storeys": "建筑面积按基底面积 × 层数估算",
    "storey heights estimated from building height ÷ floors": "层高按建筑高度 ÷ 层数估算",
    "no storey heights: every storey counted once": "缺层高：每层按一层计",
    "the park has no buildings: FAR and site coverage not judged": "园区无建筑数据：容积率和建筑密度无法判断",
    "floor area unknown for a building on the parcel": "地块上有建筑缺建筑面积",
    # (this note holds a '; ' itself, so it is translated in its two pieces)
    "industry code or its GB/T 4754 edition unknown, or no national FAR minimum for it":
        "行业代码或其 GB/T 4754 版本不详，或该行业无国家容积率下限",
    "FAR not judged": "容积率无法判断",
    "not industrial land and no planning FAR minimum": "非工业用地，且规划条件未定容积率下限",
    "admin share estimated from office/dormitory floor area": "行政办公及生活服务设施占比按办公楼/宿舍建筑面积估算",
    "no planning FAR maximum: extra floor area not computed": "规划条件未定容积率上限：未计算可增建筑面积",
    "investment done unknown": "已完成投资不详",
    # geo/idle.py: 闲置土地 (自然资源部令第53号)
    "no tenure recorded (出让/划拨 decides whether 53号令 applies)": "未记录供地方式（出让/划拨决定是否适用53号令）",
    "tenure outside 53号令 (only 出让/划拨 land can be idle)": "供地方式不在53号令范围内（仅出让/划拨土地可认定闲置）",
    "no agreed start date (约定动工日期)": "缺约定动工日期",
    "suspended a full year, developed share not below the limit, investment share unknown":
        "中止开发满一年，已开发面积占比未低于限值，投资占比不详",
    "suspended a full year, investment share not below the limit, developed share unknown":
        "中止开发满一年，投资占比未低于限值，已开发面积占比不详",
    "land price unknown: fee not computed": "地价不详：未计算闲置费",
    "start date missing: started according to the parcel status": "缺动工日期：按地块状态视为已动工",
    "delay cause recorded: exempt once a full year has passed": "已记录延期原因：满一年后免于认定闲置",
    "developed area estimated from building footprints": "已开发面积按建筑基底面积估算",
    # geo/inefficiency.py: 低效用地 (批而未供 … 投而未达标)
    "批而未供: approved, not supplied": "批而未供：已批准，未供地",
    "供而未用: supplied, development not started": "供而未用：已供地，未动工",
    "建而未投: completed, not in production": "建而未投：已竣工，未投产",
    "contracted output/tax per 亩 set but the land user's figures are unknown":
        "已约定亩均产值/税收，但用地企业的实际数据不详",
    "supply unknown: neither a status nor a contract date (供而未用 not judged)":
        "供地情况不详：既无地块状态也无合同日期（供而未用无法判断）",
    # geo/vacancy.py: units and leases
    "unit status unknown: not counted as leasable": "单元状态不详：不计入可租面积",
    "unit area unknown": "单元面积不详",
    "never leased and no date it became available: days vacant unknown": "从未出租且无可租日期：空置天数不详",
    "overlapping leases on this unit (data error): counted once": "该单元租约重叠（数据错误）：只计一次",
    # geo/infra_needs.py: what an expansion plan needs
    "no in-service main of this network in the park: a source must be planned": "园区内没有该类在用干管：须规划接入源",
    # geo/muju.py: why an enterprise is not graded (grade T)
    "utility (water, power, gas, heat)": "公用事业企业（水、电、气、热）",
    "no land of its own or leased": "无自有或租用土地",
    "land not yet in production (under construction)": "土地尚未投产（在建）",
}

#: Clearance rule sources (data/infrastructure.yaml) whose wording is partly English → Chinese.
ZH_SOURCES = {
    "GB 50028-2006, 低压 to foundation": "GB 50028-2006，低压管道至建筑物基础",
    "GB 50028-2006, 中压B to foundation": "GB 50028-2006，中压B管道至建筑物基础",
    "GB 50028-2006, 中压A to foundation": "GB 50028-2006，中压A管道至建筑物基础",
    "GB 50028-2006, 次高压B to outer wall": "GB 50028-2006，次高压B管道至建筑物外墙面",
    "GB 50028-2006, 次高压A to outer wall": "GB 50028-2006，次高压A管道至建筑物外墙面",
    "GB 50289-2016 T4.1.9, 污水/雨水 (3.0 where deeper than the foundation)":
        "GB 50289-2016 表4.1.9，污水/雨水（埋深深于建筑物基础时为 3.0）",
    "GB 50289-2016 T4.1.9, 电力 direct-buried / in protection pipe": "GB 50289-2016 表4.1.9，电力直埋/保护管",
    "GB 50289-2016 T4.1.9, 通信 direct-buried": "GB 50289-2016 表4.1.9，通信直埋",
    "GB 50289-2016 T4.1.9, 通信 duct / tunnel": "GB 50289-2016 表4.1.9，通信管道/通道",
    "再生水 / 燃气次高压A, as 给水": "再生水 / 燃气次高压A，同给水",
    "再生水 to other pipes, usually 0.5–1.0": "再生水至其他管线，一般 0.5–1.0",
    "燃气 / 电力, 通信 in duct": "燃气 / 电力、通信管道",
    "燃气低中压 / 电力, 通信 direct-buried": "燃气低中压 / 电力、通信直埋",
    "通信 / 通信 (telecom and cable TV)": "通信 / 通信（含有线电视）",
}

#: Notes carrying numbers: the English template (``{name}`` stands for a number or year) → Chinese.
ZH_TEMPLATES = {
    "用而未尽: FAR {far} < {req}": "用而未尽：容积率 {far} < {req}",
    "用而未尽: building coefficient {coef} < {req}": "用而未尽：建筑系数 {coef} < {req}",
    "投而未达标: investment {done} < contracted {planned} 万元": "投而未达标：投资 {done} < 约定 {planned} 万元",
    "投而未达标: output {v} < contracted {t} 万元/亩": "投而未达标：亩均产值 {v} < 约定 {t} 万元/亩",
    "投而未达标: tax {v} < contracted {t} 万元/亩": "投而未达标：亩均税收 {v} < 约定 {t} 万元/亩",
    "{count} {kind} without an understood capacity left out": "{count} 个设施的容量单位无法识别，未计入",
    "{criterion}: straight distance for {cells} cells the road graph does not connect":
        "{criterion}：{cells} 个网格与路网不连通，按直线距离计",
    "{criterion}: nothing to measure from in the park; every cell scores 0":
        "{criterion}：园区内没有可量测的对象，各网格均计 0 分",
    "new firm (< {years} years)": "新办企业（不满 {years} 年）",
    "less than {mu} 亩": "用地不足 {mu} 亩",
    "no figures for {year}": "缺 {year} 年数据",
}


def _pattern(template: str) -> re.Pattern:
    """The regular expression matching ``template`` with any text in place of each ``{name}``."""
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
                      + r"\Z")


ZH_PATTERNS = [(_pattern(english), chinese) for english, chinese in ZH_TEMPLATES.items()]


def piece_in_zh(piece: str) -> str:
    """One note in Chinese (as written when the catalogue lacks it)."""
    if piece in ZH:
        return ZH[piece]
    for pattern, chinese in ZH_PATTERNS:
        found = pattern.match(piece)
        if found:
            return chinese.format(**found.groupdict())
    return piece


def source_in(text, lang: str):
    """A clearance rule's source in ``lang`` (as written when in English or not in :data:`ZH_SOURCES`)."""
    return text if lang == "en" or not isinstance(text, str) else ZH_SOURCES.get(text, text)


#: The evaluation indicators' sources (data/evaluation.yaml ``source``) phrase by phrase in Chinese, applied in
#: order; reference codes (GD2019, W15, N2022 …, see DOMAIN-REPORTS.md) and marks (✅ ◐ ❓) stay as written.
EVALUATION_SOURCE_ZH: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(english), chinese) for english, chinese in (
    (r"\(ParkAtlas holds building footprints only, so 构筑物 and open yards are not counted\)",
     "（ParkAtlas 只有建筑基底，构筑物和露天堆场未计入）"),
    (r"\((\d{4}) national average ([\d.]+) ([^,]+), (N\d{4}), is too old to stand in\)",
     r"（\1 年全国平均 \2 \3（\4）年代过久，不宜代用）"),
    (r"ideal 0 \(no idle land\) and the negative-indicator standardisation are ParkAtlas's choice",
     "理想值 0（无闲置土地）及负向指标的标准化方式为 ParkAtlas 的取舍"),
    (r"ideal = (\d{4}) national average ([\d.]+(?: %)?) \(([^)]*)\), a placeholder, not a 理想值",
     r"理想值暂取 \1 年全国平均 \2（\3），仅为占位，并非理想值"),
    (r"ideal = (\d{4}) national average ([\d.]+(?: %)?) \(([^)]*)\), a placeholder",
     r"理想值暂取 \1 年全国平均 \2（\3），仅为占位"),
    (r"no ideal value found \(set the zone's own\)", "未找到理想值（请设定本区自己的理想值）"),
    (r"no ideal value found", "未找到理想值"),
    (r"only in 发展方向区", "仅用于发展方向区"),
    (r"unit (✅|◐|❓) notices", r"单位 \1 见通知"),
    (r"unit (✅|◐|❓)", r"单位 \1"),
    (r"formula (✅|◐|❓)", r"公式 \1"),
    (r"; ", "；"),
    (r", ", "，"),
))


def evaluation_source_in(text, lang: str):
    """An evaluation indicator's source in ``lang``: phrase by phrase in Chinese (:data:`EVALUATION_SOURCE_ZH`)."""
    if lang == "en" or not isinstance(text, str):
        return text
    for pattern, chinese in EVALUATION_SOURCE_ZH:
        text = pattern.sub(chinese, text)
    return text


def localised(text, lang: str):
    """``text`` (notes joined by '; ') in ``lang`` ('zh' or 'en'); missing or empty values are returned as given."""
    if lang == "en" or not isinstance(text, str) or not text:
        return text
    return "；".join(piece_in_zh(piece) for piece in text.split(SEPARATOR))
