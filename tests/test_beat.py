"""The beat schedule is wired: every entry names a registered task."""

from django.conf import settings

from salesperf.celery import app


def test_every_periodic_task_exists():
    app.loader.import_default_modules()
    assert settings.CELERY_BEAT_SCHEDULE
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        assert entry["options"]["expires"] > 0, name
