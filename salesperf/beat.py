"""Celery beat's scheduler: django-celery-beat's database scheduler, with the
entries of settings.CELERY_BEAT_SCHEDULE taken as defaults.

django-celery-beat writes every settings entry into its table at each start,
which would undo a time or expiry the department changed in the admin. Here an
entry is written only when no periodic task of that name exists yet: the first
start installs the schedule, and from then on the admin's "Periodic tasks" is
where it is seen and adjusted (time, expiry, enabled), and changes last. To put
an entry back to the settings' default, delete it in the admin and restart beat.

At each tick (at least every few seconds: the scheduler's `max_interval`) beat
touches CELERY_BEAT_HEARTBEAT_FILE when it is set, so that a container health check
can tell a live beat from a hung one by the file's age (docker-compose.yml).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler as BaseDatabaseScheduler
from django_celery_beat.schedulers import ModelEntry

from salesperf.celery import app as celery_app


def missing_entries(mapping: dict) -> dict:
    """The entries of `mapping` with no periodic task of their name yet."""
    existing = set(
        PeriodicTask.objects.filter(name__in=list(mapping)).values_list("name", flat=True)
    )
    return {name: entry for name, entry in mapping.items() if name not in existing}


def install_schedule(**_signal) -> list[str]:
    """Write the entries of CELERY_BEAT_SCHEDULE that have no periodic task yet, as beat
    does at its start (`missing_entries`, one `ModelEntry.from_entry` each), so that
    the schedule is in the database, where the schedule page reads and changes it, on
    the embedded default too (no beat runs there). Run after every `migrate`; an entry
    already there is left as it is. Returns the names written."""
    missing = missing_entries(settings.CELERY_BEAT_SCHEDULE)
    for name, entry in missing.items():
        ModelEntry.from_entry(name, app=celery_app, **entry)
    return list(missing)


class DatabaseScheduler(BaseDatabaseScheduler):
    def update_from_dict(self, mapping):
        super().update_from_dict(missing_entries(mapping))

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        write_heartbeat(settings.CELERY_BEAT_HEARTBEAT_FILE)
        return interval


def write_heartbeat(path: str) -> None:
    """Touch `path` (created if missing, its time set to now); nothing when `path` is
    empty."""
    if path:
        Path(path).touch()
