"""Governance rules through the API: agency admins grant only below themselves and cannot touch
the auditor supervising them, chains cannot go below the jurisdiction's minimum, the last system
admin stays, auditors cause no writes, and out-of-scope probing is recorded."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import LedgerEvent
from editorial.models import CheckRun
from govcms.models import RoleAssignment
from tests.editorial.test_review_flow import GOOD_BODY, draft

pytestmark = pytest.mark.django_db


def refused(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code


def test_agency_admin_grants_only_below_their_own_role(org, make_user, api):
    make_user("boss", "agency_admin", org.city_a)
    make_user("newbie")
    boss = api("boss")
    grant = {"username": "newbie", "agency_id": org.county_a1.pk}
    refused(boss.post("/api/v1/memberships", {**grant, "role": "auditor"}), 403, "role_not_grantable")
    refused(boss.post("/api/v1/memberships", {"username": "newbie", "role": "system_admin"}), 403, "forbidden")
    at_own = {"username": "newbie", "role": "agency_admin", "agency_id": org.city_a.pk}
    refused(boss.post("/api/v1/memberships", at_own), 403, "role_not_grantable")
    assert not RoleAssignment.objects.filter(user__username="newbie").exists()
    assert boss.post("/api/v1/memberships", {**grant, "role": "agency_admin"}).status_code == 201


def test_agency_admin_cannot_revoke_or_shorten_their_supervising_auditor(org, make_user, api, clock):
    make_user("boss", "agency_admin", org.city_a)
    supervisor = make_user("aud", "auditor", org.city_a)
    below = make_user("aud_county", "auditor", org.county_a1)
    boss = api("boss")
    own_auditor = RoleAssignment.objects.get(user=supervisor)
    soon = (timezone.now() + timedelta(days=1)).isoformat()
    refused(boss.patch(f"/api/v1/memberships/{own_auditor.pk}", {"valid_to": soon}), 403, "supervisor_protected")
    refused(boss.delete(f"/api/v1/memberships/{own_auditor.pk}"), 403, "supervisor_protected")
    assert RoleAssignment.objects.get(pk=own_auditor.pk).revoked_at is None
    # An auditor of a county under the admin does not supervise the admin.
    assert boss.delete(f"/api/v1/memberships/{RoleAssignment.objects.get(user=below).pk}").status_code == 204
    # The province's system admin may.
    make_user("root", "system_admin")
    assert api("root").delete(f"/api/v1/memberships/{own_auditor.pk}").status_code == 204


def test_review_chain_below_the_jurisdictions_minimum_is_refused(org, make_user, api, settings):
    make_user("boss", "agency_admin", org.city_a)
    boss = api("boss")
    url = f"/api/v1/review-chains/agency-{org.county_a1.pk}"
    one_step = [{"name": "签发", "role": "signer"}]
    reviewer_last = [{"name": "初审", "role": "signer"}, {"name": "复审", "role": "reviewer"}]
    response = boss.put(url, {"steps": one_step})
    refused(response, 422, "chain_below_minimum")
    assert response.json()["error"]["details"] == {"min_steps": 2, "last_role": "signer", "rule": "default"}
    refused(boss.put(url, {"steps": reviewer_last}), 422, "chain_below_minimum")
    two_steps = [{"name": "初审", "role": "reviewer"}, {"name": "签发", "role": "signer"}]
    assert boss.put(url, {"steps": two_steps}).status_code == 200
    admin_last = [{"name": "初审", "role": "reviewer"}, {"name": "终审", "role": "agency_admin"}]
    assert boss.put(url, {"steps": admin_last}).status_code == 200, "a more senior last step is fine"

    # City A (region 330100) demands three steps: its counties inherit the rule.
    settings.GOVCMS_REVIEW_CHAIN_MINIMUM = {
        "default": {"steps": 2, "last_role": "signer"},
        "330100": {"steps": 3, "last_role": "signer"},
    }
    response = boss.put(url, {"steps": two_steps})
    refused(response, 422, "chain_below_minimum")
    assert response.json()["error"]["details"]["rule"] == "330100"
    assert LedgerEvent.objects.filter(action="review_chain.set").count() == 2


def test_last_system_admin_cannot_revoke_their_own_role(org, make_user, api):
    make_user("root", "system_admin")
    root = api("root")
    own = RoleAssignment.objects.get(user__username="root")
    refused(root.delete(f"/api/v1/memberships/{own.pk}"), 409, "last_system_admin")
    refused(
        root.patch(f"/api/v1/memberships/{own.pk}", {"valid_to": "2099-01-01T00:00:00+08:00"}), 409, "last_system_admin"
    )
    assert RoleAssignment.objects.get(pk=own.pk).revoked_at is None
    make_user("root2", "system_admin")
    assert root.delete(f"/api/v1/memberships/{own.pk}").status_code == 204


def test_auditor_check_runs_but_records_nothing(org, staff, leaders, cover, make_user, api):
    make_user("aud", "auditor", org.city_a)
    post = draft(api("editor"), org, cover, body=GOOD_BODY)
    runs, events = CheckRun.objects.count(), LedgerEvent.objects.count()
    response = api("aud").post(f"/api/v1/posts/{post['id']}/check")
    assert response.status_code == 200
    assert set(response.json()) == {"checks", "blocking"}
    assert CheckRun.objects.count() == runs
    # Only the auditor's own login (token issue) was recorded, no check event.
    assert not LedgerEvent.objects.filter(seq__gt=events, action="post.checked").exists()
    assert set(LedgerEvent.objects.filter(seq__gt=events).values_list("action", flat=True)) == {"auth.token_issued"}
    # An editor's check is recorded as before.
    assert api("editor").post(f"/api/v1/posts/{post['id']}/check").status_code == 200
    assert CheckRun.objects.count() == runs + 1


def test_out_of_scope_requests_past_the_threshold_are_recorded_once_an_hour(
    org, make_user, api, admin_client_for, settings, clock
):
    settings.GOVCMS_PROBING_THRESHOLD_PER_HOUR = 3
    make_user("ed", "editor", org.county_a1)
    client = api("ed")
    foreign = f"/api/v1/accounts/{org.acct_b1_wechat.pk}"
    for _ in range(5):
        assert client.get("/api/v1/accounts/987654321").status_code == 404  # missing: not probing
    assert not LedgerEvent.objects.filter(action="security.probing").exists()
    for _ in range(3):
        assert client.get(foreign).status_code == 404
    assert not LedgerEvent.objects.filter(action="security.probing").exists(), "at the threshold, not past it"
    for _ in range(5):
        assert client.get(foreign).status_code == 404
    event = LedgerEvent.objects.get(action="security.probing")
    assert event.actor == "ed" and event.data["threshold"] == 3 and event.data["count"] == 4

    # The admin's scope middleware counts too; a new hour starts a new count.
    clock.move_to(timezone.now() + timedelta(hours=1))
    admin = admin_client_for(make_user("ed2", "editor", org.county_a1))
    for _ in range(4):
        assert admin.get(f"/admin/pages/{org.acct_b1_wechat.pk}/edit/").status_code == 404
    assert LedgerEvent.objects.filter(action="security.probing", actor="ed2").count() == 1
    for _ in range(4):
        client.get(foreign)
    assert LedgerEvent.objects.filter(action="security.probing", actor="ed").count() == 2
