"""The object history (履历) screen shape: a read-only merged timeline (`govcms.history`) of one
object, as a Wagtail table. Assignments, accounts and posts each subclass `HistoryView`."""

from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column, Table
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from ..capabilities import SYSTEM
from .base import beijing_time

ACTION_LABELS = {
    "role.granted": _("授予岗位"),
    "role.changed": _("修改有效期"),
    "role.revoked": _("撤销岗位"),
    "role.expired": _("岗位到期"),
    "account.created": _("开设账号"),
    "account.changed": _("修改账号"),
    "account.transition": _("状态变更"),
    "credential.changed": _("更新凭据"),
    "credential.created": _("创建凭据记录"),
    "wagtail.create": _("创建页面"),
    "wagtail.edit": _("保存草稿"),
    "wagtail.publish": _("发布"),
    "wagtail.unpublish": _("取消发布"),
    "created": _("创建"),
    "changed": _("修改"),
    "deleted": _("删除"),
}
SOURCE_LABELS = {
    "ledger": _("审计台账"),
    "history": _("变更记录"),
    "page_log": _("页面日志"),
    "filing": _("备案"),
}


def describe_changes(changes: dict) -> list[str]:
    """One line per changed field: `field: old → new` for diffs, `key: value` otherwise."""
    lines = []
    for key, value in (changes or {}).items():
        if isinstance(value, dict) and set(value) == {"old", "new"}:
            lines.append(f"{key}: {value['old']} → {value['new']}")
        else:
            lines.append(f"{key}: {value}")
    return lines


class ChangesColumn(Column):
    cell_template_name = "govcms/admin/changes_cell.html"


def actor_label(entry: dict) -> str:
    """Who acted, for people: a username, or 系统 for the system actor (recorded by its name) and
    for entries that name nobody."""
    return _("系统") if entry["actor"] in (None, "", SYSTEM.name) else entry["actor"]


def history_table(entries: list[dict]) -> Table:
    return Table(
        [
            Column("at", label=_("时间（北京时间）"), accessor=lambda e: beijing_time(e["at"])),
            Column("actor", label=_("操作人"), accessor=actor_label),
            Column("action", label=_("操作"), accessor=lambda e: ACTION_LABELS.get(e["action"], e["action"])),
            Column("source", label=_("来源"), accessor=lambda e: SOURCE_LABELS.get(e["source"], e["source"])),
            Column("summary", label=_("摘要")),
            ChangesColumn("changes", label=_("变更内容"), accessor=lambda e: describe_changes(e["changes"])),
        ],
        list(reversed(entries)),  # newest first
    )


class HistoryView(WagtailAdminTemplateMixin, TemplateView):
    """A read-only merged timeline (`govcms.history`) of one object the caller can see."""

    template_name = "govcms/admin/history.html"
    header_icon = "history"
    page_title = _("履历")

    def get_entries(self) -> list[dict]:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        table = history_table(self.get_entries())
        return super().get_context_data(table=table, media=table.media, **kwargs)
