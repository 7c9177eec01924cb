"""``GET /api/v1/rights``: the rights overview (LD/T 01 5.2.2) in one answer built from several calls to the core
system — the person, the registrations, the pension account and the transfers. What the core system did not give
is named in ``unavailable`` next to what it did (issue 19; LD/T 01 6.4.5); parts answered from the last known
data are listed in ``stale``."""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Integer, List, Nested, String

from gateway.access.edge import current_actor
from gateway.access.needs import gate
from gateway.api.schemas import Output
from gateway.api.services_extra import StalePart
from gateway.applications import transfers
from gateway.backoffice.resilient import gather
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice
from gateway.validation import mask_id_number, mask_name

bp = APIBlueprint("rights", __name__, url_prefix="/rights", tag="权益查询")


class Missing(Output):
    part = String(required=True, metadata={"enum": ["person", "registrations", "account", "transfers"]})
    label = String(required=True)
    message = String(required=True)


class Registration(Output):
    scheme = String(required=True)
    scheme_label = String(required=True)
    status_label = String(required=True)
    start_date = String(required=True, metadata={"format": "date"})
    unit_name = String(required=True, allow_none=True)
    read_only = String(required=True, metadata={"description": "医保部门经办、仅供查看时为 yes"})


class Account(Output):
    balance = String(required=True, metadata={"description": "元，两位小数"})
    months_paid = Integer(required=True)
    as_of = String(required=True, metadata={"format": "date"})


class Person(Output):
    name = String(required=True, metadata={"description": "已脱敏"})
    id_number = String(required=True, metadata={"description": "已脱敏"})
    unit_name = String(required=True, allow_none=True)
    card_status_label = String(required=True)


class Overview(Output):
    person = Nested(Person, allow_none=True)
    registrations = List(Nested(Registration))
    account = Nested(Account, allow_none=True)
    transfers = List(String(), metadata={"description": "转移接续概况，详见 /api/v1/transfers"})
    unavailable = List(Nested(Missing), required=True, metadata={"description": "核心系统未能提供的部分"})
    stale = List(Nested(StalePart), metadata={"description": "核心系统无法连接时：以下为最近一次查询到的信息"})


@bp.get("")
@gate(Operation.QUERY, item="rights-registration")
@bp.output(Overview, description="权益概况；未能获取的部分列在 unavailable")
@bp.doc(summary="权益概况：参保登记、个人账户、转移接续（LD/T 01 5.2.2），安全级别 2", operation_id="getRightsOverview")
def overview():
    id_number = current_actor().subject.id_number
    bo = get_backoffice()
    got, missing = gather(
        {
            "person": ("个人基本信息", lambda: bo.find_person(id_number)),
            "registrations": ("参保登记", lambda: bo.registrations(id_number)),
            "account": ("养老保险个人账户", lambda: bo.account(id_number)),
            "transfers": ("转移接续", lambda: transfers.for_person(bo, id_number)),
        }
    )
    person, account = got.get("person"), got.get("account")
    answer: dict = {"unavailable": [m.as_json() for m in missing]}
    if "person" in got:
        answer["person"] = person and {
            "name": mask_name(person.name),
            "id_number": mask_id_number(person.id_number),
            "unit_name": person.unit_name,
            "card_status_label": person.card_status.label,
        }
    if "registrations" in got:
        answer["registrations"] = [
            {
                "scheme": r.scheme.value,
                "scheme_label": r.scheme.label,
                "status_label": r.status.label,
                "start_date": r.start_date.isoformat(),
                "unit_name": r.unit_name,
                "read_only": "yes" if r.read_only else "no",
            }
            for r in got["registrations"]
        ]
    if "account" in got:
        answer["account"] = account and {
            "balance": f"{account.balance:.2f}",
            "months_paid": account.months_paid,
            "as_of": account.as_of.isoformat(),
        }
    if "transfers" in got:
        answer["transfers"] = [transfers.progress_json(p).get("current_stage") or "" for p in got["transfers"]]
    return answer
