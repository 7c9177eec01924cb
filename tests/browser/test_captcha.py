"""The bot check in a real browser (issue 13): after two wrong passwords the login form carries the ALTCHA widget,
served from our own origin; it is done with the keyboard, the browser solves the proof of work, the form submits
and the person is logged in; axe-core finds nothing on that page."""

from __future__ import annotations

import secrets
from datetime import date

from gateway.identity.service import ensure_person, set_password
from gateway.validation import make_id_number
from tests.browser_fixtures import check_page
from tests.conftest import committing

PASSWORD = "Kx9#mTq2vLw!"


def test_the_widget_solves_with_the_keyboard_and_the_form_submits(app, live_server, phone):
    id_number = make_id_number("610302", date(1958, 8, 8), 100 + secrets.randbelow(800))
    with committing(app) as db:
        vault = app.extensions["shebao_vault"]
        set_password(db, vault, ensure_person(db, vault, id_number, "验证测试"), PASSWORD)
    scripts: list[str] = []
    phone.on("request", lambda r: scripts.append(r.url) if r.resource_type in ("script", "other") else None)

    for _ in range(3):  # two wrong passwords, then the form asks for the check
        phone.goto(f"{live_server}/account/login")
        phone.get_by_label("身份证号码").fill(id_number)
        phone.get_by_label("密码").fill("Wrong#Pass9x")
        phone.get_by_role("button", name="登录").click()
        phone.wait_for_load_state()
    widget = phone.locator("altcha-widget")
    assert widget.count() == 1
    box = phone.get_by_label("我不是自动程序（勾选后浏览器自动完成验证）")
    box.wait_for()
    check_page(phone, "login with the bot check")

    phone.get_by_label("密码").fill(PASSWORD)
    box.focus()
    phone.keyboard.press("Space")
    phone.wait_for_function(
        "() => { const f = document.querySelector('input[name=altcha]'); return f && f.value.length > 20; }",
        timeout=60000,
    )
    assert "验证已完成" in widget.inner_text()
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_load_state()
    assert "/account/login" not in phone.url
    assert "您已通过" in phone.content()  # the "logged in" notice
    # Everything the widget needed came from our own origin: no CDN.
    assert scripts and all(url.startswith(live_server) for url in scripts), scripts
