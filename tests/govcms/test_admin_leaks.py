"""Every admin URL, probed from the wrong jurisdiction, answers exactly as for a missing object
and shows no foreign title, username or count.

The URL patterns are taken from the resolver (what the project and Wagtail register under
/admin/), so a view added later is probed too. Each pattern is requested twice: once with the ids of
another jurisdiction's objects (page, revision, image, document, user, workflow state, task state,
assignment, collection, group) and once with ids that do not exist; the two statuses must be equal.
Listing, chooser, search, report and bulk-action URLs are requested with a query naming the foreign
objects (`?q=` a word of their titles, `?id=`, report filters by foreign user or collection), and
again with one naming nothing.
"""

import re
from dataclasses import dataclass

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from wagtail.admin.views.bulk_action.registry import bulk_action_registry
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import TaskState, WorkflowState

from editorial import services as editorial_services
from govcms.services import agency_collection_ensure
from tests.factories import UserFactory, account, grant

pytestmark = pytest.mark.django_db

# A Latin word shared by every post and image title, so searches match them whatever the search
# backend does with Chinese; the Chinese part of each title is what must never appear.
WORD = "Zephyrine"
MISSING = 987_654_321

# Views that end the session, test error pages, or serve static resources: nothing to scope.
SKIPPED_NAMES = {
    "wagtailadmin_logout",
    "wagtailadmin_login",
    "wagtailadmin_error_test",
    "wagtailadmin_sprite",
    "wagtailadmin_javascript_catalog",
    "wagtailadmin_password_reset",
    "wagtailadmin_password_reset_done",
    "wagtailadmin_password_reset_confirm",
    "wagtailadmin_password_reset_complete",
    "publishing_admin:weibo_callback",
}


@dataclass
class Side:
    """One jurisdiction's objects, and the strings that must not leak from it."""

    page: object  # an account page
    post: object
    revision_a: object
    revision_b: object
    image: object
    document: object
    user: object
    assignment: object
    collection: object
    group: object
    workflow_state: object
    task_state: object
    markers: tuple[str, ...]


def build_side(org, *, county, account, tag: str) -> Side:
    """A post in `account` (two revisions, submitted, locked), an image and a document in the
    county's collection, and its editor, all named with `tag`."""
    user = UserFactory(username=f"spy_{tag}", first_name=f"{tag}间谍")
    assignment = grant(user, "editor", county)
    grant(UserFactory(username=f"rev_{tag}"), "reviewer", county)
    post = editorial_services.post_create(
        actor=user, account=account, kind=account.platform, title=f"{WORD} {tag}机密通知", body=f"{tag}机密正文"
    )
    post = editorial_services.post_update(actor=user, post=post, body=f"{tag}机密正文第二稿")
    editorial_services.post_submit(actor=user, post=post)
    post.refresh_from_db()
    type(post).objects.filter(pk=post.pk).update(locked=True, locked_by=user)
    revision_a, revision_b = post.revisions.order_by("id")[:2]
    collection = agency_collection_ensure(agency=county)
    image = get_image_model().objects.create(
        title=f"{WORD} {tag}机密图片", file=get_test_image_file(), collection=collection, uploaded_by_user=user
    )
    document = get_document_model().objects.create(
        title=f"{WORD} {tag}机密文件", file=get_test_image_file(), collection=collection, uploaded_by_user=user
    )
    workflow_state = WorkflowState.objects.get(object_id=str(post.pk))
    task_state = TaskState.objects.filter(workflow_state=workflow_state).first()
    group = user.groups.first()
    markers = (f"{tag}机密", f"spy_{tag}", f"{tag}间谍", f"rev_{tag}", county.title, account.title)
    return Side(
        page=account,
        post=post,
        revision_a=revision_a,
        revision_b=revision_b,
        image=image,
        document=document,
        user=user,
        assignment=assignment,
        collection=collection,
        group=group,
        workflow_state=workflow_state,
        task_state=task_state,
        markers=markers,
    )


def admin_patterns():
    """(namespaced name, pattern) of every named URL pattern under /admin/."""

    def walk(patterns, prefix, namespaces):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern) and pattern.name and prefix.startswith("admin/"):
                yield ":".join((*namespaces, pattern.name)), pattern

    return list(walk(get_resolver().url_patterns, "", ()))


