"""The UI's bilingual texts gathered into one gettext catalogue, read back by gettext itself."""

from __future__ import annotations

import gettext
import subprocess
from pathlib import Path

from layers.i18n_catalogue import collect, po_text

ROOT = Path(__file__).resolve().parents[1]


def small_tree(root: Path) -> Path:
    (root / "web").mkdir(parents=True)
    (root / "templates").mkdir()
    (root / "web" / "views.py").write_text(
        'def cards(n, lang):\n'
        '    a = tr("园区面积", "Park area")\n'
        '    b = _t(lang, f"{n} 宗", f"{n} parcels")\n'
        '    c = ("名称", "Name", "")\n'
        '    d = ("abc", "def")  # no Chinese: not a pair\n'
        '    e = ("面积", "100")  # no Latin letter: not a pair\n'
        '    return a, b, c, d, e\n', encoding="utf-8")
    (root / "templates" / "page.html").write_text(
        "<th>{{ tr('名称', 'Name') }}</th>\n"
        '<th>{{ tr("企业名称", "Name") }}</th>\n'
        "<p>{{ tr('%d 个'|format(n), '%d'|format(n)) }}</p>\n"
        "<p>{{ tr('他说\\'好\\'', 'He said \"fine\"') }}</p>\n", encoding="utf-8")
    return root


def test_pairs_are_gathered_with_where_they_are_used(tmp_path):
    entries = collect(small_tree(tmp_path))
    assert [(e.english, e.chinese, e.places) for e in entries] == [
        ("He said \"fine\"", "他说'好'", ["templates/page.html:4"]),
        ("Name", "企业名称", ["templates/page.html:2"]),
        ("Name", "名称", ["web/views.py:4", "templates/page.html:1"]),
        ("Park area", "园区面积", ["web/views.py:2"]),
        ("{n} parcels", "{n} 宗", ["web/views.py:3"]),
    ]


def test_the_catalogue_is_a_valid_po_that_gettext_reads(tmp_path):
    """msgfmt compiles it; Python's gettext finds each translation, the two 'Name's under their own contexts."""
    po = tmp_path / "zh.po"
    po.write_text(po_text(collect(small_tree(tmp_path / "tree"))), encoding="utf-8")
    mo = tmp_path / "zh.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(mo), str(po)], check=True, capture_output=True)
    with open(mo, "rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    assert catalogue.gettext("Park area") == "园区面积"
    assert catalogue.gettext("{n} parcels") == "{n} 宗"
    assert catalogue.gettext('He said "fine"') == "他说'好'"
    assert catalogue.pgettext("web/views.py:4", "Name") == "名称"
    assert catalogue.pgettext("templates/page.html:2", "Name") == "企业名称"


def test_the_products_catalogue_holds_its_texts(tmp_path):
    """The real tree: well over a thousand texts, the overview's KPI label among them, and msgfmt accepts it."""
    entries = collect(ROOT)
    assert len(entries) > 1000
    park_area = [e for e in entries if e.english == "Park area"]
    assert [e.chinese for e in park_area] == ["园区面积"] and park_area[0].places[0].startswith("web/pages.py:")
    po = tmp_path / "parkatlas.po"
    po.write_text(po_text(entries), encoding="utf-8")
    subprocess.run(["msgfmt", "--check", "-o", str(tmp_path / "parkatlas.mo"), str(po)], check=True,
                   capture_output=True)


def test_the_command_writes_the_catalogue(tiny_app, tmp_path):
    out = tmp_path / "zh.po"
    result = tiny_app.test_cli_runner().invoke(args=["i18n-catalogue", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert 'msgid "Park area"\nmsgstr "园区面积"' in text
