"""The one filter definition of each targets list (django-filter), used by the API
(through `core.api.StrictFilterBackend`) and by the pages' selectors alike.

Filters only narrow a queryset that `targets.permissions` already limited to what
the user may see; an id of a hidden object simply matches nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.filters import IdFilter
from org.models import Period
from targets.models import Adjustment, Target


class TargetFilter(filters.FilterSet):
    metric = IdFilter(field_name="metric_id", label=_("metric id"))
    period = IdFilter(field_name="period_id", label=_("period id"))
    fiscal_year = IdFilter(field_name="period__fiscal_year_id", label=_("fiscal year id"))
    kind = filters.ChoiceFilter(
        field_name="period__kind", choices=Period.Kind.choices, label=_("period kind")
    )
    unit = IdFilter(field_name="unit_id", label=_("owning unit id"))
    person = IdFilter(field_name="person_id", label=_("owning person id"))
    team = IdFilter(field_name="team_id", label=_("team id (people's targets in that team)"))
    status = filters.ChoiceFilter(choices=Target.Status.choices, label=_("status"))
    allocation = filters.ChoiceFilter(
        field_name="allocation_status",
        choices=Target.AllocationStatus.choices,
        label=_("allocation status"),
    )

    class Meta:
        model = Target
        fields = [
            "metric",
            "period",
            "fiscal_year",
            "kind",
            "unit",
            "person",
            "team",
            "status",
            "allocation",
        ]


class AdjustmentFilter(filters.FilterSet):
    target = IdFilter(field_name="target_id", label=_("target id"))
    status = filters.ChoiceFilter(choices=Adjustment.Status.choices, label=_("status"))
    kind = filters.ChoiceFilter(choices=Adjustment.Reason.choices, label=_("kind"))

    class Meta:
        model = Adjustment
        fields = ["target", "status", "kind"]
