"""Supervisors distribute their team's target to its members and submit it; the
department approves or returns it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from notifications.models import Notification
from targets.models import Target
from tests.conftest import PERSONAS
from tests.factories import make_target
from tests.targets.test_import_export import LEADERS

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def team_target(org, metric, year):
    return make_target(metric, year, "300", unit=org.team)


def member(metric, period, person, team, value):
    return make_target(metric, period, value, person=person, team=team)


def snapshot():
    return Target.objects.count(), Target.history.count()


def url(name, target):
    return reverse(f"targets:{name}", args=[target.pk])


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_allocation_list_is_for_supervisors_and_the_department(
    client_as, persona, org, team_target
):
    response = client_as(persona).get(reverse("targets:allocations"))
    expected = LEADERS[persona]
    assert response.status_code == expected
    if expected == 200:
        listed = [row[0] for row in response.context["rows"]]
        assert (team_target in listed) == (persona in ("department", "supervisor"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_team_allocation_is_seen_by_its_supervisor_and_the_department_only(
    client_as, persona, team_target
):
    response = client_as(persona).get(url("allocation", team_target))
    expected = {"department": 200, "supervisor": 200, "anonymous": 302}.get(persona, 404)
    assert response.status_code == expected


def test_the_supervisor_can_edit_and_submit_but_not_decide(client_as, org, team_target):
    response = client_as("supervisor").get(url("allocation", team_target))
    context = response.context
    assert context["may_allocate"] and context["can_submit"] and not context["can_decide"]
    editable = {row["node"].person: row["editable"] for row in context["rows"]}
    # sue is also a member of her team: her own target is set by someone above her
    assert editable == {org.salesperson: True, org.teammate: True, org.supervisor: False}
    html = response.content.decode()
    assert f'id="v-person-{org.teammate.pk}-{org.team.pk}"' in html
    assert f'id="v-person-{org.supervisor.pk}-{org.team.pk}"' not in html
    assert url("allocation-submit", team_target) in html
    assert url("allocation-decide", team_target) not in html


def test_the_regional_supervisor_above_the_team_also_allocates(client, org, team_target):
    client.force_login(org.regional)
    response = client.get(url("allocation", team_target))
    assert response.status_code == 200
    assert response.context["can_submit"]


def test_the_list_shows_annual_allocations_unless_asked_for_every_period(
    client_as, org, metric, year, team_target
):
    month = year.fiscal_year.periods.get(kind="month", number=1)
    monthly = Target.objects.create(metric=metric, period=month, unit=org.team, value=1)
    client = client_as("supervisor")
    listed = [row[0] for row in client.get(reverse("targets:allocations")).context["rows"]]
    assert listed == [team_target]
    response = client.get(reverse("targets:allocations"), {"kind": "", "status": "open"})
    assert [row[0] for row in response.context["rows"]] == [team_target, monthly]


def test_a_non_team_target_has_no_allocation_page(client_as, org, metric, year):
    region = make_target(metric, year, 1, unit=org.east)
    assert client_as("department").get(url("allocation", region)).status_code == 404


# --- editing members' values --------------------------------------------------------------


def edit(client, target, person, value, **extra):
    return client.post(
        url("allocation", target), {"person": person.pk, "value": value}, **HTMX, **extra
    )


def test_the_supervisor_sets_a_members_value_in_place(client_as, org, team_target):
    response = edit(client_as("supervisor"), team_target, org.teammate, "120")
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<div id="alloc-table">')
    target = Target.objects.get(person=org.teammate)
    assert (target.value, target.team, target.status) == (Decimal("120"), org.team, "draft")
    assert target.history.first().history_user == org.supervisor
    assert response.context["alloc"].children_sum == Decimal("120")
    assert response.context["alloc"].state == "under"


def test_a_bad_member_value_is_refused_inline_and_nothing_is_written(client_as, org, team_target):
    before = snapshot()
    response = edit(client_as("supervisor"), team_target, org.teammate, "-3")
    assert response.status_code == 400
    assert "cannot be negative" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["teammate", "salesperson", "other_supervisor", "hr"])
def test_people_who_cannot_see_the_team_cannot_edit_it(client_as, persona, org, team_target):
    before = snapshot()
    response = edit(client_as(persona), team_target, org.teammate, "100")
    assert response.status_code == 404
    assert snapshot() == before


def test_a_supervisor_cannot_set_their_own_target(client_as, org, team_target):
    response = edit(client_as("supervisor"), team_target, org.supervisor, "1000")
    assert response.status_code == 403
    assert not Target.objects.filter(person=org.supervisor).exists()


def test_someone_outside_the_team_cannot_be_given_a_value_there(client_as, org, team_target):
    response = edit(client_as("supervisor"), team_target, org.other_salesperson, "100")
    assert response.status_code == 404
    assert not Target.objects.filter(person=org.other_salesperson).exists()


def test_a_submitted_allocation_is_no_longer_editable_by_the_supervisor(
    client_as, org, team_target
):
    Target.objects.filter(pk=team_target.pk).update(allocation_status="submitted")
    before = snapshot()
    response = edit(client_as("supervisor"), team_target, org.teammate, "100")
    assert response.status_code == 403
    assert snapshot() == before


def test_a_published_member_target_is_shown_with_an_adjustment_link(
    client_as, org, metric, year, team_target
):
    published = member(metric, year, org.salesperson, org.team, "100")
    Target.objects.filter(pk=published.pk).update(status="published")
    response = client_as("supervisor").get(url("allocation", team_target))
    html = response.content.decode()
    assert f'id="v-person-{org.salesperson.pk}-{org.team.pk}"' not in html
    assert reverse("targets:adjustment-new", args=[published.pk]) in html
    before = snapshot()
    assert edit(client_as("supervisor"), team_target, org.salesperson, "1").status_code == 403
    assert snapshot() == before


# --- submit, approve, return -----------------------------------------------------------------


def test_submitting_outside_the_tolerance_is_refused(client_as, org, metric, year, team_target):
    member(metric, year, org.salesperson, org.team, "100")
    member(metric, year, org.teammate, org.team, "100")
    response = client_as("supervisor").post(url("allocation-submit", team_target), {})
    assert response.status_code == 400
    assert "must be between 100" in response.content.decode()
    team_target.refresh_from_db()
    assert team_target.allocation_status == "open"
    assert not Notification.objects.exists()


def test_submit_then_approve_notifies_each_side(
    client_as, org, metric, year, team_target, django_capture_on_commit_callbacks
):
    for person, value in [(org.salesperson, "100"), (org.teammate, "100"), (org.supervisor, "110")]:
        member(metric, year, person, org.team, value)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("supervisor").post(
            url("allocation-submit", team_target), {"comment": "Sam takes the big account"}
        )
    assert response.status_code == 302
    team_target.refresh_from_db()
    assert team_target.allocation_status == "submitted"
    assert team_target.allocation_comment == "Sam takes the big account"
    assert Notification.objects.filter(recipient=org.department, kind="allocation_submitted")

    page = client_as("department").get(url("allocation", team_target))
    assert page.context["can_decide"] and not page.context["can_submit"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("department").post(
            url("allocation-decide", team_target), {"decision": "approve"}
        )
    assert response.status_code == 302
    team_target.refresh_from_db()
    assert team_target.allocation_status == "approved"
    assert Notification.objects.filter(recipient=org.supervisor, kind="allocation_approved")


def test_a_return_needs_a_comment_and_reopens_the_allocation(
    client_as, org, metric, year, team_target, django_capture_on_commit_callbacks
):
    Target.objects.filter(pk=team_target.pk).update(allocation_status="submitted")
    client = client_as("department")
    refused = client.post(url("allocation-decide", team_target), {"decision": "return"})
    assert refused.status_code == 400
    assert "Say why" in refused.content.decode()
    team_target.refresh_from_db()
    assert team_target.allocation_status == "submitted"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("allocation-decide", team_target),
            {"decision": "return", "comment": "Tina is on leave in Q3"},
        )
    assert response.status_code == 302
    team_target.refresh_from_db()
    assert team_target.allocation_status == "returned"
    note = Notification.objects.get(recipient=org.supervisor, kind="allocation_returned")
    assert note.params["comment"] == "Tina is on leave in Q3"
    # returned: the supervisor can edit again
    assert edit(client_as("supervisor"), team_target, org.teammate, "90").status_code == 200


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("department", 403),
        ("other_supervisor", 404),
        ("teammate", 404),
        ("hr", 404),
        ("anonymous", 302),
    ],
)
def test_only_a_supervisor_of_the_team_submits(client_as, persona, expected, team_target):
    response = client_as(persona).post(url("allocation-submit", team_target), {})
    assert response.status_code == expected
    team_target.refresh_from_db()
    assert team_target.allocation_status == "open"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("supervisor", 403), ("other_supervisor", 404), ("salesperson", 404), ("anonymous", 302)],
)
def test_only_the_department_decides(client_as, persona, expected, team_target):
    Target.objects.filter(pk=team_target.pk).update(allocation_status="submitted")
    response = client_as(persona).post(
        url("allocation-decide", team_target), {"decision": "approve"}
    )
    assert response.status_code == expected
    team_target.refresh_from_db()
    assert team_target.allocation_status == "submitted"


def test_deciding_an_allocation_that_is_not_submitted_is_refused(client_as, team_target):
    response = client_as("department").post(
        url("allocation-decide", team_target), {"decision": "approve"}
    )
    assert response.status_code == 400
    team_target.refresh_from_db()
    assert team_target.allocation_status == "open"


# --- a member's year carries down to their quarters and months --------------------------------


def test_raising_a_members_year_in_the_allocation_carries_down_and_publishes(
    client_as, org, metric, year, team_target, django_capture_on_commit_callbacks
):
    """The reported case: the department cascades the team's year to its members and
    their months; the supervisor raises one member's year in the allocation. Before,
    the member's quarters stayed at the old sum and publication let it through; now the
    quarters and months follow, and the targets publish as they are."""
    from targets import services
    from tests.targets.helpers_core import Year

    fy = Year(year.fiscal_year)
    services.cascade_down(target=team_target, method="equal", acting_user=org.department)
    page = client_as("supervisor").get(url("allocation", team_target)).content.decode()
    assert "is spread over their quarters and months in proportion" in page

    response = edit(client_as("supervisor"), team_target, org.teammate, "120")
    assert response.status_code == 200
    for person in (org.salesperson, org.teammate, org.supervisor):
        values = {t.period_id: t.value for t in Target.objects.filter(person=person)}
        for q, quarter in enumerate(fy.quarters):
            inside = fy.months[q * 3 : q * 3 + 3]
            assert values[quarter.pk] == sum(values[m.pk] for m in inside), (person, quarter)
        assert values[year.pk] == sum(values[q.pk] for q in fy.quarters), person
    tina = {t.period_id: t.value for t in Target.objects.filter(person=org.teammate)}
    assert tina[year.pk] == Decimal("120")
    # the months kept their shape (8.34 or 8.33 each, from the equal cascade), raised by 20 %
    assert all(abs(tina[q.pk] - Decimal("30")) <= Decimal("0.01") for q in fy.quarters)
    months = Target.objects.filter(person=org.teammate, period__kind="month")
    assert all(m.history.first().history_user == org.supervisor for m in months)

    assert services.publication_problems(metric=metric, fiscal_year_id=year.fiscal_year_id) == []
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("department").post(
            reverse("targets:publish"), {"metric": metric.pk, "fiscal_year": year.fiscal_year_id}
        )
    assert response.status_code == 302
    assert not Target.objects.filter(metric=metric, status="draft").exists()
