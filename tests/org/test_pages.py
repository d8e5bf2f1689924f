"""Every organisation page, for every persona: 200, 403 (visible but forbidden),
404 (hidden) or a redirect to sign in."""

import datetime

import pytest
from django.urls import reverse

from org import services
from org.models import Membership, Period
from tests.conftest import PERSONAS, by_persona

LOGIN = "login"


def expect(response, status):
    if status == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == status, response.content[:500]


ALL_OK = dict.fromkeys(PERSONAS, 200) | {"anonymous": LOGIN}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", ["home", "org-tree", "people-list", "periods", "password_change"])
def test_pages_every_signed_in_person_can_open(client_as, persona, name):
    expect(client_as(persona).get(reverse(name)), ALL_OK[persona])


OWN_TEAM = by_persona(200, other_salesperson=404, other_supervisor=404, anonymous=LOGIN)


@pytest.mark.parametrize("persona", PERSONAS)
def test_team_page(client_as, org, persona):
    expect(client_as(persona).get(reverse("unit-detail", args=[org.team.pk])), OWN_TEAM[persona])


SAMS_PROFILE = OWN_TEAM | {"teammate": 404}


@pytest.mark.parametrize("persona", PERSONAS)
def test_person_page(client_as, org, persona):
    response = client_as(persona).get(reverse("person-detail", args=[org.salesperson.pk]))
    expect(response, SAMS_PROFILE[persona])


def test_a_missing_unit_and_a_hidden_unit_look_the_same(client_as, org):
    client = client_as("salesperson")
    hidden = client.get(reverse("unit-detail", args=[org.other_team.pk]))
    missing = client.get(reverse("unit-detail", args=[999999]))
    assert hidden.status_code == missing.status_code == 404


def test_a_salesperson_sees_only_themselves_in_people(client_as, org):
    response = client_as("salesperson").get(reverse("people-list"))
    assert [p.username for p in response.context["page"]] == ["sam"]


def test_the_team_page_lists_members_only_to_those_who_may_see_them(client_as, org):
    response = client_as("salesperson").get(reverse("unit-detail", args=[org.team.pk]))
    assert [m.user.username for m in response.context["detail"].members] == ["sam"]
    response = client_as("supervisor").get(reverse("unit-detail", args=[org.team.pk]))
    assert {m.user.username for m in response.context["detail"].members} == {"sam", "tina", "sue"}
    assert [m.user.username for m in response.context["detail"].supervisors] == ["sue"]


NAV = {
    "salesperson": ("My team", ["Import", "History", "People"]),
    "supervisor": ("People", ["Import", "History"]),
    "department": ("History", []),
    "hr": ("People", ["Import", "History"]),
}


@pytest.mark.parametrize("persona", list(NAV))
def test_navigation_follows_the_role(client_as, persona):
    shown, hidden = NAV[persona]
    html = client_as(persona).get(reverse("home")).content.decode()
    nav = html.split("</nav>")[0]
    assert f">{shown}</a>" in nav
    for label in hidden:
        assert f">{label}</a>" not in nav


def test_the_home_page_speaks_chinese(client_as):
    client = client_as("department")
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    html = client.get(reverse("home")).content.decode()
    assert 'lang="zh-hans"' in html
    assert "销售组织" in html


# --- fiscal calendar -------------------------------------------------------------------------

CREATE_YEAR = dict.fromkeys(PERSONAS, 403) | {"department": 302, "anonymous": LOGIN}


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_department_creates_fiscal_years(client_as, persona):
    response = client_as(persona).post(reverse("periods"), {"start_year": 2030, "start_month": 4})
    expect(response, CREATE_YEAR[persona])
    assert Period.objects.filter(fiscal_year__name="FY2030-31").exists() == (
        persona == "department"
    )


def test_a_new_fiscal_year_is_offered_after_the_latest(client_as, db, suite_today):
    form = client_as("department").get(reverse("periods")).context["form"]
    # No year yet: this year (the suite's day's), from the configured month.
    assert form["start_year"].initial == suite_today.year
    services.fiscal_year_create(start_year=2026, start_month=4)
    form = client_as("department").get(reverse("periods")).context["form"]
    assert (form["start_year"].initial, form["start_month"].initial) == (2027, 4)


