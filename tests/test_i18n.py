"""The English catalogue (locale/en): Chinese stays the default, English users get English.

The .po is parsed here (no polib) so that a new gettext string without a translation, or a fuzzy
entry left by makemessages, fails CI: run makemessages, translate, compilemessages, commit both.
"""

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone, translation
from wagtail.users.models import UserProfile

from editorial.models import LexiconCategory, PostStatus, Severity
from govcms.models import AccountPage, AccountStatus, AccountTransition, Role, RoleAssignment
from publishing.models import PublicationStatus

PO_PATH = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
ASSIGNMENTS = "/admin/govcms/assignments/"
PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdif]|\{[A-Za-z_]*\}")


@pytest.fixture(autouse=True)
def _restore_language():
    """Requests activate a language in this thread (LocaleMiddleware); don't leak it to other tests."""
    previous = translation.get_language()
    yield
    translation.activate(previous or settings.LANGUAGE_CODE)


# --- the catalogue file ---------------------------------------------------------------------------


def _unquote(token: str) -> str:
    return json.loads(token)  # PO string literals use the C escapes JSON understands (\" \\ \n \t)


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (dict index -> text), flags."""
    entries: list[dict] = []
    entry: dict | None = None
    field: tuple | None = None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#~"):
            continue  # obsolete entries are not used
        if line.startswith("#,"):
            if entry is not None and "msgid" in entry:
                finish()
                entry = None
            entry = entry or {"flags": set(), "msgstr": {}}
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            assert field is not None, f"continuation line without a field: {raw!r}"
            name, index = field
            text = _unquote(line)
            if name == "msgstr":
                entry["msgstr"][index] += text
            else:
                entry[name] += text
            continue
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if keyword in ("msgctxt", "msgid") and (entry is None or "msgid" in entry):
            finish()
            entry = {"flags": set(), "msgstr": {}}
        if entry is None:
            entry = {"flags": set(), "msgstr": {}}
        if keyword in ("msgctxt", "msgid", "msgid_plural"):
            entry[keyword] = _unquote(rest)
            field = (keyword, None)
        elif keyword == "msgstr" or match:
            index = int(match.group(1)) if match else 0
            entry["msgstr"][index] = _unquote(rest)
            field = ("msgstr", index)
        else:
            raise AssertionError(f"unexpected .po line: {raw!r}")
    finish()
    return entries


@pytest.fixture(scope="module")
def catalogue():
    entries = parse_po(PO_PATH)
    header = [e for e in entries if e["msgid"] == ""]
    assert len(header) == 1, "the .po has exactly one header entry"
    return header[0], [e for e in entries if e["msgid"] != ""]


def test_catalogue_is_complete(catalogue):
    header, entries = catalogue
    assert "fuzzy" not in header["flags"], "the header is still marked fuzzy"
    assert "Language: en\n" in header["msgstr"][0]
    assert len(entries) > 400, "the catalogue lost most of its strings: was makemessages run from /work/main?"

    untranslated = [e["msgid"] for e in entries if not all(s.strip() for s in e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, f"untranslated msgids in {PO_PATH.name}: {untranslated}"
    assert not fuzzy, f"fuzzy entries in {PO_PATH.name} (review and drop the flag): {fuzzy}"

    plurals = [e for e in entries if "msgid_plural" in e]
    for e in plurals:
        assert sorted(e["msgstr"]) == [0, 1], f"English needs two plural forms: {e['msgid']}"


def test_catalogue_keeps_placeholders(catalogue):
    _, entries = catalogue
    broken = []
    for e in entries:
        for form, text in e["msgstr"].items():
            source = e["msgid_plural"] if form and "msgid_plural" in e else e["msgid"]
            wanted, got = sorted(PLACEHOLDER.findall(source)), sorted(PLACEHOLDER.findall(text))
            # The singular of a plural entry may drop its count ("One item" for "%(count)d items").
            if got != wanted and not ("msgid_plural" in e and form == 0 and set(got) <= set(wanted)):
                broken.append((e["msgid"], text))
    assert not broken, f"placeholders differ between msgid and msgstr: {broken}"


def test_compiled_catalogue_is_current(catalogue):
    """The committed .mo must be compiled from the committed .po (compilemessages after editing)."""
    _, entries = catalogue
    assert MO_PATH.exists(), "run: manage.py compilemessages --ignore=.venv"
    with translation.override("en"):
        stale = [
            e["msgid"]
            for e in entries
            if "msgid_plural" not in e and "msgctxt" not in e and translation.gettext(e["msgid"]) != e["msgstr"][0]
        ]
    assert not stale, f"django.mo is out of date with django.po (run compilemessages): {stale[:10]}"


# --- models ---------------------------------------------------------------------------------------


def test_model_labels_follow_the_active_language():
    assert AccountStatus.OPERATING.label == "已备案运营", "Chinese is the default"
    with translation.override("en"):
        assert AccountStatus.OPERATING.label == "Filed and operating"
        assert AccountStatus.SUSPENDED.label == "Suspended"
        assert AccountStatus.CLOSED.label == "Closed"
        assert Role.EDITOR.label == "Editor"
        assert Role.REVIEWER.label == "Reviewer"
        assert Role.SIGNER.label == "Signer"
        assert Role.AGENCY_ADMIN.label == "Agency admin"
        assert Role.AUDITOR.label == "Auditor"
        assert PostStatus.DRAFT.label == "Draft"
        assert PublicationStatus.FAILED.label == "Failed"
        assert Severity.BLOCK.label == "Blocking"
        assert LexiconCategory.SENSITIVE.label == "Sensitive words"
        assert str(AccountPage._meta.verbose_name) == "Government new-media account"
        assert str(AccountTransition._meta.get_field("filing_number").verbose_name) == "Filing number"
        assert str(RoleAssignment._meta.get_field("role").verbose_name) == "Role"
    assert str(AccountPage._meta.verbose_name) == "政务新媒体账号"


# --- Wagtail admin: the user's profile language ---------------------------------------------------


def _set_admin_language(user, language):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()


def _sidebar(text):
    """How `text` appears in the sidebar's JSON (non-ASCII escaped)."""
    return json.dumps(text)[1:-1]


