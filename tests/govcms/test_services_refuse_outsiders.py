"""Every write service refuses a disallowed actor when called directly, before writing anything.

The outsider holds every role — editor, reviewer, signer, agency admin, auditor — on county B1,
and acts on county A1's objects: each service refuses as "outside" (the API answers 404), and
neither the database nor the ledger changes. Services acting on no object (user creation, the
lexicon, the system's upkeep) are called by an editor, who holds no such capability. None as an
actor is refused too: the system acts as the named SYSTEM actor.
"""

from functools import partial

import pytest
from django.contrib.auth import get_user_model
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import Page

from audit.models import LedgerEvent
from editorial import chains
from editorial import services as ed
from editorial.checks import engine
from editorial.models import Campaign, CheckRun, LeaderTitle, LexiconEntry, ReviewRecord, ReviewStep
from govcms import services as core
from govcms.capabilities import SYSTEM, PolicyRefused
from govcms.models import AccountCredential, AccountTransition, ApiToken, RoleAssignment
from inbox import services as inbox_services
from inbox.models import InboxItem
from publishing import services as pub_services
from publishing.models import Publication
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def outsider(org):
    user = UserFactory(username="everything_b1")
    for role in ("editor", "reviewer", "signer", "agency_admin", "auditor"):
        grant(user, role, org.county_b1)
    return user


@pytest.fixture
def world(org, staff):
    """County A1's objects: a draft, a submitted post with its open step, a failed publication,
    the editor's token and assignment."""
    editor = staff["editor"]
    draft = ed.post_create(actor=editor, account=org.acct_a1_weibo, kind="weibo", title="草稿", body="今日天气晴。")
    submitted = ed.post_create(actor=editor, account=org.acct_a1_weibo, kind="weibo", title="送审", body="通知。")
    ed.post_submit(actor=editor, post=submitted)
    step = ReviewStep.objects.get(post=submitted, open=True)
    pub = Publication.objects.create(
        post=draft,
        revision=draft.latest_revision,
        account=org.acct_a1_weibo,
        platform="weibo",
        status="failed",
        last_error="平台错误",
    )
    core.api_token_issue(user=editor)
    return {
        "draft": draft,
        "submitted": submitted,
        "step": step,
        "pub": pub,
        "token": ApiToken.objects.filter(user=editor).latest("pk"),
        "assignment": RoleAssignment.objects.get(user=editor),
        "item": inbox_services.item_enter(actor=SYSTEM, account=org.acct_a1_weibo, text="来电", channel="phone"),
    }


def snapshot():
    """What any of these services would change."""
    return (
        LedgerEvent.objects.count(),
        Page.objects.count(),
        RoleAssignment.objects.filter(revoked_at__isnull=True).count(),
        list(RoleAssignment.objects.order_by("pk").values_list("valid_from", "valid_to")),
        Campaign.objects.count(),
        CheckRun.objects.count(),
        ReviewRecord.objects.count(),
        ReviewStep.objects.filter(open=True).count(),
        AccountTransition.objects.count(),
        list(AccountCredential.objects.order_by("pk").values_list("version", flat=True)),
        ApiToken.objects.filter(revoked_at__isnull=True).count(),
        list(Publication.objects.order_by("pk").values_list("status", flat=True)),
        LeaderTitle.objects.count(),
        LexiconEntry.objects.count(),
        get_image_model().objects.count(),
        get_user_model().objects.count(),
        list(InboxItem.objects.order_by("pk").values_list("status", "acknowledged_at")),
    )


