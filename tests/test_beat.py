"""The beat schedule is wired: every entry names a registered task, beat keeps the
schedule in the database (django-celery-beat, so the department sees and adjusts it
in the admin), and the period close runs shortly after midnight on the 1st of every
month in CELERY_TIMEZONE."""

import datetime
import os
import zoneinfo

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.urls import reverse
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler as BaseDatabaseScheduler
from django_celery_beat.schedulers import ModelEntry

from salesperf.beat import DatabaseScheduler as Scheduler
from salesperf.beat import missing_entries
from salesperf.celery import app

CLOSE_ENTRY = "closing-period-ends"


def _next_run(schedule: crontab, last_run: datetime.datetime) -> datetime.datetime:
    """When `schedule` is due next after a run at `last_run` (aware, its time zone)."""
    last, delta, _now = schedule.remaining_delta(last_run, tz=last_run.tzinfo)
    return last + delta


def test_every_periodic_task_exists():
    app.loader.import_default_modules()
    assert settings.CELERY_BEAT_SCHEDULE
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        # The database scheduler reads `expire_seconds` (it drops `expires`).
        assert entry["options"]["expire_seconds"] > 0, name
        assert "expires" not in entry["options"], name


def test_beat_uses_the_database_scheduler():
    assert "django_celery_beat" in settings.INSTALLED_APPS
    assert settings.CELERY_BEAT_SCHEDULER == "salesperf.beat:DatabaseScheduler"
    assert issubclass(Scheduler, BaseDatabaseScheduler)
    assert app.conf.beat_scheduler == settings.CELERY_BEAT_SCHEDULER
    assert app.conf.timezone == settings.CELERY_TIMEZONE == settings.TIME_ZONE


def test_close_entry_runs_at_ten_past_midnight_on_the_first():
    entry = settings.CELERY_BEAT_SCHEDULE[CLOSE_ENTRY]
    assert entry["task"] == "closing.close_due_periods"
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert schedule.minute == {10}
    assert schedule.hour == {0}
    assert schedule.day_of_month == {1}
    assert schedule.month_of_year == set(range(1, 13))
    assert schedule.day_of_week == set(range(7))
    # Less than a day, so a close missed because no worker ran is not started late
    # on another day (close_due_periods catches it up at the next month's end).
    assert entry["options"]["expire_seconds"] < 24 * 3600


@pytest.mark.parametrize(
    ("last_run", "expected"),
    [
        # Month end, quarter end, fiscal year end (January start) and a leap February.
        ((2025, 3, 1, 0, 10), (2025, 4, 1, 0, 10)),
        ((2025, 6, 15, 9, 0), (2025, 7, 1, 0, 10)),
        ((2025, 12, 1, 0, 10), (2026, 1, 1, 0, 10)),
        ((2024, 2, 1, 0, 10), (2024, 3, 1, 0, 10)),
        # Just before: still the same night.
        ((2025, 1, 31, 23, 59), (2025, 2, 1, 0, 10)),
    ],
)
def test_close_entry_next_run_in_the_configured_time_zone(last_run, expected):
    tz = zoneinfo.ZoneInfo(settings.CELERY_TIMEZONE)
    schedule = settings.CELERY_BEAT_SCHEDULE[CLOSE_ENTRY]["schedule"]
    after = _next_run(schedule, datetime.datetime(*last_run, tzinfo=tz))
    assert after == datetime.datetime(*expected, tzinfo=tz)
    assert after.utcoffset() == datetime.datetime(*expected, tzinfo=tz).utcoffset()


def install(schedule: dict) -> None:
    """What beat's scheduler (salesperf.beat) does with CELERY_BEAT_SCHEDULE at its
    start: `update_from_dict` of the entries not in the database yet, one
    `ModelEntry.from_entry` each. The scheduler object itself is not used: it closes
    the database connection, as a process of its own may."""
    for name, entry in missing_entries(schedule).items():
        ModelEntry.from_entry(name, app=app, **entry)


