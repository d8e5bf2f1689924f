"""Who may see and do what with incentive plans and bonus decisions.

- sales management department: every plan (drafts included) and every decision; the only
  one who writes and publishes plans, computes, adjusts and approves decisions;
- HR: every published plan; the decisions from approval on (to read and export);
- supervisor: the published plans covering a unit they lead; the decisions (proposed
  ones included) of the people in the units they lead, by the decision's team;
- salesperson: the published plans covering their team ("how my bonus is computed"); their
  own decisions once released;
- administrators: the plans, to read (they run the system, they do not see pay).

A hidden plan or decision answers 404 (the same as a missing one); a visible one with a
forbidden action answers 403.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from appraisal.template.permissions import covering_q
from core.permissions import require
from org.permissions import (
    is_administrator,
    is_department,
    is_hr,
    led_unit_paths,
    person_for_user,
    sees_whole_organisation,
    subtree_q,
)
from rewards.models import Decision, IncentivePlan, PromotionHold

# The decisions HR and the person read: approved, and what follows.
SETTLED = ("approved", "released", "acknowledged", "appealed", "resolved")
RELEASED = ("released", "acknowledged", "appealed", "resolved")


def can_manage(user) -> bool:
    """Write and publish plans; compute, adjust and approve decisions."""
    return is_department(user)


def can_export(user) -> bool:
    """The payroll export: the sales management department and HR."""
    return is_department(user) or is_hr(user)


def visible_plans(user) -> QuerySet[IncentivePlan]:
    if not user.is_authenticated:
        return IncentivePlan.objects.none()
    if is_department(user) or is_administrator(user):
        return IncentivePlan.objects.all()
    published = IncentivePlan.objects.filter(status=IncentivePlan.Status.PUBLISHED)
    if is_hr(user):
        return published
    condition = covering_q(user)
    if condition is None:
        return IncentivePlan.objects.none()
    return published.filter(pk__in=IncentivePlan.objects.filter(condition).values("pk"))


def plan_for_user(user, pk) -> IncentivePlan:
    try:
        return visible_plans(user).select_related("applies_from__fiscal_year").get(pk=pk)
    except (IncentivePlan.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def visible_decisions(user) -> QuerySet[Decision]:
    if not user.is_authenticated:
        return Decision.objects.none()
    if is_department(user):
        return Decision.objects.all()
    condition = Q(person=user, status__in=RELEASED)
    if is_hr(user):
        condition |= Q(status__in=SETTLED)
    paths = led_unit_paths(user)
    if paths:
        condition |= subtree_q(paths, "unit__path") & ~Q(person=user)
    return Decision.objects.filter(condition)


def sees_any_decisions(user) -> bool:
    """Whether the review list is for `user` (the department, HR, supervisors)."""
    return is_department(user) or is_hr(user) or bool(led_unit_paths(user))


def decision_for_user(user, pk) -> Decision:
    try:
        return (
            visible_decisions(user)
            .select_related("person", "unit", "period__fiscal_year", "plan", "approved_by")
            .get(pk=pk)
        )
    except (Decision.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def visible_holds(user) -> QuerySet[PromotionHold]:
    """Promotion holds: the department and HR all; a supervisor those of the people in
    the units they lead (by the decision's team); a person their own."""
    if not user.is_authenticated:
        return PromotionHold.objects.none()
    if is_department(user) or is_hr(user):
        return PromotionHold.objects.all()
    condition = Q(person=user)
    paths = led_unit_paths(user)
    if paths:
        condition |= subtree_q(paths, "decision__unit__path")
    return PromotionHold.objects.filter(condition)


def hold_for_user(user, pk) -> PromotionHold:
    try:
        return visible_holds(user).get(pk=pk)
    except (PromotionHold.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def estimate_person_for_user(user, pk=None):
    """Whose bonus `user` may estimate (奖金试算): their own (no `pk`); a supervisor the
    people of the units they lead; the department anyone. Hidden: 404 (as the person
    would be); HR and administrators see people but not estimates: 403 (an estimate is a
    proposal before the close, which they do not read)."""
    if pk in (None, "") or str(pk) == str(user.pk):
        return user
    person = person_for_user(user, pk)
    require(person.pk == user.pk or is_department(user) or not sees_whole_organisation(user))
    return person
