"""Browser pages: the sandbox index, a timeline per fake account, published articles, images and
the Weibo authorize screen — so a person can see what the backends published, when and where.
"""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import weibo
from .protocol import ApiError, Request, Response, Route, html_response, redirect
from .state import local_time
from .wechat import PUBLISH_STATUS, find_item, job_status
from .wechat import seed_comment as wechat_seed_comment
from .wechat import seed_message as wechat_seed_message

if TYPE_CHECKING:
    from .app import Sandbox
    from .state import WeiboStatus

SHOWN = 200  # newest items per timeline page; the JSON state has them all

CSS = """
body{margin:0;background:#f2f3f5;color:#222;font:15px/1.6 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif}
header{background:#1f2d3d;color:#fff;padding:10px 20px}header a{color:#fff;text-decoration:none}
main{max-width:760px;margin:20px auto;padding:0 12px}
.card{background:#fff;border-radius:8px;padding:14px 16px;margin:0 0 12px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.meta{color:#888;font-size:13px}.who{display:flex;align-items:center;gap:10px;margin-bottom:6px}
.avatar{width:38px;height:38px;border-radius:50%;background:#ff8200;color:#fff;display:flex;
align-items:center;justify-content:center;font-weight:bold}.wechat .avatar{background:#07c160}
.badge{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;background:#e8f5e9;color:#2e7d32}
.badge.warn{background:#fff3e0;color:#e65100}.badge.bad{background:#ffebee;color:#c62828}
.deleted{opacity:.55}.deleted .text{text-decoration:line-through}
.cover{width:96px;height:64px;object-fit:cover;border-radius:4px;float:right;margin-left:10px}
.pic{max-width:240px;max-height:240px;border-radius:4px;display:block;margin-top:6px}
.item{overflow:hidden;border-top:1px solid #eee;padding:8px 0}.item:first-of-type{border-top:0}
.comments{background:#f7f7f7;border-radius:4px;padding:6px 10px;margin-top:8px;font-size:14px}
table{width:100%;border-collapse:collapse;background:#fff}td,th{padding:6px 8px;border-bottom:1px solid #eee;
text-align:left;font-size:14px}code{background:#f4f4f4;padding:0 4px;border-radius:3px}
article img{max-width:100%}
"""

_MMBIZ = re.compile(r"https?://mmbiz\.qpic\.cn/sandbox/([0-9a-f]+)\.\w+")
_LINK = re.compile(r"https?://[^\s<>\"']+")


def _when(epoch: float | None) -> str:
    return f"{local_time(epoch):%Y-%m-%d %H:%M:%S}" if epoch else ""


def _local_images(html_text: str) -> str:
    """mmbiz.qpic.cn URLs the sandbox handed out point back at the sandbox's own `/mmbiz/`."""
    return _MMBIZ.sub(r"/mmbiz/\1", html_text)


def _page(
    title: str, body: str, *, refresh: str | None = None, headers: dict | None = None, status: int = 200
) -> Response:
    meta = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh and refresh.isdigit() else ""
    return html_response(
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">{meta}'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{escape(title)}</title>'
        f'<style>{CSS}</style></head><body><header><a href="/_sandbox/">govcms 平台沙箱</a> · {escape(title)}'
        f"</header><main>{body}</main></body></html>",
        headers=headers,
        status=status,
    )


def _badge(text: str, tone: str = "") -> str:
    return f'<span class="badge {tone}">{escape(text)}</span>'


# --- index --------------------------------------------------------------------------------------