@pytest.mark.django_db
def test_database_scheduler_installs_the_entries_for_the_admin():
    """Every setting entry becomes a periodic task row, its crontab in CELERY_TIMEZONE
    and its expiry kept."""
    install(settings.CELERY_BEAT_SCHEDULE)
    rows = {t.name: t for t in PeriodicTask.objects.select_related("crontab")}
    assert set(rows) == set(settings.CELERY_BEAT_SCHEDULE)
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        row = rows[name]
        assert row.enabled, name
        assert row.task == entry["task"], name
        assert str(row.crontab.timezone) == settings.CELERY_TIMEZONE, name
        assert row.expire_seconds == entry["options"]["expire_seconds"], name
        model_entry = ModelEntry(row, app=app)
        assert model_entry.options["expires"] == entry["options"]["expire_seconds"], name
        assert model_entry.task == entry["task"], name
    close = rows[CLOSE_ENTRY].crontab
    assert (close.minute, close.hour, close.day_of_month) == ("10", "0", "1")
    assert (close.month_of_year, close.day_of_week) == ("*", "*")


@pytest.mark.django_db
def test_a_task_disabled_in_the_admin_stays_disabled_after_a_beat_restart():
    install(settings.CELERY_BEAT_SCHEDULE)
    PeriodicTask.objects.filter(name=CLOSE_ENTRY).update(enabled=False)
    install(settings.CELERY_BEAT_SCHEDULE)  # beat starts again
    assert PeriodicTask.objects.filter(name=CLOSE_ENTRY).count() == 1
    assert not PeriodicTask.objects.get(name=CLOSE_ENTRY).enabled
    assert PeriodicTask.objects.get(name="sales-flag-missing-reports").enabled


@pytest.mark.django_db
def test_admin_lists_the_periodic_tasks(admin_client):
    install(settings.CELERY_BEAT_SCHEDULE)
    response = admin_client.get(reverse("admin:django_celery_beat_periodictask_changelist"))
    assert response.status_code == 200
    assert CLOSE_ENTRY in response.content.decode()


@pytest.mark.django_db
def test_a_time_changed_in_the_admin_lasts_after_a_beat_restart():
    install(settings.CELERY_BEAT_SCHEDULE)
    task = PeriodicTask.objects.select_related("crontab").get(name=CLOSE_ENTRY)
    task.crontab.hour = "2"
    task.crontab.save()
    task.expire_seconds = 3600
    task.save()
    install(settings.CELERY_BEAT_SCHEDULE)  # beat starts again
    task = PeriodicTask.objects.select_related("crontab").get(name=CLOSE_ENTRY)
    assert (task.crontab.minute, task.crontab.hour) == ("10", "2")
    assert task.expire_seconds == 3600
    assert PeriodicTask.objects.filter(name=CLOSE_ENTRY).count() == 1


@pytest.mark.django_db
def test_a_deleted_entry_comes_back_with_its_default():
    install(settings.CELERY_BEAT_SCHEDULE)
    PeriodicTask.objects.filter(name=CLOSE_ENTRY).delete()
    assert set(missing_entries(settings.CELERY_BEAT_SCHEDULE)) == {CLOSE_ENTRY}
    install(settings.CELERY_BEAT_SCHEDULE)
    task = PeriodicTask.objects.select_related("crontab").get(name=CLOSE_ENTRY)
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_month) == ("10", "0", "1")


def test_beat_touches_its_heartbeat_file_at_every_tick(tmp_path, settings, monkeypatch):
    heartbeat = tmp_path / "beat-heartbeat"
    settings.CELERY_BEAT_HEARTBEAT_FILE = str(heartbeat)
    monkeypatch.setattr(BaseDatabaseScheduler, "tick", lambda self, *a, **k: 5.0)
    scheduler = Scheduler(app=app, lazy=True)
    assert scheduler.tick() == 5.0
    assert heartbeat.exists()
    first = heartbeat.stat().st_mtime_ns
    os.utime(heartbeat, ns=(first - 10**10, first - 10**10))  # ten seconds older
    scheduler.tick()
    assert heartbeat.stat().st_mtime_ns > first - 10**10


def test_no_heartbeat_file_unless_configured(tmp_path, settings, monkeypatch):
    settings.CELERY_BEAT_HEARTBEAT_FILE = ""
    monkeypatch.setattr(BaseDatabaseScheduler, "tick", lambda self, *a, **k: 5.0)
    monkeypatch.chdir(tmp_path)
    Scheduler(app=app, lazy=True).tick()
    assert list(tmp_path.iterdir()) == []
