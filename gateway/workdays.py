"""Legal time limits in working days, on the Chinese public-holiday calendar.

The 《社会保险经办条例》 sets its limits in working days counted "自收到申请之日起": the day the application
is received does not count, so an N-working-day limit ends on the N-th working day after it.

Which days are working days comes from the ``chinesecalendar`` package (it knows 2004–2026 in 1.11.0) and
from an operator-supplied schedule, ``gateway/data/holidays.yaml``, copied from the State Council's yearly
notice (国务院办公厅关于部分节假日安排的通知). For a year neither knows, only weekends are rest days and the
due date is marked provisional: shown as such, never a failure. Pure Python, no Flask.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum, StrEnum
from pathlib import Path

import chinese_calendar
import yaml

__all__ = [
    "DEFAULT_SCHEDULE_PATH",
    "CalendarSource",
    "DueDate",
    "LegalLimit",
    "ScheduleError",
    "WorkCalendar",
    "YearSchedule",
    "add_working_days",
    "default_calendar",
    "expand_dates",
    "legal_due_date",
    "load_schedule_file",
    "write_year",
]

DEFAULT_SCHEDULE_PATH = Path(__file__).resolve().parent / "data" / "holidays.yaml"

_WEEKDAYS_ZH = "一二三四五六日"


def _is_weekday(d: date) -> bool:
    return d.weekday() < 5


# ---------------------------------------------------------------- the Regulation's limits


class LegalLimit(Enum):
    """Time limits of the Regulation, in working days from receipt (article, working days, what for)."""

    # Regulation Art. 6 para 2: personal social insurance registration, 10 working days
    PERSONAL_REGISTRATION = (6, 10, "个人社会保险登记")
    # Regulation Art. 10: change or cancellation of a registration, 10 working days
    REGISTRATION_CHANGE = (10, 10, "变更、注销社会保险登记")
    # Regulation Art. 18: claim for a basic pension, 20 working days
    PENSION_CLAIM = (18, 20, "申请领取基本养老保险待遇")
    # Regulation Art. 20 para 2: manual reimbursement of medical costs, 30 working days
    MEDICAL_REIMBURSEMENT = (20, 30, "医疗费用手工报销")
    # Regulation Art. 20 para 3: maternity allowance, 10 working days
    MATERNITY_ALLOWANCE = (20, 10, "申领生育津贴")
    # Regulation Art. 22 para 2: manual reimbursement of work-injury costs, 20 working days
    WORK_INJURY_REIMBURSEMENT = (22, 20, "工伤医疗费用手工报销")
    # Regulation Art. 24 para 1: unemployment benefit, 10 working days
    UNEMPLOYMENT_BENEFIT = (24, 10, "申领失业保险金")
    # Regulation Art. 24 para 3: vocational qualification subsidy, 10 working days
    SKILL_SUBSIDY = (24, 10, "申领职业资格证书等补贴")
    # Regulation Art. 25: the unit or family must report a reason to stop benefits within 20 working days
    # (a limit on them, not on the agency; counted the same way)
    BENEFIT_STOP_REPORT = (25, 20, "告知停止享受社会保险待遇情形")

    def __init__(self, article: int, days: int, label_zh: str) -> None:
        self.article = article
        self.days = days
        self.label_zh = label_zh


# ---------------------------------------------------------------- the operator's schedule file


class ScheduleError(ValueError):
    """The holiday schedule is malformed; the message names the problem in Chinese and English."""

    def __init__(self, message_zh: str, message_en: str, *, path: str | os.PathLike[str] | None = None) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        self.path = None if path is None else Path(path)
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{message_zh} / {message_en}")


@dataclass(frozen=True)
class YearSchedule:
    """One year's notice: the days off and the adjusted (weekend) working days."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = ""


class CalendarSource(StrEnum):
    """Where the answer for a day comes from."""

    OPERATOR = "operator"  # gateway/data/holidays.yaml or load_notice()
    CHINESECALENDAR = "chinesecalendar"
    WEEKENDS_ONLY = "weekends_only"  # nobody has loaded the year: provisional


