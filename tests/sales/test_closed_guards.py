"""Closed stays closed (issue 11): while a month is closing or closed, what its attainment
snapshot counts does not change on any path — the collections dated in it (a
collection date set, moved or removed, its amount, its credit split, the sale
cancelled) and its new customers (a customer-since date set, changed or cleared) —
through the service, the record and customer pages, the API, the ERP push, the
import and the Django admin. Every refusal names the field and the period, and
leaves the records, credits, monthly totals and customers as they were.

The world: FY2026, today 15 June 2026. April is open again (reopened for a
correction) while May is closed: R-1, a sale of 100 on 10 April split 60/40 by sam
and tina, was collected in full on 5 May; R-2, a sale of 50 on 12 April, is not
collected yet. Initech became a customer on 20 May.
"""

import datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse

from core.errors import DomainError
from core.imports import RowsRefused
from org.models import Period
from sales.models import Customer, MonthTotal, SalesCredit, SalesRecord
from sales.records import services
from tests.api_errors import error_of
from tests.factories import UserFactory
from tests.files import csv_bytes
from tests.sales.helpers import customer, make_year, month, sale, set_status
from tests.sales.test_import_records import errors, post

NOW = "2026-06-15 10:00 +08:00"
APRIL_10 = datetime.date(2026, 4, 10)
MAY_5 = datetime.date(2026, 5, 5)
MAY_20 = datetime.date(2026, 5, 20)
JUNE_2 = datetime.date(2026, 6, 2)


@pytest.fixture
def world(org, time_machine):
    time_machine.move_to(NOW)
    year = make_year()
    globex = customer(
        org.salesperson,
        name="Globex",
        external_id="C-1",
        status="active",
        became_customer_on=datetime.date(2026, 4, 2),
    )
    initech = customer(
        org.salesperson,
        name="Initech",
        external_id="C-2",
        status="active",
        became_customer_on=MAY_20,
    )
    collected = sale(
        APRIL_10,
        globex,
        "100",
        [(org.salesperson, 60), (org.teammate, 40)],
        external_id="R-1",
        collected_amount=D(100),
        collected_on=MAY_5,
        acting_user=org.salesperson,
    )
    uncollected = sale(
        datetime.date(2026, 4, 12),
        globex,
        "50",
        [(org.salesperson, 100)],
        external_id="R-2",
        acting_user=org.salesperson,
    )
    set_status(month(year, 5), Period.Status.CLOSED)
    return {
        "year": year,
        "globex": globex,
        "initech": initech,
        "collected": collected,
        "uncollected": uncollected,
    }


def snapshot():
    """Everything a refusal must leave as it was."""
    return (
        sorted(
            SalesRecord.objects.values_list(
                "pk", "date", "amount", "collected_amount", "collected_on", "status"
            )
        ),
        sorted(
            SalesCredit.objects.values_list(
                "record_id", "person_id", "team_id", "collected_amount", "collected_on", "booked"
            )
        ),
        sorted(
            MonthTotal.objects.values_list(
                "person_id", "team_id", "month", "amount", "collected_amount"
            )
        ),
        sorted(Customer.objects.values_list("pk", "name", "status", "became_customer_on")),
        SalesRecord.history.count(),
        SalesCredit.history.count(),
        Customer.history.count(),
    )


def may_collections(person) -> D:
    return MonthTotal.objects.get(person=person, month=datetime.date(2026, 5, 1)).collected_amount


def change(record, acting_user=None, **values):
    """record_save of `record` with its own values but those given."""
    current = {
        "date": record.date,
        "customer": record.customer,
        "amount": record.amount,
        "quantity": record.quantity,
        "gross_margin": record.gross_margin,
        "collected_amount": record.collected_amount,
        "collected_on": record.collected_on,
        "product": record.product,
        "credits": [(c.person, c.share_pct) for c in record.credits.order_by("pk")],
    }
    return services.record_save(record=record, acting_user=acting_user, **(current | values))


def refused_on(field, words, call):
    with pytest.raises(DomainError) as refused:
        call()
    assert getattr(refused.value, "field", None) == field
    assert words in str(refused.value), str(refused.value)
    return str(refused.value)


# --- collections: the service --------------------------------------------------------------


