"""The acceptance fixture of the compliance engine: ten accounts of city A under the local
100-point scheme, each showing one rule, built at SETUP (three months before the clock's start)
with their publications, interactions, findings and closures dated relative to today."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from editorial import services as ed
from editorial.models import WeiboPostPage
from govcms.capabilities import SYSTEM
from govcms.services import account_transition
from inbox.models import InboxItem
from oversight import services
from publishing.models import Publication
from tests.conftest import CLOCK_START
from tests.factories import UserFactory, account, grant

SETUP = CLOCK_START - timedelta(days=93)
TODAY = CLOCK_START.date()
PAST = TODAY - timedelta(days=5)  # the past date the table also answers for


def at(days_ago: int, hour: int = 9) -> datetime:
    """A moment `days_ago` days before today, at `hour` Beijing time."""
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour), tzinfo=CLOCK_START.tzinfo)


def publish(acct, moment: datetime) -> Publication:
    """A publication to `acct` at `moment` of a new revision of the fixture's one post (the engine
    reads publications only; one post spares a draft and its checks per account)."""
    post = WeiboPostPage.objects.filter(title="通知").first()
    if post is None:
        post = ed.post_create(actor=SYSTEM, account=acct, kind="weibo", title="通知", body="今日天气晴。")
    revision = post.save_revision(log_action=False)
    return Publication.objects.create(
        post=post,
        revision=revision,
        account=acct,
        platform=acct.platform,
        status="published",
        published_at=moment,
        platform_post_id=f"p{revision.pk}",
    )


@pytest.fixture
def export_root(settings, tmp_path):
    """Export files in the test's own directory."""
    settings.GOVCMS_EXPORT_ROOT = tmp_path
    return tmp_path


@dataclass
class Fixture:
    org: object
    accounts: dict
    auditor: object
    admin: object
    editor: object
    signer: object
    items: list


@pytest.fixture
def silent(org, clock):
    resume = timezone.now() + timedelta(seconds=5)  # after everything `org` made: time never runs back
    clock.move_to(SETUP)
    admin = UserFactory(username="ov_sysadmin")
    grant(admin, "system_admin")
    auditor = UserFactory(username="ov_auditor")
    grant(auditor, "auditor", org.city_a)
    editor = UserFactory(username="ov_editor")
    grant(editor, "editor", org.county_a1)
    signer = UserFactory(username="ov_signer")
    grant(signer, "signer", org.city_a)
    names = ("silent9", "silent10", "silent12", "silent13", "silent14", "silent15")
    names += ("closed", "overdue", "misstated", "outsourced")
    accounts = {}
    for name in names:
        extra = {}
        if name == "outsourced":
            extra = {
                "outsourced": True,
                "operating_unit": "某传媒公司",
                "contract_start": TODAY - timedelta(days=400),
                "contract_end": TODAY - timedelta(days=30),
                "security_agreement_signed_on": TODAY - timedelta(days=400),
                "security_agreement_expires_on": TODAY - timedelta(days=3),
            }
        acct = account(org.county_a1, name=name, exemption_reason="测试", **extra)
        account_transition(actor=admin, account=acct, to="operating", reason="开通")
        accounts[name] = acct
    b1 = org.acct_b1_wechat
    account_transition(actor=admin, account=b1, to="operating", reason="开通")
    services.scheme_set(actor=auditor, agency=org.city_a, fields={"preset": "local_100"})
    services.comments_close(actor=admin, account=accounts["closed"], reason="评论区整改")
    clock.move_to(resume)
    for name, days in (("silent9", 9), ("silent10", 10), ("silent12", 12), ("silent13", 13)):
        publish(accounts[name], at(days))
    publish(accounts["silent14"], at(14))
    publish(accounts["silent15"], at(15))
    publish(b1, at(1))
    for name in ("closed", "overdue", "misstated", "outsourced"):
        publish(accounts[name], at(7))
        publish(accounts[name], at(1))
    items = [
        InboxItem.objects.create(
            account=accounts["overdue"],
            platform="weibo",
            kind="manual",
            channel="phone",
            text=f"来电{n}",
            received_at=at(10),
            due_at=at(3, 17),
        )
        for n in range(2)
    ]
    clock.move_to(at(2))
    finding = services.finding_record(
        actor=auditor,
        account=accounts["misstated"],
        kind="serious_misstatement",
        occurred_at=at(3),
        evidence="领导职务错误",
    )
    services.finding_decide(actor=auditor, finding=finding, confirm=True, comment="属实")
    clock.move_to(resume)
    return Fixture(org=org, accounts=accounts, auditor=auditor, admin=admin, editor=editor, signer=signer, items=items)
