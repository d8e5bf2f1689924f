"""Who may see which attainment dashboards, pages and API alike.

- salesperson: their own dashboard (cards, trend, follow-ups, report status);
- supervisor: also the team dashboard of every unit they lead and below, the
  dashboard of every person in those units (the drill-down), and the organisation
  dashboard of their own subtree;
- sales management department: every dashboard, of every unit and person;
- HR, administrators and anybody without a sales role: none (the sales data is not
  theirs): 403.
A unit or person outside the user's scope answers 404 (no existence leaks); a page
the user's role may not open answers 403. Targets shown on a dashboard are those
`targets.permissions.visible_targets` lets the viewer see (a salesperson their own
published ones; a supervisor the drafts of their units too).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from org.models import Membership, OrgUnit, User
from org.permissions import active_on_q, is_department, is_salesperson, led_unit_paths, subtree_q


def can_view_dashboards(user) -> bool:
    """Any dashboard at all (their own at least)."""
    return user.is_authenticated and (
        is_salesperson(user) or is_department(user) or bool(led_unit_paths(user))
    )


def can_view_team_dashboards(user) -> bool:
    """The team and organisation dashboards: a supervisor (of their units), the
    department (of all)."""
    return user.is_authenticated and (is_department(user) or bool(led_unit_paths(user)))


def dashboard_units(user) -> QuerySet[OrgUnit]:
    """The active units whose dashboard the user may open: every unit for the
    department, the led units and below for a supervisor, none otherwise."""
    if not user.is_authenticated:
        return OrgUnit.objects.none()
    units = OrgUnit.objects.filter(is_active=True)
    if is_department(user):
        return units
    paths = led_unit_paths(user)
    if not paths:
        return OrgUnit.objects.none()
    return units.filter(subtree_q(paths))


def dashboard_unit_for_user(user, pk) -> OrgUnit:
    try:
        return dashboard_units(user).get(pk=pk)
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def led_roots(user) -> list[OrgUnit]:
    """The tops of the user's dashboard scope: the organisation's root units for the
    department, the highest units a supervisor leads (one inside another counts once).
    One query."""
    if is_department(user):
        return list(OrgUnit.objects.filter(is_active=True, parent__isnull=True).order_by("path"))
    paths = led_unit_paths(user)
    tops = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    if not tops:
        return []
    return list(OrgUnit.objects.filter(is_active=True, path__in=tops).order_by("path"))


def dashboard_people(user) -> QuerySet[User]:
    """The people whose dashboard the user may open: the department everybody; a
    supervisor themselves and the people of the units they lead; anybody else
    themselves (a supervisor's people are those in the led units today, as in
    `org.permissions.visible_people`, without the read-all of HR and administrators)."""
    if not can_view_dashboards(user):
        return User.objects.none()
    if is_department(user):
        return User.objects.all()
    paths = led_unit_paths(user)
    if not paths:
        return User.objects.filter(pk=user.pk)
    led = Membership.objects.filter(
        active_on_q(timezone.localdate()), subtree_q(paths, "unit__path")
    )
    return User.objects.filter(Q(pk=user.pk) | Q(pk__in=led.values("user_id")))


def dashboard_person_for_user(user, pk) -> User:
    try:
        return dashboard_people(user).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
