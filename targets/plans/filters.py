"""The one filter definition of the sales plans list (django-filter), used by the API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.filters import IdFilter
from targets.models import SalesPlan


class SalesPlanFilter(filters.FilterSet):
    person = IdFilter(field_name="person_id", label=_("person id"))
    period = IdFilter(field_name="period_id", label=_("period id"))
    status = filters.ChoiceFilter(choices=SalesPlan.Status.choices, label=_("status"))

    class Meta:
        model = SalesPlan
        fields = ["person", "period", "status"]
