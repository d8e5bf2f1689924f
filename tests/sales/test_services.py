"""Writes of sales/records/services.py: records with their credit split, the ERP's bulk
upsert, cancellation, customers, contacts and follow-ups. Every refusal writes
nothing."""

import datetime
from decimal import Decimal as D

import pytest

from core.errors import DomainError
from core.imports import RowsRefused
from org.models import Membership
from sales.models import Contact, Customer, FollowUp, SalesCredit, SalesRecord
from sales.records import selectors, services
from tests.factories import MembershipFactory, UserFactory
from tests.sales.helpers import (
    BAD_BULK_ROWS_REFUSED,
    bad_bulk_rows,
    customer,
    make_year,
    month,
    sale,
    set_status,
)

DAY = datetime.date(2026, 3, 10)


def counts():
    return (
        SalesRecord.objects.count(),
        SalesCredit.objects.count(),
        SalesRecord.history.count(),
        SalesCredit.history.count(),
    )


@pytest.fixture
def year(org):
    return make_year()


@pytest.fixture
def globex(org):
    return customer(org.salesperson, external_id="C-1")


# --- a single record ---------------------------------------------------------------------


def test_a_record_is_saved_in_its_month_with_credits_adding_up_to_the_amount(org, year, globex):
    record = sale(
        DAY,
        globex,
        "100.00",
        [(org.salesperson, "33.33"), (org.teammate, "33.33"), (org.east2_person, "33.34")],
        acting_user=org.salesperson,
        gross_margin=D("10.00"),
        quantity=D("3"),
    )
    assert record.period == month(year, 3)
    assert record.created_by == org.salesperson
    credits = list(record.credits.order_by("person__username"))
    assert [c.person.username for c in credits] == ["eve", "sam", "tina"]
    assert [c.team for c in credits] == [org.team2, org.team, org.team]
    assert sum(c.amount for c in credits) == D("100.00")
    assert sum(c.gross_margin for c in credits) == D("10.00")
    assert sum(c.quantity for c in credits) == D("3")
    assert all(c.date == DAY and c.booked for c in credits)
    assert record.history.first().history_user == org.salesperson


def test_the_same_external_id_twice_updates_and_never_duplicates(org, year, globex):
    first = sale(DAY, globex, "100", [(org.salesperson, 100)], external_id="ERP-1")
    second = sale(
        DAY.replace(day=20),
        globex,
        "250",
        [(org.salesperson, 50), (org.teammate, 50)],
        external_id="ERP-1",
    )
    assert second.pk == first.pk
    assert SalesRecord.objects.count() == 1
    assert SalesRecord.objects.get().amount == D("250.00")
    assert sorted(c.amount for c in SalesCredit.objects.all()) == [D("125.00"), D("125.00")]


def test_a_credit_split_not_adding_up_to_100_is_refused_and_nothing_written(org, year, globex):
    before = counts()
    with pytest.raises(DomainError, match="add up to 90 %"):
        sale(DAY, globex, "100", [(org.salesperson, 60), (org.teammate, 30)])
    assert counts() == before


@pytest.mark.parametrize("status", ["closed", "closing"])
def test_a_record_dated_in_a_closed_or_closing_period_is_refused_naming_it(
    org, year, globex, status
):
    set_status(month(year, 3), status)
    before = counts()
    with pytest.raises(
        DomainError, match=f"March 2026 is {status}: a correction goes into an open"
    ):
        sale(DAY, globex, "100", [(org.salesperson, 100)])
    assert counts() == before


def test_a_record_whose_period_is_closed_cannot_be_moved_into_an_open_one(org, year, globex):
    sale(DAY, globex, "100", [(org.salesperson, 100)], external_id="ERP-1")
    set_status(month(year, 3), "closed")
    before = counts()
    with pytest.raises(DomainError, match="Record ERP-1 is in March 2026, which is closed"):
        sale(datetime.date(2026, 4, 2), globex, "90", [(org.salesperson, 100)], external_id="ERP-1")
    assert counts() == before
    assert SalesRecord.objects.get().amount == D("100.00")


def test_a_record_outside_any_fiscal_year_is_refused(org, year, globex):
    with pytest.raises(DomainError, match="no fiscal period for 2025-12-31"):
        sale(datetime.date(2025, 12, 31), globex, "100", [(org.salesperson, 100)])
    assert SalesRecord.objects.count() == 0


def test_a_credited_person_without_a_team_on_the_day_is_refused_by_name(org, year, globex):
    newcomer = UserFactory(username="nick", roles=["salesperson"])
    MembershipFactory(user=newcomer, unit=org.team, start_date=datetime.date(2026, 4, 1))
    before = counts()
    # Named as the pages show them, never by username.
    shown = f"{newcomer.display_name} is not a member of any team on 2026-03-10"
    with pytest.raises(DomainError, match=shown) as refused:
        sale(DAY, globex, "100", [(org.salesperson, 50), (newcomer, 50)])
    assert "nick" not in str(refused.value)
    assert counts() == before


