"""The service catalog (网上服务事项清单, LD/T 01 3.2): shipped data and load-time validation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.catalog import (
    AGENCY_COMMITMENT,
    AssuranceLevel,
    Catalog,
    CatalogError,
    Channel,
    HandlingKind,
    Section,
    UnknownItem,
    load_catalog,
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# ---------------------------------------------------------------- the shipped file


def test_shipped_catalog_loads_and_is_cached(catalog: Catalog) -> None:
    assert 30 <= len(catalog) <= 50
    assert load_catalog() is catalog


def test_loading_an_explicit_path_gives_a_fresh_copy(catalog: Catalog) -> None:
    from gateway.catalog import DEFAULT_PATH

    other = load_catalog(DEFAULT_PATH)
    assert other is not catalog
    assert [i.id for i in other] == [i.id for i in catalog]


# LD/T 01 clause 5, by hand: the items each clause names.
CLAUSE_ITEMS = {
    "5.1": ["appointment-booking", "appointment-cancel"],
    "5.2.1": ["progress-applications", "progress-handling"],
    "5.2.2": [
        "rights-registration",  # a
        "rights-contributions",  # b
        "rights-personal-account",  # c
        "rights-transfers",  # d
        "rights-benefits",  # e
    ],
    "5.3": [
        "unit-registration",
        "unit-registration-change",
        "unit-registration-cancel",
        "unit-employee-enrol",
        "unit-employee-leave",
        "unit-contribution-base",
        "person-registration",
        "person-info-change",
        "person-registration-cancel",
        "flexible-employment-enrol",
        "flexible-employment-contribution",
        "retirement-pension-claim",
        "unemployment-benefit-claim",
        "work-injury-benefit-claim",
        "work-injury-reimbursement",
        "pension-account-withdrawal",
    ],
    "5.4.2": [
        "cert-acceptance-notice",  # 5.4.2.2 a
        "cert-result-notice",  # 5.4.2.2 b
        "cert-transfer-voucher",  # 5.4.2.2 c
        "cert-insurance-proof",  # 5.4.2.3 a
        "cert-contribution-record",  # 5.4.2.3 b
        "cert-benefit-details",  # 5.4.2.3 c
    ],
    "5.4.3": [
        "eligibility-certification",  # a
        "pension-transfer-out",  # b
        "pension-transfer-in",  # b
        "overseas-exemption-certificate",  # c
        "pension-estimate",  # d
        "card-status",  # e
    ],
}

SECTION_OF_CLAUSE = {
    "5.1": Section.APPOINTMENTS,
    "5.2.1": Section.PROGRESS,
    "5.2.2": Section.RIGHTS,
    "5.3": Section.SERVICES,
    "5.4.2": Section.CERTIFICATES,
    "5.4.3": Section.SERVICES,
}


@pytest.mark.parametrize("clause", sorted(CLAUSE_ITEMS))
def test_every_clause_5_service_is_in_the_catalog(catalog: Catalog, clause: str) -> None:
    for item_id in CLAUSE_ITEMS[clause]:
        item = catalog.get(item_id)
        assert item.section is SECTION_OF_CLAUSE[clause], item_id
        assert item.spec_clause.startswith(f"LD/T 01 {clause}"), (item_id, item.spec_clause)


def test_every_section_has_items(catalog: Catalog) -> None:
    for section in Section:
        assert catalog.by_section(section), section


# Regulation (《社会保险经办条例》) time limits in working days, copied by hand from the articles.
STATUTORY_LIMITS = {
    "person-registration": (10, "第六条"),  # Art. 6 para 2
    "unit-employee-enrol": (10, "第六条"),
    "flexible-employment-enrol": (10, "第六条"),
    "unit-registration-change": (10, "第十条"),  # Art. 10
    "unit-registration-cancel": (10, "第十条"),
    "unit-employee-leave": (10, "第十条"),
    "person-info-change": (10, "第十条"),
    "person-registration-cancel": (10, "第十条"),
    "retirement-pension-claim": (20, "第十八条"),  # Art. 18
    "medical-manual-reimbursement": (30, "第二十条第二款"),  # Art. 20 para 2
    "maternity-allowance-claim": (10, "第二十条第三款"),  # Art. 20 para 3
    "work-injury-reimbursement": (20, "第二十二条第二款"),  # Art. 22 para 2
    "unemployment-benefit-claim": (10, "第二十四条第一款"),  # Art. 24 para 1
    "skills-subsidy-claim": (10, "第二十四条第三款"),  # Art. 24 para 3
}


@pytest.mark.parametrize("item_id", sorted(STATUTORY_LIMITS))
def test_regulation_time_limits(catalog: Catalog, item_id: str) -> None:
    days, article = STATUTORY_LIMITS[item_id]
    item = catalog.get(item_id)
    assert item.legal_limit_days == days
    assert "《社会保险经办条例》" in item.legal_basis
    assert article in item.legal_basis
    assert item.statutory_limit


def test_only_the_articles_with_numbers_are_cited_as_statutory(catalog: Catalog) -> None:
    # Art. 12-17 and 19 set no number: those items carry the agency's own promise instead.
    statutory = {item.id for item in catalog if item.statutory_limit}
    assert statutory == set(STATUTORY_LIMITS)
    for item in catalog:
        if item.legal_limit_days is not None and item.id not in STATUTORY_LIMITS:
            assert item.legal_basis.startswith(AGENCY_COMMITMENT), item.id


def test_handling_kinds_and_limits_agree(catalog: Catalog) -> None:
    kinds = {item.handling_kind for item in catalog}
    assert kinds == set(HandlingKind)
    for item in catalog:
        if item.handling_kind is HandlingKind.INSTANT:
            assert item.legal_limit_days is None, item.id
        if item.handling_kind is HandlingKind.PROMISED:
            assert item.legal_limit_days, item.id


def test_queries_are_free(catalog: Catalog) -> None:
    # Regulation Art. 32: record queries and checks are free.
    for section in (Section.PROGRESS, Section.RIGHTS, Section.CERTIFICATES):
        for item in catalog.by_section(section):
            assert item.fee == "不收费"
            assert "第三十二条" in item.fee_basis, item.id
    assert all(item.fee == "不收费" for item in catalog)


def test_queries_ask_for_no_materials(catalog: Catalog) -> None:
    # Regulation Art. 31: nothing beyond the ID without a legal basis; a query needs nothing at all.
    for section in (Section.PROGRESS, Section.RIGHTS, Section.CERTIFICATES, Section.APPOINTMENTS):
        for item in catalog.by_section(section):
            assert item.required_materials == (), item.id


def test_extra_materials_only_where_the_regulation_names_them(catalog: Catalog) -> None:
    # Regulation Art. 20, 21, 22, 24: the only articles that name materials beyond the ID.
    names = {m.name for m in catalog.get("medical-manual-reimbursement").required_materials}
    assert names == {"收费票据", "费用清单", "诊断证明", "病历资料"}
    names = {m.name for m in catalog.get("work-injury-reimbursement").required_materials}
    assert names == {"收费票据", "费用清单", "诊断证明", "病历资料"}
    assert "病历资料" in {m.name for m in catalog.get("maternity-allowance-claim").required_materials}
    assert any("职业技能等级证书" in m.name for m in catalog.get("skills-subsidy-claim").required_materials)
    assert [m.name for m in catalog.get("unemployment-benefit-claim").required_materials] == [
        "有效身份证件或社会保障卡"
    ]


def test_risky_items_warn(catalog: Catalog) -> None:
    # LD/T 01 5.3.2: warning + confirmation for risky business.
    risky = {item.id for item in catalog if item.risky}
    assert {
        "pension-account-withdrawal",
        "person-registration-cancel",
        "unit-registration-cancel",
        "pension-transfer-out",
    } <= risky
    for item_id in risky:
        item = catalog.get(item_id)
        assert item.risk_warning and item.needs_confirmation


def test_military_transfers_come_first(catalog: Catalog) -> None:
    # Regulation Art. 17.
    assert [item.id for item in catalog if item.priority] == ["military-insurance-transfer"]


def test_ids_and_codes(catalog: Catalog) -> None:
    assert len({i.id for i in catalog}) == len(catalog)
    assert len({i.code for i in catalog}) == len(catalog)
    for item in catalog:
        assert re.fullmatch(r"SB-[A-Z]{2,3}-\d{4}", item.code)
        assert item.consult.phone == "12333"
        assert item.complain
        assert item.result_delivery


def test_unknown_item_has_a_chinese_message(catalog: Catalog) -> None:
    with pytest.raises(UnknownItem) as info:
        catalog.get("no-such-item")
    assert isinstance(info.value, KeyError)
    assert "没有找到服务事项" in str(info.value)
    assert "no-such-item" in info.value.message
    assert info.value.item_id == "no-such-item"


def test_for_channel_filters(catalog: Catalog) -> None:
    kiosk = catalog.for_channel(Channel.KIOSK)
    assert kiosk and all(Channel.KIOSK in i.channels for i in kiosk)
    assert "cert-insurance-proof" in {i.id for i in kiosk}
    assert "pension-account-withdrawal" not in {i.id for i in kiosk}
    hotline = {i.id for i in catalog.for_channel("hotline")}
    assert "progress-handling" in hotline and "appointment-booking" in hotline
    assert "unit-registration" not in hotline
    assert len(catalog.for_channel(Channel.WEB)) == len(catalog)
    assert [i.id for i in catalog.for_channel("miniprogram")] == [
        i.id for i in catalog if Channel.MINIPROGRAM in i.channels
    ]
    with pytest.raises(ValueError):
        catalog.for_channel("fax")


def test_by_section_keeps_catalog_order(catalog: Catalog) -> None:
    ids = [i.id for i in catalog.by_section("appointments")]
    assert ids == ["appointment-booking", "appointment-cancel"]
    assert catalog.by_section(Section.PROGRESS)[0].section.path == "/progress/"


# ---------------------------------------------------------------- validation at load time


def _item(**overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": "demo-item",
        "code": "SB-TY-9001",
        "name": "示例事项",
        "summary": "用于测试的示例事项。",
        "section": "services",
        "scheme": "general",
        "handling_kind": "promised",
        "legal_limit_days": 10,
        "legal_basis": "《社会保险经办条例》第十条",
        "required_materials": [{"name": "有效身份证件", "note": "", "original_required": False}],
        "result_delivery": ["网上查看"],
        "fee": "不收费",
        "fee_basis": "社会保险经办服务不设收费项目",
        "hours": "全天",
        "consult": {"phone": "12333", "online": "在线咨询"},
        "complain": ["12333服务热线"],
        "assurance_level": 3,
        "channels": ["web"],
        "spec_clause": "LD/T 01 5.3.1",
    }
    item.update(overrides)
    return {k: v for k, v in item.items() if v is not _DROP}


_DROP = object()


def _write(tmp_path: Path, items: list[dict[str, Any]], **top: Any) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump({"items": items, **top}, allow_unicode=True), encoding="utf-8")
    return path


def test_a_minimal_file_loads(tmp_path: Path) -> None:
    cat = load_catalog(_write(tmp_path, [_item()]))
    item = cat.get("demo-item")
    assert item.assurance_level is AssuranceLevel.REAL_PERSON
    assert item.channels == (Channel.WEB,)
    assert not item.risky and not item.priority


def test_defaults_fill_in_shared_fields(tmp_path: Path) -> None:
    raw = _item(fee=_DROP, hours=_DROP)
    cat = load_catalog(_write(tmp_path, [raw], defaults={"fee": "不收费", "hours": "工作日"}))
    assert cat.get("demo-item").hours == "工作日"


BAD_ITEMS = [
    # (overrides, field named in the message, words of the problem)
    ({"name": _DROP}, "name", "missing required field"),
    ({"legal_basis": None}, "legal_basis", "missing required field"),
    ({"handling_kind": "someday"}, "handling_kind", "unknown value 'someday'"),
    ({"section": "shop"}, "section", "unknown value 'shop'"),
    ({"scheme": "housing"}, "scheme", "unknown value 'housing'"),
    ({"channels": ["web", "fax"]}, "channels", "unknown value 'fax'"),
    ({"name": 42}, "name", "must be text"),
    ({"legal_limit_days": "10"}, "legal_limit_days", "positive whole number"),
    ({"legal_limit_days": 0}, "legal_limit_days", "positive whole number"),
    ({"risky": "yes"}, "risky", "true or false"),
    ({"channels": "web"}, "channels", "must be a list"),
    ({"consult": {"phone": 12333, "online": "在线"}}, "consult.phone", "must be text"),
    ({"required_materials": [{"note": "x"}]}, "required_materials[0].name", "missing required field"),
    ({"legal_limit_days": None}, "legal_limit_days", "promised item needs a time limit"),
    ({"handling_kind": "instant"}, "legal_limit_days", "instant item"),
    ({"risky": True}, "risk_warning", "risky item needs a risk warning"),
    ({"risky": True, "risk_warning": "  "}, "risk_warning", "must not be empty"),
    ({"assurance_level": 4}, "assurance_level", "out of range"),
    ({"assurance_level": 0}, "assurance_level", "out of range"),
    ({"assurance_level": "high"}, "assurance_level", "whole number"),
    ({"channels": []}, "channels", "at least one channel"),
    ({"id": "Pension Transfer"}, "id", "slug"),
    ({"code": "YL-1"}, "code", "catalog code"),
    ({"legal_limt_days": 10}, "legal_limt_days", "unknown field"),
]


@pytest.mark.parametrize(("overrides", "field", "problem"), BAD_ITEMS)
def test_bad_item_is_rejected_naming_the_field(
    tmp_path: Path, overrides: dict[str, Any], field: str, problem: str
) -> None:
    path = _write(tmp_path, [_item(id="good-one", code="SB-TY-9000"), _item(**overrides)])
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    message = str(info.value)
    assert f"'{field}'" in message
    assert problem in message
    assert info.value.field == field
    # The item is named by its id, or by its position when the id itself is bad.
    assert ("demo-item" in message) or ("#1" in message)


def test_duplicate_id_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, [_item(), _item(code="SB-TY-9002")])
    with pytest.raises(CatalogError, match=r"'demo-item' \(#1\).*'id'.*duplicate id.*#0"):
        load_catalog(path)


def test_duplicate_code_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, [_item(), _item(id="other-item")])
    with pytest.raises(CatalogError, match=r"'other-item'.*'code'.*duplicate code 'SB-TY-9001'.*demo-item"):
        load_catalog(path)


def test_item_without_id_is_named_by_position(tmp_path: Path) -> None:
    path = _write(tmp_path, [_item(), _item(id=_DROP)])
    with pytest.raises(CatalogError, match=r"item #1: field 'id': missing required field"):
        load_catalog(path)


def test_file_level_problems(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="non-empty list"):
        load_catalog(_write(tmp_path, []))
    bad = tmp_path / "broken.yaml"
    bad.write_text("items: [\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_catalog(bad)
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.yaml")
    with pytest.raises(CatalogError, match="cannot be given in 'defaults'"):
        load_catalog(_write(tmp_path, [_item()], defaults={"id": "x"}))