def kwarg_names(pattern) -> list[str]:
    regex = pattern.pattern.regex
    return list(regex.groupindex)


def fill(name: str, kwarg: str, side: Side | None):
    """The value of URL kwarg `kwarg` of the view `name`: `side`'s object id, or a missing id."""
    if kwarg in ("content_type_app_name", "app_name"):
        return "editorial"
    if kwarg in ("content_type_model_name",):
        return "weibopostpage"
    if kwarg == "filter_spec":
        return "original"
    if kwarg in ("app_label", "model_name", "action", "uidb64", "token", "object_id", "str"):
        return None  # handled elsewhere or not probed
    if side is None:
        return MISSING
    by_kwarg = {
        "page_id": side.post.pk,
        "parent_page_id": side.page.pk,
        "page_to_move_id": side.post.pk,
        "destination_id": side.page.pk,
        "page_pk": side.post.pk,
        "revision_id": side.revision_b.pk,
        "revision_id_a": side.revision_a.pk,
        "revision_id_b": side.revision_b.pk,
        "task_state_id": side.task_state.pk,
        "workflow_state_id": side.workflow_state.pk,
        "workflow_pk": side.workflow_state.workflow_id,
        "image_id": side.image.pk,
        "document_id": side.document.pk,
        "doc_id": side.document.pk,
        "collection_id": side.collection.pk,
        "account_id": side.page.pk,
    }
    if kwarg in by_kwarg:
        return by_kwarg[kwarg]
    if kwarg == "pk":
        namespace = name.rsplit(":", 1)[0]
        if namespace in ("wagtailadmin_pages", "editorial_post_read", "editorial_posts", "wagtailadmin_api:pages"):
            return side.post.pk
        if namespace in ("wagtailimages_chooser", "wagtailadmin_api:images"):
            return side.image.pk
        if namespace in ("wagtaildocs_chooser", "wagtailadmin_api:documents"):
            return side.document.pk
        if namespace == "wagtailusers_users":
            return side.user.pk
        if namespace == "wagtailusers_groups":
            return side.group.pk
        if namespace == "wagtailadmin_collections":
            return side.collection.pk
        if namespace == "govcms_assignments":
            return side.assignment.pk
    return MISSING  # global objects (sites, snippets, workflows, campaigns…): not jurisdictional


def url_for(name: str, pattern, side: Side | None) -> str | None:
    kwargs = {}
    for kwarg in kwarg_names(pattern):
        value = fill(name, kwarg, side)
        if value is None:
            return None
        kwargs[kwarg] = value
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def query_probes(foreign: Side):
    """(foreign query, missing query) pairs for listings, choosers, search and report filters."""
    yield {"q": WORD}, {"q": "Nonexistentword"}
    users = ("user", "requested_by", "locked_by", "owner", "uploaded_by_user", "edited_by", "finished_by")
    objects = {"collection_id": foreign.collection.pk, "parent": foreign.page.pk, "page": foreign.post.pk}
    yield (
        {**dict.fromkeys(users, foreign.user.pk), **objects},
        {**dict.fromkeys(users, MISSING), **dict.fromkeys(objects, MISSING)},
    )


def bulk_action_urls():
    bulk_action_registry._scan_for_bulk_actions()
    for app_label, models in bulk_action_registry.actions.items():
        for model_name, actions in models.items():
            for action in actions:
                yield (
                    reverse(
                        "wagtail_bulk_action",
                        kwargs={"app_label": app_label, "model_name": model_name, "action": action},
                    ),
                    model_name,
                )


def bulk_id(model_name: str, side: Side | None):
    if side is None:
        return MISSING
    return {
        "page": side.post.pk,
        "image": side.image.pk,
        "document": side.document.pk,
        "user": side.user.pk,
    }.get(model_name, MISSING)


