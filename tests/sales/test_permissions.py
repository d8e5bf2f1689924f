"""Who sees and changes which sales records, customers and follow-ups, per persona:
a salesperson their own, a supervisor their subtree, the department everything,
HR nothing. Hidden objects answer 404."""

import datetime
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from sales.records import permissions, services
from tests.sales.helpers import customer, make_year, sale

DAY = datetime.date(2026, 3, 10)


@pytest.fixture
def world(org):
    """One customer, record and follow-up per salesperson, and a sale shared by sam
    (east team 1) and oscar (south)."""
    make_year()
    found = {}
    for key in ("salesperson", "teammate", "east2_person", "other_salesperson"):
        person = getattr(org, key)
        cust = customer(person, name=f"{key} customer")
        found[f"{key}_customer"] = cust
        found[f"{key}_record"] = sale(DAY, cust, "100", [(person, 100)])
        found[f"{key}_followup"] = services.followup_save(
            customer=cust, salesperson=person, kind="call", happened_on=DAY
        )
    found["shared_record"] = sale(
        DAY,
        found["salesperson_customer"],
        "10",
        [(org.salesperson, D(50)), (org.other_salesperson, D(50))],
    )
    return found


def names(queryset, world, kind):
    ids = set(queryset.values_list("pk", flat=True))
    return {
        k.removesuffix(f"_{kind}") for k, v in world.items() if k.endswith(kind) and v.pk in ids
    }


ALL = {"salesperson", "teammate", "east2_person", "other_salesperson"}

VISIBLE = {
    # persona: (records, customers & follow-ups)
    "salesperson": ({"salesperson", "shared"}, {"salesperson"}),
    "teammate": ({"teammate"}, {"teammate"}),
    "other_salesperson": ({"other_salesperson", "shared"}, {"other_salesperson"}),
    "supervisor": ({"salesperson", "teammate", "shared"}, {"salesperson", "teammate"}),
    "regional": (
        {"salesperson", "teammate", "east2_person", "shared"},
        {"salesperson", "teammate", "east2_person"},
    ),
    "other_supervisor": ({"other_salesperson", "shared"}, {"other_salesperson"}),
    "department": (ALL | {"shared"}, ALL),
    "hr": (set(), set()),
}


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_each_persona_sees_exactly_its_records_customers_and_follow_ups(org, world, persona):
    user = getattr(org, persona)
    records, people = VISIBLE[persona]
    assert names(permissions.visible_records(user), world, "record") == records
    assert names(permissions.visible_customers(user), world, "customer") == people
    assert names(permissions.visible_followups(user), world, "followup") == people


def test_anonymous_sees_nothing(world):
    anonymous = AnonymousUser()
    assert not permissions.visible_records(anonymous).exists()
    assert not permissions.visible_customers(anonymous).exists()
    assert not permissions.visible_followups(anonymous).exists()


@pytest.mark.parametrize(
    ("persona", "key", "visible"),
    [
        ("salesperson", "salesperson", True),
        ("salesperson", "teammate", False),
        ("supervisor", "teammate", True),
        ("supervisor", "east2_person", False),
        ("other_supervisor", "salesperson", False),
        ("hr", "salesperson", False),
        ("department", "other_salesperson", True),
    ],
)
def test_a_hidden_object_answers_404_and_a_visible_one_is_returned(
    org, world, persona, key, visible
):
    user = getattr(org, persona)
    helpers = [
        (permissions.record_for_user, world[f"{key}_record"]),
        (permissions.customer_for_user, world[f"{key}_customer"]),
        (permissions.followup_for_user, world[f"{key}_followup"]),
    ]
    for helper, obj in helpers:
        if visible:
            assert helper(user, obj.pk) == obj
        else:
            with pytest.raises(Http404):
                helper(user, obj.pk)


def test_a_malformed_id_answers_404(org, world):
    with pytest.raises(Http404):
        permissions.record_for_user(org.department, "abc")


@pytest.mark.parametrize(
    ("persona", "credited", "allowed"),
    [
        ("salesperson", ["salesperson"], True),
        ("salesperson", ["salesperson", "teammate"], True),  # a teammate
        ("salesperson", ["teammate"], False),  # not holding a credit
        ("salesperson", ["salesperson", "other_salesperson"], False),  # another region
        ("supervisor", ["teammate"], True),
        ("supervisor", ["east2_person"], False),
        ("regional", ["east2_person", "teammate"], True),
        ("department", ["other_salesperson"], True),
        ("hr", ["hr"], False),
        ("salesperson", [], False),
    ],
)
def test_who_may_enter_a_record_for_whom(org, persona, credited, allowed):
    user = getattr(org, persona)
    people = [getattr(org, p) for p in credited]
    assert permissions.can_enter_record(user, people) is allowed


def test_changing_a_record_customer_or_follow_up(org, world):
    record, cust, followup = (
        world["salesperson_record"],
        world["salesperson_customer"],
        world["salesperson_followup"],
    )
    assert permissions.can_change_record(org.salesperson, record)
    assert permissions.can_change_record(org.supervisor, record)
    assert permissions.can_change_record(org.department, record)
    assert not permissions.can_change_record(org.teammate, record)
    assert not permissions.can_change_record(org.hr, record)
    assert permissions.can_change_customer(org.salesperson, cust)
    assert permissions.can_change_customer(org.supervisor, cust)
    assert not permissions.can_change_customer(org.teammate, cust)
    assert not permissions.can_change_customer(org.other_supervisor, cust)
    assert permissions.can_change_followup(org.salesperson, followup)
    assert permissions.can_change_followup(org.department, followup)
    assert not permissions.can_change_followup(org.supervisor, followup)
