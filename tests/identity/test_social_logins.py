"""WeChat website login (wechatpy's WeChatOAuth against the WeChat sandbox) and Alipay login (RSA2-signed
open API against the Alipay sandbox) on the web channel: state checks, single-use codes, forged signatures,
binding an unbound identity to a real-name person once (DESIGN "Identity"; LD/T 01 6.2.5 b), and the same
logins in a real browser at 360 px with axe."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from gateway.identity import alipay
from tests.browser_fixtures import in_browser
from tests.conftest import csrf_token, login
from tests.identity.conftest import Insured, last_code

PROVIDER = {
    # start path, approve-button value field for the test user, the callback's code parameter
    "wechat": ("/account/wechat/start", "openid", "code"),
    "alipay": ("/account/alipay/start", "user_id", "auth_code"),
}


@pytest.fixture
def second(_unregistered_pool: list[Insured], app) -> Insured:
    """Another back-office person with no online account (for the one-credential-one-person rule)."""
    from tests.support import take_untouched

    return take_untouched(app, _unregistered_pool, "unregistered demo people")


def approve(location: str, user: str, field: str, decision: str = "allow") -> requests.Response:
    """What the person does on the provider's page (the sandbox): confirm as test user ``user``."""
    url = location.split("#")[0]  # WeChat's URLs end in #wechat_redirect
    page = requests.get(url, timeout=5)
    assert page.status_code == 200, page.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    form = {k: query[k] for k in ("appid", "app_id", "redirect_uri", "scope", "state") if k in query}
    form.update({field: user, "decision": decision})
    return requests.post(url, data=form, allow_redirects=False, timeout=5)


def callback_path(resp: requests.Response) -> str:
    assert resp.status_code == 302, resp.text
    parts = urlsplit(resp.headers["Location"])
    return f"{parts.path}?{parts.query}"


def provider_login(client, provider: str, user: str, query: str = "?next=/account/"):
    """Start at the gateway, approve at the provider, come back: the gateway's answer to the callback."""
    start_path, field, _ = PROVIDER[provider]
    start = client.get(start_path + query)
    assert start.status_code == 302, start.status_code
    return client.get(callback_path(approve(start.location, user, field)))


def bind_with_sms(client, who: Insured, sms_inbox):
    """Bind step 1 (ID number + name) and step 2 (the SMS code); the answer to step 2."""
    page = client.get("/account/social/bind")
    assert page.status_code == 200
    sent = client.post(
        "/account/social/bind",
        data={"id_number": who.id_number, "name": who.name, "csrf_token": csrf_token(page.get_data(as_text=True))},
    )
    refusal = re.search(r'id="error-summary".*?</div>', sent.get_data(as_text=True), re.S)
    assert sent.status_code == 302 and sent.location.endswith("/account/social/bind/code"), (
        sent.status_code,
        refusal and re.sub(r"<[^>]+>|\s+", " ", refusal.group(0)),
    )
    page = client.get("/account/social/bind/code")
    return client.post(
        "/account/social/bind/code",
        data={"code": last_code(sms_inbox(who.phone)), "csrf_token": csrf_token(page.get_data(as_text=True))},
    )


def new_user(provider: str) -> str:
    return ("o" + secrets.token_hex(13)) if provider == "wechat" else "2088" + str(secrets.randbelow(10**12)).zfill(12)


@pytest.mark.parametrize("provider", ["wechat", "alipay"])
def test_unbound_identity_binds_once_then_logs_in_at_level_2(client, insured, sms_inbox, provider):
    user = new_user(provider)
    start = client.get(PROVIDER[provider][0] + "?next=/account/")
    query = parse_qs(urlsplit(start.location.split("#")[0]).query)
    if provider == "wechat":
        assert query["scope"] == ["snsapi_login"] and query["response_type"] == ["code"] and query["state"]
    else:
        assert query["scope"] == ["auth_user"] and query["state"]
    back = client.get(callback_path(approve(start.location, user, PROVIDER[provider][1])))
    assert back.status_code == 302 and back.location.endswith("/account/social/bind")
    # Unbound: not logged in, no personal data.
    assert client.get("/account/").status_code == 302
    done = bind_with_sms(client, insured, sms_inbox)
    assert done.status_code == 302 and done.location == "/account/"
    page = client.get("/account/").get_data(as_text=True)
    assert "2 级" in page and {"wechat": "微信", "alipay": "支付宝"}[provider] in page
    # Next time the bound identity logs straight in.
    client.post("/account/logout", data={"csrf_token": csrf_token(page)})
    again = provider_login(client, provider, user)
    assert again.status_code == 302 and again.location == "/account/"
    assert "2 级" in client.get("/account/").get_data(as_text=True)


