"""Plain words and Beijing time: no raw code or UTC instant reaches a person, on pages or in a certificate PDF."""

from __future__ import annotations

import html as html_lib
import io
import re

from flask.testing import FlaskClient
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from tests.conftest import csrf_token, login, step_up

#: What must never reach a person: system codes of login methods and errors, ISO instants, UTC, and (issue 15)
#: the catalog's item codes and clause codes of the standards (a rule is cited in words).
RAW = re.compile(
    r"\bessc(_qr)?\b|\bpassword(_sms)?\b|not_found|\d{4}-\d{2}-\d{2}T\d|UTC|\bSB-[A-Z]{2,3}-\d{4}\b|LD/T|GB/T"
)
_ATTRS = re.compile(r'\b(?:aria-label|alt|title|placeholder)="([^"]*)"')


def seen_text(page: str) -> str:
    """What a person reads on an HTML page: its text and the attributes read out or shown."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    shown = " ".join(_ATTRS.findall(page))
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page) + " " + shown)


def leaks(page: str) -> list[str]:
    """The raw codes and UTC instants on ``page``, as found."""
    return [m.group(0) for m in RAW.finditer(seen_text(page))]


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
    assert upload.status_code == 200 and leaks(upload.get_data(as_text=True)) == []


def test_a_certificate_pdf_and_its_seal_stamp_speak_beijing_time(esign_client, person):
    login(esign_client, person.id_number)
    step_up(esign_client)
    pdf = _download(esign_client)
    text = pdf_text(pdf)
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
