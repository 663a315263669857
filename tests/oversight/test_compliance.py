"""The compliance engine on the acceptance fixture: exactly the expected vetoes, warnings,
deductions and scores today and as of a past date; later activity leaves the past report as it
was; a scheme edit changes the next report while the old one keeps naming its version; the
query count does not grow with the accounts; silence warnings go out once each."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from govcms.models import Notification
from govcms.services import account_transition
from inbox.models import InboxItem
from oversight import services
from oversight.compliance import Period, compliance
from oversight.selectors import ranking, report_accounts, week_period

from .conftest import PAST, TODAY, at, publish

pytestmark = pytest.mark.django_db

B = "below_weekly_minimum"
# account → (days since update, vetoes, warnings, deductions, bonus, score, passed)
EXPECTED = {
    TODAY: {
        "silent9": (9, [], [B], [(B, 5)], 0.5, 95.5, True),
        "silent10": (10, [], [B, "no_update_10d"], [("no_update_10d", 5), (B, 5)], 0.5, 90.5, True),
        "silent12": (12, [], [B, "no_update_12d"], [("no_update_12d", 10), (B, 5)], 0.5, 85.5, True),
        "silent13": (13, [], [B, "no_update_12d"], [("no_update_12d", 10), (B, 5)], 0.5, 85.5, True),
        "silent14": (14, ["no_update_14d"], [B], [(B, 5)], 0, 59, False),
        "silent15": (15, ["no_update_14d"], [B], [(B, 5)], 0, 59, False),
        "closed": (1, ["no_interaction_channel"], [], [], 0, 59, False),
        "overdue": (1, [], ["overdue_interactions"], [("overdue_interactions", 4)], 1.0, 97.0, True),
        "misstated": (1, ["serious_misstatement"], [], [], 0, 59, False),
        "outsourced": (
            1,
            [],
            ["outsourcing_contract_expired", "security_agreement_expired"],
            [("outsourcing_contract_expired", 10), ("security_agreement_expired", 10)],
            1.0,
            81.0,
            True,
        ),
    },
    PAST: {
        "silent9": (4, [], [], [], 0.5, 100.5, True),
        "silent10": (5, [], [], [], 0.5, 100.5, True),
        "silent12": (7, [], [B], [(B, 5)], 0.5, 95.5, True),
        "silent13": (8, [], [B], [(B, 5)], 0.5, 95.5, True),
        "silent14": (9, [], [B], [(B, 5)], 0.5, 95.5, True),
        "silent15": (10, [], [B, "no_update_10d"], [("no_update_10d", 5), (B, 5)], 0.5, 90.5, True),
        "closed": (2, ["no_interaction_channel"], [], [], 0, 59, False),
        "overdue": (2, [], [], [], 0.5, 100.5, True),
        "misstated": (2, [], [], [], 0.5, 100.5, True),
        "outsourced": (
            2,
            [],
            ["outsourcing_contract_expired"],
            [("outsourcing_contract_expired", 10)],
            0.5,
            90.5,
            True,
        ),
    },
}


def table(report) -> dict:
    return {
        item["name"]: (
            item["days_since_update"],
            item["vetoes"],
            item["warnings"],
            [(d["code"], d["points"]) for d in item["deductions"]],
            item["bonus"],
            item["score"],
            item["passed"],
        )
        for item in report["items"]
    }


def city_report(silent, as_of):
    return compliance(report_accounts(silent.auditor, silent.org.city_a), Period.ending(as_of))


def test_the_fixture_today_and_in_the_past_and_later_activity_changes_no_past_report(silent):
    today, past = city_report(silent, TODAY), city_report(silent, PAST)
    assert {TODAY: table(today), PAST: table(past)} == EXPECTED
    assert [s["scope"] for s in today["schemes"]] == [f"agency-{silent.org.city_a.pk}"]
    publish(silent.accounts["silent15"], timezone.now())
    InboxItem.objects.filter(pk__in=[i.pk for i in silent.items]).update(answered_at=timezone.now(), status="answered")
    services.comments_reopen(actor=silent.admin, account=silent.accounts["closed"])
    finding = services.finding_record(
        actor=silent.auditor, account=silent.accounts["silent9"], kind="fake_engagement", occurred_at=at(6)
    )
    services.finding_decide(actor=silent.auditor, finding=finding, confirm=True)
    services.scheme_set(actor=silent.auditor, agency=silent.org.city_a, fields={"pass_line": 70})
    assert city_report(silent, PAST) == past
    now = table(city_report(silent, TODAY))
    assert now["silent15"][:3] == (0, [], [])
    assert now["closed"][1] == [] and now["overdue"][2] == [] and now["silent9"][1] == ["fake_engagement"]


def test_a_scheme_edit_changes_the_next_report_and_the_old_keeps_its_version(silent, clock):
    city = silent.org.city_a
    old = city_report(silent, TODAY)
    assert old["schemes"][0]["version"] == 1
    deductions = [{"code": "no_update_10d", "points": 8, "cap": 8}, {"code": B, "points": 5, "cap": 5}]
    scheme = services.scheme_set(actor=silent.auditor, agency=city, fields={"deductions": deductions})
    clock.shift(timedelta(seconds=1))
    new = city_report(silent, TODAY)
    assert new["schemes"][0]["version"] == scheme.version == 2
    assert table(new)["silent10"][3:6] == ([("no_update_10d", 8), (B, 5)], 0.5, 87.5)
    assert table(new)["silent12"][3] == [(B, 5)]  # no_update_12d is no longer an item
    assert city_report(silent, PAST)["schemes"][0]["version"] == 1
    assert scheme.history.count() == 1
    from audit.models import LedgerEvent

    assert LedgerEvent.objects.filter(action="scheme.versioned", object_id=str(scheme.pk)).exists()


def _query_count_does_not_depend_on_the_number_of_accounts(silent):
    account_transition(actor=silent.admin, account=silent.org.acct_a2_weibo, to="operating", reason="开通")
    counts = []
    for agency in (silent.org.county_a2, silent.org.city_a):
        with CaptureQueriesContext(connection) as queries:
            report = compliance(report_accounts(silent.auditor, agency), Period.ending(TODAY))
        counts.append((len(queries), len(report["items"])))
    assert counts[0][1] == 1 and counts[1][1] == 11
    assert counts[0][0] == counts[1][0]


def test_ranking_lists_warnings_and_query_counts(silent):
    """One fixture for three reads: the weekly lists, the silence warnings, the query count."""
    _weekly_ranking_orders_and_lists(silent)
    _silence_warnings_go_to_staff_and_signer_once_each(silent)
    _query_count_does_not_depend_on_the_number_of_accounts(silent)


def _weekly_ranking_orders_and_lists(silent):
    year, week, _day = TODAY.isocalendar()
    result = ranking(report_accounts(silent.auditor, silent.org.city_a), week_period(year, week))
    names = {item["account_id"]: item["name"] for item in result["items"]}
    order = [names[i["account_id"]] for i in result["items"]]
    # Scores first; equal scores by activity (posts), then responsiveness, then id.
    assert [i["score"] for i in result["items"]] == sorted((i["score"] for i in result["items"]), reverse=True)
    assert order.index("silent9") < order.index("silent10") < order.index("silent12")
    # The misstatement happened before this week's Monday: it is not in this week's period.
    vetoed = {"silent14", "silent15", "closed"}
    assert vetoed <= {names[i] for i in result["black_list"]}
    assert not vetoed & {names[i] for i in result["red_list"]}
    assert {names[i] for i in result["red_list"]} == set(names.values()) - vetoed  # fewer than the scheme's 10


def _silence_warnings_go_to_staff_and_signer_once_each(silent):
    sent = services.silence_warnings_send()
    told = {
        (n.kind, n.object_id, n.user.username)
        for n in Notification.objects.filter(kind__startswith="compliance.").select_related("user")
    }
    ids = {name: str(a.pk) for name, a in silent.accounts.items()}
    staff = {
        ("compliance.silent_staff", ids[n], "ov_editor")
        for n in ("silent10", "silent12", "silent13", "silent14", "silent15")
    }
    leader = {
        ("compliance.silent_leader", ids[n], "ov_signer") for n in ("silent12", "silent13", "silent14", "silent15")
    }
    assert told == staff | leader
    assert sent == len(told)
    assert services.silence_warnings_send() == 0
