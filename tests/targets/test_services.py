"""Writes of targets/services.py: set, cascade, publish, allocate, acknowledge, adjust,
and personal sales plans. Every refusal names the problem and writes nothing."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from notifications.models import Notification
from org.models import Membership
from org.services import membership_create, person_move_team
from targets import cascade_planner, services
from targets.catalogue import services as catalogue_services
from targets.models import Adjustment, SalesPlan, SalesPlanVersion, Target
from targets.plans import services as plan_services
from tests.factories import UserFactory
from tests.targets.helpers_core import (
    SEASON,
    check_everything_adds_up,
    close,
    make_metric,
    make_year,
    value_of,
)


@pytest.fixture
def fy(db):
    return make_year(2026)


@pytest.fixture
def revenue(db):
    return make_metric("revenue", "currency")


@pytest.fixture
def customers(db):
    return make_metric("new_customers", "count")


@pytest.fixture
def season(org):
    return catalogue_services.seasonality_save(
        name="Instrument season", method="custom", weights=SEASON, acting_user=org.department
    )


def counts():
    return (
        Target.objects.count(),
        Target.history.count(),
        Adjustment.objects.count(),
        Notification.objects.count(),
    )


def set_(org, metric, period, value, **owner):
    return services.target_set(
        metric=metric, period=period, value=value, acting_user=org.department, **owner
    )


def publish(org, metric, fy):
    return services.targets_publish(
        metric=metric, fiscal_year_id=fy.fiscal_year.pk, acting_user=org.department
    )


# --- metrics and seasonality ---------------------------------------------------------------


def test_a_metric_code_is_used_once(org, revenue):
    with pytest.raises(DomainError, match="code revenue is already used"):
        make_metric("revenue")


def test_a_metric_with_an_unknown_unit_is_refused(org):
    with pytest.raises(DomainError, match="Unknown unit of measure: litres"):
        make_metric("volume", "litres")


def test_a_seasonality_profile_not_summing_to_100_is_refused_and_not_saved(org):
    from targets.models import SeasonalityProfile

    with pytest.raises(DomainError, match="these add up to 101 %"):
        catalogue_services.seasonality_save(
            name="Bad", method="custom", weights=[*SEASON[:11], "14"], acting_user=org.department
        )
    assert not SeasonalityProfile.objects.exists()


def test_an_equal_profile_keeps_no_weights(org):
    profile = catalogue_services.seasonality_save(
        name="Flat", method="equal", weights=SEASON, acting_user=org.department
    )
    assert profile.weights == []


# --- target_set ---------------------------------------------------------------------------


def test_the_department_creates_a_draft_target_and_changes_it(org, fy, revenue):
    target = set_(org, revenue, fy.year, "1,000,000.5", unit=org.company)
    assert target.status == Target.Status.DRAFT
    assert target.value == D("1000000.50")
    assert target.basis == "typed in"
    assert target.history.first().history_user == org.department

    again = set_(org, revenue, fy.year, "1200000", unit=org.company)
    assert again.pk == target.pk and again.value == D("1200000.00")
    assert target.history.count() == 2


def test_setting_the_same_value_again_writes_no_history(org, fy, revenue):
    target = set_(org, revenue, fy.year, "100", unit=org.company)
    set_(org, revenue, fy.year, "100.00", unit=org.company)
    assert target.history.count() == 1


def test_a_person_target_belongs_to_their_team(org, fy, revenue):
    target = set_(org, revenue, fy.year, "100", person=org.salesperson)
    assert target.team == org.team


def test_a_person_who_moved_team_has_their_target_with_the_team_they_end_the_period_in(
    org, fy, revenue
):
    person_move_team(user=org.salesperson, new_unit=org.team2, on=datetime.date(2026, 7, 1))
    assert set_(org, revenue, fy.year, "100", person=org.salesperson).team == org.team2
    assert set_(org, revenue, fy.months[0], "10", person=org.salesperson).team == org.team


@pytest.mark.parametrize(
    ("value", "metric", "message"),
    [
        ("-1", "revenue", "cannot be negative"),
        ("12.345", "revenue", "at most 2 decimals"),
        ("1.5", "customers", "counted in whole numbers"),
        ("lots", "revenue", "lots is not a number"),
        ("", "revenue", "value is required"),
        ("1e30", "revenue", "too large"),
        ("NaN", "revenue", "not a number"),
    ],
)
def test_a_bad_value_is_refused_and_nothing_is_written(
    org, fy, revenue, customers, value, metric, message
):
    metric = {"revenue": revenue, "customers": customers}[metric]
    before = counts()
    with pytest.raises(DomainError, match=message):
        set_(org, metric, fy.year, value, unit=org.company)
    assert counts() == before


def test_a_target_in_a_closed_period_is_refused_and_nothing_is_written(org, fy, revenue):
    close(fy.months[0])
    before = counts()
    with pytest.raises(DomainError, match="is closed: its targets cannot change"):
        set_(org, revenue, fy.months[0], "10", unit=org.company)
    assert counts() == before


def test_a_published_target_is_changed_only_by_an_adjustment(org, fy, revenue):
    set_(org, revenue, fy.year, "100", unit=org.company)
    publish(org, revenue, fy)
    before = counts()
    with pytest.raises(DomainError, match="published: request an adjustment"):
        set_(org, revenue, fy.year, "200", unit=org.company)
    assert counts() == before


def test_a_person_not_in_a_sales_team_cannot_have_a_target(org, fy, revenue):
    before = counts()
    with pytest.raises(DomainError, match="not in a sales team during FY2026"):
        set_(org, revenue, fy.year, "100", person=org.hr)
    assert counts() == before


def test_a_target_belongs_to_a_unit_or_a_person_not_both(org, fy, revenue):
    with pytest.raises(DomainError, match="unit or to a person"):
        set_(org, revenue, fy.year, "100", unit=org.team, person=org.salesperson)


# --- cascade over the organisation ----------------------------------------------------------


def test_equal_cascade_splits_the_company_target_to_its_regions(org, fy, revenue):
    company = set_(org, revenue, fy.year, "1000000.01", unit=org.company)
    assert services.cascade_org(target=company, acting_user=org.department) == 2
    east, south = value_of(revenue, fy.year, org.east), value_of(revenue, fy.year, org.south)
    assert (east, south) == (D("500000.01"), D("500000.00"))
    assert Target.history.filter(history_change_reason="cascade over the organisation").count()


def test_weights_cascade_uses_the_weights_and_remembers_the_method(org, fy, revenue):
    company = set_(org, revenue, fy.year, "1000", unit=org.company)
    services.cascade_org(
        target=company, method="weights", weights=["60", "40"], acting_user=org.department
    )
    assert value_of(revenue, fy.year, org.east) == D(600)
    assert value_of(revenue, fy.year, org.south) == D(400)
    company.refresh_from_db()
    assert company.allocation_method == Target.Allocation.WEIGHTS


def test_a_weights_cascade_again_without_weights_keeps_the_current_proportions(org, fy, revenue):
    company = set_(org, revenue, fy.year, "1000", unit=org.company)
    services.cascade_org(
        target=company, method="weights", weights=[3, 1], acting_user=org.department
    )
    set_(org, revenue, fy.year, "2000", unit=org.company)
    company.refresh_from_db()
    services.cascade_org(target=company, acting_user=org.department)
    assert value_of(revenue, fy.year, org.east) == D(1500)


@pytest.mark.parametrize(
    ("method", "weights", "message"),
    [
        ("last_year", None, "no actuals for last year"),
        ("manual", None, "typed in"),
        ("weights", ["1"], "one weight for every unit or person"),
        ("weights", ["1", "-1"], "cannot be negative"),
        ("weights", ["0", "0"], "add up to zero"),
    ],
)
def test_a_cascade_that_cannot_split_is_refused_and_writes_nothing(
    org, fy, revenue, method, weights, message
):
    company = set_(org, revenue, fy.year, "1000", unit=org.company)
    before = counts()
    with pytest.raises(DomainError, match=message):
        services.cascade_org(
            target=company, method=method, weights=weights, acting_user=org.department
        )
    assert counts() == before
    company.refresh_from_db()
    assert company.allocation_method == Target.Allocation.EQUAL


def test_a_person_joining_mid_period_gets_a_prorated_share_and_a_basis_saying_so(org, fy, revenue):
    newcomer = UserFactory(username="nina", roles=["salesperson"])
    membership_create(user=newcomer, unit=org.team, start_date=datetime.date(2026, 7, 2))
    team = set_(org, revenue, fy.year, "1000000.00", unit=org.team)
    services.cascade_org(target=team, acting_user=org.department)

    mine = Target.objects.get(metric=revenue, period=fy.year, person=newcomer)
    full = Target.objects.get(metric=revenue, period=fy.year, person=org.salesperson)
    assert "prorated: in the team 183 of 365 days" in mine.basis
    assert full.basis == "equal"
    # 3 people in the whole year and one from 2 July: without months yet, the year is
    # shared over equal months (83,333.33 from July on), and each month by the days
    # present: 30 of 31 days in July among three full months, a quarter of each month
    # from August on. Half a year in the team, about half the 250,000 she would have.
    month = D("83333.33")
    exact = month * 30 / (3 * 31 + 30) + 5 * month / 4
    assert abs(mine.value - exact) < D("0.01")
    members = Target.objects.filter(metric=revenue, period=fy.year, team=org.team)
    assert members.count() == 4
    assert sum(t.value for t in members) == D("1000000.00")


def test_a_person_who_moved_team_gets_a_part_from_each_team_for_the_days_in_it(org, fy, revenue):
    person_move_team(user=org.salesperson, new_unit=org.team2, on=datetime.date(2026, 7, 1))
    east = set_(org, revenue, fy.year, "3000", unit=org.east)
    services.cascade_org(target=east, acting_user=org.department)
    for team in (org.team, org.team2):
        services.cascade_org(
            target=Target.objects.get(metric=revenue, period=fy.year, unit=team),
            acting_user=org.department,
        )
    parts = {
        t.team: t
        for t in Target.objects.filter(metric=revenue, period=fy.year, person=org.salesperson)
    }
    assert set(parts) == {org.team, org.team2}
    assert "181 of 365 days" in parts[org.team].basis
    assert "184 of 365 days" in parts[org.team2].basis
    assert Target.objects.filter(metric=revenue, period=fy.year, team=org.team).count() == 3
    assert Target.objects.filter(metric=revenue, period=fy.year, team=org.team2).count() == 2
    check_everything_adds_up(revenue, fy)


def test_a_typed_part_must_be_of_a_team_the_person_was_in(org, fy, revenue):
    person_move_team(user=org.salesperson, new_unit=org.team2, on=datetime.date(2026, 7, 1))
    first = set_(org, revenue, fy.year, "100", person=org.salesperson, team=org.team)
    last = set_(org, revenue, fy.year, "200", person=org.salesperson)
    assert (first.team, last.team) == (org.team, org.team2)
    before = counts()
    with pytest.raises(DomainError, match="was not a member of South Team 1 during FY2026"):
        set_(org, revenue, fy.year, "10", person=org.salesperson, team=org.other_team)
    assert counts() == before


def test_a_team_without_members_cannot_be_cascaded(org, fy, revenue):
    Membership.objects.filter(unit=org.other_team).delete()
    south_team = set_(org, revenue, fy.year, "10", unit=org.other_team)
    with pytest.raises(DomainError, match="no units or members during FY2026"):
        services.cascade_org(target=south_team, acting_user=org.department)


def test_a_published_child_blocks_a_cascade(org, fy, revenue):
    company = set_(org, revenue, fy.year, "1000", unit=org.company)
    set_(org, revenue, fy.year, "500", unit=org.east)
    set_(org, revenue, fy.year, "500", unit=org.south)
    publish(org, revenue, fy)
    before = counts()
    company = set_(org, revenue, fy.months[0], "10", unit=org.company)
    company = Target.objects.get(metric=revenue, period=fy.year, unit=org.company)
    with pytest.raises(DomainError, match="already has a published FY2026 target"):
        services.cascade_org(target=company, acting_user=org.department)
    assert counts()[:2] == (before[0] + 1, before[1] + 1)  # only the January target above


# --- cascade over time ------------------------------------------------------------------------


def test_equal_months_split_the_year_and_quarters_add_up(org, fy, revenue):
    year = set_(org, revenue, fy.year, "1000000.00", unit=org.company)
    assert services.cascade_time(target=year, acting_user=org.department) == 16
    months = [value_of(revenue, m, org.company) for m in fy.months]
    quarters = [value_of(revenue, q, org.company) for q in fy.quarters]
    assert sum(months) == D("1000000.00") == sum(quarters)
    assert months[0] == D("83333.34") and months[-1] == D("83333.33")
    check_everything_adds_up(revenue, fy)


def test_a_custom_profile_shapes_the_months_and_is_remembered(org, fy, revenue, season):
    year = set_(org, revenue, fy.year, "1200000.00", unit=org.company)
    services.cascade_time(target=year, profile=season, acting_user=org.department)
    months = [value_of(revenue, m, org.company) for m in fy.months]
    assert months[0] == D("60000.00") and months[-1] == D("156000.00")
    assert value_of(revenue, fy.quarters[0], org.company) == D("240000.00")
    year.refresh_from_db()
    assert year.seasonality == season
    check_everything_adds_up(revenue, fy)


def test_counts_split_over_months_stay_whole_and_add_up(org, fy, customers):
    year = set_(org, customers, fy.year, "25", unit=org.company)
    services.cascade_time(target=year, acting_user=org.department)
    months = [value_of(customers, m, org.company) for m in fy.months]
    assert sum(months) == 25 and all(m == m.to_integral_value() for m in months)


def test_only_an_annual_target_is_split_over_time(org, fy, revenue):
    quarter = set_(org, revenue, fy.quarters[0], "100", unit=org.company)
    with pytest.raises(DomainError, match="Only an annual target"):
        services.cascade_time(target=quarter, acting_user=org.department)


def test_last_years_shape_without_actuals_is_refused(org, fy, revenue):
    profile = catalogue_services.seasonality_save(
        name="Like last year", method="last_year", acting_user=org.department
    )
    year = set_(org, revenue, fy.year, "100", unit=org.company)
    before = counts()
    with pytest.raises(DomainError, match="no actuals for last year"):
        services.cascade_time(target=year, profile=profile, acting_user=org.department)
    assert counts() == before


def test_a_closed_month_blocks_a_time_cascade_and_nothing_is_written(org, fy, revenue):
    year = set_(org, revenue, fy.year, "1200", unit=org.company)
    close(fy.months[0])
    before = counts()
    with pytest.raises(DomainError, match="is closed"):
        services.cascade_time(target=year, acting_user=org.department)
    assert counts() == before


# --- full cascade ---------------------------------------------------------------------------


def test_a_full_cascade_reaches_every_unit_person_and_month_and_adds_up_everywhere(
    org, fy, revenue, season
):
    newcomer = UserFactory(username="nina", roles=["salesperson"])
    membership_create(user=newcomer, unit=org.team, start_date=datetime.date(2026, 3, 1))
    company = set_(org, revenue, fy.year, "48000000.00", unit=org.company)
    preview = cascade_planner.plan_cascade_down(company, season, method="weights", weights=[60, 40])
    assert not Target.objects.exclude(pk=company.pk).exists()  # a preview writes nothing

    written = services.cascade_down(
        target=company,
        profile=season,
        method="weights",
        weights=[60, 40],
        acting_user=org.department,
    )
    assert written == len(preview)
    owners = [org.company, org.east, org.south, org.team, org.team2, org.other_team]
    people = [org.salesperson, org.teammate, org.supervisor, newcomer, org.east2_person]
    people.append(org.other_salesperson)
    for owner in owners + people:
        for period in [fy.year, *fy.quarters, *fy.months]:
            assert value_of(revenue, period, owner) is not None, (owner, period)
    assert value_of(revenue, fy.year, org.east) == D("28800000.00")
    assert check_everything_adds_up(revenue, fy) == 6 * 17  # every unit, in every period
    # the newcomer has nothing before they join, and a share of each month after
    assert value_of(revenue, fy.months[0], newcomer) == 0
    assert value_of(revenue, fy.months[2], newcomer) == value_of(
        revenue, fy.months[2], org.teammate
    )
    mine = Target.objects.get(metric=revenue, period=fy.year, person=newcomer)
    assert "prorated: in the team 306 of 365 days" in mine.basis
    # ... and it can be published as it is
    assert services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk) == []


def test_a_full_cascade_of_counts_spreads_whole_numbers_fairly(org, fy, customers):
    company = set_(org, customers, fy.year, "120", unit=org.company)
    services.cascade_down(target=company, acting_user=org.department)
    check_everything_adds_up(customers, fy)
    people = Target.objects.filter(metric=customers, period=fy.year, person__isnull=False)
    assert all(t.value == t.value.to_integral_value() for t in people)


def test_a_full_cascade_keeps_typed_in_values_below_a_manual_unit(org, fy, revenue):
    company = set_(org, revenue, fy.year, "1000", unit=org.company)
    set_(org, revenue, fy.year, "700", unit=org.east)
    set_(org, revenue, fy.year, "300", unit=org.south)
    services.cascade_down(target=company, method="manual", acting_user=org.department)
    assert value_of(revenue, fy.year, org.east) == D(700)
    check_everything_adds_up(revenue, fy)


def test_a_full_cascade_with_weights_needs_weights(org, fy, revenue):
    company = set_(org, revenue, fy.year, "1000", unit=org.company)
    before = counts()
    with pytest.raises(DomainError, match="one weight for every unit"):
        services.cascade_down(target=company, method="weights", acting_user=org.department)
    assert counts() == before


# --- publication -------------------------------------------------------------------------------


def _team_with_members(org, fy, revenue, values):
    team = set_(org, revenue, fy.year, "900", unit=org.team)
    for person, value in zip([org.salesperson, org.teammate, org.supervisor], values, strict=True):
        set_(org, revenue, fy.year, value, person=person)
    return team


def test_publication_is_refused_when_children_are_outside_the_tolerance(org, fy, revenue):
    _team_with_members(org, fy, revenue, ["300", "300", "299.99"])
    problems = services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk)
    assert problems == [
        "East Team 1, FY2026: the targets below add up to 99.99 % of 900.00; "
        "they must be between 100 % and 110 %."
    ]
    before = counts()
    with pytest.raises(DomainError, match=r"East Team 1, FY2026: .* 99\.99 %"):
        publish(org, revenue, fy)
    assert counts() == before
    assert not Target.objects.filter(status=Target.Status.PUBLISHED).exists()


def test_publication_is_refused_over_the_tolerance(org, fy, revenue):
    _team_with_members(org, fy, revenue, ["330", "330", "330.09"])
    with pytest.raises(DomainError, match=r"110\.01 %"):
        publish(org, revenue, fy)


def test_children_set_to_zero_are_under_the_tolerance(org, fy, revenue):
    _team_with_members(org, fy, revenue, ["0", "0", "0"])
    with pytest.raises(DomainError, match=r"add up to 0\.00 %"):
        publish(org, revenue, fy)


def test_publication_within_the_tolerance_publishes_every_draft_and_notifies_after_commit(
    org, fy, revenue, django_capture_on_commit_callbacks
):
    _team_with_members(org, fy, revenue, ["330", "330", "330"])  # 110 %: the upper edge
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert publish(org, revenue, fy) == 4
        assert not Notification.objects.exists()  # not before the commit
    assert callbacks
    assert not Target.objects.filter(status=Target.Status.DRAFT).exists()
    assert all(t.published_at for t in Target.objects.all())
    sent = sorted(Notification.objects.values_list("recipient__username", "kind"))
    assert sent == [
        ("sam", "target_published"),
        ("sue", "target_published"),
        ("sue", "unit_target_published"),  # she leads the team
        ("tina", "target_published"),
    ]
    assert Target.history.filter(history_change_reason="published").count() == 4


def test_owners_are_notified_once_for_the_year_not_for_every_month(
    org, fy, revenue, django_capture_on_commit_callbacks
):
    year = set_(org, revenue, fy.year, "1200", person=org.salesperson)
    services.cascade_time(target=year, acting_user=org.department)
    with django_capture_on_commit_callbacks(execute=True):
        publish(org, revenue, fy)
    assert Notification.objects.filter(recipient=org.salesperson).count() == 1


def test_publication_in_a_closed_period_is_refused(org, fy, revenue):
    set_(org, revenue, fy.months[0], "10", unit=org.company)
    close(fy.months[0])
    with pytest.raises(DomainError, match="is closed"):
        publish(org, revenue, fy)


def test_there_must_be_drafts_to_publish(org, fy, revenue):
    with pytest.raises(DomainError, match="no draft Revenue targets"):
        publish(org, revenue, fy)


def test_an_adjusted_published_team_does_not_block_the_next_publication(org, fy, revenue):
    _team_with_members(org, fy, revenue, ["300", "300", "300"])
    publish(org, revenue, fy)
    adjustment = services.adjustment_request(
        target=Target.objects.get(period=fy.year, person=org.salesperson),
        new_value="200",
        kind="quota_relief",
        reason="long sick leave",
        effective_period=fy.year,
        acting_user=org.supervisor,
    )
    services.adjustment_decide(adjustment=adjustment, approve=True, acting_user=org.department)
    set_(org, revenue, fy.year, "500", unit=org.south)
    assert services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk) == []


# --- publication: children in time -------------------------------------------------------------


def _sams_cascaded_year(org, fy, revenue, value="1200"):
    """Sam's draft year, split equally into quarters and months."""
    year = set_(org, revenue, fy.year, value, person=org.salesperson)
    services.cascade_time(target=year, acting_user=org.department)
    return year


