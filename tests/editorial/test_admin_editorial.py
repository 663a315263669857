"""The editorial admin screens (待我审核, 词库导入, 联动专题, 履历) and the editor's page form, used
through the real Wagtail admin."""

import io
import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from openpyxl import Workbook
from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import querydict_from_html, rich_text
from wagtail.users.models import UserProfile

from audit.models import LedgerEvent
from editorial import services
from editorial.models import Campaign, LexiconEntry, ReviewRecord, ReviewStep, WechatArticlePage, WeiboPostPage
from govcms.capabilities import SYSTEM
from govcms.models import Notification
from tests.editorial.test_review_flow import BAD_BODY, GOOD_BODY, draft

pytestmark = pytest.mark.django_db

BEIJING = ZoneInfo("Asia/Shanghai")
REVIEWS = "/admin/editorial/reviews/"
IMPORT = "/admin/editorial/lexicon-import/"
CAMPAIGNS = "/admin/editorial/campaigns/"


def body(response):
    assert response.status_code == 200, (response.status_code, response.content.decode()[:2000])
    return response.content.decode()


def refused(response):
    """Wagtail answers a PermissionDenied in the admin with a redirect to the dashboard (or a 403)."""
    return response.status_code == 403 or (response.status_code == 302 and response.url.rstrip("/") == "/admin")


def decide_url(step):
    return f"{REVIEWS}{step.pk}/decide/"


def submitted(client, org, cover, title, **extra):
    """A WeChat article drafted and submitted through the API by `client`."""
    post = draft(client, org, cover, body=GOOD_BODY, title=title, **extra)
    response = client.post(f"/api/v1/posts/{post['id']}/submit", {})
    assert response.status_code == 200, response.content
    return post


def count_queries(fn):
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = fn()
    assert response.status_code == 200
    assert executed, "the request ran no query: the counter is not counting"
    return len(executed)


# --- 待我审核 -----------------------------------------------------------------------------------


def test_listing_shows_the_item_to_the_reviewer_not_the_submitter(org, staff, leaders, cover, api, admin_client_for):
    post = submitted(api("rev_editor"), org, cover, "寒潮蓝色预警发布")
    step = ReviewStep.objects.get(post_id=post["id"], open=True)
    profile = UserProfile.get_for_user(staff["reviewer"])
    profile.current_time_zone = "Europe/London"  # times must still be shown in Beijing time
    profile.save()

    reviewer = admin_client_for(staff["reviewer"])
    page = body(reviewer.get(REVIEWS))
    assert "寒潮蓝色预警发布" in page
    assert f"/admin/pages/{post['id']}/edit/" in page
    assert "发布审核" in page and "初审（1/2）" in page
    assert staff["rev_editor"].get_full_name() in page
    assert timezone.localtime(step.due_at, BEIJING).strftime("%Y-%m-%d %H:%M:%S") in page
    assert "已超时" not in page
    assert decide_url(step) not in page, "publish steps are decided in the page editor"
    # The menu item carries the number of waiting items (the sidebar is JSON, non-ASCII escaped).
    assert json.dumps("待我审核（1）")[1:-1] in page

    # The submitter holds the reviewer role too, but never sees their own item; nor do the signer
    # (whose step has not opened) and a signer of another city.
    assert REVIEWS not in body(admin_client_for(staff["editor"]).get("/admin/")), (
        "no menu item without a reviewing role"
    )
    for name in ("rev_editor", "signer", "outsider"):
        assert "寒潮蓝色预警发布" not in body(admin_client_for(staff[name]).get(REVIEWS)), name

    ReviewStep.objects.filter(pk=step.pk).update(due_at=timezone.now() - timedelta(hours=1))
    assert "已超时" in body(reviewer.get(REVIEWS))


def test_listing_query_count_does_not_grow_with_items(org, staff, leaders, cover, admin_client_for):
    editor = staff["editor"]

    def add(n, start):
        for i in range(start, start + n):
            post = services.post_create(
                actor=editor,
                account=org.acct_a1_wechat,
                kind="wechat",
                title=f"稿件{i}",
                body=GOOD_BODY,
                author="县融媒体中心",
                cover_image=cover,
            )
            services.post_submit(actor=editor, post=post)

    add(3, 0)
    client = admin_client_for(staff["reviewer"])
    client.get(REVIEWS)  # warm per-process caches (content types, site)
    small = count_queries(lambda: client.get(REVIEWS))
    add(12, 3)
    page = body(client.get(REVIEWS))
    assert sorted(re.findall(r">\s*(稿件\d+)\s*<", page)) == sorted(f"稿件{i}" for i in range(15))
    assert count_queries(lambda: client.get(REVIEWS)) == small


