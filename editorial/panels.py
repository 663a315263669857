"""Editor panels of a post: the content checks (saved findings, and the live checks and counter
while typing) and the post's state (a sent-back post's comment, each platform's publication,
who released it)."""

import logging
from types import SimpleNamespace

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel

from govcms.models import AgencyCollection, Platform

from .content import PLACEHOLDER_POST_ID, counter_rules, post_public_link
from .statuses import PostStatus

logger = logging.getLogger(__name__)


def highlight(text: str, findings: list[dict]) -> str:
    """`text` as HTML with each finding's [start, end) span wrapped in <mark> (escaped, no overlap)."""
    spans = sorted({(f["start"], f["end"], f["severity"]) for f in findings if f["end"] > f["start"]})
    out, cursor = [], 0
    for start, end, severity in spans:
        if start < cursor:
            continue
        out.append(escape(text[cursor:start]))
        out.append(f'<mark class="govcms-{severity}">{escape(text[start:end])}</mark>')
        cursor = end
    out.append(escape(text[cursor:]))
    return mark_safe("".join(out))  # noqa: S308 -- every piece above is escaped


def agency_collection_id(account) -> int | None:
    """The id of the image collection of `account`'s agency (None before it has one)."""
    return (
        AgencyCollection.objects.filter(agency__path=account.path[: -account.steplen])
        .values_list("collection_id", flat=True)
        .first()
    )


def composer_config(post, account=None) -> dict:
    """What the editor's scripts read (`editorial/static/editorial/*.js`): the platform, the
    counting rules, the link a Weibo status carries, the check endpoint (a saved post's, else the
    account's for a post not saved yet: checks run before the first save too), the endpoint a
    WeChat body's dropped or pasted images are uploaded to (the account's), and the words they show.

    `account` is the post's account (the create view's parent page); a saved post's own otherwise."""
    saved = post is not None and post.pk is not None
    if account is None and saved:
        account = post.get_parent()
    if saved:
        check_url = reverse("api-v1:post_check", args=[post.pk])
    else:
        check_url = reverse("editorial_compose:check", args=[account.pk]) if account is not None else ""
    wechat = post.platform == Platform.WECHAT
    return {
        "platform": post.platform,
        "rules": counter_rules(),
        "link": post_public_link(post if saved else SimpleNamespace(pk=PLACEHOLDER_POST_ID)),
        "check_url": check_url,
        # The account's endpoint also weighs the chosen cover; the saved post's takes text only.
        "check_cover": bool(check_url) and not saved and wechat,
        "upload_url": reverse("editorial_compose:upload_image", args=[account.pk]) if wechat and account else "",
        # The image chooser's upload tab preselects it (collection.js): the account's agency's.
        "collection": agency_collection_id(account) if account is not None else None,
        "labels": {
            "weibo": gettext("已用 %(count)s / %(limit)s 字（含全文链接；汉字计 1 字，英文、数字计半字）"),
            "chars": gettext("已用 %(count)s / %(limit)s 字"),
            "found": gettext("实时检查发现 %(count)s 个问题："),
            "clean": gettext("实时检查：未发现问题。"),
            "suggestion": gettext("建议"),
            "failed": gettext("实时检查暂不可用，保存时仍会检查。"),
            "uploading": gettext("上传中：%(name)s……"),
            "uploaded": gettext("已上传并插入图片：%(name)s"),
            "upload_failed": gettext("图片“%(name)s”未能上传：%(message)s"),
            "upload_error": gettext("网络或服务器错误，请稍后重试"),
        },
    }


class CheckResultsPanel(Panel):
    """The five-gate findings of the last check run (on save, submit or request), the live checks
    while typing, and the live counter's rules (the scripts of `Media`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("heading", _("内容检查（五关）"))
        super().__init__(**kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "editorial/panels/check_results.html"

        class Media:
            js = ["editorial/counter.js", "editorial/checks.js", "editorial/collection.js"]
            css = {"all": ["editorial/composer.css"]}

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            run = self.instance.check_runs.first() if self.instance and self.instance.pk else None
            findings = run.findings if run else []
            context.update(
                run=run,
                findings=findings,
                highlighted=highlight(self.instance.plain_text(), findings) if run else "",
                config=composer_config(self.instance, account=getattr(self.form, "parent_page", None)),
            )
            return context


def platform_label(platform: str) -> str:
    """The platform's name in words (微博, 微信公众号); an unknown value as it is."""
    return Platform(platform).label if platform in Platform.values else platform


def publication_rows(post) -> list[dict]:
    """Each platform's publication of the post, newest state first, as the status panel shows it:
    queued / publishing, published (with its link), failed (the platform's reason), unknown
    (waiting for a person to look on the platform), withdrawn."""
    from publishing.models import Publication

    rows = []
    for publication in Publication.objects.filter(post=post).select_related("account").order_by("created_at", "id"):
        rows.append(
            {
                "account": publication.account.title,
                "platform": platform_label(publication.platform),
                "status": publication.status,
                "status_label": publication.get_status_display(),
                "url": publication.url,
                "published_at": publication.published_at,
                "error": publication.last_error,
                "error_code": publication.last_error_code,
            }
        )
    return rows


def rejection_of(post):
    """The rejection a sent-back post is waiting on (step, reviewer, comment), or None."""
    if post is None or post.pk is None or post.status != PostStatus.REJECTED:
        return None
    return post.review_records.filter(action="reject").select_related("user").order_by("-at", "-id").first()


class PostStatusPanel(Panel):
    """The post's state at the top of the editor: a sent-back post's 退回修改 banner with the
    reviewer's comment (until resubmitted), each platform's publication, and who released it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("heading", _("状态"))
        super().__init__(**kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "editorial/panels/post_status.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            post = self.instance
            saved = post is not None and post.pk is not None
            context.update(
                post=post,
                saved=saved,
                rejection=rejection_of(post),
                publications=publication_rows(post) if saved else [],
                release=post.release_info if saved else None,
            )
            return context
