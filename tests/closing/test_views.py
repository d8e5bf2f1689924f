"""The period close pages, persona by persona (the department closes and reopens, the
administrator reads, everyone else 403 on the pages and 404 on a run, anonymous →
sign in), and the whole browser path: the period list offers "Close" for an ended
open period, the confirmation page says what will happen, the POST starts the close
and lands on the run page, whose progress fragment htmx polls every second until
the run has finished; a second start while one runs is refused with who started it;
a failed run shows its error and can be started again; a closed period is reopened
with a reason; fixed query counts.

The world (tests.closing.helpers) is fiscal year 2026 with sales in January; the
clock is pinned on 3 February 2026, so January has ended and February has not.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from closing.models import CloseRun, CloseStep, PersonAttainment, Reopening
from org.models import FiscalYear, Period
from org.services import fiscal_year_create
from tests.closing import helpers
from tests.closing.helpers import (
    NOW,
    oracle,
    snapshot,
)

STEPS = ["freeze", "snapshot", "appraisal", "rewards", "notify", "finish"]
OUTSIDERS = [
    "salesperson",  # sam
    "teammate",  # tina
    "east2_person",  # eve
    "other_salesperson",  # oscar
    "supervisor",  # sue
    "other_supervisor",  # otto
    "regional",  # rita
    "hr",  # harry
]

world = helpers.world
clock = helpers.clock
# The close's tasks run in-process even when REDIS_URL is set (as in CI).
pytestmark = pytest.mark.usefixtures("eager_tasks", "clock")


def url(name, *args):
    return reverse(f"closing:{name}", args=args)


def main(html: str) -> str:
    """The page without the navigation bar."""
    return html.split("<main", 1)[1]


def make_run(
    period, status="running", *, by=None, done=2, error="", heartbeat=NOW, trigger="manual"
):
    """A run in a given state, written directly (as a worker would leave it): the
    first `done` steps done, the next one running (or failed), the rest waiting."""
    active = status in ("queued", "running")
    run = CloseRun.objects.create(
        period=period,
        status=status,
        trigger=trigger,
        started_by=by,
        created_at=NOW - datetime.timedelta(minutes=2),
        started_at=NOW - datetime.timedelta(minutes=2),
        heartbeat_at=heartbeat,
        finished_at=None if active else NOW,
        error=error,
    )
    for position, name in enumerate(STEPS, start=1):
        if position <= done or status == "succeeded":
            state, count = "done", 40
        elif position == done + 1 and status in ("running", "failed"):
            state, count = ("failed" if status == "failed" else "running"), 10
        else:
            state, count = "pending", 0
        CloseStep.objects.create(
            run=run,
            position=position,
            name=name,
            status=state,
            total=40 if state != "pending" else 0,
            done=count,
            error=error if state == "failed" else "",
        )
    return run


def close_in_browser(client, period, capture):
    with capture(execute=True):
        response = client.post(url("close", period.pk))
    return response


# --- who may see and do what --------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(client, world):
    run = make_run(world.jan)
    paths = [
        url("periods"),
        url("runs"),
        url("run", run.pk),
        url("run-progress", run.pk),
        url("close", world.jan.pk),
        url("reopen", world.jan.pk),
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("login")), path
    assert client.post(url("close", world.jan.pk)).status_code == 302
    assert not CloseRun.objects.exclude(pk=run.pk).exists()


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_everyone_else_is_refused_the_pages_and_does_not_see_runs(client_as, world, persona):
    run = make_run(world.jan, status="succeeded", by=world.org.department)
    client = client_as(persona)
    for path in [
        url("periods"),
        url("runs"),
        url("close", world.jan.pk),
        url("reopen", world.jan.pk),
    ]:
        assert client.get(path).status_code == 403, path
    assert client.post(url("close", world.jan.pk)).status_code == 403
    assert client.post(url("reopen", world.jan.pk), {"reason": "x"}).status_code == 403
    # A run is hidden: the same answer as a missing one.
    assert client.get(url("run", run.pk)).status_code == 404
    assert client.get(url("run-progress", run.pk)).status_code == 404
    assert client.get(url("run", run.pk + 1000)).status_code == 404
    assert CloseRun.objects.count() == 1
    assert not Reopening.objects.exists()
    # ... and the navigation does not offer the pages.
    assert url("periods") not in client.get(reverse("home")).content.decode()


def test_the_administrator_reads_runs_but_starts_and_reopens_nothing(client_as, world):
    run = make_run(world.jan, status="succeeded", by=world.org.department)
    client = client_as("admin")
    page = client.get(url("periods"))
    assert page.status_code == 200
    html = main(page.content.decode())
    assert url("run", run.pk) in html
    assert url("close", world.jan.pk) not in html  # no buttons
    assert url("periods") in client.get(reverse("home")).content.decode()  # nav entry
    assert client.get(url("runs")).status_code == 200
    assert client.get(url("run", run.pk)).status_code == 200
    assert client.get(url("run-progress", run.pk)).status_code == 200
    assert client.get(url("close", world.jan.pk)).status_code == 403
    assert client.post(url("close", world.jan.pk)).status_code == 403
    assert client.get(url("reopen", world.jan.pk)).status_code == 403
    assert client.post(url("reopen", world.jan.pk), {"reason": "x"}).status_code == 403
    assert CloseRun.objects.count() == 1


def test_a_missing_period_is_404_for_the_department(client_as, world):
    client = client_as("department")
    assert client.get(url("close", 99999)).status_code == 404
    assert client.post(url("reopen", 99999), {"reason": "x"}).status_code == 404
    assert client.get(url("runs") + "?period=99999").status_code == 404


# --- the period list -------------------------------------------------------------------------


def test_the_list_offers_close_for_ended_open_periods_only(client_as, world):
    page = client_as("department").get(url("periods"))
    assert page.status_code == 200
    html = main(page.content.decode())
    assert url("close", world.jan.pk) in html  # January has ended
    assert url("close", world.feb.pk) not in html  # February has not
    assert url("close", world.q1.pk) not in html
    assert url("close", world.year.pk) not in html
    assert url("reopen", world.jan.pk) not in html  # not closed
    assert "never closed" in html


def test_the_list_shows_the_latest_run_and_what_can_be_done(client_as, world):
    org = world.org
    make_run(world.jan, status="failed", by=org.department, error="boom")
    latest = make_run(world.jan, status="running", by=org.department, done=1)
    html = main(client_as("department").get(url("periods")).content.decode())
    assert url("run", latest.pk) in html
    assert "Watch progress" in html
    assert url("close", world.jan.pk) not in html  # one runs already
    latest.status, latest.finished_at = "failed", NOW
    latest.save()
    Period.objects.filter(pk=world.jan.pk).update(status="closing")
    html = main(client_as("department").get(url("periods")).content.decode())
    assert url("close", world.jan.pk) in html
    assert "Finish the close" in html
    Period.objects.filter(pk=world.jan.pk).update(status="closed")
    html = main(client_as("department").get(url("periods")).content.decode())
    assert "Close again" in html
    assert url("reopen", world.jan.pk) in html


def _state(html: str, period) -> str:
    """The state line of `period`'s row on the list."""
    row = html.split(f'data-period="{period.pk}"', 1)[1]
    return row.split('data-state="', 1)[1].split("</div>", 1)[0]