def _import(org, *rows):
    from targets import imports

    lines = ["metric,period,owner_type,owner,value", *rows]
    data = ("\r\n".join(lines) + "\r\n").encode()
    result = imports.import_targets(data, filename="t.csv", acting_user=org.department)
    assert not result.errors, result.errors
    return result


def test_publication_refuses_a_year_that_is_not_the_sum_of_its_quarters(org, fy, revenue):
    """The reported case: a person's year raised on its own (here by an import; the
    allocation and the workspace now carry it down, see test_allocation) left the
    quarters at the old sum, and publication let it through."""
    _sams_cascaded_year(org, fy, revenue)
    _import(org, "revenue,FY2026,person,sam,1300")
    assert value_of(revenue, fy.quarters[0], org.salesperson) == D(300)  # not carried
    sam = org.salesperson.display_name
    problems = services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk)
    assert problems == [
        f"{sam}, FY2026: the quarters add up to 1,200.00, 92.30 % of 1,300.00; they must be "
        "between 100 % and 110 %: change the quarters or the year so that they agree."
    ]
    before = counts()
    with pytest.raises(DomainError, match=rf"{sam}, FY2026: the quarters add up to 1,200\.00"):
        publish(org, revenue, fy)
    assert counts() == before
    assert not Target.objects.filter(status=Target.Status.PUBLISHED).exists()

    # The quarters follow (each quarter's new value is spread over its months): it publishes.
    for quarter in fy.quarters:
        set_(org, revenue, quarter, "325", person=org.salesperson)
    assert [value_of(revenue, m, org.salesperson) for m in fy.months[:3]] == [
        D("108.34"),
        D("108.33"),
        D("108.33"),
    ]
    assert services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk) == []
    assert publish(org, revenue, fy) == 17
    check_everything_adds_up(revenue, fy)


