"""The public Q&A (部门答疑): answered items the author agreed to publish, per agency, on the site.

A reply drafted with `publish_as_qa` and the author's consent is published when it is done (after
its approval, `inbox.replies`): the question and the answer are stored as published, with the
author's handle and personal data removed (`remove_personal_data`: the content checks' ID-card,
mobile and bank-card detection, plus e-mail addresses and landline numbers), and the content
checks applied to what would be shown — a blocking finding keeps it off the page (ledger
`inbox.qa_refused`). The page (`/qa/<agency_id>/`) lists the agency's answers newest first and
searches them (`?q=`); it shows only the stored, cleaned texts, never the item itself.
"""

import logging
import re

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import ledger
from editorial.checks.engine import check_personal_data
from editorial.services import text_findings

from .models import InboxItem, Reply

logger = logging.getLogger(__name__)

REMOVED = "[已隐去]"
ANONYMOUS = "网友"
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# Landlines as usually written: area code 0xx(x) with a dash or space, 7-8 digits (an extension).
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[ \-－]?\d{7,8}(?:[ \-－转]\d{1,5})?(?!\d)")
_MENTION = re.compile(r"@[\w\-\u4e00-\u9fff]{1,30}")
SEARCH_MAX = 100


def remove_personal_data(text: str, *, author: str = "") -> str:
    """`text` with personal data replaced by REMOVED: ID-card, mobile and bank-card numbers (as the
    content checks find them), e-mail addresses, landline numbers, @mentions and the author's
    handle."""
    spans = [(f["start"], f["end"]) for f in (x.as_dict() for x in check_personal_data(text=text))]
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + REMOVED + text[end:]
    text = _EMAIL.sub(REMOVED, text)
    text = _LANDLINE.sub(REMOVED, text)
    text = _MENTION.sub(REMOVED, text)
    if author and len(author) >= 2:
        text = text.replace(author, ANONYMOUS)
    return text


def qa_publish(*, reply: Reply, item: InboxItem) -> bool:
    """Publish a done reply with the author's consent to its agency's Q&A page (inside the
    caller's transaction). Returns whether it was published; a blocking content finding in the
    cleaned texts keeps it off the page and is recorded."""
    if not (reply.publish_as_qa and reply.author_consent) or item.agency_id is None:
        return False
    question = remove_personal_data(item.text, author=item.author)
    answer = remove_personal_data(reply.body, author=item.author)
    findings = text_findings(text=f"{question}\n{answer}", platform=item.platform)
    blocking = sorted({f["rule"] for f in findings if f["severity"] == "block"})
    if blocking:
        logger.info("reply %s not published as Q&A: blocking findings %s", reply.pk, blocking)
        ledger.record(
            action="inbox.qa_refused",
            obj=item,
            data={"reply_id": reply.pk, "rules": blocking},
            scope=item.account.path,
        )
        return False
    reply.qa_question, reply.qa_answer = question, answer
    reply.qa_published_at = timezone.now()
    Reply.objects.filter(pk=reply.pk).update(
        qa_question=question, qa_answer=answer, qa_published_at=reply.qa_published_at
    )
    ledger.record(action="inbox.qa_published", obj=item, data={"reply_id": reply.pk}, scope=item.account.path)
    return True


def published_answers(agency, *, q: str = "") -> QuerySet[Reply]:
    """The agency's published answers (its items, and those of agencies below it), newest first,
    those containing `q` in the question or the answer when given."""
    qs = Reply.objects.filter(qa_published_at__isnull=False, item__agency__path__startswith=agency.path)
    q = (q or "").strip()[:SEARCH_MAX]
    if q:
        qs = qs.filter(Q(qa_question__icontains=q) | Q(qa_answer__icontains=q))
    return qs.order_by("-qa_published_at", "-id").only("qa_question", "qa_answer", "qa_published_at", "done_at")


def page_title(agency) -> str:
    return _("%(agency)s · 部门答疑") % {"agency": agency.title}
