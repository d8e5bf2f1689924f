"""The pages of sales records: the list with its filters and totals, the quick entry
form with its credit split, one record with its history, changing and cancelling
it; for every persona, and in a fixed number of queries."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from org.models import Period
from sales.models import SalesCredit, SalesRecord
from sales.records import services
from tests.conftest import PERSONAS, by_persona
from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory
from tests.sales.helpers import customer, make_year, month, sale, set_status, shared_sale

DAY = datetime.date(2026, 3, 10)
MAX_QUERIES = 16


@pytest.fixture
def year(org):
    return make_year()


@pytest.fixture
def world(org, year):
    """A customer and a record for sam, tina and oscar, and a sale of sam's customer
    shared by sam and oscar."""
    found = {"year": year}
    for key in ("salesperson", "teammate", "other_salesperson"):
        person = getattr(org, key)
        cust = customer(person, name=f"{key} customer", external_id=f"C-{key}")
        found[f"{key}_customer"] = cust
        found[f"{key}_record"] = sale(
            DAY,
            cust,
            "1000",
            [(person, 100)],
            acting_user=person,
            product=f"{key} product",
            gross_margin=D("300"),
        )
    found["shared_record"] = shared_sale(
        org, found["salesperson_customer"], DAY.replace(day=20), product="shared product"
    )
    return found


def url(name, *args):
    return reverse(f"sales:{name}", args=args)


def counts():
    return SalesRecord.objects.count(), SalesCredit.objects.count(), SalesRecord.history.count()


def entry(customer_pk, credits, **values):
    """POST data of the quick entry form: credits [(person pk, share)]."""
    data = {
        "date": DAY.isoformat(),
        "customer": customer_pk,
        "product": "Spectrometer",
        "category": "instruments",
        "amount": "1200.00",
        "quantity": "2",
        "gross_margin": "300",
        "collected_amount": "",
        "collected_on": "",
        "credits-TOTAL_FORMS": str(len(credits) + 1),
        "credits-INITIAL_FORMS": str(len(credits)),
        "credits-MIN_NUM_FORMS": "0",
        "credits-MAX_NUM_FORMS": "20",
    }
    for index, (person, share) in enumerate(credits):
        data[f"credits-{index}-person"] = person
        data[f"credits-{index}-share_pct"] = share
    data[f"credits-{len(credits)}-person"] = ""
    data[f"credits-{len(credits)}-share_pct"] = ""
    return data | values


def assert_login_redirect(response):
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# --- the list -----------------------------------------------------------------------------------

LIST_STATUS = by_persona(200, hr=403, anonymous=302)

LIST_SEES = {
    "salesperson": {"salesperson", "shared"},
    "teammate": {"teammate"},
    "other_salesperson": {"other_salesperson", "shared"},
    "supervisor": {"salesperson", "teammate", "shared"},
    "other_supervisor": {"other_salesperson", "shared"},
    "department": {"salesperson", "teammate", "other_salesperson", "shared"},
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_list_shows_each_persona_exactly_the_records_they_may_see(client_as, world, persona):
    response = client_as(persona).get(url("records"))
    assert response.status_code == LIST_STATUS[persona]
    if persona == "anonymous":
        assert_login_redirect(response)
    if response.status_code != 200:
        return
    body = response.content.decode()
    for key in ("salesperson", "teammate", "other_salesperson", "shared"):
        shown = url("record-detail", world[f"{key}_record"].pk) in body
        assert shown is (key in LIST_SEES[persona]), key


def test_the_list_shows_the_credited_people_their_shares_and_the_totals(client_as, world):
    response = client_as("salesperson").get(url("records"))
    body = response.content.decode()
    assert "50 %" in body and "100 %" in body
    assert world["shared_record"].credits.get(person__username="oscar").person.display_name in body
    totals = response.context["totals"]
    assert totals.count == 2
    assert totals.amount == D("1400.00")
    assert totals.gross_margin == D("300.00")
    # What is credited to sam: all of his sale and half of the shared one.
    assert totals.credited == D("1200.00")
    assert "1,400.00" in body and "1,200.00" in body


def test_the_list_filters_by_person_team_customer_status_product_and_dates(client_as, org, world):
    client = client_as("department")

    def shown(**params):
        response = client.get(url("records"), params)
        assert response.status_code == 200
        return {r.pk for r in response.context["page"].object_list}, response.context["totals"]

    sam, shared = world["salesperson_record"].pk, world["shared_record"].pk
    tina, oscar = world["teammate_record"].pk, world["other_salesperson_record"].pk
    assert shown()[0] == {sam, shared, tina, oscar}
    pks, totals = shown(person=org.other_salesperson.pk)
    assert pks == {oscar, shared}
    assert totals.credited == D("1200.00") and totals.amount == D("1400.00")
    assert shown(team=org.team.pk)[0] == {sam, shared, tina}
    assert shown(team=org.south.pk)[0] == {oscar, shared}
    assert shown(customer=world["salesperson_customer"].pk)[0] == {sam, shared}
    assert shown(q="shared")[0] == {shared}
    assert shown(q="teammate prod")[0] == {tina}
    assert shown(date_from="2026-03-15", date_to="2026-03-31")[0] == {shared}
    assert shown(month="2026-03")[0] == {sam, shared, tina, oscar}
    assert shown(month="2026-04")[0] == set()
    services.record_cancel(record=world["teammate_record"], acting_user=org.department)
    pks, totals = shown(status="cancelled")
    assert pks == {tina}
    assert totals.count == 0 and totals.amount == D(0)
    assert shown(status="booked")[0] == {sam, shared, oscar}


def test_a_salesperson_cannot_filter_their_way_into_others_records(client_as, org, world):
    response = client_as("salesperson").get(url("records"), {"person": org.teammate.pk})
    assert response.status_code == 200
    assert not response.context["form"].is_valid()  # tina is not a choice for sam
    pks = {r.pk for r in response.context["page"].object_list}
    assert world["teammate_record"].pk not in pks


def test_an_invalid_date_range_is_named_and_not_applied(client_as, world):
    response = client_as("department").get(
        url("records"), {"date_from": "2026-04-01", "date_to": "2026-03-01"}
    )
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()
    assert len(response.context["page"].object_list) == 4


def test_the_list_is_paginated(client_as, org, world):
    cust = world["salesperson_customer"]
    for day in range(1, 28):
        for _n in range(2):
            sale(DAY.replace(day=day), cust, "10", [(org.salesperson, 100)])
    client = client_as("salesperson")
    first = client.get(url("records"))
    assert len(first.context["page"].object_list) == 50
    assert first.context["totals"].count == 56
    second = client.get(url("records"), {"page": 2})
    assert len(second.context["page"].object_list) == 6


# --- a fixed number of queries --------------------------------------------------------------------


def grow(org, year):
    """A north region with 3 teams of 6 people, 30 customers and 150 shared records."""
    north = OrgUnitFactory(code="north", name="North", kind="region", parent=org.company)
    people = []
    for t in range(3):
        team = OrgUnitFactory(code=f"t-north-{t}", name=f"North {t}", parent=north)
        boss = UserFactory(username=f"boss{t}", roles=["supervisor"])
        MembershipFactory(user=boss, unit=team, kind="supervisor")
        for p in range(6):
            person = UserFactory(username=f"n{t}p{p}", roles=["salesperson"])
            MembershipFactory(user=person, unit=team)
            people.append(person)
    everyone = [*people, org.salesperson, org.teammate, org.other_salesperson]
    customers = [
        customer(everyone[i % len(everyone)], name=f"Big {i}", external_id=f"B-{i}")
        for i in range(30)
    ]
    rows = []
    for i in range(150):
        first, second = everyone[i % len(everyone)], everyone[(i + 1) % len(everyone)]
        rows.append(
            {
                "external_id": f"BIG-{i}",
                "date": DAY.replace(day=1 + i % 28).isoformat(),
                "customer": customers[i % 30].external_id,
                "amount": "100.00",
                "quantity": "1",
                "gross_margin": "10",
                "product": f"item {i % 7}",
                "category": f"cat {i % 5}",
                "credits": [
                    {"person": first.username, "share_pct": "60"},
                    {"person": second.username, "share_pct": "40"},
                ],
            }
        )
    services.records_bulk_upsert(rows, acting_user=org.department)


def measured(client, path, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("persona", ["salesperson", "supervisor", "department"])
def test_the_list_runs_the_same_queries_for_4_or_150_records(
    client_as, org, world, persona, django_assert_max_num_queries
):
    client = client_as(persona)
    params = {"month": "2026-03", "team": org.team.pk, "status": "booked", "q": "o"}
    small, _response = measured(client, url("records"))
    small_filtered, _response = measured(client, url("records"), params)
    grow(org, world["year"])
    with django_assert_max_num_queries(MAX_QUERIES):
        big, response = measured(client, url("records"))
    assert big == small
    if persona == "department":
        assert len(response.context["page"].object_list) == 50
    big_filtered, _response = measured(client, url("records"), params)
    assert big_filtered == small_filtered


def test_the_record_page_runs_the_same_queries_after_many_changes(
    client_as, org, world, django_assert_max_num_queries
):
    record = world["shared_record"]
    client = client_as("department")
    small, _response = measured(client, url("record-detail", record.pk))
    for amount in range(10):
        services.records_bulk_upsert(
            [
                {
                    "external_id": "SHARED",
                    "date": DAY.isoformat(),
                    "customer": "C-salesperson",
                    "amount": str(100 + amount),
                    "credits": [
                        {"person": "sam", "share_pct": 50},
                        {"person": "tina", "share_pct": 50},
                    ],
                }
            ],
            acting_user=org.department,
        )
    changed = SalesRecord.objects.get(external_id="SHARED")
    small_changed, _response = measured(client, url("record-detail", changed.pk))
    assert small_changed == small
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(url("record-detail", changed.pk))


# --- one record ---------------------------------------------------------------------------------

DETAIL_STATUS = by_persona(404, salesperson=200, supervisor=200, department=200, anonymous=302)


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_record_is_shown_to_its_people_their_supervisors_and_the_department(
    client_as, world, persona
):
    response = client_as(persona).get(url("record-detail", world["salesperson_record"].pk))
    assert response.status_code == DETAIL_STATUS[persona]
    if persona == "anonymous":
        assert_login_redirect(response)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("other_salesperson", 200), ("other_supervisor", 200), ("teammate", 404)],
)
def test_a_shared_record_is_shown_on_both_sides(client_as, world, persona, status):
    assert client_as(persona).get(url("record-detail", world["shared_record"].pk)).status_code == (
        status
    )


def test_a_missing_record_answers_404(client_as, world):
    assert client_as("department").get(url("record-detail", 99999)).status_code == 404


def test_the_record_page_shows_every_field_the_credits_and_the_history(client_as, org, world):
    record = world["shared_record"]
    response = client_as("salesperson").get(url("record-detail", record.pk))
    body = response.content.decode()
    assert "shared product" in body and "400.00" in body and "200.00" in body
    assert org.other_salesperson.display_name in body
    assert "South Team 1" in body and "East Team 1" in body
    assert "entered" in body
    assert url("record-edit", record.pk) in body and url("record-cancel", record.pk) in body


def test_the_record_page_links_the_credited_person_to_their_dashboard(client_as, world):
    # The record's own button (the navigation bar links every salesperson's dashboard).
    dashboard = f'class="btn btn-outline-primary" href="{reverse("sales:dashboard-mine")}"'
    record = world["salesperson_record"]
    assert (
        dashboard in client_as("salesperson").get(url("record-detail", record.pk)).content.decode()
    )
    # The supervisor is not credited: no link to their own dashboard here.
    assert (
        dashboard
        not in client_as("supervisor").get(url("record-detail", record.pk)).content.decode()
    )


def test_the_list_offers_the_import_to_the_department_only(client_as, world):
    assert url("records-import") in client_as("department").get(url("records")).content.decode()
    assert url("records-import") not in client_as("supervisor").get(url("records")).content.decode()


def test_a_closed_months_record_offers_no_change(client_as, world):
    set_status(month(world["year"], 3), Period.Status.CLOSED)
    response = client_as("salesperson").get(url("record-detail", world["salesperson_record"].pk))
    body = response.content.decode()
    assert "a correction goes into an open period" in body
    assert url("record-edit", world["salesperson_record"].pk) not in body


# --- the quick entry form ----------------------------------------------------------------------

NEW_STATUS = by_persona(200, hr=403, anonymous=302)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_entry_form_is_for_salespeople_supervisors_and_the_department(
    client_as, world, persona
):
    response = client_as(persona).get(url("record-new"))
    assert response.status_code == NEW_STATUS[persona]
    if persona == "anonymous":
        assert_login_redirect(response)


def test_hr_cannot_post_a_sale(client_as, org, world):
    before = counts()
    data = entry(world["salesperson_customer"].pk, [(org.salesperson.pk, "100")])
    assert client_as("hr").post(url("record-new"), data).status_code == 403
    assert counts() == before


def test_the_entry_form_defaults_to_today_and_100_percent_to_the_user(client_as, org, world):
    response = client_as("salesperson").get(url("record-new"))
    form, credits = response.context["form"], response.context["credits"]
    assert form.initial["date"] == timezone.localdate()
    assert credits.forms[0].initial == {"person": org.salesperson.pk, "share_pct": D(100)}
    # sam may use his own customers only, and credit himself and his teammates.
    assert list(form.fields["customer"].queryset) == [world["salesperson_customer"]]
    people = set(credits.forms[0].fields["person"].queryset.values_list("username", flat=True))
    assert people == {"sam", "tina", "sue"}
    # The picker names each with their team, so two people of one name are told apart.
    labels = [label for _value, label in credits.forms[0].fields["person"].choices][1:]
    assert f"{org.teammate.display_name} · East Team 1" in labels
    body = response.content.decode()
    assert "sales/records.js" in body
    assert "<script>" not in body


def test_the_entry_form_takes_the_customer_from_the_address(client_as, world):
    cust = world["salesperson_customer"]
    response = client_as("salesperson").get(url("record-new"), {"customer": cust.pk})
    assert response.context["form"].initial["customer"] == cust.pk


def test_a_sale_is_saved_and_the_user_is_told_the_attainment_moved(client_as, org, world):
    client = client_as("salesperson")
    data = entry(world["salesperson_customer"].pk, [(org.salesperson.pk, "100")])
    response = client.post(url("record-new"), data)
    record = SalesRecord.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == url("record-detail", record.pk)
    assert record.amount == D("1200.00") and record.created_by == org.salesperson
    assert [(c.person, c.share_pct) for c in record.credits.all()] == [(org.salesperson, D(100))]
    page = client.get(response["Location"])
    assert "your attainment is updated" in page.content.decode()


def test_a_sale_can_be_shared_with_a_teammate(client_as, org, world):
    client = client_as("salesperson")
    data = entry(
        world["salesperson_customer"].pk, [(org.salesperson.pk, "60"), (org.teammate.pk, "40")]
    )
    response = client.post(url("record-new"), data)
    assert response.status_code == 302
    record = SalesRecord.objects.latest("pk")
    shares = {c.person.username: (c.share_pct, c.amount) for c in record.credits.all()}
    assert shares == {"sam": (D(60), D("720.00")), "tina": (D(40), D("480.00"))}


def test_a_split_not_adding_up_to_100_is_refused_with_a_clear_message(client_as, org, world):
    before = counts()
    data = entry(
        world["salesperson_customer"].pk, [(org.salesperson.pk, "60"), (org.teammate.pk, "30")]
    )
    response = client_as("salesperson").post(url("record-new"), data)
    assert response.status_code == 400
    assert response.context["credit_errors"] == ["The credit shares add up to 90 %, not 100 %."]
    assert "The credit shares add up to 90 %, not 100 %." in response.content.decode()
    assert counts() == before


def test_a_person_credited_twice_is_refused(client_as, org, world):
    before = counts()
    data = entry(
        world["salesperson_customer"].pk, [(org.salesperson.pk, "50"), (org.salesperson.pk, "50")]
    )
    response = client_as("salesperson").post(url("record-new"), data)
    assert response.status_code == 400
    assert "credited twice" in response.context["credit_errors"][0]
    assert counts() == before


def test_a_sale_with_nobody_credited_is_refused(client_as, org, world):
    data = entry(world["salesperson_customer"].pk, [(org.salesperson.pk, "100")])
    data["credits-0-DELETE"] = "on"
    response = client_as("salesperson").post(url("record-new"), data)
    assert response.status_code == 400
    assert response.context["credit_errors"] == ["Credit the sale to at least one salesperson."]


@pytest.mark.parametrize("status", [Period.Status.CLOSING, Period.Status.CLOSED])
def test_a_date_in_a_closing_or_closed_period_is_refused_with_the_services_message(
    client_as, org, world, status
):
    set_status(month(world["year"], 3), status)
    before = counts()
    data = entry(world["salesperson_customer"].pk, [(org.salesperson.pk, "100")])
    response = client_as("salesperson").post(url("record-new"), data)
    assert response.status_code == 400
    errors = response.context["form"].errors["date"]
    period = month(world["year"], 3)
    assert errors == [
        f"{period.label} is {period.get_status_display()}: a correction goes into an open period."
    ]
    assert counts() == before


def test_bad_values_are_named_by_their_field(client_as, org, world):
    data = entry(
        world["salesperson_customer"].pk,
        [(org.salesperson.pk, "100")],
        amount="100",
        gross_margin="150",
    )
    response = client_as("salesperson").post(url("record-new"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["gross_margin"] == [
        "Gross margin 150 cannot exceed the amount 100."
    ]
    data = entry(
        world["salesperson_customer"].pk,
        [(org.salesperson.pk, "100")],
        collected_amount="50",
        collected_on="",
    )
    response = client_as("salesperson").post(url("record-new"), data)
    assert response.context["form"].errors["collected_on"] == [
        "Give the date the amount was collected."
    ]
    data = entry(world["salesperson_customer"].pk, [(org.salesperson.pk, "100")], amount="abc")
    response = client_as("salesperson").post(url("record-new"), data)
    assert "amount" in response.context["form"].errors


def test_a_sale_or_collection_dated_after_tomorrow_is_named_on_its_field(
    client_as, org, world, time_machine
):
    time_machine.move_to("2026-03-10 09:00 +08:00")
    before = counts()
    client = client_as("salesperson")
    credits = [(org.salesperson.pk, "100")]
    data = entry(world["salesperson_customer"].pk, credits, date="2026-03-12")
    response = client.post(url("record-new"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["date"] == [
        "The sale's date 2026-03-12 is in the future: the latest date allowed is 2026-03-11."
    ]
    data = entry(world["salesperson_customer"].pk, credits, collected_amount="10",
                 collected_on="2026-03-31")  # fmt: skip
    response = client.post(url("record-new"), data)
    assert response.status_code == 400
    assert "latest date allowed is 2026-03-11" in response.context["form"].errors["collected_on"][0]
    data = entry(world["salesperson_customer"].pk, credits, collected_amount="10",
                 collected_on="2026-03-09")  # fmt: skip
    response = client.post(url("record-new"), data)
    assert response.context["form"].errors["collected_on"] == [
        "The collection date 2026-03-09 is before the sale's date 2026-03-10: an amount is "
        "collected on or after the day of the sale."
    ]
    assert counts() == before


def test_a_salesperson_may_not_use_another_persons_customer(client_as, org, world):
    before = counts()
    data = entry(world["teammate_customer"].pk, [(org.salesperson.pk, "100")])
    response = client_as("salesperson").post(url("record-new"), data)
    assert response.status_code == 400
    assert "customer" in response.context["form"].errors
    assert counts() == before


def test_a_salesperson_may_not_credit_someone_of_another_team(client_as, org, world):
    before = counts()
    data = entry(
        world["salesperson_customer"].pk,
        [(org.salesperson.pk, "50"), (org.other_salesperson.pk, "50")],
    )
    response = client_as("salesperson").post(url("record-new"), data)
    assert response.status_code == 400
    assert "person" in response.context["credits"].forms[1].errors
    assert counts() == before


def test_a_salesperson_may_not_enter_a_sale_credited_only_to_a_teammate(client_as, org, world):
    before = counts()
    data = entry(world["salesperson_customer"].pk, [(org.teammate.pk, "100")])
    response = client_as("salesperson").post(url("record-new"), data)
    assert response.status_code == 400
    assert "yourself" in response.context["credit_errors"][0]
    assert counts() == before


def test_a_supervisor_enters_a_sale_for_a_member_and_the_department_for_anybody(
    client_as, org, world
):
    data = entry(world["salesperson_customer"].pk, [(org.salesperson.pk, "100")])
    supervisor = client_as("supervisor")
    response = supervisor.post(url("record-new"), data)
    assert response.status_code == 302
    record = SalesRecord.objects.latest("pk")
    assert record.created_by == org.supervisor
    assert record.credits.get().person == org.salesperson
    page = supervisor.get(response["Location"])
    assert "the attainment of the people credited is updated" in page.content.decode()
    data = entry(world["other_salesperson_customer"].pk, [(org.other_salesperson.pk, "100")])
    assert client_as("department").post(url("record-new"), data).status_code == 302
    assert SalesRecord.objects.latest("pk").credits.get().person == org.other_salesperson


# --- changing and cancelling -------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_change_form_is_shown_to_who_may_see_the_record(client_as, world, persona):
    response = client_as(persona).get(url("record-edit", world["salesperson_record"].pk))
    assert response.status_code == DETAIL_STATUS[persona]
    if response.status_code == 200:
        form = response.context["form"]
        assert form.initial["amount"] == D("1000.00")
        assert form.initial["customer"] == world["salesperson_customer"].pk


def test_a_change_updates_the_same_record_and_keeps_its_history(client_as, org, world):
    record = world["salesperson_record"]
    data = entry(
        world["salesperson_customer"].pk,
        [(org.salesperson.pk, "70"), (org.teammate.pk, "30")],
        amount="2000",
    )
    response = client_as("salesperson").post(url("record-edit", record.pk), data)
    assert response.status_code == 302
    assert response["Location"] == url("record-detail", record.pk)
    record.refresh_from_db()
    assert record.amount == D("2000.00")
    assert SalesRecord.objects.count() == 4
    assert {c.person.username: c.amount for c in record.credits.all()} == {
        "sam": D("1400.00"),
        "tina": D("600.00"),
    }
    body = client_as("salesperson").get(url("record-detail", record.pk)).content.decode()
    assert "1,000.00" in body and "2,000.00" in body  # the history shows before and after


def test_a_supervisor_may_keep_a_person_of_another_team_in_a_shared_record(client_as, org, world):
    record = world["shared_record"]
    data = entry(
        world["salesperson_customer"].pk,
        [(org.salesperson.pk, "50"), (org.other_salesperson.pk, "50")],
        amount="500",
        date="2026-03-20",
    )
    response = client_as("supervisor").post(url("record-edit", record.pk), data)
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.amount == D("500.00")


def test_a_record_in_a_closed_period_cannot_be_changed(client_as, org, world):
    record = world["salesperson_record"]
    set_status(month(world["year"], 3), Period.Status.CLOSED)
    response = client_as("salesperson").get(url("record-edit", record.pk))
    assert "a correction goes into an open period" in response.content.decode()
    assert "record-form" not in response.content.decode()
    data = entry(world["salesperson_customer"].pk, [(org.salesperson.pk, "100")], amount="5")
    response = client_as("salesperson").post(url("record-edit", record.pk), data)
    assert response.status_code == 400
    record.refresh_from_db()
    assert record.amount == D("1000.00")


def test_a_change_into_a_closed_month_is_refused(client_as, org, world):
    set_status(month(world["year"], 2), Period.Status.CLOSED)
    record = world["salesperson_record"]
    data = entry(world["salesperson_customer"].pk, [(org.salesperson.pk, "100")], date="2026-02-10")
    response = client_as("salesperson").post(url("record-edit", record.pk), data)
    assert response.status_code == 400
    assert "correction goes into an open period" in response.context["form"].errors["date"][0]
    record.refresh_from_db()
    assert record.date == DAY


CANCEL_STATUS = by_persona(404, salesperson=302, supervisor=302, department=302, anonymous=302)


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_record_is_cancelled_by_who_may_see_it(client_as, world, persona):
    record = world["salesperson_record"]
    response = client_as(persona).post(url("record-cancel", record.pk))
    assert response.status_code == CANCEL_STATUS[persona]
    record.refresh_from_db()
    if persona in ("salesperson", "supervisor", "department"):
        assert response["Location"] == url("record-detail", record.pk)
        assert record.status == SalesRecord.Status.CANCELLED
        assert not record.credits.filter(booked=True).exists()
    else:
        assert record.status == SalesRecord.Status.BOOKED
    if persona == "anonymous":
        assert_login_redirect(response)


def test_cancelling_asks_for_confirmation_first(client_as, world):
    record = world["salesperson_record"]
    response = client_as("salesperson").get(url("record-cancel", record.pk))
    assert response.status_code == 200
    assert "Cancel the sale of 1,000.00" in response.content.decode()
    record.refresh_from_db()
    assert record.status == SalesRecord.Status.BOOKED


def test_a_record_in_a_closed_period_is_not_cancelled(client_as, world):
    record = world["salesperson_record"]
    set_status(month(world["year"], 3), Period.Status.CLOSED)
    response = client_as("salesperson").post(url("record-cancel", record.pk))
    assert response.status_code == 400
    assert "a correction goes into an open period" in response.content.decode()
    record.refresh_from_db()
    assert record.status == SalesRecord.Status.BOOKED


def test_a_cancelled_record_is_not_cancelled_twice_nor_changed(client_as, org, world):
    record = world["salesperson_record"]
    client = client_as("salesperson")
    client.post(url("record-cancel", record.pk))
    response = client.post(url("record-cancel", record.pk))
    assert response.status_code == 400
    assert "already cancelled" in response.content.decode()
    data = entry(world["salesperson_customer"].pk, [(org.salesperson.pk, "100")])
    response = client.post(url("record-edit", record.pk), data)
    assert response.status_code == 400
    record.refresh_from_db()
    assert record.status == SalesRecord.Status.CANCELLED