@pytest.fixture
def march(db):
    year = services.fiscal_year_create(start_year=2026, start_month=1)
    return year.periods.get(kind="month", number=3)


def test_the_periods_page_offers_no_way_around_the_close(client_as, march):
    """Periods are closed and reopened only through the period close (its buttons are
    on the periods page); org has no page of its own that moves a status."""
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        reverse("period-transition", args=[march.pk])
    client = client_as("department")
    assert client.get(f"/periods/{march.pk}/transition/?to=closing").status_code == 404
    assert client.post(f"/periods/{march.pk}/transition/", {"status": "closing"}).status_code == 404
    march.refresh_from_db()
    assert march.status == "open"


# --- memberships -------------------------------------------------------------------------------

ADD_MEMBERSHIP = by_persona(
    404,
    salesperson=403,
    supervisor=403,
    department=302,
    hr=403,
    anonymous=LOGIN,
)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_managers_add_memberships(client_as, org, persona):
    before = Membership.objects.count()
    response = client_as(persona).post(
        reverse("person-add-membership", args=[org.salesperson.pk]),
        {"unit": org.team.pk, "kind": "supervisor", "start_date": "2026-01-01"},
    )
    expect(response, ADD_MEMBERSHIP[persona])
    assert Membership.objects.count() == before + (1 if persona == "department" else 0)


def test_an_overlapping_membership_is_refused_with_the_reason(client_as, org):
    response = client_as("department").post(
        reverse("person-add-membership", args=[org.salesperson.pk]),
        {"unit": org.team2.pk, "kind": "member", "start_date": "2026-01-01"},
    )
    assert response.status_code == 400
    assert "overlaps" in response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_managers_end_memberships(client_as, org, persona):
    membership = org.salesperson.memberships.get()
    response = client_as(persona).post(
        reverse("membership-end", args=[membership.pk]), {"end_date": "2026-06-30"}
    )
    expect(response, ADD_MEMBERSHIP[persona])
    membership.refresh_from_db()
    ended = membership.end_date == datetime.date(2026, 6, 30)
    assert ended == (persona == "department")


# --- audit trail -------------------------------------------------------------------------------

AUDIT = dict.fromkeys(PERSONAS, 403) | {"department": 200, "anonymous": LOGIN}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_history_page_is_for_the_department(client_as, persona):
    expect(client_as(persona).get(reverse("audit-log")), AUDIT[persona])


def test_the_history_page_shows_who_changed_what_before_and_after(client_as, org, march):
    services.period_transition(period=march, to_status="closing", acting_user=org.department)
    services.membership_end(
        membership=org.teammate.memberships.get(),
        end_date=datetime.date(2026, 5, 31),
        acting_user=org.department,
    )
    response = client_as("department").get(reverse("audit-log"))
    entries = response.context["entries"]
    period_change = next(e for e in entries if e.model_key == "period" and e.action == "~")
    assert period_change.actor == org.department
    assert [(c.before, c.after) for c in period_change.changes] == [("open", "closing")]
    end_change = next(e for e in entries if e.model_key == "membership" and e.action == "~")
    assert [(c.field, c.before, c.after) for c in end_change.changes] == [
        ("end date", "", "2026-05-31")
    ]
    assert "tina" in end_change.object_label


def test_the_history_of_one_object(client_as, org):
    response = client_as("department").get(
        reverse("audit-log"), {"model": "unit", "object": org.team.pk}
    )
    entries = response.context["entries"]
    assert entries and all(e.object_id == org.team.pk for e in entries)


def test_the_history_names_periods_as_people_say_them(client_as, march):
    # "March 2026" and "FY2026 Q1", not "month 3" or "quarter 1 (2026-01)"; in Chinese too.
    year_name = march.fiscal_year.name
    for language, month_label in [("en", "March 2026"), ("zh-hans", "2026年3月")]:
        client = client_as("department")
        client.cookies["django_language"] = language
        response = client.get(reverse("audit-log"), {"model": "period", "object": march.pk})
        created = next(e for e in response.context["entries"] if e.action == "+")
        assert created.object_label == month_label
        changes = {c.field: c.after for c in created.changes}
        parent_field = "parent period" if language == "en" else "上级期间"
        assert changes[parent_field] == f"{year_name} Q1"
