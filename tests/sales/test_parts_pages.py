"""Pages, API and exports show the same numbers for people who moved team: a person's
page shows their part in each team, a team's member rows add up to the team's row,
the variance report within a team reads the parts, and "my targets" shows each part
and their sum. The world is the one of tests/targets/test_parts_rule.py (mo moved from
BETA to ALPHA on 11 August; tom moved twice)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from sales.attainment.selectors import live_attainment
from targets import permissions, services
from targets.models import Target
from tests.factories import MembershipFactory, UserFactory
from tests.targets.test_parts_rule import book_sales, cascade
from tests.targets.test_parts_rule import world as parts_world

world = parts_world


@pytest.fixture
def moved(world):
    cascade(world, "full")
    services.targets_publish(
        metric=world.metric, fiscal_year_id=world.fy.pk, acting_user=world.dept
    )
    book_sales(world)
    return world


def q3(world):
    return world.periods[("quarter", 3)]


def cells(world, period, owners):
    rows = live_attainment(
        owners=owners, metrics=[world.metric], period=period, today=period.end_date
    )
    return {owner: rows[(owner, world.metric.pk)] for owner in owners}


def test_a_persons_page_and_api_show_their_part_in_each_team(moved):
    world = moved
    mo = world.people["mo"]
    alpha, beta = world.teams["alpha"], world.teams["beta"]
    expected = cells(
        world,
        q3(world),
        [("person", mo.pk), ("person", mo.pk, alpha.pk), ("person", mo.pk, beta.pk)],
    )
    whole = expected[("person", mo.pk)]
    in_alpha, in_beta = expected[("person", mo.pk, alpha.pk)], expected[("person", mo.pk, beta.pk)]
    assert in_alpha.target + in_beta.target == whole.target
    assert in_alpha.actual + in_beta.actual == whole.actual
    assert in_beta.actual == D("9200.00")  # 8,000 on 1 July and 60 % of 2,000 on 5 August
    client = APIClient()
    client.force_login(world.dept)
    body = client.get(f"/api/v1/dashboards/person/{mo.pk}/", {"period": q3(world).pk}).json()
    card = body["cards"][0]
    assert card["target"] == f"{whole.target:.2f}" and card["actual"] == f"{whole.actual:.2f}"
    assert [(p["team"]["code"], p["target"], p["actual"]) for p in card["parts"]] == [
        ("beta", f"{in_beta.target:.2f}", f"{in_beta.actual:.2f}"),
        ("alpha", f"{in_alpha.target:.2f}", f"{in_alpha.actual:.2f}"),
    ]
    page = Client()
    page.force_login(world.dept)
    html = page.get(
        reverse("sales:dashboard-person", args=[mo.pk]), {"period": q3(world).pk}
    ).content.decode()
    assert "In more than one team during the period" in html
    assert f"{in_alpha.target:,.2f}" in html and f"{in_beta.target:,.2f}" in html
    # someone in one team all along has no parts shown
    anna = client.get(
        f"/api/v1/dashboards/person/{world.people['anna'].pk}/", {"period": q3(world).pk}
    ).json()
    assert anna["cards"][0]["parts"] == []


@pytest.mark.parametrize("team", ["alpha", "beta"])
def test_a_teams_member_rows_add_up_to_the_team_on_the_page_and_in_the_api(moved, team):
    world = moved
    unit = world.teams[team]
    page = Client()
    page.force_login(world.dept)
    for period in (world.periods[("month", 8)], q3(world), world.periods[("year", 1)]):
        dash = page.get(
            reverse("sales:dashboard-team"), {"unit": unit.pk, "period": period.pk}
        ).context["d"]
        total = dash.totals[0]
        assert sum((r.cells[0].target or 0) for r in dash.members) == total.target
        assert sum(r.cells[0].actual for r in dash.members) == total.actual
        client = APIClient()
        client.force_login(world.dept)
        body = client.get("/api/v1/dashboards/team/", {"unit": unit.pk, "period": period.pk}).json()
        api = {m["person"]["username"]: m["rows"][0] for m in body["members"]}
        for row in dash.members:
            cell = row.cells[0]
            assert api[row.person.username]["actual"] == f"{cell.actual:.2f}"
            target = api[row.person.username]["target"]
            assert target == (None if cell.target is None else f"{cell.target:.2f}")


def test_the_variance_report_within_a_team_reads_the_parts_and_its_export_too(moved):
    world = moved
    alpha = world.teams["alpha"]
    period = q3(world)
    client = Client()
    client.force_login(world.dept)
    query = {
        "metric": world.metric.pk,
        "period": period.pk,
        "owners": "person",
        "unit": alpha.pk,
    }
    report = client.get(reverse("sales:report-variance"), query).context["report"]
    rows = {r.code: r for r in report.rows}
    people = ["anna", "jade", "mo", "tom"]
    expected = cells(world, period, [("person", world.people[u].pk, alpha.pk) for u in people])
    for u in people:
        cell = expected[("person", world.people[u].pk, alpha.pk)]
        assert (rows[u].target, rows[u].actual) == (cell.target, cell.actual)
    team = cells(world, period, [("unit", alpha.pk)])[("unit", alpha.pk)]
    assert (report.totals.target, report.totals.actual) == (team.target, team.actual)
    export = client.get(reverse("sales:report-variance-export"), {**query, "format": "csv"})
    content = b"".join(export.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(content)))
    by_code = {line[1]: line for line in lines[1:] if len(line) > 2}
    assert D(by_code["mo"][2]) == rows["mo"].target
    assert D(by_code["mo"][3]) == rows["mo"].actual


def test_my_targets_shows_each_part_and_their_sum(moved):
    world = moved
    mo = world.people["mo"]
    client = Client()
    client.force_login(mo)
    html = client.get(reverse("targets:mine")).content.decode()
    assert "your part in Alpha" in html and "your part in Beta" in html
    year = world.periods[("year", 1)]
    total = sum(t.value for t in Target.objects.filter(metric=world.metric, period=year, person=mo))
    assert f"the sum of your parts, {total:,.2f}" in html


def test_a_supervisor_sees_the_published_part_a_member_has_in_another_team(moved):
    world = moved
    sup = UserFactory(username="sup-beta", roles=["supervisor"])
    MembershipFactory(user=sup, unit=world.teams["beta"], kind="supervisor")
    mo = world.people["mo"]
    seen = permissions.visible_targets(sup).filter(person=mo, period=world.periods[("year", 1)])
    assert {t.team.code for t in seen} == {"alpha", "beta"}
    # ben was never in ALPHA: its parts of others stay hidden from BETA's supervisor
    anna = permissions.visible_targets(sup).filter(person=world.people["anna"])
    assert not anna.exists()
