"""The demo period closes (closing/demo.py) on the suite's day, and their run history
in the (read-only) admin."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from closing import demo as closing_demo
from closing.models import CloseRun
from org.models import User
from tests.demo.checks import expected_closed
from tests.demo.conftest import line

pytestmark = pytest.mark.today


def test_the_summary_counts_the_closed_periods_and_runs(demo):
    closed = expected_closed(demo.calendar)
    months = sum(1 for p in closed if p.kind == "month")
    quarters = len(closed) - months
    runs = len(closed) + 1  # the last month's first close failed
    assert line(demo.out, "Period close: ") == (
        f"Period close: {months} month(s) and {quarters} quarter(s) closed, {runs} close "
        f"run(s) (1 failed, 1 failed step(s)); {runs} of them run just now, their e-mails "
        "not sent."
    )


def test_the_staged_failure_stopped_at_the_notifications_and_a_retry_succeeded(demo):
    failed = CloseRun.objects.get(status="failed")
    retry = CloseRun.objects.filter(period=failed.period, status="succeeded").get()
    assert failed.finished_at <= retry.created_at
    assert list(failed.steps.order_by("position").values_list("name", "status")) == [
        ("freeze", "done"),
        ("snapshot", "done"),
        ("appraisal", "done"),
        ("rewards", "done"),
        ("notify", "failed"),
        ("finish", "pending"),
    ]
    assert closing_demo.STAGED_FAILURE in failed.steps.get(name="notify").error
    for run in CloseRun.objects.filter(status="succeeded"):
        assert run.started_at <= run.finished_at and not run.error
        assert set(run.steps.values_list("status", flat=True)) == {"done"}
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"


def test_the_run_history_is_read_only_in_the_admin(demo, client, django_assert_max_num_queries):
    root = User.objects.create_superuser(username="root.i", email="root@example.com", password="x")
    client.force_login(root)
    failed = CloseRun.objects.select_related("period").get(status="failed")

    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:closing_closerun_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert failed.period.label in text
    assert reverse("admin:closing_closerun_add") not in text

    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:closing_closerun_change", args=[failed.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert closing_demo.STAGED_FAILURE in text
    assert 'name="status"' not in text  # read only: no form fields
    assert "notify" in text  # the steps, inline

    for name in ("closestep", "reopening", "personattainment", "unitattainment"):
        with django_assert_max_num_queries(12):
            page = client.get(reverse(f"admin:closing_{name}_changelist"))
        assert page.status_code == 200, name
    assert client.get(reverse("admin:closing_closerun_add")).status_code == 403
    assert (
        client.post(reverse("admin:closing_closerun_delete", args=[failed.pk])).status_code == 403
    )
    assert CloseRun.objects.filter(pk=failed.pk).exists()
