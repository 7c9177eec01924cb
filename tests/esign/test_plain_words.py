"""Plain words and Beijing time: no raw code or UTC instant reaches a person, on pages or in a certificate PDF."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from tests.conftest import csrf_token, login, step_up
from tests.seen_words import leaks, pdf_leaks, seen_text


def _streams(obj, seen: set[int]) -> list[bytes]:
    """The decoded content of an appearance stream and every form it draws, recursively."""
    if isinstance(obj, IndirectObject):
        if obj.idnum in seen:
            return []
        seen.add(obj.idnum)
        obj = obj.get_object()
    out: list[bytes] = []
    if hasattr(obj, "get_data"):
        out.append(obj.get_data())
    resources = obj.get("/Resources") if hasattr(obj, "get") else None
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    for ref in xobjects.get_object().values() if xobjects is not None else []:
        out.extend(_streams(ref, seen))
    return out


def pdf_text(pdf: bytes) -> str:
    """A certificate's page text and the text of its seal stamp (the signature field's appearance)."""
    reader = PdfReader(io.BytesIO(pdf))
    parts = [(page.extract_text() or "").replace("\x00", "") for page in reader.pages]
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            appearance = annot.get_object().get("/AP")
            if appearance is not None:
                for data in _streams(appearance.get_object()["/N"], set()):
                    # Literal strings escape some characters as octal (\055 is "-").
                    text = data.decode("latin-1")
                    parts.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text))
    return "\n".join(parts)


def _download(client: FlaskClient) -> bytes:
    page = client.get("/certificates/preview?kind=person_proof").get_data(as_text=True)
    resp = client.post("/certificates/download", data={"kind": "person_proof", "csrf_token": csrf_token(page)})
    assert resp.status_code == 200
    return resp.data


def test_the_scanner_catches_each_kind_of_leak():
    for raw in (
        "方式：essc",
        "password",
        "错误代码：not_found",
        "2026-12-04T13:14:00",
        "时间（UTC）",
        "事项编码 SB-TY-0001",
        "LD/T 01 5.1",
    ):
        assert leaks(f"<p>{raw}</p>"), raw
    assert not leaks('<input type="password" name="password"><p>登录方式：电子社保卡，2026-12-04 21:14</p>')
    # What nobody sees is not a leak: hidden inputs, attribute values, scripts, styles, hidden elements.
    assert not leaks(
        '<input type="hidden" name="kind" value="person_proof"><a href="/x?kind=not_found" data-x="essc">链接</a>'
        '<script>const t = "2026-12-04T13:14:00Z";</script><style>.x_y{}</style><div hidden>UTC</div>'
        "<template><p>not_found</p></template>"
    )
    # What is read out or shown is: a label, a placeholder, a button's words, the page title.
    for shown in ('<a aria-label="essc">', '<input placeholder="UTC">', '<input type="submit" value="not_found">'):
        assert leaks(shown), shown
    assert leaks("<title>SB-TY-0001</title>") and leaks("<div><p>ok</div><p>in_progress</p>")


def test_every_test_client_scans_what_it_receives():
    from flask import Response
    from flask.testing import FlaskClient

    from tests.seen_words import scan_response

    assert getattr(FlaskClient.open, "_scans_words", False)  # installed for the whole run by tests/conftest.py
    try:
        scan_response("/x", Response("<p>错误代码：not_found</p>", mimetype="text/html"))
    except AssertionError as exc:
        assert "not_found" in str(exc) and "/x" in str(exc)
    else:
        raise AssertionError("a page with a raw code passed the client's scan")
    scan_response("/x", Response('{"code": "not_found"}', mimetype="application/json"))  # codes for programs


def test_account_pages_speak_plainly(esign_client, person):
    login(esign_client, person.id_number)
    for url in ("/", "/account/", "/account/logins"):
        resp = esign_client.get(url)
        assert resp.status_code == 200, url
        assert leaks(resp.get_data(as_text=True)) == [], url
    assert "（北京时间）" in esign_client.get("/account/").get_data(as_text=True)
    assert "密码" in seen_text(esign_client.get("/account/logins").get_data(as_text=True))


def test_certificate_journey_speaks_plainly(esign_client, person):
    login(esign_client, person.id_number)
    step_up(esign_client)
    pdf = _download(esign_client)
    page = esign_client.get("/certificates/").get_data(as_text=True)
    assert leaks(page) == []
    code = re.search(r'<strong class="code">([0-9A-Z-]+)</strong>', page).group(1)
    assert leaks(esign_client.get(f"/verify/?code={code}").get_data(as_text=True)) == []
    upload = esign_client.post(
        "/verify/pdf", data={"pdf": (io.BytesIO(pdf), "doc.pdf")}, content_type="multipart/form-data"
    )
    assert upload.status_code == 200
    assert leaks(upload.get_data(as_text=True)) == []


def test_a_certificate_pdf_and_its_seal_stamp_speak_beijing_time(esign_client, person):
    login(esign_client, person.id_number)
    step_up(esign_client)
    pdf = _download(esign_client)
    text = pdf_text(pdf)
    assert pdf_leaks(pdf) == []  # the page text as pdftotext reads it
    assert "UTC" not in text and not re.search(r"\d{4}-\d{2}-\d{2}T\d", text)
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", text)  # the stamp's time, Beijing
    assert "盖章时间（北京时间）" in re.sub(r"\s", "", text)  # and the page says so beside the seal


def test_error_pages_give_no_error_code(esign_client, person):
    assert leaks(esign_client.get("/no-such-page").get_data(as_text=True)) == []
    login(esign_client, person.id_number)
    step_up(esign_client)
    resp = esign_client.get("/certificates/withdraw/987654321")
    assert resp.status_code == 404 and leaks(resp.get_data(as_text=True)) == []


def test_help_answers_cite_the_rules_in_words(esign_client):
    page = esign_client.get("/help/?q=怎么预约").get_data(as_text=True)
    assert "依据：《社会保险网上经办服务指南》第5.1条" in page
    assert "LD/T" not in seen_text(page) and leaks(page) == []


def test_a_help_answer_built_from_a_guide_names_no_item_code(esign_client):
    page = esign_client.get("/help/?q=灵活就业人员参保登记").get_data(as_text=True)
    assert "灵活就业人员参保登记" in page and "依据：本机构网上服务事项清单" in page
    assert leaks(page) == []


def test_a_hotline_console_page_speaks_plainly(client, make_staff, database_url):
    from gateway.staff.models import StaffRole
    from tests.conftest import staff_login

    staff = make_staff(StaffRole.AGENT, StaffRole.REVIEWER, StaffRole.SUPERVISOR)
    assert staff_login(client, database_url, staff).status_code == 302
    for url in ("/hotline/", "/hotline/applications/"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert leaks(resp.get_data(as_text=True)) == [], url


def test_a_unit_page_speaks_plainly(client, settings):
    from gateway.units.demo_ca import ensure_demo_pki
    from tests.units.test_unit_web import cert_login

    assert cert_login(client, ensure_demo_pki(settings.var_dir)).status_code == 302
    for url in ("/unit/", "/unit/staff", "/unit/contributions"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert leaks(resp.get_data(as_text=True)) == [], url
