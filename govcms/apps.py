from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovcmsConfig(AppConfig):
    name = "govcms"
    verbose_name = _("机构与账号")

    def ready(self):
        from . import receivers  # noqa: F401
