"""Reads of the period close, built for its pages and API endpoints, each in a fixed
number of queries whatever the number of periods, runs or steps:

- `periods_for_closing`: the fiscal years with their periods, each with its status,
  its latest run (with progress) and what the department may do with it;
- `close_preview`: what a close of one period will do (the confirmation page);
- `run_history`: the runs, newest first, with who started them (progress attached by
  `with_progress` on the page shown);
- `run_progress`: one run's steps with their counts and percent, and its errors.

Access is decided by `closing.permissions`; these functions read what they are given.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_celery_beat.models import PeriodicTask

from closing import domain
from closing.models import ACTIVE_STATUSES, CloseRun, CloseStep, JobRun, Reopening, ScheduleChange
from org.models import FiscalYear, Period

HUNDRED = Decimal(100)
PERCENT = Decimal("0.1")


# --- progress of a run ---------------------------------------------------------------------


def step_labels() -> dict[str, str]:
    """{step name: its label} of the steps configured in `settings.CLOSE_STEPS` (a step
    no longer configured keeps its stored name as its label)."""
    labels: dict[str, str] = {}
    for path in settings.CLOSE_STEPS:
        try:
            step = import_string(path)
        except ImportError:
            continue
        name = getattr(step, "name", "")
        if name:
            labels[name] = str(getattr(step, "label", name))
    return labels


def _percent(done: int, total: int) -> Decimal:
    """`done` of `total` as a percent with one decimal, rounded down (100 only when
    all is done)."""
    if total <= 0:
        return Decimal(0)
    value = min(Decimal(done) * HUNDRED / Decimal(total), HUNDRED)
    return value.quantize(PERCENT, rounding=ROUND_DOWN)


@dataclass(frozen=True)
class StepProgress:
    name: str
    label: str
    status: str
    status_label: str
    total: int
    done: int
    percent: Decimal
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    error: str


def step_progress(step: CloseStep, labels: dict[str, str]) -> StepProgress:
    if step.status == CloseStep.Status.DONE:
        percent = HUNDRED.quantize(PERCENT)
    else:
        percent = _percent(step.done, step.total)
    return StepProgress(
        name=step.name,
        label=labels.get(step.name, step.name),
        status=step.status,
        status_label=step.get_status_display(),
        total=step.total,
        done=step.done,
        percent=percent,
        started_at=step.started_at,
        finished_at=step.finished_at,
        error=step.error,
    )


def duration_of(run: CloseRun, now: datetime.datetime | None = None) -> datetime.timedelta | None:
    """From the start (or the request, while queued) to the end, or to now while it runs."""
    begin = run.started_at or run.created_at
    if begin is None:
        return None
    end = run.finished_at or (now or timezone.now())
    return max(end - begin, datetime.timedelta(0))


def duration_label(value: datetime.timedelta | None) -> str:
    """A duration in words: "1 h 02 min", "3 min 05 s", "12 s", "0.4 s"."""
    if value is None:
        return ""
    seconds = value.total_seconds()
    if seconds < 10:
        return _("%(seconds)s s") % {
            "seconds": Decimal(str(seconds)).quantize(PERCENT, rounding=ROUND_DOWN)
        }
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)d min %(seconds)02d s") % {"minutes": minutes, "seconds": secs}
    return _("%(seconds)d s") % {"seconds": secs}


@dataclass(frozen=True)
class RunProgress:
    """A run with its steps: what the run page and the API show."""

    run: CloseRun
    steps: list[StepProgress]
    percent: Decimal
    duration: datetime.timedelta | None
    current: StepProgress | None = None  # the step running (or failed, or next)
    errors: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return not self.run.is_active

    @property
    def duration_label(self) -> str:
        return duration_label(self.duration)


def build_progress(
    run: CloseRun,
    steps: Iterable[CloseStep],
    *,
    labels: dict[str, str] | None = None,
    now: datetime.datetime | None = None,
) -> RunProgress:
    """The progress of `run` from its step rows (no query). Each step weighs the same
    in the run's percent; a succeeded run is at 100."""
    labels = step_labels() if labels is None else labels
    rows = [step_progress(s, labels) for s in sorted(steps, key=lambda s: s.position)]
    if run.status == CloseRun.Status.SUCCEEDED:
        percent = HUNDRED.quantize(PERCENT)
    elif rows:
        percent = (sum((r.percent for r in rows), Decimal(0)) / len(rows)).quantize(
            PERCENT, rounding=ROUND_DOWN
        )
    else:
        percent = Decimal(0).quantize(PERCENT)
    current = next(
        (r for r in rows if r.status in (CloseStep.Status.RUNNING, CloseStep.Status.FAILED)),
        None,
    )
    if current is None and run.is_active:
        current = next((r for r in rows if r.status == CloseStep.Status.PENDING), None)
    errors = [f"{r.label}: {r.error}" for r in rows if r.error]
    if run.error and not any(run.error in e for e in errors):
        errors.insert(0, run.error)
    return RunProgress(
        run=run,
        steps=rows,
        percent=percent,
        duration=duration_of(run, now),
        current=current,
        errors=errors,
    )


