"""The publishing admin screens (发布问题, attempt log, retry, 微博授权) through the real Wagtail admin,
against the platform sandbox over real HTTP."""

import json
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import LedgerEvent
from editorial import services as ed
from govcms.capabilities import SYSTEM
from govcms.models import AccountCredential, Notification
from publishing.models import Publication, PublicationAttempt
from publishing.oauth import OAuthError, exchange_code
from tests.publishing.test_pipeline import drive

pytestmark = pytest.mark.django_db

PROBLEMS = "/admin/publishing/problems/"
CALLBACK = "/admin/publishing/weibo/callback/"
CLIENT_ID, CLIENT_SECRET = "govcms-test-app", "govcms-test-app-secret"
REDIRECT_URI = f"http://testserver{CALLBACK}"
UID = "5000000101"
OLD_TOKEN = "sandbox-token-a1"


def pub_url(pub, view=""):
    return f"/admin/publishing/publications/{pub.pk}/{view + '/' if view else ''}"


def authorize_url(account):
    return f"/admin/publishing/weibo/authorize/{account.pk}/"


def body(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def refused(response):
    """Wagtail answers a PermissionDenied in the admin with a redirect to the dashboard (or a 403)."""
    return response.status_code == 403 or (response.status_code == 302 and response.url.rstrip("/") == "/admin")


def menu_label(text):
    """How `text` appears in the sidebar's JSON (non-ASCII escaped)."""
    return json.dumps(text)[1:-1]


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def listed(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return sorted(p.pk for p in response.context["object_list"])


@pytest.fixture
def people(staff, make_user, org):
    """staff (editor/reviewer at county A1, signer at city A, outsider signer at county B1), plus
    county A1's agency admin and city A's auditor."""
    return {
        **staff,
        "admin": make_user("admin_a1", "agency_admin", org.county_a1),
        "auditor": make_user("aud_a", "auditor", org.city_a),
    }


@pytest.fixture
def problem(people):
    """A publication row in a given state, without the platform (for listing tests)."""
    n = iter(range(1000))

    def make(account, status, *, code="", error="", attempted_at=None, next_attempt_at=None, changed_at=None):
        i = next(n)
        body = "【通知】测试内容" if account.platform == "weibo" else "<p>测试内容</p>"
        # Set-up data, in any county: drafted by the system (the editor may draft only in theirs).
        post = ed.post_create(actor=SYSTEM, account=account, kind=account.platform, title=f"问题{i}", body=body)
        pub = Publication.objects.create(
            post=post,
            revision=post.latest_revision,
            account=account,
            platform=account.platform,
            status=status,
            attempts=1,
            last_error_code=code,
            last_error=error,
        )
        PublicationAttempt.objects.create(
            publication=pub,
            number=1,
            started_at=attempted_at or timezone.now(),
            outcome={"failed": "content", "unknown": "unknown"}.get(status, "transient"),
            error_code=code,
            error_message=error,
            request_summary=[{"call": "POST /2/statuses/share.json", "http_status": 400}],
        )
        Publication.objects.filter(pk=pub.pk).update(
            next_attempt_at=next_attempt_at, updated_at=changed_at or timezone.now()
        )
        return pub

    return make


@pytest.fixture
def weibo_app(settings, sandbox):
    """The project's Weibo app, registered with the sandbox; the redirect URI is the default
    (the admin's callback as the test client reaches it)."""
    settings.GOVCMS_WEIBO_CLIENT_ID = CLIENT_ID
    settings.GOVCMS_WEIBO_CLIENT_SECRET = CLIENT_SECRET
    sandbox.weibo_app(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
    return sandbox


def start_authorisation(client, account) -> dict:
    """Click 微博授权: the admin's redirect to the platform, as query parameters."""
    response = client.get(authorize_url(account))
    assert response.status_code == 302, response.status_code
    return {key: values[0] for key, values in parse_qs(urlsplit(response.url).query).items()} | {"url": response.url}


def credential(account):
    return AccountCredential.objects.get(account=account)


# --- 发布问题 -------------------------------------------------------------------------------------


def test_problems_listing_scope_states_and_actions(org, people, problem, admin_client_for):
    now = timezone.now()
    attempted = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    failed = problem(org.acct_a1_weibo, "failed", code="20019", error="repeated content", attempted_at=attempted)
    unknown = problem(org.acct_a1_wechat, "unknown", code="500", error="WeChat answered HTTP 500")
    overdue = problem(
        org.acct_a2_weibo,
        "queued",
        code="10023",
        next_attempt_at=now - timedelta(minutes=30),
        changed_at=now - timedelta(minutes=40),
    )
    # Due two minutes ago: late, not yet a problem.
    problem(
        org.acct_a1_weibo, "queued", next_attempt_at=now - timedelta(minutes=2), changed_at=now - timedelta(hours=1)
    )
    # Re-queued by a person a moment ago: its old next_attempt_at does not make it overdue.
    problem(org.acct_a1_weibo, "queued", next_attempt_at=now - timedelta(hours=2), changed_at=now)
    problem(org.acct_a1_weibo, "published")
    elsewhere = problem(org.acct_b1_wechat, "failed", code="48001", error="api unauthorized")

    signer = admin_client_for(people["signer"])  # city A: both counties
    response = signer.get(PROBLEMS)
    assert listed(response) == sorted([failed.pk, unknown.pk, overdue.pk])
    page = response.content.decode()
    assert "问题0" in page and f"/admin/pages/{failed.post_id}/edit/" in page
    assert "20019" in page and "repeated content" in page and "甲一发布" in page
    assert "2026-01-05 10:00:00" in page, "last attempt shown in Beijing time"
    assert "排队超时" in page
    assert f'action="{pub_url(failed, "retry")}"' in page
    assert pub_url(unknown, "confirm-absent") in page
    assert pub_url(unknown, "retry") not in page, "an unknown outcome is never retried in one click"
    assert pub_url(overdue, "retry") not in page

    assert listed(signer.get(PROBLEMS, {"status": "unknown"})) == [unknown.pk]
    assert listed(signer.get(PROBLEMS, {"q": "repeated"})) == [failed.pk]
    assert listed(signer.get(PROBLEMS, {"platform": "weibo"})) == sorted([failed.pk, overdue.pk])
    assert menu_label("发布问题（3）") in body(signer.get("/admin/"))

    editor = admin_client_for(people["editor"])  # county A1 only
    assert listed(editor.get(PROBLEMS)) == sorted([failed.pk, unknown.pk])

    auditor = admin_client_for(people["auditor"])
    response = auditor.get(PROBLEMS)
    assert listed(response) == sorted([failed.pk, unknown.pk, overdue.pk])
    page = response.content.decode()
    assert "/retry/" not in page and "/confirm-absent/" not in page, "auditors read only"
    assert pub_url(failed) in page, "but they see the attempt log"
    assert refused(auditor.post(pub_url(failed, "retry")))
    assert refused(auditor.get(pub_url(unknown, "confirm-absent")))
    reviewer = admin_client_for(people["reviewer"])
    assert "/retry/" not in body(reviewer.get(PROBLEMS))
    assert refused(reviewer.post(pub_url(failed, "retry")))
    assert Publication.objects.get(pk=failed.pk).status == "failed"

    outsider = admin_client_for(people["outsider"])  # county B1
    assert listed(outsider.get(PROBLEMS)) == [elsewhere.pk]
    assert outsider.get(pub_url(failed)).status_code == 404
    assert outsider.post(pub_url(failed, "retry")).status_code == 404
    assert outsider.get(pub_url(unknown, "confirm-absent")).status_code == 404


def test_retry_refusals_are_messages_not_errors(org, people, problem, admin_client_for):
    unknown = problem(org.acct_a1_weibo, "unknown", code="timeout")
    failed = problem(org.acct_a1_weibo, "failed", code="20019")
    client = admin_client_for(people["editor"])

    # Posting the one-click retry for an unknown outcome: the service refuses, the page says why.
    response = client.post(pub_url(unknown, "retry"), {"next": PROBLEMS})
    assert response.status_code == 302 and response.url == PROBLEMS
    assert any("确认不存在后再重试" in m for m in flashed(response))
    assert Publication.objects.get(pk=unknown.pk).status == "unknown"

    response = client.post(pub_url(failed, "retry"), {"next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == PROBLEMS, "no redirect off the site"
    assert any("已重新排队" in m for m in flashed(response))
    assert Publication.objects.get(pk=failed.pk).status == "queued"
    assert LedgerEvent.objects.get(action="publication.retry", object_id=str(failed.pk)).actor == "editor"
    response = client.post(pub_url(failed, "retry"))  # twice: now queued, not retryable
    assert response.status_code == 302
    assert any("只有失败或结果未知的发布可以重试" in m for m in flashed(response))
    assert listed(client.get(PROBLEMS)) == [unknown.pk], "a re-queued publication is not a problem"
    assert client.get(pub_url(failed, "confirm-absent")).status_code == 302, "nothing to confirm for it"


def test_problems_listing_queries_do_not_grow(org, people, problem, admin_client_for):
    client = admin_client_for(people["signer"])
    accounts = [org.acct_a1_weibo, org.acct_a1_wechat, org.acct_a2_weibo]
    statuses = ["failed", "unknown", "queued"]
    old = timezone.now() - timedelta(hours=1)

    def add(i):
        status = statuses[i % 3]
        problem(accounts[i % 3], status, code="21327" if i % 3 == 0 else "500", next_attempt_at=old, changed_at=old)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(PROBLEMS)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.context["object_list"])

    for i in range(3):
        add(i)
    count()  # warm per-process caches (content types, site root)
    small, rows = count()
    assert rows == 3
    for i in range(3, 12):
        add(i)
    large, rows = count()
    assert rows == 12
    assert large == small


# --- unknown outcomes and the attempt log, against the sandbox ----------------------------------


def test_unknown_is_retried_only_after_confirming_it_is_absent(accounts, release, sandbox, people, admin_client_for):
    # 5xx on every share: looked for and shared again until the attempts are used up, then a person.
    sandbox.fault(kind="http_500", path="/2/statuses/share.json", times=-1)
    post = release(accounts["weibo"], body="【停水通知】明日9时至17时停水。")
    pub = drive(Publication.objects.get(post=post).pk)
    assert pub.status == "unknown"
    sandbox.clear_faults()
    client = admin_client_for(people["editor"])

    confirm = pub_url(pub, "confirm-absent")
    page = body(client.get(confirm))
    assert f"{sandbox.base_url}/_sandbox/accounts/weibo/{UID}" in page, "where to look"
    assert "重试会再发一次" in page and "t.cn" in page
    response = client.post(confirm, {})
    assert response.status_code == 200, "not confirmed: the form says so"
    assert "请先到平台核对" in response.content.decode()
    assert Publication.objects.get(pk=pub.pk).status == "unknown"

    response = client.post(f"{confirm}?next={PROBLEMS}", {"checked": "on"})
    assert response.status_code == 302 and response.url == PROBLEMS
    assert any("已重新排队" in m for m in flashed(response))
    retry = LedgerEvent.objects.get(action="publication.retry", object_id=str(pub.pk))
    assert retry.actor == "editor" and retry.data["confirmed_absent"] is True
    pub = drive(pub.pk)
    assert pub.status == "published"
    assert sandbox.state()["weibo"][UID]["counts"]["shares"] == 1


def test_attempt_log_lists_attempts_and_never_a_secret(accounts, release, sandbox, people, admin_client_for):
    sandbox.fault(kind="error_code", code=20019, path="/2/statuses/share.json")
    post = release(accounts["weibo"], body="【提示】注意防寒。")
    pub = drive(Publication.objects.get(post=post).pk)
    assert pub.status == "failed"
    # A summary a buggy backend might write: the page masks secret-named values all the same.
    PublicationAttempt.objects.create(
        publication=pub,
        number=2,
        kind="poll",
        request_summary=[{"call": "GET /2/x.json?access_token=LEAKED-1", "client_secret": "LEAKED-2"}],
    )
    for user in ("editor", "auditor"):
        page = body(admin_client_for(people[user]).get(pub_url(pub)))
        assert "POST /2/statuses/share.json" in page and "http_status=400" in page
        assert "20019" in page and "内容被平台拒绝" in page and "查询发布任务" in page
        for secret in (OLD_TOKEN, "LEAKED-1", "LEAKED-2", "OAuth2 ", "sandbox-secret-a1"):
            assert secret not in page
    assert admin_client_for(people["outsider"]).get(pub_url(pub)).status_code == 404


# --- 微博授权 ------------------------------------------------------------------------------------


def test_agency_admin_reauthorises_through_the_weibo_authorize_page(
    accounts, weibo_app, people, admin_client_for, caplog
):
    caplog.set_level(logging.DEBUG)
    weibo = accounts["weibo"]
    before = credential(weibo)
    client = admin_client_for(people["admin"])
    assert authorize_url(weibo) in body(client.get(f"/admin/pages/{weibo.pk}/edit/")), "header button"
    assert authorize_url(weibo) in body(client.get(f"/admin/pages/{weibo.pk}/")), "and in the explorer"

    sent = start_authorisation(client, weibo)
    assert sent["url"].startswith(f"{weibo_app.base_url}/oauth2/authorize?")
    assert sent["client_id"] == CLIENT_ID and sent["redirect_uri"] == REDIRECT_URI and len(sent["state"]) >= 32
    # The admin's browser on the platform: the consent page, then "授权" as the sandbox user.
    consent = httpx.get(sent["url"])
    assert consent.status_code == 200 and UID in consent.text
    fields = {key: sent[key] for key in ("client_id", "redirect_uri", "state")}
    approved = httpx.post(f"{weibo_app.base_url}/oauth2/authorize", data={**fields, "uid": UID})
    assert approved.status_code in (302, 303)
    back = urlsplit(approved.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT_URI

    started = timezone.now()
    response = client.get(f"{CALLBACK}?{back.query}")
    assert response.status_code == 302 and response.url == f"/admin/pages/{weibo.pk}/edit/"
    after = credential(weibo)
    assert after.version == before.version + 1
    assert after.uid == UID and after.access_token.startswith("2.00") and after.access_token != OLD_TOKEN
    expected = started + timedelta(days=30)  # the sandbox's default token lifetime
    assert abs((after.token_expires_at - expected).total_seconds()) < 60
    notes = flashed(response)
    assert any("微博授权成功" in m and UID in m for m in notes)

    token = after.access_token
    page = client.get(response.url).content.decode()
    assert all(token not in m for m in notes) and token not in page and token not in response.content.decode()
    assert token not in caplog.text and CLIENT_SECRET not in caplog.text
    event = LedgerEvent.objects.filter(action="credential.changed", object_id=str(weibo.pk)).latest("seq")
    assert event.actor == "admin_a1" and token not in str(event.data)

    # The state worked once: the same answer replayed is refused.
    response = client.get(f"{CALLBACK}?{back.query}")
    assert any("state 校验失败" in m for m in flashed(response))
    assert credential(weibo).version == after.version


def test_callback_refuses_bad_state_and_shows_weibo_errors(
    accounts, weibo_app, people, admin_client_for, make_user, settings
):
    weibo = accounts["weibo"]
    version = credential(weibo).version
    client = admin_client_for(people["admin"])

    def callback(**params):
        return client.get(CALLBACK, params)

    # A forged or foreign state, with a perfectly good code: refused before Weibo is asked.
    good_code = weibo_app.weibo_code(UID, CLIENT_ID, REDIRECT_URI)
    response = callback(code=good_code, state="forged-state")
    assert response.status_code == 302 and any("state 校验失败" in m for m in flashed(response))
    other_admin = make_user("admin_a1_bis", "agency_admin", weibo)
    foreign = start_authorisation(admin_client_for(other_admin), weibo)["state"]
    assert any("state 校验失败" in m for m in flashed(callback(code=good_code, state=foreign)))
    assert any("state 校验失败" in m for m in flashed(callback(code=good_code)))

    # A bad code: Weibo's own error code reaches the admin.
    state = start_authorisation(client, weibo)["state"]
    response = callback(code="not-a-real-code", state=state)
    assert response.status_code == 302 and response.url == f"/admin/pages/{weibo.pk}/edit/"
    assert any("21325" in m for m in flashed(response)), flashed(response)

    # The admin cancelled on Weibo's page.
    state = start_authorisation(client, weibo)["state"]
    response = callback(state=state, error="access_denied", error_code="21330", error_description="user denied")
    assert any("21330" in m and "user denied" in m for m in flashed(response))

    # A wrong app secret in settings.
    settings.GOVCMS_WEIBO_CLIENT_SECRET = "not-the-secret"
    state = start_authorisation(client, weibo)["state"]
    response = callback(code=weibo_app.weibo_code(UID, CLIENT_ID, REDIRECT_URI), state=state)
    assert any("21324" in m for m in flashed(response))
    assert all("not-the-secret" not in m for m in flashed(response))
    settings.GOVCMS_WEIBO_CLIENT_SECRET = CLIENT_SECRET

    # Logged in to Weibo as somebody else: the token would post to another account.
    weibo_app.weibo_account("5000000999", safe_domain="127.0.0.1")
    state = start_authorisation(client, weibo)["state"]
    response = callback(code=weibo_app.weibo_code("5000000999", CLIENT_ID, REDIRECT_URI), state=state)
    assert any("5000000999" in m and UID in m for m in flashed(response))

    # No app configured.
    settings.GOVCMS_WEIBO_CLIENT_ID = ""
    response = client.get(authorize_url(weibo))
    assert response.status_code == 302 and any("尚未配置微博应用" in m for m in flashed(response))

    after = credential(weibo)
    assert (after.version, after.uid, after.access_token) == (version, UID, OLD_TOKEN)


def test_only_the_accounts_agency_admins_can_authorise(org, accounts, weibo_app, people, admin_client_for):
    weibo, wechat = accounts["weibo"], accounts["wechat"]
    for name in ("editor", "signer", "auditor"):
        client = admin_client_for(people[name])
        assert refused(client.get(authorize_url(weibo))), name
        for view in ("", "edit/"):  # explorer and editor headers (where the role may open them)
            response = client.get(f"/admin/pages/{weibo.pk}/{view}")
            assert authorize_url(weibo) not in response.content.decode(), (name, view)
    outsider = admin_client_for(people["outsider"])
    assert outsider.get(authorize_url(weibo)).status_code == 404

    admin = admin_client_for(people["admin"])
    assert admin.get(authorize_url(wechat)).status_code == 404, "WeChat accounts have no OAuth"
    assert "/admin/publishing/weibo/authorize/" not in body(admin.get(f"/admin/pages/{wechat.pk}/edit/"))
    assert admin.get(authorize_url(org.acct_a2_weibo)).status_code == 404, "outside the admin's county"
    # A signer holding somebody's state still cannot store a token: the session holds none for them.
    signer = admin_client_for(people["signer"])
    response = signer.get(CALLBACK, {"code": weibo_app.weibo_code(UID, CLIENT_ID, REDIRECT_URI), "state": "x"})
    assert response.status_code == 302 and credential(weibo).access_token == OLD_TOKEN


def test_expired_token_reauthorised_then_retried_publishes_once(accounts, release, weibo_app, people, admin_client_for):
    weibo = accounts["weibo"]
    weibo_app.weibo_account(UID, access_token=OLD_TOKEN, expires_in=0)  # the token expires (21327)
    weibo_app.weibo_account(UID, expires_in=86400)  # tokens issued from now on last a day
    post = release(weibo, body="【寒潮预警】今夜起气温下降8至10℃，请注意防寒。")
    pub = drive(Publication.objects.get(post=post).pk)
    assert (pub.status, pub.last_error_code, pub.attempts) == ("failed", "21327", 1)
    assert Notification.objects.filter(user=people["admin"], kind="account_misconfigured").exists()

    admin = admin_client_for(people["admin"])
    page = body(admin.get(PROBLEMS))
    assert authorize_url(weibo) in page, "the listing offers the admin the way out"
    assert authorize_url(weibo) not in body(admin_client_for(people["editor"]).get(PROBLEMS))

    state = start_authorisation(admin, weibo)["state"]
    code = weibo_app.weibo_code(UID, CLIENT_ID, REDIRECT_URI)
    response = admin.get(CALLBACK, {"code": code, "state": state})
    assert any("微博授权成功" in m for m in flashed(response))
    assert credential(weibo).access_token != OLD_TOKEN
    assert abs((credential(weibo).token_expires_at - timezone.now()).total_seconds() - 86400) < 60

    editor = admin_client_for(people["editor"])
    response = editor.post(pub_url(pub, "retry"), {"next": PROBLEMS})
    assert response.status_code == 302 and any("已重新排队" in m for m in flashed(response))
    pub = drive(pub.pk)
    assert pub.status == "published", (pub.last_error_code, pub.last_error)
    assert weibo_app.state()["weibo"][UID]["counts"]["shares"] == 1
    assert listed(editor.get(PROBLEMS)) == []
    page = body(editor.get("/admin/"))
    assert menu_label("发布问题") in page and menu_label("发布问题（") not in page


# --- the code exchange ---------------------------------------------------------------------------


def test_exchange_code_against_the_sandbox_and_on_bad_answers(weibo_app, accounts):
    code = weibo_app.weibo_code(UID, CLIENT_ID, REDIRECT_URI)
    answer = exchange_code(weibo_app.base_url, CLIENT_ID, CLIENT_SECRET, code, REDIRECT_URI)
    assert answer["uid"] == UID and answer["expires_in"] == 30 * 86400 and answer["access_token"]
    with pytest.raises(OAuthError) as used:
        exchange_code(weibo_app.base_url, CLIENT_ID, CLIENT_SECRET, code, REDIRECT_URI)
    assert used.value.error_code == "21325", "a code works once"
    code = weibo_app.weibo_code(UID, CLIENT_ID, REDIRECT_URI)
    with pytest.raises(OAuthError) as mismatch:
        exchange_code(weibo_app.base_url, CLIENT_ID, CLIENT_SECRET, code, "http://elsewhere/cb")
    assert mismatch.value.error_code == "21322"

    def answering(status, payload=None, text=""):
        def handler(request):
            assert b"client_secret=" in request.content and "client_secret" not in str(request.url)
            if payload is not None:
                return httpx.Response(status, json=payload)
            return httpx.Response(status, text=text)

        return httpx.Client(transport=httpx.MockTransport(handler))

    cases = [
        (answering(200, {"access_token": "t", "uid": 1, "expires_in": "157679999"}), None),
        (answering(502, text="<html>Bad Gateway</html>"), "502"),
        (answering(200, text="{trunc"), "bad_json"),
        (answering(200, {"access_token": "t", "expires_in": "3600"}), "bad_answer"),
        (answering(200, {"access_token": "t", "uid": "1", "expires_in": "soon"}), "bad_answer"),
        (answering(400, {"error": "invalid_client", "error_code": 21324}), "21324"),
    ]
    for client, expected in cases:
        if expected is None:
            assert exchange_code("http://weibo.test", "id", "s", "c", "r", client=client)["expires_in"] == 157679999
            continue
        with pytest.raises(OAuthError) as failure:
            exchange_code("http://weibo.test", "id", "s", "c", "r", client=client)
        assert failure.value.error_code == expected
    with pytest.raises(OAuthError) as unreachable:
        exchange_code("http://127.0.0.1:9", "id", "s", "c", "r", timeout=2)
    assert unreachable.value.error_code == "connect"
