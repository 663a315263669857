"""Spot checks (抽查): an auditor draws a reproducible random sample of the accounts of a subtree,
records a result per drawn account, and reads the pass rate; the history is kept per quarter.

Reproducibility: the population is every account of the subtree not closed, by ascending id, and
the sample is `random.Random(seed).sample(population, k)`; both the population and the seed are
stored with the check, so anyone can re-draw it and get the same accounts. Recording a result
for an account again replaces the earlier one (a corrected judgement); the earlier answer stays in
the result's history and in the ledger.
"""

import logging
import random
import secrets
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import ledger
from govcms import capabilities
from govcms.capabilities import person, require
from govcms.models import AccountPage, AccountStatus, AgencyPage
from govcms.selectors import path_q
from govcms.services import ServiceError

from . import policy
from .models import SpotCheck, SpotCheckResult

logger = logging.getLogger(__name__)

MAX_SEED = 2**63 - 1


def quarter_of(moment: datetime) -> str:
    """ "2026-Q1" for a moment (its Beijing date)."""
    day = timezone.localdate(moment)
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def population(agency: AgencyPage) -> list[int]:
    """The ids a spot check of `agency` draws from: its subtree's accounts not closed, ascending."""
    qs = AccountPage.objects.filter(path__startswith=agency.path).exclude(status=AccountStatus.CLOSED)
    return list(qs.order_by("pk").values_list("pk", flat=True))


def draw(ids: list[int], sample_size: int, seed: int) -> list[int]:
    """The sample `seed` draws from `ids` (at most all of them), in drawing order."""
    return random.Random(seed).sample(ids, min(sample_size, len(ids)))


@transaction.atomic
def spot_check_draw(*, actor, agency: AgencyPage, sample_size: int, seed: int | None = None) -> SpotCheck:
    """Draw and store a spot check of `agency`'s subtree (`seed` chosen at random when None; a
    sample larger than the population takes all of it; 422 when there is nothing to draw)."""
    require(policy.may_run_spot_check(actor, agency))
    if sample_size < 1:
        raise ServiceError("invalid_sample_size", _("抽查数量至少为 1"), status=422)
    ids = population(agency)
    if not ids:
        raise ServiceError("empty_population", _("该范围内没有可抽查的账号"), status=422)
    seed = secrets.randbelow(MAX_SEED) if seed is None else seed
    now = timezone.now()
    check = SpotCheck.objects.create(
        agency=agency,
        seed=seed,
        sample_size=sample_size,
        population=ids,
        accounts=draw(ids, sample_size, seed),
        quarter=quarter_of(now),
        created_at=now,
        created_by=person(actor),
    )
    ledger.record(
        action="spotcheck.drawn",
        actor=actor,
        obj=check,
        data={"agency_id": agency.pk, "seed": seed, "sample_size": sample_size, "accounts": check.accounts},
        scope=agency.path,
    )
    return check


@transaction.atomic
def spot_check_result(
    *, actor, check: SpotCheck, account_id: int, passed: bool, findings: list[str]
) -> SpotCheckResult:
    """Record (or replace) the result for one drawn account (422 for an account not drawn)."""
    require(policy.may_run_spot_check(actor, check.agency))
    if account_id not in check.accounts:
        raise ServiceError("not_drawn", _("该账号不在本次抽查样本中"), status=422, details={"account_id": account_id})
    fields = {"passed": passed, "findings": findings, "recorded_at": timezone.now(), "recorded_by": person(actor)}
    result, created = SpotCheckResult.objects.select_for_update().update_or_create(
        spot_check=check, account_id=account_id, defaults=fields
    )
    ledger.record(
        action="spotcheck.result_recorded",
        actor=actor,
        obj=check,
        data={"account_id": account_id, "passed": passed, "findings": findings, "replaced": not created},
        scope=check.agency.path,
    )
    return result


# --- reads -------------------------------------------------------------------------------------


def spot_checks_visible_to(actor) -> QuerySet[SpotCheck]:
    """Spot checks of agencies inside `actor`'s jurisdiction (any role; reading is the policy's)."""
    return SpotCheck.objects.filter(path_q(capabilities.scope_paths(actor), "agency__path")).select_related("agency")


def spot_checks_run_by(actor) -> QuerySet[SpotCheck]:
    """Spot checks where `actor` holds `spotcheck.run` (the history list; empty for others)."""
    paths = capabilities.scope_paths(actor, "spotcheck.run")
    if not paths:
        return SpotCheck.objects.none()
    return SpotCheck.objects.filter(path_q(paths, "agency__path")).select_related("agency")


def summary(check: SpotCheck) -> dict:
    """The results so far and the pass rate (passed / results recorded; None before any)."""
    results = list(check.results.select_related("recorded_by").order_by("account_id"))
    passed = sum(1 for r in results if r.passed)
    return {
        "results": [
            {
                "account_id": r.account_id,
                "passed": r.passed,
                "findings": r.findings,
                "recorded_at": r.recorded_at,
                "recorded_by": r.recorded_by.username if r.recorded_by_id else None,
            }
            for r in results
        ],
        "recorded": len(results),
        "passed": passed,
        "pass_rate": round(passed / len(results), 4) if results else None,
        "complete": len(results) == len(check.accounts),
    }
