"""Writes to the organisation and the fiscal calendar.

Each service is atomic, checks the rule in `domain`, records the acting user
in the audit trail (django-simple-history) and raises `DomainError` with a
message a user can act on.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.errors import DomainError
from org import domain
from org.models import FiscalYear, Membership, OrgUnit, Period, Role, RoleAssignment, User
from org.permissions import active_on_q


def audit_as(instance, acting_user, reason: str = "") -> None:
    """Tell simple-history who makes the next change to `instance`, and why.

    Every app's services call this before saving an audited model."""
    if acting_user is not None and getattr(acting_user, "pk", None):
        instance._history_user = acting_user
    if reason:
        instance._change_reason = reason[:100]


# --- people and roles ----------------------------------------------------------------


@transaction.atomic
def user_create(
    *,
    username: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    employee_no: str | None = None,
    roles: list[str] | None = None,
    password: str | None = None,
    acting_user=None,
) -> User:
    username = username.strip()
    if not username:
        raise DomainError(_("A username is required."))
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("The username %(username)s is already taken.") % {"username": username})
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        employee_no=employee_no or None,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    audit_as(user, acting_user)
    user.save()
    user_set_roles(user=user, roles=roles or [], acting_user=acting_user)
    return user


@transaction.atomic
def user_set_roles(*, user: User, roles: list[str], acting_user=None) -> None:
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise DomainError(_("Unknown role: %(roles)s.") % {"roles": ", ".join(sorted(unknown))})
    current = {ra.role: ra for ra in user.role_assignments.all()}
    for role in set(roles) - set(current):
        assignment = RoleAssignment(user=user, role=role)
        audit_as(assignment, acting_user)
        assignment.save()
    for role in set(current) - set(roles):
        assignment = current[role]
        audit_as(assignment, acting_user)
        assignment.delete()
    wants_admin = Role.ADMINISTRATOR in roles
    if user.is_staff != wants_admin or (user.is_superuser and not wants_admin):
        user.is_staff = wants_admin
        user.is_superuser = wants_admin
        audit_as(user, acting_user)
        user.save(update_fields=["is_staff", "is_superuser"])
    user.__dict__.pop("role_set", None)


# --- organisation tree ------------------------------------------------------------------


def _rebuild_subtree_paths(unit: OrgUnit) -> None:
    """Recompute path and depth of `unit`'s descendants after a move (one pass per level)."""
    level = [unit]
    while level:
        children = list(OrgUnit.objects.filter(parent__in=level))
        by_id = {u.pk: u for u in level}
        for child in children:
            parent = by_id[child.parent_id]
            child.path = domain.unit_path(parent.path, child.pk)
            child.depth = parent.depth + 1
        if children:
            OrgUnit.objects.bulk_update(children, ["path", "depth"])
        level = children


@transaction.atomic
def unit_create(
    *,
    code: str,
    name: str,
    kind: str,
    parent: OrgUnit | None = None,
    name_zh: str = "",
    acting_user=None,
) -> OrgUnit:
    if OrgUnit.objects.filter(code=code).exists():
        raise DomainError(_("The unit code %(code)s is already used.") % {"code": code})
    unit = OrgUnit(code=code, name=name, name_zh=name_zh, kind=kind, parent=parent)
    audit_as(unit, acting_user)
    unit.save()
    unit.path = domain.unit_path(parent.path if parent else None, unit.pk)
    unit.depth = parent.depth + 1 if parent else 0
    OrgUnit.objects.filter(pk=unit.pk).update(path=unit.path, depth=unit.depth)
    return unit


@transaction.atomic
def unit_update(
    *,
    unit: OrgUnit,
    name: str | None = None,
    name_zh: str | None = None,
    kind: str | None = None,
    parent: OrgUnit | type[...] | None = ...,
    is_active: bool | None = None,
    acting_user=None,
) -> OrgUnit:
    moved = False
    if parent is not ...:
        new_parent_id = parent.pk if parent else None
        if new_parent_id != unit.parent_id:
            if parent is not None and domain.would_create_cycle(unit.pk, parent.path):
                raise DomainError(
                    _("%(unit)s cannot be placed under itself or one of its own units.")
                    % {"unit": unit.name}
                )
            unit.parent = parent
            unit.path = domain.unit_path(parent.path if parent else None, unit.pk)
            unit.depth = parent.depth + 1 if parent else 0
            moved = True
    if name is not None:
        unit.name = name
    if name_zh is not None:
        unit.name_zh = name_zh
    if kind is not None:
        unit.kind = kind
    if is_active is not None:
        unit.is_active = is_active
    audit_as(unit, acting_user)
    unit.save()
    if moved:
        _rebuild_subtree_paths(unit)
    return unit


# --- memberships ---------------------------------------------------------------------------


