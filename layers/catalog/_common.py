"""Code lists shared by several layer declarations."""

from layers.schema import Code

DELAY_CAUSES = (
    Code("none", "无", "No delay cause"),  # not "None": a table would read it as an empty value
    Code("GOV-1", "政府未按约定交地", "Land not handed over as agreed (GOV-1)"),
    Code("GOV-2", "规划依法修改", "Plan legally revised (GOV-2)"),
    Code("GOV-3", "国家政策调整", "New national policy (GOV-3)"),
    Code("GOV-4", "群众信访阻工", "Petitions prevent the start (GOV-4)"),
    Code("GOV-5", "军事管制、文物保护等", "Military control, relics etc. (GOV-5)"),
    Code("GOV-6", "政府其他行为", "Other government acts (GOV-6)"),
    Code("FM", "不可抗力", "Force majeure", aliases=("force_majeure",)),
)

INDUSTRY_CODE_STANDARDS = (
    Code("GB/T4754-2002", "GB/T 4754-2002", "GB/T 4754-2002"),
    Code("GB/T4754-2011", "GB/T 4754-2011", "GB/T 4754-2011"),
    Code("GB/T4754-2017", "GB/T 4754-2017", "GB/T 4754-2017"),
)
