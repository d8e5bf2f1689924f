"""Celery entry points of the appraisal app: thin, idempotent, arguments are plain values."""

from __future__ import annotations

from appraisal.cycles.services import cycle_compute
from core.tasks import day, entry_task


@entry_task("appraisal.compute_cycle")
def compute_cycle(cycle_id: int, today: str | None = None) -> int:
    """Compute (again) the figures of a cycle's appraisals that are not finalised:
    attainment, satisfaction and the scores. Running it again changes nothing new.
    `today` (YYYY-MM-DD) is for tests and replays. Returns the number of appraisals."""
    return cycle_compute(cycle_id=cycle_id, today=day(today))
