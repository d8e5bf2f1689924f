"""Who sees, writes and reviews personal sales plans (hidden → 404, forbidden → 403)."""

from __future__ import annotations

from django.db.models import Exists, Q, QuerySet
from django.http import Http404

from org.permissions import is_department, led_unit_paths
from targets.models import SalesPlan
from targets.permissions import can_manage_targets, led_member_in_period
from targets.plans import permissions as plan_permissions


def visible_plans(user) -> QuerySet[SalesPlan]:
    if not user.is_authenticated:
        return SalesPlan.objects.none()
    if is_department(user):
        return SalesPlan.objects.all()
    condition = Q(person=user)
    paths = led_unit_paths(user)
    if paths:
        # The people who were members of a led unit during the plan's period.
        condition |= Q(Exists(led_member_in_period(paths)))
    return SalesPlan.objects.filter(condition)


def plan_for_user(user, pk) -> SalesPlan:
    try:
        return visible_plans(user).select_related("person", "period__fiscal_year").get(pk=pk)
    except (SalesPlan.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def is_plan_author(user, person) -> bool:
    """A plan is written and submitted by its salesperson only."""
    return user is not None and user.is_authenticated and user.pk == person.pk


def can_write_plan(user, plan: SalesPlan) -> bool:
    return plan.person_id == user.pk and plan.status in (
        SalesPlan.Status.DRAFT,
        SalesPlan.Status.RETURNED,
    )


def can_review_plan(user, plan: SalesPlan) -> bool:
    """The person's supervisor (or one above), never the author; or the department."""
    if plan.person_id == user.pk or plan.status != SalesPlan.Status.SUBMITTED:
        return False
    if can_manage_targets(user):
        return True
    return bool(led_unit_paths(user)) and visible_plans(user).filter(pk=plan.pk).exists()


def may_review(user, plan: SalesPlan) -> bool:
    """`can_review_plan` apart from the plan's state (which is the service's 400)."""
    if plan.status == SalesPlan.Status.SUBMITTED:
        return plan_permissions.can_review_plan(user, plan)
    probe = SalesPlan(pk=plan.pk, person=plan.person, period=plan.period)
    probe.status = SalesPlan.Status.SUBMITTED
    return plan_permissions.can_review_plan(user, probe)