class _StringDateLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings, so a bad date gets our message, not a PyYAML traceback."""


_StringDateLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RANGE_SEP = ".."


def _parse_one(text: str, year: int | str, path: Path | None) -> date:
    try:
        if not _DATE_RE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ScheduleError(
            f"{year} 年的日期“{text}”格式不正确，应为“年-月-日”（例如 2027-01-01）且日期真实存在",
            f"year {year}: malformed date {text!r} (expected an existing date as YYYY-MM-DD)",
            path=path,
        ) from None


def _expand(entries: object, year: int | str, what: str, path: Path | None) -> set[date]:
    """Expand a list of "YYYY-MM-DD" and "YYYY-MM-DD..YYYY-MM-DD" entries into dates."""
    if entries is None:
        return set()
    if isinstance(entries, str):
        entries = [part for part in re.split(r"[,\s]+", entries) if part]
    if not isinstance(entries, list):
        raise ScheduleError(
            f"{year} 年的 {what} 应为日期列表",
            f"year {year}: '{what}' must be a list of dates",
            path=path,
        )
    days: set[date] = set()
    for entry in entries:
        if isinstance(entry, datetime):  # a datetime is a date too; never a valid entry here
            entry = entry.isoformat()
        if isinstance(entry, date):
            days.add(entry)
            continue
        text = str(entry).strip()
        if _RANGE_SEP in text:
            first_text, _, last_text = text.partition(_RANGE_SEP)
            first, last = (
                _parse_one(first_text.strip(), year, path),
                _parse_one(last_text.strip(), year, path),
            )
            if last < first or (last - first).days > 366:
                raise ScheduleError(
                    f"{year} 年的日期区间“{text}”不正确（结束日期早于开始日期或跨度过大）",
                    f"year {year}: bad date range {text!r} (ends before it starts, or longer than a year)",
                    path=path,
                )
            days.update(first + timedelta(days=i) for i in range((last - first).days + 1))
        else:
            days.add(_parse_one(text, year, path))
    return days


def expand_dates(spec: str | Iterable[str | date]) -> list[date]:
    """Expand "2027-01-01..2027-01-03, 2027-02-06" (or a list of such) into sorted dates; for the CLI."""
    entries = spec if isinstance(spec, str) else list(spec)
    return sorted(_expand(entries, "?", "dates", None))


def _check_year(year: int, holidays: set[date], workdays: set[date], source: str, path: Path | None) -> YearSchedule:
    """Apply the file's rules to one year and freeze it."""
    if not 1949 <= year <= 2200:
        raise ScheduleError(f"年份 {year} 不合理", f"implausible year {year}", path=path)
    if not holidays:
        # Every notice has at least New Year's Day; an empty list is a half-finished entry.
        raise ScheduleError(
            f"{year} 年没有列出任何放假日期（holidays）",
            f"year {year}: no holidays listed",
            path=path,
        )
    for d in sorted(holidays | workdays):
        # A notice may reach a few days into the neighbouring year (the 2012 notice moved work to Saturday
        # 2011-12-31), so December before and January after are accepted; anything further is a typo.
        if not (d.year == year or (d.year == year - 1 and d.month == 12) or (d.year == year + 1 and d.month == 1)):
            raise ScheduleError(
                f"{year} 年的日期 {d.isoformat()} 不属于该年",
                f"year {year}: date {d.isoformat()} is outside that year",
                path=path,
            )
    both = sorted(holidays & workdays)
    if both:
        listed = "、".join(d.isoformat() for d in both)
        raise ScheduleError(
            f"{year} 年的日期 {listed} 同时列为放假日和调休上班日",
            f"year {year}: {', '.join(d.isoformat() for d in both)} listed both as holiday and as workday",
            path=path,
        )
    weekday_work = sorted(d for d in workdays if _is_weekday(d))
    if weekday_work:
        # Adjusted working days are always a Saturday or Sunday; Monday–Friday is a working day anyway.
        d = weekday_work[0]
        raise ScheduleError(
            f"{year} 年的调休上班日 {d.isoformat()} 是星期{_WEEKDAYS_ZH[d.weekday()]}，调休上班日应为周六或周日",
            f"year {year}: adjusted workday {d.isoformat()} is a weekday; adjusted workdays are Saturdays or Sundays",
            path=path,
        )
    return YearSchedule(year, frozenset(holidays), frozenset(workdays), source)


