"""Celery entry points of the sales app: thin, idempotent, arguments are plain values.

Beat schedule (salesperf): `flag_missing_reports` daily, e.g. at 09:00 local time.
"""

from __future__ import annotations

from core.tasks import day, entry_task


@entry_task("sales.flag_missing_reports")
def flag_missing_reports(today: str | None = None) -> int:
    """Tell each supervisor, once per period, whose progress report of the latest period
    past its grace is missing. `today` (YYYY-MM-DD) is for tests and replays; by
    default the local date. Running it again sends nothing new. Returns the number of
    notifications sent."""
    from sales.feedback.services import reports_flag_missing

    return reports_flag_missing(today=day(today))