@pytest.mark.parametrize("status", ["closed", "closing"])
def test_a_collection_date_in_a_month_not_open_is_refused_naming_it(org, world, status):
    set_status(month(world["year"], 5), status)
    before = snapshot()
    refused_on(
        "collected_on",
        f"The collection date 2026-05-25 is in May 2026, which is {status}",
        lambda: change(
            world["uncollected"], collected_amount=D(50), collected_on=MAY_20.replace(day=25)
        ),
    )
    # Even without an amount: the date itself says the money came in that month.
    refused_on(
        "collected_on",
        "is in May 2026",
        lambda: change(world["uncollected"], collected_on=MAY_20),
    )
    assert snapshot() == before


def test_a_collection_in_a_closed_month_is_neither_moved_nor_removed(org, world):
    record = world["collected"]
    before = snapshot()
    for values in (
        {"collected_on": JUNE_2},
        {"collected_on": datetime.date(2026, 5, 6)},
        {"collected_on": None, "collected_amount": D(0)},
    ):
        message = refused_on(
            "collected_on",
            "This amount was collected on 2026-05-05",
            lambda v=values: change(record, **v),
        )
        assert (
            "in May 2026, which is closed: the collection date can no longer be changed or removed"
            in message
        )
    assert snapshot() == before
    assert may_collections(org.salesperson) == D(60)


def test_the_amount_of_a_collection_in_a_closed_month_does_not_change(org, world):
    before = snapshot()
    refused_on(
        "collected_amount",
        "in May 2026, which is closed: the collected amount can no longer change",
        lambda: change(world["collected"], collected_amount=D(80)),
    )
    assert snapshot() == before


def test_the_credit_split_of_a_collection_in_a_closed_month_does_not_change(org, world):
    before = snapshot()
    refused_on(
        "credits",
        "This sale's collection on 2026-05-05 counts in May 2026, which is closed",
        lambda: change(world["collected"], credits=[(org.salesperson, D(100))]),
    )
    assert snapshot() == before


def test_a_sale_whose_collection_is_in_a_closed_month_is_not_cancelled(org, world):
    before = snapshot()
    refused_on(
        "status",
        "the sale can no longer be cancelled; book the return as a negative record",
        lambda: services.record_cancel(record=world["collected"], acting_user=org.department),
    )
    with pytest.raises(RowsRefused) as refused:
        services.records_bulk_upsert([bulk_row("R-1", status="cancelled")], org.department)
    assert [(e.row, e.field) for e in refused.value.errors] == [(1, "status")]
    assert "can no longer be cancelled" in refused.value.errors[0].message
    assert snapshot() == before


def test_what_leaves_a_closed_months_collection_alone_is_still_changed(org, world):
    record = change(world["collected"], product="Pump", amount=D(120), gross_margin=D(30))
    assert (record.product, record.amount) == ("Pump", D("120.00"))
    assert may_collections(org.salesperson) == D(60)
    # The ERP pushing the record again, its collection as it was, is accepted.
    result = services.records_bulk_upsert([bulk_row("R-1", amount="120", product="Pump")], None)
    assert result == {"created": 0, "updated": 1}
    assert may_collections(org.salesperson) == D(60)
    # A record without a collection has no closed month to protect: it is cancelled.
    services.record_cancel(record=world["uncollected"], acting_user=org.salesperson)
    assert SalesRecord.objects.get(external_id="R-2").status == "cancelled"


def test_a_collection_before_the_sale_is_refused(org, world):
    before = snapshot()
    refused_on(
        "collected_on",
        "The collection date 2026-04-11 is before the sale's date 2026-04-12",
        lambda: change(
            world["uncollected"],
            collected_amount=D(50),
            collected_on=datetime.date(2026, 4, 11),
        ),
    )
    assert snapshot() == before


def test_a_month_without_a_fiscal_year_is_not_guarded(org, world):
    """Nothing was reported for a day no fiscal year covers (here: not yet created)."""
    world["year"].periods.filter(start_date__gte=datetime.date(2026, 6, 1)).delete()
    change(world["uncollected"], collected_amount=D(50), collected_on=JUNE_2)
    assert SalesRecord.objects.get(external_id="R-2").collected_on == JUNE_2


# --- new customers: the service ----------------------------------------------------------------


def save_customer(cust, **values):
    current = {
        "name": cust.name,
        "owner": cust.owner,
        "industry": cust.industry,
        "region": cust.region,
        "status": cust.status,
        "became_customer_on": cust.became_customer_on,
        "external_id": cust.external_id,
        "notes": cust.notes,
    }
    return services.customer_save(customer=cust, **(current | values))


