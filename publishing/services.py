"""The publishing pipeline: release → one Publication per (revision × account) → platform, once.

`publication_run` is the whole state machine; the Celery task only calls it and schedules what it
asks for. Rules that keep "exactly once" true:

- the Publication row is unique per (revision, account) and locked while a worker decides;
- before any non-idempotent call, `in_flight_since` is committed; a worker that finds it set
  and older than the lease knows the previous one died mid-call and reconciles with the platform
  (Weibo: the user timeline; WeChat: the publish job, if one was accepted) — never a blind retry;
- transient errors retry with exponential backoff and jitter; configuration, auth and content
  errors stop and tell a person;
- unknown outcomes are settled by looking on the platform (at once, or when the platform says
  the item shows later: Weibo 20032), and where the platform refuses duplicates (Weibo 20019) by
  sharing again after a look showed it absent; only what no look settles stops as `unknown`
  until a person confirms.
"""

import hashlib
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import ledger
from editorial.images import media_name
from editorial.models import PostStatus, WechatArticlePage, WeiboPostPage
from editorial.sanitize import sanitize_wechat_html
from editorial.services import post_public_link, users_with_role_at
from govcms.capabilities import SYSTEM, require
from govcms.images import FORMATS as IMAGE_FORMATS
from govcms.images import ImageRejected, fit_image, sniff_format
from govcms.models import AccountCredential
from govcms.services import ServiceError, credential_problem, notify

from . import policy
from .backends import base, wechat
from .backends.registry import get_backend
from .models import FINAL_STATUSES, Publication, PublicationAttempt, PublicationStatus

# What the ledger records about a publication, for an operator watching the logs: ids, platform,
# the platform's error code and message. Never credentials: backends keep tokens out of errors.
logger = logging.getLogger(__name__)

ERROR_OUTCOMES = (
    (base.TransientError, "transient"),
    (base.AuthError, "auth"),
    (base.ConfigurationError, "config"),
    (base.ContentError, "content"),
    (base.OutcomeUnknown, "unknown"),
)


def failure_outcome(error: base.PlatformError) -> str:
    """The outcome name of a failed attempt, from the error class actually seen — except that a
    content error raised before any platform answered is our own check before sending
    ("invalid"), not a refusal by the platform."""
    outcome = next((name for cls, name in ERROR_OUTCOMES if isinstance(error, cls)), "error")
    return "invalid" if outcome == "content" and not reached_platform(error) else outcome


def reached_platform(error: base.PlatformError) -> bool:
    """Whether any platform call of the attempt got an HTTP answer (a call that could not connect
    or was never made did not reach the platform)."""
    return any(isinstance(step, dict) and "http_status" in step for step in error.steps)


@dataclass
class RunResult:
    """What the task should do next: nothing, retry after `countdown`, or poll after `countdown`."""

    action: str  # "done" | "retry" | "poll" | "busy"
    countdown: float = 0.0


def _record(action: str, pub: Publication, *, actor=SYSTEM, data: dict | None = None) -> None:
    """The pipeline's events are the system's own unless a person acted (`actor`)."""
    ledger.record(
        action=action,
        actor=actor,
        object_type="publication",
        object_id=pub.pk,
        data={"post_id": pub.post_id, "account_id": pub.account_id, **(data or {})},
        scope=pub.account.path,
    )


# --- enqueueing -------------------------------------------------------------------------------


def publication_enqueue(*, post, revision, reviewers: list[str]) -> Publication:
    """Create (or find) the publication of `revision` on the post's account and queue it after
    commit. Calling it twice for the same revision queues nothing new."""
    account = post.get_parent().specific
    pub, created = Publication.objects.get_or_create(
        revision=revision,
        account=account,
        defaults={"post": post, "platform": account.platform, "reviewers": reviewers},
    )
    if created:
        _record("publication.queued", pub, data={"revision_id": revision.pk})
        logger.info("%s queued (revision %s)", _who(pub), revision.pk)
    if pub.status == PublicationStatus.QUEUED:
        from .tasks import publish_publication

        transaction.on_commit(lambda: publish_publication.delay(pub.pk))
    return pub


