"""What the apps' Celery entry points share: the options of a thin, idempotent task and
the reading of its `today` argument."""

from __future__ import annotations

import datetime

from celery import shared_task


def entry_task(name: str):
    """A thin, idempotent Celery entry point named `name`: acknowledged once it ran,
    rejected (so run again) when its worker is lost, dropped when it waited six hours,
    its result not kept."""
    return shared_task(
        name=name,
        acks_late=True,
        reject_on_worker_lost=True,
        expires=6 * 3600,
        ignore_result=True,
    )


def day(today: str | None) -> datetime.date | None:
    """A task's `today` (YYYY-MM-DD, for tests and replays), or None: the local date."""
    return datetime.date.fromisoformat(today) if today else None