def test_wechat_state_mismatch_and_reuse_are_refused(client, app):
    start = client.get("/account/wechat/start")
    approved = approve(start.location, new_user("wechat"), "openid")
    path = callback_path(approved)
    forged = path.replace("state=", "state=x")
    assert client.get(forged).status_code == 400  # not the state this browser started
    # The state was spent by that attempt: the genuine callback no longer works either.
    refused = client.get(path)
    assert refused.status_code == 400 and "登录请求已失效" in refused.get_data(as_text=True)
    # A callback arriving in another browser (login CSRF) is refused too.
    start = client.get("/account/wechat/start")
    other = app.test_client()
    assert other.get(callback_path(approve(start.location, new_user("wechat"), "openid"))).status_code == 400


def test_a_replayed_wechat_code_is_refused(client, sandbox_url):
    user = new_user("wechat")
    start = client.get("/account/wechat/start")
    first = callback_path(approve(start.location, user, "openid"))
    client.get(first)
    code = parse_qs(urlsplit(first).query)["code"][0]
    # The sandbox answers a used code with WeChat's 40163 ...
    answer = requests.get(
        f"{sandbox_url}/wechat/sns/oauth2/access_token",
        params={
            "appid": "wxsandboxweb00001",
            "secret": "sandbox-wechat-web-secret",
            "code": code,
            "grant_type": "authorization_code",
        },
        timeout=5,
    ).json()
    assert answer["errcode"] == 40163
    # ... and the gateway refuses the same code under a fresh, valid state.
    start = client.get("/account/wechat/start")
    state = parse_qs(urlsplit(start.location.split("#")[0]).query)["state"][0]
    replay = client.get(f"/account/wechat/callback?code={code}&state={state}")
    assert replay.status_code == 400 and "微信授权未通过" in replay.get_data(as_text=True)


def test_a_cancelled_authorization_comes_back_without_a_login(client):
    start = client.get("/account/alipay/start")
    back = client.get(callback_path(approve(start.location, new_user("alipay"), "user_id", decision="deny")))
    assert back.status_code == 400 and "取消" in back.get_data(as_text=True)


def test_a_forged_alipay_response_signature_is_refused(client, sandbox_url):
    requests.put(f"{sandbox_url}/alipay/sandbox/fault", json={"fault": "bad_response_sign"}, timeout=5)
    try:
        refused = provider_login(client, "alipay", new_user("alipay"))
    finally:
        requests.put(f"{sandbox_url}/alipay/sandbox/fault", json={"fault": ""}, timeout=5)
    assert refused.status_code == 400 and "支付宝授权未通过" in refused.get_data(as_text=True)
    assert client.get("/account/").status_code == 302  # nobody logged in


def test_alipay_signing_follows_the_open_api_rules(settings):
    cfg = alipay.config_from(settings, "http://localhost/cb")
    params = {"method": "alipay.user.info.share", "app_id": "1", "sign_type": "RSA2", "empty": "", "sign": "x"}
    # Sorted, empty values and ``sign`` left out, ``sign_type`` kept, values raw.
    assert alipay.sign_content(params) == "app_id=1&method=alipay.user.info.share&sign_type=RSA2"
    body = '{"alipay_user_info_share_response":{"code":"10000","user_id":"2088"},"sign":"abc"}'
    assert alipay.response_node_text(body, "alipay_user_info_share_response") == '{"code":"10000","user_id":"2088"}'
    from sandboxes.alipay import _sign

    text = '{"code":"10000","user_id":"2088"}'
    assert alipay.rsa2_verify(cfg.alipay_public_key, text, _sign(text))
    assert not alipay.rsa2_verify(cfg.alipay_public_key, text.replace("2088", "2089"), _sign(text))


def test_an_identity_bound_once_cannot_be_bound_to_a_second_person(app, insured, second, sms_inbox):
    user = new_user("wechat")
    first, other = app.test_client(), app.test_client()
    # Both browsers come back unbound with the same WeChat user before either binds.
    assert provider_login(first, "wechat", user).location.endswith("/account/social/bind")
    assert provider_login(other, "wechat", user).location.endswith("/account/social/bind")
    assert bind_with_sms(first, insured, sms_inbox).status_code == 302
    refused = bind_with_sms(other, second, sms_inbox)
    assert refused.status_code == 409 and "已绑定其他用户" in refused.get_data(as_text=True)
    assert other.get("/account/").status_code == 302


