"""Every API operation, for every demo role, answers what the policy says.

The operations are read from the OpenAPI document (`/api/v1/openapi.json`), so an endpoint added
later fails here until it says which policy decides it. Each is requested by an editor, a
reviewer, a signer, an agency admin and an auditor of county A1 and by a system admin, once on
county A1's objects (inside) and once on county B1's (outside), each time on fresh objects. The
answer must agree with the policy asked about the same actor and object: allowed → 2xx, refused
→ 403, refused as outside the jurisdiction → 404 (exactly like a missing object).
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from editorial import policy as editorial_policy
from editorial import services as ed
from editorial.models import PostStatus, ReviewStep
from govcms import capabilities as caps
from govcms import policy as org_policy
from govcms.capabilities import SYSTEM
from inbox import policy as inbox_policy
from inbox.models import InboxItem
from inbox.moves import item_transfer
from inbox.services import item_enter
from oversight import policy as oversight_policy
from oversight.cases import case_open, case_respond
from oversight.models import Export
from oversight.services import finding_record
from oversight.spotchecks import spot_check_draw
from publishing import policy as publishing_policy
from publishing.models import Publication
from tests.factories import UserFactory, account, grant
from tests.images.helpers import jpeg_bytes

pytestmark = pytest.mark.django_db

ROLES = ("editor", "reviewer", "signer", "agency_admin", "auditor", "system_admin")
# Operations no person's policy decides: the login itself, the caller's own session and password
# (always their own), and the platform's signed push (no actor; its signature is checked).
UNPOLICED = {
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/me/password"),
    ("post", "/api/v1/platform-callbacks/wechat/{account_id}"),
}


@dataclass
class World:
    """Fresh objects of one county for one request round."""

    agency: object
    account: object
    draft: object
    second_draft: object
    approve_step: object
    reject_step: object
    released: object
    failed: object
    campaign: object
    assignment: object
    other_assignment: object
    newcomer: object
    item: object
    finding: object
    other_finding: object
    incoming: object  # a transfer from the city to this county, pending
    incoming_other: object
    comment: object
    spot_check: object  # drawn over the whole county (its account included)
    case: object  # open
    responded_case: object  # answered, for the auditor to return
    closable_case: object  # answered, for the auditor to close
    export: object  # the submitter's: nobody else's to see


def _case(acct, *, responded: bool):
    case = case_open(actor=SYSTEM, account=acct, disposition="rectify")
    return case_respond(actor=SYSTEM, case=case, rectification="已整改") if responded else case


def build_world(county, submitter, tag: str) -> World:
    acct = account(county, platform="weibo", name=f"走查{tag}", exemption_reason="走查")
    grant(submitter, "editor", acct)
    draft = ed.post_create(actor=submitter, account=acct, kind="weibo", title="草稿", body="今日天气晴。")
    second = ed.post_create(actor=submitter, account=acct, kind="weibo", title="草稿二", body="今日多云。")
    steps = []
    for title in ("待审一", "待审二"):
        post = ed.post_create(actor=submitter, account=acct, kind="weibo", title=title, body="通知。")
        ed.post_submit(actor=submitter, post=post)
        steps.append(ReviewStep.objects.get(post=post, open=True))
    released = ed.post_create(actor=submitter, account=acct, kind="weibo", title="已签发", body="公告。")
    type(released).objects.filter(pk=released.pk).update(status=PostStatus.APPROVED)
    failed = Publication.objects.create(
        post=draft, revision=draft.latest_revision, account=acct, platform="weibo", status="failed", last_error="错误"
    )
    member = UserFactory(username=f"member_{tag}")
    city_acct = account(county.get_parent().specific, platform="wechat", name=f"走查市{tag}", exemption_reason="走查")

    def incoming(text):
        item = item_enter(actor=SYSTEM, account=city_acct, text=text, channel="letter")
        return item_transfer(actor=SYSTEM, item=item, agency=county, reason="属县级事项")[1]

    return World(
        agency=county,
        account=acct,
        draft=draft,
        second_draft=second,
        approve_step=steps[0],
        reject_step=steps[1],
        released=released,
        failed=failed,
        campaign=ed.campaign_create(actor=SYSTEM, agency=county, name=f"专题{tag}"),
        assignment=grant(member, "editor", county),
        other_assignment=grant(UserFactory(username=f"other_{tag}"), "reviewer", county),
        newcomer=UserFactory(username=f"newcomer_{tag}"),
        item=item_enter(actor=SYSTEM, account=acct, text="来电咨询办事时间", channel="phone"),
        finding=finding_record(actor=SYSTEM, account=acct, kind="content", evidence="错别字"),
        other_finding=finding_record(actor=SYSTEM, account=acct, kind="content", evidence="链接失效"),
        incoming=incoming("来信反映道路破损"),
        incoming_other=incoming("来信反映噪音"),
        comment=InboxItem.objects.create(
            account=acct,
            platform="weibo",
            kind="comment",
            platform_id="c:5200000000000001",
            platform_post_id="5100000000000001",
            author="网友",
            text="广告链接",
            received_at=timezone.now(),
        ),
        spot_check=spot_check_draw(actor=SYSTEM, agency=county, sample_size=50, seed=1),
        case=_case(acct, responded=False),
        responded_case=_case(acct, responded=True),
        closable_case=_case(acct, responded=True),
        export=Export.objects.create(
            requester=submitter, report="compliance", params={"agency_id": county.pk}, format="csv"
        ),
    )


def read(capability="post.read"):
    """A read of an object: allowed wherever the caller sees it (404 outside)."""
    return lambda user, obj: caps.check(user, capability, obj.path)


def soon() -> str:
    """Thirty days after the test's clock (evaluated when the body is built, inside the test)."""
    return (timezone.now() + timedelta(days=30)).isoformat()


