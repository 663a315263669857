"""Fixtures of the organisation-core tests."""

import pytest


@pytest.fixture
def boss(org, make_user, api):
    """An API client for the city A agency admin; a user with no role ("someone") exists too."""
    make_user("boss", "agency_admin", org.city_a)
    make_user("someone")
    return api("boss")
