"""A day in the admin, in Chromium, in zh-hans (see conftest.py for the machinery)."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from editorial.models import ReviewStep, WechatArticlePage, WeiboPostPage
from govcms.models import RoleAssignment
from publishing.models import Publication
from tests.browser import flows
from tests.publishing.test_worker import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

BEIJING = ZoneInfo("Asia/Shanghai")
WEIBO_UID, WECHAT_APPID = "5000000101", "wxtest0000000001"  # tests/publishing/conftest.py `accounts`
WEIBO_BODY = "今晚有雨，注意出行安全。"
FIXED_WEIBO_BODY = "今晚有中到大雨，请注意出行安全。"
REJECTION = "请写明降雨量级"
ARTICLE_TITLE = "全县冬季安全生产工作会议召开"
ARTICLE_BODY = "省长张三在会上强调，要做好冬季安全生产工作。"


def test_editorial_day(org, staff, make_user, leaders, publishing, sandbox_server, browse, tmp_path):
    """Write, preview, submit; reject, fix, resubmit, approve, release; published by the worker to
    the sandbox; the platform links in the admin; the auditor reads; another county gets 404."""
    editor = browse(staff["editor"], "write")
    flows.write_weibo(editor, org.acct_a1_weibo, title="雨天出行提示", body=WEIBO_BODY)
    flows.preview(editor, WEIBO_BODY)
    flows.submit(editor, "weibo submitted")
    flows.write_wechat(
        editor, org.acct_a1_wechat, tmp_path, title=ARTICLE_TITLE, author="县融媒体中心", body=ARTICLE_BODY
    )
    flows.preview(editor, ARTICLE_BODY)
    flows.submit(editor, "article submitted")
    weibo, article = WeiboPostPage.objects.get(), WechatArticlePage.objects.get()
    assert (weibo.status, article.status) == ("in_review", "in_review")
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

    auditor = browse(make_user("auditor", "auditor", org.city_a), "audit")
    flows.read_only(auditor, article.pk, ARTICLE_TITLE)
    flows.read_only(auditor, weibo.pk, FIXED_WEIBO_BODY)

    stranger = browse(make_user("editor_b", "editor", org.county_b1), "jurisdiction")
    flows.not_found(stranger, flows.edit_url(article.pk))
    flows.not_found(stranger, flows.edit_url(weibo.pk))


def test_agency_admin_grants_a_role_with_a_window(org, make_user, browse):
    """岗位分配: a city's agency admin gives a newcomer a reviewer's role in a county, from tomorrow
    for ninety days (Beijing time); the assignment is stored with that window and listed."""
    boss = browse(make_user("boss", "agency_admin", org.city_a), "administer")
    newcomer = make_user("newcomer")
    start = timezone.localtime(timezone.now() + timedelta(days=1), BEIJING).replace(second=0, microsecond=0)
    end = start + timedelta(days=90)
    flows.grant_role(
        boss,
        username=newcomer.username,
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
