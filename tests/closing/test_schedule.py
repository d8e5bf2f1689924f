"""The schedule page (/closing/schedule/) and API (/api/v1/schedule/): every scheduled
job (django-celery-beat's table, written at `migrate` on any setup) with what it does,
when it runs next and when it last ran with its result; the department enables,
disables and times a job (recorded); administrators read; everyone else 403.

The clock is moved to 18 November 2026, 10:00 in Asia/Shanghai."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from closing import selectors
from closing.models import JobRun, ScheduleChange
from closing.tasks import close_due_periods, run_step
from sales.tasks import flag_missing_reports
from tests.conftest import local_moment

PAGE = reverse("closing:schedule")
API = reverse("api-schedule-list")
CLOSE = "closing-period-ends"
REPORTS = "sales-flag-missing-reports"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.usefixtures("eager_tasks")


@pytest.fixture(autouse=True)
def clock(time_machine):
    """The next runs below are read from 18 November 2026, 10:00, whatever the suite's day."""
    time_machine.move_to(local_moment(datetime.date(2026, 11, 18)), tick=False)


def job(name: str) -> PeriodicTask:
    return PeriodicTask.objects.select_related("crontab").get(name=name)


def change(pk: int) -> str:
    return reverse("closing:schedule-change", args=[pk])


def jobs_by_name() -> dict:
    return {j.task.name: j for j in selectors.scheduled_jobs()}


def test_migrate_writes_the_schedule_so_every_setup_has_it(db):
    assert set(PeriodicTask.objects.values_list("name", flat=True)) >= {CLOSE, REPORTS}


def test_each_job_says_when_it_runs_next_and_that_it_never_ran(db):
    jobs = jobs_by_name()
    assert jobs[CLOSE].next_run == datetime.datetime(2026, 12, 1, 0, 10, tzinfo=SHANGHAI)
    assert jobs[REPORTS].next_run == datetime.datetime(2026, 11, 19, 9, 0, tzinfo=SHANGHAI)
    assert jobs[CLOSE].when == "on day 1 of every month at 00:10"
    assert jobs[REPORTS].when == "every day at 09:00"
    assert jobs[CLOSE].last_run_at is None and jobs[CLOSE].last_result is None


def test_a_run_of_a_scheduled_task_is_recorded_with_its_result(db):
    flag_missing_reports.delay()
    close_due_periods.delay()
    runs = {r.task: r for r in JobRun.objects.all()}
    assert runs["sales.flag_missing_reports"].state == "succeeded"
    assert runs["sales.flag_missing_reports"].detail == "0"  # nobody to flag
    jobs = jobs_by_name()
    assert jobs[REPORTS].last_result == runs["sales.flag_missing_reports"]
    assert jobs[REPORTS].last_run_at is not None


def test_a_failed_run_is_recorded_as_failed(db, monkeypatch):
    from closing import signals

    signals.record_job_run(sender=close_due_periods, retval=RuntimeError("boom"), state="FAILURE")
    run = JobRun.objects.get()
    assert (run.state, run.detail) == ("failed", "boom")
    assert jobs_by_name()[CLOSE].last_result == run


def test_an_unscheduled_task_is_not_recorded(db):
    from closing import signals

    signals.record_job_run(sender=run_step, retval=None, state="SUCCESS")
    assert not JobRun.objects.exists()


# --- the page --------------------------------------------------------------------------------


