"""Who may see and do what with targets and plans.

- salesperson: their own published targets and their own plans;
- supervisor: every target (draft or published) of the units they lead and
  below, and of the people allocated within those units; the plans of those
  people; they allocate their teams' targets and propose adjustments;
- sales management department: everything; sets, cascades, publishes, approves;
- HR: nothing here. Targets are inputs to the appraisal; HR reads the
  appraisal results, which carry each person's attainment.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from org import permissions as org_permissions
from org.permissions import is_department, led_unit_paths, subtree_q
from targets.models import Adjustment, Target


def can_manage_targets(user) -> bool:
    """Metrics, seasonality, cascade, publication, approvals."""
    return is_department(user)


def led_member_in_period(paths):
    """A subquery for a row with `person_id` and `period`: the person was a member of a
    unit under `paths` (units led) at some time in the period."""
    from org.models import Membership

    return Membership.objects.filter(
        subtree_q(paths, "unit__path"),
        kind=Membership.Kind.MEMBER,
        user_id=OuterRef("person_id"),
        start_date__lte=OuterRef("period__end_date"),
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=OuterRef("period__start_date")))


def visible_targets(user) -> QuerySet[Target]:
    """A salesperson: their own published targets (every part). A supervisor: every
    target of the units they lead and below and every part those teams gave (drafts
    too), and the published parts in other teams of the people who were members of a
    led unit during the target's period (their whole target, as they see it). The
    department: all."""
    if not user.is_authenticated:
        return Target.objects.none()
    if is_department(user):
        return Target.objects.all()
    own = Q(person=user, status=Target.Status.PUBLISHED)
    paths = led_unit_paths(user)
    if paths:
        led_member = led_member_in_period(paths)
        own |= subtree_q(paths, "unit__path") | subtree_q(paths, "team__path")
        own |= Q(Exists(led_member), person__isnull=False, status=Target.Status.PUBLISHED)
    return Target.objects.filter(own)


def target_for_user(user, pk) -> Target:
    try:
        return (
            visible_targets(user)
            .select_related("metric", "period__fiscal_year", "unit", "person", "team")
            .get(pk=pk)
        )
    except (Target.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def leads_target(user, target: Target) -> bool:
    """The user leads the unit the target belongs to (or the team of a person's target),
    or a unit above it."""
    unit = target.unit if target.unit_id else target.team
    return unit is not None and org_permissions.leads_unit(user, unit)


_UNKNOWN = object()


def can_edit_target(user, target: Target, *, team_target=_UNKNOWN) -> bool:
    """Change a draft value: the department anywhere; a supervisor for the people of a
    team they lead (not their own target) while that team's allocation is open or
    returned. A page that already has the team's target passes it (no query)."""
    if target.is_published or not user.is_authenticated:
        return False
    if can_manage_targets(user):
        return True
    if target.person_id is None or target.person_id == user.pk or not leads_target(user, target):
        return False
    if team_target is _UNKNOWN:
        team_target = (
            Target.objects.filter(
                metric_id=target.metric_id, period_id=target.period_id, unit_id=target.team_id
            )
            .only("allocation_status")
            .first()
        )
    return team_target is None or team_target.allocation_status in (
        Target.AllocationStatus.OPEN,
        Target.AllocationStatus.RETURNED,
    )


def can_acknowledge(user, target: Target) -> bool:
    """The owner acknowledges a published target once: the person, or for a unit's
    target a supervisor of that very unit."""
    if not user.is_authenticated or not target.is_published or target.acknowledged_at is not None:
        return False
    if target.person_id:
        return target.person_id == user.pk
    return target.unit is not None and target.unit.path in led_unit_paths(user)


def can_request_adjustment(user, target: Target) -> bool:
    return target.is_published and (can_manage_targets(user) or leads_target(user, target))


def visible_adjustments(user) -> QuerySet[Adjustment]:
    return Adjustment.objects.filter(target__in=visible_targets(user))


def can_submit_allocation(user, target: Target) -> bool:
    """Submit a team's allocation: a supervisor leading the team (or a unit above it)."""
    return target.unit_id is not None and leads_target(user, target)


def can_decide_allocation(user, target: Target) -> bool:
    """Approve or return a submitted allocation: the department."""
    return target.unit_id is not None and can_manage_targets(user)
