"""The one filter definition of each feedback list (django-filter): progress reports and
satisfaction answers, used by the API through `core.api.StrictFilterBackend` and by the
pages through `sales.feedback.selectors` (e.g. `satisfaction_filtered`).

Filters only narrow a queryset that `sales.feedback.permissions` already limited to what
the user may see; an id of a hidden object simply matches nothing.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.filters import IdFilter
from org.models import Membership, OrgUnit
from sales.models import ProgressReport, SatisfactionResponse


class ProgressReportFilter(filters.FilterSet):
    person = IdFilter(field_name="person_id", label=_("person id"))
    frequency = filters.ChoiceFilter(choices=ProgressReport.Frequency.choices, label=_("frequency"))
    period_start = filters.DateFilter(label=_("first day of the period"))
    since = filters.DateFilter(
        field_name="period_start", lookup_expr="gte", label=_("periods starting on or after")
    )
    until = filters.DateFilter(
        field_name="period_start", lookup_expr="lte", label=_("periods starting on or before")
    )
    submitted = filters.BooleanFilter(
        field_name="submitted_at",
        lookup_expr="isnull",
        exclude=True,
        label=_("true: submitted ones; false: drafts"),
    )

    class Meta:
        model = ProgressReport
        fields = ["person", "frequency", "period_start", "since", "until", "submitted"]


class SatisfactionFilter(filters.FilterSet):
    salesperson = IdFilter(field_name="salesperson_id", label=_("salesperson id"))
    customer = IdFilter(field_name="customer_id", label=_("customer id"))
    period = IdFilter(field_name="period_id", label=_("month period id"))
    answered_from = filters.DateFilter(
        field_name="answered_on", lookup_expr="gte", label=_("answered on or after")
    )
    answered_to = filters.DateFilter(
        field_name="answered_on", lookup_expr="lte", label=_("answered on or before")
    )
    unit = IdFilter(
        method="filter_unit",
        label=_("unit id: about people who were members in it or below on the day of the answer"),
    )
    score = filters.NumberFilter(label=_("score"))
    external_id = filters.CharFilter(label=_("external id"))

    class Meta:
        model = SatisfactionResponse
        fields = [
            "salesperson",
            "customer",
            "period",
            "answered_from",
            "answered_to",
            "unit",
            "score",
            "external_id",
        ]

    def filter_unit(self, queryset, name, value: int):
        root_path = OrgUnit.objects.filter(pk=value).values("path")[:1]
        in_unit = Membership.objects.filter(
            unit__path__startswith=Subquery(root_path),
            kind=Membership.Kind.MEMBER,
            user_id=OuterRef("salesperson_id"),
            start_date__lte=OuterRef("answered_on"),
        ).filter(Q(end_date__isnull=True) | Q(end_date__gte=OuterRef("answered_on")))
        return queryset.filter(Exists(in_unit))
