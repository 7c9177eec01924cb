"""Receipts of an application (LD/T 01 5.3.1 d, 5.4.2.2 a–c): the acceptance notice, the result notice and the
transfer contribution voucher — rendered, sealed, verifiable, issued once, and only to the applicant."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import func, select

from esign import codes
from esign.codes import DocumentKind
from esign.documents import DocumentError
from esign.models import IssuedDocument, Receipt
from esign.service import Outcome
from esign.validate import PdfVerdict, check_pdf
from gateway import create_app
from gateway.applications import notices as receipts
from gateway.applications import service as applications
from gateway.applications.models import ApplicationStatus
from gateway.applications.service import Staff
from gateway.backoffice.models import Scheme
from gateway.catalog import load_catalog
from gateway.identity.models import Person
from gateway.security.limits import limiter
from tests.applications.conftest import essc_login
from tests.conftest import login, step_up
from tests.esign.conftest import VERIFY_URL, pyhanko_validate
from tests.esign.test_documents import text_of

NOW = datetime(2026, 11, 23, 10, 0)
PENSION_A = Staff("S1001", "王审核", "养老保险科")
PENSION_B = Staff("S1002", "张复核", "养老保险科")


def apply(db, backoffice, person, id_number, item_id: str, **form):
    item = load_catalog().get(item_id)
    app, errors = applications.save_form(db, person.id, item, {"phone": "13800138000", **form}, now=NOW)
    assert errors == []
    return applications.submit(db, app, backoffice=backoffice, id_number=id_number, risk_confirmed=True, now=NOW)


def at_stage(db, backoffice, applicant, stage: str, item_id: str = "retirement-pension-claim", **form):
    """An application brought to ``stage`` (submitted, accepted, approved or rejected) and committed, as the
    requests that moved it would have."""
    person, id_number, _ = applicant
    app = apply(db, backoffice, person, id_number, item_id, **form)
    if stage != "submitted":
        applications.accept(db, app, PENSION_A, now=NOW)
    if stage == "approved":
        applications.approve(db, app, PENSION_A, now=NOW, text="自2026年12月起按月发放基本养老金。")
        if app.status is ApplicationStatus.FIRST_APPROVED:  # a risky item: a second member reviews
            applications.approve(db, app, PENSION_B, now=NOW, text="已转出至新参保地。")
    elif stage == "rejected":
        applications.reject(db, app, PENSION_A, "未达到法定退休年龄。", now=NOW)
    db.commit()
    return app


def flat(pdf: bytes) -> str:
    """The PDF's text without the line breaks the layout put inside sentences."""
    return "".join(text_of(pdf).split())


def issue(db, service, backoffice, vault, app, kind):
    return receipts.receipt(
        db,
        service,
        app,
        kind,
        vault=vault,
        person=db.get(Person, app.person_id),
        backoffice=backoffice,
        verify_url=VERIFY_URL,
    )


# ---------------------------------------------------------------- documents


