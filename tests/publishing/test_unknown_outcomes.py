"""Unknown Weibo outcomes settled by the machine: a look on the timeline, a re-share that the
platform's duplicate rule makes safe, and delayed looks after 20032 — never a second post.

Every test counts on the sandbox's side: the share requests it received (its request log) and
the statuses on the account's timeline. Delayed looks are driven by moving the one clock both
sides read (time_machine moves `time.time()` for the in-process sandbox too) and calling
`publication_run`, which is all the Celery task does.
"""

import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from publishing.models import Publication, PublicationStatus
from publishing.services import publication_run
from tests.publishing.test_pipeline import drive

pytestmark = pytest.mark.django_db
SHARE = "/2/statuses/share.json"
TIMELINE = "/2/statuses/user_timeline.json"
UID = "5000000101"


def calls(sandbox, path):
    """Requests the sandbox received on `path` (whatever it answered)."""
    return sum(1 for r in sandbox.requests() if r["path"] == path)


def statuses(sandbox):
    return sandbox.state()["weibo"][UID]["statuses"]


@pytest.fixture
def pub(accounts, release):
    post = release(accounts["weibo"], body="【寒潮预警】今夜起气温下降8至10℃，请注意防寒。")
    return Publication.objects.get(post=post)


def test_5xx_once_is_published_once_after_a_look(pub, sandbox):
    sandbox.fault("http_500", path=SHARE)
    pub = drive(pub.pk)
    assert pub.status == PublicationStatus.PUBLISHED, (pub.last_error_code, pub.last_error)
    assert calls(sandbox, SHARE) == 2, "refused once with 500, then shared again"
    assert calls(sandbox, TIMELINE) == 1, "looked on the timeline before sharing again"
    (status,) = statuses(sandbox)
    assert pub.platform_post_id == str(status["id"])
    kinds = list(pub.attempt_log.values_list("kind", "outcome"))
    assert kinds == [("publish", "absent"), ("publish", "published")]
    assert pub.unsettled_since is None and pub.looks_due == []


def test_timeout_whose_share_landed_is_published_once(pub, sandbox):
    sandbox.fault("posted_but_error", path=SHARE, then="timeout", seconds=3)  # client gives up at 2 s
    pub = drive(pub.pk)
    assert pub.status == PublicationStatus.PUBLISHED
    time.sleep(1.2)  # the sandbox logs the request once it has hung up on it
    assert calls(sandbox, SHARE) == 1, "found by the look: never shared again"
    assert len(statuses(sandbox)) == 1 and pub.platform_post_id == str(statuses(sandbox)[0]["id"])


def test_share_landing_after_the_look_is_not_posted_twice(pub, sandbox):
    """The platform performs the first share only after the client gave up and the look found
    nothing: the re-share posts it, and the late first share is refused as a duplicate."""
    sandbox.fault("timeout", path=SHARE, seconds=3, then="answer")
    pub = drive(pub.pk)
    assert pub.status == PublicationStatus.PUBLISHED
    time.sleep(1.5)  # the first share is performed (and refused) on the platform now
    assert len(statuses(sandbox)) == 1, "exactly one status on the timeline"
    assert sandbox.state()["weibo"][UID]["counts"]["shares"] == 1


@pytest.mark.parametrize(("visible_after", "found_at"), [(None, 120), (200, 300)])
def test_20032_is_found_on_a_later_look_without_a_second_share(pub, sandbox, visible_after, found_at):
    """20032 "posted, server slow": no look at once (the status shows 1-2 minutes later); looks
    at 2 and 5 minutes, run by Celery's countdown; found on one of them, shared once."""
    spec = {} if visible_after is None else {"visible_after": visible_after}
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sandbox.fault("posted_but_error", path=SHARE, **spec)
        sent = timezone.now()
        result = publication_run(pub.pk)
        assert (result.action, result.countdown) == ("retry", 120), "the task re-runs it in 2 minutes"
        pub.refresh_from_db()
        assert pub.status == PublicationStatus.QUEUED and pub.last_error_code == "20032"
        assert pub.next_attempt_at == sent + timedelta(seconds=120)
        assert calls(sandbox, TIMELINE) == 0, "not looked for before it can show"

        clock.shift(60)  # an early delivery (the sweep, a redelivered message) changes nothing
        assert publication_run(pub.pk).action == "retry"
        assert calls(sandbox, TIMELINE) == 0 and calls(sandbox, SHARE) == 1

        clock.shift(60)  # 2 minutes
        result = publication_run(pub.pk)
        if found_at == 300:
            pub.refresh_from_db()
            assert (result.action, result.countdown) == ("retry", 180) and pub.status == PublicationStatus.QUEUED
            assert pub.next_attempt_at == sent + timedelta(seconds=300)
            clock.shift(180)  # 5 minutes
            result = publication_run(pub.pk)
        assert result.action == "done"
    pub.refresh_from_db()
    assert pub.status == PublicationStatus.PUBLISHED, (pub.last_error_code, pub.last_error)
    assert calls(sandbox, SHARE) == 1, "no second share"
    assert calls(sandbox, TIMELINE) == (1 if found_at == 120 else 2)
    (status,) = statuses(sandbox)
    assert pub.platform_post_id == str(status["id"])


def test_20032_never_shown_is_shared_again_refused_as_duplicate_and_left_to_a_person(pub, sandbox):
    """Not on the timeline after 5 minutes: shared again; the platform refuses the repeat (it holds
    the first one), yet the timeline still does not show it — no look can settle that: unknown."""
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sandbox.fault("posted_but_error", path=SHARE, visible_after=3600)
        publication_run(pub.pk)
        clock.shift(120)
        publication_run(pub.pk)
        clock.shift(180)
        assert publication_run(pub.pk).action == "retry"  # nothing found: share again, now
        assert publication_run(pub.pk).action == "done"
    pub.refresh_from_db()
    assert pub.status == PublicationStatus.UNKNOWN and pub.last_error_code == "20019"
    assert sandbox.state()["weibo"][UID]["counts"]["shares"] == 1 and len(statuses(sandbox)) == 1
    assert calls(sandbox, SHARE) == 2


def test_duplicate_refusal_after_an_unknown_share_is_reconciled(pub, sandbox):
    """The first share is performed but answered 500 and shows late: the look finds nothing, the
    re-share is refused with 20019, and the look after it finds the first one: published once."""
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sandbox.fault("posted_but_error", path=SHARE, then="http_500", visible_after=30)
        assert publication_run(pub.pk).action == "retry"  # 500, looked, absent
        clock.shift(31)
        assert publication_run(pub.pk).action == "done"  # re-share → 20019 → look → found
    pub.refresh_from_db()
    assert pub.status == PublicationStatus.PUBLISHED
    (status,) = statuses(sandbox)
    assert pub.platform_post_id == str(status["id"])
    assert calls(sandbox, SHARE) == 2 and sandbox.state()["weibo"][UID]["counts"]["shares"] == 1
    assert [o for _, o in pub.attempt_log.values_list("kind", "outcome")] == ["absent", "published"]


def test_first_share_refused_as_duplicate_is_still_the_editors_business(pub, sandbox):
    """20019 on a share that follows no unknown outcome is someone else's (or an older) post."""
    sandbox.fault("error_code", path=SHARE, code=20019)
    pub = drive(pub.pk)
    assert pub.status == PublicationStatus.FAILED and pub.last_error_code == "20019"
    assert calls(sandbox, TIMELINE) == 0
