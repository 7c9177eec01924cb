"""Registration and login with every identity document of LD/T 01 6.2.3 b on the web (issue 20): each type's own
check and message, one person and one account whichever document is shown (6.2.1), 我的 shows the document
and the social security card number (6.2.3 d)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gateway.clients import get_backoffice
from gateway.identity.service import AGREEMENT_VERSION, IdentityError, Registration, register
from gateway.security.limits import limiter
from gateway.validation import DocumentType, mask_document
from tests.conftest import committing, csrf_token
from tests.identity.conftest import PASSWORD, last_code, post_form
from tests.identity.documents_helpers import Holder, add_holder


def _register(client, holder: Holder, doc_type: DocumentType, number: str, country: str = ""):
    if doc_type is DocumentType.PASSPORT:
        country, number = number.split(":")
    return post_form(
        client,
        "/account/register",
        {
            "doc_type": doc_type.value,
            "country": country,
            "id_number": number,
            "name": holder.name,
            "phone": holder.phone,
            "password": PASSWORD,
            "password_again": PASSWORD,
            "agree": "y",
            "agreement_version": AGREEMENT_VERSION,
        },
    )


def _login(client, doc_type: DocumentType, number: str, password: str = PASSWORD):
    country = ""
    if doc_type is DocumentType.PASSPORT:
        country, number = number.split(":")
    page = client.get("/account/login")
    return client.post(
        "/account/login",
        data={
            "doc_type": doc_type.value,
            "country": country,
            "id_number": number,
            "password": password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )


def _finish(client, holder: Holder, sms_inbox):
    return post_form(client, "/account/register/code", {"code": last_code(sms_inbox(holder.phone))})


def test_a_hong_kong_resident_registers_and_logs_in_with_the_residence_permit(
    client, app, database_url, sms_inbox
) -> None:
    holder = add_holder(database_url, "hk", "何家豪")
    ((doc_type, permit),) = holder.documents
    resp = _register(client, holder, doc_type, permit.lower())  # the x typed in lower case is fine
    assert resp.status_code == 302, resp.get_data(as_text=True)
    done = _finish(client, holder, sms_inbox)
    assert done.status_code == 200 and "注册成功" in done.get_data(as_text=True)
    page = client.get("/account/").get_data(as_text=True)
    assert f"港澳台居民居住证 {mask_document(doc_type, permit)}" in page
    assert permit not in page
    card = page.split('id="my-card">')[1].split("<")[0]
    assert card[0] == "Z" and "*" in card
    client.post("/account/logout", data={"csrf_token": csrf_token(page)})
    assert _login(client, doc_type, permit).status_code == 302
    with app.extensions["shebao_engine"].connect() as conn:
        kinds = conn.execute(sa.text("SELECT doc_type FROM person ORDER BY id DESC LIMIT 1")).scalar()
    assert kinds == "hmt_permit"


def test_a_foreigner_is_one_person_whether_passport_or_permanent_residence_id(client, app, database_url, sms_inbox):
    holder = add_holder(database_url, "foreigner", "彼得·琼斯")
    (pr_type, pr_number), (passport_type, passport) = holder.documents
    assert _register(client, holder, passport_type, passport).status_code == 302
    assert _finish(client, holder, sms_inbox).status_code == 200
    page = client.get("/account/").get_data(as_text=True)
    assert "护照（英国）" in page and passport.split(":")[1] not in page
    client.post("/account/logout", data={"csrf_token": csrf_token(page)})
    # The permanent residence ID finds the same person: no second account (LD/T 01 6.2.1) …
    # (through the service: the web form would only add a second SMS code to the same phone within the minute)
    with pytest.raises(IdentityError) as refused, committing(app) as db:
        register(
            db,
            app.extensions["shebao_vault"],
            get_backoffice(),
            Registration(pr_number, holder.name, holder.phone, PASSWORD, PASSWORD, AGREEMENT_VERSION, pr_type.value),
        )
    assert refused.value.code == "already_registered" and "已用其他证件开通了网上账户" in refused.value.message
    # … and logs in to it, as the passport does.
    assert _login(client, pr_type, pr_number).status_code == 302
    client.post("/account/logout", data={"csrf_token": csrf_token(client.get("/account/").get_data(as_text=True))})
    assert _login(client, passport_type, passport).status_code == 302


def test_each_type_is_refused_with_what_is_wrong(client, database_url) -> None:
    holder = add_holder(database_url, "hk", "黄美玲")
    ((_, permit),) = holder.documents
    cases = [
        (DocumentType.RESIDENT_ID, permit, "这是港澳台居民居住证号码"),
        (DocumentType.RESIDENCE_PERMIT, "610302198805120210", "地区代码不是港澳台居住证"),
        (DocumentType.RESIDENCE_PERMIT, permit[:-1] + ("0" if permit[-1] != "0" else "1"), "居住证号码校验位不正确"),
        (DocumentType.PERMANENT_RESIDENCE, "12345", "15位（2017年版）或18位（2023年版）"),
        (DocumentType.PASSPORT, "XYZ:E1234567", "不正确，请从列表中选择"),
    ]
    for doc_type, number, message in cases:
        resp = _register(client, holder, doc_type, number)
        text = resp.get_data(as_text=True)
        assert resp.status_code == 400 and message in text, (doc_type, number)
        assert "身份证号码校验位不正确" not in text
    unknown = post_form(client, "/account/login", {"doc_type": "driving", "id_number": permit, "password": PASSWORD})
    assert unknown.status_code == 400 and "请选择证件类型" in unknown.get_data(as_text=True)


def test_an_unknown_passport_fails_like_a_wrong_password(client, database_url) -> None:
    holder = add_holder(database_url, "foreigner", "玛丽·史密斯")
    nobody = _login(client, DocumentType.PASSPORT, "GBR:NOBODY123")
    wrong = _login(client, DocumentType.PASSPORT, holder.documents[1][1], "Wrong#Pass2026")
    assert nobody.status_code == wrong.status_code == 400
    message = "证件号码或密码不正确"
    assert (message in nobody.get_data(as_text=True)) == (message in wrong.get_data(as_text=True))


def test_old_forms_without_a_document_type_still_mean_the_resident_id(client, accounts) -> None:
    page = client.get("/account/login")
    resp = client.post(
        "/account/login",
        data={
            "id_number": accounts[0].id_number,
            "password": PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert resp.status_code == 302
    assert "居民身份证 610" in client.get("/account/").get_data(as_text=True)


def test_a_passport_holder_resets_the_password_with_the_passport(client, database_url, sms_inbox) -> None:
    """LD/T 01 6.2.5 d with another document: the code goes to the phone of the person behind the passport."""
    holder = add_holder(database_url, "foreigner", "诺亚·威尔逊")
    _pr, (passport_type, passport) = holder.documents
    assert _register(client, holder, passport_type, passport).status_code == 302
    assert _finish(client, holder, sms_inbox).status_code == 200
    client.post("/account/logout", data={"csrf_token": csrf_token(client.get("/account/").get_data(as_text=True))})
    limiter.reset()  # the registration's code went to this phone a moment ago (one a minute per phone)
    country, number = passport.split(":")
    asked = post_form(
        client, "/account/reset", {"doc_type": "passport", "country": country, "id_number": number, "name": holder.name}
    )
    assert asked.status_code == 302
    new = "Renewed#Pass2026"
    done = post_form(
        client,
        "/account/reset/code",
        {"code": last_code(sms_inbox(holder.phone)), "password": new, "password_again": new},
    )
    assert done.status_code in (200, 302), done.get_data(as_text=True)[-2000:]
    assert _login(client, passport_type, passport, new).status_code == 302
