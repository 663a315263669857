import json

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.signals import user_logged_out
from django.test import RequestFactory

from audit.models import LedgerEvent

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-电池-9"
WRONG_PASSWORD = "wrong-Pa55-秘密"
AGENT = "Mozilla/5.0 (govcms tests)"


@pytest.fixture
def user():
    # A superuser, as Wagtail sends users without admin access back to the login page.
    return get_user_model().objects.create_superuser(username="li.si", password=PASSWORD, email="")


def _events(action: str):
    return list(LedgerEvent.objects.filter(action=action))


def test_admin_login_and_logout_are_recorded(client, user):
    response = client.post("/admin/login/", {"username": "li.si", "password": PASSWORD}, HTTP_USER_AGENT=AGENT)
    assert response.status_code == 302

    [login] = _events("auth.login")
    assert (login.actor_id, login.actor, login.object_type, login.object_id) == (
        user.pk,
        "li.si",
        "user",
        str(user.pk),
    )
    assert (login.ip, login.user_agent) == ("127.0.0.1", AGENT)

    client.post("/admin/logout/", HTTP_USER_AGENT=AGENT)
    [logout] = _events("auth.logout")
    assert (logout.actor, logout.ip) == ("li.si", "127.0.0.1")


def test_admin_failed_login_keeps_the_username_but_never_the_password(client, user):
    response = client.post(
        "/admin/login/",
        {"username": "li.si", "password": WRONG_PASSWORD},
        HTTP_USER_AGENT=AGENT,
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 200

    [failed] = _events("auth.login_failed")
    # The attempted account's jurisdictions (a superuser holds none) file it for their auditors.
    assert failed.data == {"username": "li.si", "jurisdictions": []}
    assert (failed.actor_id, failed.actor) == (None, "")
    assert (failed.ip, failed.user_agent) == ("203.0.113.7", AGENT)
    every_column = json.dumps(list(LedgerEvent.objects.values()), default=str, ensure_ascii=False)
    assert WRONG_PASSWORD not in every_column
    assert "password" not in every_column


def test_failed_authenticate_without_admin(user):
    request = RequestFactory().post("/api/v1/auth/token", REMOTE_ADDR="198.51.100.2")

    assert authenticate(request, username="nobody", password=WRONG_PASSWORD) is None

    [failed] = _events("auth.login_failed")
    assert (failed.data, failed.ip) == ({"username": "nobody"}, "198.51.100.2")


def test_logout_of_an_anonymous_session_is_a_system_event():
    user_logged_out.send(sender=None, request=RequestFactory().get("/admin/logout/"), user=None)

    [logout] = _events("auth.logout")
    assert (logout.actor_id, logout.actor, logout.object_type) == (None, "", "")
