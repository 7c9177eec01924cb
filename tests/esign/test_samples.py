"""The renderer's sample mode (LD/T 01 5.6.2 表格样例): the certificate layout and font, "样例" on every page, and
nothing that could ever verify — no signature, no seal, no anti-forgery code, no QR."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from esign.fonts import find_cjk_font
from esign.render import SAMPLE_MARK, SampleSection, render_sample

AGENCY = "示例市社会保险事业管理中心"
PDFTOTEXT, PDFSIG = shutil.which("pdftotext") or "pdftotext", shutil.which("pdfsig") or "pdfsig"


def _pdftotext(pdf: bytes, tmp_path, page: int | None = None) -> str:
    path = tmp_path / "sample.pdf"
    path.write_bytes(pdf)
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        [PDFTOTEXT, "-layout", *pages, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def long_sample() -> bytes:
    rows = tuple((f"示例项目{i:02d}", f"示例值{i:02d}（示例）") for i in range(70))  # spills onto a third page
    return render_sample("示例申请表", [SampleSection("申请内容", rows)], AGENCY, find_cjk_font())


def test_every_page_carries_the_sample_mark(long_sample, tmp_path):
    reader = PdfFileReader(io.BytesIO(long_sample))
    pages = int(reader.root["/Pages"]["/Count"])
    assert pages >= 3
    for page in range(1, pages + 1):
        assert SAMPLE_MARK in _pdftotext(long_sample, tmp_path, page), f"page {page} has no watermark"


def test_the_given_rows_are_printed_with_their_labels(long_sample, tmp_path):
    text = _pdftotext(long_sample, tmp_path)
    assert "示例申请表" in text and "（样例）" in text
    for i in (0, 35, 69):
        assert re.search(rf"示例项目{i:02d}\s+示例值{i:02d}（示例）", text)
    assert "不能作为证明或申请使用" in text


def test_a_sample_has_no_signature_no_seal_and_no_code(long_sample, tmp_path):
    reader = PdfFileReader(io.BytesIO(long_sample))
    assert reader.embedded_signatures == []
    assert "/AcroForm" not in reader.root  # no signature field, not even an empty one for a seal
    path = tmp_path / "sample.pdf"
    path.write_bytes(long_sample)
    pdfsig = subprocess.run([PDFSIG, str(path)], capture_output=True, text=True, check=False)
    assert "does not contain any signatures" in pdfsig.stdout + pdfsig.stderr
    text = _pdftotext(long_sample, tmp_path)
    assert "防伪码：" not in text and "验证地址" not in text and "扫码验证" not in text
    # No anti-forgery code in the certificates' printed form (three hyphenated groups of six).
    assert not re.search(r"[0-9A-Z]{6}-[0-9A-Z]{6}-[0-9A-Z]{6}", text)
    assert b"/Subtype /Image" not in long_sample  # no seal picture and no raster at all


def test_the_same_input_gives_the_same_bytes():
    """A public sample is cacheable by its ETag: drawing it again gives the very same file."""
    font = find_cjk_font()
    section = [SampleSection("申请人", (("姓名", "张示例（示例）"),))]
    assert render_sample("表", section, AGENCY, font) == render_sample("表", section, AGENCY, font)
