"""Celery entry points of the sales app: thin, idempotent, arguments are plain values.

Beat schedule (salesperf): `flag_missing_reports` daily, e.g. at 09:00 local time.
"""

from __future__ import annotations

import datetime

from celery import shared_task


@shared_task(
    name="sales.flag_missing_reports",
    acks_late=True,
    reject_on_worker_lost=True,
    expires=6 * 3600,
    ignore_result=True,
)
def flag_missing_reports(today: str | None = None) -> int:
    """Tell each supervisor, once per period, whose progress report of the latest period
    past its grace is missing. `today` (YYYY-MM-DD) is for tests and replays; by
    default the local date. Running it again sends nothing new. Returns the number of
    notifications sent."""
    from sales.feedback.services import reports_flag_missing

    day = datetime.date.fromisoformat(today) if today else None
    return reports_flag_missing(today=day)
