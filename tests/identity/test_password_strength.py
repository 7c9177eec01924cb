"""Password strength (ASVS 5.0 V6.2; issue 13): passwords that pass the character rule but are common or easy to
guess are refused in Chinese — zxcvbn's list of 30,000 breached passwords (with the digits and symbols a rule asks
for stripped), our own list of Chinese favourites, the person's birth date / ID / phone, and zxcvbn's estimate."""

from __future__ import annotations

import pytest

from gateway.identity.passwords import WEAK_COMMON, WEAK_GUESSABLE, WEAK_PERSONAL, password_problem
from gateway.identity.service import AGREEMENT_VERSION
from tests.identity.conftest import last_code, post_form

ID_NUMBER = "110101199003071234"  # born 1990-03-07
PHONE = "13907310962"


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Password123!", WEAK_COMMON),  # "password" dressed up for the character rule
        ("P@ssw0rd2026", WEAK_COMMON),
        ("Aa123456789", WEAK_COMMON),
        ("Abc@123456", WEAK_COMMON),
        ("Woaini@1314", WEAK_COMMON),  # 我爱你一生一世: not in an English list
        ("Qwer!1234", WEAK_GUESSABLE),  # a keyboard run and a sequence
        ("Aaaaaa!1", WEAK_GUESSABLE),  # repeats
        ("Summer2026!", WEAK_COMMON),  # a breached password and a year
        ("Zxcv!1234", WEAK_GUESSABLE),  # a keyboard run and a sequence
        ("Zhang@19900307", WEAK_PERSONAL),  # the birth date of the ID number
        ("Xy!900307abc", WEAK_PERSONAL),  # the same date, two-digit year
        ("Mobile#07310962", WEAK_PERSONAL),  # the phone's last eight digits
    ],
)
def test_passwords_that_pass_the_character_rule_but_are_weak(password, why):
    classes = (str.isupper, str.islower, str.isdigit, lambda c: not c.isalnum())
    assert sum(any(test(c) for c in password) for test in classes) >= 3  # the character rule alone lets it in
    assert password_problem(password, id_number=ID_NUMBER, phone=PHONE) == why


@pytest.mark.parametrize("password", ["Kx9#mTq2vLw!", "Qinchuan#2027", "Shebao#2026", "秦川Liu#Ming7"])
def test_strong_passwords_pass(password):
    assert password_problem(password, id_number=ID_NUMBER, phone=PHONE) is None


def test_registration_refuses_a_common_password_in_chinese(client, insured, sms_inbox):
    form = {
        "id_number": insured.id_number,
        "name": insured.name,
        "phone": insured.phone,
        "password": "Password123!",
        "password_again": "Password123!",
        "agree": "y",
        "agreement_version": AGREEMENT_VERSION,
    }
    refused = post_form(client, "/account/register", form)
    assert refused.status_code == 400 and "这个密码太常见" in refused.get_data(as_text=True)
    assert sms_inbox(insured.phone) == []  # no code is sent for a refused form


def test_a_reset_refuses_the_birth_date_before_spending_the_code(client, member, sms_inbox):
    assert post_form(client, "/account/reset", {"id_number": member.id_number, "name": member.name}).status_code == 302
    code = last_code(sms_inbox(member.phone))
    weak = f"Ab!{member.id_number[6:14]}"
    refused = post_form(client, "/account/reset/code", {"code": code, "password": weak, "password_again": weak})
    assert refused.status_code == 400 and "出生日期" in refused.get_data(as_text=True)
    strong = "Kx9#mTq2vLw!"
    done = post_form(client, "/account/reset/code", {"code": code, "password": strong, "password_again": strong})
    assert done.status_code == 200  # the code was not spent on the weak try
