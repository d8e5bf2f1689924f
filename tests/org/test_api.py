"""The organisation API under /api/v1/: who sees and changes what, per persona."""

import datetime
import re

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from org import services
from org.models import FiscalYear, Membership, OrgUnit, Period
from tests.api_errors import error_of, field_errors
from tests.conftest import PASSWORD

ALL_UNITS = {"acme", "east", "south", "t-east-1", "t-east-2", "t-south-1"}
ALL_PEOPLE = {"sam", "tina", "eve", "oscar", "sue", "otto", "rita", "dora", "harry", "ada"}


@pytest.fixture
def calendar(db):
    """FY2025 and FY2026 (calendar years), each with 4 quarters and 12 months."""
    return [
        services.fiscal_year_create(start_year=2025, start_month=1),
        services.fiscal_year_create(start_year=2026, start_month=1),
    ]


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def codes(response):
    return {row["code"] for row in results(response)}


def usernames(response):
    return {row["username"] for row in results(response)}


# --- anonymous --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/me/"),
        ("get", "/api/v1/units/"),
        ("post", "/api/v1/units/"),
        ("get", "/api/v1/units/1/"),
        ("patch", "/api/v1/units/1/"),
        ("get", "/api/v1/people/"),
        ("get", "/api/v1/people/1/"),
        ("get", "/api/v1/memberships/"),
        ("post", "/api/v1/memberships/"),
        ("post", "/api/v1/memberships/1/end/"),
        ("get", "/api/v1/fiscal-years/"),
        ("post", "/api/v1/fiscal-years/"),
        ("get", "/api/v1/periods/"),
        ("post", "/api/v1/periods/1/transition/"),
    ],
)
def test_anonymous_gets_401_with_a_token_challenge(api_as, method, url):
    response = getattr(api_as("anonymous"), method)(url, {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


# --- me ---------------------------------------------------------------------------------------


def test_me_for_a_salesperson(api_as, org):
    response = api_as("salesperson").get("/api/v1/me/")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == org.salesperson.pk
    assert data["username"] == "sam"
    assert data["display_name"] == org.salesperson.display_name
    assert data["email"] == "sam@example.test"
    assert set(data) >= {"first_name", "last_name", "employee_no", "preferred_language"}
    assert data["roles"] == ["salesperson"]
    assert [(m["unit"]["code"], m["kind"]) for m in data["memberships"]] == [("t-east-1", "member")]
    membership = data["memberships"][0]
    assert membership["start_date"] == "2020-01-01"
    assert membership["end_date"] is None
    assert membership["unit"]["id"] == org.team.pk
    assert membership["unit"]["name"] == "East Team 1"
    assert data["led_units"] == []


def test_me_for_a_supervisor_lists_led_units(api_as, org):
    data = api_as("supervisor").get("/api/v1/me/").json()
    assert data["roles"] == ["salesperson", "supervisor"]
    assert sorted((m["unit"]["code"], m["kind"]) for m in data["memberships"]) == [
        ("t-east-1", "member"),
        ("t-east-1", "supervisor"),
    ]
    assert [u["code"] for u in data["led_units"]] == ["t-east-1"]
    assert api_as("regional").get("/api/v1/me/").json()["led_units"][0]["code"] == "east"


def test_me_leaves_out_ended_memberships(api_as, org):
    membership = Membership.objects.get(user=org.salesperson)
    services.membership_end(membership=membership, end_date=datetime.date(2021, 1, 31))
    assert api_as("salesperson").get("/api/v1/me/").json()["memberships"] == []


# --- units: reading -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("salesperson", {"t-east-1"}),
        ("teammate", {"t-east-1"}),
        ("other_salesperson", {"t-south-1"}),
        ("supervisor", {"t-east-1"}),
        ("other_supervisor", {"t-south-1"}),
        ("regional", {"east", "t-east-1", "t-east-2"}),
        ("department", ALL_UNITS),
        ("hr", ALL_UNITS),
    ],
)
def test_units_visible_per_persona(api_as, persona, expected):
    assert codes(api_as(persona).get("/api/v1/units/")) == expected


