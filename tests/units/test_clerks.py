"""Clerk grant rules (gateway/units/service.py): who may manage clerks, validity, name match, revocation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.request_db import get_session
from gateway.units.models import UnitAccount, UnitEvent, UnitEventKind, UnitOperation
from gateway.units.service import (
    UnitError,
    add_clerk,
    clerk_actor,
    clerkships,
    holder_actor,
    revoke_clerk,
)
from tests.units.conftest import DEMO_CODE

TODAY = date(2026, 11, 23)
PERSON = ("610302198805120210", "李明轩")


@pytest.fixture
def unit_ctx(app):
    """An app context with a unit account of its own (a fresh credit code per test is not needed: rolled back)."""
    with app.app_context():
        db = get_session()
        unit = db.scalar(select(UnitAccount).where(UnitAccount.credit_code == DEMO_CODE))
        if unit is None:
            opened = datetime(2026, 11, 23, tzinfo=UTC)
            unit = UnitAccount(credit_code=DEMO_CODE, name="示例单位", legal_rep_enc="", created_at=opened)
            db.add(unit)
            db.flush()
        yield db, app.extensions["shebao_vault"], holder_actor(unit, "abc123")
        db.rollback()


def grant(db, vault, actor, *, name=PERSON[1], ops=("view_staff",), start=TODAY, until=TODAY + timedelta(days=30)):
    return add_clerk(
        db,
        vault,
        actor,
        id_number=PERSON[0],
        name=name,
        grants=ops,
        valid_from=start,
        valid_until=until,
        today=TODAY,
    )


def test_a_clerk_acts_only_within_the_grant(unit_ctx):
    db, vault, holder = unit_ctx
    clerk = grant(db, vault, holder, ops=("view_staff", "view_info"))
    actor = clerk_actor(db, vault, clerk.id, 1, *PERSON, TODAY)
    assert actor is not None and actor.actor == f"clerk:{clerk.id}"
    assert actor.may(UnitOperation.VIEW_STAFF) and actor.may(UnitOperation.VIEW_INFO)
    assert not actor.may(UnitOperation.VIEW_CONTRIBUTIONS) and not actor.may(UnitOperation.APPLY)
    assert not actor.may_manage_clerks and holder.may_manage_clerks
    added = db.scalars(select(UnitEvent).where(UnitEvent.kind == UnitEventKind.CLERK_ADDED)).all()
    assert added and "610***********0210" in added[-1].detail and "李**" in added[-1].detail
    assert PERSON[0] not in added[-1].detail


def test_a_clerk_cannot_add_or_revoke_clerks(unit_ctx):
    db, vault, holder = unit_ctx
    clerk = grant(db, vault, holder)
    actor = clerk_actor(db, vault, clerk.id, 1, *PERSON, TODAY)
    with pytest.raises(UnitError):
        grant(db, vault, actor, ops=tuple(op.value for op in UnitOperation))
    with pytest.raises(UnitError):
        revoke_clerk(db, vault, actor, clerk.id)


def test_the_grant_holds_only_within_its_dates(unit_ctx):
    db, vault, holder = unit_ctx
    clerk = grant(db, vault, holder, start=TODAY + timedelta(days=1), until=TODAY + timedelta(days=10))
    assert clerk_actor(db, vault, clerk.id, 1, *PERSON, TODAY) is None  # not yet
    assert clerk_actor(db, vault, clerk.id, 1, *PERSON, TODAY + timedelta(days=1)) is not None
    assert clerk_actor(db, vault, clerk.id, 1, *PERSON, TODAY + timedelta(days=11)) is None  # over


def test_a_revoked_clerk_acts_no_more(unit_ctx):
    db, vault, holder = unit_ctx
    clerk = grant(db, vault, holder)
    revoke_clerk(db, vault, holder, clerk.id)
    assert clerk_actor(db, vault, clerk.id, 1, *PERSON, TODAY) is None
    assert clerkships(db, vault, *PERSON, TODAY) == []
    with pytest.raises(UnitError):
        revoke_clerk(db, vault, holder, clerk.id)  # twice


def test_the_name_must_match_the_person(unit_ctx):
    db, vault, holder = unit_ctx
    clerk = grant(db, vault, holder, name="李明宣")  # a typo by the unit
    assert clerkships(db, vault, *PERSON, TODAY) == []
    assert clerk_actor(db, vault, clerk.id, 1, *PERSON, TODAY) is None


def test_another_persons_session_cannot_use_the_clerkship(unit_ctx):
    db, vault, holder = unit_ctx
    clerk = grant(db, vault, holder)
    assert clerk_actor(db, vault, clerk.id, 2, "610323196208150131", "赵建国", TODAY) is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"ops": ()}, "grants"),
        ({"ops": ("view_everything",)}, "grants"),
        ({"until": TODAY - timedelta(days=1), "start": TODAY - timedelta(days=5)}, "valid_until"),
        ({"until": TODAY + timedelta(days=5), "start": TODAY + timedelta(days=6)}, "valid_until"),
        ({"until": TODAY + timedelta(days=4 * 365)}, "valid_until"),
        ({"name": " "}, "name"),
    ],
)
def test_bad_grants_are_refused(unit_ctx, kwargs, field):
    db, vault, holder = unit_ctx
    with pytest.raises(UnitError) as caught:
        grant(db, vault, holder, **kwargs)
    assert caught.value.field == field


def test_a_bad_id_number_is_refused(unit_ctx):
    db, vault, holder = unit_ctx
    with pytest.raises(UnitError) as caught:
        add_clerk(
            db,
            vault,
            holder,
            id_number="610302198805120211",
            name="李明轩",
            grants=["view_staff"],
            valid_from=TODAY,
            valid_until=TODAY,
            today=TODAY,
        )
    assert caught.value.field == "id_number"