def test_bind_refuses_details_that_do_not_match(client, insured):
    provider_login(client, "alipay", new_user("alipay"))
    page = client.get("/account/social/bind")
    resp = client.post(
        "/account/social/bind",
        data={"id_number": insured.id_number, "name": "不对", "csrf_token": csrf_token(page.get_data(as_text=True))},
    )
    assert resp.status_code == 400 and "不一致" in resp.get_data(as_text=True)
    assert client.get("/account/social/bind/code").location.endswith("/account/social/bind")


def test_the_last_login_method_cannot_be_unbound(client, insured, sms_inbox):
    # A person whose only way in is WeChat (no password registered).
    provider_login(client, "wechat", new_user("wechat"))
    assert bind_with_sms(client, insured, sms_inbox).status_code == 302
    page = client.get("/account/credentials")
    html = page.get_data(as_text=True)
    cred_id = html.split('name="credential_id" value="')[1].split('"')[0]
    refused = client.post("/account/credentials", data={"credential_id": cred_id, "csrf_token": csrf_token(html)})
    assert refused.status_code == 400 and "唯一的登录方式" in refused.get_data(as_text=True)


def _step_up_to_level_2(client, who: Insured, sms_inbox) -> None:
    page = client.get("/account/step-up/sms")
    client.post("/account/step-up/sms", data={"resend": "1", "csrf_token": csrf_token(page.get_data(as_text=True))})
    page = client.get("/account/step-up/sms")
    client.post(
        "/account/step-up/sms",
        data={"code": last_code(sms_inbox(who.phone)), "csrf_token": csrf_token(page.get_data(as_text=True))},
    )


def test_a_logged_in_person_adds_alipay_to_their_account(client, member, sms_inbox):
    login(client, member.id_number)
    # Level 1 is not enough to add a login method: step up first.
    start = client.get("/account/alipay/start?bind=1")
    assert "/account/step-up" in start.location
    _step_up_to_level_2(client, member, sms_inbox)
    start = client.get("/account/alipay/start?bind=1")
    done = client.get(callback_path(approve(start.location, new_user("alipay"), "user_id")))
    assert done.status_code == 302 and done.location.endswith("/account/credentials")
    assert "支付宝" in client.get("/account/credentials").get_data(as_text=True)


def test_adding_a_wechat_bound_to_someone_else_is_refused(app, member, second, sms_inbox):
    user = new_user("wechat")
    other = app.test_client()
    provider_login(other, "wechat", user)
    assert bind_with_sms(other, second, sms_inbox).status_code == 302  # now bound to ``second``
    client = app.test_client()
    login(client, member.id_number)
    _step_up_to_level_2(client, member, sms_inbox)
    start = client.get("/account/wechat/start?bind=1")
    refused = client.get(callback_path(approve(start.location, user, "openid")))
    assert refused.status_code == 409 and "已绑定其他用户" in refused.get_data(as_text=True)
    assert "<strong>微信</strong>" not in client.get("/account/credentials").get_data(as_text=True)


# ---------------------------------------------------------------- in a real browser, 360 px, axe


def _browser_login(page, base: str, provider: str, who: Insured, sms_inbox) -> None:
    page.goto(f"{base}/account/login?next=/account/")
    page.get_by_role("link", name={"wechat": "微信登录", "alipay": "支付宝登录"}[provider]).click()
    # On the provider's page (the sandbox): confirm as a new test user.
    if provider == "wechat":
        page.get_by_label("测试用户 openid").fill(new_user("wechat"))
        page.get_by_role("button", name="确认登录").click()
    else:
        page.get_by_label("测试用户 user_id").fill(new_user("alipay"))
        page.get_by_role("button", name="同意授权").click()
    # WeChat's URL ends in #wechat_redirect, and a browser keeps a fragment across redirects (hence the *).
    page.wait_for_url(f"{base}/account/social/bind*")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("身份证号码").fill(who.id_number)
    page.get_by_label("姓名").fill(who.name)
    page.get_by_role("button", name="发送验证码").click()
    page.wait_for_url(f"{base}/account/social/bind/code*")
    page.get_by_label("短信验证码").fill(last_code(sms_inbox(who.phone)))
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    page.get_by_role("button", name="确认").click()
    page.wait_for_url(f"{base}/account/*")
    expect(page.locator(".facts")).to_contain_text("2 级", use_inner_text=True)


@pytest.mark.browser
@pytest.mark.parametrize("provider", ["wechat", "alipay"])
def test_browser_login_binds_once_and_lands_logged_in(live_server, insured, sms_inbox, provider):
    def steps(page):
        page.goto(f"{live_server}/account/login")
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        _browser_login(page, live_server, provider, insured, sms_inbox)

    in_browser(steps)
