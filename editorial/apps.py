from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EditorialConfig(AppConfig):
    name = "editorial"
    verbose_name = _("内容编辑")

    def ready(self):
        from govcms.models import Role
        from govcms.services import ROLE_MODEL_PERMISSIONS

        from . import receivers

        receivers.connect(self)
        # System admins maintain the content-check lexicons and the leader register.
        ROLE_MODEL_PERMISSIONS[Role.SYSTEM_ADMIN] += [
            f"editorial.{action}_{model}"
            for action in ("add", "change", "delete", "view")
            for model in ("lexiconentry", "leadertitle")
        ]
