"""API tokens end at logout, password change, deactivation and the end of the last role; failed
logins are throttled per username and per source address, by one throttle shared by the admin's
login form and the token endpoint; admins list and revoke tokens and unlock lockouts."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from audit.models import LedgerEvent
from govcms.capabilities import SYSTEM
from govcms.models import ApiToken, RoleAssignment
from govcms.services import role_revoke
from tests.factories import PASSWORD, grant

pytestmark = pytest.mark.django_db
VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


def assert_unauthenticated(response):
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "not_authenticated"


def token_post(username, password, address="127.0.0.1"):
    return Client().post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def test_logout_revokes_only_the_callers_token(org, make_user, api):
    make_user("ed", "editor", org.county_a1)
    phone, laptop = api("ed"), api("ed")
    response = phone.post("/api/v1/auth/logout")
    assert response.status_code == 204
    assert_unauthenticated(phone.get("/api/v1/me"))
    assert laptop.get("/api/v1/me").status_code == 200
    event = LedgerEvent.objects.get(action="auth.token_revoked")
    assert event.actor == "ed" and event.data["reason"] == "logout"
    assert_unauthenticated(phone.post("/api/v1/auth/logout"))


def test_password_change_through_the_api_validates_and_revokes_every_token(org, make_user, api, settings):
    settings.AUTH_PASSWORD_VALIDATORS = VALIDATORS
    make_user("ed", "editor", org.county_a1)
    client, other = api("ed"), api("ed")

    weak = client.post("/api/v1/me/password", {"current_password": PASSWORD, "new_password": "12345678"})
    assert weak.status_code == 422
    messages = weak.json()["error"]["details"]["fields"]["password"]
    assert len(messages) == 3, messages  # too short, too common, entirely numeric
    wrong = client.post("/api/v1/me/password", {"current_password": "nope", "new_password": "a-much-better-one"})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_current_password"
    assert client.get("/api/v1/me").status_code == 200, "refusals change nothing"

    response = client.post("/api/v1/me/password", {"current_password": PASSWORD, "new_password": "a-much-better-one"})
    assert response.status_code == 204
    assert_unauthenticated(client.get("/api/v1/me"))
    assert_unauthenticated(other.get("/api/v1/me"))
    revoked = LedgerEvent.objects.get(action="auth.tokens_revoked")
    assert revoked.data["reason"] == "password_changed" and len(revoked.data["token_ids"]) == 2
    assert revoked.actor == "ed"
    assert LedgerEvent.objects.filter(action="user.password_changed", actor="ed").count() == 1
    assert api("ed", password="a-much-better-one").get("/api/v1/me").status_code == 200


def test_password_changed_anywhere_else_revokes_tokens_but_a_hash_upgrade_does_not(org, make_user, api):
    user = make_user("ed", "editor", org.county_a1)
    client = api("ed")
    # A hash upgrade at login saves the password without going through set_password's marker.
    user.refresh_from_db()
    user.password = user.password  # noqa: PLW0127 - a save of the unchanged hash
    user.save(update_fields=["password"])
    assert client.get("/api/v1/me").status_code == 200
    user.set_password("changed-by-manage-py")  # as `manage.py changepassword` or the Wagtail user editor
    user.save()
    assert_unauthenticated(client.get("/api/v1/me"))
    assert ApiToken.objects.get().revoked_reason == "password_changed"


def test_password_change_in_the_admin_revokes_tokens(org, make_user, api, admin_client_for):
    user = make_user("ed", "editor", org.county_a1)
    client = api("ed")
    admin = admin_client_for(user)
    response = admin.post(
        "/admin/account/",
        {
            "password-old_password": PASSWORD,
            "password-new_password1": "new-secret-for-ed",
            "password-new_password2": "new-secret-for-ed",
            "name_email-first_name": user.first_name,
            "name_email-last_name": "编辑",
            "name_email-email": "ed@example.org",
            "locale-preferred_language": "zh-hans",
            "locale-current_time_zone": "Asia/Shanghai",
            "theme-theme": "system",
            "theme-density": "default",
            "theme-contrast": "system",
            "theme-keyboard_shortcuts": "on",
        },
    )
    assert response.status_code == 302, response.content[:300]
    user.refresh_from_db()
    assert user.check_password("new-secret-for-ed")
    assert_unauthenticated(client.get("/api/v1/me"))
    event = LedgerEvent.objects.get(action="auth.tokens_revoked")
    assert event.data["reason"] == "password_changed" and event.actor == "ed"


def test_deactivation_revokes_tokens_for_good(org, make_user, api):
    user = make_user("ed", "editor", org.county_a1)
    client = api("ed")
    user.is_active = False
    user.save()
    assert ApiToken.objects.get().revoked_reason == "deactivated"
    user.is_active = True
    user.save()
    assert_unauthenticated(client.get("/api/v1/me"))


def test_tokens_end_with_the_last_role_only(org, make_user, api):
    user = make_user("ed", "editor", org.county_a1)
    second = grant(user, "reviewer", org.county_a2)
    client = api("ed")
    role_revoke(actor=SYSTEM, assignment=second)
    assert client.get("/api/v1/me").status_code == 200, "another role is still in force"
    role_revoke(actor=SYSTEM, assignment=RoleAssignment.objects.get(user=user, revoked_at__isnull=True))
    assert_unauthenticated(client.get("/api/v1/me"))
    assert LedgerEvent.objects.get(action="auth.tokens_revoked").data["reason"] == "roles_ended"


def test_user_creation_applies_the_password_validators(org, make_user, api, settings):
    settings.AUTH_PASSWORD_VALIDATORS = VALIDATORS
    make_user("boss", "agency_admin", org.city_a)
    boss = api("boss")
    response = boss.post("/api/v1/users", {"username": "newbie", "password": "password"})
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "validation_error" and len(body["details"]["fields"]["password"]) == 2
    assert not get_user_model().objects.filter(username="newbie").exists()
    assert boss.post("/api/v1/users", {"username": "newbie", "password": "long-and-unusual"}).status_code == 201
    for reserved in ("system", "System"):  # the system actor's name: a person so named would read as it
        response = boss.post("/api/v1/users", {"username": reserved, "password": "long-and-unusual"})
        assert response.status_code == 409 and response.json()["error"]["code"] == "username_reserved"
    assert not get_user_model().objects.filter(username__iexact="system").exists()


def test_one_address_trying_many_usernames_is_throttled(org, make_user, admin_client_for, settings):
    editor = make_user("ed", "editor", org.county_a1)
    statuses = []
    for attempt in range(60):  # two tries each of 30 usernames: no username reaches its own limit
        response = token_post(f"guess{attempt % 30}", "wrong", address="203.0.113.7")
        statuses.append(response.status_code)
        if response.status_code == 429:
            error = response.json()["error"]
            assert error["code"] == "locked_out" and error["details"]["kind"] == "address"
            assert set(error) == {"code", "message", "details"}
    limit = settings.GOVCMS_LOGIN_ADDRESS_MAX_FAILURES
    assert statuses == [401] * limit + [429] * (60 - limit)
    # The right password from the locked address is refused unchecked; another address logs in.
    assert token_post("ed", PASSWORD, address="203.0.113.7").status_code == 429
    assert token_post("ed", PASSWORD, address="198.51.100.1").status_code == 200
    assert LedgerEvent.objects.filter(action="auth.login_failed").count() == limit
    lockout = LedgerEvent.objects.get(action="auth.locked_out")
    assert lockout.data["kind"] == "address" and lockout.data["key"] == "203.0.113.7"
    assert LedgerEvent.objects.filter(action="auth.login_refused").count() == 60 - limit + 1

    # The admin's login form shares the throttle and says so.
    response = Client(REMOTE_ADDR="203.0.113.7").post("/admin/login/", {"username": "ed", "password": PASSWORD})
    assert response.status_code == 200
    assert "登录失败次数过多" in response.content.decode()
    assert admin_client_for(editor) is not None  # 127.0.0.1 is not locked


def test_lockout_is_not_extended_by_attempts_during_it(org, make_user, clock, settings):
    make_user("ed", "editor", org.county_a1)
    for _ in range(settings.GOVCMS_LOGIN_MAX_FAILURES):
        assert token_post("ed", "wrong").status_code == 401
    locked_at = timezone.now()
    response = token_post("ed", PASSWORD)
    assert response.status_code == 429 and response.json()["error"]["details"]["kind"] == "username"
    # Keep trying all through the lockout: every attempt is refused and none counts.
    lockout = timedelta(minutes=settings.GOVCMS_LOGIN_LOCKOUT_MINUTES)
    for minutes in (5, 10, 14):
        clock.move_to(locked_at + timedelta(minutes=minutes))
        assert token_post("ed", "wrong").status_code == 429
    clock.move_to(locked_at + lockout + timedelta(seconds=5))
    assert token_post("ed", PASSWORD).status_code == 200, "the lockout ended on time"
    assert LedgerEvent.objects.filter(action="auth.locked_out").count() == 1
    # Failures during the lockout do not count towards the next one: one more failure is not five.
    assert token_post("ed", "wrong").status_code == 401
    assert token_post("ed", PASSWORD).status_code == 200


def test_admin_sees_and_revokes_tokens_and_unlocks(org, make_user, api, admin_client_for, settings):
    root = make_user("root", "system_admin")
    make_user("ed", "editor", org.county_a1)
    client = api("ed")
    for _ in range(settings.GOVCMS_LOGIN_MAX_FAILURES):
        token_post("ed", "wrong")
    assert token_post("ed", PASSWORD).status_code == 429

    admin = admin_client_for(root)
    page = admin.get("/admin/govcms/logins/").content.decode()
    assert "（ed）" in page and "127.0.0.1" in page
    token = ApiToken.objects.get(user__username="ed", revoked_at__isnull=True)
    assert admin.post(f"/admin/govcms/logins/tokens/{token.pk}/revoke/").status_code == 302
    assert_unauthenticated(client.get("/api/v1/me"))
    event = LedgerEvent.objects.get(action="auth.token_revoked")
    assert event.actor == "root" and event.data == {"token_id": token.pk, "reason": "admin"}

    assert admin.post("/admin/govcms/logins/unlock/", {"kind": "username", "key": "ed"}).status_code == 302
    unlocked = LedgerEvent.objects.get(action="auth.unlocked")
    assert unlocked.actor == "root" and unlocked.data == {"kind": "username", "key": "ed"}
    assert token_post("ed", PASSWORD).status_code == 200


def test_agency_admin_sees_only_their_staffs_tokens_and_cannot_unlock(org, make_user, api, admin_client_for):
    boss = make_user("boss", "agency_admin", org.city_a)
    make_user("ed", "editor", org.county_a1)
    make_user("far", "editor", org.county_b1)
    api("ed"), api("far")
    admin = admin_client_for(boss)
    page = admin.get("/admin/govcms/logins/").content.decode()
    assert "（ed）" in page and "（far）" not in page
    far_token = ApiToken.objects.get(user__username="far")
    assert admin.post(f"/admin/govcms/logins/tokens/{far_token.pk}/revoke/").status_code == 404
    assert admin.post("/admin/govcms/logins/unlock/", {"kind": "username", "key": "ed"}).status_code in (302, 403)
    assert not LedgerEvent.objects.filter(action="auth.unlocked").exists()
