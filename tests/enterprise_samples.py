"""Enterprise lists as a park office makes them (企业名单: .xlsx or .csv), written by the tests, not committed.

One row per enterprise, Chinese headers, a title line above the header, the yearly
figures wide (``2023年营业收入（万元）`` … ``2024年从业人员``), the credit codes real ones
(GB 32100-2015: ``layers.demo.economy.credit_codes``, which computes both check
characters on its own), and what such lists hold: an empty cell where a figure is not
known, a column nobody asked for (备注, 2024年亩均税收), a 序号.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from layers.demo.economy import credit_codes

TITLE = "某某经济开发区入园企业名单（2024年度）"
#: The header as such lists write it.
HEADER = ["序号", "企业名称", "统一社会信用代码", "所在地块", "行业", "2023年营业收入（万元）", "2024年营业收入（万元）",
          "2024年税收（万元）", "2024年从业人员", "2024年亩均税收", "备注"]
_NAMES = ("浙江恒丰精密机械有限公司", "宁波海天新材料科技有限公司", "杭州禾川电子有限公司", "嘉兴万达物流有限公司",
          "绍兴瑞昌纺织印染有限公司", "湖州立信汽车零部件有限公司", "台州东方医疗器械有限公司", "温州华顺食品有限公司")
_TRADES = ("通用设备制造业", "化学原料和化学制品制造业", "计算机、通信和其他电子设备制造业", "装卸搬运和仓储业")


def enterprise_rows(n: int = 4, *, seed: int = 7) -> list[list[object]]:
    """``n`` rows under :data:`HEADER`: codes valid, figures in 万元 with one decimal, the last row's 2024 tax
    left empty (not reported yet)."""
    rng = np.random.default_rng(seed)
    codes = credit_codes(n, rng)
    rows = []
    for i in range(n):
        revenue_2023 = round(float(rng.uniform(500, 20000)), 1)
        revenue_2024 = round(revenue_2023 * float(rng.uniform(0.8, 1.3)), 1)
        tax = None if i == n - 1 else round(revenue_2024 * 0.04, 1)
        rows.append([i + 1, _NAMES[i % len(_NAMES)] + ("" if i < len(_NAMES) else f"（{i}）"), codes[i], f"P{i + 1}",
                     _TRADES[i % len(_TRADES)], revenue_2023, revenue_2024, tax, int(rng.integers(20, 800)),
                     round(float(rng.uniform(1, 60)), 1), "" if i % 3 else "重点企业"])
    return rows


def write_list(path: Path, rows: list[list[object]], *, header: list[str] = HEADER, title: str | None = TITLE
               ) -> Path:
    """The list as an .xlsx (numbers as numbers, a title line merged above the header) or a .csv (UTF-8 with BOM,
    as Excel saves it), by ``path``'s suffix."""
    path = Path(path)
    if path.suffix == ".csv":
        lines = ([[title] + [""] * (len(header) - 1)] if title else []) + [header] + rows
        frame = pd.DataFrame(lines)
        frame.to_csv(path, index=False, header=False, encoding="utf-8-sig")
        return path
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "企业名单"
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(header)
    for row in rows:
        sheet.append([None if value == "" else value for value in row])
    book.save(path)
    return path


__all__ = ["HEADER", "TITLE", "enterprise_rows", "write_list"]
