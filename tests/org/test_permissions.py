"""Who sees which units and people: the single source used by pages, API and exports."""

import pytest

from org import permissions

UNIT_CODES = {
    "salesperson": {"t-east-1"},
    "teammate": {"t-east-1"},
    "other_salesperson": {"t-south-1"},
    "supervisor": {"t-east-1"},
    "other_supervisor": {"t-south-1"},
    "regional": {"east", "t-east-1", "t-east-2"},
    "department": {"acme", "east", "south", "t-east-1", "t-east-2", "t-south-1"},
    "hr": {"acme", "east", "south", "t-east-1", "t-east-2", "t-south-1"},
}

PEOPLE = {
    "salesperson": {"sam"},
    "teammate": {"tina"},
    "other_salesperson": {"oscar"},
    "supervisor": {"sam", "tina", "sue"},
    "other_supervisor": {"oscar", "otto"},
    "regional": {"sam", "tina", "sue", "eve", "rita"},
}


@pytest.mark.parametrize("persona", list(UNIT_CODES))
def test_visible_units(org, persona):
    user = getattr(org, persona)
    assert (
        set(permissions.visible_units(user).values_list("code", flat=True)) == UNIT_CODES[persona]
    )


@pytest.mark.parametrize("persona", list(PEOPLE))
def test_visible_people(org, persona):
    user = getattr(org, persona)
    assert (
        set(permissions.visible_people(user).values_list("username", flat=True)) == PEOPLE[persona]
    )


def test_whole_organisation_roles_see_everyone(org):
    for persona in ("department", "hr", "admin"):
        user = getattr(org, persona)
        assert permissions.visible_people(user).count() == 10


def test_change_rights(org):
    assert permissions.can_manage_organisation(org.department)
    assert permissions.can_manage_organisation(org.admin)
    assert not permissions.can_manage_organisation(org.hr)
    assert not permissions.can_manage_organisation(org.supervisor)
    assert permissions.can_manage_periods(org.department)
    assert not permissions.can_manage_periods(org.hr)
    assert not permissions.can_manage_periods(org.admin)


def test_a_finished_leadership_no_longer_gives_sight(org):
    import datetime

    from org import services

    lead = org.supervisor.memberships.get(kind="supervisor")
    services.membership_end(membership=lead, end_date=datetime.date(2021, 1, 1))
    org.supervisor.__dict__.pop("_led_paths", None)
    assert set(permissions.visible_people(org.supervisor).values_list("username", flat=True)) == {
        "sue"
    }
