"""The writing and reviewing experience in the real Wagtail admin (issue 12, parts 1–3): the
写微博 / 写微信文章 entries, the create view's slug and error messages, the live counter (its
script run under node against the server's counting function), checks while typing through
the check endpoint, the 退回修改 banner, the one 待我审核 panel, and the status panel."""

import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from wagtail.test.utils.form_data import querydict_from_html

from audit.models import LedgerEvent
from editorial.content import counter_rules, weibo_status_text, weibo_weighted_length
from editorial.models import CheckRun, ReviewStep, WeiboPostPage
from govcms.models import Notification
from publishing.models import Publication
from tests.editorial.test_review_flow import GOOD_BODY, draft
from tests.factories import account

pytestmark = pytest.mark.django_db

COUNTER_JS = Path(settings.BASE_DIR) / "editorial" / "static" / "editorial" / "counter.js"


def html_of(response) -> str:
    assert response.status_code == 200, (response.status_code, response.content.decode()[:1500])
    return response.content.decode()


def form_data(html: str) -> dict:
    form = querydict_from_html(html, form_id="page-edit-form")
    return {key: form.getlist(key) for key in form}


def weibo_draft(api_client, org, body="今天天气晴，欢迎市民出行。", title="天气提示"):
    response = api_client.post(
        "/api/v1/posts", {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "title": title, "body": body}
    )
    assert response.status_code == 201, response.content
    return WeiboPostPage.objects.get(pk=response.json()["id"])


# --- 1. writing -------------------------------------------------------------------------------


def test_compose_entries_name_platform_and_tell_namesakes_apart(org, staff, make_user, admin_client_for):
    """The menu and the dashboard offer each account the user may write for, with its platform;
    another county's account is not offered; namesakes carry their agency."""
    html = html_of(admin_client_for(staff["editor"]).get("/admin/"))
    assert "写微博" in html and "写微信文章" in html
    assert "甲一发布（微博）" in html and "甲一发布公众号（微信公众号）" in html
    assert f"/admin/pages/add/editorial/weibopostpage/{org.acct_a1_weibo.pk}/" in html
    assert "甲二发布" not in html and "乙一发布" not in html
    assert "icon-govcms-weibo" in html

    # A city editor sees two accounts of the same name in two counties: told apart by agency.
    account(org.county_a2, platform="weibo", name="甲一发布", exemption_reason="测试：同名账号")
    city_editor = make_user("city_editor", "editor", org.city_a)
    html = html_of(admin_client_for(city_editor).get("/admin/"))
    assert "甲一发布（微博） · 甲一县" in html and "甲一发布（微博） · 甲二县" in html
    # A reviewer who does not write gets no entries.
    assert "写微博" not in html_of(admin_client_for(staff["reviewer"]).get("/admin/"))


def test_first_save_with_a_chinese_title_gets_a_pinyin_slug(org, staff, admin_client_for):
    client = admin_client_for(staff["editor"])
    url = f"/admin/pages/add/editorial/weibopostpage/{org.acct_a1_weibo.pk}/"
    html = html_of(client.get(url))
    assert "北京时间" in html and "仅站内" in html, "the labels say what the fields are"
    assert 'data-side-panel="checks"' not in html, "Wagtail's own checks panel is hidden"
    assert "govcms-composer-config" in html and "editorial/counter.js" in html
    data = form_data(html)
    data.update(title=["县公安局 2026 冬季安全提示"], body=["注意防滑。"], slug=[""])
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    post = WeiboPostPage.objects.get(title="县公安局 2026 冬季安全提示")
    assert post.slug == "xian-gong-an-ju-2026-dong-ji-an-quan-ti-shi"
    # The same title again: unique under the account.
    data.update(title=["县公安局 2026 冬季安全提示"], slug=["县公安局-2026-冬季安全提示"])
    assert client.post(url, data).status_code == 302
    assert WeiboPostPage.objects.filter(slug="xian-gong-an-ju-2026-dong-ji-an-quan-ti-shi-2").exists()


