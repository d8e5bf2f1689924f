"""Celery entry points of the period close: thin, idempotent, arguments are plain values.

`run_step` runs one step of a close and queues the next (closing.services.run_step).
It is acknowledged only when it has finished (`acks_late`) and given back to the
queue when its worker dies (`reject_on_worker_lost`), so a killed worker's step runs
again — from the batch it had reached, rewriting the same rows. Only transient
database errors are retried (with backoff, a few times); when the retries run out,
or for any other error, the step and the run are recorded as failed.

Beat schedule (salesperf): `close_due_periods` at month end (the 1st, 00:10 local time).
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from closing import services
from core.tasks import day, entry_task

TRANSIENT = (OperationalError, InterfaceError)
MAX_RETRIES = 5


@shared_task(
    name="closing.run_step",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
    ignore_result=True,
)
def run_step(self, run_id: int, name: str) -> str | None:
    """Run step `name` of close run `run_id`. Returns the next step's name."""
    try:
        return services.run_step(run_id=run_id, name=name)
    except TRANSIENT as exc:
        if self.request.retries >= self.max_retries:
            services.step_fail(run_id=run_id, name=name, error=f"{type(exc).__name__}: {exc}")
        raise


@entry_task("closing.close_due_periods")
def close_due_periods(today: str | None = None) -> int:
    """Start the close of every period that ended and was never closed (month, quarter
    and year ends). `today` (YYYY-MM-DD) is for tests and replays. Returns the number
    of closes started."""
    return len(services.close_due_periods(today=day(today)))
