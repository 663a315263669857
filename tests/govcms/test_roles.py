"""Role assignments: validity windows take effect on the next request, and every change is ledgered."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from audit.models import LedgerEvent
from govcms.models import RoleAssignment

pytestmark = pytest.mark.django_db


def test_expired_assignment_grants_nothing_on_next_request(org, make_user, api, admin_client_for):
    now = timezone.now()
    editor = make_user("ed", "editor", org.county_a1, valid_to=now + timedelta(hours=1))
    client = api("ed")
    admin = admin_client_for(editor)
    assert client.get(f"/api/v1/accounts/{org.acct_a1_weibo.pk}").status_code == 200
    assert admin.get(f"/admin/pages/{org.acct_a1_weibo.pk}/edit/").status_code == 200

    with time_machine.travel(now + timedelta(hours=1, seconds=1), tick=False):
        # No periodic task has run: the very next request is refused. It was the editor's last
        # role, so their API token ended with it.
        response = client.get(f"/api/v1/accounts/{org.acct_a1_weibo.pk}")
        assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
        assert LedgerEvent.objects.get(action="auth.tokens_revoked").data["reason"] == "roles_ended"
        assert admin.get(f"/admin/pages/{org.acct_a1_weibo.pk}/edit/").status_code == 404
        assert not editor.groups.filter(name__startswith="govcms:").exists()

    expired = LedgerEvent.objects.filter(action="role.expired", data__user="ed")
    assert expired.count() == 1
    assert expired.get().object_id == str(RoleAssignment.objects.get(user=editor).pk)


def test_future_assignment_starts_on_time(org, make_user, api):
    now = timezone.now()
    make_user("ed", "editor", org.county_a1, valid_from=now + timedelta(hours=1))
    client = api("ed")
    assert client.get("/api/v1/accounts").json()["items"] == []
    with time_machine.travel(now + timedelta(hours=1, seconds=1), tick=False):
        assert len(client.get("/api/v1/accounts").json()["items"]) == 2


def test_revocation_through_api_ends_permissions_at_once_and_is_ledgered(org, make_user, api):
    make_user("boss", "agency_admin", org.city_a)
    editor = make_user("ed", "editor", org.county_a1)
    ed_client, boss = api("ed"), api("boss")
    membership = RoleAssignment.objects.get(user=editor)
    assert ed_client.get(f"/api/v1/accounts/{org.acct_a1_weibo.pk}").status_code == 200

    response = boss.delete(f"/api/v1/memberships/{membership.pk}")
    assert response.status_code == 204
    # It was the editor's last role: their token ended with it.
    assert ed_client.get(f"/api/v1/accounts/{org.acct_a1_weibo.pk}").status_code == 401
    event = LedgerEvent.objects.get(action="role.revoked", object_id=str(membership.pk))
    assert event.actor == "boss"
    assert event.data["user"] == "ed"
    # A second revocation is a state conflict, not a 500.
    assert boss.delete(f"/api/v1/memberships/{membership.pk}").json()["error"]["code"] == "revoked"


def test_membership_lifecycle_through_api(org, make_user, api):
    make_user("boss", "agency_admin", org.city_a)
    make_user("newbie")
    boss = api("boss")
    start = timezone.now()
    response = boss.post(
        "/api/v1/memberships",
        {
            "username": "newbie",
            "role": "reviewer",
            "agency_id": org.county_a2.pk,
            "valid_to": (start + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 201, response.content
    membership = response.json()
    assert membership["active"] is True and membership["role"] == "reviewer"
    assert api("newbie").get("/api/v1/me").json()["roles"][0]["agency_id"] == org.county_a2.pk

    new_end = (start + timedelta(days=7)).isoformat()
    response = boss.patch(f"/api/v1/memberships/{membership['id']}", {"valid_to": new_end})
    assert response.status_code == 200
    history = boss.get(f"/api/v1/history/membership/{membership['id']}").json()
    actions = [entry["action"] for entry in history]
    assert actions.count("created") == 1 and "changed" in actions
    assert {"role.granted", "role.changed"} <= set(actions)
    changed = next(e for e in history if e["action"] == "changed" and e["source"] == "history")
    assert "valid_to" in changed["changes"]

    # Outside the admin's city: not found. Granting system_admin: forbidden.
    response = boss.post("/api/v1/memberships", {"username": "newbie", "role": "editor", "agency_id": org.county_b1.pk})
    assert response.status_code == 404
    response = boss.post("/api/v1/memberships", {"username": "newbie", "role": "system_admin"})
    assert response.status_code == 403
    assert LedgerEvent.objects.filter(action="api.denied", actor="boss").exists()


def test_superuser_is_system_admin_everywhere(org, api):
    from django.contrib.auth import get_user_model

    from tests.factories import PASSWORD

    get_user_model().objects.create_superuser("root", password=PASSWORD)
    client = api("root")
    assert client.get("/api/v1/me").json()["is_system_admin"] is True
    assert len(client.get("/api/v1/agencies").json()["items"]) == 6
    response = client.post(
        "/api/v1/agencies", {"name": "丙市", "parent_id": org.province.pk, "region_code": "330300", "level": "city"}
    )
    assert response.status_code == 201


def test_login_lockout_after_repeated_failures(org, make_user, api, settings):
    make_user("ed", "editor", org.county_a1)
    anonymous = api()
    for _ in range(settings.GOVCMS_LOGIN_MAX_FAILURES):
        response = anonymous.post("/api/v1/auth/token", {"username": "ed", "password": "wrong"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_credentials"
    response = anonymous.post("/api/v1/auth/token", {"username": "ed", "password": "correct-horse-battery"})
    assert response.status_code == 429
    assert LedgerEvent.objects.filter(action="auth.login_failed", data__username="ed").count() == 5


def test_agency_admin_cannot_manage_own_assignment(org, make_user, api):
    boss = make_user("boss", "agency_admin", org.city_a)
    own = RoleAssignment.objects.get(user=boss)
    client = api("boss")
    far_future = (timezone.now() + timedelta(days=3650)).isoformat()
    response = client.patch(f"/api/v1/memberships/{own.pk}", {"valid_to": far_future})
    assert response.status_code == 403 and response.json()["error"]["code"] == "self_assignment"
    assert client.delete(f"/api/v1/memberships/{own.pk}").status_code == 403
    response = client.post("/api/v1/memberships", {"username": "boss", "role": "signer", "agency_id": org.county_a1.pk})
    assert response.status_code == 403
    assert RoleAssignment.objects.filter(user=boss).count() == 1
    assert RoleAssignment.objects.get(pk=own.pk).valid_to is None
