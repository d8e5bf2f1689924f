"""Shared fixtures: a small organisation with one user per persona.

    ACME (company)
    ├── EAST (region) ── T-EAST-1 (team: sam, tina; led by sue)
    │                 └─ T-EAST-2 (team: eve)
    └── SOUTH (region) ─ T-SOUTH-1 (team: oscar; led by otto)

dora is the sales management department, harry is HR, ada an administrator,
rita leads the EAST region (so both east teams).
"""

import datetime
import os
import types
import zoneinfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from org.models import Membership, OrgUnit
from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory

PASSWORD = "pw-for-tests-1"

# --- the clock --------------------------------------------------------------------------------
#
# Every test runs with the clock pinned (time-machine, ticking from 10:00 local time) to
# the suite's day, so that the suite gives the same result whatever day it runs. The
# day is DEFAULT_TODAY unless `--today YYYY-MM-DD` (or SALESPERF_TEST_TODAY) names
# another: CI runs the tests marked `today` (those whose outcome depends on the day)
# once more on the fiscal year's last day and on a 1 January. A test that needs another
# day moves the clock itself with time-machine's fixture
# (`time_machine.move_to(local_moment(day))`). A test marked
# `real_clock` runs on the real clock (it starts processes that the pin cannot reach).

DEFAULT_TODAY = datetime.date(2026, 11, 18)  # a Wednesday in the middle of FY2026 Q4


def pytest_addoption(parser):
    parser.addoption(
        "--today",
        default=os.environ.get("SALESPERF_TEST_TODAY") or DEFAULT_TODAY.isoformat(),
        help="The day the tests' clock is pinned to (YYYY-MM-DD; default %(default)s).",
    )


def pytest_configure(config):
    config.suite_today = datetime.date.fromisoformat(config.getoption("--today"))


def local_moment(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """`day` at hour:minute in the project's time zone (settings.TIME_ZONE)."""
    zone = zoneinfo.ZoneInfo(django_settings.TIME_ZONE)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone)


def pytest_report_header(config):
    return f"salesperf: the clock is pinned to {config.suite_today.isoformat()} 10:00 local time"


@pytest.fixture(scope="session")
def suite_today(pytestconfig) -> datetime.date:
    """The day the suite's clock is pinned to."""
    return pytestconfig.suite_today


@pytest.fixture(autouse=True)
def _pinned_clock(request, suite_today):
    if request.node.get_closest_marker("real_clock"):
        yield None
        return
    with time_machine.travel(local_moment(suite_today), tick=True) as traveller:
        yield traveller


# --- hypothesis ---------------------------------------------------------------------------
# "fast" (the default, `make test` and CI): fewer examples, no deadline on a shared
# machine. "thorough": HYPOTHESIS_PROFILE=thorough make test, for a longer search.
hypothesis_settings.register_profile(
    "fast",
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.AXES_ENABLED = True
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def eager_tasks(monkeypatch):
    """Celery tasks run in-process even when REDIS_URL is set (CI's second run sets
    it): tasks enqueued on commit run in the test, nothing is sent to the broker."""
    from salesperf.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    monkeypatch.setitem(app.conf, "task_eager_propagates", True)


@pytest.fixture
def org(db):
    return make_org()


def make_org() -> types.SimpleNamespace:
    """The small organisation of the module docstring (the `org` fixture; tests/api builds
    it once per module)."""
    company = OrgUnitFactory(code="acme", name="ACME", kind=OrgUnit.Kind.COMPANY)
    east = OrgUnitFactory(code="east", name="East", kind=OrgUnit.Kind.REGION, parent=company)
    south = OrgUnitFactory(code="south", name="South", kind=OrgUnit.Kind.REGION, parent=company)
    team = OrgUnitFactory(code="t-east-1", name="East Team 1", parent=east)
    team2 = OrgUnitFactory(code="t-east-2", name="East Team 2", parent=east)
    other_team = OrgUnitFactory(code="t-south-1", name="South Team 1", parent=south)

    salesperson = UserFactory(username="sam", roles=["salesperson"])
    teammate = UserFactory(username="tina", roles=["salesperson"])
    east2_person = UserFactory(username="eve", roles=["salesperson"])
    other_salesperson = UserFactory(username="oscar", roles=["salesperson"])
    supervisor = UserFactory(username="sue", roles=["supervisor", "salesperson"])
    other_supervisor = UserFactory(username="otto", roles=["supervisor"])
    regional = UserFactory(username="rita", roles=["supervisor"])
    department = UserFactory(username="dora", roles=["department"])
    hr = UserFactory(username="harry", roles=["hr"])
    admin = UserFactory(username="ada", roles=["admin"])

    for person, unit in [
        (salesperson, team),
        (teammate, team),
        (supervisor, team),
        (east2_person, team2),
        (other_salesperson, other_team),
    ]:
        MembershipFactory(user=person, unit=unit)
    MembershipFactory(user=supervisor, unit=team, kind=Membership.Kind.SUPERVISOR)
    MembershipFactory(user=other_supervisor, unit=other_team, kind=Membership.Kind.SUPERVISOR)
    MembershipFactory(user=regional, unit=east, kind=Membership.Kind.SUPERVISOR)

    return types.SimpleNamespace(
        company=company,
        east=east,
        south=south,
        team=team,
        team2=team2,
        other_team=other_team,
        salesperson=salesperson,
        teammate=teammate,
        east2_person=east2_person,
        other_salesperson=other_salesperson,
        supervisor=supervisor,
        other_supervisor=other_supervisor,
        regional=regional,
        department=department,
        hr=hr,
        admin=admin,
    )


PERSONAS = [
    "salesperson",
    "teammate",
    "other_salesperson",
    "supervisor",
    "other_supervisor",
    "department",
    "hr",
    "anonymous",
]


@pytest.fixture
def docs_client(db):
    """An API client signed in as a plain user: the schema and the docs need one
    (API_DOCS_PUBLIC is false)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(UserFactory(username="docs.reader"))
    return client


@pytest.fixture
def client_as(org):
    """client_as("supervisor") -> a Client signed in as that persona (anonymous: none)."""

    def make(persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            client.force_login(getattr(org, persona))
        return client

    return make
