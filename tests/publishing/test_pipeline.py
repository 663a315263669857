"""The publishing state machine against the platform sandbox over real HTTP.

Each test releases a post through the real editorial services, then drives `publication_run`
as the Celery task would (the worker-level tests live in test_worker.py), injects the fault,
and checks the final state, what the person is told, and the sandbox's own count of what was
published — never twice.
"""

import time

import pytest

from editorial.models import WechatArticlePage, WeiboPostPage
from govcms.models import Notification
from publishing.models import Publication, PublicationStatus
from publishing.services import publication_retry, publication_run

pytestmark = pytest.mark.django_db
WECHAT_BODY = (
    '<p>今冬寒潮来袭，请注意防寒保暖。</p><p><img src="{src}"></p><p>详见<a href="https://www.gov.cn/x">通知</a>。</p>'
)
HOSTED = "http://mmbiz.qpic.cn/sandbox/already-hosted.jpg"


def drive(pub_id, *, limit=40):
    """Run the publication until nothing more can happen now (as the worker would)."""
    for _ in range(limit):
        result = publication_run(pub_id)
        if result.action == "done":
            break
        if result.action == "poll":
            time.sleep(0.06)
    return Publication.objects.get(pk=pub_id)


def wechat_state(sandbox):
    return sandbox.state()["wechat"]["wxtest0000000001"]["counts"]


def weibo_state(sandbox):
    return sandbox.state()["weibo"]["5000000101"]["counts"]


@pytest.fixture
def weibo_post(accounts, release):
    def make(body="【寒潮预警】今夜起气温下降8至10℃，请注意防寒。"):
        post = release(accounts["weibo"], body=body)
        return Publication.objects.get(post=post)

    return make


@pytest.fixture
def wechat_post(accounts, release, image, cover):
    """An article with two body images (one of ours to re-host, one already on WeChat's CDN) and a cover."""

    def make():
        body = WECHAT_BODY.format(src=image.file.url) + f'<p><img src="{HOSTED}"></p>'
        post = release(accounts["wechat"], body=body, author="县融媒体中心", cover_image=cover)
        return Publication.objects.get(post=post)

    return make


def test_weibo_happy_path(weibo_post, sandbox):
    pub = drive(weibo_post().pk)
    assert pub.status == PublicationStatus.PUBLISHED
    assert pub.platform_post_id and pub.url and pub.content_hash and pub.published_at
    assert pub.reviewers == ["reviewer", "signer"]
    assert weibo_state(sandbox)["shares"] == 1
    share = sandbox.state()["weibo"]["5000000101"]["statuses"][0]
    assert "http://127.0.0.1:8000/" in share["text"], "the safe-domain link to the full text is appended"
    assert WeiboPostPage.objects.get(pk=pub.post_id).status == "published"


def test_wechat_article_with_body_images_and_cover(wechat_post, sandbox):
    pub = drive(wechat_post().pk)
    assert pub.status == PublicationStatus.PUBLISHED, pub.last_error
    assert pub.platform_post_id and pub.url
    counts = wechat_state(sandbox)
    assert counts["published"] == 1 and counts["submits"] == 1
    assert counts["uploads"] == 1 and counts["materials"] == 1
    import httpx

    page = httpx.get(pub.url).text  # the sandbox serves the published article at its URL
    assert "mmbiz" in page and "[1]" in page, "body image re-hosted, external link footnoted"
    assert "/media/" not in page and HOSTED in page, "our image re-hosted; the hosted one kept, not re-uploaded"


def test_duplicate_enqueue_and_redelivery_publish_once(weibo_post, sandbox, release, accounts):
    from publishing.services import publication_enqueue

    pub = weibo_post()
    again = publication_enqueue(post=pub.post.specific, revision=pub.revision, reviewers=[])
    assert again.pk == pub.pk
    drive(pub.pk)
    for _ in range(3):  # redelivered messages after success
        assert publication_run(pub.pk).action == "done"
    assert weibo_state(sandbox)["shares"] == 1


