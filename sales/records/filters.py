"""The one filter definition of each sales list (django-filter), used by its page and
by the API alike: the API through `core.api.StrictFilterBackend`, the pages through the
selectors (`sales.records.selectors.records_filtered` and its siblings), whose filter forms
only offer the choices and hand their values over as these filters' parameters.

Filters only narrow a queryset that `sales.records.permissions` already limited to what the
user may see; an id of a hidden object simply matches nothing (no 400 that would
tell it exists). Filters on a record's people and teams look at its credits with
EXISTS, so a record credited to several people is listed once.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.filters import IdFilter
from org.models import OrgUnit, Period
from sales.models import (
    Contact,
    Customer,
    FollowUp,
    SalesCredit,
    SalesRecord,
)


class CustomerFilter(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("name or external id contains"))
    status = filters.ChoiceFilter(choices=Customer.Status.choices, label=_("status"))
    owner = IdFilter(field_name="owner_id", label=_("owner id"))
    industry = filters.CharFilter(lookup_expr="iexact", label=_("industry"))
    region = filters.CharFilter(lookup_expr="iexact", label=_("region"))

    class Meta:
        model = Customer
        fields = ["q", "status", "owner", "industry", "region"]

    def filter_q(self, queryset, name, value: str):
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(Q(name__icontains=text) | Q(external_id__icontains=text))


class ContactFilter(filters.FilterSet):
    customer = IdFilter(field_name="customer_id", label=_("customer id"))

    class Meta:
        model = Contact
        fields = ["customer"]


def _due_q() -> Q:
    return FollowUp.due_q(timezone.localdate())


class FollowUpFilter(filters.FilterSet):
    due = filters.BooleanFilter(
        method="filter_due",
        label=_("due: not done, with a next action due today or earlier"),
    )
    done = filters.BooleanFilter(label=_("done"))
    customer = IdFilter(field_name="customer_id", label=_("customer id"))
    salesperson = IdFilter(field_name="salesperson_id", label=_("salesperson id"))
    kind = filters.ChoiceFilter(choices=FollowUp.Kind.choices, label=_("kind"))
    date_from = filters.DateFilter(
        field_name="happened_on", lookup_expr="gte", label=_("on or after (YYYY-MM-DD)")
    )
    date_to = filters.DateFilter(
        field_name="happened_on", lookup_expr="lte", label=_("on or before (YYYY-MM-DD)")
    )

    class Meta:
        model = FollowUp
        fields = ["due", "done", "customer", "salesperson", "kind", "date_from", "date_to"]

    def filter_due(self, queryset, name, value: bool):
        return queryset.filter(_due_q()) if value else queryset.exclude(_due_q())


class SalesRecordFilter(filters.FilterSet):
    date_from = filters.DateFilter(
        field_name="date", lookup_expr="gte", label=_("dated on or after (YYYY-MM-DD)")
    )
    date_to = filters.DateFilter(
        field_name="date", lookup_expr="lte", label=_("dated on or before (YYYY-MM-DD)")
    )
    period = IdFilter(
        method="filter_period",
        label=_("period id: records dated in that year, quarter or month"),
    )
    person = IdFilter(method="filter_person", label=_("credited to the person id"))
    team = IdFilter(
        method="filter_team",
        label=_("credited in the unit id or any unit below it (the team on the sale's day)"),
    )
    customer = IdFilter(field_name="customer_id", label=_("customer id"))
    status = filters.ChoiceFilter(choices=SalesRecord.Status.choices, label=_("status"))
    product = filters.CharFilter(lookup_expr="icontains", label=_("product contains"))
    category = filters.CharFilter(lookup_expr="iexact", label=_("category"))
    external_id = filters.CharFilter(label=_("external id"))
    q = filters.CharFilter(method="filter_q", label=_("product or category contains"))

    class Meta:
        model = SalesRecord
        fields = [
            "date_from",
            "date_to",
            "period",
            "person",
            "team",
            "customer",
            "status",
            "product",
            "category",
            "external_id",
            "q",
        ]

    def filter_q(self, queryset, name, value: str):
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(Q(product__icontains=text) | Q(category__icontains=text))

    def filter_period(self, queryset, name, value: int):
        # Subqueries, no extra round trip; an unknown id yields NULL, so nothing.
        period = Period.objects.filter(pk=value)
        return queryset.filter(
            date__gte=Subquery(period.values("start_date")[:1]),
            date__lte=Subquery(period.values("end_date")[:1]),
        )

    def filter_person(self, queryset, name, value: int):
        credits = SalesCredit.objects.filter(record_id=OuterRef("pk"), person_id=value)
        return queryset.filter(Exists(credits))

    def filter_team(self, queryset, name, value: int):
        root_path = OrgUnit.objects.filter(pk=value).values("path")[:1]
        credits = SalesCredit.objects.filter(
            record_id=OuterRef("pk"), team__path__startswith=Subquery(root_path)
        )
        return queryset.filter(Exists(credits))
