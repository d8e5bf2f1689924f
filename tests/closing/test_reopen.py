"""Closed stays closed across a period and the periods within and around it: reopening
a period reopens what it contains and what contains it, closing it again recomputes
their snapshots, a quarter's close never leaves a month closed without a snapshot, and
closes of nested periods never run at the same time."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse

from closing import services
from closing.models import CloseRun, PersonAttainment, Reopening
from org.models import Period
from tests.closing import helpers
from tests.closing.helpers import at, d, oracle, snapshot

world = helpers.world
pytestmark = pytest.mark.usefixtures("eager_tasks")

AFTER_Q1 = at(datetime.date(2026, 4, 2))


@pytest.fixture
def close(django_capture_on_commit_callbacks):
    def run(period, user, now=AFTER_Q1):
        with django_capture_on_commit_callbacks(execute=True):
            started = services.close_start(period=period, acting_user=user, now=now)
        started.refresh_from_db()
        period.refresh_from_db()
        assert started.status == "succeeded", started.error
        return started

    return run


def sale(world, day, amount="5"):
    from sales.records import services as sales_services

    return sales_services.record_save(
        date=day,
        customer=world.customer,
        amount=D(amount),
        quantity=D(1),
        gross_margin=D(0),
        credits=[(world.org.salesperson, D(100))],
    )


def statuses(*periods):
    for p in periods:
        p.refresh_from_db()
    return [p.status for p in periods]


def actual(period, person, metric):
    return snapshot(period)[("person", person.pk, metric.pk)]


def test_a_reopened_quarter_recloses_with_every_month_recomputed(world, close):
    """The reported case: reopen Q3, book a sale on 31 August, close Q3 again — August
    must not be back to closed with its old snapshot."""
    org = world.org
    for month in (world.jan, world.feb, world.mar):
        close(month, org.department)
    close(world.q1, org.department)
    before = actual(world.jan, org.salesperson, world.revenue)

    services.close_reopen(period=world.q1, reason="Late ERP bookings", acting_user=org.department)
    assert statuses(world.q1, world.jan, world.feb, world.mar) == ["open"] * 4
    sale(world, d(1, 31), "1000")
    close(world.q1, org.department)

    assert statuses(world.q1, world.jan, world.feb, world.mar) == ["closed"] * 4
    assert actual(world.jan, org.salesperson, world.revenue) == before + 1000
    for period in (world.q1, world.jan, world.feb, world.mar):
        assert snapshot(period) == oracle(period), period.label


def test_reopening_a_month_reopens_the_closed_quarter_and_year_around_it(world, close):
    org = world.org
    close(world.q1, org.department)
    year_end = at(datetime.date(2027, 1, 2))
    close(world.year, org.department, now=year_end)
    assert statuses(world.year, world.q1, world.jan) == ["closed"] * 3

    services.close_reopen(period=world.feb, reason="A returned order", acting_user=org.department)
    # February, and what contains it; January and March stay closed.
    assert statuses(world.feb, world.q1, world.year) == ["open"] * 3
    assert statuses(world.jan, world.mar) == ["closed"] * 2
    reopened = set(Reopening.objects.values_list("period_id", "reason"))
    assert reopened == {(p.pk, "A returned order") for p in (world.feb, world.q1, world.year)}

    sale(world, d(2, 10), "77")
    close(world.year, org.department, now=year_end)
    assert statuses(world.year, world.q1, world.feb) == ["closed"] * 3
    for period in (world.year, world.q1, world.feb):
        assert snapshot(period) == oracle(period), period.label


def test_a_quarter_close_gives_a_month_whose_own_close_failed_its_snapshot(world, close):
    org = world.org
    services.close_start(period=world.feb, acting_user=org.department, now=AFTER_Q1)
    failed = CloseRun.objects.get(period=world.feb)
    services.step_fail(run_id=failed.pk, name="freeze", error="the database went away")
    Period.objects.filter(pk=world.feb.pk).update(status="closing")  # as a failed freeze leaves it

    close(world.q1, org.department)
    assert statuses(world.q1, world.jan, world.feb, world.mar) == ["closed"] * 4
    for month in (world.jan, world.feb, world.mar):
        assert snapshot(month) == oracle(month), month.label


def test_a_closed_month_keeps_its_own_snapshot_when_its_quarter_closes(world, close):
    org = world.org
    run = close(world.jan, org.department)
    close(world.q1, org.department)
    assert set(PersonAttainment.objects.filter(period=world.jan).values_list("run", flat=True)) == {
        run.pk
    }


def test_nested_closes_never_run_at_the_same_time(world):
    org = world.org
    after_year = at(datetime.date(2027, 1, 2))
    month_run = services.close_start(period=world.jan, acting_user=org.department, now=after_year)
    for period in (world.q1, world.year):
        with pytest.raises(services.CloseBusy) as busy:
            services.close_start(period=period, acting_user=org.department, now=after_year)
        assert "January 2026" in str(busy.value)
    assert CloseRun.objects.count() == 1 and month_run.is_active
    # ... nor a reopening of what contains a running close.
    Period.objects.filter(pk=world.q1.pk).update(status="closed")
    with pytest.raises(services.CloseBusy):
        services.close_reopen(period=world.q1, reason="why", acting_user=org.department)
    assert not Reopening.objects.exists()


def test_the_reopen_page_names_the_periods_that_reopen_with_it(world, close, client_as):
    org = world.org
    close(world.q1, org.department)
    page = client_as("department").get(reverse("closing:reopen", args=[world.feb.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "These closed periods reopen with it" in text
    assert world.q1.label in text
    assert (
        world.jan.label not in text.split("These closed periods reopen with it")[1].split("</p>")[0]
    )