def index(sb: Sandbox, req: Request) -> Response:
    """Every fake account with its counts, pending faults, recent requests and the control API."""
    state = sb.state
    with state.lock:
        wechat_rows = "".join(
            f'<tr><td><a href="/_sandbox/accounts/wechat/{escape(a.appid)}">{escape(a.name)}</a></td>'
            f"<td><code>{escape(a.appid)}</code></td><td>{'已认证' if a.verified else _badge('未认证', 'warn')}</td>"
            f"<td>{a.counts['published']}</td><td>{a.counts['failed']}</td><td>{a.counts['callbacks_sent']}</td></tr>"
            for a in state.wechat_accounts.values()
        )
        weibo_rows = "".join(
            f'<tr><td><a href="/_sandbox/accounts/weibo/{a.uid}">{escape(a.screen_name)}</a></td>'
            f"<td><code>{a.uid}</code></td><td>{escape(', '.join(a.safe_domains))}</td>"
            f"<td>{a.counts['shares']}</td><td>{a.counts['deleted']}</td></tr>"
            for a in state.weibo_accounts.values()
        )
        request_rows = "".join(
            f"<tr><td>{_when(r['at'])[11:]}</td><td>{escape(r['method'])} <code>{escape(r['path'])}</code></td>"
            f"<td>{escape(str(r.get('account') or ''))}</td><td>{r['status']}</td>"
            f"<td>{escape(r.get('fault') or '')}</td></tr>"
            for r in reversed(list(state.requests)[-30:])
        )
    fault_rows = "".join(
        f"<tr><td>{f['id']}</td><td>{escape(f['kind'])}</td><td><code>{escape(f.get('path') or '*')}</code></td>"
        f"<td>{escape(f.get('account') or '*')}</td><td>{f['times']}</td></tr>"
        for f in sb.faults.pending()
    )
    body = (
        '<div class="card"><h3>微信公众号</h3><table><tr><th>名称</th><th>AppID</th><th>认证</th>'
        f"<th>已发布</th><th>失败</th><th>回调</th></tr>{wechat_rows}</table></div>"
        '<div class="card"><h3>微博</h3><table><tr><th>名称</th><th>UID</th><th>安全域名</th>'
        f"<th>已发</th><th>已删除</th></tr>{weibo_rows}</table></div>"
        '<div class="card"><h3>待触发的故障</h3><table><tr><th>#</th><th>类型</th><th>接口</th><th>账号</th>'
        f"<th>剩余次数</th></tr>{fault_rows or '<tr><td colspan=5>无</td></tr>'}</table></div>"
        '<div class="card"><h3>最近请求</h3><table><tr><th>时间</th><th>请求</th><th>账号</th><th>状态</th>'
        f"<th>故障</th></tr>{request_rows}</table></div>"
        '<div class="card"><h3>控制接口</h3><p class="meta">'
        "POST <code>/_sandbox/reset</code> · POST <code>/_sandbox/wechat/accounts</code> · "
        "POST <code>/_sandbox/weibo/accounts</code> · POST/GET/DELETE <code>/_sandbox/faults</code> · "
        "GET <code>/_sandbox/state</code> · POST <code>/_sandbox/clock</code> · "
        "GET <code>/_sandbox/callbacks</code> · GET <code>/_sandbox/requests</code></p></div>"
    )
    return _page("账号一览", body, refresh=req.query.get("refresh"))


# --- timelines ----------------------------------------------------------------------------------


def account_page(sb: Sandbox, req: Request) -> Response:
    platform, account_id = req.path_params["platform"], req.path_params["account_id"]
    if platform == "wechat":
        return _wechat_timeline(sb, req, account_id)
    if platform == "weibo" and account_id.isdigit():
        return _weibo_timeline(sb, req, int(account_id))
    return not_found(sb, req)


_STATUS_TONE = {0: "", 1: "warn", 5: "bad", 6: "bad"}


