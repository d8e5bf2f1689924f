"""Live attainment (sales.attainment.selectors) against hand-computed numbers: credit splits,
cancelled records left out, a unit summing its subtree, the pace shaped by the
monthly targets, the seasonality profile or the days, the projection and the
at-risk flag; and the reads of the dashboards built on it.

The fixture `world` is shared with the dashboard and API tests. Today is pinned to
14 February 2026: day 45 of the 90 days of Q1, day 14 of February's 28."""

import datetime
import functools
import types
from decimal import Decimal as D

import pytest

from org.models import Membership, Period
from sales import domain
from sales.attainment import selectors as attainment
from sales.models import FollowUp
from sales.records import services
from targets.models import SeasonalityProfile
from tests.conftest import local_moment
from tests.factories import (
    MembershipFactory,
    UserFactory,
    make_target,
    new_customers_metric,
    revenue_metric,
)
from tests.sales.helpers import customer, make_year, sale

TODAY = datetime.date(2026, 2, 14)


def d(month, day):
    return datetime.date(2026, month, day)


@pytest.fixture
def pinned_today(time_machine):
    """The clock is on TODAY (views, permissions, panels)."""
    time_machine.move_to(local_moment(TODAY), tick=False)
    return TODAY


def period(fy, kind, number=1) -> Period:
    return Period.objects.select_related("fiscal_year").get(
        fiscal_year=fy, kind=kind, number=number
    )


target = functools.partial(make_target, status="published")


def sams_follow_up(org, world, next_action, due, *, kind="call", happened_on=None, **fields):
    """A follow-up of sam's with Globex (on 1 February unless said) whose next action is
    due on `due`."""
    return FollowUp.objects.create(
        customer=world.globex,
        salesperson=org.salesperson,
        kind=kind,
        happened_on=happened_on or d(2, 1),
        next_action=next_action,
        next_action_on=due,
        **fields,
    )


def sams_sale(org, world, day, amount, margin="0"):
    """A sale to Globex, all sam's, saved through the service (as the entry form does)."""
    return services.record_save(
        date=day,
        customer=world.globex,
        amount=D(amount),
        quantity=D(1),
        gross_margin=D(margin),
        credits=[(org.salesperson, D(100))],
        acting_user=org.salesperson,
    )


@pytest.fixture
def world(org, pinned_today):
    """FY2026 (calendar), today 14 Feb 2026, two metrics.

    revenue (amount) targets, Q1 unless said:
      sam 1000 published, with months Jan 100 / Feb 200 / Mar 700 (pace by the months);
      tina 900 draft, her year target (draft) with a custom profile 30/30/40/0... ;
      eve 300 published, nothing else (pace by the days);
      East Team 1 2000 published; East 3000 published; South Team 1 500 published.
    new customers (count): sam 4 in Q1.
    Sales: sam 100 on 10 Jan; 60.01 on 5 Feb split sam 50 / tina 50 (30.01 + 30.00);
      tina 500 on 6 Feb; a cancelled 1000 for sam on 10 Feb; eve 40 on 20 Jan;
      oscar 999 on 1 Feb. Sam's customer Globex became one on 15 Jan.
    """
    fy = make_year(2026)
    q1 = period(fy, "quarter", 1)
    year = period(fy, "year")
    jan, feb, mar = (period(fy, "month", n) for n in (1, 2, 3))
    revenue = revenue_metric()
    customers = new_customers_metric()
    profile = SeasonalityProfile.objects.create(
        name="Front-loaded", method="custom", weights=["30", "30", "40"] + ["0"] * 9
    )
    t = types.SimpleNamespace()
    t.sam = target(revenue, q1, "1000", person=org.salesperson, team=org.team)
    t.sam_months = [
        target(revenue, m, v, person=org.salesperson, team=org.team)
        for m, v in ((jan, "100"), (feb, "200"), (mar, "700"))
    ]
    t.tina = target(revenue, q1, "900", person=org.teammate, team=org.team, status="draft")
    t.tina_year = target(
        revenue,
        year,
        "3600",
        person=org.teammate,
        team=org.team,
        status="draft",
        seasonality=profile,
    )
    t.eve = target(revenue, q1, "300", person=org.east2_person, team=org.team2)
    t.team = target(revenue, q1, "2000", unit=org.team)
    t.east = target(revenue, q1, "3000", unit=org.east)
    t.south = target(revenue, q1, "500", unit=org.other_team)
    t.sam_customers = target(customers, q1, "4", person=org.salesperson, team=org.team)

    globex = customer(org.salesperson, external_id="C-1")
    sale(d(1, 10), globex, "100", [(org.salesperson, 100)])
    sale(d(2, 5), globex, "60.01", [(org.salesperson, 50), (org.teammate, 50)])
    sale(d(2, 6), globex, "500", [(org.teammate, 100)])
    cancelled = sale(d(2, 10), globex, "1000", [(org.salesperson, 100)])
    services.record_cancel(record=cancelled)
    sale(d(1, 20), globex, "40", [(org.east2_person, 100)])
    sale(d(2, 1), globex, "999", [(org.other_salesperson, 100)])
    services.customer_save(
        customer=globex,
        name=globex.name,
        owner=org.salesperson,
        status="active",
        became_customer_on=d(1, 15),
        external_id="C-1",
    )
    return types.SimpleNamespace(
        fy=fy,
        year=year,
        q1=q1,
        jan=jan,
        feb=feb,
        mar=mar,
        revenue=revenue,
        customers=customers,
        t=t,
        globex=globex,
    )


