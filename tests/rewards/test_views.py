"""The rewards pages for every persona (hidden: 404, forbidden: 403), what they show, the
department's actions on them, and their query counts (the same for 5 and 25 people)."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rewards import services
from rewards.models import Decision, LineAdjustment
from tests.closing.helpers import grow
from tests.conftest import PERSONAS, by_persona, local_moment, signed_in_as
from tests.rewards.conftest import AFTER, decisions

pytestmark = pytest.mark.django_db


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
    # The currency as a Chinese reader says it.
    assert "1,000.00 元" in html and "CNY" not in html


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
    review_page = signed_in_as(org, "department").get(
        reverse("rewards:decisions") + f"?period={decided.jan.pk}"
    )
    assert review_page.content.decode().count(">adjusted</span>") == 1
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


def test_release_appeal_and_resolution_through_the_pages(rw, django_capture_on_commit_callbacks):
    org = rw.org
    services.decisions_compute(period=rw.jan, now=AFTER)
    sam = decisions(rw.jan)["sam"]
    services.decisions_approve(decisions=[sam], acting_user=org.department)
    dora = signed_in_as(org, "department")
    review = reverse("rewards:decisions")
    with django_capture_on_commit_callbacks(execute=True):
        dora.post(review, {"period": rw.jan.pk, "action": "release"})
    assert Decision.objects.get(pk=sam.pk).status == "released"
    page = reverse("rewards:decision", args=[sam.pk])
    mine = signed_in_as(org, "salesperson")
    assert "Acknowledge" in mine.get(page).content.decode()
    # Nobody but sam appeals his decision; an appeal needs reasons.
    assert (
        signed_in_as(org, "teammate").post(reverse("rewards:appeal", args=[sam.pk])).status_code
        == 404
    )
    mine.post(reverse("rewards:appeal", args=[sam.pk]), {"reason": ""})
    assert Decision.objects.get(pk=sam.pk).status == "released"
    with django_capture_on_commit_callbacks(execute=True):
        mine.post(
            reverse("rewards:appeal", args=[sam.pk]),
            {"reason": "A January sale was booked in February"},
        )
    assert Decision.objects.get(pk=sam.pk).status == "appealed"
    resolve = reverse("rewards:resolve", args=[sam.pk])
    data = {"outcome": "changed", "amount": "12.50", "reason": "The sale of 30 Jan counts"}
    assert signed_in_as(org, "supervisor").post(resolve, data).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        dora.post(resolve, data)
    decision = Decision.objects.get(pk=sam.pk)
    assert decision.status == "resolved"
    assert list(decision.versions.values_list("version", "total")) == [
        (1, D("45.50")),
        (2, D("58.00")),
    ]
    html = mine.get(page).content.decode()
    assert "58.00 CNY" in html and "The sale of 30 Jan counts" in html
    # The review lists the decision by its current version.
    html = dora.get(review + f"?period={rw.jan.pk}").content.decode()
    assert "<strong>58.00</strong>" in html and "<strong>45.50</strong>" not in html


def test_promotion_holds_are_read_by_those_concerned_and_lifted_by_the_department(rw):
    org = rw.org
    services.decisions_compute(period=rw.jan, now=AFTER)
    found = decisions(rw.jan)
    services.decisions_approve(decisions=[found["sam"]], acting_user=org.department, now=AFTER)
    holds = reverse("rewards:holds")
    shown = {
        p: "Penalty rule" in signed_in_as(org, p).get(holds).content.decode()
        for p in PERSONAS
        if p != "anonymous"
    }
    assert shown == {
        "salesperson": True,
        "teammate": False,
        "other_salesperson": False,
        "supervisor": True,
        "other_supervisor": False,
        "department": True,
        "hr": True,
    }
    hold = found["sam"].holds.get()
    lift = reverse("rewards:hold-lift", args=[hold.pk])
    assert signed_in_as(org, "hr").post(lift, {"reason": "x"}).status_code == 403
    assert signed_in_as(org, "teammate").post(lift, {"reason": "x"}).status_code == 404
    with time_machine.travel(local_moment(datetime.date(2026, 2, 10)), tick=False):
        signed_in_as(org, "department").post(lift, {"reason": ""})
        hold.refresh_from_db()
        assert hold.lifted_at is None
        signed_in_as(org, "department").post(lift, {"reason": "Promoted by the board"})
    hold.refresh_from_db()
    assert hold.lift_reason == "Promoted by the board"
