"""The demo on awkward days: `seed_demo` on each day below, with the clock set to it,
builds a demo whose every invariant holds (tests/demo/checks.py, one check per app).

The days: the first and last day of the fiscal year, of every quarter and of a month;
29 February of a leap year; the day after the fiscal year starts; a few minutes after
a quarter ended; and the real today. (The fiscal year starts in January: the default,
FISCAL_YEAR_START_MONTH; tests/demo/test_calendar.py checks the calendar's rules for
every start month.)

The calendar's arithmetic does not depend on the database, so on PostgreSQL (CI's second
stage, where a seeding takes twice as long) only the days in `ON_POSTGRESQL` are seeded:
a quarter's end minutes ago, the fiscal year's last evening and the leap day, besides the
real today; the embedded default seeds every day.
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from closing.models import CloseRun
from org import demo as org_demo
from org.models import Period
from tests.conftest import local_moment
from tests.demo import checks
from tests.demo.conftest import line, seed

pytestmark = pytest.mark.django_db

DAYS = {
    "fiscal-year-first-day": local_moment(datetime.date(2027, 1, 1)),
    "day-after-fiscal-year-start": local_moment(datetime.date(2027, 1, 2)),
    "q1-last-day": local_moment(datetime.date(2027, 3, 31)),
    "q2-first-day": local_moment(datetime.date(2027, 4, 1)),
    "q2-last-day": local_moment(datetime.date(2027, 6, 30)),
    "q3-first-day": local_moment(datetime.date(2027, 7, 1)),
    "q3-last-day": local_moment(datetime.date(2027, 9, 30)),
    "q4-first-day-minutes-after-q3": local_moment(datetime.date(2026, 10, 1), 0, 20),
    "month-first-day": local_moment(datetime.date(2027, 11, 1)),
    "month-last-day": local_moment(datetime.date(2027, 11, 30)),
    "fiscal-year-last-day": local_moment(datetime.date(2027, 12, 31), 23, 30),
    "leap-day": local_moment(datetime.date(2028, 2, 29)),
}
ON_POSTGRESQL = {"q4-first-day-minutes-after-q3", "fiscal-year-last-day", "leap-day"}


@pytest.mark.parametrize("moment", [pytest.param(m, id=k) for k, m in DAYS.items()])
def test_the_demo_holds_together_on(moment, request):
    day = request.node.callspec.id
    if connection.vendor != "sqlite" and day not in ON_POSTGRESQL:
        pytest.skip("seeded on the embedded default only (the calendar is the same)")
    with time_machine.travel(moment, tick=True):
        seed()
        calendar = org_demo.calendar(timezone.localdate())
        checks.check_all(calendar, timezone.now())


@pytest.mark.real_clock
def test_the_demo_holds_together_on_the_real_today():
    """Whatever day the suite runs on (the clock is not pinned here)."""
    seed()
    calendar = org_demo.calendar(timezone.localdate())
    checks.check_all(calendar, timezone.now())


def test_a_later_seeding_closes_what_has_ended_since_without_a_failure():
    with time_machine.travel(local_moment(datetime.date(2027, 5, 6)), tick=True):
        out = seed()
    assert line(out, "Period close: ").startswith(
        "Period close: 3 month(s) and 0 quarter(s) closed, 4 close run(s) (1 failed"
    )
    with time_machine.travel(local_moment(datetime.date(2027, 7, 2), 9), tick=True):
        out = seed()
    # April to June are closed now, and Q1 (Q2's appraisal has started), each once and
    # without a failure; the appraisal of Q2 opened.
    assert line(out, "Period close: ") == (
        "Period close: 6 month(s) and 1 quarter(s) closed, 8 close run(s) (1 failed, 1 failed "
        "step(s)); 4 of them run just now, their e-mails not sent."
    )
    assert not CloseRun.objects.filter(
        period__start_date__gte=datetime.date(2027, 4, 1), status="failed"
    ).exists()
    assert Period.objects.get(kind="quarter", start_date=datetime.date(2027, 1, 1)).status == (
        "closed"
    )
    assert "cycle FY2027 Q2: 41 appraisals" in line(out, "Appraisal: ")


def test_on_the_7th_of_a_month_the_supervisor_s_home_names_only_who_is_at_risk(client):
    """Seeded on 7 December: too early to tell in December, so the home judges the
    quarter, and names the two people well behind and few others, each with the reason,
    by name and team, never by username."""
    from django.urls import reverse

    from org.models import User
    from sales import demo as sales_demo
    from sales.attainment import selectors as attainment

    with time_machine.travel(local_moment(datetime.date(2026, 12, 7)), tick=True):
        seed()
        sup = User.objects.get(username="sup.sh")
        client.force_login(sup)
        response = client.get("/")
        panel = next(p for t, p in response.context["panels"] if t.endswith("panel.html"))
        body = response.content.decode()
        assert panel["judged"].kind == "quarter"
        assert "Too early to tell in December 2026" in body
        people = panel["at_risk_people"]
        assert 0 < len(people) <= panel["members"] // 2
        behind = {
            p.username
            for p, _team, index in sales_demo._team_members(datetime.date(2026, 12, 7))
            if sales_demo._behind(index)
        }
        named = {p["member"].person.username for p in people}
        assert behind & named
        for p in people:
            person = p["member"].person
            assert f"{person.display_name} · {p['member'].team.display_name}" in body
            assert p["reason"] in body and "of the quarter." in p["reason"]
            assert person.username not in p["reason"]
        # The team dashboard's month view says so too, and flags nobody yet.
        team = client.get(reverse("sales:dashboard-team"))
        assert 'id="too-early"' in team.content.decode()
        assert team.context["d"].at_risk_count == 0
        assert attainment.min_elapsed_pct() == 25
