"""The pipeline's machinery: a fixed number of queries per batch whatever the number
of people (rows written in bulk, never one save per row), progress that commits with
each batch and resumes where it stopped, and the plan read from settings.CLOSE_STEPS
(adding a step is one Step object and one line)."""

from __future__ import annotations

import datetime
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from closing import pipeline, services
from closing.models import CloseRun, CloseStep, PersonAttainment, UnitAttainment
from closing.pipeline import Progress, Step
from tests.closing import helpers
from tests.closing.helpers import (
    NOW,
    grow,
    oracle,
    snapshot,
)

world = helpers.world
pytestmark = pytest.mark.usefixtures("eager_tasks")


# The whole close of a month, tasks eager, e-mails sent: measured once, then the same
# number for ten times the people (one batch each). Raise it only with a reason.
# 125 -> 131: the snapshot and notify steps read the periods within the closed one
# (a quarter's close snapshots and reports the months it closes).
# 131 -> 145: the rewards step (its task, its step row and progress, and the plans in
# force for each period the close covers; no plan here).
MAX_CLOSE_QUERIES = 145


def _close(period, django_capture_on_commit_callbacks, now=NOW):
    with (
        CaptureQueriesContext(connection) as ctx,
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = services.close_start(period=period, now=now)
    run.refresh_from_db()
    assert run.status == CloseRun.Status.SUCCEEDED, run.error
    return len(ctx.captured_queries)


def test_the_close_runs_the_same_queries_for_5_and_50_more_people(
    world, django_capture_on_commit_callbacks
):
    grow(world, 5, prefix="five")
    few = _close(world.month, django_capture_on_commit_callbacks)
    assert few <= MAX_CLOSE_QUERIES
    services.close_reopen(
        period=world.month, reason="more people", acting_user=world.org.department
    )
    grow(world, 45, prefix="more")
    many = _close(
        world.month, django_capture_on_commit_callbacks, now=NOW + datetime.timedelta(hours=1)
    )
    assert many == few
    assert PersonAttainment.objects.filter(period=world.month).count() == 2 * (5 + 5 + 45)
    assert snapshot(world.month) == oracle(world.month)


def test_the_snapshot_runs_a_fixed_number_of_queries_per_batch(
    world, settings, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    settings.CLOSE_BATCH_SIZE = 4
    grow(world, 20)
    people, units = 5 + 20, 7
    batches = math.ceil((people + units) / 4)
    with django_capture_on_commit_callbacks(execute=False):
        run = services.close_start(period=world.month, now=NOW)
        services.run_step(run_id=run.pk, name="freeze")
        # Claim 8, set-up 4, per batch at most 9 (savepoint, targets, unit paths, month
        # totals, two upserts, progress 2, release), clean-up 4, completion 6.
        with (
            django_assert_max_num_queries(8 + 4 + 9 * batches + 4 + 6),
            CaptureQueriesContext(connection) as ctx,
        ):
            services.run_step(run_id=run.pk, name="snapshot")
    inserts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("INSERT")]
    person_batches = math.ceil(people / 4)
    unit_batches = batches - people // 4  # the mixed batch and the units' own
    assert sum("closing_personattainment" in q for q in inserts) == person_batches
    assert sum("closing_unitattainment" in q for q in inserts) == unit_batches
    assert len(inserts) == person_batches + unit_batches  # no row saved on its own
    step = run.steps.get(name="snapshot")
    assert (step.status, step.done, step.total) == ("done", people + units, people + units)
    assert PersonAttainment.objects.count() == people * 2
    assert UnitAttainment.objects.count() == units * 2


# --- Progress ---------------------------------------------------------------------------------


@pytest.fixture
def running_step(world):
    run = CloseRun.objects.create(period=world.month, status="running", created_at=NOW)
    step = CloseStep.objects.create(run=run, position=1, name="work", status="running", total=10)
    return run, step


def test_progress_commits_each_batch_and_resumes_from_done(running_step, settings):
    settings.CLOSE_BATCH_SIZE = 3
    run, step = running_step
    CloseStep.objects.filter(pk=step.pk).update(done=4)
    step.refresh_from_db()
    seen = []
    progress = Progress(run=run, step=step)
    progress.each_batch(list(range(10)), lambda batch: seen.append(list(batch)))
    assert seen == [[4, 5, 6], [7, 8, 9]]
    step.refresh_from_db()
    run.refresh_from_db()
    assert step.done == 10 == progress.done
    assert run.heartbeat_at is not None


def test_a_batch_that_raises_leaves_its_count_unchanged(running_step, settings):
    settings.CLOSE_BATCH_SIZE = 3
    run, step = running_step
    calls = []

    def handler(batch):
        calls.append(batch)
        CloseStep.objects.filter(pk=step.pk).update(error="half-written")
        if len(calls) == 2:
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        Progress(run=run, step=step).each_batch(list(range(10)), handler)
    step.refresh_from_db()
    assert step.done == 3  # the first batch only; the second rolled back with its writes
    assert step.error == "half-written"  # from the first batch (committed)


def test_the_pause_between_batches_is_a_testing_aid(running_step, settings, monkeypatch):
    from closing import pipeline as module

    slept = []
    monkeypatch.setattr(module.time, "sleep", slept.append)
    settings.CLOSE_BATCH_SIZE = 4
    settings.CLOSE_BATCH_PAUSE = 0.25
    run, step = running_step
    Progress(run=run, step=step).each_batch(list(range(10)), lambda batch: None)
    assert slept == [0.25, 0.25, 0.25]
    settings.CLOSE_BATCH_PAUSE = 0
    slept.clear()
    CloseStep.objects.filter(pk=step.pk).update(done=0)
    step.refresh_from_db()
    Progress(run=run, step=step).each_batch(list(range(10)), lambda batch: None)
    assert slept == []


# --- the plan ---------------------------------------------------------------------------------

EXTRA_CALLS = []


def _extra_run(run, progress):
    EXTRA_CALLS.append((run.pk, progress.total))
    progress.each_batch(["a", "b"], lambda batch: None)


EXTRA = Step(name="honours", label="Honours", count=lambda run: 2, run=_extra_run)


def test_the_plan_follows_the_setting():
    assert [s.name for s in pipeline.plan()] == [
        "freeze",
        "snapshot",
        "appraisal",
        "rewards",
        "notify",
        "finish",
    ]
    assert str(pipeline.labels()["snapshot"]) == "Attainment snapshot"


def test_adding_a_step_is_one_object_and_one_line(
    world, settings, django_capture_on_commit_callbacks
):
    settings.CLOSE_STEPS = [
        *settings.CLOSE_STEPS[:4],
        "tests.closing.test_pipeline.EXTRA",
        *settings.CLOSE_STEPS[4:],
    ]
    EXTRA_CALLS.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run = services.close_start(period=world.month, now=NOW)
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    assert list(run.steps.values_list("name", "status", "done", "total")) == [
        ("freeze", "done", 1, 1),
        ("snapshot", "done", 11, 11),
        ("appraisal", "done", 0, 0),
        ("rewards", "done", 0, 0),
        ("honours", "done", 2, 2),
        ("notify", "done", 5, 5),
        ("finish", "done", 1, 1),
    ]
    assert [(run.pk, 2)] == EXTRA_CALLS


def test_a_misconfigured_plan_is_refused(settings):
    settings.CLOSE_STEPS = ["closing.steps.FREEZE", "closing.steps.family"]
    with pytest.raises(TypeError):
        pipeline.plan()
    settings.CLOSE_STEPS = ["closing.steps.FREEZE", "closing.steps.FREEZE"]
    with pytest.raises(ValueError):
        pipeline.plan()


def test_a_run_naming_a_step_no_longer_configured_fails_clearly(
    world, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        run = services.close_start(period=world.month, now=NOW)
    settings.CLOSE_STEPS = ["closing.steps.SNAPSHOT"]
    with pytest.raises(pipeline.UnknownStep):
        services.run_step(run_id=run.pk, name="freeze")
    run.refresh_from_db()
    assert run.status == "failed" and "freeze" in run.error
