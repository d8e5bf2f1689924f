"""Reads of targets/selectors.py: the cascade workspace tree, a team's allocation and
a salesperson's own targets, each in a fixed number of queries."""

import datetime
from decimal import Decimal as D

import pytest

from org.services import membership_create, person_move_team
from targets import selectors, services
from targets.models import Target
from tests.factories import MembershipFactory, UserFactory
from tests.targets.helpers_core import make_metric, make_year


@pytest.fixture
def setup(org):
    """Company 1,000 split equally to the regions; East's teams 300 + 150 (under);
    East Team 1's people 100 + 100 + 110 (103.3 %); nobody below South yet."""
    fy = make_year(2026)
    revenue = make_metric("revenue")
    dept = org.department

    def put(value, **owner):
        return services.target_set(
            metric=revenue, period=fy.year, value=value, acting_user=dept, **owner
        )

    company = put("1000", unit=org.company)
    services.cascade_org(target=company, acting_user=dept)
    put("300", unit=org.team)
    put("150", unit=org.team2)
    put("100", person=org.salesperson)
    put("100", person=org.teammate)
    put("110", person=org.supervisor)
    return fy, revenue


def by_label(nodes):
    return {n.label: n for n in selectors.flatten(nodes)}


def test_the_workspace_is_the_tree_in_depth_first_order_with_people_under_their_team(org, setup):
    fy, revenue = setup
    nodes = selectors.workspace(metric=revenue, period=fy.year)
    assert [(n.label, n.depth) for n in selectors.flatten(nodes)] == [
        ("ACME", 0),
        ("East", 1),
        ("East Team 1", 2),
        (org.salesperson.display_name, 3),
        (org.supervisor.display_name, 3),
        (org.teammate.display_name, 3),
        ("East Team 2", 2),
        (org.east2_person.display_name, 3),
        ("South", 1),
        ("South Team 1", 2),
        (org.other_salesperson.display_name, 3),
    ]


def test_every_node_has_its_target_the_sum_below_the_gap_and_the_state(org, setup):
    fy, revenue = setup
    nodes = by_label(selectors.workspace(metric=revenue, period=fy.year))
    company, east, team = nodes["ACME"], nodes["East"], nodes["East Team 1"]
    assert (company.target.value, company.children_sum, company.gap, company.state) == (
        D(1000),
        D(1000),
        D(0),
        "ok",
    )
    assert company.share == D("100.0")
    assert (east.children_sum, east.gap, east.state, east.share) == (
        D(450),
        D(-50),
        "under",
        D("90.0"),
    )
    assert (team.children_sum, team.gap, team.state) == (D(310), D(10), "ok")
    # a team whose people have no targets yet, a region with nothing below
    assert nodes["East Team 2"].children_sum is None and nodes["East Team 2"].state == "none"
    assert nodes["South"].state == "none" and nodes["South"].gap is None
    assert nodes[org.east2_person.display_name].target is None


def test_children_over_the_band_are_over(org, setup):
    fy, revenue = setup
    services.target_set(
        metric=revenue, period=fy.year, value="231", person=org.teammate, acting_user=org.department
    )
    nodes = by_label(selectors.workspace(metric=revenue, period=fy.year))
    assert nodes["East Team 1"].state == "over"  # 441 of 300 = 147 %


def test_the_workspace_of_a_subtree_holds_only_that_subtree(org, setup):
    fy, revenue = setup
    nodes = selectors.workspace(metric=revenue, period=fy.year, root=org.east)
    labels = [n.label for n in selectors.flatten(nodes)]
    assert labels[0] == "East" and "South" not in labels and "ACME" not in labels


def test_a_person_who_moved_team_sits_under_each_team_they_were_in_with_their_part_there(
    org, setup
):
    fy, revenue = setup
    person_move_team(user=org.east2_person, new_unit=org.team, on=datetime.date(2026, 7, 1))
    person_move_team(user=org.salesperson, new_unit=org.team2, on=datetime.date(2026, 7, 1))
    nodes = selectors.workspace(metric=revenue, period=fy.year)
    flat = selectors.flatten(nodes)
    labels = [n.label for n in flat]
    assert labels.count(org.east2_person.display_name) == 2
    assert labels.count(org.salesperson.display_name) == 2
    sams = {n.team: n for n in flat if n.person == org.salesperson}
    assert sams[org.team].target.value == D(100)  # his part in East Team 1, set before
    assert sams[org.team2].target is None  # none in East Team 2 yet
    assert sams[org.team].key != sams[org.team2].key
    team1 = next(n for n in flat if n.unit == org.team)
    assert org.east2_person in [c.person for c in team1.children]


