"""The period close end to end with eager tasks (no REDIS_URL): the snapshot equals an
oracle computed from the credits alone, a rerun (after a reopen or not) rewrites the
same rows and tells nobody twice, one run at a time per period, a stale run is
replaced, a failing step is recorded and a restart completes, reopening needs a
reason, and the beat closes what has ended."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from closing import services
from closing.models import (
    CloseRun,
    CloseStep,
    PersonAttainment,
    Reopening,
    ResultNotice,
    UnitAttainment,
)
from closing.pipeline import Step
from core.errors import DomainError
from notifications.models import Notification
from org.models import Period
from tests.closing import helpers
from tests.closing.helpers import (
    NOW,
    at,
    d,
    grow,
    oracle,
    snapshot,
    snapshot_rows,
)

world = helpers.world
pytestmark = pytest.mark.usefixtures("eager_tasks")


@pytest.fixture
def close(django_capture_on_commit_callbacks):
    """close(period, user=None, now=NOW) -> the run, refreshed, its tasks run (eager)."""

    def run(period, user=None, now=NOW, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            started = services.close_start(period=period, acting_user=user, now=now, **kwargs)
        started.refresh_from_db()
        period.refresh_from_db()
        return started

    return run


def steps_of(run):
    return [(s.name, s.status, s.done, s.total) for s in run.steps.order_by("position")]


def sale_in(world, day):
    from sales.records import services as sales_services

    return sales_services.record_save(
        date=day,
        customer=world.customer,
        amount=D(5),
        quantity=D(1),
        gross_margin=D(0),
        credits=[(world.org.salesperson, D(100))],
    )


# --- the oracle itself ------------------------------------------------------------------


def test_the_oracle_sums_the_credits_by_hand(world):
    org = world.org
    expected = oracle(world.month)
    rev, mar = world.revenue.pk, world.margin.pk
    assert expected[("person", org.salesperson.pk, rev)] == D("130.01")  # 100 + 30.01
    assert expected[("person", org.teammate.pk, rev)] == D("30.00")  # February not counted
    assert expected[("person", org.supervisor.pk, rev)] == D("70")
    assert expected[("person", org.east2_person.pk, rev)] == D("40")
    assert expected[("unit", org.team.pk, rev)] == D("230.01")
    assert expected[("unit", org.east.pk, rev)] == D("270.01")
    assert expected[("unit", org.company.pk, rev)] == D("1269.01")
    assert expected[("person", org.other_salesperson.pk, mar)] == D("99")
    # Everyone of the month has a key, with 0 when they sold nothing of a metric.
    assert expected[("person", org.east2_person.pk, mar)] == 0
    people = {k[1] for k in expected if k[0] == "person"}
    assert people == {p.pk for p in world.people}


# --- the whole close --------------------------------------------------------------------


def test_the_whole_close_snapshots_the_oracle_and_closes_the_period(world, close):
    org = world.org
    run = close(world.month, org.department)
    assert run.status == CloseRun.Status.SUCCEEDED, run.error
    assert run.started_by == org.department and run.trigger == "manual"
    assert run.started_at and run.finished_at and run.heartbeat_at
    assert steps_of(run) == [
        ("freeze", "done", 1, 1),
        ("snapshot", "done", 11, 11),  # 5 people + 6 units
        ("appraisal", "done", 0, 0),
        ("rewards", "done", 0, 0),
        ("notify", "done", 5, 5),
        ("finish", "done", 1, 1),
    ]
    assert snapshot(world.month) == oracle(world.month)
    sam = PersonAttainment.objects.get(
        period=world.month, metric=world.revenue, person=org.salesperson
    )
    assert (sam.target, sam.actual, sam.attainment, sam.run_id) == (
        D(1000),
        D("130.01"),
        D("13.00"),
        run.pk,
    )
    oscar = PersonAttainment.objects.get(
        period=world.month, metric=world.revenue, person=org.other_salesperson
    )
    assert (oscar.target, oscar.attainment) == (None, None)
    east = UnitAttainment.objects.get(period=world.month, metric=world.revenue, unit=org.east)
    assert (east.target, east.actual) == (D(2500), D("270.01"))
    assert world.month.status == Period.Status.CLOSED
    # The quarter and the year are not touched by a month's close.
    world.q1.refresh_from_db()
    assert world.q1.status == Period.Status.OPEN


def test_each_salesperson_is_told_in_app_and_by_email(world, close):
    org = world.org
    org.salesperson.preferred_language = "zh-hans"
    org.salesperson.save(update_fields=["preferred_language"])
    close(world.month, org.department)
    people = {p.pk for p in world.people}
    assert (
        set(
            Notification.objects.filter(kind="period_results_ready").values_list(
                "recipient_id", flat=True
            )
        )
        == people
    )
    assert Notification.objects.filter(kind="period_results_ready").count() == len(people)
    note = Notification.objects.filter(recipient=org.salesperson).latest("pk")
    assert note.params["period"] == "January 2026"
    assert note.params["period_zh"] == "2026年1月"
    assert f"period={world.month.pk}" in note.url
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in world.people)
    sams = next(m for m in mail.outbox if m.to == [org.salesperson.email])
    assert "2026年1月" in sams.subject  # in sam's language
    assert "130.01" in sams.body and "13.0" in sams.body
    tinas = next(m for m in mail.outbox if m.to == [org.teammate.email])
    assert "January 2026" in tinas.subject
    assert (
        set(
            ResultNotice.objects.filter(period=world.month, generation=0).values_list(
                "person_id", flat=True
            )
        )
        == people
    )


def test_the_freeze_refuses_sales_writes_in_the_period(world, close, settings):
    settings.CLOSE_STEPS = ["closing.steps.FREEZE", "tests.closing.test_services.BOOM"]
    BOOM_STATE["fail"] = True
    run = close(world.month, world.org.department)
    assert run.status == CloseRun.Status.FAILED
    assert world.month.status == Period.Status.CLOSING
    with pytest.raises(DomainError):
        sale_in(world, d(1, 20))
    sale_in(world, d(2, 20))  # February is still open


# --- reruns ---------------------------------------------------------------------------------


def test_a_rerun_after_a_reopen_gives_identical_rows_and_tells_everyone_once_more(world, close):
    org = world.org
    first = close(world.month, org.department)
    rows = snapshot_rows(world.month)
    assert len(rows) == 2 * 11
    services.close_reopen(
        period=world.month, reason="ERP late bookings", acting_user=org.department
    )
    world.month.refresh_from_db()
    assert world.month.status == Period.Status.OPEN
    second = close(world.month, org.department, now=NOW + datetime.timedelta(hours=1))
    assert second.pk != first.pk and second.status == CloseRun.Status.SUCCEEDED
    assert snapshot_rows(world.month) == rows
    assert PersonAttainment.objects.filter(period=world.month).count() == 2 * 5
    assert UnitAttainment.objects.filter(period=world.month).count() == 2 * 6
    assert set(PersonAttainment.objects.values_list("run_id", flat=True)) == {second.pk}
    # One notice per person and generation: told again after the reopening.
    assert ResultNotice.objects.filter(period=world.month, generation=0).count() == 5
    assert ResultNotice.objects.filter(period=world.month, generation=1).count() == 5
    assert Notification.objects.filter(kind="period_results_ready").count() == 10
    assert len(mail.outbox) == 10


def test_a_rerun_of_a_closed_period_recomputes_and_tells_nobody_twice(world, close):
    org = world.org
    close(world.month, org.department)
    rows = snapshot_rows(world.month)
    again = close(world.month, org.department, now=NOW + datetime.timedelta(hours=1))
    assert again.status == CloseRun.Status.SUCCEEDED, again.error
    assert snapshot_rows(world.month) == rows
    assert world.month.status == Period.Status.CLOSED
    assert ResultNotice.objects.count() == 5
    assert Notification.objects.filter(kind="period_results_ready").count() == 5
    assert len(mail.outbox) == 5


def test_a_rerun_sees_late_corrections_and_drops_rows_no_longer_due(world, close):
    org = world.org
    close(world.month, org.department)
    services.close_reopen(period=world.month, reason="correction", acting_user=org.department)
    sale_in(world, d(1, 28))  # sam +5 in January
    world.margin.is_active = False
    world.margin.save(update_fields=["is_active"])
    close(world.month, org.department, now=NOW + datetime.timedelta(hours=1))
    found = snapshot(world.month)
    assert found == oracle(world.month)
    assert found[("person", org.salesperson.pk, world.revenue.pk)] == D("135.01")
    assert not PersonAttainment.objects.filter(metric=world.margin).exists()


# --- one at a time --------------------------------------------------------------------------


def test_a_second_start_while_one_runs_is_refused(world, django_capture_on_commit_callbacks):
    org = world.org
    with django_capture_on_commit_callbacks(execute=False) as queued:
        run = services.close_start(period=world.month, acting_user=org.department, now=NOW)
    assert len(queued) == 1  # the first step, queued on commit
    assert run.status == CloseRun.Status.QUEUED
    assert list(run.steps.values_list("name", "status")) == [
        ("freeze", "pending"),
        ("snapshot", "pending"),
        ("appraisal", "pending"),
        ("rewards", "pending"),
        ("notify", "pending"),
        ("finish", "pending"),
    ]
    with pytest.raises(services.CloseBusy) as refused:
        services.close_start(
            period=world.month, acting_user=org.teammate, now=NOW + datetime.timedelta(minutes=5)
        )
    message = str(refused.value)
    assert "January 2026" in message and org.department.display_name in message
    assert "10:00" in message  # when it was started
    assert isinstance(refused.value, DomainError)
    assert CloseRun.objects.filter(period=world.month).count() == 1


def test_the_database_allows_one_active_run_per_period(world):
    CloseRun.objects.create(period=world.month)
    with pytest.raises(IntegrityError), transaction.atomic():
        CloseRun.objects.create(period=world.month, status="running")
    # Finished runs do not count.
    CloseRun.objects.create(period=world.jan, status="failed", finished_at=timezone.now())
    CloseRun.objects.create(period=world.feb)


def test_a_stale_run_is_marked_lost_and_replaced(world, settings, close):
    settings.CLOSE_STALE_SECONDS = 600
    old = CloseRun.objects.create(
        period=world.month, status="running", created_at=NOW, started_at=NOW, heartbeat_at=NOW
    )
    CloseStep.objects.create(run=old, position=1, name="freeze", status="done")
    CloseStep.objects.create(run=old, position=2, name="snapshot", status="running")
    # Not yet stale: refused.
    with pytest.raises(services.CloseBusy):
        services.close_start(period=world.month, now=NOW + datetime.timedelta(seconds=600))
    new = close(world.month, world.org.department, now=NOW + datetime.timedelta(seconds=601))
    old.refresh_from_db()
    assert old.status == CloseRun.Status.FAILED and old.finished_at
    assert old.error.startswith("lost: no progress since")
    assert old.steps.get(name="snapshot").status == "failed"
    assert new.status == CloseRun.Status.SUCCEEDED
    assert snapshot(world.month) == oracle(world.month)


def test_a_period_that_has_not_ended_is_refused(world):
    with pytest.raises(DomainError) as refused:
        services.close_start(period=world.feb, now=at(datetime.date(2026, 2, 28)))
    assert "28 February 2026" in str(refused.value) or "Feb. 28, 2026" in str(refused.value)
    assert "February 2026" in str(refused.value)
    assert not CloseRun.objects.exists()


def test_an_unknown_trigger_is_refused(world):
    with pytest.raises(DomainError):
        services.close_start(period=world.month, now=NOW, trigger="whenever")


# --- failure and restart --------------------------------------------------------------------

BOOM_STATE = {"fail": True}


def _boom(run, progress):
    if BOOM_STATE["fail"]:
        raise RuntimeError("the rewards service is down")


BOOM = Step(name="boom", label="Boom", count=lambda run: 1, run=_boom)

WITH_BOOM = [
    "closing.steps.FREEZE",
    "closing.steps.SNAPSHOT",
    "tests.closing.test_services.BOOM",
    "closing.steps.APPRAISAL",
    "closing.steps.NOTIFY",
    "closing.steps.FINISH",
]


def test_a_failing_step_is_recorded_and_a_restart_completes(world, close, settings):
    settings.CLOSE_STEPS = WITH_BOOM
    BOOM_STATE["fail"] = True
    failed = close(world.month, world.org.department)
    assert failed.status == CloseRun.Status.FAILED and failed.finished_at
    assert "the rewards service is down" in failed.error and failed.error.startswith("Boom:")
    assert steps_of(failed) == [
        ("freeze", "done", 1, 1),
        ("snapshot", "done", 11, 11),
        ("boom", "failed", 0, 1),
        ("appraisal", "pending", 0, 0),
        ("notify", "pending", 0, 0),
        ("finish", "pending", 0, 0),
    ]
    assert "the rewards service is down" in failed.steps.get(name="boom").error
    assert world.month.status == Period.Status.CLOSING  # sales writes stay refused
    assert not ResultNotice.objects.exists() and not mail.outbox

    BOOM_STATE["fail"] = False
    restarted = close(world.month, world.org.department, now=NOW + datetime.timedelta(minutes=3))
    assert restarted.status == CloseRun.Status.SUCCEEDED, restarted.error
    assert world.month.status == Period.Status.CLOSED
    assert snapshot(world.month) == oracle(world.month)
    assert PersonAttainment.objects.filter(period=world.month).count() == 10
    assert ResultNotice.objects.count() == 5


def test_run_step_raises_again_after_recording(world, settings, django_capture_on_commit_callbacks):
    settings.CLOSE_STEPS = ["tests.closing.test_services.BOOM"]
    BOOM_STATE["fail"] = True
    with django_capture_on_commit_callbacks(execute=False):
        run = services.close_start(period=world.month, now=NOW)
    with pytest.raises(RuntimeError):
        services.run_step(run_id=run.pk, name="boom")
    run.refresh_from_db()
    assert run.status == "failed" and "rewards service" in run.error


def test_a_transient_error_is_retried_then_recorded(
    world, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from django.db import OperationalError

    from closing import tasks

    calls = []

    def flaky(run, progress):
        calls.append(1)
        raise OperationalError("server closed the connection unexpectedly")

    settings.CLOSE_STEPS = ["tests.closing.test_services.FLAKY"]
    monkeypatch.setitem(FLAKY_STATE, "run", flaky)
    with django_capture_on_commit_callbacks(execute=False):
        run = services.close_start(period=world.month, now=NOW)
    # The service notes the error but leaves the run to the task's retries.
    with pytest.raises(OperationalError):
        services.run_step(run_id=run.pk, name="flaky")
    run.refresh_from_db()
    assert run.status == "running"
    assert "server closed" in run.steps.get().error
    # The task retries (eagerly here) and records the failure when it gives up.
    calls.clear()
    monkeypatch.setitem(tasks.run_step.app.conf, "task_eager_propagates", False)
    result = tasks.run_step.apply(args=(run.pk, "flaky"))
    assert result.state == "FAILURE" and isinstance(result.result, OperationalError)
    assert len(calls) == tasks.MAX_RETRIES + 1
    run.refresh_from_db()
    assert run.status == "failed" and "OperationalError" in run.error


FLAKY_STATE = {"run": None}
FLAKY = Step(
    name="flaky", label="Flaky", count=lambda run: 1, run=lambda r, p: FLAKY_STATE["run"](r, p)
)


def test_a_redelivered_step_that_is_done_is_skipped(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run = services.close_start(period=world.month, now=NOW)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert services.run_step(run_id=run.pk, name="freeze") == "snapshot"
    assert len(queued) == 1
    freeze = run.steps.get(name="freeze")
    with django_capture_on_commit_callbacks(execute=False) as queued_again:
        assert services.run_step(run_id=run.pk, name="freeze") == "snapshot"
    assert len(queued_again) == 1  # the next step queued again, harmless
    again = run.steps.get(name="freeze")
    assert (again.status, again.finished_at) == ("done", freeze.finished_at)
    # A run that is over ignores a late task.
    CloseRun.objects.filter(pk=run.pk).update(status="failed", finished_at=timezone.now())
    assert services.run_step(run_id=run.pk, name="snapshot") is None
    assert run.steps.get(name="snapshot").status == "pending"


def test_a_killed_snapshot_resumes_from_its_committed_batches(
    world, settings, django_capture_on_commit_callbacks, monkeypatch
):
    """A worker killed mid-step (here: SystemExit, which no handler catches) leaves the
    batches it committed and their count; the redelivered task carries on from there
    and the result is the oracle with exactly one row per key."""
    from closing import steps

    settings.CLOSE_BATCH_SIZE = 3
    grow(world, 4)  # 9 people + 7 units = 16 owners: batches of 3
    with django_capture_on_commit_callbacks(execute=False):
        run = services.close_start(period=world.month, now=NOW)
        services.run_step(run_id=run.pk, name="freeze")
    real = steps.snapshot_batch
    seen = []

    def dying(**kwargs):
        seen.append(list(kwargs["batch"]))
        if len(seen) == 3:
            raise SystemExit("killed")
        return real(**kwargs)

    monkeypatch.setattr(steps, "snapshot_batch", dying)
    with pytest.raises(SystemExit):
        services.run_step(run_id=run.pk, name="snapshot")
    step = run.steps.get(name="snapshot")
    assert (step.status, step.done, step.total) == ("running", 6, 16)
    run.refresh_from_db()
    assert run.status == "running"
    assert PersonAttainment.objects.count() + UnitAttainment.objects.count() == 6 * 2

    monkeypatch.setattr(steps, "snapshot_batch", real)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_step(run_id=run.pk, name="snapshot")
    run.refresh_from_db()
    period = Period.objects.get(pk=world.month.pk)
    assert run.status == "succeeded" and period.status == "closed"
    assert run.steps.get(name="snapshot").done == 16
    assert snapshot(world.month) == oracle(world.month)
    assert PersonAttainment.objects.count() == 9 * 2 and UnitAttainment.objects.count() == 7 * 2


# --- reopen ---------------------------------------------------------------------------------


def test_reopening_needs_a_reason(world, close):
    close(world.month, world.org.department)
    for reason in ("", "   "):
        with pytest.raises(DomainError) as refused:
            services.close_reopen(
                period=world.month, reason=reason, acting_user=world.org.department
            )
        assert "January 2026" in str(refused.value)
    world.month.refresh_from_db()
    assert world.month.status == Period.Status.CLOSED
    assert not Reopening.objects.exists()


def test_only_a_closed_period_can_be_reopened(world):
    with pytest.raises(DomainError) as refused:
        services.close_reopen(period=world.month, reason="why", acting_user=world.org.department)
    assert "January 2026" in str(refused.value) and "open" in str(refused.value)


def test_reopening_records_the_reason_and_opens_the_periods_within(world, close):
    org = world.org
    after_q1 = at(datetime.date(2026, 4, 2))
    run = close(world.q1, org.department, now=after_q1)
    assert run.status == "succeeded", run.error
    for p in (world.q1, world.jan, world.feb, world.mar):
        p.refresh_from_db()
        assert p.status == Period.Status.CLOSED
    reopening = services.close_reopen(
        period=world.q1, reason="  Late ERP bookings  ", acting_user=org.department
    )
    assert (reopening.period_id, reopening.reason, reopening.reopened_by) == (
        world.q1.pk,
        "Late ERP bookings",
        org.department,
    )
    assert Reopening.objects.count() == 4  # the quarter and its three months
    for p in (world.q1, world.jan, world.feb, world.mar):
        p.refresh_from_db()
        assert p.status == Period.Status.OPEN
    assert world.q1.history.first().history_change_reason == "Late ERP bookings"
    sale_in(world, d(1, 29))  # sales writes are accepted again


def test_a_quarter_close_freezes_and_closes_its_months(world, close):
    run = close(world.q1, world.org.department, now=at(datetime.date(2026, 4, 2)))
    assert steps_of(run)[0] == ("freeze", "done", 4, 4)
    for p in (world.jan, world.feb, world.mar):
        p.refresh_from_db()
        assert p.status == Period.Status.CLOSED
    assert snapshot(world.q1) == oracle(world.q1)


# --- the beat ---------------------------------------------------------------------------------


def test_the_beat_closes_the_month_at_month_end(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        runs = services.close_due_periods(today=datetime.date(2026, 2, 1))
    assert [r.period_id for r in runs] == [world.jan.pk]
    run = CloseRun.objects.get()
    assert (run.trigger, run.started_by, run.status) == ("schedule", None, "succeeded")
    assert snapshot(world.jan) == oracle(world.jan)
    # Nothing more on the next day, nor for the month that has not ended.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.close_due_periods(today=datetime.date(2026, 2, 2)) == []


def test_the_beat_closes_months_then_the_quarter_at_quarter_end(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.close_due_periods(today=datetime.date(2026, 2, 1))
    with django_capture_on_commit_callbacks(execute=True):
        runs = services.close_due_periods(today=datetime.date(2026, 4, 1))
    # The quarter's close covers February and March (one close, not three at once).
    assert [r.period_id for r in runs] == [world.q1.pk]
    assert set(CloseRun.objects.values_list("status", flat=True)) == {"succeeded"}
    for p in (world.jan, world.feb, world.mar, world.q1):
        p.refresh_from_db()
        assert p.status == Period.Status.CLOSED
        assert snapshot(p) == oracle(p), p.label
    # Each salesperson was told of February, March and the quarter (January before).
    told = set(ResultNotice.objects.values_list("period_id", flat=True))
    assert told == {world.jan.pk, world.feb.pk, world.mar.pk, world.q1.pk}


def test_the_beat_closes_the_year_at_year_end(world, django_capture_on_commit_callbacks):
    from org.services import fiscal_year_create

    fiscal_year_create(start_year=2027, start_month=1)
    with django_capture_on_commit_callbacks(execute=True):
        runs = services.close_due_periods(today=datetime.date(2027, 1, 1))
    # One close, the year's, which closes its quarters and months with their snapshots.
    assert [r.period_id for r in runs] == [world.year.pk]
    assert not CloseRun.objects.exclude(status="succeeded").exists()
    world.year.refresh_from_db()
    assert world.year.status == Period.Status.CLOSED
    assert not Period.objects.filter(fiscal_year=world.fiscal_year).exclude(status="closed")
    for p in (world.jan, world.q1, world.year):
        assert snapshot(p) == oracle(p), p.label
    # The new year's months have not ended: untouched.
    assert not CloseRun.objects.filter(period__fiscal_year__name__contains="2027").exists()
