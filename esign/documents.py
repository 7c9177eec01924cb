"""What goes on each certificate, from the back office (LD/T 01 5.4.2.2–5.4.2.3): plain data, no PDF."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from esign.codes import DocumentKind
from gateway.backoffice.interface import BackOffice
from gateway.backoffice.records import contributions_between
from gateway.validation import DocumentType, describe_document, mask_id_number, mask_name

MAX_PERIOD_MONTHS = 120  # a contribution record covers at most ten years: one readable document


class DocumentError(ValueError):
    """The document cannot be made for this holder or period; ``message`` is for the person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Document:
    """A certificate's content: the holder, the data table and the key facts shown on /verify/."""

    kind: DocumentKind
    holder_name: str
    holder_id: str  # ID number or unified social credit code (never printed whole)
    id_label: str
    intro: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    facts: tuple[tuple[str, str], ...] = ()
    scope: str = ""  # e.g. "202401-202412": a newer document of the same kind, holder and scope supersedes
    widths: tuple[float, ...] = field(default=())
    noun: str = "证明"  # 证明 (权益证明类) or 凭证 (办理凭证类, LD/T 01 5.4.2.2): the closing note names it
    # LD/T 01 6.2.3 b: the identity document the holder is known by, printed (masked) instead of the social
    # security number when it is not a resident ID; ``holder_id`` stays the key the issued copies are kept by.
    holder_doc_type: DocumentType = DocumentType.RESIDENT_ID
    holder_doc_number: str = ""

    @property
    def title(self) -> str:
        return self.kind.label

    @property
    def shown_id(self) -> tuple[str, str]:
        """(label, masked number) as the certificate prints the holder's identification."""
        if self.kind is DocumentKind.UNIT_PROOF or self.holder_doc_type is DocumentType.RESIDENT_ID:
            return self.id_label, mask_id_number(self.holder_id)
        name, masked = describe_document(self.holder_doc_type, self.holder_doc_number or self.holder_id)
        return f"{name}号码", masked

    @property
    def masked_holder(self) -> str:
        label, masked = self.shown_id
        if self.kind is DocumentKind.UNIT_PROOF:
            return f"{self.holder_name}（{masked}）"
        if self.holder_doc_type is DocumentType.RESIDENT_ID:
            return f"{mask_name(self.holder_name)}（{masked}）"
        return f"{mask_name(self.holder_name)}（{label.removesuffix('号码')} {masked}）"


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _d(value: date | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "—"


def parse_period(value: str | None) -> int:
    """ "2024-03" or "202403" → 202403; raise :class:`DocumentError` otherwise."""
    raw = (value or "").strip().replace("-", "").replace("/", "")
    if len(raw) != 6 or not raw.isdigit() or not 1 <= int(raw[4:]) <= 12 or int(raw[:4]) < 1990:
        raise DocumentError("bad_period", "请按“年-月”格式选择月份，例如 2024-01。")
    return int(raw)


def _months(start: int, end: int) -> int:
    return (end // 100 - start // 100) * 12 + end % 100 - start % 100 + 1


def _check_period(start: int, end: int) -> None:
    if start > end:
        raise DocumentError("bad_period", "起始月份不能晚于截止月份。")
    if _months(start, end) > MAX_PERIOD_MONTHS:
        raise DocumentError("bad_period", "一次最多打印十年（120 个月）的缴费记录，请缩短起止月份。")


def _person(bo: BackOffice, id_number: str):
    person = bo.find_person(id_number)
    if person is None:
        raise DocumentError("no_person", "没有查到您的参保信息，无法出具证明。请拨打 12333 咨询。")
    return person


def holder_document(bo: BackOffice, id_number: str) -> dict:
    """The holder's first identity document in the back office, as Document fields (LD/T 01 6.2.3 b)."""
    documents = bo.documents(id_number)
    if not documents:
        return {}
    return {"holder_doc_type": documents[0].doc_type, "holder_doc_number": documents[0].number}


def person_proof(bo: BackOffice, id_number: str) -> Document:
    """参保证明: every scheme the person is registered in, with the months paid."""
    person = _person(bo, id_number)
    regs = bo.registrations(id_number)
    if not regs:
        raise DocumentError("no_registration", "没有查到您的参保登记，无法出具参保证明。")
    account = bo.account(id_number)
    rows = tuple(
        (r.scheme.label, r.status.label, _d(r.start_date), _d(r.end_date), r.unit_name or "个人参保") for r in regs
    )
    months = account.months_paid if account else 0
    facts = (
        ("参保险种", "、".join(f"{r.scheme.label}（{r.status.label}）" for r in regs)),
        ("累计缴费月数", f"{months} 个月"),
    )
    return Document(
        kind=DocumentKind.PERSON_PROOF,
        holder_name=person.name,
        holder_id=person.id_number,
        id_label="公民身份号码",
        **holder_document(bo, id_number),
        intro=f"经查询，{person.name}在本机构参加社会保险情况如下，累计缴费 {months} 个月。特此证明。",
        columns=("险种", "参保状态", "参保日期", "终止日期", "参保单位"),
        rows=rows,
        facts=facts,
        widths=(0.2, 0.14, 0.16, 0.16, 0.34),
    )


def contribution_record(bo: BackOffice, id_number: str, start: int, end: int) -> Document:
    """缴费记录 for the months ``start``..``end`` (YYYYMM, both included)."""
    _check_period(start, end)
    person = _person(bo, id_number)
    records = contributions_between(bo, id_number, start, end)
    if not records:
        raise DocumentError("no_records", "所选期间没有缴费记录，请换一个期间。")
    records.sort(key=lambda r: (r.period, r.scheme))
    person_total = sum((r.person_amount for r in records), Decimal(0))
    unit_total = sum((r.unit_amount for r in records), Decimal(0))
    label = f"{start // 100}年{start % 100:02d}月至{end // 100}年{end % 100:02d}月"
    return Document(
        kind=DocumentKind.CONTRIBUTION_RECORD,
        holder_name=person.name,
        holder_id=person.id_number,
        id_label="公民身份号码",
        **holder_document(bo, id_number),
        intro=f"{person.name}在{label}的社会保险缴费记录如下（共 {len(records)} 条）。",
        columns=("费款所属期", "险种", "缴费基数", "单位缴纳", "个人缴纳", "状态"),
        rows=tuple(
            (
                r.period_label,
                r.scheme.label,
                _money(r.base),
                _money(r.unit_amount),
                _money(r.person_amount),
                r.status.label,
            )
            for r in records
        ),
        facts=(
            ("缴费期间", label),
            ("记录条数", f"{len(records)} 条"),
            ("单位缴纳合计", f"{_money(unit_total)} 元"),
            ("个人缴纳合计", f"{_money(person_total)} 元"),
        ),
        scope=f"{start}-{end}",
        widths=(0.18, 0.2, 0.16, 0.16, 0.16, 0.14),
    )


def benefit_payments(bo: BackOffice, id_number: str, start: int, end: int) -> Document:
    """待遇发放明细 for the months ``start``..``end``."""
    _check_period(start, end)
    person = _person(bo, id_number)
    payments = []
    page = 1
    while True:
        result = bo.benefit_payments(id_number, page, 200)
        payments.extend(p for p in result.items if start <= p.period <= end)
        if not result.has_next:
            break
        page += 1
    if not payments:
        raise DocumentError("no_records", "所选期间没有待遇发放记录，请换一个期间。")
    payments.sort(key=lambda p: (p.period, p.kind))
    total = sum((p.amount for p in payments), Decimal(0))
    label = f"{start // 100}年{start % 100:02d}月至{end // 100}年{end % 100:02d}月"
    return Document(
        kind=DocumentKind.BENEFIT_PAYMENTS,
        holder_name=person.name,
        holder_id=person.id_number,
        id_label="公民身份号码",
        **holder_document(bo, id_number),
        intro=f"{person.name}在{label}的社会保险待遇发放明细如下（共 {len(payments)} 笔）。",
        columns=("待遇类别", "所属期", "发放金额（元）", "发放日期"),
        rows=tuple(
            (p.kind.label, f"{p.period // 100}年{p.period % 100:02d}月", _money(p.amount), _d(p.paid_on))
            for p in payments
        ),
        facts=(("发放期间", label), ("发放笔数", f"{len(payments)} 笔"), ("发放合计", f"{_money(total)} 元")),
        scope=f"{start}-{end}",
        widths=(0.3, 0.22, 0.24, 0.24),
    )


def unit_proof(bo: BackOffice, credit_code: str) -> Document:
    """单位参保证明: the unit's registration and how many people it insures."""
    unit = bo.find_unit(credit_code)
    if unit is None:
        raise DocumentError("no_unit", "没有查到该单位的参保登记，无法出具单位参保证明。")
    return Document(
        kind=DocumentKind.UNIT_PROOF,
        holder_name=unit.name,
        holder_id=unit.credit_code,
        id_label="统一社会信用代码",
        intro=f"经查询，{unit.name}已在本机构办理社会保险登记，情况如下。特此证明。",
        columns=("项目", "内容"),
        rows=(
            ("单位名称", unit.name),
            ("法定代表人", mask_name(unit.legal_rep)),
            ("行政区划代码", unit.region),
            ("社会保险登记日期", _d(unit.registered_on)),
            ("在职参保人数", f"{unit.insured_count} 人"),
        ),
        facts=(("登记日期", _d(unit.registered_on)), ("在职参保人数", f"{unit.insured_count} 人")),
        widths=(0.35, 0.65),
    )
