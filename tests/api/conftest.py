"""A small organisation built once per test module (in a transaction rolled back after
the module, as tests/demo does with the demo), each test using `in_world` in a savepoint
inside it; API
tokens for every persona; the WSGI application for schemathesis.

Personas: those of tests/conftest.py (sam the salesperson, tina his teammate, oscar of
another team, sue their supervisor, otto another team's supervisor, dora the department,
harry HR, ada an administrator) and ed, a salesperson of sam's team whose membership
ended last month.
"""

from __future__ import annotations

import datetime
import types
from decimal import Decimal as D

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import TestCase
from rest_framework.authtoken.models import Token

from notifications.services import notify
from org.models import Membership
from tests.conftest import built_once, make_org
from tests.factories import MembershipFactory, UserFactory
from tests.sales.helpers import customer, make_year, sale

# persona name -> attribute of the world's organisation (None: anonymous)
PERSONAS = {
    "salesperson": "salesperson",
    "teammate": "teammate",
    "other_salesperson": "other_salesperson",
    "supervisor": "supervisor",
    "other_supervisor": "other_supervisor",
    "ended": "ended",
    "department": "department",
    "hr": "hr",
    "admin": "admin",
    "anonymous": None,
}


def build_world(today: datetime.date) -> types.SimpleNamespace:
    org = make_org()
    org.ended = UserFactory(username="ed", roles=["salesperson"])
    MembershipFactory(
        user=org.ended,
        unit=org.team,
        start_date=datetime.date(2025, 1, 1),
        end_date=today.replace(day=1) - datetime.timedelta(days=1),
    )
    year = make_year(today.year)
    sams = customer(org.salesperson, name="Sam's customer", external_id="C-SAM")
    oscars = customer(org.other_salesperson, name="Oscar's customer", external_id="C-OSC")
    record = sale(
        today.replace(day=1), sams, "1000", [(org.salesperson, "100")], acting_user=org.salesperson
    )
    other_record = sale(
        today.replace(day=1),
        oscars,
        "500",
        [(org.other_salesperson, "100")],
        acting_user=org.other_salesperson,
    )
    notify(recipient_ids=[org.salesperson.pk], kind="plan_approved", params={"period": "Q4"})
    tokens = {
        persona: Token.objects.create(user=getattr(org, attribute)).key
        for persona, attribute in PERSONAS.items()
        if attribute
    }
    assert Membership.objects.filter(user=org.ended, end_date__lt=today).exists()
    return types.SimpleNamespace(
        org=org,
        year=year,
        customer=sams,
        other_customer=oscars,
        record=record,
        other_record=other_record,
        tokens=tokens,
        today=today,
        amount=D("1000"),
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, suite_today):
    with built_once(django_db_blocker, suite_today) as building:
        with building(), TestCase.captureOnCommitCallbacks(execute=True):
            built = build_world(suite_today)
        yield built


@pytest.fixture
def in_world(world, db):
    """A test inside the module's world, in a savepoint rolled back after it."""
    return world


@pytest.fixture(scope="session")
def connection_kept():
    """Requests through Django's WSGI handler keep the test's connection (as Django's test
    client does), so that they run inside the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
