"""XLSX workbooks of result tables, built in memory for download (openpyxl).

Pages export their tables with one sheet per frame; headers are whatever the
caller names the columns (Chinese labels on the Chinese pages).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

import pandas as pd

from layers.cells import neutralise_formulas

#: Excel limits a sheet name to 31 characters without ``[]:*?/\``.
SHEET_NAME_MAX = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str) -> str:
    """``name`` made acceptable to Excel as a sheet name."""
    cleaned = _SHEET_FORBIDDEN.sub("_", name).strip("'") or "Sheet"
    return cleaned[:SHEET_NAME_MAX]


def workbook_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """An XLSX file with one sheet per frame (in order, without the index).

    Timezone-free dates, numbers, booleans and text are written as such; missing
    values become empty cells.
    """
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            neutralise_formulas(frame).to_excel(writer, sheet_name=sheet_name(name), index=False)
    return buffer.getvalue()


__all__ = ["SHEET_NAME_MAX", "sheet_name", "workbook_bytes"]
