"""The capability table, answered for every capability × role × place × moment.

EXPECTED below is the specification, written out by hand (not read from the table): which roles
hold each capability inside their own jurisdiction. Every capability is asked for every role, on
an object inside the holder's jurisdiction and outside it, with the assignment in force, already
ended, and not yet started — and, for the last two, again at a moment inside the window (the
policies answer for a given moment). The per-app `may_*` functions are asked the same questions.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from editorial import policy as editorial_policy
from govcms import capabilities as caps
from govcms import policy as org_policy
from govcms.capabilities import SYSTEM
from publishing import policy as publishing_policy
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db

WRITERS = {"editor", "reviewer", "signer", "agency_admin"}
EVERYONE = WRITERS | {"auditor"}
EXPECTED: dict[str, set[str]] = {
    "admin.enter": EVERYONE,
    "post.read": EVERYONE,
    "page.explore": {"agency_admin", "auditor"},
    "post.draft": {"editor", "agency_admin"},
    "post.edit": WRITERS,
    "post.check": WRITERS,
    "post.submit": {"editor", "signer", "agency_admin"},
    "post.override_check": {"signer"},
    "post.approve_step": {"reviewer", "signer", "agency_admin"},
    "post.withdraw": {"editor", "signer", "agency_admin"},
    "page.publish": {"agency_admin"},
    "page.unlock": {"agency_admin"},
    "page.delete": {"agency_admin"},
    "campaign.create": {"editor", "signer", "agency_admin"},
    "chain.configure": {"agency_admin"},
    "image.upload": WRITERS,
    "image.delete": {"agency_admin"},
    "publication.retry": {"editor", "signer", "agency_admin"},
    "publication.confirm_absent": {"editor", "signer", "agency_admin"},
    "inbox.handle": {"editor", "signer", "agency_admin"},
    "inbox.notified": {"editor", "agency_admin"},
    "inbox.manage": {"agency_admin"},
    "inbox.escalated": {"agency_admin"},
    "account.manage": {"agency_admin"},
    "account.transition": {"agency_admin"},
    "credential.write": {"agency_admin"},
    "agency.manage": {"agency_admin"},
    "membership.grant": {"agency_admin"},
    "user.create": {"agency_admin"},
    "token.manage": {"agency_admin"},
    "lexicon.import": set(),
    "calendar.manage": set(),
    "ledger.read": {"auditor", "agency_admin"},
    "ledger.verify": {"auditor"},
    "report.read": {"auditor", "agency_admin"},
    "finding.record": {"auditor"},
    "spotcheck.run": {"auditor"},
    "case.open": {"auditor"},
    "case.respond": {"agency_admin", "signer"},
    "scheme.edit": {"auditor"},
    "compliance.warned": {"editor", "agency_admin"},
    "compliance.escalated": {"signer"},
    "system.upkeep": set(),
}
ROLES = ("editor", "reviewer", "signer", "agency_admin", "auditor", "system_admin")
WINDOWS = ("in_force", "ended", "not_started")


def test_every_capability_is_specified():
    assert set(EXPECTED) == set(caps.CAPABILITIES)


@pytest.fixture
def holders(org):
    """One user per role × window, on county A1 (system admins without a scope)."""
    now = timezone.now()
    windows = {
        "in_force": {},
        "ended": {"valid_from": now - timedelta(days=10), "valid_to": now - timedelta(days=1)},
        "not_started": {"valid_from": now + timedelta(days=1), "valid_to": now + timedelta(days=10)},
    }
    users = {}
    for role in ROLES:
        for window, kwargs in windows.items():
            user = UserFactory(username=f"{role}_{window}")
            grant(user, role, None if role == "system_admin" else org.county_a1, **kwargs)
            users[role, window] = user
    return users


def expected(capability: str, role: str, *, inside: bool) -> bool:
    return role == "system_admin" or (inside and role in EXPECTED[capability])


def test_table_answers_every_role_place_and_moment(org, holders):
    now = timezone.now()
    inside, outside = org.acct_a1_weibo.path, org.acct_b1_wechat.path
    moments = {"in_force": None, "ended": now - timedelta(days=5), "not_started": now + timedelta(days=5)}
    wrong = []
    for capability in caps.CAPABILITIES:
        for role in ROLES:
            for window in WINDOWS:
                user = holders[role, window]
                for place, path in (("inside", inside), ("outside", outside)):
                    want = expected(capability, role, inside=place == "inside")
                    # Now: only an assignment in force counts.
                    got_now = caps.check(user, capability, path) is None
                    if got_now != (want and window == "in_force"):
                        wrong.append((capability, role, window, place, "now", got_now))
                    # At a moment inside the window, every assignment counts.
                    got_then = caps.check(user, capability, path, at=moments[window]) is None
                    if got_then != want:
                        wrong.append((capability, role, window, place, "in window", got_then))
                refusal = caps.check(user, capability, outside)
                if role != "system_admin" and (refusal is None or not refusal.outside):
                    wrong.append((capability, role, window, "outside", "not marked outside", refusal))
    assert wrong == []


def test_system_actor_and_no_actor(org):
    for capability in caps.CAPABILITIES:
        assert caps.check(SYSTEM, capability, org.acct_b1_wechat.path) is None
        refusal = caps.check(None, capability, org.acct_a1_weibo.path)
        assert refusal is not None and refusal.code == "no_actor"


def test_above_the_tree_is_reached_only_from_everywhere(org, holders):
    # A top-level agency or a global assignment: path "" (no agency admin reaches it).
    assert caps.check(holders["agency_admin", "in_force"], "agency.manage", "") is not None
    assert caps.check(holders["system_admin", "in_force"], "agency.manage", "") is None


def test_generated_wagtail_and_guardian_permissions():
    assert caps.page_actions("editor") == ("add", "change")
    assert caps.page_actions("reviewer") == ("change",)
    assert caps.page_actions("signer") == ("change",)
    assert caps.page_actions("auditor") == ("lock",)
    assert caps.page_actions("agency_admin") == ("add", "change", "publish", "lock", "unlock", "bulk_delete")
    assert caps.page_actions("system_admin") == caps.page_actions("agency_admin")
    assert caps.image_actions("auditor") == ()
    assert caps.image_actions("editor") == ("add", "change", "choose")
    assert caps.image_actions("agency_admin") == ("add", "change", "delete", "choose")
    assert "editorial.change_lexiconentry" in caps.model_permissions("system_admin")
    assert "editorial.change_lexiconentry" not in caps.model_permissions("agency_admin")
    assert caps.model_permissions("auditor") == ("wagtailadmin.access_admin",)
    assert caps.roles_with("credential.write") == {"agency_admin", "system_admin"}


@pytest.fixture
def objects(org):
    return {"inside": org.acct_a1_weibo, "outside": org.acct_b1_wechat}


# (capability, the app policy asked about an account-like object)
POLICIES = [
    ("post.draft", editorial_policy.may_draft),
    ("post.edit", editorial_policy.may_edit),
    ("post.submit", editorial_policy.may_submit),
    ("post.override_check", editorial_policy.may_override),
    ("post.withdraw", editorial_policy.may_request_withdrawal),
    ("chain.configure", editorial_policy.may_configure_chain),
    ("account.manage", org_policy.may_manage_account),
    ("account.transition", org_policy.may_transition_account),
    ("credential.write", org_policy.may_write_credentials),
    ("account.manage", publishing_policy.may_authorise_account),
]


@pytest.mark.parametrize(("capability", "may"), POLICIES, ids=[p[1].__name__ for p in POLICIES])
def test_app_policies_agree_with_the_table(org, holders, objects, capability, may):
    now = timezone.now()
    moments = {"in_force": None, "ended": now - timedelta(days=5), "not_started": now + timedelta(days=5)}
    for role in ROLES:
        for window in WINDOWS:
            user = holders[role, window]
            for place, obj in objects.items():
                want = expected(capability, role, inside=place == "inside")
                assert (may(user, obj) is None) == (want and window == "in_force"), (role, window, place)
                assert (may(user, obj, at=moments[window]) is None) == want, (role, window, place, "in window")


def test_refusals_carry_code_message_and_ids(org, holders):
    editor = holders["editor", "in_force"]
    refusal = org_policy.may_transition_account(editor, org.acct_a1_weibo)
    assert refusal.code == "forbidden" and refusal.message and not refusal.outside
    assert refusal.actor_id == editor.pk and refusal.object_id == str(org.acct_a1_weibo.pk)
    assert refusal.details["capability"] == "account.transition"
    outside = org_policy.may_transition_account(editor, org.acct_b1_wechat)
    assert outside.outside


def test_require_logs_refusals_at_info(org, holders, caplog):
    editor = holders["editor", "in_force"]
    with caplog.at_level("INFO", logger="govcms.capabilities"), pytest.raises(caps.PolicyRefused) as raised:
        caps.require(org_policy.may_transition_account(editor, org.acct_a1_weibo))
    assert raised.value.status == 403 and raised.value.code == "forbidden"
    [line] = [r.getMessage() for r in caplog.records if "permission refused" in r.getMessage()]
    assert f"actor={editor.pk}" in line and "capability=account.transition" in line
    assert f"object={org.acct_a1_weibo.pk}" in line
    caps.require(None)  # allowed: nothing raised


def test_the_permissions_page_shows_the_table():
    page = (Path(settings.BASE_DIR) / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert caps.markdown_table() in page
    assert "docs/permissions.md" in (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
