"""Schemathesis against the API in-process (the WSGI application, no server): every
operation of the schema, as a salesperson, a supervisor, the department and anonymously,
with all of schemathesis' checks (status codes, content types, response schemas, headers,
negative data rejected, positive data accepted, authentication enforced, unsupported
methods, …). Any 5xx or contract violation fails.

The schema is drf-spectacular's, generated in-process (not fetched from /api/schema/,
which needs a signed-in user). Each operation runs SCHEMATHESIS_MAX_EXAMPLES generated
cases (default 5, so the stage takes about a minute or two; raise it to search longer:
`SCHEMATHESIS_MAX_EXAMPLES=200 make test PYTEST_ARGS='-m schemathesis'`). Each case runs
in a savepoint rolled back after it, inside the test's transaction: no write leaks.
Marked `schemathesis` (deselect with `-m "not schemathesis"`).
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

WSGI_APP = WSGIHandler()
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"))

pytestmark = [pytest.mark.schemathesis]


def openapi_schema() -> dict:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "checks": {"enabled": True},
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "mode": "all",
            "database": "none",
            "allow-x00": False,  # PostgreSQL and DRF refuse NUL in text: not a contract
        },
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(openapi_schema(), config=CONFIG)
schema.app = WSGI_APP  # in-process: schemathesis calls it through werkzeug's test client


# A request that matches the schema may still be refused for what the schema cannot say:
# an id or code that names nothing (`does_not_exist`, django-filter's `invalid_choice`),
# wrong credentials (`authorization`), or a rule of the domain over the data as it stands.
# and a combination of fields that does not go together (`combination`: a range with one
# end, or the wrong way round), which OpenAPI 3.0 cannot state either.
STATE_ITEM_CODES = {"does_not_exist", "invalid_choice", "authorization", "combination"}
STATE_CODES = {
    "domain_error",
    "rows_refused",
    "publication_refused",
    "conflict",
    # rewards: a decision not in the state the step needs, the second person an
    # adjusted decision's approval needs, no published plan for the period
    "not_proposed",
    "not_approved",
    "not_released",
    "not_appealed",
    "too_late",
    "lifted",
    "ended",
    "four_eyes",
    "no_plan",
    # the what-if estimator: an amount for a metric that is not a component the plan
    # raises by booking more (the schema cannot list the plan's metric codes)
    "unknown_metric",
}
ACCEPTED = {*range(200, 400), 401, 403, 404, 409, 429}


def refused_only_for_the_state(ctx, response, case):
    """schemathesis' positive_data_acceptance, except that a 400 naming only what the
    schema cannot express (see above) is an acceptable answer to schema-valid data. Any
    other 400 to a schema-valid request means the schema is wrong, and fails."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code in ACCEPTED:
        return None
    body = response.json() if response.status_code == 400 else {}
    items = body.get("errors") or []
    if body.get("code") in STATE_CODES or (
        items and all(item.get("code") in STATE_ITEM_CODES for item in items)
    ):
        return None
    raise AssertionError(
        f"A schema-valid request was refused with {response.status_code}: {response.text[:500]}"
    )


@pytest.mark.parametrize("persona", ["salesperson", "supervisor", "department", "anonymous"])
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_matches_its_schema(case, persona, in_world, connection_kept):
    headers = {}
    if persona != "anonymous":
        headers["Authorization"] = f"Token {in_world.tokens[persona]}"
    with transaction.atomic():
        case.call_and_validate(
            headers=headers,
            excluded_checks=[positive_data_acceptance],
            additional_checks=[refused_only_for_the_state],
        )
        transaction.set_rollback(True)
