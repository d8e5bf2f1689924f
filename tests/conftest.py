"""Shared fixtures: a small organisation with one user per persona.

    ACME (company)
    ├── EAST (region) ── T-EAST-1 (team: sam, tina; led by sue)
    │                 └─ T-EAST-2 (team: eve)
    └── SOUTH (region) ─ T-SOUTH-1 (team: oscar; led by otto)

dora is the sales management department, harry is HR, ada an administrator,
rita leads the EAST region (so both east teams).
"""

import contextlib
import datetime
import functools
import os
import types
import zoneinfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connections, transaction
from django.test import Client, override_settings
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


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@contextlib.contextmanager
def built_once(django_db_blocker, today: datetime.date):
    """For data built once for a whole module or package (Django's TestCase.setUpTestData
    pattern): `with built_once(...) as building:`, build inside `with building():` (the
    clock pinned on `today` at 10:00, the fast password hasher), then yield; all of it is
    in a transaction on every database, rolled back on leaving."""

    @contextlib.contextmanager
    def building():
        with (
            time_machine.travel(local_moment(today), tick=True),
            override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        ):
            yield

    with django_db_blocker.unblock():
        atomics = {alias: transaction.atomic(using=alias) for alias in connections}
        for atomic in atomics.values():
            atomic.__enter__()
        try:
            yield building
        finally:
            for alias, atomic in reversed(atomics.items()):
                transaction.set_rollback(True, using=alias)
                atomic.__exit__(None, None, None)


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
    settings.PASSWORD_HASHERS = FAST_HASHERS
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


# The organisation of the module docstring, in the order it is built (the primary keys
# follow it). Units: attribute -> (code, name, kind, parent's attribute).
ORG_UNITS = {
    "company": ("acme", "ACME", OrgUnit.Kind.COMPANY, None),
    "east": ("east", "East", OrgUnit.Kind.REGION, "company"),
    "south": ("south", "South", OrgUnit.Kind.REGION, "company"),
    "team": ("t-east-1", "East Team 1", OrgUnit.Kind.TEAM, "east"),
    "team2": ("t-east-2", "East Team 2", OrgUnit.Kind.TEAM, "east"),
    "other_team": ("t-south-1", "South Team 1", OrgUnit.Kind.TEAM, "south"),
}
# People: attribute -> (username, roles).
ORG_PEOPLE = {
    "salesperson": ("sam", ["salesperson"]),
    "teammate": ("tina", ["salesperson"]),
    "east2_person": ("eve", ["salesperson"]),
    "other_salesperson": ("oscar", ["salesperson"]),
    "supervisor": ("sue", ["supervisor", "salesperson"]),
    "other_supervisor": ("otto", ["supervisor"]),
    "regional": ("rita", ["supervisor"]),
    "department": ("dora", ["department"]),
    "hr": ("harry", ["hr"]),
    "admin": ("ada", ["admin"]),
}
# Memberships: (person, unit, kind).
ORG_MEMBERSHIPS = [
    ("salesperson", "team", Membership.Kind.MEMBER),
    ("teammate", "team", Membership.Kind.MEMBER),
    ("supervisor", "team", Membership.Kind.MEMBER),
    ("east2_person", "team2", Membership.Kind.MEMBER),
    ("other_salesperson", "other_team", Membership.Kind.MEMBER),
    ("supervisor", "team", Membership.Kind.SUPERVISOR),
    ("other_supervisor", "other_team", Membership.Kind.SUPERVISOR),
    ("regional", "east", Membership.Kind.SUPERVISOR),
]


def make_org() -> types.SimpleNamespace:
    """The small organisation of the module docstring (the `org` fixture; tests/api builds
    it once per module)."""
    org = types.SimpleNamespace()
    for attribute, (code, name, kind, parent) in ORG_UNITS.items():
        parent_unit = getattr(org, parent) if parent else None
        setattr(org, attribute, OrgUnitFactory(code=code, name=name, kind=kind, parent=parent_unit))
    for attribute, (username, roles) in ORG_PEOPLE.items():
        setattr(org, attribute, UserFactory(username=username, roles=roles))
    for person, unit, kind in ORG_MEMBERSHIPS:
        MembershipFactory(user=getattr(org, person), unit=getattr(org, unit), kind=kind)
    return org


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
SIGNED_IN = PERSONAS[:-1]


def by_persona(others, /, *, personas=PERSONAS, **named) -> dict:
    """{persona: outcome} for every persona of `personas` (PERSONAS): those named as
    given, the others `others`; e.g. by_persona(404, salesperson=200, anonymous=302)."""
    assert set(named) <= set(personas), set(named) - set(personas)
    return {persona: named.get(persona, others) for persona in personas}


@pytest.fixture
def docs_client(db):
    """An API client signed in as a plain user: the schema and the docs need one
    (API_DOCS_PUBLIC is false)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(UserFactory(username="docs.reader"))
    return client


def signed_in_as(org, persona: str, client_class=Client):
    """A `client_class` client signed in (session) as that persona of `org` (anonymous:
    none)."""
    client = client_class()
    if persona != "anonymous":
        client.force_login(getattr(org, persona))
    return client


@pytest.fixture
def client_as(org):
    """client_as("supervisor") -> a Client signed in as that persona (anonymous: none)."""
    return functools.partial(signed_in_as, org)


@pytest.fixture
def api_as(org):
    """api_as("supervisor") -> an APIClient signed in (session) as that persona."""
    from rest_framework.test import APIClient

    return functools.partial(signed_in_as, org, client_class=APIClient)


def api_authenticated_as(org, persona: str):
    """An APIClient authenticated (force_authenticate) as a fresh object of that persona's
    user, nothing cached on it from an earlier request (anonymous: none)."""
    from rest_framework.test import APIClient

    from org.models import User

    client = APIClient()
    if persona != "anonymous":
        client.force_authenticate(User.objects.get(pk=getattr(org, persona).pk))
    return client
