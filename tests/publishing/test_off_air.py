"""Nothing is published to an account that went off the air after its post was released."""

import pytest

from audit.models import LedgerEvent
from govcms import services as org_services
from publishing.models import Publication
from publishing.services import publication_run

pytestmark = pytest.mark.django_db


def test_a_release_for_an_account_suspended_since_is_never_sent(org, make_user, accounts, release, sandbox):
    post = release(accounts["weibo"], body="明日停水，请提前储水。")
    pub = Publication.objects.get(post=post)
    admin = make_user("admin_a", "agency_admin", org.city_a)
    for to, reason in (("operating", "备案"), ("suspended", "停更整改")):
        org_services.account_transition(actor=admin, account=accounts["weibo"], to=to, reason=reason)

    assert publication_run(pub.pk).action == "done"

    pub.refresh_from_db()
    assert (pub.status, pub.last_error_code, pub.attempts) == ("failed", "account_suspended", 0)
    assert not pub.attempt_log.exists()
    assert sandbox.state()["weibo"]["5000000101"]["statuses"] == []
    assert not [r for r in sandbox.requests() if "statuses/share" in r.get("path", "")]
    assert type(post).objects.get(pk=post.pk).status == "failed"
    assert LedgerEvent.objects.filter(action="publication.failed", object_id=str(pub.pk)).exists()
