"""My targets, one target's page, and acknowledgement, for every persona."""

import pytest
from django.urls import reverse

from targets import services
from targets.models import Target
from tests.conftest import PERSONAS, by_persona
from tests.factories import MembershipFactory, UserFactory
from tests.targets.helpers_core import make_metric, make_year
from tests.targets.helpers_mine import publish_targets


@pytest.fixture
def published(org):
    return publish_targets(org)


def detail_url(target):
    return reverse("targets:detail", args=[target.pk])


# --- my targets --------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client_as):
    response = client_as("anonymous").get(reverse("targets:mine"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_salesperson_sees_their_year_quarters_and_months(client_as, published):
    response = client_as("salesperson").get(reverse("targets:mine"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "120,000.00" in body and "30,000.00" in body and "10,000.00" in body
    own = Target.objects.filter(person=published.sam.person)
    assert own.count() == 17
    for target in own:
        assert detail_url(target) in body
    assert detail_url(published.tina) not in body
    assert detail_url(published.team) not in body


def test_my_targets_shows_the_basis_and_what_to_acknowledge(client_as, published):
    body = client_as("salesperson").get(reverse("targets:mine")).content.decode()
    assert "like the months of the allocation above" in body  # the team's equal months
    assert "Acknowledge all 17 targets" in body


def test_my_targets_before_publication_explains_what_will_appear(client_as, org):
    fy = make_year(2026)
    metric = make_metric(acting_user=org.department)
    services.target_set(
        metric=metric,
        period=fy.year,
        value=1000,
        person=org.salesperson,
        acting_user=org.department,
    )
    response = client_as("salesperson").get(reverse("targets:mine"), {"year": fy.fiscal_year.pk})
    body = response.content.decode()
    assert response.status_code == 200
    assert "No targets published for you in FY2026 yet" in body
    assert "1,000.00" not in body  # the draft is not shown


def test_my_targets_without_a_fiscal_year_says_so(client_as):
    response = client_as("salesperson").get(reverse("targets:mine"))
    assert response.status_code == 200
    assert "There is no fiscal year yet" in response.content.decode()


def test_the_fiscal_year_can_be_chosen(client_as, published):
    other = make_year(published.fy.year.start_date.year - 1)
    response = client_as("salesperson").get(reverse("targets:mine"), {"year": other.fiscal_year.pk})
    body = response.content.decode()
    assert response.status_code == 200
    assert other.fiscal_year.name in body
    assert detail_url(published.sam) not in body
    assert client_as("salesperson").get(reverse("targets:mine"), {"year": "999"}).status_code == 404


def test_supervisor_sees_the_targets_of_the_units_they_lead(client_as, published):
    body = client_as("supervisor").get(reverse("targets:mine")).content.decode()
    assert detail_url(published.team) in body
    assert reverse("targets:allocation", args=[published.team.pk]) in body
    assert detail_url(published.south) not in body
    # sue is also a salesperson in the team: her own targets are there too.
    assert detail_url(published.sue) in body
    assert detail_url(published.sam) not in body


def test_hr_has_no_targets_here(client_as, published):
    body = client_as("hr").get(reverse("targets:mine")).content.decode()
    assert "No targets published for you" in body
    assert detail_url(published.sam) not in body


def test_my_targets_links_to_the_plans_of_the_year_and_the_current_quarter(client_as, published):
    body = client_as("salesperson").get(reverse("targets:mine")).content.decode()
    assert reverse("targets:plan-write", args=[published.fy.year.pk]) in body


# --- one target ------------------------------------------------------------------------

DETAIL_STATUS = by_persona(404, salesperson=200, supervisor=200, department=200, anonymous=302)


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_salespersons_target_is_shown_only_to_them_their_supervisor_and_the_department(
    client_as, published, persona
):
    response = client_as(persona).get(detail_url(published.sam))
    assert response.status_code == DETAIL_STATUS[persona]


def test_the_regional_supervisor_sees_the_targets_of_the_teams_below(org, published):
    from django.test import Client

    client = Client()
    client.force_login(org.regional)
    assert client.get(detail_url(published.sam)).status_code == 200
    assert client.get(detail_url(published.team)).status_code == 200
    assert client.get(detail_url(published.south)).status_code == 404


def test_a_draft_target_is_hidden_from_its_owner(client_as, org):
    fy = make_year(2026)
    metric = make_metric(acting_user=org.department)
    draft = services.target_set(
        metric=metric, period=fy.year, value=500, person=org.salesperson, acting_user=org.department
    )
    assert client_as("salesperson").get(detail_url(draft)).status_code == 404
    assert client_as("supervisor").get(detail_url(draft)).status_code == 200


def test_target_page_shows_history_and_buttons(client_as, published):
    body = client_as("salesperson").get(detail_url(published.sam)).content.decode()
    assert "120,000.00" in body
    assert "published" in body
    assert reverse("targets:acknowledge", args=[published.sam.pk]) in body
    # A salesperson does not request adjustments; their supervisor does.
    assert reverse("targets:adjustment-new", args=[published.sam.pk]) not in body
    supervisor_body = client_as("supervisor").get(detail_url(published.sam)).content.decode()
    assert reverse("targets:adjustment-new", args=[published.sam.pk]) in supervisor_body
    assert reverse("targets:acknowledge", args=[published.sam.pk]) not in supervisor_body


# --- acknowledgement -------------------------------------------------------------------


def acknowledge(client, target, **extra):
    return client.post(reverse("targets:acknowledge", args=[target.pk]), extra)


def test_the_owner_acknowledges_their_target_once(client_as, org, published):
    client = client_as("salesperson")
    response = acknowledge(client, published.sam)
    assert response.status_code == 302
    published.sam.refresh_from_db()
    first = published.sam.acknowledged_at
    assert first is not None
    assert published.sam.acknowledged_by == org.salesperson
    assert published.sam.history.filter(history_change_reason="acknowledged").count() == 1

    again = acknowledge(client, published.sam, next=reverse("targets:mine"))
    assert again.status_code == 302
    published.sam.refresh_from_db()
    assert published.sam.acknowledged_at == first
    assert published.sam.history.filter(history_change_reason="acknowledged").count() == 1
    page = client.get(reverse("targets:mine")).content.decode()
    assert "already acknowledged" in page


def test_acknowledging_a_year_with_its_parts_acknowledges_all_17(client_as, published):
    client = client_as("salesperson")
    response = acknowledge(client, published.sam, parts="1", next=reverse("targets:mine"))
    own = Target.objects.filter(person=published.sam.person)
    assert own.filter(acknowledged_at__isnull=False).count() == 17
    # The message counts what was acknowledged (the plural, not "your target").
    page = client.get(response.url).content.decode()
    assert "You acknowledged 17 targets: your" in page
    body = client_as("salesperson").get(reverse("targets:mine")).content.decode()
    assert "all acknowledged" in body


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("teammate", 404),
        ("other_salesperson", 404),
        ("supervisor", 403),
        ("other_supervisor", 404),
        ("department", 403),
        ("hr", 404),
    ],
)
def test_nobody_else_acknowledges_a_persons_target(client_as, published, persona, status):
    assert acknowledge(client_as(persona), published.sam).status_code == status
    published.sam.refresh_from_db()
    assert published.sam.acknowledged_at is None


def test_anonymous_cannot_acknowledge(client_as, published):
    response = acknowledge(client_as("anonymous"), published.sam)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    published.sam.refresh_from_db()
    assert published.sam.acknowledged_at is None


def test_the_supervisor_acknowledges_their_units_target_on_its_page(client_as, org, published):
    page = client_as("supervisor").get(detail_url(published.team)).content.decode()
    assert reverse("targets:acknowledge", args=[published.team.pk]) in page
    acknowledge(client_as("supervisor"), published.team)
    published.team.refresh_from_db()
    assert published.team.acknowledged_by == org.supervisor


def test_acknowledge_only_answers_posts(client_as, published):
    response = client_as("salesperson").get(reverse("targets:acknowledge", args=[published.sam.pk]))
    assert response.status_code == 405


# --- queries ---------------------------------------------------------------------------


def grow(org, teams: int, people: int):
    from org.models import OrgUnit
    from tests.factories import OrgUnitFactory

    for t in range(teams):
        unit = OrgUnitFactory(code=f"grow-{t}", kind=OrgUnit.Kind.TEAM, parent=org.east)
        for p in range(people):
            MembershipFactory(user=UserFactory(username=f"grow-{t}-{p}"), unit=unit)


@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("persona", ["salesperson", "supervisor"])
def test_my_targets_runs_a_fixed_number_of_queries(
    client_as, org, django_assert_max_num_queries, size, persona
):
    if size == "large":
        grow(org, teams=3, people=5)
        publish_targets(org, metrics=("revenue", "margin", "new_customers"))
    else:
        publish_targets(org)
    client = client_as(persona)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("targets:mine"))
    assert response.status_code == 200


@pytest.mark.parametrize("size", ["small", "large"])
def test_target_page_runs_a_fixed_number_of_queries(
    client_as, org, django_assert_max_num_queries, size
):
    data = publish_targets(org)
    if size == "large":
        for value in (110000, 100000, 130000):
            adjustment = services.adjustment_request(
                target=data.sam,
                new_value=value,
                kind="other",
                reason="change",
                effective_period=data.fy.months[6],
                acting_user=org.supervisor,
            )
            services.adjustment_decide(
                adjustment=adjustment, approve=True, acting_user=org.department
            )
            data.sam.refresh_from_db()
    client = client_as("department")
    with django_assert_max_num_queries(12):
        assert client.get(detail_url(data.sam)).status_code == 200