def object_calls(org, staff, world, actor):
    """(name, call) of every service acting on an object of county A1."""
    a1, account, post = org.county_a1, org.acct_a1_weibo, world["draft"]
    image = get_test_image_file().file.getvalue()
    steps = [("初审", "reviewer"), ("签发", "signer")]
    calls = [
        (core.user_password_change, {"user": staff["editor"], "password": "Another-pass-2026"}),
        (core.api_token_revoke, {"token": world["token"], "reason": "admin"}),
        (
            core.agency_create,
            {
                "parent": a1,
                "name": "下级",
                "region_code": "330199",
                "level": "township",
                "category": "government_office",
            },
        ),
        (core.account_create, {"agency": a1, "platform": "wechat", "name": "新号", "exemption_reason": "试"}),
        (core.account_transition, {"account": account, "to": "operating", "reason": "开通"}),
        (core.credential_set, {"account": account, "access_token": "t", "uid": "1"}),
        (core.image_upload, {"agency": a1, "content": image}),
        (core.role_assign, {"user": staff["reviewer"], "role": "editor", "agency": a1}),
        (core.role_change, {"assignment": world["assignment"], "valid_to": None}),
        (core.role_revoke, {"assignment": world["assignment"]}),
        (ed.post_create, {"account": account, "kind": "weibo", "title": "越权", "body": "越权"}),
        (ed.post_update, {"post": post, "body": "越权修改"}),
        (ed.post_check, {"post": post, "trigger": "api"}),
        (ed.post_override, {"post": post, "reason": "越权"}),
        (ed.post_submit, {"post": post}),
        (ed.post_withdraw_request, {"post": world["submitted"], "reason": "越权"}),
        (ed.campaign_create, {"agency": a1, "name": "越权专题"}),
        (chains.chain_set, {"page": a1, "steps": steps, "name": "越权"}),
        (pub_services.publication_retry, {"pub": world["pub"]}),
        (inbox_services.item_enter, {"account": account, "text": "越权录入", "channel": "phone"}),
        (inbox_services.item_acknowledge, {"item": world["item"]}),
    ]
    named = [(fn.__name__, partial(fn, actor=actor, **kwargs)) for fn, kwargs in calls]
    # The review decision names its actor `user`, as Wagtail's task actions do.
    return [*named, ("review_act", partial(ed.review_act, step=world["step"], user=actor, action="approve"))]


def objectless_calls(world, actor):
    entry = engine.LexiconEntry(term="越权词", category="banned", severity="block", suggestion="")
    return [
        ("user_create", lambda: core.user_create(actor=actor, username="sneaky", password="Sneaky-pass-2026")),
        ("login_unlock", lambda: core.login_unlock(actor=actor, kind="username", key="editor")),
        ("lexicon_import", lambda: ed.lexicon_import(actor=actor, entries=[entry])),
        ("leaders_add", lambda: ed.leaders_add(actor=actor, leaders=[("王五", "县长", "title_first")])),
        ("post_release_due", lambda: ed.post_release_due(actor=actor)),
        ("review_deadlines", lambda: ed.review_deadlines(actor=actor)),
        ("publication_run", lambda: pub_services.publication_run(world["pub"].pk, actor=actor)),
        ("publication_withdraw", lambda: pub_services.publication_withdraw(world["pub"].pk, actor=actor)),
    ]


def test_every_object_service_refuses_an_outsider_as_outside(org, staff, world, outsider):
    before = snapshot()
    for name, call in object_calls(org, staff, world, outsider):
        with pytest.raises(PolicyRefused) as refused:
            call()
        assert refused.value.refusal.outside, name
        assert refused.value.status == 404, name
        assert snapshot() == before, f"{name} wrote something"


def test_every_objectless_service_refuses_a_person_without_the_capability(org, staff, world):
    before = snapshot()
    for name, call in objectless_calls(world, staff["editor"]):
        with pytest.raises(PolicyRefused) as refused:
            call()
        assert refused.value.status == 403 and refused.value.code == "forbidden", name
        assert snapshot() == before, f"{name} wrote something"


def test_no_actor_is_refused(org, staff, world):
    before = snapshot()
    for name, call in [*object_calls(org, staff, world, None), *objectless_calls(world, None)]:
        with pytest.raises(PolicyRefused) as refused:
            call()
        assert refused.value.code == "no_actor", name
    assert snapshot() == before


def test_inside_but_wrong_role_is_a_403(org, staff, world):
    """A reviewer of county A1 may not transition its account: refused, inside (403)."""
    before = snapshot()
    with pytest.raises(PolicyRefused) as refused:
        core.account_transition(actor=staff["reviewer"], account=org.acct_a1_weibo, to="operating", reason="开通")
    assert refused.value.status == 403 and not refused.value.refusal.outside
    assert snapshot() == before
