"""Text encodings of source files: ``.cpg``, then UTF-8, then GB18030 or Big5; ``--encoding`` overrides.

Chinese Shapefiles are written in GBK by most desktop GIS and CAD tools, in
Big5 in Taiwan and Hong Kong, and in UTF-8 by newer tools, often without a
``.cpg`` to say which (and GDAL then assumes ISO-8859-1 and returns mojibake).
Strict UTF-8 decoding almost never succeeds on GBK or Big5 text, so UTF-8 is
tried first. GB18030 (a superset of GBK and GB2312) and Big5 both decode
most of each other's bytes, so between them the characters the text decodes
into decide (:mod:`layers.io.hanzi`), with a confidence; the first decoded
values in each are kept, so a person can see which one reads. Every decision
is reported with its reason.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers.io.hanzi import BIG5, SCRIPTS, guess_script
from layers.io.shapefile import DbfLayout

#: Tried in order when nothing says which encoding a file uses (then GB18030 or Big5, by the characters).
FALLBACK_CODECS = ("utf-8",)
#: Encodings of Chinese text and the script family each belongs to (a ``.cpg`` naming one is checked against
#: the characters the text decodes into).
CHINESE_FAMILIES = {"gbk": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030", "big5": BIG5, "cp950": BIG5,
                    "big5hkscs": BIG5}
#: Below this confidence the choice between GB18030 and Big5 is reported as unsure (1 in 100 wrong), and a
#: ``.cpg`` is not overruled. Overridden by :class:`layers.io.options.ImportChecks`.
DEFAULT_MIN_CONFIDENCE = 0.99
#: Distinct non-ASCII values the script guess reads (more adds time, not certainty), and how much of a text
#: file it looks through for them.
SAMPLE_VALUES = 2000
SAMPLE_TEXT_BYTES = 4 * 1024 * 1024
#: Decoded values kept per candidate encoding to show people.
SHOWN_VALUES = 6

#: Code-page numbers found in .cpg files and their Python codecs.
_CODE_PAGES = {"65001": "utf-8", "936": "gbk", "950": BIG5, "54936": "gb18030", "20936": "gb2312",
               "28591": "iso8859-1", "88591": "iso8859-1"}

_XML_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""")

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
#: Runs of bytes that can be (part of) a two-byte Chinese value: trail bytes are 0x40 and above, so controls,
#: spaces, digits and ASCII punctuation end a value.
_TEXT_VALUE = re.compile(rb"[\x40-\xff]*[\x80-\xff][\x40-\xff]*")
_NEWLINE = re.compile(rb"\r\n|\r|\n")


def display_name(codec: str) -> str:
    """The name people know an encoding by (``Big5`` for code page 950, ``GB18030``, ``UTF-8`` …)."""
    name = codecs.lookup(codec).name
    if CHINESE_FAMILIES.get(name) == BIG5:
        return "Big5"
    return {"utf-8-sig": "UTF-8", "iso8859-1": "ISO-8859-1", "utf-16": "UTF-16", "utf-16-le": "UTF-16LE",
            "utf-16-be": "UTF-16BE"}.get(name, name.upper())