CHAIN = {"steps": [{"name": "初审", "role": "reviewer"}, {"name": "签发", "role": "signer"}]}
# (method, path) → (path parameters, body, policy) for operations on an object of the world,
# each a function of the world `w` (and the policy of the user too).
ON_OBJECTS = {
    ("get", "/api/v1/agencies/{agency_id}"): (
        lambda w: {"agency_id": w.agency.pk},
        None,
        lambda u, w: read()(u, w.agency),
    ),
    ("post", "/api/v1/agencies"): (
        lambda w: {},
        lambda w: {"parent_id": w.agency.pk, "name": "走查下级", "region_code": "339999", "level": "county"},
        lambda u, w: org_policy.may_create_agency(u, w.agency),
    ),
    ("get", "/api/v1/accounts/{account_id}"): (
        lambda w: {"account_id": w.account.pk},
        None,
        lambda u, w: read()(u, w.account),
    ),
    ("post", "/api/v1/accounts"): (
        lambda w: {},
        lambda w: {"agency_id": w.agency.pk, "platform": "wechat", "name": "走查新号", "exemption_reason": "走查"},
        lambda u, w: org_policy.may_create_account(u, w.agency),
    ),
    ("put", "/api/v1/accounts/{account_id}/credentials"): (
        lambda w: {"account_id": w.account.pk},
        lambda w: {"access_token": "token-1", "uid": "5000000001"},
        lambda u, w: org_policy.may_write_credentials(u, w.account),
    ),
    ("post", "/api/v1/accounts/{account_id}/transition"): (
        lambda w: {"account_id": w.account.pk},
        lambda w: {"to": "operating", "reason": "开通"},
        lambda u, w: org_policy.may_transition_account(u, w.account),
    ),
    ("post", "/api/v1/memberships"): (
        lambda w: {},
        lambda w: {"username": w.newcomer.username, "role": "editor", "agency_id": w.agency.pk},
        lambda u, w: org_policy.may_grant_membership(u, role="editor", scope=w.agency, user=w.newcomer),
    ),
    ("get", "/api/v1/memberships/{membership_id}"): (
        lambda w: {"membership_id": w.assignment.pk},
        None,
        lambda u, w: read()(u, w.agency),
    ),
    ("patch", "/api/v1/memberships/{membership_id}"): (
        lambda w: {"membership_id": w.assignment.pk},
        lambda w: {"valid_to": soon()},
        lambda u, w: org_policy.may_manage_membership(u, w.assignment),
    ),
    ("delete", "/api/v1/memberships/{membership_id}"): (
        lambda w: {"membership_id": w.other_assignment.pk},
        None,
        lambda u, w: org_policy.may_manage_membership(u, w.other_assignment),
    ),
    ("get", "/api/v1/history/{object_type}/{object_id}"): (
        lambda w: {"object_type": "post", "object_id": w.draft.pk},
        None,
        lambda u, w: read()(u, w.draft),
    ),
    ("post", "/api/v1/posts"): (
        lambda w: {},
        lambda w: {"account_id": w.account.pk, "kind": "weibo", "title": "新稿", "body": "今日天气晴。"},
        lambda u, w: editorial_policy.may_draft(u, w.account),
    ),
    ("get", "/api/v1/posts/{post_id}"): (lambda w: {"post_id": w.draft.pk}, None, lambda u, w: read()(u, w.draft)),
    ("patch", "/api/v1/posts/{post_id}"): (
        lambda w: {"post_id": w.draft.pk},
        lambda w: {"body": "改稿。"},
        lambda u, w: editorial_policy.may_edit(u, w.draft),
    ),
    # Anyone who sees the post may run the checks (a reader's run is not kept).
    ("post", "/api/v1/posts/{post_id}/check"): (
        lambda w: {"post_id": w.draft.pk},
        None,
        lambda u, w: read()(u, w.draft),
    ),
    ("post", "/api/v1/posts/{post_id}/submit"): (
        lambda w: {"post_id": w.second_draft.pk},
        lambda w: {},
        lambda u, w: editorial_policy.may_submit(u, w.second_draft),
    ),
    ("post", "/api/v1/reviews/{task_id}/approve"): (
        lambda w: {"task_id": w.approve_step.pk},
        lambda w: {},
        lambda u, w: editorial_policy.may_decide(u, w.approve_step),
    ),
    ("post", "/api/v1/reviews/{task_id}/reject"): (
        lambda w: {"task_id": w.reject_step.pk},
        lambda w: {"comment": "请修改"},
        lambda u, w: editorial_policy.may_decide(u, w.reject_step),
    ),
    ("post", "/api/v1/campaigns"): (
        lambda w: {},
        lambda w: {"name": "走查专题", "agency_id": w.agency.pk},
        lambda u, w: editorial_policy.may_create_campaign(u, w.agency),
    ),
    ("get", "/api/v1/campaigns/{campaign_id}/timeline"): (
        lambda w: {"campaign_id": w.campaign.pk},
        None,
        lambda u, w: read()(u, w.agency),
    ),
    ("get", "/api/v1/review-chains/{scope}"): (
        lambda w: {"scope": f"agency-{w.agency.pk}"},
        None,
        lambda u, w: read()(u, w.agency),
    ),
    ("put", "/api/v1/review-chains/{scope}"): (
        lambda w: {"scope": f"account-{w.account.pk}"},
        lambda w: CHAIN,
        lambda u, w: editorial_policy.may_configure_chain(u, w.account),
    ),
    ("post", "/api/v1/images"): (lambda w: {}, "multipart", lambda u, w: org_policy.may_upload_image(u, w.agency)),
    ("get", "/api/v1/posts/{post_id}/publications"): (
        lambda w: {"post_id": w.draft.pk},
        None,
        lambda u, w: read()(u, w.draft),
    ),
    ("post", "/api/v1/publications/{publication_id}/retry"): (
        lambda w: {"publication_id": w.failed.pk},
        lambda w: {},
        lambda u, w: publishing_policy.may_retry(u, w.failed),
    ),
    ("post", "/api/v1/posts/{post_id}/withdraw"): (
        lambda w: {"post_id": w.released.pk},
        lambda w: {"reason": "信息有误"},
        lambda u, w: editorial_policy.may_request_withdrawal(u, w.released),
    ),
    ("post", "/api/v1/inbox"): (
        lambda w: {},
        lambda w: {"account_id": w.account.pk, "text": "来信反映路灯不亮", "channel": "letter"},
        lambda u, w: inbox_policy.may_enter_item(u, w.account),
    ),
    ("get", "/api/v1/inbox/{item_id}"): (lambda w: {"item_id": w.item.pk}, None, lambda u, w: read()(u, w.account)),
    ("post", "/api/v1/inbox/{item_id}/assign"): (
        lambda w: {"item_id": w.item.pk},
        lambda w: {"username": w.assignment.user.username},
        lambda u, w: inbox_policy.may_move_item(u, w.item),
    ),
    ("post", "/api/v1/inbox/{item_id}/complex"): (
        lambda w: {"item_id": w.item.pk},
        lambda w: {"is_complex": True},
        lambda u, w: inbox_policy.may_move_item(u, w.item),
    ),
    # To the city above: across jurisdictions, so a pending transfer.
    ("post", "/api/v1/inbox/{item_id}/transfer"): (
        lambda w: {"item_id": w.item.pk},
        lambda w: {"agency_id": w.agency.get_parent().pk, "reason": "属市级事项"},
        lambda u, w: inbox_policy.may_move_item(u, w.item),
    ),
    ("post", "/api/v1/inbox/transfers/{transfer_id}/accept"): (
        lambda w: {"transfer_id": w.incoming.pk},
        lambda w: {},
        lambda u, w: inbox_policy.may_decide_transfer(u, w.incoming),
    ),
    ("post", "/api/v1/inbox/transfers/{transfer_id}/decline"): (
        lambda w: {"transfer_id": w.incoming_other.pk},
        lambda w: {"reason": "不属本县"},
        lambda u, w: inbox_policy.may_decide_transfer(u, w.incoming_other),
    ),
    ("post", "/api/v1/inbox/{item_id}/reply"): (
        lambda w: {"item_id": w.item.pk},
        lambda w: {"body": "已记录，将尽快答复。"},
        lambda u, w: inbox_policy.may_reply(u, w.item),
    ),
    ("post", "/api/v1/inbox/{item_id}/moderate"): (
        lambda w: {"item_id": w.comment.pk},
        lambda w: {"action": "delete", "reason": "广告"},
        lambda u, w: inbox_policy.may_moderate(u, w.comment),
    ),
    # A GET's "body" is its query string.
    ("get", "/api/v1/inbox/metrics"): (
        lambda w: {},
        lambda w: {
            "account_id": w.account.pk,
            "since": (timezone.now() - timedelta(days=30)).isoformat(),
            "until": timezone.now().isoformat(),
        },
        lambda u, w: read()(u, w.account),
    ),
    ("get", "/api/v1/reports/compliance"): (
        lambda w: {},
        lambda w: {"agency_id": w.agency.pk},
        lambda u, w: oversight_policy.may_read_reports(u, w.agency),
    ),
    ("get", "/api/v1/reports/ranking"): (
        lambda w: {},
        lambda w: {"agency_id": w.agency.pk},
        lambda u, w: oversight_policy.may_read_reports(u, w.agency),
    ),
    ("get", "/api/v1/reports/assessment"): (
        lambda w: {},
        lambda w: {"agency_id": w.agency.pk},
        lambda u, w: oversight_policy.may_read_reports(u, w.agency),
    ),
    ("get", "/api/v1/reports/register"): (
        lambda w: {},
        lambda w: {"agency_id": w.agency.pk},
        lambda u, w: oversight_policy.may_read_reports(u, w.agency),
    ),
    ("get", "/api/v1/schemes/{scope}"): (
        lambda w: {"scope": f"agency-{w.agency.pk}"},
        None,
        lambda u, w: oversight_policy.may_read_reports(u, w.agency),
    ),
    ("put", "/api/v1/schemes/{scope}"): (
        lambda w: {"scope": f"agency-{w.agency.pk}"},
        lambda w: {"preset": "local_100"},
        lambda u, w: oversight_policy.may_edit_scheme(u, w.agency),
    ),
    ("post", "/api/v1/findings"): (
        lambda w: {},
        lambda w: {"account_id": w.account.pk, "kind": "content", "evidence": "走查"},
        lambda u, w: oversight_policy.may_record_finding(u, w.account),
    ),
    ("post", "/api/v1/findings/{finding_id}/confirm"): (
        lambda w: {"finding_id": w.finding.pk},
        lambda w: {"comment": "属实"},
        lambda u, w: oversight_policy.may_decide_finding(u, w.finding),
    ),
    ("post", "/api/v1/findings/{finding_id}/dismiss"): (
        lambda w: {"finding_id": w.other_finding.pk},
        lambda w: {},
        lambda u, w: oversight_policy.may_decide_finding(u, w.other_finding),
    ),
    ("post", "/api/v1/spot-checks"): (
        lambda w: {},
        lambda w: {"agency_id": w.agency.pk, "sample_size": 1, "seed": 7},
        lambda u, w: oversight_policy.may_run_spot_check(u, w.agency),
    ),
    ("get", "/api/v1/spot-checks/{check_id}"): (
        lambda w: {"check_id": w.spot_check.pk},
        None,
        lambda u, w: oversight_policy.may_run_spot_check(u, w.agency),
    ),
    ("post", "/api/v1/spot-checks/{check_id}/results"): (
        lambda w: {"check_id": w.spot_check.pk},
        lambda w: {"account_id": w.account.pk, "passed": True, "findings": ["走查"]},
        lambda u, w: oversight_policy.may_run_spot_check(u, w.agency),
    ),
    ("post", "/api/v1/cases"): (
        lambda w: {},
        lambda w: {"account_id": w.account.pk, "disposition": "interview", "finding": "走查"},
        lambda u, w: oversight_policy.may_open_case(u, w.account),
    ),
    ("get", "/api/v1/cases/{case_id}"): (
        lambda w: {"case_id": w.case.pk},
        None,
        lambda u, w: oversight_policy.may_read_case(u, w.case),
    ),
    ("post", "/api/v1/cases/{case_id}/respond"): (
        lambda w: {"case_id": w.case.pk},
        lambda w: {"rectification": "已整改"},
        lambda u, w: oversight_policy.may_respond_case(u, w.case),
    ),
    ("post", "/api/v1/cases/{case_id}/return"): (
        lambda w: {"case_id": w.responded_case.pk},
        lambda w: {"comment": "请补充"},
        lambda u, w: oversight_policy.may_decide_case(u, w.responded_case),
    ),
    ("post", "/api/v1/cases/{case_id}/close"): (
        lambda w: {"case_id": w.closable_case.pk},
        lambda w: {"comment": "结案"},
        lambda u, w: oversight_policy.may_decide_case(u, w.closable_case),
    ),
    ("post", "/api/v1/exports"): (
        lambda w: {},
        lambda w: {"report": "compliance", "params": {"agency_id": w.agency.pk}, "format": "csv"},
        lambda u, w: oversight_policy.may_export(u, "compliance", w.agency),
    ),
    ("get", "/api/v1/exports/{export_id}"): (
        lambda w: {"export_id": w.export.pk},
        None,
        lambda u, w: oversight_policy.may_fetch_export(u, w.export),
    ),
    ("get", "/api/v1/exports/{export_id}/file"): (
        lambda w: {"export_id": w.export.pk},
        None,
        lambda u, w: oversight_policy.may_fetch_export(u, w.export),
    ),
}
# Operations on no particular object: (body, policy of the user).
ON_NOTHING = {
    ("get", "/api/v1/me"): (None, lambda u: None),
    ("post", "/api/v1/users"): (
        lambda role: {"username": f"made_by_{role}", "password": "Made-by-pass-2026"},
        org_policy.may_create_user,
    ),
    ("get", "/api/v1/agencies"): (None, lambda u: None),
    ("get", "/api/v1/accounts"): (None, lambda u: None),
    ("get", "/api/v1/memberships"): (None, lambda u: None),
    ("get", "/api/v1/audit/events"): (None, org_policy.may_read_ledger),
    ("get", "/api/v1/audit/verify"): (None, org_policy.may_verify_ledger),
    ("get", "/api/v1/audit/anchors"): (None, org_policy.may_verify_ledger),
    ("get", "/api/v1/posts"): (None, lambda u: None),
    ("get", "/api/v1/reviews"): (None, lambda u: None),
    ("get", "/api/v1/campaigns"): (None, lambda u: None),
    ("get", "/api/v1/images"): (None, lambda u: None),
    ("get", "/api/v1/inbox"): (None, lambda u: None),
    ("get", "/api/v1/findings"): (None, lambda u: None),
    ("get", "/api/v1/spot-checks"): (None, lambda u: None),
    ("get", "/api/v1/cases"): (None, lambda u: None),
    ("get", "/api/v1/inbox/transfers"): (None, lambda u: None),
}


