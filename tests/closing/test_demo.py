"""The demo period closes loaded by `manage.py seed_demo` (closing/demo.py), and their
run history in the (read-only) admin.

The demo works relative to the real today; the tests fix "now" (django.utils.timezone.now,
which timezone.localdate uses too) so that they do not depend on the day they run.
"""

import datetime
import io
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from closing import demo
from closing.models import CloseRun, CloseStep, PersonAttainment, ResultNotice, UnitAttainment
from notifications.models import Notification
from org.models import FiscalYear, Period, User
from tests.closing.helpers import oracle, snapshot

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)  # FY2026 Q4
JUST_AFTER_Q3 = datetime.datetime(2026, 10, 1, 0, 30, tzinfo=SHANGHAI)
IN_Q1 = datetime.datetime(2026, 2, 10, 11, 0, tzinfo=SHANGHAI)
IN_Q2 = datetime.datetime(2026, 5, 6, 9, 0, tzinfo=SHANGHAI)


def freeze(monkeypatch, when: datetime.datetime) -> None:
    when = when.astimezone(datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: when)


def seed_demo(django_capture_on_commit_callbacks) -> str:
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", quiet=True, stdout=out)
    return out.getvalue()


def close_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("Period close: "))


def months(fiscal_year: FiscalYear) -> list[Period]:
    return list(
        fiscal_year.periods.filter(kind=Period.Kind.MONTH)
        .select_related("fiscal_year")
        .order_by("start_date")
    )


def counts() -> dict[str, int]:
    return {
        "runs": CloseRun.objects.count(),
        "steps": CloseStep.objects.count(),
        "people": PersonAttainment.objects.count(),
        "units": UnitAttainment.objects.count(),
        "notices": ResultNotice.objects.count(),
        "notifications": Notification.objects.filter(kind="period_results_ready").count(),
        "closed": Period.objects.filter(status=Period.Status.CLOSED).count(),
    }


@pytest.mark.parametrize("now", [NOW, JUST_AFTER_Q3], ids=["weeks-after", "minutes-after"])
def test_the_demo_closes_the_months_before_the_current_quarter_one_after_a_failure(
    db, monkeypatch, django_capture_on_commit_callbacks, now
):
    freeze(monkeypatch, now)
    out = seed_demo(django_capture_on_commit_callbacks)
    fiscal_year = FiscalYear.objects.get(name="FY2026")
    all_months = months(fiscal_year)
    done, left = all_months[:9], all_months[9:]

    assert close_line(out) == (
        "Period close: 9 month(s) of FY2026 closed, 10 close run(s) (1 failed, 1 failed "
        "step(s)); 10 of them run just now, their e-mails not sent."
    )
    # January to September are closed, October to December and the quarters (so the
    # Q3 appraisal cycle still computes) and the year are not.
    assert {p.label: p.status for p in done} == {p.label: "closed" for p in done}
    assert {p.status for p in left} == {"open"}
    assert set(
        fiscal_year.periods.exclude(kind=Period.Kind.MONTH).values_list("status", flat=True)
    ) == {"open"}

    # The run history: one close per month by the department, September's first one
    # failed at its notifications and the second succeeded.
    dept = User.objects.get(username=demo.DEPARTMENT)
    runs = list(CloseRun.objects.order_by("created_at", "id").select_related("period"))
    assert [r.period.label for r in runs] == [p.label for p in done] + [done[-1].label]
    assert Counter(r.status for r in runs) == {"succeeded": 9, "failed": 1}
    assert {(r.trigger, r.started_by_id) for r in runs} == {("manual", dept.pk)}
    failed, retry = runs[-2], runs[-1]
    assert (failed.status, retry.status) == ("failed", "succeeded")
    assert demo.STAGED_FAILURE in failed.error
    assert failed.finished_at is not None and failed.finished_at <= retry.created_at
    assert list(failed.steps.order_by("position").values_list("name", "status")) == [
        ("freeze", "done"),
        ("snapshot", "done"),
        ("appraisal", "done"),
        ("notify", "failed"),
        ("finish", "pending"),
    ]
    assert demo.STAGED_FAILURE in failed.steps.get(name="notify").error
    for run in runs:
        if run.status == "succeeded":
            assert run.started_at <= run.finished_at
            assert set(run.steps.values_list("status", flat=True)) == {"done"}
            assert not run.error

    # Each month's snapshot is the months' sales (an independent oracle), written by
    # its successful run; nothing of the open months.
    for month in done:
        expected = oracle(month)
        metric_ids = {key[2] for key in expected}
        written = {key: v for key, v in snapshot(month).items() if key[2] in metric_ids}
        assert written == expected, month.label
        assert any(v for v in expected.values()), month.label
    written_by = set(PersonAttainment.objects.values_list("run__status", flat=True))
    assert written_by == {"succeeded"}
    assert not PersonAttainment.objects.filter(period__in=left).exists()

    # Every salesperson of each month was told once (in-app), nobody twice; no e-mail
    # went out and the mail backend is the tests' again.
    notices = ResultNotice.objects.all()
    assert notices.count() == sum(
        PersonAttainment.objects.filter(period=m).values("person").distinct().count() for m in done
    )
    assert Notification.objects.filter(kind="period_results_ready").count() == notices.count() > 0
    assert set(notices.values_list("generation", flat=True)) == {0}
    assert mail.outbox == []
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"