@pytest.mark.django_db
def test_admin_follows_profile_language(org, make_user, admin_client_for):
    english = make_user("boss_en", "agency_admin", org.city_a)
    chinese = make_user("boss_zh", "agency_admin", org.city_a)
    _set_admin_language(english, "en")
    _set_admin_language(chinese, "zh-hans")

    page = admin_client_for(english).get(ASSIGNMENTS)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Role assignments" in html, "page title and menu label in English"
    assert _sidebar("Linkage campaigns") in html, "another of our menu items, in the sidebar JSON"
    assert "Agency admin" in html, "role names in the listing"
    assert "岗位分配" not in html and _sidebar("岗位分配") not in html

    page = admin_client_for(chinese).get(ASSIGNMENTS)
    assert page.status_code == 200
    html = page.content.decode()
    assert "岗位分配" in html and _sidebar("联动专题") in html
    assert "单位管理员" in html
    assert "Role assignments" not in html


@pytest.mark.django_db
def test_admin_language_does_not_need_a_profile_for_chinese(org, make_user, admin_client_for):
    """A user who never chose a language gets the site default, Chinese."""
    boss = make_user("boss", "agency_admin", org.city_a)
    html = admin_client_for(boss).get(ASSIGNMENTS).content.decode()
    assert "岗位分配" in html and "Role assignments" not in html


# --- API: Accept-Language -------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_service_errors_follow_accept_language(org, make_user, api):
    """ServiceError messages go through gettext: Chinese by default, English on request."""
    boss = make_user("boss", "agency_admin", org.city_a)
    own = RoleAssignment.objects.get(user=boss)
    client = api("boss")
    path = f"/api/v1/memberships/{own.pk}"
    body = json.dumps({"valid_to": (timezone.now() + timedelta(days=365)).isoformat()})

    def patch(**headers):
        response = client.client.patch(
            path, body, content_type="application/json", headers={**client._headers(), **headers}
        )
        assert response.status_code == 403, response.content
        error = response.json()["error"]
        assert error["code"] == "self_assignment", "the machine-readable code never changes"
        return error["message"]

    assert patch() == "不能为自己分配、变更或撤销岗位"
    assert patch(**{"Accept-Language": "en"}) == "You cannot assign, change or revoke your own roles"
    assert patch(**{"Accept-Language": "en-GB,en;q=0.9"}) == "You cannot assign, change or revoke your own roles"
    assert patch(**{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}) == "不能为自己分配、变更或撤销岗位"
    assert patch(**{"Accept-Language": "fr"}) == "不能为自己分配、变更或撤销岗位", "unsupported: the default"


@pytest.mark.django_db
def test_api_validation_error_follows_accept_language(org, make_user, api):
    """A model ValidationError raised in a service (region code) comes back translated."""
    from django.contrib.auth import get_user_model

    from tests.factories import PASSWORD

    get_user_model().objects.create_superuser("root", password=PASSWORD)
    client = api("root")
    payload = json.dumps({"name": "丙市", "parent_id": org.province.pk, "region_code": "990300", "level": "city"})

    def create(**headers):
        response = client.client.post(
            "/api/v1/agencies", payload, content_type="application/json", headers={**client._headers(), **headers}
        )
        assert response.status_code == 422, response.content
        return json.dumps(response.json()["error"]["details"], ensure_ascii=False)

    assert "行政区划代码必须是 6 位数字" in create()
    assert "The administrative division code must be 6 digits" in create(**{"Accept-Language": "en"})
