"""A period close on a real Celery worker, on the real Redis and PostgreSQL, that
survives the worker being killed in the middle of a step.

The test builds an ended month (January 2026, `tests.closing.helpers`) with about
two hundred salespeople in four more teams and their sales, starts the close through
`closing.services.close_start` (not eager: REDIS_URL is set), and starts a worker
process with small batches and a pause after each one (CLOSE_BATCH_SIZE=10,
CLOSE_BATCH_PAUSE=0.3), so the snapshot step takes several seconds. When the
snapshot has written part of its rows it SIGKILLs the worker's whole process group
(no warm shutdown, no chance to ack or record anything), checks that the run is
still `running` with the snapshot half done, and starts a second worker. The broker
gives the unacknowledged task back after the visibility timeout (set to 5 s for the
workers, so the new worker's restore at start-up sees it), the step runs again, and
the close finishes: exactly one snapshot row per key and every actual equal to the
test's own oracle computed from the credits.

Isolation: the workers use the test database (`connection.settings_dict["NAME"]`,
which they can read because the test is transactional) and a queue of their own
(a fresh name per run, which is both the queue they consume and the default queue
they publish the next steps to), so no other test or worker on the same Redis
takes or gives them tasks. The workers are always stopped, and the queue removed,
whatever happens.

Runs only with both REDIS_URL and DATABASE_URL (CI's second run); skipped with the
reason otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from closing.models import CloseRun, CloseStep, PersonAttainment, ResultNotice, UnitAttainment
from notifications.models import Notification
from org.models import Period
from salesperf.celery import app as celery_app
from tests.closing.helpers import build_world, grow, oracle, snapshot

ROOT = Path(__file__).resolve().parents[2]
BATCH_SIZE = 10
BATCH_PAUSE = 0.3  # seconds after each batch: the snapshot takes several seconds
VISIBILITY_TIMEOUT = 5  # seconds before the broker gives an unacked task back
KILL_WINDOW = 60  # seconds to catch the snapshot half done
FINISH_TIMEOUT = 90  # seconds for the second worker to finish the close
SNAPSHOT = "snapshot"

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    # The workers run on the real clock; so does this process.
    pytest.mark.real_clock,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="REDIS_URL is not set: the worker-kill test needs a real Redis broker",
    ),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL"),
        reason="DATABASE_URL is not set: the worker-kill test needs a real PostgreSQL "
        "that a worker process can share",
    ),
]

# The worker: `celery -A salesperf worker --concurrency 1 -l info`, started through
# the app object so it can use its own default queue (consumed, and used for the
# next steps it enqueues); Celery has no command-line option for the publishing side.
WORKER = """
import sys
from salesperf.celery import app
queue, name = sys.argv[1], sys.argv[2]
app.conf.task_default_queue = queue
app.worker_main([
    "worker", "--concurrency", "1", "--loglevel", "INFO", "--queues", queue,
    "--hostname", name, "--without-mingle", "--without-gossip", "--without-heartbeat",
])
"""


def _worker_env(*, pause: float) -> dict:
    url = urlsplit(os.environ["DATABASE_URL"])
    test_db = connection.settings_dict["NAME"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "EMAIL_HOST"))}
    env.update(
        DATABASE_URL=urlunsplit(url._replace(path=f"/{test_db}")),
        REDIS_URL=os.environ["REDIS_URL"],
        DJANGO_SETTINGS_MODULE="salesperf.settings",
        CLOSE_BATCH_SIZE=str(BATCH_SIZE),
        CLOSE_BATCH_PAUSE=str(pause),
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        PYTHONUNBUFFERED="1",
    )
    return env


class Workers:
    """The worker processes of one test, each in a process group of its own (the
    prefork pool's child is in it too), with their output in a temporary file."""

    def __init__(self, queue: str):
        self.queue = queue
        self.started: list[tuple[subprocess.Popen, Path]] = []
        self.dir = Path(tempfile.mkdtemp(prefix="closing-worker-"))

    def start(self, *, pause: float) -> subprocess.Popen:
        number = len(self.started) + 1
        log = self.dir / f"worker-{number}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-c", WORKER, self.queue, f"{self.queue}-{number}@%h"],
                cwd=ROOT,
                env=_worker_env(pause=pause),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for killpg
            )
        self.started.append((process, log))
        return process

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL the whole group: the main process and its pool child alike."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process, _log in self.started:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=15)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
            self.kill(process)

    def logs(self, lines: int = 60) -> str:
        parts = []
        for number, (process, log) in enumerate(self.started, start=1):
            text = log.read_text(errors="replace").splitlines() if log.exists() else []
            parts.append(
                f"--- worker {number} (exit {process.poll()}), last {lines} lines of {log}:\n"
                + "\n".join(text[-lines:])
            )
        return "\n".join(parts)