@pytest.mark.parametrize(
    ("platform", "fault", "status", "published", "code"),
    [
        ("wechat", {"kind": "http_500", "path": "/cgi-bin/freepublish/submit"}, "unknown", 0, "500"),
        ("wechat", {"kind": "truncated_json", "path": "/cgi-bin/freepublish/submit"}, "unknown", 1, ""),
        ("wechat", {"kind": "timeout", "path": "/cgi-bin/freepublish/submit", "seconds": 3}, "unknown", 0, ""),
        ("wechat", {"kind": "error_code", "code": 40001, "path": "/cgi-bin/draft/add"}, "published", 1, ""),
        ("wechat", {"kind": "error_code", "code": 45009, "path": "/cgi-bin/freepublish/submit"}, "published", 1, ""),
        ("wechat", {"kind": "error_code", "code": 45166, "path": "/cgi-bin/draft/add"}, "failed", 0, "45166"),
        ("wechat", {"kind": "publish_status", "publish_status": 3}, "failed", 0, "publish_status:3"),
        ("wechat", {"kind": "drop_callback"}, "published", 1, ""),
        ("weibo", {"kind": "truncated_json", "path": "/2/statuses/share.json"}, "published", 1, ""),
        ("weibo", {"kind": "error_code", "code": 21327, "path": "/2/statuses/share.json"}, "failed", 0, "21327"),
        ("weibo", {"kind": "error_code", "code": 20019, "path": "/2/statuses/share.json"}, "failed", 0, "20019"),
    ],
)
def test_faults(platform, fault, status, published, code, weibo_post, wechat_post, sandbox):
    """Weibo 5xx, timeouts and 20032 are settled by looks and re-shares: test_unknown_outcomes.py."""
    pub = (wechat_post if platform == "wechat" else weibo_post)()
    sandbox.fault(**fault)
    pub = drive(pub.pk)
    time.sleep(0.2)  # let any late platform-side job finish before counting
    counts = wechat_state(sandbox) if platform == "wechat" else weibo_state(sandbox)
    assert pub.status == status, (pub.last_error_code, pub.last_error)
    assert counts.get("published" if platform == "wechat" else "shares", 0) == published
    if code:
        assert pub.last_error_code == code
        assert code in pub.last_error or code == pub.last_error_code
    if status in ("failed", "unknown"):
        notes = Notification.objects.filter(kind__startswith="publication_") | Notification.objects.filter(
            kind="account_misconfigured"
        )
        assert notes.exists()
        assert all(f"[{pub.last_error_code or '-'}]" in n.message for n in notes), "the person is told the code"


def test_unverified_wechat_account_is_a_configuration_error(wechat_post, sandbox, staff, make_user, api, org):
    boss = make_user("boss", "agency_admin", org.city_a)
    sandbox.wechat_account("wxtest0000000001", "sandbox-secret-a1", verified=False)
    pub = drive(wechat_post().pk)
    assert pub.status == "failed" and pub.last_error_code == "48001"
    assert pub.attempts == 1, "never retried"
    assert wechat_state(sandbox).get("published", 0) == 0
    post = WechatArticlePage.objects.get(pk=pub.post_id)
    assert post.status == "failed"
    # The account is marked misconfigured and its admin is told.
    account = api("boss").get(f"/api/v1/accounts/{pub.account_id}").json()
    assert account["credentials"]["problem"]["code"] == "48001"
    assert Notification.objects.filter(user=boss, kind="account_misconfigured", message__contains="48001").exists()
    from govcms.services import credential_set

    credential_set(actor=boss, account=org.acct_a1_wechat, appid="wxtest0000000001", secret="sandbox-secret-a1")
    assert api("boss").get(f"/api/v1/accounts/{pub.account_id}").json()["credentials"]["problem"] is None


def test_unknown_needs_confirmation_before_retry(weibo_post, sandbox, staff, settings):
    """A share that fails with 5xx every time is looked for and re-shared until the attempts are
    used up; then it waits for a person, who must confirm it absent before it is tried again."""
    sandbox.fault(kind="http_500", path="/2/statuses/share.json", times=-1)
    pub = drive(weibo_post().pk)
    assert pub.status == "unknown" and pub.last_error_code == "500"
    assert pub.attempts == settings.GOVCMS_PUBLISH_MAX_ATTEMPTS
    assert weibo_state(sandbox).get("shares", 0) == 0
    sandbox.clear_faults()
    from govcms.services import ServiceError

    with pytest.raises(ServiceError) as refused:
        publication_retry(actor=staff["signer"], pub=pub)
    assert refused.value.code == "confirm_absent_first"
    publication_retry(actor=staff["signer"], pub=pub, confirmed_absent=True)
    pub = drive(pub.pk)
    assert pub.status == "published"
    assert weibo_state(sandbox)["shares"] == 1


def test_crash_mid_call_is_reconciled_not_repeated(weibo_post, sandbox, settings):
    """A worker that died after sending (in-flight marker committed, no answer recorded) leaves
    the next worker to look on the platform first."""
    from datetime import timedelta

    from django.utils import timezone

    from publishing.backends.registry import get_backend
    from publishing.services import _credentials, build_item

    pub = weibo_post()
    item, _ = build_item(pub)
    get_backend("weibo").publish(credentials=_credentials(pub), item=item)  # the call that "crashed"
    Publication.objects.filter(pk=pub.pk).update(
        status="publishing", attempts=1, in_flight_since=timezone.now() - timedelta(hours=1)
    )
    pub = drive(pub.pk)
    assert pub.status == "published"
    assert weibo_state(sandbox)["shares"] == 1
