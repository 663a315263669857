"""The editorial states of a post, on their own so that the guards (imported by the models) and
anything else can name them without importing the models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PostStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("审核中")
    REJECTED = "rejected", _("已退回")
    APPROVED = "approved", _("已签发")
    SCHEDULED = "scheduled", _("定时待发")
    PUBLISHING = "publishing", _("发布中")
    PUBLISHED = "published", _("已发布")
    PARTIALLY_PUBLISHED = "partially_published", _("部分发布")
    FAILED = "failed", _("发布失败")
    WITHDRAWN = "withdrawn", _("已撤回")


# States in which the content may still be edited (a post under review or released is frozen;
# correcting a released post means withdrawing it). See `editorial.guards`.
EDITABLE_STATUSES = {PostStatus.DRAFT, PostStatus.REJECTED}