def _drop_queue(queue: str) -> None:
    """Remove the test queue and any message of it still waiting for an ack."""
    with celery_app.connection_for_write() as conn:
        client = conn.default_channel.client
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        for tag, raw in (client.hgetall("unacked") or {}).items():
            try:
                _message, exchange, routing_key = json.loads(raw)
            except (TypeError, ValueError):
                continue
            if queue in (exchange, routing_key):
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)


@pytest.fixture
def workers(org, monkeypatch):
    """A fresh queue for the close's tasks (this process publishes the first step to
    it) and the workers started on it; stopped before the database is flushed."""
    queue = f"closing-kill-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    started = Workers(queue)
    try:
        yield started
    finally:
        started.stop_all()
        _drop_queue(queue)
        shutil.rmtree(started.dir, ignore_errors=True)


def _snapshot_step(run: CloseRun) -> CloseStep:
    return CloseStep.objects.get(run=run, name=SNAPSHOT)


def _totals(rows: dict) -> dict:
    """{(owner kind, metric id): sum of the actuals}."""
    totals = Counter()
    for (kind, _owner, metric_id), actual in rows.items():
        totals[(kind, metric_id)] += actual
    return dict(totals)


def _rows(period: Period) -> int:
    return (
        PersonAttainment.objects.filter(period=period).count()
        + UnitAttainment.objects.filter(period=period).count()
    )


@pytest.mark.django_db(transaction=True)
def test_close_survives_a_killed_worker(org, workers):
    from closing import services

    assert settings.CELERY_TASK_ALWAYS_EAGER is False, "REDIS_URL is set: tasks must be queued"
    assert celery_app.conf.task_always_eager is False, "tasks must go to the worker"
    world = build_world(org)
    for team in range(4):
        grow(world, 50, prefix=f"kill{team}", records_each=3)
    period = world.month
    expected = oracle(period)
    people = {pk for kind, pk, _metric in expected if kind == "person"}
    assert len(people) >= 200

    run = services.close_start(period=period, acting_user=org.department)
    assert run.status == CloseRun.Status.QUEUED
    first = workers.start(pause=BATCH_PAUSE)

    # Wait for the snapshot to be part-way: some batches committed, not all.
    deadline = time.monotonic() + KILL_WINDOW
    while True:
        step = CloseStep.objects.filter(run=run, name=SNAPSHOT).first()
        if step is not None and step.total and 0 < step.done < step.total:
            break
        run.refresh_from_db()
        assert run.status != CloseRun.Status.FAILED, f"{run.error}\n{workers.logs()}"
        assert step is None or step.status != CloseStep.Status.DONE, (
            "the snapshot finished before the worker could be killed: raise "
            "CLOSE_BATCH_PAUSE or the number of people\n" + workers.logs()
        )
        assert first.poll() is None, "the first worker stopped by itself\n" + workers.logs()
        assert time.monotonic() < deadline, (
            f"the snapshot did not start within {KILL_WINDOW} s\n{workers.logs()}"
        )
        time.sleep(0.1)

    workers.kill(first)
    killed_at = time.monotonic()
    assert first.returncode == -signal.SIGKILL, first.returncode

    # Killed mid-step: nothing marked finished, part of the rows written, the period
    # still frozen.
    run.refresh_from_db()
    step = _snapshot_step(run)
    period.refresh_from_db()
    assert run.status == CloseRun.Status.RUNNING, run.status
    assert step.status == CloseStep.Status.RUNNING, step.status
    assert 0 < step.done < step.total, (step.done, step.total)
    written = _rows(period)
    assert 0 < written < len(expected), (written, len(expected))
    assert period.status == Period.Status.CLOSING
    assert not ResultNotice.objects.filter(period=period).exists()

    # The broker gives the task back once it has been unacknowledged for longer than
    # the visibility timeout; the new worker looks for such tasks as it starts.
    time.sleep(max(0.0, VISIBILITY_TIMEOUT + 1 - (time.monotonic() - killed_at)))
    second = workers.start(pause=0)
    deadline = time.monotonic() + FINISH_TIMEOUT
    while True:
        run.refresh_from_db()
        if run.status in (CloseRun.Status.SUCCEEDED, CloseRun.Status.FAILED):
            break
        assert second.poll() is None, "the second worker stopped by itself\n" + workers.logs()
        assert time.monotonic() < deadline, (
            f"the close did not finish within {FINISH_TIMEOUT} s of the second worker's "
            f"start (run {run.status}, steps "
            f"{list(run.steps.values_list('name', 'status', 'done', 'total'))})\n" + workers.logs()
        )
        time.sleep(0.25)
    assert run.status == CloseRun.Status.SUCCEEDED, f"{run.error}\n{workers.logs()}"
    steps = list(run.steps.order_by("position"))
    assert all(s.status == CloseStep.Status.DONE for s in steps), [
        (s.name, s.status, s.error) for s in steps
    ]
    step = _snapshot_step(run)
    assert step.done == step.total

    # Exactly one row per key ...
    person_keys = Counter(
        PersonAttainment.objects.filter(period=period).values_list("person_id", "metric_id")
    )
    unit_keys = Counter(
        UnitAttainment.objects.filter(period=period).values_list("unit_id", "metric_id")
    )
    assert max(person_keys.values()) == 1 and max(unit_keys.values()) == 1
    assert {("person", p, m) for p, m in person_keys} | {
        ("unit", u, m) for u, m in unit_keys
    } == set(expected)
    assert _rows(period) == len(expected)
    # ... and every actual, and so every total, equal to the oracle's.
    found = snapshot(period)
    wrong = {k: (found.get(k), v) for k, v in expected.items() if found.get(k) != v}
    assert not wrong, f"{len(wrong)} snapshot rows differ from the oracle, e.g. " + str(
        sorted(wrong.items())[:5]
    )
    assert _totals(found) == _totals(expected)
    # The steps after the kill ran once: every salesperson told once, the period closed.
    period.refresh_from_db()
    assert period.status == Period.Status.CLOSED
    notices = Counter(
        ResultNotice.objects.filter(period=period).values_list("person_id", flat=True)
    )
    assert set(notices) == people and max(notices.values()) == 1
    told = Counter(
        Notification.objects.filter(
            recipient_id__in=people, kind="period_results_ready"
        ).values_list("recipient_id", flat=True)
    )
    assert set(told) == people and max(told.values()) == 1


