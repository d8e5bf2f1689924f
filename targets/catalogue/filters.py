"""The one filter definition of the metrics list (django-filter), used by the API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from targets.models import Metric


class MetricFilter(filters.FilterSet):
    is_active = filters.BooleanFilter(label=_("active"))
    unit = filters.ChoiceFilter(choices=Metric.Unit.choices, label=_("unit"))

    class Meta:
        model = Metric
        fields = ["is_active", "unit"]