def test_the_workspace_costs_four_queries_for_a_few_or_forty_people_and_twelve_months(
    org, setup, django_assert_num_queries
):
    # The units, the people, the targets, and the tolerance band in force.
    fy, revenue = setup
    with django_assert_num_queries(4):
        selectors.flatten(selectors.workspace(metric=revenue, period=fy.months[0]))
    for i in range(40):
        person = UserFactory(username=f"extra{i:02}", roles=["salesperson"])
        MembershipFactory(user=person, unit=[org.team, org.team2, org.other_team][i % 3])
    company = Target.objects.get(metric=revenue, period=fy.year, unit=org.company)
    services.cascade_down(target=company, acting_user=org.department)
    for period in [fy.year, fy.months[0], fy.months[11]]:
        with django_assert_num_queries(4):
            nodes = selectors.flatten(selectors.workspace(metric=revenue, period=period))
        assert len(nodes) == 6 + 5 + 40  # units, the fixture's people, the extra people
        assert all(n.target is not None for n in nodes)
        assert all(n.state == "ok" for n in nodes if n.children)


# --- a team's allocation --------------------------------------------------------------------


def test_a_teams_allocation_lists_its_members_with_their_targets(
    org, setup, django_assert_max_num_queries
):
    fy, revenue = setup
    team = Target.objects.get(metric=revenue, period=fy.year, unit=org.team)
    with django_assert_max_num_queries(4):  # with the tolerance band in force
        allocation = selectors.team_allocation(target=team)
        rows = [(r.person.username, r.target.value if r.target else None) for r in allocation.rows]
    assert rows == [("sam", D(100)), ("sue", D(110)), ("tina", D(100))]
    assert (allocation.children_sum, allocation.state) == (D(310), "ok")
    assert (allocation.low, allocation.high) == (D(100), D(110))


def test_a_teams_allocation_without_member_targets_has_no_state_yet(org, setup):
    fy, revenue = setup
    team2 = Target.objects.get(metric=revenue, period=fy.year, unit=org.team2)
    newcomer = UserFactory(username="nina", roles=["salesperson"])
    membership_create(user=newcomer, unit=org.team2, start_date=datetime.date(2026, 9, 1))
    allocation = selectors.team_allocation(target=team2)
    assert [r.person.username for r in allocation.rows] == ["eve", "nina"]
    assert allocation.state == "none" and allocation.children_sum == 0


def test_a_person_who_moved_is_listed_in_each_team_they_were_in(org, setup):
    fy, revenue = setup
    person_move_team(user=org.east2_person, new_unit=org.team, on=datetime.date(2026, 7, 1))
    team = Target.objects.get(metric=revenue, period=fy.year, unit=org.team)
    team2 = Target.objects.get(metric=revenue, period=fy.year, unit=org.team2)
    assert "eve" in [r.person.username for r in selectors.team_allocation(target=team).rows]
    assert [r.person.username for r in selectors.team_allocation(target=team2).rows] == ["eve"]
    q4 = services.target_set(
        metric=revenue,
        period=fy.quarters[3],
        value="10",
        unit=org.team2,
        acting_user=org.department,
    )
    assert selectors.team_allocation(target=q4).rows == []  # she left before Q4


def test_a_submitted_sum_matches_what_the_allocation_page_shows(org, setup):
    fy, revenue = setup
    team = Target.objects.get(metric=revenue, period=fy.year, unit=org.team)
    services.allocation_submit(target=team, acting_user=org.supervisor)
    assert selectors.team_allocation(target=team).state == "ok"


# --- my targets --------------------------------------------------------------------------------


def test_my_targets_shows_only_my_published_targets_by_metric(
    org, setup, django_assert_num_queries
):
    fy, revenue = setup
    customers = make_metric("new_customers", "count")
    sams = Target.objects.get(metric=revenue, period=fy.year, person=org.salesperson)
    services.cascade_time(target=sams, acting_user=org.department)
    services.target_set(
        metric=revenue, period=fy.year, value="200", unit=org.team2, acting_user=org.department
    )  # East's teams now add up to 100 %
    services.targets_publish(
        metric=revenue, fiscal_year_id=fy.fiscal_year.pk, acting_user=org.department
    )
    services.target_set(
        metric=customers, period=fy.year, value="5", person=org.salesperson,
        acting_user=org.department,
    )  # fmt: skip
    with django_assert_num_queries(2):
        rows = selectors.my_targets(user=org.salesperson, fiscal_year=fy.fiscal_year)
    assert [r.metric.code for r in rows] == ["revenue"]  # the draft is not mine yet
    row = rows[0]
    assert row.year.value == D(100)
    # his months follow his team's equal months: each quarter a quarter of 100, to the cent
    assert sum(q.value for q in row.quarters) == D(100)
    assert all(abs(q.value - D(25)) <= D("0.02") for q in row.quarters)
    assert len(row.months) == 12 and sum(m.value for m in row.months) == D(100)
    assert selectors.my_targets(user=org.hr, fiscal_year=fy.fiscal_year) == []