def test_publication_refuses_a_quarter_that_is_not_the_sum_of_its_months(org, fy, revenue):
    _sams_cascaded_year(org, fy, revenue)
    _import(org, "revenue,2026-05,person,sam,200")
    problems = services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk)
    assert problems == [
        f"{org.salesperson.display_name}, FY2026 Q2: the months add up to 400.00, 133.34 % of "
        "300.00; they must be between 100 % and 110 %: change the months or FY2026 Q2 so "
        "that they agree."
    ]


def test_a_year_without_quarters_is_checked_against_its_months(org, fy, revenue):
    set_(org, revenue, fy.year, "1200", unit=org.company)
    for month in fy.months:
        set_(org, revenue, month, "90", unit=org.company)
    problems = services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk)
    assert problems == [
        "ACME, FY2026: the months add up to 1,080.00, 90.00 % of 1,200.00; they must be between "
        "100 % and 110 %: change the months or FY2026 so that they agree."
    ]


def test_quarters_not_all_set_yet_are_refused_only_above_the_band(org, fy, revenue):
    set_(org, revenue, fy.year, "1200", unit=org.company)
    set_(org, revenue, fy.quarters[0], "300", unit=org.company)
    set_(org, revenue, fy.quarters[1], "300", unit=org.company)
    assert services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk) == []
    set_(org, revenue, fy.quarters[2], "800", unit=org.company)
    problems = services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk)
    assert problems == [
        "ACME, FY2026: the quarters add up to 1,400.00, 116.67 % of 1,200.00; they must be "
        "between 100 % and 110 %: change the quarters or the year so that they agree."
    ]


