import datetime

import pytest

from core.errors import DomainError
from org import services
from org.models import FiscalYear, Membership, OrgUnit, Period
from tests.factories import OrgUnitFactory


@pytest.fixture
def year(db):
    return services.fiscal_year_create(start_year=2026, start_month=1)


def test_creating_a_fiscal_year_generates_its_quarters_and_months(year):
    assert year.name == "FY2026"
    assert year.periods.filter(kind="year").count() == 1
    assert year.periods.filter(kind="quarter").count() == 4
    months = list(year.periods.filter(kind="month").select_related("parent"))
    assert len(months) == 12
    assert all(m.parent.kind == "quarter" for m in months)
    assert {m.parent.number for m in months if m.number in (4, 5, 6)} == {2}


def test_a_fiscal_year_overlapping_another_is_refused(year):
    with pytest.raises(DomainError, match="FY2026"):
        services.fiscal_year_create(start_year=2026, start_month=7)
    assert FiscalYear.objects.count() == 1


def test_period_goes_open_closing_closed_and_reopens_with_a_reason_recorded(year, org):
    march = year.periods.get(kind="month", number=3)
    services.period_transition(period=march, to_status="closing", acting_user=org.department)
    services.period_transition(period=march, to_status="closed", acting_user=org.department)
    with pytest.raises(DomainError, match="reason"):
        services.period_transition(period=march, to_status="open", acting_user=org.department)
    march.refresh_from_db()
    assert march.status == Period.Status.CLOSED
    services.period_transition(
        period=march, to_status="open", reason="Late credit note", acting_user=org.department
    )
    march.refresh_from_db()
    assert march.status == Period.Status.OPEN
    last = march.history.first()
    assert last.history_user == org.department
    assert last.history_change_reason == "Late credit note"
    assert last.prev_record.status == "closed"


def test_an_open_period_cannot_jump_to_closed(year):
    march = year.periods.get(kind="month", number=3)
    with pytest.raises(DomainError, match="cannot become"):
        services.period_transition(period=march, to_status="closed")


def test_a_person_is_in_one_team_at_a_time(org):
    with pytest.raises(DomainError, match="overlaps"):
        services.membership_create(
            user=org.salesperson, unit=org.team2, start_date=datetime.date(2025, 1, 1)
        )
    assert org.salesperson.memberships.count() == 1


def test_moving_team_keeps_the_history_of_where_they_were(org):
    services.person_move_team(
        user=org.salesperson, new_unit=org.team2, on=datetime.date(2026, 7, 1)
    )
    rows = list(org.salesperson.memberships.order_by("start_date"))
    assert [(m.unit.code, m.start_date, m.end_date) for m in rows] == [
        ("t-east-1", datetime.date(2020, 1, 1), datetime.date(2026, 6, 30)),
        ("t-east-2", datetime.date(2026, 7, 1), None),
    ]


def test_a_supervisor_may_lead_several_units_but_not_one_twice(org):
    services.membership_create(
        user=org.supervisor,
        unit=org.team2,
        kind=Membership.Kind.SUPERVISOR,
        start_date=datetime.date(2026, 1, 1),
    )
    with pytest.raises(DomainError):
        services.membership_create(
            user=org.supervisor,
            unit=org.team,
            kind=Membership.Kind.SUPERVISOR,
            start_date=datetime.date(2026, 1, 1),
        )


def test_an_end_before_the_start_is_refused(org):
    membership = org.salesperson.memberships.get()
    with pytest.raises(DomainError):
        services.membership_end(membership=membership, end_date=datetime.date(2019, 1, 1))


def test_moving_a_unit_rebuilds_the_paths_below_it(org):
    services.unit_update(unit=org.east, parent=org.south)
    org.team.refresh_from_db()
    assert org.team.path == f"/{org.company.pk}/{org.south.pk}/{org.east.pk}/{org.team.pk}/"
    assert org.team.depth == 3


def test_a_unit_cannot_move_under_its_own_team(org):
    with pytest.raises(DomainError):
        services.unit_update(unit=org.east, parent=org.team)
    org.east.refresh_from_db()
    assert org.east.parent == org.company


def test_a_unit_code_is_unique(org):
    with pytest.raises(DomainError, match="already used"):
        OrgUnitFactory(code="east", kind=OrgUnit.Kind.REGION)


def test_roles_grant_and_revoke_with_the_admin_flag(org):
    services.user_set_roles(user=org.hr, roles=["hr", "admin"], acting_user=org.admin)
    org.hr.refresh_from_db()
    assert org.hr.is_staff and org.hr.is_superuser
    services.user_set_roles(user=org.hr, roles=["hr"], acting_user=org.admin)
    org.hr.refresh_from_db()
    assert not org.hr.is_staff
    assert set(org.hr.role_assignments.values_list("role", flat=True)) == {"hr"}


def test_unknown_roles_are_refused(org):
    with pytest.raises(DomainError, match="boss"):
        services.user_set_roles(user=org.hr, roles=["boss"])