@pytest.mark.parametrize("status", ["closed", "closing"])
def test_a_customer_since_date_in_a_month_not_open_is_refused(org, world, status):
    set_status(month(world["year"], 5), status)
    before = snapshot()
    refused_on(
        "became_customer_on",
        f"The customer-since date 2026-05-10 is in May 2026, which is {status}: that "
        "month's count of new customers is final",
        lambda: customer(
            org.salesperson,
            name="Umbrella",
            status="active",
            became_customer_on=datetime.date(2026, 5, 10),
        ),
    )
    refused_on(
        "became_customer_on",
        "is in May 2026",
        lambda: save_customer(world["globex"], became_customer_on=datetime.date(2026, 5, 10)),
    )
    assert snapshot() == before


def test_a_customer_won_in_a_closed_month_keeps_its_date(org, world):
    initech = world["initech"]
    before = snapshot()
    for values in (
        {"became_customer_on": JUNE_2},
        {"became_customer_on": datetime.date(2026, 4, 30)},
        {"status": "prospect", "became_customer_on": None},
        {"status": "lost", "became_customer_on": None},
    ):
        refused_on(
            "became_customer_on",
            "This customer became one on 2026-05-20, in May 2026, which is closed",
            lambda v=values: save_customer(initech, **v),
        )
    assert snapshot() == before
    # Anything else changes, and so does the status (the count does not depend on it).
    saved = save_customer(initech, name="Initech Ltd", status="lost")
    assert (saved.name, saved.status, saved.became_customer_on) == ("Initech Ltd", "lost", MAY_20)


def test_an_active_customer_without_a_date_needs_today_open(org, world):
    set_status(month(world["year"], 6), Period.Status.CLOSING)
    refused_on(
        "became_customer_on",
        "The customer-since date 2026-06-15 is in June 2026, which is closing",
        lambda: customer(org.salesperson, name="Umbrella", status="active"),
    )
    assert not Customer.objects.filter(name="Umbrella").exists()


# --- the API -----------------------------------------------------------------------------------


def test_the_api_refuses_a_collection_date_in_a_closed_month(api_as, world):
    before = snapshot()
    client = api_as("salesperson")
    response = client.patch(
        f"/api/v1/sales-records/{world['uncollected'].pk}/",
        {"collected_amount": "50", "collected_on": "2026-05-25"},
        format="json",
    )
    assert response.status_code == 400, response.content
    message = (
        "The collection date 2026-05-25 is in May 2026, which is closed: its "
        "collections can no longer change; a collection is dated in an open period."
    )
    assert error_of(response) == {
        "detail": message,
        "field": "collected_on",
        "errors": [{"field": "collected_on", "message": message}],
    }
    response = client.patch(
        f"/api/v1/sales-records/{world['collected'].pk}/",
        {"collected_on": "2026-06-02"},
        format="json",
    )
    assert response.status_code == 400
    assert "This amount was collected on 2026-05-05" in response.json()["detail"]
    response = client.post(f"/api/v1/sales-records/{world['collected'].pk}/cancel/")
    assert response.status_code == 400
    assert "can no longer be cancelled" in response.json()["detail"]
    assert snapshot() == before