def probe(client, foreign: Side) -> list[str]:
    """Every admin request as `client`, foreign vs missing; the problems found."""
    problems = []
    seen = set()
    client.raise_request_exception = False  # a 500 is a finding like any other

    missing_responses = {}

    def compare(label, foreign_url, missing_url):
        if foreign_url in seen:
            return
        seen.add(foreign_url)
        got = client.get(foreign_url)
        if missing_url not in missing_responses:
            missing_responses[missing_url] = client.get(missing_url)
        want = missing_responses[missing_url]
        body = got.content.decode(errors="replace") + want.content.decode(errors="replace")
        leaked = [m for m in foreign.markers if m in body]
        if leaked:
            problems.append(f"{label} {foreign_url}: shows {leaked}")
        if got.status_code != want.status_code:
            problems.append(f"{label} {foreign_url}: {got.status_code} but {want.status_code} when missing")

    for name, pattern in admin_patterns():
        if name in SKIPPED_NAMES or name == "wagtail_bulk_action":
            continue
        foreign_url = url_for(name, pattern, foreign)
        missing_url = url_for(name, pattern, None)
        if foreign_url is None:
            continue
        compare(name, foreign_url, missing_url)
        if any(fill(name, kwarg, None) == MISSING for kwarg in kwarg_names(pattern)):
            continue  # the object is the probe; listings and searches get the queries
        for foreign_query, missing_query in query_probes(foreign):
            compare(
                name,
                f"{foreign_url}?{'&'.join(f'{k}={v}' for k, v in foreign_query.items())}",
                f"{missing_url}?{'&'.join(f'{k}={v}' for k, v in missing_query.items())}",
            )
    for url, model_name in bulk_action_urls():
        compare("bulk", f"{url}?id={bulk_id(model_name, foreign)}", f"{url}?id={MISSING}")
        if model_name == "page":
            compare("bulk", f"{url}?id=all&childOf={foreign.page.pk}", f"{url}?id=all&childOf={MISSING}")
    return problems


@pytest.fixture
def sides(org, make_user):
    return {
        "a2": build_side(org, county=org.county_a2, account=org.acct_a2_weibo, tag="甲二"),
        "b1": build_side(org, county=org.county_b1, account=account(org.county_b1, name="乙一微博"), tag="乙一"),
    }


def test_county_editor_sees_nothing_of_another_county(org, make_user, sides, admin_client_for):
    editor = make_user("ed_a1", "editor", org.county_a1)
    client = admin_client_for(editor)
    # Control: the editor's own post is found by the same search the probes use.
    own = editorial_services.post_create(
        actor=editor, account=org.acct_a1_weibo, kind="weibo", title=f"{WORD} 甲一本县通知", body="本县正文"
    )
    search = client.get(f"/admin/choose-page/search/?q={WORD}").content.decode()
    assert own.title in search
    problems = probe(client, sides["a2"])
    assert not problems, "\n".join(problems)


def test_city_auditor_sees_nothing_of_another_city(org, make_user, sides, admin_client_for):
    client = admin_client_for(make_user("aud_a", "auditor", org.city_a))
    problems = probe(client, sides["b1"])
    assert not problems, "\n".join(problems)


def test_page_types_usage_counts_only_pages_inside(org, make_user, sides, admin_client_for):
    # A city signer may use the report (Wagtail asks for add/change/publish on some page).
    client = admin_client_for(make_user("signer_a", "signer", org.city_a))
    html = client.get("/admin/reports/page-types-usage/results/").content.decode()
    # Inside city A: one Weibo post (county A2's); city B's Weibo post is not counted.
    row = re.search(r"weibopostpage.*?</tr>", html, re.S) or re.search(r"微博.*?</tr>", html, re.S)
    assert row is not None, html[:2000]
    assert re.search(r">\s*1\s*<", row.group(0)), row.group(0)
    assert "乙一" not in html


def test_site_history_lists_only_entries_inside(org, make_user, sides, admin_client_for):
    """Wagtail lists a page's log to whoever may explore the page, and the agencies above one's
    own are explorable (to navigate down): their entries are outside all the same."""
    from wagtail.log_actions import log

    log(instance=org.province, action="wagtail.publish", title="测试省门户")
    log(instance=org.city_b, action="wagtail.publish", title="乙市门户")
    log(instance=org.county_a2, action="wagtail.publish", title="甲二县门户")
    client = admin_client_for(make_user("aud_a", "auditor", org.city_a))
    for url in ("/admin/reports/site-history/results/", "/admin/reports/site-history/?export=csv"):
        response = client.get(url)
        text = b"".join(response.streaming_content if response.streaming else [response.content]).decode()
        assert "甲二县门户" in text, "the control: an entry inside is listed"
        assert "测试省门户" not in text and "乙市门户" not in text
