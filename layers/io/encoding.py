"""Text encodings of source files: ``.cpg``, then UTF-8, then GB18030; ``--encoding`` overrides.

Chinese Shapefiles are written in GBK by most desktop GIS and CAD tools and in
UTF-8 by newer ones, often without a ``.cpg`` to say which (and GDAL then
assumes ISO-8859-1 and returns mojibake). Strict UTF-8 decoding almost never
succeeds on GBK text, so trying UTF-8 first and GB18030 (a superset of GBK and
GB2312) second tells them apart. Every decision is reported with its reason.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

import numpy as np

from layers.io.shapefile import DbfLayout

#: Tried in order when nothing says which encoding a file uses.
FALLBACK_CODECS = ("utf-8", "gb18030")

#: Code-page numbers found in .cpg files and their Python codecs.
_CODE_PAGES = {"65001": "utf-8", "936": "gbk", "950": "big5", "54936": "gb18030", "20936": "gb2312",
               "28591": "iso8859-1", "88591": "iso8859-1"}

_XML_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""")

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass
class EncodingChoice:
    """The encoding used, why, and the records whose text it could not decode (0-based)."""

    codec: str
    how: str
    bad_records: list[int] = field(default_factory=list)

    @property
    def gdal_name(self) -> str:
        """The name GDAL's iconv understands (``UTF-8``, ``GB18030``, ``CP1252`` …)."""
        name = codecs.lookup(self.codec).name
        return {"utf-8-sig": "UTF-8", "iso8859-1": "ISO-8859-1"}.get(name, name.upper())

    def label(self) -> str:
        return f"{self.gdal_name} ({self.how})"


def resolve_codec(name: str, *, where: str = "--encoding") -> str:
    """The Python codec for an encoding name as written in ``.cpg`` files or by users.

    Accepts names (``UTF-8``, ``GBK``, ``GB18030``, ``Big5``), code pages
    (``936``, ``ANSI 936``, ``CP936``, ``65001``).
    """
    text = str(name).strip().strip("\x00").strip()
    match = re.fullmatch(r"(?:ANSI|CP|CODEPAGE|WINDOWS)?[\s_-]*(\d{3,5})", text, re.IGNORECASE)
    if match:
        number = match.group(1)
        text = _CODE_PAGES.get(number, f"cp{number}")
    try:
        return codecs.lookup(text).name
    except LookupError:
        msg = (f"{where}: unknown text encoding {name!r}; use a name such as UTF-8, GBK, GB18030, Big5 "
               "or a code page such as 936")
        raise ValueError(msg) from None


def _decode_failures(column: np.ndarray, codec: str) -> list[int]:
    """Rows of a fixed-width byte column that do not decode (a character cut at the field end is fine)."""
    try:
        column.tobytes().decode(codec)
        return []
    except UnicodeDecodeError:
        pass  # a value may be cut mid-character by the field width: check value by value
    bad = []
    for row, raw in enumerate(column):
        value = raw.tobytes().rstrip(b" \x00")
        try:
            value.decode(codec)
        except UnicodeDecodeError as exc:
            # Only a value that fills its field can have been cut by the field width.
            cut_at_end = (len(value) == column.shape[1] and exc.start >= len(value) - 3
                          and _decodes_without_tail(value, codec))
            if not cut_at_end:
                bad.append(row)
    return bad


def _decodes_without_tail(value: bytes, codec: str) -> bool:
    """Whether ``value`` decodes once up to 3 trailing bytes of a cut character are dropped."""
    for cut in (1, 2, 3):
        try:
            value[:-cut].decode(codec)
            return True
        except UnicodeDecodeError:
            continue
    return False


def _dbf_failures(layout: DbfLayout, codec: str) -> tuple[list[int], bool]:
    """(records that do not decode, whether the field names decode)."""
    bad: set[int] = set()
    for _, column in layout.text_columns():
        bad.update(_decode_failures(column, codec))
    try:
        for f in layout.fields:
            f.name_bytes.decode(codec)
        names_ok = True
    except UnicodeDecodeError:
        names_ok = False
    return sorted(bad), names_ok


