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


# --- no privilege escalation through the user form (issue 12, part 4) ----------------------------

RIGHTS = ("is_superuser", "is_staff", "groups", "user_permissions")


def rights_of(user) -> tuple:
    user = User.objects.get(pk=user.pk)
    return (
        user.is_superuser,
        user.is_staff,
        sorted(user.groups.values_list("name", flat=True)),
        sorted(user.user_permissions.values_list("codename", flat=True)),
    )


@pytest.fixture
def bait():
    """What someone would post to grant themselves rights: a group and a permission that exist."""
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="全部权限")
    permission = Permission.objects.get(codename="change_user")
    return {
        "is_superuser": ["on"],
        "is_staff": ["on"],
        "groups": [str(group.pk)],
        "user_permissions": [str(permission.pk)],
    }


def rights_fields_are_read_only(html: str) -> None:
    """Each rights field the form shows is disabled (shown read-only); the others are not there."""
    for name in RIGHTS:
        for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>|<select[^>]*name="{name}"[^>]*>', html):
            assert "disabled" in tag, (name, tag)


def test_an_agency_admin_cannot_grant_rights_when_creating_a_user(boss, bait):
    rights_fields_are_read_only(page(boss.get(f"{USERS}new/")))
    data = {
        "username": "sneaky",
        "email": "sneaky@example.gov.cn",
        "first_name": "小明",
        "last_name": "王",
        "password1": "Qz8!wLm3#pVt",
        "password2": "Qz8!wLm3#pVt",
        **bait,
    }
    response = boss.post(f"{USERS}new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert rights_of(User.objects.get(username="sneaky")) == (False, False, [], [])


def test_an_agency_admin_cannot_grant_rights_when_editing_a_user(boss, staff, bait):
    """The whole edit form posted back with the rights added (to someone inside the jurisdiction,
    and to the admin themselves): nothing but the active flag is written, by anyone."""
    for person in (staff["editor"], User.objects.get(username="boss")):
        before = rights_of(person)
        edit_url = f"{USERS}edit/{person.pk}/"
        html = page(boss.get(edit_url))
        rights_fields_are_read_only(html)
        data = {**form_of(html, "user-edit-form" if 'id="user-edit-form"' in html else None), **bait}
        data["username"], data["email"], data["is_active"] = ["renamed"], ["renamed@example.gov.cn"], ["on"]
        response = boss.post(edit_url, data)
        assert response.status_code in (200, 302), response.status_code
        person.refresh_from_db()
        assert rights_of(person) == before, person.username
        assert person.username != "renamed" and person.email != "renamed@example.gov.cn"
        assert person.is_active


def test_an_agency_admin_gets_no_group_screens(boss, bait):
    """Groups are derived from role assignments: their screens are closed to agency admins, and a
    group posted to anyway keeps its permissions."""
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="全部权限")
    assert boss.get("/admin/groups/").status_code in (302, 403)
    posted = {"name": "全部权限", "permissions": bait["user_permissions"]}
    response = boss.post(f"/admin/groups/edit/{group.pk}/", posted)
    assert response.status_code in (302, 403, 404)
    assert not group.permissions.exists()


def test_a_system_admin_creates_and_deactivates_anyone_without_the_superuser_box(org, staff, admin_client_for, bait):
    """A system admin keeps what the screens are for (creating logins, deactivating anyone), and
    rights still come only from role assignments."""
    from tests.factories import UserFactory, grant

    root = UserFactory(username="root")
    grant(root, "system_admin")
    client = admin_client_for(root)
    data = {
        "username": "fresh",
        "email": "fresh@example.gov.cn",
        "first_name": "华",
        "last_name": "李",
        "password1": "Qz8!wLm3#pVt",
        "password2": "Qz8!wLm3#pVt",
        **bait,
    }
    assert client.post(f"{USERS}new/", data).status_code == 302
    assert rights_of(User.objects.get(username="fresh")) == (False, False, [], [])

    outsider = staff["outsider"]  # another city's signer: anyone's for a system admin
    before = rights_of(outsider)
    edit_url = f"{USERS}edit/{outsider.pk}/"
    html = page(client.get(edit_url))
    data = {**form_of(html, "user-edit-form" if 'id="user-edit-form"' in html else None), **bait}
    data.pop("is_active", None)
    assert client.post(edit_url, data).status_code == 302
    outsider.refresh_from_db()
    assert outsider.is_active is False and rights_of(outsider) == before
