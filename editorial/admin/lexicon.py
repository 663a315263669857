"""词库导入: upload a lexicon file, preview what it would change and every bad line, then write it."""

import uuid

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, View
from wagtail.admin import messages
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from govcms.admin.base import FormPageMixin
from govcms.services import ServiceError

from .. import services
from ..checks import engine
from ..checks.importers import parse_lexicon_file

# Agencies keep their word lists in a few hundred kilobytes; anything near this is a wrong file.
LEXICON_IMPORT_MAX_BYTES = 5 * 1024 * 1024
LEXICON_IMPORT_EXTENSIONS = (".txt", ".csv", ".xlsx")


class LexiconUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("词库文件"),
        help_text=gettext_lazy(
            "UTF-8 文本（.txt / .csv，每行：词条,类别,级别,建议）或 .xlsx 表格（首行为表头），不超过 %(size)s"
        )
        % {"size": filesizeformat(LEXICON_IMPORT_MAX_BYTES)},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(LEXICON_IMPORT_EXTENSIONS):
            raise forms.ValidationError(gettext_lazy("只支持 .txt、.csv 和 .xlsx 文件"))
        if upload.size > LEXICON_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                gettext_lazy("文件过大（%(size)s），词库文件不能超过 %(limit)s，请拆分后分批导入"),
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(LEXICON_IMPORT_MAX_BYTES)},
            )
        return upload


LEXICON_IMPORT_PERMISSIONS = ("editorial.add_lexiconentry", "editorial.change_lexiconentry")
IMPORT_SESSION_KEY = "editorial_lexicon_import"
# The preview lists this many problems; a file with more is better fixed and re-uploaded anyway.
PREVIEW_ERROR_LIMIT = 500


def can_import_lexicon(user) -> bool:
    """Importing adds entries and changes existing ones, so it needs both permissions."""
    return user.has_perms(LEXICON_IMPORT_PERMISSIONS)


def lexicon_index_url() -> str:
    return reverse("wagtailsnippets_editorial_lexiconentry:list")


class LexiconImportMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_import_lexicon(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *WagtailAdminTemplateMixin.breadcrumbs_items,
            {"url": lexicon_index_url(), "label": _("内容检查词库")},
            {"url": "", "label": _("词库导入")},
        ]


class LexiconImportView(LexiconImportMixin, FormPageMixin, FormView):
    """Upload and parse; show what the import would do and every bad line before anything is written."""

    form_class = LexiconUploadForm
    template_name = "editorial/admin/lexicon_import.html"
    page_title = gettext_lazy("词库导入")
    header_icon = "upload"
    submit_button_label = gettext_lazy("上传并预览")

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        entries, errors = parse_lexicon_file(filename=upload.name, data=upload.read())
        context = self.get_context_data(form=form, errors=errors[:PREVIEW_ERROR_LIMIT], error_count=len(errors))
        if not entries:
            form.add_error("file", _("文件中没有可导入的词条"))
            return self.form_invalid(form, context=context)
        new, changed, unchanged = services.lexicon_changes(entries)
        token = uuid.uuid4().hex
        self.request.session[IMPORT_SESSION_KEY] = {
            "token": token,
            "filename": upload.name,
            "entries": [[e.term, e.category, e.severity, e.suggestion] for e in entries],
            "skipped": len(errors),
        }
        context.update(
            filename=upload.name,
            token=token,
            counts={"created": len(new), "updated": len(changed), "unchanged": unchanged},
            confirm_url=reverse("editorial_lexicon_import:confirm"),
        )
        return TemplateResponse(self.request, "editorial/admin/lexicon_import_preview.html", context)

    def form_invalid(self, form, context=None):
        messages.validation_error(self.request, _("提交的内容有误，请检查后重试。"), form)
        return self.render_to_response(context or self.get_context_data(form=form))


class LexiconImportConfirmView(LexiconImportMixin, View):
    """Write the previewed file (kept in the session, so what is written is what was shown)."""

    http_method_names = ["post"]

    def post(self, request):
        pending = request.session.get(IMPORT_SESSION_KEY)
        if not pending or pending["token"] != request.POST.get("token"):
            messages.error(request, _("导入预览已失效，请重新上传文件。"))
            return redirect("editorial_lexicon_import:index")
        entries = [engine.LexiconEntry(*row) for row in pending["entries"]]
        try:
            counts = services.lexicon_import(
                actor=request.user, entries=entries, filename=pending["filename"], skipped=pending["skipped"]
            )
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("editorial_lexicon_import:index")
        del request.session[IMPORT_SESSION_KEY]
        messages.success(
            request,
            _("词库导入完成：新增 %(created)s 条，更新 %(updated)s 条，无变化 %(unchanged)s 条，跳过 %(skipped)s 行")
            % counts,
        )
        return redirect(lexicon_index_url())


class LexiconImportViewSet(ViewSet):
    name = "editorial_lexicon_import"
    url_prefix = "editorial/lexicon-import"

    def get_urlpatterns(self):
        return [
            path("", LexiconImportView.as_view(), name="index"),
            path("confirm/", LexiconImportConfirmView.as_view(), name="confirm"),
        ]


def lexicon_submenu(item: MenuItem) -> SubmenuMenuItem:
    """The lexicon menu item as a submenu offering the listing and the import."""
    return SubmenuMenuItem(
        item.label,
        Menu(
            items=[
                MenuItem(_("词条"), item.url, name="lexicon-entries", icon_name=item.icon_name, order=1),
                MenuItem(
                    _("词库导入"),
                    reverse("editorial_lexicon_import:index"),
                    name="lexicon-import",
                    icon_name="upload",
                    order=2,
                ),
            ]
        ),
        name=item.name,
        icon_name=item.icon_name,
        order=item.order,
    )