def crisis_post(editor, signer, org, cover, campaign_id, title):
    """A fast-tracked post released by the signer; its after-the-fact review step is open."""
    post = submitted(editor, org, cover, title, campaign_id=campaign_id)
    item = next(i for i in signer.get("/api/v1/reviews").json()["items"] if i["post_id"] == post["id"])
    assert signer.post(f"/api/v1/reviews/{item['task_id']}/approve", {}).status_code == 200
    return ReviewStep.objects.get(post_id=post["id"], kind="post_review", open=True)


def test_post_review_approve_and_reject_from_the_listing(org, staff, leaders, cover, api, admin_client_for):
    editor, signer = api("editor"), api("signer")
    campaign = editor.post("/api/v1/campaigns", {"name": "寒潮应急", "agency_id": org.county_a1.pk, "crisis": True})
    first = crisis_post(editor, signer, org, cover, campaign.json()["id"], "寒潮应急第一报")
    second = crisis_post(editor, signer, org, cover, campaign.json()["id"], "寒潮应急第二报")
    normal = ReviewStep.objects.get(post_id=submitted(editor, org, cover, "常规稿件")["id"], open=True)

    reviewer = admin_client_for(staff["reviewer"])
    page = body(reviewer.get(REVIEWS))
    assert "事后审核" in page and decide_url(first) in page and decide_url(second) in page

    # Refusals come back as messages, never as 500s, and change nothing.
    response = reviewer.post(decide_url(first), {"action": "reject", "comment": "  "}, follow=True)
    assert "退回必须填写意见" in body(response)
    second_step = admin_client_for(staff["signer"]).post(decide_url(first), {"action": "approve"}, follow=True)
    assert "同一审核流程中每人只能审批一个步骤" in body(second_step)
    in_editor = reviewer.post(decide_url(normal), {"action": "approve"}, follow=True)
    assert "发布审核请在内容编辑页面中处理" in body(in_editor)
    assert admin_client_for(staff["outsider"]).post(decide_url(first), {"action": "approve"}).status_code == 404
    assert ReviewStep.objects.filter(pk__in=[first.pk, second.pk, normal.pk], open=True).count() == 3
    assert not ReviewRecord.objects.filter(action="reject").exists()

    response = reviewer.post(decide_url(first), {"action": "reject", "comment": "伤亡数据口径需更正"})
    assert response.status_code == 302 and response.url == REVIEWS
    record = ReviewRecord.objects.get(post_id=first.post_id, action="reject")
    assert (record.user, record.comment, record.step_name) == (staff["reviewer"], "伤亡数据口径需更正", "事后审核")
    assert Notification.objects.filter(user=staff["editor"], kind="post_review_failed").exists()

    response = reviewer.post(decide_url(second), {"action": "approve", "comment": "核查无误"}, follow=True)
    assert "寒潮应急第二报》事后审核：已通过" in body(response)
    assert ReviewRecord.objects.filter(post_id=second.post_id, action="approve", user=staff["reviewer"]).exists()
    assert set(ReviewStep.objects.filter(open=True).values_list("pk", flat=True)) == {normal.pk}
    page = body(reviewer.get(REVIEWS))
    assert "寒潮应急第一报" not in page and "寒潮应急第二报" not in page and "常规稿件" in page


# --- 词库导入 -----------------------------------------------------------------------------------


def upload(client, name, data):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data)})


def confirm(client, preview_html, **kwargs):
    token = re.search(r'name="token" value="([0-9a-f]+)"', preview_html).group(1)
    return client.post(f"{IMPORT}confirm/", {"token": token}, **kwargs)


def counts(preview_html):
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', preview_html)}


