"""Administration in the real Wagtail admin (issue 12, part 4): agency admins create and
deactivate logins at /admin/users/ within their jurisdiction, through the services (ledger);
an account's page offers its role assignments, lifecycle and credentials as buttons; an
account's platform cannot be changed."""

import re

import pytest
from django.contrib.auth import get_user_model
from wagtail.test.utils.form_data import querydict_from_html

from audit.models import LedgerEvent

pytestmark = pytest.mark.django_db
User = get_user_model()
USERS = "/admin/users/"


def page(response) -> str:
    assert response.status_code == 200, (response.status_code, response.content.decode()[:1500])
    return response.content.decode()


def form_of(html: str, form_id: str | None = None) -> dict:
    form = querydict_from_html(html, form_id=form_id) if form_id else querydict_from_html(html)
    return {key: form.getlist(key) for key in form}


@pytest.fixture
def boss(org, staff, make_user, admin_client_for):
    """An agency admin of city A (counties A1, A2), logged in."""
    return admin_client_for(make_user("boss", "agency_admin", org.city_a))


def test_agency_admin_lists_and_creates_users_of_their_jurisdiction(boss, staff):
    listing = page(boss.get(USERS))
    assert "editor" in listing and "outsider" not in listing
    form = page(boss.get(f"{USERS}new/"))
    superuser_box = re.search(r'<input[^>]*name="is_superuser"[^>]*>', form).group()
    assert "disabled" in superuser_box, "no way to grant rights but by role assignment"
    response = boss.post(
        f"{USERS}new/",
        {
            "username": "newcomer",
            "email": "newcomer@example.gov.cn",
            "first_name": "小明",
            "last_name": "王",
            "password1": "Qz8!wLm3#pVt",
            "password2": "Qz8!wLm3#pVt",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == "/admin/govcms/assignments/add/?username=newcomer", "on to its first role"
    assert 'value="newcomer"' in page(boss.get(response.url))
    created = User.objects.get(username="newcomer")
    assert created.first_name == "王小明" and created.email == "newcomer@example.gov.cn"
    event = LedgerEvent.objects.get(action="user.created", object_id=str(created.pk))
    assert event.actor_id == User.objects.get(username="boss").pk


def test_agency_admin_deactivates_inside_and_gets_404_outside(boss, staff):
    editor, outsider = staff["editor"], staff["outsider"]
    edit_url = f"{USERS}edit/{editor.pk}/"
    html = page(boss.get(edit_url))
    data = form_of(html, "user-edit-form" if 'id="user-edit-form"' in html else None)
    data.pop("is_active", None)  # the box unticked
    response = boss.post(edit_url, data)
    assert response.status_code == 302, (
        response.context["form"].errors,
        [str(m) for m in response.context["messages"]],
    )
    editor.refresh_from_db()
    assert editor.is_active is False
    assert LedgerEvent.objects.filter(action="user.deactivated", object_id=str(editor.pk)).exists()

    assert boss.get(f"{USERS}edit/{outsider.pk}/").status_code == 404, "another city's person is unknown"
    assert boss.get(f"{USERS}delete/{staff['reviewer'].pk}/").status_code in (302, 403), "nobody deletes"
    assert User.objects.filter(pk=staff["reviewer"].pk).exists()


def test_people_who_do_not_administer_get_no_user_screens(staff, admin_client_for):
    response = admin_client_for(staff["signer"]).get(USERS)
    assert response.status_code in (302, 403)


def test_account_page_has_its_buttons_and_keeps_its_platform(org, boss):
    account = org.acct_a1_weibo
    url = f"/admin/pages/{account.pk}/edit/"
    html = page(boss.get(url))
    actions = html[html.find('data-govcms="page-actions"') :][:3000]
    for label in ("履历", "状态变更", "凭据", "岗位分配"):
        assert label in actions, label
    assert f"/admin/govcms/accounts/{account.pk}/credentials/" in actions

    data = form_of(html, "page-edit-form")
    data["platform"] = ["wechat"]
    response = boss.post(url, data)
    assert response.status_code == 200
    assert "账号开设后不能更改平台" in response.content.decode()
    account.refresh_from_db()
    assert account.platform == "weibo"