def _wechat_timeline(sb: Sandbox, req: Request, appid: str) -> Response:
    state = sb.state
    with state.lock:
        account = state.wechat_accounts.get(appid)
        if account is None:
            return not_found(sb, req)
        jobs = sorted((j for j in state.jobs.values() if j.appid == appid), key=lambda j: -j.publish_id)
        drafts = sum(1 for d in state.drafts.values() if d.appid == appid)
        cards = []
        for job in jobs[:SHOWN]:
            status = job_status(sb, job)
            article = state.articles.get(job.article_id or "")
            items = article.items if article else job.articles
            rows = []
            for i, item in enumerate(items, start=1):
                deleted = item.get("deleted_at")
                title = escape(item["title"])
                link = f'<a href="/s/{job.article_id}?idx={i}">{title}</a>' if article else title
                cover = f'<img class="cover" src="{_local_images(item["thumb_url"])}" alt="">'
                note = f" {_badge('已删除 ' + _when(deleted), 'bad')}" if deleted else ""
                comments = _wechat_comments(sb, job.msg_data_id, i - 1)
                if article and not deleted:
                    comments += _comment_form(
                        f"/_sandbox/accounts/wechat/{escape(appid)}/comments",
                        {"msg_data_id": job.msg_data_id, "index": i - 1},
                        "content",
                    )
                rows.append(
                    f'<div class="item{" deleted" if deleted else ""}">{cover}<div class="text"><b>{link}</b></div>'
                    f'<div class="meta">{escape(item["digest"])}</div>{note}{comments}</div>'
                )
            cards.append(
                f'<div class="card wechat"><div class="who"><div class="avatar">{escape(account.name[:1])}</div><div>'
                f"<b>{escape(account.name)}</b> {_badge(PUBLISH_STATUS.get(status, str(status)), _tone(status))}"
                f'<div class="meta">提交 {_when(job.submitted_at)} · 完成 {_when(job.finished_at) or "—"} · '
                f"publish_id {job.publish_id}</div></div></div>{''.join(rows)}</div>"
            )
    header = (
        f'<div class="card wechat"><div class="who"><div class="avatar">{escape(account.name[:1])}</div><div>'
        f"<b>{escape(account.name)}</b> {'' if account.verified else _badge('未认证：不能发布', 'warn')}"
        f'<div class="meta">AppID {escape(appid)} · 已发布 {account.counts["published"]} · 失败 '
        f"{account.counts['failed']} · 草稿 {drafts} · 回调 {account.counts['callbacks_sent']}</div></div></div></div>"
    )
    with state.lock:
        messages = _wechat_messages(sb, appid)
    empty = '<div class="card meta">还没有发布记录。</div>'
    body = _notice(req) + header + _message_form(appid) + messages + ("".join(cards) or empty)
    return _page(account.name, body, refresh=req.query.get("refresh"))


def _wechat_comments(sb: Sandbox, msg_data_id: int, index: int) -> str:
    """An article item's comments, each with the account's reply under it; elected (精选, shown
    publicly) and deleted ones marked. Call with the state lock held."""
    rows = []
    for c in sb.state.wechat_comments.values():
        if (c.msg_data_id, c.index) != (msg_data_id, index):
            continue
        marks = (_badge("精选") if c.elected else "") + (
            _badge("已删除 " + _when(c.deleted_at), "bad") if c.deleted_at else ""
        )
        reply = (
            f'<div class="reply" style="margin-left:18px"><b>作者回复</b>：{escape(c.reply["content"])} '
            f'<span class="meta">{_when(c.reply["create_time"])}</span></div>'
            if c.reply
            else ""
        )
        rows.append(
            f'<div class="c{" deleted" if c.deleted_at else ""}"><b>{escape(c.openid[-6:])}</b>：'
            f'<span class="text">{escape(c.content)}</span> <span class="meta">{_when(c.create_time)} · '
            f"id {c.user_comment_id}</span> {marks}{reply}</div>"
        )
    return f'<div class="comments">{"".join(rows)}</div>' if rows else ""


def _wechat_messages(sb: Sandbox, appid: str) -> str:
    """Followers' messages and the account's customer-service answers, oldest first. Lock held."""
    rows = "".join(
        f'<div style="margin-left:{0 if m.inbound else 18}px"><b>{escape(m.openid[-6:]) if m.inbound else "客服回复"}'
        f'</b>：{escape(m.content)} <span class="meta">{_when(m.at)}</span></div>'
        for m in sb.state.wechat_messages[-SHOWN:]
        if m.appid == appid
    )
    return f'<div class="card wechat"><h3>用户消息</h3><div class="comments">{rows}</div></div>' if rows else ""


def _tone(status: int) -> str:
    return _STATUS_TONE.get(status, "bad")


def _linkify(text: str) -> str:
    return _LINK.sub(lambda m: f'<a href="{m.group(0)}" rel="noreferrer">{m.group(0)}</a>', escape(text))


