"""Test data built through the real services (so the ledger and derived permissions are real)."""

import factory
from django.contrib.auth import get_user_model

from govcms import services
from govcms.capabilities import SYSTEM

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("name", locale="zh_CN")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


_REGION = iter(range(1, 10**6))


def agency(parent=None, *, name=None, level="county", category="government_office", region_code=None, actor=SYSTEM):
    n = next(_REGION)
    return services.agency_create(
        actor=actor,
        parent=parent,
        name=name or f"机构{n}",
        region_code=region_code or f"33{n % 10000:04d}",
        level=level,
        category=category,
    )


def account(agency_page, *, platform="weibo", name=None, actor=SYSTEM, **extra):
    n = next(_REGION)
    return services.account_create(actor=actor, agency=agency_page, platform=platform, name=name or f"账号{n}", **extra)


def grant(user, role, scope=None, **window):
    from govcms.models import AccountPage

    kwargs = {}
    if isinstance(scope, AccountPage):
        kwargs["account"] = scope
    elif scope is not None:
        kwargs["agency"] = scope
    return services.role_assign(actor=SYSTEM, user=user, role=role, **kwargs, **window)