def live(world, owners, period_=None, metrics=None, **kwargs):
    return attainment.live_attainment(
        owners=owners,
        metrics=metrics or [world.revenue],
        period=period_ or world.q1,
        today=TODAY,
        **kwargs,
    )


def sam_(org):
    return ("person", org.salesperson.pk)


# --- the numbers ------------------------------------------------------------------------------


def test_a_person_s_actual_is_their_credited_share_without_cancelled_records(org, world):
    rows = live(world, [sam_(org), ("person", org.teammate.pk), ("person", org.east2_person.pk)])
    assert rows[(sam_(org), world.revenue.pk)].actual == D("130.01")  # 100 + 30.01
    assert rows[(("person", org.teammate.pk), world.revenue.pk)].actual == D("530.00")
    assert rows[(("person", org.east2_person.pk), world.revenue.pk)].actual == D("40")


def test_a_unit_s_actual_is_its_whole_subtree(org, world):
    owners = [("unit", u.pk) for u in (org.team, org.team2, org.east, org.south, org.company)]
    rows = live(world, owners)
    actual = {o: rows[(o, world.revenue.pk)].actual for o in owners}
    assert actual == {
        ("unit", org.team.pk): D("660.01"),
        ("unit", org.team2.pk): D("40"),
        ("unit", org.east.pk): D("700.01"),
        ("unit", org.south.pk): D("999"),
        ("unit", org.company.pk): D("1699.01"),
    }


def test_the_monthly_targets_shape_the_pace_and_the_projection(org, world):
    row = live(world, [sam_(org)])[(sam_(org), world.revenue.pk)]
    p = row.progress
    # Jan 100 + half of Feb's 200 = 200 of 1000 expected by 14 Feb.
    assert p.shape == domain.SHAPE_MONTH_TARGETS
    assert p.expected_share == D("0.2")
    assert p.expected == D("200.00")
    assert p.pace_variance == D("-69.99")
    assert p.variance == D("-869.99")
    assert p.attainment == D("13.0")
    assert p.projection == D("650.05")  # 130.01 / 0.2
    assert p.projected_attainment == D("65.0")
    assert row.at_risk is True
    assert (row.target_id, row.target_status) == (world.t.sam.pk, "published")