def test_unit_detail_fields_and_current_supervisors(api_as, org):
    response = api_as("department").get(f"/api/v1/units/{org.team.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert data == {
        "id": org.team.pk,
        "code": "t-east-1",
        "name": "East Team 1",
        "name_zh": "",
        "display_name": "East Team 1",
        "kind": "team",
        "parent": org.east.pk,
        "path": org.team.path,
        "depth": 2,
        "is_active": True,
        "supervisors": [
            {
                "id": org.supervisor.pk,
                "username": "sue",
                "display_name": org.supervisor.display_name,
            }
        ],
    }
    east = api_as("department").get(f"/api/v1/units/{org.east.pk}/").json()
    assert [s["username"] for s in east["supervisors"]] == ["rita"]
    acme = api_as("department").get(f"/api/v1/units/{org.company.pk}/").json()
    assert acme["supervisors"] == []


def test_ended_supervision_is_not_current(api_as, org):
    lead = Membership.objects.get(user=org.supervisor, kind=Membership.Kind.SUPERVISOR)
    services.membership_end(membership=lead, end_date=datetime.date(2021, 1, 1))
    data = api_as("department").get(f"/api/v1/units/{org.team.pk}/").json()
    assert data["supervisors"] == []


@pytest.mark.parametrize(
    ("persona", "unit", "status"),
    [
        ("salesperson", "team", 200),
        ("salesperson", "team2", 404),
        ("salesperson", "other_team", 404),
        ("salesperson", "east", 404),
        ("supervisor", "east", 404),
        ("other_supervisor", "team", 404),
        ("other_supervisor", "other_team", 200),
        ("regional", "team2", 200),
        ("hr", "company", 200),
    ],
)
def test_unit_detail_hidden_is_404(api_as, org, persona, unit, status):
    response = api_as(persona).get(f"/api/v1/units/{getattr(org, unit).pk}/")
    assert response.status_code == status


def test_unit_detail_missing_is_404(api_as):
    assert api_as("department").get("/api/v1/units/999999/").status_code == 404


def test_unit_filters(api_as, org):
    client = api_as("department")
    assert codes(client.get("/api/v1/units/", {"kind": "region"})) == {"east", "south"}
    assert codes(client.get("/api/v1/units/", {"parent": org.east.pk})) == {
        "t-east-1",
        "t-east-2",
    }
    assert codes(client.get("/api/v1/units/", {"code": "south"})) == {"south"}
    assert codes(client.get("/api/v1/units/", {"subtree_of": org.east.pk})) == {
        "east",
        "t-east-1",
        "t-east-2",
    }
    assert codes(client.get("/api/v1/units/", {"subtree_of": 999999})) == set()
    assert codes(client.get("/api/v1/units/", {"search": "east team"})) == {
        "t-east-1",
        "t-east-2",
    }
    assert codes(client.get("/api/v1/units/", {"search": "t-south"})) == {"t-south-1"}
    services.unit_update(unit=org.team2, is_active=False)
    assert codes(client.get("/api/v1/units/", {"is_active": "false"})) == {"t-east-2"}
    assert "t-east-2" not in codes(client.get("/api/v1/units/", {"is_active": "true"}))


def test_unit_filters_never_widen_visibility(api_as, org):
    client = api_as("supervisor")
    assert codes(client.get("/api/v1/units/", {"subtree_of": org.company.pk})) == {"t-east-1"}
    assert codes(client.get("/api/v1/units/", {"kind": "region"})) == set()


def test_units_are_ordered_by_tree_path(api_as):
    rows = results(api_as("department").get("/api/v1/units/"))
    assert [r["path"] for r in rows] == sorted(r["path"] for r in rows)
    assert rows[0]["code"] == "acme"


def test_unit_invalid_filter_value_is_400(api_as):
    response = api_as("department").get("/api/v1/units/", {"kind": "galaxy"})
    assert response.status_code == 400


