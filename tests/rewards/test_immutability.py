"""Published plans and approved decisions refuse raw SQL too: the triggers of migration
rewards/0002 (installed by the `triggers` fixture), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from rewards import services
from rewards.models import Decision, DecisionVersion, PlanComponent
from tests.appraisal.helpers import sql_refused, sql_runs
from tests.rewards.conftest import AFTER, decisions, write_plan

pytestmark = pytest.mark.django_db

PLAN = "a published incentive plan cannot be changed"
APPROVED = "an approved bonus decision cannot be changed"
VERSION = "a bonus decision version is never changed or deleted"


@pytest.fixture
def approved(rw, triggers):
    services.decisions_compute(period=rw.jan, now=AFTER)
    found = decisions(rw.jan)
    services.decisions_approve(decisions=[found["sam"]], acting_user=rw.org.department, now=AFTER)
    rw.sam = Decision.objects.get(pk=found["sam"].pk)
    rw.eve = found["eve"]
    return rw


def test_a_published_plan_refuses_raw_sql(approved):
    plan = approved.plan
    sql_refused("UPDATE rewards_incentiveplan SET cap = 999 WHERE id = %s", [plan.pk], PLAN)
    sql_refused("DELETE FROM rewards_incentiveplan WHERE id = %s", [plan.pk], PLAN)
    component = PlanComponent.objects.get(plan=plan)
    sql_refused("UPDATE rewards_plancomponent SET weight = 50 WHERE id = %s", [component.pk], PLAN)
    sql_refused("DELETE FROM rewards_plancomponent WHERE id = %s", [component.pk], PLAN)
    sql_refused(
        "INSERT INTO rewards_penaltyrule (plan_id, position, code, grades, reduction, "
        "hold_periods) VALUES (%s, 9, 'more', '[]', 10, 0)",
        [plan.pk],
        PLAN,
    )
    sql_refused(
        "DELETE FROM rewards_incentiveplan_units WHERE incentiveplan_id = %s", [plan.pk], PLAN
    )
    # Its bookkeeping column moves.
    assert sql_runs(
        "UPDATE rewards_incentiveplan SET created_at = created_at WHERE id = %s", [plan.pk]
    )


def test_a_draft_plan_is_written_freely(rw, triggers):
    draft = write_plan(rw, publish=False, fields={"code": "other"})
    assert sql_runs("UPDATE rewards_incentiveplan SET cap = 150 WHERE id = %s", [draft.pk]) == 1
    assert sql_runs("DELETE FROM rewards_penaltyrule WHERE plan_id = %s", [draft.pk]) == 1


def test_an_approved_decision_refuses_raw_sql_and_its_workflow_moves_on(approved):
    sam, eve = approved.sam, approved.eve
    sql_refused("UPDATE rewards_decision SET total = 1 WHERE id = %s", [sam.pk], APPROVED)
    sql_refused("UPDATE rewards_decision SET status = 'proposed' WHERE id = %s", [sam.pk], APPROVED)
    sql_refused("DELETE FROM rewards_decision WHERE id = %s", [sam.pk], APPROVED)
    sql_refused(
        "INSERT INTO rewards_lineadjustment (decision_id, line, amount, reason, adjusted_by_id, "
        "adjusted_at) VALUES (%s, 'revenue', 1, 'x', %s, CURRENT_TIMESTAMP)",
        [sam.pk, approved.org.department.pk],
        APPROVED,
    )
    assert sql_runs(
        "UPDATE rewards_decision SET status = 'released', released_at = CURRENT_TIMESTAMP "
        "WHERE id = %s",
        [sam.pk],
    )
    # A proposed one is still the close's to rewrite.
    assert sql_runs("UPDATE rewards_decision SET total = 1 WHERE id = %s", [eve.pk]) == 1
    version = DecisionVersion.objects.get(decision=sam)
    sql_refused("UPDATE rewards_decisionversion SET total = 1 WHERE id = %s", [version.pk], VERSION)
    sql_refused("DELETE FROM rewards_decisionversion WHERE id = %s", [version.pk], VERSION)
