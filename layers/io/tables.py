"""CSV and XLSX: attribute tables, with geometry from WKT, lon/lat or X/Y columns.

Text is decoded by :mod:`layers.io.encoding` (BOM, UTF-16, UTF-8, GB18030, Big5), line endings made
universal (CR LF, LF, CR alone) and read as
strings, so nothing is guessed twice: the registry's converters and
:mod:`layers.io.normalise` type the values later. Cells are trimmed, and the
apostrophe our exports put before text that starts like a formula is removed.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from layers.cells import restore_formula_text
from layers.io.mapping import split_unit
from layers.values import normalise_text, present, to_float

#: Header names (normalised, units stripped) of geometry columns, in order of preference.
WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "图形", "坐标串", "wkt几何")
COORDINATE_PAIRS = (
    ("lon", "lat"), ("lng", "lat"), ("longitude", "latitude"), ("经度", "纬度"),
    ("x", "y"), ("x坐标", "y坐标"), ("geox", "geoy"), ("easting", "northing"), ("东坐标", "北坐标"),
    ("point_x", "point_y"), ("centroid_x", "centroid_y"),
)
#: Columns that may declare the CRS of the coordinates (a single value for the whole file).
CRS_COLUMNS = ("crs", "srs", "epsg", "coordinatereferencesystem", "坐标系", "坐标系统")
_WKT_START = ("POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON",
              "GEOMETRYCOLLECTION")


#: Degrees, minutes and seconds as tables write them (after NFKC): 114°18′30.5″, 114度18分30.5秒, 30°31'12"N,
#: 东经114°18′; minutes and seconds optional (the seconds' ″ too, after minutes: 114°18′30), a hemisphere letter
#: or word before or after.
_DMS = re.compile(r"(?P<before>[NSEWnsew]|东经|西经|北纬|南纬)?\s*(?P<d>\d+(?:\.\d+)?)\s*(?:°|º|度)\s*"
                  r"(?:(?P<m>\d+(?:\.\d+)?)\s*(?:′|'|’|分)\s*)?(?:(?P<s>\d+(?:\.\d+)?)\s*(?P<seconds>″|\"|”|′′|''|’’|秒)?\s*)?"
                  r"(?P<after>[NSEWnsew])?")
_NEGATIVE_HEMISPHERES = ("s", "w", "西经", "南纬")


def _dms_degrees(text: str) -> float | None:
    """``text`` written in degrees, minutes and seconds as decimal degrees; None when it is not (minutes and
    seconds under 60, a decimal part only on the last one given)."""
    found = _DMS.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if found is None or (found["before"] and found["after"]) or (found["s"] and not found["seconds"]
                                                                  and found["m"] is None):
        return None  # (a number after the degrees without its ′ is not minutes, nor seconds)
    d, m, s = found["d"], found["m"], found["s"]
    if (m is not None and float(m) >= 60) or (s is not None and float(s) >= 60) \
            or ("." in d and m is not None) or (m is not None and "." in m and s is not None):
        return None
    value = float(d) + float(m or 0) / 60 + float(s or 0) / 3600
    hemisphere = (found["before"] or found["after"] or "").lower()
    return -value if hemisphere in _NEGATIVE_HEMISPHERES else value


def to_coordinate(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A coordinate column as numbers (:func:`layers.values.to_float`), degrees written with minutes and seconds
    read as decimal degrees; and which present values are neither."""
    numbers, bad = to_float(series)
    if bad.any():
        degrees = series[bad].map(lambda v: _dms_degrees(str(v)))
        numbers[bad.to_numpy()] = degrees.astype("float64").to_numpy()
        bad = bad & numbers.isna()
    return numbers, bad


@dataclass
class TableGeometry:
    """Geometries built from table columns, the columns used and per-row problems (0-based)."""

    geometries: np.ndarray | None
    columns: tuple[str, ...] = ()
    kind: str | None = None
    problems: dict[int, tuple[str, str, object]] = field(default_factory=dict)
    declared_crs: str | None = None