# --- units: writing -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["department", "admin"])
def test_managers_create_units(api_as, org, persona):
    response = api_as(persona).post(
        "/api/v1/units/",
        {"code": "t-south-2", "name": "South Team 2", "kind": "team", "parent": org.south.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    unit = OrgUnit.objects.get(code="t-south-2")
    assert data["id"] == unit.pk
    assert data["parent"] == org.south.pk
    assert data["path"] == f"{org.south.path}{unit.pk}/"
    assert data["depth"] == 2
    assert data["supervisors"] == []
    assert unit.history.first().history_user == getattr(org, persona)


@pytest.mark.parametrize(
    "persona", ["salesperson", "teammate", "other_salesperson", "supervisor", "hr", "regional"]
)
def test_others_cannot_create_units(api_as, org, persona):
    response = api_as(persona).post(
        "/api/v1/units/", {"code": "x", "name": "X", "kind": "team"}, format="json"
    )
    assert response.status_code == 403
    assert not OrgUnit.objects.filter(code="x").exists()


def test_create_unit_duplicate_code_is_400_with_message(api_as):
    response = api_as("department").post(
        "/api/v1/units/", {"code": "east", "name": "Again", "kind": "region"}, format="json"
    )
    assert response.status_code == 400
    assert error_of(response) == {"detail": "The unit code east is already used."}


def test_create_unit_invalid_input_is_400(api_as):
    response = api_as("department").post(
        "/api/v1/units/",
        {"code": "not a slug", "name": "", "kind": "planet", "parent": 999999},
        format="json",
    )
    assert response.status_code == 400
    assert set(field_errors(response)) == {"code", "name", "kind", "parent"}


def test_department_patches_a_unit(api_as, org):
    response = api_as("department").patch(
        f"/api/v1/units/{org.team2.pk}/", {"name": "East Team Two"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "East Team Two"
    org.team2.refresh_from_db()
    assert org.team2.name == "East Team Two"
    assert org.team2.parent_id == org.east.pk  # untouched when not sent


def test_patch_moves_a_unit_with_its_subtree(api_as, org):
    response = api_as("department").patch(
        f"/api/v1/units/{org.east.pk}/", {"parent": org.south.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["depth"] == 2
    org.team.refresh_from_db()
    assert org.team.path == f"{org.south.path}{org.east.pk}/{org.team.pk}/"


def test_patch_into_own_subtree_is_400_with_message(api_as, org):
    response = api_as("department").patch(
        f"/api/v1/units/{org.east.pk}/", {"parent": org.team.pk}, format="json"
    )
    assert response.status_code == 400
    assert error_of(response) == {
        "detail": "East cannot be placed under itself or one of its own units."
    }


@pytest.mark.parametrize(
    ("persona", "unit", "status"),
    [
        ("hr", "team", 403),
        ("salesperson", "team", 403),
        ("salesperson", "other_team", 404),
        ("supervisor", "team", 403),
        ("supervisor", "east", 404),
        ("other_supervisor", "other_team", 403),
        ("regional", "east", 403),
    ],
)
def test_patch_unit_forbidden_or_hidden(api_as, org, persona, unit, status):
    target = getattr(org, unit)
    response = api_as(persona).patch(
        f"/api/v1/units/{target.pk}/", {"name": "Renamed"}, format="json"
    )
    assert response.status_code == status
    target.refresh_from_db()
    assert target.name != "Renamed"


def test_put_and_delete_are_not_offered(api_as, org):
    client = api_as("department")
    assert client.put(f"/api/v1/units/{org.team.pk}/", {}, format="json").status_code == 405
    assert client.delete(f"/api/v1/units/{org.team.pk}/").status_code == 405


# --- people -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("salesperson", {"sam"}),
        ("teammate", {"tina"}),
        ("other_salesperson", {"oscar"}),
        ("supervisor", {"sue", "sam", "tina"}),
        ("other_supervisor", {"otto", "oscar"}),
        ("regional", {"rita", "sam", "tina", "sue", "eve"}),
        ("department", ALL_PEOPLE),
        ("hr", ALL_PEOPLE),
    ],
)
def test_people_visible_per_persona(api_as, persona, expected):
    assert usernames(api_as(persona).get("/api/v1/people/")) == expected


@pytest.mark.parametrize(
    ("persona", "person", "status"),
    [
        ("salesperson", "salesperson", 200),
        ("salesperson", "teammate", 404),
        ("salesperson", "supervisor", 404),
        ("supervisor", "teammate", 200),
        ("supervisor", "east2_person", 404),
        ("other_supervisor", "salesperson", 404),
        ("regional", "east2_person", 200),
        ("hr", "other_salesperson", 200),
    ],
)
def test_person_detail_hidden_is_404(api_as, org, persona, person, status):
    response = api_as(persona).get(f"/api/v1/people/{getattr(org, person).pk}/")
    assert response.status_code == status


def test_person_detail_has_roles_and_current_memberships(api_as, org):
    data = api_as("department").get(f"/api/v1/people/{org.supervisor.pk}/").json()
    assert data["username"] == "sue"
    assert data["display_name"] == org.supervisor.display_name
    assert data["roles"] == ["salesperson", "supervisor"]
    assert sorted((m["unit"]["code"], m["kind"]) for m in data["current_memberships"]) == [
        ("t-east-1", "member"),
        ("t-east-1", "supervisor"),
    ]


def test_person_memberships_in_hidden_units_stay_hidden(api_as, org):
    # tina also leads the south team: sue sees tina, but not where else she leads.
    services.membership_create(
        user=org.teammate,
        unit=org.other_team,
        kind=Membership.Kind.SUPERVISOR,
        start_date=datetime.date(2020, 1, 1),
    )
    data = api_as("supervisor").get(f"/api/v1/people/{org.teammate.pk}/").json()
    assert [(m["unit"]["code"], m["kind"]) for m in data["current_memberships"]] == [
        ("t-east-1", "member")
    ]
    everything = api_as("department").get(f"/api/v1/people/{org.teammate.pk}/").json()
    assert len(everything["current_memberships"]) == 2


def test_people_filters(api_as, org):
    client = api_as("department")
    assert usernames(client.get("/api/v1/people/", {"role": "supervisor"})) == {
        "sue",
        "otto",
        "rita",
    }
    assert usernames(client.get("/api/v1/people/", {"unit": org.team.pk})) == {
        "sam",
        "tina",
        "sue",
    }
    # names come from Faker; e-mail addresses are username@example.test
    assert usernames(client.get("/api/v1/people/", {"search": "oscar@example"})) == {"oscar"}
    assert usernames(client.get("/api/v1/people/", {"search": "nobody@example"})) == set()
    assert usernames(client.get("/api/v1/people/", {"unit": org.east.pk})) == set()
    # filters never widen: sue asking for the south team's members gets nobody
    assert (
        usernames(api_as("supervisor").get("/api/v1/people/", {"unit": org.other_team.pk})) == set()
    )


def test_people_unit_filter_uses_current_memberships(api_as, org):
    membership = Membership.objects.get(user=org.teammate, kind=Membership.Kind.MEMBER)
    services.membership_end(membership=membership, end_date=datetime.date(2021, 1, 1))
    assert usernames(api_as("department").get("/api/v1/people/", {"unit": org.team.pk})) == {
        "sam",
        "sue",
    }


# --- memberships: reading ------------------------------------------------------------------------


def membership_rows(response):
    return {(r["user"]["username"], r["unit"]["code"], r["kind"]) for r in results(response)}


ALL_MEMBERSHIPS = {
    ("sam", "t-east-1", "member"),
    ("tina", "t-east-1", "member"),
    ("sue", "t-east-1", "member"),
    ("eve", "t-east-2", "member"),
    ("oscar", "t-south-1", "member"),
    ("sue", "t-east-1", "supervisor"),
    ("otto", "t-south-1", "supervisor"),
    ("rita", "east", "supervisor"),
}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("salesperson", {("sam", "t-east-1", "member")}),
        ("teammate", {("tina", "t-east-1", "member")}),
        ("other_salesperson", {("oscar", "t-south-1", "member")}),
        (
            "supervisor",
            {
                ("sam", "t-east-1", "member"),
                ("tina", "t-east-1", "member"),
                ("sue", "t-east-1", "member"),
                ("sue", "t-east-1", "supervisor"),
            },
        ),
        (
            "other_supervisor",
            {("oscar", "t-south-1", "member"), ("otto", "t-south-1", "supervisor")},
        ),
        ("department", ALL_MEMBERSHIPS),
        ("hr", ALL_MEMBERSHIPS),
    ],
)
def test_memberships_visible_per_persona(api_as, persona, expected):
    assert membership_rows(api_as(persona).get("/api/v1/memberships/")) == expected


@pytest.mark.parametrize(
    ("persona", "owner", "status"),
    [
        ("salesperson", "salesperson", 200),
        ("salesperson", "teammate", 404),
        ("supervisor", "teammate", 200),
        ("supervisor", "east2_person", 404),
        ("other_supervisor", "salesperson", 404),
        ("hr", "other_salesperson", 200),
    ],
)
def test_membership_detail_hidden_is_404(api_as, org, persona, owner, status):
    membership = Membership.objects.get(user=getattr(org, owner), kind="member")
    response = api_as(persona).get(f"/api/v1/memberships/{membership.pk}/")
    assert response.status_code == status


def test_membership_detail_fields(api_as, org):
    membership = Membership.objects.get(user=org.salesperson)
    data = api_as("salesperson").get(f"/api/v1/memberships/{membership.pk}/").json()
    assert data == {
        "id": membership.pk,
        "user": {
            "id": org.salesperson.pk,
            "username": "sam",
            "display_name": org.salesperson.display_name,
        },
        "unit": {
            "id": org.team.pk,
            "code": "t-east-1",
            "name": "East Team 1",
            "display_name": "East Team 1",
            "kind": "team",
        },
        "kind": "member",
        "start_date": "2020-01-01",
        "end_date": None,
        "is_current": True,
    }


def test_membership_filters(api_as, org):
    client = api_as("department")
    membership = Membership.objects.get(user=org.teammate, kind="member")
    services.membership_end(membership=membership, end_date=datetime.date(2020, 6, 30))
    by_user = client.get("/api/v1/memberships/", {"user": org.supervisor.pk})
    assert membership_rows(by_user) == {
        ("sue", "t-east-1", "member"),
        ("sue", "t-east-1", "supervisor"),
    }
    assert membership_rows(client.get("/api/v1/memberships/", {"unit": org.east.pk})) == {
        ("rita", "east", "supervisor")
    }
    assert len(results(client.get("/api/v1/memberships/", {"kind": "supervisor"}))) == 3
    spring = membership_rows(
        client.get("/api/v1/memberships/", {"unit": org.team.pk, "active_on": "2020-03-01"})
    )
    assert ("tina", "t-east-1", "member") in spring
    later = membership_rows(
        client.get("/api/v1/memberships/", {"unit": org.team.pk, "active_on": "2020-07-01"})
    )
    assert ("tina", "t-east-1", "member") not in later
    before = client.get("/api/v1/memberships/", {"active_on": "2019-12-31"})
    assert results(before) == []
    assert client.get("/api/v1/memberships/", {"active_on": "soon"}).status_code == 400


# --- memberships: writing ------------------------------------------------------------------------


def test_department_creates_a_membership(api_as, org):
    response = api_as("department").post(
        "/api/v1/memberships/",
        {
            "user": org.regional.pk,
            "unit": org.south.pk,
            "kind": "supervisor",
            "start_date": "2024-01-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["user"]["username"] == "rita"
    assert data["unit"]["code"] == "south"
    assert data["end_date"] is None
    membership = Membership.objects.get(pk=data["id"])
    assert membership.history.first().history_user == org.department


def test_overlapping_membership_is_400_with_message(api_as, org):
    # eve is in the second east team from 2020 on; one team at a time.
    response = api_as("department").post(
        "/api/v1/memberships/",
        {"user": org.east2_person.pk, "unit": org.team.pk, "start_date": "2024-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert error_of(response) == {
        "detail": "eve already has a member membership of t-east-2 from 2020-01-01 to "
        "open end that overlaps these dates."
    }
    assert Membership.objects.filter(user=org.east2_person).count() == 1


def test_membership_end_before_start_is_400(api_as, org):
    response = api_as("department").post(
        "/api/v1/memberships/",
        {
            "user": org.department.pk,
            "unit": org.team.pk,
            "start_date": "2024-01-01",
            "end_date": "2023-01-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert error_of(response) == {"detail": "The end date is before the start date."}


@pytest.mark.parametrize("persona", ["hr", "salesperson", "supervisor", "regional"])
def test_others_cannot_create_memberships(api_as, org, persona):
    response = api_as(persona).post(
        "/api/v1/memberships/",
        {"user": org.salesperson.pk, "unit": org.team.pk, "start_date": "2030-01-01"},
        format="json",
    )
    assert response.status_code == 403
    assert Membership.objects.count() == 8


def test_department_ends_a_membership(api_as, org):
    membership = Membership.objects.get(user=org.salesperson)
    response = api_as("department").post(
        f"/api/v1/memberships/{membership.pk}/end/", {"end_date": "2024-12-31"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["end_date"] == "2024-12-31"
    assert response.json()["is_current"] is False
    membership.refresh_from_db()
    assert membership.end_date == datetime.date(2024, 12, 31)


def test_ending_before_the_start_is_400_with_message(api_as, org):
    membership = Membership.objects.get(user=org.salesperson)
    response = api_as("department").post(
        f"/api/v1/memberships/{membership.pk}/end/", {"end_date": "2019-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert error_of(response) == {"detail": "The end date is before the start date."}


def test_ending_needs_a_date(api_as, org):
    membership = Membership.objects.get(user=org.salesperson)
    response = api_as("department").post(
        f"/api/v1/memberships/{membership.pk}/end/", {}, format="json"
    )
    assert response.status_code == 400
    assert "end_date" in field_errors(response)


@pytest.mark.parametrize(
    ("persona", "owner", "status"),
    [
        ("hr", "salesperson", 403),
        ("salesperson", "salesperson", 403),
        ("salesperson", "teammate", 404),
        ("supervisor", "teammate", 403),
        ("other_supervisor", "teammate", 404),
        ("missing", None, 404),
    ],
)
def test_end_membership_forbidden_or_hidden(api_as, org, persona, owner, status):
    if owner is None:
        persona, pk = "department", 999999
    else:
        pk = Membership.objects.get(user=getattr(org, owner), kind="member").pk
    response = api_as(persona).post(
        f"/api/v1/memberships/{pk}/end/", {"end_date": "2024-12-31"}, format="json"
    )
    assert response.status_code == status
    assert not Membership.objects.filter(end_date__isnull=False).exists()


# --- fiscal years -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["salesperson", "other_supervisor", "department", "hr", "regional"]
)
def test_every_signed_in_user_reads_fiscal_years(api_as, calendar, persona):
    client = api_as(persona)
    rows = results(client.get("/api/v1/fiscal-years/"))
    assert [r["name"] for r in rows] == ["FY2026", "FY2025"]
    detail = client.get(f"/api/v1/fiscal-years/{calendar[0].pk}/").json()
    assert detail == {
        "id": calendar[0].pk,
        "name": "FY2025",
        "start_date": "2025-01-01",
        "end_date": "2025-12-31",
        "start_month": 1,
    }


def test_fiscal_year_missing_is_404(api_as):
    assert api_as("salesperson").get("/api/v1/fiscal-years/999/").status_code == 404


def test_department_creates_a_fiscal_year(api_as, calendar):
    response = api_as("department").post(
        "/api/v1/fiscal-years/", {"start_year": 2027, "start_month": 4}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "FY2027-28"
    assert response.json()["start_date"] == "2027-04-01"
    assert Period.objects.filter(fiscal_year__name="FY2027-28").count() == 17


def test_fiscal_year_start_month_defaults_to_the_site_setting(api_as, settings, db, org):
    settings.FISCAL_YEAR_START_MONTH = 7
    response = api_as("department").post(
        "/api/v1/fiscal-years/", {"start_year": 2030}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["start_month"] == 7


def test_overlapping_fiscal_year_is_400_with_message(api_as, calendar):
    response = api_as("department").post(
        "/api/v1/fiscal-years/", {"start_year": 2024, "start_month": 7}, format="json"
    )
    assert response.status_code == 400
    assert error_of(response) == {
        "detail": "Fiscal year FY2025 already covers some of these months."
    }


def test_fiscal_year_invalid_input_is_400(api_as, org):
    response = api_as("department").post(
        "/api/v1/fiscal-years/", {"start_year": 2025, "start_month": 13}, format="json"
    )
    assert response.status_code == 400
    assert "start_month" in field_errors(response)


@pytest.mark.parametrize("persona", ["hr", "admin", "salesperson", "supervisor"])
def test_others_cannot_create_fiscal_years(api_as, org, persona):
    response = api_as(persona).post(
        "/api/v1/fiscal-years/", {"start_year": 2027, "start_month": 1}, format="json"
    )
    assert response.status_code == 403
    assert not FiscalYear.objects.exists()


# --- periods ----------------------------------------------------------------------------------


def test_periods_list_and_filters(api_as, calendar):
    client = api_as("salesperson")
    assert client.get("/api/v1/periods/", {"page_size": 100}).json()["count"] == 34
    fy = {"fiscal_year": calendar[0].pk}
    assert len(results(client.get("/api/v1/periods/", {**fy, "page_size": 100}))) == 17
    quarters = results(client.get("/api/v1/periods/", {**fy, "kind": "quarter"}))
    assert [q["label"] for q in quarters] == ["FY2025 Q1", "FY2025 Q2", "FY2025 Q3", "FY2025 Q4"]
    containing = results(client.get("/api/v1/periods/", {"contains": "2025-05-15"}))
    assert [(p["kind"], p["number"]) for p in containing] == [
        ("year", 1),
        ("quarter", 2),
        ("month", 5),
    ]
    assert all(p["fiscal_year_name"] == "FY2025" for p in containing)
    assert results(client.get("/api/v1/periods/", {"status": "closed"})) == []
    assert client.get("/api/v1/periods/", {"contains": "not-a-date"}).status_code == 400


def test_period_detail(api_as, calendar):
    period = Period.objects.get(fiscal_year=calendar[0], kind="month", number=2)
    data = api_as("hr").get(f"/api/v1/periods/{period.pk}/").json()
    assert data["start_date"] == "2025-02-01"
    assert data["end_date"] == "2025-02-28"
    assert data["status"] == "open"
    assert data["parent"] == period.parent_id
    assert api_as("hr").get("/api/v1/periods/999999/").status_code == 404


def transition(client, period, status, reason=None):
    body = {"status": status}
    if reason is not None:
        body["reason"] = reason
    return client.post(f"/api/v1/periods/{period.pk}/transition/", body, format="json")


@pytest.mark.parametrize(
    ("status", "reason"), [("closing", None), ("closed", None), ("open", "late invoice")]
)
def test_periods_move_only_through_the_close_the_api_says_where(api_as, calendar, status, reason):
    """The second door is shut: moving a period's status here would close it without
    its snapshot, appraisal figures and notices, or reopen it without a Reopening."""
    period = Period.objects.get(fiscal_year=calendar[0], kind="month", number=1)
    if status == "open":
        Period.objects.filter(pk=period.pk).update(status="closed")
    before = (Period.objects.get(pk=period.pk).status, period.history.count())
    response = transition(api_as("department"), period, status, reason)
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "/api/v1/period-closes/" in detail and "/api/v1/period-closes/reopen/" in detail
    assert "Nothing was changed" in detail
    assert (Period.objects.get(pk=period.pk).status, period.history.count()) == before


@pytest.mark.parametrize("persona", ["hr", "admin", "salesperson", "supervisor", "regional"])
def test_others_cannot_move_periods(api_as, calendar, persona):
    period = Period.objects.get(fiscal_year=calendar[0], kind="month", number=1)
    assert transition(api_as(persona), period, "closing").status_code == 403
    period.refresh_from_db()
    assert period.status == "open"


def test_transition_of_a_missing_period_is_404(api_as, calendar):
    response = api_as("department").post(
        "/api/v1/periods/999999/transition/", {"status": "closing"}, format="json"
    )
    assert response.status_code == 404


# --- token authentication ---------------------------------------------------------------------


def test_token_auth_for_an_erp(org):
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": "dora", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    key = response.json()["token"]
    assert Token.objects.get(user=org.department).key == key
    # the same token again
    again = client.post("/api/v1/auth/token/", {"username": "dora", "password": PASSWORD})
    assert again.json()["token"] == key

    erp = APIClient()
    erp.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert erp.get("/api/v1/me/").json()["username"] == "dora"
    assert codes(erp.get("/api/v1/units/")) == ALL_UNITS
    created = erp.post(
        "/api/v1/units/", {"code": "erp-made", "name": "ERP", "kind": "team"}, format="json"
    )
    assert created.status_code == 201  # token requests need no CSRF token


def test_token_keeps_the_persons_permissions(org):
    key = Token.objects.create(user=org.hr).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/units/").status_code == 200
    denied = client.post("/api/v1/units/", {"code": "x", "name": "X", "kind": "team"})
    assert denied.status_code == 403


def test_token_with_a_wrong_password_is_400(org):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "dora", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "token" not in response.json()


def test_token_endpoint_locks_out_after_repeated_failures(org, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = APIClient()
    statuses = [
        client.post(
            "/api/v1/auth/token/", {"username": "dora", "password": "bad"}, format="json"
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [400, 400, 429]
    locked = client.post(
        "/api/v1/auth/token/", {"username": "dora", "password": PASSWORD}, format="json"
    )
    assert locked.status_code == 429
    assert "token" not in locked.json()
    assert not Token.objects.filter(user=org.department).exists()


def test_an_unknown_token_is_401(org):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/me/").status_code == 401


# --- schema and docs --------------------------------------------------------------------------


def test_schema_renders_and_lists_the_endpoints(docs_client):
    response = docs_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/me/",
        "/api/v1/auth/token/",
        "/api/v1/units/",
        "/api/v1/units/{id}/",
        "/api/v1/people/",
        "/api/v1/people/{id}/",
        "/api/v1/memberships/",
        "/api/v1/memberships/{id}/",
        "/api/v1/memberships/{id}/end/",
        "/api/v1/fiscal-years/",
        "/api/v1/fiscal-years/{id}/",
        "/api/v1/periods/",
        "/api/v1/periods/{id}/",
        "/api/v1/periods/{id}/transition/",
    ]:
        assert path in paths, path
    assert set(paths["/api/v1/units/{id}/"]) == {"get", "patch"}
    unit_params = {p["name"] for p in paths["/api/v1/units/"]["get"]["parameters"]}
    assert unit_params >= {"kind", "parent", "code", "is_active", "subtree_of", "search", "page"}


def test_docs_use_only_local_assets(docs_client):
    response = docs_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar" in html
    assert not re.search(r"https?://", html)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    # Swagger UI's start-up script comes from the docs' own URL, not inline (CSP).
    local = [a for a in assets if a != "/api/docs/?script="]
    assert len(local) == len(assets) - 1, assets
    assert all(a.startswith("/static/") for a in local), assets
    assert "<script>" not in html
    script = docs_client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert not re.search(r"https?://", script.content.decode())


def test_schema_validates_without_warnings(tmp_path, db):
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/units/" in out.read_text()