def test_quarters_within_the_band_are_accepted_at_both_edges(org, fy, revenue):
    set_(org, revenue, fy.year, "1000", unit=org.company)
    for quarter, value in zip(fy.quarters, ["250", "250", "250", "250"], strict=True):
        set_(org, revenue, quarter, value, unit=org.company)
    assert services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk) == []
    set_(org, revenue, fy.quarters[3], "350", unit=org.company)  # 1,100: 110 %, the edge
    assert services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk) == []
    set_(org, revenue, fy.quarters[3], "249.99", unit=org.company)
    problems = services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk)
    assert len(problems) == 1 and "99.99 % of 1,000.00" in problems[0]


def test_every_offender_is_named_in_time_and_in_the_organisation(org, fy, revenue):
    team = _team_with_members(org, fy, revenue, ["300", "300", "200"])
    services.cascade_time(target=team, acting_user=org.department)
    _import(org, "revenue,FY2026 Q4,unit,t-east-1,100")
    problems = services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk)
    assert problems[0].startswith("East Team 1, FY2026: the targets below add up to 88.88 %")
    assert problems[1].startswith("East Team 1, FY2026: the quarters add up to 775.00, 86.11 %")
    assert problems[2].startswith("East Team 1, FY2026 Q4: the months add up to 225.00, 225.00 %")
    assert len(problems) == 3


