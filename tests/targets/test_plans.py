"""Personal sales plans: writing, submitting, reviewing, versions, and who sees what."""

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import Notification
from targets.models import SalesPlan, SalesPlanVersion
from targets.plans import services as plan_services
from tests.conftest import PERSONAS, by_persona
from tests.factories import MembershipFactory, UserFactory
from tests.targets.helpers_mine import publish_targets


@pytest.fixture
def published(org):
    return publish_targets(org)


@pytest.fixture
def quarter(published):
    return published.fy.quarters[3]


def write_url(period):
    return reverse("targets:plan-write", args=[period.pk])


def plan_data(quarter, **overrides):
    months = sorted(quarter.children.all(), key=lambda m: m.start_date)
    data = {
        "key_accounts": "Shanghai Metro",
        "actions": "Visit monthly",
        "resources": "A demo unit",
        f"pipeline_{months[0].pk}": "40000",
        f"pipeline_{months[1].pk}": "35000.50",
    }
    data.update(overrides)
    return data


def write(client, quarter, **overrides):
    return client.post(write_url(quarter), plan_data(quarter, **overrides))


def plan_of(person, period):
    return SalesPlan.objects.get(person=person, period=period)


# --- writing -------------------------------------------------------------------------


def test_the_form_shows_the_persons_targets_for_the_period(client_as, quarter):
    response = client_as("salesperson").get(write_url(quarter))
    assert response.status_code == 200
    body = response.content.decode()
    assert "30,000.00" in body  # the quarter's target
    assert "10,000.00" in body  # each month's
    assert body.count('name="pipeline_') == 3  # one amount per month of the quarter


def test_a_salesperson_writes_a_plan(client_as, org, quarter):
    response = write(client_as("salesperson"), quarter)
    plan = plan_of(org.salesperson, quarter)
    assert response.status_code == 302
    assert response["Location"] == reverse("targets:plan", args=[plan.pk])
    assert plan.status == SalesPlan.Status.DRAFT
    version = plan.versions.get()
    assert version.number == 1
    assert version.key_accounts == "Shanghai Metro"
    assert sorted(version.pipeline.values()) == ["35000.50", "40000.00"]


def test_a_plan_for_the_year_has_twelve_pipeline_months(client_as, published):
    body = client_as("salesperson").get(write_url(published.fy.year)).content.decode()
    assert body.count('name="pipeline_') == 12


def test_a_plan_without_key_accounts_is_refused(client_as, org, quarter):
    response = write(client_as("salesperson"), quarter, key_accounts="")
    assert response.status_code == 400
    assert not SalesPlan.objects.exists()


def test_a_negative_pipeline_amount_is_refused_with_the_reason(client_as, quarter):
    month = sorted(quarter.children.all(), key=lambda m: m.start_date)[2]
    response = write(client_as("salesperson"), quarter, **{f"pipeline_{month.pk}": "-1"})
    assert response.status_code == 400
    assert "An expected pipeline amount cannot be negative." in response.content.decode()
    assert not SalesPlan.objects.exists()


def test_there_is_no_plan_for_a_month(client_as, published):
    assert client_as("salesperson").get(write_url(published.fy.months[0])).status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"),
    [("hr", 403), ("other_supervisor", 403), ("department", 403), ("anonymous", 302)],
)
def test_only_salespeople_write_plans(client_as, quarter, persona, status):
    assert client_as(persona).get(write_url(quarter)).status_code == status
    assert write(client_as(persona), quarter).status_code == status
    assert not SalesPlan.objects.exists()


# --- submitting and reviewing ----------------------------------------------------------


def submit(client, plan):
    return client.post(reverse("targets:plan-submit", args=[plan.pk]))


def review(client, plan, decision, note=""):
    return client.post(
        reverse("targets:plan-review", args=[plan.pk]), {"decision": decision, "note": note}
    )


@pytest.fixture
def submitted(client_as, org, quarter, django_capture_on_commit_callbacks):
    client = client_as("salesperson")
    write(client, quarter)
    plan = plan_of(org.salesperson, quarter)
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, plan)
    plan.refresh_from_db()
    return plan


def test_submitting_tells_the_supervisor_only(org, submitted):
    assert submitted.status == SalesPlan.Status.SUBMITTED
    told = Notification.objects.filter(kind="plan_submitted")
    assert list(told.values_list("recipient_id", flat=True)) == [org.supervisor.pk]


def test_a_submitted_plan_is_read_only(client_as, org, quarter, submitted):
    client = client_as("salesperson")
    response = client.get(write_url(quarter))
    assert response.status_code == 302
    assert response["Location"] == reverse("targets:plan", args=[submitted.pk])
    write(client, quarter, key_accounts="Changed behind the supervisor's back")
    assert submitted.versions.get().key_accounts == "Shanghai Metro"


@pytest.mark.parametrize(("persona", "status"), [("supervisor", 403), ("teammate", 404)])
def test_only_the_author_submits(client_as, org, quarter, persona, status):
    write(client_as("salesperson"), quarter)
    plan = plan_of(org.salesperson, quarter)
    assert submit(client_as(persona), plan).status_code == status
    plan.refresh_from_db()
    assert plan.status == SalesPlan.Status.DRAFT


def test_returning_needs_a_comment(client_as, submitted):
    client = client_as("supervisor")
    review(client, submitted, "reject", "  ")
    submitted.refresh_from_db()
    assert submitted.status == SalesPlan.Status.SUBMITTED
    page = client.get(reverse("targets:plan", args=[submitted.pk])).content.decode()
    assert "Say what to change when returning a plan." in page


