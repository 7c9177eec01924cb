"""What a page or API operation needs, declared on the view (DESIGN "Use cases and the Actor", step 2).

Every route declares one :class:`Need` with :func:`gate` or :func:`public`; the one gate in
:mod:`gateway.access.edge` enforces it before the view runs, and refuses a route that declares nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from gateway.channel_policy import Operation
from gateway.staff.models import StaffRole

NEED_ATTR = "__shebao_need__"
V = TypeVar("V", bound=Callable)


class Audience(enum.StrEnum):
    PUBLIC = "public"  # anyone, logged in or not
    PERSON = "person"  # a citizen logged in on this channel
    UNIT = "unit"  # someone acting for a unit (certificate holder or clerk)
    STAFF = "staff"  # a staff member holding one of the roles
    CALLER = "caller"  # a hotline agent inside a live delegation for a verified caller
    #: An operator's system with the operations token (SHEBAO_*_TOKEN), checked by the view: not a person.
    OPERATOR = "operator"


@dataclass(frozen=True)
class Need:
    operation: Operation
    audience: Audience
    #: The assurance level needed (DESIGN "Identity"); for an item, the item's own level is used.
    level: int = 0
    #: A catalog item this view serves: its ``assurance_level`` is the level needed.
    item: str | None = None
    #: Or the name of the view argument (or query/form field) that names the item.
    item_arg: str | None = None
    roles: frozenset[StaffRole] = field(default_factory=frozenset)

    def item_id(self, view_args: Mapping[str, object], values: Mapping[str, str]) -> str | None:
        if self.item:
            return self.item
        if self.item_arg:
            found = view_args.get(self.item_arg) or values.get(self.item_arg)
            return str(found) if found else None
        return None


def gate(
    operation: Operation,
    audience: Audience = Audience.PERSON,
    *,
    level: int = 1,
    item: str | None = None,
    item_arg: str | None = None,
    roles: tuple[StaffRole, ...] = (),
) -> Callable[[V], V]:
    """Declare what the view needs; the gate enforces it (the view itself is not wrapped)."""
    if audience is Audience.PUBLIC:
        level = 0
    need = Need(operation, audience, level, item, item_arg, frozenset(roles))

    def declare(view: V) -> V:
        setattr(view, NEED_ATTR, need)
        return view

    return declare


def public(operation: Operation) -> Callable[[V], V]:
    """Anyone may use the view (it may still show more to someone logged in)."""
    return gate(operation, Audience.PUBLIC)


def need_of(view: Callable) -> Need | None:
    """The need a view declared, looking through ``functools.wraps`` layers."""
    while view is not None:
        found = getattr(view, NEED_ATTR, None)
        if found is not None:
            return found
        view = getattr(view, "__wrapped__", None)
    return None