def test_the_time_check_runs_a_fixed_number_of_queries(org, fy, revenue, django_assert_num_queries):
    _sams_cascaded_year(org, fy, revenue)
    # The targets, their periods, and the tolerance band in force.
    with django_assert_num_queries(3):
        services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk)
    for person in (org.teammate, org.supervisor, org.east2_person, org.other_salesperson):
        year = set_(org, revenue, fy.year, "1000.01", person=person)
        services.cascade_time(target=year, acting_user=org.department)
    with django_assert_num_queries(3):
        assert services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk) == []


# --- a year or quarter typed in carries down to its quarters and months ------------------------


def test_a_persons_new_year_value_is_spread_over_their_quarters_and_months(org, fy, revenue):
    season = catalogue_services.seasonality_save(
        name="Season", method="custom", weights=SEASON, acting_user=org.department
    )
    year = set_(org, revenue, fy.year, "1200", person=org.salesperson)
    services.cascade_time(target=year, profile=season, acting_user=org.department)
    months_before = [value_of(revenue, m, org.salesperson) for m in fy.months]
    set_(org, revenue, fy.year, "1500", person=org.salesperson)
    months = [value_of(revenue, m, org.salesperson) for m in fy.months]
    assert sum(months) == D(1500)
    # the shape is kept: every month moves by the same factor, to the cent
    for before, after in zip(months_before, months, strict=True):
        assert abs(after - before * D("1.25")) < D("0.01")
    check_everything_adds_up(revenue, fy)
    rows = Target.history.filter(history_change_reason="spread from the year target")
    assert rows.count() == 16 and all(r.history_user == org.department for r in rows)


def test_a_quarter_typed_in_spreads_over_its_months_and_leaves_the_year(org, fy, revenue):
    _sams_cascaded_year(org, fy, revenue)
    set_(org, revenue, fy.quarters[1], "600", person=org.salesperson)
    assert [value_of(revenue, m, org.salesperson) for m in fy.months[3:6]] == [D(200)] * 3
    assert value_of(revenue, fy.year, org.salesperson) == D(1200)
    problems = services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk)
    assert len(problems) == 1 and "FY2026: the quarters add up to 1,500.00" in problems[0]


def test_a_new_year_value_leaves_closed_months_as_they_are(org, fy, revenue):
    _sams_cascaded_year(org, fy, revenue)
    close(fy.months[0])
    set_(org, revenue, fy.year, "1310", person=org.salesperson)
    months = [value_of(revenue, m, org.salesperson) for m in fy.months]
    assert months == [D(100)] + [D(110)] * 11
    assert value_of(revenue, fy.quarters[0], org.salesperson) == D(320)


def test_a_new_year_value_below_what_closed_months_hold_is_refused(org, fy, revenue):
    _sams_cascaded_year(org, fy, revenue)
    for month in fy.months[:6]:
        close(month)
    before = counts()
    with pytest.raises(DomainError, match="less than what the months before"):
        set_(org, revenue, fy.year, "500", person=org.salesperson)
    assert counts() == before
    assert value_of(revenue, fy.year, org.salesperson) == D(1200)


def test_a_year_with_only_some_quarters_is_not_spread(org, fy, revenue):
    set_(org, revenue, fy.year, "1200", unit=org.company)
    set_(org, revenue, fy.quarters[0], "300", unit=org.company)
    set_(org, revenue, fy.year, "1600", unit=org.company)
    assert value_of(revenue, fy.quarters[0], org.company) == D(300)


# --- bottom-up allocation -----------------------------------------------------------------------


def test_an_allocation_outside_the_tolerance_cannot_be_submitted(org, fy, revenue):
    team = _team_with_members(org, fy, revenue, ["300", "300", "200"])
    before = counts()
    with pytest.raises(DomainError, match=r"East Team 1: .*\(88\.88 % of 900\.00\)"):
        services.allocation_submit(target=team, acting_user=org.supervisor)
    assert counts() == before
    team.refresh_from_db()
    assert team.allocation_status == Target.AllocationStatus.OPEN


def test_an_allocation_with_no_member_targets_cannot_be_submitted(org, fy, revenue):
    team = set_(org, revenue, fy.year, "900", unit=org.team)
    with pytest.raises(DomainError, match=r"East Team 1: .*\(0\.00 %"):
        services.allocation_submit(target=team, acting_user=org.supervisor)


def test_the_supervisor_submits_the_department_returns_with_a_comment_then_approves(
    org, fy, revenue, django_capture_on_commit_callbacks
):
    team = _team_with_members(org, fy, revenue, ["300", "300", "300"])
    with django_capture_on_commit_callbacks(execute=True):
        team = services.allocation_submit(
            target=team, comment="Sam takes the big account", acting_user=org.supervisor
        )
    assert team.allocation_status == Target.AllocationStatus.SUBMITTED
    assert Notification.objects.filter(
        recipient=org.department, kind="allocation_submitted"
    ).exists()
    with pytest.raises(DomainError, match="already submitted"):
        services.allocation_submit(target=team, acting_user=org.supervisor)
    problems = services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk)
    assert any("waits for approval" in p for p in problems)

    with pytest.raises(DomainError, match="Say why the allocation is returned"):
        services.allocation_decide(
            target=team, approve=False, comment=" ", acting_user=org.department
        )
    with django_capture_on_commit_callbacks(execute=True):
        team = services.allocation_decide(
            target=team, approve=False, comment="Tina is new", acting_user=org.department
        )
    assert team.allocation_status == Target.AllocationStatus.RETURNED
    note = Notification.objects.get(recipient=org.supervisor, kind="allocation_returned")
    assert note.params["comment"] == "Tina is new"

    team = services.allocation_submit(target=team, acting_user=org.supervisor)
    team = services.allocation_decide(target=team, approve=True, acting_user=org.department)
    assert team.allocation_status == Target.AllocationStatus.APPROVED
    with pytest.raises(DomainError, match="Only a submitted allocation"):
        services.allocation_decide(target=team, approve=True, acting_user=org.department)


def test_editing_a_member_after_approval_reopens_the_allocation(org, fy, revenue):
    team = _team_with_members(org, fy, revenue, ["300", "300", "300"])
    services.allocation_submit(target=team, acting_user=org.supervisor)
    services.allocation_decide(target=team, approve=True, acting_user=org.department)
    set_(org, revenue, fy.year, "310", person=org.teammate)
    team.refresh_from_db()
    assert team.allocation_status == Target.AllocationStatus.OPEN


def test_only_a_units_target_is_allocated(org, fy, revenue):
    mine = set_(org, revenue, fy.year, "300", person=org.salesperson)
    with pytest.raises(DomainError, match="Only a unit's target"):
        services.allocation_submit(target=mine, acting_user=org.supervisor)


