"""A day in the admin, in Chromium, in zh-hans (see conftest.py for the machinery)."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from openpyxl import load_workbook

from editorial.models import LexiconEntry, ReviewStep, WechatArticlePage, WeiboPostPage
from govcms.celery import app as celery_app
from govcms.models import RoleAssignment
from govcms.services import account_transition
from publishing.models import Publication
from tests.browser import flows
from tests.factories import PASSWORD
from tests.oversight.conftest import publish
from tests.publishing.test_worker import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

BEIJING = ZoneInfo("Asia/Shanghai")
WEIBO_UID, WECHAT_APPID = "5000000101", "wxtest0000000001"  # tests/publishing/conftest.py `accounts`
WEIBO_BODY = "今晚有雨，注意出行安全。"
FIXED_WEIBO_BODY = "今晚有中到大雨，请注意出行安全。"
REJECTION = "请写明降雨量级"
ARTICLE_TITLE = "全县冬季安全生产工作会议召开"
ARTICLE_BODY = "省长张三在会上强调，要做好冬季安全生产工作。"
CAMPAIGN = "冬季安全出行联动"
SECRET_TERM = "绝密"  # a blocking lexicon term, typed by mistake and taken out again
WEIBO_TITLE = "雨天出行提示"


def test_editorial_day(org, staff, make_user, leaders, publishing, sandbox_server, browse, tmp_path):
    """Open a campaign (联动); write the Weibo post in it, save, see a blocking check while typing
    and fix it, preview, submit; the WeChat article in the same campaign; reject, fix, resubmit,
    approve, release; published by the worker to the sandbox; the platform links and the
    campaign's timeline in the admin; the auditor reads; another county gets 404."""
    LexiconEntry.objects.create(term=SECRET_TERM, category="secret", severity="block", suggestion="删除涉密表述")
    editor = browse(staff["editor"], "write")
    campaign_id = flows.create_campaign(editor, name=CAMPAIGN, agency=org.county_a1)
    flows.write_weibo(editor, org.acct_a1_weibo, title=WEIBO_TITLE, body=WEIBO_BODY)
    flows.join_campaign(editor, campaign_id)
    flows.save_draft(editor, "weibo draft saved")
    flows.live_check_blocks(editor, f"{WEIBO_BODY}附{SECRET_TERM}文件。", SECRET_TERM)
    flows.live_check_clears(editor, WEIBO_BODY)
    flows.preview(editor, WEIBO_BODY)
    flows.submit(editor, "weibo submitted")
    flows.write_wechat(
        editor, org.acct_a1_wechat, tmp_path, title=ARTICLE_TITLE, author="县融媒体中心", body=ARTICLE_BODY
    )
    flows.join_campaign(editor, campaign_id)
    flows.preview(editor, ARTICLE_BODY)
    flows.submit(editor, "article submitted")
    weibo, article = WeiboPostPage.objects.get(), WechatArticlePage.objects.get()
    assert (weibo.status, article.status) == ("in_review", "in_review")
    assert SECRET_TERM not in weibo.body
    assert (weibo.campaign_id, article.campaign_id) == (campaign_id, campaign_id), "one campaign, both platforms"
    assert article.cover_image and article.cover_image.file.storage.exists(article.cover_image.file.name)

    # The reviewer sends the Weibo post back; its author finds the comment, fixes and resubmits.
    reviewer = browse(staff["reviewer"], "review")
    flows.open_from_queue(reviewer, weibo.pk)
    flows.decide(reviewer, "reject", comment=REJECTION, what="weibo rejected")
    assert WeiboPostPage.objects.get(pk=weibo.pk).status == "rejected"
    editor.flow = "review"
    editor.visit("/admin/", "dashboard after rejection")
    flows.see_rejection(editor, weibo.pk, REJECTION)
    flows.fix_weibo(editor, weibo.pk, FIXED_WEIBO_BODY)
    assert WeiboPostPage.objects.get(pk=weibo.pk).status == "in_review"

    # Reviewer, then signer, approve both from their queues.
    for person, step in ((reviewer, 1), (browse(staff["signer"], "review"), 2)):
        for post in (weibo, article):
            assert ReviewStep.objects.get(post=post, open=True).step_index == step
            flows.open_from_queue(person, post.pk)
            flows.decide(person, "approve", what="approved")
    assert not ReviewStep.objects.filter(open=True).exists()

    # The worker publishes both; the sandbox's timelines show them, the admin links to them.
    published = wait_for(lambda: Publication.objects.filter(status="published").count() == 2, timeout=60)
    assert published, list(Publication.objects.values_list("status", "last_error"))
    editor.flow = "publish"
    flows.see_on_timeline(editor, sandbox_server.base_url, "weibo", WEIBO_UID, FIXED_WEIBO_BODY)
    flows.see_on_timeline(editor, sandbox_server.base_url, "wechat", WECHAT_APPID, ARTICLE_TITLE)
    for post in (weibo, article):
        flows.see_platform_link(editor, post.pk, Publication.objects.get(post=post))
    flows.see_campaign(editor, campaign_id, [WEIBO_TITLE, ARTICLE_TITLE])

    auditor = browse(make_user("auditor", "auditor", org.city_a), "audit")
    flows.read_only(auditor, article.pk, ARTICLE_TITLE)
    flows.read_only(auditor, weibo.pk, FIXED_WEIBO_BODY)

    stranger = browse(make_user("editor_b", "editor", org.county_b1), "jurisdiction")
    flows.not_found(stranger, flows.edit_url(article.pk))
    flows.not_found(stranger, flows.edit_url(weibo.pk))


