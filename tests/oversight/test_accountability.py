"""Spot checks, content monitoring and accountability cases, through the API and the services:
reproducible draws with a pass rate and a quarterly history, re-checks that open findings for
exactly the posts that contain a new term, and a case that runs open → responded → returned →
responded → closed with evidence resolving to exact revisions. Everything stays in one city."""

import dataclasses
import random
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from wagtail.models import Revision

from audit.models import LedgerEvent
from editorial import services as ed
from editorial.checks import engine
from editorial.models import LeaderTitle
from govcms.capabilities import SYSTEM
from oversight.models import Case, Finding, SpotCheck, SpotCheckResult
from publishing.models import Publication
from tests.conftest import CLOCK_START
from tests.factories import account

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org, make_user):
    make_user("sc_auditor_a", "auditor", org.city_a)
    make_user("sc_auditor_b", "auditor", org.city_b)
    make_user("sc_admin_a1", "agency_admin", org.county_a1)
    make_user("sc_editor_a1", "editor", org.county_a1)
    return make_user("sc_sysadmin", "system_admin")


def publish(post, moment: datetime) -> Publication:
    """A publication of `post`'s latest revision at `moment` (the monitor reads publications)."""
    return Publication.objects.create(
        post=post,
        revision=post.latest_revision,
        account=post.get_parent().specific,
        platform=post.platform,
        status="published",
        published_at=moment,
        platform_post_id=f"p{post.latest_revision_id}",
    )


def post(acct, title: str, body: str):
    return ed.post_create(actor=SYSTEM, account=acct, kind="weibo", title=title, body=body)


# --- spot checks -------------------------------------------------------------------------------


def test_spot_checks_draw_reproducibly_in_the_city_and_rate_results(org, people, api, clock):
    for n in range(3):
        account(org.county_a2, name=f"抽查{n}", exemption_reason="测试")
    client = api("sc_auditor_a")
    first = client.post("/api/v1/spot-checks", {"agency_id": org.city_a.pk, "sample_size": 3, "seed": 42})
    again = client.post("/api/v1/spot-checks", {"agency_id": org.city_a.pk, "sample_size": 3, "seed": 42})
    assert (first.status_code, again.status_code) == (201, 201)
    drawn = first.json()
    assert drawn["accounts"] == again.json()["accounts"] and drawn["seed"] == 42
    assert drawn["accounts"] == random.Random(42).sample(drawn["population"], 3)
    assert org.acct_b1_wechat.pk not in drawn["population"] and len(drawn["population"]) == 6
    unseeded = client.post("/api/v1/spot-checks", {"agency_id": org.county_a1.pk, "sample_size": 9}).json()
    assert sorted(unseeded["accounts"]) == [org.acct_a1_weibo.pk, org.acct_a1_wechat.pk] and unseeded["seed"] >= 0

    sid = drawn["id"]
    outsider = org.acct_b1_wechat.pk
    bad = client.post(f"/api/v1/spot-checks/{sid}/results", {"account_id": outsider, "passed": True})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "not_drawn")
    a, b, c = drawn["accounts"]
    client.post(f"/api/v1/spot-checks/{sid}/results", {"account_id": a, "passed": True})
    client.post(f"/api/v1/spot-checks/{sid}/results", {"account_id": b, "passed": False, "findings": ["错别字"]})
    got = client.post(f"/api/v1/spot-checks/{sid}/results", {"account_id": c, "passed": True}).json()
    assert (got["recorded"], got["passed"], got["pass_rate"], got["complete"]) == (3, 2, 0.6667, True)
    corrected = client.post(f"/api/v1/spot-checks/{sid}/results", {"account_id": b, "passed": True}).json()
    assert corrected["pass_rate"] == 1.0 and SpotCheckResult.objects.get(account_id=b).history.count() == 2
    assert client.get(f"/api/v1/spot-checks/{sid}").json()["results"][0]["account_id"] == min(a, b, c)
    events = LedgerEvent.objects.filter(action__startswith="spotcheck.", object_id=str(sid)).order_by("seq")
    assert [e.action for e in events] == ["spotcheck.drawn"] + ["spotcheck.result_recorded"] * 4

    # Another city's auditor: 404 for the check and for drawing in city A; nothing in their list.
    other = api("sc_auditor_b")
    assert other.get(f"/api/v1/spot-checks/{sid}").status_code == 404
    assert other.post(f"/api/v1/spot-checks/{sid}/results", {"account_id": a, "passed": False}).status_code == 404
    assert other.post("/api/v1/spot-checks", {"agency_id": org.city_a.pk, "sample_size": 1}).status_code == 404
    assert other.get("/api/v1/spot-checks").json()["items"] == []
    assert api("sc_editor_a1").get(f"/api/v1/spot-checks/{unseeded['id']}").status_code == 403

    # The quarterly history: a check drawn in April is in Q2 only.
    clock.move_to(CLOCK_START + timedelta(days=40))
    client = api("sc_auditor_a")  # a fresh token: the first one has expired
    client.post("/api/v1/spot-checks", {"agency_id": org.city_a.pk, "sample_size": 1, "seed": 1})
    q1 = client.get("/api/v1/spot-checks", quarter="2026-Q1").json()["items"]
    q2 = client.get("/api/v1/spot-checks", quarter="2026-Q2").json()["items"]
    assert (len(q1), len(q2)) == (3, 1) and SpotCheck.objects.count() == 4
    assert client.get("/api/v1/spot-checks", quarter="2026-Q5").status_code == 422


