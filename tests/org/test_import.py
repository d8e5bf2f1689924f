"""The organisation import: parsing, whole-file validation, upsert, audit and the page."""

import datetime
import io

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from openpyxl import load_workbook

from org import imports
from org.models import Membership, OrgUnit, RoleAssignment, User
from tests.factories import MembershipFactory, UserFactory
from tests.files import csv_bytes, xlsx_bytes

UNIT_HEADER = ["code", "name", "name_zh", "kind", "parent_code"]
USER_HEADER = ["username", "first_name", "last_name", "email", "employee_no", "roles", "language"]
MEMBERSHIP_HEADER = ["username", "unit_code", "kind", "start_date", "end_date"]


# --- helpers ------------------------------------------------------------------------------


def snapshot():
    """Row counts of everything an import may write, audit trail included."""
    return {
        model.__name__: (model.objects.count(), model.history.count())
        for model in (User, OrgUnit, Membership, RoleAssignment)
    }


def run(data, *, kind=None, filename="org.csv", actor=None):
    return imports.import_organisation(data, filename=filename, kind=kind, acting_user=actor)


def _named(data, name="units.csv"):
    upload = io.BytesIO(data)
    upload.name = name
    return upload


def only_error(result, *, sheet, row, column):
    assert not result.ok
    found = [(e.sheet, e.row, e.column) for e in result.errors]
    assert (sheet, row, column) in found, result.errors
    return next(e for e in result.errors if (e.sheet, e.row, e.column) == (sheet, row, column))


# --- bad files: each names the row and the column, and writes nothing ---------------------------


