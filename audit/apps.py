from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("审计")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from . import receivers

        # dispatch_uid keeps a second ready() (e.g. in some test runners) from double-recording.
        user_logged_in.connect(receivers.record_login, dispatch_uid="audit.record_login")
        user_logged_out.connect(receivers.record_logout, dispatch_uid="audit.record_logout")
        user_login_failed.connect(receivers.record_login_failed, dispatch_uid="audit.record_login_failed")