def test_the_department_reads_and_changes_the_schedule(client_as, org):
    client = client_as("department")
    body = client.get(PAGE).content.decode()
    assert CLOSE in body and REPORTS in body
    assert "Period-end close" in body and "never" in body
    reports = job(REPORTS)
    response = client.post(
        change(reports.pk), {f"job{reports.pk}-time": "07:30", f"job{reports.pk}-enabled": "on"}
    )
    assert response.status_code == 302
    reports = job(REPORTS)
    assert (reports.crontab.hour, reports.crontab.minute, reports.enabled) == ("7", "30", True)
    close = job(CLOSE)
    client.post(change(close.pk), {f"job{close.pk}-time": "00:10"})  # unticked: disabled
    close = job(CLOSE)
    assert not close.enabled and close.crontab.day_of_month == "1"
    assert [(c.job, c.hour, c.minute, c.enabled) for c in ScheduleChange.objects.all()] == [
        (CLOSE, 0, 10, False),
        (REPORTS, 7, 30, True),
    ]
    body = client.get(PAGE).content.decode()
    assert "none: the job is disabled" in body
    assert org.department.display_name in body  # the changes list says who
    assert jobs_by_name()[REPORTS].next_run == datetime.datetime(
        2026, 11, 19, 7, 30, tzinfo=SHANGHAI
    )


@pytest.mark.parametrize(
    ("time", "enabled", "error"),
    [
        ("25:00", True, "Enter a valid time"),
        ("09:00", True, "Nothing changed"),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(client_as, time, enabled, error):
    reports = job(REPORTS)
    data = {f"job{reports.pk}-time": time}
    if enabled:
        data[f"job{reports.pk}-enabled"] = "on"
    response = client_as("department").post(change(reports.pk), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert (job(REPORTS).crontab.hour, job(REPORTS).enabled) == ("9", True)
    assert not ScheduleChange.objects.exists()


def test_the_administrator_reads_but_changes_nothing(client_as):
    client = client_as("admin")
    body = client.get(PAGE).content.decode()
    assert CLOSE in body and 'action="/closing/schedule/' not in body
    reports = job(REPORTS)
    response = client.post(change(reports.pk), {f"job{reports.pk}-time": "07:00"})
    assert response.status_code == 403
    assert job(REPORTS).crontab.hour == "9"


@pytest.mark.parametrize("persona", ["salesperson", "supervisor", "hr", "other_supervisor"])
def test_everyone_else_is_refused(client_as, persona):
    client = client_as(persona)
    assert client.get(PAGE).status_code == 403
    reports = job(REPORTS)
    assert client.post(change(reports.pk), {f"job{reports.pk}-time": "07:00"}).status_code == 403
    assert client.get(API).status_code == 403


def test_anonymous_people_are_sent_to_sign_in(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(API).status_code == 401


def test_a_missing_job_is_404(client_as):
    assert (
        client_as("department").post(change(999999), {"job999999-time": "07:00"}).status_code == 404
    )


def test_the_page_in_chinese(client_as):
    client = client_as("department")
    client.cookies["django_language"] = "zh-hans"
    body = client.get(PAGE).content.decode()
    assert "每月 1 日 00:10" in body and "on day 1 of every month" not in body


def test_the_page_costs_a_fixed_number_of_queries(client_as, django_assert_max_num_queries):
    client = client_as("department")
    client.get(PAGE)
    with django_assert_max_num_queries(8):
        assert client.get(PAGE).status_code == 200


# --- the API ---------------------------------------------------------------------------------


def test_the_api_lists_and_changes_the_jobs(client_as):
    client = client_as("department")
    body = {j["name"]: j for j in client.get(API).json()}
    assert body[CLOSE]["crontab"] == "10 0 1 * *"
    assert body[CLOSE]["next_run"].startswith("2026-12-01T00:10:00")
    reports = job(REPORTS)
    url = reverse("api-schedule-detail", args=[reports.pk])
    response = client.patch(
        url, {"enabled": False, "time": "08:15"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["enabled"] is False and response.json()["crontab"] == "15 8 * * *"
    again = client.patch(url, {"enabled": False, "time": "08:15"}, content_type="application/json")
    assert again.status_code == 400 and "Nothing changed" in again.json()["detail"]
    admin = client_as("admin")
    assert admin.get(API).status_code == 200
    refused = admin.patch(url, {"enabled": True, "time": "08:15"}, content_type="application/json")
    assert refused.status_code == 403
