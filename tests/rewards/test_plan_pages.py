"""The department writes a plan in the browser (fields, components with tiers, penalty
rules), publishes it before its first period and makes a new version; nobody else may."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from rewards.models import IncentivePlan
from tests.closing.helpers import build_world
from tests.conftest import PERSONAS, by_persona, local_moment, signed_in_as

pytestmark = pytest.mark.django_db

DECEMBER = local_moment(datetime.date(2025, 12, 20))


def _formset(prefix, rows, total):
    data = {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    for i in range(len(rows), total):
        data[f"{prefix}-{i}-mode"] = "marginal"
    return data


def _post_data(world, **changes):
    org = world.org
    return {
        "code": "field-sales",
        "name": "Field sales bonus",
        "name_zh": "外勤销售奖金",
        "period_kind": "month",
        "applies_from": str(world.jan.pk),
        "units": [str(org.company.pk)],
        "currency": "CNY",
        "target_mode": "plan",
        "target_amount": "1000",
        "cap": "250",
        "multipliers": "S: 1.2, A: 1, B: 0.8, C: 0.5, D: 0",
        **_formset(
            "components",
            [
                {
                    "metric": str(world.revenue.pk),
                    "weight": "100",
                    "mode": "marginal",
                    "threshold": "50",
                    "cap": "200",
                    "tiers": "0: 0.5, 100: 1.5",
                }
            ],
            4,
        ),
        **_formset(
            "penalties",
            [{"code": "low", "below": "70", "grades": "D", "reduction": "30", "hold_periods": "2"}],
            3,
        ),
        **changes,
    }


@pytest.fixture
def world(org):
    return build_world(org)


def test_the_department_writes_and_publishes_a_plan(world):
    client = signed_in_as(world.org, "department")
    with time_machine.travel(DECEMBER, tick=False):
        assert client.get(reverse("rewards:plan-create")).status_code == 200
        response = client.post(reverse("rewards:plan-create"), _post_data(world))
        assert response.status_code == 302, response.content.decode()[:2000]
        plan = IncentivePlan.objects.get()
        assert plan.multipliers == {"S": "1.2", "A": "1", "B": "0.8", "C": "0.5", "D": "0"}
        component = plan.components.get()
        assert component.tiers == [["0", "0.5"], ["100", "1.5"]]
        assert list(plan.penalties.values_list("code", "grades", "hold_periods")) == [
            ("low", ["D"], 2)
        ]
        page = client.get(reverse("rewards:plan", args=[plan.pk])).content.decode()
        assert "Edit the draft" in page
        client.post(reverse("rewards:plan-publish", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.status == "published"
    # Published: the edit page sends back to the plan, and a new version is a draft.
    response = client.get(reverse("rewards:plan-edit", args=[plan.pk]))
    assert response.status_code == 302
    response = client.post(
        reverse("rewards:plan-new-version", args=[plan.pk]), {"applies_from": world.mar.pk}
    )
    draft = IncentivePlan.objects.get(version=2)
    assert response["Location"] == reverse("rewards:plan-edit", args=[draft.pk])


def test_a_plan_that_does_not_add_up_is_refused_and_nothing_is_saved(world):
    client = signed_in_as(world.org, "department")
    data = _post_data(world)
    data["components-0-weight"] = "80"
    response = client.post(reverse("rewards:plan-create"), data)
    assert response.status_code == 400
    assert "add up to 80" in response.content.decode()
    data = _post_data(world)
    data["components-0-tiers"] = "0 0.5"
    response = client.post(reverse("rewards:plan-create"), data)
    assert response.status_code == 400
    assert "key: value" in response.content.decode()
    assert not IncentivePlan.objects.exists()


def test_publishing_after_the_period_started_is_refused_on_the_page(world):
    client = signed_in_as(world.org, "department")
    client.post(reverse("rewards:plan-create"), _post_data(world))
    plan = IncentivePlan.objects.get()
    with time_machine.travel(local_moment(datetime.date(2026, 1, 5)), tick=False):
        response = client.post(reverse("rewards:plan-publish", args=[plan.pk]), follow=True)
    assert "started on 2026-01-01" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_only_the_department_writes_plans(world):
    client = signed_in_as(world.org, "department")
    client.post(reverse("rewards:plan-create"), _post_data(world))
    plan = IncentivePlan.objects.get()
    found = {}
    for persona in PERSONAS:
        c = signed_in_as(world.org, persona)
        found[persona] = (
            c.get(reverse("rewards:plan-create")).status_code,
            c.get(reverse("rewards:plan-edit", args=[plan.pk])).status_code,
            c.post(reverse("rewards:plan-publish", args=[plan.pk])).status_code,
        )
    # A draft is hidden from all but the department (404); creating is forbidden (403).
    assert found == by_persona(
        (403, 404, 404), department=(200, 200, 302), anonymous=(302, 302, 302)
    )