CASES = {
    DocumentKind.ACCEPTANCE_NOTICE: ("accepted", "retirement-pension-claim", {}),
    DocumentKind.RESULT_NOTICE: ("approved", "retirement-pension-claim", {}),
    DocumentKind.TRANSFER_VOUCHER: ("accepted", "pension-transfer-out", {"destination": "四川省成都市"}),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_each_receipt_renders_seals_and_verifies(kind, db, service, backoffice, vault, applicant, request, tmp_path):
    stage, item_id, form = CASES[kind]
    app = at_stage(db, backoffice, applicant, stage, item_id, **form)
    file, fresh = issue(db, service, backoffice, vault, app, kind)
    assert fresh
    text = flat(file.pdf)
    assert kind.label in text and app.number in text and app.item_name in text
    assert applicant[1] not in text and applicant[1][:3] in text  # the ID number printed masked only
    assert "本凭证加盖电子印章" in text
    check = check_pdf(file.pdf, service.trust_roots(), service.tsa_roots())
    assert check.verdict is PdfVerdict.SEALED and check.timestamp_trusted
    code = text.split("防伪码：")[1][:20]
    lookup = service.lookup(db, code)
    assert lookup.outcome is Outcome.GENUINE and lookup.record.kind is kind
    facts = dict(lookup.facts)
    assert facts["申请编号"] == app.number  # key facts on /verify/
    # The roots only once a document has pinned the sandbox TSA's root (embedded mode).
    pyhanko_validate(file.pdf, request.getfixturevalue("root_pems"), tmp_path)


def test_notices_say_what_happened(db, service, backoffice, vault, applicant):
    accepted = at_stage(db, backoffice, applicant, "accepted")
    notice, _ = issue(db, service, backoffice, vault, accepted, DocumentKind.ACCEPTANCE_NOTICE)
    text = flat(notice.pdf)
    assert "经审查符合受理条件" in text and f"{accepted.due_date:%Y年%m月%d日}" in text  # the promised limit
    assert "养老保险科" in text

    rejected = at_stage(db, backoffice, applicant, "rejected")
    result, _ = issue(db, service, backoffice, vault, rejected, DocumentKind.RESULT_NOTICE)
    text = flat(result.pdf)
    assert "不予办理" in text and "未达到法定退休年龄" in text and "行政复议" in text
    record = db.get(IssuedDocument, result.document_id)
    assert ["办理结果", "不予办理"] in json.loads(record.facts)


def test_transfer_voucher_sums_the_transferred_scheme(db, service, backoffice, vault, applicant):
    app = at_stage(db, backoffice, applicant, "accepted", "pension-transfer-out", destination="四川省成都市")
    voucher, _ = issue(db, service, backoffice, vault, app, DocumentKind.TRANSFER_VOUCHER)
    text = flat(voucher.pdf)
    pension = []
    page = 1
    while True:
        result = backoffice.contributions(applicant[1], page, 200)
        pension += [r for r in result.items if r.scheme is Scheme.PENSION]
        if not result.has_next:
            break
        page += 1
    months = len({r.period for r in pension})
    assert f"实际缴费{months}个月" in text and "四川省成都市" in text and "个人账户储存额" in text
    years = {r.period // 100 for r in pension}
    assert all(f"{y}年" in text for y in years)


def test_issued_once_per_application_and_stage(db, service, backoffice, vault, applicant):
    app = at_stage(db, backoffice, applicant, "accepted")
    first, fresh = issue(db, service, backoffice, vault, app, DocumentKind.ACCEPTANCE_NOTICE)
    again, fresh_again = issue(db, service, backoffice, vault, app, DocumentKind.ACCEPTANCE_NOTICE)
    assert fresh and not fresh_again
    assert again.pdf == first.pdf and again.document_id == first.document_id  # same file, same code
    count = db.scalar(select(func.count()).select_from(IssuedDocument).where(IssuedDocument.scope == app.number))
    assert count == 1
    # Finishing it adds the result notice; the acceptance notice stays what it was.
    applications.approve(db, app, PENSION_A, now=NOW)
    result, _ = issue(db, service, backoffice, vault, app, DocumentKind.RESULT_NOTICE)
    assert result.document_id != first.document_id
    kinds = set(db.scalars(select(Receipt.kind).where(Receipt.application_id == app.id)))
    assert kinds == {DocumentKind.ACCEPTANCE_NOTICE, DocumentKind.RESULT_NOTICE}


def test_a_receipt_waits_for_its_stage(db, service, backoffice, vault, applicant):
    submitted = at_stage(db, backoffice, applicant, "submitted")
    assert receipts.available(submitted) == ()
    for kind in receipts.RECEIPT_KINDS:
        with pytest.raises(DocumentError) as exc:
            issue(db, service, backoffice, vault, submitted, kind)
        assert exc.value.code == "not_available" and exc.value.message
    accepted = at_stage(db, backoffice, applicant, "accepted")
    assert receipts.available(accepted) == (DocumentKind.ACCEPTANCE_NOTICE,)  # not a transfer: no voucher
    refused = at_stage(db, backoffice, applicant, "rejected", "pension-transfer-out", destination="陕西省西安市")
    assert receipts.available(refused) == (DocumentKind.ACCEPTANCE_NOTICE, DocumentKind.RESULT_NOTICE)
    # A voucher issued while the transfer was open is no longer handed out once it is refused.
    transfer = at_stage(db, backoffice, applicant, "accepted", "pension-transfer-out", destination="陕西省西安市")
    voucher, _ = issue(db, service, backoffice, vault, transfer, DocumentKind.TRANSFER_VOUCHER)
    code = flat(voucher.pdf).split("防伪码：")[1][:20]
    assert service.lookup(db, code).outcome is Outcome.GENUINE
    # The console withdraws it in the refusal's own transaction (channels/hotline/applications.py).
    assert receipts.withdraw_voucher(db, transfer)
    applications.reject(db, transfer, PENSION_A, "转入地信息有误。", now=NOW)
    with pytest.raises(DocumentError):
        issue(db, service, backoffice, vault, transfer, DocumentKind.TRANSFER_VOUCHER)
    # ...and anyone checking the printed voucher's code learns it no longer stands.
    assert service.lookup(db, code).outcome is Outcome.REVOKED
    assert not receipts.withdraw_voucher(db, at_stage(db, backoffice, applicant, "accepted"))  # nothing to withdraw


# ---------------------------------------------------------------- the progress page


def test_progress_page_offers_the_receipts_and_only_to_the_applicant(
    esign_client, esign_app, db, backoffice, applicant, accounts
):
    person, id_number, name = applicant
    app = at_stage(db, backoffice, applicant, "submitted")
    anonymous = esign_client.get(f"/progress/{app.number}/receipts/acceptance_notice")
    assert anonymous.status_code == 302 and "/account/login" in anonymous.location

    essc_login(esign_client, id_number, name)
    page = esign_client.get(f"/progress/{app.number}").get_data(as_text=True)
    assert "下载受理通知单" not in page  # not yet accepted
    early = esign_client.get(f"/progress/{app.number}/receipts/acceptance_notice")
    assert early.status_code == 409 and "尚未受理" in early.get_data(as_text=True)

    applications.accept(db, app, PENSION_A, now=NOW)
    db.commit()
    page = esign_client.get(f"/progress/{app.number}").get_data(as_text=True)
    assert "下载受理通知单" in page and "下载结果告知单" not in page
    first = esign_client.get(f"/progress/{app.number}/receipts/acceptance_notice")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert "attachment" in first.headers["Content-Disposition"] and "no-store" in first.headers["Cache-Control"]
    again = esign_client.get(f"/progress/{app.number}/receipts/acceptance_notice")
    assert again.data == first.data  # re-download: the same sealed document, not a new code
    # Anyone handed the notice can check it on /verify/ with its key facts.
    code = flat(first.data).split("防伪码：")[1][:20]
    verify = esign_client.get(f"/verify/?code={code}").get_data(as_text=True)
    assert 'data-outcome="genuine"' in verify and "受理通知单" in verify and app.number in verify
    assert "受理日期" in verify and "办结时限" in verify
    assert esign_client.get(f"/progress/{app.number}/receipts/unit_proof").status_code == 404

    applications.approve(db, app, PENSION_A, now=NOW)
    db.commit()
    page = esign_client.get(f"/progress/{app.number}").get_data(as_text=True)
    assert "下载受理通知单" in page and "下载结果告知单" in page
    assert esign_client.get(f"/progress/{app.number}/receipts/result_notice").status_code == 200

    # Someone else, logged in: told the application does not exist.
    other = esign_app.test_client()
    login(other, accounts[1].id_number)
    step_up(other)
    refused = other.get(f"/progress/{app.number}/receipts/acceptance_notice")
    assert refused.status_code == 404 and b"%PDF" not in refused.data
    assert other.get(f"/progress/{app.number}").status_code == 404


def test_staff_of_the_handling_department_get_a_receipt(
    esign_settings, seal_dir, db, backoffice, applicant, make_staff, database_url
):
    from gateway.staff.models import AuditAction, AuditEntry, StaffRole
    from tests.conftest import staff_login

    app = at_stage(db, backoffice, applicant, "accepted")
    department = applications.department_for(load_catalog().get(app.item_id))
    staff_app = create_app(esign_settings)
    try:
        url = f"/hotline/applications/{app.number}/receipts/acceptance_notice"
        elsewhere = staff_app.test_client()
        staff_login(elsewhere, database_url, make_staff(StaffRole.REVIEWER, department="另一个科"))
        assert elsewhere.get(url).status_code == 404  # not their department: as if the application did not exist
        reviewer = make_staff(StaffRole.REVIEWER, department=department)
        client = staff_app.test_client()
        staff_login(client, database_url, reviewer)
        resp = client.get(url)
        assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
        db.expire_all()
        trail = db.scalars(select(AuditEntry).where(AuditEntry.staff_id == reviewer.id)).all()
        assert any(e.action is AuditAction.VIEWED and e.person_id == app.person_id for e in trail)
    finally:
        limiter.reset()
        staff_app.extensions["shebao_engine"].dispose()


def test_the_anonymous_lookup_page_has_no_receipt_links(esign_client, db, backoffice, applicant):
    from tests.conftest import csrf_token

    app = at_stage(db, backoffice, applicant, "accepted")
    form = esign_client.get("/progress/").get_data(as_text=True)
    resp = esign_client.post(
        "/progress/lookup", data={"number": app.number, "id_number": applicant[1], "csrf_token": csrf_token(form)}
    )
    assert resp.status_code == 200 and app.number in resp.get_data(as_text=True)
    assert "下载受理通知单" not in resp.get_data(as_text=True)


def test_codes_for_receipts_are_their_own_kinds():
    symbols = {k.symbol for k in DocumentKind}
    assert len(symbols) == len(DocumentKind)
    for kind in receipts.RECEIPT_KINDS:
        assert codes.kind_of(codes.new_code(kind)) is kind


def test_a_receipt_speaks_for_the_application_as_it_stood_and_verification_says_when_it_moved_on(
    db, service, backoffice, vault, applicant
):
    """As a certificate keeps its holder's record version, a receipt keeps its application's: the PDF names the
    date it speaks for, and once the application moves on (the acceptance notice of a claim since decided)
    verification still answers genuine and says the handling has changed since."""
    from gateway.certificates import verification

    app = at_stage(db, backoffice, applicant, "accepted")
    file, _ = issue(db, service, backoffice, vault, app, DocumentKind.ACCEPTANCE_NOTICE)
    assert "本凭证反映截至" in flat(file.pdf)
    db.commit()
    code = flat(file.pdf).split("防伪码：")[1][:20]
    facts = verification.document_facts(service.lookup(db, code), backoffice=backoffice, sealer=service, session=db)
    assert facts["as_of_text"].startswith("本凭证反映截至") and facts["record_changed"] is False
    assert facts["as_of_text"] in flat(file.pdf).replace(" ", "") or facts["as_of_text"].replace(" ", "") in flat(
        file.pdf
    )
    applications.approve(db, app, PENSION_A, now=NOW, text="自2026年12月起按月发放基本养老金。")
    db.commit()
    lookup = service.lookup(db, code)
    facts = verification.document_facts(lookup, backoffice=backoffice, sealer=service, session=db)
    assert lookup.outcome is Outcome.GENUINE and facts["record_changed"] is True
    assert "该申请的办理情况已有变化" in facts["record_changed_text"]
