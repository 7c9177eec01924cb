"""The kiosk's elder mode (长辈版, Regulation Art. 30) and read-aloud button: the switch on the kiosk home, type of
at least 18 px on every screen while it is on, kept through a login and ended by "完成" for the next person;
朗读 speaks the screen with the machine's own Chinese voice and is hidden where the browser has no speech engine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser_fixtures import check_page
from tests.conftest import csrf_token
from tests.kiosk.conftest import HALL

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "kiosk.css"


def _switch(client, on: str):
    home = client.get(f"/kiosk/{HALL}/").get_data(as_text=True)
    return client.post(f"/kiosk/{HALL}/elder", data={"csrf_token": csrf_token(home), "on": on})


def test_the_switch_on_the_home_turns_elder_mode_on_and_off(client) -> None:
    home = client.get(f"/kiosk/{HALL}/").get_data(as_text=True)
    assert 'class="kiosk"' in home and 'id="elder-switch"' in home and "长辈版（字更大）" in home
    assert 'id="read-aloud"' in home and "kiosk-read-aloud.js" in home
    on = _switch(client, "1")
    assert on.status_code == 302 and on.location.endswith(f"/kiosk/{HALL}/")
    for path in (f"/kiosk/{HALL}/", f"/kiosk/{HALL}/check-in", f"/kiosk/{HALL}/login/card"):
        page = client.get(path)
        if page.status_code == 404:
            continue
        assert 'class="kiosk kiosk-elder"' in page.get_data(as_text=True), path
    assert "返回标准版" in client.get(f"/kiosk/{HALL}/").get_data(as_text=True)
    _switch(client, "0")
    assert 'class="kiosk"' in client.get(f"/kiosk/{HALL}/").get_data(as_text=True)


def test_elder_type_is_never_under_18px() -> None:
    css = CSS.read_text(encoding="utf-8")
    body = re.search(r"html\.kiosk-elder \{[^}]*--body-size: (\d+)px", css)
    assert body and int(body.group(1)) >= 18
    # Every rem size in the elder rules, at that root size, is at least 18 px.
    for rule in re.findall(r"html\.kiosk-elder[^{]*\{([^}]*)\}", css):
        for size in re.findall(r"font-size: ([\d.]+)rem", rule):
            assert float(size) * int(body.group(1)) >= 18, rule


def test_elder_mode_ends_when_the_person_is_done(client) -> None:
    _switch(client, "1")
    home = client.get(f"/kiosk/{HALL}/").get_data(as_text=True)
    done = client.post(f"/kiosk/{HALL}/done", data={"csrf_token": csrf_token(home)})
    assert done.status_code in (302, 303)
    assert 'class="kiosk"' in client.get(f"/kiosk/{HALL}/").get_data(as_text=True)


# The kiosk speaks only with a voice the machine makes itself (localService), never a cloud one. Headless Chromium
# has no voices, so the page is given one local and one cloud Chinese voice, and an utterance that records them.
SPY = """
window.__spoken = [];
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
window.speechSynthesis.getVoices = function () {
  return [{name: "云端", lang: "zh-CN", localService: false}, {name: "本机", lang: "zh-CN", localService: true}];
};
window.speechSynthesis.speak = function (u) {
  window.__spoken.push({text: u.text, lang: u.lang, voice: u.voice && u.voice.name});
};
window.speechSynthesis.cancel = function () {};
"""
# Only a cloud voice: no button (what the screen shows must not leave the kiosk).
CLOUD_ONLY = """
window.speechSynthesis.getVoices = function () { return [{name: "云端", lang: "zh-CN", localService: false}]; };
"""


@pytest.mark.browser
def test_read_aloud_speaks_the_screen_in_chinese_and_elder_type_is_large(browser, live_server) -> None:
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="zh-CN")
    try:
        page = context.new_page()
        page.add_init_script(SPY)
        page.goto(f"{live_server}/kiosk/{HALL}/")
        button = page.locator("#read-aloud")
        button.wait_for(state="visible")
        button.click()
        spoken = page.evaluate("window.__spoken")
        assert spoken and spoken[0]["lang"] == "zh-CN" and "请选择要办理的业务" in spoken[0]["text"]
        assert spoken[0]["voice"] == "本机"
        assert button.get_attribute("aria-pressed") == "true" and button.inner_text() == "停止朗读"
        button.click()
        assert button.get_attribute("aria-pressed") == "false"
        page.get_by_role("button", name="长辈版（字更大）").click()
        page.wait_for_selector("html.kiosk-elder")
        page.wait_for_load_state()  # the class is in the new page's first bytes; its stylesheet may still be loading
        sizes = page.evaluate(
            "[...document.querySelectorAll('main *')].filter(e => e.innerText && e.innerText.trim())"
            ".map(e => parseFloat(getComputedStyle(e).fontSize))"
        )
        assert sizes and min(sizes) >= 18, sizes
        check_page(page, "kiosk elder home", width=1080, strict_taps=True)
        # A browser without a speech engine: no button that would do nothing.
        bare = context.new_page()
        bare.add_init_script(
            "Object.defineProperty(window, 'speechSynthesis', {value: undefined});"
            "Object.defineProperty(window, 'SpeechSynthesisUtterance', {value: undefined});"
        )
        bare.goto(f"{live_server}/kiosk/{HALL}/")
        bare.locator("#read-aloud").wait_for(state="attached")
        assert bare.locator("#read-aloud").get_attribute("hidden") is not None
        assert bare.locator("#read-aloud").is_hidden()
        cloud = context.new_page()
        cloud.add_init_script(CLOUD_ONLY)
        cloud.goto(f"{live_server}/kiosk/{HALL}/")
        cloud.locator("#read-aloud").wait_for(state="attached")
        assert cloud.locator("#read-aloud").is_hidden()
    finally:
        context.close()