def _weibo_card(sb: Sandbox, name: str, status: WeiboStatus) -> str:
    image = sb.state.images.get(status.pic_id or "")
    pic = f'<img class="pic" src="/sinaimg/{image.image_id}" alt="">' if image else ""
    deleted = status.deleted_at is not None
    note = f" {_badge('已删除 ' + _when(status.deleted_at), 'bad')}" if deleted else ""
    all_comments = [sb.state.weibo_comments[i] for i in status.comment_ids]
    replies: dict[int, list] = {}
    for c in all_comments:
        if c.reply_to is not None:
            replies.setdefault(c.reply_to, []).append(c)

    def line(c, depth: int) -> str:
        # A reply shows indented under the comment it answers (and its own replies under it).
        gone = f" {_badge('已删除 ' + _when(c.deleted_at), 'bad')}" if c.deleted_at else ""
        nested = "".join(line(r, depth + 1) for r in replies.get(c.id, []))
        return (
            f'<div class="c{" deleted" if c.deleted_at else ""}" style="margin-left:{depth * 18}px">'
            f'<b>{escape(c.user_name)}</b>{"（回复）" if depth else ""}：<span class="text">{escape(c.text)}</span> '
            f'<span class="meta">{_when(c.created_at)} · id {c.id}</span>{gone}</div>{nested}'
        )

    roots = [c for c in all_comments if c.reply_to is None or c.reply_to not in sb.state.weibo_comments]
    comments = "".join(line(c, 0) for c in roots)
    form = (
        ""
        if deleted
        else _comment_form(f"/_sandbox/accounts/weibo/{status.uid}/comments", {"status_id": status.id}, "text")
    )
    return (
        f'<div class="card{" deleted" if deleted else ""}"><div class="who">'
        f'<div class="avatar">{escape(name[:1])}</div><div><b>{escape(name)}</b>{note}'
        f'<div class="meta">{_when(status.created_at)} · id {status.id}</div></div></div>'
        f'<div class="text">{_linkify(status.text)}</div>{pic}'
        + (f'<div class="comments">{comments}</div>' if comments else "")
        + form
        + "</div>"
    )


def _weibo_timeline(sb: Sandbox, req: Request, uid: int) -> Response:
    state = sb.state
    with state.lock:
        account = state.weibo_accounts.get(uid)
        if account is None:
            return not_found(sb, req)
        ids = state.timelines.get(uid, [])
        cards = "".join(_weibo_card(sb, account.screen_name, state.statuses[i]) for i in reversed(ids[-SHOWN:]))
        header = (
            f'<div class="card"><div class="who"><div class="avatar">{escape(account.screen_name[:1])}</div><div>'
            f'<b>{escape(account.screen_name)}</b><div class="meta">UID {uid} · 已发 {account.counts["shares"]} · '
            f"已删除 {account.counts['deleted']} · 每小时上限 {account.hourly_limit} · 安全域名 "
            f"{escape(', '.join(account.safe_domains))}</div></div></div></div>"
        )
    empty = '<div class="card meta">还没有微博。</div>'
    return _page(account.screen_name, _notice(req) + header + (cards or empty), refresh=req.query.get("refresh"))


# --- seeding from the timeline pages -----------------------------------------------------------
# The same seeding as the control API (`wechat.seed_comment`, `wechat.seed_message`,
# `weibo.seed_comment`), from plain HTML forms, so a person trying the inbox in the demo can play
# the public: comment under a post, or write to the WeChat account (pushed, signed, to its
# callback like WeChat does). The form posts back here and the page reloads (303) with a notice.

TEXT_LIMIT = 2000  # characters a reader may type here (the platforms' own limits are lower)
MESSAGE_TYPES = {"text": "文字", "image": "图片", "voice": "语音", "subscribe": "关注事件"}


def _comment_form(action: str, hidden: dict, field: str) -> str:
    inputs = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(str(v))}">' for k, v in hidden.items())
    return (
        f'<form class="seed" method="post" action="{action}" style="margin-top:8px;display:flex;gap:6px">{inputs}'
        f'<input name="{field}" required maxlength="{TEXT_LIMIT}" placeholder="以读者身份发表评论" '
        'style="flex:1;padding:4px 8px"><button type="submit">发表评论</button></form>'
    )


def _message_form(appid: str) -> str:
    options = "".join(f'<option value="{k}">{escape(v)}</option>' for k, v in MESSAGE_TYPES.items())
    return (
        f'<div class="card wechat"><form class="seed" method="post" '
        f'action="/_sandbox/accounts/wechat/{escape(appid)}/messages" style="display:flex;gap:6px">'
        f'<select name="msg_type">{options}</select><input name="content" maxlength="{TEXT_LIMIT}" '
        'placeholder="以粉丝身份给公众号发消息" style="flex:1;padding:4px 8px">'
        '<button type="submit">发送消息</button></form>'
        '<div class="meta">消息会像微信一样签名推送到该账号配置的回调地址。</div></div>'
    )