def test_each_period_says_what_its_state_means(client_as, world):
    client = client_as("department")
    html = main(client.get(url("periods")).content.decode())
    assert "Ended on Jan. 31, 2026; waiting for its close." in _state(html, world.jan)
    assert "Open until Feb. 28, 2026." in _state(html, world.feb)
    assert "0 of 3 months closed." in _state(html, world.q1)
    make_run(world.jan, status="succeeded")
    Period.objects.filter(pk=world.jan.pk).update(status="closed")
    html = main(client.get(url("periods")).content.decode())
    assert "Closed by the close of Feb. 3, 2026." in _state(html, world.jan)
    assert "1 of 3 months closed." in _state(html, world.q1)
    assert "1 of 12 months closed." in _state(html, world.year)
    # Reopened: open again after a close that succeeded.
    Period.objects.filter(pk=world.jan.pk).update(status="open")
    html = main(client.get(url("periods")).content.decode())
    assert "Reopened after the close of Feb. 3, 2026" in _state(html, world.jan)


def test_a_period_closed_outside_the_close_says_so_and_offers_close(client_as, world):
    Period.objects.filter(pk=world.jan.pk).update(status="closed")  # as an import leaves it
    html = main(client_as("department").get(url("periods")).content.decode())
    assert "Closed outside the period close" in _state(html, world.jan)
    assert "Close again" not in html  # it was never closed: "Close", not "Close again"
    assert url("close", world.jan.pk) in html and url("reopen", world.jan.pk) in html


def test_the_state_lines_in_chinese(client_as, world):
    client = client_as("department")
    client.cookies["django_language"] = "zh-hans"
    html = main(client.get(url("periods")).content.decode())
    assert "等待期末结算" in _state(html, world.jan)


