"""The admin speaks Chinese with zh-hans, everywhere a role's day takes it, and English with en.

Wagtail 8's own zh_Hans catalogues leave ~380 admin msgids untranslated ("Search all pages…",
"Saved", "Toggle checks", "Privacy and access", "Content metrics", "Referenced 0 times", lock and
validation banners, the keyboard shortcuts, some of its JavaScript strings); locale/zh_Hans
translates them (LOCALE_PATHS outrank app catalogues). These tests fail when a Wagtail upgrade
brings new untranslated msgids, or when a screen of the main flows shows one in English.

What is checked on each page: the visible text (script and style contents dropped), the values of
the attributes people see or hear (placeholder, title, aria-label, alt, button values), and the
strings of the JSON islands Wagtail's JavaScript renders from (sidebar, wagtailConfig). A text
that is exactly one of Wagtail's English msgids is a failure, as is any of the known phrases below.
"""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import wagtail
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.utils import translation
from wagtail.models import Page
from wagtail.users.models import UserProfile

from editorial.models import ReviewStep, WeiboPostPage
from tests.editorial.test_review_flow import GOOD_BODY, draft
from tests.factories import PASSWORD, grant

pytestmark = pytest.mark.django_db

# Seen in English by people walking through the zh-hans admin before locale/zh_Hans existed.
KNOWN_ENGLISH = [
    "Search all pages",
    "Saved",
    "Toggle checks",
    "Privacy and access",
    "Content metrics",
    "Referenced",
    "Reading time",
    "Readability",
    "Autosave",
    "Go to the first error",
    "There are validation errors",
    "could not be saved",
    "could not be created",
    "Locked by",
    "awaiting moderation",
    "Only reviewers",
    "Keyboard shortcuts",
    "Show keyboard shortcuts",
    "Schedule to publish",
    "Choose parent",
    "Page type",
    "Edited by",
    "Date updated",
    "Has child pages",
    "Layout",
    "You haven't uploaded any images",
    "Usage count",
    "Maximum filesize",
    "Theme preferences",
    "and Publish",
    "Error 404",
    "Not Found",
]

# Names in the JSON islands (field names, menu item names, icons) are code, not text.
IDENTIFIER = re.compile(r"^[a-z0-9_.:\-]+$")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
VISIBLE_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}
# Strings equal in both languages (proper names, codes).
SAME_IN_BOTH = {"Wagtail", "Wagtail API v2", "Wagtail API v3", "URL", "ID", "OK", "API", "Email", "RSS"}


def _po_msgids(path: Path) -> set[str]:
    """msgid and msgid_plural texts of a .po file (the English source of Wagtail's strings)."""
    text = path.read_text(encoding="utf-8")
    found = set()
    for match in re.finditer(r'^msgid(?:_plural)? ((?:".*"\n?)+)', text, flags=re.M):
        value = "".join(json.loads(part) for part in re.findall(r'".*"', match.group(1)))
        if value:
            found.add(value)
    return found


def _wagtail_catalogues(domain: str) -> list[Path]:
    """The English catalogues (every msgid, as source) of the installed Wagtail apps."""
    paths = [Path(app.path) / "locale" / "en" / "LC_MESSAGES" / f"{domain}.po" for app in apps.get_app_configs()]
    return [p for p in paths if "wagtail" in p.parts and p.exists()]


def _plain_english_msgids() -> set[str]:
    """Wagtail's English msgids without placeholders or markup: the texts a page may show as is."""
    msgids = set()
    for path in _wagtail_catalogues("django") + _wagtail_catalogues("djangojs"):
        msgids |= _po_msgids(path)
    return {
        m.strip()
        for m in msgids
        if "%" not in m and "{" not in m and "<" not in m and re.search(r"[A-Za-z]{3}", m) and m not in SAME_IN_BOTH
    }


ENGLISH_MSGIDS = _plain_english_msgids()