@dataclass
class EncodingChoice:
    """The encoding used, why, and the records whose text it could not decode (0-based).

    When the text was told GB18030 from Big5 by its characters, ``confidence``
    is the probability that the choice is right and ``samples`` the first
    distinct values as each candidate decodes them (candidate codec → values).
    """

    codec: str
    how: str
    bad_records: list[int] = field(default_factory=list)
    confidence: float | None = None
    samples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def gdal_name(self) -> str:
        """The name GDAL's iconv understands (``UTF-8``, ``GB18030``, ``CP950`` …)."""
        name = codecs.lookup(self.codec).name
        return {"utf-8-sig": "UTF-8", "iso8859-1": "ISO-8859-1"}.get(name, name.upper())

    @property
    def name(self) -> str:
        return display_name(self.codec)

    def unsure(self, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> bool:
        """Whether the choice between GB18030 and Big5 is less certain than ``min_confidence``."""
        return self.confidence is not None and self.confidence < min_confidence

    def label(self) -> str:
        return f"{self.name} ({self.how})"


def percent(confidence: float) -> str:
    """A confidence as people read it, rounded down (never a 100 % that is only nearly so): 87.3 %, > 99.9 %."""
    if confidence > 0.999:
        return "> 99.9 %"
    return f"{np.floor(confidence * 1000) / 10:.1f} %"


def _samples(values: list[bytes], codecs_: tuple[str, ...]) -> dict[str, list[str]]:
    return {codec: [v.decode(codec, errors="replace") for v in values[:SHOWN_VALUES]] for codec in codecs_}


def _script_how(chosen: str, guess, prefix: str) -> tuple[str, float]:
    """The reason for choosing ``chosen`` among GB18030 and Big5, and the confidence in it."""
    confidence = guess.confidence if chosen == guess.codec else 1.0 - guess.confidence
    other = guess.other if chosen == guess.codec else guess.codec
    how = (f"{prefix}reads as {display_name(chosen)} ({SCRIPTS[chosen]}) rather than {display_name(other)}: "
           f"confidence {percent(confidence)}")
    return how, confidence


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


#: A dBASE field name holds at most this many bytes: writers cut longer names there, inside a character if need be
#: (GDAL and ArcGIS cut 用地面积, 12 bytes in UTF-8, to 10: the last character's first byte is left).
DBF_NAME_BYTES = 10
#: The most bytes of a character the cut can leave (UTF-8 and GB18030 characters are up to 4 bytes long).
_CUT_CHARACTER_BYTES = 3


def field_name(name_bytes: bytes, codec: str) -> tuple[str, bool]:
    """A ``.dbf`` field name in ``codec`` and whether a character was cut from its end at :data:`DBF_NAME_BYTES`
    (the part of it left is dropped); ``UnicodeDecodeError`` when it does not decode either way."""
    try:
        return name_bytes.decode(codec), False
    except UnicodeDecodeError:
        if len(name_bytes) != DBF_NAME_BYTES:
            raise
        for cut in range(1, _CUT_CHARACTER_BYTES + 1):
            try:
                return name_bytes[:-cut].decode(codec), True
            except UnicodeDecodeError:
                continue
        raise


def _dbf_failures(layout: DbfLayout, codec: str) -> tuple[list[int], bool]:
    """(records that do not decode, whether the field names decode: a name cut inside a character does)."""
    bad: set[int] = set()
    for _, column in layout.text_columns():
        bad.update(_decode_failures(column, codec))
    try:
        for f in layout.fields:
            field_name(f.name_bytes, codec)
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


def _distinct_first(raw_values, limit: int) -> list[bytes]:
    """The first ``limit`` distinct values, in the order they come."""
    return list(dict.fromkeys(raw_values))[:limit]


def _dbf_values(layout: DbfLayout, *, limit: int = SAMPLE_VALUES) -> list[bytes]:
    """Distinct non-ASCII values of the text fields, then field names (the first ``limit``).

    Values are taken in turn from each field (its first value, then each
    field's second …), so the first few shown to people span the fields.
    """
    per_field = []
    for _, column in layout.text_columns():
        rows = np.ascontiguousarray(column[np.any(column >= 0x80, axis=1)])
        if len(rows):
            # One fixed-width byte string per record, deduplicated by hashing in file order (sorting 10⁵
            # rows of bytes takes seconds).
            values = pd.unique(rows.view(f"S{rows.shape[1]}").ravel().astype(object))[:limit]
            per_field.append([v.rstrip(b" \x00") for v in values])
    in_turn = [values[k] for k in range(max(map(len, per_field), default=0)) for values in per_field if k < len(values)]
    names = [f.name_bytes.split(b"\x00")[0] for f in layout.fields if not f.name_bytes.isascii()]
    return _distinct_first(in_turn + names, limit)


def _dbf_candidates(layout: DbfLayout, cpg_codec: str | None, cpg_text: str | None, values: list[bytes],
                    min_confidence: float):
    """Encodings to try in order (codec, reason, whether chosen by its characters); and the script guess."""
    stem = layout.path.stem
    guess = guess_script(values)
    candidates: list[tuple[str, str, bool]] = []
    if cpg_codec:
        family = CHINESE_FAMILIES.get(cpg_codec)
        if family and family != guess.codec and guess.confidence >= min_confidence:
            prefix = f"{stem}.cpg says {cpg_text.strip()!r} but the text "
        else:
            candidates.append((cpg_codec, f"from {stem}.cpg", False))
            prefix = f"{stem}.cpg says {cpg_text.strip()!r} but the text is not in it; it "
    else:
        prefix = "no .cpg; the text "
    for codec in FALLBACK_CODECS:
        if codec != cpg_codec:
            candidates.append((codec, prefix + "decodes as " + display_name(codec), False))
    for codec in (guess.codec, guess.other):
        if codec != cpg_codec:
            candidates.append((codec, prefix, True))
    return candidates, guess


def choose_dbf_encoding(layout: DbfLayout, *, override: str | None, cpg_text: str | None,
                        min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> EncodingChoice:
    """Pick the encoding of a ``.dbf``: ``--encoding``, else a ``.cpg`` that fits, else UTF-8, else GB18030 or Big5.

    An encoding "fits" when every record decodes in it, or when only a few
    records fail while most records with non-ASCII text decode: GBK text almost
    never decodes as UTF-8 by chance, so a UTF-8 file with a corrupted record
    stays UTF-8 (the record is reported as damaged) instead of being read as
    GB18030, which accepts nearly any bytes. GB18030 and Big5 are tried in the
    order their characters make likely (:func:`layers.io.hanzi.guess_script`).
    A ``.cpg`` naming an encoding the text is not in (it happens when files are
    re-saved) is overruled, and the report says so; a ``.cpg`` naming one
    Chinese script for text that reads as the other with at least
    ``min_confidence`` is overruled too.
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
    values = _dbf_values(layout)
    candidates, guess = _dbf_candidates(layout, cpg_codec, cpg_text, values, min_confidence)
    tried = []
    for codec, how, by_script in candidates:
        bad, names_ok = _dbf_failures(layout, codec)
        fits = names_ok and (not bad or 2 * len(bad) < non_ascii)
        if fits:
            return _dbf_choice(codec, how, bad, guess if by_script else None, values)
        tried.append((codec, how, bad, by_script))
    # Nothing fits: keep the codec that decodes most and report the rest by number.
    codec, how, bad, by_script = min(tried, key=lambda entry: len(entry[2]))
    choice = _dbf_choice(codec, how, bad, guess if by_script else None, values)
    choice.how = f"best guess: some records decode in no encoding tried ({choice.how})"
    return choice


def _dbf_choice(codec: str, how: str, bad: list[int], guess, values: list[bytes]) -> EncodingChoice:
    """The choice of ``codec``; one made by the characters (``guess``) says how sure it is and shows both readings."""
    confidence, samples = None, {}
    if guess is not None:
        how, confidence = _script_how(codec, guess, how)
        samples = _samples(values, (codec, guess.other if codec == guess.codec else guess.codec))
    if bad:
        how += f"; {len(bad)} record(s) do not decode"
    return EncodingChoice(codec, how, bad, confidence, samples)


def read_cpg(path) -> str | None:
    """The encoding name written in a ``.cpg`` file (None when absent or empty)."""
    if path is None:
        return None
    text = path.read_bytes()[:64].decode("ascii", errors="ignore").strip()
    return text or None


def _line_of(data: bytes, offset: int) -> int:
    """The line (1-based) of byte ``offset``, whatever the line endings (CR LF, LF or CR alone)."""
    return len(_NEWLINE.findall(data, 0, offset)) + 1


def utf16_parity(head: bytes) -> str | None:
    """``utf-16-le``/``-be`` when ``head`` looks like UTF-16 without a byte-order mark (Excel's "Unicode text").

    Every ASCII character (delimiters, digits, line ends) has a zero high byte:
    many zeros at one parity and few at the other mean UTF-16 (a Chinese
    character such as 一, U+4E00, has a zero low byte: the other parity is not
    always free of them).
    """
    head = head[:4096]
    head = head[: len(head) - len(head) % 2]
    if len(head) < 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    pairs = len(head) // 2
    for codec, zeros, stray in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros >= max(pairs // 10, 1) and 8 * stray <= zeros:
            return codec
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """The UTF-16 codec of ``data`` when it looks like UTF-16 and decodes as it."""
    codec = utf16_parity(data)
    if codec is None:
        return None
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return None
    return codec


def _text_values(data: bytes, *, limit: int = SAMPLE_VALUES) -> list[bytes]:
    """Distinct runs of bytes that hold non-ASCII text (cells, names), from the start of ``data``."""
    return _distinct_first(_TEXT_VALUE.findall(data, 0, SAMPLE_TEXT_BYTES), limit)


def decode_text(data: bytes, *, override: str | None = None, name: str = "file") -> tuple[str, EncodingChoice]:
    """Decode a text file (CSV, GeoJSON, KML): BOM, ``--encoding``, UTF-16, XML declaration, UTF-8, GB18030/Big5.

    GB18030 and Big5 are tried in the order their characters make likely, and
    the choice carries its confidence and the first values in both.

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
    utf16 = _utf16_without_bom(data)
    if utf16:
        return data.decode(utf16), EncodingChoice(utf16, "no byte-order mark; the zero bytes of its ASCII characters say so")
    candidates: list[tuple[str, str]] = []
    declared = _XML_DECLARATION.match(data[:200])
    if declared:
        label = declared.group(1).decode("ascii")
        candidates.append((resolve_codec(label, where=f"{name} XML declaration"), f"declared {label!r} in the file"))
    candidates += [(codec, "decodes as " + display_name(codec)) for codec in FALLBACK_CODECS]
    failures = []
    for codec, how in candidates:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            failures.append(f"{display_name(codec)} fails at line {_line_of(data, exc.start)}")
            continue
        if data.isascii():
            how = "text is plain ASCII"
        return text, EncodingChoice(codec, how)
    values = _text_values(data)
    guess = guess_script(values)
    for codec in (guess.codec, guess.other):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            failures.append(f"{display_name(codec)} fails at line {_line_of(data, exc.start)}")
            continue
        how, confidence = _script_how(codec, guess, "not UTF-8; ")
        other = guess.other if codec == guess.codec else guess.codec
        return text, EncodingChoice(codec, how, confidence=confidence, samples=_samples(values, (codec, other)))
    msg = f"{name}: cannot decode the text ({'; '.join(failures)}); give the encoding with --encoding"
    raise ValueError(msg)