def _base(header: str) -> str:
    return split_unit(str(header))[0]


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Trim text cells and headers, blank → missing. Quotes are the CSV parser's business: a value
    written as three quotes around text holds the text in literal quotes, and keeps them."""
    out = {}
    for column in frame.columns:
        series = frame[column]
        if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
            text = series.map(lambda v: v.strip() if isinstance(v, str) else v)
            # Exports prefix text that starts like a formula with an apostrophe (layers.cells): undo it.
            if text.map(lambda v: isinstance(v, str)).any():  # a column of numbers has nothing to undo
                text = restore_formula_text(text)
            series = text.where(present(text), np.nan)
        out[str(column).strip()] = series
    return pd.DataFrame(out, index=frame.index)


def universal_newlines(text: str) -> str:
    """Text with every line ending (CR LF, or CR alone as old Mac and some exporters write) as LF.

    The CSV parser reads LF and CR LF; a file whose lines end in CR alone is one
    long line to it. A line break inside a quoted value stays a line break.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _delimiter(text: str) -> str:
    """The CSV delimiter, sniffed among , ; tab | from the start of the text."""
    try:
        return csv.Sniffer().sniff(text[:20_000], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _size_error(name: str, columns: int, rows: int, *, max_columns: int, max_cells: int) -> str | None:
    if columns > max_columns:
        return f"{name}: {columns:,} columns; at most {max_columns:,} are read"
    if columns * rows > max_cells:
        return (f"{name}: about {rows:,} rows × {columns:,} columns = {columns * rows:,} cells; at most "
                f"{max_cells:,} are read at once (import it in parts)")
    return None


def check_table_size(text: str, *, name: str, max_columns: int, max_cells: int) -> None:
    """Refuse CSV text with too many columns or cells, from its header line and line count, before parsing."""
    # The widest of the first lines: the header may be below a title line of one cell (:func:`header_row`).
    columns = max((len(row) for row in _first_rows(text, _delimiter(text))), default=0)
    message = _size_error(name, columns, text.count("\n") + 1, max_columns=max_columns, max_cells=max_cells)
    if message:
        raise ValueError(message)


def check_sheet_size(path: Path, sheet: str, *, max_columns: int, max_cells: int) -> None:
    """Refuse a sheet whose declared size (its ``dimension``) has too many columns or cells."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        worksheet = workbook[sheet]
        columns, rows = worksheet.max_column or 0, worksheet.max_row or 0
    finally:
        workbook.close()
    message = _size_error(f"{path.name} (sheet {sheet!r})", columns, rows, max_columns=max_columns,
                          max_cells=max_cells)
    if message:
        raise ValueError(message)


#: Rows looked at for the header: a spreadsheet often has a title (园区企业名录, merged over the columns) and
#: blank rows above it.
HEADER_SEARCH_ROWS = 10
#: What a totals row below the records says in place of a record's values (合计 …; folded: no spaces or colons).
TOTAL_WORDS = frozenset({"合计", "总计", "小计", "共计", "总合计", "累计", "total", "totals", "grandtotal", "subtotal"})


@dataclass
class Table:
    """A table read as cells, with what the reader did to find its records (notes in English, for the report)."""

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    #: The file's row (a sheet's) or line (a CSV's) of the frame's first record, and which of the two it counts:
    #: the frame's index counts records from it (rows left out keep the others' numbers).
    first_record_at: int = 2
    unit: str = "row"

    def file_rows(self) -> np.ndarray:
        """The file's row (or line) of each record of the frame."""
        return self.first_record_at + np.asarray(self.frame.index, dtype=np.int64)


def header_row(first_rows: list[list[object]]) -> int:
    """The position of the header among a table's first rows: the first row naming two columns or more when the
    rows above it hold one cell or none (a title, blank rows); 0 when the first row does, or nothing else fits (a
    table of one column)."""
    filled = [sum(present(pd.Series(row, dtype=object))) for row in first_rows[:HEADER_SEARCH_ROWS]]
    for position, count in enumerate(filled):
        if count >= 2:
            return position
    return 0


def _first_rows(text: str, delimiter: str) -> list[list[str]]:
    """The first :data:`HEADER_SEARCH_ROWS` lines of CSV ``text`` as cells."""
    return list(csv.reader(text.split("\n", HEADER_SEARCH_ROWS)[:HEADER_SEARCH_ROWS], delimiter=delimiter))


def _filled_cells(row) -> list[str]:
    """The cells of ``row`` that hold a value, as text (for the report)."""
    return [str(v).strip() for v in row if present(pd.Series([v], dtype=object)).all()]


def _titles(first_rows: list[list[object]], header: int) -> str:
    """The text of the title rows above the header (one cell each, or none), joined for the report."""
    return " / ".join(cell for row in first_rows[:header] for cell in _filled_cells(row))


def _total_rows(frame: pd.DataFrame) -> np.ndarray:
    """Positions of the rows of ``frame`` with a cell reading a word of :data:`TOTAL_WORDS` (column by column)."""
    found = np.zeros(len(frame), dtype=bool)
    for _, column in frame.items():
        if isinstance(column.dtype, pd.StringDtype):
            text = column.dropna()
        elif column.dtype == object:
            text = column[column.map(lambda v: isinstance(v, str))]
        else:  # (numbers, dates: no word)
            continue
        if len(text):
            words = text.astype(str).str.replace(r"[\s:：]", "", regex=True).str.casefold()
            found[frame.index.get_indexer(text.index[words.isin(TOTAL_WORDS).to_numpy()])] = True
    return np.flatnonzero(found)


def without_totals(table: Table) -> Table:
    """``table`` without its totals rows (a cell reading 合计, 小计, 总计 …: a sum below the records or a group's
    subtotal among them, not a record), each said in the notes with its row of the file (a sheet's row, a CSV's
    line) and its cells."""
    frame = table.frame
    totals = _total_rows(frame)
    if not len(totals):
        return table
    rows = table.file_rows()
    notes = [f"{table.unit} {rows[i]} left out: a totals row ({', '.join(_filled_cells(frame.iloc[i]))}), "
             "not a record" for i in totals]
    keep = np.ones(len(frame), dtype=bool)
    keep[totals] = False
    return Table(frame[keep], [*table.notes, *notes], table.first_record_at, table.unit)


def read_csv_text(text: str) -> Table:
    """Parse CSV text (delimiter sniffed among , ; tab |) into trimmed string cells, its header found below any
    title lines and any totals line below the records left out (both said in the notes)."""
    delimiter = _delimiter(text)
    first = _first_rows(text, delimiter)
    header = header_row(first)
    frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, skiprows=header,
                        skipinitialspace=True, on_bad_lines="error", engine="python")
    table = Table(_clean(frame), _header_notes(first, header, "line"), header + 2, "line")
    return without_totals(table)


