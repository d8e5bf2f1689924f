"""The one history reader: versions of any model's historical rows, newest first, with
what changed in each, shown through a display hook; linked objects' labels in one query
per kind."""

import datetime
from decimal import Decimal

import pytest
from django.utils import formats, translation

from core import history
from org.models import Membership, OrgUnit
from sales.models import SalesRecord
from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory


def unit_versions(unit, **kwargs):
    rows = unit.history.select_related("history_user").order_by("history_date", "history_id")
    return history.versions(rows, **kwargs)


def fields(*names):
    return history.tracked_fields(OrgUnit, only=names)


@pytest.fixture
def units(db):
    company = OrgUnitFactory(code="acme", name="ACME", kind=OrgUnit.Kind.COMPANY)
    east = OrgUnitFactory(code="east", name="East", kind=OrgUnit.Kind.REGION, parent=company)
    return company, east


def test_versions_come_newest_first_with_their_kind_and_reason(units):
    _company, east = units
    east.name = "East China"
    east._change_reason = "renamed"
    east.save()
    found = unit_versions(east, fields=fields("name"))
    assert [v.kind for v in found] == ["~", "+"]
    assert found[0].reason == "renamed"
    assert found[0].previous is found[1].row
    assert found[1].previous is None


def test_the_first_version_lists_the_values_it_was_given(units):
    _company, east = units
    (created,) = unit_versions(east, fields=fields("code", "name", "name_zh"))
    # name_zh was left empty: not listed
    assert [(c.field, c.before, c.after) for c in created.changes] == [
        ("code", None, "east"),
        ("name", None, "East"),
    ]


def test_a_version_saved_unchanged_lists_no_change(units):
    _company, east = units
    east.save()
    unchanged, created = unit_versions(east, fields=fields("code", "name"))
    assert unchanged.kind == "~"
    assert unchanged.changes == []
    assert created.changes


def test_a_rename_shows_before_and_after(units):
    _company, east = units
    east.name = "East China"
    east.save()
    renamed = unit_versions(east, fields=fields("code", "name"))[0]
    assert [(c.field, c.before, c.after) for c in renamed.changes] == [
        ("name", "East", "East China")
    ]


def test_linked_objects_and_choices_are_shown_by_their_labels(units):
    company, east = units
    south = OrgUnitFactory(code="south", name="South", kind=OrgUnit.Kind.REGION, parent=company)
    east.parent = south
    east.save()
    with translation.override("en"):
        newest, created = unit_versions(
            east, fields=fields("parent", "kind"), label=lambda unit: unit.code
        )
    assert [(c.before, c.after) for c in newest.changes] == [("acme", "south")]
    assert [(c.field, c.after) for c in created.changes] == [
        ("parent unit", "acme"),
        ("kind", "region"),
    ]


def test_the_labels_of_linked_objects_cost_one_query_per_kind(units, django_assert_num_queries):
    company, east = units
    for n in range(3):
        east.parent = OrgUnitFactory(code=f"r{n}", name=f"R{n}", parent=company)
        east.save()
    rows = list(east.history.select_related("history_user").order_by("history_date"))
    with django_assert_num_queries(1):
        history.versions(rows, fields=fields("parent", "name"))
    with django_assert_num_queries(0):
        history.versions(rows, fields=fields("name"))


def test_a_deletion_lists_the_values_it_took_away(units):
    _company, east = units
    membership = MembershipFactory(user=UserFactory(username="sam"), unit=east)
    pk = membership.pk
    membership.delete()
    rows = Membership.history.filter(id=pk).order_by("history_date", "history_id")
    only = history.tracked_fields(Membership, only=("user", "unit"))
    deleted, _created = history.versions(rows, fields=only, label=str)
    assert deleted.kind == "-"
    assert [(c.before, c.after) for c in deleted.changes] == [
        (str(membership.user), None),
        (str(east), None),
    ]


def test_a_page_may_give_its_own_display_hook(units):
    _company, east = units
    user = UserFactory(username="ada")
    east.name = "East China"
    east._history_user = user
    east.save()

    def shouting(field, value, labels):
        return "" if value is None else str(value).upper()

    newest = unit_versions(east, fields=fields("name"), show=shouting)[0]
    assert newest.who == user
    assert [(c.before, c.after) for c in newest.changes] == [("EAST", "EAST CHINA")]


def test_the_default_display_formats_decimals_and_dates():
    amount = SalesRecord._meta.get_field("amount")
    day = SalesRecord._meta.get_field("date")
    with translation.override("en"):
        assert history.display(amount, Decimal("1234.5"), {}) == "1,234.50"
        shown = history.display(day, datetime.date(2026, 3, 10), {})
        assert shown == formats.date_format(datetime.date(2026, 3, 10), "SHORT_DATE_FORMAT")
        assert history.display(day, None, {}) is None
