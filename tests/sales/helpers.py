"""Shared set-up for the sales tests: a calendar fiscal year and customers."""

import types
from decimal import Decimal as D

from org.models import Period
from org.services import fiscal_year_create
from sales.models import Customer
from sales.records import services


def month(fiscal_year, number: int) -> Period:
    return Period.objects.get(fiscal_year=fiscal_year, kind=Period.Kind.MONTH, number=number)


def set_status(period: Period, status: str) -> None:
    Period.objects.filter(pk=period.pk).update(status=status)


def customer(owner, name="Globex", external_id=None, **kwargs) -> Customer:
    return services.customer_save(
        name=name, owner=owner, external_id=external_id, acting_user=owner, **kwargs
    )


def sale(day, cust, amount, credits, acting_user=None, **kwargs):
    values = {"quantity": D(1), "gross_margin": D(0)} | kwargs
    return services.record_save(
        date=day,
        customer=cust,
        amount=D(amount),
        credits=[(p, D(s)) for p, s in credits],
        acting_user=acting_user,
        **values,
    )


def shared_sale(org, cust, day, **kwargs):
    """A sale of 400 of sam's customer `cust` on `day`, logged by sam and shared 50/50
    by sam and oscar (of another team)."""
    return sale(
        day,
        cust,
        "400",
        [(org.salesperson, 50), (org.other_salesperson, 50)],
        acting_user=org.salesperson,
        **kwargs,
    )


def make_year(start_year: int = 2026):
    return fiscal_year_create(start_year=start_year, start_month=1)


def bad_bulk_rows(row) -> list:
    """Ten rows of a bulk of sales records, made with `row(n, **overrides)`: row 1 as
    it is, rows 2 to 9 each wrong in one field (February 2026 closed), row 10 not a row
    at all. `BAD_BULK_ROWS_REFUSED` names what each is refused for."""
    return [
        row(1),
        row(2, customer="NOPE"),
        row(3, credits=[{"person": "ghost", "share_pct": "100"}]),
        row(4, credits=[{"person": "sam", "share_pct": "70"}]),
        row(5, date="2026-02-10"),
        row(1),
        row(7, date="10/03/2026"),
        row(8, gross_margin="500"),
        row(9, credits="sam"),
        "not a row",
    ]


# (row, field) of each problem of `bad_bulk_rows`
BAD_BULK_ROWS_REFUSED = {
    (2, "customer"),
    (3, "credits"),
    (4, "credits"),
    (5, "date"),
    (6, "external_id"),
    (7, "date"),
    (8, "gross_margin"),
    (9, "credits"),
    (10, "row"),
}


def credit_stub(
    person,
    day,
    amount,
    collected=0,
    collected_on=None,
    booked=True,
    team=7,
    *,
    gross_margin=0,
    quantity=1,
):
    """What the month totals read of a sales credit (ids, date, figures), without a row."""
    return types.SimpleNamespace(
        person_id=person,
        team_id=team,
        date=day,
        amount=D(amount),
        gross_margin=D(gross_margin),
        quantity=D(quantity),
        collected_amount=D(collected),
        collected_on=collected_on,
        booked=booked,
    )