def test_the_credit_goes_to_the_team_the_person_was_in_on_the_record_date(org, year, globex):
    Membership.objects.filter(user=org.salesperson, kind="member").update(
        end_date=datetime.date(2026, 3, 31)
    )
    MembershipFactory(user=org.salesperson, unit=org.team2, start_date=datetime.date(2026, 4, 1))
    march = sale(DAY, globex, "10", [(org.salesperson, 100)])
    april = sale(datetime.date(2026, 4, 5), globex, "10", [(org.salesperson, 100)])
    assert march.credits.get().team == org.team
    assert april.credits.get().team == org.team2


def test_inconsistent_values_are_refused_and_nothing_written(org, year, globex):
    before = counts()
    with pytest.raises(DomainError, match="exceeds the amount"):
        sale(DAY, globex, "100", [(org.salesperson, 100)], collected_amount=D(200),
             collected_on=DAY)  # fmt: skip
    assert counts() == before


# --- cancellation --------------------------------------------------------------------------


def test_a_cancelled_record_and_its_credits_stop_being_booked(org, year, globex):
    record = sale(DAY, globex, "100", [(org.salesperson, 60), (org.teammate, 40)])
    services.record_cancel(record=record, acting_user=org.department)
    record.refresh_from_db()
    assert record.status == SalesRecord.Status.CANCELLED
    assert not SalesCredit.objects.filter(booked=True).exists()
    assert record.history.first().history_user == org.department
    with pytest.raises(DomainError, match="already cancelled"):
        services.record_cancel(record=record)


def test_a_record_in_a_closed_period_cannot_be_cancelled(org, year, globex):
    record = sale(DAY, globex, "100", [(org.salesperson, 100)])
    set_status(month(year, 3), "closed")
    with pytest.raises(DomainError, match="March 2026 is closed"):
        services.record_cancel(record=record)
    assert SalesRecord.objects.get().status == SalesRecord.Status.BOOKED
    assert SalesCredit.objects.get().booked


# --- bulk upsert -----------------------------------------------------------------------------


def row(n, **overrides):
    return {
        "external_id": f"ERP-{n}",
        "date": "2026-03-10",
        "customer": "C-1",
        "amount": "100.00",
        "quantity": "1",
        "gross_margin": "20",
        "credits": [{"person": "sam", "share_pct": "60"}, {"person": "tina", "share_pct": "40"}],
    } | overrides


def test_bulk_rows_are_created_then_updated_by_external_id(org, year, globex):
    assert services.records_bulk_upsert([row(1), row(2)], org.department) == {
        "created": 2,
        "updated": 0,
    }
    result = services.records_bulk_upsert([row(1, amount="50"), row(3)], org.department)
    assert result == {"created": 1, "updated": 1}
    assert SalesRecord.objects.count() == 3
    assert SalesRecord.objects.get(external_id="ERP-1").amount == D("50.00")
    assert sorted(SalesCredit.objects.filter(record__external_id="ERP-1").values_list(
        "amount", flat=True)) == [D("20.00"), D("30.00")]  # fmt: skip
    assert SalesCredit.objects.count() == 6
    assert SalesRecord.objects.get(external_id="ERP-3").period == month(year, 3)


def test_a_bulk_with_bad_rows_names_each_row_and_field_and_writes_nothing(org, year, globex):
    set_status(month(year, 2), "closed")
    rows = bad_bulk_rows(row)
    before = counts()
    with pytest.raises(RowsRefused) as refused:
        services.records_bulk_upsert(rows, org.department)
    assert counts() == before
    found = {(e.row, e.field): e.message for e in refused.value.errors}
    assert found.keys() == BAD_BULK_ROWS_REFUSED
    assert "Unknown customer: NOPE" in found[(2, "customer")]
    assert "Unknown salesperson: ghost" in found[(3, "credits")]
    assert "add up to 70 %" in found[(4, "credits")]
    assert "February 2026 is closed" in found[(5, "date")]
    assert "also in row 1" in found[(6, "external_id")]
    assert "row 2, customer" in str(refused.value)


