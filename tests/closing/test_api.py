"""The period close API (/api/v1/period-closes/), persona by persona: 401 for anonymous
requests, 403 on the list and the actions for everyone but the department (the
administrator reads), 404 for a run one may not see; a start answers 201 when the
close ran in-process to its end and 202 while it waits for a worker; a second start
while one is queued or running answers 409 with who started it and the running run's
id; a period that has not ended or a reopen without a reason answers 400; the
progress of each step; fixed query counts.

The world (tests.closing.helpers) is fiscal year 2026 with sales in January; the
clock is pinned on 3 February 2026, so January has ended and February has not.
"""

from __future__ import annotations

import functools

import pytest
from django.urls import reverse

from closing.models import CloseRun, PersonAttainment, Reopening
from org.models import Period
from tests.api_errors import field_errors
from tests.closing import helpers
from tests.closing.helpers import (
    oracle,
    snapshot,
)
from tests.closing.test_views import OUTSIDERS, STEPS, make_run
from tests.conftest import api_authenticated_as

world = helpers.world
clock = helpers.clock
# The close's tasks run in-process even when REDIS_URL is set (as in CI).
pytestmark = pytest.mark.usefixtures("eager_tasks", "clock")


@pytest.fixture
def api_as(org):
    return functools.partial(api_authenticated_as, org)


def runs_url(pk=None):
    if pk is None:
        return reverse("api-period-close-list")
    return reverse("api-period-close-detail", args=[pk])


REOPEN = "/api/v1/period-closes/reopen/"


def start(client, period, capture, *, execute=True):
    """POST a start. Inside the test's transaction the close's tasks run when `capture`
    executes the on-commit callbacks, after the answer (202) was written."""
    with capture(execute=execute):
        return client.post(runs_url(), {"period": period.pk}, format="json")


def close(client, period, capture):
    response = start(client, period, capture)
    assert response.status_code == 202, response.content
    run = CloseRun.objects.get(pk=response.json()["id"])
    assert run.status == "succeeded", run.error
    return run


# --- who may see and do what --------------------------------------------------------------


def test_the_runs_are_at_period_closes():
    assert runs_url() == "/api/v1/period-closes/"


# The answers to the list, a run, a start and a reopen: anonymous requests 401; everyone
# else but the department 403, and 404 for a run they may not see.
REFUSED = {"anonymous": (401, 401, 401, 401)} | dict.fromkeys(OUTSIDERS, (403, 404, 403, 403))


@pytest.mark.parametrize("persona", list(REFUSED))
def test_anonymous_and_outsiders_are_refused_and_see_no_run(api_as, world, persona):
    run = make_run(world.jan, status="succeeded", by=world.org.department)
    client = api_as(persona)
    listed, shown, started, reopened = REFUSED[persona]
    assert client.get(runs_url()).status_code == listed
    assert client.get(runs_url(run.pk)).status_code == shown
    assert client.post(runs_url(), {"period": world.jan.pk}, format="json").status_code == started
    response = client.post(REOPEN, {"period": world.jan.pk, "reason": "x"}, format="json")
    assert response.status_code == reopened
    assert CloseRun.objects.count() == 1
    assert not Reopening.objects.exists()


def test_the_administrator_reads_but_starts_and_reopens_nothing(api_as, world):
    run = make_run(world.jan, status="succeeded", by=world.org.department)
    client = api_as("admin")
    listed = client.get(runs_url())
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()["results"]] == [run.pk]
    assert client.get(runs_url(run.pk)).status_code == 200
    assert client.get(runs_url(run.pk + 1000)).status_code == 404
    assert client.post(runs_url(), {"period": world.jan.pk}, format="json").status_code == 403
    response = client.post(REOPEN, {"period": world.jan.pk, "reason": "x"}, format="json")
    assert response.status_code == 403
    assert CloseRun.objects.count() == 1