def test_versions_are_kept_after_a_return_and_a_rewrite(client_as, org, quarter, submitted):
    review(client_as("supervisor"), submitted, "reject", "Add two new accounts.")
    submitted.refresh_from_db()
    assert submitted.status == SalesPlan.Status.RETURNED
    author = client_as("salesperson")
    form_page = author.get(write_url(quarter)).content.decode()
    assert "Add two new accounts." in form_page
    assert "Shanghai Metro" in form_page  # the form starts from the returned version

    write(author, quarter, key_accounts="Shanghai Metro, Fudan, Jiaotong")
    submit(author, submitted)
    review(client_as("supervisor"), submitted, "approve")
    submitted.refresh_from_db()
    assert submitted.status == SalesPlan.Status.APPROVED
    first, second = SalesPlanVersion.objects.filter(plan=submitted).order_by("number")
    assert (first.key_accounts, first.decision, first.review_comment) == (
        "Shanghai Metro",
        "returned",
        "Add two new accounts.",
    )
    assert (second.key_accounts, second.decision) == ("Shanghai Metro, Fudan, Jiaotong", "approved")
    page = author.get(reverse("targets:plan", args=[submitted.pk])).content.decode()
    assert "Version 2" in page and "Version 1" in page
    assert "Add two new accounts." in page


def test_a_supervisor_cannot_review_their_own_plan(org, quarter):
    sue = Client()
    sue.force_login(org.supervisor)
    write(sue, quarter)
    plan = plan_of(org.supervisor, quarter)
    submit(sue, plan)
    page = sue.get(reverse("targets:plan", args=[plan.pk])).content.decode()
    assert reverse("targets:plan-review", args=[plan.pk]) not in page
    assert review(sue, plan, "approve").status_code == 403
    plan.refresh_from_db()
    assert plan.status == SalesPlan.Status.SUBMITTED
    rita = Client()
    rita.force_login(org.regional)  # leads the region above sue's team
    assert review(rita, plan, "approve").status_code == 302
    plan.refresh_from_db()
    assert plan.status == SalesPlan.Status.APPROVED


REVIEW_STATUS = by_persona(404, salesperson=403, supervisor=302, department=302, anonymous=302)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reviews_a_plan(client_as, submitted, persona):
    response = review(client_as(persona), submitted, "approve")
    assert response.status_code == REVIEW_STATUS[persona]
    submitted.refresh_from_db()
    approved = persona in ("supervisor", "department")
    assert submitted.status == ("approved" if approved else "submitted")


DETAIL_STATUS = by_persona(404, salesperson=200, supervisor=200, department=200, anonymous=302)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_a_plan(client_as, submitted, persona):
    response = client_as(persona).get(reverse("targets:plan", args=[submitted.pk]))
    assert response.status_code == DETAIL_STATUS[persona]


def test_the_plan_page_compares_the_pipeline_with_the_targets(client_as, submitted):
    body = client_as("supervisor").get(reverse("targets:plan", args=[submitted.pk])).content
    body = body.decode()
    assert "40,000.00" in body and "75,000.50" in body  # a month and the total
    assert "Revenue target" in body
    assert reverse("targets:plan-review", args=[submitted.pk]) in body


# --- the list ------------------------------------------------------------------------


def test_the_list_shows_own_plans_and_the_teams(client_as, org, submitted):
    url = reverse("targets:plan", args=[submitted.pk])
    for persona, sees in [
        ("salesperson", True),
        ("supervisor", True),
        ("department", True),
        ("teammate", False),
        ("other_supervisor", False),
        ("hr", False),
    ]:
        response = client_as(persona).get(reverse("targets:plans"))
        assert response.status_code == 200
        assert (url in response.content.decode()) is sees, persona


def test_the_list_offers_to_write_the_plans_of_the_current_year(client_as, published):
    body = client_as("salesperson").get(reverse("targets:plans")).content.decode()
    assert write_url(published.fy.year) in body
    assert (
        write_url(published.fy.year)
        not in client_as("hr").get(reverse("targets:plans")).content.decode()
    )


@pytest.mark.parametrize("people", [1, 15])
def test_the_list_runs_a_fixed_number_of_queries(
    client_as, org, quarter, django_assert_max_num_queries, people
):
    for n in range(people):
        person = UserFactory(username=f"seller-{n}", roles=["salesperson"])
        MembershipFactory(user=person, unit=org.team)
        plan = plan_services.plan_save(
            person=person,
            period=quarter,
            key_accounts="A",
            actions="B",
            pipeline={},
            acting_user=person,
        )
        plan_services.plan_submit(plan=plan, acting_user=person)
    for persona in ("supervisor", "department", "salesperson"):
        client = client_as(persona)
        with django_assert_max_num_queries(12):
            assert client.get(reverse("targets:plans")).status_code == 200


@pytest.mark.parametrize("rounds", [1, 6])
def test_the_plan_page_runs_a_fixed_number_of_queries(
    client_as, org, quarter, django_assert_max_num_queries, rounds
):
    for n in range(rounds):
        plan = plan_services.plan_save(
            person=org.salesperson,
            period=quarter,
            key_accounts=f"A{n}",
            actions="B",
            pipeline={},
            acting_user=org.salesperson,
        )
        plan_services.plan_submit(plan=plan, acting_user=org.salesperson)
        plan_services.plan_review(
            plan=plan, approve=False, comment="again", acting_user=org.supervisor
        )
    client = client_as("supervisor")
    with django_assert_max_num_queries(14):
        response = client.get(reverse("targets:plan", args=[plan.pk]))
    assert response.status_code == 200
    assert len(response.context["versions"]) == rounds