def test_text_lexicon_import_with_a_bad_line(org, make_user, admin_client_for):
    root = make_user("root", "system_admin")
    LexiconEntry.objects.create(term="旧词", category="sensitive", severity="warn", suggestion="旧建议", active=False)
    LexiconEntry.objects.create(term="不变词", category="advertising", severity="warn")
    before = LexiconEntry.objects.get(term="旧词").updated_at
    client = admin_client_for(root)
    assert IMPORT in body(client.get("/admin/")), "offered in the lexicon menu"

    lines = [
        "词条,类别,级别,建议",
        "旧词,sensitive,block,新的建议",
        "新词甲，禁用表述，阻断，规范说法",
        "坏行,不存在的类别",
    ]
    text = "\n".join([*lines, "新词乙", "不变词,广告,提示"]) + "\n"
    preview = body(upload(client, "words.txt", text.encode()))
    assert counts(preview) == {"created": 2, "updated": 1, "unchanged": 1, "skipped": 1}
    assert "第 4 行" in preview and "未知类别“不存在的类别”" in preview
    assert LexiconEntry.objects.count() == 2, "nothing is written before the import is confirmed"
    stale = client.post(f"{IMPORT}confirm/", {"token": "0" * 32}, follow=True)
    assert "导入预览已失效" in body(stale) and LexiconEntry.objects.count() == 2

    response = confirm(client, preview)
    assert response.status_code == 302 and response.url == "/admin/snippets/editorial/lexiconentry/"
    rows = {e.term: (e.category, e.severity, e.suggestion, e.active) for e in LexiconEntry.objects.all()}
    assert rows == {
        "旧词": ("sensitive", "block", "新的建议", False),  # updated; whether it is active stays as it was
        "新词甲": ("banned", "block", "规范说法", True),
        "新词乙": ("sensitive", "block", "", True),
        "不变词": ("advertising", "warn", "", True),
    }
    assert LexiconEntry.objects.get(term="旧词").updated_at > before
    event = LedgerEvent.objects.get(action="lexicon.imported")
    assert event.actor == "root"
    assert event.data == {"created": 2, "updated": 1, "unchanged": 1, "skipped": 1, "filename": "words.txt"}

    # The preview is used once: replaying the confirmation writes nothing more.
    assert "导入预览已失效" in body(confirm(client, preview, follow=True))
    assert LedgerEvent.objects.filter(action="lexicon.imported").count() == 1


def test_xlsx_lexicon_import_updates_what_the_checks_see(org, staff, leaders, cover, api, make_user, admin_client_for):
    LexiconEntry.objects.create(term="内部消息", category="sensitive", severity="warn")
    editor = api("editor")
    post = draft(editor, org, cover, body="<p>据内部消息，寒潮将至。</p>")

    def severity():
        checks = editor.post(f"/api/v1/posts/{post['id']}/check", {}).json()["checks"]
        return [c["severity"] for c in checks if c["rule"] == "sensitive_word"]

    assert severity() == ["warn"]

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["词条", "类别", "级别", "建议"])
    sheet.append(["内部消息", "敏感词", "阻断", "据权威发布"])
    sheet.append(["某说法", "敏感词", "很严重", None])
    data = io.BytesIO()
    workbook.save(data)

    client = admin_client_for(make_user("root", "system_admin"))
    preview = body(upload(client, "词库.xlsx", data.getvalue()))
    assert counts(preview) == {"created": 0, "updated": 1, "unchanged": 0, "skipped": 1}
    assert "第 3 行" in preview and "未知级别“很严重”" in preview
    assert confirm(client, preview).status_code == 302
    assert LexiconEntry.objects.get(term="内部消息").suggestion == "据权威发布"
    assert not LexiconEntry.objects.filter(term="某说法").exists()
    assert severity() == ["block"], "the content checks pick up an update that adds no entry"


def test_lexicon_import_refuses_oversize_and_unknown_files_and_non_admins(
    org, staff, make_user, admin_client_for, settings
):
    # Let the body past the site-wide request limit so the import's own limit is what answers.
    settings.GOVCMS_MAX_REQUEST_BYTES = 8 * 1024 * 1024
    client = admin_client_for(make_user("root", "system_admin"))
    page = body(upload(client, "big.txt", b"x" * (5 * 1024 * 1024 + 1)))
    assert "文件过大" in page and "不能超过 5.0" in page
    assert 'name="token"' not in page
    assert "只支持 .txt、.csv 和 .xlsx 文件" in body(upload(client, "words.docx", b"word"))
    assert "文件中没有可导入的词条" in body(upload(client, "empty.txt", "# 只有注释\n".encode()))
    assert not LexiconEntry.objects.exists()

    editor = admin_client_for(staff["editor"])
    assert IMPORT not in body(editor.get("/admin/"))
    assert refused(editor.get(IMPORT))
    assert refused(upload(editor, "words.txt", "某词\n".encode())) and not LexiconEntry.objects.exists()


