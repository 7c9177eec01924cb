"""The bot check after failed logins is an ALTCHA proof-of-work challenge (issue 13): no question a script reads
off the page, a solution is accepted once (a replay is refused), a forged or foreign one never; the widget and its
licence are served from our own origin, with a Chinese message when JavaScript is off."""

from __future__ import annotations

import altcha
from altcha import v2

from gateway.identity import captcha
from tests.identity.conftest import PASSWORD
from tests.identity.test_login import _try
from tests.support import solve_captcha

NEEDS = "完成人机验证后再登录"


def _page_with_check(client, member) -> str:
    for _ in range(2):
        _try(client, member.id_number, "Wrong#Pass9x")
    html = _try(client, member.id_number, "Wrong#Pass9x").get_data(as_text=True)
    assert NEEDS in html and "<altcha-widget" in html
    return html


def test_the_page_has_the_widget_and_no_question(client, member):
    html = _page_with_check(client, member)
    assert "等于多少" not in html and 'name="captcha"' not in html
    assert 'language="zh-cn"' in html and "<legend>人机验证</legend>" in html
    assert "<noscript>" in html and "未启用 JavaScript" in html
    for path in (
        "/static/vendor/altcha/altcha.js",
        "/static/vendor/altcha/workers/sha.js",
        "/static/js/altcha-setup.js",
    ):
        assert path in html or path.endswith("sha.js")
        assert client.get(path).status_code == 200
    licence = client.get("/static/vendor/altcha/LICENSE.txt").get_data(as_text=True)
    assert "MIT" in licence or "Permission is hereby granted" in licence


def test_a_solution_counts_once(client, member):
    html = _page_with_check(client, member)
    payload = solve_captcha(html)
    first = _try(client, member.id_number, "Wrong#Pass9x", payload).get_data(as_text=True)
    assert NEEDS not in first and "证件号码或密码不正确" in first  # the check passed; the password did not
    replay = _try(client, member.id_number, PASSWORD, payload)
    assert replay.status_code == 400 and NEEDS in replay.get_data(as_text=True)  # spent: even the right password


def test_a_forged_or_foreign_solution_is_refused(client, member):
    _page_with_check(client, member)
    foreign = altcha.create_challenge(captcha.ALGORITHM, 50, hmac_secret="not-our-key", expires_at=2_000_000_000)
    forged = v2.Payload(challenge=foreign, solution=altcha.solve_challenge(foreign)).to_base64()
    for payload in (forged, "not-a-payload", ""):
        answer = _try(client, member.id_number, PASSWORD, payload)
        assert answer.status_code == 400 and NEEDS in answer.get_data(as_text=True)
