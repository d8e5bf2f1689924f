"""Celery beat's scheduler: django-celery-beat's database scheduler, with the
entries of settings.CELERY_BEAT_SCHEDULE taken as defaults.

django-celery-beat writes every settings entry into its table at each start,
which would undo a time or expiry the department changed in the admin. Here an
entry is written only when no periodic task of that name exists yet: the first
start installs the schedule, and from then on the admin's "Periodic tasks" is
where it is seen and adjusted (time, expiry, enabled), and changes last. To put
an entry back to the settings' default, delete it in the admin and restart beat.
"""

from __future__ import annotations

from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler as BaseDatabaseScheduler


def missing_entries(mapping: dict) -> dict:
    """The entries of `mapping` with no periodic task of their name yet."""
    existing = set(
        PeriodicTask.objects.filter(name__in=list(mapping)).values_list("name", flat=True)
    )
    return {name: entry for name, entry in mapping.items() if name not in existing}


class DatabaseScheduler(BaseDatabaseScheduler):
    def update_from_dict(self, mapping):
        super().update_from_dict(missing_entries(mapping))