def run_progress(*, run: CloseRun) -> RunProgress:
    """One run's progress: one query (its steps); `run` comes from
    `permissions.run_for_user` (period and starter joined)."""
    return build_progress(run, CloseStep.objects.filter(run=run).order_by("position"))


def with_progress(runs: Iterable[CloseRun]) -> list[CloseRun]:
    """Set `run.progress` on each run whose steps were prefetched (`run_history`); no
    query."""
    labels = step_labels()
    now = timezone.now()
    runs = list(runs)
    for run in runs:
        run.progress = build_progress(run, run.steps.all(), labels=labels, now=now)
    return runs


def _steps_prefetch() -> Prefetch:
    return Prefetch("steps", queryset=CloseStep.objects.order_by("position"))


def run_history(*, period: Period | None = None) -> QuerySet[CloseRun]:
    """Runs, newest first, with their period, who started them and their steps (one
    query for the page, one for the steps)."""
    runs = CloseRun.objects.select_related("period__fiscal_year", "started_by").prefetch_related(
        _steps_prefetch()
    )
    if period is not None:
        runs = runs.filter(period=period)
    return runs.order_by("-created_at", "-id")


def active_run(*, period: Period) -> CloseRun | None:
    """The queued or running close of `period`, if any (stale or not)."""
    return (
        CloseRun.objects.filter(period=period, status__in=ACTIVE_STATUSES)
        .select_related("started_by")
        .first()
    )


# --- periods -------------------------------------------------------------------------------


