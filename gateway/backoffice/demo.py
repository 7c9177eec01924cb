"""A synthetic, believable demo population for the embedded reference back office.

Everything comes from ``random.Random(spec.seed)`` and ``spec.today``: the same seed and the same day give
the same rows. Four demo people have fixed ID numbers and names (whatever the seed) so the README can
print them; ``gateway.identity.demo`` gives them a gateway password credential in the same transaction.

Place codes: ``stdnum.cn.ric`` checks an ID number's first six digits against the real list of
administrative divisions (and the years each code was in use), so the fictional 示例市 borrows real
county codes (those of 陕西省宝鸡市, 6103xx); other provinces' codes are used for people who moved here.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.backoffice.models import (
    BenefitKind,
    BoAccount,
    BoBenefitPayment,
    BoContribution,
    BoPerson,
    BoPersonDocument,
    BoRegistration,
    BoTransfer,
    BoUnit,
    CardStatus,
    ContributionStatus,
    PersonStatus,
    RegistrationStatus,
    Scheme,
    TransferDirection,
    TransferStatus,
)
from gateway.validation import (
    DocumentType,
    make_credit_code,
    make_id_number,
    make_permanent_residence_id_2017,
    make_permanent_residence_id_2023,
    make_residence_permit,
)

DEMO_PASSWORD = "Shebao#2026"
LOCAL_CITY = "示例市"

# The demo unit (the demo employee's employer): fixed, so unit-side demos can name it.
DEMO_UNIT_NAME = "示例市秦川信息科技有限公司"
DEMO_UNIT_CREDIT_CODE = "91610302MA6XQ7R27H"


@dataclass(frozen=True)
class DemoSpec:
    """What to generate: the seed, the population size and the day the data is "as of"."""

    seed: int
    people: int = 2000
    units: int = 60
    today: date = field(kw_only=True)


@dataclass(frozen=True)
class DemoAccount:
    """A demo login: who it is (role in Chinese), the ID number to type and the name."""

    key: str
    role: str
    id_number: str
    name: str


@dataclass(frozen=True)
class _DemoPerson:
    key: str
    role: str
    id_number: str
    name: str
    birth: date
    gender: str


# Fixed whatever the seed (valid GB 11643 numbers; checked by the tests). The first is the ordinary employee.
DEMO_PEOPLE: tuple[_DemoPerson, ...] = (
    _DemoPerson("employee", "在职参保职工", "610302198805120210", "李明轩", date(1988, 5, 12), "M"),
    _DemoPerson("retiree", "退休人员（领取基本养老金）", "610323196208150131", "赵建国", date(1962, 8, 15), "M"),
    _DemoPerson("transfer", "转移接续办理中（养老保险转入）", "510107199109210353", "陈晓东", date(1991, 9, 21), "M"),
    _DemoPerson("unemployed", "失业人员（领取失业保险金）", "610303199311020245", "刘婷", date(1993, 11, 2), "F"),
)


@dataclass(frozen=True)
class DemoDocumentPerson:
    """A demo person who registers with another identity document (LD/T 01 6.2.3 b, issue 20).

    ``social_security_number`` is the back office's key: a HK / Macao / Taiwan resident's is the residence permit
    number and a permanent resident's the permanent residence ID number (《香港澳门台湾居民在内地（大陆）参加社会保险
    暂行办法》 and 《在中国境内就业的外国人参加社会保险暂行办法》); for a passport-only foreigner the agency assigns
    one (here: the country letters, the local region code and a sequence — a local convention, not a national
    format). ``documents`` are every document the person may show; the first is the one they log in with."""

    key: str
    role: str
    social_security_number: str
    name: str
    birth: date
    gender: str
    documents: tuple[tuple[DocumentType, str], ...]

    @property
    def doc_type(self) -> DocumentType:
        return self.documents[0][0]

    @property
    def doc_number(self) -> str:
        return self.documents[0][1]


_HK_PERMIT = make_residence_permit("810000", date(1990, 4, 18), 11)
_MO_PERMIT = make_residence_permit("820000", date(1987, 10, 3), 22)
_TW_PERMIT = make_residence_permit("830000", date(1979, 2, 27), 31)
_PR_2023 = make_permanent_residence_id_2023("61", "826", date(1984, 6, 9), 15)  # United Kingdom, 826
_PR_2017 = make_permanent_residence_id_2017("DEU", "61", date(1982, 12, 1), 4)

# Fixed whatever the seed, like DEMO_PEOPLE; README "Demo people" lists them. Password: DEMO_PASSWORD.
DEMO_DOCUMENT_PEOPLE: tuple[DemoDocumentPerson, ...] = (
    DemoDocumentPerson(
        "hongkong", "香港居民（港澳台居民居住证）", _HK_PERMIT, "陈家明", date(1990, 4, 18), "M",
        ((DocumentType.RESIDENCE_PERMIT, _HK_PERMIT),),
    ),
    DemoDocumentPerson(
        "macao", "澳门居民（港澳台居民居住证）", _MO_PERMIT, "梁嘉欣", date(1987, 10, 3), "F",
        ((DocumentType.RESIDENCE_PERMIT, _MO_PERMIT),),
    ),
    DemoDocumentPerson(
        "taiwan", "台湾居民（港澳台居民居住证）", _TW_PERMIT, "林志豪", date(1979, 2, 27), "M",
        ((DocumentType.RESIDENCE_PERMIT, _TW_PERMIT),),
    ),
    DemoDocumentPerson(
        "foreigner2023", "外国人（2023年版永久居留身份证，另有护照）", _PR_2023, "詹姆斯·米勒", date(1984, 6, 9), "M",
        ((DocumentType.PERMANENT_RESIDENCE, _PR_2023), (DocumentType.PASSPORT, "GBR:533018742")),
    ),
    DemoDocumentPerson(
        "foreigner2017", "外国人（2017年版永久居留身份证，另有护照）", _PR_2017, "安娜·施密特", date(1982, 12, 1), "F",
        ((DocumentType.PERMANENT_RESIDENCE, _PR_2017), (DocumentType.PASSPORT, "DEU:C01X00T47")),
    ),
    DemoDocumentPerson(
        "passport", "外国人（护照，在本市就业）", "KOR610302000000017", "金敏俊", date(1992, 7, 21), "M",
        ((DocumentType.PASSPORT, "KOR:M47120583"),),
    ),
)  # fmt: skip

# --- places -------------------------------------------------------------------------------------------

# (code, first year in use, last year in use, weight): the place must have existed in the birth year.
_LOCAL_ID_PLACES: tuple[tuple[str, int, int, float], ...] = (
    ("610320", 0, 1983, 4.0),  # 宝鸡市市区, before the districts were made
    ("610302", 1983, 9999, 4.0),  # 渭滨区
    ("610303", 1983, 9999, 4.0),  # 金台区
    ("610323", 0, 9999, 1.5),
    ("610324", 0, 9999, 1.5),
    ("610326", 0, 9999, 1.2),
    ("610327", 0, 9999, 1.0),
    ("610328", 0, 9999, 0.6),
    ("610329", 0, 9999, 0.4),
    ("610330", 0, 9999, 0.5),
    ("610331", 0, 9999, 0.3),
)
# Where units are registered and people are insured today (current codes only).
_LOCAL_REGIONS = ("610302", "610302", "610302", "610303", "610303", "610303", "610323", "610324", "610326")

_OTHER_PLACES: tuple[tuple[str, str, int], ...] = (
    ("110105", "北京市朝阳区", 0),
    ("310104", "上海市徐汇区", 0),
    ("440106", "广东省广州市天河区", 1985),
    ("510107", "四川省成都市武侯区", 1990),
    ("330106", "浙江省杭州市西湖区", 1983),
    ("420106", "湖北省武汉市武昌区", 1983),
    ("410105", "河南省郑州市金水区", 1983),
    ("610104", "陕西省西安市莲湖区", 1983),
)
_OTHER_PLACE_NAMES = {code: name for code, name, _ in _OTHER_PLACES}

# --- names --------------------------------------------------------------------------------------------

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤"
)
# The ten most common surnames cover about 40 % of people.
_SURNAME_WEIGHTS = [7.1, 7.0, 6.7, 5.4, 4.5, 3.1, 2.2, 2.0, 2.0, 1.9] + [0.8] * (len(_SURNAMES) - 10)
_MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林洋建国峰亮成志文博晨轩睿哲子昊然家豪振海东"
_FEMALE_CHARS = "芳娜敏静丽艳娟霞秀玲燕萍红婷雪琳慧莹晶颖欣怡佳倩丹蕾璐瑶梦琪悦楠雅思涵洁月春兰梅"
# Mobile number segments in use (1[3-9]x); the other eight digits are random.
_PHONE_PREFIXES = tuple(
    f"1{second}{third}"
    for second, thirds in (
        ("3", "0123456789"),
        ("5", "012356789"),
        ("6", "6"),
        ("7", "3678"),
        ("8", "0123456789"),
        ("9", "1589"),
    )
    for third in thirds
)
_CARD_LETTERS = "ABCDEFGHJKLMNPQRTUWXY"

_TRADE_NAMES = tuple(
    "华信恒通宏远瑞丰鼎盛博源长青天成新元嘉禾永兴正和安达盛世同创汇通明德启航润泽"
    "佳美东方西岐凤鸣渭水宝新中联信达卓越云帆远景和顺星河君安德润众合联创华瑞泰和金鼎"[i : i + 2]
    for i in range(0, 78, 2)
)
# Industry suffix and its work-injury rate class (unit pays all of it; GB/T 4754 risk classes, simplified).
_INDUSTRIES: tuple[tuple[str, str], ...] = (
    ("科技有限公司", "0.002"),
    ("信息技术有限公司", "0.002"),
    ("软件有限公司", "0.002"),
    ("教育咨询有限公司", "0.002"),
    ("商贸有限公司", "0.004"),
    ("电子商务有限公司", "0.004"),
    ("餐饮管理有限公司", "0.004"),
    ("汽车销售服务有限公司", "0.004"),
    ("物业服务有限公司", "0.005"),
    ("医药有限公司", "0.005"),
    ("物流有限公司", "0.007"),
    ("农业发展有限公司", "0.007"),
    ("机械制造有限公司", "0.009"),
    ("新材料股份有限公司", "0.009"),
    ("建筑工程有限公司", "0.010"),
)
# Public institutions (registration authority 1 = 机构编制, type 2 = 事业单位; 5/2 = 民办非企业单位).
_INSTITUTIONS: tuple[tuple[str, str], ...] = (
    ("示例市第二人民医院", "12"),
    ("示例市实验中学", "12"),
    ("示例市城市管理服务中心", "12"),
    ("示例市阳光职业技能培训学校", "52"),
)
_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the GB 32100 character set (no I, O, S, V, Z)

# --- money --------------------------------------------------------------------------------------------

_CENT = Decimal("0.01")
# (unit rate, person rate). Work injury's unit rate depends on the unit's industry. Maternity insurance has
# been collected together with medical insurance since 2019 (国办发〔2019〕10号): it keeps its registration
# but has no contribution rows of its own.
_RATES: dict[Scheme, tuple[Decimal, Decimal]] = {
    Scheme.PENSION: (Decimal("0.16"), Decimal("0.08")),
    Scheme.UNEMPLOYMENT: (Decimal("0.005"), Decimal("0.005")),
    Scheme.MEDICAL: (Decimal("0.08"), Decimal("0.02")),
}
_CONTRIBUTED = (Scheme.PENSION, Scheme.WORK_INJURY, Scheme.UNEMPLOYMENT, Scheme.MEDICAL)
_REGISTERED = (*_CONTRIBUTED, Scheme.MATERNITY)
# Credited once a year on the personal account; a round figure, not the rate announced each year.
_ACCOUNT_INTEREST = 0.03
_PENSION_PAYDAY = 10
_UNEMPLOYMENT_PAYDAY = 15
_UNEMPLOYMENT_BENEFIT = Decimal("1845.00")  # 90 % of the local minimum wage
_PENSION_RAISE = 0.02  # the yearly January adjustment of pensions in payment
_CHUNK = 5000
_MIN_PEOPLE = 40
_MIN_UNITS = 3


def _base_floor(year: int) -> int:
    """The contribution base floor (60 % of the average wage); 3,600 yuan in 2020, up 4.5 % a year."""
    return round(3600 * 1.045 ** (year - 2020))


def _base_ceiling(year: int) -> int:
    """The contribution base ceiling (300 % of the average wage); about 25,000 yuan by 2026."""
    return round(18000 * 1.055 ** (year - 2020))


def _average_wage(year: int) -> float:
    return 6000 * 1.05 ** (year - 2020)


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP)


# --- calendar helpers (months as integers: year * 12 + month - 1) --------------------------------------


def _month(d: date) -> int:
    return d.year * 12 + d.month - 1


def _period(m: int) -> int:
    return (m // 12) * 100 + m % 12 + 1


def _month_start(m: int) -> date:
    return date(m // 12, m % 12 + 1, 1)


def _month_end(m: int) -> date:
    return _month_start(m + 1) - timedelta(days=1)


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _payday(m: int, day: int) -> date:
    """The payday in month ``m``, brought forward to the Friday when it falls on a weekend."""
    d = date(m // 12, m % 12 + 1, day)
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


# --- the plan of one person ----------------------------------------------------------------------------


@dataclass
class _Unit:
    name: str
    credit_code: str
    legal_rep: str
    region: str
    registered_on: date
    injury_rate: Decimal


@dataclass
class _Plan:
    """Everything decided about one person before any row is written."""

    id_number: str
    name: str
    birth: date
    gender: str
    status: PersonStatus
    phone: str = ""
    card_number: str = ""
    card_status: CardStatus = CardStatus.ACTIVE
    unit: int | None = None  # current employer (index into the units), None when not working here
    reg_unit: int = 0  # the unit on the registrations and the latest contributions
    prev_unit: int | None = None  # earlier employer inside the contribution window
    switch: int = 0  # first month at reg_unit when prev_unit is set
    gap: int = 0  # months without contributions right before the switch (between two jobs)
    local_start: date = date(2000, 1, 1)  # first insured here (first of a month)
    career_start: date = date(2000, 1, 1)
    last: int = 0  # last month contributed here
    arrears: int = 0  # how many of the last months are unpaid
    carried_from: int | None = None  # account history before the local rows starts here (None: none)
    base0: float = 5000.0  # contribution base in the window's first year
    growth: float = 1.05
    retired_on: date | None = None
    retire_age: int = 60
    benefit_from: int | None = None  # first unemployment benefit month
    transfers: list[dict] = field(default_factory=list)
    registration_status: RegistrationStatus = RegistrationStatus.ACTIVE
    registration_end: date | None = None

    def base(self, year: int, first_year: int) -> int:
        """The monthly contribution base in ``year``: grows each year, kept between the floor and ceiling."""
        raw = self.base0 * self.growth ** (year - first_year)
        if year < first_year:  # before the window: wages were lower, the floor did not apply yet
            return max(800, round(raw))
        return min(max(round(raw), _base_floor(year)), _base_ceiling(year))


class _Generator:
    def __init__(self, spec: DemoSpec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.today = spec.today
        self.last_month = _month(spec.today) - 1  # contributions are recorded up to last month
        self.window = (spec.today.year - 6) * 12  # contribution rows kept from January six years back
        self.first_year = self.window // 12
        self.used_ids: set[str] = {p.id_number for p in DEMO_PEOPLE} | {
            p.social_security_number for p in DEMO_DOCUMENT_PEOPLE
        }
        self.used_cards: set[str] = set()
        self.used_phones: set[str] = set()
        self.units: list[_Unit] = []
        self.unit_cum: list[float] = []

    # -- small random pieces --

    def name(self, gender: str) -> str:
        rng = self.rng
        surname = rng.choices(_SURNAMES, weights=_SURNAME_WEIGHTS)[0]
        chars = _MALE_CHARS if gender == "M" else _FEMALE_CHARS
        given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.65 else "")
        return surname + given

    def phone(self) -> str:
        while True:
            number = self.rng.choice(_PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def card(self) -> str:
        while True:
            number = self.rng.choice(_CARD_LETTERS) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_cards:
                self.used_cards.add(number)
                return number

    def date_between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def id_number(self, birth: date, gender: str, migrant: bool) -> str:
        """A unique GB 11643 number whose place code was in use in the birth year."""
        rng = self.rng
        if migrant:
            places = [code for code, _, since in _OTHER_PLACES if since <= birth.year]
            place = rng.choice(places)
        else:
            local = [(c, w) for c, first, last, w in _LOCAL_ID_PLACES if first <= birth.year <= last]
            place = rng.choices([c for c, _ in local], weights=[w for _, w in local])[0]
        while True:
            seq = rng.randrange(500) * 2 + (1 if gender == "M" else 0)  # odd sequence digit = male
            number = make_id_number(place, birth, seq)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def pick_unit(self, avoid: int | None = None) -> int:
        while True:
            i = bisect.bisect(self.unit_cum, self.rng.random() * self.unit_cum[-1])
            i = min(i, len(self.units) - 1)
            if i != avoid:
                return i

    # -- units --

    def make_units(self) -> list[_Unit]:
        rng = self.rng
        names = {DEMO_UNIT_NAME}
        demo = _Unit(DEMO_UNIT_NAME, DEMO_UNIT_CREDIT_CODE, "孙立新", "610302", date(2016, 3, 18), Decimal("0.002"))
        units = [demo]
        codes = {DEMO_UNIT_CREDIT_CODE}
        institutions = iter(_INSTITUTIONS)
        for i in range(1, self.spec.units):
            region = rng.choice(_LOCAL_REGIONS)
            kind = "91"
            institution = next(institutions, None) if i % 20 == 10 else None
            if institution is not None:
                name, kind = institution
                rate = Decimal("0.002")
                registered = self.date_between(date(1995, 1, 1), date(2012, 12, 31))
            else:
                while True:
                    suffix, rate_text = rng.choice(_INDUSTRIES)
                    name = f"{LOCAL_CITY}{rng.choice(_TRADE_NAMES)}{suffix}"
                    if name not in names:
                        break
                rate = Decimal(rate_text)
                registered = self.date_between(date(1998, 1, 1), date(self.today.year - 2, 12, 31))
            names.add(name)
            while True:
                code = make_credit_code(kind + region + self.org_code(registered))
                if code not in codes:
                    codes.add(code)
                    break
            units.append(_Unit(name, code, self.name(rng.choice("MMMF")), region, registered, rate))
        self.units = units
        # Unit sizes follow a long tail: a few large employers, many small ones.
        self.unit_cum = list(itertools.accumulate(1 / (i + 1) ** 0.7 for i in range(len(units))))
        return units

    def org_code(self, registered: date) -> str:
        """A GB 11714 organisation code; codes issued with the unified credit code (2016 on) start "MA"."""
        rng = self.rng
        if registered.year >= 2016:
            body = "MA" + "".join(rng.choice(_ORG_ALPHABET) for _ in range(6))
        else:
            body = f"{rng.randrange(10**8):08d}"
        values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
        check = 11 - sum(w * v for w, v in zip((3, 7, 9, 10, 5, 8, 4, 2), values, strict=True)) % 11
        return body + {10: "X", 11: "0"}.get(check, str(check))

    # -- people --

    def base_fields(self, plan: _Plan) -> None:
        rng = self.rng
        plan.phone = self.phone()
        plan.card_number = self.card()
        roll = rng.random()
        # Most cards work; a few are reported lost, a few are being made (new or replacement cards).
        plan.card_status = CardStatus.LOST if roll < 0.02 else CardStatus.MAKING if roll < 0.05 else CardStatus.ACTIVE
        plan.base0 = min(max(rng.lognormvariate(8.75, 0.45), 3000.0), 30000.0)  # median about 6,300 yuan
        plan.growth = rng.uniform(1.02, 1.08)

    def career(self, plan: _Plan) -> None:
        """When the person started work, and so when pension insurance began (records start in 1992)."""
        start = _add_years(plan.birth, self.rng.randint(18, 24))
        latest = _month_start(self.last_month - 2)
        if start > latest:
            start = latest
        plan.career_start = _month_start(_month(start))
        plan.local_start = max(plan.career_start, date(1992, 1, 1))
        plan.carried_from = max(_month(plan.local_start), _month(date(1996, 1, 1)))  # personal accounts: 1996

    def new_person(self, status: PersonStatus, gender: str, birth: date, migrant: bool = False) -> _Plan:
        plan = _Plan(self.id_number(birth, gender, migrant), self.name(gender), birth, gender, status)
        self.base_fields(plan)
        self.career(plan)
        return plan

    def working_birth(self, gender: str) -> date:
        # Men work to 60, women to 50 (workers) or 55 (cadres): working people are younger than that.
        oldest = _add_years(self.today, -(59 if gender == "M" else 54))
        return self.date_between(max(date(1960, 1, 1), oldest), date(2004, 12, 31))

    def employ(self, plan: _Plan, last: int, allow_switch: bool = True) -> None:
        """Give the person an employer, perhaps an earlier one in the window, and the last month paid."""
        rng = self.rng
        plan.reg_unit = self.pick_unit()
        plan.last = last
        first = max(self.window, _month(plan.local_start))
        if allow_switch and len(self.units) > 1 and last - first > 12 and rng.random() < 0.25:
            plan.prev_unit = self.pick_unit(avoid=plan.reg_unit)
            plan.switch = rng.randint(first + 4, last - 4)
            if rng.random() < 0.35:
                plan.gap = rng.randint(1, 3)

    def ordinary(self) -> _Plan:
        gender = self.rng.choice("MF")
        plan = self.new_person(PersonStatus.WORKING, gender, self.working_birth(gender))
        self.employ(plan, self.last_month)
        plan.unit = plan.reg_unit
        return plan

    def retiree(self) -> _Plan:
        rng = self.rng
        gender = "M" if rng.random() < 0.45 else "F"
        latest = _month_start(self.last_month - 1)  # retired at least a month ago
        # Men retire at 60, women workers at 50 and women cadres at 55 (before the 2025 gradual increase).
        age = 60 if gender == "M" else 55 if rng.random() < 0.35 else 50
        birth = self.date_between(date(1960, 1, 1), _add_years(latest, -age) - timedelta(days=31))
        plan = self.new_person(PersonStatus.RETIRED, gender, birth)
        self.retire(plan, age)
        return plan

    def retire(self, plan: _Plan, age: int) -> None:
        plan.retire_age = age
        plan.retired_on = _month_start(_month(_add_years(plan.birth, age)) + 1)  # from the next month
        self.employ(plan, _month(plan.retired_on) - 1)

    def unemployed(self) -> _Plan:
        gender = self.rng.choice("MF")
        plan = self.new_person(PersonStatus.UNEMPLOYED, gender, self.working_birth(gender))
        self.lose_job(plan, self.rng.randint(2, 9))
        return plan

    def lose_job(self, plan: _Plan, months_ago: int) -> None:
        # Registrations must predate the job loss; someone who started very recently started earlier.
        last = self.last_month - months_ago
        if _month(plan.local_start) > last - 6:
            plan.career_start = plan.local_start = _month_start(last - 6 - self.rng.randint(0, 24))
            plan.carried_from = _month(plan.local_start)
        self.employ(plan, last)
        plan.benefit_from = last + 1
        plan.registration_status = RegistrationStatus.SUSPENDED

    def arrived(self, arrival_month: int, completed: bool) -> _Plan:
        """Someone who moved here from another province and asked to transfer their pension in."""
        rng = self.rng
        gender = rng.choice("MF")
        birth = self.working_birth(gender)
        birth = min(birth, _add_years(_month_start(arrival_month), -22))
        plan = self.new_person(PersonStatus.WORKING, gender, birth, migrant=True)
        self.move_in(plan, arrival_month, completed)
        return plan

    def move_in(self, plan: _Plan, arrival_month: int, completed: bool) -> None:
        rng = self.rng
        arrival = _month_start(arrival_month)
        career = min(plan.career_start, _month_start(arrival_month - 12))
        plan.career_start = career
        plan.local_start = arrival
        # The account history from elsewhere arrives with the completed transfer, not before.
        plan.carried_from = max(_month(career), _month(date(1996, 1, 1))) if completed else None
        self.employ(plan, self.last_month, allow_switch=False)
        plan.unit = plan.reg_unit
        other = plan.id_number[:6]
        applied = arrival + timedelta(days=rng.randint(10, 60))
        if completed:
            done: date | None = applied + timedelta(days=rng.randint(20, 45))
            status = TransferStatus.COMPLETED
        else:
            applied = max(arrival + timedelta(days=3), self.today - timedelta(days=rng.randint(1, 45)))
            applied = min(applied, self.today)
            done = None
            fresh = (self.today - applied).days < 10
            status = TransferStatus.APPLIED if fresh else TransferStatus.IN_PROGRESS
        schemes = [Scheme.PENSION] + ([Scheme.MEDICAL] if rng.random() < 0.5 else [])
        for scheme in schemes:
            plan.transfers.append(
                {
                    "scheme": scheme,
                    "direction": TransferDirection.IN,
                    "other_region": other,
                    "other_region_name": _OTHER_PLACE_NAMES[other],
                    "status": status,
                    "applied_on": applied,
                    "completed_on": done,
                }
            )

    def moved_out(self, in_progress: bool) -> _Plan:
        """Someone who left for another province; the receiving side applied to transfer the pension out."""
        rng = self.rng
        gender = rng.choice("MF")
        plan = self.new_person(PersonStatus.WORKING, gender, self.working_birth(gender))
        months_ago = rng.randint(1, 3) if in_progress else rng.randint(4, 12)
        if _month(plan.local_start) > self.last_month - months_ago - 6:
            plan.local_start = _month_start(self.last_month - months_ago - 12)
            plan.career_start = plan.local_start
            plan.carried_from = _month(plan.local_start)
        self.employ(plan, self.last_month - months_ago)
        plan.registration_status = RegistrationStatus.ENDED
        plan.registration_end = _month_end(plan.last)
        code, name, _ = rng.choice(_OTHER_PLACES)
        applied = min(self.today, _month_start(plan.last + 1) + timedelta(days=rng.randint(10, 40)))
        done = None if in_progress else applied + timedelta(days=rng.randint(20, 45))
        if done is not None and done > self.today:
            done = None
        plan.transfers.append(
            {
                "scheme": Scheme.PENSION,
                "direction": TransferDirection.OUT,
                "other_region": code,
                "other_region_name": name,
                "status": TransferStatus.COMPLETED if done else TransferStatus.IN_PROGRESS,
                "applied_on": applied,
                "completed_on": done,
            }
        )
        return plan

    def demo_plans(self) -> list[_Plan]:
        """The four fixed demo people; their details beyond ID number and name still follow the seed."""
        by_key = {p.key: p for p in DEMO_PEOPLE}
        plans = []
        for key in ("employee", "retiree", "transfer", "unemployed"):
            d = by_key[key]
            status = {"retiree": PersonStatus.RETIRED, "unemployed": PersonStatus.UNEMPLOYED}.get(
                key, PersonStatus.WORKING
            )
            plan = _Plan(d.id_number, d.name, d.birth, d.gender, status)
            self.base_fields(plan)
            plan.card_status = CardStatus.ACTIVE  # the kiosk demo needs a working card
            self.career(plan)
            if key == "employee":
                plan.local_start = plan.career_start = date(2011, 7, 1)
                plan.carried_from = _month(plan.local_start)
                plan.reg_unit = plan.unit = 0
                plan.last = self.last_month
            elif key == "retiree":
                self.retire(plan, 60)
            elif key == "transfer":
                plan.career_start = date(2014, 7, 1)
                self.move_in(plan, self.last_month - 2, completed=False)
                for t in plan.transfers:  # a fortnight ago, so it shows as being handled
                    t["applied_on"] = self.today - timedelta(days=14)
                    t["status"] = TransferStatus.IN_PROGRESS
            else:
                plan.local_start = plan.career_start = date(2016, 3, 1)
                plan.carried_from = _month(plan.local_start)
                self.lose_job(plan, 4)
            plans.append(plan)
        return plans

    def people(self) -> list[_Plan]:
        n = self.spec.people
        rng = self.rng
        plans = self.demo_plans()
        plans += [self.retiree() for _ in range(max(1, n // 10) - 1)]  # about 10 % with the demo retiree
        plans += [self.unemployed() for _ in range(max(3, n // 50) - 1)]
        for _ in range(max(5, n // 200)):
            plans.append(self.arrived(self.last_month - rng.randint(0, 4), completed=False))
        for _ in range(max(3, n // 25)):
            plans.append(self.arrived(rng.randint(self.window - 60, self.last_month - 8), completed=True))
        plans.append(self.moved_out(in_progress=True))
        plans += [self.moved_out(in_progress=False) for _ in range(max(2, n // 400))]
        plans += [self.ordinary() for _ in range(n - len(plans))]
        # A few people's units owe their last one to three months (the demo people's records stay clean).
        current = [p for p in plans[len(DEMO_PEOPLE) :] if p.unit is not None and p.last == self.last_month]
        for plan in rng.sample(current, min(len(current), max(3, n // 100))):
            plan.arrears = rng.randint(1, 3)
        # Demo people first (the tests and README rely on it), the rest mixed like a real register.
        rest = plans[len(DEMO_PEOPLE) :]
        rng.shuffle(rest)
        # The people with other documents come last, in the drawing and in the table, so the seed's population
        # (and every id the tests take people by) stays as it was.
        return plans[: len(DEMO_PEOPLE)] + rest + self.document_plans()

    def document_plans(self) -> list[_Plan]:
        """The fixed people of DEMO_DOCUMENT_PEOPLE: employed here since 2019 by the second unit."""
        plans = []
        for d in DEMO_DOCUMENT_PEOPLE:
            plan = _Plan(d.social_security_number, d.name, d.birth, d.gender, PersonStatus.WORKING)
            self.base_fields(plan)
            plan.card_status = CardStatus.ACTIVE
            plan.local_start = plan.career_start = date(2019, 7, 1)
            plan.carried_from = _month(plan.local_start)
            plan.reg_unit = plan.unit = 1  # not the demo unit, whose staff list shows citizens' ID numbers
            plan.last = self.last_month
            plans.append(plan)
        return plans


# --- rows ------------------------------------------------------------------------------------------------


@dataclass
class _Counts:
    registrations: int = 0
    contributions: int = 0
    arrears: int = 0
    accounts: int = 0
    payments: int = 0
    transfers: int = 0
    open_transfers: int = 0


class _Writer:
    """Turns plans into rows and writes them in chunks."""

    def __init__(self, session: Session, gen: _Generator, unit_ids: list[int]) -> None:
        self.s = session
        self.gen = gen
        self.unit_ids = unit_ids
        self.counts = _Counts()
        self.buffers: dict[type, list[dict]] = {
            m: [] for m in (BoRegistration, BoContribution, BoAccount, BoBenefitPayment, BoTransfer)
        }

    def add(self, model: type, row: dict) -> None:
        buffer = self.buffers[model]
        buffer.append(row)
        if len(buffer) >= _CHUNK:
            self.flush(model)

    def flush(self, model: type | None = None) -> None:
        for m in [model] if model else list(self.buffers):
            if self.buffers[m]:
                self.s.execute(insert(m), self.buffers[m])
                self.buffers[m] = []

    def person(self, plan: _Plan, person_id: int) -> None:
        gen = self.gen
        unit_id = self.unit_ids[plan.reg_unit]
        region = gen.units[plan.reg_unit].region
        self.registrations(plan, person_id, unit_id, region)
        yearly = self.contributions(plan, person_id)
        balance, months = self.account(plan, person_id, yearly)
        self.benefits(plan, person_id, balance, months)
        for t in plan.transfers:
            self.add(BoTransfer, {"person_id": person_id, **t, **_transfer_stages(t, self.gen.today)})
            self.counts.transfers += 1
            self.counts.open_transfers += t["status"] is not TransferStatus.COMPLETED

    def registrations(self, plan: _Plan, person_id: int, unit_id: int, region: str) -> None:
        start = plan.local_start
        # Each scheme began on its own date: maternity 1995, unemployment and medical 1999, work injury 2004.
        begun = {
            Scheme.PENSION: start,
            Scheme.MATERNITY: max(start, date(1995, 1, 1)),
            Scheme.UNEMPLOYMENT: max(start, date(1999, 1, 1)),
            Scheme.MEDICAL: max(start, date(1999, 1, 1)),
            Scheme.WORK_INJURY: max(start, date(2004, 1, 1)),
        }
        for scheme in _REGISTERED:
            status, end = plan.registration_status, plan.registration_end
            if plan.retired_on is not None and scheme not in (Scheme.PENSION, Scheme.MEDICAL):
                # A retiree stays insured for pension (now paid out) and medical care, the rest ends.
                status, end = RegistrationStatus.ENDED, plan.retired_on - timedelta(days=1)
            self.add(
                BoRegistration,
                {
                    "person_id": person_id,
                    "unit_id": unit_id,
                    "scheme": scheme,
                    "status": status,
                    "start_date": begun[scheme],
                    "end_date": end,
                    "region": region,
                },
            )
            self.counts.registrations += 1

    def contributions(self, plan: _Plan, person_id: int) -> dict[int, Decimal]:
        """Write the monthly rows; return the paid personal pension contributions per year."""
        gen = self.gen
        first = max(gen.window, _month(plan.local_start))
        cur_id = self.unit_ids[plan.reg_unit]
        prev_id = self.unit_ids[plan.prev_unit] if plan.prev_unit is not None else cur_id
        cur_rate = gen.units[plan.reg_unit].injury_rate
        prev_rate = gen.units[plan.prev_unit].injury_rate if plan.prev_unit is not None else cur_rate
        yearly: dict[int, Decimal] = {}
        amounts: dict[tuple[int, Decimal], list[tuple[Scheme, Decimal, Decimal, Decimal]]] = {}
        for m in range(first, plan.last + 1):
            if plan.prev_unit is not None and plan.switch - plan.gap <= m < plan.switch:
                continue  # between two jobs
            at_prev = plan.prev_unit is not None and m < plan.switch
            unit_id, rate = (prev_id, prev_rate) if at_prev else (cur_id, cur_rate)
            year = m // 12
            key = (year, rate)
            if key not in amounts:  # the base changes once a year, so compute each year's amounts once
                base = Decimal(plan.base(year, gen.first_year))
                rates = {**_RATES, Scheme.WORK_INJURY: (rate, Decimal(0))}
                amounts[key] = [
                    (
                        s,
                        base,
                        (base * rates[s][0]).quantize(_CENT, ROUND_HALF_UP),
                        (base * rates[s][1]).quantize(_CENT, ROUND_HALF_UP),
                    )
                    for s in _CONTRIBUTED
                ]
            unpaid = m > plan.last - plan.arrears
            status = ContributionStatus.ARREARS if unpaid else ContributionStatus.PAID
            period = _period(m)
            for scheme, base, unit_amount, person_amount in amounts[key]:
                self.add(
                    BoContribution,
                    {
                        "person_id": person_id,
                        "unit_id": unit_id,
                        "scheme": scheme,
                        "period": period,
                        "base": base,
                        "unit_amount": unit_amount,
                        "person_amount": person_amount,
                        "status": status,
                    },
                )
                if scheme is Scheme.PENSION and not unpaid:
                    yearly[year] = yearly.get(year, Decimal(0)) + person_amount
            self.counts.contributions += len(_CONTRIBUTED)
            self.counts.arrears += len(_CONTRIBUTED) if unpaid else 0
        return yearly

    def account(self, plan: _Plan, person_id: int, yearly: dict[int, Decimal]) -> tuple[Decimal, int]:
        """The personal account: paid personal pension contributions with yearly interest.

        Balance = Σ (paid personal pension contributions of year y) × 1.03^(years since y), plus the same
        sum for months before the stored window (or brought in by a completed transfer), modelled from the
        person's base. Months paid counts both.
        """
        gen = self.gen
        if plan.registration_status is RegistrationStatus.ENDED and not any(
            t["status"] is not TransferStatus.COMPLETED for t in plan.transfers
        ):
            return Decimal(0), 0  # transferred out and done: the account has gone with the person
        as_of = _month_end(plan.last)
        first_local = max(gen.window, _month(plan.local_start))
        carried = 0.0
        months = 0
        if plan.carried_from is not None:
            for m in range(plan.carried_from, min(first_local, plan.last + 1)):
                year = m // 12
                carried += plan.base(year, gen.first_year) * 0.08 * self._interest(year, as_of)
                months += 1
        stored = sum(float(v) * self._interest(y, as_of) for y, v in yearly.items())
        paid_months = sum(
            1
            for m in range(first_local, plan.last + 1 - plan.arrears)
            if not (plan.prev_unit is not None and plan.switch - plan.gap <= m < plan.switch)
        )
        balance = _money(carried + stored)
        self.add(
            BoAccount,
            {"person_id": person_id, "balance": balance, "months_paid": months + paid_months, "as_of": as_of},
        )
        self.counts.accounts += 1
        return balance, months + paid_months

    @staticmethod
    def _interest(year: int, as_of: date) -> float:
        return (1 + _ACCOUNT_INTEREST) ** max(0, as_of.year - year)

    def benefits(self, plan: _Plan, person_id: int, balance: Decimal, months: int) -> None:
        gen = self.gen
        today = gen.today
        if plan.retired_on is not None:
            start = _month(plan.retired_on)
            # Basic pension: 1 % of the mean of the average wage and the person's indexed wage per year paid,
            # plus the account divided by the months the State Council sets for the retirement age.
            year = plan.retired_on.year
            wage = _average_wage(year)
            index = min(max(plan.base(year - 1, gen.first_year) / wage, 0.6), 3.0)
            divisor = {60: 139, 55: 170, 50: 195}[plan.retire_age]
            # Years before personal accounts existed count too (视同缴费年限), from the first job on.
            service = max(months, start - _month(plan.career_start))
            monthly = wage * (1 + index) / 2 * service / 12 * 0.01 + float(balance) / divisor
            current = _month(today) if today.day >= _PENSION_PAYDAY else _month(today) - 1
            for m in range(max(start, current - 23), current + 1):
                raised = monthly * (1 + _PENSION_RAISE) ** (m // 12 - year)
                self.payment(person_id, BenefitKind.PENSION, m, _money(raised), _payday(m, _PENSION_PAYDAY))
        if plan.benefit_from is not None:
            current = _month(today) if today.day >= _UNEMPLOYMENT_PAYDAY else _month(today) - 1
            for m in range(plan.benefit_from, min(current, plan.benefit_from + 11) + 1):
                day = _payday(m, _UNEMPLOYMENT_PAYDAY)
                self.payment(person_id, BenefitKind.UNEMPLOYMENT, m, _UNEMPLOYMENT_BENEFIT, day)

    def payment(self, person_id: int, kind: BenefitKind, m: int, amount: Decimal, paid_on: date) -> None:
        row = {"person_id": person_id, "kind": kind, "period": _period(m), "amount": amount}
        self.add(BoBenefitPayment, {**row, "paid_on": paid_on})
        self.counts.payments += 1


#: Days after the application at which each transfer stage (7.1.2) is usually done, while one is open.
_TRANSFER_STAGE_DAYS = (("reviewed_on", 3), ("certificate_on", 7), ("received_on", 12), ("funds_on", None))
_CARD_BRANCHES = ("示例市社会保障卡服务中心", "示例市工商银行城南支行", "示例市建设银行高新支行")


def _transfer_stages(t: dict, today: date) -> dict:
    """The dates of a transfer's stages, from its own dates (no random draws: the rest of the data stays put).
    Every row gets every key (None: not done) because the rows are inserted together."""
    applied, done = t["applied_on"], t["completed_on"]
    if done is not None:
        span = (done - applied).days
        share = (("reviewed_on", 0.15), ("certificate_on", 0.35), ("received_on", 0.6), ("funds_on", 0.85))
        return {name: applied + timedelta(days=round(span * f)) for name, f in share}
    stages = {}
    for name, days in _TRANSFER_STAGE_DAYS:
        on = applied + timedelta(days=days) if days is not None else None
        stages[name] = on if on is not None and on <= today and t["status"] is not TransferStatus.APPLIED else None
    return stages


def _card_steps(p: _Plan, today: date) -> dict:
    """A card being made: applied some days ago, made after a week, sent to the branch after a fortnight."""
    if p.card_status is not CardStatus.MAKING:
        return {"card_applied_on": None, "card_made_on": None, "card_sent_on": None, "card_branch": None}
    applied = today - timedelta(days=3 + int(p.id_number[14:17]) % 25)
    made, sent = applied + timedelta(days=7), applied + timedelta(days=14)
    return {
        "card_applied_on": applied,
        "card_made_on": made if made <= today else None,
        "card_sent_on": sent if sent <= today else None,
        "card_branch": _CARD_BRANCHES[int(p.id_number[16]) % len(_CARD_BRANCHES)],
    }


def _chunks(rows: list[dict], size: int = _CHUNK) -> Iterator[list[dict]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _insert_returning_ids(session: Session, model: type, rows: list[dict]) -> list[int]:
    """Insert in chunks and return the new primary keys in row order (the database assigns them)."""
    ids: list[int] = []
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    for chunk in _chunks(rows):
        ids.extend(session.scalars(stmt, chunk).all())
    return ids


def population_exists(sessions: sessionmaker) -> bool:
    """True when the reference back office already has people."""
    with sessions() as s:
        return s.scalar(select(BoPerson.id).limit(1)) is not None


def write_population(s: Session, spec: DemoSpec) -> str:
    """Write the demo population into the reference back office in the caller's transaction; return a summary.
    The demo people's online logins are made by the identity layer (``gateway.identity.demo``)."""
    if spec.people < _MIN_PEOPLE or spec.units < _MIN_UNITS:
        raise ValueError(f"demo data needs at least {_MIN_PEOPLE} people and {_MIN_UNITS} units")
    if not 2023 <= spec.today.year <= 2045:
        # Births span 1960–2004 and the demo retiree retired in 2022: outside these years the story breaks.
        raise ValueError("demo data is made for a 'today' between 2023 and 2045")
    gen = _Generator(spec)
    units = gen.make_units()
    plans = gen.people()
    if s.scalar(
        select(func.count()).select_from(BoPerson).where(BoPerson.id_number.in_([p.id_number for p in DEMO_PEOPLE]))
    ):
        raise RuntimeError("demo data is already loaded")
    unit_ids = _insert_returning_ids(
        s,
        BoUnit,
        [
            {
                "credit_code": u.credit_code,
                "name": u.name,
                "legal_rep": u.legal_rep,
                "region": u.region,
                "registered_on": u.registered_on,
            }
            for u in units
        ],
    )
    person_ids = _insert_returning_ids(
        s,
        BoPerson,
        [
            {
                "id_number": p.id_number,
                "name": p.name,
                "birth_date": p.birth,
                "gender": p.gender,
                "phone": p.phone,
                "region": units[p.reg_unit].region,
                "status": p.status,
                "unit_id": unit_ids[p.unit] if p.unit is not None else None,
                "card_number": p.card_number,
                "card_status": p.card_status,
                **_card_steps(p, gen.today),
            }
            for p in plans
        ],
    )
    writer = _Writer(s, gen, unit_ids)
    for plan, person_id in zip(plans, person_ids, strict=True):
        writer.person(plan, person_id)
    writer.flush()
    # Their documents, each linked to the one social security number (LD/T 01 6.2.3 b, 6.2.1 uniqueness).
    by_number = {p.id_number: pid for p, pid in zip(plans, person_ids, strict=True)}
    s.execute(
        insert(BoPersonDocument),
        [
            {"person_id": by_number[d.social_security_number], "doc_type": doc_type, "number": number}
            for d in DEMO_DOCUMENT_PEOPLE
            for doc_type, number in d.documents
        ],
    )
    c = writer.counts
    statuses = Counter(p.status for p in plans)
    return (
        f"demo data (seed {spec.seed}, as of {spec.today.isoformat()}): {len(plans)} people "
        f"({statuses.get(PersonStatus.RETIRED, 0)} retired, {statuses.get(PersonStatus.UNEMPLOYED, 0)} "
        f"unemployed), {len(units)} units, {c.registrations} registrations, {c.contributions} monthly "
        f"contributions ({c.arrears} in arrears), {c.accounts} accounts, {c.payments} benefit payments, "
        f"{c.transfers} transfers ({c.open_transfers} open)"
    )


def demo_accounts(sessions: sessionmaker) -> list[DemoAccount]:
    """The demo logins present in the back office, the ordinary employee first."""
    with sessions() as s:
        rows = s.execute(
            select(BoPerson.id_number, BoPerson.name).where(BoPerson.id_number.in_([d.id_number for d in DEMO_PEOPLE]))
        )
        present = {row.id_number: row.name for row in rows}
    return [
        DemoAccount(d.key, d.role, d.id_number, present[d.id_number]) for d in DEMO_PEOPLE if d.id_number in present
    ]