def _header_notes(first_rows: list[list[object]], header: int, unit: str) -> list[str]:
    if header == 0:
        return []
    return [f"the header is {unit} {header + 1}: the {unit}(s) above it skipped as a title "
            f"({_titles(first_rows, header) or 'blank'})"]


def sheet_names(path: Path) -> list[str]:
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def read_xlsx(path: Path, *, sheet: str | int = 0) -> Table:
    """One sheet as cells (dates stay dates, numbers numbers), trimmed, its header found below any title rows
    and any totals row below the records left out (both said in the notes)."""
    # Text such as "NA", "NaN" or "null" is a value (a name, a code), not a missing cell: only empty cells are.
    first = pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl", keep_default_na=False,
                          header=None, nrows=HEADER_SEARCH_ROWS).to_numpy().tolist()
    header = header_row(first)
    frame = pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl", keep_default_na=False,
                          header=header)
    frame = frame.loc[:, [not str(c).startswith("Unnamed:") or present(frame[c]).any() for c in frame.columns]]
    table = Table(_clean(frame), _header_notes(first, header, "row"), header + 2, "row")
    return without_totals(table)


def find_column(columns: list[str], names: tuple[str, ...]) -> str | None:
    """The first of ``columns`` whose header (its unit stripped) is one of ``names``, in the order of ``names``."""
    by_base = {}
    for column in columns:
        by_base.setdefault(_base(column), column)
    for name in names:
        if normalise_text(name) in by_base:
            return by_base[normalise_text(name)]
    return None


def declared_crs(frame: pd.DataFrame) -> str | None:
    """The single value of a CRS column, if the table has one."""
    column = find_column(list(frame.columns), CRS_COLUMNS)
    if column is None:
        return None
    values = frame[column].dropna().astype(str).str.strip().unique()
    return values[0] if len(values) == 1 else None


def table_geometry(frame: pd.DataFrame) -> TableGeometry:
    """Geometries from a WKT column, else a coordinate pair; ``geometries`` is None when there is neither."""
    columns = list(frame.columns)
    wkt_column = find_column(columns, WKT_COLUMNS)
    if wkt_column is None:
        for column in columns:
            values = frame[column].dropna()
            if len(values) and values.astype(str).str.strip().str.upper().str.startswith(_WKT_START).all():
                wkt_column = column
                break
    result = TableGeometry(None, declared_crs=declared_crs(frame))
    if wkt_column is not None:
        text = frame[wkt_column]
        geoms = np.full(len(frame), None, dtype=object)
        has = present(text).to_numpy()
        geoms[has] = shapely.from_wkt(text[has].astype(str).to_numpy(), on_invalid="ignore")
        bad = has & shapely.is_missing(geoms)
        result.problems = {int(i): (wkt_column, "not valid WKT", text.iloc[i]) for i in np.flatnonzero(bad)}
        result.problems.update({int(i): (wkt_column, "no geometry (empty cell)", None)
                                for i in np.flatnonzero(~has)})
        result.geometries, result.columns, result.kind = geoms, (wkt_column,), "WKT"
        return result
    pair = coordinate_pair(columns)
    if pair is not None:
        x_column, y_column = pair
        x, x_bad = to_coordinate(frame[x_column])
        y, y_bad = to_coordinate(frame[y_column])
        missing = (x.isna() | y.isna()).to_numpy()
        geoms = np.full(len(frame), None, dtype=object)
        ok = ~missing
        geoms[ok] = shapely.points(x[ok].to_numpy(), y[ok].to_numpy())
        for i in np.flatnonzero(missing):
            which = x_column if pd.isna(x.iloc[i]) else y_column
            raw = frame[which].iloc[i]
            message = "not a number" if (x_bad.iloc[i] or y_bad.iloc[i]) else "coordinate missing"
            result.problems[int(i)] = (which, message, None if pd.isna(raw) else raw)
        result.geometries, result.columns, result.kind = geoms, (x_column, y_column), f"{x_column}/{y_column}"
    return result


def coordinate_pair(columns: list[str]) -> tuple[str, str] | None:
    """The table's columns of x and y (lon and lat, X坐标 and Y坐标 …): the first pair of
    :data:`COORDINATE_PAIRS` it has both of, as written in the header; None when it has none."""
    for x_name, y_name in COORDINATE_PAIRS:
        x_column, y_column = find_column(columns, (x_name,)), find_column(columns, (y_name,))
        if x_column is not None and y_column is not None:
            return x_column, y_column
    return None
