"""Tables of the embedded reference back office (the core SI system stand-in, LD/T 01 6.4.4).

The gateway's own code never imports this module: it goes through ``BackOffice``. Only the local
implementation and the demo-data generator read and write these tables.
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, enum_column
from gateway.validation import DocumentType


class Scheme(enum.StrEnum):
    PENSION = "pension"
    WORK_INJURY = "work_injury"
    UNEMPLOYMENT = "unemployment"
    MEDICAL = "medical"
    MATERNITY = "maternity"

    @property
    def label(self) -> str:
        return SCHEME_LABELS[self]

    @property
    def handled_here(self) -> bool:
        """Medical and maternity insurance are run by the healthcare security bureau: shown read-only."""
        return self not in {Scheme.MEDICAL, Scheme.MATERNITY}


SCHEME_LABELS = {
    Scheme.PENSION: "职工基本养老保险",
    Scheme.WORK_INJURY: "工伤保险",
    Scheme.UNEMPLOYMENT: "失业保险",
    Scheme.MEDICAL: "职工基本医疗保险",
    Scheme.MATERNITY: "生育保险",
}


class PersonStatus(enum.StrEnum):
    WORKING = "working"
    RETIRED = "retired"
    UNEMPLOYED = "unemployed"


class RegistrationStatus(enum.StrEnum):
    ACTIVE = "active"  # 正常参保
    SUSPENDED = "suspended"  # 暂停缴费
    ENDED = "ended"  # 终止参保

    @property
    def label(self) -> str:
        return {"active": "正常参保", "suspended": "暂停缴费", "ended": "终止参保"}[self.value]


class ContributionStatus(enum.StrEnum):
    PAID = "paid"
    ARREARS = "arrears"

    @property
    def label(self) -> str:
        return {"paid": "已到账", "arrears": "欠缴"}[self.value]


class BenefitKind(enum.StrEnum):
    PENSION = "pension"
    UNEMPLOYMENT = "unemployment"
    WORK_INJURY = "work_injury"

    @property
    def label(self) -> str:
        return {"pension": "基本养老金", "unemployment": "失业保险金", "work_injury": "工伤保险待遇"}[self.value]


class TransferDirection(enum.StrEnum):
    IN = "in"
    OUT = "out"


class TransferStatus(enum.StrEnum):
    APPLIED = "applied"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return {"applied": "已申请", "in_progress": "办理中", "completed": "已完成"}[self.value]


class CardStatus(enum.StrEnum):
    ACTIVE = "active"
    LOST = "lost"
    MAKING = "making"

    @property
    def label(self) -> str:
        return {"active": "正常", "lost": "挂失", "making": "制卡中"}[self.value]


class BoUnit(Base):
    __tablename__ = "bo_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    legal_rep: Mapped[str] = mapped_column(String(40))
    region: Mapped[str] = mapped_column(String(6))
    registered_on: Mapped[date] = mapped_column(Date)


class BoPerson(Base):
    __tablename__ = "bo_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)  # aac002
    name: Mapped[str] = mapped_column(String(40))  # aac003
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(1))  # "M" / "F", from the ID number's sequence digit
    phone: Mapped[str] = mapped_column(String(11))
    region: Mapped[str] = mapped_column(String(6))  # aab301
    status: Mapped[PersonStatus] = mapped_column(enum_column(PersonStatus))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("bo_unit.id"), nullable=True, index=True)
    card_number: Mapped[str] = mapped_column(String(9), unique=True)
    card_status: Mapped[CardStatus] = mapped_column(enum_column(CardStatus))
    # The latest card's making (制卡进度, LD/T 01 5.4.3 e): applied, made, sent to the branch where it is collected.
    card_applied_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    card_made_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    card_sent_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    card_branch: Mapped[str | None] = mapped_column(String(40), nullable=True)


class BoPersonDocument(Base):
    """An identity document the person is known by (LD/T 01 6.2.3 b), linked to the one social security number.

    A resident ID holder needs no row: their social security number is the ID number. A HK / Macao / Taiwan
    resident's is the residence permit number and a foreigner's the permanent residence ID number (or one the
    agency assigned, for passport holders); every document they may show is a row here, so a passport and a
    permanent residence ID find the same person."""

    __tablename__ = "bo_person_document"
    __table_args__ = (UniqueConstraint("doc_type", "number", name="uq_bo_person_document"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("bo_person.id"), index=True)
    doc_type: Mapped[DocumentType] = mapped_column(enum_column(DocumentType, 16))
    number: Mapped[str] = mapped_column(String(32))  # canonical (passport "GBR:E12345678")


class BoRegistration(Base):
    __tablename__ = "bo_registration"
    __table_args__ = (UniqueConstraint("person_id", "scheme", name="uq_bo_registration_person_scheme"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("bo_person.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("bo_unit.id"), nullable=True)
    scheme: Mapped[Scheme] = mapped_column(enum_column(Scheme))
    status: Mapped[RegistrationStatus] = mapped_column(enum_column(RegistrationStatus))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    region: Mapped[str] = mapped_column(String(6))


class BoContribution(Base):
    """One month of contributions for one scheme (the basis of 缴费记录)."""

    __tablename__ = "bo_contribution"
    __table_args__ = (
        UniqueConstraint("person_id", "scheme", "period", name="uq_bo_contribution_month"),
        Index("ix_bo_contribution_person_period", "person_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("bo_person.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("bo_unit.id"), nullable=True, index=True)
    scheme: Mapped[Scheme] = mapped_column(enum_column(Scheme))
    period: Mapped[int] = mapped_column(Integer)  # YYYYMM
    base: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    person_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[ContributionStatus] = mapped_column(enum_column(ContributionStatus))


class BoAccount(Base):
    """The pension personal account (个人账户) balance."""

    __tablename__ = "bo_account"

    person_id: Mapped[int] = mapped_column(ForeignKey("bo_person.id"), primary_key=True)
    balance: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    months_paid: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)


class BoBenefitPayment(Base):
    __tablename__ = "bo_benefit_payment"
    __table_args__ = (Index("ix_bo_benefit_payment_person_period", "person_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("bo_person.id"))
    kind: Mapped[BenefitKind] = mapped_column(enum_column(BenefitKind))
    period: Mapped[int] = mapped_column(Integer)  # YYYYMM
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    paid_on: Mapped[date] = mapped_column(Date)


class BoTransfer(Base):
    __tablename__ = "bo_transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("bo_person.id"), index=True)
    scheme: Mapped[Scheme] = mapped_column(enum_column(Scheme))
    direction: Mapped[TransferDirection] = mapped_column(enum_column(TransferDirection))
    other_region: Mapped[str] = mapped_column(String(6))
    other_region_name: Mapped[str] = mapped_column(String(40))
    status: Mapped[TransferStatus] = mapped_column(enum_column(TransferStatus))
    applied_on: Mapped[date] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The stages of 7.1.2 as they are done (None: not yet): 转出地审核, 开具参保缴费凭证, 转入地接收, 基金划转.
    reviewed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    certificate_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    received_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    funds_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class BoEligibility(Base):
    """待遇领取资格认证: one certification per person and year (《社会保险经办条例》第二十六条)."""

    __tablename__ = "bo_eligibility"
    __table_args__ = (UniqueConstraint("person_id", "year", name="uq_bo_eligibility_person_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("bo_person.id"))
    year: Mapped[int] = mapped_column(Integer)
    certified_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(16))  # "face": the face check of the online service
    reference: Mapped[str] = mapped_column(String(64))  # the face-check session that proved it
