"""``/api/v1/rights`` and ``/api/v1/pension-estimate``: the person's rights records (权益记录, LD/T 01 5.2.2) —
registrations, contributions (paged), the personal account, benefit payments (paged) — and the basic pension
estimate (LD/T 01 5.4.3 d). ``GET /api/v1/rights`` is the overview built from several calls to the core system: what
it did not give is named in ``unavailable`` next to what it did (issue 19; LD/T 01 6.4.5), and parts answered from
the last known data are listed in ``stale``. The same back-office queries as the web's ``/rights/`` pages and the
same estimate as ``/services/pension-estimate`` (``gateway.applications.pension``). Queries are free (Regulation
Art. 32); each operation is at the level its catalog item declares (the gate reads it)."""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Integer, List, Nested, String
from flask import current_app

from gateway.access.edge import current_actor
from gateway.access.needs import gate
from gateway.api.conventions import Paged, PageQuery
from gateway.api.schemas import Checked, Input, Output, one_of
from gateway.api.services_extra import StalePart
from gateway.applications import pension, transfers
from gateway.backoffice.interface import Page
from gateway.backoffice.models import BenefitKind, ContributionStatus, RegistrationStatus, Scheme
from gateway.backoffice.records import contributions_in_year
from gateway.backoffice.resilient import gather, recent_answers
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice
from gateway.problems import UserError
from gateway.validation import mask_id_number, mask_name, parse_year

bp = APIBlueprint("rights", __name__, url_prefix="", tag="权益记录")

_MONEY = {"type": "string", "description": "金额（元），两位小数的字符串", "examples": ["1234.50"]}


def _money(value) -> str:
    return f"{value:.2f}"


class Registration(Output):
    scheme = String(required=True, validate=one_of(Scheme))
    scheme_label = String(required=True, metadata={"examples": ["职工基本养老保险"]})
    status = String(required=True, validate=one_of(RegistrationStatus))
    status_label = String(required=True, metadata={"examples": ["参保缴费"]})
    start_date = String(required=True, metadata={"format": "date"})
    end_date = String(required=True, allow_none=True, metadata={"format": "date"})
    unit_name = String(required=True, allow_none=True)
    region = String(required=True)
    handled_here = Boolean(required=True, metadata={"description": "本机构经办的险种（否则只供查看）"})


class Registrations(Output):
    name = String(required=True, metadata={"description": "姓名（已脱敏）"})
    unit_name = String(required=True, allow_none=True)
    registrations = List(Nested(Registration), required=True)


class Contribution(Output):
    period = String(required=True, metadata={"examples": ["2026-10"], "description": "费款所属期（年-月）"})
    scheme = String(required=True, validate=one_of(Scheme))
    scheme_label = String(required=True)
    base = String(required=True, metadata=_MONEY)
    unit_amount = String(required=True, metadata=_MONEY)
    person_amount = String(required=True, metadata=_MONEY)
    status = String(required=True, validate=one_of(ContributionStatus))
    status_label = String(required=True)
    unit_name = String(required=True, allow_none=True)


class Contributions(Paged):
    contributions = List(Nested(Contribution), required=True)


class Account(Output):
    balance = String(required=True, metadata=_MONEY)
    months_paid = Integer(required=True)
    as_of = String(required=True, metadata={"format": "date"})


class Benefit(Output):
    kind = String(required=True, validate=one_of(BenefitKind))
    kind_label = String(required=True)
    period = String(required=True, metadata={"examples": ["2026-10"]})
    amount = String(required=True, metadata=_MONEY)
    paid_on = String(required=True, metadata={"format": "date"})


class Benefits(Paged):
    benefits = List(Nested(Benefit), required=True)


class EstimateQuery(Input):
    average_wage = String(metadata={"description": "计发基数（元/月）；不填用本年公布的基数", "examples": ["8000"]})
    index = String(metadata={"description": "本人平均缴费指数 0.6–3.0；不填为 1.0", "examples": ["1.0"]})
    months = String(metadata={"description": "退休时累计缴费月数；不填用经办系统中的记录", "examples": ["240"]})
    balance = String(metadata={"description": "退休时个人账户储存额（元）；不填用当前余额", "examples": ["80000"]})
    age = String(metadata={"description": "退休年龄 40–70；不填按性别为 60 或 55", "examples": ["60"]})


class EstimateInputs(Output):
    average_wage = String(required=True, metadata=_MONEY)
    index = String(required=True)
    months = Integer(required=True)
    balance = String(required=True, metadata=_MONEY)
    age = Integer(required=True)


class Estimate(Output):
    inputs = Nested(EstimateInputs, required=True)
    eligible = Boolean(required=True, metadata={"description": "累计缴费满 15 年（《社会保险法》第十六条）"})
    years = String(required=True)
    divisor = Integer(required=True, metadata={"description": "个人账户养老金计发月数"})
    basic = String(required=True, metadata={**_MONEY, "description": "基础养老金（元/月）"})
    account = String(required=True, metadata={**_MONEY, "description": "个人账户养老金（元/月）"})
    total = String(required=True, metadata={**_MONEY, "description": "基本养老金合计（元/月），不含过渡性养老金"})
    note = String(required=True)


