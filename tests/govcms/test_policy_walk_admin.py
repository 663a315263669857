"""Every admin screen the project registers, for every demo role, answers what the policy says.

The screens are taken from the URL resolver (the project's own namespaces under /admin/), so a
screen added later fails here until it says which policy opens it. Each is requested by an
editor, a reviewer, a signer, an agency admin and an auditor of county A1 and by a system admin,
on county A1's objects (inside) and on county B1's (outside): allowed → the screen (200, or a
redirect onwards), refused → 403 (or Wagtail's redirect to the dashboard with its message),
outside the jurisdiction → 404, exactly like a missing object. Wagtail's own screens are probed
for leaks in test_admin_leaks.py.
"""

from dataclasses import dataclass

import pytest
from django.urls import reverse
from wagtail.models import TaskState, WorkflowState

from editorial import policy as editorial_policy
from editorial import services as ed
from govcms import capabilities as caps
from govcms import policy as org_policy
from govcms.capabilities import SYSTEM
from inbox import policy as inbox_policy
from inbox.routing import rule_save
from inbox.services import item_enter
from oversight import policy as oversight_policy
from oversight.cases import case_open
from publishing import policy as publishing_policy
from publishing.models import Publication
from tests.factories import UserFactory, account, grant
from tests.govcms.test_admin_leaks import admin_patterns

pytestmark = pytest.mark.django_db

ROLES = ("editor", "reviewer", "signer", "agency_admin", "auditor", "system_admin")
OURS = ("govcms_", "editorial_", "publishing_admin", "inbox_admin", "oversight_admin")
# Screens that change something on POST only (their refusals come from the same policies as the
# screens that offer them, and from the services), and the platform's OAuth return address.
NOT_WALKED = {
    "govcms_logins:revoke_token",
    "govcms_logins:unlock",
    "editorial_reviews:decide",
    "publishing_admin:retry",
    "publishing_admin:weibo_callback",
    "editorial_lexicon_import:confirm",  # the second step of an upload, gated as its first
    "inbox_admin:bulk_assign",
    "inbox_admin:assign",
    "inbox_admin:transfer",
    "inbox_admin:acknowledge",
    "inbox_admin:complex",
    "inbox_admin:transfer_decide",
    "inbox_admin:rule_delete",
    "inbox_admin:reply",
    "inbox_admin:moderate",
    "oversight_admin:finding_decide",
    # The composer's JSON helpers (POST only): gated by may_draft on the account like the create
    # view that calls them; scope, refusal and CSRF in tests/editorial/test_drafting.py.
    "editorial_compose:check",
    "editorial_compose:upload_image",
}


@dataclass
class World:
    agency: object
    account: object
    post: object
    revision_a: object
    revision_b: object
    assignment: object
    campaign: object
    unknown: object
    item: object
    rule: object
    case: object


def build_world(county, author, tag: str) -> World:
    acct = account(county, platform="weibo", name=f"后台走查{tag}", exemption_reason="走查")
    grant(author, "editor", acct)
    post = ed.post_create(actor=author, account=acct, kind="weibo", title="走查稿件", body="今日天气晴。")
    post = ed.post_update(actor=author, post=post, body="今日多云。")
    revision_a, revision_b = post.revisions.order_by("id")[:2]
    unknown = Publication.objects.create(
        post=post, revision=revision_b, account=acct, platform="weibo", status="unknown", last_error="结果未知"
    )
    return World(
        agency=county,
        account=acct,
        post=post,
        revision_a=revision_a,
        revision_b=revision_b,
        assignment=grant(UserFactory(username=f"member_{tag}"), "editor", county),
        campaign=ed.campaign_create(actor=SYSTEM, agency=county, name=f"后台专题{tag}"),
        unknown=unknown,
        item=item_enter(actor=SYSTEM, account=acct, text="来电咨询", channel="phone"),
        rule=rule_save(actor=SYSTEM, account=acct, name="走查规则", agency=county, keywords="学校"),
        case=case_open(actor=SYSTEM, account=acct, disposition="rectify"),
    )


def read(user, path):
    return caps.check(user, "post.read", path)


def anything(user):
    return None


