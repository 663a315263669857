"""Due times, reminders and escalation (frozen clock); crisis fast-track with its after-the-fact review;
assignments that end or start change the queue at once."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from audit.models import LedgerEvent
from editorial.models import ReviewStep
from editorial.services import review_deadlines
from govcms.capabilities import SYSTEM
from govcms.models import Notification, RoleAssignment
from tests.editorial.test_review_flow import GOOD_BODY, draft
from tests.factories import grant

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("submitted", "due", "escalates"),
    [
        # Thursday 10:00: 4 working hours are 12:00 (2 h), lunch, 13:30 + 2 h = 15:30; escalation
        # 4 working hours later: 15:30 + 2 h (to 17:30) + next morning 2 h = Friday 11:00.
        (at(2026, 3, 5, 10, 0), at(2026, 3, 5, 15, 30), at(2026, 3, 6, 11, 0)),
        # New Year's Eve 16:00: 1.5 h that day, New Year's Day and a weekend off, due Monday 11:30
        # of the next year; escalation 4 working hours later, that afternoon at 17:00.
        (at(2026, 12, 31, 16, 0), at(2027, 1, 4, 11, 30), at(2027, 1, 4, 17, 0)),
    ],
    ids=["working-day", "year-end-holiday-weekend"],
)
def test_overdue_step_reminds_then_escalates(org, staff, leaders, cover, api, clock, submitted, due, escalates):
    """One clock for the whole run: the fixtures granted the roles at the test's start, and the
    clock only moves forward from there."""
    assert timezone.now() < submitted
    clock.move_to(submitted, tick=False)
    editor = api("editor")
    post = draft(editor, org, cover, body=GOOD_BODY)
    editor.post(f"/api/v1/posts/{post['id']}/submit", {})
    step = ReviewStep.objects.get(post_id=post["id"], open=True)
    assert timezone.localtime(step.due_at) == due
    assert review_deadlines() == {"reminded": 0, "escalated": 0}

    clock.move_to(due + timedelta(minutes=1), tick=False)
    assert review_deadlines() == {"reminded": 1, "escalated": 0}
    assert review_deadlines() == {"reminded": 0, "escalated": 0}, "a reminder is sent once"
    assert Notification.objects.filter(user=staff["reviewer"], kind="review_due").count() == 1
    assert not Notification.objects.filter(user=staff["editor"], kind="review_due").exists()
    assert api("signer").get("/api/v1/reviews").json()["items"] == []

    clock.move_to(escalates - timedelta(minutes=1), tick=False)
    assert review_deadlines()["escalated"] == 0
    clock.move_to(escalates + timedelta(minutes=1), tick=False)
    assert review_deadlines() == {"reminded": 0, "escalated": 1}
    assert ReviewStep.objects.get(pk=step.pk).roles == ["reviewer", "signer"]
    assert Notification.objects.filter(user=staff["signer"], kind="review_escalated").exists()
    signer = api("signer")
    items = signer.get("/api/v1/reviews").json()["items"]
    assert [(i["post_id"], i["step_index"], i["overdue"]) for i in items] == [(post["id"], 1, True)]
    assert signer.post(f"/api/v1/reviews/{step.pk}/approve", {"comment": "超时代审"}).status_code == 200
    assert LedgerEvent.objects.filter(action="review.reminded").count() == 1
    assert LedgerEvent.objects.filter(action="review.escalated").count() == 1


def test_ended_reviewer_loses_the_item_and_a_new_one_gains_it(org, staff, leaders, cover, api, make_user):
    editor = api("editor")
    post = draft(editor, org, cover, body=GOOD_BODY)
    editor.post(f"/api/v1/posts/{post['id']}/submit", {})
    # The reviewer keeps another role, so their token lives on (the end of a last role revokes it).
    grant(staff["reviewer"], "editor", org.county_a2)
    reviewer = api("reviewer")
    assert len(reviewer.get("/api/v1/reviews").json()["items"]) == 1
    assignment = RoleAssignment.objects.get(user=staff["reviewer"], role="reviewer")
    with time_machine.travel(timezone.now(), tick=False):
        from govcms.services import role_change

        role_change(actor=SYSTEM, assignment=assignment, valid_to=timezone.now() + timedelta(minutes=1))
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        assert reviewer.get("/api/v1/reviews").json()["items"] == []
        step = ReviewStep.objects.get(post_id=post["id"], open=True)
        assert reviewer.post(f"/api/v1/reviews/{step.pk}/approve", {}).status_code == 404
        make_user("new_reviewer", "reviewer", org.county_a1)
        items = api("new_reviewer").get("/api/v1/reviews").json()["items"]
        assert [i["post_id"] for i in items] == [post["id"]]


def test_crisis_fast_track_and_post_hoc_review(org, staff, leaders, cover, api):
    editor, signer, reviewer = api("editor"), api("signer"), api("reviewer")
    campaign = editor.post("/api/v1/campaigns", {"name": "寒潮应急", "agency_id": org.county_a1.pk, "crisis": True})
    assert campaign.status_code == 201
    post = draft(editor, org, cover, body=GOOD_BODY, campaign_id=campaign.json()["id"])
    editor.post(f"/api/v1/posts/{post['id']}/submit", {})
    assert reviewer.get("/api/v1/reviews").json()["items"] == [], "the fast track skips the reviewer"
    items = signer.get("/api/v1/reviews").json()["items"]
    assert [(i["step_index"], i["steps_total"], i["kind"]) for i in items] == [(1, 1, "publish")]
    assert signer.post(f"/api/v1/reviews/{items[0]['task_id']}/approve", {}).json()["post_status"] == "approved"
    assert LedgerEvent.objects.filter(action="post.fast_tracked", object_id=str(post["id"])).exists()

    follow_up = reviewer.get("/api/v1/reviews").json()["items"]
    assert [(i["kind"], i["post_id"]) for i in follow_up] == [("post_review", post["id"])]
    assert signer.get("/api/v1/reviews").json()["items"] == [], "the fast-track signer cannot review themselves"
    response = reviewer.post(f"/api/v1/reviews/{follow_up[0]['task_id']}/approve", {"comment": "事后核查无误"})
    assert response.status_code == 200
    assert reviewer.get("/api/v1/reviews").json()["items"] == []
    assert not ReviewStep.objects.filter(post_id=post["id"], open=True).exists()
