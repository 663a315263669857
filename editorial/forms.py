"""The Wagtail editor's form for posts: submitting runs the five-gate checks first."""

import copy

from django import forms
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.rich_text import DraftailRichTextArea

from govcms.selectors import images_visible_to

from .guards import frozen_message, is_frozen
from .images import agency_of, foreign_body_images, settle_body_images
from .models import Campaign
from .policy import may_override
from .richtext import StoredBodyEditor, same_in_editor
from .services import post_default_slug, post_findings


def tab_of_fields(model) -> dict[str, str]:
    """Field name → the heading of the editor tab that holds it, for `model`'s edit handler."""
    mapping = {}
    for tab in model.get_edit_handler().children:
        for name in tab.get_form_options().get("fields", []):
            mapping[name] = str(tab.heading)
    return mapping


class PostPageForm(WagtailAdminPageForm):
    """Refuses "submit for review" while a blocking finding stands, unless a signer of the
    account writes an override reason (the same rule `post_submit` applies to the API); refuses
    any change to a submitted post (an approver deciding in the editor changes nothing)."""

    override_reason = forms.CharField(
        label=gettext_lazy("强制提交理由（仅签发人）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("存在阻断性检查结果时，签发人可填写理由后提交审核；理由记入审计日志。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        body = self.fields.get("body")
        if body is not None and type(body.widget) is DraftailRichTextArea:
            # Opens bodies stored by the API too (see `StoredBodyEditor`).
            body.widget = StoredBodyEditor(features=body.widget.features, attrs=body.widget.attrs)
        if "slug" in self.fields:
            # Filled in when left empty (`clean_slug`), so no first save fails on it.
            self.fields["slug"].required = False
        if "campaign" in self.fields:
            # Only campaigns of the account's own agency or an agency above it: another
            # jurisdiction's (crisis) campaign must be neither visible nor a way onto its fast track.
            path = (
                self.parent_page.path if self.parent_page is not None else self.instance.path[: -self.instance.steplen]
            )
            ancestors = [path[:i] for i in range(self.instance.steplen, len(path) + 1, self.instance.steplen)]
            self.fields["campaign"].queryset = Campaign.objects.filter(agency__path__in=ancestors)
        for name in ("cover_image", "image"):
            if name in self.fields and self.for_user is not None:
                # Only images of the user's jurisdiction, as the chooser shows: a posted id from
                # another county is refused like a missing one.
                self.fields[name].queryset = images_visible_to(self.for_user)

    def clean_slug(self):
        """Left empty, or Chinese (Wagtail's editor copies the title into it): the title in pinyin,
        unique under the account, so no first save fails on the slug."""
        slug = self.cleaned_data.get("slug")
        if slug and slug.isascii() or self.parent_page is None:
            return slug or self.instance.slug
        title = slug or self.cleaned_data.get("title") or ""
        return post_default_slug(account=self.parent_page, kind=self.instance.platform, title=title)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None and is_frozen(self.instance) and self._content_changed():
            raise forms.ValidationError(frozen_message(self.instance.status))
        if "body" in cleaned and self._body_posted_back():
            # Posted back unchanged (as the editor shows it): keep the stored bytes, so the page
            # and any revision hold exactly the text that was submitted and approved.
            cleaned["body"] = self["body"].initial
        if (
            cleaned.get("body")
            and "body" in self.changed_data
            and self.for_user is not None
            and foreign_body_images(body=cleaned["body"], actor=self.for_user, known=self["body"].initial or "")
        ):
            # Another county's image by id or path: refused outright (previews too), never a
            # finding a signer could override.
            self.add_error("body", _("正文引用了本辖区以外或不存在的图片，请从本单位图片库重新插入"))
            return cleaned
        if cleaned.get("body") and "body" in self.changed_data and hasattr(self.instance, "image_problems"):
            self._settle_images(cleaned)
        if "action-submit" not in self.data or self.errors:
            return cleaned
        refusal = self.parent_page.specific.posting_refusal() if self.parent_page is not None else None
        if refusal is not None:  # an account off the air (停更/注销) takes no submission
            raise forms.ValidationError(refusal[1])
        candidate = copy.copy(self.instance)
        for name, value in cleaned.items():
            if hasattr(candidate, name) and name in self._meta.fields:
                setattr(candidate, name, value)
        if self.parent_page is not None and candidate.path == "":
            candidate.path = self.parent_page.path + "0000"
        blocking = [f for f in post_findings(candidate) if f["severity"] == "block"]
        if not blocking:
            return cleaned
        reason = (cleaned.get("override_reason") or "").strip()
        where = self.parent_page if self.parent_page is not None else self.instance
        if reason and may_override(self.for_user, where) is None:
            self.instance._govcms_override_reason = reason
            return cleaned
        messages = "；".join(f["message"] for f in blocking)
        raise forms.ValidationError(_("内容检查未通过，不能提交审核：%(messages)s") % {"messages": messages})

    def full_clean(self):
        """Django's validation, then one message saying where the errors are: which tab and which
        field, in Chinese (Wagtail's banner alone says only that something failed)."""
        super().full_clean()
        if not self.is_bound or not self._errors:
            return
        places = self.error_places()
        if places:
            self._errors.setdefault(forms.forms.NON_FIELD_ERRORS, self.error_class(error_class="nonfield")).insert(
                0, _("请修改以下字段后再保存：%(places)s") % {"places": "；".join(places)}
            )

    def error_places(self) -> list[str]:
        """“「内容」页签 · 正文” for each field with an error, in the order of the form."""
        tabs = tab_of_fields(type(self.instance))
        places = []
        for name in self._errors:
            if name == forms.forms.NON_FIELD_ERRORS or name not in self.fields:
                continue
            label = self.fields[name].label or name
            tab = tabs.get(name)
            places.append(_("「%(tab)s」页签 · %(field)s") % {"tab": tab, "field": label} if tab else str(label))
        return places

    @cached_property
    def changed_data(self) -> list[str]:
        """Django's changed fields, less a rich-text body the editor posted back as it loaded it:
        its round-trip normalises the stored HTML (see `editorial.richtext`), which is no edit."""
        changed = list(super().changed_data)
        field = self.fields.get("body")
        if "body" in changed and hasattr(field.widget, "converter"):
            bound = self["body"]
            if same_in_editor(bound.initial, bound.data, field.widget):
                changed.remove("body")
                self._body_normalised = True
        return changed

    def _body_posted_back(self) -> bool:
        """Whether the body was posted back unchanged though not byte for byte (`changed_data`)."""
        return "body" not in self.changed_data and getattr(self, "_body_normalised", False)

    def _content_changed(self) -> bool:
        """Whether the post's content would change: a model field or an inline comment (either
        would make a new revision). The form's own fields (override reason, notifications) do not."""
        fields = [name for name in self.changed_data if name not in self.declared_fields]
        return bool(fields) or any(formset.has_changed() for formset in self.formsets.values())

    def _settle_images(self, cleaned: dict) -> None:
        """Fetch the body's external images into the agency's collection, as the API does on save
        (`editorial.images.settle_body_images`); what cannot be fetched becomes a blocking check."""
        parent = self.parent_page.path if self.parent_page is not None else self.instance.path[: -self.instance.steplen]
        cleaned["body"], self.instance.image_problems = settle_body_images(
            body=cleaned["body"], agency=agency_of(parent), actor=self.for_user
        )