def membership_conflicts(
    *,
    user: User,
    unit: OrgUnit,
    kind: str,
    start_date: datetime.date,
    end_date: datetime.date | None,
    exclude_pk: int | None = None,
) -> list[Membership]:
    """Existing memberships that the given one would overlap.

    A person belongs to one sales team at a time; a supervisor may lead several
    units but not the same unit twice over the same days.
    """
    qs = Membership.objects.filter(user=user, kind=kind).select_related("unit")
    if kind == Membership.Kind.SUPERVISOR:
        qs = qs.filter(unit=unit)
    qs = qs.filter(Q(end_date__isnull=True) | Q(end_date__gte=start_date))
    if end_date is not None:
        qs = qs.filter(start_date__lte=end_date)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs)


def _overlap_message(conflict: Membership) -> str:
    return _(
        "%(person)s already has a %(kind)s membership of %(unit)s from %(start)s to %(end)s "
        "that overlaps these dates."
    ) % {
        "person": conflict.user.username,
        "kind": conflict.get_kind_display(),
        "unit": conflict.unit.code,
        "start": conflict.start_date.isoformat(),
        "end": conflict.end_date.isoformat() if conflict.end_date else _("open end"),
    }


@transaction.atomic
def membership_create(
    *,
    user: User,
    unit: OrgUnit,
    kind: str = Membership.Kind.MEMBER,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    acting_user=None,
) -> Membership:
    try:
        domain.check_interval(start_date, end_date)
    except DomainError:
        raise DomainError(_("The end date is before the start date.")) from None
    # Serialise membership writes per person so two requests cannot both pass the check.
    User.objects.select_for_update().filter(pk=user.pk).first()
    conflicts = membership_conflicts(
        user=user, unit=unit, kind=kind, start_date=start_date, end_date=end_date
    )
    if conflicts:
        raise DomainError(_overlap_message(conflicts[0]))
    membership = Membership(
        user=user, unit=unit, kind=kind, start_date=start_date, end_date=end_date
    )
    audit_as(membership, acting_user)
    membership.save()
    return membership


@transaction.atomic
def membership_end(
    *, membership: Membership, end_date: datetime.date, acting_user=None
) -> Membership:
    if end_date < membership.start_date:
        raise DomainError(_("The end date is before the start date."))
    membership.end_date = end_date
    audit_as(membership, acting_user)
    membership.save(update_fields=["end_date"])
    return membership


@transaction.atomic
def person_move_team(
    *, user: User, new_unit: OrgUnit, on: datetime.date, acting_user=None
) -> Membership:
    """End the current team membership the day before `on` and start a new one."""
    current = (
        Membership.objects.filter(active_on_q(on), user=user, kind=Membership.Kind.MEMBER)
        .order_by("-start_date")
        .first()
    )
    if current is not None:
        if current.start_date >= on:
            raise DomainError(_("The move date must be after the current membership started."))
        membership_end(
            membership=current, end_date=on - datetime.timedelta(days=1), acting_user=acting_user
        )
    return membership_create(
        user=user,
        unit=new_unit,
        kind=Membership.Kind.MEMBER,
        start_date=on,
        acting_user=acting_user,
    )


# --- fiscal calendar --------------------------------------------------------------------------


@transaction.atomic
def fiscal_year_create(*, start_year: int, start_month: int, acting_user=None) -> FiscalYear:
    specs = domain.fiscal_periods(start_year, start_month)
    year_spec = specs[0]
    clash = FiscalYear.objects.filter(
        start_date__lte=year_spec.end, end_date__gte=year_spec.start
    ).first()
    if clash is not None:
        raise DomainError(
            _("Fiscal year %(name)s already covers some of these months.") % {"name": clash.name}
        )
    fiscal_year = FiscalYear(
        name=domain.fiscal_year_name(start_year, start_month),
        start_date=year_spec.start,
        end_date=year_spec.end,
        start_month=start_month,
    )
    audit_as(fiscal_year, acting_user)
    fiscal_year.save()
    created: dict[tuple[str, int], Period] = {}
    for spec in specs:
        period = Period(
            fiscal_year=fiscal_year,
            kind=spec.kind,
            number=spec.number,
            start_date=spec.start,
            end_date=spec.end,
            parent=created[spec.parent] if spec.parent else None,
        )
        audit_as(period, acting_user)
        period.save()
        created[(spec.kind, spec.number)] = period
    return fiscal_year


@transaction.atomic
def period_transition(
    *, period: Period, to_status: str, acting_user=None, reason: str = ""
) -> Period:
    """Move a period through open -> closing -> closed, or reopen a closed one.

    Reopening needs a reason; the reason and the actor are kept in the period's
    history. The row is locked so two requests cannot both move it.
    """
    locked = Period.objects.select_for_update().get(pk=period.pk)
    try:
        domain.check_period_transition(locked.status, to_status, reason=reason)
    except DomainError:
        if locked.status == Period.Status.CLOSED and to_status == Period.Status.OPEN:
            raise DomainError(_("Reopening a closed period needs a reason.")) from None
        raise DomainError(
            _("%(period)s is %(current)s and cannot become %(target)s.")
            % {
                "period": period.label,
                "current": locked.get_status_display(),
                "target": Period.Status(to_status).label
                if to_status in Period.Status.values
                else to_status,
            }
        ) from None
    locked.status = to_status
    audit_as(locked, acting_user, reason.strip())
    locked.save(update_fields=["status"])
    period.status = to_status
    return locked
