"""Who may see and do what with appraisal templates.

- sales management department: every template, drafts included; the only one who
  creates, edits, publishes and makes new versions;
- administrators: every template, drafts included, to read;
- HR: every published template, to read;
- salesperson: the published templates whose population covers a team they
  currently belong to (the team lies in one of the population's subtrees);
- supervisor: the published templates covering a unit they lead: the population
  reaches into their subtree (a population unit at or below a led unit), or a led
  unit lies in the population's subtrees.

A hidden template answers 404 (the same as a missing one); a visible template
with a forbidden action answers 403.
"""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from appraisal.models import AppraisalTemplate, Dimension
from org import domain as org_domain
from org.models import Membership
from org.permissions import (
    active_on_q,
    is_administrator,
    is_department,
    is_hr,
    led_unit_paths,
    subtree_q,
)


def can_manage_templates(user) -> bool:
    """Create and edit drafts, their dimensions and grades; publish; make new versions."""
    return is_department(user)


def ancestor_paths(paths) -> set[str]:
    """Every path at or above the given materialised paths: "/1/4/9/" gives "/1/",
    "/1/4/" and "/1/4/9/"."""
    return {above for path in paths for above in org_domain.ancestor_paths(path)}


def member_team_paths(user, on: datetime.date | None = None) -> tuple[str, ...]:
    """Paths of the units `user` currently belongs to as a member (cached per user)."""
    if not user.is_authenticated:
        return ()
    day = on or timezone.localdate()
    cache = user.__dict__.setdefault("_appraisal_member_paths", {})
    if day not in cache:
        cache[day] = tuple(
            Membership.objects.filter(active_on_q(day), user=user, kind=Membership.Kind.MEMBER)
            .values_list("unit__path", flat=True)
            .distinct()
        )
    return cache[day]


def covering_q(user, on: datetime.date | None = None) -> Q | None:
    """Templates whose population covers the user's teams or led units (None: none)."""
    member_paths = member_team_paths(user, on)
    led_paths = led_unit_paths(user, on)
    condition = Q()
    above = ancestor_paths(member_paths + led_paths)
    if above:
        condition |= Q(units__path__in=sorted(above))
    if led_paths:
        condition |= subtree_q(led_paths, "units__path")
    return condition if condition else None


def visible_templates(user) -> QuerySet[AppraisalTemplate]:
    if not user.is_authenticated:
        return AppraisalTemplate.objects.none()
    if is_department(user) or is_administrator(user):
        return AppraisalTemplate.objects.all()
    published = AppraisalTemplate.objects.filter(status=AppraisalTemplate.Status.PUBLISHED)
    if is_hr(user):
        return published
    condition = covering_q(user)
    if condition is None:
        return AppraisalTemplate.objects.none()
    covering = AppraisalTemplate.objects.filter(condition).values("pk")
    return published.filter(pk__in=covering)


def template_for_user(user, pk) -> AppraisalTemplate:
    """The template, or 404 when it is missing or hidden from `user`."""
    try:
        return (
            visible_templates(user)
            .select_related("applies_from__fiscal_year", "published_by")
            .get(pk=pk)
        )
    except (AppraisalTemplate.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def dimension_for_user(user, template: AppraisalTemplate, pk) -> Dimension:
    """A dimension of a template the user can already see, or 404."""
    try:
        return Dimension.objects.select_related("metric").get(template=template, pk=pk)
    except (Dimension.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
