"""Templates: the product file loads and covers every kind; broken templates and bad values are refused in
Chinese before anything is stored; SMS length is counted the way Chinese SMS gateways bill it."""

from __future__ import annotations

import copy

import pytest
import yaml

from notify import MessageKind, TemplateError, load_templates
from notify.kinds import Channel
from notify.rendering import DEFAULT_PATH, SmsRules, parse_templates, sms_length, sms_segments

BOOKED = {
    "item": "养老保险关系转移",
    "hall": "高新区政务服务中心",
    "time": "2026-11-25 09:30",
    "code": "A0012",
}


@pytest.fixture
def doc() -> dict:
    with open(DEFAULT_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def test_every_kind_has_a_template_with_all_its_channels():
    templates = load_templates().templates.values()
    for kind in MessageKind:
        mine = [t for t in templates if t.kind is kind]
        assert mine, kind
        assert all(kind.allowed_channels <= t.channels for t in mine)
    assert load_templates().get("login_code").channels == {Channel.SMS}


def test_rendering_fills_every_channel():
    r = load_templates().render("appointment_booked", BOOKED)
    assert r.title == "预约成功：养老保险关系转移"
    assert "A0012" in r.body and r.link == "/appointments/"
    assert r.sms_text.startswith("【示例市社保】") and "{" not in r.sms_text
    assert r.wechat.template_id == "TPL_APPOINTMENT_BOOKED"
    assert r.wechat.data == {
        "thing1": "养老保险关系转移",
        "time2": "2026-11-25 09:30",
        "thing3": "高新区政务服务中心",
        "character_string4": "A0012",
    }


@pytest.mark.parametrize(
    ("name", "params", "words"),
    [
        ("no_such_template", BOOKED, "没有名为"),
        ("appointment_booked", {k: v for k, v in BOOKED.items() if k != "code"}, "缺少参数：code"),
        ("appointment_booked", {**BOOKED, "extra": "x"}, "没有这些参数：extra"),
        ("appointment_booked", {**BOOKED, "item": "一" * 21}, "最多20个字"),
        ("appointment_booked", {**BOOKED, "item": ""}, "非空"),
        ("appointment_booked", {**BOOKED, "item": "{code}"}, "不允许的字符"),
        ("appointment_booked", {**BOOKED, "code": 12}, "非空文字"),
    ],
)
def test_bad_values_are_refused_in_chinese(name, params, words):
    with pytest.raises(TemplateError) as err:
        load_templates().render(name, params)
    assert words in err.value.message
    assert isinstance(err.value, ValueError)


def test_a_link_must_stay_on_the_site():
    with pytest.raises(TemplateError, match="本站内"):
        load_templates().render("appointment_booked", BOOKED, link="https://evil.example/")
    assert load_templates().render("appointment_booked", BOOKED, link="/appointments/7").link == "/appointments/7"


def _first(doc: dict, name: str) -> dict:
    return next(t for t in doc["templates"] if t["name"] == name)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: _first(d, "policy").__setitem__("sms", "{title}{nope}"), "未在 params 中声明：nope"),
        (lambda d: _first(d, "policy")["params"].__setitem__("unused", {"max": 3}), "没有被使用：unused"),
        (lambda d: _first(d, "policy")["params"]["title"].__setitem__("max", 200), "超过"),
        (
            lambda d: _first(d, "application_result")["wechat"]["data"].__setitem__("phrase9", "{item}"),
            "phrase9",
        ),
        (lambda d: _first(d, "policy").__setitem__("sms", "{title} }"), "花括号"),
        (lambda d: d["templates"].remove(_first(d, "benefit_change")), "benefit_change"),
        (lambda d: _first(d, "policy").pop("wechat"), "缺少渠道的写法：wechat"),
        (lambda d: _first(d, "policy").__setitem__("kind", "gossip"), "kind"),
        (lambda d: d["templates"].append(copy.deepcopy(_first(d, "policy"))), "名称重复"),
        (lambda d: _first(d, "policy").__setitem__("version", 0), "version"),
        (lambda d: _first(d, "policy")["inbox"].pop("body"), "inbox"),
    ],
)
def test_broken_templates_are_refused_at_load(doc, change, words):
    parse_templates(copy.deepcopy(doc))  # the product file itself is valid
    change(doc)
    with pytest.raises(TemplateError) as err:
        parse_templates(doc)
    assert words in err.value.message


RULES = SmsRules(signature="【示例市社保】")


@pytest.mark.parametrize(
    ("text", "length", "segments"),
    [
        ("验" * 70, 70, 1),
        ("验" * 71, 71, 2),
        ("a" * 70, 70, 1),  # Latin letters count the same as Chinese characters
        ("验" * 134, 134, 2),
        ("验" * 135, 135, 3),
        ("𠀀" * 35, 70, 1),  # beyond the BMP: two UCS-2 units each
        ("𠀀" * 36, 72, 2),
    ],
)
def test_sms_length_counts_like_the_gateway(text, length, segments):
    assert sms_length(text) == length
    assert sms_segments(text, RULES) == segments


def test_every_product_sms_fits_the_segment_limit_even_with_the_longest_values():
    ts = load_templates()
    for tpl in ts.templates.values():
        longest = {k: "验" * n for k, n in tpl.params.items()}
        rendered = ts.render(tpl.name, longest)
        assert sms_segments(rendered.sms_text, ts.sms) <= ts.sms.max_segments, tpl.name