def _year_from_notice(
    year: int, holidays: Iterable[date | str], workdays: Iterable[date | str], source: str
) -> YearSchedule:
    """One year given in code (CLI or caller), checked by the same rules as the file."""
    return _check_year(
        year,
        _expand(list(holidays), year, "holidays", None),
        _expand(list(workdays), year, "workdays", None),
        source,
        None,
    )


def _check_across_years(schedules: Mapping[int, YearSchedule], path: Path | None) -> None:
    """Two notices must not disagree about the same date (a December day listed in next year's notice)."""
    seen: dict[date, tuple[int, bool]] = {}
    for year in sorted(schedules):
        s = schedules[year]
        for d, working in [(d, False) for d in s.holidays] + [(d, True) for d in s.workdays]:
            if d in seen and seen[d][1] != working:
                other = seen[d][0]
                raise ScheduleError(
                    f"日期 {d.isoformat()} 在 {other} 年和 {year} 年的安排中相互矛盾（一处放假，一处上班）",
                    f"{d.isoformat()} is a holiday in one of years {other}/{year} and a workday in the other",
                    path=path,
                )
            seen[d] = (year, working)


def _parse_year_key(key: object, path: Path | None) -> int:
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and key.strip().isdigit():
        return int(key)
    raise ScheduleError(f"年份“{key}”不正确，应为四位数字", f"bad year key {key!r} (expected e.g. 2027)", path=path)


def _parse_document(data: object, path: Path | None) -> dict[int, YearSchedule]:
    if data is None:
        return {}
    if not isinstance(data, dict) or "years" not in data:
        raise ScheduleError("文件顶层应为“years:”映射", "the top level must be a mapping with a 'years' key", path=path)
    unknown = sorted(str(k) for k in data if k != "years")
    if unknown:
        raise ScheduleError(f"未知的顶层键：{', '.join(unknown)}", f"unknown top-level keys: {unknown}", path=path)
    years = data["years"] or {}
    if not isinstance(years, dict):
        raise ScheduleError("“years”应为按年份的映射", "'years' must be a mapping of year → schedule", path=path)
    schedules: dict[int, YearSchedule] = {}
    for key, entry in years.items():
        year = _parse_year_key(key, path)
        if year in schedules:
            raise ScheduleError(f"{year} 年重复出现", f"year {year} appears twice", path=path)
        if not isinstance(entry, dict):
            raise ScheduleError(
                f"{year} 年的内容应包含 holidays 和 workdays",
                f"year {year}: expected a mapping with 'holidays' and 'workdays'",
                path=path,
            )
        extra = sorted(str(k) for k in entry if k not in ("holidays", "workdays", "source"))
        if extra:
            raise ScheduleError(
                f"{year} 年有未知的键：{', '.join(extra)}（只允许 holidays、workdays、source）",
                f"year {year}: unknown keys {extra} (allowed: holidays, workdays, source)",
                path=path,
            )
        holidays = _expand(entry.get("holidays"), year, "holidays", path)
        workdays = _expand(entry.get("workdays"), year, "workdays", path)
        source = str(entry.get("source") or "")
        schedules[year] = _check_year(year, holidays, workdays, source, path)
    _check_across_years(schedules, path)
    return schedules


