"""Content monitoring: when the check lexicon or the leader register changes, what was published in
the last GOVCMS_MONITOR_RECHECK_DAYS days is checked again with the current content checks
(`editorial.services.post_findings`), and each NEW blocking problem opens a `content` finding for
the auditors (who confirm or dismiss it through the usual finding endpoints).

"New" means not already known for that revision: absent from the newest check run of the revision
(a problem a signer overrode before release is not reopened). A finding names the exact revision
and publication, and its evidence quotes the matched text; there is one finding per revision and
rule (`Finding.rule` = "<check rule>:<matched text>", unique per revision), so repeated or
concurrent re-checks never duplicate one, and a dismissed one is not reopened.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial.models import CheckRun
from editorial.services import post_findings
from govcms.capabilities import SYSTEM
from publishing.models import Publication, PublicationStatus

from .models import Finding, FindingKind
from .services import finding_record

logger = logging.getLogger(__name__)

# Set while a re-check is queued and not started (oversight.receivers); expires should a task be lost.
QUEUED_KEY = "oversight:content_recheck_queued"


def _key(finding: dict) -> str:
    return f"{finding['rule']}:{finding.get('matched', '')}"[:255]


def _in_window(now: datetime):
    since = now - timedelta(days=settings.GOVCMS_MONITOR_RECHECK_DAYS)
    return Publication.objects.filter(status=PublicationStatus.PUBLISHED, published_at__gte=since)


def anything_to_recheck(*, now: datetime | None = None) -> bool:
    """Whether anything was published in the re-check window."""
    return _in_window(now or timezone.now()).exists()


def recheck_published(*, now: datetime | None = None) -> int:
    """Re-check the revisions published in the window; returns the number of findings opened.
    Acts as the system (the findings are the system's; the auditor decides them)."""
    publications = (
        _in_window(now or timezone.now())
        .select_related("revision", "account")
        .order_by("revision_id", "published_at", "pk")
    )
    first_per_revision: dict[int, Publication] = {}
    for pub in publications:
        first_per_revision.setdefault(pub.revision_id, pub)
    if not first_per_revision:
        return 0
    known: dict[int, set[str]] = {}
    for run in CheckRun.objects.filter(revision_id__in=first_per_revision).order_by("revision_id", "-at", "-id"):
        known.setdefault(run.revision_id, {_key(f) for f in run.findings if f.get("severity") == "block"})
    taken = set(
        Finding.objects.filter(revision_id__in=first_per_revision).exclude(rule="").values_list("revision_id", "rule")
    )
    opened = 0
    for revision_id, pub in first_per_revision.items():
        found = post_findings(pub.revision.as_object())
        for problem in found:
            key = _key(problem)
            if problem["severity"] != "block" or key in known.get(revision_id, ()) or (revision_id, key) in taken:
                continue
            evidence = _("内容复查发现新的阻断问题：%(message)s；命中文字：“%(matched)s”；修订版本 %(revision)d") % {
                "message": problem["message"],
                "matched": problem.get("matched", ""),
                "revision": revision_id,
            }
            try:
                with transaction.atomic():
                    finding_record(
                        actor=SYSTEM,
                        account=pub.account,
                        kind=FindingKind.CONTENT,
                        evidence=evidence,
                        occurred_at=pub.published_at,
                        revision_id=revision_id,
                        publication_id=pub.pk,
                        rule=key,
                    )
            except IntegrityError:
                # A concurrent re-check opened it first: one finding per revision and rule.
                logger.info("content finding for revision %s rule %s already opened", revision_id, key)
                continue
            taken.add((revision_id, key))
            opened += 1
    logger.info("content re-check of %d revisions opened %d findings", len(first_per_revision), opened)
    return opened