def test_the_list_costs_a_fixed_number_of_queries(client_as, world, django_assert_max_num_queries):
    client = client_as("department")
    make_run(world.jan, status="succeeded")
    client.get(url("periods"))  # warm the session
    with django_assert_max_num_queries(10) as few:
        assert client.get(url("periods")).status_code == 200
    fiscal_year_create(start_year=2025, start_month=1)
    for period in Period.objects.filter(fiscal_year__name__contains="2025", kind="month"):
        make_run(period, status="succeeded")
        make_run(period, status="failed", error="x")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url("periods")).status_code == 200
    assert FiscalYear.objects.count() == 2


# --- closing a period in the browser ---------------------------------------------------------


def test_the_confirmation_page_says_what_will_happen(client_as, world):
    html = main(client_as("department").get(url("close", world.q1.pk)).content.decode())
    # Q1 has not ended on 3 February: no button.
    assert "only an ended period can be closed" in html
    assert 'type="submit"' not in html
    html = main(client_as("department").get(url("close", world.jan.pk)).content.decode())
    assert "Close now" in html
    assert world.jan.label in html
    assert f"Freeze the sales records of {world.jan.label}:" in html


def test_the_department_closes_a_month_and_watches_it_finish(
    client_as, world, django_capture_on_commit_callbacks
):
    client = client_as("department")
    response = close_in_browser(client, world.jan, django_capture_on_commit_callbacks)
    run = CloseRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("run", run.pk)
    assert run.status == "succeeded"
    assert run.started_by == world.org.department
    assert run.trigger == "manual"
    world.jan.refresh_from_db()
    assert world.jan.status == "closed"
    assert snapshot(world.jan) == oracle(world.jan)

    page = client.get(response["Location"])
    html = main(page.content.decode())
    assert page.status_code == 200
    assert "has started" in page.content.decode()  # the message
    for label in ["Freeze the period", "Finish"]:
        assert label in html
    assert "100.0 %" in html
    assert "Succeeded".lower() in html.lower()
    # Finished: nothing polls any more.
    assert "hx-trigger" not in html
    assert url("reopen", world.jan.pk) in html


def test_a_running_close_is_polled_every_second_until_it_has_finished(client_as, world):
    run = make_run(world.jan, status="running", by=world.org.department, done=2)
    client = client_as("department")
    html = main(client.get(url("run", run.pk)).content.decode())
    assert 'hx-trigger="every 1s"' in html
    assert f'hx-get="{url("run-progress", run.pk)}"' in html
    # Two of six steps done, the third a quarter through: (100 + 100 + 25) / 6.
    assert "37.5 %" in html
    assert "10 / 40" in html
    fragment = client.get(url("run-progress", run.pk)).content.decode()
    assert "<html" not in fragment
    assert 'hx-trigger="every 1s"' in fragment

    CloseStep.objects.filter(run=run).update(status="done", done=40, total=40)
    CloseRun.objects.filter(pk=run.pk).update(status="succeeded", finished_at=NOW)
    fragment = client.get(url("run-progress", run.pk)).content.decode()
    assert 'id="run-body"' in fragment
    assert "hx-trigger" not in fragment  # polling stops
    assert "100.0 %" in fragment


def test_a_second_start_while_one_runs_is_refused_with_who_started_it(
    client_as, world, django_capture_on_commit_callbacks
):
    running = make_run(world.jan, status="running", by=world.org.department)
    client = client_as("department")
    response = close_in_browser(client, world.jan, django_capture_on_commit_callbacks)
    assert response.status_code == 409
    html = main(response.content.decode())
    assert "The close was not started." in html
    assert world.jan.label in html
    assert world.org.department.display_name in html
    assert url("run", running.pk) in html
    assert CloseRun.objects.count() == 1


def test_a_period_that_has_not_ended_is_not_closed(
    client_as, world, django_capture_on_commit_callbacks
):
    response = close_in_browser(
        client_as("department"), world.feb, django_capture_on_commit_callbacks
    )
    assert response.status_code == 400
    assert "has not ended" in main(response.content.decode())
    assert not CloseRun.objects.exists()
    world.feb.refresh_from_db()
    assert world.feb.status == "open"


