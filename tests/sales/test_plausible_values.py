"""Implausible values are refused: a hard limit per value of a sale (and so per metric),
a confirmation for an amount far above a person's usual, sensible date ranges for
follow-ups and customers; on every path (service, page, API, bulk push, import) and in
the database where the bound is a constant. Errors name people as the pages show them."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from core.errors import DomainError
from core.imports import RowsRefused
from sales import domain
from sales.models import Customer, FollowUp, SalesRecord
from sales.records import imports, services
from tests.sales.helpers import customer, make_year, sale

DAY = datetime.date(2026, 3, 10)
TODAY = datetime.date(2026, 11, 18)  # the suite's pinned day
HUGE = "999999999999999"


@pytest.fixture
def world(org):
    """FY2026; sam's customer Globex; sam's largest sale so far is 1,000.00."""
    make_year()
    globex = customer(org.salesperson, external_id="C-1")
    sale(DAY, globex, "1000", [(org.salesperson, 100)])
    sale(DAY, globex, "400", [(org.salesperson, 100)])
    return globex


def shown(org, person):
    """A person as the pages show them: name · team."""
    return f"{person.display_name} · {org.team.display_name}"


# --- the rules (pure) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ((HUGE, "1", "0", "0"), "amount"),
        (("-" + HUGE, "-1", "0", "0"), "amount"),
        (("100", "1000001", "0", "0"), "quantity"),
        (("100", "1", "-1000000000", "0"), "gross_margin"),
    ],
)
def test_a_value_beyond_its_plausible_limit_is_refused_naming_the_field(values, field):
    with pytest.raises(domain.RecordValueError, match="is not plausible") as refused:
        domain.check_record_values(*values)
    assert refused.value.field == field


def test_the_limits_themselves_are_accepted():
    limit = str(domain.MONEY_LIMIT)
    assert domain.check_record_values(limit, "1000000", limit, limit)[0] == domain.MONEY_LIMIT


@settings(deadline=None)
@given(
    st.decimals(min_value=-(10**12), max_value=10**12, places=2),
    st.one_of(st.none(), st.decimals(min_value=-(10**6), max_value=10**9, places=2)),
)
def test_confirmation_is_asked_exactly_above_ten_times_the_largest_sale(amount, largest):
    asked = domain.needs_confirmation(amount, largest)
    if largest is None or largest <= 0:
        assert not asked
    else:
        assert asked == (amount > 10 * largest)


def test_follow_up_dates_lie_within_a_year_either_way():
    ok = {"happened_on": TODAY - datetime.timedelta(days=366), "next_action_on": None}
    domain.check_followup_dates(**ok, today=TODAY)
    domain.check_followup_dates(
        happened_on=None, next_action_on=TODAY + datetime.timedelta(days=366), today=TODAY
    )
    with pytest.raises(domain.DateRuleError, match="more than a year ago") as refused:
        domain.check_followup_dates(
            happened_on=datetime.date(1900, 1, 1), next_action_on=None, today=TODAY
        )
    assert refused.value.field == "happened_on"
    with pytest.raises(domain.DateRuleError, match="more than a year ahead") as refused:
        domain.check_followup_dates(
            happened_on=None, next_action_on=datetime.date(2030, 1, 1), today=TODAY
        )
    assert refused.value.field == "next_action_on"


def test_a_customer_since_before_1950_is_refused():
    domain.check_customer_since(datetime.date(1950, 1, 1))
    domain.check_customer_since(None)
    with pytest.raises(domain.DateRuleError, match="earliest date allowed is 1950-01-01"):
        domain.check_customer_since(datetime.date(1850, 6, 1))


# --- the service --------------------------------------------------------------------------------


def test_a_sale_of_999_999_999_999_999_is_not_booked(org, world):
    before = SalesRecord.objects.count()
    with pytest.raises(DomainError, match="Amount 999,999,999,999,999 is not plausible") as refused:
        sale(DAY, world, HUGE, [(org.salesperson, 100)])
    assert refused.value.field == "amount"
    assert SalesRecord.objects.count() == before


def test_an_amount_far_above_the_usual_needs_a_confirmation_naming_the_person(org, world):
    before = SalesRecord.objects.count()
    with pytest.raises(DomainError) as refused:
        sale(DAY, world, "10000.01", [(org.salesperson, 100)])
    message = str(refused.value)
    assert refused.value.field == "confirm"
    assert shown(org, org.salesperson) in message
    assert org.salesperson.username not in message.replace(org.salesperson.display_name, "")
    assert "more than 10 times the largest sale" in message and "1,000.00" in message
    assert SalesRecord.objects.count() == before
    # Ten times exactly is usual enough; confirmed, more is booked.
    sale(DAY, world, "10000", [(org.salesperson, 100)])
    record = sale(DAY, world, "150000", [(org.salesperson, 100)], confirm=True)
    assert record.amount == D("150000")


def test_every_credited_person_is_measured_against_their_own_largest_sale(org, world):
    # tina has no sale yet: she is measured against anyone's largest (sam's 1,000).
    with pytest.raises(DomainError) as refused:
        sale(DAY, world, "20000", [(org.teammate, 100)])
    assert shown(org, org.teammate) in str(refused.value)
    # tina sells 500; sam's largest becomes 12,000: 100,000 is usual enough for him, not
    # for her.
    sale(DAY, world, "500", [(org.teammate, 100)])
    sale(DAY, world, "12000", [(org.salesperson, 100)], confirm=True)
    sale(DAY, world, "100000", [(org.salesperson, 100)])
    with pytest.raises(DomainError) as refused:
        sale(DAY, world, "100000", [(org.salesperson, 50), (org.teammate, 50)])
    assert shown(org, org.teammate) in str(refused.value)


def test_the_first_sale_ever_needs_no_confirmation(org):
    make_year()
    globex = customer(org.salesperson, external_id="C-9")
    assert sale(DAY, globex, "5000000", [(org.salesperson, 100)]).amount == D("5000000")


def test_a_changed_record_keeping_its_amount_is_not_asked_again(org, world):
    big = sale(DAY, world, "50000", [(org.salesperson, 100)], confirm=True)
    changed = services.record_save(
        record=big, date=DAY, customer=world, amount=D("50000"), quantity=D(3),
        gross_margin=D(0), credits=[(org.salesperson, D(100))],
    )  # fmt: skip
    assert changed.quantity == 3


def test_a_return_with_a_positive_quantity_says_to_make_it_negative(org, world):
    with pytest.raises(DomainError, match="make the quantity negative too") as refused:
        sale(DAY, world, "-100", [(org.salesperson, 100)], quantity=D(2))
    assert refused.value.field == "quantity"


def test_a_credit_split_naming_someone_twice_names_them_as_shown(org, world):
    with pytest.raises(DomainError, match="is credited twice") as refused:
        sale(DAY, world, "100", [(org.salesperson, 50), (org.salesperson, 50)])
    assert shown(org, org.salesperson) in str(refused.value)


def test_the_bulk_push_reports_the_row_and_takes_a_confirm_flag(org, world):
    def row(n, **more):
        return {
            "external_id": f"ERP-{n}", "date": DAY.isoformat(), "customer": "C-1",
            "amount": "99000", "quantity": "1", "gross_margin": "0",
            "credits": [{"person": org.salesperson.username, "share_pct": "100"}],
        } | more  # fmt: skip

    with pytest.raises(RowsRefused) as refused:
        services.records_bulk_upsert([row(1), row(2, amount="100")], org.department)
    assert [(e.row, e.field) for e in refused.value.errors] == [(1, "confirm")]
    assert shown(org, org.salesperson) in refused.value.errors[0].message
    result = services.records_bulk_upsert([row(1, confirm="yes"), row(2, amount="100")])
    assert result == {"created": 2, "updated": 0}


def test_follow_up_dates_of_2030_or_1900_are_refused(org, world):
    base = {"customer": world, "salesperson": org.salesperson, "kind": "call"}
    with pytest.raises(DomainError, match="more than a year ahead") as refused:
        services.followup_save(
            **base, happened_on=TODAY, next_action="Call", next_action_on=datetime.date(2030, 1, 2)
        )
    assert refused.value.field == "next_action_on"
    with pytest.raises(DomainError, match="more than a year ago") as refused:
        services.followup_save(**base, happened_on=datetime.date(1900, 1, 1))
    assert refused.value.field == "happened_on"
    assert not FollowUp.objects.exists()


def test_an_old_follow_up_is_still_edited_when_its_date_is_not_changed(org, world):
    old = FollowUp.objects.create(
        customer=world, salesperson=org.salesperson, kind="call",
        happened_on=TODAY - datetime.timedelta(days=500),
    )  # fmt: skip
    saved = services.followup_save(
        followup=old, customer=world, salesperson=org.salesperson, kind="visit",
        happened_on=old.happened_on,
    )  # fmt: skip
    assert saved.kind == "visit"


def test_a_customer_since_1850_is_refused_and_the_database_agrees(org, world):
    with pytest.raises(DomainError, match="1850-01-01 is not plausible") as refused:
        customer(
            org.salesperson, name="Old", status="active",
            became_customer_on=datetime.date(1850, 1, 1),
        )  # fmt: skip
    assert refused.value.field == "became_customer_on"
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.filter(pk=world.pk).update(became_customer_on=datetime.date(1850, 1, 1))


@pytest.mark.parametrize("field", ["amount", "quantity", "gross_margin", "collected_amount"])
def test_the_database_refuses_a_value_beyond_the_limit(org, world, field):
    with pytest.raises(IntegrityError), transaction.atomic():
        SalesRecord.objects.update(**{field: D("1000000000")})


# --- the page, the API and the import ------------------------------------------------------


def entry(world, person, amount, **more):
    return {
        "date": DAY.isoformat(), "customer": world.pk, "product": "Pump", "category": "",
        "amount": amount, "quantity": "1", "gross_margin": "", "collected_amount": "",
        "collected_on": "", "credits-TOTAL_FORMS": "1", "credits-INITIAL_FORMS": "1",
        "credits-MIN_NUM_FORMS": "0", "credits-MAX_NUM_FORMS": "20",
        "credits-0-person": person.pk, "credits-0-share_pct": "100",
    } | more  # fmt: skip


def test_the_page_shows_a_confirm_checkbox_for_a_far_larger_amount(client_as, org, world):
    client = client_as("salesperson")
    url = reverse("sales:record-new")
    assert 'id="confirm-amount"' not in client.get(url).content.decode()
    response = client.post(url, entry(world, org.salesperson, "25000"))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="confirm-amount"' in body and 'name="confirm"' in body
    assert shown(org, org.salesperson) in body
    response = client.post(url, entry(world, org.salesperson, "25000", confirm="on"))
    assert response.status_code == 302
    assert SalesRecord.objects.filter(amount=D("25000")).exists()


def test_the_page_refuses_an_implausible_amount_next_to_the_field(client_as, org, world):
    response = client_as("salesperson").post(
        reverse("sales:record-new"), entry(world, org.salesperson, HUGE, confirm="on")
    )
    assert response.status_code == 400
    assert (
        response.context["form"]
        .errors["amount"][0]
        .startswith("Amount 999,999,999,999,999 is not plausible")
    )


def test_the_api_needs_the_confirm_flag(org, world):
    client = APIClient()
    client.force_login(org.salesperson)
    body = {
        "date": DAY.isoformat(), "customer": world.pk, "amount": "30000", "quantity": "1",
        "credits": [{"person": org.salesperson.pk, "share_pct": "100"}],
    }  # fmt: skip
    refused = client.post("/api/v1/sales-records/", body, format="json")
    assert refused.status_code == 400
    assert shown(org, org.salesperson) in refused.content.decode()
    accepted = client.post("/api/v1/sales-records/", body | {"confirm": True}, format="json")
    assert accepted.status_code == 201, accepted.content


def test_the_import_reports_the_row_and_reads_a_confirm_column(org, world):
    import io

    def upload(rows):
        text = "\r\n".join(",".join(r) for r in rows).encode()
        file = io.BytesIO(text)
        file.name = "sales.csv"
        return file

    header = ["external_id", "date", "customer", "amount", "quantity", "person1", "share1"]
    big = ["ERP-9", DAY.isoformat(), "C-1", "77000", "1", org.salesperson.username, "100"]
    result = imports.import_records(upload([header, big]), filename="sales.csv",
                                    acting_user=org.department)  # fmt: skip
    assert [(e.row, e.column) for e in result.errors] == [(2, "confirm")]
    assert shown(org, org.salesperson) in result.errors[0].message
    result = imports.import_records(
        upload([[*header, "confirm"], [*big, "yes"]]), filename="sales.csv",
        acting_user=org.department,
    )  # fmt: skip
    assert not result.errors
    assert SalesRecord.objects.filter(external_id="ERP-9").exists()
