"""Writes to the organisation and the fiscal calendar.

Each service is atomic, checks the rule in `domain`, records the acting user
in the audit trail (django-simple-history) and raises `DomainError` with a
message a user can act on.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.errors import DomainError
from core.history import audit_as
from core.imports import chunks
from org import domain
from org.models import FiscalYear, Membership, OrgUnit, Period, Role, RoleAssignment, User
from org.permissions import active_on_q

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
    flags = admin_flags(user, roles)
    if flags:
        for attr, value in flags.items():
            setattr(user, attr, value)
        audit_as(user, acting_user)
        user.save(update_fields=list(flags))
    user.__dict__.pop("role_set", None)


def admin_flags(user: User | None, roles) -> dict[str, bool]:
    """The staff flags a (new, if None) user with these roles must get: the administrator
    role makes a superuser, and only it. {} when they are right already."""
    wants_admin = Role.ADMINISTRATOR in roles
    if user is None or user.is_staff != wants_admin or (user.is_superuser and not wants_admin):
        return {"is_staff": wants_admin, "is_superuser": wants_admin}
    return {}


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


# --- bulk: the organisation import --------------------------------------------------------
# The import (org.imports) checks a whole file into an OrganisationPlan; these functions
# write it in bulk, audited with the acting user and the import's reason, with the same
# rules as the single writes above (the administrator role makes a superuser).


@dataclass
class UnitUpsert:
    row: object  # where the unit comes from (a file's row)
    code: str
    name: str
    name_zh: str | None  # None: column absent, leave as is
    kind: str
    parent_code: str | None
    parent_given: bool  # False: column absent, leave the parent as is
    existing: OrgUnit | None = None


@dataclass
class UserUpsert:
    row: object
    username: str
    values: dict[str, object]  # model field -> value, only the columns present
    roles: list[str] | None  # None: column absent
    existing: User | None = None


@dataclass
class MembershipUpsert:
    row: object
    user_key: str  # lower-case username
    unit_code: str
    kind: str
    start: datetime.date
    end: datetime.date | None
    existing: Membership | None = None


@dataclass
class OrganisationPlan:
    """What a validated import will write."""

    units: list[UnitUpsert] = field(default_factory=list)
    users: list[UserUpsert] = field(default_factory=list)
    memberships: list[MembershipUpsert] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    all_units: dict[str, OrgUnit] = field(default_factory=dict)  # code -> unit in the db
    users_by_key: dict[str, User] = field(default_factory=dict)  # lower username -> db user
    current_roles: dict[int, dict[str, RoleAssignment]] = field(default_factory=dict)


@dataclass
class _Audit:
    user: User | None
    reason: str


@transaction.atomic
def organisation_bulk_apply(
    *, plan: OrganisationPlan, acting_user=None, reason: str
) -> dict[str, dict[str, int]]:
    """Write a checked plan: units (top-down), then users and their roles, then
    memberships. Returns {"units": {"created": n, "updated": n, "unchanged": n}, ...}
    for the kinds of the plan."""
    audit = _Audit(acting_user if getattr(acting_user, "pk", None) else None, reason[:100])
    writers = {"units": _write_units, "users": _write_users, "memberships": _write_memberships}
    return {kind: writers[kind](plan, audit) for kind in writers if kind in plan.kinds}


def _history_kwargs(audit: _Audit) -> dict:
    return {"default_user": audit.user, "default_change_reason": audit.reason}


def _write_units(plan: OrganisationPlan, audit: _Audit) -> dict[str, int]:
    units = plan.all_units  # code -> unit; grows with the new ones
    new = [item for item in plan.units if item.existing is None]
    # Create top-down, one bulk insert per level, so a new unit's parent already has a key.
    pending = new
    while pending:
        ready = [i for i in pending if i.parent_code is None or i.parent_code in units]
        if not ready:  # cannot happen: loops were refused during validation
            raise RuntimeError("unit import: unresolved parents")
        objects = [
            OrgUnit(
                code=i.code,
                name=i.name,
                name_zh=i.name_zh or "",
                kind=i.kind,
                parent_id=units[i.parent_code].pk if i.parent_code else None,
            )
            for i in ready
        ]
        for unit in bulk_create_with_history(objects, OrgUnit, **_history_kwargs(audit)):
            units[unit.code] = unit
        ready_codes = {i.code for i in ready}
        pending = [i for i in pending if i.code not in ready_codes]

    changed: list[OrgUnit] = []
    unchanged = 0
    for item in plan.units:
        unit = item.existing
        if unit is None:
            continue
        wanted = {"name": item.name, "kind": item.kind}
        if item.name_zh is not None:
            wanted["name_zh"] = item.name_zh
        if item.parent_given:
            wanted["parent_id"] = units[item.parent_code].pk if item.parent_code else None
        if all(getattr(unit, attr) == value for attr, value in wanted.items()):
            unchanged += 1
            continue
        for attr, value in wanted.items():
            setattr(unit, attr, value)
        changed.append(unit)

    # Paths and depths of the whole tree as it is now; moved subtrees follow their root.
    by_pk = {unit.pk: unit for unit in units.values()}
    old = {pk: (unit.path, unit.depth) for pk, unit in by_pk.items()}
    _compute_paths(by_pk)
    changed_pks = {unit.pk for unit in changed}
    if changed:
        bulk_update_with_history(
            changed,
            OrgUnit,
            ["name", "name_zh", "kind", "parent", "path", "depth"],
            **_history_kwargs(audit),
        )
    # Like services._rebuild_subtree_paths: path and depth are derived, not audited.
    moved = [
        unit
        for pk, unit in by_pk.items()
        if pk not in changed_pks and (unit.path, unit.depth) != old[pk]
    ]
    if moved:
        OrgUnit.objects.bulk_update(moved, ["path", "depth"])
    return {"created": len(new), "updated": len(changed), "unchanged": unchanged}


def _compute_paths(by_pk: dict[int, OrgUnit]) -> None:
    done: set[int] = set()
    for start in by_pk:
        chain: list[int] = []
        pk: int | None = start
        while pk is not None and pk not in done and pk in by_pk and pk not in chain:
            chain.append(pk)
            pk = by_pk[pk].parent_id
        parent = by_pk[pk] if pk is not None and pk in by_pk else None
        for unit_pk in reversed(chain):
            unit = by_pk[unit_pk]
            unit.path = domain.unit_path(parent.path if parent else None, unit.pk)
            unit.depth = parent.depth + 1 if parent else 0
            done.add(unit_pk)
            parent = unit


def _write_users(plan: OrganisationPlan, audit: _Audit) -> dict[str, int]:
    changed: list[User] = []
    changed_fields: set[str] = set()
    role_changes: set[int] = set()
    unchanged = 0
    clear_numbers: list[int] = []
    new_objects: list[User] = []
    for item in plan.users:
        values = dict(item.values)
        if item.roles is not None:
            values.update(admin_flags(item.existing, item.roles))
        if item.existing is None:
            user = User(username=item.username, **values)
            user.set_unusable_password()
            new_objects.append(user)
            continue
        user = item.existing
        diff = {k: v for k, v in values.items() if getattr(user, k) != v}
        if item.roles is not None and set(item.roles) != set(plan.current_roles.get(user.pk, {})):
            role_changes.add(user.pk)
        if not diff:
            if user.pk not in role_changes:
                unchanged += 1
            continue
        if "employee_no" in diff and user.employee_no:
            clear_numbers.append(user.pk)
        for attr, value in diff.items():
            setattr(user, attr, value)
        changed_fields |= set(diff)
        changed.append(user)
    for chunk in chunks(clear_numbers):
        # Free the numbers first so two people can swap theirs (not audited: transient).
        User.objects.filter(pk__in=chunk).update(employee_no=None)
    if changed:
        bulk_update_with_history(changed, User, sorted(changed_fields), **_history_kwargs(audit))
    created = bulk_create_with_history(new_objects, User, **_history_kwargs(audit))
    for user in created:
        plan.users_by_key[user.username.lower()] = user
    _write_roles(plan, audit)
    updated = len({u.pk for u in changed} | role_changes)
    return {"created": len(created), "updated": updated, "unchanged": unchanged}


def _write_roles(plan: OrganisationPlan, audit: _Audit) -> None:
    to_create: list[RoleAssignment] = []
    to_delete: list[RoleAssignment] = []
    for item in plan.users:
        if item.roles is None:
            continue
        user = plan.users_by_key[item.username.lower()]
        current = plan.current_roles.get(user.pk, {}) if item.existing is not None else {}
        for role in sorted(set(item.roles) - set(current)):
            to_create.append(RoleAssignment(user_id=user.pk, role=role))
        for role in sorted(set(current) - set(item.roles)):
            to_delete.append(current[role])
    if to_create:
        bulk_create_with_history(to_create, RoleAssignment, **_history_kwargs(audit))
    for assignment in to_delete:
        # One by one so each deletion is recorded with the actor and the reason.
        audit_as(assignment, audit.user, audit.reason)
        assignment.delete()


def _write_memberships(plan: OrganisationPlan, audit: _Audit) -> dict[str, int]:
    new: list[Membership] = []
    changed: list[Membership] = []
    unchanged = 0
    for item in plan.memberships:
        if item.existing is not None:
            if item.existing.end_date == item.end:
                unchanged += 1
            else:
                item.existing.end_date = item.end
                changed.append(item.existing)
            continue
        new.append(
            Membership(
                user_id=plan.users_by_key[item.user_key].pk,
                unit_id=plan.all_units[item.unit_code].pk,
                kind=item.kind,
                start_date=item.start,
                end_date=item.end,
            )
        )
    if changed:
        bulk_update_with_history(changed, Membership, ["end_date"], **_history_kwargs(audit))
    if new:
        bulk_create_with_history(new, Membership, **_history_kwargs(audit))
    return {"created": len(new), "updated": len(changed), "unchanged": unchanged}
