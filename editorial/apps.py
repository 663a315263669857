from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EditorialConfig(AppConfig):
    name = "editorial"
    verbose_name = _("内容编辑")

    def ready(self):
        from . import receivers

        # The lexicon and leader-register model permissions come from the capability table
        # (`lexicon.import`, govcms.capabilities).
        receivers.connect(self)