def test_bulk_upsert_runs_a_bounded_number_of_queries(
    org, year, globex, django_assert_max_num_queries
):
    # 29: with the largest sale of each person credited and of anyone (a query each).
    with django_assert_max_num_queries(29):
        services.records_bulk_upsert([row(n) for n in range(3)], org.department)
    with django_assert_max_num_queries(29):
        services.records_bulk_upsert([row(n) for n in range(120)], org.department)
    with django_assert_max_num_queries(29):  # all of them again: updates
        services.records_bulk_upsert(
            [row(n, amount="7", gross_margin="2") for n in range(120)], org.department
        )
    assert SalesRecord.objects.count() == 120
    assert set(SalesRecord.objects.values_list("amount", flat=True)) == {D("7.00")}
    # Replaced credits leave a "deleted" row in the audit trail.
    assert SalesCredit.history.filter(history_type="-").count() == 240 + 6
    assert SalesCredit.objects.count() == 240


# --- customers, contacts, follow-ups --------------------------------------------------------


def test_a_customer_becoming_active_without_a_date_became_one_today(org, year):
    cust = customer(org.salesperson, status=Customer.Status.ACTIVE)
    assert cust.became_customer_on is not None
    assert cust.history.first().history_user == org.salesperson


def test_a_prospect_with_a_customer_date_is_refused(org):
    with pytest.raises(DomainError, match="A prospect has not become a customer"):
        customer(org.salesperson, became_customer_on=DAY)
    assert Customer.objects.count() == 0


def test_a_second_customer_with_the_same_external_id_is_refused(org, globex):
    with pytest.raises(DomainError, match="already has the external id C-1"):
        customer(org.teammate, name="Initech", external_id="C-1")
    assert Customer.objects.count() == 1
    # The customer itself may keep its id when changed.
    services.customer_save(customer=globex, name="Globex Ltd", owner=org.salesperson,
                           external_id="C-1")  # fmt: skip
    assert Customer.objects.get().name == "Globex Ltd"


def test_a_customer_without_a_name_is_refused(org):
    with pytest.raises(DomainError, match="needs a name"):
        customer(org.salesperson, name="  ")


def test_a_contact_with_a_bad_email_is_refused(org, globex):
    with pytest.raises(DomainError, match="not-mail is not an email address"):
        services.contact_save(customer=globex, name="Ann", email="not-mail")
    assert Contact.objects.count() == 0
    services.contact_save(customer=globex, name="Ann", email="ann@globex.test", title="CTO")
    assert globex.contacts.get().title == "CTO"


def test_a_follow_up_with_its_next_action_before_it_is_refused(org, globex):
    with pytest.raises(DomainError, match="before the follow-up itself"):
        services.followup_save(customer=globex, salesperson=org.salesperson, kind="visit",
                               happened_on=DAY, next_action="call back",
                               next_action_on=DAY - datetime.timedelta(days=1))  # fmt: skip
    assert FollowUp.objects.count() == 0


def test_a_follow_up_is_noted_and_marked_done_once(org, globex):
    followup = services.followup_save(
        customer=globex,
        salesperson=org.salesperson,
        kind="pre_sales",
        happened_on=DAY,
        need="needs a demo",
        next_action="demo",
        next_action_on=DAY + datetime.timedelta(days=7),
        acting_user=org.salesperson,
    )
    services.followup_done(followup=followup, acting_user=org.salesperson)
    assert FollowUp.objects.get().done
    with pytest.raises(DomainError, match="already done"):
        services.followup_done(followup=followup)


def test_an_unknown_follow_up_kind_is_refused(org, globex):
    with pytest.raises(DomainError, match="Unknown kind of follow-up: email"):
        services.followup_save(customer=globex, salesperson=org.salesperson, kind="email",
                               happened_on=DAY)  # fmt: skip


def test_a_correction_of_a_closed_month_is_a_negative_record_in_an_open_one(org, year, globex):
    sale(DAY, globex, "100", [(org.salesperson, 100)], external_id="ERP-1")
    set_status(month(year, 3), "closed")
    correction = sale(datetime.date(2026, 4, 2), globex, "-40", [(org.salesperson, 100)],
                      quantity=D(-1), external_id="ERP-1-RETURN")  # fmt: skip
    assert correction.period == month(year, 4)
    assert correction.credits.get().amount == D("-40.00")
    assert SalesRecord.objects.get(external_id="ERP-1").amount == D("100.00")


def _pushed(org, external_id="ERP-9", **extra):
    return {
        "external_id": external_id,
        "date": "2026-03-10",
        "customer": "C-1",
        "amount": "500",
        "quantity": "1",
        "gross_margin": "100",
        "credits": [{"person": org.salesperson.username, "share_pct": "100"}],
        **extra,
    }