# --- 联动专题 -----------------------------------------------------------------------------------


def test_campaign_create_timeline_and_other_city_404(org, staff, cover, api, make_user, admin_client_for):
    client = admin_client_for(staff["editor"])
    form = body(client.get(f"{CAMPAIGNS}add/"))
    assert f'value="{org.county_a1.pk}"' in form
    assert f'value="{org.county_b1.pk}"' not in form and f'value="{org.city_a.pk}"' not in form

    response = client.post(
        f"{CAMPAIGNS}add/",
        {"name": "寒潮应急联动", "agency": org.county_a1.pk, "crisis": "on", "description": "滚动播报加深度解读"},
    )
    campaign = Campaign.objects.get(name="寒潮应急联动")
    assert response.status_code == 302 and response.url == f"{CAMPAIGNS}{campaign.pk}/"
    assert (campaign.agency_id, campaign.crisis, campaign.created_by) == (org.county_a1.pk, True, staff["editor"])
    assert LedgerEvent.objects.get(action="campaign.created", object_id=str(campaign.pk)).actor == "editor"

    editor = api("editor")
    weibo = editor.post(
        "/api/v1/posts",
        {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "title": "寒潮滚动播报", "body": "寒潮来袭，注意防寒。",
         "campaign_id": campaign.pk},
    )  # fmt: skip
    assert weibo.status_code == 201, weibo.content
    draft(editor, org, cover, body=GOOD_BODY, title="寒潮深度解读", campaign_id=campaign.pk)

    page = body(client.get(f"{CAMPAIGNS}{campaign.pk}/"))
    assert "滚动播报加深度解读" in page and "突发舆情（快速通道）" in page
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", page.split("时间线", 1)[1], re.S)
    cells = [re.sub(r"<[^>]+>|\s+", " ", row).split() for row in rows if "寒潮" in row]
    assert [c[:4] for c in cells] == [
        ["微博", "甲一发布", "寒潮滚动播报", "草稿"],
        ["微信", "甲一发布公众号", "寒潮深度解读", "草稿"],
    ]
    assert f"/admin/pages/{weibo.json()['id']}/edit/" in page
    assert "寒潮应急联动" in body(client.get(CAMPAIGNS))

    # An auditor sees the city's campaigns but may not open one.
    auditor = admin_client_for(make_user("aud_a", "auditor", org.city_a))
    assert "寒潮应急联动" in body(auditor.get(CAMPAIGNS))
    assert f"{CAMPAIGNS}add/" not in body(auditor.get(CAMPAIGNS))
    assert refused(auditor.get(f"{CAMPAIGNS}add/"))

    outsider = admin_client_for(staff["outsider"])
    assert "寒潮应急联动" not in body(outsider.get(CAMPAIGNS))
    assert outsider.get(f"{CAMPAIGNS}{campaign.pk}/").status_code == 404
    response = outsider.post(f"{CAMPAIGNS}add/", {"name": "越权专题", "agency": org.county_a1.pk})
    assert "越权专题" in body(response) and not Campaign.objects.filter(name="越权专题").exists()


# --- 履历 ---------------------------------------------------------------------------------------


def test_post_history_lists_review_decisions(org, staff, leaders, cover, api, admin_client_for):
    editor, reviewer = api("editor"), api("reviewer")
    post = submitted(editor, org, cover, "全省冬季安全生产工作会议召开")
    step = ReviewStep.objects.get(post_id=post["id"], open=True)
    reviewer.post(f"/api/v1/reviews/{step.pk}/reject", {"comment": "会议时间需核实"})
    editor.patch(f"/api/v1/posts/{post['id']}", {"title": "全省冬季安全生产工作会议在杭召开"})
    editor.post(f"/api/v1/posts/{post['id']}/submit", {})
    step = ReviewStep.objects.get(post_id=post["id"], open=True)
    reviewer.post(f"/api/v1/reviews/{step.pk}/approve", {"comment": "同意"})

    client = admin_client_for(staff["editor"])
    history_url = f"/admin/editorial/posts/{post['id']}/history/"
    assert history_url in body(client.get(f"/admin/pages/{post['id']}/edit/")), "header button"
    page = body(client.get(history_url))
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S)
    decisions = [row for row in rows if "审核通过" in row or "审核退回" in row]
    assert len(decisions) == 2
    assert "审核通过" in decisions[0] and "同意" in decisions[0]  # newest first
    assert "审核退回" in decisions[1] and "会议时间需核实" in decisions[1]
    assert all("reviewer" in row and "初审（第 1/2 步）" in row for row in decisions)
    assert "提交审核" in page and "提交时检查" in page
    assert admin_client_for(staff["outsider"]).get(history_url).status_code == 404


