"""Admin page forms of the organisation tree."""

from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminPageForm

from .services import ServiceError, account_check_unique


class AccountPageForm(WagtailAdminPageForm):
    """Applies the one-account-per-agency-per-platform rule in the Wagtail editor too."""

    def clean(self):
        cleaned = super().clean()
        parent = self.parent_page if self.instance.pk is None else self.instance.get_parent()
        platform = cleaned.get("platform")
        if parent is not None and platform:
            try:
                account_check_unique(
                    agency=parent.specific,
                    platform=platform,
                    exemption_reason=cleaned.get("exemption_reason", ""),
                    exclude_id=self.instance.pk,
                )
            except ServiceError:
                self.add_error("exemption_reason", _("该机构在此平台已有账号；开设第二个账号须记录豁免理由"))
        return cleaned
