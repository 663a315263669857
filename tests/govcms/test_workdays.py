"""Working time on China's calendar: office hours with a lunch break, weekends, national holidays,
make-up working days (调休), the calendar as data (admin-entered days, local days), and years the
package has no data for yet (holidays estimated from the lunar calendar).

Every instant here is an input, not today's date: the answers hold whenever the suite runs.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from audit.models import LedgerEvent
from govcms.models import CalendarDay, Notification
from govcms.services import calendar_estimate_year, calendar_seed_from_package, calendar_warn_missing_year
from govcms.workdays import (
    WorkCalendar,
    add_working_days,
    add_working_hours,
    estimated_holidays,
    is_workday,
    package_years,
)

pytestmark = pytest.mark.django_db

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


def test_the_package_stops_before_2027():
    """The cases below that rely on estimates are only meaningful while the package lacks 2027."""
    assert 2027 not in package_years()


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (at(2026, 3, 4, 10, 0), 1, at(2026, 3, 5, 17, 30)),  # an ordinary Wednesday
        (at(2026, 3, 4, 10, 0), 5, at(2026, 3, 11, 17, 30)),  # five days over a weekend
        (at(2026, 3, 6, 16, 0), 1, at(2026, 3, 9, 17, 30)),  # Friday → Monday
        (at(2026, 3, 7, 11, 0), 1, at(2026, 3, 9, 17, 30)),  # received on a Saturday
        (at(2026, 3, 8, 23, 59), 1, at(2026, 3, 9, 17, 30)),  # Sunday night
        (at(2026, 2, 13, 17, 0), 1, at(2026, 2, 14, 17, 30)),  # → the make-up Saturday before 春节
        (at(2026, 2, 13, 17, 0), 2, at(2026, 2, 24, 17, 30)),  # across the 2026 Spring Festival
        (at(2026, 4, 2, 9, 0), 2, at(2026, 4, 7, 17, 30)),  # across 清明 (Sat–Mon)
        (at(2026, 4, 30, 9, 0), 1, at(2026, 5, 6, 17, 30)),  # across Labour Day (1–5 May)
        (at(2026, 5, 8, 9, 0), 1, at(2026, 5, 9, 17, 30)),  # → the make-up Saturday after it
        (at(2026, 6, 18, 9, 0), 1, at(2026, 6, 22, 17, 30)),  # across 端午
        (at(2026, 9, 19, 9, 0), 1, at(2026, 9, 20, 17, 30)),  # → the make-up Sunday before 国庆
        (at(2026, 9, 24, 9, 0), 1, at(2026, 9, 28, 17, 30)),  # across 中秋
        (at(2026, 9, 30, 17, 0), 1, at(2026, 10, 8, 17, 30)),  # across the National Day week
        (at(2026, 10, 9, 9, 0), 1, at(2026, 10, 10, 17, 30)),  # → the make-up Saturday after it
        (at(2026, 12, 31, 9, 0), 1, at(2027, 1, 4, 17, 30)),  # 2027 New Year's Day (estimated) + weekend
        (at(2027, 2, 4, 9, 0), 1, at(2027, 2, 9, 17, 30)),  # 2027 春节 estimated: 除夕 5 Feb – 初三 8 Feb
        (at(2027, 2, 4, 9, 0), 5, at(2027, 2, 15, 17, 30)),  # five days after it
        (at(2027, 4, 2, 9, 0), 1, at(2027, 4, 6, 17, 30)),  # 2027 清明 on its solar term (Mon 5 Apr)
        (at(2027, 6, 8, 9, 0), 1, at(2027, 6, 10, 17, 30)),  # 2027 端午 (Wed 9 Jun)
        (at(2027, 9, 14, 9, 0), 1, at(2027, 9, 16, 17, 30)),  # 2027 中秋 (Wed 15 Sep)
        (at(2027, 9, 30, 9, 0), 1, at(2027, 10, 4, 17, 30)),  # 2027 国庆 (Fri 1 Oct) + weekend
    ],
)
def test_add_working_days(start, days, due):
    assert add_working_days(start, days) == due


def test_working_hours_across_the_2027_spring_festival_without_package_data():
    """Thursday 4 Feb 2027, 16:00 + 4 office hours: 1.5 h that day, then nothing until the
    Tuesday after 初三 (the Friday is 除夕, the Monday 初三), where the 2.5 h end at 11:30."""
    assert add_working_hours(at(2027, 2, 4, 16, 0), 4) == at(2027, 2, 9, 11, 30)
    assert set(estimated_holidays(2027)) >= {date(2027, 2, d) for d in (5, 6, 7, 8)}


def test_admin_entered_schedule_replaces_the_estimate():
    """Once the State Council's 2027 schedule is entered, it (with its make-up Saturday) decides,
    and leftover estimates of that year no longer count."""
    calendar_estimate_year(actor=None, year=2027)
    assert CalendarDay.objects.filter(date__year=2027, source="estimate").count() == len(estimated_holidays(2027))
    for d in range(5, 14):  # say the State Council gives 5–13 Feb off (the admin edits the estimates)
        CalendarDay.objects.update_or_create(
            date=date(2027, 2, d),
            jurisdiction=None,
            defaults={"kind": "holiday", "name": "春节", "source": "state_council"},
        )
    CalendarDay.objects.create(date=date(2027, 2, 20), kind="workday", name="春节", source="state_council")
    assert add_working_days(at(2027, 2, 4, 9, 0), 1) == at(2027, 2, 15, 17, 30)
    assert add_working_days(at(2027, 2, 19, 9, 0), 1) == at(2027, 2, 20, 17, 30)  # the make-up Saturday
    # 2027-06-09 was only estimated: the year is now known, so it is an ordinary Wednesday.
    assert is_workday(date(2027, 6, 9)) is True
    assert WorkCalendar().year_has_data(2027) is True


def test_local_day_applies_inside_its_jurisdiction_only(org):
    CalendarDay.objects.create(
        date=date(2026, 3, 5), kind="holiday", name="地方节日", source="local", jurisdiction=org.county_a1
    )
    inside, outside = org.acct_a1_weibo.path, org.acct_b1_wechat.path
    assert is_workday(date(2026, 3, 5), path=inside) is False
    assert is_workday(date(2026, 3, 5), path=outside) is True
    assert is_workday(date(2026, 3, 5)) is True
    assert add_working_days(at(2026, 3, 4, 10, 0), 1, path=inside) == at(2026, 3, 6, 17, 30)
    # A deeper jurisdiction wins over a wider one.
    CalendarDay.objects.create(
        date=date(2026, 3, 6), kind="holiday", name="全市", source="local", jurisdiction=org.city_a
    )
    CalendarDay.objects.create(
        date=date(2026, 3, 6), kind="workday", name="本县照常", source="local", jurisdiction=org.county_a1
    )
    assert is_workday(date(2026, 3, 6), path=org.acct_a2_weibo.path) is False
    assert is_workday(date(2026, 3, 6), path=inside) is True


def test_seeding_copies_the_package_once_and_keeps_corrections():
    CalendarDay.objects.all().delete()
    CalendarDay.objects.create(date=date(2026, 2, 17), kind="workday", name="更正", source="state_council")
    created = calendar_seed_from_package(actor=None)
    assert created > 500 and calendar_seed_from_package(actor=None) == 0
    assert CalendarDay.objects.get(date=date(2026, 2, 17)).name == "更正"
    assert is_workday(date(2026, 2, 17)) is True  # the correction wins over the package
    assert LedgerEvent.objects.filter(action="calendar.seeded").count() == 1


def test_the_migration_seeded_the_package_years():
    row = CalendarDay.objects.get(date=date(2026, 2, 14), jurisdiction__isnull=True)
    assert (row.kind, row.name, row.source) == ("workday", "春节", "package")


def test_system_admins_are_warned_from_october_once(make_user, clock):
    admin = make_user("sys", "system_admin")
    editor = make_user("ed")
    assert calendar_warn_missing_year() == []  # March: too early
    clock.move_to(timezone.now() + timedelta(days=220))  # October 2026
    rows = calendar_warn_missing_year()
    assert [r.user_id for r in rows] == [admin.pk]
    assert "2027" in rows[0].message
    assert calendar_warn_missing_year() == []  # once
    assert not Notification.objects.filter(user=editor).exists()


def test_no_warning_once_next_year_is_entered(make_user, clock):
    make_user("sys", "system_admin")
    CalendarDay.objects.create(date=date(2027, 1, 1), kind="holiday", name="元旦", source="state_council")
    clock.move_to(timezone.now() + timedelta(days=220))
    assert calendar_warn_missing_year() == []


def test_dashboard_panel_for_system_admins_only(make_user, admin_client_for, org, clock):
    sysadmin = make_user("sys", "system_admin")
    editor = make_user("ed", "editor", org.county_a1)
    clock.move_to(timezone.now() + timedelta(days=220))
    assert "govcms-calendar-missing" in admin_client_for(sysadmin).get("/admin/").content.decode()
    assert "govcms-calendar-missing" not in admin_client_for(editor).get("/admin/").content.decode()


def test_system_admin_edits_the_calendar_in_the_admin_and_the_ledger_records_it(make_user, admin_client_for, org):
    sysadmin = make_user("sys", "system_admin")
    client = admin_client_for(sysadmin)
    response = client.post(
        "/admin/snippets/govcms/calendarday/add/",
        {"date": "2027-02-20", "kind": "workday", "name": "春节调休", "source": "state_council", "jurisdiction": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    day = CalendarDay.objects.get(date=date(2027, 2, 20))
    event = LedgerEvent.objects.get(action="calendar.day_added", object_id=str(day.pk))
    assert event.actor == "sys" and event.data["kind"] == "workday"
    assert day.history.count() == 1
    assert is_workday(date(2027, 2, 20)) is True
    editor = make_user("ed", "editor", org.county_a1)
    refused = admin_client_for(editor).post(
        "/admin/snippets/govcms/calendarday/add/",
        {"date": "2027-02-21", "kind": "workday", "name": "x", "source": "state_council", "jurisdiction": ""},
    )
    assert refused.status_code in (302, 403) and not CalendarDay.objects.filter(date=date(2027, 2, 21)).exists()
