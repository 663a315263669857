"""Editorial fixtures: a county with a WeChat and a Weibo account, and a full review staff."""

import pytest
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from editorial.models import LeaderTitle


@pytest.fixture
def staff(org, make_user):
    """editor, reviewer, signer on county A1; a reviewer who also edits; a signer of county B1."""
    users = {
        "editor": make_user("editor", "editor", org.county_a1),
        "reviewer": make_user("reviewer", "reviewer", org.county_a1),
        "signer": make_user("signer", "signer", org.city_a),
        "rev_editor": make_user("rev_editor", "reviewer", org.county_a1),
        "outsider": make_user("outsider", "signer", org.county_b1),
    }
    from tests.factories import grant

    grant(users["rev_editor"], "editor", org.county_a1)
    return users


@pytest.fixture
def leaders(db):
    LeaderTitle.objects.create(name="张三", title="省长", order="title_first")
    LeaderTitle.objects.create(name="李四", title="市长", order="title_first")


@pytest.fixture
def cover(db):
    return get_image_model().objects.create(title="封面", file=get_test_image_file())
