"""Replies and moderation of inbox items: `POST /inbox/{id}/reply`, `POST /inbox/{id}/moderate`.

Both answer 202: the request goes into the reply review (`kind: "reply"` in `GET /reviews`) and
reaches the platform only once approved (`inbox.replies`, `inbox.moderation`). Items outside
the caller's jurisdiction answer 404 like missing ones.
"""

import logging
from typing import Literal

from ninja import Router, Schema, Status
from pydantic import Field

from govcms import selectors
from inbox.models import TEXT_LIMIT
from inbox.moderation import REASON_LIMIT, moderation_out, moderation_request
from inbox.replies import reply_draft, reply_out
from inbox.selectors import items_visible_to

from .schemas import Id, MultilineText

logger = logging.getLogger(__name__)
router = Router(tags=["inbox"])


class ReplyIn(Schema):
    body: MultilineText = Field(min_length=1, max_length=TEXT_LIMIT)
    publish_as_qa: bool = False
    # The author agreed to the question and answer appearing on the public Q&A page.
    author_consent: bool = False


class ModerateIn(Schema):
    action: Literal["hide", "delete"]
    reason: MultilineText = Field(min_length=1, max_length=REASON_LIMIT)


@router.post("/inbox/{item_id}/reply", response={202: dict}, summary="Draft a reply; posted once approved")
def inbox_reply(request, item_id: Id, payload: ReplyIn):
    item = selectors.access_object(items_visible_to(request.auth).select_related("account"), item_id)
    reply = reply_draft(
        actor=request.auth,
        item=item,
        body=payload.body,
        publish_as_qa=payload.publish_as_qa,
        author_consent=payload.author_consent,
    )
    return Status(202, reply_out(reply))


@router.post("/inbox/{item_id}/moderate", response={202: dict}, summary="Hide or delete a comment, through review")
def inbox_moderate(request, item_id: Id, payload: ModerateIn):
    item = selectors.access_object(items_visible_to(request.auth).select_related("account"), item_id)
    moderation = moderation_request(actor=request.auth, item=item, action=payload.action, reason=payload.reason)
    return Status(202, moderation_out(moderation))
