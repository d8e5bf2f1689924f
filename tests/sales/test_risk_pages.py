"""The at-risk verdict as the pages show it: "too early to tell" early in a period,
the one-line reason, the supervisor's home naming who really is at risk, the team
chart comparing like with like, and a metric whose actuals arrive late.

Uses the `world` of tests/sales/test_attainment_selectors.py (FY2026; the clock moved
to the day each test needs)."""

from decimal import Decimal as D

import pytest
from django.test import override_settings
from django.urls import reverse

from core.errors import DomainError
from sales.attainment import panels
from sales.attainment import selectors as attainment
from targets.catalogue import services as catalogue_services
from tests.conftest import local_moment
from tests.sales import test_attainment_selectors as base
from tests.sales.test_dashboards import sales_panel

world = base.world
pinned_today = base.pinned_today
d = base.d

TEAM = reverse("sales:dashboard-team")
HOME = reverse("home")


def test_on_day_3_of_a_month_the_team_dashboard_says_too_early_to_tell(
    client_as, org, world, time_machine
):
    time_machine.move_to(local_moment(d(2, 3)), tick=False)
    response = client_as("supervisor").get(TEAM)
    assert response.context["choice"].period == world.feb
    body = response.content.decode()
    assert 'id="too-early"' in body and "too early to tell" in body
    assert "judged once 25 % of the period has passed" in body
    dash = response.context["d"]
    # Nobody is judged on day 3: not at risk, too early to tell.
    sam = next(r for r in dash.members if r.person == org.salesperson)
    assert sam.cells[0].target == D(200)
    assert sam.cells[0].too_early and not sam.at_risk
    assert "too early to tell" in body.split('id="h-members-chart"')[0]
    assert dash.at_risk_count == 0 and "table-danger" not in body


def test_once_enough_of_the_month_has_passed_the_verdict_comes_with_its_reason(
    client_as, org, world
):
    # 14 February: half of the month, sam 30.01 of 200 projects to 60.02.
    response = client_as("supervisor").get(TEAM)
    body = response.content.decode()
    assert 'id="too-early"' not in body
    sam = next(r for r in response.context["d"].members if r.person == org.salesperson)
    assert sam.at_risk
    assert sam.risk_reason == (
        "Revenue projects to 30.0 % of the target (threshold 90 %) at 50.0 % of the month."
    )
    assert sam.risk_reason in body


@override_settings(SALES_AT_RISK_MIN_ELAPSED_PCT="60")
def test_the_minimum_is_a_setting_shown_on_the_page(client_as, world):
    response = client_as("supervisor").get(TEAM)
    body = response.content.decode()
    assert "judged once 60 % of the period has passed" in body
    assert 'id="too-early"' in body  # 14 of 28 days
    assert response.context["d"].at_risk_count == 0


def test_the_team_chart_compares_the_actual_to_date_with_the_pace(client_as, org, world):
    response = client_as("supervisor").get(TEAM, {"period": world.q1.pk})
    chart = response.context["chart"]
    assert "threshold" not in chart
    revenue = chart["metrics"][0]
    by_name = dict(zip(chart["labels"], zip(revenue["values"], revenue["pace"], strict=True),
                       strict=True))  # fmt: skip
    # sam: 130.01 of 1000 to date (13.0 %), against his pace by the months, 20 %.
    assert by_name[org.salesperson.display_name] == (13.0, 20.0)
    # sue has no revenue target: no bar, no pace.
    assert by_name[org.supervisor.display_name] == (None, None)
    body = response.content.decode()
    assert "Pace: expected by today (% of the target)" in body
    assert "At-risk threshold" not in body


def test_the_supervisor_s_home_names_who_is_at_risk_and_why(client_as, org, world):
    response = client_as("supervisor").get(HOME)
    panel = sales_panel(response)
    assert panel["judged"] == world.feb
    assert [p["member"].person for p in panel["at_risk_people"]] == [org.salesperson]
    body = response.content.decode()
    shown = f"{org.salesperson.display_name} · {org.team.display_name}"
    assert shown in body
    assert "Revenue projects to 30.0 % of the target (threshold 90 %) at 50.0 % of the month." in (
        body
    )
    assert "Too early to tell in" not in body


