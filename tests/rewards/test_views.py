"""The rewards pages for every persona (hidden: 404, forbidden: 403), what they show, the
department's actions on them, and their query counts (the same for 5 and 25 people)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rewards import services
from rewards.models import Decision, LineAdjustment
from tests.closing.helpers import grow
from tests.conftest import PERSONAS, by_persona, signed_in_as
from tests.rewards.conftest import AFTER, decisions

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(rw):
    """January computed; sam's decision approved and released, the others proposed."""
    services.decisions_compute(period=rw.jan, now=AFTER)
    found = decisions(rw.jan)
    services.decisions_approve(decisions=[found["sam"]], acting_user=rw.org.department, now=AFTER)
    Decision.objects.filter(pk=found["sam"].pk).update(status="released", released_at=AFTER)
    rw.sam, rw.tina = found["sam"], found["tina"]
    return rw


def _statuses(org, url, method="get", data=None):
    found = {}
    for persona in PERSONAS:
        response = getattr(signed_in_as(org, persona), method)(url, data or {})
        found[persona] = response.status_code
    return found


def test_who_reads_each_page(decided):
    org = decided.org
    everyone = by_persona(200, anonymous=302)
    assert _statuses(org, reverse("rewards:mine")) == everyone
    assert _statuses(org, reverse("rewards:plans")) == everyone
    assert _statuses(org, reverse("rewards:plan", args=[decided.plan.pk])) == everyone
    assert _statuses(org, reverse("rewards:decisions")) == by_persona(
        403, department=200, hr=200, supervisor=200, other_supervisor=200, anonymous=302
    )
    # sam's released decision: sam, his supervisor, the department and HR.
    assert _statuses(org, reverse("rewards:decision", args=[decided.sam.pk])) == by_persona(
        404, salesperson=200, supervisor=200, department=200, hr=200, anonymous=302
    )
    # tina's proposal: her supervisor and the department only (not yet HR's or hers).
    assert _statuses(org, reverse("rewards:decision", args=[decided.tina.pk])) == by_persona(
        404, supervisor=200, department=200, anonymous=302
    )


def test_a_draft_plan_is_the_department_s_alone(decided):
    from tests.rewards.conftest import write_plan

    draft = write_plan(decided, publish=False, fields={"code": "next"})
    assert _statuses(decided.org, reverse("rewards:plan", args=[draft.pk])) == by_persona(
        404, department=200, anonymous=302
    )


def test_the_plan_page_says_how_the_bonus_is_computed_in_both_languages(decided):
    client = signed_in_as(decided.org, "salesperson")
    html = client.get(reverse("rewards:plan", args=[decided.plan.pk])).content.decode()
    assert "The bonus at exactly 100 % of every target (the target incentive) is 1,000.00" in html
    assert "below 10 % pays nothing" in html.lower()
    assert "the bonus is reduced by 30 %" in html
    client.cookies["django_language"] = "zh-hans"
    html = client.get(
        reverse("rewards:plan", args=[decided.plan.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "外勤销售奖金" in html
    assert "目标奖金" in html


def test_the_decision_page_shows_lines_that_add_up(decided):
    client = signed_in_as(decided.org, "salesperson")
    html = client.get(reverse("rewards:decision", args=[decided.sam.pk])).content.decode()
    assert "65.00" in html and "-19.50" in html and "45.50 CNY" in html
    assert "attainment 13.00 %, pays 6.50 %" in html
    assert "if the weighted attainment is below 15 %" in html.lower()


def test_only_the_department_adjusts_and_approves(decided):
    org = decided.org
    url = reverse("rewards:decision", args=[decided.tina.pk])
    data = {"line": "revenue", "amount": "5.00", "reason": "late booking"}
    assert signed_in_as(org, "supervisor").post(url, data).status_code == 403
    assert not LineAdjustment.objects.exists()
    response = signed_in_as(org, "department").post(url, data)
    assert response.status_code == 302
    assert Decision.objects.get(pk=decided.tina.pk).total == D("5.00")
    # Without a reason: the page again, the message beside the field, nothing written.
    response = signed_in_as(org, "department").post(url, {**data, "reason": ""})
    assert response.status_code == 400
    assert LineAdjustment.objects.count() == 1
    review = reverse("rewards:decisions")
    approve = {"period": decided.jan.pk, "action": "approve", "decision": [decided.tina.pk]}
    assert signed_in_as(org, "supervisor").post(review, approve).status_code == 403
    # dora adjusted it: another member of the department approves.
    signed_in_as(org, "department").post(review, approve)
    assert Decision.objects.get(pk=decided.tina.pk).status == "proposed"
    client = signed_in_as(org, "department")
    client.force_login(decided.dina)
    client.post(review, approve)
    assert Decision.objects.get(pk=decided.tina.pk).status == "approved"


def test_compute_now_from_the_review_page(rw):
    client = signed_in_as(rw.org, "department")
    response = client.post(
        reverse("rewards:decisions"), {"period": rw.jan.pk, "action": "compute"}, follow=True
    )
    assert "5 decisions computed for January 2026." in response.content.decode()
    assert Decision.objects.count() == 5


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_pages_cost_the_same_queries_for_5_and_25_people(decided):
    client = signed_in_as(decided.org, "department")
    review = reverse("rewards:decisions") + f"?period={decided.jan.pk}"
    detail = reverse("rewards:decision", args=[decided.sam.pk])
    few = (_queries(client, review), _queries(client, detail))
    grow(decided, 20, prefix="more")
    services.decisions_compute(period=decided.jan, now=AFTER)
    assert Decision.objects.count() == 25
    many = (_queries(client, review), _queries(client, detail))
    assert many == few
