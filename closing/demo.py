"""Demo period closes for Qingyun Instruments, called by `manage.py seed_demo` after the
organisation, targets, sales and appraisals are there.

The department (dept.zhou) has closed, one close each, through
`closing.services.close_start` (see org.demo_calendar for the rule): every month of
the demo's history that ended before the current quarter, and every quarter that
ended before the last ended one — so those periods are `closed`, their attainment
snapshot is there and each salesperson was told (in-app) that their results are
ready. The last quarter that has ended is left open (its appraisal cycle is in
calibration), and the months of the current quarter that have ended are left for
the visitor to close in the browser.

The run history shows one failure: the first close of the last of those months failed
at its notifications (a mail server that did not answer, staged by the demo), and
the department started it again, which completed it. The period stayed `closing`
in between.

seed_demo runs in one transaction, in which a task queued "on commit" would only run
once the whole demo is committed: the demo therefore runs each step of a close in
process right away (what an eager task does); the tasks queued on commit then find the
run finished and do nothing (with REDIS_URL set they go to the broker, and a worker
finds the same). The results-ready e-mails of the demo closes are not sent
(they would all go to the console, or to made-up addresses). Idempotent: a month that
has a close run already is left as it is.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
from smtplib import SMTPServerDisconnected

from django.conf import settings
from django.test.utils import override_settings

from closing import services, steps
from closing.models import CloseRun, CloseStep
from closing.pipeline import Step
from core.demo import QuietOnCommit
from org import demo as org_demo
from org.models import Period, User

DEPARTMENT = "dept.zhou"
STAGED_FAILURE = "Connection unexpectedly closed (a mail server failure staged by the demo)"


def _mail_server_down(run: CloseRun, progress) -> None:
    raise SMTPServerDisconnected(STAGED_FAILURE)


# The notify step as it ran when the mail server was down (the first close of the last
# month): same name and label as closing.steps.NOTIFY, fails before telling anyone.
NOTIFY_MAIL_DOWN = Step(
    name=steps.NOTIFY.name,
    label=steps.NOTIFY.label,
    count=steps.NOTIFY.count,
    run=_mail_server_down,
)


def _failing_plan() -> list[str]:
    return [
        "closing.demo.NOTIFY_MAIL_DOWN" if path == "closing.steps.NOTIFY" else path
        for path in settings.CLOSE_STEPS
    ]


def periods_to_close(today: datetime.date) -> list[Period]:
    """The periods the department has closed by `today` (org.demo_calendar): the months
    of the history that ended before the current quarter and the quarters that ended
    before the last ended one, in the order they were closed (by end, a month before
    its quarter)."""
    calendar = org_demo.calendar(today)
    months = Period.objects.filter(
        kind=Period.Kind.MONTH,
        start_date__gte=calendar.history_start,
        end_date__lt=calendar.current_quarter.start,
    )
    quarters = Period.objects.filter(
        kind=Period.Kind.QUARTER,
        start_date__gte=calendar.history_start,
        end_date__lt=calendar.last_ended_quarter.start,
    )
    return sorted(
        (months | quarters).select_related("fiscal_year"),
        key=lambda p: (p.end_date, p.kind != Period.Kind.MONTH),
    )


def _run_through(run: CloseRun) -> CloseRun:
    """Run the steps of `run` in this process, in order, as the eager task chain would."""
    names = list(run.steps.order_by("position").values_list("name", flat=True))
    for name in names:
        services.run_step(run_id=run.pk, name=name)
    run.refresh_from_db()
    return run


def _close(period: Period, dept: User, *, fail_first: bool) -> list[CloseRun]:
    runs = []
    if fail_first:
        with override_settings(CLOSE_STEPS=_failing_plan()):
            failed = services.close_start(period=period, acting_user=dept)
            with _expected_failure(), contextlib.suppress(SMTPServerDisconnected):
                _run_through(failed)
        failed.refresh_from_db()
        runs.append(failed)
    run = services.close_start(period=period, acting_user=dept)
    runs.append(_run_through(run))
    return runs


@contextlib.contextmanager
def _expected_failure():
    """The staged failure is expected: do not log its traceback."""
    log = logging.getLogger(services.__name__)
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def seed(*, stdout, today: datetime.date) -> None:
    dept = User.objects.filter(username=DEPARTMENT).first()
    years = org_demo.history_years(today)
    if dept is None or not years:
        return
    periods = periods_to_close(today)
    months = [p for p in periods if p.kind == Period.Kind.MONTH]
    with_runs = set(CloseRun.objects.filter(period__in=periods).values_list("period_id", flat=True))
    todo = [p for p in periods if p.pk not in with_runs]
    started = []
    if todo:
        with QuietOnCommit().around():
            for period in todo:
                # The last month of the set is the one whose first close failed; it is
                # staged only when the demo closes all of them (the first seeding).
                fail_first = bool(months) and period == months[-1] and len(todo) == len(periods)
                started += _close(period, dept, fail_first=fail_first)
    runs = CloseRun.objects.filter(period__fiscal_year__in=years)
    closed = Period.objects.filter(fiscal_year__in=years, status=Period.Status.CLOSED)
    failed = runs.filter(status=CloseRun.Status.FAILED).count()
    failed_steps = CloseStep.objects.filter(
        run__period__fiscal_year__in=years, status=CloseStep.Status.FAILED
    ).count()
    line = (
        f"Period close: {closed.filter(kind=Period.Kind.MONTH).count()} month(s) and "
        f"{closed.filter(kind=Period.Kind.QUARTER).count()} quarter(s) closed, "
        f"{runs.count()} close run(s) ({failed} failed, {failed_steps} failed step(s))"
    )
    if started:
        line += f"; {len(started)} of them run just now, their e-mails not sent"
    stdout.write(line + ".")