# --- starting a close ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_department_closes_a_month_in_process(api_as, world):
    # As in production without a worker: no transaction around the request, so the
    # close's steps run in-process as each commits, before the answer is written.
    response = api_as("department").post(runs_url(), {"period": world.jan.pk}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    run = CloseRun.objects.get()
    assert body["id"] == run.pk
    assert body["status"] == "succeeded"
    assert body["trigger"] == "manual"
    assert body["started_by"]["username"] == "dora"
    assert body["period"]["id"] == world.jan.pk
    assert body["period"]["status"] == "closed"
    assert body["percent"] == "100.0"
    assert body["current_step"] is None
    assert [s["name"] for s in body["steps"]] == STEPS
    assert all(s["status"] == "done" and s["percent"] == "100.0" for s in body["steps"])
    snap = next(s for s in body["steps"] if s["name"] == "snapshot")
    assert snap["total"] == snap["done"] > 0
    assert snap["label"]
    assert snapshot(world.jan) == oracle(world.jan)
    assert api_as("department").get(runs_url(run.pk)).json() == {
        **body,
        "duration": "00:00:00",  # the clock is pinned
    }


def test_a_close_waiting_for_a_worker_answers_202_and_a_second_start_409(
    api_as, world, django_capture_on_commit_callbacks
):
    client = api_as("department")
    # The task is not sent (as when a worker has yet to take it): the run stays queued.
    first = start(client, world.jan, django_capture_on_commit_callbacks, execute=False)
    assert first.status_code == 202, first.content
    body = first.json()
    assert body["status"] == "queued"
    assert body["percent"] == "0.0"
    assert body["current_step"] == "freeze"
    assert [s["status"] for s in body["steps"]] == ["pending"] * len(STEPS)

    second = start(client, world.jan, django_capture_on_commit_callbacks, execute=False)
    assert second.status_code == 409, second.content
    busy = second.json()
    assert busy["run"] == body["id"]
    assert world.jan.label in busy["detail"]
    assert world.org.department.display_name in busy["detail"]
    assert CloseRun.objects.count() == 1


def test_a_running_close_answers_409_with_its_starter(
    api_as, world, django_capture_on_commit_callbacks
):
    running = make_run(world.jan, status="running", by=world.org.department)
    response = start(api_as("department"), world.jan, django_capture_on_commit_callbacks)
    assert response.status_code == 409
    assert response.json()["run"] == running.pk
    assert "dora" in response.json()["detail"] or (
        world.org.department.display_name in response.json()["detail"]
    )
    assert CloseRun.objects.count() == 1


def test_a_period_that_has_not_ended_answers_400(api_as, world, django_capture_on_commit_callbacks):
    response = start(api_as("department"), world.feb, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "has not ended" in response.json()["detail"]
    assert not CloseRun.objects.exists()
    bad = api_as("department").post(runs_url(), {"period": 99999}, format="json")
    assert bad.status_code == 400
    assert "period" in field_errors(bad)


def test_a_rerun_gives_identical_rows(api_as, world, django_capture_on_commit_callbacks):
    client = api_as("department")
    close(client, world.jan, django_capture_on_commit_callbacks)
    rows = PersonAttainment.objects.count()
    before = snapshot(world.jan)
    close(client, world.jan, django_capture_on_commit_callbacks)
    assert PersonAttainment.objects.count() == rows
    assert snapshot(world.jan) == before


# --- reading runs ------------------------------------------------------------------------------


def test_the_list_filters_by_period_and_status(api_as, world):
    org = world.org
    ok = make_run(world.jan, status="succeeded", by=org.department)
    failed = make_run(world.jan, status="failed", error="Snapshot: boom", trigger="schedule")
    other = make_run(world.feb, status="running", by=org.department, done=1)
    client = api_as("department")
    body = client.get(runs_url()).json()
    assert body["count"] == 3
    assert {r["id"] for r in body["results"]} == {ok.pk, failed.pk, other.pk}
    by_id = {r["id"]: r for r in body["results"]}
    assert by_id[failed.pk]["error"] == "Snapshot: boom"
    assert by_id[failed.pk]["started_by"] is None
    assert by_id[failed.pk]["trigger"] == "schedule"
    assert by_id[ok.pk]["duration"] == "00:02:00"
    # One of six steps done, the second a quarter through: (100 + 25) / 6.
    assert by_id[other.pk]["percent"] == "20.8"
    assert by_id[other.pk]["current_step"] == "snapshot"
    jan = client.get(runs_url(), {"period": world.jan.pk}).json()
    assert {r["id"] for r in jan["results"]} == {ok.pk, failed.pk}
    bad = client.get(runs_url(), {"status": "failed"}).json()
    assert [r["id"] for r in bad["results"]] == [failed.pk]


def test_a_run_shows_each_steps_progress_and_errors(api_as, world):
    run = make_run(world.jan, status="failed", error="Snapshot: boom", done=1)
    body = api_as("department").get(runs_url(run.pk)).json()
    steps = {s["name"]: s for s in body["steps"]}
    assert steps["freeze"]["status"] == "done"
    assert steps["snapshot"] == {
        **steps["snapshot"],
        "status": "failed",
        "done": 10,
        "total": 40,
        "percent": "25.0",
        "error": "Snapshot: boom",
    }
    assert steps["finish"]["status"] == "pending"
    assert body["current_step"] == "snapshot"
    assert body["error"] == "Snapshot: boom"


def test_the_list_costs_a_fixed_number_of_queries(api_as, world, django_assert_max_num_queries):
    client = api_as("department")
    make_run(world.jan, status="succeeded")
    with django_assert_max_num_queries(6) as few:
        assert client.get(runs_url()).status_code == 200
    for _ in range(30):
        make_run(world.jan, status="failed", error="x")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(runs_url()).json()["results"]) == 31


def test_a_run_costs_a_fixed_number_of_queries(api_as, world, django_assert_max_num_queries):
    run = make_run(world.jan, status="running")
    with django_assert_max_num_queries(4):
        assert api_as("department").get(runs_url(run.pk)).status_code == 200


# --- reopening ---------------------------------------------------------------------------------


def test_the_department_reopens_a_closed_period_with_a_reason(
    api_as, world, django_capture_on_commit_callbacks
):
    client = api_as("department")
    close(client, world.jan, django_capture_on_commit_callbacks)
    no_reason = client.post(REOPEN, {"period": world.jan.pk, "reason": " "}, format="json")
    assert no_reason.status_code == 400
    missing = client.post(REOPEN, {"period": world.jan.pk}, format="json")
    assert missing.status_code == 400
    assert "reason" in field_errors(missing)
    world.jan.refresh_from_db()
    assert world.jan.status == "closed"

    response = client.post(
        REOPEN, {"period": world.jan.pk, "reason": "Late invoice"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "open"
    assert response.json()["id"] == world.jan.pk
    reopening = Reopening.objects.get(period=world.jan)
    assert (reopening.reason, reopening.reopened_by_id) == ("Late invoice", world.org.department.pk)

    # Reopening an open period is refused, with the period named.
    again = client.post(REOPEN, {"period": world.jan.pk, "reason": "again"}, format="json")
    assert again.status_code == 400
    assert world.jan.label in again.json()["detail"]

    # The next close recomputes.
    close(client, world.jan, django_capture_on_commit_callbacks)
    assert Period.objects.get(pk=world.jan.pk).status == "closed"
    assert snapshot(world.jan) == oracle(world.jan)


def test_the_schema_documents_the_endpoints(db, tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/period-closes/:" in text
    assert "/api/v1/period-closes/reopen/:" in text
    assert "'409':" in text


def test_reopening_while_a_close_runs_answers_409(api_as, world):
    Period.objects.filter(pk=world.jan.pk).update(status="closed")
    running = make_run(world.jan, status="running", by=world.org.department)
    response = api_as("department").post(
        REOPEN, {"period": world.jan.pk, "reason": "Late invoice"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["run"] == running.pk
    assert world.jan.label in response.json()["detail"]
    assert Period.objects.get(pk=world.jan.pk).status == "closed"
    assert not Reopening.objects.exists()
