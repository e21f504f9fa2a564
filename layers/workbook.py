"""XLSX workbooks of result tables, built in memory for download.

Pages export their tables with one sheet per frame; headers are whatever the
caller names the columns (Chinese labels on the Chinese pages). The sheets are
written in the one convention of ``layers.workbook_style`` (frozen header, fitted
columns, date cells, number formats read from the units in the headers).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from layers.workbook_style import SHEET_NAME_MAX, plain_sheets, sheet_name, styled_workbook


def workbook_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """An XLSX file with one sheet per frame (in order, without the index).

    Timezone-free dates, numbers, booleans and text are written as such; missing
    values become empty cells.
    """
    return styled_workbook(plain_sheets(sheets))


__all__ = ["SHEET_NAME_MAX", "sheet_name", "workbook_bytes"]
