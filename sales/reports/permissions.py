"""Who may analyse which sales: the report pages, exports and endpoints ask here.

- the department: every credit and unit;
- a supervisor: the credits whose team lies in the units they lead and below, and
  those units' targets;
- a salesperson: their own credits (their own row of a variance report);
- HR and anybody else: nothing (403).
"""

from __future__ import annotations

from django.db.models import Q

from org.models import OrgUnit
from org.permissions import is_department, is_salesperson, led_unit_paths, subtree_q
from sales.models import SalesCredit


def report_scope(user) -> Q | None:
    """The credits the user may analyse, as a filter; None when they may see none."""
    if not user.is_authenticated:
        return None
    if is_department(user):
        return Q()
    scope = None
    paths = led_unit_paths(user)
    if paths:
        scope = subtree_q(paths, "team__path")
    if is_salesperson(user):
        own = Q(person_id=user.pk)
        scope = own if scope is None else scope | own
    return scope


def can_see_reports(user) -> bool:
    return report_scope(user) is not None


def can_compare_units(user) -> bool:
    """Units' targets and actuals: the department and supervisors. A salesperson sees
    their own figures only."""
    return is_department(user) or bool(led_unit_paths(user))


def report_units(user):
    """The units a user may pick as a sales report's filter: the department all, a
    supervisor the units they lead and below, a salesperson the teams of their own
    credits (the figures stay limited to what they may see)."""
    if is_department(user):
        return OrgUnit.objects.all()
    condition = Q(pk__in=[])
    paths = led_unit_paths(user)
    if paths:
        condition |= subtree_q(paths)
    if is_salesperson(user):
        condition |= Q(pk__in=SalesCredit.objects.filter(person_id=user.pk).values("team_id"))
    return OrgUnit.objects.filter(condition)


def variance_units(user):
    """The units whose targets and actuals a user may compare."""
    if is_department(user):
        return OrgUnit.objects.all()
    paths = led_unit_paths(user)
    return OrgUnit.objects.filter(subtree_q(paths)) if paths else OrgUnit.objects.none()
