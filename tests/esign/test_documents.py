"""Every document renders, seals and verifies — in process and by `pyhanko sign validate` as a separate process."""

from __future__ import annotations

import io
import re

import pypdfium2
import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from esign import codes, documents
from esign.codes import DocumentKind
from esign.documents import DocumentError
from esign.service import Outcome
from esign.validate import PdfVerdict, check_pdf
from gateway.backoffice.models import BoUnit
from tests.esign.conftest import VERIFY_URL, pyhanko_validate

#: The 权益证明类 documents made from the back office alone; receipts are tested in test_receipts.py.
PROOF_KINDS = [
    DocumentKind.PERSON_PROOF,
    DocumentKind.CONTRIBUTION_RECORD,
    DocumentKind.BENEFIT_PAYMENTS,
    DocumentKind.UNIT_PROOF,
]


def _account(accounts, key: str):
    return next(a for a in accounts if a.key == key)


def _latest_period(backoffice, id_number: str) -> int:
    return backoffice.contributions(id_number, 1, 1).items[0].period


def build(kind: DocumentKind, backoffice, accounts, db):
    employee = _account(accounts, "employee").id_number
    if kind is DocumentKind.PERSON_PROOF:
        return documents.person_proof(backoffice, employee)
    if kind is DocumentKind.CONTRIBUTION_RECORD:
        end = _latest_period(backoffice, employee)
        return documents.contribution_record(backoffice, employee, end - 100 + 1, end)
    if kind is DocumentKind.BENEFIT_PAYMENTS:
        retiree = _account(accounts, "retiree").id_number
        last = backoffice.benefit_payments(retiree, 1, 1).items[0].period
        return documents.benefit_payments(backoffice, retiree, last - 100 + 1, last)
    credit_code = db.scalar(sa.select(BoUnit.credit_code).order_by(BoUnit.id).limit(1))
    return documents.unit_proof(backoffice, credit_code)


def text_of(pdf: bytes) -> str:
    """The PDF's text as a viewer extracts it (PDFium, Chromium's PDF engine)."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


@pytest.fixture(scope="module")
def issued(service, sessions, backoffice, accounts):
    out = {}
    with sessions.begin() as db:
        for kind in PROOF_KINDS:
            out[kind] = service.issue(db, build(kind, backoffice, accounts, db), VERIFY_URL)
    return out


@pytest.mark.parametrize("kind", PROOF_KINDS)
def test_document_renders_seals_and_verifies(kind, issued, service, db):
    doc = issued[kind]
    text = text_of(doc.pdf)
    assert kind.label in text
    assert codes.display(doc.code) in text  # the code is real text, not only the QR
    assert "示例市社会保险事业管理中心" in text and "验证地址" in text
    check = check_pdf(doc.pdf, service.trust_roots(), service.tsa_roots())
    assert check.verdict is PdfVerdict.SEALED, check
    assert check.timestamp_trusted  # PAdES B-T: the TSA's token is there and trusted
    lookup = service.lookup(db, codes.display(doc.code))
    assert lookup.outcome is Outcome.GENUINE
    assert lookup.record.kind is kind and lookup.record.fingerprint == check.fingerprint
    # Only a keyed hash is stored, and the holder only masked.
    assert doc.code not in lookup.record.code_hash and "*" in lookup.record.holder_masked


def test_the_font_is_embedded_and_subset(issued):
    reader = PdfReader(io.BytesIO(issued[DocumentKind.PERSON_PROOF].pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for ref in fonts.values():
        descendant = ref.get_object()["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        assert re.match(r"^/[A-Z]{6}\+", descriptor["/FontName"])  # subset tag
        embedded = descriptor.get("/FontFile3") or descriptor.get("/FontFile2")
        assert embedded is not None and len(embedded.get_object().get_data()) < 200_000


@pytest.mark.parametrize("kind", PROOF_KINDS)
def test_pyhanko_cli_accepts_each_document(kind, issued, root_pems, tmp_path):
    """The independent check: pyHanko's own command line, trusting only the agency root (and the TSA's)."""
    pyhanko_validate(issued[kind].pdf, root_pems, tmp_path)


def test_bad_periods_are_refused_with_chinese_messages(backoffice, accounts):
    employee = _account(accounts, "employee").id_number
    with pytest.raises(DocumentError, match="起始月份"):
        documents.contribution_record(backoffice, employee, 202405, 202401)
    with pytest.raises(DocumentError, match="十年"):
        documents.contribution_record(backoffice, employee, 200001, 202412)
    with pytest.raises(DocumentError, match="年-月"):
        documents.parse_period("2024-13")
    with pytest.raises(DocumentError, match="没有缴费记录"):
        documents.contribution_record(backoffice, employee, 199101, 199112)
    assert documents.parse_period("2024-03") == 202403


def test_sealing_and_checking_work_inside_a_running_event_loop(service, sessions, backoffice, accounts):
    """pyHanko's sync API calls asyncio.run; an async caller (or a Playwright session on the thread) must not
    break sealing."""
    import asyncio

    async def caller():
        with sessions.begin() as db:
            issued = service.issue(db, documents.person_proof(backoffice, accounts[0].id_number), VERIFY_URL)
        return check_pdf(issued.pdf, service.trust_roots(), service.tsa_roots())

    # On a fresh thread, so the test does not depend on whatever loop this thread may be running already.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(lambda: asyncio.run(caller())).result().verdict is PdfVerdict.SEALED
