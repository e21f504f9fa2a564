"""The UI's bilingual texts as one gettext catalogue (PO), read from the source.

ParkAtlas writes each text with both languages side by side where it is used — ``tr('中文', 'English')``
in templates and views, ``_t(lang, '中文', 'English')`` and ``('中文', 'English', unit)`` declarations in
``geo/`` and ``layers/`` — so the two can never drift apart and nothing is shown untranslated. This
module gathers every such pair into one catalogue a translator or reviewer reads in one place (Poedit,
Weblate, or ``msgfmt --check``): English ``msgid``, Chinese ``msgstr``, and where each is used.

A pair is two string literals side by side — in a call's arguments or a tuple — the first holding Chinese
(CJK ideographs), the second none but some Latin letters. f-strings keep their ``{placeholders}``.
Template pairs are ``tr('…', '…')`` calls with plain string arguments; a ``tr`` whose arguments are
expressions (``'%d 个'|format(n)``) is not read and not listed.

When one English text is translated differently in different places (``Name`` is 名称 for a parcel and
企业名称 for an enterprise), each translation gets its own entry with the first place as its ``msgctxt``,
so the catalogue stays valid and the different wordings are visible side by side.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: Where the texts live, relative to the project root.
PYTHON_ROOTS = ("app.py", "web", "geo", "layers", "service")
TEMPLATE_ROOT = "templates"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")
_QUOTED = r"""(?:'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)")"""
TEMPLATE_PAIR = re.compile(rf"\btr\(\s*{_QUOTED}\s*,\s*{_QUOTED}\s*\)")


@dataclass
class Entry:
    """One translation: English source, Chinese text, the places it is used (``path:line``)."""

    english: str
    chinese: str
    places: list[str] = field(default_factory=list)


def _literal(node: ast.AST) -> str | None:
    """A string literal's text; an f-string's source with its ``{placeholders}``; else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        source = ast.unparse(node)
        return source[2:-1]  # f"…" → …
    return None


def is_pair(chinese: str | None, english: str | None) -> bool:
    return bool(chinese and english and CJK.search(chinese) and not CJK.search(english) and LATIN.search(english))


def python_pairs(path: Path, shown_as: str) -> Iterator[tuple[str, str, str]]:
    """``(english, chinese, place)`` of the literal pairs in one Python file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        items = node.args if isinstance(node, ast.Call) else node.elts if isinstance(node, ast.Tuple) else ()
        for first, second in zip(items, items[1:]):
            chinese, english = _literal(first), _literal(second)
            if is_pair(chinese, english):
                yield english, chinese, f"{shown_as}:{first.lineno}"


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def template_pairs(path: Path, shown_as: str) -> Iterator[tuple[str, str, str]]:
    """``(english, chinese, place)`` of the ``tr('…', '…')`` calls with plain string arguments in a template."""
    source = path.read_text(encoding="utf-8")
    for match in TEMPLATE_PAIR.finditer(source):
        chinese = _unescape(match.group(1) if match.group(1) is not None else match.group(2))
        english = _unescape(match.group(3) if match.group(3) is not None else match.group(4))
        if is_pair(chinese, english):
            yield english, chinese, f"{shown_as}:{source.count(chr(10), 0, match.start()) + 1}"


def _files(root: Path, name: str, pattern: str) -> Iterable[Path]:
    where = root / name
    return [where] if where.is_file() else sorted(where.rglob(pattern))


def collect(root: Path) -> list[Entry]:
    """Every pair under ``root``, one entry per distinct (English, Chinese), ordered by English then first use."""
    found: dict[tuple[str, str], Entry] = {}
    sources = [(path, python_pairs) for name in PYTHON_ROOTS for path in _files(root, name, "*.py")]
    sources += [(path, template_pairs) for path in _files(root, TEMPLATE_ROOT, "*.html")]
    for path, read in sources:
        for english, chinese, place in read(path, path.relative_to(root).as_posix()):
            found.setdefault((english, chinese), Entry(english, chinese)).places.append(place)
    return sorted(found.values(), key=lambda entry: (entry.english, entry.places[0]))


def _po_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    lines = escaped.split("\n")
    if len(lines) == 1:
        return f'"{escaped}"'
    parts = [line + "\\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    return '""\n' + "\n".join(f'"{part}"' for part in parts)


def po_text(entries: list[Entry], *, project: str = "ParkAtlas") -> str:
    """The entries as a gettext PO catalogue (English → Chinese, UTF-8)."""
    translations = defaultdict(int)
    for entry in entries:
        translations[entry.english] += 1
    out = [f"# {project}: the UI's texts, English source → Chinese, gathered from the code "
           "(flask --app app i18n-catalogue).",
           'msgid ""', 'msgstr ""', '"Project-Id-Version: ParkAtlas\\n"', '"PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\\n"', '"Last-Translator: ParkAtlas\\n"',
           '"Language-Team: ParkAtlas\\n"', '"Language: zh_CN\\n"',
           '"MIME-Version: 1.0\\n"', '"Content-Type: text/plain; charset=UTF-8\\n"',
           '"Content-Transfer-Encoding: 8bit\\n"', ""]
    for entry in entries:
        out.append("#: " + " ".join(entry.places))
        if translations[entry.english] > 1:
            out.append(f"msgctxt {_po_string(entry.places[0])}")
        out += [f"msgid {_po_string(entry.english)}", f"msgstr {_po_string(entry.chinese)}", ""]
    return "\n".join(out)


def write_po(entries: list[Entry], path: Path) -> None:
    """Write the catalogue of ``entries`` to ``path`` (UTF-8)."""
    Path(path).write_text(po_text(entries), encoding="utf-8")
