"""Forms of the editorial admin screens: review decisions (待我审核), lexicon import (词库导入) and
campaigns (联动专题).

The forms only collect and shape input; the views pass it to `editorial.services` (or the
lexicon importers), which validate again and record the audit ledger.
"""

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

# Agencies keep their word lists in a few hundred kilobytes; anything near this is a wrong file.
LEXICON_IMPORT_MAX_BYTES = 5 * 1024 * 1024
LEXICON_IMPORT_EXTENSIONS = (".txt", ".csv", ".xlsx")


class ReviewDecisionForm(forms.Form):
    """Approve or reject one item from the review listing; `review_act` requires the comment of a rejection."""

    action = forms.ChoiceField(choices=[("approve", _("通过")), ("reject", _("退回"))])
    comment = forms.CharField(label=_("意见"), required=False, max_length=2000)


class LexiconUploadForm(forms.Form):
    file = forms.FileField(
        label=_("词库文件"),
        help_text=_("UTF-8 文本（.txt / .csv，每行：词条,类别,级别,建议）或 .xlsx 表格（首行为表头），不超过 %(size)s")
        % {"size": filesizeformat(LEXICON_IMPORT_MAX_BYTES)},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(LEXICON_IMPORT_EXTENSIONS):
            raise forms.ValidationError(_("只支持 .txt、.csv 和 .xlsx 文件"))
        if upload.size > LEXICON_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("文件过大（%(size)s），词库文件不能超过 %(limit)s，请拆分后分批导入"),
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(LEXICON_IMPORT_MAX_BYTES)},
            )
        return upload


class AgencyChoiceField(forms.ModelChoiceField):
    """Agencies indented by their depth below the shallowest one offered."""

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, **kwargs)
        self.top = None

    def label_from_instance(self, obj):
        if self.top is None:
            self.top = min((a.depth for a in self.queryset), default=obj.depth)
        return f"{'　' * (obj.depth - self.top)}{obj.title}"


class CampaignCreateForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=128)
    agency = AgencyChoiceField(queryset=None, label=_("机构"), help_text=_("专题所属机构；其下各账号的内容可加入专题"))
    crisis = forms.BooleanField(
        label=_("突发舆情（快速通道）"),
        required=False,
        help_text=_("专题内容经签发人一步签发即发布，事后再补审核"),
    )
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
