"""Certificates print the holder's identity document and a masked number (LD/T 01 6.2.3 b, issue 20)."""

from __future__ import annotations

import pytest

from esign import documents
from gateway.backoffice.demo import DEMO_DOCUMENT_PEOPLE
from gateway.validation import mask_document
from tests.esign.conftest import VERIFY_URL
from tests.esign.test_documents import text_of


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("hongkong", "港澳台居民居住证号码"),
        ("foreigner2023", "外国人永久居留身份证号码"),
        ("passport", "护照（大韩民国）号码"),
    ],
)
def test_the_certificate_shows_the_document_type_and_masked_number(key, label, service, sessions, backoffice):
    holder = next(d for d in DEMO_DOCUMENT_PEOPLE if d.key == key)
    doc = documents.person_proof(backoffice, holder.social_security_number)
    shown_label, masked = doc.shown_id
    number = holder.doc_number.split(":")[-1]
    assert shown_label == label and masked == mask_document(holder.doc_type, holder.doc_number).split(" ")[-1]
    assert number not in masked
    with sessions.begin() as db:
        issued = service.issue(db, doc, VERIFY_URL)
    text = text_of(issued.pdf)
    assert f"{label}：{masked}" in text
    assert number not in text and holder.social_security_number not in text
    assert doc.masked_holder.endswith(f"{label.removesuffix('号码')} {masked}）")
