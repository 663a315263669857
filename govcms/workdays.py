"""Working time in Asia/Shanghai on China's calendar: holidays and make-up working days (调休)
kept as data (`govcms.models.CalendarDay`, edited by system admins), local days per jurisdiction,
and configurable office hours.

Deadlines in the product ("4 working hours", "1 working day") are computed here, so a step
submitted on Friday evening is due on Monday (or on the make-up Saturday when there is one).

Where a day's answer comes from, first match wins:
1. `GOVCMS_WORKDAY_OVERRIDES` (settings; kept for deployments that configured days there);
2. a local `CalendarDay` of the deepest agency whose subtree contains the asked path;
3. a national `CalendarDay` (an "estimate" row only while its year has no authoritative row);
4. the chinesecalendar package, for the years it knows;
5. a year known from authoritative rows (package or State Council): Monday–Friday;
6. any other year: Monday–Friday less the statutory holidays estimated from the lunar calendar
   (`estimated_holidays`), so an unannounced Spring Festival is never counted as working days.
"""

import logging
from datetime import date, datetime, time, timedelta
from functools import cache

import chinese_calendar
from django.conf import settings
from django.utils import timezone
from lunardate import LunarDate

logger = logging.getLogger(__name__)

# Holidays on fixed Gregorian dates under the national holiday rules (全国年节及纪念日放假办法, as
# revised from 2025): New Year's Day, Labour Day (two days) and National Day (three days).
FIXED_DATE_HOLIDAYS = {
    (1, 1): "元旦",
    (5, 1): "劳动节",
    (5, 2): "劳动节",
    (10, 1): "国庆节",
    (10, 2): "国庆节",
    (10, 3): "国庆节",
}

# The admin listing of CalendarDay (a Wagtail snippet), where the warnings send system admins.
CALENDAR_LIST_URL = "wagtailsnippets_govcms_calendarday:list"

# Sources whose rows settle a year (so its other weekdays are working days).
AUTHORITATIVE_SOURCES = ("package", "state_council")


# chinesecalendar's English holiday names → the Chinese names shown in the admin.
PACKAGE_NAMES = {h.value: h.chinese for h in chinese_calendar.constants.Holiday}


@cache
def package_years() -> range:
    """The years the installed chinesecalendar package has holiday data for (fixed for the
    process: deadline arithmetic asks this for every day it steps over)."""
    known = chinese_calendar.constants.holidays
    return range(min(known).year, max(known).year + 1)


def package_days() -> list[tuple[date, str, str]]:
    """(date, kind, name) of every holiday and make-up working day the package knows."""
    constants = chinese_calendar.constants
    rows = [(day, "holiday", PACKAGE_NAMES.get(name, name)) for day, name in constants.holidays.items()]
    rows += [(day, "workday", PACKAGE_NAMES.get(name, name)) for day, name in constants.workdays.items()]
    return sorted(rows)


@cache
def estimated_holidays(year: int) -> dict[date, str]:
    """The statutory holidays of `year` (全国年节及纪念日放假办法 as revised from 2025), computed:
    元旦 1 Jan; 春节 from 除夕 to 初三 (four days); 清明 on its solar term; 劳动节 1–2 May;
    端午 5/5 and 中秋 8/15 of the lunar calendar; 国庆节 1–3 Oct. The State Council's schedule
    (which adds weekends and make-up days around them) replaces this once entered.
    """
    days = {date(year, m, d): name for (m, d), name in FIXED_DATE_HOLIDAYS.items()}
    new_year = LunarDate(year, 1, 1).to_solar_date()
    for offset in range(-1, 3):  # 除夕 is the day before 初一, whatever the length of the 12th month
        days[new_year + timedelta(days=offset)] = "春节"
    for day, term in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30)):
        if term == "清明":
            days[day] = "清明"
    days[LunarDate(year, 5, 5).to_solar_date()] = "端午"
    days[LunarDate(year, 8, 15).to_solar_date()] = "中秋"
    return days


