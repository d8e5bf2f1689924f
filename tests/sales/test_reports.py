"""The sales reports' figures (sales.reports.selectors) against hand computations:
credited shares of split records, cancelled records left out, returns, subtree
roll-up, collections by the day they were collected, what each persona sees, the
date range rules, and the target variance with attainment."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied

from org.models import Period
from sales.records import services
from sales.reports import permissions as report_permissions
from sales.reports import selectors as reports
from targets.models import Metric, Target
from tests.factories import make_target, revenue_metric
from tests.sales.helpers import customer, make_year, month, sale


def d(month_number, day=10):
    return datetime.date(2026, month_number, day)


@pytest.fixture
def world(org):
    """FY2026 (calendar), published targets for revenue and the sales below.

    1. Jan 10  Globex   100.00  sam 100 %       margin 40, qty 2, collected 70 on Feb 5
                                                 Widget / Hardware
    2. Mar 10  Globex    60.01  sam 50, tina 50 margin 10.01, qty 3; Gadget / Hardware
    3. Mar 12  Globex   300.00  eve 100 %       qty 1; Service / Services
    4. Feb 10  Initech   50.00  oscar 100 %     qty 1, collected 50 on Mar 1; Widget
    5. Jan 15  Globex  1000.00  sam, cancelled
    6. Apr  1  Initech  200.00  sam 50, oscar 50 (two teams, two regions); qty 2; Widget
    7. May  5  Globex   -20.00  sam 100 %       a return: margin -5, qty -1; Widget

    Credited: sam 100 + 30.01 + 100 - 20 = 210.01, tina 30.00, eve 300,
    oscar 50 + 100 = 150. East Team 1 240.01, East Team 2 300, East 540.01,
    South 150, ACME 690.01; six booked records (one split over two regions).
    """
    fy = make_year(2026)
    globex = customer(org.salesperson, name="Globex", external_id="C-1")
    initech = customer(org.other_salesperson, name="Initech", external_id="C-2")
    hardware = {"category": "Hardware"}
    sale(
        d(1),
        globex,
        "100",
        [(org.salesperson, 100)],
        gross_margin=D(40),
        quantity=D(2),
        collected_amount=D(70),
        collected_on=d(2, 5),
        product="Widget",
        **hardware,
    )
    sale(
        d(3),
        globex,
        "60.01",
        [(org.salesperson, 50), (org.teammate, 50)],
        gross_margin=D("10.01"),
        quantity=D(3),
        product="Gadget",
        **hardware,
    )
    sale(d(3, 12), globex, "300", [(org.east2_person, 100)], product="Service", category="Services")
    sale(
        d(2),
        initech,
        "50",
        [(org.other_salesperson, 100)],
        collected_amount=D(50),
        collected_on=d(3, 1),
        product="Widget",
        **hardware,
    )
    cancelled = sale(d(1, 15), globex, "1000", [(org.salesperson, 100)], product="Widget")
    services.record_cancel(record=cancelled)
    sale(
        d(4, 1),
        initech,
        "200",
        [(org.salesperson, 50), (org.other_salesperson, 50)],
        quantity=D(2),
        product="Widget",
        **hardware,
    )
    sale(
        d(5, 5),
        globex,
        "-20",
        [(org.salesperson, 100)],
        gross_margin=D(-5),
        quantity=D(-1),
        product="Widget",
        **hardware,
    )

    revenue = revenue_metric()
    year = Period.objects.select_related("fiscal_year").get(fiscal_year=fy, kind="year")
    published = Target.Status.PUBLISHED
    for unit, value in [(org.east, 1000), (org.south, 100), (org.team, 400), (org.team2, 200)]:
        make_target(revenue, year, value, unit=unit, status=published)
    # A draft does not count.
    make_target(revenue, year, 90, unit=org.other_team)
    for person, team, value in [
        (org.salesperson, org.team, 300),
        (org.teammate, org.team, 100),
        (org.east2_person, org.team2, 250),
        (org.other_salesperson, org.other_team, 100),
    ]:
        make_target(revenue, year, value, person=person, team=team, status=published)
    return type(
        "World",
        (),
        {"fy": fy, "year": year, "revenue": revenue, "globex": globex, "initech": initech},
    )


def year_range(world):
    return reports.DateRange(world.year.start_date, world.year.end_date, world.year)


def rows_of(report, *fields):
    return {
        row.label: tuple(getattr(row, f) for f in fields)
        if len(fields) > 1
        else getattr(row, fields[0])
        for row in report.rows
    }


def sales(org, world, persona, by, **kwargs):
    return reports.sales_report(
        user=getattr(org, persona), by=by, date_range=year_range(world), **kwargs
    )


# --- sales by unit ---------------------------------------------------------------------------


def test_department_sees_the_regions_under_the_company_rolled_up(org, world):
    report = sales(org, world, "department", "unit")
    assert report.unit == org.company
    assert rows_of(report, "amount", "gross_margin", "quantity", "collected", "records") == {
        "East": (D("540.01"), D("45.01"), D(6), D(70), 5),
        "South": (D(150), D(0), D(2), D(50), 2),
    }
    # Totals add the credited shares: each record once, the cancelled one not at all.
    assert report.totals.amount == D("690.01")
    assert report.totals.gross_margin == D("45.01")
    assert report.totals.collected == D(120)
    assert report.totals.records == 6  # record 6 is in both regions but counts once


def test_a_unit_shows_the_level_below_and_can_be_opened(org, world):
    report = sales(org, world, "department", "unit", unit=org.east)
    assert rows_of(report, "amount", "records") == {
        "East Team 1": (D("240.01"), 4),
        "East Team 2": (D(300), 1),
    }
    assert report.up == org.company.pk
    top = sales(org, world, "department", "unit")
    assert {r.label: r.drill for r in top.rows} == {"East": True, "South": True}
    assert not any(r.drill for r in report.rows)  # teams have nothing below


def test_sales_booked_to_a_unit_itself_show_as_its_own_row(org, world):
    from tests.factories import MembershipFactory, UserFactory

    roaming = UserFactory(username="roam", roles=["salesperson"])
    MembershipFactory(user=roaming, unit=org.east)
    sale(d(6), world.globex, "7", [(roaming, 100)])
    report = sales(org, world, "department", "unit", unit=org.east)
    assert rows_of(report, "amount")["East (directly)"] == D(7)
    assert report.totals.amount == D("547.01")


def test_regional_supervisor_starts_at_the_region_they_lead(org, world):
    report = sales(org, world, "regional", "unit")
    assert report.unit == org.east
    assert report.up is None  # the company is above what rita may open
    assert rows_of(report, "amount") == {"East Team 1": D("240.01"), "East Team 2": D(300)}


def test_team_supervisor_sees_their_team_only(org, world):
    report = sales(org, world, "supervisor", "unit")
    assert rows_of(report, "amount", "records") == {"East Team 1": (D("240.01"), 4)}
    assert report.totals.amount == D("240.01")


def test_salesperson_sees_only_their_own_shares(org, world):
    report = sales(org, world, "salesperson", "unit")
    assert rows_of(report, "amount", "records") == {"East Team 1": (D("210.01"), 4)}
    other = sales(org, world, "other_salesperson", "unit")
    assert rows_of(other, "amount") == {"South Team 1": D(150)}


def test_hr_and_anonymous_may_see_no_report(org, world):
    from django.contrib.auth.models import AnonymousUser

    for user in (org.hr, AnonymousUser()):
        assert not report_permissions.can_see_reports(user)
        with pytest.raises(PermissionDenied):
            reports.sales_report(user=user, by="unit", date_range=year_range(world))


# --- the other dimensions --------------------------------------------------------------------


def test_by_person_splits_the_shared_record(org, world):
    report = sales(org, world, "department", "person")
    assert {r.code: (r.amount, r.gross_margin, r.quantity, r.records) for r in report.rows} == {
        "sam": (D("210.01"), D("40.01"), D("3.50"), 4),
        "tina": (D("30.00"), D("5.00"), D("1.50"), 1),
        "eve": (D(300), D(0), D(1), 1),
        "oscar": (D(150), D(0), D(2), 2),
    }
    assert report.totals.records == 6
    assert [r.code for r in report.rows] == ["eve", "sam", "oscar", "tina"]  # -amount


def test_by_person_within_a_unit_and_for_a_supervisor(org, world):
    east = sales(org, world, "department", "person", unit=org.east)
    assert {r.code: r.amount for r in east.rows} == {
        "sam": D("210.01"),
        "tina": D("30.00"),
        "eve": D(300),
    }
    team = sales(org, world, "supervisor", "person")
    assert {r.code for r in team.rows} == {"sam", "tina"}
    south = sales(org, world, "other_supervisor", "person")
    assert {r.code: r.amount for r in south.rows} == {"oscar": D(150)}


def test_by_product_and_by_category_come_from_the_record(org, world):
    products = sales(org, world, "department", "product")
    assert {(r.label, r.code): (r.amount, r.records) for r in products.rows} == {
        ("Widget", "Hardware"): (D(330), 4),
        ("Gadget", "Hardware"): (D("60.01"), 1),
        ("Service", "Services"): (D(300), 1),
    }
    categories = sales(org, world, "department", "category")
    assert rows_of(categories, "amount", "collected") == {
        "Hardware": (D("390.01"), D(120)),
        "Services": (D(300), D(0)),
    }


def test_by_customer_for_the_salesperson_counts_their_share(org, world):
    report = sales(org, world, "salesperson", "customer")
    assert rows_of(report, "amount", "records") == {
        "Globex": (D("110.01"), 3),
        "Initech": (D(100), 1),
    }
    assert {r.id for r in report.rows} == {world.globex.pk, world.initech.pk}


def test_by_month_lists_every_month_with_collections_when_collected(org, world):
    report = sales(org, world, "department", "month")
    assert len(report.rows) == 12
    assert [r.code for r in report.rows][:3] == ["2026-01", "2026-02", "2026-03"]
    amounts = {r.code: r.amount for r in report.rows}
    assert amounts["2026-01"] == D(100)  # the cancelled 1000 does not count
    assert amounts["2026-02"] == D(50)
    assert amounts["2026-03"] == D("360.01")
    assert amounts["2026-04"] == D(200)
    assert amounts["2026-05"] == D(-20)
    assert amounts["2026-12"] == D(0)
    collected = {r.code: r.collected for r in report.rows if r.collected}
    assert collected == {"2026-02": D(70), "2026-03": D(50)}
    assert report.totals.amount == D("690.01")


def test_a_date_range_cuts_sales_and_collections_by_their_own_days(org, world):
    march = reports.report_range(start=d(2, 6), end=d(3, 31))
    report = reports.sales_report(user=org.department, by="person", date_range=march)
    assert {r.code: (r.amount, r.collected) for r in report.rows} == {
        "sam": (D("30.01"), D(0)),
        "tina": (D("30.00"), D(0)),
        "eve": (D(300), D(0)),
        "oscar": (D(50), D(50)),  # sold Feb 10, collected Mar 1: both in the range
    }
    # Collected in the range for a sale made before it: a row with only collections.
    feb = reports.report_range(start=d(2, 1), end=d(2, 28))
    report = reports.sales_report(user=org.department, by="customer", date_range=feb)
    assert rows_of(report, "amount", "collected") == {
        "Globex": (D(0), D(70)),
        "Initech": (D(50), D(0)),
    }


def test_rows_sort_by_any_column_both_ways(org, world):
    report = sales(org, world, "department", "person", sort="records")
    assert [r.records for r in report.rows] == [1, 1, 2, 4]
    report = sales(org, world, "department", "person", sort="-label")
    assert [r.label for r in report.rows] == sorted(
        [r.label for r in report.rows], key=str.casefold, reverse=True
    )
    months = sales(org, world, "department", "month", sort="-amount")
    assert months.rows[0].code == "2026-03" and months.rows[-1].code == "2026-05"


def test_an_unknown_dimension_is_refused(org, world):
    with pytest.raises(reports.ReportFilterError) as refused:
        sales(org, world, "department", "colour")
    assert refused.value.field == "by"


# --- the date range --------------------------------------------------------------------------


def test_range_defaults_to_the_fiscal_year_containing_today(org, world):
    found = reports.report_range(today=d(6, 1))
    assert (found.start, found.end, found.period) == (
        d(1, 1),
        datetime.date(2026, 12, 31),
        world.year,
    )


def test_range_without_a_fiscal_year_is_the_calendar_year_to_date(db):
    found = reports.report_range(today=datetime.date(2030, 5, 6))
    assert (found.start, found.end, found.period) == (
        datetime.date(2030, 1, 1),
        datetime.date(2030, 5, 6),
        None,
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start": datetime.date(2026, 3, 1)}, "end"),
        ({"end": datetime.date(2026, 3, 1)}, "start"),
        ({"start": datetime.date(2026, 3, 2), "end": datetime.date(2026, 3, 1)}, "end"),
        ({"start": datetime.date(2016, 1, 1), "end": datetime.date(2026, 3, 1)}, "end"),
    ],
)
def test_bad_ranges_name_the_field(db, kwargs, field):
    with pytest.raises(reports.ReportFilterError) as refused:
        reports.report_range(**kwargs)
    assert refused.value.field == field


def test_a_period_and_dates_together_are_refused(org, world):
    with pytest.raises(reports.ReportFilterError) as refused:
        reports.report_range(period=month(world.fy, 3), start=d(3, 1))
    assert refused.value.field == "period"


# --- target variance -------------------------------------------------------------------------


def variance(org, world, persona, owners, **kwargs):
    return reports.variance_report(
        user=getattr(org, persona),
        metric=world.revenue,
        period=world.year,
        owners=owners,
        **kwargs,
    )


def figures(report):
    return {row.code: (row.target, row.actual, row.variance, row.attainment) for row in report.rows}


def test_variance_per_region_with_totals(org, world):
    report = variance(org, world, "department", "unit")
    assert report.unit == org.company
    assert figures(report) == {
        "east": (D(1000), D("540.01"), D("-459.99"), D("54.0")),
        "south": (D(100), D(150), D(50), D("150.0")),
    }
    totals = report.totals
    assert (totals.target, totals.actual, totals.variance, totals.attainment) == (
        D(1100),
        D("690.01"),
        D("-409.99"),
        D("62.7"),  # 690.01 / 1100 = 62.73 %
    )


def test_variance_for_the_regional_supervisor_rolls_up_teams(org, world):
    report = variance(org, world, "regional", "unit")
    assert figures(report) == {
        "t-east-1": (D(400), D("240.01"), D("-159.99"), D("60.0")),
        "t-east-2": (D(200), D(300), D(100), D("150.0")),
    }


def test_a_draft_target_is_no_target(org, world):
    report = variance(org, world, "other_supervisor", "unit")
    assert figures(report) == {"t-south-1": (None, D(150), None, None)}
    assert report.totals.target is None and report.totals.attainment is None


def test_variance_per_person_in_the_supervisors_team(org, world):
    report = variance(org, world, "supervisor", "person")
    assert figures(report) == {
        "sam": (D(300), D("210.01"), D("-89.99"), D("70.0")),
        "tina": (D(100), D("30.00"), D("-70.00"), D("30.0")),
        "sue": (None, D(0), None, None),  # a member without a target
    }
    assert report.totals.target == D(400)
    assert report.totals.attainment == D("60.0")


def test_variance_per_person_for_the_department_within_a_unit(org, world):
    report = variance(org, world, "department", "person", unit=org.south)
    assert figures(report) == {"oscar": (D(100), D(150), D(50), D("150.0"))}


def test_a_salesperson_compares_only_themselves_and_no_units(org, world):
    report = variance(org, world, "salesperson", "person")
    assert figures(report) == {"sam": (D(300), D("210.01"), D("-89.99"), D("70.0"))}
    with pytest.raises(PermissionDenied):
        variance(org, world, "salesperson", "unit")
    with pytest.raises(PermissionDenied):
        variance(org, world, "other_supervisor", "unit", unit=org.east)
    with pytest.raises(PermissionDenied):
        variance(org, world, "hr", "person")


def test_variance_sorts_missing_targets_last(org, world):
    report = variance(org, world, "supervisor", "person", sort="attainment")
    assert [r.code for r in report.rows] == ["tina", "sam", "sue"]
    report = variance(org, world, "supervisor", "person", sort="-attainment")
    assert [r.code for r in report.rows] == ["sam", "tina", "sue"]


@pytest.mark.parametrize(
    ("target", "actual", "expected"),
    [
        (None, D(5), (None, None)),
        (D(0), D(5), (D(5), None)),
        (D(3), D(1), (D(-2), D("33.3"))),
        (D(3), D(2), (D(-1), D("66.7"))),
        (D(8), D(1), (D(-7), D("12.5"))),
        (D(100), D(-20), (D(-120), D("-20.0"))),
    ],
)
def test_variance_figures(target, actual, expected):
    assert reports.variance_figures(target, actual) == expected


def test_attainment_of_a_lower_is_better_metric_is_the_dashboards(org, world):
    """Under a budget scores above 100 %, as on the dashboards (sales.domain)."""
    assert reports.variance_figures(D(100), D(90), "lower") == (D(-10), D("110.0"))
    world.revenue.direction = Metric.Direction.LOWER
    report = variance(org, world, "regional", "unit")
    # East Team 2 sold 300 against 200: 50 % over a lower-is-better target.
    assert figures(report)["t-east-2"] == (D(200), D(300), D(100), D("50.0"))
