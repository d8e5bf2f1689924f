"""The actuals for targets (sales.records.selectors, the TARGETS_ACTUALS_PROVIDER): every
metric source, per person and per unit, by month; and targets' "last year's share"
allocation and "last year's shape" seasonality working end to end on them."""

import datetime
from decimal import Decimal as D

import pytest

from org.models import Period
from sales.models import Customer
from sales.records import selectors, services
from targets import actuals, cascade_planner
from targets import services as target_services
from targets.catalogue import services as catalogue_services
from targets.models import SeasonalityProfile
from tests.factories import UserFactory
from tests.sales.helpers import customer, make_year, sale

START, END = datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)


def d(month, day=10):
    return datetime.date(2025, month, day)


def metric(source, unit="currency"):
    return catalogue_services.metric_save(
        acting_user=None, code=source, name=source, name_zh=source, unit=unit, source=source
    )


@pytest.fixture
def last_year(org):
    """2025 sales: sam 100 (Jan) + half of 60 (Mar, shared with tina), eve 300 (Mar),
    oscar 50 (Feb), and a cancelled 1000 for sam."""
    make_year(2025)
    globex = customer(org.salesperson, external_id="C-1")
    sale(d(1), globex, "100", [(org.salesperson, 100)], gross_margin=D(40), quantity=D(2),
         collected_amount=D(70), collected_on=d(2, 5))  # fmt: skip
    sale(d(3), globex, "60.01", [(org.salesperson, 50), (org.teammate, 50)],
         gross_margin=D("10.01"), quantity=D(3))  # fmt: skip
    sale(d(3), globex, "300", [(org.east2_person, 100)], quantity=D(1))
    sale(d(2), globex, "50", [(org.other_salesperson, 100)], quantity=D(1))
    cancelled = sale(d(1), globex, "1000", [(org.salesperson, 100)], quantity=D(1))
    services.record_cancel(record=cancelled)
    return globex


def months(**values):
    """Twelve Decimals, values given as m1=..., m3=..."""
    return [D(str(values.get(f"m{i}", 0))) for i in range(1, 13)]


def test_the_setting_names_this_provider():
    from django.conf import settings

    assert settings.TARGETS_ACTUALS_PROVIDER == "sales.records.selectors.monthly_actuals"


def test_amount_is_credited_by_share_per_person_and_month_without_cancelled(org, last_year):
    found = actuals.monthly_actuals(
        metric=metric("amount"),
        start=START,
        end=END,
        owners=[("person", org.salesperson.pk), ("person", org.teammate.pk)],
    )
    assert found[("person", org.salesperson.pk)] == months(m1=100, m3="30.01")
    assert found[("person", org.teammate.pk)] == months(m3="30.00")


def test_a_unit_sums_the_credits_of_the_teams_in_its_subtree(org, last_year):
    owners = [("unit", u.pk) for u in (org.team, org.team2, org.east, org.south, org.company)]
    found = selectors.monthly_actuals(metric=metric("amount"), start=START, end=END, owners=owners)
    assert found[("unit", org.team.pk)] == months(m1=100, m3="60.01")
    assert found[("unit", org.team2.pk)] == months(m3=300)
    assert found[("unit", org.east.pk)] == months(m1=100, m3="360.01")
    assert found[("unit", org.south.pk)] == months(m2=50)
    assert found[("unit", org.company.pk)] == months(m1=100, m2=50, m3="360.01")


def test_margin_and_quantity_are_credited_by_share(org, last_year):
    owners = [("person", org.salesperson.pk), ("person", org.teammate.pk), ("unit", org.team.pk)]
    margin = selectors.monthly_actuals(metric=metric("margin"), start=START, end=END,
                                       owners=owners)  # fmt: skip
    assert margin[("person", org.salesperson.pk)] == months(m1=40, m3="5.01")
    assert margin[("person", org.teammate.pk)] == months(m3="5.00")
    assert margin[("unit", org.team.pk)] == months(m1=40, m3="10.01")
    quantity = selectors.monthly_actuals(
        metric=metric("quantity", "count"), start=START, end=END, owners=owners
    )
    assert quantity[("person", org.salesperson.pk)] == months(m1=2, m3="1.50")
    assert quantity[("unit", org.team.pk)] == months(m1=2, m3=3)


def test_collections_count_in_the_month_they_were_collected(org, last_year):
    found = selectors.monthly_actuals(
        metric=metric("collections"),
        start=START,
        end=END,
        owners=[("person", org.salesperson.pk), ("unit", org.east.pk)],
    )
    assert found[("person", org.salesperson.pk)] == months(m2=70)
    assert found[("unit", org.east.pk)] == months(m2=70)