def _finish(run: CloseRun, workers: Workers) -> CloseRun:
    deadline = time.monotonic() + FINISH_TIMEOUT
    while True:
        run.refresh_from_db()
        if run.status in (CloseRun.Status.SUCCEEDED, CloseRun.Status.FAILED):
            assert run.status == CloseRun.Status.SUCCEEDED, f"{run.error}\n{workers.logs()}"
            return run
        assert time.monotonic() < deadline, f"run {run.pk} did not finish\n{workers.logs()}"
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_a_reopened_quarter_recloses_on_a_worker_with_month_quarter_and_year_recomputed(
    org, workers
):
    """Reopen, book a sale, close again: on a real worker, the month's, the quarter's
    and the year's snapshots equal the live figures (the oracle) again."""
    import datetime
    from decimal import Decimal

    from closing import services
    from sales.records import services as sales_services
    from tests.closing.helpers import at

    world = build_world(org)
    workers.start(pause=0)
    after_year = at(datetime.date(2027, 1, 2))
    for period in (world.jan, world.feb, world.mar, world.q1, world.year):
        run = services.close_start(period=period, acting_user=org.department, now=after_year)
        _finish(run, workers)
    for period in (world.jan, world.q1, world.year):
        period.refresh_from_db()
        assert period.status == Period.Status.CLOSED
        assert snapshot(period) == oracle(period), period.label
    person = ("person", org.salesperson.pk, world.revenue.pk)
    before = snapshot(world.jan)[person]

    services.close_reopen(period=world.q1, reason="Late ERP bookings", acting_user=org.department)
    for period in (world.jan, world.q1, world.year):
        period.refresh_from_db()
        assert period.status == Period.Status.OPEN, period.label
    sales_services.record_save(
        date=datetime.date(2026, 1, 31),
        customer=world.customer,
        amount=Decimal("1000"),
        quantity=Decimal(1),
        gross_margin=Decimal(0),
        credits=[(org.salesperson, Decimal(100))],
    )
    run = services.close_start(period=world.year, acting_user=org.department, now=after_year)
    _finish(run, workers)
    for period in (world.jan, world.feb, world.mar, world.q1, world.year):
        period.refresh_from_db()
        assert period.status == Period.Status.CLOSED, period.label
        assert snapshot(period) == oracle(period), period.label
    # January's figures, and so the quarter's and the year's (the person sold nothing
    # else in 2026), grew by the new sale.
    for period in (world.jan, world.q1, world.year):
        assert snapshot(period)[person] == before + 1000, period.label
