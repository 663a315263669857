"""The object history (履历) screen shape: a read-only merged timeline (`govcms.history`) of one
object, as a Wagtail table. Assignments, accounts, agencies, posts, campaigns, inbox items and
cases each subclass `HistoryView`. Actions and changed fields are labelled in Chinese from
`govcms.history_labels`, the table the API's history entries read too."""

from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column, Table
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from ..capabilities import SYSTEM
from ..history_labels import action_label, field_label, source_label
from .base import beijing_time


def shown(value) -> str:
    """A recorded value as people read it: 是 / 否 for flags, - for nothing."""
    if value is None or value == "" or value == "None":
        return "-"
    if isinstance(value, bool) or value in ("True", "False"):
        return str(_("是")) if value in (True, "True") else str(_("否"))
    return str(value)


def describe_changes(changes: dict, model=None) -> list[str]:
    """One line per changed field: `field: old → new` for diffs, `key: value` otherwise; a key
    named after a field of `model` is shown by the field's verbose name."""
    lines = []
    for key, value in (changes or {}).items():
        name = field_label(model, str(key))
        if isinstance(value, dict) and set(value) == {"old", "new"}:
            lines.append(f"{name}: {shown(value['old'])} → {shown(value['new'])}")
        else:
            lines.append(f"{name}: {value}")
    return lines


class ChangesColumn(Column):
    cell_template_name = "govcms/admin/changes_cell.html"


def actor_label(entry: dict) -> str:
    """Who acted, for people: a username, or 系统 for the system actor (recorded by its name) and
    for entries that name nobody."""
    return _("系统") if entry["actor"] in (None, "", SYSTEM.name) else entry["actor"]


def history_table(entries: list[dict], model=None) -> Table:
    """Newest first. Changed fields are named after the entry's own model (`model` of a
    simple-history entry) or else `model`, the object's."""
    return Table(
        [
            Column("at", label=_("时间（北京时间）"), accessor=lambda e: beijing_time(e["at"])),
            Column("actor", label=_("操作人"), accessor=actor_label),
            Column("action", label=_("操作"), accessor=lambda e: action_label(e["action"])),
            Column("source", label=_("来源"), accessor=lambda e: source_label(e["source"])),
            Column("summary", label=_("摘要")),
            ChangesColumn(
                "changes",
                label=_("变更内容"),
                accessor=lambda e: describe_changes(e["changes"], e.get("model") or model),
            ),
        ],
        list(reversed(entries)),  # newest first
    )


class HistoryView(WagtailAdminTemplateMixin, TemplateView):
    """A read-only merged timeline (`govcms.history`) of one object the caller can see."""

    template_name = "govcms/admin/history.html"
    header_icon = "history"
    page_title = _("履历")

    # The object's model: ledger data and diffs are keyed by its field names.
    model = None

    def get_entries(self) -> list[dict]:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        table = history_table(self.get_entries(), self.model)
        return super().get_context_data(table=table, media=table.media, **kwargs)