def _non_ascii_rows(layout: DbfLayout) -> int:
    """How many records hold any byte ≥ 0x80 in their text (0 for pure ASCII)."""
    rows = None
    for _, column in layout.text_columns():
        high = np.any(column >= 0x80, axis=1)
        rows = high if rows is None else rows | high
    return 0 if rows is None else int(rows.sum())


def choose_dbf_encoding(layout: DbfLayout, *, override: str | None, cpg_text: str | None) -> EncodingChoice:
    """Pick the encoding of a ``.dbf``: ``--encoding``, else a ``.cpg`` that fits, else UTF-8, else GB18030.

    An encoding "fits" when every record decodes in it, or when only a few
    records fail while most records with non-ASCII text decode: GBK text almost
    never decodes as UTF-8 by chance, so a UTF-8 file with a corrupted record
    stays UTF-8 (the record is reported as damaged) instead of being read as
    GB18030, which accepts nearly any bytes. A ``.cpg`` naming an encoding the
    text is not in (it happens when files are re-saved) is overruled, and the
    report says so.
    """
    if override:
        codec = resolve_codec(override)
        bad, _ = _dbf_failures(layout, codec)
        return EncodingChoice(codec, "given with --encoding", bad)
    non_ascii = _non_ascii_rows(layout)
    names_ascii = all(f.name_bytes.isascii() for f in layout.fields)
    if non_ascii == 0 and names_ascii:
        return EncodingChoice("utf-8", "text is plain ASCII")
    cpg_codec = resolve_codec(cpg_text, where=f"{layout.path.stem}.cpg") if cpg_text else None
    candidates = ([(cpg_codec, f"from {layout.path.stem}.cpg")] if cpg_codec else []) + [
        (codec, ("no .cpg; the text decodes as " if not cpg_codec else
                 f"{layout.path.stem}.cpg says {cpg_text.strip()!r} but the text is not in it; decodes as ")
         + codecs.lookup(codec).name.upper()) for codec in FALLBACK_CODECS if codec != cpg_codec]
    tried = []
    for codec, how in candidates:
        bad, names_ok = _dbf_failures(layout, codec)
        if names_ok and not bad:
            return EncodingChoice(codec, how)
        if names_ok and 2 * len(bad) < non_ascii:
            return EncodingChoice(codec, f"{how}; {len(bad)} record(s) do not decode", bad)
        tried.append((codec, bad))
    # Nothing fits: keep the codec that decodes most and report the rest by number.
    codec, bad = min(tried, key=lambda pair: len(pair[1]))
    return EncodingChoice(codec, "best guess: some records decode in no encoding tried", bad)


def read_cpg(path) -> str | None:
    """The encoding name written in a ``.cpg`` file (None when absent or empty)."""
    if path is None:
        return None
    text = path.read_bytes()[:64].decode("ascii", errors="ignore").strip()
    return text or None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_text(data: bytes, *, override: str | None = None, name: str = "file") -> tuple[str, EncodingChoice]:
    """Decode a text file (CSV, GeoJSON, KML): BOM, ``--encoding``, XML declaration, UTF-8, GB18030.

    Raises
    ------
    ValueError
        Naming the line where the text stops decoding in every encoding tried.
    """
    if override:
        codec = resolve_codec(override)
        try:
            return data.decode(codec), EncodingChoice(codec, "given with --encoding")
        except UnicodeDecodeError as exc:
            msg = f"{name}: line {_line_of(data, exc.start)} is not valid {override} text"
            raise ValueError(msg) from None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec), EncodingChoice(codec, "byte-order mark")
    candidates: list[tuple[str, str]] = []
    declared = _XML_DECLARATION.match(data[:200])
    if declared:
        label = declared.group(1).decode("ascii")
        candidates.append((resolve_codec(label, where=f"{name} XML declaration"), f"declared {label!r} in the file"))
    candidates += [(codec, "decodes as " + codecs.lookup(codec).name.upper()) for codec in FALLBACK_CODECS]
    failures = []
    for codec, how in candidates:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            failures.append(f"{codecs.lookup(codec).name.upper()} fails at line {_line_of(data, exc.start)}")
            continue
        if data.isascii():
            how = "text is plain ASCII"
        return text, EncodingChoice(codec, how)
    msg = f"{name}: cannot decode the text ({'; '.join(failures)}); give the encoding with --encoding"
    raise ValueError(msg)