# --- the editor's page form -----------------------------------------------------------------------


def test_editor_submits_an_article_from_the_page_editor(org, staff, leaders, cover, admin_client_for):
    client = admin_client_for(staff["editor"])
    add_url = f"/admin/pages/add/editorial/wechatarticlepage/{org.acct_a1_wechat.pk}/"
    form = querydict_from_html(body(client.get(add_url)), form_id="page-edit-form")
    form.update(
        {"title": "全省冬季安全生产工作会议召开", "slug": "winter-safety", "author": "县融媒体中心",
         "cover_image": str(cover.pk), "body": rich_text(BAD_BODY), "action-submit": "提交审核"}
    )  # fmt: skip
    data = {key: form.getlist(key) for key in form}

    blocked = body(client.post(add_url, data))
    assert "内容检查未通过，不能提交审核" in blocked and "张三" in blocked
    assert not WechatArticlePage.objects.exists()
    assert not WorkflowState.objects.exists() and not ReviewStep.objects.exists()

    data["body"] = [rich_text(GOOD_BODY)]
    response = client.post(add_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    article = WechatArticlePage.objects.get()
    assert article.status == "in_review" and not article.live
    assert WorkflowState.objects.get(object_id=str(article.pk)).status == WorkflowState.STATUS_IN_PROGRESS
    step = ReviewStep.objects.get(post=article, open=True)
    assert (step.step_index, step.steps_total, step.requested_by) == (1, 2, staff["editor"])
    assert "全省冬季安全生产工作会议召开" in body(admin_client_for(staff["reviewer"]).get(REVIEWS))


def test_a_new_post_saved_without_a_slug_gets_one(org, staff, admin_client_for):
    """The slug sits on another tab and titles are Chinese: the first save must not fail on it."""
    client = admin_client_for(staff["editor"])
    add_url = f"/admin/pages/add/editorial/weibopostpage/{org.acct_a1_weibo.pk}/"
    form = querydict_from_html(body(client.get(add_url)), form_id="page-edit-form")
    form.update({"title": "停水通知", "slug": "", "body": "明日9时至17时停水，请提前储水。"})
    data = {key: form.getlist(key) for key in form}
    for _ in range(2):  # a second post drafted in the same second gets a slug of its own
        response = client.post(add_url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
    slugs = list(WeiboPostPage.objects.values_list("slug", flat=True))
    assert sorted(slugs) == ["ting-shui-tong-zhi", "ting-shui-tong-zhi-2"], "the title in pinyin"


def test_editor_form_offers_only_campaigns_of_its_own_jurisdiction(org, staff, admin_client_for):
    from editorial.services import campaign_create

    own = campaign_create(actor=SYSTEM, agency=org.county_a1, name="本县专题")
    above = campaign_create(actor=SYSTEM, agency=org.city_a, name="全市专题")
    foreign = campaign_create(actor=SYSTEM, agency=org.county_b1, name="乙县突发", crisis=True)
    admin = admin_client_for(staff["editor"])
    form = admin.get(f"/admin/pages/add/editorial/weibopostpage/{org.acct_a1_weibo.pk}/")
    assert form.status_code == 200
    html = form.content.decode()
    assert own.name in html and above.name in html
    assert foreign.name not in html
    response = admin.post(
        f"/admin/pages/add/editorial/weibopostpage/{org.acct_a1_weibo.pk}/",
        {"title": "t", "slug": "t", "body": "正文", "campaign": foreign.pk, "action-submit": "1"},
    )
    from editorial.models import WeiboPostPage

    assert not WeiboPostPage.objects.filter(campaign=foreign).exists()
    assert response.status_code == 200  # the form comes back with an error
