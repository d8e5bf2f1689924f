"""Celery entry points of the appraisal app: thin, idempotent, arguments are plain values."""

from __future__ import annotations

import datetime

from celery import shared_task

from appraisal.cycles.services import cycle_compute


@shared_task(
    name="appraisal.compute_cycle",
    acks_late=True,
    reject_on_worker_lost=True,
    expires=6 * 3600,
    ignore_result=True,
)
def compute_cycle(cycle_id: int, today: str | None = None) -> int:
    """Compute (again) the figures of a cycle's appraisals that are not finalised:
    attainment, satisfaction and the scores. Running it again changes nothing new.
    `today` (YYYY-MM-DD) is for tests and replays. Returns the number of appraisals."""
    day = datetime.date.fromisoformat(today) if today else None
    return cycle_compute(cycle_id=cycle_id, today=day)
