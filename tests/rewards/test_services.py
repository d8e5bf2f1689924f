"""Incentive plans written, published before they apply and fixed after; decisions
computed by the close (idempotently), adjusted with a reason, approved by a second person,
with their promotion holds. The figures are worked by hand in tests/rewards/conftest.py."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from core.frozen import FinalError
from rewards import services
from rewards.models import (
    Decision,
    DecisionVersion,
    IncentivePlan,
    PenaltyRule,
    PlanComponent,
    PromotionHold,
)
from tests.closing.helpers import at
from tests.rewards.conftest import AFTER, BEFORE, components, decisions, write_plan

pytestmark = pytest.mark.django_db


def _lines(decision):
    return [(x["kind"], x["key"], x["amount"]) for x in decision.working["lines"]]


# --- plans ------------------------------------------------------------------------------------


def test_a_plan_is_published_before_its_first_period_only(org):
    from tests.closing.helpers import build_world

    world = build_world(org)
    plan = write_plan(world, publish=False)
    with pytest.raises(DomainError) as refused:
        services.plan_publish(plan=plan, acting_user=org.department, now=at(world.jan.start_date))
    assert refused.value.field == "applies_from"
    assert "January 2026" in refused.value.message
    plan.refresh_from_db()
    assert plan.status == "draft"
    services.plan_publish(plan=plan, acting_user=org.department, now=BEFORE)
    assert IncentivePlan.objects.get(pk=plan.pk).status == "published"


def test_only_the_department_writes_plans(org):
    from tests.closing.helpers import build_world

    world = build_world(org)
    with pytest.raises(PermissionDenied):
        services.plan_save_draft(
            acting_user=org.supervisor,
            fields={"code": "x", "period_kind": "month", "applies_from": world.jan},
            components=components(world),
            units=[org.company],
        )


def test_a_draft_that_could_not_be_published_is_not_saved(org):
    from tests.closing.helpers import build_world

    world = build_world(org)
    with pytest.raises(DomainError) as refused:
        write_plan(world, publish=False, components=components(world, weight="90"))
    assert "add up to 90" in refused.value.message
    with pytest.raises(DomainError) as refused:
        write_plan(world, publish=False, fields={"target_amount": None})
    assert refused.value.field == "target_amount"
    assert not IncentivePlan.objects.exists()


def test_a_published_plan_and_its_parts_refuse_change(rw):
    plan = rw.plan
    plan.name = "Changed"
    with pytest.raises(FinalError):
        plan.save()
    with pytest.raises(FinalError):
        IncentivePlan.objects.filter(pk=plan.pk).update(cap=D(300))
    with pytest.raises(FinalError):
        IncentivePlan.objects.filter(pk=plan.pk).delete()
    component = PlanComponent.objects.get(plan=plan)
    component.weight = D(50)
    with pytest.raises(FinalError):
        component.save()
    with pytest.raises(FinalError):
        PlanComponent.objects.filter(plan=plan).update(threshold=D(0))
    with pytest.raises(FinalError):
        PenaltyRule.objects.create(plan=plan, code="more", below=D(5), reduction=D(10))
    with pytest.raises(DomainError):
        services.plan_save_draft(
            acting_user=rw.org.department,
            plan=plan,
            fields={},
            components=components(rw),
            units=[rw.org.company],
        )
    # The bookkeeping column moves; nothing else did.
    IncentivePlan.objects.filter(pk=plan.pk).update(created_at=BEFORE)
    assert IncentivePlan.objects.get(pk=plan.pk).name == "Field sales bonus"


def test_a_new_version_is_a_draft_for_a_later_period_with_the_same_parts(rw):
    with pytest.raises(DomainError):
        services.plan_new_version(plan=rw.plan, applies_from=rw.jan, acting_user=rw.org.department)
    draft = services.plan_new_version(
        plan=rw.plan, applies_from=rw.mar, acting_user=rw.org.department
    )
    assert (draft.code, draft.version, draft.status) == ("field-sales", 2, "draft")
    assert list(draft.components.values_list("metric__code", "weight", "tiers")) == [
        ("revenue", D("100.00"), [["0", "0.5"], ["100", "1.5"]])
    ]
    assert list(draft.penalties.values_list("code", "hold_periods")) == [("low", 2)]
    assert list(draft.units.all()) == [rw.org.company]
    with pytest.raises(DomainError) as refused:
        services.plan_new_version(plan=rw.plan, applies_from=rw.mar, acting_user=rw.org.department)
    assert refused.value.code == "draft_exists"


# --- decisions --------------------------------------------------------------------------------


def test_the_decisions_follow_the_plan_line_by_line(rw):
    assert services.decisions_compute(period=rw.jan, acting_user=rw.org.department, now=AFTER) == 5
    found = decisions(rw.jan)
    assert set(found) == {"sam", "tina", "sue", "eve", "oscar"}
    sam = found["sam"]
    # 130.01 of 1000 (the split sale credits him 30.01): 13.001 %, paid 0.5 per % =
    # 6.5005 % of 1000 = 65.005; below 15 %: 30 % off = -19.5015; total 45.5035 -> 45.50,
    # so the component's line gives the cent back (65.005 rounds to 65.01 alone).
    assert sam.status == "proposed"
    assert _lines(sam) == [("component", "revenue", "65.00"), ("penalty", "low", "-19.50")]
    assert sam.total == D("45.50")
    assert sam.hold_periods == 2
    assert sam.working["lines"][0]["attainment"] == "13.001"
    # eve: 40 of 200 = 20 %: 10 % of 1000 = 100.00, no penalty.
    assert _lines(found["eve"]) == [("component", "revenue", "100.00")]
    assert found["eve"].total == D("100.00")
    # tina: 6.001 % is below the 10 % threshold: nothing, and the penalty takes nothing.
    assert found["tina"].total == D("0.00")
    assert found["tina"].working["lines"][0]["tier"] is None
    # The total of every decision is the sum of its shown lines.
    for decision in found.values():
        assert decision.total == sum(D(x["amount"]) for x in decision.working["lines"])


def test_computing_again_rewrites_the_same_rows(rw):
    services.decisions_compute(period=rw.jan, now=AFTER)
    first = {u: (d.pk, d.total, d.working) for u, d in decisions(rw.jan).items()}
    services.decisions_compute(period=rw.jan, now=AFTER + datetime.timedelta(hours=1))
    again = {u: (d.pk, d.total, d.working) for u, d in decisions(rw.jan).items()}
    assert again == first
    assert Decision.objects.count() == 5


def test_without_a_final_grade_a_multiplied_plan_waits_for_the_appraisal(org):
    from tests.closing.helpers import build_world

    world = build_world(org)
    write_plan(world, fields={"multipliers": {"S": "1.2", "A": "1", "B": "0.8"}})
    services.decisions_compute(period=world.jan, now=AFTER)
    sam = decisions(world.jan)["sam"]
    assert (sam.status, sam.waiting_for, sam.total) == ("waiting", "appraisal", None)
    # The working still shows what the components would pay (65.005, alone: 65.01).
    assert _lines(sam) == [("component", "revenue", "65.01")]


def test_no_plan_in_force_says_so(org):
    from tests.closing.helpers import build_world

    world = build_world(org)
    with pytest.raises(DomainError) as refused:
        services.decisions_compute(period=world.jan, now=AFTER)
    assert refused.value.code == "no_plan"


def test_an_adjustment_needs_a_reason_and_shows_as_its_own_line(rw):
    services.decisions_compute(period=rw.jan, now=AFTER)
    sam = decisions(rw.jan)["sam"]
    with pytest.raises(DomainError) as refused:
        services.decision_adjust(
            decision=sam, line="revenue", amount="10", reason=" ", acting_user=rw.org.department
        )
    assert refused.value.field == "reason"
    with pytest.raises(DomainError) as refused:
        services.decision_adjust(
            decision=sam,
            line="revenue",
            amount="0.001",
            reason="x",
            acting_user=rw.org.department,
        )
    assert refused.value.field == "amount"
    sam = services.decision_adjust(
        decision=sam,
        line="revenue",
        amount="10.00",
        reason="Booked on 1 Feb for a January delivery",
        acting_user=rw.org.department,
        now=AFTER,
    )
    assert sam.total == D("55.50")
    assert _lines(sam)[-1] == ("adjustment", f"adjustment:{sam.adjustments.get().pk}", "10.00")
    # A recompute keeps it.
    services.decisions_compute(period=rw.jan, now=AFTER)
    assert decisions(rw.jan)["sam"].total == D("55.50")


def test_approval_fixes_the_decision_and_needs_a_second_person_after_an_adjustment(rw):
    services.decisions_compute(period=rw.jan, now=AFTER)
    found = decisions(rw.jan)
    services.decision_adjust(
        decision=found["sam"],
        line="revenue",
        amount="10.00",
        reason="late booking",
        acting_user=rw.org.department,
    )
    with pytest.raises(DomainError) as refused:
        services.decisions_approve(decisions=list(found.values()), acting_user=rw.org.department)
    assert refused.value.code == "four_eyes"
    assert not DecisionVersion.objects.exists()
    approved = services.decisions_approve(
        decisions=list(found.values()), acting_user=rw.dina, now=AFTER
    )
    assert len(approved) == 5
    sam = Decision.objects.get(pk=found["sam"].pk)
    assert sam.status == "approved"
    version = sam.versions.get()
    assert (version.version, version.total, version.adjustments) == (1, D("55.50"), D("10.00"))
    assert version.before_penalties == D("65.00")
    hold = PromotionHold.objects.get(person=rw.org.salesperson)
    assert (hold.starts_on, hold.ends_on, hold.rule) == (
        datetime.date(2026, 2, 1),
        datetime.date(2026, 3, 31),
        "low",
    )
    # Fixed now: the close leaves it, the model refuses.
    services.decisions_compute(period=rw.jan, now=AFTER + datetime.timedelta(days=1))
    assert Decision.objects.get(pk=sam.pk).computed_at == sam.computed_at
    sam.total = D(1)
    with pytest.raises(FinalError):
        sam.save()
    with pytest.raises(FinalError):
        Decision.objects.filter(pk=sam.pk).update(total=D(1))
    with pytest.raises(FinalError):
        version.delete()
    with pytest.raises(FinalError):
        sam.adjustments.update(amount=D(1))
    # The workflow still moves on.
    Decision.objects.filter(pk=sam.pk).update(status="released", released_at=AFTER)
    with pytest.raises(DomainError):
        services.decision_adjust(
            decision=sam, line="revenue", amount="1", reason="x", acting_user=rw.dina
        )


def test_the_close_proposes_the_decisions(rw, eager_tasks, django_capture_on_commit_callbacks):
    from closing import services as closing

    with django_capture_on_commit_callbacks(execute=True):
        run = closing.close_start(period=rw.jan, now=AFTER)
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    step = run.steps.get(name="rewards")
    assert (step.done, step.total) == (5, 5)
    assert decisions(rw.jan)["sam"].total == D("45.50")
    # The close reads the figures its snapshot recorded; "compute now" reads them live:
    # the same decisions.
    closed = {u: (d.total, d.working) for u, d in decisions(rw.jan).items()}
    services.decisions_compute(period=rw.jan, now=AFTER)
    assert {u: (d.total, d.working) for u, d in decisions(rw.jan).items()} == closed
