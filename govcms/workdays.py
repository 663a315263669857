"""Working time in Asia/Shanghai: China's holidays and make-up working days (调休) from
chinesecalendar, a local override table for provincial days, and configurable office hours.

Deadlines in the product ("4 working hours", "1 working day") are computed here, so a step
submitted on Friday evening is due on Monday (or on the make-up Saturday when there is one).
"""

from datetime import date, datetime, time, timedelta

import chinese_calendar
from django.conf import settings
from django.utils import timezone

# Holidays on fixed Gregorian dates under the national holiday rules (全国年节及纪念日放假办法, as
# revised from 2025): New Year's Day, Labour Day (two days) and National Day (three days). They
# hold in every year, so they also hold in a year chinesecalendar has no data for yet; the lunar
# holidays and the make-up working days (调休) of such a year are only known once the State
# Council announces them: put them in GOVCMS_WORKDAY_OVERRIDES until chinesecalendar has them.
FIXED_DATE_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


def _office_hours() -> list[tuple[time, time]]:
    return [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in settings.GOVCMS_OFFICE_HOURS]


def is_workday(day: date) -> bool:
    """Whether `day` is a working day: the local override table first, then the national calendar.

    Days outside chinesecalendar's range fall back to Monday–Friday less the fixed-date holidays.
    """
    override = settings.GOVCMS_WORKDAY_OVERRIDES.get(day.isoformat())
    if override is not None:
        return override
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_DATE_HOLIDAYS


def add_working_hours(start: datetime, hours: float) -> datetime:
    """The aware instant `hours` office hours after `start` (Asia/Shanghai)."""
    remaining = timedelta(hours=hours)
    current = timezone.localtime(start)
    tz = current.tzinfo
    for _ in range(3660):  # at most ten years of days; a finite loop whatever the settings say
        if is_workday(current.date()):
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
