"""Admin page forms of the organisation tree."""

from django import forms
from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminPageForm

from .services import ServiceError, account_check_unique


class AccountPageForm(WagtailAdminPageForm):
    """Applies the one-account-per-agency-per-platform rule in the Wagtail editor too, and keeps
    an existing account's platform: its posts, credentials and publications belong to it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "platform" in self.fields:
            self.fields["platform"].disabled = True
            self.fields["platform"].help_text = _("账号开设后不能更改平台")

    def clean_platform(self):
        """A disabled field takes the stored value whatever is posted; refuse a change outright
        so that a hand-made request learns it was not applied."""
        posted = self.data.get(self.add_prefix("platform"))
        if self.instance.pk is not None and posted not in (None, self.instance.platform):
            raise forms.ValidationError(_("账号开设后不能更改平台"))
        return self.instance.platform if self.instance.pk is not None else self.cleaned_data.get("platform")

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
