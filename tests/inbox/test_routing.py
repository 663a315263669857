"""Routing rules (分办规则): the first matching rule by priority sends a new item to an agency of
the account's jurisdiction and optionally a person; no match keeps it with the account's agency."""

import pytest
from django.utils import timezone

from audit.models import LedgerEvent
from editorial import services as ed
from govcms.capabilities import SYSTEM, PolicyRefused
from govcms.services import ServiceError
from inbox.models import InboxItem
from inbox.routing import Router, jurisdiction_of, rule_save, same_jurisdiction
from inbox.services import item_enter, wechat_message_received
from publishing.models import Publication
from tests.factories import agency

pytestmark = pytest.mark.django_db


def published(account, title, *, campaign=None):
    post = ed.post_create(actor=SYSTEM, account=account, kind="weibo", title=title, body="通知。")
    if campaign is not None:
        type(post).objects.filter(pk=post.pk).update(campaign=campaign)
    return Publication.objects.create(
        post=post, revision=post.latest_revision, account=account, platform="weibo", status="published"
    )


@pytest.fixture
def rules(org, depts, handlers):
    acct = org.acct_a1_weibo
    campaign = ed.campaign_create(actor=SYSTEM, agency=org.county_a1, name="春季防疫")
    source = published(acct, "开学通知")
    in_campaign = published(acct, "疫苗接种", campaign=campaign)
    admin = handlers["admin_a1"]

    def rule(name, priority, agency, **fields):
        return rule_save(actor=admin, account=acct, name=name, priority=priority, agency=agency, **fields)

    made = {
        "school": rule("学校", 10, depts["edu"], keywords="学校，招生", assignee=handlers["edu_editor"]),
        "hospital": rule("医院", 20, depts["health"], keywords="医院\n挂号"),
        "campaign": rule("防疫专题", 5, depts["health"], campaign=campaign),
        "post": rule("开学通知评论", 30, depts["edu"], post=source.post),
        "wifi": rule("网络", 40, org.county_a1, keywords="WiFi", assignee=handlers["editor"]),
        "off": rule("停用", 1, depts["edu"], keywords="路灯", active=False),
    }
    return {**made, "source": source, "in_campaign": in_campaign}


def test_routing_table(org, depts, handlers, rules):
    router = Router(org.acct_a1_weibo)
    cases = [
        # (text, publication, agency, assignee, rule)
        ("学校食堂卫生差", None, depts["edu"], handlers["edu_editor"], "school"),
        ("孩子招生政策咨询", None, depts["edu"], handlers["edu_editor"], "school"),
        ("医院排队太长", None, depts["health"], None, "hospital"),
        ("挂号难", None, depts["health"], None, "hospital"),
        ("学校旁边的医院", None, depts["edu"], handlers["edu_editor"], "school"),  # priority 10 before 20
        ("路灯不亮", None, org.county_a1, None, None),  # inactive rule, then no match
        ("wifi 信号差", None, org.county_a1, handlers["editor"], "wifi"),  # case-insensitive
        ("什么时候开学", "source", depts["edu"], None, "post"),
        ("医院在哪里接种", "in_campaign", depts["health"], None, "campaign"),  # campaign (5) before hospital (20)
        ("接种点在哪", "in_campaign", depts["health"], None, "campaign"),
        ("路灯不亮", "source", depts["edu"], None, "post"),
    ]
    wrong = []
    for text, pub, want_agency, want_person, want_rule in cases:
        got = router.route(text=text, publication=rules[pub] if pub else None)
        want = (want_agency.pk, getattr(want_person, "pk", None), rules[want_rule].pk if want_rule else None)
        have = (got.agency.pk, getattr(got.assignee, "pk", None), got.rule.pk if got.rule else None)
        if have != want:
            wrong.append((text, pub, have, want))
    assert wrong == []
    # Rules belong to their account: the WeChat account of the same county has none.
    assert Router(org.acct_a1_wechat).route(text="学校食堂卫生差").agency.pk == org.county_a1.pk


def test_routing_is_applied_when_items_are_stored(org, depts, handlers, rules):
    typed = item_enter(actor=handlers["editor"], account=org.acct_a1_weibo, text="学校门口拥堵", channel="phone")
    assert (typed.agency_id, typed.assignee_id, typed.routing_rule_id) == (
        depts["edu"].pk,
        handlers["edu_editor"].pk,
        rules["school"].pk,
    )
    message = {
        "msg_type": "text",
        "content": "医院能否延长门诊时间",
        "dedup_key": "m:9001",
        "openid": "oUser1",
        "created_at": timezone.now(),
    }
    assert wechat_message_received(account=org.acct_a1_weibo, message=message).agency_id == depts["health"].pk
    # The department's handlers see and handle what was routed there (its agency is theirs).
    edu_items = InboxItem.objects.filter(agency=depts["edu"])
    assert list(edu_items) == [typed]


def test_a_rules_person_who_lost_the_role_is_left_out(org, depts, handlers, rules):
    from govcms.models import RoleAssignment

    RoleAssignment.objects.filter(user=handlers["edu_editor"]).update(valid_to=timezone.now())
    handlers["edu_editor"].refresh_from_db()
    got = Router(org.acct_a1_weibo).route(text="学校")
    assert (got.agency.pk, got.assignee) == (depts["edu"].pk, None)


def test_rules_stay_inside_the_jurisdiction_and_with_admins(org, depts, handlers):
    acct = org.acct_a1_weibo
    base = {"account": acct, "name": "规则", "priority": 1}
    cases = [
        ({"agency": org.county_b1}, "agency_outside"),
        ({"agency": org.county_a2}, "agency_outside"),  # the next county of the same city
        ({"agency": org.city_a}, "agency_outside"),  # above the county
        ({"agency": depts["edu"], "assignee": handlers["editor_b"]}, "unknown_user"),
        ({"agency": depts["edu"], "assignee": handlers["editor"]}, None),  # county editor covers the department
        ({"agency": depts["edu"], "name": ""}, "invalid_name"),
        ({"agency": depts["edu"], "priority": -1}, "invalid_priority"),
        ({"agency": depts["edu"], "post": published(org.acct_a2_weibo, "外县").post}, "post_outside"),
    ]
    for fields, code in cases:
        try:
            rule_save(actor=handlers["admin_a1"], **{**base, **fields})
        except ServiceError as error:
            assert (error.code, error.status) == (code, 422), fields
        else:
            assert code is None, fields
    with pytest.raises(PolicyRefused) as refused:
        rule_save(actor=handlers["editor"], **base, agency=depts["edu"])
    assert refused.value.status == 403
    with pytest.raises(PolicyRefused) as refused:
        rule_save(actor=handlers["admin_b1"], **base, agency=depts["edu"])
    assert refused.value.status == 404
    assert LedgerEvent.objects.filter(action="inbox.rule_created").count() == 1


def test_jurisdictions(org, depts):
    township = agency(org.county_a1, name="某镇", level="township", region_code="330101")
    assert jurisdiction_of(depts["edu"].path).pk == org.county_a1.pk
    assert jurisdiction_of(org.acct_a1_weibo.path).pk == org.county_a1.pk
    assert same_jurisdiction(depts["edu"].path, depts["health"].path)
    assert not same_jurisdiction(depts["edu"].path, township.path)
    assert not same_jurisdiction(org.county_a1.path, org.county_a2.path)