def test_without_monthly_targets_the_year_target_s_profile_shapes_the_pace(org, world):
    tina = ("person", org.teammate.pk)
    p = live(world, [tina])[(tina, world.revenue.pk)].progress
    # Profile 30/30/40 over Q1: 30 + half of 30 = 45 of 100.
    assert p.shape == domain.SHAPE_SEASONALITY
    assert p.expected_share == D("0.45")
    assert p.expected == D("405.00")
    assert p.projection == D("1177.78")  # 530 / 0.45
    assert p.at_risk is False


def test_without_either_the_days_shape_the_pace(org, world):
    eve = ("person", org.east2_person.pk)
    p = live(world, [eve])[(eve, world.revenue.pk)].progress
    assert p.shape == domain.SHAPE_DAYS
    assert p.expected_share == D("0.5")  # day 45 of 90
    assert (p.expected, p.projection, p.at_risk) == (D("150.00"), D("80.00"), True)


def test_the_days_setting_overrides_the_monthly_shape(org, world, settings):
    settings.SALES_PACE_METHOD = "days"
    p = live(world, [sam_(org)])[(sam_(org), world.revenue.pk)].progress
    assert (p.shape, p.expected, p.projection) == (domain.SHAPE_DAYS, D("500.00"), D("260.02"))


def test_the_threshold_is_a_setting(org, world, settings):
    settings.SALES_AT_RISK_PCT = "60"
    assert live(world, [sam_(org)])[(sam_(org), world.revenue.pk)].at_risk is False  # 65 %
    settings.SALES_AT_RISK_PCT = "66"
    assert live(world, [sam_(org)])[(sam_(org), world.revenue.pk)].at_risk is True


def test_a_month_follows_its_days(org, world):
    row = live(world, [sam_(org)], world.feb)[(sam_(org), world.revenue.pk)]
    p = row.progress
    assert (row.target, row.actual) == (D("200"), D("30.01"))
    assert (p.expected_share, p.expected, p.projection) == (D("0.5"), D("100.00"), D("60.02"))
    assert p.shape == domain.SHAPE_DAYS


def test_a_finished_month_projects_its_actual_and_one_not_started_projects_nothing(org, world):
    jan = live(world, [sam_(org)], world.jan)[(sam_(org), world.revenue.pk)]
    assert (jan.progress.expected_share, jan.progress.projection) == (D(1), D("100.00"))
    assert jan.attainment == D("100.0") and jan.finished and not jan.at_risk
    mar = live(world, [sam_(org)], world.mar)[(sam_(org), world.revenue.pk)]
    assert (mar.actual, mar.progress.projection, mar.at_risk) == (D(0), None, False)
    assert mar.attainment == D("0.0")


def test_a_unit_target_is_paced_like_a_person_s(org, world):
    team = ("unit", org.team.pk)
    p = live(world, [team])[(team, world.revenue.pk)].progress
    assert (p.expected, p.projection, p.projected_attainment) == (
        D("1000.00"),
        D("1320.02"),
        D("66.0"),
    )
    assert p.at_risk is True


def test_new_customers_count_by_the_day_they_became_one(org, world):
    row = live(world, [sam_(org)], metrics=[world.customers])[(sam_(org), world.customers.pk)]
    assert (row.actual, row.target, row.attainment) == (D(1), D(4), D("25.0"))
    assert row.progress.expected == D(2)  # counts round to whole numbers


def test_no_target_has_no_attainment_but_shows_the_actual(org, world):
    oscar = ("person", org.other_salesperson.pk)
    row = live(world, [oscar])[(oscar, world.revenue.pk)]
    assert (row.actual, row.target, row.attainment, row.at_risk) == (D(999), None, None, False)
    assert row.target_status is None