BAD_FILES = {
    "unknown parent unit": (
        "units",
        [UNIT_HEADER, ["north", "North", "", "region", "acme"], ["t-n", "T", "", "team", "nope"]],
        3,
        "parent_code",
        "nope",
    ),
    "unknown unit of a membership": (
        "memberships",
        [MEMBERSHIP_HEADER, ["sam", "t-nowhere", "member", "2030-01-01", ""]],
        2,
        "unit_code",
        "t-nowhere",
    ),
    "unknown username": (
        "memberships",
        [MEMBERSHIP_HEADER, ["nobody", "t-east-2", "member", "2030-01-01", ""]],
        2,
        "username",
        "nobody",
    ),
    "duplicate username in the file": (
        "users",
        [USER_HEADER, ["newbie", "", "", "", "", "", ""], ["NEWBIE", "", "", "", "", "", ""]],
        3,
        "username",
        "row 2",
    ),
    "duplicate unit code in the file": (
        "units",
        [UNIT_HEADER, ["north", "North", "", "region", ""], ["north", "N2", "", "region", ""]],
        3,
        "code",
        "row 2",
    ),
    "duplicate employee number in the file": (
        "users",
        [USER_HEADER, ["a1", "", "", "", "E1", "", ""], ["a2", "", "", "", "E1", "", ""]],
        3,
        "employee_no",
        "E1",
    ),
    "malformed date": (
        "memberships",
        [MEMBERSHIP_HEADER, ["eve", "t-east-2", "supervisor", "31/01/2030", ""]],
        2,
        "start_date",
        "YYYY-MM-DD",
    ),
    "impossible date": (
        "memberships",
        [MEMBERSHIP_HEADER, ["eve", "t-east-2", "supervisor", "2030-02-30", ""]],
        2,
        "start_date",
        "2030-02-30",
    ),
    "end before start": (
        "memberships",
        [MEMBERSHIP_HEADER, ["eve", "t-east-2", "supervisor", "2030-02-01", "2030-01-31"]],
        2,
        "end_date",
        "before",
    ),
    "malformed email": (
        "users",
        [USER_HEADER, ["newbie", "", "", "newbie@", "", "", ""]],
        2,
        "email",
        "newbie@",
    ),
    "unknown role": (
        "users",
        [USER_HEADER, ["newbie", "", "", "", "", "salesperson; king", ""]],
        2,
        "roles",
        "king",
    ),
    "unknown unit kind": (
        "units",
        [UNIT_HEADER, ["north", "North", "", "galaxy", "acme"]],
        2,
        "kind",
        "galaxy",
    ),
    "unknown membership kind": (
        "memberships",
        [MEMBERSHIP_HEADER, ["eve", "t-east-2", "boss", "2030-01-01", ""]],
        2,
        "kind",
        "boss",
    ),
    "unknown language": (
        "users",
        [USER_HEADER, ["newbie", "", "", "", "", "", "fr"]],
        2,
        "language",
        "fr",
    ),
    "invalid unit code": (
        "units",
        [UNIT_HEADER, ["north pole", "North", "", "region", ""]],
        2,
        "code",
        "north pole",
    ),
    "member twice at once within the file": (
        "memberships",
        [
            MEMBERSHIP_HEADER,
            ["tina", "t-east-2", "member", "2019-01-01", "2019-06-30"],
            ["tina", "t-south-1", "member", "2019-06-01", "2019-12-31"],
        ],
        3,
        "start_date",
        "row 2",
    ),
    "member twice at once with the database": (
        "memberships",
        # sam is a member of t-east-1 since 2020-01-01, open-ended.
        [MEMBERSHIP_HEADER, ["sam", "t-east-2", "member", "2024-01-01", ""]],
        2,
        "start_date",
        "t-east-1",
    ),
    "supervisor of the same unit twice at once": (
        "memberships",
        # otto leads t-south-1 since 2020-01-01, open-ended.
        [MEMBERSHIP_HEADER, ["otto", "t-south-1", "supervisor", "2025-01-01", "2025-12-31"]],
        2,
        "start_date",
        "otto",
    ),
    "same membership twice": (
        "memberships",
        [
            MEMBERSHIP_HEADER,
            ["eve", "t-east-2", "supervisor", "2030-01-01", ""],
            ["eve", "t-east-2", "supervisor", "2030-01-01", "2030-12-31"],
        ],
        3,
        "start_date",
        "row 2",
    ),
    "unit placed under its own team": (
        "units",
        [UNIT_HEADER, ["east", "East", "", "region", "t-east-1"]],
        2,
        "parent_code",
        "east → t-east-1 → east",
    ),
    "loop within the file": (
        "units",
        [UNIT_HEADER, ["x1", "X1", "", "region", "x2"], ["x2", "X2", "", "branch", "x1"]],
        2,
        "parent_code",
        "x1 → x2 → x1",
    ),
    "unit its own parent": (
        "units",
        [UNIT_HEADER, ["x1", "X1", "", "region", "x1"]],
        2,
        "parent_code",
        "x1",
    ),
    "unknown column": (
        "users",
        [["username", "email", "salary", "Shoe Size"], ["newbie", "", "1", "44"]],
        1,
        "salary, shoe_size",
        "salary",
    ),
    "required column missing": (
        "units",
        [["code", "name"], ["north", "North"]],
        1,
        "kind",
        "kind",
    ),
    "value outside the header": (
        "users",
        [["username", "email"], ["newbie", "n@example.test", "stray"]],
        2,
        "C",
        "C",
    ),
    "empty required cell": (
        "units",
        [UNIT_HEADER, ["north", "", "", "region", ""]],
        2,
        "name",
        "empty",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
def test_bad_csv_names_row_and_column_and_writes_nothing(org, case):
    kind, rows, row, column, words = BAD_FILES[case]
    before = snapshot()

    result = run(csv_bytes(rows), kind=kind, actor=org.department)

    error = only_error(result, sheet=kind, row=row, column=column)
    assert words.lower() in error.message.lower()
    assert snapshot() == before


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
def test_bad_xlsx_names_row_and_column_and_writes_nothing(org, case):
    kind, rows, row, column, _words = BAD_FILES[case]
    before = snapshot()

    result = run(xlsx_bytes({kind.capitalize(): rows}), filename="org.xlsx", actor=org.department)

    only_error(result, sheet=kind.capitalize(), row=row, column=column)
    assert snapshot() == before


def test_an_error_in_the_last_sheet_stops_the_first_ones(org):
    before = snapshot()
    data = xlsx_bytes(
        {
            "units": [UNIT_HEADER, ["north", "North", "", "region", "acme"]],
            "users": [USER_HEADER, ["newbie", "New", "Bie", "", "", "salesperson", ""]],
            "memberships": [
                MEMBERSHIP_HEADER,
                ["newbie", "north", "member", datetime.date(2030, 1, 1), None],
                ["newbie", "north", "member", "2030-13-01", None],
            ],
        }
    )

    result = run(data, filename="org.xlsx", actor=org.department)

    only_error(result, sheet="memberships", row=3, column="start_date")
    assert snapshot() == before


def test_every_problem_is_reported_not_just_the_first(org):
    rows = [
        USER_HEADER,
        ["ok-one", "", "", "", "", "", ""],
        ["", "", "", "", "", "", ""],  # blank rows are skipped, not errors
        ["bad one", "", "", "x@", "", "wizard", "xx"],
    ]
    result = run(csv_bytes(rows), kind="users", actor=org.department)
    assert {(e.row, e.column) for e in result.errors} == {
        (4, "username"),
        (4, "email"),
        (4, "roles"),
        (4, "language"),
    }


def test_employee_number_of_someone_else_is_refused(org):
    UserFactory(username="holder", employee_no="E-7")
    before = snapshot()
    rows = [["username", "employee_no"], ["sam", "E-7"]]

    result = run(csv_bytes(rows), kind="users", actor=org.department)

    error = only_error(result, sheet="users", row=2, column="employee_no")
    assert "holder" in error.message
    assert snapshot() == before


def test_two_people_may_swap_employee_numbers(org):
    User.objects.filter(pk=org.salesperson.pk).update(employee_no="E-1")
    User.objects.filter(pk=org.teammate.pk).update(employee_no="E-2")
    rows = [["username", "employee_no"], ["sam", "E-2"], ["tina", "E-1"]]

    result = run(csv_bytes(rows), kind="users", actor=org.department)

    assert result.ok, result.errors
    assert User.objects.get(username="sam").employee_no == "E-2"
    assert User.objects.get(username="tina").employee_no == "E-1"


def test_file_level_problems(org, settings):
    before = snapshot()
    no_kind = run(csv_bytes([USER_HEADER]), kind=None, actor=org.department)
    assert "CSV" in no_kind.errors[0].message
    not_utf8 = run("username\r\nJosé\r\n".encode("latin-1"), kind="users", actor=org.department)
    assert "UTF-8" in not_utf8.errors[0].message
    empty = run(b"", kind="users", actor=org.department)
    assert not empty.ok
    broken = run(b"PK\x03\x04garbage", filename="x.xlsx", actor=org.department)
    assert "XLSX" in broken.errors[0].message
    settings.ORG_IMPORT_MAX_BYTES = 10
    too_big = run(csv_bytes([USER_HEADER]), kind="users", actor=org.department)
    assert "larger" in too_big.errors[0].message
    assert snapshot() == before


def test_workbook_without_known_sheets(org):
    data = xlsx_bytes({"Sheet1": [USER_HEADER], "Sheet2": [USER_HEADER]})
    result = run(data, filename="x.xlsx", kind="users", actor=org.department)
    assert "units, users or memberships" in result.errors[0].message

    single = xlsx_bytes({"Staff": [["username"], ["newbie"]]})
    assert not run(single, filename="x.xlsx", actor=org.department).ok
    assert run(single, filename="x.xlsx", kind="users", actor=org.department).ok
    assert User.objects.filter(username="newbie").exists()


# --- a good file ----------------------------------------------------------------------------------


def good_workbook():
    return xlsx_bytes(
        {
            "Units": [
                # The team comes before its region: a parent may be defined later.
                ["Code", "Name", "Name_ZH", "Kind", "Parent_Code"],
                ["t-north-1", "North Team 1", "北区一队", "team", "north"],
                ["north", "North", "北区", "Region", "acme"],
            ],
            "USERS": [
                USER_HEADER,
                ["nina", "Nina", "Wang", "Nina@Example.test", "N-1", "salesperson", "zh-hans"],
                ["ned", "Ned", "Li", "", 1002, "supervisor, salesperson", ""],
            ],
            "memberships": [
                MEMBERSHIP_HEADER,
                ["nina", "t-north-1", "member", datetime.date(2025, 1, 1), None],
                ["ned", "t-north-1", "supervisor", datetime.datetime(2025, 1, 1), "2025-12-31"],
                ["ned", "t-north-1", "", "2025-01-01", None],
                # sam leaves his team: a new row for another team after his current one ends.
                ["sam", "t-east-1", "member", "2020-01-01", "2024-12-31"],
                ["sam", "t-north-1", "member", "2025-01-01", None],
            ],
        }
    )


def test_good_workbook_creates_everything(org):
    before = snapshot()

    result = run(good_workbook(), filename="org.xlsx", actor=org.department)

    assert result.ok, result.errors
    assert result.counts == {
        "units": {"created": 2, "updated": 0, "unchanged": 0},
        "users": {"created": 2, "updated": 0, "unchanged": 0},
        "memberships": {"created": 4, "updated": 1, "unchanged": 0},
    }
    north = OrgUnit.objects.get(code="north")
    team = OrgUnit.objects.get(code="t-north-1")
    assert (north.parent, north.kind, north.name_zh) == (org.company, "region", "北区")
    assert north.path == f"{org.company.path}{north.pk}/" and north.depth == 1
    assert team.parent == north
    assert team.path == f"{north.path}{team.pk}/" and team.depth == 2

    nina = User.objects.get(username="nina")
    assert (nina.first_name, nina.last_name, nina.email) == ("Nina", "Wang", "Nina@example.test")
    assert (nina.employee_no, nina.preferred_language) == ("N-1", "zh-hans")
    assert not nina.has_usable_password()
    assert nina.role_set == {"salesperson"}
    ned = User.objects.get(username="ned")
    assert ned.employee_no == "1002"
    assert ned.role_set == {"salesperson", "supervisor"}
    assert not ned.is_staff

    assert set(
        Membership.objects.filter(unit=team).values_list("user__username", "kind", "end_date")
    ) == {
        ("nina", "member", None),
        ("ned", "supervisor", datetime.date(2025, 12, 31)),
        ("ned", "member", None),
        ("sam", "member", None),
    }
    sam_old = Membership.objects.get(user=org.salesperson, unit=org.team, kind="member")
    assert sam_old.end_date == datetime.date(2024, 12, 31)

    after = snapshot()
    assert after["OrgUnit"][0] == before["OrgUnit"][0] + 2
    assert after["Membership"][0] == before["Membership"][0] + 4
    for model in (User, OrgUnit, Membership, RoleAssignment):
        new_history = model.history.order_by("-history_id")
        written = after[model.__name__][1] - before[model.__name__][1]
        assert written > 0
        for record in new_history[:written]:
            assert record.history_user == org.department
            assert record.history_change_reason == "import: org.xlsx"
    assert sam_old.history.first().history_type == "~"


def test_reimport_changes_nothing(org):
    assert run(good_workbook(), filename="org.xlsx", actor=org.department).ok
    before = snapshot()

    result = run(good_workbook(), filename="org.xlsx", actor=org.department)

    assert result.ok, result.errors
    assert result.counts == {
        "units": {"created": 0, "updated": 0, "unchanged": 2},
        "users": {"created": 0, "updated": 0, "unchanged": 2},
        "memberships": {"created": 0, "updated": 0, "unchanged": 5},
    }
    assert snapshot() == before


def test_reimport_updates_instead_of_duplicating(org):
    assert run(good_workbook(), filename="org.xlsx", actor=org.department).ok
    before = snapshot()
    units = [UNIT_HEADER, ["north", "North Region", "北部", "region", "acme"]]
    users = [
        ["username", "email", "employee_no", "roles", "language"],
        ["Nina", "nina@new.test", "", "salesperson;supervisor", "en"],
    ]
    memberships = [MEMBERSHIP_HEADER, ["nina", "t-north-1", "member", "2025-01-01", "2025-06-30"]]

    assert run(csv_bytes(units), kind="units", filename="u.csv", actor=org.department).ok
    assert run(csv_bytes(users), kind="users", filename="p.csv", actor=org.department).ok
    result = run(csv_bytes(memberships), kind="memberships", filename="m.csv", actor=org.admin)

    assert result.ok, result.errors
    assert result.counts["memberships"] == {"created": 0, "updated": 1, "unchanged": 0}
    after = snapshot()
    for name in ("User", "OrgUnit", "Membership"):
        assert after[name][0] == before[name][0]
    north = OrgUnit.objects.get(code="north")
    assert (north.name, north.name_zh) == ("North Region", "北部")
    nina = User.objects.get(username="nina")
    assert (nina.first_name, nina.email, nina.employee_no) == ("Nina", "nina@new.test", None)
    assert nina.preferred_language == "en"
    assert nina.role_set == {"salesperson", "supervisor"}
    membership = Membership.objects.get(user=nina)
    assert membership.end_date == datetime.date(2025, 6, 30)
    latest = membership.history.first()
    assert (latest.history_user, latest.history_change_reason) == (org.admin, "import: m.csv")


def test_roles_removed_are_audited(org):
    rows = [["username", "roles"], ["sam", "supervisor"]]

    result = run(csv_bytes(rows), kind="users", filename="roles.csv", actor=org.department)

    assert result.ok, result.errors
    assert User.objects.get(pk=org.salesperson.pk).role_set == {"supervisor"}
    removed = RoleAssignment.history.filter(user_id=org.salesperson.pk, history_type="-").get()
    assert removed.role == "salesperson"
    assert (removed.history_user, removed.history_change_reason) == (
        org.department,
        "import: roles.csv",
    )


def test_only_an_administrator_grants_the_administrator_role(org):
    rows = [["username", "roles"], ["newbie", "admin"], ["ada", ""]]
    before = snapshot()

    refused = run(csv_bytes(rows), kind="users", actor=org.department)

    assert [(e.row, e.column) for e in refused.errors] == [(2, "roles"), (3, "roles")]
    assert snapshot() == before
    granted = run(csv_bytes(rows[:2]), kind="users", actor=org.admin)
    assert granted.ok, granted.errors
    newbie = User.objects.get(username="newbie")
    assert newbie.is_staff and newbie.is_superuser and newbie.role_set == {"admin"}


def test_moving_a_unit_moves_its_subtree(org):
    rows = [["code", "name", "kind", "parent_code"], ["east", "East", "region", "south"]]

    result = run(csv_bytes(rows), kind="units", filename="move.csv", actor=org.department)

    assert result.ok, result.errors
    assert result.counts["units"] == {"created": 0, "updated": 1, "unchanged": 0}
    south = OrgUnit.objects.get(code="south")
    east = OrgUnit.objects.get(code="east")
    assert east.parent == south
    assert east.path == f"{south.path}{east.pk}/" and east.depth == 2
    for code in ("t-east-1", "t-east-2"):
        team = OrgUnit.objects.get(code=code)
        assert team.path == f"{east.path}{team.pk}/" and team.depth == 3
    assert OrgUnit.objects.get(code="t-south-1").path == f"{south.path}{org.other_team.pk}/"
    record = east.history.first()
    assert (record.history_type, record.history_user) == ("~", org.department)
    assert record.history_change_reason == "import: move.csv"
    assert record.path == east.path


def test_moving_a_unit_under_a_new_unit_and_to_the_top(org):
    rows = [
        UNIT_HEADER,
        ["east", "East", "", "region", "holding"],
        ["holding", "Holding", "", "company", ""],
        ["south", "South", "", "company", ""],
    ]

    result = run(csv_bytes(rows), kind="units", actor=org.department)

    assert result.ok, result.errors
    holding = OrgUnit.objects.get(code="holding")
    assert holding.path == f"/{holding.pk}/"
    east = OrgUnit.objects.get(code="east")
    assert east.path == f"/{holding.pk}/{east.pk}/"
    team = OrgUnit.objects.get(code="t-east-1")
    assert team.path == f"{east.path}{team.pk}/" and team.depth == 2
    south = OrgUnit.objects.get(code="south")
    assert (south.parent, south.path, south.depth) == (None, f"/{south.pk}/", 0)
    assert OrgUnit.objects.get(code="t-south-1").path == f"{south.path}{org.other_team.pk}/"


def test_csv_with_bom_semicolons_and_any_header_case(org):
    rows = [["USERNAME", "First Name", "Email"], ["newbie", "New", "new@example.test"]]

    result = run(csv_bytes(rows, bom=True, delimiter=";"), kind="users", actor=org.department)

    assert result.ok, result.errors
    assert User.objects.get(username="newbie").first_name == "New"


def test_supervisor_may_lead_several_units_at_once(org):
    rows = [MEMBERSHIP_HEADER, ["otto", "t-east-2", "supervisor", "2025-01-01", ""]]
    result = run(csv_bytes(rows), kind="memberships", actor=org.department)
    assert result.ok, result.errors


def test_an_overlap_already_in_the_database_is_not_blamed_on_the_file(org):
    MembershipFactory(user=org.east2_person, unit=org.team, start_date=datetime.date(2021, 1, 1))
    rows = [MEMBERSHIP_HEADER, ["eve", "t-south-1", "supervisor", "2025-01-01", ""]]
    assert run(csv_bytes(rows), kind="memberships", actor=org.department).ok


def test_500_users_in_a_bounded_number_of_queries(org, django_assert_max_num_queries):
    rows = [USER_HEADER] + [
        [f"bulk{n}", f"First{n}", f"Last{n}", f"bulk{n}@example.test", f"B{n}", "salesperson", "en"]
        for n in range(500)
    ]
    data = csv_bytes(rows)

    with django_assert_max_num_queries(40):
        result = run(data, kind="users", actor=org.department)

    assert result.ok, result.errors
    assert User.objects.filter(username__startswith="bulk").count() == 500
    assert RoleAssignment.objects.filter(user__username__startswith="bulk").count() == 500
    assert User.history.filter(history_change_reason="import: org.csv").count() == 500

    updated = [USER_HEADER] + [[*row[:1], "Changed", *row[2:]] for row in rows[1:]]
    with django_assert_max_num_queries(40):
        result = run(csv_bytes(updated), kind="users", actor=org.department)
    assert result.counts["users"] == {"created": 0, "updated": 500, "unchanged": 0}


# --- the page -------------------------------------------------------------------------------------


@pytest.fixture
def page(db):
    """The page tests need the routes and base.html that the lead wires in."""
    reverse("org-import")


@pytest.mark.parametrize(
    "persona",
    ["salesperson", "teammate", "other_salesperson", "supervisor", "other_supervisor", "hr"],
)
def test_page_forbidden_to_others(page, client_as, persona):
    client = client_as(persona)
    assert client.get(reverse("org-import")).status_code == 403
    assert client.post(reverse("org-import")).status_code == 403
    assert client.get(reverse("org-import-template", args=["users"])).status_code == 403
    assert client.get(reverse("org-import-template-xlsx")).status_code == 403


def test_page_sends_anonymous_to_login(page, client_as):
    for url in (
        reverse("org-import"),
        reverse("org-import-template", args=["users"]),
        reverse("org-import-template-xlsx"),
    ):
        response = client_as("anonymous").get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["department", "admin"])
def test_page_shows_form(page, client_as, persona):
    response = client_as(persona).get(reverse("org-import"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert "parent_code" in html and "employee_no" in html and "start_date" in html
    assert reverse("org-import-template", args=["units"]) in html
    assert reverse("org-import-template-xlsx") in html


def test_page_import_success_redirects_with_summary(page, client_as):
    data = csv_bytes([UNIT_HEADER, ["north", "North", "", "region", "acme"]])
    upload = io.BytesIO(data)
    upload.name = "units.csv"

    response = client_as("department").post(
        reverse("org-import"), {"file": upload, "kind": "units"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("org-import")
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "units.csv" in text and "1 created" in text
    client = client_as("department")
    response = client.post(
        reverse("org-import"),
        {
            "file": _named(csv_bytes([UNIT_HEADER, ["west", "West", "", "region", ""]])),
            "kind": "units",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "1 created" in response.content.decode()
    record = OrgUnit.objects.get(code="north").history.get()
    assert record.history_change_reason == "import: units.csv"
    assert record.history_user.username == "dora"


def test_page_import_errors_are_listed_and_nothing_written(page, client_as):
    before = snapshot()
    data = xlsx_bytes({"units": [UNIT_HEADER, ["north", "North", "", "region", "nowhere"]]})
    upload = io.BytesIO(data)
    upload.name = "org.xlsx"

    response = client_as("department").post(reverse("org-import"), {"file": upload})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="import-errors"' in html
    assert "Nothing was written" in html
    assert "nowhere" in html
    errors = response.context["errors"]
    assert [(e.sheet, e.row, e.column) for e in errors] == [("units", 2, "parent_code")]
    assert snapshot() == before


def test_page_refuses_a_file_too_large(page, client_as, settings):
    settings.ORG_IMPORT_MAX_BYTES = 20
    upload = io.BytesIO(csv_bytes([USER_HEADER]))
    upload.name = "users.csv"
    response = client_as("department").post(
        reverse("org-import"), {"file": upload, "kind": "users"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_csv_template(page, client_as):
    response = client_as("department").get(reverse("org-import-template", args=["memberships"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "memberships.csv" in response["Content-Disposition"]
    assert response.content.decode().strip() == ",".join(MEMBERSHIP_HEADER)
    missing = client_as("department").get(reverse("org-import-template", args=["pets"]))
    assert missing.status_code == 404


def test_xlsx_template_round_trips(page, client_as, org):
    response = client_as("department").get(reverse("org-import-template-xlsx"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["units", "users", "memberships"]
    assert [c.value for c in workbook["users"][1]] == USER_HEADER
    # The empty template is itself a valid (empty) import.
    result = run(response.content, filename="template.xlsx", actor=org.department)
    assert result.ok and result.counts["units"] == {"created": 0, "updated": 0, "unchanged": 0}


# --- pure helpers ---------------------------------------------------------------------------------


def test_parse_date_cell():
    from core.imports import parse_date_cell

    assert parse_date_cell(None) is None
    assert parse_date_cell("  ") is None
    assert parse_date_cell("2025-01-31") == datetime.date(2025, 1, 31)
    assert parse_date_cell(datetime.datetime(2025, 1, 31)) == datetime.date(2025, 1, 31)
    assert parse_date_cell(datetime.date(2025, 1, 31)) == datetime.date(2025, 1, 31)
    for bad in (
        "31/01/2025",
        "2025-1-31",
        "2025-02-30",
        "\uff12\uff10\uff12\uff15-01-31",
        45000,
        1.5,
    ):
        with pytest.raises(ValueError):
            parse_date_cell(bad)
    with pytest.raises(ValueError):
        parse_date_cell(datetime.datetime(2025, 1, 31, 9, 30))


def test_parent_cycles_and_cells():
    from core.imports import cell_text, normalise_header
    from core.text import is_slug
    from org.domain import parent_cycles

    assert parent_cycles({"a": None, "b": "a", "c": "b"}) == {}
    assert parent_cycles({"a": "b", "b": "a", "c": "a"}) == {"a": ["a", "b"], "b": ["b", "a"]}
    assert parent_cycles({"a": "a"}) == {"a": ["a"]}
    assert parent_cycles({"a": "outside"}) == {}
    assert (cell_text(1001.0), cell_text(7), cell_text(" x "), cell_text(None)) == (
        "1001",
        "7",
        "x",
        "",
    )
    assert normalise_header(" First  Name ") == "first_name"
    assert is_slug("t-east_1") and not is_slug("t east") and not is_slug("")


def test_change_reason_fits_the_audit_trail():
    assert imports.change_reason("C:\\Users\\dora\\org.xlsx") == "import: org.xlsx"
    assert len(imports.change_reason("x" * 300 + ".csv")) == 100
