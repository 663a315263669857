"""Posts, campaigns, review chains and content checks.

Posts are Wagtail pages under an AccountPage (a Weibo post under a Weibo account, a WeChat
article under a WeChat account), so they inherit the jurisdiction, revisions, workflows and the
public agency site (the full text a Weibo share links to). `status` is the editorial state of
the contract; it changes only through `editorial.services`.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.locks import WorkflowLock
from wagtail.models import Page, Revision, Task, TaskState, WorkflowState

from govcms.capabilities import STEP_ROLES
from govcms.lazy import ClassAt
from govcms.models import AccountPage, AgencyPage, GovPage, Role

from . import guards
from .content import default_digest, post_public_link, weibo_status_text
from .panels import CheckResultsPanel, PostStatusPanel
from .releases import post_release
from .sanitize import sanitize_wechat_html
from .statuses import EDITABLE_STATUSES as EDITABLE_STATUSES  # re-exported: callers name them here
from .statuses import PostStatus as PostStatus
from .workflow_forms import RejectCommentForm


class Campaign(models.Model):
    """A linkage campaign (联动专题): posts across accounts and platforms about one event."""

    name = models.CharField(_("名称"), max_length=128)
    agency = models.ForeignKey(AgencyPage, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("机构"))
    crisis = models.BooleanField(_("突发舆情（快速通道）"), default=False)
    description = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("联动专题")
        verbose_name_plural = _("联动专题")

    def __str__(self) -> str:
        return self.name


# Shown as Beijing time whatever the browser's zone: the admin renders times in Asia/Shanghai.
SCHEDULED_AT_PANEL = FieldPanel("scheduled_at", heading=_("定时发布时间（北京时间）"))


class PostPage(GovPage):
    """Fields and behaviour shared by Weibo posts and WeChat articles."""

    platform: str = ""

    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("联动专题")
    )
    status = models.CharField(_("状态"), max_length=24, choices=PostStatus.choices, default=PostStatus.DRAFT)
    scheduled_at = models.DateTimeField(_("定时发布时间"), null=True, blank=True)
    # Usernames of the approvers of the released run (recorded with the publication).
    released_by = models.JSONField(default=list, blank=True, editable=False)

    parent_page_types = ["govcms.AccountPage"]
    subpage_types: list[str] = []
    base_form_class = ClassAt("editorial.forms.PostPageForm")  # the form imports services, built on models
    # A copy is a new post: a draft that goes through its own chain.
    exclude_fields_in_copy = ["status", "released_by"]

    class Meta:
        abstract = True

    @classmethod
    def can_create_at(cls, parent) -> bool:
        """A post lives only under an account of its own platform."""
        specific = parent.specific
        return (
            super().can_create_at(parent)
            and isinstance(specific, AccountPage)
            and specific.platform == cls.platform
            and specific.posting_refusal() is None
        )

    @property
    def account(self) -> AccountPage:
        return AccountPage.objects.get(path=self.path[: -self.steplen])

    @cached_property
    def release_info(self) -> dict | None:
        """Who released the post and when (see `releases.post_release`), for the admin status panel."""
        return post_release(self)

    def with_content_json(self, content):
        """Restoring or publishing a revision keeps the page's editorial status: it describes the
        post as a whole (where it is in its chain), not the content of one revision."""
        obj = super().with_content_json(content)
        obj.status = self.status
        obj.released_by = self.released_by
        return obj

    def permissions_for_user(self, user):
        return guards.PostPermissionTester(user, self)

    def get_lock(self):
        """Wagtail's locks first (an open review step keeps the editor for its approvers to act
        in, the form refusing content changes; its banner in our words: `guards.ReviewStepLock`);
        then frozen content is read-only for everyone."""
        lock = super().get_lock()
        if type(lock) is WorkflowLock:
            return guards.ReviewStepLock(self, lock.task)
        if lock is None and guards.is_frozen(self):
            return guards.FrozenContentLock(self)
        return lock

    def save(self, *args, **kwargs):
        guards.refuse_unreleased_live(self, update_fields=kwargs.get("update_fields"))
        return super().save(*args, **kwargs)

    def save_revision(self, *args, **kwargs):
        """A new revision only while the post is editable (`guards.refuse_new_revision`).

        Saving from the admin editor with a signer's override reason (set by PostPageForm when
        "submit" meets blocking findings) records the override decision on the new revision, before
        the chain starts, so the chain knows the signer is not the submitter."""
        guards.refuse_new_revision(self)
        revision = super().save_revision(*args, **kwargs)
        reason = self.__dict__.pop("_govcms_override_reason", "")
        if reason:
            from .services import post_override

            post_override(actor=kwargs.get("user"), post=self, reason=reason)
        return revision

    def get_workflow(self):
        """Crisis campaigns use the one-step fast-track chain; otherwise the nearest chain up the tree."""
        if self.campaign_id and self.campaign.crisis:
            from .chains import crisis_workflow

            return crisis_workflow()
        return super().get_workflow()


class WeiboPostPage(PostPage):
    """A Weibo post: plain text (weighted length ≤ 140 with the appended safe-domain link), ≤ 1 image."""

    platform = "weibo"

    body = models.TextField(_("正文"), max_length=2000)
    image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("配图"),
    )

    template = "editorial/weibo_post_page.html"
    preview_modes = [("weibo", _("微博手机预览")), ("", _("网站全文"))]
    content_panels = [
        PostStatusPanel(),
        FieldPanel("title", heading=_("标题（仅站内）"), help_text=_("微博不显示标题，仅用于本站全文页和后台列表。")),
        FieldPanel("body"),
        FieldPanel("image"),
        FieldRowPanel([FieldPanel("campaign"), SCHEDULED_AT_PANEL]),
        CheckResultsPanel(),
        FieldPanel("override_reason"),
    ]
    promote_panels = [FieldPanel("slug")]
    settings_panels: list = []

    class Meta:
        verbose_name = _("微博")
        verbose_name_plural = _("微博")

    def plain_text(self) -> str:
        return self.body

    def serve_preview(self, request, mode_name):
        if mode_name == "weibo":
            from django.template.response import TemplateResponse

            return TemplateResponse(request, "editorial/preview_weibo.html", self.preview_context(request))
        return super().serve_preview(request, mode_name)

    def preview_context(self, request) -> dict:
        return {"page": self, "status_text": self.status_text()}

    def status_text(self) -> str:
        """The `status` sent to Weibo for this content: the body and the post's own short link on
        the site (`/p/<id>/`, on GOVCMS_SITE_URL, the app's safe domain). The approvers' preview
        and the publishing pipeline both call this, so what is sent is what was approved,
        character for character; a campaign's link goes through `/p/<id>/` too, which redirects to
        the campaign's WeChat article once that is published."""
        return weibo_status_text(body=self.body, link=post_public_link(self))


class WechatArticlePage(PostPage):
    """A WeChat article (one article of a draft): sanitised HTML body, cover, digest, source."""

    platform = "wechat"

    author = models.CharField(_("作者"), max_length=64, blank=True)
    digest = models.CharField(_("摘要"), max_length=512, blank=True, help_text=_("留空则取正文开头"))
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("封面"),
    )
    body = RichTextField(_("正文"), blank=True)
    content_source_url = models.URLField(_("原文链接（阅读原文）"), blank=True, max_length=1000)
    is_repost = models.BooleanField(_("转载"), default=False)
    repost_source = models.CharField(_("转载来源"), max_length=255, blank=True)
    comments_enabled = models.BooleanField(_("开启留言"), default=True)
    # Body images that could not be settled when the body was last saved ([{"src", "code"}],
    # see editorial.images): each is a blocking check until the body no longer holds it.
    image_problems = models.JSONField(default=list, blank=True, editable=False)

    template = "editorial/wechat_article_page.html"
    preview_modes = [("wechat", _("微信手机预览")), ("", _("网站全文"))]
    content_panels = [
        PostStatusPanel(),
        FieldPanel("title", heading=_("标题")),
        FieldRowPanel([FieldPanel("author"), FieldPanel("cover_image")]),
        FieldPanel("digest"),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("content_source_url"),
                FieldRowPanel([FieldPanel("is_repost"), FieldPanel("repost_source")]),
                FieldPanel("comments_enabled"),
            ],
            heading=_("来源与互动"),
        ),
        FieldRowPanel([FieldPanel("campaign"), SCHEDULED_AT_PANEL]),
        CheckResultsPanel(),
        FieldPanel("override_reason"),
    ]
    promote_panels = [FieldPanel("slug")]
    settings_panels: list = []

    class Meta:
        verbose_name = _("微信文章")
        verbose_name_plural = _("微信文章")

    def plain_text(self) -> str:
        return sanitize_wechat_html(self.expanded_body(), base_url=settings.GOVCMS_SITE_URL).text

    def expanded_body(self) -> str:
        from wagtail.rich_text import expand_db_html

        return expand_db_html(self.body or "")

    def effective_digest(self) -> str:
        return self.digest or default_digest(self.plain_text())

    def serve_preview(self, request, mode_name):
        if mode_name == "wechat":
            from django.template.response import TemplateResponse

            from .sanitize import sanitize_wechat_html

            article = sanitize_wechat_html(self.expanded_body(), base_url=settings.GOVCMS_SITE_URL)
            context = {"page": self, "account": self.account, "article": article}
            return TemplateResponse(request, "editorial/preview_wechat.html", context)
        return super().serve_preview(request, mode_name)