def test_a_viewer_sees_only_the_targets_they_may_see(org, world):
    tina = ("person", org.teammate.pk)
    as_tina = live(world, [tina], viewer=org.teammate)[(tina, world.revenue.pk)]
    assert as_tina.target is None  # her Q1 target is still a draft
    as_sue = live(world, [tina], viewer=org.supervisor)[(tina, world.revenue.pk)]
    assert (as_sue.target, as_sue.target_status) == (D(900), "draft")
    as_sam = live(world, [sam_(org)], viewer=org.salesperson)[(sam_(org), world.revenue.pk)]
    assert as_sam.target == D(1000)


def test_the_trend_gives_every_month_of_the_year_with_its_monthly_target(org, world):
    row = live(world, [sam_(org)], trend_owners=[sam_(org)])[(sam_(org), world.revenue.pk)]
    assert len(row.months) == 12
    assert [p.actual for p in row.months[:3]] == [D(100), D("30.01"), None]  # March not begun
    assert [p.target for p in row.months[:4]] == [D(100), D(200), D(700), None]
    assert row.actual == D("130.01")  # still the period's actual


def test_owners_without_a_trend_get_the_period_s_months(org, world):
    rows = live(world, [sam_(org), ("unit", org.team.pk)], trend_owners=[("unit", org.team.pk)])
    assert len(rows[(sam_(org), world.revenue.pk)].months) == 3
    assert len(rows[(("unit", org.team.pk), world.revenue.pk)].months) == 12


def test_a_sale_counts_at_once(org, world):
    sale(d(2, 14), world.globex, "70", [(org.salesperson, 100)])
    row = live(world, [sam_(org)])[(sam_(org), world.revenue.pk)]
    assert row.actual == D("200.01")
    assert row.progress.projection == D("1000.05")
    assert row.at_risk is False


# --- the reads of the pages -------------------------------------------------------------------


def test_the_period_choice_defaults_to_the_current_month(world):
    choice = attainment.period_choice(today=TODAY)
    assert choice.period == world.feb
    assert [q.number for q in choice.quarters] == [1, 2, 3, 4]
    assert len(choice.months) == 12 and choice.year == world.year
    assert choice.days == (14, 28) and choice.elapsed_pct == D("50.0")
    assert attainment.period_choice(today=TODAY, period_id=str(world.q1.pk)).period == world.q1


def test_the_period_choice_of_an_unknown_id_or_without_a_year(world):
    with pytest.raises(attainment.UnknownPeriod):
        attainment.period_choice(today=TODAY, period_id="999999")
    with pytest.raises(attainment.UnknownPeriod):
        attainment.period_choice(today=TODAY, period_id="not-a-number")


def test_no_fiscal_year_no_choice(db):
    assert attainment.period_choice(today=TODAY) is None


def test_the_period_choice_lists_the_other_years(world):
    make_year(2025)
    choice = attainment.period_choice(today=TODAY)
    assert [p.fiscal_year.start_date.year for p in choice.other_years] == [2025]
    old = attainment.period_choice(today=TODAY, period_id=str(choice.other_years[0].pk))
    assert old.fiscal_year.start_date == datetime.date(2025, 1, 1)


def test_members_are_the_people_in_the_subtree_during_the_period(org, world):
    left = UserFactory(username="lena", roles=["salesperson"])
    MembershipFactory(user=left, unit=org.team, start_date=d(1, 1) - datetime.timedelta(days=400))
    Membership.objects.filter(user=left).update(end_date=d(1, 31))
    names = [m.person.username for m in attainment.members_of(units=[org.east], period=world.q1)]
    assert sorted(names) == ["eve", "lena", "sam", "sue", "tina"]
    feb_names = [
        m.person.username for m in attainment.members_of(units=[org.team], period=world.feb)
    ]
    assert "lena" not in feb_names