# name → (URL kwargs from the world, the policy's answer for user and world)
SCREENS = {
    "govcms_assignments:index": (None, lambda u, w: org_policy.may_manage_tokens(u)),
    "govcms_assignments:index_results": (None, lambda u, w: org_policy.may_manage_tokens(u)),
    "govcms_assignments:add": (None, lambda u, w: org_policy.may_manage_tokens(u)),
    "govcms_assignments:edit": (
        lambda w: {"pk": w.assignment.pk},
        lambda u, w: org_policy.may_administer_membership(u, w.assignment),
    ),
    "govcms_assignments:revoke": (
        lambda w: {"pk": w.assignment.pk},
        lambda u, w: org_policy.may_administer_membership(u, w.assignment),
    ),
    "govcms_assignments:history": (lambda w: {"pk": w.assignment.pk}, lambda u, w: read(u, w.agency.path)),
    "govcms_accounts:transition": (
        lambda w: {"account_id": w.account.pk},
        lambda u, w: org_policy.may_manage_account(u, w.account),
    ),
    "govcms_accounts:credentials": (
        lambda w: {"account_id": w.account.pk},
        lambda u, w: org_policy.may_manage_account(u, w.account),
    ),
    "govcms_accounts:history": (lambda w: {"account_id": w.account.pk}, lambda u, w: read(u, w.account.path)),
    "govcms_agencies:history": (lambda w: {"agency_id": w.agency.pk}, lambda u, w: read(u, w.agency.path)),
    "govcms_logins:index": (None, lambda u, w: org_policy.may_manage_tokens(u)),
    "editorial_reviews:index": (None, lambda u, w: None),
    "editorial_reviews:index_results": (None, lambda u, w: None),
    "editorial_lexicon_import:index": (None, lambda u, w: editorial_policy.may_import_lexicon(u)),
    "editorial_campaigns:index": (None, lambda u, w: None),
    "editorial_campaigns:index_results": (None, lambda u, w: None),
    "editorial_campaigns:add": (None, lambda u, w: caps.check(u, "campaign.create", None)),
    "editorial_campaigns:detail": (lambda w: {"pk": w.campaign.pk}, lambda u, w: read(u, w.agency.path)),
    "editorial_campaigns:history": (lambda w: {"pk": w.campaign.pk}, lambda u, w: read(u, w.agency.path)),
    "editorial_posts:history": (lambda w: {"pk": w.post.pk}, lambda u, w: read(u, w.post.path)),
    "editorial_post_read:detail": (lambda w: {"pk": w.post.pk}, lambda u, w: read(u, w.post.path)),
    "editorial_post_read:revision": (
        lambda w: {"page_id": w.post.pk, "revision_id": w.revision_b.pk},
        lambda u, w: read(u, w.post.path),
    ),
    "editorial_post_read:compare": (
        lambda w: {"pk": w.post.pk, "revision_id_a": w.revision_a.pk, "revision_id_b": w.revision_b.pk},
        lambda u, w: read(u, w.post.path),
    ),
    "publishing_admin:problems": (None, lambda u, w: None),
    "publishing_admin:problems_results": (None, lambda u, w: None),
    "publishing_admin:publication": (lambda w: {"pk": w.unknown.pk}, lambda u, w: read(u, w.account.path)),
    "publishing_admin:confirm_absent": (
        lambda w: {"pk": w.unknown.pk},
        lambda u, w: publishing_policy.may_retry(u, w.unknown, confirmed_absent=True),
    ),
    "publishing_admin:weibo_authorize": (
        lambda w: {"account_id": w.account.pk},
        lambda u, w: publishing_policy.may_authorise_account(u, w.account),
    ),
    "inbox_admin:items": (None, lambda u, w: None),
    "inbox_admin:items_results": (None, lambda u, w: None),
    "inbox_admin:item": (lambda w: {"pk": w.item.pk}, lambda u, w: read(u, w.account.path)),
    "inbox_admin:item_history": (lambda w: {"pk": w.item.pk}, lambda u, w: read(u, w.account.path)),
    "inbox_admin:transfers": (None, lambda u, w: None),
    "inbox_admin:rules": (None, lambda u, w: caps.check(u, "inbox.manage", None)),
    "inbox_admin:rule_add": (None, lambda u, w: caps.check(u, "inbox.manage", None)),
    "inbox_admin:rule_edit": (lambda w: {"pk": w.rule.pk}, lambda u, w: inbox_policy.may_configure(u, w.account)),
    "inbox_admin:deadlines": (None, lambda u, w: caps.check(u, "inbox.manage", None)),
    **{
        f"oversight_admin:{screen}": (None, lambda u, w: oversight_policy.may_read_reports(u))
        for screen in ("compliance", "ranking", "assessment", "register", "findings", "charts")
    },
    "oversight_admin:case_history": (
        lambda w: {"pk": w.case.pk},
        lambda u, w: oversight_policy.may_read_case(u, w.case),
    ),
}


def test_every_project_screen_is_walked():
    ours = {name for name, _pattern in admin_patterns() if name.startswith(OURS)}
    assert ours == set(SCREENS) | NOT_WALKED


def answer(response) -> str:
    if response.status_code == 404:
        return "outside"
    if response.status_code == 403 or (response.status_code == 302 and response.url.rstrip("/") == "/admin"):
        return "refused"
    if response.status_code in (200, 302):
        return "allowed"
    return f"status {response.status_code}"


def wanted(refusal) -> str:
    if refusal is None:
        return "allowed"
    return "outside" if refusal.outside else "refused"


@pytest.mark.parametrize("role", ROLES)
def test_screens_agree_with_the_policy(org, role, admin_client_for):
    author = UserFactory(username="screen_author")
    user = UserFactory(username=f"screen_{role}")
    grant(user, role, None if role == "system_admin" else org.county_a1)
    client = admin_client_for(user)
    wrong = []
    for side, county in (("inside", org.county_a1), ("outside", org.county_b1)):
        world = build_world(county, author, f"{role}_{side}")
        for name, (kwargs, policy) in SCREENS.items():
            if kwargs is None and side == "outside":
                continue  # a screen of no object is the same on both sides
            want = wanted(policy(user, world))
            got = answer(client.get(reverse(name, kwargs=kwargs(world) if kwargs else None)))
            if got != want:
                wrong.append((side, name, got, want))
    assert wrong == []
    assert WorkflowState.objects.count() == 0 and TaskState.objects.count() == 0  # nothing was submitted