def test_validation_errors_name_the_tab_and_the_field(org, staff, admin_client_for):
    client = admin_client_for(staff["editor"])
    url = f"/admin/pages/add/editorial/weibopostpage/{org.acct_a1_weibo.pk}/"
    data = form_data(html_of(client.get(url)))
    data.update(title=["过长"], body=["字" * 2001])
    response = client.post(url, data)
    text = html_of(response)
    assert "请修改以下字段后再保存" in text
    assert "「内容」页签 · 正文" in text, text[text.find("请修改") : text.find("请修改") + 200]


COUNTER_CASES = [
    "",
    "abc",
    "汉字",
    "混合 text 内容",
    "emoji 😀 counts two",
    "见 https://t.cn/A6abcdEF 详情",
    "长链接 https://www.example.gov.cn/a/very/long/path?with=query&and=more#frag 结束",
    "短 http://a.cn 链",
    "两个 http://x.cn/1 和 https://y.cn/2 链接",
    "HTTP://UPPER.CASE/Path 大写",
    "全角，标点。“引号”",
    "a" * 281,
    "字" * 141,
]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_counter_script_counts_as_the_server_does(org, settings):
    """The editor's counter (counter.js under node, fed the rules the page carries) gives the
    server's weighted length for every case, the post's link appended as the server appends it."""
    settings.GOVCMS_WEIBO_TEXT_MAX = 120  # the rules are data: a deployment's limit reaches the script
    rules = counter_rules()
    assert rules["weibo"]["max"] == 120
    link = "http://127.0.0.1:8000/p/42/"
    script = (
        f"const c = require({json.dumps(str(COUNTER_JS))});"
        f"const rules = {json.dumps(rules['weibo'])}; const cases = {json.dumps(COUNTER_CASES)};"
        f"console.log(JSON.stringify(cases.map(t => [c.weiboHalves(t, rules),"
        f" c.weiboHalves(c.weiboStatus(t, {json.dumps(link)}), rules), c.plainHalves(t)])));"
    )
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=30).stdout
    for case, (alone, status, _plain) in zip(COUNTER_CASES, json.loads(out), strict=True):
        assert alone / 2 == weibo_weighted_length(case), case
        assert status / 2 == weibo_weighted_length(weibo_status_text(body=case, link=link)), case


def test_checks_while_typing_check_the_draft_and_keep_nothing(org, staff, leaders, api):
    editor = api("editor")
    post = weibo_draft(editor, org)
    runs, events = CheckRun.objects.count(), LedgerEvent.objects.count()
    typed = "市长张三在会上强调，做好安全生产。"
    response = editor.post(f"/api/v1/posts/{post.pk}/check", {"title": "天气提示", "body": typed})
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["text"] == typed
    finding = next(f for f in answer["checks"] if f["matched"] == "市长张三")
    assert finding["gate_label"] and finding["rule"] and typed[finding["start"] : finding["end"]] == "市长张三"
    assert answer["blocking"] is True
    assert (CheckRun.objects.count(), LedgerEvent.objects.count()) == (runs, events), "a draft check keeps nothing"
    # Fields the platform does not have are refused (4xx), as a save would refuse them.
    assert editor.post(f"/api/v1/posts/{post.pk}/check", {"digest": "摘要"}).status_code == 422
    # Outside the jurisdiction: 404 as for a missing post.
    assert api("outsider").post(f"/api/v1/posts/{post.pk}/check", {"body": "x"}).status_code == 404
    # Without a body the endpoint keeps its contract: the saved draft is checked and the run kept.
    assert editor.post(f"/api/v1/posts/{post.pk}/check").status_code == 200
    assert CheckRun.objects.count() == runs + 1


# --- 2. reviewing -----------------------------------------------------------------------------


