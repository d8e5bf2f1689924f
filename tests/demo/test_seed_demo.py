"""`manage.py seed_demo` itself: what it prints, that a second run changes nothing,
that the demo logins work, and `--today`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from appraisal.models import AppraisalResult, AppraisalTemplate, Cycle, DimensionScore
from closing.models import CloseRun, PersonAttainment, ResultNotice
from notifications.models import Notification
from org.models import FiscalYear, Membership, OrgUnit, Period, User
from sales.models import Customer, FollowUp, MonthTotal, ProgressReport, SalesRecord
from targets.models import Adjustment, SalesPlan, Target
from tests.demo.conftest import line, seed

pytestmark = pytest.mark.today

MODELS = [
    User,
    OrgUnit,
    Membership,
    FiscalYear,
    Period,
    Target,
    Adjustment,
    SalesPlan,
    Customer,
    FollowUp,
    SalesRecord,
    MonthTotal,
    ProgressReport,
    AppraisalTemplate,
    Cycle,
    DimensionScore,
    AppraisalResult,
    CloseRun,
    PersonAttainment,
    ResultNotice,
    Notification,
]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS} | {
        "history": User.history.count()
        + Target.history.count()
        + SalesRecord.history.count()
        + Period.history.count()
    }


def test_a_second_run_changes_nothing_and_says_what_is_there(demo):
    before = counts()
    statuses = list(Period.objects.order_by("pk").values_list("pk", "status"))
    out = seed()
    assert counts() == before
    assert list(Period.objects.order_by("pk").values_list("pk", "status")) == statuses
    for prefix in ("Organisation: ", "Targets: ", "Sales: ", "Appraisal: ", "Period close: "):
        first, second = line(demo.out, prefix), line(out, prefix)
        if prefix == "Period close: ":  # the first run says it ran the closes just now
            first = first.split("; ")[0] + "."
        assert first == second, prefix


def test_it_prints_the_logins_with_the_password(demo):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert "Every demo login uses the password: salesperf-demo" in text
    for username in ("wei.zhang", "sup.sh", "east.wang", "dept.zhou", "hr.chen", "admin"):
        assert f" {username} " in text


def test_the_demo_users_can_sign_in(demo, client):
    for username in ("wei.zhang", "sup.sh", "dept.zhou", "hr.chen", "admin"):
        response = client.post(
            reverse("login"), {"username": username, "password": "salesperf-demo"}
        )
        assert response.status_code == 302, username
        client.post(reverse("logout"))


def test_the_history_starts_as_the_calendar_says(demo):
    assert line(demo.out, "Organisation: ").endswith(
        f"(the demo's history starts on {demo.calendar.history_start.isoformat()})."
    )


def test_today_must_be_a_date(demo):
    with pytest.raises(CommandError, match="not a date"):
        call_command("seed_demo", "--today", "31/12/2027", quiet=True)