NOTICES = {"comment": "评论已发表。", "message": "消息已推送，回调答复 HTTP {status}。"}


def _notice(req: Request) -> str:
    text = NOTICES.get(req.query.get("seeded", ""))
    if not text:
        return ""
    status = req.query.get("status", "")
    tone = "" if status in ("", "200") else "warn"
    return f'<div class="card">{_badge(text.format(status=escape(status) or "—"), tone)}</div>'


def _back(platform: str, account_id: str, **query: str) -> Response:
    location = f"/_sandbox/accounts/{platform}/{account_id}?{urlencode(query)}"
    return Response(status=303, content_type="text/plain", headers={"Location": location})


def _refused(reason: str) -> Response:
    body = f'<div class="card">{_badge("没有发送", "bad")} {escape(reason)}</div>'
    return _page("没有发送", body + '<div class="card"><a href="javascript:history.back()">返回</a></div>', status=400)


def _typed_text(req: Request, field: str) -> str | None:
    text = (req.form()[0].get(field) or "").strip()
    if not text or len(text) > TEXT_LIMIT or any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        return None
    return text


def seed_comment_from_page(sb: Sandbox, req: Request) -> Response:
    """POST from a timeline: a reader's comment on a live WeChat article item or Weibo status."""
    platform, account_id = req.path_params["platform"], req.path_params["account_id"]
    fields = req.form()[0]
    field = "content" if platform == "wechat" else "text"
    text = _typed_text(req, field)
    if text is None:
        return _refused(f"评论内容不能为空，也不能超过 {TEXT_LIMIT} 字或含控制字符。")
    try:
        if platform == "wechat":
            spec = {"appid": account_id, "msg_data_id": int(fields.get("msg_data_id", "")), "content": text}
            spec["index"] = int(fields.get("index") or 0)
            with sb.state.lock:
                _, item = find_item(sb, account_id, spec["msg_data_id"], spec["index"])
                if item.get("deleted_at"):
                    return _refused("这篇文章已删除。")
            wechat_seed_comment(sb, spec)
        elif platform == "weibo" and account_id.isdigit():
            status = sb.state.statuses.get(int(fields.get("status_id", "")))
            if status is None or status.uid != int(account_id) or status.deleted_at is not None:
                return _refused("这条微博不存在或已删除。")
            weibo.seed_comment(sb, {"status_id": status.id, "text": text})
        else:
            return not_found(sb, req)
    except (KeyError, ValueError, ApiError):
        return _refused("这条内容不存在或已删除。")
    return _back(platform, account_id, seeded="comment")


def seed_message_from_page(sb: Sandbox, req: Request) -> Response:
    """POST from a WeChat timeline: a follower's message (or subscribe event), pushed once."""
    appid = req.path_params["account_id"]
    msg_type = req.form()[0].get("msg_type") or "text"
    if msg_type not in MESSAGE_TYPES:
        return _refused("不支持的消息类型。")
    spec = {"appid": appid, "msg_type": msg_type}
    if msg_type == "text":
        text = _typed_text(req, "content")
        if text is None:
            return _refused(f"消息内容不能为空，也不能超过 {TEXT_LIMIT} 字或含控制字符。")
        spec["content"] = text
    with sb.state.lock:
        account = sb.state.wechat_accounts.get(appid)
        if account is None:
            return not_found(sb, req)
        if not account.callback_url:
            return _refused("该公众号没有配置回调地址（callback_url），消息无处推送。")
    answer = wechat_seed_message(sb, spec)
    statuses = [str(d.get("http_status", "无法连接")) for d in answer.get("deliveries", [])]
    return _back("wechat", appid, seeded="message", status=statuses[-1] if statuses else "")


# --- articles, images ---------------------------------------------------------------------------