# --- acknowledgement --------------------------------------------------------------------------


def test_only_the_owner_acknowledges_a_published_target_and_only_once(org, fy, revenue):
    target = set_(org, revenue, fy.year, "300", person=org.salesperson)
    with pytest.raises(DomainError, match="Only a published target"):
        services.target_acknowledge(target=target, acting_user=org.salesperson)
    publish(org, revenue, fy)
    with pytest.raises(PermissionDenied):
        services.target_acknowledge(target=target, acting_user=org.teammate)
    with pytest.raises(PermissionDenied):
        services.target_acknowledge(target=target, acting_user=org.supervisor)
    done = services.target_acknowledge(target=target, acting_user=org.salesperson)
    assert done.acknowledged_at is not None and done.acknowledged_by == org.salesperson
    with pytest.raises(DomainError, match="already acknowledged"):
        services.target_acknowledge(target=target, acting_user=org.salesperson)
    assert done.history.first().history_change_reason == "acknowledged"


def test_a_teams_target_is_acknowledged_by_its_own_supervisor(org, fy, revenue):
    team = set_(org, revenue, fy.year, "300", unit=org.team)
    publish(org, revenue, fy)
    with pytest.raises(PermissionDenied):
        services.target_acknowledge(target=team, acting_user=org.regional)
    assert services.target_acknowledge(target=team, acting_user=org.supervisor).acknowledged_at


# --- adjustments --------------------------------------------------------------------------------


@pytest.fixture
def sams_year(org, fy, revenue):
    """Sam's published 1,200 for the year: 100 a month, 300 a quarter."""
    year = set_(org, revenue, fy.year, "1200", person=org.salesperson)
    services.cascade_time(target=year, acting_user=org.department)
    publish(org, revenue, fy)
    year.refresh_from_db()
    return year


