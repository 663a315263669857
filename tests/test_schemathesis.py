"""schemathesis over every operation of /api/v1/openapi.json, as a system admin and as a county
editor, against the Django WSGI app and the test database: no input the schema allows or forbids
may produce a server error (`not_a_server_error`).

Bounded for CI: GOVCMS_FUZZ_EXAMPLES examples per operation and role (default 15; the whole file
takes about two minutes). Raise it locally for a deeper run.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error

from govcms.wsgi import application

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("GOVCMS_FUZZ_EXAMPLES", "15"))

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(params=["system_admin", "editor"])
def bearer(request, org, make_user, api):
    """An Authorization header for a system admin, or for an editor of county A1."""
    if request.param == "system_admin":
        user = make_user("fuzz_root", "system_admin")
    else:
        user = make_user("fuzz_editor", "editor", org.county_a1)
    return {"Authorization": f"Bearer {api(user.username).token}"}


@pytest.fixture
def _requests_keep_the_test_transaction(bearer):
    """As Django's test client does (and undoes after each of its own requests, hence after
    `bearer`): the WSGI handler would otherwise close the connection, and the test's transaction
    with it, at the end of each request."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written into the repository
    phases=[Phase.explicit, Phase.generate],  # report what fails as generated: shrinking costs the budget
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case, bearer, _requests_keep_the_test_transaction):
    response = case.call(headers=bearer)
    case.validate_response(response, checks=[not_a_server_error])