# --- content monitoring ------------------------------------------------------------------------


@pytest.fixture
def eager(settings):
    from govcms.celery import app

    was = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = was


def test_a_lexicon_change_opens_findings_for_exactly_the_posts_with_the_term(
    org, people, api, eager, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with_term = post(org.acct_a1_weibo, "甲", "本周将推进示范新词工程建设。")
    without = post(org.acct_a1_weibo, "乙", "本周天气晴好。")
    elsewhere = post(org.acct_a2_weibo, "丙", "另一条示范新词消息。")
    too_old = post(org.acct_a1_weibo, "丁", "旧闻：示范新词。")
    pubs = {
        "with": publish(with_term, now - timedelta(days=2)),
        "without": publish(without, now - timedelta(days=1)),
        "elsewhere": publish(elsewhere, now - timedelta(days=3)),
        "old": publish(too_old, now - timedelta(days=45)),
    }
    term = engine.LexiconEntry(term="示范新词", category="banned", severity="block", suggestion="")
    with django_capture_on_commit_callbacks(execute=True):
        ed.lexicon_import(actor=people, entries=[term], filename="新词.csv")
    opened = Finding.objects.filter(kind="content").order_by("revision_id")
    assert [(f.revision_id, f.publication_id) for f in opened] == sorted(
        (pubs[k].revision_id, pubs[k].pk) for k in ("with", "elsewhere")
    )
    assert all("示范新词" in f.evidence and f.status == "open" for f in opened)

    # Another change (an admin edit this time) re-checks again and duplicates nothing; a leader
    # pair added to the register opens a finding for the post that misstates the title.
    misstated = post(org.acct_a1_weibo, "戊", "市长王五今天调研。")
    publish(misstated, now)
    with django_capture_on_commit_callbacks(execute=True):
        LeaderTitle.objects.create(name="王五", title="省长", order="title_first")
    new = Finding.objects.filter(kind="content").exclude(pk__in=[f.pk for f in opened])
    assert [f.revision_id for f in new] == [misstated.latest_revision_id] and Finding.objects.count() == 3
    assert LedgerEvent.objects.filter(action="finding.recorded", actor="system").count() == 3

    # The auditor decides them with the existing endpoints; the other city's auditor sees none.
    client = api("sc_auditor_a")
    fid = opened[0].pk
    assert client.post(f"/api/v1/findings/{fid}/dismiss", {"comment": "误报"}).json()["status"] == "dismissed"
    listed = client.get("/api/v1/findings", kind="content").json()["items"]
    assert sorted(f["rule"].split(":", 1)[1] for f in listed) == ["市长王五", "示范新词", "示范新词"]
    assert api("sc_auditor_b").get("/api/v1/findings", kind="content").json()["items"] == []
    with django_capture_on_commit_callbacks(execute=True):
        ed.lexicon_import(actor=people, entries=[dataclasses.replace(term, suggestion="改用规范表述")])
    assert Finding.objects.count() == 3  # a dismissed finding is not reopened


# --- accountability cases ----------------------------------------------------------------------


def test_a_case_runs_its_course_with_evidence_on_exact_revisions(org, people, api):
    bad = post(org.acct_a1_weibo, "错误稿", "市长张三出席会议。")
    first_revision = bad.latest_revision_id
    pub = publish(bad, timezone.now() - timedelta(days=1))
    ed.post_update(actor=SYSTEM, post=bad, body="省长张三出席会议。")  # corrected afterwards
    event = LedgerEvent.objects.filter(action="post.created", object_id=str(bad.pk)).get()
    auditor, admin = api("sc_auditor_a"), api("sc_admin_a1")
    finding = auditor.post(
        "/api/v1/findings", {"account_id": org.acct_a1_weibo.pk, "kind": "serious_misstatement", "evidence": "职务错误"}
    ).json()
    body = {
        "account_id": org.acct_a1_weibo.pk,
        "person": Case._meta.get_field("person").related_model.objects.get(username="sc_editor_a1").pk,
        "finding_id": finding["id"],
        "finding": "领导职务表述错误",
        "evidence": [
            {"object_type": "post", "id": bad.pk, "revision_id": first_revision},
            {"object_type": "publication", "id": pub.pk},
            {"object_type": "ledger_event", "id": event.seq},
        ],
        "disposition": "rectify",
        "rectify_by": (timezone.localdate() + timedelta(days=7)).isoformat(),
    }
    created = auditor.post("/api/v1/cases", body)
    assert created.status_code == 201, created.content
    case = created.json()
    cid = case["id"]
    links = case["evidence"]
    assert [(e["object_type"], e["revision_id"]) for e in links] == [
        ("post", first_revision),
        ("publication", first_revision),
        ("ledger_event", None),
    ]
    revision = Revision.objects.get(pk=links[0]["revision_id"])
    assert "市长张三" in revision.content["body"] and revision.object_id == str(bad.pk)
    assert links[0]["url"] == f"/admin/pages/{bad.pk}/revisions/{first_revision}/view/"

    def step(client, action, payload, want=200):
        response = client.post(f"/api/v1/cases/{cid}/{action}", payload)
        assert response.status_code == want, (action, response.content)
        return response.json()

    assert step(auditor, "return", {"comment": "尚未答复"}, 409)["error"]["code"] == "wrong_state"
    assert api("sc_editor_a1").post(f"/api/v1/cases/{cid}/respond", {"rectification": "已改"}).status_code == 403
    assert step(admin, "respond", {"rectification": "已更正", "evidence": []})["status"] == "responded"
    assert step(admin, "respond", {"rectification": "再次"}, 409)["error"]["code"] == "wrong_state"
    assert step(auditor, "return", {"comment": "请补充更正后的版本"})["status"] == "returned"
    bad.refresh_from_db()
    fixed = {"object_type": "post", "id": bad.pk, "revision_id": bad.latest_revision_id}
    answered = step(admin, "respond", {"rectification": "已发布更正", "evidence": [fixed]})
    assert answered["response_evidence"][0]["revision_id"] != first_revision
    assert step(auditor, "close", {"comment": "整改到位"})["status"] == "closed"
    assert step(admin, "respond", {"rectification": "迟到"}, 409)["error"]["code"] == "wrong_state"
    assert step(auditor, "close", {}, 409)["error"]["code"] == "wrong_state"

    got = auditor.get(f"/api/v1/cases/{cid}").json()
    assert [h["status"] for h in got["history"]] == ["open", "responded", "returned", "responded", "closed"]
    assert [h["by"] for h in got["history"]] == ["sc_auditor_a", "sc_admin_a1", "sc_auditor_a", "sc_admin_a1"] + [
        "sc_auditor_a"
    ]
    actions = LedgerEvent.objects.filter(object_type="case", object_id=str(cid)).order_by("seq")
    assert [e.action.split(".")[1] for e in actions] == ["opened", "responded", "returned", "responded", "closed"]
    assert admin.get(f"/api/v1/cases/{cid}").status_code == 200
    assert [c["id"] for c in admin.get("/api/v1/cases").json()["items"]] == [cid]

    # Another city: 404 everywhere; its posts are no evidence for city A; bad links are 422.
    other = api("sc_auditor_b")
    assert other.get(f"/api/v1/cases/{cid}").status_code == 404
    assert other.post(f"/api/v1/cases/{cid}/close", {}).status_code == 404
    assert other.get("/api/v1/cases").json()["items"] == []
    assert other.post("/api/v1/cases", {**body, "evidence": []}).status_code == 404
    foreign = post(account(org.county_b1, name="乙一微博"), "乙市稿", "通知。")
    wrong = [
        [{"object_type": "post", "id": foreign.pk, "revision_id": foreign.latest_revision_id}],
        [{"object_type": "post", "id": bad.pk}],
        [{"object_type": "post", "id": bad.pk, "revision_id": foreign.latest_revision_id}],
        [{"object_type": "publication", "id": pub.pk, "revision_id": bad.latest_revision_id}],
        [{"object_type": "ledger_event", "id": 10**12}],
    ]
    answers = [auditor.post("/api/v1/cases", {**body, "evidence": links}) for links in wrong]
    assert [(r.status_code, r.json()["error"]["code"]) for r in answers] == [(422, "invalid_evidence")] * 5
    assert auditor.post("/api/v1/cases", {**body, "disposition": "jail"}).status_code == 422
    assert Case.objects.count() == 1


def test_bad_spot_check_and_case_input_is_a_clear_4xx(org, people, api, make_user):
    outsider = make_user("sc_outsider", "editor", org.county_b1)
    client = api("sc_auditor_a")
    check = client.post("/api/v1/spot-checks", {"agency_id": org.county_a1.pk, "sample_size": 1, "seed": 3}).json()
    other_finding = (
        api("sc_auditor_b").post("/api/v1/findings", {"account_id": org.acct_b1_wechat.pk, "kind": "content"}).json()
    )
    mine = client.post("/api/v1/findings", {"account_id": org.acct_a2_weibo.pk, "kind": "content"}).json()
    case = {"account_id": org.acct_a1_weibo.pk, "disposition": "notice"}
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    bad = [
        ("/api/v1/spot-checks", {"agency_id": org.city_a.pk, "sample_size": 0}, 422),
        ("/api/v1/spot-checks", {"agency_id": org.city_a.pk, "sample_size": "many"}, 422),
        ("/api/v1/spot-checks", {"agency_id": org.city_a.pk, "sample_size": 2, "seed": -1}, 422),
        (f"/api/v1/spot-checks/{check['id']}/results", {"account_id": check["accounts"][0], "passed": "yes?"}, 422),
        (
            f"/api/v1/spot-checks/{check['id']}/results",
            {"account_id": check["accounts"][0], "passed": True, "findings": ["坏\x00字"]},
            422,
        ),
        ("/api/v1/cases", {**case, "rectify_by": past}, 422),
        ("/api/v1/cases", {**case, "finding_id": mine["id"]}, 422),  # another account's finding
        ("/api/v1/cases", {**case, "finding_id": other_finding["id"]}, 404),  # another city's
        ("/api/v1/cases", {**case, "person": outsider.pk}, 422),
        ("/api/v1/cases", {**case, "finding": "说明\x00"}, 422),
        ("/api/v1/cases", {**case, "evidence": [{"object_type": "page", "id": 1}]}, 422),
    ]
    answers = [(path, client.post(path, body), want) for path, body, want in bad]
    assert [(path, r.status_code) for path, r, want in answers if r.status_code != want] == []
    assert all(r.json()["error"]["code"] for _path, r, _want in answers)
    assert Case.objects.count() == 0