def _request(org, target, period, value="900", reason="Long sick leave in July", **kw):
    return services.adjustment_request(
        target=target,
        new_value=value,
        kind=kw.pop("kind", "quota_relief"),
        reason=reason,
        effective_period=period,
        acting_user=kw.pop("acting_user", org.supervisor),
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_adjustment_without_a_reason_is_refused_and_nothing_is_written(
    org, fy, sams_year, reason
):
    before = counts()
    with pytest.raises(DomainError, match="needs a reason"):
        _request(org, sams_year, fy.months[6], reason=reason)
    assert counts() == before


def test_an_adjustment_of_a_draft_is_refused(org, fy, revenue):
    draft = set_(org, revenue, fy.year, "1200", person=org.salesperson)
    with pytest.raises(DomainError, match="draft target is changed directly"):
        _request(org, draft, fy.months[6])


def test_the_effective_period_must_be_inside_the_targets_period(org, fy, sams_year):
    other = make_year(2027)
    with pytest.raises(DomainError, match="outside the target's period FY2026"):
        _request(org, sams_year, other.months[0])
    january = Target.objects.get(period=fy.months[0], person=org.salesperson)
    with pytest.raises(DomainError, match="outside the target's period"):
        _request(org, january, fy.months[1], value="50")
    assert not Adjustment.objects.exists()


def test_an_effective_period_that_is_closed_is_refused(org, fy, sams_year):
    close(fy.months[0])
    with pytest.raises(DomainError, match="is closed"):
        _request(org, sams_year, fy.months[0])


def test_a_new_value_below_what_the_earlier_months_hold_is_refused_at_request(org, fy, sams_year):
    with pytest.raises(DomainError, match="months before the effective month already hold"):
        _request(org, sams_year, fy.months[6], value="500")
    assert not Adjustment.objects.exists()


def test_an_unknown_kind_of_adjustment_is_refused(org, fy, sams_year):
    with pytest.raises(DomainError, match="kind of adjustment"):
        _request(org, sams_year, fy.months[6], kind="whim")


def test_one_adjustment_waits_at_a_time(org, fy, sams_year):
    _request(org, sams_year, fy.months[6])
    with pytest.raises(DomainError, match="already has an adjustment waiting"):
        _request(org, sams_year, fy.months[6], value="1000")
    assert Adjustment.objects.count() == 1


def test_an_approved_adjustment_spreads_over_the_months_from_the_effective_month(
    org, fy, revenue, sams_year, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        adjustment = _request(org, sams_year, fy.months[6])
    assert Notification.objects.filter(
        recipient=org.department, kind="adjustment_requested"
    ).exists()
    assert adjustment.old_value == D(1200) and adjustment.status == Adjustment.Status.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        services.adjustment_decide(
            adjustment=adjustment, approve=True, note="ok", acting_user=org.department
        )
    months = [value_of(revenue, m, org.salesperson) for m in fy.months]
    assert months == [D(100)] * 6 + [D(50)] * 6
    quarters = [value_of(revenue, q, org.salesperson) for q in fy.quarters]
    assert quarters == [D(300), D(300), D(150), D(150)]
    assert value_of(revenue, fy.year, org.salesperson) == D(900)
    check_everything_adds_up(revenue, fy)

    rows = Target.history.filter(history_change_reason__contains="Long sick leave")
    assert rows.count() == 1 + 6 + 2  # the year, July..December, Q3 and Q4
    assert all(r.history_user == org.department for r in rows)
    assert rows.first().history_change_reason.startswith(f"adjustment #{adjustment.pk}")
    assert Target.objects.get(pk=sams_year.pk).basis == "adjusted: quota relief"
    recipients = set(
        Notification.objects.filter(kind="adjustment_approved").values_list(
            "recipient__username", flat=True
        )
    )
    assert recipients == {"sue", "sam"}


def test_an_adjustment_of_a_month_moves_its_quarter_and_year_with_it(org, fy, revenue, sams_year):
    march = Target.objects.get(period=fy.months[2], person=org.salesperson)
    adjustment = _request(org, march, fy.months[2], value="40", kind="territory")
    services.adjustment_decide(adjustment=adjustment, approve=True, acting_user=org.department)
    assert value_of(revenue, fy.quarters[0], org.salesperson) == D(240)
    assert value_of(revenue, fy.year, org.salesperson) == D(1140)
    check_everything_adds_up(revenue, fy)


def test_an_adjustment_of_a_quarter_spreads_over_its_months_and_moves_the_year(
    org, fy, revenue, sams_year
):
    q2 = Target.objects.get(period=fy.quarters[1], person=org.salesperson)
    adjustment = _request(org, q2, fy.months[4], value="360", kind="new_hire")
    services.adjustment_decide(adjustment=adjustment, approve=True, acting_user=org.department)
    assert [value_of(revenue, m, org.salesperson) for m in fy.months[3:6]] == [
        D(100),
        D(130),
        D(130),
    ]
    assert value_of(revenue, fy.year, org.salesperson) == D(1260)
    check_everything_adds_up(revenue, fy)


def test_a_rejection_needs_a_note_and_changes_no_target(org, fy, revenue, sams_year):
    adjustment = _request(org, sams_year, fy.months[6])
    with pytest.raises(DomainError, match="Say why"):
        services.adjustment_decide(adjustment=adjustment, approve=False, acting_user=org.department)
    services.adjustment_decide(
        adjustment=adjustment, approve=False, note="Targets stand", acting_user=org.department
    )
    adjustment.refresh_from_db()
    assert adjustment.status == Adjustment.Status.REJECTED
    assert value_of(revenue, fy.year, org.salesperson) == D(1200)
    with pytest.raises(DomainError, match="already decided"):
        services.adjustment_decide(adjustment=adjustment, approve=True, acting_user=org.department)


def test_a_stale_request_is_refused(org, fy, revenue, sams_year):
    stale = _request(org, sams_year, fy.months[6])
    january = Target.objects.get(period=fy.months[0], person=org.salesperson)
    quick = _request(org, january, fy.months[0], value="80", kind="territory")
    services.adjustment_decide(adjustment=quick, approve=True, acting_user=org.department)
    before = counts()
    with pytest.raises(DomainError, match="changed since this request"):
        services.adjustment_decide(adjustment=stale, approve=True, acting_user=org.department)
    assert counts() == before
    assert value_of(revenue, fy.year, org.salesperson) == D(1180)


# --- adjustments never change a month that is closing or closed --------------------------------


def _months(revenue, fy, owner):
    return [value_of(revenue, m, owner) for m in fy.months]


def test_an_adjustment_takes_effect_from_the_first_open_month_or_later(org, fy, revenue, sams_year):
    close(fy.months[0])
    close(fy.months[1])
    before = counts()
    for period in (fy.year, fy.quarters[0], fy.months[0], fy.months[1]):
        with pytest.raises(services.EffectivePeriodRefused) as refused:
            _request(org, sams_year, period, value="1100")
        assert str(refused.value) == (
            "February 2026 is closed: its target cannot change, so an adjustment cannot take "
            f"effect from {period.label}. Choose March 2026 or a later period."
        )
        assert refused.value.field == "effective_period"
        assert refused.value.first == fy.months[2]
    assert counts() == before
    adjustment = _request(org, sams_year, fy.months[2], value="1100")
    services.adjustment_decide(adjustment=adjustment, approve=True, acting_user=org.department)
    assert _months(revenue, fy, org.salesperson) == [D(100)] * 2 + [D(90)] * 10
    check_everything_adds_up(revenue, fy)


def test_a_month_that_is_closing_counts_as_closed(org, fy, revenue, sams_year):
    from org.services import period_transition

    period_transition(period=fy.months[0], to_status="closing")
    with pytest.raises(services.EffectivePeriodRefused, match="January 2026 is closing"):
        _request(org, sams_year, fy.year)


def test_a_month_closed_before_the_approval_refuses_it_and_nothing_is_written(
    org, fy, revenue, sams_year
):
    """The reported case: asked from the first quarter while January was open, approved
    after January closed, it rewrote January's closed target. Now the approval is
    refused, naming January and the first month a new request can start from."""
    adjustment = _request(org, sams_year, fy.quarters[0], value="1100")
    close(fy.months[0])
    values = list(Target.objects.order_by("pk").values_list("pk", "value", "basis"))
    before = counts()
    with pytest.raises(DomainError) as refused:
        services.adjustment_decide(adjustment=adjustment, approve=True, acting_user=org.department)
    assert str(refused.value) == (
        "January 2026 is now closed: its target cannot change, so this adjustment can no "
        "longer take effect from FY2026 Q1. Reject it with a note; a new request can take "
        "effect from February 2026 at the earliest."
    )
    assert list(Target.objects.order_by("pk").values_list("pk", "value", "basis")) == values
    assert counts() == before
    adjustment.refresh_from_db()
    assert adjustment.status == Adjustment.Status.PENDING
    assert _months(revenue, fy, org.salesperson)[0] == D(100)
    # rejected with a note, it is asked again from February
    services.adjustment_decide(
        adjustment=adjustment, approve=False, note="January closed", acting_user=org.department
    )
    again = _request(org, sams_year, fy.months[1], value="1100")
    services.adjustment_decide(adjustment=again, approve=True, acting_user=org.department)
    assert _months(revenue, fy, org.salesperson)[:2] == [D(100), D("90.91")]


def test_an_approval_is_refused_when_no_month_can_change_any_more(org, fy, revenue, sams_year):
    adjustment = _request(org, sams_year, fy.months[6])
    close(fy.months[11])
    with pytest.raises(DomainError, match="December 2026, the last month of FY2026, is now closed"):
        services.adjustment_decide(adjustment=adjustment, approve=True, acting_user=org.department)
    adjustment.refresh_from_db()
    assert adjustment.status == Adjustment.Status.PENDING
    assert value_of(revenue, fy.year, org.salesperson) == D(1200)


def test_a_target_in_quarters_only_changes_no_quarter_holding_a_closed_month(org, fy, revenue):
    year = set_(org, revenue, fy.year, "1200", person=org.salesperson)
    for quarter in fy.quarters:
        set_(org, revenue, quarter, "300", person=org.salesperson)
    publish(org, revenue, fy)
    close(fy.months[0])
    with pytest.raises(DomainError, match="FY2026 Q1 target would change, and FY2026 Q1 holds"):
        _request(org, year, fy.months[1], value="1100")
    adjustment = _request(org, year, fy.quarters[1], value="1100")
    services.adjustment_decide(adjustment=adjustment, approve=True, acting_user=org.department)
    quarters = [value_of(revenue, q, org.salesperson) for q in fy.quarters]
    assert quarters == [D(300), D("266.67"), D("266.67"), D("266.66")]


# --- personal sales plans -----------------------------------------------------------------------


def _save(org, fy, person=None, **kw):
    person = person or org.salesperson
    return plan_services.plan_save(
        person=person,
        period=kw.pop("period", fy.quarters[0]),
        key_accounts=kw.pop("key_accounts", "Shanghai General Hospital"),
        actions=kw.pop("actions", "Demo the new analyser in January"),
        pipeline=kw.pop("pipeline", {str(fy.months[0].pk): "12,000.5"}),
        resources=kw.pop("resources", "One demo unit"),
        acting_user=kw.pop("acting_user", person),
    )


def test_a_salesperson_writes_and_rewrites_a_draft_plan_in_one_version(org, fy):
    plan = _save(org, fy)
    plan = _save(org, fy, actions="Demo in February instead")
    assert plan.status == SalesPlan.Status.DRAFT
    version = plan.versions.get()
    assert version.number == 1 and version.actions == "Demo in February instead"
    assert version.pipeline == {str(fy.months[0].pk): "12000.50"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key_accounts": "  "}, "key accounts and its actions"),
        ({"pipeline": {"999999": "5"}}, "month outside the plan's period"),
        ({"pipeline": "months[5]"}, "month outside the plan's period"),
        ({"pipeline": "negative"}, "cannot be negative"),
        ({"pipeline": "nan"}, "not a number"),
    ],
)
def test_a_bad_plan_is_refused_and_nothing_is_written(org, fy, kwargs, message):
    if kwargs.get("pipeline") == "months[5]":
        kwargs["pipeline"] = {str(fy.months[5].pk): "1"}
    elif kwargs.get("pipeline") == "negative":
        kwargs["pipeline"] = {str(fy.months[0].pk): "-1"}
    elif kwargs.get("pipeline") == "nan":
        kwargs["pipeline"] = {str(fy.months[0].pk): "NaN"}
    with pytest.raises(DomainError, match=message):
        _save(org, fy, **kwargs)
    assert not SalesPlan.objects.exists() and not SalesPlanVersion.objects.exists()


def test_only_the_salesperson_writes_their_own_plan(org, fy):
    with pytest.raises(PermissionDenied):
        _save(org, fy, acting_user=org.supervisor)


def test_a_plan_for_a_closed_period_is_refused(org, fy):
    close(fy.months[0])
    with pytest.raises(DomainError, match="is closed"):
        _save(org, fy, period=fy.months[0], pipeline={})


def test_submitting_a_plan_notifies_the_supervisor_and_freezes_it(
    org, fy, django_capture_on_commit_callbacks
):
    plan = _save(org, fy)
    with pytest.raises(PermissionDenied):
        plan_services.plan_submit(plan=plan, acting_user=org.supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        plan = plan_services.plan_submit(plan=plan, acting_user=org.salesperson)
    assert plan.status == SalesPlan.Status.SUBMITTED
    note = Notification.objects.get(kind="plan_submitted")
    assert note.recipient == org.supervisor and note.url.endswith(f"/plans/{plan.pk}/")
    with pytest.raises(DomainError, match="cannot be edited now"):
        _save(org, fy)
    with pytest.raises(DomainError, match="Only a draft plan"):
        plan_services.plan_submit(plan=plan, acting_user=org.salesperson)


def test_a_returned_plan_keeps_its_version_and_the_next_save_starts_version_two(
    org, fy, django_capture_on_commit_callbacks
):
    plan = plan_services.plan_submit(plan=_save(org, fy), acting_user=org.salesperson)
    with pytest.raises(DomainError, match="Say what to change"):
        plan_services.plan_review(plan=plan, approve=False, comment="", acting_user=org.supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        plan = plan_services.plan_review(
            plan=plan, approve=False, comment="Add the Suzhou lab", acting_user=org.supervisor
        )
    assert plan.status == SalesPlan.Status.RETURNED
    note = Notification.objects.get(kind="plan_returned")
    assert note.recipient == org.salesperson and note.params["comment"] == "Add the Suzhou lab"

    plan = _save(org, fy, key_accounts="Shanghai General Hospital; Suzhou lab")
    assert plan.status == SalesPlan.Status.DRAFT
    v2, v1 = list(plan.versions.order_by("-number"))
    assert (v1.number, v2.number) == (1, 2)
    assert v1.key_accounts == "Shanghai General Hospital"
    assert v1.decision == "returned" and v1.review_comment == "Add the Suzhou lab"
    assert v1.reviewed_by == org.supervisor and v1.submitted_at is not None
    assert v2.submitted_at is None and v2.decision == ""

    plan = plan_services.plan_submit(plan=plan, acting_user=org.salesperson)
    with django_capture_on_commit_callbacks(execute=True):
        plan = plan_services.plan_review(plan=plan, approve=True, acting_user=org.supervisor)
    assert plan.status == SalesPlan.Status.APPROVED
    assert plan.versions.get(number=2).decision == "approved"
    assert Notification.objects.filter(recipient=org.salesperson, kind="plan_approved").exists()
    with pytest.raises(DomainError, match="cannot be edited now"):
        _save(org, fy)


def test_nobody_reviews_their_own_plan(org, fy):
    plan = plan_services.plan_submit(
        plan=_save(org, fy, person=org.supervisor), acting_user=org.supervisor
    )
    with pytest.raises(DomainError, match="Nobody reviews their own plan"):
        plan_services.plan_review(plan=plan, approve=True, acting_user=org.supervisor)


def test_only_a_submitted_plan_is_reviewed(org, fy):
    plan = _save(org, fy)
    with pytest.raises(DomainError, match="Only a submitted plan"):
        plan_services.plan_review(plan=plan, approve=True, acting_user=org.supervisor)


# --- notifications ------------------------------------------------------------------------------


def test_every_notification_sent_reads_as_a_whole_sentence(
    org, fy, revenue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        team = _team_with_members(org, fy, revenue, ["300", "300", "300"])
        services.allocation_submit(target=team, acting_user=org.supervisor)
        services.allocation_decide(
            target=team, approve=False, comment="again", acting_user=org.department
        )
        services.allocation_submit(target=team, acting_user=org.supervisor)
        services.allocation_decide(target=team, approve=True, acting_user=org.department)
        publish(org, revenue, fy)
        sams = Target.objects.get(period=fy.year, person=org.salesperson)
        for approve in (False, True):
            adjustment = _request(org, sams, fy.year, value="250" if approve else "200")
            services.adjustment_decide(
                adjustment=adjustment, approve=approve, note="noted", acting_user=org.department
            )
        plan = plan_services.plan_submit(plan=_save(org, fy), acting_user=org.salesperson)
        plan_services.plan_review(
            plan=plan, approve=False, comment="more", acting_user=org.supervisor
        )
        plan = plan_services.plan_submit(plan=_save(org, fy), acting_user=org.salesperson)
        plan_services.plan_review(plan=plan, approve=True, acting_user=org.supervisor)
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds == {
        "allocation_submitted",
        "allocation_returned",
        "allocation_approved",
        "target_published",
        "unit_target_published",
        "adjustment_requested",
        "adjustment_approved",
        "adjustment_rejected",
        "plan_submitted",
        "plan_returned",
        "plan_approved",
    }
    for note in Notification.objects.all():
        text = str(note)
        assert "%(" not in text and not text.startswith("Notification:"), note.kind
    sam = Notification.objects.filter(recipient=org.salesperson, kind="adjustment_approved")
    assert str(sam.get()) == (
        f"The Revenue target of {org.salesperson.display_name} for FY2026 is now 250.00 "
        "(adjustment approved)."
    )
