"""The certificate embeds only the glyphs it uses, whichever face it was cut from (esign/fonts.py), and the
sealed PDF still passes the independent checkers."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date

import pytest
from fontTools import cffLib
from pyhanko.pdf_utils.reader import PdfFileReader

from esign.codes import DocumentKind, new_code
from esign.documents import Document
from esign.fonts import parsed_face
from esign.render import FONT, Issue, render
from tests.esign.conftest import VERIFY_URL, pyhanko_validate

DOC = Document(
    kind=DocumentKind.PERSON_PROOF,
    holder_name="张三",
    holder_id="110101199003071234",
    id_label="公民身份号码",
    intro="经查询，张三在本机构参加社会保险情况如下，累计缴费 120 个月。特此证明。",
    columns=("险种", "参保状态", "参保日期"),
    rows=(("企业职工基本养老保险", "正常参保", "2016-01-01"), ("失业保险", "正常参保", "—")),
)


def _embedded(pdf: bytes) -> tuple[set[int], set[int], str]:
    """(CIDs in the embedded CFF, CIDs the page's encoding CMap uses, the text its ToUnicode CMap maps to)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    fonts = reader.root["/Pages"]["/Kids"][0]["/Resources"]["/Font"]
    (font,) = [f for f in (ref.get_object() for ref in fonts.values()) if f["/Subtype"] == "/Type0"]
    descriptor = font["/DescendantFonts"][0]["/FontDescriptor"]
    cff = cffLib.CFFFontSet()
    cff.decompile(io.BytesIO(descriptor["/FontFile3"].data), None)
    top = cff.topDictIndex[0]
    embedded = {int(name[3:]) if name.startswith("cid") else 0 for name in top.charset}
    encoding = font["/Encoding"].data.decode("latin-1")
    # Code 0 is fpdf2's reserved .notdef entry (never drawn; it names no glyph of the face).
    used = {int(cid) for code, cid in re.findall(r"<([0-9A-F]{4})> (\d+)", encoding) if code != "0000"}
    to_unicode = font["/ToUnicode"].data.decode("latin-1")
    text = "".join(
        bytes.fromhex(hexa).decode("utf-16-be") for hexa in re.findall(r"<[0-9A-F]{4}> <([0-9A-F]+)>", to_unicode)
    )
    return embedded, used, text


def _issue() -> Issue:
    today = date.today()
    return Issue("示例市社会保险事业管理中心", new_code(DocumentKind.PERSON_PROOF), today, today, VERIFY_URL)


def test_only_the_glyphs_the_page_uses_are_embedded(service):
    face = parsed_face(service.font, FONT)
    assert face.wait_common(180), "the common face was not built"
    pdf = render(DOC, _issue(), service.font).pdf
    embedded, used, text = _embedded(pdf)
    # Exactly the page's glyphs and .notdef (CID 0): not one more, and nowhere near the face's 65,535.
    assert embedded == used | {0}
    assert 30 < len(embedded) < 400
    assert set("张三证明参保养老—") <= set(text)
    assert "龘" not in text


def test_a_rare_character_is_cut_from_the_full_face_with_the_same_exactness(service):
    face = parsed_face(service.font, FONT)
    assert face.wait_common(180)
    rare = replace(DOC, holder_name="张龘", intro=DOC.intro.replace("张三", "张龘"))
    issue = _issue()
    common = _embedded(render(DOC, issue, service.font).pdf)
    full = _embedded(render(rare, issue, service.font).pdf)
    assert "龘" in full[2]  # outside GB 2312: the full face was subset
    assert full[0] == full[1] | {0}
    # The same page with one name character changed (三 → 龘): the glyphs differ by those two only.
    assert len(full[0] ^ common[0]) == 2


QPDF, PDFSIG = shutil.which("qpdf"), shutil.which("pdfsig")


@pytest.mark.skipif(not (QPDF and PDFSIG), reason="Debian's qpdf and poppler-utils are not installed")
def test_a_sealed_certificate_passes_qpdf_pdfsig_and_pyhanko(service, db, tmp_path, request):
    sealed = service.issue(db, DOC, VERIFY_URL).pdf  # the whole path: render, seal, record (pins the TSA root)
    root_pems = request.getfixturevalue("root_pems")  # after the TSA root is pinned
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed)
    qpdf = subprocess.run([QPDF, "--check", str(path)], capture_output=True, text=True, check=False)
    assert qpdf.returncode == 0, qpdf.stdout + qpdf.stderr
    pdfsig = subprocess.run([PDFSIG, str(path)], capture_output=True, text=True, check=False)
    assert "Signature is Valid" in pdfsig.stdout, pdfsig.stdout + pdfsig.stderr
    assert "Total document signed" in pdfsig.stdout
    pyhanko_validate(sealed, root_pems, tmp_path)
