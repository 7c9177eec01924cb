"""The catalog by life events (gateway/catalog/life_events.yaml): every citizen item has a home, no employer item
is among them, and a wrong file is refused when loaded (issue 15)."""

from __future__ import annotations

import pytest

from gateway.catalog import CatalogError, load_catalog
from gateway.catalog.life_events import citizen_items, is_unit_only, load_life_events, parse_life_events

#: The life events the issue names, which a citizen recognises.
NAMED = ("就业与失业", "退休与养老金", "生育", "工伤", "换城市工作", "社保卡", "证明打印")


def test_every_citizen_item_is_in_at_least_one_life_event():
    events = load_life_events()
    placed = {item.id for event in events for item in event.items}
    missing = [i.name for i in citizen_items(load_catalog()) if i.id not in placed]
    assert not missing, f"citizen items in no life event: {missing}"


def test_the_named_life_events_are_there_and_hold_no_employer_item():
    events = load_life_events()
    assert [e.name for e in events][: len(NAMED)] == list(NAMED)
    assert not [i.name for e in events for i in e.items if is_unit_only(i)]
    assert events.get("retirement").items[0].id == "retirement-pension-claim"


def test_grouping_puts_each_item_once_under_its_first_event():
    events = load_life_events()
    catalog = load_catalog()
    items = [catalog.get(i) for i in ("cert-benefit-details", "person-registration", "medical-transfer")]
    groups = events.group(items)
    assert [(e.id, [i.id for i in its]) for e, its in groups] == [
        ("employment", ["person-registration"]),
        ("retirement", ["cert-benefit-details"]),
        ("moving", ["medical-transfer"]),
    ]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"events": []}, "non-empty list"),
        ({"events": [{"id": "x", "name": "甲", "summary": "乙", "items": ["SB-XX-9999"]}]}, "no catalog item"),
        ({"events": [{"id": "x", "name": "甲", "summary": "乙", "items": ["SB-TY-0014"]}]}, "employer item"),
        ({"events": [{"id": "X y", "name": "甲", "summary": "乙", "items": ["SB-TY-0001"]}]}, "slug"),
        ({"events": [{"id": "x", "name": "甲", "summary": "乙", "items": ["SB-TY-0001", "SB-TY-0001"]}]}, "each once"),
    ],
)
def test_a_wrong_life_events_file_is_refused(data, problem):
    with pytest.raises(CatalogError, match=problem):
        parse_life_events(data, load_catalog())