_PAGE = {"page": 1, "page_size": 20, "pages": 3, "total": 58}
_CONTRIBUTION_EXAMPLE = {
    "period": "2026-10",
    "scheme": "pension",
    "scheme_label": "职工基本养老保险",
    "base": "6000.00",
    "unit_amount": "960.00",
    "person_amount": "480.00",
    "status": "paid",
    "status_label": "已到账",
    "unit_name": "示例科技有限公司",
}
ESTIMATE_NOTE = "测算结果仅供参考，不含过渡性养老金；实际待遇以退休时经办机构核定为准。"


def _id_number() -> str:
    return current_actor().subject.id_number


def _page_size(query: dict) -> tuple[int, int]:
    return query["page"], query["page_size"]


def _paging(result: Page) -> dict:
    return {"page": result.page, "page_size": result.page_size, "pages": result.pages, "total": result.total}


def _period(value: int) -> str:
    return f"{value // 100}-{value % 100:02d}"


@bp.get("/rights/registrations")
@gate(Operation.QUERY, item="rights-registration")
@bp.output(
    Registrations,
    description="参保登记信息",
    example={
        "name": "张*",
        "unit_name": "示例科技有限公司",
        "registrations": [
            {
                "scheme": "pension",
                "scheme_label": "职工基本养老保险",
                "status": "active",
                "status_label": "参保缴费",
                "start_date": "2012-07-01",
                "end_date": None,
                "unit_name": "示例科技有限公司",
                "region": "宝鸡市",
                "handled_here": True,
            }
        ],
    },
)
@bp.doc(
    summary="参保登记信息查询（LD/T 01 5.2.2 a）",
    operation_id="listRegistrations",
    responses={404: "经办系统中没有该人员"},
)
@recent_answers()  # records only shown: an answer of moments ago will do (issue 18)
def registrations():
    bo = get_backoffice()
    record = bo.find_person(_id_number())
    if record is None:
        raise UserError("not_found", "没有查询到您的参保信息。", 404)
    return {
        "name": mask_name(record.name),
        "unit_name": record.unit_name,
        "registrations": [
            {
                "scheme": r.scheme.value,
                "scheme_label": r.scheme.label,
                "status": r.status.value,
                "status_label": r.status.label,
                "start_date": r.start_date.isoformat(),
                "end_date": r.end_date.isoformat() if r.end_date else None,
                "unit_name": r.unit_name,
                "region": r.region,
                "handled_here": not r.read_only,
            }
            for r in bo.registrations(_id_number())
        ],
    }


class ContributionQuery(PageQuery):
    year = Checked(
        parse_year,
        metadata={"description": "只看这一年的缴费（四位年份）；不填为全部年度", "examples": ["2024"]},
    )


@bp.get("/rights/contributions")
@gate(Operation.QUERY, item="rights-contributions")
@bp.input(ContributionQuery, location="query")
@bp.output(
    Contributions,
    description="缴费记录，最近的在前（分页）",
    example={**_PAGE, "contributions": [_CONTRIBUTION_EXAMPLE]},
)
@bp.doc(
    summary="缴费信息查询（LD/T 01 5.2.2 b），分页",
    operation_id="listContributions",
    responses={400: "页码或年份不正确"},
)
@recent_answers()  # records only shown: an answer of moments ago will do (issue 18)
def contributions(query_data: dict):
    page, size = _page_size(query_data)
    year = query_data.get("year")
    if year is not None:  # one year's months, paged here like the whole list (as the web's year filter)
        rows = contributions_in_year(get_backoffice(), _id_number(), year)
        result = Page(items=rows[(page - 1) * size : page * size], page=page, page_size=size, total=len(rows))
    else:
        result = get_backoffice().contributions(_id_number(), page, size)
    return {
        **_paging(result),
        "contributions": [
            {
                "period": _period(c.period),
                "scheme": c.scheme.value,
                "scheme_label": c.scheme.label,
                "base": _money(c.base),
                "unit_amount": _money(c.unit_amount),
                "person_amount": _money(c.person_amount),
                "status": c.status.value,
                "status_label": c.status.label,
                "unit_name": c.unit_name,
            }
            for c in result.items
        ],
    }


@bp.get("/rights/account")
@gate(Operation.QUERY, item="rights-personal-account")
@bp.output(
    Account,
    description="个人账户储存额和累计缴费月数",
    example={"balance": "86321.45", "months_paid": 172, "as_of": "2026-10-31"},
)
@bp.doc(
    summary="个人账户信息查询（LD/T 01 5.2.2 c）",
    operation_id="getPersonalAccount",
    responses={404: "没有个人账户记录"},
)
@recent_answers()  # records only shown: an answer of moments ago will do (issue 18)
def account():
    found = get_backoffice().account(_id_number())
    if found is None:
        raise UserError("not_found", "没有查询到您的个人账户记录。", 404)
    return {"balance": _money(found.balance), "months_paid": found.months_paid, "as_of": found.as_of.isoformat()}


