"""Spreadsheet cells that stay data: text a spreadsheet would run as a formula is neutralised.

A parcel name, a note or a log value such as ``=HYPERLINK("http://…")`` or
``=cmd|' /C calc'!A0`` becomes a live formula when a CSV is opened in Excel or
WPS, and openpyxl writes any text starting with ``=`` to XLSX as a formula.
Every CSV and XLSX export passes its tables through :func:`neutralise_formulas`
first (OWASP "CSV injection": prefix such cells with an apostrophe).
"""

from __future__ import annotations

import pandas as pd

#: Characters that make a spreadsheet treat a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _formula_like(value) -> bool:
    """Text that starts like a formula, also behind apostrophes (so the prefix can be undone exactly)."""
    return isinstance(value, str) and value.lstrip("'").startswith(FORMULA_PREFIXES)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells starting like a formula are prefixed with ``'``; numbers stay numbers."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            text = column.astype(object)
            risky = text.map(_formula_like).astype(bool)
            if risky.any():
                out[name] = text.where(~risky, "'" + text.astype(str))
    return out


def restore_formula_text(values: pd.Series) -> pd.Series:
    """The inverse of :func:`neutralise_formulas` for one column read back from a CSV/XLSX export.

    An importer that reads its own exports can apply it so a name such as
    ``-3号地块`` survives the round trip.
    """
    text = values.astype(object)
    marked = text.map(lambda v: _formula_like(v) and v.startswith("'"))
    return text.where(~marked.astype(bool), text.str[1:])
