"""Issue 13's scenario, driven through the API as the independent check drove it.

One region, two teams, five salespeople, FY2026 = the calendar year:

- ALPHA (weight 4 in the region): anna (weight 7) all year; jade (weight 5) joins on
  20 August; mo (weight 4) moves in from BETA on 11 August;
- BETA (weight 3): bea (weight 4) and ben (weight 5) all year; mo (weight 3) until he
  moves on 11 August;
- a 1,000,000.00 revenue target for the region, split 7,7,8,8,8,9,9,9,8,9,9,9 % over
  the months;
- the organisation cascaded first, year by year, with those weights (`org`), then the
  full cascade over the months (`down`) keeping them: the path that prorated the
  joiner twice.

The expected figures, by hand from the rule "a person joining half-way gets half the
share they would have", i.e. each month of a team shared by weight x days present:

- ALPHA's September: the region's 80,000.00 x 4/7 = 45,714.2857…, 45,714.29 (the
  cent left by largest remainder goes to ALPHA's .57 remainder before BETA's .43);
- in September all three are in ALPHA for all 30 days: anna 7/16 of 45,714.29 =
  20,000.0019 -> 20,000.00, jade 5/16 = 14,285.7156 -> 14,285.72 (mo 4/16 = 11,428.57);
- jade's year: August, 12 of 31 days, among anna's 31 and mo's 21: ALPHA's 51,428.57
  x 5x12 / (7x31 + 5x12 + 4x21) = 8,547.6848; September 14,285.7156; October to
  December 51,428.57 x 5/16 = 16,071.4281 each; in all 71,047.6848 -> 71,047.68.

Before the fix the same calls gave 8,066.04, 30,761.25 and 39,454.50.
"""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from org.models import OrgUnit, Period
from org.services import fiscal_year_create, membership_create
from targets.models import Target
from tests.factories import OrgUnitFactory, UserFactory
from tests.targets.helpers_core import make_metric

DAY = datetime.date
SEASON = ["7", "7", "8", "8", "8", "9", "9", "9", "8", "9", "9", "9"]


@pytest.fixture
def scenario(db):
    dept = UserFactory(username="dora", roles=["department"])
    fy = fiscal_year_create(start_year=2026, start_month=1)
    periods = {(p.kind, p.number): p for p in Period.objects.filter(fiscal_year=fy)}
    region = OrgUnitFactory(code="r", name="Region", kind=OrgUnit.Kind.REGION)
    alpha = OrgUnitFactory(code="alpha", name="Alpha", parent=region)
    beta = OrgUnitFactory(code="beta", name="Beta", parent=region)
    people = {u: UserFactory(username=u, roles=["salesperson"]) for u in ("anna", "bea", "ben")}
    people["jade"] = UserFactory(username="jade", roles=["salesperson"])
    people["mo"] = UserFactory(username="mo", roles=["salesperson"])
    long_ago = DAY(2024, 1, 1)
    for username, team, first, last in [
        ("anna", alpha, long_ago, None),
        ("jade", alpha, DAY(2026, 8, 20), None),
        ("mo", beta, long_ago, DAY(2026, 8, 10)),
        ("mo", alpha, DAY(2026, 8, 11), None),
        ("bea", beta, long_ago, None),
        ("ben", beta, long_ago, None),
    ]:
        membership_create(user=people[username], unit=team, start_date=first, end_date=last)
    metric = make_metric("revenue", acting_user=dept)
    client = APIClient()
    client.force_login(dept)
    return type(
        "Scenario",
        (),
        {
            "client": client,
            "periods": periods,
            "region": region,
            "alpha": alpha,
            "beta": beta,
            "people": people,
            "metric": metric,
        },
    )


def post(client, url, body):
    response = client.post(url, body, format="json")
    assert response.status_code in (200, 201), response.content
    return response.json()


def part(s, username, team, kind, number=1) -> D:
    return Target.objects.get(
        metric=s.metric,
        period=s.periods[(kind, number)],
        person=s.people[username],
        team=team,
    ).value


def run_the_scenario(s) -> None:
    client = s.client
    year = s.periods[("year", 1)]
    region = post(
        client,
        "/api/v1/targets/",
        {"metric": s.metric.pk, "period": year.pk, "unit": s.region.pk, "value": "1000000.00"},
    )
    post(
        client,
        f"/api/v1/targets/{region['id']}/cascade/",
        {"mode": "org", "method": "weights", "weights": ["4", "3"]},  # alpha, beta
    )
    for team, weights in [(s.alpha, ["7", "5", "4"]), (s.beta, ["4", "5", "3"])]:
        team_year = Target.objects.get(metric=s.metric, period=year, unit=team)
        post(
            client,
            f"/api/v1/targets/{team_year.pk}/cascade/",
            {"mode": "org", "method": "weights", "weights": weights},  # by username
        )
    profile = post(
        client,
        "/api/v1/seasonality-profiles/",
        {"name": "Scenario", "method": "custom", "weights": SEASON},
    )
    post(
        client,
        f"/api/v1/targets/{region['id']}/cascade/",
        {"mode": "down", "profile": profile["id"]},
    )


def test_the_joiners_and_her_teammates_figures_come_out_as_the_rule_says(scenario):
    run_the_scenario(scenario)
    s = scenario
    assert part(s, "jade", s.alpha, "month", 9) == D("14285.72")
    assert part(s, "anna", s.alpha, "month", 9) == D("20000.00")
    assert part(s, "jade", s.alpha, "year") == D("71047.68")
    assert part(s, "mo", s.alpha, "month", 9) == D("11428.57")
    # nothing before she joined, the days of August she was there
    assert part(s, "jade", s.alpha, "month", 7) == 0
    assert part(s, "jade", s.alpha, "month", 8) == D("8547.68")


def test_the_mover_has_a_part_in_each_team_and_each_team_adds_up(scenario):
    run_the_scenario(scenario)
    s = scenario
    year = s.periods[("year", 1)]
    for team in (s.alpha, s.beta):
        team_value = Target.objects.get(metric=s.metric, period=year, unit=team).value
        members = Target.objects.filter(metric=s.metric, period=year, team=team)
        assert sum(t.value for t in members) == team_value
    mover = Target.objects.filter(metric=s.metric, period=year, person=s.people["mo"])
    assert {t.team for t in mover} == {s.alpha, s.beta}
    # in BETA until 10 August: his BETA part stops there, his ALPHA part starts the 11th
    assert part(s, "mo", s.beta, "month", 9) == 0
    assert part(s, "mo", s.alpha, "month", 7) == 0
    assert part(s, "mo", s.beta, "month", 8) > 0 and part(s, "mo", s.alpha, "month", 8) > 0
    assert part(s, "mo", s.beta, "quarter", 1) > 0  # BETA allocated him Q1 and Q2


def test_the_api_shows_the_same_figures(scenario):
    run_the_scenario(scenario)
    s = scenario
    september = s.periods[("month", 9)]
    body = s.client.get(
        "/api/v1/targets/", {"person": s.people["jade"].pk, "period": september.pk}
    ).json()
    assert [(r["team"]["code"], r["value"]) for r in body["results"]] == [("alpha", "14285.72")]
    team = s.client.get(
        "/api/v1/dashboards/team/", {"unit": s.alpha.pk, "period": september.pk}
    ).json()
    members = {m["person"]["username"]: m["rows"][0]["target"] for m in team["members"]}
    assert members == {"anna": "20000.00", "jade": "14285.72", "mo": "11428.57"}
    assert team["totals"][0]["target"] == "45714.29"