class WorkCalendar:
    """The working-day calendar as loaded from the database, one query per year asked about.

    Make one per unit of work (a request, a task run) and pass it to `is_workday` /
    `add_working_hours` when asking many questions: rows are not cached across instances, so an
    admin's edit counts from the next unit of work on.
    """

    def __init__(self):
        self._years: dict[int, tuple[dict[date, list[tuple[str, bool, str]]], bool]] = {}

    def _year(self, year: int):
        if year not in self._years:
            from .models import CalendarDay, CalendarDayKind

            rows: dict[date, list[tuple[str, bool, str]]] = {}
            authoritative = False
            for day, kind, source, jpath in CalendarDay.objects.filter(date__year=year).values_list(
                "date", "kind", "source", "jurisdiction__path"
            ):
                rows.setdefault(day, []).append((jpath or "", kind == CalendarDayKind.WORKDAY, source))
                authoritative |= jpath is None and source in AUTHORITATIVE_SOURCES
            self._years[year] = (rows, authoritative)
        return self._years[year]

    def year_has_data(self, year: int) -> bool:
        """Whether `year`'s holidays are known (package or State Council), not merely estimated."""
        return year in package_years() or self._year(year)[1]

    def is_workday(self, day: date, path: str = "") -> bool:
        """Whether `day` is a working day, for the agency or account at tree `path` ("" = national)."""
        override = settings.GOVCMS_WORKDAY_OVERRIDES.get(day.isoformat())
        if override is not None:
            return override
        rows, authoritative = self._year(day.year)
        local = [(jpath, working) for jpath, working, _ in rows.get(day, ()) if jpath and path.startswith(jpath)]
        if local:
            return max(local, key=lambda row: len(row[0]))[1]
        for jpath, working, source in rows.get(day, ()):
            if not jpath and (source in AUTHORITATIVE_SOURCES or not authoritative):
                return working
        if day.year in package_years():
            # chinese_calendar.is_workday, less its per-call scan of the whole table for the
            # supported range (the year was just checked).
            constants = chinese_calendar.constants
            return day in constants.workdays or (day.weekday() < 5 and day not in constants.holidays)
        if authoritative:
            return day.weekday() < 5
        return day.weekday() < 5 and day not in estimated_holidays(day.year)


def is_workday(day: date, *, path: str = "", calendar: WorkCalendar | None = None) -> bool:
    """Whether `day` is a working day (see the module docstring for where the answer comes from)."""
    return (calendar or WorkCalendar()).is_workday(day, path)


def _office_hours() -> list[tuple[time, time]]:
    return [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in settings.GOVCMS_OFFICE_HOURS]


def add_working_hours(
    start: datetime, hours: float, *, path: str = "", calendar: WorkCalendar | None = None
) -> datetime:
    """The aware instant `hours` office hours after `start` (Asia/Shanghai), for tree `path`."""
    calendar = calendar or WorkCalendar()
    remaining = timedelta(hours=hours)
    current = timezone.localtime(start)
    tz = current.tzinfo
    for _ in range(3660):  # at most ten years of days; a finite loop whatever the settings say
        if calendar.is_workday(current.date(), path):
            for opens, closes in _office_hours():
                window_start = max(current, datetime.combine(current.date(), opens, tz))
                window_end = datetime.combine(current.date(), closes, tz)
                if window_start >= window_end:
                    continue
                if window_start + remaining <= window_end:
                    return window_start + remaining
                remaining -= window_end - window_start
                current = window_end
        current = datetime.combine(current.date() + timedelta(days=1), time(0, 0), tz)
    raise ValueError("no working time found within ten years: check GOVCMS_OFFICE_HOURS")


def add_working_days(start: datetime, days: int, *, path: str = "", calendar: WorkCalendar | None = None) -> datetime:
    """The end of the `days`-th working day after the day of `start` (Asia/Shanghai), for `path`.

    "Answer within 5 working days" of an item received on Friday is due at the close of office
    hours on the fifth working day after Friday; the receiving day itself never counts.
    """
    calendar = calendar or WorkCalendar()
    current = timezone.localtime(start)
    day = current.date()
    for _ in range(3660):
        day += timedelta(days=1)
        if calendar.is_workday(day, path):
            days -= 1
            if days <= 0:
                return datetime.combine(day, _office_hours()[-1][1], current.tzinfo)
    raise ValueError("no working day found within ten years")


def next_year_missing(today: date, calendar: WorkCalendar | None = None) -> int | None:
    """The next year, when `today` is in October or later and that year has no holiday data."""
    calendar = calendar or WorkCalendar()
    if today.month >= 10 and not calendar.year_has_data(today.year + 1):
        return today.year + 1
    return None
