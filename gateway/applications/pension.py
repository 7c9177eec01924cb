"""Basic pension estimate for urban employees (基本养老金测算, LD/T 01 5.4.3 d). Pure functions, no Flask.

The formula is the one published in 《国务院关于完善企业职工基本养老保险制度的决定》（国发〔2005〕38号）:

- 基础养老金 (basic pension), per month = 计发基数 × (1 + 本人平均缴费指数) ÷ 2 × 缴费年限 × 1%,
  where 计发基数 is the local average monthly wage of the year before retirement, published each year by the
  province, and 本人平均缴费指数 is the average ratio of the person's contribution base to that year's
  average wage (bounded by the 60 %–300 % limits on the base, so 0.6–3.0).
- 个人账户养老金 (personal account pension), per month = 个人账户储存额 ÷ 计发月数, with 计发月数 from the
  table annexed to 国发〔2005〕38号 by age at retirement (:data:`MONTHS_DIVISOR`).

A monthly basic pension needs at least 15 years of contributions (《社会保险法》第十六条). The transitional
pension (过渡性养老金) for years before the personal account existed depends on each province's own
coefficient and is not estimated here; the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from gateway.backoffice.interface import BackOffice
from gateway.problems import UserError

__all__ = [
    "MIN_MONTHS",
    "MONTHS_DIVISOR",
    "PensionEstimate",
    "PensionInputs",
    "account_pension",
    "basic_pension",
    "estimate",
    "months_divisor",
    "defaults_for",
    "parse_inputs",
]

#: 个人账户养老金计发月数表 (国发〔2005〕38号 附件): age at retirement → months divisor.
MONTHS_DIVISOR: dict[int, int] = {
    40: 233, 41: 230, 42: 226, 43: 223, 44: 220, 45: 216, 46: 212, 47: 207, 48: 204, 49: 199,
    50: 195, 51: 190, 52: 185, 53: 180, 54: 175, 55: 170, 56: 164, 57: 158, 58: 152, 59: 145,
    60: 139, 61: 132, 62: 125, 63: 117, 64: 109, 65: 101, 66: 93, 67: 84, 68: 75, 69: 65,
    70: 56,
}  # fmt: skip

#: 《社会保险法》第十六条: at least 15 years (180 months) of contributions for a monthly pension.
MIN_MONTHS = 180
#: The contribution base is bounded to 60 %–300 % of the average wage, so the index is too.
MIN_INDEX, MAX_INDEX = Decimal("0.6"), Decimal("3.0")
_CENT = Decimal("0.01")


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def months_divisor(age: int) -> int:
    """计发月数 for retirement at ``age`` (国发〔2005〕38号 table, ages 40–70)."""
    try:
        return MONTHS_DIVISOR[age]
    except KeyError:
        low, high = min(MONTHS_DIVISOR), max(MONTHS_DIVISOR)
        raise UserError("invalid_retirement_age", f"退休年龄应为{low}至{high}岁之间的整数。") from None


def basic_pension(average_wage: Decimal, index: Decimal, months: int) -> Decimal:
    """基础养老金 per month: average wage × (1 + index) ÷ 2 × years × 1%, to the cent."""
    years = Decimal(months) / 12
    return _money(average_wage * (1 + index) / 2 * years / 100)


def account_pension(balance: Decimal, age: int) -> Decimal:
    """个人账户养老金 per month: balance ÷ months divisor for ``age``, to the cent."""
    return _money(balance / months_divisor(age))


@dataclass(frozen=True)
class PensionInputs:
    """What the estimate needs; the page explains each one."""

    average_wage: Decimal  # 计发基数: local average monthly wage of the year before retirement
    index: Decimal  # 本人平均缴费指数, 0.6–3.0
    months: int  # 累计缴费月数 at retirement
    balance: Decimal  # 个人账户储存额 at retirement
    age: int  # 退休年龄


@dataclass(frozen=True)
class PensionEstimate:
    """The result, with the pieces the page shows to explain it."""

    inputs: PensionInputs
    eligible: bool  # at least MIN_MONTHS of contributions
    years: Decimal
    divisor: int
    basic: Decimal
    account: Decimal

    @property
    def total(self) -> Decimal:
        """Estimated monthly basic pension (basic + personal account; transitional pension not included)."""
        return self.basic + self.account

    @property
    def indexed_wage(self) -> Decimal:
        """本人指数化月平均缴费工资 = average wage × index."""
        return _money(self.inputs.average_wage * self.inputs.index)


def estimate(inputs: PensionInputs) -> PensionEstimate:
    """Estimate the monthly basic pension for ``inputs`` (国发〔2005〕38号 formula)."""
    divisor = months_divisor(inputs.age)
    return PensionEstimate(
        inputs=inputs,
        eligible=inputs.months >= MIN_MONTHS,
        years=(Decimal(inputs.months) / 12).quantize(_CENT, rounding=ROUND_HALF_UP),
        divisor=divisor,
        basic=basic_pension(inputs.average_wage, inputs.index, inputs.months),
        account=account_pension(inputs.balance, inputs.age),
    )


def _decimal(raw: str | None, field: str, label: str, low: Decimal, high: Decimal) -> Decimal:
    text = (raw or "").strip().replace(",", "").replace("，", "")
    if not text:
        raise UserError(f"invalid_{field}", f"请输入{label}。")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise UserError(f"invalid_{field}", f"{label}应为数字，例如 {low}。") from None
    if not value.is_finite() or not low <= value <= high:
        raise UserError(f"invalid_{field}", f"{label}应在 {low} 至 {high} 之间。")
    return value


def _int(raw: str | None, field: str, label: str, low: int, high: int) -> int:
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 4 or not low <= int(text) <= high:
        raise UserError(f"invalid_{field}", f"{label}应为 {low} 至 {high} 之间的整数。")
    return int(text)


def parse_inputs(form: dict[str, str]) -> tuple[PensionInputs | None, list[tuple[str, str]]]:
    """Read the page's form; every problem is reported at once as (field, Chinese message)."""
    errors: list[tuple[str, str]] = []
    values: dict[str, object] = {}
    parsers = {
        "average_wage": lambda v: _decimal(v, "average_wage", "计发基数", Decimal("1000"), Decimal("100000")),
        "index": lambda v: _decimal(v, "index", "本人平均缴费指数", MIN_INDEX, MAX_INDEX),
        "months": lambda v: _int(v, "months", "累计缴费月数", 0, 720),
        "balance": lambda v: _decimal(v, "balance", "个人账户储存额", Decimal("0"), Decimal("99999999")),
        "age": lambda v: _int(v, "age", "退休年龄", min(MONTHS_DIVISOR), max(MONTHS_DIVISOR)),
    }
    for name, parse in parsers.items():
        try:
            values[name] = parse(form.get(name))
        except UserError as exc:
            errors.append((name, exc.message))
    if errors:
        return None, errors
    return PensionInputs(**values), []  # type: ignore[arg-type]


def defaults_for(backoffice: BackOffice, id_number: str, average_wage: Decimal) -> dict[str, str]:
    """The calculator's starting values for a person: their own balance and months from the back office
    (queries are free, Art. 32), this year's published base, and the usual retirement age (60 for men, 55 for
    women) — the same for the web page and the API."""
    account = backoffice.account(id_number)
    record = backoffice.find_person(id_number)
    return {
        "average_wage": str(average_wage),
        "index": "1.0",
        "months": str(account.months_paid) if account else "",
        "balance": str(account.balance) if account else "",
        "age": "60" if record is None or record.gender == "M" else "55",
    }
