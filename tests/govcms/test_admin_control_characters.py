"""The admin refuses NUL and other control characters in any query or form value with a 400 page
(Wagtail's page editor, searches, our forms, the login form), before a form stores them or
PostgreSQL fails on them; lexicon imports refuse such rows. The API answers 422 instead (its own
tests)."""

import pytest

from editorial.checks.importers import parse_text_lexicon
from govcms.models import AgencyPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def chief(org, make_user, admin_client_for):
    return admin_client_for(make_user("chief", "agency_admin", org.city_a))


@pytest.mark.parametrize("text", ["甲\x00县", "\x01", "a\x1bb", "\x7f"])
def test_page_editor_refuses_control_characters(chief, org, text):
    page = org.county_a1
    response = chief.post(f"/admin/pages/{page.pk}/edit/", {"title": text, "slug": page.slug})
    assert response.status_code == 400
    assert "控制字符" in response.content.decode()
    page.refresh_from_db()
    assert page.title == "甲一县" and page.draft_title == "甲一县"
    assert not AgencyPage.objects.filter(title__contains="\x01").exists()


def test_searches_choosers_and_filters_refuse_control_characters(chief, org):
    for url in (
        "/admin/pages/search/?q=a%00b",
        "/admin/choose-page/search/?q=%00",
        "/admin/reports/site-history/?label=%01",
        f"/admin/pages/{org.county_a1.pk}/?ordering=%00",
        "/admin/images/?q%00=x",
    ):
        assert chief.get(url).status_code == 400, url
    # Tab and newlines are ordinary text.
    assert chief.get("/admin/pages/search/?q=a%09b%0A").status_code == 200


def test_login_form_refuses_nul(client, org, make_user):
    make_user("chief", "agency_admin", org.city_a)
    assert client.post("/admin/login/", {"username": "chief\x00", "password": "x"}).status_code == 400


def test_lexicon_import_refuses_rows_with_control_characters():
    result = parse_text_lexicon(data="坏\x00词,banned\n好词,banned\n建\x1b议,banned\n".encode())
    assert [entry.term for entry in result.entries] == ["好词"]
    assert [issue.line for issue in result.errors] == [1, 3]
