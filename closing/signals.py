"""Each finished run of a scheduled job is recorded (`JobRun`), wherever it ran: the
task_postrun signal fires in a worker and, on the embedded default, in-process. Only
the tasks of CELERY_BEAT_SCHEDULE are recorded; a failure keeps its error, a success
what the task returned (a count, or nothing)."""

from __future__ import annotations

from celery.signals import task_postrun
from django.conf import settings

from closing.models import JobRun

DETAIL_MAX_CHARS = 500


def scheduled_tasks() -> set[str]:
    return {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


@task_postrun.connect(dispatch_uid="closing.record_job_run")
def record_job_run(sender=None, task=None, retval=None, state=None, **_kwargs):
    name = getattr(task or sender, "name", "")
    if name not in scheduled_tasks():
        return
    failed = state not in ("SUCCESS", None)
    detail = "" if retval is None else str(retval)
    JobRun.objects.create(
        task=name,
        state=JobRun.State.FAILED if failed else JobRun.State.SUCCEEDED,
        detail=detail[:DETAIL_MAX_CHARS],
    )
