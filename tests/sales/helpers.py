"""Shared set-up for the sales tests: a calendar fiscal year and customers."""

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


def make_year(start_year: int = 2026):
    return fiscal_year_create(start_year=start_year, start_month=1)
