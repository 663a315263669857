"""Sending approved replies and moderation requests to the platform, once.

The publishing pipeline's rules (`publishing.services`), applied to a `PlatformAction` row
(`inbox.models.Reply`, `inbox.models.Moderation`), with its helpers (credentials, backoff, the
outcome names, the pipeline policy):

- the row is locked (SKIP LOCKED) while a worker decides, and `in_flight_since` is committed
  before the platform call; a worker that finds it set and older than the lease knows the
  previous one died mid-call and reconciles instead of sending again;
- transient errors retry with backoff up to GOVCMS_PUBLISH_MAX_ATTEMPTS; content, configuration
  and authorisation errors stop (`failed`) and tell the requester;
- an unknown outcome (a lost answer on a call with a public effect: Weibo `comments/reply`,
  WeChat `message/custom/send`) is settled by a look where the platform allows one
  (`Kind.look`): found → done; shown absent or impossible to tell → `unknown`, for a person to
  check on the platform and then retry (`delivery_retry`, `confirmed_absent`). Never a blind resend.

What a kind sends and what "done" means for it are the `Kind` its module registers.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import ledger
from govcms.capabilities import SYSTEM, require
from govcms.services import ServiceError, notify
from publishing import policy as publishing_policy
from publishing.backends import base
from publishing.backends.registry import get_backend
from publishing.services import RunResult, account_credentials, backoff_delay, failure_outcome

from . import policy
from .models import DELIVERY_FINAL, DeliveryStatus, PlatformAction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    """One kind of platform action: its model, its ledger name, how it is sent (`send(obj, backend,
    credentials) -> dict`), how an unknown outcome is looked up (`look`, same arguments, the
    platform's object or None when shown absent; None: the platform cannot tell), and what
    finishing it changes besides its own row (`done(obj, result)`, inside the transaction)."""

    name: str
    model: type[PlatformAction]
    send: Callable
    done: Callable
    look: Callable | None = None
    # Sending needs no platform call (an answer given off the platforms): `send` only checks.
    offline: Callable[[PlatformAction], bool] = lambda obj: False


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


def _record(kind: Kind, action: str, obj: PlatformAction, *, actor=SYSTEM, data: dict | None = None) -> None:
    ledger.record(
        action=f"inbox.{kind.name}_{action}",
        actor=actor,
        obj=obj,
        data={"item_id": obj.item_id, "account_id": obj.item.account_id, **(data or {})},
        scope=obj.item.account.path,
    )


def _start(kind: Kind, pk: int) -> tuple[PlatformAction | None, str, RunResult | None]:
    """Lock the row and decide: "send" (the in-flight marker committed first), "reconcile", or an
    early result (busy, nothing to do)."""
    with transaction.atomic():
        obj = (
            kind.model.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("item__account")
            .filter(pk=pk)
            .first()
        )
        if obj is None:
            return None, "", RunResult("busy")
        if obj.status in DELIVERY_FINAL or obj.status == DeliveryStatus.IN_REVIEW:
            return None, "", RunResult("done")
        now = timezone.now()
        lease = timedelta(seconds=settings.GOVCMS_PUBLISH_LEASE_SECONDS)
        if obj.in_flight_since and now - obj.in_flight_since < lease:
            return None, "", RunResult("busy", countdown=max((obj.in_flight_since + lease - now).total_seconds(), 1))
        if obj.in_flight_since or obj.unsettled:
            # The previous worker died between asking and hearing back, or its answer was lost.
            mode = "reconcile"
            obj.unsettled = True
        else:
            mode = "send"
            obj.attempts += 1
            obj.in_flight_since = now
        obj.status = DeliveryStatus.SENDING
        obj.save(update_fields=["attempts", "in_flight_since", "unsettled", "status"])
    return obj, mode, None


def delivery_run(kind_name: str, pk: int, *, actor=SYSTEM) -> RunResult:
    """Advance one approved reply or moderation request as far as it can go now. Safe to call any
    number of times from any number of workers, also after a crash."""
    require(publishing_policy.may_run_pipeline(actor))
    kind = KINDS[kind_name]
    obj, mode, early = _start(kind, pk)
    if early is not None:
        return early
    if kind.offline(obj):
        return _succeeded(kind, obj, {"offline": True})
    started = time.monotonic()
    backend = get_backend(obj.item.platform)
    try:
        credentials = account_credentials(obj.item.account_id)
        if mode == "reconcile":
            result = _look(kind, obj, backend, credentials, cause=None)
        else:
            try:
                result = kind.send(obj, backend, credentials)
            except base.OutcomeUnknown as unknown:
                result = _look(kind, obj, backend, credentials, cause=unknown)
    except base.TransientError as error:
        return _transient(kind, obj, error, mode=mode)
    except base.PlatformError as error:
        return _give_up(kind, obj, error)
    except ServiceError as refused:  # a rule checked again at sending time (the 48-hour window)
        return _give_up(kind, obj, base.ContentError(refused.message, platform_code=refused.code))
    logger.info("%s %s done in %.0f ms", kind.name, obj.pk, (time.monotonic() - started) * 1000)
    return _succeeded(kind, obj, result)


def _look(kind: Kind, obj: PlatformAction, backend, credentials, *, cause: base.PlatformError | None) -> dict:
    """Settle an unknown outcome by looking: the platform's object when found; otherwise
    OutcomeUnknown (shown absent, or the platform cannot tell) for a person. A look that fails
    transiently is tried again later, never a send."""
    if kind.look is None:
        raise cause or base.OutcomeUnknown(
            _("平台无法查询该操作是否已生效，请到平台核对后处理"), platform_code="no_lookup"
        )
    try:
        found = kind.look(obj, backend, credentials)
    except base.TransientError as error:
        kind.model.objects.filter(pk=obj.pk).update(unsettled=True)
        raise error from None
    if found is None:
        raise base.OutcomeUnknown(
            _("在平台上未找到该答复，且无法安全地再次发送：请到平台核对，确认不存在后重试"),
            platform_code=getattr(cause, "platform_code", None) or "absent",
        )
    logger.info("%s %s: the outcome was unknown; a look on the platform found it", kind.name, obj.pk)
    return found


def _transient(kind: Kind, obj: PlatformAction, error: base.TransientError, *, mode: str) -> RunResult:
    if obj.attempts >= settings.GOVCMS_PUBLISH_MAX_ATTEMPTS:
        if mode == "reconcile":
            return _give_up(kind, obj, base.OutcomeUnknown(str(error), platform_code=error.platform_code))
        return _give_up(kind, obj, error)
    countdown = max(backoff_delay(obj.attempts), error.retry_after or 0)
    kind.model.objects.filter(pk=obj.pk).update(
        status=DeliveryStatus.QUEUED,
        in_flight_since=None,
        # A failed look leaves the outcome unsettled; the attempt counts so the looks are bounded.
        attempts=obj.attempts + (1 if mode == "reconcile" else 0),
        next_attempt_at=timezone.now() + timedelta(seconds=countdown),
        last_error_code=str(error.platform_code or ""),
        last_error=str(error)[:2000],
    )
    logger.info(
        "%s %s: transient error [%s] on attempt %d; retrying in %.1f s",
        kind.name,
        obj.pk,
        error.platform_code,
        obj.attempts,
        countdown,
    )
    return RunResult("retry", countdown=countdown)


def _succeeded(kind: Kind, obj: PlatformAction, result: dict) -> RunResult:
    with transaction.atomic():
        obj = kind.model.objects.select_for_update(of=("self",)).select_related("item__account").get(pk=obj.pk)
        obj.status = DeliveryStatus.DONE
        obj.done_at = timezone.now()
        obj.in_flight_since = None
        obj.unsettled = False
        obj.last_error_code = obj.last_error = ""
        kind.done(obj, result)
        obj.save()
        _record(kind, "done", obj, data={"offline": bool(result.get("offline"))})
    return RunResult("done")


def _give_up(kind: Kind, obj: PlatformAction, error: base.PlatformError) -> RunResult:
    """Stop: `unknown` for an outcome no look settled, `failed` otherwise; tell the requester."""
    with transaction.atomic():
        obj = kind.model.objects.select_for_update(of=("self",)).select_related("item__account").get(pk=obj.pk)
        obj.status = DeliveryStatus.UNKNOWN if isinstance(error, base.OutcomeUnknown) else DeliveryStatus.FAILED
        obj.in_flight_since = None
        obj.last_error_code = str(error.platform_code or "")[:64]
        obj.last_error = str(error.message)[:2000]
        obj.save()
        _record(kind, obj.status, obj, data={"code": obj.last_error_code, "outcome": failure_outcome(error)})
        if obj.requested_by_id:
            notify(
                users=[obj.requested_by],
                kind=f"inbox_{kind.name}_{obj.status}",
                message=_("互动事项 #%(item)s 的%(what)s未能完成：[%(code)s] %(message)s")
                % {
                    "item": obj.item_id,
                    "what": obj._meta.verbose_name,
                    "code": obj.last_error_code or "-",
                    "message": obj.last_error,
                },
                obj=obj.item,
            )
    logger.warning("%s %s %s: [%s] %s", kind.name, obj.pk, obj.status, obj.last_error_code, obj.last_error[:300])
    return RunResult("done")


def enqueue(kind: Kind, obj: PlatformAction) -> None:
    """Queue the sender after the surrounding transaction commits."""
    from .tasks import deliver

    transaction.on_commit(lambda: deliver.delay(kind.name, obj.pk))


@transaction.atomic
def delivery_retry(*, actor, kind_name: str, obj: PlatformAction, confirmed_absent: bool = False) -> PlatformAction:
    """A person sends a failed reply or moderation again; one whose outcome is unknown only after
    they confirmed on the platform that it did not take effect (`confirmed_absent`)."""
    kind = KINDS[kind_name]
    obj = kind.model.objects.select_for_update(of=("self",)).select_related("item__account").get(pk=obj.pk)
    require(policy.may_retry_delivery(actor, obj.item, confirmed_absent=confirmed_absent))
    if obj.status == DeliveryStatus.UNKNOWN and not confirmed_absent:
        raise ServiceError(
            "confirm_absent_first", _("平台上是否已生效尚不确定：请先到平台核对，确认未生效后再重试"), status=409
        )
    if obj.status not in (DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN):
        raise ServiceError("not_retryable", _("只有失败或结果未知的操作可以重试"), status=409)
    obj.status = DeliveryStatus.QUEUED
    obj.unsettled = False
    obj.in_flight_since = obj.next_attempt_at = None
    obj.attempts = 0
    obj.save()
    _record(kind, "retry", obj, actor=actor, data={"confirmed_absent": confirmed_absent})
    enqueue(kind, obj)
    return obj
