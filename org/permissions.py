"""Who may see and do what in the organisation, in one place.

Every HTML view, API endpoint and export asks these helpers. A hidden object
answers 404 (the same as a missing one: no existence leaks); a visible object
with a forbidden action answers 403.

- salesperson: themselves and the team(s) they currently belong to;
- supervisor: the units they currently lead, everything below, and the people
  in them;
- sales management department, HR and administrators: the whole organisation
  (HR and administrators read; the department and administrators change it).
"""

from __future__ import annotations

import datetime
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from org.models import Membership, OrgUnit, Role, User


def _today() -> datetime.date:
    return timezone.localdate()


def active_on_q(day: datetime.date, prefix: str = "") -> Q:
    """Memberships running on `day` (inclusive end, empty end = open)."""
    return Q(**{f"{prefix}start_date__lte": day}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": day})
    )


# --- roles -------------------------------------------------------------------------


def is_department(user) -> bool:
    return user.is_authenticated and user.has_role(Role.DEPARTMENT)


def is_hr(user) -> bool:
    return user.is_authenticated and user.has_role(Role.HR)


def is_administrator(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(Role.ADMINISTRATOR))


def is_supervisor(user) -> bool:
    return user.is_authenticated and (user.has_role(Role.SUPERVISOR) or bool(led_unit_paths(user)))


def is_salesperson(user) -> bool:
    return user.is_authenticated and user.has_role(Role.SALESPERSON)


def sees_whole_organisation(user) -> bool:
    return is_department(user) or is_hr(user) or is_administrator(user)


def can_manage_organisation(user) -> bool:
    """Create and change units, people, roles and memberships; import files."""
    return is_department(user) or is_administrator(user)


def can_manage_periods(user) -> bool:
    """Create fiscal years, move periods through open/closing/closed, reopen them."""
    return is_department(user)


def can_read_audit_trail(user) -> bool:
    return is_department(user) or is_administrator(user)


# --- scope in the tree -------------------------------------------------------------------


def led_unit_paths(user, on: datetime.date | None = None) -> tuple[str, ...]:
    """Materialised paths of the units `user` leads on `on` (cached per user object)."""
    if not user.is_authenticated:
        return ()
    day = on or _today()
    cache = user.__dict__.setdefault("_led_paths", {})
    if day not in cache:
        cache[day] = tuple(
            Membership.objects.filter(active_on_q(day), user=user, kind=Membership.Kind.SUPERVISOR)
            .values_list("unit__path", flat=True)
            .distinct()
        )
    return cache[day]


def subtree_q(paths, field: str = "path") -> Q:
    """Rows whose `field` lies in one of the subtrees at `paths` (one or more)."""
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths))


def visible_units(user, on: datetime.date | None = None) -> QuerySet[OrgUnit]:
    if not user.is_authenticated:
        return OrgUnit.objects.none()
    if sees_whole_organisation(user):
        return OrgUnit.objects.all()
    day = on or _today()
    own = Q(
        pk__in=Membership.objects.filter(
            active_on_q(day), user=user, kind=Membership.Kind.MEMBER
        ).values("unit_id")
    )
    paths = led_unit_paths(user, day)
    condition = own | subtree_q(paths) if paths else own
    return OrgUnit.objects.filter(condition)


def visible_people(user, on: datetime.date | None = None) -> QuerySet[User]:
    if not user.is_authenticated:
        return User.objects.none()
    if sees_whole_organisation(user):
        return User.objects.all()
    day = on or _today()
    paths = led_unit_paths(user, day)
    if not paths:
        return User.objects.filter(pk=user.pk)
    led_people = Membership.objects.filter(active_on_q(day), subtree_q(paths, "unit__path"))
    return User.objects.filter(Q(pk=user.pk) | Q(pk__in=led_people.values("user_id")))


def can_see_person(user, person: User) -> bool:
    return visible_people(user).filter(pk=person.pk).exists()


def leads_unit(user, unit: OrgUnit, on: datetime.date | None = None) -> bool:
    return any(unit.path.startswith(p) for p in led_unit_paths(user, on))


# --- access helpers: the object, or 404 -----------------------------------------------------


def unit_for_user(user, pk) -> OrgUnit:
    try:
        return visible_units(user).get(pk=pk)
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def person_for_user(user, pk) -> User:
    try:
        return visible_people(user).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def membership_for_user(user, pk) -> Membership:
    try:
        membership = Membership.objects.select_related("user", "unit").get(pk=pk)
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not (
        sees_whole_organisation(user)
        or membership.user_id == user.pk
        or leads_unit(user, membership.unit)
    ):
        raise Http404
    return membership


def visible_memberships(user) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    if sees_whole_organisation(user):
        return Membership.objects.all()
    paths = led_unit_paths(user)
    condition = Q(user=user)
    if paths:
        condition |= subtree_q(paths, "unit__path")
    return Membership.objects.filter(condition)
