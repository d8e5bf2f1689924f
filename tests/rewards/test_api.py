"""The rewards API for every persona, its figures (the lines add up to the total, as on the
pages), the department's actions, and fixed query counts (5 and 25 people)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from rewards import services
from tests.api_queries import client_for, count
from tests.closing.helpers import grow
from tests.conftest import PERSONAS, by_persona, signed_in_as
from tests.rewards.conftest import AFTER, decisions

pytestmark = pytest.mark.django_db

DECISIONS = "/api/v1/bonus-decisions/"
PLANS = "/api/v1/incentive-plans/"


def _api(org, persona):
    from rest_framework.test import APIClient

    return signed_in_as(org, persona, client_class=APIClient)


def _people(org, persona) -> set[str]:
    body = _api(org, persona).get(DECISIONS).json()
    return {row["person"]["username"] for row in body["results"]}


def test_each_persona_lists_what_it_may_see(decided):
    org = decided.org
    seen = {p: _people(org, p) for p in PERSONAS if p != "anonymous"}
    assert seen == {
        "salesperson": {"sam"},  # his own, released
        "teammate": set(),  # hers is not released
        "other_salesperson": set(),
        "supervisor": {"sam", "tina"},  # her team but herself
        "other_supervisor": {"oscar"},
        "department": {"sam", "tina", "sue", "eve", "oscar"},
        "hr": {"sam"},  # approved and later
    }
    assert _api(org, "anonymous").get(DECISIONS).status_code in (401, 403)


def test_a_decision_reads_line_by_line_and_adds_up(decided):
    body = _api(decided.org, "salesperson").get(f"{DECISIONS}{decided.sam.pk}/").json()
    assert body["total"] == "45.50"
    assert [(x["kind"], x["key"], x["amount"]) for x in body["lines"]] == [
        ("component", "revenue", "65.00"),
        ("penalty", "low", "-19.50"),
    ]
    assert sum(D(x["amount"]) for x in body["lines"]) == D(body["total"])
    assert body["versions"][0]["version"] == 1
    tina = f"{DECISIONS}{decided.tina.pk}/"
    assert {p: _api(decided.org, p).get(tina).status_code for p in PERSONAS} == by_persona(
        404, supervisor=200, department=200, anonymous=401
    )


def test_the_plan_reads_in_plain_words(decided):
    body = _api(decided.org, "salesperson").get(f"{PLANS}{decided.plan.pk}/").json()
    assert body["components"][0]["metric"] == "revenue"
    assert "pays nothing" in body["components"][0]["text"]
    assert "reduced by 30 %" in body["penalties"][0]


def test_the_department_computes_adjusts_and_approves(decided):
    org = decided.org
    dora = _api(org, "department")
    assert dora.post(f"{DECISIONS}compute/", {"period": decided.jan.pk}, format="json").json() == {
        "computed": 4
    }
    url = f"{DECISIONS}{decided.tina.pk}/adjust/"
    refused = dora.post(url, {"line": "revenue", "amount": "5", "reason": " "}, format="json")
    assert refused.status_code == 400
    assert (
        _api(org, "supervisor")
        .post(url, {"line": "revenue", "amount": "5", "reason": "x"}, format="json")
        .status_code
        == 403
    )
    body = dora.post(url, {"line": "revenue", "amount": "5", "reason": "late"}, format="json")
    assert body.json()["total"] == "5.00"
    # dora adjusted tina's: she may not approve it; dina may.
    approve = {"decisions": [decided.tina.pk]}
    answer = dora.post(f"{DECISIONS}approve/", approve, format="json")
    assert (answer.status_code, answer.json()["code"]) == (400, "four_eyes")
    answer = client_for(decided.dina).post(f"{DECISIONS}approve/", approve, format="json")
    assert answer.status_code == 200
    assert answer.json()[0]["status"] == "approved"
    missing = client_for(decided.dina).post(
        f"{DECISIONS}approve/", {"decisions": [999999]}, format="json"
    )
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["code"] == "does_not_exist"


def test_list_and_detail_cost_the_same_queries_for_5_and_25_people(decided):
    client = client_for(decided.org.department)
    few = (
        count(client, "get", f"{DECISIONS}?period={decided.jan.pk}")[0],
        count(client, "get", f"{DECISIONS}{decided.sam.pk}/")[0],
        count(client, "get", PLANS)[0],
    )
    grow(decided, 20, prefix="more")
    services.decisions_compute(period=decided.jan, now=AFTER)
    many = (
        count(client, "get", f"{DECISIONS}?period={decided.jan.pk}")[0],
        count(client, "get", f"{DECISIONS}{decided.sam.pk}/")[0],
        count(client, "get", PLANS)[0],
    )
    assert many == few


def test_release_answer_and_resolution_through_the_api(rw, django_capture_on_commit_callbacks):
    org = rw.org
    services.decisions_compute(period=rw.jan, now=AFTER)
    sam = decisions(rw.jan)["sam"]
    services.decisions_approve(decisions=[sam], acting_user=org.department)
    dora = _api(org, "department")
    assert (
        _api(org, "supervisor")
        .post(f"{DECISIONS}release/", {"decisions": [sam.pk]}, format="json")
        .status_code
        == 403
    )
    with django_capture_on_commit_callbacks(execute=True):
        answer = dora.post(f"{DECISIONS}release/", {"decisions": [sam.pk]}, format="json")
    assert answer.json()[0]["status"] == "released"
    mine = _api(org, "salesperson")
    assert (
        _api(org, "teammate").post(f"{DECISIONS}{sam.pk}/appeal/", {"reason": "x"}).status_code
        == 404
    )
    refused = mine.post(f"{DECISIONS}{sam.pk}/appeal/", {"reason": ""}, format="json")
    assert refused.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        body = mine.post(f"{DECISIONS}{sam.pk}/appeal/", {"reason": "late sale"}, format="json")
    assert body.json()["status"] == "appealed"
    resolve = f"{DECISIONS}{sam.pk}/resolve/"
    data = {"outcome": "changed", "amount": "12.50", "reason": "The sale counts"}
    assert mine.post(resolve, data, format="json").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        body = dora.post(resolve, data, format="json").json()
    assert body["status"] == "resolved"
    assert [(v["version"], v["total"]) for v in body["versions"]] == [(1, "45.50"), (2, "58.00")]
    assert sum(D(x["amount"]) for x in body["lines"]) == D("58.00")


def test_promotion_holds_through_the_api(rw):
    import datetime

    import time_machine

    from tests.conftest import local_moment

    org = rw.org
    services.decisions_compute(period=rw.jan, now=AFTER)
    sam = decisions(rw.jan)["sam"]
    services.decisions_approve(decisions=[sam], acting_user=org.department, now=AFTER)
    seen = {
        p: len(_api(org, p).get("/api/v1/promotion-holds/").json()["results"])
        for p in PERSONAS
        if p != "anonymous"
    }
    assert seen == by_persona(
        0,
        salesperson=1,
        supervisor=1,
        department=1,
        hr=1,
        personas=[p for p in PERSONAS if p != "anonymous"],
    )
    hold = sam.holds.get()
    url = f"/api/v1/promotion-holds/{hold.pk}/lift/"
    assert _api(org, "hr").post(url, {"reason": "x"}, format="json").status_code == 403
    with time_machine.travel(local_moment(datetime.date(2026, 2, 10)), tick=False):
        body = _api(org, "department").post(url, {"reason": "Board decision"}, format="json")
    assert body.json()["lift_reason"] == "Board decision"
