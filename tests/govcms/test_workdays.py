"""Working time on China's calendar: office hours with a lunch break, weekends, national holidays,
make-up working days (调休), local overrides, and years the national calendar has no data for yet.

Every instant here is an input, not today's date: the answers hold whenever the suite runs.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from govcms.workdays import add_working_hours, is_workday

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 3, 4), True),  # a Wednesday
        (date(2026, 3, 7), False),  # a Saturday
        (date(2026, 2, 17), False),  # Spring Festival
        (date(2026, 2, 14), True),  # a make-up Saturday
        (date(2026, 10, 1), False),  # National Day
        (date(2027, 1, 1), False),  # beyond the national calendar: New Year's Day is fixed by law
        (date(2027, 5, 3), True),  # beyond it too: an ordinary Monday
        (date(2027, 10, 2), False),  # a Saturday and National Day
    ],
)
def test_is_workday(day, working):
    assert is_workday(day) is working


def test_local_override_wins(settings):
    settings.GOVCMS_WORKDAY_OVERRIDES = {"2026-03-04": False, "2027-02-06": True}
    assert is_workday(date(2026, 3, 4)) is False
    assert is_workday(date(2027, 2, 6)) is True


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (at(2026, 3, 4, 10, 0), 4, at(2026, 3, 4, 15, 30)),  # across lunch
        (at(2026, 3, 4, 7, 0), 1, at(2026, 3, 4, 10, 0)),  # before opening
        (at(2026, 3, 6, 16, 0), 4, at(2026, 3, 9, 11, 30)),  # Friday → Monday
        (at(2026, 2, 13, 17, 0), 1, at(2026, 2, 14, 9, 30)),  # Friday → the make-up Saturday
        (at(2026, 12, 31, 16, 0), 4, at(2027, 1, 4, 11, 30)),  # year end, New Year's Day, a weekend
        (at(2026, 9, 30, 17, 0), 1, at(2026, 10, 8, 9, 30)),  # the National Day week
    ],
)
def test_add_working_hours(start, hours, due):
    assert add_working_hours(start, hours) == due
