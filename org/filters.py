"""Query-string filters of the organisation API (django-filter).

Filters only narrow a queryset that `org.permissions` already limited to what
the user may see; an id of a hidden object simply matches nothing (no 400 that
would tell it exists).
"""

from __future__ import annotations

from django.db.models import Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.filters import IdFilter
from org.models import Membership, OrgUnit, Period, Role, User
from org.permissions import active_on_q


class UnitFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=OrgUnit.Kind.choices, label=_("kind"))
    parent = IdFilter(field_name="parent_id", label=_("parent unit id"))
    code = filters.CharFilter(field_name="code", lookup_expr="iexact", label=_("code"))
    is_active = filters.BooleanFilter(label=_("active"))
    subtree_of = IdFilter(
        method="filter_subtree_of", label=_("the unit with this id and every unit below it")
    )

    class Meta:
        model = OrgUnit
        fields = ["kind", "parent", "code", "is_active", "subtree_of"]

    def filter_subtree_of(self, queryset, name, value: int):
        # One subquery, no extra round trip; an unknown id yields NULL, so nothing.
        root_path = OrgUnit.objects.filter(pk=value).values("path")[:1]
        return queryset.filter(path__startswith=Subquery(root_path))


class PersonFilter(filters.FilterSet):
    """The people list's one filter definition: the API's, and the people page's (through
    `org.selectors.people_list`, its form handing its values over as these parameters)."""

    q = filters.CharFilter(
        method="filter_q", label=_("user name, first or last name or employee number contains")
    )
    role = filters.ChoiceFilter(choices=Role.choices, method="filter_role", label=_("role"))
    unit = IdFilter(method="filter_unit", label=_("current member of the unit id"))
    within = IdFilter(
        method="filter_within",
        label=_("currently in the unit with this id or a unit below it (any membership kind)"),
    )

    class Meta:
        model = User
        fields = ["q", "role", "unit", "within"]

    def __init__(self, data=None, queryset=None, *, day=None, **kwargs):
        # "Current" means on `day`: the caller's day (one clock read per request), else today.
        super().__init__(data, queryset, **kwargs)
        self.day = day or timezone.localdate()

    def filter_q(self, queryset, name, value: str):
        return queryset.filter(
            Q(username__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(employee_no__icontains=value)
        )

    def filter_role(self, queryset, name, value: str):
        return queryset.filter(role_assignments__role=value)

    def filter_unit(self, queryset, name, value: int):
        members = Membership.objects.filter(
            active_on_q(self.day), unit_id=value, kind=Membership.Kind.MEMBER
        )
        return queryset.filter(pk__in=members.values("user_id"))

    def filter_within(self, queryset, name, value: int):
        root_path = OrgUnit.objects.filter(pk=value).values("path")[:1]
        inside = Membership.objects.filter(
            active_on_q(self.day), unit__path__startswith=Subquery(root_path)
        )
        return queryset.filter(pk__in=inside.values("user_id"))


class MembershipFilter(filters.FilterSet):
    user = IdFilter(field_name="user_id", label=_("person id"))
    unit = IdFilter(field_name="unit_id", label=_("unit id"))
    kind = filters.ChoiceFilter(choices=Membership.Kind.choices, label=_("kind"))
    active_on = filters.DateFilter(method="filter_active_on", label=_("running on this date"))

    class Meta:
        model = Membership
        fields = ["user", "unit", "kind", "active_on"]

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(active_on_q(value))


class PeriodFilter(filters.FilterSet):
    fiscal_year = IdFilter(field_name="fiscal_year_id", label=_("fiscal year id"))
    kind = filters.ChoiceFilter(choices=Period.Kind.choices, label=_("kind"))
    status = filters.ChoiceFilter(choices=Period.Status.choices, label=_("status"))
    contains = filters.DateFilter(method="filter_contains", label=_("periods containing this date"))

    class Meta:
        model = Period
        fields = ["fiscal_year", "kind", "status", "contains"]

    def filter_contains(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gte=value)