def load_schedule_file(path: str | os.PathLike[str]) -> dict[int, YearSchedule]:
    """Read and validate an operator schedule file; raise ScheduleError naming the problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScheduleError("节假日安排文件不存在", "schedule file not found", path=p) from None
    try:
        data = yaml.load(text, Loader=_StringDateLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ScheduleError("文件不是有效的 YAML", f"not valid YAML: {exc}", path=p) from None
    return _parse_document(data, p)


DEFAULT_HEADER = """\
# 法定节假日安排（运营方维护）— public-holiday schedule supplied by the operator.
#
# The chinesecalendar package knows the years 2004–2026. Copy each later year here from the State Council
# General Office's notice (国务院办公厅关于××××年部分节假日安排的通知), or save it with the
# `shebao calendar` command. A year listed here replaces chinesecalendar's data for that year.
#
# Format (an invented year, to show the shape; not a real schedule):
#   years:
#     2099:
#       source: "国办发明电〔2098〕N号"            # the notice, for the record (optional)
#       holidays:                                  # days off (放假); "a..b" is an inclusive range
#         - 2099-01-01
#         - 2099-10-01..2099-10-07
#       workdays:                                  # adjusted working days (调休上班): Saturdays/Sundays
#         - 2099-10-10
#
# Checked on load: dates are real YYYY-MM-DD dates of that year (or the December before / January after,
# which notices sometimes touch); no date is both a holiday and a workday; workdays fall on weekends.
# Weekdays not listed are working days, weekends not listed are rest days.
# Due dates that run into a year nobody has listed count weekends only and are shown as provisional.
"""


def _leading_comments(path: Path) -> str:
    """The comment block at the top of an existing file, kept when the file is rewritten."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or (lines and not line.strip()):
            lines.append(line)
        else:
            break
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Group sorted dates into consecutive runs."""
    runs: list[tuple[date, date]] = []
    for d in sorted(days):
        if runs and d - runs[-1][1] == timedelta(days=1):
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    return runs


def _render_dates(key: str, days: frozenset[date]) -> list[str]:
    if not days:
        return [f"    {key}: []"]
    lines = [f"    {key}:"]
    for first, last in _runs(days):
        if first == last:
            lines.append(f"      - {first.isoformat()}  # 周{_WEEKDAYS_ZH[first.weekday()]}")
        else:
            span = (last - first).days + 1
            lines.append(
                f"      - {first.isoformat()}..{last.isoformat()}"
                f"  # 周{_WEEKDAYS_ZH[first.weekday()]}至周{_WEEKDAYS_ZH[last.weekday()]}，共{span}天"
            )
    return lines


def _render(header: str, schedules: Mapping[int, YearSchedule]) -> str:
    if not schedules:
        return header + "years: {}\n"
    lines = ["years:"]
    for year in sorted(schedules):
        s = schedules[year]
        lines.append(f"  {year}:")
        if s.source:
            lines.append(f"    source: {json.dumps(s.source, ensure_ascii=False)}")
        lines += _render_dates("holidays", s.holidays)
        lines += _render_dates("workdays", s.workdays)
    return header + "\n".join(lines) + "\n"


def write_year(
    path: str | os.PathLike[str],
    year: int,
    holidays: Iterable[date | str],
    workdays: Iterable[date | str],
    source: str = "",
) -> YearSchedule:
    """Validate one year's notice and save it into the schedule file (replacing that year), sorted."""
    p = Path(path)
    new = _year_from_notice(year, holidays, workdays, source)
    schedules = load_schedule_file(p) if p.exists() else {}
    schedules[year] = new
    _check_across_years(schedules, p)
    header = (_leading_comments(p) if p.exists() else "") or DEFAULT_HEADER
    text = _render(header, schedules)
    # Write beside the target, prove it reads back identically, then swap: a crash never leaves half a file.
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        if load_schedule_file(tmp) != schedules:
            raise ScheduleError("写入后读回的内容不一致", "schedule did not read back identically", path=p)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return new


# ---------------------------------------------------------------- the calendar


# The years chinesecalendar covers, derived the way the package itself checks (it raises
# NotImplementedError for any other year): 2004–2026 in 1.11.0.
_PACKAGE_FIRST_YEAR = min(d.year for d in chinese_calendar.holidays)
_PACKAGE_LAST_YEAR = max(d.year for d in chinese_calendar.holidays)


def _package_knows(year: int) -> bool:
    """Whether chinesecalendar has data for the year."""
    return _PACKAGE_FIRST_YEAR <= year <= _PACKAGE_LAST_YEAR


