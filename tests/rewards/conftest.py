"""Shared set-up for the rewards tests: the closing tests' January 2026 (tests/closing/
helpers.py: sam 130.01 of a 1000 revenue target, tina 30.00 of 500, eve 40 of 200,
oscar 999 without a target, sue 70 without one) and a monthly incentive plan published in
December 2025 for the whole company:

  revenue 100 %: marginal tiers 0 -> 0.5, 100 -> 1.5; threshold 10 %; cap 200 %;
  target incentive 1000.00 CNY; penalty "low": attainment below 15 % reduces the bonus
  by 30 % and holds promotion for 2 months.
"""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal as D

import pytest
from django.db import connection

from rewards import services
from rewards.models import Decision
from tests.closing.helpers import at, build_world
from tests.factories import UserFactory

BEFORE = at(datetime.date(2025, 12, 20))  # the plan is published then
AFTER = at(datetime.date(2026, 2, 3))  # January has ended


def components(world, **changes):
    revenue = {
        "metric": world.revenue,
        "weight": "100",
        "mode": "marginal",
        "threshold": "10",
        "cap": "200",
        "tiers": [["0", "0.5"], ["100", "1.5"]],
    }
    return [{**revenue, **changes}]


def penalties(world):
    return [{"code": "low", "below": "15", "reduction": "30", "hold_periods": 2}]


def write_plan(world, *, publish=True, fields=None, **parts):
    org = world.org
    plan = services.plan_save_draft(
        acting_user=org.department,
        fields={
            "code": "field-sales",
            "name": "Field sales bonus",
            "name_zh": "外勤销售奖金",
            "period_kind": "month",
            "applies_from": world.jan,
            "target_mode": "plan",
            "target_amount": D("1000.00"),
            **(fields or {}),
        },
        components=parts.get("components", components(world)),
        penalties=parts.get("penalties", penalties(world)),
        units=[org.company],
    )
    if publish:
        plan = services.plan_publish(plan=plan, acting_user=org.department, now=BEFORE)
    return plan


@pytest.fixture
def rw(org):
    """The closing world, a published plan and a second department member (dina)."""
    world = build_world(org)
    world.plan = write_plan(world)
    world.dina = UserFactory(username="dina", roles=["department"])
    return world


@pytest.fixture
def triggers(db):
    if connection.vendor not in ("sqlite", "postgresql"):
        pytest.skip("the triggers exist on SQLite and PostgreSQL only")
    importlib.import_module("rewards.migrations.0002_guards").install(connection)


def decisions(period) -> dict:
    """{username: the decision} of a period."""
    return {
        d.person.username: d
        for d in Decision.objects.filter(period=period).select_related("person")
    }


@pytest.fixture
def decided(rw):
    """January computed; sam's decision approved and released, the others proposed."""
    services.decisions_compute(period=rw.jan, now=AFTER)
    found = decisions(rw.jan)
    services.decisions_approve(decisions=[found["sam"]], acting_user=rw.org.department, now=AFTER)
    Decision.objects.filter(pk=found["sam"].pk).update(status="released", released_at=AFTER)
    rw.sam, rw.tina = found["sam"], found["tina"]
    return rw