POST_MODELS = (WeiboPostPage, WechatArticlePage)


class ReviewTask(Task):
    """One step of a review chain (三审三校): approvers are whoever holds `role` on the post's
    account or an ancestor agency at the moment they act. See `editorial.chains`."""

    role = models.CharField(
        _("审核岗位"),
        max_length=16,
        choices=[(role, Role(role).label) for role in STEP_ROLES],
    )

    admin_form_fields = [*Task.admin_form_fields, "role"]

    class Meta:
        verbose_name = _("岗位审核步骤")
        verbose_name_plural = _("岗位审核步骤")

    def get_actions(self, obj, user):
        from .chains import task_actions

        return task_actions(task=self, obj=obj, user=user)

    def on_action(self, task_state, user, action_name, **kwargs):
        from django.core.exceptions import PermissionDenied

        from govcms.services import ServiceError

        from .services import review_act

        step = ReviewStep.objects.get(task_state=task_state)
        try:
            # Wagtail redirects to whatever on_action returns; None means "back to the page".
            review_act(step=step, user=user, action=action_name, comment=kwargs.get("comment", ""))
        except ServiceError as error:
            raise PermissionDenied(error.message) from error

    def get_form_for_action(self, action):
        return RejectCommentForm if action == "reject" else super().get_form_for_action(action)

    def user_can_access_editor(self, obj, user):
        return bool(self.get_actions(obj, user))

    def locked_for_user(self, obj, user):
        # While a step is open, only its approvers may use the editor — to decide, not to change
        # the content: PostPageForm refuses changes to a submitted post (see editorial.guards).
        return not self.get_actions(obj, user)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        from .selectors import review_steps_awaiting

        return TaskState.objects.filter(
            pk__in=review_steps_awaiting(user).filter(task_state__task=self).values("task_state_id")
        )

    @classmethod
    def get_description(cls):
        return _("持有指定岗位的人员（在账号或其上级机构）可审核此步骤")


