"""A WeChat article written through the API is approved in the Wagtail editor as it was submitted.

The editor's rich-text field round-trips the stored HTML through its own format (Draftail's
contentstate) and posts back a normalised body; that is not an edit, while a real change of the
text by the reviewer still is. What reaches the platform and the site is the approved revision.
"""

import json
import re

import httpx
import pytest
from wagtail.test.utils.form_data import querydict_from_html

from editorial.models import ReviewRecord, ReviewStep, WechatArticlePage
from editorial.richtext import StoredBodyEditor, editor_view, xhtml_voids
from publishing.models import Publication
from tests.publishing.test_pipeline import drive

pytestmark = pytest.mark.django_db

# Varied HTML as an API client sends it: headings, emphasis, links with odd quoting and targets,
# lists, line breaks, a rule, an image of our own storage, markup the editor has no button for,
# attribute quirks and runs of whitespace.
BODY = """
<h2 class="title" id="t1">寒潮蓝色预警</h2>
<p style="text-align: center">今夜起   气温下降<b>8至10℃</b>，请<i>注意</i><strong>防寒</strong>。<br>
出行请<em>关注</em><a href='https://www.gov.cn/zhengce/?a=1&amp;b=2' target="_blank" title="政策">最新通知</a>。</p>
<ul><li>关好门窗</li><li>添衣保暖 <B>重点人群</B></li></ul>
<ol><li>老人</li><li>儿童</li></ol>
<hr>
<h3>防范措施</h3><h4>农业</h4>
<p><img src="{image}" alt="示意图"></p>
<blockquote>气象台提醒</blockquote>
<table><tr><td>最低气温</td><td>-5℃</td></tr></table>
<p><span style="color: rgb(255, 0, 0)">红色字</span>&nbsp;结束。</p>
"""
TAMPERED = "未经审核的内容"


def editor_form(client, url, **changes):
    """The edit page's form exactly as the browser would post it (rendered initial values)."""
    response = client.get(url)
    assert response.status_code == 200, response.content.decode()[:2000]
    page = response.content.decode()
    form = querydict_from_html(page, form_id="page-edit-form")
    # A ticked checkbox without a value attribute is sent as "on" by browsers (the helper sends "").
    for name in re.findall(r'<input type="checkbox" name="([^"]+)"(?![^>]*value=)[^>]*checked', page):
        form.setlist(name, ["on"])
    form.update(changes)
    return {key: form.getlist(key) for key in form}


def test_reviewer_approves_an_api_article_in_the_editor_and_the_approved_body_goes_out(
    org, staff, leaders, cover, image, api, accounts, sandbox, admin_client_for, client
):
    body = BODY.format(image=image.file.url)
    editor = api("editor")
    created = editor.post(
        "/api/v1/posts",
        {"account_id": org.acct_a1_wechat.pk, "kind": "wechat", "title": "寒潮来袭", "author": "县融媒体中心",
         "body": body, "cover_image": cover.pk},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    post_id = created.json()["id"]
    assert editor.post(f"/api/v1/posts/{post_id}/submit", {}).status_code == 200
    post = WechatArticlePage.objects.get(pk=post_id)
    submitted = post.latest_revision_id
    stored_body = post.get_latest_revision_as_object().body
    assert 'src="/media/' in stored_body and "<table>" in stored_body, "the API kept what the sanitiser allows"

    reviewer = admin_client_for(staff["reviewer"])
    url = f"/admin/pages/{post_id}/edit/"
    step = ReviewStep.objects.get(post_id=post_id, open=True)

    # The editor's body is not the stored HTML (the round-trip normalises it), yet is no edit.
    posted = editor_form(reviewer, url)
    assert posted["body"][0] != stored_body
    # A real change of the text while deciding is still refused, nothing is saved or approved.
    tampered = editor_form(reviewer, url, **{"action-workflow-action": "true", "workflow-action-name": "approve"})
    state = json.loads(tampered["body"][0])
    [block] = [block for block in state["blocks"] if block["text"] == "关好门窗"]
    block["text"] = TAMPERED  # what typing in the editor sends
    tampered["body"] = [json.dumps(state)]
    refused = reviewer.post(url, tampered)
    assert refused.status_code == 200 and "不能修改" in refused.content.decode()
    assert ReviewStep.objects.get(pk=step.pk).open, "not approved"
    assert WechatArticlePage.objects.get(pk=post_id).latest_revision_id == submitted

    # Approving posts the untouched form back: accepted, with no new revision.
    approve = editor_form(reviewer, url, **{"action-workflow-action": "true", "workflow-action-name": "approve"})
    answer = reviewer.post(url, approve)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    assert not ReviewStep.objects.get(pk=step.pk).open
    assert ReviewRecord.objects.get(post_id=post_id, user=staff["reviewer"]).revision_id == submitted
    assert WechatArticlePage.objects.get(pk=post_id).latest_revision_id == submitted, "no new revision"
    assert WechatArticlePage.objects.get(pk=post_id).body == stored_body, "the page keeps the stored bytes"

    # The signer decides in the editor too, then the post is released and published.
    signer = admin_client_for(staff["signer"])
    answer = signer.post(url, editor_form(signer, url, **{"action-workflow-action": "true",
                                                          "workflow-action-name": "approve"}))  # fmt: skip
    assert answer.status_code == 302, answer.content.decode()[:3000]
    final = ReviewRecord.objects.get(post_id=post_id, final=True)
    post = WechatArticlePage.objects.get(pk=post_id)
    assert final.revision_id == submitted == post.latest_revision_id == post.live_revision_id
    assert final.revision.as_object().body == stored_body, "the approved revision is the submitted body"

    pub = drive(Publication.objects.get(post_id=post_id).pk)
    assert pub.status == "published", pub.last_error
    assert pub.revision_id == final.revision_id
    article = httpx.get(pub.url).text
    site = client.get(f"/p/{post_id}/", follow=True).content.decode()
    for text in ("寒潮蓝色预警", "8至10℃", "最新通知", "添衣保暖", "最低气温", "红色字", "气象台提醒"):
        assert text in article and text in site, text
    assert TAMPERED not in article and TAMPERED not in site
    assert sandbox.state()["wechat"]["wxtest0000000001"]["counts"]["uploads"] == 1, "the body image went out"


def test_the_editor_view_reads_stored_bodies_and_tells_real_changes_apart():
    widget = StoredBodyEditor()

    def view(html):
        return editor_view(html, widget)

    assert xhtml_voids('<p>a<br>b<img src="/media/x.png" alt="x"><br/></p><hr class="x" >') == (
        '<p>a<br/>b<img src="/media/x.png" alt="x"/><br/></p><hr class="x"/>'
    )
    stored = "<p>a  <b>b</b><br>c</p><ul><li>x</li></ul><hr><p><img src='/media/x.png'></p>"
    posted = widget.value_from_datadict({"body": widget.format_value(stored)}, {}, "body")
    assert posted != stored and view(posted) == view(stored), "the editor's round-trip is no change"
    assert view(widget.value_from_datadict({"body": widget.format_value(posted)}, {}, "body")) == view(posted)
    assert view("<p>a <b>b</b></p>") == view("<p>a <strong>b</strong></p>")
    assert view("<p>a</p>") != view("<p>b</p>")
    assert view("<p><b>a</b></p>") != view("<p><i>a</i></p>")
    assert view("<h2>a</h2>") != view("<h3>a</h3>")
    assert view('<p><a href="https://a.gov.cn/">x</a></p>') != view('<p><a href="https://b.gov.cn/">x</a></p>')
    assert view("<p>a</b>") is None, "unreadable: never taken as unchanged"