def test_a_second_run_changes_nothing(db, monkeypatch, django_capture_on_commit_callbacks):
    freeze(monkeypatch, NOW)
    seed_demo(django_capture_on_commit_callbacks)
    before = counts()
    statuses = list(CloseRun.objects.order_by("id").values_list("id", "status"))
    out = seed_demo(django_capture_on_commit_callbacks)
    assert counts() == before
    assert list(CloseRun.objects.order_by("id").values_list("id", "status")) == statuses
    assert close_line(out) == (
        "Period close: 9 month(s) of FY2026 closed, 10 close run(s) (1 failed, 1 failed step(s))."
    )


def test_a_later_month_end_is_closed_by_the_next_seeding_without_a_failure(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    freeze(monkeypatch, IN_Q2)
    out = seed_demo(django_capture_on_commit_callbacks)
    assert close_line(out).startswith("Period close: 3 month(s) of FY2026 closed, 4 close run(s)")
    freeze(monkeypatch, datetime.datetime(2026, 7, 2, 9, 0, tzinfo=SHANGHAI))
    out = seed_demo(django_capture_on_commit_callbacks)
    # Q2's months are closed now, each once and without a failure.
    assert close_line(out) == (
        "Period close: 6 month(s) of FY2026 closed, 7 close run(s) (1 failed, 1 failed "
        "step(s)); 3 of them run just now, their e-mails not sent."
    )
    assert not CloseRun.objects.filter(
        period__start_date__gte=datetime.date(2026, 4, 1), status="failed"
    ).exists()


def test_in_the_first_quarter_nothing_is_closed(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    freeze(monkeypatch, IN_Q1)
    out = seed_demo(django_capture_on_commit_callbacks)
    assert (
        close_line(out)
        == "Period close: 0 month(s) of FY2026 closed, 0 close run(s) (0 failed, 0 failed step(s))."
    )
    assert not CloseRun.objects.exists()
    january = months(FiscalYear.objects.get(name="FY2026"))[0]
    assert january.status == "open"  # ended, left for the department to close


def test_the_run_history_is_read_only_in_the_admin(
    db, client, monkeypatch, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    freeze(monkeypatch, NOW)
    seed_demo(django_capture_on_commit_callbacks)
    root = User.objects.create_superuser(username="root.i", email="root@example.com", password="x")
    client.force_login(root)
    failed = CloseRun.objects.get(status="failed")

    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:closing_closerun_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "September 2026" in text and "January 2026" in text
    assert reverse("admin:closing_closerun_add") not in text

    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:closing_closerun_change", args=[failed.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert demo.STAGED_FAILURE in text
    assert 'name="status"' not in text  # read only: no form fields
    assert "notify" in text  # the steps, inline

    # A hundred rows a page, related rows fetched with them.
    for name in ("closestep", "reopening", "personattainment", "unitattainment"):
        with django_assert_max_num_queries(12):
            page = client.get(reverse(f"admin:closing_{name}_changelist"))
        assert page.status_code == 200, name
    assert client.get(reverse("admin:closing_closerun_add")).status_code == 403
    assert (
        client.post(reverse("admin:closing_closerun_delete", args=[failed.pk])).status_code == 403
    )
    assert CloseRun.objects.filter(pk=failed.pk).exists()
