"""Shared fixtures: a small organisation with one user per persona.

    ACME (company)
    ├── EAST (region) ── T-EAST-1 (team: sam, tina; led by sue)
    │                 └─ T-EAST-2 (team: eve)
    └── SOUTH (region) ─ T-SOUTH-1 (team: oscar; led by otto)

dora is the sales management department, harry is HR, ada an administrator,
rita leads the EAST region (so both east teams).
"""

import types

import pytest
from django.test import Client

from org.models import Membership, OrgUnit
from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory

PASSWORD = "pw-for-tests-1"


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
def client_as(org):
    """client_as("supervisor") -> a Client signed in as that persona (anonymous: none)."""

    def make(persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            client.force_login(getattr(org, persona))
        return client

    return make