# --- building what the platform receives -------------------------------------------------------


def _platform_image(content: bytes, name: str, *, formats=None, limit: int | None = None) -> base.Image:
    """`content` as a platform upload, typed from its bytes, never from its name; converted to
    one of `formats` under `limit` bytes when given (`govcms.images.fit_image`)."""
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "image"
    kind = sniff_format(content)
    try:
        if kind is None:
            raise ImageRejected("unsupported_type", name)
        if formats is not None:
            fitted = fit_image(content, formats=set(formats), limit=limit)
            content, kind = fitted.content, fitted.format
    except (ImageRejected, OSError, ValueError) as error:
        raise base.ContentError(
            _("图片无法转换为平台接受的格式：%(name)s") % {"name": name}, platform_code="image"
        ) from error
    extension, content_type = IMAGE_FORMATS[kind]
    return base.Image(filename=f"{stem}.{extension}", content=content, content_type=content_type)


def _image_from_wagtail(image, **fit) -> base.Image:
    with image.file.open("rb") as fh:
        content = fh.read()
    return _platform_image(content, image.file.name, **fit)


def _image_from_src(src: str, **fit) -> base.Image | None:
    """Bytes of a body image served from our own media, read from storage (never fetched over
    HTTP, whatever GOVCMS_SITE_URL says); None for anything else."""
    from django.core.exceptions import SuspiciousFileOperation
    from django.core.files.storage import default_storage

    name = media_name(src)
    if name is None:
        return None
    try:
        if not default_storage.exists(name):
            return None
        with default_storage.open(name, "rb") as fh:
            content = fh.read()
    except (SuspiciousFileOperation, OSError):
        return None
    return _platform_image(content, name, **fit)