def test_rejection_is_shown_until_resubmitted(org, staff, cover, api, admin_client_for):
    editor = api("editor")
    post = draft(editor, org, cover, body=GOOD_BODY, title="退回测试")
    assert editor.post(f"/api/v1/posts/{post['id']}/submit", {}).status_code == 200
    step = ReviewStep.objects.get(post_id=post["id"], open=True)
    response = api("reviewer").post(f"/api/v1/reviews/{step.pk}/reject", {"comment": "请补充发布单位"})
    assert response.status_code == 200, response.content

    browser = admin_client_for(staff["editor"])
    edit = html_of(browser.get(f"/admin/pages/{post['id']}/edit/"))
    assert "退回修改" in edit and "请补充发布单位" in edit and 'data-govcms="rejection"' in edit
    home = html_of(browser.get("/admin/"))
    assert 'data-govcms="sent-back"' in home and "请补充发布单位" in home
    note = Notification.objects.get(user=staff["editor"], kind="review_rejected")
    assert "请补充发布单位" in note.message and note.url == f"/admin/pages/{post['id']}/edit/"

    assert editor.post(f"/api/v1/posts/{post['id']}/submit", {}).status_code == 200
    assert 'data-govcms="rejection"' not in html_of(browser.get(f"/admin/pages/{post['id']}/edit/"))
    assert 'data-govcms="sent-back"' not in html_of(browser.get("/admin/"))


def test_decision_says_what_happened_and_returns_to_the_queue(org, staff, api, admin_client_for, clock):
    editor = api("editor")  # Weibo posts: the editor's form posts plain text back exactly as stored
    first, second = weibo_draft(editor, org, title="第一篇"), weibo_draft(editor, org, title="第二篇")
    for post in (first, second):
        assert editor.post(f"/api/v1/posts/{post.pk}/submit", {}).status_code == 200

    reviewer = admin_client_for(staff["reviewer"])
    home = html_of(reviewer.get("/admin/"))
    assert home.count('data-govcms="awaiting-review"') == 1 and 'id="awaiting-review"' not in home
    assert "第一篇" in home and "已超时" not in home
    clock.move_to(timezone.now() + timedelta(days=5))
    reviewer = admin_client_for(staff["reviewer"])  # the old session has expired meanwhile
    assert "已超时" in html_of(reviewer.get("/admin/")), "overdue items are marked"

    url = f"/admin/pages/{first.pk}/edit/"
    data = form_data(html_of(reviewer.get(url)))
    data.update({"action-workflow-action": ["true"], "workflow-action-name": ["approve"]})
    response = reviewer.post(url, data)
    assert response.status_code == 302, [str(m) for m in response.context["messages"]]
    assert response.url == "/admin/editorial/reviews/"
    queue = reviewer.get(response.url)
    said = [str(m) for m in queue.context["messages"]]
    assert any("已通过第 1 步" in m and "已转" in m for m in said), said
    assert "第二篇" in html_of(queue), "the next item waits in the queue"


# --- 3. the status panel ----------------------------------------------------------------------


def test_status_panel_shows_each_platform_state(org, staff, api, admin_client_for):
    post = weibo_draft(api("editor"), org)
    states = [
        {"status": "published", "url": "https://weibo.example/123"},
        {"status": "failed", "last_error": "内容含有违规信息", "last_error_code": "20019"},
        {"status": "unknown"},
        {"status": "queued"},
    ]
    for state in states:  # one publication per revision and account
        revision = post.save_revision(user=staff["editor"])
        Publication.objects.create(post=post, revision=revision, account=org.acct_a1_weibo, platform="weibo", **state)
    html = html_of(admin_client_for(staff["editor"]).get(f"/admin/pages/{post.pk}/edit/"))
    panel = html[html.find('data-govcms="publications"') :]
    assert "https://weibo.example/123" in panel
    assert "内容含有违规信息" in panel and "20019" in panel
    assert "等待人工到平台核对" in panel and "排队等待发布" in panel
    assert "微博" in panel
