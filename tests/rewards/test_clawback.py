"""A sale cancelled after its period's decisions were approved is taken back (追回) as an
adjustment line of the person's decision in the next period of the plan's kind, with its
reason and the record it comes from; the approved decision never changes.

The decisions are computed on the (pinned, ticking) clock, after the sales were written,
as the close computes them: a clawback takes back only what the approved working counted
(booked when it was computed, cancelled after)."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from rewards import services
from rewards.models import Clawback, Decision, DecisionVersion
from sales.models import SalesRecord
from sales.records import services as sales_services
from tests.closing.helpers import _sale, d
from tests.rewards.conftest import decisions

pytestmark = pytest.mark.django_db


def _lines(decision):
    return [(x["kind"], x["key"], x["amount"]) for x in decision.working["lines"]]


@pytest.fixture
def world(rw):
    """January approved for everyone; eve sold 40 + 20 of her 200 (30 %: 150.00)."""
    rw.extra = _sale(d(1, 21), rw.customer, "20", [(rw.org.east2_person, 100)])
    services.decisions_compute(period=rw.jan)
    found = decisions(rw.jan)
    services.decisions_approve(decisions=list(found.values()), acting_user=rw.dina)
    rw.eve_jan = Decision.objects.get(pk=found["eve"].pk)
    rw.sam_jan = Decision.objects.get(pk=found["sam"].pk)
    assert rw.eve_jan.total == D("150.00")
    rw.first = {d.pk: (d.working, d.total) for d in Decision.objects.filter(period=rw.jan)}
    return rw


def _unchanged(world):
    for decision in Decision.objects.filter(period=world.jan):
        assert (decision.working, decision.total) == world.first[decision.pk]
        assert decision.status == "approved"
    for version in DecisionVersion.objects.filter(decision__period=world.jan):
        assert version.version == 1


def test_a_sale_cancelled_after_approval_is_taken_back_in_the_next_period(world):
    sales_services.record_cancel(record=world.extra)
    services.decisions_compute(period=world.feb)
    eve = decisions(world.feb)["eve"]
    clawback = Clawback.objects.get()
    # Without the 20: 40 of 200 = 20 %, 100.00; the approved decision paid 150.00.
    assert (clawback.source, clawback.period, clawback.person) == (
        world.eve_jan,
        world.feb,
        world.org.east2_person,
    )
    assert (clawback.record_id, clawback.amount) == (world.extra.pk, D("-50.00"))
    assert f"#{world.extra.pk}" in clawback.reason
    assert "January 2026" in clawback.reason
    assert "2026-01-21" in clawback.reason
    assert clawback.detail["bonus_before"] == "150.00"
    assert clawback.detail["bonus_after"] == "100.00"
    assert clawback.detail["attainments_after"]["revenue"] == "20"
    # February: no target (nothing earned), the clawback line, and the total adds up.
    assert _lines(eve)[-1] == ("adjustment", f"clawback:{clawback.pk}", "-50.00")
    assert eve.total == D("-50.00")
    assert eve.total == sum(D(x["amount"]) for x in eve.working["lines"])
    _unchanged(world)


def test_computing_again_takes_it_back_once(world):
    sales_services.record_cancel(record=world.extra)
    services.decisions_compute(period=world.feb)
    services.decisions_compute(period=world.feb)
    assert Clawback.objects.count() == 1
    eve = decisions(world.feb)["eve"]
    assert [x for x in _lines(eve) if x[1].startswith("clawback:")] == [
        ("adjustment", f"clawback:{Clawback.objects.get().pk}", "-50.00")
    ]
    # March does not take it back again.
    services.decisions_compute(period=world.mar)
    assert Clawback.objects.count() == 1
    assert not [x for x in _lines(decisions(world.mar)["eve"]) if x[1].startswith("clawback:")]


def test_a_split_sale_is_taken_back_from_each_person_credited(world):
    # 60.01 split between sam and tina: sam without his 30.01 is at 10 % (100 of 1000),
    # the threshold: 5 % of 1000 = 50.00, less 30 % = 35.00 against the 45.50 approved.
    # tina, below the threshold, earned nothing to take back.
    split = SalesRecord.objects.get(date=d(1, 15))
    sales_services.record_cancel(record=split)
    services.decisions_compute(period=world.feb)
    (clawback,) = Clawback.objects.all()
    assert (clawback.person, clawback.amount) == (world.org.salesperson, D("-10.50"))
    assert clawback.detail["bonus_after"] == "35.00"
    _unchanged(world)


def test_two_cancellations_take_back_their_own_difference_in_turn(world):
    first = SalesRecord.objects.get(date=d(1, 20))  # eve's 40
    sales_services.record_cancel(record=world.extra)
    sales_services.record_cancel(record=first)
    services.decisions_compute(period=world.feb)
    amounts = dict(Clawback.objects.values_list("record_id", "amount"))
    # In the records' order: without the 40, 20 of 200 = 10 %: 50.00 less the 30 %
    # penalty = 35.00 (-115.00); without the 20 as well, 0 (-35.00): the two lines add
    # up to all of the approved 150.00.
    assert amounts == {first.pk: D("-115.00"), world.extra.pk: D("-35.00")}
    eve = decisions(world.feb)["eve"]
    assert eve.total == D("-150.00")


def test_a_sale_cancelled_before_the_decision_was_computed_is_not_taken_back(world):
    # The world's 1000 of 12 January was cancelled before anything was computed.
    services.decisions_compute(period=world.feb)
    assert not Clawback.objects.exists()


def test_a_cancellation_that_changes_nothing_takes_nothing(world):
    # tina is below the threshold: without her half she still earns 0.
    split = SalesRecord.objects.get(date=d(1, 15))
    sales_services.record_cancel(record=split)
    services.decisions_compute(period=world.feb)
    assert not Clawback.objects.filter(person=world.org.teammate).exists()


def test_a_decision_still_proposed_is_just_computed_again(rw):
    extra = _sale(d(1, 21), rw.customer, "20", [(rw.org.east2_person, 100)])
    services.decisions_compute(period=rw.jan)
    sales_services.record_cancel(record=extra)
    services.decisions_compute(period=rw.jan)
    services.decisions_compute(period=rw.feb)
    assert not Clawback.objects.exists()
    assert decisions(rw.jan)["eve"].total == D("100.00")


def test_the_department_takes_a_cancelled_sale_back_at_once(world):
    with pytest.raises(DomainError) as refused:
        services.clawback_record(record=world.extra, acting_user=world.org.department)
    assert (refused.value.code, refused.value.field) == ("not_cancelled", "record")
    sales_services.record_cancel(record=world.extra)
    with pytest.raises(PermissionDenied):
        services.clawback_record(record=world.extra, acting_user=world.org.supervisor)
    (clawback,) = services.clawback_record(record=world.extra, acting_user=world.org.department)
    assert (clawback.period, clawback.amount) == (world.feb, D("-50.00"))
    eve = decisions(world.feb)["eve"]
    assert eve.status == "proposed"
    assert _lines(eve)[-1] == ("adjustment", f"clawback:{clawback.pk}", "-50.00")
    # Once only.
    assert services.clawback_record(record=world.extra) == [clawback]
    _unchanged(world)


def test_with_the_next_period_approved_it_goes_into_the_one_after(world):
    services.decisions_compute(period=world.feb)
    services.decisions_approve(
        decisions=list(Decision.objects.filter(period=world.feb)), acting_user=world.dina
    )
    sales_services.record_cancel(record=world.extra)
    (clawback,) = services.clawback_record(record=world.extra)
    assert clawback.period == world.mar
    mar = decisions(world.mar)["eve"]
    assert mar.total == D("-50.00")
    assert mar.total == sum(D(x["amount"]) for x in mar.working["lines"])


def test_the_clawback_is_approved_with_the_decision_it_is_a_line_of(world):
    sales_services.record_cancel(record=world.extra)
    services.decisions_compute(period=world.feb)
    eve = decisions(world.feb)["eve"]
    services.decisions_approve(
        decisions=[eve], acting_user=world.dina, now=datetime.datetime.now(datetime.UTC)
    )
    version = DecisionVersion.objects.get(decision=eve)
    assert (version.total, version.adjustments) == (D("-50.00"), D("-50.00"))


def test_it_waits_for_the_next_open_period_rather_than_a_later_one(world):
    services.decisions_compute(period=world.feb)  # February proposed, not approved
    sales_services.record_cancel(record=world.extra)
    services.decisions_compute(period=world.mar)
    assert not Clawback.objects.exists()
    services.decisions_compute(period=world.feb)
    assert Clawback.objects.get().period == world.feb