def build_item(pub: Publication):
    """The platform item for the publication's revision, and the hash of exactly that content."""
    post = pub.revision.as_object()
    if isinstance(post, WeiboPostPage):
        item = base.WeiboStatus(
            # Exactly the text the approvers saw in the preview of this revision (same function).
            text=post.status_text(),
            image=_image_from_wagtail(post.image) if post.image_id else None,
        )
        digest_source = {"text": item.text, "image": post.image_id}
    else:
        article = sanitize_wechat_html(post.expanded_body(), base_url=settings.GOVCMS_SITE_URL)
        images = {}
        for ref in article.images:
            if not ref.hosted:
                image = _image_from_src(ref.src, formats=wechat.BODY_IMAGE_FORMATS, limit=wechat.BODY_IMAGE_MAX_BYTES)
                if image is None:
                    raise base.ContentError(_("正文图片无法读取：%(src)s") % {"src": ref.src}, platform_code="image")
                images[ref.src] = image
        if not post.cover_image_id:
            raise base.ContentError(_("缺少封面图片"), platform_code="cover")
        item = base.WechatArticle(
            title=post.title,
            author=post.author,
            digest=post.effective_digest(),
            content_html=article.html,
            cover=_image_from_wagtail(post.cover_image, formats=wechat.COVER_FORMATS, limit=wechat.COVER_MAX_BYTES),
            content_source_url=post.content_source_url or post_public_link(post),
            need_open_comment=post.comments_enabled,
            images=images,
        )
        digest_source = {"title": item.title, "author": item.author, "digest": item.digest, "html": item.content_html}
    content_hash = hashlib.sha256(json.dumps(digest_source, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return item, content_hash


def _credentials(pub: Publication) -> base.Credentials:
    return account_credentials(pub.account_id)


def account_credentials(account_id: int) -> base.Credentials:
    """The account's decrypted platform credentials; ConfigurationError when it has none."""
    cred = AccountCredential.objects.filter(account_id=account_id).first()
    if cred is None or not cred.has_secret:
        raise base.ConfigurationError(_("账号未配置平台凭据"), platform_code="no_credentials")
    return base.Credentials(appid=cred.appid, secret=cred.secret, access_token=cred.access_token, uid=cred.uid)


# --- rate limiting and backoff ----------------------------------------------------------------


def _account_wait(pub: Publication) -> float:
    """Seconds to wait before this account may publish again (platform back-off or our own limit)."""
    now = time.time()
    until = cache.get(f"govcms:backoff:{pub.account_id}")
    if until and until > now:
        return until - now
    limit, window = settings.GOVCMS_PUBLISH_RATE_LIMITS.get(pub.platform, (0, 0))
    if limit:
        key = f"govcms:rate:{pub.account_id}:{int(now // window)}"
        cache.add(key, 0, timeout=window)
        if cache.incr(key) > limit:
            return window - now % window
    return 0.0


def _back_off_account(pub: Publication, seconds: float) -> None:
    cache.set(f"govcms:backoff:{pub.account_id}", time.time() + seconds, timeout=int(seconds) + 1)


def backoff_delay(attempt: int) -> float:
    """Exponential backoff with full jitter, capped (a retry never outlives the broker's
    visibility timeout)."""
    ceiling = min(settings.GOVCMS_PUBLISH_BACKOFF_CAP, settings.GOVCMS_PUBLISH_BACKOFF_BASE * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 -- jitter, not security


# --- the state machine ------------------------------------------------------------------------


def _finish_attempt(attempt: PublicationAttempt, *, outcome: str, started: float, steps=None, raw=None, error=None):
    attempt.finished_at = timezone.now()
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.outcome = outcome
    if steps is not None:
        attempt.request_summary = steps
    attempt.response = _jsonable(raw if error is None else error.raw)
    if error is not None:
        attempt.error_code = str(error.platform_code or "")
        attempt.error_message = error.message[:2000]
    attempt.save()


def _jsonable(value):
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return {"unserialisable": str(value)[:2000]}


def _start(pub_id: int, kind: str) -> tuple[Publication | None, PublicationAttempt | None, RunResult | None]:
    """Lock the row and decide; for a publish, commit the in-flight marker before returning."""
    with transaction.atomic():
        # Every lock on a publication is `of=("self",)`: joined account rows locked FOR UPDATE made
        # a skip_locked run skip every other publication of the account, and deadlocked a release
        # (holding the ledger lock, inserting the account's next publication) against a worker
        # (holding the account, waiting for the ledger lock). tests/publishing/test_locking.py.
        pub = (
            Publication.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("account")
            .filter(pk=pub_id)
            .first()
        )
        if pub is None:
            return None, None, RunResult("busy")
        if pub.status in FINAL_STATUSES:
            return None, None, RunResult("done")
        refusal = pub.account.posting_refusal()
        if kind == "publish" and refusal is not None and not (pub.in_flight_since or pub.job_id):
            # Nothing was sent yet and the account went off the air (停更/注销) after the release:
            # it publishes nothing. A call already made is still reconciled or polled below.
            pub.status = PublicationStatus.FAILED
            pub.last_error_code, pub.last_error = refusal
            pub.save(update_fields=["status", "last_error_code", "last_error", "updated_at"])
            _record("publication.failed", pub, data={"code": refusal[0], "message": refusal[1]})
            logger.warning("%s failed before sending: account off the air [%s]", _who(pub), refusal[0])
            post_status_refresh(pub.post_id)
            return None, None, RunResult("done")
        now = timezone.now()
        lease = timedelta(seconds=settings.GOVCMS_PUBLISH_LEASE_SECONDS)
        if pub.in_flight_since and now - pub.in_flight_since < lease:
            remaining = (pub.in_flight_since + lease - now).total_seconds()
            return None, None, RunResult("busy", countdown=max(remaining, 1))
        if pub.in_flight_since:
            kind = "reconcile"  # the previous worker died between asking and hearing back
            logger.warning(
                "%s: the worker in flight since %s did not finish; reconciling with the platform",
                _who(pub),
                pub.in_flight_since.isoformat(),
            )
        elif pub.job_id:
            kind = "poll"
        elif pub.looks_due:
            due = pub.unsettled_since + timedelta(seconds=pub.looks_due[0])
            if due > now:  # an early delivery (sweep, redelivered message): the item could not show yet
                return None, None, RunResult("retry", countdown=(due - now).total_seconds())
            kind = "look"
        pub.attempts += 1 if kind == "publish" else 0
        pub.status = PublicationStatus.PUBLISHING
        pub.in_flight_since = now if kind == "publish" else pub.in_flight_since
        pub.save(update_fields=["attempts", "status", "in_flight_since", "updated_at"])
        attempt = PublicationAttempt.objects.create(
            publication=pub, number=pub.attempts, kind=kind, request_summary=[{"kind": kind}]
        )
    return pub, attempt, None


def publication_run(pub_id: int, *, actor=SYSTEM) -> RunResult:
    """Advance one publication as far as it can go now. Safe to call any number of times, from
    any number of workers, at any moment (including after a crash).

    An unknown outcome is settled by looking on the platform (`find`): at once, or when the
    platform says the item shows only later (Weibo 20032), at the times it names. Found:
    published. Shown absent: shared again where the platform refuses duplicates (Weibo) — should
    the first call land after all, the second is refused and reconciled, never posted twice.
    Only what no look can settle (WeChat, a duplicate refusal whose original cannot be found, the
    attempts used up) waits for a person as `unknown`.
    """
    require(policy.may_run_pipeline(actor))
    pub, attempt, early = _start(pub_id, "publish")
    if early is not None:
        return early
    started = time.monotonic()
    backend = get_backend(pub.platform)
    try:
        credentials = _credentials(pub)
        if attempt.kind == "poll" or (attempt.kind == "reconcile" and pub.job_id):
            result = backend.poll(credentials=credentials, job_id=pub.job_id)
        else:
            item, content_hash = build_item(pub)
            if attempt.kind == "publish":
                wait = _account_wait(pub)
                if wait:
                    _finish_attempt(attempt, outcome="deferred", started=started)
                    return _requeue(pub, countdown=wait, undo_attempt=True)
                result = _share(pub, backend, credentials, item)
            else:  # "look" or "reconcile"
                result = _look(pub, backend, credentials, item)
            if result is None:
                _finish_attempt(attempt, outcome="absent", started=started)
                return _absent(pub, backend)
            Publication.objects.filter(pk=pub.pk).update(content_hash=content_hash)
    except base.OutcomeUnknown as error:
        if error.look_after and attempt.kind != "poll":
            _finish_attempt(attempt, outcome="unsettled", started=started, error=error)
            return _schedule_looks(pub, error)
        return _failed_call(pub, attempt, error, started)
    except base.PlatformError as error:
        return _failed_call(pub, attempt, error, started)
    _finish_attempt(attempt, outcome=result.state, started=started, steps=result.steps, raw=result.raw)
    return _succeeded_call(pub, result)


def _share(pub: Publication, backend, credentials, item) -> base.PublishResult | None:
    """Publish; when the outcome is unknown, look on the platform before deciding anything — a
    post that landed despite the error is recorded as published, never sent again. None: the look
    showed it absent. A duplicate refusal after an earlier unknown outcome means that call landed."""
    try:
        return backend.publish(credentials=credentials, item=item)
    except base.OutcomeUnknown as unknown:
        if unknown.look_after:
            raise  # the platform says the item shows only later: looking now would prove nothing
        found = _look(pub, backend, credentials, item, cause=unknown)
        logger.info(
            "%s: outcome unknown [%s]; a look on the platform found it %s",
            _who(pub),
            unknown.platform_code,
            "published" if found is not None else "absent",
        )
        if found is None:  # kept for the record, and for a person should no share ever settle it
            Publication.objects.filter(pk=pub.pk).update(
                last_error_code=str(unknown.platform_code or ""), last_error=str(unknown)[:2000]
            )
        return found
    except base.DuplicateContent as duplicate:
        if pub.unsettled_since is None:
            raise  # a repeat of someone else's post, or of an older one: the editor's business
        found = _look(pub, backend, credentials, item, cause=duplicate)
        logger.info(
            "%s: duplicate refusal [%s] after an unsettled call; the earlier call %s",
            _who(pub),
            duplicate.platform_code,
            "landed" if found is not None else "cannot be found",
        )
        if found is None:
            raise base.OutcomeUnknown(
                _("平台称已有相同内容，但在账号最近发布的内容中未找到：请到平台核对"),
                platform_code=duplicate.platform_code,
                raw=duplicate.raw,
            ) from None
        return found


def _look(pub: Publication, backend, credentials, item, *, cause: base.PlatformError | None = None):
    """One look on the platform: the item's PublishResult if it shows, None if shown absent.

    A look that fails transiently is tried again later (as a scheduled look, up to
    GOVCMS_PUBLISH_MAX_ATTEMPTS times); a platform that cannot tell (WeChat) leaves `cause`, the
    error that made the outcome unknown, for a person."""
    try:
        found = backend.find(credentials=credentials, item=item)
    except base.TransientError as error:
        failed_looks = pub.attempt_log.filter(outcome="unsettled").count()
        if failed_looks >= settings.GOVCMS_PUBLISH_MAX_ATTEMPTS:
            raise (cause or error) from None
        raise base.OutcomeUnknown(
            _("无法在平台上核对发布结果，稍后再查：%(error)s") % {"error": error},
            platform_code=error.platform_code,
            raw=error.raw,
            look_after=(max(backoff_delay(failed_looks + 1), error.retry_after or 0),),
        ) from None
    except base.OutcomeUnknown:
        if cause is None:
            raise
        raise cause from None
    if found is not None and cause is not None:
        found.steps = [*cause.steps, *found.steps]
    return found


def _schedule_looks(pub: Publication, error: base.OutcomeUnknown) -> RunResult:
    """Look on the platform `error.look_after` seconds from now (each in turn), before anything
    else; Celery's countdown (and the sweep, from `next_attempt_at`) brings the run back."""
    now = timezone.now()
    with transaction.atomic():
        pub = Publication.objects.select_for_update().get(pk=pub.pk)
        since = pub.unsettled_since or pub.in_flight_since or now
        elapsed = (now - since).total_seconds()
        pub.unsettled_since = since
        # A look that failed is replaced by the new one; the looks after it stay due.
        pub.looks_due = sorted([elapsed + seconds for seconds in error.look_after] + pub.looks_due[1:])
        pub.status = PublicationStatus.QUEUED
        pub.in_flight_since = None
        pub.next_attempt_at = since + timedelta(seconds=pub.looks_due[0])
        pub.last_error_code, pub.last_error = str(error.platform_code or ""), error.message[:2000]
        pub.save()
    logger.info(
        "%s: outcome unknown [%s]; looking on the platform at %s s after the call",
        _who(pub),
        error.platform_code,
        ", ".join(f"{seconds:.0f}" for seconds in pub.looks_due),
    )
    return RunResult("retry", countdown=max((pub.next_attempt_at - now).total_seconds(), 0))


def _absent(pub: Publication, backend) -> RunResult:
    """The platform showed the item absent: make the next look if one is due, else share again
    where the platform refuses duplicates and attempts remain, else hand it to a person."""
    now = timezone.now()
    with transaction.atomic():
        pub = Publication.objects.select_for_update(of=("self",)).select_related("account").get(pk=pub.pk)
        since = pub.unsettled_since or pub.in_flight_since or now
        pub.unsettled_since = since
        pub.looks_due = pub.looks_due[1:]
        pub.in_flight_since = None
        pub.status = PublicationStatus.QUEUED
        if pub.looks_due:
            pub.next_attempt_at = since + timedelta(seconds=pub.looks_due[0])
            pub.save()
            logger.info("%s: shown absent on the platform; the next look is due", _who(pub))
            return RunResult("retry", countdown=max((pub.next_attempt_at - now).total_seconds(), 0))
        if backend.refuses_duplicates and pub.attempts < settings.GOVCMS_PUBLISH_MAX_ATTEMPTS:
            pub.next_attempt_at = now
            pub.save()
            logger.info("%s: shown absent on the platform, which refuses duplicates; sending again", _who(pub))
            return RunResult("retry", countdown=0)
        pub.save()
    message = _("在平台上未找到该内容，且无法安全地再次发送（已尝试 %(n)d 次）：请到平台核对") % {"n": pub.attempts}
    return _give_up(pub, base.OutcomeUnknown(message, platform_code=pub.last_error_code or None))


def _requeue(pub: Publication, *, countdown: float, undo_attempt: bool = False) -> RunResult:
    update = {"status": PublicationStatus.QUEUED, "in_flight_since": None}
    update["next_attempt_at"] = timezone.now() + timedelta(seconds=countdown)
    Publication.objects.filter(pk=pub.pk).update(**update)
    if undo_attempt:
        Publication.objects.filter(pk=pub.pk, attempts__gt=0).update(attempts=pub.attempts - 1)
    return RunResult("retry", countdown=countdown)


def _succeeded_call(pub: Publication, result: base.PublishResult) -> RunResult:
    with transaction.atomic():
        pub = Publication.objects.select_for_update(of=("self",)).select_related("account").get(pk=pub.pk)
        pub.in_flight_since = None
        pub.unsettled_since, pub.looks_due = None, []  # settled: the platform answered for the item
        if result.state == "publishing":
            pub.job_id = result.job_id or pub.job_id
            pub.save(update_fields=["job_id", "in_flight_since", "unsettled_since", "looks_due", "updated_at"])
            return RunResult("poll", countdown=settings.GOVCMS_PUBLISH_POLL_SECONDS)
        if result.state == "withdrawn":
            # Published, then deleted on the platform outside govcms (publish_status 5).
            pub.status = PublicationStatus.WITHDRAWN
            pub.last_error_code, pub.last_error = "publish_status:5", _("已在平台上被删除")
            pub.save()
            _record("publication.deleted_on_platform", pub, data={"job_id": pub.job_id})
            logger.warning("%s: published, then deleted on the platform outside govcms", _who(pub))
            post_status_refresh(pub.post_id)
            return RunResult("done")
        credential_problem(account=pub.account, code="")
        pub.status = PublicationStatus.PUBLISHED
        pub.platform_post_id = result.platform_post_id
        pub.url = result.url
        pub.published_at = pub.published_at or timezone.now()
        pub.last_error_code = pub.last_error = ""
        pub.save()
        _record("publication.published", pub, data={"platform_post_id": pub.platform_post_id, "url": pub.url})
        logger.info("%s published as %s", _who(pub), pub.platform_post_id)
        post_status_refresh(pub.post_id)
    return RunResult("done")


def _failed_call(pub: Publication, attempt: PublicationAttempt, error: base.PlatformError, started: float) -> RunResult:
    outcome = failure_outcome(error)
    _finish_attempt(attempt, outcome=outcome, started=started, steps=error.steps, error=error)
    if isinstance(error, base.TransientError) and pub.attempts < settings.GOVCMS_PUBLISH_MAX_ATTEMPTS:
        countdown = max(backoff_delay(pub.attempts), error.retry_after or 0)
        if error.retry_after:
            _back_off_account(pub, error.retry_after)
        Publication.objects.filter(pk=pub.pk).update(
            status=PublicationStatus.QUEUED,
            in_flight_since=None,
            next_attempt_at=timezone.now() + timedelta(seconds=countdown),
            last_error_code=str(error.platform_code or ""),
            last_error=str(error)[:2000],
        )
        logger.info(
            "%s: transient error [%s] on attempt %d; retrying in %.0f s",
            _who(pub),
            error.platform_code,
            pub.attempts,
            countdown,
        )
        return RunResult("retry", countdown=countdown)
    return _give_up(pub, error)


def _give_up(pub: Publication, error: base.PlatformError) -> RunResult:
    """Stop: `unknown` for an outcome no look settled, `failed` otherwise; tell the people who can act."""
    outcome = failure_outcome(error)
    with transaction.atomic():
        pub = Publication.objects.select_for_update(of=("self",)).select_related("account").get(pk=pub.pk)
        pub.last_error_code = str(error.platform_code or "")
        pub.last_error = str(error)[:2000]
        pub.in_flight_since = None
        pub.looks_due = []
        pub.status = PublicationStatus.UNKNOWN if isinstance(error, base.OutcomeUnknown) else PublicationStatus.FAILED
        pub.save()
        _record(
            f"publication.{pub.status}",
            pub,
            data={
                "code": pub.last_error_code,
                "message": pub.last_error,
                "outcome": outcome,
                "reached_platform": reached_platform(error),
            },
        )
        post_status_refresh(pub.post_id)
        _tell_people(pub, error)
    logger.warning(
        "%s %s (%s, reached the platform: %s): [%s] %s",
        _who(pub),
        pub.status,
        outcome,
        reached_platform(error),
        pub.last_error_code or "-",
        error.message[:500],
    )
    return RunResult("done")


def _who(pub: Publication) -> str:
    """How a publication is named in the logs: its id, the post, the platform and the account."""
    return f"publication {pub.pk} (post {pub.post_id}, {pub.platform}, account {pub.account_id})"


def _tell_people(pub: Publication, error: base.PlatformError) -> None:
    """Failures reach someone who can act: the editor for content and unknown outcomes, the
    account's admins for configuration and authorisation problems."""
    post = pub.post.specific
    platform = pub.get_platform_display() if hasattr(pub, "get_platform_display") else pub.platform
    text = _("《%(title)s》发布到%(platform)s失败：[%(code)s] %(message)s") % {
        "title": post.title,
        "platform": platform,
        "code": pub.last_error_code or "-",
        "message": error.message,
    }
    if isinstance(error, base.ConfigurationError | base.AuthError):
        credential_problem(account=pub.account, code=str(error.platform_code or type(error).__name__))
        admins = users_with_role_at(roles=policy.problem_notified_roles(), path=pub.account.path)
        notify(users=list(admins), kind="account_misconfigured", message=text, obj=pub.account)
    if pub.status == PublicationStatus.UNKNOWN:
        text = _("《%(title)s》是否已发布到平台无法确认，请核对后处理：[%(code)s] %(message)s") % {
            "title": post.title,
            "code": pub.last_error_code or "-",
            "message": error.message,
        }
    editors = [post.owner] if post.owner_id else []
    notify(users=editors, kind=f"publication_{pub.status}", message=text, obj=pub.post)


def post_status_refresh(post_id: int) -> None:
    """Derive the post's status from its publications (all published → published; some → partially)."""
    statuses = set(Publication.objects.filter(post_id=post_id).values_list("status", flat=True))
    if not statuses:
        return
    if statuses == {PublicationStatus.PUBLISHED}:
        status = PostStatus.PUBLISHED
    elif statuses == {PublicationStatus.WITHDRAWN}:
        status = PostStatus.WITHDRAWN
    elif PublicationStatus.PUBLISHED in statuses:
        status = PostStatus.PARTIALLY_PUBLISHED
    elif statuses & {PublicationStatus.FAILED, PublicationStatus.UNKNOWN}:
        status = PostStatus.FAILED
    else:
        status = PostStatus.PUBLISHING
    for model in (WeiboPostPage, WechatArticlePage):
        model.objects.filter(pk=post_id).update(status=status)


# --- people acting on problems ----------------------------------------------------------------


@transaction.atomic
def publication_retry(*, actor, pub: Publication, confirmed_absent: bool = False) -> Publication:
    """Queue a failed publication again; an unknown one only once a person confirmed it is absent."""
    pub = Publication.objects.select_for_update(of=("self",)).select_related("account").get(pk=pub.pk)
    require(policy.may_retry(actor, pub, confirmed_absent=confirmed_absent))
    if pub.status == PublicationStatus.UNKNOWN and not confirmed_absent:
        raise ServiceError(
            "confirm_absent_first",
            _("平台上是否已有该内容尚不确定：请先到平台核对，确认不存在后再重试（confirmed_absent）"),
            status=409,
        )
    if pub.status not in (PublicationStatus.FAILED, PublicationStatus.UNKNOWN):
        raise ServiceError(
            "not_retryable", _("只有失败或结果未知的发布可以重试"), status=409, details={"status": pub.status}
        )
    pub.status = PublicationStatus.QUEUED
    pub.in_flight_since = None
    pub.next_attempt_at = None
    pub.looks_due = []  # a person decided; `unsettled_since` stays, so a duplicate refusal is still reconciled
    pub.job_id = "" if confirmed_absent else pub.job_id
    pub.save()
    _record("publication.retry", pub, actor=actor, data={"confirmed_absent": confirmed_absent})
    post_status_refresh(pub.post_id)
    from .tasks import publish_publication

    transaction.on_commit(lambda: publish_publication.delay(pub.pk))
    return pub


# --- withdrawal -------------------------------------------------------------------------------


def publication_withdraw(pub_id: int, *, actor=SYSTEM) -> RunResult:
    """Remove one published item from its platform (after a signer approved the withdrawal).
    Idempotent; a failure keeps the record `published` with the error shown, for a person."""
    require(policy.may_run_pipeline(actor))
    with transaction.atomic():
        pub = Publication.objects.select_for_update(of=("self",)).select_related("account").get(pk=pub_id)
        if pub.status != PublicationStatus.PUBLISHED:
            return RunResult("done")
        attempt = PublicationAttempt.objects.create(publication=pub, number=pub.attempts, kind="withdraw")
    started = time.monotonic()
    try:
        raw = get_backend(pub.platform).withdraw(credentials=_credentials(pub), platform_post_id=pub.platform_post_id)
    except base.PlatformError as error:
        _finish_attempt(attempt, outcome="error", started=started, error=error)
        Publication.objects.filter(pk=pub.pk).update(
            last_error_code=str(error.platform_code or ""), last_error=str(error)
        )
        if isinstance(error, base.TransientError | base.OutcomeUnknown):
            logger.info("%s: withdrawal not settled [%s]; retrying", _who(pub), error.platform_code)
            return RunResult("retry", countdown=backoff_delay(1))
        logger.warning("%s: withdrawal failed: [%s] %s", _who(pub), error.platform_code or "-", error.message[:500])
        _record(
            "publication.withdraw_failed", pub, data={"code": str(error.platform_code or ""), "message": str(error)}
        )
        _tell_people(pub, error)
        return RunResult("done")
    _finish_attempt(attempt, outcome="withdrawn", started=started, raw=raw)
    with transaction.atomic():
        Publication.objects.filter(pk=pub.pk).update(
            status=PublicationStatus.WITHDRAWN, last_error_code="", last_error=""
        )
        _record("publication.withdrawn", pub, data={"platform_post_id": pub.platform_post_id})
        logger.info("%s withdrawn from the platform", _who(pub))
        post_status_refresh(pub.post_id)
    return RunResult("done")


def wechat_event_received(*, account, event: dict) -> None:
    """A PUBLISHJOBFINISH push: look the job up on the platform (the push itself is only a hint,
    so a duplicate or a lost one changes nothing — the poll is the source of truth)."""
    publish_id = str(event.get("publish_id") or "")
    # Our job id is "<publish_id>:<msg_data_id>" (the comment calls need the latter); pushes carry the first.
    pub = (
        Publication.objects.filter(account=account)
        .filter(Q(job_id=publish_id) | Q(job_id__startswith=f"{publish_id}:"))
        .first()
        if publish_id
        else None
    )
    ledger.record(
        action="publication.callback",
        object_type="publication",
        object_id=pub.pk if pub else "",
        data={"account_id": account.pk, "publish_id": publish_id, "publish_status": event.get("publish_status")},
        scope=account.path,
    )
    logger.info(
        "WeChat publish event for account %s, publish_id %s, status %s: %s",
        account.pk,
        publish_id or "-",
        event.get("publish_status"),
        _who(pub) if pub else "no publication of ours",
    )
    if pub is not None and pub.status == PublicationStatus.PUBLISHING:
        from .tasks import publish_publication

        transaction.on_commit(lambda: publish_publication.delay(pub.pk))