class WorkCalendar:
    """Working days from the operator's schedule (wins for its years), then chinesecalendar."""

    def __init__(self, schedule_path: str | os.PathLike[str] | None = DEFAULT_SCHEDULE_PATH) -> None:
        self._years: dict[int, YearSchedule] = {}
        self._overrides: dict[date, bool] = {}  # date → is a working day, from the operator's notices
        if schedule_path is not None:
            for schedule in load_schedule_file(schedule_path).values():
                self._add(schedule)

    def _add(self, schedule: YearSchedule) -> None:
        years = {**self._years, schedule.year: schedule}
        _check_across_years(years, None)
        self._years = years
        self._overrides = {}
        for s in years.values():
            self._overrides.update(dict.fromkeys(s.holidays, False))
            self._overrides.update(dict.fromkeys(s.workdays, True))

    def load_notice(
        self, year: int, holidays: Iterable[date | str], workdays: Iterable[date | str], source: str = ""
    ) -> YearSchedule:
        """Add (or replace) one year from the State Council's notice, validated like the file."""
        schedule = _year_from_notice(year, holidays, workdays, source)
        self._add(schedule)
        return schedule

    @property
    def operator_years(self) -> tuple[int, ...]:
        """Years supplied by the operator, sorted."""
        return tuple(sorted(self._years))

    def knows_year(self, year: int) -> bool:
        """Whether the holidays of ``year`` are known (operator schedule or chinesecalendar)."""
        return year in self._years or _package_knows(year)

    def last_known_year(self) -> int:
        """The end of the unbroken run of known years, for warning the operator before it runs out."""
        year = _PACKAGE_LAST_YEAR
        while self.knows_year(year + 1):
            year += 1
        return year

    def source_of(self, d: date) -> CalendarSource:
        """Where the answer for day ``d`` comes from."""
        if d in self._overrides or d.year in self._years:
            return CalendarSource.OPERATOR
        if _package_knows(d.year):
            return CalendarSource.CHINESECALENDAR
        return CalendarSource.WEEKENDS_ONLY

    def is_working_day(self, d: date) -> bool | None:
        """True/False for a known day; None when nobody knows the year (callers fall back to weekends)."""
        if isinstance(d, datetime):
            d = d.date()
        source = self.source_of(d)
        if source is CalendarSource.OPERATOR:
            return self._overrides.get(d, _is_weekday(d))
        if source is CalendarSource.CHINESECALENDAR:
            return _package_workday(d)
        return None


@functools.lru_cache(maxsize=4096)
def _package_workday(d: date) -> bool:
    """chinesecalendar's answer, kept: the package scans all its years on every call (some 26 µs), and a hall's
    week asks about 14 days on every look at it (issue 18). The package's data is fixed for the process."""
    return chinese_calendar.is_workday(d)


@functools.cache
def default_calendar() -> WorkCalendar:
    """The process-wide calendar from gateway/data/holidays.yaml; ``cache_clear()`` reloads it."""
    return WorkCalendar(DEFAULT_SCHEDULE_PATH)


# ---------------------------------------------------------------- due dates


@dataclass(frozen=True)
class DueDate:
    """The last day of a limit; provisional when it relies on a year whose holidays nobody has loaded."""

    date: date
    provisional: bool
    unknown_years: tuple[int, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for the API."""
        return {
            "date": self.date.isoformat(),
            "provisional": self.provisional,
            "unknown_years": list(self.unknown_years),
        }


def add_working_days(start: date, n: int, calendar: WorkCalendar | None = None) -> DueDate:
    """The N-th working day after ``start`` (the day of receipt does not count); n=0 gives ``start``."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {n!r}")
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    if isinstance(start, datetime):
        start = start.date()
    cal = calendar if calendar is not None else default_calendar()
    day, counted, unknown = start, 0, set()
    # "自收到申请之日起N个工作日内": counting starts the day after receipt, whatever kind of day that was.
    while counted < n:
        day += timedelta(days=1)
        working = cal.is_working_day(day)
        if working is None:
            unknown.add(day.year)
            working = _is_weekday(day)
        if working:
            counted += 1
    return DueDate(day, bool(unknown), tuple(sorted(unknown)))


def legal_due_date(limit: LegalLimit, received: date, calendar: WorkCalendar | None = None) -> DueDate:
    """Due date of a Regulation limit for an application received on ``received``."""
    return add_working_days(received, limit.days, calendar)