@bp.get("/rights/benefits")
@gate(Operation.QUERY, item="rights-benefits")
@bp.input(PageQuery, location="query")
@bp.output(
    Benefits,
    description="待遇发放记录，最近的在前（分页）",
    example={
        **_PAGE,
        "benefits": [
            {
                "kind": "pension",
                "kind_label": "基本养老金",
                "period": "2026-10",
                "amount": "3120.00",
                "paid_on": "2026-10-15",
            }
        ],
    },
)
@bp.doc(
    summary="待遇发放信息查询（LD/T 01 5.2.2 e），分页",
    operation_id="listBenefits",
    responses={400: "页码不正确"},
)
@recent_answers()  # records only shown: an answer of moments ago will do (issue 18)
def benefits(query_data: dict):
    page, size = _page_size(query_data)
    result = get_backoffice().benefit_payments(_id_number(), page, size)
    return {
        **_paging(result),
        "benefits": [
            {
                "kind": b.kind.value,
                "kind_label": b.kind.label,
                "period": _period(b.period),
                "amount": _money(b.amount),
                "paid_on": b.paid_on.isoformat(),
            }
            for b in result.items
        ],
    }


@bp.get("/pension-estimate")
@gate(Operation.QUERY, item="pension-estimate")
@bp.input(EstimateQuery, location="query")
@bp.output(
    Estimate,
    description="测算结果；未填写的参数取本人记录",
    example={
        "inputs": {"average_wage": "8000.00", "index": "1.0", "months": 240, "balance": "80000.00", "age": 60},
        "eligible": True,
        "years": "20.00",
        "divisor": 139,
        "basic": "1600.00",
        "account": "575.54",
        "total": "2175.54",
        "note": ESTIMATE_NOTE,
    },
)
@bp.doc(
    summary="基本养老金测算（LD/T 01 5.4.3 d），默认取本人个人账户和缴费月数",
    operation_id="estimatePension",
    responses={400: "参数不正确（所有问题一次告知）"},
)
def estimate(query_data: dict):
    settings = current_app.config["SETTINGS"]
    values = pension.defaults_for(get_backoffice(), _id_number(), settings.pension_base)
    values.update({k: v for k, v in query_data.items() if isinstance(v, str) and v.strip()})
    inputs, errors = pension.parse_inputs(values)
    if inputs is None:
        raise UserError("invalid_estimate", "".join(message for _, message in errors), 400)
    result = pension.estimate(inputs)
    return {
        "inputs": {
            "average_wage": _money(inputs.average_wage),
            "index": str(inputs.index),
            "months": inputs.months,
            "balance": _money(inputs.balance),
            "age": inputs.age,
        },
        "eligible": result.eligible,
        "years": str(result.years),
        "divisor": result.divisor,
        "basic": _money(result.basic),
        "account": _money(result.account),
        "total": _money(result.total),
        "note": ESTIMATE_NOTE,
    }


class Missing(Output):
    part = String(required=True, metadata={"enum": ["person", "registrations", "account", "transfers"]})
    label = String(required=True)
    message = String(required=True)


class OverviewRegistration(Output):
    scheme = String(required=True)
    scheme_label = String(required=True)
    status_label = String(required=True)
    start_date = String(required=True, metadata={"format": "date"})
    unit_name = String(required=True, allow_none=True)
    read_only = String(required=True, metadata={"description": "医保部门经办、仅供查看时为 yes"})


class OverviewPerson(Output):
    name = String(required=True, metadata={"description": "已脱敏"})
    id_number = String(required=True, metadata={"description": "已脱敏"})
    unit_name = String(required=True, allow_none=True)
    card_status_label = String(required=True)


class Overview(Output):
    person = Nested(OverviewPerson, allow_none=True)
    registrations = List(Nested(OverviewRegistration))
    account = Nested(Account, allow_none=True)
    transfers = List(String(), metadata={"description": "转移接续概况，详见 /api/v1/transfers"})
    unavailable = List(Nested(Missing), required=True, metadata={"description": "核心系统未能提供的部分"})
    stale = List(Nested(StalePart), metadata={"description": "核心系统无法连接时：以下为最近一次查询到的信息"})


@bp.get("/rights")
@gate(Operation.QUERY, item="rights-registration")
@bp.output(
    Overview,
    description="权益概况；未能获取的部分列在 unavailable",
    example={
        "person": {
            "name": "张*",
            "id_number": "610***********0210",
            "unit_name": "示例科技有限公司",
            "card_status_label": "正常",
        },
        "registrations": [
            {
                "scheme": "pension",
                "scheme_label": "职工基本养老保险",
                "status_label": "参保缴费",
                "start_date": "2012-07-01",
                "unit_name": "示例科技有限公司",
                "read_only": "no",
            }
        ],
        "transfers": [],
        "unavailable": [
            {"part": "account", "label": "养老保险个人账户", "message": "核心业务系统暂时无法连接，请稍后再试。"}
        ],
    },
)
@bp.doc(summary="权益概况：参保登记、个人账户、转移接续（LD/T 01 5.2.2），安全级别 2", operation_id="getRightsOverview")
@recent_answers()  # records only shown: an answer of moments ago will do (issue 18)
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