def test_agency_admin_creates_a_user_and_grants_a_role_with_a_window(org, make_user, browse):
    """用户 → 岗位分配: a city's agency admin creates a newcomer's login, and goes straight on to give
    them a reviewer's role in a county, from tomorrow for ninety days (Beijing time); the
    assignment is stored with that window and listed. The admin deactivates someone working in a
    county of the city; a person of another city is unknown (404)."""
    boss = browse(make_user("boss", "agency_admin", org.city_a), "administer")
    flows.create_user(
        boss,
        username="newcomer",
        last_name="王",
        first_name="小明",
        email="newcomer@example.gov.cn",
        password=PASSWORD,
    )
    newcomer = get_user_model().objects.get(username="newcomer")
    assert (newcomer.first_name, newcomer.is_superuser, newcomer.groups.count()) == ("王小明", False, 0)
    start = timezone.localtime(timezone.now() + timedelta(days=1), BEIJING).replace(second=0, microsecond=0)
    end = start + timedelta(days=90)
    flows.assign_role_here(
        boss,
        role="reviewer",
        scope=f"agency:{org.county_a1.pk}",
        valid_from=f"{start:%Y-%m-%d %H:%M}",
        valid_to=f"{end:%Y-%m-%d %H:%M}",
    )
    granted = RoleAssignment.objects.get(user=newcomer)
    assert (granted.role, granted.agency_id, granted.valid_from, granted.valid_to) == (
        "reviewer",
        org.county_a1.pk,
        start,
        end,
    )
    assert boss.page.get_by_text(newcomer.username).count(), "the new assignment is listed"

    leaver, stranger = make_user("leaver", "editor", org.county_a2), make_user("far", "editor", org.county_b1)
    flows.deactivate_user(boss, leaver.pk)
    leaver.refresh_from_db()
    assert leaver.is_active is False
    flows.not_found(boss, f"/admin/users/edit/{stranger.pk}/")
    stranger.refresh_from_db()
    assert stranger.is_active


@pytest.fixture
def exports_run_here(settings):
    """Export jobs built in the server's thread once requested (no worker in this test)."""
    was = celery_app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = was


def test_auditor_exports_the_compliance_report(org, make_user, browse, exports_run_here, tmp_path):
    """监管工作台 → 合规报表: a city's auditor reads the report of the city's accounts, exports it as
    XLSX from the report's own button, downloads the file, and the file says what the screen said:
    the same accounts with the same figures."""
    root = make_user("root", "system_admin")
    for acct in (org.acct_a1_weibo, org.acct_a1_wechat, org.acct_a2_weibo):
        account_transition(actor=root, account=acct, to="operating", reason="开通")
    publish(org.acct_a1_weibo, timezone.now() - timedelta(days=3))  # one account with a publication
    auditor = browse(make_user("auditor", "auditor", org.city_a), "oversee")
    rows = flows.compliance_screen(auditor)
    assert {r["账号"] for r in rows} == {org.acct_a1_weibo.title, org.acct_a1_wechat.title, org.acct_a2_weibo.title}
    path = flows.export_xlsx(auditor, tmp_path)
    assert path.suffix == ".xlsx", path.name
    sheet = load_workbook(path, read_only=True)["report"]
    header, *cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    exported = {r[header.index("账号名称")]: dict(zip(header, r, strict=True)) for r in cells}
    assert set(exported) == {r["账号"] for r in rows}
    for row in rows:
        line = exported[row["账号"]]
        days = line["未更新天数"]
        assert row["未更新天数"] == ("-" if days is None else str(days)), row
        assert float(row["得分"]) == float(line["得分"]) and float(row["加分"]) == float(line["加分"]), row
        assert row["是否合格"] == ("合格" if line["是否合格"] == "是" else "不合格"), row
        vetoes = [v for v in (line["否决项"] or "").split("; ") if v]
        assert len(vetoes) == (0 if row["否决项"] == "-" else len(row["否决项"].split("；"))), row
