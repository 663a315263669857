"""Publishing endpoints: publications of a post, retry, withdrawal requests, WeChat event pushes."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from editorial import selectors as ed_selectors
from editorial import services as ed_services
from govcms import selectors
from govcms.models import AccountCredential, AccountPage
from publishing.models import Publication
from publishing.selectors import publications_visible_to
from publishing.services import publication_retry, wechat_event_received

from .errors import ApiError
from .responses import PublicationOut
from .schemas import Id, MultilineText, Text

router = Router(tags=["publishing"])


class RetryIn(Schema):
    confirmed_absent: bool = False


class WithdrawIn(Schema):
    reason: MultilineText = Field(min_length=1, max_length=2000)


def publication_out(p: Publication) -> dict:
    return {
        "id": p.pk,
        "account_id": p.account_id,
        "platform": p.platform,
        "status": p.status,
        "revision_id": p.revision_id,
        "platform_post_id": p.platform_post_id,
        "url": p.url,
        "published_at": p.published_at,
        "attempts": p.attempts,
        "last_error": ({"code": p.last_error_code, "message": p.last_error} if p.last_error else None),
        "content_hash": p.content_hash,
        "reviewers": p.reviewers,
    }


def publications_of(post) -> list[dict]:
    return [publication_out(p) for p in Publication.objects.filter(post=post).order_by("created_at", "id")]


def publications_by_post(post_ids: list[int]) -> dict[int, list[dict]]:
    """Publications of many posts in one query, keyed by post id."""
    grouped: dict[int, list[dict]] = {}
    for p in Publication.objects.filter(post_id__in=post_ids).order_by("created_at", "id"):
        grouped.setdefault(p.post_id, []).append(publication_out(p))
    return grouped


@router.get(
    "/posts/{post_id}/publications",
    response=list[PublicationOut],
    summary="What reached (or is reaching) the platforms",
)
def post_publications(request, post_id: Id):
    post = selectors.access_object(ed_selectors.posts_visible_to(request.auth), post_id)
    return publications_of(post)


@router.post(
    "/publications/{publication_id}/retry",
    response=PublicationOut,
    summary="Re-queue a failed (or confirmed-absent unknown) one",
)
def retry(request, publication_id: Id, payload: RetryIn):
    visible = publications_visible_to(request.auth).select_related("account")
    pub = selectors.access_object(visible, publication_id)
    pub = publication_retry(actor=request.auth, pub=pub, confirmed_absent=payload.confirmed_absent)
    return publication_out(pub)


@router.post("/posts/{post_id}/withdraw", response={202: dict}, summary="Request withdrawal (a signer approves)")
def withdraw(request, post_id: Id, payload: WithdrawIn):
    post = selectors.access_object(ed_selectors.posts_visible_to(request.auth), post_id)
    step = ed_services.post_withdraw_request(actor=request.auth, post=post, reason=payload.reason)
    return Status(202, {"task_id": step.pk, "kind": step.kind, "post_id": post.pk})


@router.post("/platform-callbacks/wechat/{account_id}", auth=None, summary="WeChat event push (signature checked)")
def wechat_callback(request, account_id: Id, signature: Text = "", timestamp: Text = "", nonce: Text = ""):
    """The account's WeChat server URL: PUBLISHJOBFINISH events and users' messages (text, image,
    voice, the subscribe event). A forged or unsigned push is refused (403) before the body is
    read and nothing is stored; a genuine one is stored at most once (MsgId) and answered
    `success` at once — the inbox's follow-up (notifications) runs after the commit."""
    from inbox.services import wechat_message_received
    from publishing.backends.wechat import (
        callback_kind,
        parse_publish_event,
        parse_user_message,
        verify_callback_signature,
    )

    account = AccountPage.objects.filter(pk=account_id, platform="wechat").first()
    credential = AccountCredential.objects.filter(account=account).first() if account else None
    token = credential.callback_token if credential else ""
    if not token or not verify_callback_signature(token, timestamp, nonce, signature):
        raise ApiError(403, "bad_signature", _("签名校验失败"))
    try:
        kind = callback_kind(request.body)
        if kind == "publish":
            wechat_event_received(account=account, event=parse_publish_event(request.body))
        elif kind == "message":
            wechat_message_received(account=account, message=parse_user_message(request.body))
    except ValueError as error:
        raise ApiError(400, "malformed_event", _("无法解析的事件推送")) from error
    # WeChat expects "success" (or an empty body) and retries otherwise; events the product does
    # not use (unsubscribe, menu clicks) are answered the same and dropped.
    return HttpResponse("success", content_type="text/plain")
