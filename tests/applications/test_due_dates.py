"""Due dates of every time limit across public holidays, each worked out by hand on the 2026 calendar.

2026 (State Council notice): New Year 1–3 Jan off, Sun 4 Jan worked; Spring Festival 15–23 Feb off, Sat 14 Feb
and Sat 28 Feb worked; Mid-Autumn Fri 25 Sep off, Sun 20 Sep worked; National Day 1–7 Oct off, Sat 10 Oct
worked. The day of receipt never counts.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from gateway.applications import service
from gateway.catalog import HandlingKind, load_catalog
from gateway.workdays import LegalLimit, add_working_days, legal_due_date
from tests.applications.answers import valid_answers
from tests.applications.conftest import NOW

# Received Fri 18 Sep 2026. Counting: Sun 20 (1), 21–24 (2–5), Fri 25 off, 28–30 (6–8), 1–7 Oct off,
# Thu 8 (9), Fri 9 (10), Sat 10 (11), 12–16 (12–16), 19–22 (17–20), 23 (21), 26–30 (22–26), 2–5 Nov (27–30).
FROM_SEP_18 = {
    5: date(2026, 9, 24),
    10: date(2026, 10, 9),
    15: date(2026, 10, 15),
    20: date(2026, 10, 22),
    30: date(2026, 11, 5),
}


@pytest.mark.parametrize("limit", list(LegalLimit), ids=lambda limit: limit.name)
def test_each_statutory_limit_across_mid_autumn_and_national_day(limit):
    due = legal_due_date(limit, date(2026, 9, 18))
    assert due.date == FROM_SEP_18[limit.days]
    assert not due.provisional


@pytest.mark.parametrize(
    ("received", "days", "expected"),
    [
        # Art. 24: Thu 12 Feb → Fri 13 (1), Sat 14 worked (2), 15–23 off, 24–27 (3–6), Sat 28 worked (7),
        # 2–4 Mar (8–10).
        (date(2026, 2, 12), 10, date(2026, 3, 4)),
        # Art. 20 para 2: Tue 30 Dec 2025 → Wed 31 (1), 1–2 Jan off, Sun 4 worked (2), 5–9 (3–7),
        # 12–16 (8–12), 19–23 (13–17), 26–30 (18–22), 2–6 Feb (23–27), 9–11 Feb (28–30).
        (date(2025, 12, 30), 30, date(2026, 2, 11)),
        # Art. 6: Wed 30 Sep → 1–7 Oct off, 8–9 (1–2), Sat 10 (3), 12–16 (4–8), 19–20 (9–10).
        (date(2026, 9, 30), 10, date(2026, 10, 20)),
        # Agency's 5 days: Wed 31 Dec 2025 → 1–2 Jan off, Sun 4 Jan worked (1), 5–8 Jan (2–5).
        (date(2025, 12, 31), 5, date(2026, 1, 8)),
        # Agency's 15 days: Mon 9 Feb → 10–13 (1–4), Sat 14 (5), 24–27 (6–9), Sat 28 (10), 2–6 Mar (11–15).
        (date(2026, 2, 9), 15, date(2026, 3, 6)),
    ],
)
def test_limits_across_new_year_and_spring_festival(received, days, expected):
    assert add_working_days(received, days).date == expected


def test_every_promised_item_gets_the_due_date_of_its_own_limit(db, backoffice, vault, stranger):
    """Submitted on Fri 18 Sep 2026: each promised item's due date follows its catalog limit."""
    person, id_number = stranger
    received = datetime(2026, 9, 18, 16, 30)
    promised = [i for i in service.applicable_items() if i.handling_kind is HandlingKind.PROMISED]
    assert {i.legal_limit_days for i in promised} >= {10, 15, 20}
    for item in promised:
        fields = valid_answers(item, NOW.date())
        app, errors = service.save_form(db, person.id, item, fields, now=NOW, vault=vault)
        assert errors == []
        service.submit(db, app, backoffice=backoffice, id_number=id_number, risk_confirmed=item.risky, now=received)
        assert app.due_date == FROM_SEP_18[item.legal_limit_days], item.id


def test_unit_contribution_base_limit_is_in_the_catalog():
    # The 5-day agency commitment is a unit item (not offered to persons yet); its date is in FROM_SEP_18.
    assert load_catalog().get("unit-contribution-base").legal_limit_days == 5
    assert add_working_days(date(2026, 9, 18), 5).date == FROM_SEP_18[5]
