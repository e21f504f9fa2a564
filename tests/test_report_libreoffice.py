"""The Word report opens in LibreOffice (issue 16 "Done when"): Debian's soffice converts the demo park's
``/report.docx`` to PDF headless, and the PDF reads as the committee's report section.

``make test`` installs LibreOffice (``make office``). Each conversion has its own user profile in a temp
directory, so parallel runs never share one (soffice refuses a profile in use), and a time limit.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

#: A cold soffice start and conversion takes 5–20 s on a shared 2-core machine; a hung one must not hang the suite.
SOFFICE_TIMEOUT_S = 180


@pytest.fixture(scope="module")
def demo_client(demo_park):
    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(demo_park.path), "SECRET_KEY": "test"})
    return app.test_client()


def soffice_pdf(docx: bytes, folder) -> bytes:
    """``docx`` converted to PDF by ``soffice --headless`` with a profile of its own in ``folder``."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is not installed: run `make office`"
    source = folder / "report.docx"
    source.write_bytes(docx)
    subprocess.run([soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(folder), str(source)],
                   check=True, capture_output=True, timeout=SOFFICE_TIMEOUT_S)
    return (folder / "report.pdf").read_bytes()


def test_the_demo_parks_word_report_converts_in_libreoffice_and_reads_as_the_report(demo_client, tmp_path):
    answer = demo_client.get("/report.docx?year=2025&lang=zh")
    assert answer.status_code == 200
    reader = PdfReader(io.BytesIO(soffice_pdf(answer.data, tmp_path)))
    # The PDF's text runs break lines and put spaces between Chinese and digits: compare without white space.
    text = "".join("".join(page.extract_text() for page in reader.pages).split())
    assert len(reader.pages) >= 3
    assert "2025年度土地利用工作总结" in text
    for heading in ("一、土地供应与项目建设", "二、闲置土地与低效用地", "三、标准厂房与盘活", "四、基础设施建设",
                    "五、企业效益", "六、土地集约利用评价"):
        assert heading in text
    assert "图1供地与项目建设" in text and "图3" + "2025年园区变化图" in text and "图5评价指标标准化分值" in text
    # LibreOffice shares one resource dictionary among the pages: the charts are the distinct images.
    images = {(image.name, image.image.size) for page in reader.pages for image in page.images}
    # The four charts and the change map came through.
    assert sorted(size for _, size in images) == [(945, 540)] * 4 + [(945, 810)]