def test_the_person_dashboard(org, world):
    sams_follow_up(org, world, "Call back", d(2, 20))
    sams_follow_up(org, world, "Visit", d(3, 1), kind="visit")
    sams_follow_up(org, world, "Overdue", d(2, 1), kind="visit", happened_on=d(1, 1), done=True)
    choice = attainment.period_choice(today=TODAY, period_id=world.q1.pk)
    dash = attainment.person_dashboard(
        viewer=org.salesperson, person=org.salesperson, choice=choice, today=TODAY
    )
    assert [c.metric.code for c in dash.cards] == ["revenue", "customers"]
    assert dash.main.actual == D("130.01")
    # At risk, the furthest behind first (the lowest projected attainment), each with
    # its reason.
    risky = dash.at_risk
    assert [c.metric.code for c in risky] == ["customers", "revenue"]
    assert risky[0].progress.projected_attainment <= risky[1].progress.projected_attainment
    assert all(c.risk_reason.startswith(c.metric.display_name) for c in risky)
    assert [f.next_action for f in dash.followups] == ["Call back"]  # within 7 days, not done
    chart = dash.chart()
    assert chart["metrics"][0]["actual"][:3] == [100.0, 30.01, None]
    assert chart["metrics"][0]["target"][:3] == [100.0, 200.0, 700.0]
    assert len(chart["labels"]) == 12


def test_the_team_dashboard_sorts_and_flags(org, world):
    choice = attainment.period_choice(today=TODAY, period_id=world.q1.pk)
    units = [org.east, org.team, org.team2]
    dash = attainment.team_dashboard(
        viewer=org.regional, unit=org.east, units=units, choice=choice, today=TODAY, sort="revenue"
    )
    assert [u.unit for u in dash.subunits] == [org.team, org.team2]
    by_attainment = [r.person.username for r in dash.members]
    # Lowest first: sam 13.0, eve 13.3, tina 58.9; sue has no target: last.
    assert by_attainment == ["sam", "eve", "tina", "sue"]
    assert dash.totals[0].actual == D("700.01") and dash.totals[0].target == D(3000)
    assert dash.at_risk_count == 2  # sam (both metrics) and eve; tina is ahead, sue has none
    highest = attainment.team_dashboard(
        viewer=org.regional, unit=org.east, units=units, choice=choice, today=TODAY, sort="-revenue"
    )
    assert [r.person.username for r in highest.members] == ["tina", "eve", "sam", "sue"]
    risky = attainment.team_dashboard(
        viewer=org.regional, unit=org.east, units=units, choice=choice, today=TODAY, sort="risk"
    )
    assert {r.person.username for r in risky.members[:2]} == {"eve", "sam"}
    odd = attainment.team_dashboard(
        viewer=org.regional, unit=org.east, units=units, choice=choice, today=TODAY, sort="drop"
    )
    assert odd.sort == "name"


def test_the_org_dashboard_rolls_up_and_ranks(org, world):
    choice = attainment.period_choice(today=TODAY, period_id=world.q1.pk)
    dash = attainment.org_dashboard(
        viewer=org.department,
        roots=[org.company],
        choice=choice,
        metric=world.revenue,
        metrics=[world.revenue, world.customers],
        today=TODAY,
    )
    assert [(r.unit.code, r.depth) for r in dash.tree] == [
        ("acme", 0),
        ("east", 1),
        ("t-east-1", 2),
        ("t-east-2", 2),
        ("south", 1),
        ("t-south-1", 2),
    ]
    by_code = {r.unit.code: r.cell for r in dash.tree}
    assert by_code["acme"].actual == D("1699.01") and by_code["acme"].target is None
    assert by_code["south"].actual == D(999)
    # Teams with a target: South Team 1 199.8 %, East Team 1 33.0 %: with fewer than
    # two lists' worth, the better half is on top and the rest at the bottom.
    assert [r.label for r in dash.top_units] == ["South Team 1"]
    assert [r.label for r in dash.bottom_units] == ["East Team 1"]
    assert [r.owner for r in dash.top_people] == [
        ("person", org.teammate.pk),
        ("person", org.east2_person.pk),
    ]
    assert ("person", org.salesperson.pk) in [r.owner for r in dash.bottom_people]
    assert len(dash.company) == 12 and dash.company[0].actual == D(140)
