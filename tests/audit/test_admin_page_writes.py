"""Ledger events of page writes made in the Wagtail admin commit or roll back with the write."""

import pytest
from django.db.models.signals import post_save
from wagtail.signals import workflow_submitted
from wagtail.test.utils.form_data import querydict_from_html

from audit.models import LedgerEvent
from editorial.models import CheckRun, WeiboPostPage

# Real transactions: Wagtail's views commit on their own, which a test-wide transaction would hide.
pytestmark = pytest.mark.django_db(transaction=True)


class Refused(Exception):
    """Raised by a receiver connected only in these tests: a failure later in the same request."""


def refuse(**kwargs):
    raise Refused


def edit_form(client, post_id, **changes):
    response = client.get(f"/admin/pages/{post_id}/edit/")
    assert response.status_code == 200
    form = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    form.update(changes)
    return {key: form.getlist(key) for key in form}


def test_edit_failing_after_the_ledger_write_leaves_no_event_and_a_success_leaves_one(
    org, staff, api, admin_client_for
):
    fields = {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "title": "降温提示", "body": "明天降温。"}
    created = api("editor").post("/api/v1/posts", fields)
    assert created.status_code == 201, created.content
    post_id = created.json()["id"]
    post = WeiboPostPage.objects.get(pk=post_id)
    revisions = post.revisions.count()
    client = admin_client_for(staff["editor"])
    data = edit_form(client, post_id, body="明天降温，注意保暖。")

    def updates():
        return LedgerEvent.objects.filter(action="post.updated", object_type="post", object_id=str(post_id)).count()

    # The check run is created after "post.updated" is recorded, in the same request.
    post_save.connect(refuse, sender=CheckRun, dispatch_uid="test.refuse_check_run")
    try:
        with pytest.raises(Refused):
            client.post(f"/admin/pages/{post_id}/edit/", data)
    finally:
        post_save.disconnect(sender=CheckRun, dispatch_uid="test.refuse_check_run")
    assert updates() == 0
    assert post.revisions.count() == revisions, "the write rolled back with its event"
    assert "注意保暖" not in WeiboPostPage.objects.get(pk=post_id).get_latest_revision_as_object().body

    response = client.post(f"/admin/pages/{post_id}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert updates() == 1
    assert post.revisions.count() == revisions + 1
    [event] = LedgerEvent.objects.filter(action="post.updated", object_id=str(post_id))
    assert event.actor == "editor" and event.scope == post.path
    assert event.data["revision_id"] == WeiboPostPage.objects.get(pk=post_id).latest_revision_id


def test_create_and_submit_failing_midway_leaves_neither_page_nor_event(org, staff, admin_client_for):
    client = admin_client_for(staff["editor"])
    add_url = f"/admin/pages/add/editorial/weibopostpage/{org.acct_a1_weibo.pk}/"
    data = {"title": "停水通知", "slug": "water", "body": "明日停水。", "action-submit": "1"}

    workflow_submitted.connect(refuse, dispatch_uid="test.refuse_submission")
    try:
        with pytest.raises(Refused):
            client.post(add_url, data)
    finally:
        workflow_submitted.disconnect(dispatch_uid="test.refuse_submission")
    # Wagtail's create view has no transaction of its own: the page and its revision were
    # committed before the submission failed, and the hook that records "post.created" never ran.
    assert not WeiboPostPage.objects.exists()
    assert not LedgerEvent.objects.filter(object_type="post").exists()

    response = client.post(add_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    post = WeiboPostPage.objects.get()
    assert post.status == "in_review"
    assert [e.action for e in LedgerEvent.objects.filter(action__in=("post.created", "post.submitted"))] == [
        "post.submitted",
        "post.created",
    ]
