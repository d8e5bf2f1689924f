"""The what-if estimator (奖金试算): the same figures as the close's proposal, a tier crossed,
the next step's "book X more" exact, refusals naming the field, the grade not yet final,
who may run it for whom (page, fragment, API), and fixed query counts. The plan and the
figures are those of tests/rewards/conftest.py (sam 130.01 of a 1000 revenue target)."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from rewards import estimator, selectors, services
from tests.api_queries import client_for, count
from tests.closing.helpers import build_world, grow
from tests.conftest import PERSONAS, by_persona, signed_in_as
from tests.rewards.conftest import AFTER, decisions, write_plan

pytestmark = pytest.mark.django_db

API = "/api/v1/bonus-estimate/"
PAGE = reverse("rewards:what-if")
PANEL = reverse("rewards:what-if-panel")


def _sam(rw, **extra):
    return estimator.estimate(person=rw.org.salesperson, period=rw.jan, extra=extra)


def test_at_the_period_s_end_with_nothing_more_the_estimate_is_the_proposal(rw):
    services.decisions_compute(period=rw.jan, now=AFTER)
    proposed = decisions(rw.jan)
    for persona in ("salesperson", "teammate", "east2_person"):
        person = getattr(rw.org, persona)
        found = estimator.estimate(person=person, period=rw.jan)
        assert found.day == rw.jan.end_date
        assert found.today.total == found.after.total == proposed[person.username].total


def test_crossing_a_tier_changes_the_rate(rw):
    below, above = _sam(rw, revenue="800"), _sam(rw, revenue="1000")
    assert below.today.total == D("45.50")  # 65.005 less the 30 % of "low"
    assert [r.after.tier for r in below.rows] == [0]
    assert [r.after.tier for r in above.rows] == [1]
    # 0.5 % per % up to 100 %, then 1.5 % per %: 50 + 1.5 * 13.001 = 69.5015 % of 1000.
    assert above.after.total == D("695.02")
    assert above.rows[0].attainment_after == D("113.001")


def test_the_next_step_says_exactly_what_must_still_be_booked(rw):
    row = _sam(rw).rows[0]
    assert row.step.attainment == 100
    assert row.step.extra == D(1000) - row.actual == D("869.99")
    assert estimator.step_text(row) == ("Book 869.99 more to reach 100 %: the rate becomes 1.5 %.")
    reached = _sam(rw, revenue=str(row.step.extra)).rows[0]
    assert reached.attainment_after == 100
    assert reached.after.tier == 1
    assert _sam(rw, revenue="869.98").rows[0].after.tier == 0


def test_without_a_final_grade_the_estimate_is_before_the_multiplier(org, monkeypatch):
    world = build_world(org)
    write_plan(world, fields={"multipliers": {"A": "1.2", "B": "1"}})
    found = _sam(world)
    assert found.before_grade and found.today.total == D("45.50")  # as with a factor of 1
    assert "A by 1.2" in found.multipliers
    page = signed_in_as(org, "salesperson").get(PAGE, {"period": world.jan.pk})
    assert "Before the grade multiplier" in page.content.decode()
    monkeypatch.setattr(selectors, "grades_for", lambda ids, period: {ids[0]: "A"})
    graded = _sam(world)
    assert not graded.before_grade
    assert graded.today.total == D("54.60")  # 65.005 * 1.2, less 30 %


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5", "extra.revenue: give an amount of 0 or more"),
        ("abc", "extra.revenue: give an amount"),
        ("12.345", "extra.revenue: give at most two decimals"),
        ("99999999999", "extra.revenue: give at most"),
    ],
)
def test_bad_amounts_are_refused_naming_the_field(rw, value, message):
    client = signed_in_as(rw.org, "salesperson")
    for url in (PAGE, PANEL):
        answer = client.get(url, {"period": rw.jan.pk, "extra.revenue": value})
        assert answer.status_code == 400
        assert message in answer.content.decode()


def test_an_unknown_metric_is_refused_naming_the_field(rw):
    client = signed_in_as(rw.org, "salesperson")
    answer = client.get(PANEL, {"period": rw.jan.pk, "extra.margin": "5"})
    assert answer.status_code == 400
    assert "extra.margin" in answer.content.decode()
    api = client_for(rw.org.salesperson)
    body = api.post(API, {"period": rw.jan.pk, "extra": {"margin": "5"}}, format="json")
    assert body.status_code == 400
    assert (body.json()["code"], body.json()["field"]) == ("unknown_metric", "extra.margin")


@pytest.mark.parametrize("value", ["-5", "abc", "1e30"])
def test_the_api_refuses_bad_amounts_naming_the_field(rw, value):
    api = client_for(rw.org.salesperson)
    body = api.post(API, {"period": rw.jan.pk, "extra": {"revenue": value}}, format="json")
    assert body.status_code == 400
    assert body.json()["field"] == "extra.revenue"


def test_the_form_works_without_javascript_and_the_panel_for_htmx(rw):
    client = signed_in_as(rw.org, "salesperson")
    page = client.get(PAGE, {"period": rw.jan.pk, "extra.revenue": "1000"}).content.decode()
    assert 'hx-trigger="input changed delay:300ms, submit"' in page
    assert 'name="extra.revenue"' in page
    assert "695.02" in page and "45.50" in page
    panel = client.get(PANEL, {"period": rw.jan.pk}).content.decode()
    assert "<html" not in panel
    assert "Book 869.99 more to reach 100 %: the rate becomes 1.5 %." in panel
    assert "-19.50" in panel and "reduced by 30 %" in panel  # the penalty that fires today
    big = client.get(PANEL, {"period": rw.jan.pk, "extra.revenue": "100000"}).content.decode()
    assert "2,000.00" in big  # capped at 200 %, with the thousands separated


def test_the_api_gives_the_estimate_and_the_next_step(rw):
    api = client_for(rw.org.salesperson)
    body = api.post(API, {"period": rw.jan.pk, "extra": {"revenue": "1000"}}, format="json")
    assert body.status_code == 200
    data = body.json()
    assert (data["bonus_today"], data["bonus_estimated"]) == ("45.50", "695.02")
    step = data["components"][0]["next_step"]
    assert (step["attainment"], step["extra"], step["rate"]) == ("100.0000", "869.99", "1.5000")
    today = api.get(API, {"period": rw.jan.pk}).json()
    assert today["bonus_estimated"] == today["bonus_today"] == "45.50"
    lines = [D(c["amount_estimated"]) for c in today["components"]]
    lines += [D(x["amount"]) for x in today["other_lines"]]
    assert [x["key"] for x in today["other_lines"]] == ["low"]
    assert sum(lines) == D("45.50")  # the lines add up to the estimate


def test_who_may_estimate_whose_bonus(rw):
    sam = rw.org.salesperson.pk
    pages = {
        p: signed_in_as(rw.org, p).get(url, {"person": sam}).status_code
        for url in (PAGE,)
        for p in PERSONAS
    }
    expected = by_persona(
        404, salesperson=200, supervisor=200, department=200, hr=403, anonymous=302
    )
    assert pages == expected
    panels = {p: signed_in_as(rw.org, p).get(PANEL, {"person": sam}).status_code for p in PERSONAS}
    assert panels == expected
    api = {
        p: signed_in_as(rw.org, p, client_class=APIClient)
        .post(API, {"person": sam}, format="json")
        .status_code
        for p in PERSONAS
    }
    assert api == {**expected, "anonymous": 401}
    missing = signed_in_as(rw.org, "department").get(PAGE, {"person": 999999})
    assert missing.status_code == 404


def test_the_dashboard_loads_the_card_without_a_query_of_its_own(rw):
    page = signed_in_as(rw.org, "salesperson").get(reverse("sales:dashboard-mine"))
    text = page.content.decode()
    assert f'hx-get="{PANEL}" hx-trigger="load"' in text
    assert f'href="{PAGE}"' in text
    sam = rw.org.salesperson.pk
    theirs = signed_in_as(rw.org, "supervisor").get(reverse("sales:dashboard-person", args=[sam]))
    assert f'hx-get="{PANEL}?person={sam}" hx-trigger="load"' in theirs.content.decode()


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        answer = client.get(url, params)
    assert answer.status_code == 200
    return len(ctx.captured_queries)


def test_the_fragment_and_the_api_cost_a_fixed_number_of_queries(rw):
    client = signed_in_as(rw.org, "supervisor")
    api = client_for(rw.org.supervisor)
    params = {"person": rw.org.salesperson.pk, "period": rw.jan.pk, "extra.revenue": "10"}
    body = {"person": rw.org.salesperson.pk, "period": rw.jan.pk, "extra": {"revenue": "10"}}
    few = (_queries(client, PANEL, params), count(api, "post", API, body)[0])
    grow(rw, 20, prefix="more")
    many = (_queries(client, PANEL, params), count(api, "post", API, body)[0])
    assert few == many == (16, 15)


def test_the_default_period_is_the_one_of_the_plan_s_kind_containing_today(rw, time_machine):
    from tests.conftest import local_moment

    time_machine.move_to(local_moment(datetime.date(2026, 1, 20)))
    found = estimator.estimate(person=rw.org.salesperson)
    assert found.period == rw.jan
    assert found.day == datetime.date(2026, 1, 20)