def test_new_customers_count_by_owner_and_the_owners_team_on_the_day(org, last_year):
    for name, owner, day in [
        ("A", org.salesperson, d(1)),
        ("B", org.salesperson, d(1, 20)),
        ("C", org.east2_person, d(4)),
        ("D", org.other_salesperson, d(4)),
        ("E", org.salesperson, datetime.date(2026, 1, 1)),  # next year: not counted
    ]:
        customer(owner, name=name, status=Customer.Status.ACTIVE, became_customer_on=day)
    customer(org.salesperson, name="still a prospect")
    found = selectors.monthly_actuals(
        metric=metric("new_customers", "count"),
        start=START,
        end=END,
        owners=[("person", org.salesperson.pk), ("unit", org.team.pk), ("unit", org.east.pk),
                ("unit", org.company.pk)],
    )  # fmt: skip
    assert found[("person", org.salesperson.pk)] == months(m1=2)
    assert found[("unit", org.team.pk)] == months(m1=2)
    assert found[("unit", org.east.pk)] == months(m1=2, m4=1)
    assert found[("unit", org.company.pk)] == months(m1=2, m4=2)


def test_an_owner_without_actuals_gets_twelve_zeros_and_the_months_follow_start(org, last_year):
    found = selectors.monthly_actuals(
        metric=metric("amount"),
        start=datetime.date(2025, 3, 1),
        end=datetime.date(2025, 5, 31),
        owners=[("person", org.salesperson.pk), ("person", org.hr.pk)],
    )
    assert found[("person", org.salesperson.pk)] == [D("30.01"), D(0), D(0)]
    assert found[("person", org.hr.pk)] == [D(0)] * 3


def test_actual_for_a_period_is_the_total_of_its_months(org, last_year):
    quarter = Period.objects.get(kind="quarter", number=1, fiscal_year__name="FY2025")
    found = selectors.actual_for(
        metric=metric("amount"), period=quarter, owners=[("unit", org.east.pk)]
    )
    assert found == {("unit", org.east.pk): D("460.01")}


def test_the_actuals_take_a_fixed_number_of_queries(org, last_year, django_assert_max_num_queries):
    amount, new = metric("amount"), metric("new_customers", "count")
    extra = [UserFactory(username=f"p{i}") for i in range(30)]
    small = [("person", org.salesperson.pk), ("unit", org.team.pk)]
    large = (
        small
        + [("person", u.pk) for u in extra]
        + [("unit", u.pk) for u in (org.team2, org.east, org.south, org.company, org.other_team)]
    )
    for owners in (small, large):
        with django_assert_max_num_queries(3):
            selectors.monthly_actuals(metric=amount, start=START, end=END, owners=owners)
        with django_assert_max_num_queries(4):
            selectors.monthly_actuals(metric=new, start=START, end=END, owners=owners)


# --- end to end through targets ---------------------------------------------------------------


def test_last_years_share_allocates_this_years_target_in_proportion(org, last_year):
    make_year(2026)
    year_2026 = Period.objects.get(kind="year", fiscal_year__name="FY2026")
    revenue = metric("amount")
    east = target_services.target_set(
        metric=revenue, period=year_2026, value=D("1000.00"), unit=org.east, acting_user=None
    )
    planned = cascade_planner.plan_org_split(east, method="last_year")
    by_unit = {p.unit: p.value for p in planned}
    # Last year: team 160.01, team2 300: 1000 x 160.01 / 460.01 = 347.84...
    assert by_unit == {org.team: D("347.84"), org.team2: D("652.16")}


def test_last_years_shape_spreads_an_annual_target_over_the_months(org, last_year):
    make_year(2026)
    year_2026 = Period.objects.get(kind="year", fiscal_year__name="FY2026")
    revenue = metric("amount")
    target = target_services.target_set(
        metric=revenue, period=year_2026, value=D("1200.00"), unit=org.company, acting_user=None
    )
    profile = SeasonalityProfile.objects.create(name="last year", method="last_year")
    planned = cascade_planner.plan_time_split(target, profile=profile)
    monthly = [p.value for p in sorted(
        (p for p in planned if p.period.kind == Period.Kind.MONTH), key=lambda p: p.period.number
    )]  # fmt: skip
    # Last year: Jan 100, Feb 50, Mar 360.01, nothing after.
    assert monthly[3:] == [D("0.00")] * 9
    assert sum(monthly) == D("1200.00")
    # 1200 x 100 / 510.01 = 235.289..., x 50 / 510.01 = 117.644..., x 360.01 / 510.01 = 847.066...
    assert monthly[:3] == [D("235.29"), D("117.64"), D("847.07")]


def test_without_last_years_sales_the_last_year_methods_still_say_so(org):
    make_year(2026)
    year_2026 = Period.objects.get(kind="year", fiscal_year__name="FY2026")
    east = target_services.target_set(
        metric=metric("amount"), period=year_2026, value=D(100), unit=org.east, acting_user=None
    )
    from core.errors import DomainError

    with pytest.raises(DomainError, match="actuals"):
        cascade_planner.plan_org_split(east, method="last_year")
