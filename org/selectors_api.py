"""Read helpers of the organisation API: the visible querysets with what their
serializers need joined or prefetched, so a page costs the same number of
queries whatever its size. Access is always decided by `org.permissions`."""

from __future__ import annotations

import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from org import permissions
from org.models import FiscalYear, Membership, OrgUnit, Period, User


def today() -> datetime.date:
    return timezone.localdate()


def current_memberships_of(user, on: datetime.date | None = None) -> list[Membership]:
    """`user`'s own memberships running on `on` (default today), with their units."""
    day = on or today()
    return list(
        Membership.objects.filter(permissions.active_on_q(day), user=user)
        .select_related("unit")
        .order_by("kind", "unit__path", "start_date")
    )


def units_for_api(user, on: datetime.date | None = None) -> QuerySet[OrgUnit]:
    day = on or today()
    supervisors = (
        Membership.objects.filter(permissions.active_on_q(day), kind=Membership.Kind.SUPERVISOR)
        .select_related("user")
        .order_by("user__username")
    )
    return (
        permissions.visible_units(user, day)
        .prefetch_related(
            Prefetch("memberships", queryset=supervisors, to_attr="current_supervisor_memberships")
        )
        .order_by("path")
    )


def people_for_api(user, on: datetime.date | None = None) -> QuerySet[User]:
    day = on or today()
    # Only the memberships the viewer may see: a person in a led team may also
    # lead a unit elsewhere, which stays hidden.
    memberships = (
        permissions.visible_memberships(user)
        .filter(permissions.active_on_q(day))
        .select_related("unit")
        .order_by("kind", "unit__path", "start_date")
    )
    return (
        permissions.visible_people(user, day)
        .prefetch_related(
            "role_assignments",
            Prefetch("memberships", queryset=memberships, to_attr="visible_current_memberships"),
        )
        .order_by("username")
    )


def memberships_for_api(user) -> QuerySet[Membership]:
    return (
        permissions.visible_memberships(user)
        .select_related("user", "unit")
        .order_by("user__username", "start_date", "pk")
    )


def fiscal_years_for_api() -> QuerySet[FiscalYear]:
    return FiscalYear.objects.order_by("-start_date")


def periods_for_api() -> QuerySet[Period]:
    return Period.objects.select_related("fiscal_year").order_by("start_date", "-end_date", "pk")
