"""Users' messages to a WeChat account through its callback URL: signature checked (a forged
push is refused and stored nowhere), stored once per MsgId, answered `success` at once."""

import hashlib

import pytest
from django.test import Client

from audit.models import LedgerEvent
from govcms import services as org_services
from govcms.capabilities import SYSTEM
from inbox.models import InboxItem
from inbox.text import sanitize_text

pytestmark = pytest.mark.django_db

TOKEN = "cbtoken-inbox"


def sign(token, timestamp="1772589600", nonce="n0nce"):
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest(), timestamp, nonce  # noqa: S324


def message_xml(
    msg_type="text", content="请问办理居住证需要什么材料？", msg_id="24500000000000001", create_time=1772589600
):
    body = {
        "text": f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId>",
        "image": f"<PicUrl><![CDATA[http://mmbiz.qpic.cn/x.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId><MsgId>{msg_id}</MsgId>",
        "voice": f"<MediaId><![CDATA[v1]]></MediaId><Format><![CDATA[amr]]></Format><MsgId>{msg_id}</MsgId>",
        "subscribe": "<Event><![CDATA[subscribe]]></Event>",
        "unsubscribe": "<Event><![CDATA[unsubscribe]]></Event>",
    }[msg_type]
    wire_type = "event" if msg_type in ("subscribe", "unsubscribe") else msg_type
    return (
        "<xml><ToUserName><![CDATA[gh_a1]]></ToUserName><FromUserName><![CDATA[oReaderOpenid001]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[{wire_type}]]></MsgType>{body}</xml>"
    ).encode()


@pytest.fixture
def callback(org, client):
    account = org.acct_a1_wechat
    org_services.credential_set(
        actor=SYSTEM, account=account, appid="wxinbox000000001", secret="s", callback_token=TOKEN
    )

    def push(xml, token=TOKEN):
        signature, timestamp, nonce = sign(token)
        return client.post(
            f"/api/v1/platform-callbacks/wechat/{account.pk}?signature={signature}&timestamp={timestamp}"
            f"&nonce={nonce}&openid=oReaderOpenid001",
            xml,
            content_type="text/xml",
        )

    push.account = account
    return push


def test_a_message_pushed_twice_makes_one_item(callback, staff, django_capture_on_commit_callbacks):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = callback(message_xml())
        assert response.status_code == 200 and response.content == b"success"
    (item,) = InboxItem.objects.all()
    assert (item.kind, item.message_type, item.platform_id) == ("message", "text", "m:24500000000000001")
    assert item.text == "请问办理居住证需要什么材料？" and item.author == "oReaderOpenid001"
    assert item.account == callback.account and item.agency_id == staff["editor"].role_assignments.first().agency_id
    assert item.received_at.timestamp() == 1772589600
    assert LedgerEvent.objects.filter(action="inbox.received", object_id=str(item.pk)).count() == 1
    assert staff["editor"].govcms_notifications.filter(kind="inbox_new").count() == 1


def test_a_forged_signature_is_refused_and_stored_nowhere(callback):
    seq = LedgerEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    response = callback(message_xml(), token="not-the-token")
    assert response.status_code == 403 and response.json()["error"]["code"] == "bad_signature"
    bare = Client().post(
        f"/api/v1/platform-callbacks/wechat/{callback.account.pk}", message_xml(), content_type="text/xml"
    )
    assert bare.status_code == 403
    assert not InboxItem.objects.exists()
    # Only the refusals themselves are on the ledger (as every refused API call is).
    assert set(LedgerEvent.objects.filter(seq__gt=seq).values_list("action", flat=True)) == {"api.denied"}


@pytest.mark.parametrize(
    ("msg_type", "text"),
    [("image", "[图片]"), ("voice", "[语音消息，请在公众平台收听]"), ("subscribe", "[关注了公众号]")],
)
def test_image_voice_and_subscribe_are_kept_as_placeholders(callback, msg_type, text):
    assert callback(message_xml(msg_type)).content == b"success"
    assert callback(message_xml(msg_type)).content == b"success"  # again: still one item
    (item,) = InboxItem.objects.all()
    assert (item.message_type, item.text) == (msg_type, text)
    expected_id = "e:oReaderOpenid001:1772589600" if msg_type == "subscribe" else "m:24500000000000001"
    assert item.platform_id == expected_id


def test_other_events_are_answered_and_dropped_and_garbage_is_refused(callback):
    assert callback(message_xml("unsubscribe")).content == b"success"
    assert callback(b"<xml><MsgType>text</MsgType></xml>").status_code == 400  # no sender, no MsgId
    assert callback(b"<!DOCTYPE x [<!ENTITY a 'b'>]><xml>&a;</xml>").status_code == 400
    assert not InboxItem.objects.exists()


def test_markup_and_controls_are_removed_and_long_text_is_cut(callback):
    assert (
        callback(message_xml(content="<script>alert(1)</script><a href='x'>链接</a>问" + "长" * 2100)).status_code
        == 200
    )
    item = InboxItem.objects.get()
    assert item.text.startswith("链接问") and "<" not in item.text and "alert" not in item.text
    assert len(item.text) == 2000 and item.text_truncated
    # Controls (which XML cannot carry, but a platform's JSON can) go too.
    assert sanitize_text("a\u0007b\u0000c\n d &amp; e") == ("abc\n d & e", False)
