"""People who join, leave or move team, through every path of the cascade: an
independent calculation, written from the rule and not from the code.

The rule (targets.domain, "parts"; the README's "Person targets in parts"):

- the region's annual target is spread over the months by the seasonality profile,
  to the cent by largest remainder;
- each month of a unit is shared over its teams by their weights, and each month of
  a team over the people who were its members that month by weight x days present;
  every value is its exact share rounded down or up by a cent, every month adds up
  exactly, and a part's quarter and year are the sums of its months (a year within a
  cent of its exact sum);
- a person's target is the sum of their parts, one per team they were in; their
  actual in a team is what they were credited while in it (the credit keeps its team).

The cast, in FY2026 (the calendar year), region R with teams ALPHA and BETA:
anna (ALPHA all year), jade (joins ALPHA on 20 August, mid-month), mo (BETA until 10
August, then ALPHA), ben (BETA all year), bo (BETA, leaves on 15 May, mid-quarter),
tom (moves twice: ALPHA until 10 March, BETA until 19 October, ALPHA again).

The paths: "org then time" (the organisation cascaded year by year with weights,
then the full cascade over the months keeping those weights: the path of issue 13),
"time then org" (the region split over the months first, then each level over the
organisation and over time in turn) and "full" (one full cascade from the region).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal as D
from fractions import Fraction

import pytest

from org.models import OrgUnit, Period
from org.services import fiscal_year_create, membership_create
from sales.attainment.selectors import live_attainment
from targets import services
from targets.catalogue import services as catalogue_services
from targets.models import Target
from tests.factories import OrgUnitFactory, UserFactory
from tests.sales.helpers import customer, sale
from tests.targets.helpers_core import make_metric

SEASON = ["7", "7", "8", "8", "8", "9", "9", "9", "8", "9", "9", "9"]
REGION = D("1000000.00")
TEAM_WEIGHTS = {"alpha": 4, "beta": 3}
# Each team's weight of each of its people (username order), for the paths by weights.
PEOPLE_WEIGHTS = {
    "alpha": {"anna": 7, "jade": 5, "mo": 4, "tom": 2},
    "beta": {"ben": 5, "bo": 4, "mo": 3, "tom": 2},
}
DAY = datetime.date
CENT = Fraction(1, 100)

# Who was in which team: (username, team, first day, last day or None).
STAYS = [
    ("anna", "alpha", DAY(2025, 1, 1), None),
    ("jade", "alpha", DAY(2026, 8, 20), None),
    ("mo", "beta", DAY(2025, 1, 1), DAY(2026, 8, 10)),
    ("mo", "alpha", DAY(2026, 8, 11), None),
    ("ben", "beta", DAY(2025, 1, 1), None),
    ("bo", "beta", DAY(2025, 1, 1), DAY(2026, 5, 15)),
    ("tom", "alpha", DAY(2025, 1, 1), DAY(2026, 3, 10)),
    ("tom", "beta", DAY(2026, 3, 11), DAY(2026, 10, 19)),
    ("tom", "alpha", DAY(2026, 10, 20), None),
]

# The sales: (day, amount, [(username, share %)]); each credit counts for the team the
# person was in that day. Splits 60/40 and 33.33/33.33/33.34, and a return.
SALES = [
    (DAY(2026, 1, 15), "1000.00", [("tom", "100")]),
    (DAY(2026, 2, 10), "10000.00", [("anna", "100")]),
    (DAY(2026, 4, 15), "2000.00", [("tom", "100")]),
    (DAY(2026, 4, 20), "1500.00", [("bo", "100")]),
    (DAY(2026, 6, 30), "2500.00", [("ben", "100")]),
    (DAY(2026, 7, 1), "8000.00", [("mo", "100")]),
    (DAY(2026, 8, 5), "2000.00", [("mo", "60"), ("ben", "40")]),
    (DAY(2026, 8, 15), "4000.00", [("mo", "100")]),
    (DAY(2026, 8, 25), "3000.00", [("jade", "100")]),
    (DAY(2026, 9, 5), "10000.00", [("anna", "60"), ("jade", "40")]),
    (DAY(2026, 9, 10), "1000.00", [("mo", "33.33"), ("anna", "33.33"), ("jade", "33.34")]),
    (DAY(2026, 9, 20), "-500.00", [("anna", "100")]),
    (DAY(2026, 10, 25), "3000.00", [("tom", "100")]),
]


# --- the rule, by hand ------------------------------------------------------------------------


def largest_remainder(cents: int, weights) -> list[int]:
    """`cents` shared by `weights`: floors, then one more cent each to the largest
    remainders (ties to the earlier)."""
    total = sum(Fraction(w) for w in weights)
    exact = [cents * Fraction(w) / total for w in weights]
    floors = [e.numerator // e.denominator for e in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[: cents - sum(floors)]:
        floors[i] += 1
    return floors


def months_of_2026() -> list[tuple[DAY, DAY]]:
    spans = []
    for month in range(1, 13):
        first = DAY(2026, month, 1)
        following = DAY(2026 + month // 12, month % 12 + 1, 1)
        spans.append((first, following - datetime.timedelta(days=1)))
    return spans


def days_in(username: str, team: str, first: DAY, last: DAY) -> int:
    """Counted day by day: the days from first to last that `username` was in `team`."""
    count, day = 0, first
    while day <= last:
        if any(
            u == username and t == team and s <= day and (e is None or day <= e)
            for u, t, s, e in STAYS
        ):
            count += 1
        day += datetime.timedelta(days=1)
    return count


def team_on(username: str, day: DAY) -> str:
    return next(t for u, t, s, e in STAYS if u == username and s <= day and (e is None or day <= e))


def credited(amount: str, shares) -> list[tuple[str, Fraction]]:
    """A record's amount over its credits by their shares, to the cent by largest
    remainder (a return's negative amount the same way, as a negative)."""
    cents = int(D(amount) * 100)
    sign = -1 if cents < 0 else 1
    parts = largest_remainder(abs(cents), [Fraction(D(s)) for _u, s in shares])
    return [(u, Fraction(sign * p, 100)) for (u, _s), p in zip(shares, parts, strict=True)]


# --- the world ---------------------------------------------------------------------------------


@pytest.fixture
def world(db):
    dept = UserFactory(username="dora", roles=["department"])
    fy = fiscal_year_create(start_year=2026, start_month=1)
    periods = {
        (p.kind, p.number): p for p in Period.objects.filter(fiscal_year=fy)
    }  # ("year", 1), ("quarter", 1..4), ("month", 1..12)
    region = OrgUnitFactory(code="r", name="Region", kind=OrgUnit.Kind.REGION)
    teams = {
        code: OrgUnitFactory(code=code, name=code.title(), parent=region)
        for code in ("alpha", "beta")
    }
    people = {}
    for username, team, first, last in STAYS:
        if username not in people:
            people[username] = UserFactory(username=username, roles=["salesperson"])
        membership_create(user=people[username], unit=teams[team], start_date=first, end_date=last)
    metric = make_metric("revenue", acting_user=dept)
    profile = catalogue_services.seasonality_save(
        name="Scenario", method="custom", weights=SEASON, acting_user=dept
    )
    region_year = services.target_set(
        metric=metric, period=periods[("year", 1)], value=REGION, unit=region, acting_user=dept
    )
    return type(
        "World",
        (),
        {
            "dept": dept,
            "fy": fy,
            "periods": periods,
            "region": region,
            "teams": teams,
            "people": people,
            "metric": metric,
            "profile": profile,
            "region_year": region_year,
        },
    )


def year_target(world, unit) -> Target:
    return Target.objects.get(metric=world.metric, period=world.periods[("year", 1)], unit=unit)


def weights_for(team: str) -> list[str]:
    return [str(w) for _u, w in sorted(PEOPLE_WEIGHTS[team].items())]


def cascade(world, path: str) -> None:
    dept = world.dept
    if path == "full":
        services.cascade_down(
            target=world.region_year,
            profile=world.profile,
            method="weights",
            weights=[TEAM_WEIGHTS["alpha"], TEAM_WEIGHTS["beta"]],
            acting_user=dept,
        )
        return
    if path == "time then org":
        services.cascade_time(target=world.region_year, profile=world.profile, acting_user=dept)
    region_year = year_target(world, world.region)
    services.cascade_org(
        target=region_year,
        method="weights",
        weights=[TEAM_WEIGHTS["alpha"], TEAM_WEIGHTS["beta"]],
        acting_user=dept,
    )
    if path == "time then org":
        for team in world.teams.values():
            services.cascade_time(target=year_target(world, team), acting_user=dept)
    for code, team in world.teams.items():
        services.cascade_org(
            target=year_target(world, team),
            method="weights",
            weights=weights_for(code),
            acting_user=dept,
        )
    if path == "time then org":
        for part in Target.objects.filter(
            metric=world.metric, period=world.periods[("year", 1)], person__isnull=False
        ):
            services.cascade_time(target=part, acting_user=dept)
    else:  # org then time: the full cascade over the months keeps the weights given
        services.cascade_down(
            target=year_target(world, world.region), profile=world.profile, acting_user=dept
        )


def book_sales(world) -> None:
    for day, amount, shares in SALES:
        cust = customer(world.people[shares[0][0]], name=f"Customer {day.isoformat()}")
        sale(
            day,
            cust,
            amount,
            [(world.people[u], s) for u, s in shares],
            acting_user=world.dept,
            quantity=D(-1) if D(amount) < 0 else D(1),  # a return goes back one unit
        )


def stored(world) -> dict[tuple, dict[tuple, D]]:
    """{owner key: {(kind, number): value}} of every target written."""
    found: dict[tuple, dict[tuple, D]] = defaultdict(dict)
    codes = {t.pk: code for code, t in world.teams.items()}
    names = {p.pk: u for u, p in world.people.items()}
    for t in Target.objects.filter(metric=world.metric).select_related("period"):
        if t.unit_id:
            owner = ("unit", "region" if t.unit_id == world.region.pk else codes[t.unit_id])
        else:
            owner = ("part", names[t.person_id], codes[t.team_id])
        found[owner][(t.period.kind, t.period.number)] = t.value
    return found


QUARTERS = {q: [3 * q - 2, 3 * q - 1, 3 * q] for q in range(1, 5)}


@pytest.mark.parametrize("path", ["org then time", "time then org", "full"])
def test_every_target_follows_the_rule_for_joiners_leavers_and_movers(world, path):
    cascade(world, path)
    values = stored(world)
    equal_people = path == "full"  # the full cascade from the region shares teams equally
    months = months_of_2026()

    # The region: the year over the months by the season, by largest remainder.
    region_months = largest_remainder(int(REGION * 100), [Fraction(D(w)) for w in SEASON])
    region = values[("unit", "region")]
    assert [region[("month", m)] for m in range(1, 13)] == [D(c) / 100 for c in region_months]

    # The teams: each region month by the teams' weights, within a cent, adding up.
    for m in range(1, 13):
        team_values = [values[("unit", code)][("month", m)] for code in ("alpha", "beta")]
        assert sum(team_values) == region[("month", m)]
        for code, value in zip(("alpha", "beta"), team_values, strict=True):
            exact = Fraction(region_months[m - 1], 100) * TEAM_WEIGHTS[code] / 7
            assert abs(Fraction(value) - exact) < CENT, (code, m)

    # The parts: each team month by weight x days present, within a cent, adding up.
    for code in ("alpha", "beta"):
        team = values[("unit", code)]
        members = sorted(PEOPLE_WEIGHTS[code])
        year_exact: dict[str, Fraction] = defaultdict(Fraction)
        for m, (first, last) in enumerate(months, start=1):
            days = {u: days_in(u, code, first, last) for u in members}
            weight = {u: 1 if equal_people else PEOPLE_WEIGHTS[code][u] for u in members}
            shares = {u: weight[u] * days[u] for u in members}
            month_sum = D(0)
            for u in members:
                part = values.get(("part", u, code))
                if part is None:  # never in the team this year: no part at all
                    assert all(days_in(u, code, f, la) == 0 for f, la in months)
                    continue
                exact = Fraction(team[("month", m)]) * shares[u] / sum(shares.values())
                assert abs(Fraction(part[("month", m)]) - exact) < CENT, (u, code, m)
                if days[u] == 0:
                    assert part[("month", m)] == 0, (u, code, m)  # not there, no target
                year_exact[u] += exact
                month_sum += part[("month", m)]
            assert month_sum == team[("month", m)], (code, m)
        for u, exact_year in year_exact.items():
            part = values[("part", u, code)]
            for q, qmonths in QUARTERS.items():
                assert part[("quarter", q)] == sum(part[("month", m)] for m in qmonths)
            assert part[("year", 1)] == sum(part[("month", m)] for m in range(1, 13))
            assert abs(Fraction(part[("year", 1)]) - exact_year) < CENT, (u, code)
        for q in range(1, 5):
            assert team[("quarter", q)] == sum(
                values[("part", u, code)][("quarter", q)]
                for u in members
                if ("part", u, code) in values
            )
        assert team[("year", 1)] == sum(
            values[("part", u, code)][("year", 1)] for u in members if ("part", u, code) in values
        )

    # Who has which parts: the mover and the twice-mover one in each team, nobody a
    # part in a team they were never in.
    parts = {key[1:] for key in values if key[0] == "part"}
    assert parts == {
        ("anna", "alpha"),
        ("jade", "alpha"),
        ("mo", "alpha"),
        ("mo", "beta"),
        ("ben", "beta"),
        ("bo", "beta"),
        ("tom", "alpha"),
        ("tom", "beta"),
    }
    # jade joined on 20 August: nothing before, a share of August's days, full after
    jade = values[("part", "jade", "alpha")]
    assert all(jade[("month", m)] == 0 for m in range(1, 8))
    assert 0 < jade[("month", 8)] < jade[("month", 9)]
    # bo left on 15 May: his part stops there
    bo = values[("part", "bo", "beta")]
    assert bo[("month", 5)] > 0 and all(bo[("month", m)] == 0 for m in range(6, 13))
    assert bo[("quarter", 2)] == bo[("month", 4)] + bo[("month", 5)]


def test_the_paths_by_weights_write_the_same_values(world):
    cascade(world, "org then time")
    first = stored(world)
    Target.objects.filter(metric=world.metric).exclude(pk=world.region_year.pk).delete()
    Target.objects.filter(pk=world.region_year.pk).update(allocation_method="equal")
    world.region_year.refresh_from_db()
    cascade(world, "time then org")
    assert stored(world) == first


@pytest.mark.parametrize("path", ["org then time", "time then org", "full"])
def test_targets_and_actuals_of_people_and_teams_per_month_quarter_and_year(world, path):
    """Each person's and team's target and actual, per month, quarter and year, as the
    dashboards read them (live attainment): a person's target is the sum of their
    parts and their actual every credit; within a team, their part and what they sold
    in it; the member rows add up to the team's row."""
    cascade(world, path)
    book_sales(world)
    values = stored(world)
    expected_actual: dict[tuple, Fraction] = defaultdict(Fraction)
    for day, amount, shares in SALES:
        for username, value in credited(amount, shares):
            expected_actual[(username, team_on(username, day), day.month)] += value
    people = world.people
    teams = world.teams
    owners = [
        *(("unit", t.pk) for t in teams.values()),
        *(("person", p.pk) for p in people.values()),
        *(("person", p.pk, t.pk) for p in people.values() for t in teams.values()),
    ]
    for kind, number, month_numbers in [
        *(("month", m, [m]) for m in range(1, 13)),
        *(("quarter", q, qmonths) for q, qmonths in QUARTERS.items()),
        ("year", 1, list(range(1, 13))),
    ]:
        period = world.periods[(kind, number)]
        rows = live_attainment(
            owners=owners, metrics=[world.metric], period=period, today=DAY(2026, 12, 31)
        )

        def cell(owner, rows=rows):
            return rows[(owner, world.metric.pk)]

        for code, team in teams.items():
            team_cell = cell(("unit", team.pk))
            assert team_cell.target == values[("unit", code)][(kind, number)]
            assert Fraction(team_cell.actual) == sum(
                (v for (u, t, m), v in expected_actual.items() if t == code and m in month_numbers),
                Fraction(0),
            )
            member_targets, member_actuals = D(0), D(0)
            for username, person in people.items():
                member = cell(("person", person.pk, team.pk))
                part = values.get(("part", username, code))
                assert member.target == (part[(kind, number)] if part else None)
                assert Fraction(member.actual) == sum(
                    (
                        v
                        for (u, t, m), v in expected_actual.items()
                        if u == username and t == code and m in month_numbers
                    ),
                    Fraction(0),
                ), (username, code, kind, number)
                member_targets += member.target or 0
                member_actuals += member.actual
            # the member rows add up to the team row
            assert (member_targets, member_actuals) == (team_cell.target, team_cell.actual)
        for username, person in people.items():
            whole = cell(("person", person.pk))
            own = [v[(kind, number)] for key, v in values.items() if key[:2] == ("part", username)]
            assert whole.target == sum(own, D(0))
            assert Fraction(whole.actual) == sum(
                (
                    v
                    for (u, _t, m), v in expected_actual.items()
                    if u == username and m in month_numbers
                ),
                Fraction(0),
            )