def test_a_failed_run_shows_its_error_and_is_started_again(
    client_as, world, django_capture_on_commit_callbacks
):
    Period.objects.filter(pk=world.jan.pk).update(status="closing")
    failed = make_run(world.jan, status="failed", by=world.org.department, error="Snapshot: boom")
    client = client_as("department")
    html = main(client.get(url("run", failed.pk)).content.decode())
    assert "Snapshot: boom" in html
    assert "hx-trigger" not in html
    assert url("close", world.jan.pk) in html  # start it again
    response = close_in_browser(client, world.jan, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    latest = CloseRun.objects.order_by("-pk").first()
    assert latest.pk != failed.pk
    assert latest.status == "succeeded"
    world.jan.refresh_from_db()
    assert world.jan.status == "closed"


def test_closing_a_closed_period_again_recomputes_without_duplicates(
    client_as, world, django_capture_on_commit_callbacks
):
    client = client_as("department")
    close_in_browser(client, world.jan, django_capture_on_commit_callbacks)
    rows = PersonAttainment.objects.count()
    page = client.get(url("close", world.jan.pk))
    assert "Close again now" in main(page.content.decode())
    response = close_in_browser(client, world.jan, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert CloseRun.objects.filter(status="succeeded").count() == 2
    assert PersonAttainment.objects.count() == rows
    assert snapshot(world.jan) == oracle(world.jan)


def test_the_run_page_costs_a_fixed_number_of_queries(
    client_as, world, django_assert_max_num_queries
):
    run = make_run(world.jan, status="running", done=3)
    client = client_as("department")
    client.get(url("run", run.pk))
    with django_assert_max_num_queries(8):
        assert client.get(url("run", run.pk)).status_code == 200
    # Polled every second: the session, the user and roles, the navigation's
    # context, the run and its steps.
    with django_assert_max_num_queries(7):
        assert client.get(url("run-progress", run.pk)).status_code == 200


# --- run history ---------------------------------------------------------------------------


def test_the_history_lists_runs_with_who_started_them_and_their_result(client_as, world):
    org = world.org
    ok = make_run(world.jan, status="succeeded", by=org.department)
    bad = make_run(
        world.jan, status="failed", error="Snapshot: the database went away", trigger="schedule"
    )
    other = make_run(world.feb, status="succeeded", by=org.department)
    client = client_as("department")
    html = main(client.get(url("runs")).content.decode())
    for run in (ok, bad, other):
        assert url("run", run.pk) in html
    assert org.department.display_name in html
    assert "schedule" in html  # the run without a starter
    assert "the database went away" in html
    assert "2 min 00 s" in html  # the duration

    html = main(client.get(url("runs") + f"?period={world.jan.pk}").content.decode())
    assert url("run", ok.pk) in html
    assert url("run", other.pk) not in html


def test_the_history_costs_a_fixed_number_of_queries(
    client_as, world, django_assert_max_num_queries
):
    client = client_as("department")
    make_run(world.jan, status="succeeded")
    client.get(url("runs"))
    with django_assert_max_num_queries(8) as few:
        assert client.get(url("runs")).status_code == 200
    for _ in range(20):
        make_run(world.jan, status="failed", error="x")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url("runs")).status_code == 200


# --- reopening -------------------------------------------------------------------------------


def test_the_department_reopens_a_closed_period_with_a_reason(
    client_as, world, django_capture_on_commit_callbacks
):
    client = client_as("department")
    close_in_browser(client, world.jan, django_capture_on_commit_callbacks)
    page = client.get(url("reopen", world.jan.pk))
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()

    refused = client.post(url("reopen", world.jan.pk), {"reason": "  "})
    assert refused.status_code == 400
    world.jan.refresh_from_db()
    assert world.jan.status == "closed"
    assert not Reopening.objects.exists()

    response = client.post(url("reopen", world.jan.pk), {"reason": "A late invoice for Globex"})
    assert response.status_code == 302
    assert response["Location"] == url("periods")
    world.jan.refresh_from_db()
    assert world.jan.status == "open"
    reopening = Reopening.objects.get(period=world.jan)
    assert reopening.reason == "A late invoice for Globex"
    assert reopening.reopened_by == world.org.department
    html = main(client.get(url("runs") + f"?period={world.jan.pk}").content.decode())
    assert "A late invoice for Globex" in html

    # ... and the next close recomputes it.
    close_in_browser(client, world.jan, django_capture_on_commit_callbacks)
    world.jan.refresh_from_db()
    assert world.jan.status == "closed"
    assert snapshot(world.jan) == oracle(world.jan)


def test_an_open_period_is_not_reopened(client_as, world):
    client = client_as("department")
    page = client.get(url("reopen", world.jan.pk))
    assert "only a closed period can be reopened" in main(page.content.decode())
    response = client.post(url("reopen", world.jan.pk), {"reason": "why not"})
    assert response.status_code == 400
    assert "only a closed period can be reopened" in main(response.content.decode())
    assert not Reopening.objects.exists()


def test_a_period_is_not_reopened_while_a_close_runs(client_as, world):
    Period.objects.filter(pk=world.jan.pk).update(status="closed")
    make_run(world.jan, status="running", by=world.org.department)
    response = client_as("department").post(url("reopen", world.jan.pk), {"reason": "Late"})
    assert response.status_code == 409
    assert world.jan.label in main(response.content.decode())
    assert Period.objects.get(pk=world.jan.pk).status == "closed"
    assert not Reopening.objects.exists()