class ReviewKind(models.TextChoices):
    PUBLISH = "publish", _("发布审核")
    POST_REVIEW = "post_review", _("事后审核")
    WITHDRAWAL = "withdrawal", _("撤回审批")
    REPLY = "reply", _("回复审核")


class ReviewStep(models.Model):
    """One item awaiting a decision (the `task_id` of the API's review queue).

    For `publish` it mirrors an open Wagtail TaskState of a ReviewTask; the other kinds (the
    after-the-fact review of a fast-tracked post, withdrawals, replies) have no TaskState. Facts
    are denormalised here so the queue is one indexed query whatever the number of items.

    `roles` are the roles that may act — the step's own plus any it was escalated to — stored as
    ",reviewer,signer," so "may this role act" is a plain substring test on every database.
    """

    task_state = models.OneToOneField(
        TaskState, null=True, blank=True, on_delete=models.CASCADE, related_name="review_step"
    )
    workflow_state = models.ForeignKey(WorkflowState, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    revision = models.ForeignKey(Revision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    post = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="review_steps")
    post_path = models.CharField(max_length=255, db_index=True)
    kind = models.CharField(max_length=16, choices=ReviewKind.choices, default=ReviewKind.PUBLISH)
    step_name = models.CharField(max_length=255)
    step_index = models.PositiveSmallIntegerField()
    steps_total = models.PositiveSmallIntegerField()
    roles_text = models.CharField(max_length=64)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    open = models.BooleanField(default=True, db_index=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)  # e.g. the reason given for a withdrawal request

    class Meta:
        indexes = [models.Index(fields=["open", "post_path"], name="review_step_open_path")]

    def __str__(self) -> str:
        return f"{self.step_name} ({self.step_index}/{self.steps_total}) of post {self.post_id}"

    @property
    def roles(self) -> list[str]:
        return [r for r in self.roles_text.split(",") if r]

    @roles.setter
    def roles(self, value: list[str]) -> None:
        self.roles_text = "," + ",".join(dict.fromkeys(value)) + ","


class ReviewRecord(models.Model):
    """Who approved or rejected which step, when and why — recorded with the publication."""

    post = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="review_records")
    workflow_state = models.ForeignKey(WorkflowState, null=True, on_delete=models.SET_NULL, related_name="+")
    revision = models.ForeignKey(Revision, null=True, on_delete=models.SET_NULL, related_name="+")
    step_name = models.CharField(_("步骤"), max_length=255)
    step_index = models.PositiveSmallIntegerField()
    role = models.CharField(_("岗位"), max_length=16)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("动作"), max_length=16)
    comment = models.TextField(_("意见"), blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    # The final approval of a review run: its `revision` is the one released — the only one the
    # site and the platforms ever receive for this post (see `editorial.guards`).
    final = models.BooleanField(_("签发（终审）"), default=False, editable=False)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("审核记录")
        verbose_name_plural = _("审核记录")

    def __str__(self) -> str:
        return f"{self.step_name}: {self.action} by {self.user_id}"


class CheckRun(models.Model):
    """One run of the content checks on a post (on save, on submit or on request)."""

    post = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="check_runs")
    revision = models.ForeignKey(Revision, null=True, on_delete=models.SET_NULL, related_name="+")
    trigger = models.CharField(max_length=16)
    findings = models.JSONField(default=list)
    blocking = models.BooleanField(default=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # A signer's decision to let this revision through despite its blocking findings (强制提交):
    # who, when and why. It authorises submitting the revision; it is not itself a submission.
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        get_latest_by = "at"

    def __str__(self) -> str:
        return f"checks of post {self.post_id} at {self.at:%Y-%m-%d %H:%M}"


class Severity(models.TextChoices):
    BLOCK = "block", _("阻断")
    WARN = "warn", _("提示")
    ALLOW = "allow", _("白名单（豁免）")


class LexiconCategory(models.TextChoices):
    SENSITIVE = "sensitive", _("敏感词")
    BANNED = "banned", _("禁用表述")
    ADVERTISING = "advertising", _("商业广告")
    SECRET = "secret", _("涉密表述")
    TYPO = "typo", _("易错词")


class LexiconEntry(models.Model):
    """One term of the content-check lexicons, editable in the admin and importable from files."""

    term = models.CharField(_("词条"), max_length=128)
    category = models.CharField(_("类别"), max_length=16, choices=LexiconCategory.choices)
    severity = models.CharField(_("级别"), max_length=8, choices=Severity.choices, default=Severity.WARN)
    suggestion = models.CharField(_("建议"), max_length=255, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["category", "term"]
        constraints = [models.UniqueConstraint(fields=["term", "category"], name="lexicon_term_category_unique")]
        verbose_name = _("词库条目")
        verbose_name_plural = _("词库")

    def __str__(self) -> str:
        return f"{self.term} ({self.get_category_display()})"

    def clean(self):
        self.term = self.term.strip()
        if not self.term:
            raise ValidationError({"term": _("词条不能为空")})


class LeaderTitle(models.Model):
    """A canonical leader name ↔ title pair: anything else next to the name is a serious misstatement."""

    class Order(models.TextChoices):
        TITLE_FIRST = "title_first", _("职务在前（如“省长张三”）")
        NAME_FIRST = "name_first", _("姓名在前（如“张三省长”）")
        ANY = "", _("不限")

    name = models.CharField(_("姓名"), max_length=32)
    title = models.CharField(_("职务"), max_length=64)
    order = models.CharField(_("书写顺序"), max_length=16, choices=Order.choices, blank=True, default=Order.ANY)
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name", "title"], name="leader_name_title_unique")]
        verbose_name = _("领导姓名职务")
        verbose_name_plural = _("领导姓名职务")

    def __str__(self) -> str:
        return f"{self.name}{self.title}" if self.order == self.Order.NAME_FIRST else f"{self.title}{self.name}"