def operations(client) -> set[tuple[str, str]]:
    document = client.get("/api/v1/openapi.json").json()
    return {(method, path) for path, ops in document["paths"].items() for method in ops}


def test_every_operation_is_walked():
    assert operations(Client()) == set(ON_OBJECTS) | set(ON_NOTHING) | UNPOLICED


def expected_status(refusal) -> set[int]:
    if refusal is None:
        return {200, 201, 202, 204}
    return {404} if refusal.outside else {403}


def send(client, token, method, path, body):
    headers = {"Authorization": f"Bearer {token}"}
    if body == "multipart":
        raise AssertionError("multipart bodies are sent by `upload`")
    if method == "get":
        return client.get(path, body or {}, headers=headers)
    if method == "delete":
        return client.delete(path, headers=headers)
    return getattr(client, method)(path, body or {}, content_type="application/json", headers=headers)


def upload(client, token, world):
    return client.post(
        "/api/v1/images",
        {"file": SimpleUploadedFile("photo.jpg", jpeg_bytes()), "agency_id": str(world.agency.pk)},
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.mark.parametrize("role", ROLES)
def test_answers_agree_with_the_policy(org, role):
    from govcms import services

    submitter = UserFactory(username="walk_submitter")
    user = UserFactory(username=f"walk_{role}")
    grant(user, role, None if role == "system_admin" else org.county_a1)
    token, _expires = services.api_token_issue(user=user)
    client = Client()
    wrong = []
    for (method, path), (body, policy) in ON_NOTHING.items():
        response = send(client, token, method, path, body(role) if callable(body) else body)
        want = expected_status(policy(user))
        if response.status_code not in want:
            wrong.append((method, path, response.status_code, sorted(want), response.content[:200]))
    for side, county in (("inside", org.county_a1), ("outside", org.county_b1)):
        world = build_world(county, submitter, f"{role}_{side}")
        for (method, template), (params, body, policy) in ON_OBJECTS.items():
            # The policy answers before the request changes anything.
            want = expected_status(policy(user, world))
            path = template.format(**params(world))
            if body == "multipart":
                response = upload(client, token, world)
            else:
                response = send(client, token, method, path, body(world) if body else None)
            if response.status_code not in want:
                wrong.append((side, method, path, response.status_code, sorted(want), response.content[:200]))
    assert wrong == []