def article(sb: Sandbox, req: Request) -> Response:
    """The page behind an article_url; scripts are disabled by CSP since bodies are stored as sent."""
    with sb.state.lock:
        published = sb.state.articles.get(req.path_params["article_id"])
        account = sb.state.wechat_accounts.get(published.appid) if published else None
        idx = req.query.get("idx", "1")
        if published is None or not idx.isdigit() or not 1 <= int(idx) <= len(published.items):
            return not_found(sb, req)
        item = published.items[int(idx) - 1]
    if item["deleted_at"]:
        body = '<div class="card"><p>该内容已被发布者删除</p></div>'
    else:
        source = item["content_source_url"]
        more = f'<p><a href="{escape(source)}">阅读原文</a></p>' if source else ""
        body = (
            f'<div class="card"><article><h2>{escape(item["title"])}</h2><p class="meta">{escape(item["author"])} '
            f"{escape(account.name if account else '')} {_when(published.published_at)}</p>"
            f"{_local_images(item['content'])}{more}</article></div>"
        )
    csp = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
    return _page(item["title"], body, headers={"Content-Security-Policy": csp})


def image(sb: Sandbox, req: Request) -> Response:
    """Uploaded bytes back, so article bodies, covers and Weibo pictures render in the browser."""
    found = sb.state.images.get(req.path_params["name"].split(".", 1)[0])
    if found is None:
        return not_found(sb, req)
    return Response(body=found.data, content_type=found.content_type, headers={"Cache-Control": "max-age=3600"})


def not_found(sb: Sandbox, req: Request) -> Response:
    return _page("未找到", '<div class="card">没有这个页面。<a href="/_sandbox/">返回账号一览</a></div>', status=404)


# --- Weibo authorize ----------------------------------------------------------------------------


def authorize(sb: Sandbox, req: Request) -> Response:
    """GET shows the fake accounts to log in as; POST hands a code back to redirect_uri."""
    client_id, redirect_uri, state_param = (req.value(n) or "" for n in ("client_id", "redirect_uri", "state"))
    if not client_id or not redirect_uri:
        raise ApiError(21323)
    app = sb.state.weibo_apps.get(client_id)
    if app is not None and app.redirect_uri and app.redirect_uri != redirect_uri:
        raise ApiError(21322)
    if req.method == "POST":
        uid = req.value("uid") or ""
        try:
            code = weibo.issue_code(sb, int(uid), client_id, redirect_uri)
        except (KeyError, ValueError) as exc:
            raise ApiError(21323) from exc
        parts = urlsplit(redirect_uri)
        query = parse_qsl(parts.query) + [("code", code)] + ([("state", state_param)] if state_param else [])
        return redirect(urlunsplit(parts._replace(query=urlencode(query))))
    with sb.state.lock:
        choices = "".join(
            f'<p><label><input type="radio" name="uid" value="{a.uid}"{" checked" if i == 0 else ""}> '
            f"{escape(a.screen_name)} <span class=meta>UID {a.uid}</span></label></p>"
            for i, a in enumerate(sb.state.weibo_accounts.values())
        )
    hidden = "".join(
        f'<input type="hidden" name="{n}" value="{escape(v)}">'
        for n, v in (("client_id", client_id), ("redirect_uri", redirect_uri), ("state", state_param))
    )
    form = (
        f'<div class="card"><p>应用 <code>{escape(client_id)}</code> 请求授权访问你的微博账号。'
        "选择要登录的沙箱账号：</p>"
        f'<form method="post" action="/oauth2/authorize">{hidden}{choices or "<p>沙箱中还没有微博账号。</p>"}'
        '<p><button type="submit">授权</button></p></form></div>'
    )
    return _page("微博授权", form)


def home(sb: Sandbox, req: Request) -> Response:
    return redirect("/_sandbox/")


ROUTES = [
    Route(("GET",), "/", home),
    Route(("GET",), "/_sandbox", home),
    Route(("GET",), "/_sandbox/", index),
    Route(("GET",), "/_sandbox/accounts/<platform>/<account_id>", account_page),
    Route(("POST",), "/_sandbox/accounts/<platform>/<account_id>/comments", seed_comment_from_page),
    Route(("POST",), "/_sandbox/accounts/wechat/<account_id>/messages", seed_message_from_page),
    Route(("GET",), "/s/<article_id>", article),
    Route(("GET",), "/mmbiz/<name>", image),
    Route(("GET",), "/sinaimg/<name>", image),
    Route(("GET", "POST"), "/oauth2/authorize", authorize, "weibo"),
]
