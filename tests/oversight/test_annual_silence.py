"""The annual assessment's `no_update_14d` vetoes the longest silence within the year, not only
the one at its end: a table of accounts with a year (2025) of publications every ten days but for
one gap each, judged as of 31 December by the annual assessment and by the 30-day report."""

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from govcms.models import AccountPage
from govcms.services import account_transition
from oversight.compliance import Period, compliance
from oversight.selectors import assessment
from tests.conftest import CLOCK_START
from tests.factories import account

from .conftest import publish

pytestmark = pytest.mark.django_db

YEAR = 2025
BASE = [date(YEAR, 1, 1) + timedelta(days=10 * n) for n in range(37)]  # 1 Jan … 27 Dec


def gap(first: date, then: date) -> list[date]:
    """BASE with nothing between `first` and `then`, and both."""
    return sorted({d for d in BASE if not first < d < then} | {first, then})


# name → (publication days, the operating spell's start, vetoed in the annual)
TABLE = {
    "june15": (gap(date(YEAR, 6, 1), date(YEAR, 6, 16)), None, True),
    "june13": (gap(date(YEAR, 6, 1), date(YEAR, 6, 14)), None, False),
    # 19 days across the year start, 9 of them inside the year
    "newyear9": (
        [date(YEAR - 1, 12, 22)] + [d for d in BASE if d >= date(YEAR, 1, 10)] + [date(YEAR, 1, 10)],
        None,
        False,
    ),
    # 17 days across the year start, 15 of them inside the year
    "newyear15": ([date(YEAR - 1, 12, 30), date(YEAR, 1, 16)] + [d for d in BASE if d > date(YEAR, 1, 16)], None, True),
    # operating only from 20 June: the half year before is no silence of its
    "spell": ([d for d in BASE if d >= date(YEAR, 6, 20)], date(YEAR, 6, 20), False),
}


def moment(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=CLOCK_START.tzinfo)


@pytest.fixture
def table(org, make_user, clock):
    resume = timezone.now() + timedelta(seconds=5)
    clock.move_to(moment(date(YEAR - 1, 11, 30)))  # the role, the accounts and their spells back then
    admin = make_user("annual_admin", "system_admin")
    accounts = {}
    for name, (days, spell, _vetoed) in TABLE.items():
        clock.move_to(moment(spell) if spell else moment(date(YEAR - 1, 12, 1)))
        acct = account(org.county_a2, name=name, exemption_reason="测试")
        account_transition(actor=admin, account=acct, to="operating", reason="开通")
        accounts[name] = acct
    clock.move_to(resume)
    for name, (days, _spell, _vetoed) in TABLE.items():
        for day in sorted(set(days)):
            publish(accounts[name], moment(day))
    return accounts


def vetoed(report: dict) -> dict[str, bool]:
    return {i["name"]: "no_update_14d" in i["vetoes"] for i in report["items"]}


def test_the_annual_vetoes_the_longest_silence_of_the_year(table):
    accounts = AccountPage.objects.filter(pk__in=[a.pk for a in table.values()])
    year_end = date(YEAR, 12, 31)
    annual = compliance(accounts, Period.ending(year_end, since=date(YEAR, 1, 1)), whole_period=True)
    assert vetoed(annual) == {name: row[2] for name, row in TABLE.items()}
    thirty_days = compliance(accounts, Period.ending(year_end))
    assert vetoed(thirty_days) == dict.fromkeys(TABLE, False)
    # The assessment per agency counts the same vetoes.
    (county,) = assessment(accounts, YEAR)["items"]
    assert county["vetoed"] == sum(row[2] for row in TABLE.values()) == 2

    # Timestamps only: a publication made now leaves the past year's answer as it was.
    publish(table["june15"], timezone.now())
    again = compliance(accounts, Period.ending(year_end, since=date(YEAR, 1, 1)), whole_period=True)
    assert vetoed(again) == vetoed(annual)


def test_the_annual_costs_the_same_queries_for_one_account_as_for_all(table):
    period = Period.ending(date(YEAR, 12, 31), since=date(YEAR, 1, 1))

    def queries(accounts) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert compliance(accounts, period, whole_period=True)["items"]
        return len(captured)

    one = AccountPage.objects.filter(pk=table["june15"].pk)
    every = AccountPage.objects.filter(pk__in=[a.pk for a in table.values()])
    assert queries(one) == queries(every)