def test_early_in_the_month_the_supervisor_s_home_judges_the_quarter(
    client_as, org, world, time_machine
):
    time_machine.move_to(local_moment(d(2, 3)), tick=False)
    response = client_as("supervisor").get(HOME)
    panel = sales_panel(response)
    # 3 of February's 28 days is too early; 34 of Q1's 90 days is not.
    assert panel["judged"] == world.q1
    assert [p["member"].person for p in panel["at_risk_people"]] == [org.salesperson]
    body = response.content.decode()
    assert "Too early to tell in February 2026" in body
    assert "of the quarter." in body
    assert org.salesperson.username not in panel["at_risk_people"][0]["reason"]


def test_in_the_first_days_of_the_year_the_supervisor_s_home_says_too_early(
    client_as, world, time_machine
):
    time_machine.move_to(local_moment(d(1, 5)), tick=False)
    response = client_as("supervisor").get(HOME)
    panel = sales_panel(response)
    assert panel["judged"] is None and "at_risk_people" not in panel
    assert "too early to tell" in response.content.decode()


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        ((1, 31), "month"),  # the whole of January
        ((2, 3), "quarter"),  # 3 of 28 days of February; 34 of Q1's 90
        ((4, 2), "year"),  # 2 of 30 and of 91; 92 of 365 days is 25.2 %
        ((1, 5), None),  # 5 days of everything
    ],
)
def test_the_judged_period_is_the_shortest_with_enough_days_passed(world, day, kind):
    judged = panels.judged_period(attainment.period_choice(today=d(*day)))
    assert (judged.kind if judged else None) == kind


def test_a_metric_whose_actuals_arrive_late_is_paced_as_of_its_lag(org, world):
    world.revenue.pace_lag_days = 7
    world.revenue.save()
    world.revenue.refresh_from_db()
    row = base.live(world, [("person", org.salesperson.pk)], world.feb, [world.revenue])
    cell = row[(("person", org.salesperson.pk), world.revenue.pk)]
    # 14 February less 7 days: 7 of February's 28 days observed.
    assert cell.progress.expected_share == D(7) / D(28)
    assert cell.progress.expected == D("50.00")
    assert cell.progress.lag_days == 7
    # 30.01 against 50 expected projects to 120.04: 60.0 %, still at risk, said so.
    assert cell.at_risk
    assert cell.risk_reason == (
        "Revenue projects to 60.0 % of the target (threshold 90 %) at 25.0 % of the month. "
        "(Counted as of 7 days ago: its actuals arrive late.)"
    )


def test_a_lagged_metric_says_so_on_its_card(client_as, org, world):
    world.revenue.pace_lag_days = 7
    world.revenue.save()
    body = client_as("salesperson").get(reverse("sales:dashboard-mine")).content.decode()
    assert "Its actuals arrive about 7 days late" in body


def test_the_department_sets_a_metric_s_lag_within_its_bounds(client_as, world):
    url = reverse("targets:metric-edit", args=[world.revenue.pk])
    data = {
        "code": "revenue", "name": "Revenue", "name_zh": "收入", "unit": "currency",
        "direction": "higher", "source": "amount", "position": 0, "is_active": "on",
    }  # fmt: skip
    client = client_as("department")
    assert client.post(url, data | {"pace_lag_days": "10"}).status_code == 302
    world.revenue.refresh_from_db()
    assert world.revenue.pace_lag_days == 10
    assert client.post(url, data | {"pace_lag_days": "46"}).status_code == 400
    with pytest.raises(DomainError, match="from 0 to 45"):
        catalogue_services.metric_save(metric=world.revenue, acting_user=None, pace_lag_days=90)
    world.revenue.refresh_from_db()
    assert world.revenue.pace_lag_days == 10


def test_the_database_refuses_a_lag_beyond_the_bound(world):
    from django.db import IntegrityError, transaction

    world.revenue.pace_lag_days = 46
    with pytest.raises(IntegrityError), transaction.atomic():
        world.revenue.save()


def test_the_api_gives_the_verdict_and_the_reason(org, world, time_machine):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(org.supervisor)
    query = {"owner": f"person:{org.salesperson.pk}", "period": world.feb.pk}
    data = client.get("/api/v1/attainment/", query).json()
    assert data["at_risk_min_elapsed_pct"] == "25.0"
    revenue = data["rows"][0]
    assert (revenue["verdict"], revenue["at_risk"]) == ("at_risk", True)
    assert revenue["risk_reason"].startswith("Revenue projects to 30.0 % of the target")
    time_machine.move_to(local_moment(d(2, 3)), tick=False)
    revenue = client.get("/api/v1/attainment/", query).json()["rows"][0]
    assert (revenue["verdict"], revenue["at_risk"], revenue["risk_reason"]) == (
        "too_early", False, "",
    )  # fmt: skip
