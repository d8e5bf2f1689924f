"""The pages of customers (with their contacts) and follow-ups: lists with filters, the
forms, marking a follow-up done (with htmx), for every persona, and in a fixed
number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sales.models import Contact, Customer, FollowUp
from sales.records import services
from tests.conftest import PERSONAS, by_persona
from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory
from tests.sales.helpers import customer, make_year, sale

DAY = datetime.date(2026, 3, 10)
MAX_QUERIES = 14
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, *args):
    return reverse(f"sales:{name}", args=args)


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def follow_up(cust, person, *, next_in=None, done=False, kind="visit", need=""):
    followup = services.followup_save(
        customer=cust,
        salesperson=person,
        kind=kind,
        happened_on=days(-30),
        need=need,
        next_action="call back" if next_in is not None else "",
        next_action_on=days(next_in) if next_in is not None else None,
        acting_user=person,
    )
    if done:
        services.followup_done(followup=followup, acting_user=person)
    return followup


@pytest.fixture
def world(org):
    """A customer with a contact and a follow-up for sam, tina and oscar; sam's customer
    has a sale."""
    year = make_year()
    found = {"year": year}
    for key, industry, region in (
        ("salesperson", "chemicals", "Shanghai"),
        ("teammate", "pharma", "Suzhou"),
        ("other_salesperson", "chemicals", "Guangzhou"),
    ):
        person = getattr(org, key)
        cust = customer(
            person, name=f"{key} customer", industry=industry, region=region, status="active"
        )
        found[f"{key}_customer"] = cust
        found[f"{key}_contact"] = services.contact_save(
            customer=cust, name=f"{key} contact", acting_user=person
        )
        found[f"{key}_followup"] = follow_up(cust, person, next_in=-2)
    found["sale"] = sale(
        DAY, found["salesperson_customer"], "900", [(org.salesperson, 100)], product="Pump"
    )
    return found


def assert_login_redirect(response):
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


LIST_STATUS = by_persona(200, hr=403, anonymous=302)
SEES = {
    "salesperson": {"salesperson"},
    "teammate": {"teammate"},
    "other_salesperson": {"other_salesperson"},
    "supervisor": {"salesperson", "teammate"},
    "other_supervisor": {"other_salesperson"},
    "department": {"salesperson", "teammate", "other_salesperson"},
}
DETAIL_STATUS = by_persona(404, salesperson=200, supervisor=200, department=200, anonymous=302)
KEYS = ("salesperson", "teammate", "other_salesperson")


# --- customers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_customer_list_shows_each_persona_their_customers(client_as, world, persona):
    response = client_as(persona).get(url("customers"))
    assert response.status_code == LIST_STATUS[persona]
    if persona == "anonymous":
        assert_login_redirect(response)
    if response.status_code != 200:
        return
    body = response.content.decode()
    for key in KEYS:
        shown = url("customer-detail", world[f"{key}_customer"].pk) in body
        assert shown is (key in SEES[persona]), key


def test_the_customer_list_filters(client_as, org, world):
    client = client_as("department")

    def names(**params):
        response = client.get(url("customers"), params)
        assert response.status_code == 200
        return {c.name for c in response.context["page"].object_list}

    assert names(industry="chemicals") == {"salesperson customer", "other_salesperson customer"}
    assert names(region="Suzhou") == {"teammate customer"}
    assert names(owner=org.other_salesperson.pk) == {"other_salesperson customer"}
    assert names(q="TEAMMATE") == {"teammate customer"}
    assert names(status="prospect") == set()
    customer(org.salesperson, name="Initech", external_id="ERP-77")
    assert names(status="prospect") == {"Initech"}
    assert names(q="erp-77") == {"Initech"}


def test_the_customer_list_shows_due_follow_ups(client_as, world):
    response = client_as("salesperson").get(url("customers"))
    row = next(c for c in response.context["page"].object_list)
    assert row.due_count == 1


def test_the_filter_choices_are_only_what_the_user_may_see(client_as, world):
    form = client_as("supervisor").get(url("customers")).context["form"]
    assert {v for v, _label in form.fields["industry"].choices} == {"", "chemicals", "pharma"}
    assert {v for v, _label in form.fields["region"].choices} == {"", "Shanghai", "Suzhou"}
    assert set(form.fields["owner"].queryset.values_list("username", flat=True)) == {
        "sam",
        "tina",
        "sue",
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_customer_page_is_shown_to_its_owner_their_supervisors_and_the_department(
    client_as, world, persona
):
    response = client_as(persona).get(url("customer-detail", world["salesperson_customer"].pk))
    assert response.status_code == DETAIL_STATUS[persona]
    if persona == "anonymous":
        assert_login_redirect(response)


def test_the_customer_page_shows_contacts_follow_ups_and_recent_sales(client_as, org, world):
    cust = world["salesperson_customer"]
    response = client_as("salesperson").get(url("customer-detail", cust.pk))
    body = response.content.decode()
    assert "salesperson contact" in body
    assert url("followup-done", world["salesperson_followup"].pk) in body
    assert url("record-detail", world["sale"].pk) in body and "Pump" in body
    assert response.context["totals"].amount == 900
    assert url("contact-new", cust.pk) in body and url("customer-edit", cust.pk) in body


def test_the_customer_page_shows_only_the_sales_the_user_may_see(client_as, org, world):
    cust = world["salesperson_customer"]
    shared = sale(DAY, cust, "50", [(org.salesperson, 50), (org.other_salesperson, 50)])
    response = client_as("other_supervisor").get(url("customer-detail", cust.pk))
    assert response.status_code == 404  # otto does not see sam's customer
    response = client_as("department").get(url("customer-detail", cust.pk))
    assert {r.pk for r in response.context["records"]} == {world["sale"].pk, shared.pk}


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_customer_is_added_by_salespeople_supervisors_and_the_department(
    client_as, org, world, persona
):
    client = client_as(persona)
    before = Customer.objects.count()
    response = client.post(
        url("customer-new"),
        {
            "name": "Acme Labs",
            "owner": getattr(org, persona, org.salesperson).pk,
            "status": "prospect",
        },
    )
    if persona in ("hr", "anonymous"):
        assert response.status_code == 302 if persona == "anonymous" else 403
        assert Customer.objects.count() == before
        return
    assert response.status_code == 302
    created = Customer.objects.get(name="Acme Labs")
    assert response["Location"] == url("customer-detail", created.pk)
    assert created.owner == getattr(org, persona)


def test_a_salesperson_cannot_make_someone_else_the_owner(client_as, org, world):
    response = client_as("salesperson").post(
        url("customer-new"), {"name": "Acme Labs", "owner": org.teammate.pk, "status": "prospect"}
    )
    assert response.status_code == 400
    assert "owner" in response.context["form"].errors
    assert not Customer.objects.filter(name="Acme Labs").exists()


def test_a_supervisor_gives_a_customer_to_a_member(client_as, org, world):
    response = client_as("supervisor").post(
        url("customer-new"), {"name": "Acme Labs", "owner": org.teammate.pk, "status": "active"}
    )
    assert response.status_code == 302
    created = Customer.objects.get(name="Acme Labs")
    assert created.owner == org.teammate
    assert created.became_customer_on == timezone.localdate()


def test_customer_refusals_are_named_by_field(client_as, org, world):
    client = client_as("salesperson")
    response = client.post(
        url("customer-new"),
        {
            "name": "Acme Labs",
            "owner": org.salesperson.pk,
            "status": "prospect",
            "became_customer_on": "2026-01-05",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["became_customer_on"] == [
        "A prospect has not become a customer yet: leave the date empty."
    ]
    response = client.post(url("customer-new"), {"name": "", "owner": org.salesperson.pk})
    assert "name" in response.context["form"].errors
    assert not Customer.objects.filter(name="Acme Labs").exists()


def test_only_the_department_sets_the_external_id(client_as, org, world):
    client = client_as("salesperson")
    assert "external_id" not in client.get(url("customer-new")).context["form"].fields
    response = client_as("department").post(
        url("customer-new"),
        {
            "name": "Acme Labs",
            "owner": org.salesperson.pk,
            "status": "prospect",
            "external_id": "C-acme",
        },
    )
    assert response.status_code == 302
    acme = Customer.objects.get(name="Acme Labs")
    assert acme.external_id == "C-acme"
    # a salesperson's change keeps it
    response = client.post(
        url("customer-edit", acme.pk),
        {"name": "Acme Labs Ltd", "owner": org.salesperson.pk, "status": "prospect"},
    )
    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.name, acme.external_id) == ("Acme Labs Ltd", "C-acme")
    response = client_as("department").post(
        url("customer-new"),
        {
            "name": "Clash",
            "owner": org.salesperson.pk,
            "status": "prospect",
            "external_id": "C-acme",
        },
    )
    assert response.status_code == 400
    assert "external_id" in response.context["form"].errors


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_customer_is_changed_by_who_may_see_it(client_as, org, world, persona):
    cust = world["salesperson_customer"]
    response = client_as(persona).post(
        url("customer-edit", cust.pk),
        {"name": "Renamed", "owner": org.salesperson.pk, "status": "lost"},
    )
    expected = {200: 302, 404: 404, 302: 302}[DETAIL_STATUS[persona]]
    assert response.status_code == expected
    cust.refresh_from_db()
    changed = persona in ("salesperson", "supervisor", "department")
    assert (cust.name == "Renamed") is changed
    if changed:
        assert cust.history.first().history_user == getattr(org, persona)


# --- contacts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_contact_is_added_by_who_may_change_the_customer(client_as, world, persona):
    cust = world["salesperson_customer"]
    response = client_as(persona).post(
        url("contact-new", cust.pk),
        {"contact-name": "Li Lei", "contact-title": "buyer", "contact-email": "li@example.com"},
    )
    expected = {200: 302, 404: 404, 302: 302}[DETAIL_STATUS[persona]]
    assert response.status_code == expected
    added = Contact.objects.filter(customer=cust, name="Li Lei").exists()
    assert added is (persona in ("salesperson", "supervisor", "department"))
    if added:
        assert response["Location"] == url("customer-detail", cust.pk)


def test_a_bad_contact_is_refused_by_field(client_as, world):
    cust = world["salesperson_customer"]
    response = client_as("salesperson").post(
        url("contact-new", cust.pk), {"contact-name": "Li Lei", "contact-email": "not-an-email"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == ["not-an-email is not an email address."]
    assert not Contact.objects.filter(name="Li Lei").exists()


def test_a_contact_is_changed_in_its_row_with_htmx(client_as, world):
    cust, contact = world["salesperson_customer"], world["salesperson_contact"]
    client = client_as("salesperson")
    form = client.get(url("contact-edit", cust.pk, contact.pk), **HTMX)
    assert form.status_code == 200
    assert f'id="contact-{contact.pk}"' in form.content.decode()
    assert "<html" not in form.content.decode()
    prefix = f"contact-{contact.pk}"
    response = client.post(
        url("contact-edit", cust.pk, contact.pk),
        {f"{prefix}-name": "Han Meimei", f"{prefix}-phone": "+86 21 5555"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Han Meimei" in response.content.decode() and "<html" not in response.content.decode()
    contact.refresh_from_db()
    assert (contact.name, contact.phone) == ("Han Meimei", "+86 21 5555")
    bad = client.post(
        url("contact-edit", cust.pk, contact.pk),
        {f"{prefix}-name": "", f"{prefix}-phone": "1"},
        **HTMX,
    )
    assert bad.status_code == 400
    assert "This field is required." in bad.content.decode()
    back = client.get(url("contact-row", cust.pk, contact.pk), **HTMX)
    assert "Han Meimei" in back.content.decode()


def test_a_contact_of_another_customer_answers_404(client_as, world):
    cust = world["salesperson_customer"]
    other = world["teammate_contact"]
    client = client_as("department")
    assert client.get(url("contact-edit", cust.pk, other.pk)).status_code == 404
    assert client.get(url("contact-row", cust.pk, other.pk)).status_code == 404


def test_a_hidden_customers_contact_answers_404(client_as, world):
    cust, contact = world["teammate_customer"], world["teammate_contact"]
    client = client_as("salesperson")
    assert client.get(url("contact-edit", cust.pk, contact.pk)).status_code == 404
    assert client.get(url("contact-row", cust.pk, contact.pk)).status_code == 404


# --- follow-ups -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_follow_up_list_shows_each_persona_their_follow_ups(client_as, world, persona):
    response = client_as(persona).get(url("followups"))
    assert response.status_code == LIST_STATUS[persona]
    if persona == "anonymous":
        assert_login_redirect(response)
    if response.status_code != 200:
        return
    shown = {f.pk for f in response.context["page"].object_list}
    expected = {world[f"{key}_followup"].pk for key in SEES[persona]}
    assert shown == expected


def test_due_and_overdue_follow_ups_come_first_then_upcoming(client_as, org, world):
    cust = world["salesperson_customer"]
    later = follow_up(cust, org.salesperson, next_in=10)
    soon = follow_up(cust, org.salesperson, next_in=3)
    today = follow_up(cust, org.salesperson, next_in=0)
    undated = follow_up(cust, org.salesperson)
    done = follow_up(cust, org.salesperson, next_in=-5, done=True)
    overdue = world["salesperson_followup"]
    client = client_as("salesperson")
    response = client.get(url("followups"))
    order = [f.pk for f in response.context["page"].object_list]
    assert order == [overdue.pk, today.pk, soon.pk, later.pk, undated.pk]
    body = response.content.decode()
    assert "overdue" in body and "due today" in body and "upcoming" in body
    everything = client.get(url("followups"), {"show": "all"}).context["page"].object_list
    assert [f.pk for f in everything][-1] == done.pk
    only_done = client.get(url("followups"), {"show": "done"}).context["page"].object_list
    assert [f.pk for f in only_done] == [done.pk]


def test_the_follow_up_list_filters_by_person_and_kind(client_as, org, world):
    follow_up(world["teammate_customer"], org.teammate, next_in=1, kind="call")
    client = client_as("supervisor")
    response = client.get(url("followups"), {"person": org.teammate.pk})
    assert {f.salesperson for f in response.context["page"].object_list} == {org.teammate}
    response = client.get(url("followups"), {"kind": "call"})
    assert [f.kind for f in response.context["page"].object_list] == ["call"]


NEW_STATUS = by_persona(200, hr=403, anonymous=302)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_follow_up_form_is_for_salespeople_supervisors_and_the_department(
    client_as, world, persona
):
    response = client_as(persona).get(url("followup-new"))
    assert response.status_code == NEW_STATUS[persona]
    if persona == "anonymous":
        assert_login_redirect(response)


def test_a_follow_up_is_logged_for_a_customer_from_its_page(client_as, org, world):
    cust = world["salesperson_customer"]
    client = client_as("salesperson")
    page = client.get(url("followup-new"), {"customer": cust.pk})
    assert page.context["form"].initial["customer"] == cust.pk
    back = url("customer-detail", cust.pk)
    response = client.post(
        url("followup-new"),
        {
            "customer": cust.pk,
            "kind": "pre_sales",
            "happened_on": days(0).isoformat(),
            "need": "a quote for 3 pumps",
            "next_action": "send the quote",
            "next_action_on": days(2).isoformat(),
            "next": back,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == back
    created = FollowUp.objects.get(need="a quote for 3 pumps")
    assert (created.salesperson, created.kind) == (org.salesperson, "pre_sales")


def test_a_follow_up_for_a_hidden_customer_is_refused(client_as, world):
    response = client_as("salesperson").post(
        url("followup-new"),
        {"customer": world["teammate_customer"].pk, "kind": "call", "happened_on": "2026-03-01"},
    )
    assert response.status_code == 400
    assert "customer" in response.context["form"].errors
    page = client_as("salesperson").get(
        url("followup-new"), {"customer": world["teammate_customer"].pk}
    )
    assert "customer" not in page.context["form"].initial


def test_a_next_action_before_the_follow_up_is_named(client_as, world):
    before = FollowUp.objects.count()
    response = client_as("salesperson").post(
        url("followup-new"),
        {
            "customer": world["salesperson_customer"].pk,
            "kind": "call",
            "happened_on": "2026-03-10",
            "next_action": "call again",
            "next_action_on": "2026-03-01",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["next_action_on"] == [
        "The next action date 2026-03-01 is before the follow-up itself (2026-03-10)."
    ]
    assert FollowUp.objects.count() == before


def test_dates_in_the_future_are_named_on_their_field(client_as, org, world, time_machine):
    time_machine.move_to("2026-03-10 09:00 +08:00")
    customers, followups = Customer.objects.count(), FollowUp.objects.count()
    client = client_as("salesperson")
    response = client.post(
        url("followup-new"),
        {
            "customer": world["salesperson_customer"].pk,
            "kind": "visit",
            "happened_on": "2026-03-20",
            "next_action": "demo",
            "next_action_on": "2026-03-25",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["happened_on"] == [
        "The follow-up's date 2026-03-20 is in the future: the latest date allowed is "
        "2026-03-11. To plan a contact, give it as the next action date."
    ]
    response = client.post(
        url("customer-new"),
        {"name": "Acme Labs", "owner": org.salesperson.pk, "status": "active",
         "became_customer_on": "2026-04-01"},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.context["form"].errors["became_customer_on"] == [
        "The customer-since date 2026-04-01 is in the future: the latest date allowed is "
        "2026-03-11."
    ]
    assert (Customer.objects.count(), FollowUp.objects.count()) == (customers, followups)
    # Planned in the future, done today: fine.
    response = client.post(
        url("followup-new"),
        {
            "customer": world["salesperson_customer"].pk,
            "kind": "visit",
            "happened_on": "2026-03-10",
            "next_action": "demo",
            "next_action_on": "2026-05-25",
        },
    )
    assert response.status_code == 302


DONE_STATUS = by_persona(
    404,
    salesperson=302,
    supervisor=403,  # sees the team's follow-ups, but they are the salesperson's to close
    department=302,
    anonymous=302,
)


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_follow_up_is_marked_done_by_its_salesperson_or_the_department(client_as, world, persona):
    followup = world["salesperson_followup"]
    response = client_as(persona).post(url("followup-done", followup.pk))
    assert response.status_code == DONE_STATUS[persona]
    followup.refresh_from_db()
    assert followup.done is (persona in ("salesperson", "department"))
    if persona == "anonymous":
        assert_login_redirect(response)


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_follow_up_is_changed_by_its_salesperson_or_the_department(client_as, world, persona):
    followup = world["salesperson_followup"]
    response = client_as(persona).get(url("followup-edit", followup.pk))
    expected = 302 if persona == "anonymous" else {302: 200}.get(DONE_STATUS[persona])
    assert response.status_code == (expected or DONE_STATUS[persona])
    if persona == "anonymous":
        assert_login_redirect(response)


def test_marking_done_with_htmx_swaps_the_row(client_as, world):
    followup = world["salesperson_followup"]
    client = client_as("salesperson")
    back = url("customer-detail", followup.customer_id)
    response = client.post(url("followup-done", followup.pk), {"next": back}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="followup-{followup.pk}"')
    assert "done" in body and url("followup-done", followup.pk) not in body
    assert f"?next={back}" in body.replace("%2F", "/")
    again = client.post(url("followup-done", followup.pk), **HTMX)
    assert again.status_code == 400
    assert "already done" in again.content.decode()


def test_a_follow_up_is_changed_and_goes_back_where_it_came_from(client_as, org, world):
    followup = world["salesperson_followup"]
    back = url("customer-detail", world["salesperson_customer"].pk)
    response = client_as("salesperson").post(
        url("followup-edit", followup.pk) + f"?next={back}",
        {
            "customer": followup.customer_id,
            "kind": "after_sales",
            "happened_on": followup.happened_on.isoformat(),
            "need": "repair",
            "next_action": "",
            "next_action_on": "",
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == url("followups")  # an outside address is not followed
    followup.refresh_from_db()
    assert (followup.kind, followup.need, followup.next_action_on) == (
        "after_sales",
        "repair",
        None,
    )
    assert followup.salesperson == org.salesperson


# --- a fixed number of queries -----------------------------------------------------------------


def grow(org):
    """A north region with 3 teams of 6, 60 customers with contacts and 120 follow-ups."""
    north = OrgUnitFactory(code="north", name="North", kind="region", parent=org.company)
    people = [org.salesperson, org.teammate, org.other_salesperson]
    for t in range(3):
        team = OrgUnitFactory(code=f"t-north-{t}", name=f"North {t}", parent=north)
        MembershipFactory(
            user=UserFactory(username=f"boss{t}", roles=["supervisor"]),
            unit=team,
            kind="supervisor",
        )
        for p in range(6):
            person = UserFactory(username=f"n{t}p{p}", roles=["salesperson"])
            MembershipFactory(user=person, unit=team)
            people.append(person)
    for i in range(60):
        owner = people[i % len(people)]
        cust = customer(owner, name=f"Big {i}", industry=f"ind {i % 4}", region=f"reg {i % 3}")
        services.contact_save(customer=cust, name=f"contact {i}", acting_user=owner)
        follow_up(cust, owner, next_in=i % 5 - 2)
        follow_up(cust, owner, next_in=None, done=i % 2 == 0)


def measured(client, path, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["salesperson", "supervisor", "department"])
@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("customers", {}),
        ("customers", {"industry": "chemicals", "q": "c"}),
        ("followups", {}),
        ("followups", {"show": "all"}),
    ],
)
def test_the_lists_run_the_same_queries_for_3_or_60_customers(
    client_as, org, world, persona, name, params, django_assert_max_num_queries
):
    client = client_as(persona)
    small = measured(client, url(name), params)
    grow(org)
    with django_assert_max_num_queries(MAX_QUERIES):
        big = measured(client, url(name), params)
    assert big == small


def test_the_customer_page_runs_the_same_queries_with_more_contacts_follow_ups_and_sales(
    client_as, org, world, django_assert_max_num_queries
):
    cust = world["salesperson_customer"]
    client = client_as("supervisor")
    small = measured(client, url("customer-detail", cust.pk))
    for i in range(15):
        services.contact_save(customer=cust, name=f"extra {i}", acting_user=org.salesperson)
        follow_up(cust, org.salesperson, next_in=i)
        sale(DAY, cust, "10", [(org.salesperson, 50), (org.teammate, 50)])
    with django_assert_max_num_queries(MAX_QUERIES):
        big = measured(client, url("customer-detail", cust.pk))
    assert big == small
