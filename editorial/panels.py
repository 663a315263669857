"""Editor panel showing the latest content-check findings with the offending spans highlighted."""

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel


def highlight(text: str, findings: list[dict]) -> str:
    """`text` as HTML with each finding's [start, end) span wrapped in <mark> (escaped, no overlap)."""
    spans = sorted({(f["start"], f["end"], f["severity"]) for f in findings if f["end"] > f["start"]})
    out, cursor = [], 0
    for start, end, severity in spans:
        if start < cursor:
            continue
        out.append(escape(text[cursor:start]))
        out.append(f'<mark class="govcms-{severity}">{escape(text[start:end])}</mark>')
        cursor = end
    out.append(escape(text[cursor:]))
    return mark_safe("".join(out))  # noqa: S308 -- every piece above is escaped


class CheckResultsPanel(Panel):
    """Read-only panel: the five-gate findings of the last check run (on save, submit or request)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("heading", _("内容检查（五关）"))
        super().__init__(**kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "editorial/panels/check_results.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            run = self.instance.check_runs.first() if self.instance and self.instance.pk else None
            findings = run.findings if run else []
            context.update(
                run=run,
                findings=findings,
                highlighted=highlight(self.instance.plain_text(), findings) if run else "",
            )
            return context
