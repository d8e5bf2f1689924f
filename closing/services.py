"""Writes of the period close: start a close, run one of its steps, reopen a closed
period, and the beat's "close what has ended".

A run's steps execute one Celery task each (`closing.tasks.run_step`), the next one
enqueued when the previous one has committed. One run at a time per period (the
partial unique index on CloseRun, and the period's row lock while starting); a run
with no sign of life for settings.CLOSE_STALE_SECONDS is taken as lost and replaced.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from closing import domain, pipeline, selectors
from closing.models import ACTIVE_STATUSES, CloseRun, CloseStep, Reopening, ScheduleChange
from core.errors import Conflict, DomainError
from org.models import FiscalYear, Period
from org.services import period_transition
from salesperf.celery import app as celery_app

logger = logging.getLogger(__name__)

# Errors worth trying again (the database went away or is busy); anything else fails
# the run at once.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


class CloseBusy(Conflict):
    """A close of the period, or of one within or around it, is already queued or running
    (the API answers 409 with that close's id as `run`)."""

    def __init__(self, message: str, *, run: CloseRun | None):
        super().__init__(message, data={"run": run.pk if run else None})


def _when(moment: datetime.datetime) -> str:
    """A moment in local time, e.g. "Feb. 3, 2026 10:00"."""
    local = timezone.localtime(moment)
    return f"{formats.date_format(local)} {formats.time_format(local, 'H:i')}"


def _enqueue(run_id: int, name: str) -> None:
    """Queue a step's task once the current transaction has committed. Robust: with
    eager tasks (no REDIS_URL) a failing step has already recorded its failure, and the
    caller's request must not fail with it."""

    def send():
        # By the task's name: the tasks module imports this one, never the reverse.
        celery_app.signature("closing.run_step", args=(run_id, name)).delay()

    transaction.on_commit(send, robust=True)


def _lost(run: CloseRun, now: datetime.datetime) -> None:
    """Mark a stale run failed: its worker is gone."""
    last = domain.last_sign_of_life(
        created_at=run.created_at, started_at=run.started_at, heartbeat_at=run.heartbeat_at
    )
    message = _("lost: no progress since %(when)s") % {"when": _when(last)}
    CloseStep.objects.filter(run=run, status=CloseStep.Status.RUNNING).update(
        status=CloseStep.Status.FAILED, finished_at=now, error=message
    )
    run.status = CloseRun.Status.FAILED
    run.finished_at = now
    run.error = message
    run.save(update_fields=["status", "finished_at", "error"])


def _busy_message(run: CloseRun, period: Period) -> str:
    who = run.started_by.display_name if run.started_by_id else _("the schedule")
    return _(
        "A close of %(period)s is already under way: started by %(who)s at %(when)s. "
        "Wait until it has finished."
    ) % {"period": period.label, "who": who, "when": _when(run.created_at)}


@transaction.atomic
def close_start(*, period: Period, acting_user=None, trigger: str = "manual", now=None) -> CloseRun:
    """Start a close of an ended period: create the run and its steps (the plan in
    settings.CLOSE_STEPS) and queue the first step on commit.

    Refused with CloseBusy while another run of the period, or of a period within it or
    containing it, is queued or running and not stale (a stale one is marked failed and
    replaced); refused with DomainError
    for a period that has not ended. A closed period may be closed again (the close
    recomputes and rewrites the same rows); a failed run is simply started again."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if trigger not in CloseRun.Trigger.values:
        raise DomainError(_("Unknown way of starting a close: %(trigger)s.") % {"trigger": trigger})
    locked = Period.objects.select_for_update().select_related("fiscal_year").get(pk=period.pk)
    if not domain.has_ended(locked.end_date, today):
        raise DomainError(
            _("%(period)s has not ended yet: it ends on %(end)s. Only ended periods can be closed.")
            % {"period": locked.label, "end": formats.date_format(locked.end_date)}
        )
    # A close of this period, or of a period within it or around it (a quarter's
    # months, its year), under way: the two would freeze, snapshot and finish the same
    # periods. Wait for it.
    for active in (
        CloseRun.objects.select_for_update(of=("self",))
        .select_related("started_by", "period__fiscal_year")
        .filter(
            period__fiscal_year_id=locked.fiscal_year_id,
            period__start_date__lte=locked.end_date,
            period__end_date__gte=locked.start_date,
            status__in=ACTIVE_STATUSES,
        )
        .order_by("pk")
    ):
        if domain.is_stale(
            created_at=active.created_at,
            started_at=active.started_at,
            heartbeat_at=active.heartbeat_at,
            now=now,
            stale_seconds=settings.CLOSE_STALE_SECONDS,
        ):
            _lost(active, now)
        else:
            raise CloseBusy(_busy_message(active, active.period), run=active)
    steps = pipeline.plan()
    try:
        with transaction.atomic():
            run = CloseRun.objects.create(
                period=locked,
                status=CloseRun.Status.QUEUED,
                trigger=trigger,
                started_by=acting_user if getattr(acting_user, "pk", None) else None,
                created_at=now,
            )
    except IntegrityError:
        # Another process started one between our check and our insert.
        raise CloseBusy(
            _("A close of %(period)s is already under way. Wait until it has finished.")
            % {"period": locked.label},
            run=selectors.active_run(period=locked),
        ) from None
    CloseStep.objects.bulk_create(
        CloseStep(run=run, position=i, name=step.name) for i, step in enumerate(steps, start=1)
    )
    run.period = locked
    if steps:
        _enqueue(run.pk, steps[0].name)
    return run


def _claim(run_id: int, name: str):
    """Lock the run and the step and mark them running; None when there is nothing to
    do (the run is over, or the step is done — a redelivered task)."""
    run = (
        CloseRun.objects.select_for_update(of=("self",))
        .select_related("period__fiscal_year", "started_by")
        .get(pk=run_id)
    )
    if run.status not in ACTIVE_STATUSES:
        return None
    step_row = CloseStep.objects.select_for_update().get(run=run, name=name)
    if step_row.status == CloseStep.Status.DONE:
        return run, step_row, None
    step = pipeline.step_named(name)
    now = timezone.now()
    total = step.count(run)
    CloseStep.objects.filter(pk=step_row.pk).update(
        status=CloseStep.Status.RUNNING,
        total=total,
        started_at=step_row.started_at or now,
        error="",
    )
    CloseRun.objects.filter(pk=run.pk).update(
        status=CloseRun.Status.RUNNING, started_at=run.started_at or now, heartbeat_at=now
    )
    step_row.status, step_row.total = CloseStep.Status.RUNNING, total
    step_row.started_at = step_row.started_at or now
    run.status, run.started_at, run.heartbeat_at = "running", run.started_at or now, now
    return run, step_row, step


def _names(run: CloseRun) -> list[str]:
    return list(
        CloseStep.objects.filter(run=run).order_by("position").values_list("name", flat=True)
    )


@transaction.atomic
def _complete(run: CloseRun, step_row: CloseStep) -> str | None:
    """Mark the step done and queue the next one (or mark the run succeeded)."""
    now = timezone.now()
    CloseStep.objects.filter(pk=step_row.pk).exclude(status=CloseStep.Status.DONE).update(
        status=CloseStep.Status.DONE, finished_at=now, error=""
    )
    # A step that did not report its progress is all done now.
    CloseStep.objects.filter(pk=step_row.pk, done__lt=step_row.total).update(done=step_row.total)
    following = domain.next_step(_names(run), step_row.name)
    if following is None:
        CloseRun.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(
            status=CloseRun.Status.SUCCEEDED, finished_at=now, heartbeat_at=now, error=""
        )
        return None
    CloseRun.objects.filter(pk=run.pk).update(heartbeat_at=now)
    _enqueue(run.pk, following)
    return following


def step_fail(*, run_id: int, name: str, error: str) -> None:
    """Record that a step failed: the step and the run are failed with the error text;
    the period stays `closing` (sales writes stay refused) until a new close succeeds."""
    now = timezone.now()
    error = domain.clip_error(error)
    with transaction.atomic():
        CloseStep.objects.filter(run_id=run_id, name=name).exclude(
            status=CloseStep.Status.DONE
        ).update(status=CloseStep.Status.FAILED, finished_at=now, error=error)
        CloseRun.objects.filter(pk=run_id, status__in=ACTIVE_STATUSES).update(
            status=CloseRun.Status.FAILED, finished_at=now, heartbeat_at=now, error=error
        )


def _error_text(step, exc: BaseException) -> str:
    label = str(step.label) if step is not None else ""
    text = f"{type(exc).__name__}: {exc}"
    return f"{label}: {text}" if label else text


def run_step(*, run_id: int, name: str) -> str | None:
    """Run one step of a close: mark it running, run it, mark it done and queue the
    next one on commit. A step already done is skipped (a redelivered task: the next
    one is queued again, which is harmless); a run that is over is left alone.

    On an error the step and the run are marked failed with the error text and the
    error is raised again — except transient database errors, which are only noted on
    the step and raised for the task to retry (the task records the failure when it
    gives up). Returns the name of the next step, None when there is none."""
    step = None
    try:
        with transaction.atomic():
            claimed = _claim(run_id, name)
        if claimed is None:
            return None
        run, step_row, step = claimed
        if step is not None:
            step.run(run, pipeline.Progress(run=run, step=step_row))
        return _complete(run, step_row)
    except TRANSIENT_ERRORS as exc:
        logger.warning("close run %s step %s: transient error %s", run_id, name, exc)
        try:
            CloseStep.objects.filter(run_id=run_id, name=name).update(
                error=domain.clip_error(_error_text(step, exc))
            )
        except Exception:  # the database may still be away
            logger.exception("could not note the error of close run %s", run_id)
        raise
    except Exception as exc:
        logger.exception("close run %s step %s failed", run_id, name)
        step_fail(run_id=run_id, name=name, error=_error_text(step, exc))
        raise


@transaction.atomic
def close_reopen(*, period: Period, reason: str, acting_user) -> Reopening:
    """Reopen a closed period with a reason (kept): the period, the periods within it
    and the periods containing it that are closed go back to open (selectors.reopened_with),
    each with a Reopening (so their next close is a new generation, recomputes their
    snapshots and tells the salespeople again)."""
    reason = (reason or "").strip()
    locked = Period.objects.select_for_update().select_related("fiscal_year").get(pk=period.pk)
    if not reason:
        raise DomainError(_("Give a reason for reopening %(period)s.") % {"period": locked.label})
    if locked.status != Period.Status.CLOSED:
        raise DomainError(
            _("%(period)s is %(status)s: only a closed period can be reopened.")
            % {"period": locked.label, "status": locked.get_status_display()}
        )
    busy = (
        CloseRun.objects.filter(
            period__fiscal_year_id=locked.fiscal_year_id,
            period__start_date__lte=locked.end_date,
            period__end_date__gte=locked.start_date,
            status__in=ACTIVE_STATUSES,
        )
        .select_related("period__fiscal_year")
        .first()
    )
    if busy is not None:
        raise CloseBusy(
            _("A close of %(period)s is under way; reopen it when the close has finished.")
            % {"period": busy.period.label},
            run=busy,
        )
    user = acting_user
    first = None
    for p in selectors.reopened_with(period=locked):
        period_transition(period=p, to_status=Period.Status.OPEN, acting_user=user, reason=reason)
        reopening = Reopening.objects.create(period=p, reason=reason, reopened_by=user)
        if p.pk == locked.pk:
            first = reopening
    period.status = Period.Status.OPEN
    return first


def close_due_periods(
    *, today: datetime.date | None = None, now: datetime.datetime | None = None
) -> list[CloseRun]:
    """Start a close (trigger schedule) for every open period of the current and the
    previous fiscal year that ended before `today` and was never closed: month,
    quarter and year ends. Each start is its own transaction; a period whose close
    cannot start is logged and skipped. Returns the runs started. `today` (and `now`,
    the time the runs are requested at) are for tests and replays."""
    if now is None:
        now = timezone.now()
        if today is not None:
            now = timezone.make_aware(
                datetime.datetime.combine(today, timezone.localtime(now).time())
            )
    today = today or timezone.localdate(now)
    years = domain.recent_years(
        [
            domain.YearSpan(pk, start, end)
            for pk, start, end in FiscalYear.objects.values_list("pk", "start_date", "end_date")
        ],
        today,
    )
    if not years:
        return []
    periods = Period.objects.filter(fiscal_year_id__in=[y.key for y in years]).values_list(
        "pk", "kind", "start_date", "end_date", "status"
    )
    with_runs = set(
        CloseRun.objects.filter(period__fiscal_year_id__in=[y.key for y in years]).values_list(
            "period_id", flat=True
        )
    )
    due = domain.due_for_close(
        [
            domain.PeriodSpan(pk, kind, start, end, status, pk in with_runs)
            for pk, kind, start, end, status in periods
        ],
        today,
    )
    started = []
    for span in due:
        period = Period.objects.select_related("fiscal_year").get(pk=span.key)
        try:
            started.append(close_start(period=period, trigger=CloseRun.Trigger.SCHEDULE, now=now))
        except DomainError as exc:
            logger.warning("scheduled close of %s not started: %s", period, exc)
    return started


# --- the schedule of the periodic jobs -------------------------------------------------------


@transaction.atomic
def schedule_change(
    *, job: PeriodicTask, enabled: bool, hour: int, minute: int, acting_user
) -> ScheduleChange:
    """Enable or disable a scheduled job and set the time of day it runs (in
    CELERY_TIMEZONE), keeping its days; the change is recorded. Beat reads the new
    schedule at its next check (django-celery-beat notices the change)."""
    tab = job.crontab
    current = selectors.crontab_of(job)
    if current.cadence == "custom":
        raise DomainError(
            _("This job's schedule is not a time of day: change it in the administration.")
        )
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DomainError(_("Give a time between 00:00 and 23:59."))
    if (enabled, (hour, minute)) == (job.enabled, current.fixed_time):
        raise DomainError(_("Nothing changed: the job already runs so."))
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute=str(minute),
        hour=str(hour),
        day_of_month=tab.day_of_month,
        month_of_year=tab.month_of_year,
        day_of_week=tab.day_of_week,
        timezone=tab.timezone,
    )
    job.crontab = crontab
    job.enabled = enabled
    job.save(update_fields=["crontab", "enabled"])
    return ScheduleChange.objects.create(
        job=job.name, enabled=enabled, hour=hour, minute=minute, changed_by=acting_user
    )
