"""Inbox deadlines per jurisdiction as data, complex items, and the upkeep: a reminder before
the due time, the overdue mark after it and the escalation to the agency admins, once each."""

from datetime import date, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from audit.models import LedgerEvent
from govcms.capabilities import PolicyRefused
from govcms.services import ServiceError
from inbox.deadlines import deadlines_set, item_mark_complex
from inbox.models import InboxItem, ItemStatus
from inbox.services import item_enter
from inbox.tasks import deadline_sweep

pytestmark = pytest.mark.django_db


def enter(handlers, account, text="来电反映噪音扰民"):
    return item_enter(actor=handlers["signer"], account=account, text=text, channel="phone")  # signer of city A


def local_dates(item):
    return tuple(timezone.localtime(getattr(item, f)).date() for f in ("ack_due_at", "due_at"))


def test_deadlines_are_data_per_jurisdiction(org, handlers, make_user):
    # Received Wednesday 4 March 2026, 10:00: defaults 1 / 5 / 15 working days.
    assert local_dates(enter(handlers, org.acct_a1_weibo)) == (date(2026, 3, 5), date(2026, 3, 11))
    deadlines_set(actor=handlers["admin_a1"], agency=org.county_a1, ack_days=2, answer_days=3, complex_days=10)
    item = enter(handlers, org.acct_a1_weibo)
    assert local_dates(item) == (date(2026, 3, 6), date(2026, 3, 9))  # across the weekend
    assert timezone.localtime(item.due_at).time().isoformat() == "17:30:00"
    assert local_dates(enter(handlers, org.acct_a2_weibo)) == (date(2026, 3, 5), date(2026, 3, 11))  # next county
    # A city's figures reach its counties without their own; the deepest row wins.
    city_admin = make_user("admin_city_a", "agency_admin", org.city_a)
    deadlines_set(actor=city_admin, agency=org.city_a, ack_days=1, answer_days=10, complex_days=20)
    assert local_dates(enter(handlers, org.acct_a2_weibo))[1] == date(2026, 3, 18)
    assert local_dates(enter(handlers, org.acct_a1_weibo))[1] == date(2026, 3, 9)
    # Who may, and what is sensible.
    with pytest.raises(PolicyRefused) as refused:
        deadlines_set(actor=handlers["editor"], agency=org.county_a1, ack_days=1, answer_days=5, complex_days=15)
    assert refused.value.status == 403
    with pytest.raises(PolicyRefused) as refused:
        deadlines_set(actor=handlers["admin_b1"], agency=org.county_a1, ack_days=1, answer_days=5, complex_days=15)
    assert refused.value.status == 404
    for days in ((0, 5, 15), (3, 2, 15), (1, 5, 4), (1, 5, 61)):
        with pytest.raises(ServiceError) as bad:
            ack, answer, complex_ = days
            deadlines_set(
                actor=handlers["admin_a1"],
                agency=org.county_a1,
                ack_days=ack,
                answer_days=answer,
                complex_days=complex_,
            )
        assert bad.value.status == 422
    assert LedgerEvent.objects.filter(action="inbox.deadlines_set").count() == 2


def test_marking_complex_recomputes_the_due_date(org, handlers, api):
    item = enter(handlers, org.acct_a1_weibo)
    client = api("editor")
    response = client.post(f"/api/v1/inbox/{item.pk}/complex", {"is_complex": True})
    assert response.status_code == 200 and response.json()["is_complex"] is True
    item.refresh_from_db()
    assert local_dates(item)[1] == date(2026, 3, 25)  # 15 working days
    assert client.post(f"/api/v1/inbox/{item.pk}/complex", {"is_complex": False}).status_code == 200
    item.refresh_from_db()
    assert local_dates(item)[1] == date(2026, 3, 11)
    assert api("auditor_a").post(f"/api/v1/inbox/{item.pk}/complex", {}).status_code == 403
    assert [e.data["due_at"][:10] for e in LedgerEvent.objects.filter(action__endswith="marked_complex")] == [
        "2026-03-25",
        "2026-03-11",
    ]


def test_reminder_overdue_and_escalation_once_each(org, depts, handlers, clock, django_capture_on_commit_callbacks):
    assert settings.CELERY_BEAT_SCHEDULE["inbox-deadlines"]["task"] == "inbox.tasks.deadline_sweep"
    assigned = enter(handlers, org.acct_a1_weibo)
    InboxItem.objects.filter(pk=assigned.pk).update(assignee=handlers["editor"])
    unassigned = enter(handlers, org.acct_a1_weibo, text="另一件")
    answered = enter(handlers, org.acct_a1_weibo, text="已答复的")
    InboxItem.objects.filter(pk=answered.pk).update(status=ItemStatus.ANSWERED, answered_at=timezone.now())
    due = timezone.localtime(assigned.due_at)  # Wednesday 11 March, 17:30

    def sweep(at):
        clock.move_to(at)
        with django_capture_on_commit_callbacks(execute=True):
            return deadline_sweep()

    nothing = {"reminded": 0, "overdue": 0, "escalated": 0}
    assert sweep(due - timedelta(hours=5)) == nothing
    assert sweep(due - timedelta(hours=3)) == {**nothing, "reminded": 2}
    assert sweep(due - timedelta(hours=2)) == nothing
    assert handlers["editor"].govcms_notifications.filter(kind="inbox_due_soon").count() == 2  # assignee + handler
    assert handlers["edu_editor"].govcms_notifications.count() == 0  # the department is not the item's agency
    assert sweep(due + timedelta(minutes=1)) == {**nothing, "overdue": 2}
    assert sweep(due + timedelta(hours=2)) == nothing
    assert InboxItem.objects.get(pk=assigned.pk).status == ItemStatus.OVERDUE
    # Escalation one working day after the due time: Thursday 12 March, 17:30.
    escalate = datetime(2026, 3, 12, 17, 31, tzinfo=due.tzinfo)
    assert sweep(escalate - timedelta(hours=1)) == nothing
    assert sweep(escalate) == {**nothing, "escalated": 2}
    assert sweep(escalate + timedelta(days=3)) == nothing
    escalations = handlers["admin_a1"].govcms_notifications.filter(kind="inbox_escalated")
    assert escalations.count() == 2 and handlers["admin_b1"].govcms_notifications.count() == 0
    counts = {
        action: LedgerEvent.objects.filter(action=action, object_id=str(assigned.pk)).count()
        for action in ("inbox.reminded", "inbox.overdue", "inbox.escalated")
    }
    assert counts == {"inbox.reminded": 1, "inbox.overdue": 1, "inbox.escalated": 1}
    assert not LedgerEvent.objects.filter(object_id=str(answered.pk), action__in=list(counts)).exists()
    # Marked complex after all that: due again in the future, no longer overdue, escalation kept.
    item = item_mark_complex(actor=handlers["editor"], item=InboxItem.objects.get(pk=unassigned.pk))
    assert (item.status, item.overdue_at, item.reminded_at) == (ItemStatus.OPEN, None, None)
    assert item.escalated_at is not None and local_dates(item)[1] == date(2026, 3, 25)