class _Visible(HTMLParser):
    """Collects what a person sees or hears: text outside script/style, visible attributes, and
    the strings in JSON islands (which Wagtail's JavaScript turns into the sidebar and dialogs)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0
        self._json = None
        # Depth inside an element with `hidden`. Its text is checked too (dropdowns and dialogs open
        # later), except Python's "None" in Wagtail's side panel counters, replaced by JavaScript.
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in VISIBLE_ATTRIBUTES:
            if attrs.get(name):
                self.texts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.texts.append(attrs["value"])
        if tag not in VOID and (self._hidden or "hidden" in attrs):
            self._hidden += 1
        if tag in ("script", "style"):
            self._skip += 1
            if tag == "script" and attrs.get("type") == "application/json":
                self._json = []

    def handle_endtag(self, tag):
        if self._hidden and tag not in VOID:
            self._hidden -= 1
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
            if self._json is not None:
                self.texts.extend(_json_strings("".join(self._json)))
                self._json = None

    def handle_data(self, data):
        if self._json is not None:
            self._json.append(data)
        elif not self._skip and data.strip() and not (self._hidden and data.strip() == "None"):
            self.texts.append(data)


def _json_strings(text: str) -> list[str]:
    try:
        stack, found = [json.loads(text)], []
    except ValueError:
        return []
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and not item.startswith(("/", "http", "#")) and not IDENTIFIER.match(item):
            found.append(item)
    return found


def visible_texts(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    return [re.sub(r"\s+", " ", t).strip() for t in parser.texts]


def english_found(html: str) -> list[str]:
    """The English Wagtail texts a page shows (exact msgids, or one of the known phrases)."""
    found = []
    for text in visible_texts(html):
        if text in ENGLISH_MSGIDS:
            found.append(text)
        found.extend(f"{phrase!r} in {text[:80]!r}" for phrase in KNOWN_ENGLISH if phrase in text)
    return sorted(set(found))


# --- the catalogue ---------------------------------------------------------------------------------


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_wagtail_msgid_has_a_chinese_translation(domain):
    """What the admin would show in English: the Wagtail msgids that zh-hans leaves unchanged."""
    from django.utils.translation.trans_real import DjangoTranslation

    catalogue = DjangoTranslation("zh-hans", domain=domain) if domain == "djangojs" else None
    untranslated = []
    for path in _wagtail_catalogues(domain):
        text = path.read_text(encoding="utf-8")
        for block in text.split("\n\n"):
            if "msgctxt" in block:
                continue  # a handful, all translated by Wagtail itself
            ids = [
                "".join(json.loads(p) for p in re.findall(r'".*"', m.group(1)))
                for m in re.finditer(r'^msgid(?:_plural)? ((?:".*"\n?)+)', block, flags=re.M)
            ]
            if not ids or not ids[0] or ids[0] in SAME_IN_BOTH or not re.search(r"[A-Za-z]{2}", ids[0]):
                continue
            with translation.override("zh-hans"):
                if catalogue is not None:
                    got = catalogue.ngettext(ids[0], ids[1], 2) if len(ids) > 1 else catalogue.gettext(ids[0])
                else:
                    got = translation.ngettext(ids[0], ids[1], 2) if len(ids) > 1 else translation.gettext(ids[0])
            if got == ids[-1] and re.search(r"[A-Za-z]{3}", re.sub(r"%\(\w+\)\w|\{\w+\}|<[^>]+>", "", got)):
                untranslated.append(ids[0])
    assert not untranslated, (
        f"Wagtail {wagtail.__version__} msgids shown in English with zh-hans: translate them in "
        f"locale/zh_Hans/LC_MESSAGES/{domain}.po and compilemessages -l zh_Hans: {untranslated}"
    )


def test_review_vocabulary_replaces_wagtails_wording():
    with translation.override("zh-hans"):
        assert translation.gettext("%(label)s and Publish") % {"label": "通过"} == "通过并发布"
        assert translation.gettext("Needs changes") == "退回修改"
        assert translation.gettext("Saved") == "已保存"
        assert translation.gettext("Search all pages…") == "搜索全部页面…"
    with translation.override("en"):
        assert translation.gettext("Saved") == "Saved", "English stays Wagtail's"


def test_the_checker_sees_what_a_person_sees():
    """The page checker finds English in text and visible attributes, not in code or hidden data."""
    html = (
        '<p>工作台</p><script>var x = "Saved";</script><style>.Saved{}</style>'
        '<input placeholder="Search all pages…"><button aria-label="Toggle checks"></button>'
        '<div data-x="Saved" class="Saved"></div><span title="Privacy and access"></span>'
        '<script type="application/json">{"a": ["Content metrics", "/admin/"]}</script>'
    )
    assert english_found("<p>工作台</p><script>var x = 'Saved';</script><div data-x='Saved'></div>") == []
    found = english_found(html)
    for phrase in ("Search all pages", "Toggle checks", "Privacy and access", "Content metrics"):
        assert any(phrase in f for f in found), (phrase, found)
    assert not any("var x" in f for f in found)


# --- the screens of a role's day -------------------------------------------------------------------


def _client(user, language):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    client = Client()
    response = client.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


@pytest.fixture
def day(org, staff, make_user, leaders, cover, api):
    """Every demo role on county A1 / city A, a WeChat article in review (at the reviewer's step), a
    Weibo draft, and the screens each role opens in a day."""
    from django.contrib.auth import get_user_model

    users = {
        "editor": staff["editor"],
        "reviewer": staff["reviewer"],
        "signer": staff["signer"],
        "agency_admin": make_user("boss", "agency_admin", org.city_a),
        "auditor": make_user("auditor", "auditor", org.city_a),
        "sysadmin": get_user_model().objects.create_superuser("root", password=PASSWORD),
    }
    grant(users["sysadmin"], "system_admin")
    editor = api("editor")
    article = draft(editor, org, cover, body=GOOD_BODY, title="全省冬季安全生产工作会议召开")
    assert editor.post(f"/api/v1/posts/{article['id']}/submit", {}).status_code == 200
    fields = {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "title": "", "body": "今晚有雨，注意出行安全。"}
    weibo = editor.post("/api/v1/posts", fields)
    assert weibo.status_code == 201, weibo.content
    weibo_id = weibo.json()["id"]
    account, wechat_account = org.acct_a1_weibo.pk, org.acct_a1_wechat.pk
    article_id = article["id"]
    common = ["/admin/", f"/admin/pages/{org.county_a1.pk}/", f"/admin/pages/{account}/"]
    common.append(f"/admin/govcms/agencies/{org.county_a1.pk}/history/")
    post_views = [
        f"/admin/pages/{article_id}/edit/",
        f"/admin/pages/{weibo_id}/edit/",
        f"/admin/pages/{article_id}/history/",
        f"/admin/pages/{article_id}/workflow_history/",
        f"/admin/editorial/posts/{article_id}/history/",
        f"/admin/editorial/read/{article_id}/",
        f"/admin/editorial/read/{weibo_id}/",
    ]
    writing = [
        f"/admin/pages/add/editorial/wechatarticlepage/{wechat_account}/",
        f"/admin/pages/add/editorial/weibopostpage/{account}/",
        "/admin/images/",
        "/admin/images/multiple/add/",
        "/admin/editorial/campaigns/",
        "/admin/editorial/campaigns/add/",
    ]
    reviewing = ["/admin/editorial/reviews/"]
    administering = [
        "/admin/govcms/assignments/",
        "/admin/govcms/assignments/add/",
        "/admin/govcms/logins/",
        f"/admin/govcms/accounts/{account}/history/",
        f"/admin/govcms/accounts/{account}/transition/",
        f"/admin/govcms/accounts/{account}/credentials/",
        "/admin/publishing/problems/",
        "/admin/reports/workflow/",
        "/admin/reports/workflow_tasks/",
        "/admin/reports/site-history/",
        "/admin/reports/locked/",
        "/admin/reports/aging-pages/",
        "/admin/account/",
        "/admin/users/",
        "/admin/users/new/",
        f"/admin/users/edit/{users['editor'].pk}/",
    ]
    overseeing = ["/admin/oversight/", "/admin/exports/?report=compliance"]
    screens = {
        "editor": common + post_views + writing + ["/admin/account/"],
        "reviewer": common + post_views + reviewing,
        "signer": common + post_views + reviewing,
        "agency_admin": common + post_views[2:] + administering,
        "auditor": common + post_views[4:] + ["/admin/reports/site-history/"] + overseeing,
        "sysadmin": common
        + post_views
        + writing
        + administering
        + [
            "/admin/users/",
            "/admin/editorial/lexicon-import/",
            "/admin/snippets/editorial/lexiconentry/",
            "/admin/snippets/editorial/leadertitle/",
        ],
    }
    return users, screens


@pytest.mark.parametrize("role", ["editor", "reviewer", "signer", "agency_admin", "auditor", "sysadmin"])
def test_every_screen_of_a_roles_day_is_chinese(day, role):
    users, screens = day
    client = _client(users[role], "zh-hans")
    problems = {}
    for url in screens[role]:
        response = client.get(url)
        assert response.status_code == 200, (role, url, response.status_code, response.get("Location"))
        html = response.content.decode()
        assert re.search(r"[\u4e00-\u9fff]", html), (role, url, "no Chinese at all")
        english = english_found(html)
        if english:
            problems[url] = english
    assert not problems, f"{role} sees English with zh-hans: {json.dumps(problems, ensure_ascii=False, indent=1)}"


@pytest.mark.parametrize("role", ["editor", "reviewer", "signer", "agency_admin", "auditor", "sysadmin"])
def test_the_same_screens_work_in_english(day, role):
    users, screens = day
    client = _client(users[role], "en")
    for url in screens[role]:
        response = client.get(url)
        assert response.status_code == 200, (role, url, response.status_code)
        assert 'lang="en"' in response.content.decode(), (role, url, "not rendered in English")
    dashboard = client.get("/admin/").content.decode()
    assert "Search all pages…" in dashboard and "搜索全部页面" not in dashboard


def test_login_page_is_chinese_and_english_on_request():
    response = Client().get("/admin/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not english_found(html), english_found(html)
    assert "登录" in html
    english = Client(headers={"Accept-Language": "en"}).get("/admin/login/").content.decode()
    assert "Sign in" in english or "Log in" in english


def test_review_screens_speak_the_reviews_words(day, api):
    """The reviewer's editor: the lock banner says what is true (nobody edits submitted content;
    the step's approvers decide), the actions read 通过 / 退回修改, the signer's final approval
    通过并发布 (never Wagtail's "通过 和发布"), and each decision's message says what happened."""
    users, _ = day
    article = ReviewStep.objects.filter(open=True).select_related("post").get().post
    reviewer = _client(users["reviewer"], "zh-hans")
    html = reviewer.get(f"/admin/pages/{article.pk}/edit/").content.decode()
    text = " ".join(visible_texts(html))
    assert _workflow_buttons(html) == ["退回修改", "通过", "通过并附意见"]
    assert "您是“" in text and "环节的审核人" in text, "the approver's banner"
    assert "和发布" not in text and "Only reviewers" not in text

    editor = _client(users["editor"], "zh-hans")
    text = " ".join(visible_texts(editor.get(f"/admin/pages/{article.pk}/edit/").content.decode()))
    assert "送审中：正在“" in text and "内容已锁定" in text, "the author's banner"
    assert "只有此环节的审核人可以编辑" not in text

    # A Weibo post (plain text: the editor's form posts back exactly what the API stored) is
    # approved in the editor: the message says what happened, not "页面已更新".
    weibo = WeiboPostPage.objects.get()
    assert api("editor").post(f"/api/v1/posts/{weibo.pk}/submit", {}).status_code == 200
    edit_url = f"/admin/pages/{weibo.pk}/edit/"
    response = reviewer.post(edit_url, _decision(reviewer, edit_url, "approve"), follow=True)
    said = [str(m).strip() for m in response.context["messages"]]
    step = ReviewStep.objects.get(post=weibo, open=True)
    assert said == [f"《{weibo.title}》已通过第 1 步“初审”，已转“{step.step_name}”"], said
    signer = _client(users["signer"], "zh-hans")
    html = signer.get(edit_url).content.decode()
    assert _workflow_buttons(html) == ["退回修改", "通过并发布", "通过并发布（附意见）"]
    assert "和发布" not in " ".join(visible_texts(html))

    response = signer.post(edit_url, _decision(signer, edit_url, "reject", comment="标题需更准确"), follow=True)
    said = [str(m).strip() for m in response.context["messages"]]
    assert said == [f"《{weibo.title}》已在第 2 步“{step.step_name}”退回修改，已通知作者"], said


def _decision(client, edit_url, action, **extra):
    """The editor's form as a browser posts it with a review decision (extra data: the dialog's)."""
    from wagtail.test.utils.form_data import querydict_from_html

    form = querydict_from_html(client.get(edit_url).content.decode(), form_id="page-edit-form")
    form.update({"action-workflow-action": "true", "workflow-action-name": action})
    if extra:
        form["workflow-action-extra-data"] = json.dumps(extra)
    return {key: form.getlist(key) for key in form}


def _workflow_buttons(html: str) -> list[str]:
    """The labels of the editor's review decision buttons, in order."""
    buttons = re.findall(r'<button[^>]*data-workflow-action-name="[a-z]+"[^>]*>(.*?)</button>', html, flags=re.S)
    return [re.sub(r"<[^>]+>", "", b).strip() for b in buttons]


def test_logins_screen_shows_its_own_title(day):
    users, _ = day
    html = _client(users["agency_admin"], "zh-hans").get("/admin/govcms/logins/").content.decode()
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", html, flags=re.S)
    assert heading and "登录与令牌" in heading.group(1), heading and heading.group(1)


# --- not found: one Chinese page, whether missing or outside ----------------------------------------


def test_outside_the_jurisdiction_is_the_chinese_404_exactly_like_missing(org, make_user, api, cover):
    editor = make_user("editor", "editor", org.county_a1)
    other = make_user("editor_b", "editor", org.county_b1)
    post = draft(api("editor"), org, cover, body=GOOD_BODY, title="甲一县的文章")
    assert editor and Page.objects.filter(pk=post["id"]).exists()
    missing = 987_654_321
    client = _client(other, "zh-hans")
    pages = {}
    for url in (
        f"/admin/pages/{post['id']}/edit/",
        f"/admin/pages/{missing}/edit/",
        f"/admin/editorial/read/{post['id']}/",
        f"/admin/editorial/read/{missing}/",
        f"/admin/pages/{post['id']}/history/",
        "/admin/no-such-screen/",
    ):
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code, response.get("Location"))
        html = response.content.decode()
        assert "404：页面不存在" in html and "不在您的管辖范围内" in html, (url, html[:600])
        assert "甲一县的文章" not in html
        assert not english_found(html), (url, english_found(html))
        pages[url] = html.replace(url, "")
    assert len(set(pages.values())) == 1, "every not-found answer is the same page"

    english = _client(other, "en").get(f"/admin/pages/{post['id']}/edit/", headers={"Accept-Language": "en"})
    assert english.status_code == 404
    assert "404: Page not found" in english.content.decode()


def test_the_public_404_is_chinese():
    response = Client().get("/p/987654321/")
    assert response.status_code == 404
    assert "404：页面不存在" in response.content.decode()
    assert settings.LANGUAGE_CODE == "zh-hans"


def test_the_admins_javascript_catalogue_is_chinese(org, make_user):
    """Wagtail's admin JavaScript takes its strings from this catalogue (autosave, the block
    editor, the sidebar's "new item" notes): the zh_Hans override reaches it too."""
    editor = make_user("editor", "editor", org.county_a1)
    catalogue = _client(editor, "zh-hans").get("/admin/jsi18n/")
    assert catalogue.status_code == 200
    text = _unescape(catalogue.content.decode())
    assert "正在自动保存…" in text and "修改已自动保存。" in text
    english = _unescape(_client(editor, "en").get("/admin/jsi18n/").content.decode())
    assert "正在自动保存" not in english


def _unescape(script: str) -> str:
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), script)