def test_a_cancelled_record_pushed_again_stays_cancelled_unless_the_row_says_booked(
    org, year, globex
):
    services.records_bulk_upsert([_pushed(org)], org.department)
    record = SalesRecord.objects.get(external_id="ERP-9")
    services.record_cancel(record=record, acting_user=org.department)
    services.records_bulk_upsert([_pushed(org, amount="600")], org.department)
    record.refresh_from_db()
    assert (record.status, record.amount) == ("cancelled", D(600))
    assert not record.credits.filter(booked=True).exists()
    assert selectors.month_totals_stored() == selectors.month_totals_from_credits() == {}
    services.records_bulk_upsert([_pushed(org, status="booked")], org.department)
    record.refresh_from_db()
    assert record.status == "booked" and record.credits.get().booked
    assert selectors.month_totals_stored() == selectors.month_totals_from_credits()
    services.records_bulk_upsert([_pushed(org, status="cancelled")], org.department)
    record.refresh_from_db()
    assert record.status == "cancelled"
    assert selectors.month_totals_stored() == selectors.month_totals_from_credits() == {}


def test_an_unknown_status_is_refused_by_row_and_field(org, year, globex):
    with pytest.raises(RowsRefused) as refused:
        services.records_bulk_upsert([_pushed(org, status="lost")], org.department)
    assert [(e.row, e.field) for e in refused.value.errors] == [(1, "status")]
    assert not SalesRecord.objects.exists()


# --- no dates in the future (a day of grace for clocks) -------------------------------------

NOW = "2026-03-10 23:30 +08:00"  # late evening of DAY in Shanghai


def test_a_sale_or_collection_after_tomorrow_is_refused_naming_the_field(
    org, year, globex, time_machine
):
    time_machine.move_to(NOW)
    tomorrow, later = DAY + datetime.timedelta(days=1), DAY + datetime.timedelta(days=2)
    before = counts()
    with pytest.raises(DomainError) as refused:
        sale(later, globex, "100", [(org.salesperson, 100)])
    assert refused.value.field == "date"
    assert str(refused.value) == (
        "The sale's date 2026-03-12 is in the future: the latest date allowed is 2026-03-11."
    )
    with pytest.raises(DomainError) as refused:
        sale(DAY, globex, "100", [(org.salesperson, 100)], collected_amount=D(100),
             collected_on=later)  # fmt: skip
    assert refused.value.field == "collected_on"
    assert "2026-03-12 is in the future: the latest date allowed is 2026-03-11" in str(
        refused.value
    )
    assert counts() == before
    # Tomorrow is within the grace for a clock ahead of ours.
    record = sale(tomorrow, globex, "100", [(org.salesperson, 100)], collected_amount=D(100),
                  collected_on=tomorrow)  # fmt: skip
    assert (record.date, record.collected_on) == (tomorrow, tomorrow)


def test_a_bulk_row_dated_in_the_future_is_named(org, year, globex, time_machine):
    time_machine.move_to(NOW)
    before = counts()
    rows = [row(1, date="2026-03-20"), row(2, collected_amount="10", collected_on="2026-04-01")]
    with pytest.raises(RowsRefused) as refused:
        services.records_bulk_upsert(rows, org.department)
    assert [(e.row, e.field) for e in refused.value.errors] == [(1, "date"), (2, "collected_on")]
    assert "the latest date allowed is 2026-03-11" in refused.value.errors[0].message
    assert counts() == before


def test_a_follow_up_happened_by_tomorrow_but_its_next_action_may_be_later(
    org, globex, time_machine
):
    time_machine.move_to(NOW)
    with pytest.raises(DomainError) as refused:
        services.followup_save(customer=globex, salesperson=org.salesperson, kind="visit",
                               happened_on=DAY + datetime.timedelta(days=2))  # fmt: skip
    assert refused.value.field == "happened_on"
    assert str(refused.value) == (
        "The follow-up's date 2026-03-12 is in the future: the latest date allowed is "
        "2026-03-11. To plan a contact, give it as the next action date."
    )
    assert FollowUp.objects.count() == 0
    planned = services.followup_save(
        customer=globex,
        salesperson=org.salesperson,
        kind="visit",
        happened_on=DAY,
        next_action="visit the new lab",
        next_action_on=DAY + datetime.timedelta(days=60),
    )
    assert planned.next_action_on == datetime.date(2026, 5, 9)


def test_a_customer_did_not_become_one_in_the_future(org, year, globex, time_machine):
    time_machine.move_to(NOW)
    with pytest.raises(DomainError) as refused:
        customer(org.salesperson, name="Initech", status=Customer.Status.ACTIVE,
                 became_customer_on=datetime.date(2026, 4, 1))  # fmt: skip
    assert refused.value.field == "became_customer_on"
    assert str(refused.value) == (
        "The customer-since date 2026-04-01 is in the future: the latest date allowed is "
        "2026-03-11."
    )
    assert Customer.objects.count() == 1
    # Without a date, an active customer became one today, in Shanghai's calendar.
    assert customer(org.salesperson, name="Initech", status="active").became_customer_on == DAY
