"""The handling flow diagram is generated from the catalog (LD/T 01 5.6.2): it matches each item's own data."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from gateway.catalog import HandlingKind, Material, load_catalog
from gateway.catalog.flowchart import StepKind, flowchart

SVG = "{http://www.w3.org/2000/svg}"


def _svg(item) -> ET.Element:
    return ET.fromstring(str(flowchart(item).svg()))  # noqa: S314 - our own generated SVG


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("item", list(load_catalog()), ids=lambda i: i.id)
def test_every_item_has_an_accessible_diagram_whose_steps_are_its_text_equivalent(item):
    chart = flowchart(item)
    root = _svg(item)
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and item.name in title.text and item.handling_kind.label in title.text
    assert desc is not None
    # aria-labelledby names the title and the description that exist in the same SVG.
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    boxes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "flow-step"]
    assert [g.get("data-step") for g in boxes] == [k.value for k in chart.kinds]
    drawn = _texts(root)
    for step in chart.steps:
        assert step.label in drawn and step.short in drawn and step.short in desc.text
    assert len(list(root.iter(f"{SVG}line"))) == len(chart.steps) - 1  # one arrow between each pair
    assert chart.steps[0].kind is StepKind.APPLY and chart.steps[-1].kind is StepKind.FINISH


def test_an_instant_item_is_applied_for_and_finished_at_once():
    item = load_catalog().get("cert-insurance-proof")
    assert item.handling_kind is HandlingKind.INSTANT
    chart = flowchart(item)
    assert chart.kinds == (StepKind.APPLY, StepKind.FINISH)
    assert "即时办结" in chart.steps[-1].short
    # Its channels, as the catalog lists them.
    assert all(c.label in chart.steps[0].details[0] for c in item.channels)


def test_a_promised_item_shows_its_working_day_limit():
    item = load_catalog().get("retirement-pension-claim")
    assert item.handling_kind is HandlingKind.PROMISED and item.legal_limit_days == 20
    chart = flowchart(item)
    assert chart.kinds == (StepKind.APPLY, StepKind.ACCEPT, StepKind.REVIEW, StepKind.FINISH)
    assert "20 个工作日内办结" in _texts(_svg(item))
    assert "法定时限" in chart.steps[-1].details[0]
    # The same diagram follows the catalog when the limit changes: nothing is typed into it.
    shorter = replace(item, legal_limit_days=7)
    assert "7 个工作日内办结" in _texts(_svg(shorter))


def test_an_appointment_item_shows_the_booking_and_the_hall_step_with_the_originals():
    item = load_catalog().get("work-injury-confirmation")
    assert item.handling_kind is HandlingKind.APPOINTMENT
    chart = flowchart(item)
    assert chart.kinds == (StepKind.APPLY, StepKind.BOOK, StepKind.VISIT, StepKind.FINISH)
    drawn = _texts(_svg(item))
    assert "到厅" in drawn and "预约" in drawn
    visit = chart.steps[2]
    originals = [m.name for m in item.required_materials if m.original_required]
    assert originals and all(name in visit.details[0] for name in originals)
    assert f"{item.legal_limit_days} 个工作日内办结" in drawn


def test_materials_are_listed_from_the_catalog_and_text_is_escaped():
    item = replace(
        load_catalog().get("person-registration"),
        name="<script>名称</script>",
        required_materials=(Material("居民身份证", original_required=True), Material("户口簿")),
    )
    chart = flowchart(item)
    assert chart.steps[0].details[1] == "材料：居民身份证（原件）、户口簿"
    markup = str(chart.svg())
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    ET.fromstring(markup)  # noqa: S314 - our own SVG, still well-formed


def test_an_item_without_materials_says_so():
    chart = flowchart(load_catalog().get("unit-contribution-base"))
    assert "无需提交材料" in chart.steps[0].details[1]
    assert "承诺时限" in chart.steps[-1].details[0] or "法定时限" in chart.steps[-1].details[0]