def _latest_run_id() -> Subquery:
    return Subquery(
        CloseRun.objects.filter(period=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )


def _decorate(period: Period, run: CloseRun | None, today: datetime.date) -> Period:
    """What the period list shows and offers for `period`."""
    period.latest_run = run
    period.has_ended = period.end_date < today
    period.running = run is not None and run.is_active
    period.can_close = period.has_ended and not period.running
    period.can_reopen = period.status == Period.Status.CLOSED and not period.running
    period.state = domain.period_state(
        status=period.status,
        has_ended=period.has_ended,
        run_status=run.status if run is not None else None,
        run_active=period.running,
    )
    return period


def _day(moment: datetime.datetime | None) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT") if moment else ""


def state_line(period: Period) -> str:
    """One line, in the active language, saying what the period's state means (a
    period decorated by `periods_for_closing`)."""
    run = period.latest_run
    end = date_format(period.end_date, "DATE_FORMAT")
    when = _day(run.finished_at or run.created_at) if run is not None else ""
    lines = {
        domain.STATE_RUNNING: _("A close is running."),
        domain.STATE_CLOSED: _("Closed by the close of %(date)s.") % {"date": when},
        domain.STATE_CLOSED_FAILED_RERUN: _(
            "Closed; its latest close, on %(date)s, failed: close it again."
        )
        % {"date": when},
        domain.STATE_CLOSED_OUTSIDE: _(
            "Closed outside the period close (by import, or before salesperf), so it has "
            "no snapshot: close it again to record one."
        ),
        domain.STATE_CLOSING_STOPPED: _(
            "Frozen for a close that stopped on %(date)s: finish the close."
        )
        % {"date": when},
        domain.STATE_REOPENED: _(
            "Reopened after the close of %(date)s: open to changes until it is closed again."
        )
        % {"date": when},
        domain.STATE_CLOSE_FAILED: _("Its close on %(date)s failed: close it again.")
        % {"date": when},
        domain.STATE_WAITING: _("Ended on %(date)s; waiting for its close.") % {"date": end},
        domain.STATE_OPEN: _("Open until %(date)s.") % {"date": end},
    }
    line = lines[period.state]
    total = getattr(period, "months_total", 0)
    if total and period.status != Period.Status.CLOSED:
        line += " " + ngettext(
            "%(closed)d of %(total)d month closed.",
            "%(closed)d of %(total)d months closed.",
            total,
        ) % {"closed": period.months_closed, "total": total}
    return line


def periods_for_closing(*, today: datetime.date | None = None) -> list[FiscalYear]:
    """Fiscal years, newest first, each with `.close_periods`: its year, then each quarter
    followed by its months, each period with `.latest_run` (progress attached),
    `.has_ended`, `.running`, `.can_close` and `.can_reopen`. Four queries."""
    today = today or timezone.localdate()
    years = list(FiscalYear.objects.order_by("-start_date"))
    periods = list(
        Period.objects.filter(fiscal_year__in=years)
        .select_related("fiscal_year")
        .annotate(latest_run_id=_latest_run_id())
    )
    run_ids = [p.latest_run_id for p in periods if p.latest_run_id]
    runs = {
        run.pk: run
        for run in with_progress(
            CloseRun.objects.filter(pk__in=run_ids)
            .select_related("started_by")
            .prefetch_related(_steps_prefetch())
        )
    }
    grouped: dict[int, list[Period]] = defaultdict(list)
    for period in periods:
        grouped[period.fiscal_year_id].append(
            _decorate(period, runs.get(period.latest_run_id), today)
        )
    order = {Period.Kind.YEAR: 0, Period.Kind.QUARTER: 1, Period.Kind.MONTH: 2}
    for year in years:
        rows = grouped[year.pk]
        year_rows = [p for p in rows if p.kind == Period.Kind.YEAR]
        quarters = sorted(
            (p for p in rows if p.kind == Period.Kind.QUARTER), key=lambda p: p.start_date
        )
        months = [p for p in rows if p.kind == Period.Kind.MONTH]
        ordered = list(year_rows)
        for quarter in quarters:
            ordered.append(quarter)
            ordered.extend(
                sorted((m for m in months if m.parent_id == quarter.pk), key=lambda m: m.start_date)
            )
        placed = {p.pk for p in ordered}
        ordered.extend(
            sorted(
                (p for p in rows if p.pk not in placed),
                key=lambda p: (p.start_date, order.get(p.kind, 3)),
            )
        )
        for period in ordered:
            if period.kind != Period.Kind.MONTH:
                inside = [
                    m
                    for m in months
                    if period.start_date <= m.start_date and m.end_date <= period.end_date
                ]
                period.months_total = len(inside)
                period.months_closed = sum(m.status == Period.Status.CLOSED for m in inside)
            period.state_line = state_line(period)
        year.close_periods = ordered
    return years


@dataclass(frozen=True)
class ClosePreview:
    """What a close of `period` will do: the confirmation page."""

    period: Period
    has_ended: bool
    within: list[Period]  # the quarters and months inside it
    to_freeze: list[Period]  # the period and those within it that are open
    active_run: CloseRun | None
    latest_run: CloseRun | None
    reopenings: int

    @property
    def is_rerun(self) -> bool:
        return self.period.status == Period.Status.CLOSED

    @property
    def is_retry(self) -> bool:
        return self.period.status == Period.Status.CLOSING


def close_preview(*, period: Period, today: datetime.date | None = None) -> ClosePreview:
    """Four queries: the periods within, the active and latest runs, the reopenings."""
    today = today or timezone.localdate()
    within = list(
        Period.objects.filter(
            fiscal_year_id=period.fiscal_year_id,
            start_date__gte=period.start_date,
            end_date__lte=period.end_date,
        )
        .exclude(pk=period.pk)
        .select_related("fiscal_year")
        .order_by("start_date", "-end_date")
    )
    to_freeze = [p for p in [period, *within] if p.status == Period.Status.OPEN]
    latest = (
        CloseRun.objects.filter(period=period)
        .select_related("started_by")
        .order_by("-created_at", "-id")
        .first()
    )
    return ClosePreview(
        period=period,
        has_ended=period.end_date < today,
        within=within,
        to_freeze=to_freeze,
        active_run=active_run(period=period),
        latest_run=latest,
        reopenings=Reopening.objects.filter(period=period).count(),
    )


def reopened_with(*, period: Period) -> list[Period]:
    """The closed periods that reopening `period` reopens: itself, the periods within it
    and the periods containing it (a closed quarter's figures would otherwise change
    while it stays closed), longest first. One query."""
    return list(
        Period.objects.filter(fiscal_year_id=period.fiscal_year_id, status=Period.Status.CLOSED)
        .filter(
            Q(start_date__gte=period.start_date, end_date__lte=period.end_date)
            | Q(start_date__lte=period.start_date, end_date__gte=period.end_date)
        )
        .select_related("fiscal_year")
        .order_by("start_date", "-end_date", "pk")
    )


def reopenings_of(*, period: Period) -> list[Reopening]:
    """The period's reopenings, newest first, with who reopened it. One query."""
    return list(Reopening.objects.filter(period=period).select_related("reopened_by"))


# --- the schedule of the periodic jobs -------------------------------------------------------


def job_descriptions() -> dict[str, str]:
    """What each scheduled task does, in the active language (by task name)."""
    return {
        "closing.close_due_periods": _(
            "Period-end close: closes every period that has ended (the month, and at a "
            "quarter's or the fiscal year's end those too). A period already being closed, "
            "or closed by hand, is left alone."
        ),
        "sales.flag_missing_reports": _(
            "Missing progress reports: tells each supervisor whose people have not "
            "submitted last period's progress report (once per report period)."
        ),
    }


@dataclass
class ScheduledJob:
    task: PeriodicTask
    description: str
    crontab: domain.Crontab
    next_run: datetime.datetime | None  # None while disabled
    last_run_at: datetime.datetime | None
    last_result: JobRun | None

    @property
    def time(self) -> tuple[int, int] | None:
        return self.crontab.fixed_time

    @property
    def when(self) -> str:
        """The schedule in words, in the active language."""
        tab = self.crontab
        if tab.cadence == "custom":
            return " ".join(
                [tab.minute, tab.hour, tab.day_of_month, tab.month_of_year, tab.day_of_week]
            )
        hour, minute = tab.fixed_time
        time = f"{hour:02}:{minute:02}"
        if tab.cadence == "daily":
            return _("every day at %(time)s") % {"time": time}
        return _("on day %(day)s of every month at %(time)s") % {
            "day": tab.day_of_month,
            "time": time,
        }

    @property
    def expire_hours(self) -> int:
        return round((self.task.expire_seconds or 0) / 3600)


def crontab_of(task: PeriodicTask) -> domain.Crontab:
    """The crontab fields of a periodic task (its `crontab` joined), as the domain
    reads them."""
    schedule = task.crontab
    return domain.Crontab(
        minute=schedule.minute,
        hour=schedule.hour,
        day_of_month=schedule.day_of_month,
        month_of_year=schedule.month_of_year,
        day_of_week=schedule.day_of_week,
    )


def scheduled_jobs(*, now: datetime.datetime | None = None) -> list[ScheduledJob]:
    """Every periodic task with a crontab (django-celery-beat's table), in the order of
    their names, with what it does, when it runs next (in CELERY_TIMEZONE), when it last
    ran (beat's record, or its latest recorded run) and with what result. Two queries."""
    zone = zoneinfo.ZoneInfo(settings.CELERY_TIMEZONE)
    now = (now or timezone.now()).astimezone(zone)
    latest_run = Subquery(
        JobRun.objects.filter(task=OuterRef("task"))
        .order_by("-finished_at", "-id")
        .values("pk")[:1]
    )
    tasks = list(
        PeriodicTask.objects.filter(crontab__isnull=False)
        .exclude(task__startswith="celery.")
        .select_related("crontab")
        .annotate(latest_run_id=latest_run)
        .order_by("name")
    )
    runs = JobRun.objects.in_bulk([t.latest_run_id for t in tasks if t.latest_run_id])
    descriptions = job_descriptions()
    jobs = []
    for task in tasks:
        tab = crontab_of(task)
        result = runs.get(task.latest_run_id)
        seen = [m for m in (task.last_run_at, result.finished_at if result else None) if m]
        jobs.append(
            ScheduledJob(
                task=task,
                description=descriptions.get(task.task, task.task),
                crontab=tab,
                next_run=domain.next_run(tab, now) if task.enabled else None,
                last_run_at=max(seen) if seen else None,
                last_result=result,
            )
        )
    return jobs


def schedule_changes(limit: int = 10) -> list[ScheduleChange]:
    """The latest changes of the schedule, newest first, with who made them."""
    return list(ScheduleChange.objects.select_related("changed_by")[:limit])


def job_for_change(pk) -> PeriodicTask:
    """A scheduled job the schedule page lists (404 for anything else)."""
    try:
        return (
            PeriodicTask.objects.filter(crontab__isnull=False)
            .exclude(task__startswith="celery.")
            .select_related("crontab")
            .get(pk=pk)
        )
    except (PeriodicTask.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