def test_the_api_refuses_a_customer_since_date_in_a_closed_month(api_as, world):
    before = snapshot()
    client = api_as("salesperson")
    response = client.patch(
        f"/api/v1/customers/{world['globex'].pk}/", {"became_customer_on": "2026-05-02"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400, response.content
    assert (
        "The customer-since date 2026-05-02 is in May 2026, which is closed"
        in (response.json()["detail"])
    )
    response = client.patch(
        f"/api/v1/customers/{world['initech'].pk}/",
        {"status": "prospect", "became_customer_on": None},
        format="json",
    )
    assert response.status_code == 400
    assert "This customer became one on 2026-05-20" in response.json()["detail"]
    response = client.post(
        "/api/v1/customers/",
        {"name": "Umbrella", "status": "active", "became_customer_on": "2026-05-31"},
        format="json",
    )
    assert response.status_code == 400
    assert snapshot() == before


def bulk_row(external_id, **overrides):
    return {
        "external_id": external_id,
        "date": "2026-04-10",
        "customer": "C-1",
        "amount": "100",
        "quantity": "1",
        "gross_margin": "0",
        "collected_amount": "100",
        "collected_on": "2026-05-05",
        "credits": [{"person": "sam", "share_pct": "60"}, {"person": "tina", "share_pct": "40"}],
    } | overrides


def test_the_erp_push_refuses_changes_to_a_closed_months_collections(api_as, world):
    before = snapshot()
    rows = [
        bulk_row("R-1", collected_on="2026-06-01"),  # moved out of May
        bulk_row("R-new", collected_on="2026-05-31"),  # a new collection in May
        bulk_row("R-2", date="2026-04-12", amount="50", collected_amount="50",
                 collected_on="2026-05-08", credits=[{"person": "sam", "share_pct": "100"}]),
        bulk_row("R-early", collected_on="2026-04-01"),  # before the sale
        bulk_row("R-fine", collected_amount="0", collected_on=None),
    ]  # fmt: skip
    response = api_as("department").post("/api/v1/sales-records/bulk/", rows, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] == "Nothing was written: 4 of 5 rows have problems."
    found = {(e["row"], e["field"]): e["message"] for e in body["errors"]}
    assert set(found) == {(1, "collected_on"), (2, "collected_on"), (3, "collected_on"),
                          (4, "collected_on")}  # fmt: skip
    assert (
        "This amount was collected on 2026-05-05, in May 2026, which is closed"
        in found[1, "collected_on"]
    )
    assert (
        "The collection date 2026-05-31 is in May 2026, which is closed" in found[2, "collected_on"]
    )
    assert "The collection date 2026-05-08 is in May 2026" in found[3, "collected_on"]
    assert "before the sale's date 2026-04-10" in found[4, "collected_on"]
    assert snapshot() == before


# --- the import --------------------------------------------------------------------------------

IMPORT_HEADER = ["external_id", "date", "customer", "amount", "collected_amount", "collected_on",
                 "salesperson"]  # fmt: skip


def test_the_import_refuses_a_collection_in_a_closed_month_by_row_and_column(client_as, world):
    before = snapshot()
    rows = [
        IMPORT_HEADER,
        ["ERP-1", "2026-04-20", "C-1", "10", "10", "2026-05-02", "sam"],
        ["R-1", "2026-04-10", "C-1", "100", "100", "2026-06-03", "sam"],
        ["ERP-3", "2026-04-20", "C-1", "10", "10", "2026-06-03", "sam"],
    ]
    response = post(client_as("department"), csv_bytes(rows))
    assert response.status_code == 400
    found = errors(response)
    assert [(row, column) for row, column, _m in found] == [
        (2, "collected_on"),
        (3, "collected_on"),
    ]
    assert "The collection date 2026-05-02 is in May 2026, which is closed" in found[0][2]
    assert "This amount was collected on 2026-05-05" in found[1][2]
    assert snapshot() == before


# --- the pages ---------------------------------------------------------------------------------


def record_form(record, **values):
    credits = list(record.credits.order_by("pk"))
    data = {
        "date": record.date.isoformat(),
        "customer": record.customer_id,
        "product": record.product,
        "category": record.category,
        "amount": str(record.amount),
        "quantity": str(record.quantity),
        "gross_margin": str(record.gross_margin),
        "collected_amount": str(record.collected_amount),
        "collected_on": record.collected_on.isoformat() if record.collected_on else "",
        "credits-TOTAL_FORMS": str(len(credits)),
        "credits-INITIAL_FORMS": str(len(credits)),
        "credits-MIN_NUM_FORMS": "0",
        "credits-MAX_NUM_FORMS": "20",
    }
    for index, c in enumerate(credits):
        data[f"credits-{index}-person"] = c.person_id
        data[f"credits-{index}-share_pct"] = str(c.share_pct)
    return data | values


def test_the_record_page_shows_the_refusal_on_the_collection_fields(client_as, world):
    before = snapshot()
    client = client_as("salesperson")
    record = world["uncollected"]
    response = client.post(
        reverse("sales:record-edit", args=[record.pk]),
        record_form(record, collected_amount="50", collected_on="2026-05-25"),
    )
    assert response.status_code == 400
    assert response.context["form"].errors["collected_on"] == [
        "The collection date 2026-05-25 is in May 2026, which is closed: its collections "
        "can no longer change; a collection is dated in an open period."
    ]
    record = world["collected"]
    response = client.post(
        reverse("sales:record-edit", args=[record.pk]), record_form(record, collected_amount="70")
    )
    assert response.status_code == 400
    assert (
        "the collected amount can no longer change"
        in (response.context["form"].errors["collected_amount"][0])
    )
    response = client.post(reverse("sales:record-cancel", args=[record.pk]))
    assert response.status_code == 400
    assert "the sale can no longer be cancelled" in response.content.decode()
    assert snapshot() == before


def customer_form(cust, **values):
    data = {
        "name": cust.name,
        "owner": cust.owner_id,
        "industry": cust.industry,
        "region": cust.region,
        "status": cust.status,
        "became_customer_on": cust.became_customer_on.isoformat()
        if cust.became_customer_on
        else "",
        "notes": cust.notes,
    }
    return data | values


def test_the_customer_page_shows_the_refusal_on_the_date(client_as, world):
    before = snapshot()
    client = client_as("salesperson")
    initech = world["initech"]
    response = client.post(
        reverse("sales:customer-edit", args=[initech.pk]),
        customer_form(initech, status="lost", became_customer_on=""),
    )
    assert response.status_code == 400
    assert response.context["form"].errors["became_customer_on"] == [
        "This customer became one on 2026-05-20, in May 2026, which is closed: that month's "
        "count of new customers is final, so the date can no longer be changed or cleared."
    ]
    response = client.post(
        reverse("sales:customer-new"),
        {"name": "Umbrella", "owner": initech.owner_id, "status": "active",
         "became_customer_on": "2026-05-03"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "is in May 2026" in response.context["form"].errors["became_customer_on"][0]
    assert snapshot() == before


# --- the Django admin --------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, org):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    return client


def admin_url(name, *args):
    return reverse(f"admin:sales_{name}", args=args)


def admin_customer_form(cust, **values):
    return (
        customer_form(cust, external_id=cust.external_id or "")
        | {
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "contacts-MIN_NUM_FORMS": "0",
            "contacts-MAX_NUM_FORMS": "1000",
        }
        | values
    )


def test_the_admin_shows_records_but_does_not_change_them(admin_client, world):
    record = world["uncollected"]
    first = record.history.get()
    record = change(record, product="Pump")  # a second version, allowed
    before = snapshot()
    change_url = admin_url("salesrecord_change", record.pk)
    assert admin_client.get(change_url).status_code == 200
    data = record_form(record, collected_amount="50", collected_on="2026-05-25")
    assert admin_client.post(change_url, data).status_code == 403
    delete = admin_client.post(admin_url("salesrecord_delete", record.pk), {"post": "yes"})
    assert delete.status_code == 403
    # Nor is an old version saved back from the history (simple_history's revert saves
    # the whole row, around the credits and the monthly totals).
    history = admin_url("salesrecord_simple_history", record.pk, first.history_id)
    assert admin_client.get(history).status_code == 200
    assert admin_client.post(history, data).status_code == 403
    assert snapshot() == before
    assert SalesRecord.objects.get(pk=record.pk).product == "Pump"


def test_the_admin_changes_customers_through_the_service(admin_client, org, world):
    initech = world["initech"]
    first = initech.history.get()
    before = snapshot()
    change_url = admin_url("customer_change", initech.pk)
    response = admin_client.post(
        change_url, admin_customer_form(initech, became_customer_on="2026-06-01")
    )
    assert response.status_code == 200  # the form again, with the refusal on the field
    message = response.context["adminform"].form.errors["became_customer_on"][0]
    assert "This customer became one on 2026-05-20, in May 2026, which is closed" in message
    umbrella = {"name": "Umbrella", "external_id": "", "became_customer_on": "2026-05-04"}
    response = admin_client.post(
        admin_url("customer_add"), admin_customer_form(initech, **umbrella)
    )
    assert response.status_code == 200
    message = response.context["adminform"].form.errors["became_customer_on"][0]
    assert "The customer-since date 2026-05-04 is in May 2026, which is closed" in message
    history = admin_url("customer_simple_history", initech.pk, first.history_id)
    revert = admin_customer_form(initech, became_customer_on="2026-06-01")
    assert admin_client.post(history, revert).status_code == 403
    delete = admin_client.post(admin_url("customer_delete", initech.pk), {"post": "yes"})
    assert delete.status_code == 403
    assert snapshot() == before
    # What the rules allow is saved, through the service: an active customer saved
    # without a date became one today.
    response = admin_client.post(change_url, admin_customer_form(initech, name="Initech Ltd"))
    assert response.status_code == 302
    initech.refresh_from_db()
    assert (initech.name, initech.became_customer_on) == ("Initech Ltd", MAY_20)
    globex = world["globex"]
    response = admin_client.post(
        admin_url("customer_change", globex.pk),
        admin_customer_form(globex, became_customer_on=""),
    )
    assert response.status_code == 302
    globex.refresh_from_db()
    assert globex.became_customer_on == datetime.date(2026, 6, 15)
    assert globex.history.first().history_user.username == "root"
