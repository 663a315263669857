from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = _("互动答疑")

    def ready(self):
        from editorial.signals import review_decided

        # Registers the delivery kinds (reply, moderation) and hears the reply review's decisions.
        from . import moderation, replies  # noqa: F401
        from .reviewing import on_review_decided

        review_decided.connect(on_review_decided, dispatch_uid="inbox.reviewing.on_review_decided")
