"""Writes for targets: set, cascade (over time and the organisation), publish,
allocate bottom-up, acknowledge, adjust, and personal sales plans.

Every write is atomic, checks its rule in `targets.domain`, records the acting
user in the history (django-simple-history) and raises DomainError with a
message that names the problem; nothing is written when it refuses.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from notifications.services import notify
from org.domain import DomainError
from org.models import Membership, OrgUnit, Period, Role, User
from org.permissions import active_on_q
from targets import actuals, domain
from targets.models import (
    Adjustment,
    Metric,
    SalesPlan,
    SalesPlanVersion,
    SeasonalityProfile,
    Target,
)


def tolerance() -> tuple[Decimal, Decimal]:
    return Decimal(settings.TARGET_TOLERANCE_MIN_PCT), Decimal(settings.TARGET_TOLERANCE_MAX_PCT)


def _audit(instance, acting_user, reason: str = "") -> None:
    if acting_user is not None and getattr(acting_user, "pk", None):
        instance._history_user = acting_user
    if reason:
        instance._change_reason = reason[:100]


def _fmt(value: Decimal, metric: Metric) -> str:
    return f"{value:,.{metric.decimal_places}f}"


def clean_value(raw, metric: Metric, *, label: str = "") -> Decimal:
    """A target value as typed: a non-negative number with no more decimals than the
    metric allows (money and percent 2, counts 0)."""
    try:
        value = Decimal(str(raw).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("%(value)s is not a number.") % {"value": raw}) from None
    if not value.is_finite():
        raise DomainError(_("%(value)s is not a number.") % {"value": raw})
    if value < 0:
        raise DomainError(_("A target cannot be negative."))
    places = metric.decimal_places
    if value != value.quantize(domain.quantum(places)):
        if places == 0:
            raise DomainError(
                _("%(metric)s is counted in whole numbers.") % {"metric": metric.display_name}
            )
        raise DomainError(
            _("%(metric)s has at most %(places)s decimals.")
            % {"metric": metric.display_name, "places": places}
        )
    if value >= Decimal(10) ** 16:
        raise DomainError(_("%(value)s is too large.") % {"value": raw})
    return value.quantize(domain.quantum(2))


def _check_open(period: Period) -> None:
    if period.status != Period.Status.OPEN:
        raise DomainError(
            _("%(period)s is %(status)s: its targets cannot change.")
            % {"period": period.label, "status": period.get_status_display()}
        )


# --- metrics and seasonality -------------------------------------------------------------


@transaction.atomic
def metric_save(*, metric: Metric | None = None, acting_user, **fields) -> Metric:
    metric = metric or Metric()
    for name, value in fields.items():
        setattr(metric, name, value)
    clash = Metric.objects.filter(code=metric.code).exclude(pk=metric.pk).exists()
    if clash:
        raise DomainError(_("The metric code %(code)s is already used.") % {"code": metric.code})
    _audit(metric, acting_user)
    metric.save()
    return metric


@transaction.atomic
def seasonality_save(
    *,
    profile: SeasonalityProfile | None = None,
    name: str,
    method: str,
    weights: list | None = None,
    acting_user,
) -> SeasonalityProfile:
    profile = profile or SeasonalityProfile()
    if method == SeasonalityProfile.Method.CUSTOM:
        values = domain.check_monthly_weights(weights or [])
        profile.weights = [str(v) for v in values]
    else:
        profile.weights = []
    profile.name = name
    profile.method = method
    if SeasonalityProfile.objects.filter(name=name).exclude(pk=profile.pk).exists():
        raise DomainError(_("A profile named %(name)s already exists.") % {"name": name})
    _audit(profile, acting_user)
    profile.save()
    return profile


# --- setting one target ------------------------------------------------------------------


def _owner_filter(unit: OrgUnit | None, person: User | None) -> dict:
    if (unit is None) == (person is None):
        raise DomainError(_("A target belongs to a unit or to a person."))
    return {"unit": unit, "person": None} if unit is not None else {"person": person, "unit": None}


def _team_of(person: User, period: Period) -> OrgUnit | None:
    """The team the person is a member of at the end of the period (or last in it)."""
    membership = (
        Membership.objects.filter(
            user=person,
            kind=Membership.Kind.MEMBER,
            start_date__lte=period.end_date,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=period.start_date))
        .select_related("unit")
        .order_by("-start_date")
        .first()
    )
    return membership.unit if membership else None


@transaction.atomic
def target_set(
    *,
    metric: Metric,
    period: Period,
    value,
    unit: OrgUnit | None = None,
    person: User | None = None,
    team: OrgUnit | None = None,
    basis: str = "",
    acting_user,
) -> Target:
    """Create or change a draft target. A published target changes only through an
    adjustment."""
    owner = _owner_filter(unit, person)
    amount = clean_value(value, metric)
    _check_open(period)
    target = (
        Target.objects.select_for_update().filter(metric=metric, period=period, **owner).first()
    )
    if target is not None and target.is_published:
        raise DomainError(_("This target is published: request an adjustment to change it."))
    if person is not None and team is None:
        team = target.team if target is not None else _team_of(person, period)
        if team is None:
            raise DomainError(
                _("%(person)s is not in a sales team during %(period)s.")
                % {"person": person.display_name, "period": period.label}
            )
    if target is None:
        target = Target(metric=metric, period=period, **owner, team=team)
    target.value = amount
    target.basis = basis or _("typed in")
    _audit(target, acting_user)
    target.save()
    _reopen_parent_allocation(target, acting_user)
    return target


def _reopen_parent_allocation(target: Target, acting_user) -> None:
    """Changing a person's value after the team submitted or had it approved sends the
    allocation back to open: it has to be submitted again."""
    if target.person_id is None:
        return
    parent = Target.objects.filter(
        metric_id=target.metric_id, period_id=target.period_id, unit_id=target.team_id
    ).first()
    if parent is not None and parent.allocation_status in (
        Target.AllocationStatus.SUBMITTED,
        Target.AllocationStatus.APPROVED,
    ):
        parent.allocation_status = Target.AllocationStatus.OPEN
        _audit(parent, acting_user, "allocation changed")
        parent.save(update_fields=["allocation_status"])


# --- cascade plan (shared by preview and write) ------------------------------------------


@dataclass
class PlannedTarget:
    period: Period
    unit: OrgUnit | None
    person: User | None
    team: OrgUnit | None
    value: Decimal
    basis: str
    current: Decimal | None = None
    published: bool = False

    @property
    def key(self):
        return (
            self.period.pk,
            self.unit.pk if self.unit else None,
            self.person.pk if self.person else None,
        )

    @property
    def owner_label(self) -> str:
        return (self.unit or self.person).display_name

    @property
    def change(self) -> Decimal | None:
        return None if self.current is None else self.value - self.current


def _children_of(target: Target) -> tuple[list[OrgUnit], list[tuple[User, Decimal, str]]]:
    """The child units of a unit target, or (for a unit without active child units) the
    people who are members during the period, each with their presence fraction."""
    unit = target.unit
    period = target.period
    child_units = list(OrgUnit.objects.filter(parent=unit, is_active=True).order_by("code"))
    if child_units:
        return child_units, []
    memberships = (
        Membership.objects.filter(
            unit=unit,
            kind=Membership.Kind.MEMBER,
            start_date__lte=period.end_date,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=period.start_date))
        .select_related("user")
        .order_by("user__username", "start_date")
    )
    people: dict[int, tuple[User, Decimal, str]] = {}
    for m in memberships:
        fraction = domain.presence_fraction(
            period.start_date, period.end_date, m.start_date, m.end_date
        )
        user, previous, _basis = people.get(m.user_id, (m.user, Decimal(0), ""))
        total = min(previous + fraction, Decimal(1))
        days = (period.end_date - period.start_date).days + 1
        present = int((total * days).to_integral_value())
        basis = (
            ""
            if total == 1
            else _("prorated: in the team %(present)s of %(days)s days")
            % {"present": present, "days": days}
        )
        people[m.user_id] = (user, total, basis)
    return [], list(people.values())


def plan_org_split(
    target: Target, *, method: str | None = None, weights: list | None = None
) -> list[PlannedTarget]:
    """What cascading `target` one level down the organisation would write."""
    if target.unit_id is None:
        raise DomainError(_("A person's target has nobody below it."))
    method = method or target.allocation_method
    if method == Target.Allocation.MANUAL:
        raise DomainError(_("This unit's targets below are typed in: edit them in the workspace."))
    child_units, people = _children_of(target)
    places = target.metric.decimal_places
    period = target.period
    if child_units:
        owners = [("unit", u.pk) for u in child_units]
        presence = None
    else:
        owners = [("person", p.pk) for p, _f, _b in people]
        presence = [f for _p, f, _b in people]
    if not owners:
        raise DomainError(
            _("%(unit)s has no units or members during %(period)s to allocate to.")
            % {"unit": target.unit.display_name, "period": period.label}
        )
    last_year = None
    if method == Target.Allocation.LAST_YEAR:
        start = period.start_date.replace(year=period.start_date.year - 1)
        end = (
            period.end_date.replace(year=period.end_date.year - 1, day=28)
            if (period.end_date.month == 2 and period.end_date.day == 29)
            else period.end_date.replace(year=period.end_date.year - 1)
        )
        found = actuals.monthly_actuals(metric=target.metric, start=start, end=end, owners=owners)
        last_year = [sum(found.get(o, []), Decimal(0)) for o in owners]
    split_weights = domain.allocation_weights(
        method,
        len(owners),
        weights=[Decimal(str(w)) for w in weights] if weights is not None else None,
        last_year=last_year,
        presence=presence,
    )
    values = domain.split_by_weights(target.value, split_weights, places)
    existing = {
        (t.unit_id, t.person_id): t
        for t in Target.objects.filter(metric=target.metric, period=period).filter(
            Q(unit__in=child_units) | Q(person__in=[p for p, _f, _b in people])
        )
    }
    label = Target.Allocation(method).label
    planned = []
    if child_units:
        for unit, value in zip(child_units, values, strict=True):
            current = existing.get((unit.pk, None))
            planned.append(
                PlannedTarget(
                    period,
                    unit,
                    None,
                    None,
                    value,
                    str(label),
                    current.value if current else None,
                    bool(current and current.is_published),
                )
            )
    else:
        for (person, _fraction, basis), value in zip(people, values, strict=True):
            current = existing.get((None, person.pk))
            planned.append(
                PlannedTarget(
                    period,
                    None,
                    person,
                    target.unit,
                    value,
                    f"{label}; {basis}" if basis else str(label),
                    current.value if current else None,
                    bool(current and current.is_published),
                )
            )
    return planned


def plan_time_split(
    target: Target, *, profile: SeasonalityProfile | None = None
) -> list[PlannedTarget]:
    """What splitting an annual target into its quarters and months would write."""
    if target.period.kind != Period.Kind.YEAR:
        raise DomainError(_("Only an annual target is split into quarters and months."))
    profile = profile or target.seasonality
    method = profile.method if profile else SeasonalityProfile.Method.EQUAL
    periods = list(
        Period.objects.filter(fiscal_year_id=target.period.fiscal_year_id)
        .exclude(kind=Period.Kind.YEAR)
        .select_related("fiscal_year")
        .order_by("kind", "number")
    )
    months = sorted((p for p in periods if p.kind == Period.Kind.MONTH), key=lambda p: p.number)
    quarters = sorted((p for p in periods if p.kind == Period.Kind.QUARTER), key=lambda p: p.number)
    last_year = None
    if method == SeasonalityProfile.Method.LAST_YEAR:
        owner = ("unit", target.unit_id) if target.unit_id else ("person", target.person_id)
        year = target.period
        found = actuals.monthly_actuals(
            metric=target.metric,
            start=year.start_date.replace(year=year.start_date.year - 1),
            end=year.start_date - datetime.timedelta(days=1),
            owners=[owner],
        )
        last_year = found.get(owner)
    weights = domain.seasonality_weights(
        method, custom=profile.weight_values if profile else None, last_year=last_year
    )
    month_values, quarter_values = domain.split_year(
        target.value, weights, target.metric.decimal_places
    )
    existing = {
        t.period_id: t
        for t in Target.objects.filter(
            metric=target.metric,
            unit_id=target.unit_id,
            person_id=target.person_id,
            period__in=periods,
        )
    }
    label = str(profile.name) if profile else str(SeasonalityProfile.Method.EQUAL.label)
    planned = []
    for period, value in [
        *zip(quarters, quarter_values, strict=True),
        *zip(months, month_values, strict=True),
    ]:
        current = existing.get(period.pk)
        planned.append(
            PlannedTarget(
                period,
                target.unit,
                target.person,
                target.team,
                value,
                label,
                current.value if current else None,
                bool(current and current.is_published),
            )
        )
    return planned


@transaction.atomic
def _write_planned(planned: list[PlannedTarget], metric: Metric, acting_user, reason: str) -> int:
    blocked = [p for p in planned if p.published]
    if blocked:
        raise DomainError(
            _(
                "%(owner)s already has a published %(period)s target: change it with an "
                "adjustment, not a cascade."
            )
            % {"owner": blocked[0].owner_label, "period": blocked[0].period.label}
        )
    for period in {p.period.pk: p.period for p in planned}.values():
        _check_open(period)
    existing = {
        (t.period_id, t.unit_id, t.person_id): t
        for t in Target.objects.filter(
            metric=metric, period__in={p.period for p in planned}
        ).filter(
            Q(unit__in={p.unit for p in planned if p.unit})
            | Q(person__in={p.person for p in planned if p.person})
        )
    }
    to_create, to_update = [], []
    for p in planned:
        target = existing.get(p.key)
        if target is None:
            to_create.append(
                Target(
                    metric=metric,
                    period=p.period,
                    unit=p.unit,
                    person=p.person,
                    team=p.team,
                    value=p.value,
                    basis=p.basis[:200],
                )
            )
        elif target.value != p.value or target.basis != p.basis[:200]:
            target.value = p.value
            target.basis = p.basis[:200]
            to_update.append(target)
    if to_create:
        bulk_create_with_history(
            to_create, Target, default_user=acting_user, default_change_reason=reason
        )
    if to_update:
        bulk_update_with_history(
            to_update,
            Target,
            ["value", "basis"],
            default_user=acting_user,
            default_change_reason=reason,
        )
    return len(to_create) + len(to_update)


@transaction.atomic
def cascade_org(
    *, target: Target, method: str | None = None, weights: list | None = None, acting_user
) -> int:
    if method and method != target.allocation_method:
        target.allocation_method = method
        _audit(target, acting_user)
        target.save(update_fields=["allocation_method"])
    planned = plan_org_split(target, method=method, weights=weights)
    return _write_planned(planned, target.metric, acting_user, "cascade over the organisation")


@transaction.atomic
def cascade_time(*, target: Target, profile: SeasonalityProfile | None = None, acting_user) -> int:
    if profile is not None and profile.pk != target.seasonality_id:
        target.seasonality = profile
        _audit(target, acting_user)
        target.save(update_fields=["seasonality"])
    planned = plan_time_split(target, profile=profile)
    return _write_planned(planned, target.metric, acting_user, "cascade over time")


def plan_cascade_down(
    target: Target, profile: SeasonalityProfile | None = None
) -> list[PlannedTarget]:
    """Preview of a full cascade from a unit's annual target: every unit and person below
    by each unit's allocation method, then every owner's quarters and months."""
    planned = []
    level = [target]
    by_owner: list[Target] = [target]
    while level:
        next_level = []
        for parent in level:
            if parent.unit_id is None or parent.allocation_method == Target.Allocation.MANUAL:
                continue
            children = plan_org_split(parent)
            planned.extend(children)
            for child in children:
                proxy = Target(
                    metric=parent.metric,
                    period=parent.period,
                    unit=child.unit,
                    person=child.person,
                    team=child.team,
                    value=child.value,
                    allocation_method=parent.allocation_method,
                )
                next_level.append(proxy)
                by_owner.append(proxy)
        level = next_level
    if target.period.kind == Period.Kind.YEAR:
        for owner_target in by_owner:
            planned.extend(plan_time_split(owner_target, profile=profile or target.seasonality))
    return planned


@transaction.atomic
def cascade_down(*, target: Target, profile: SeasonalityProfile | None = None, acting_user) -> int:
    planned = plan_cascade_down(target, profile)
    return _write_planned(planned, target.metric, acting_user, "full cascade")


# --- bottom-up allocation by supervisors -------------------------------------------------


def _children_sum(parent: Target) -> tuple[Decimal, int]:
    qs = Target.objects.filter(metric_id=parent.metric_id, period_id=parent.period_id)
    child_units = OrgUnit.objects.filter(parent_id=parent.unit_id)
    children = list(
        qs.filter(
            Q(unit__in=child_units) | Q(person__isnull=False, team_id=parent.unit_id)
        ).values_list("value", flat=True)
    )
    return sum(children, Decimal(0)), len(children)


def _department_ids() -> list[int]:
    return list(
        User.objects.filter(role_assignments__role=Role.DEPARTMENT, is_active=True).values_list(
            "pk", flat=True
        )
    )


def _supervisor_ids(unit_id: int, day: datetime.date) -> list[int]:
    return list(
        Membership.objects.filter(
            active_on_q(day), unit_id=unit_id, kind=Membership.Kind.SUPERVISOR
        ).values_list("user_id", flat=True)
    )


def _params(target: Target) -> dict:
    return {
        "metric": target.metric.display_name,
        "period": target.period.label,
        "unit": target.unit.display_name if target.unit_id else "",
        "value": _fmt(target.value, target.metric),
    }


@transaction.atomic
def allocation_submit(*, target: Target, acting_user, comment: str = "") -> Target:
    target = (
        Target.objects.select_for_update()
        .select_related("metric", "period__fiscal_year", "unit")
        .get(pk=target.pk)
    )
    if target.unit_id is None:
        raise DomainError(_("Only a unit's target is allocated."))
    if target.allocation_status not in (
        Target.AllocationStatus.OPEN,
        Target.AllocationStatus.RETURNED,
    ):
        raise DomainError(
            _("This allocation is already %(status)s.")
            % {"status": target.get_allocation_status_display()}
        )
    low, high = tolerance()
    total, _count = _children_sum(target)
    domain.check_tolerance(target.value, total, low, high, label=target.unit.display_name)
    target.allocation_status = Target.AllocationStatus.SUBMITTED
    target.allocation_comment = comment
    _audit(target, acting_user, "allocation submitted")
    target.save(update_fields=["allocation_status", "allocation_comment"])
    params = _params(target) | {"supervisor": acting_user.display_name}
    url = reverse("targets:allocation", args=[target.pk])
    transaction.on_commit(
        lambda: notify(
            recipient_ids=_department_ids(), kind="allocation_submitted", params=params, url=url
        )
    )
    return target


@transaction.atomic
def allocation_decide(*, target: Target, approve: bool, comment: str = "", acting_user) -> Target:
    target = (
        Target.objects.select_for_update()
        .select_related("metric", "period__fiscal_year", "unit")
        .get(pk=target.pk)
    )
    if target.allocation_status != Target.AllocationStatus.SUBMITTED:
        raise DomainError(_("Only a submitted allocation can be approved or returned."))
    if not approve and not comment.strip():
        raise DomainError(_("Say why the allocation is returned."))
    target.allocation_status = (
        Target.AllocationStatus.APPROVED if approve else Target.AllocationStatus.RETURNED
    )
    target.allocation_comment = comment
    _audit(target, acting_user, "allocation approved" if approve else "allocation returned")
    target.save(update_fields=["allocation_status", "allocation_comment"])
    params = _params(target) | {"comment": comment}
    recipients = _supervisor_ids(target.unit_id, timezone.localdate())
    url = reverse("targets:allocation", args=[target.pk])
    kind = "allocation_approved" if approve else "allocation_returned"
    transaction.on_commit(
        lambda: notify(recipient_ids=recipients, kind=kind, params=params, url=url)
    )
    return target


# --- publication and acknowledgement -----------------------------------------------------


def publication_problems(*, metric: Metric, fiscal_year_id: int) -> list[str]:
    """Everything that stops the publication of a metric's draft targets for a fiscal
    year: children outside the tolerance, allocations waiting for a decision, periods
    that are not open."""
    low, high = tolerance()
    targets = list(
        Target.objects.filter(metric=metric, period__fiscal_year_id=fiscal_year_id).select_related(
            "unit", "period__fiscal_year"
        )
    )
    drafts = [t for t in targets if not t.is_published]
    if not drafts:
        return [
            _("There are no draft %(metric)s targets to publish.") % {"metric": metric.display_name}
        ]
    problems = []
    for period in {t.period_id: t.period for t in drafts}.values():
        if period.status != Period.Status.OPEN:
            problems.append(
                _("%(period)s is %(status)s.")
                % {"period": period.label, "status": period.get_status_display()}
            )
    children: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    has_children: set[tuple[int, int]] = set()
    parents = dict(OrgUnit.objects.values_list("pk", "parent_id"))
    for t in targets:
        parent_unit = t.team_id if t.person_id else parents.get(t.unit_id)
        if parent_unit:
            children[(t.period_id, parent_unit)] += t.value
            has_children.add((t.period_id, parent_unit))
    for t in targets:
        if t.unit_id is None:
            continue
        key = (t.period_id, t.unit_id)
        if key in has_children:
            state = domain.allocation_state(t.value, children[key], low, high)
            if state in ("under", "over"):
                share = (
                    (children[key] / t.value * 100).quantize(Decimal("0.1"))
                    if t.value
                    else Decimal(0)
                )
                problems.append(
                    _(
                        "%(unit)s, %(period)s: the targets below add up to %(share)s %% of "
                        "%(value)s; they must be between %(min)s %% and %(max)s %%."
                    )
                    % {
                        "unit": t.unit.display_name,
                        "period": t.period.label,
                        "share": share,
                        "value": _fmt(t.value, metric),
                        "min": low,
                        "max": high,
                    }
                )
        if t.allocation_status == Target.AllocationStatus.SUBMITTED:
            problems.append(
                _("%(unit)s, %(period)s: the team's allocation waits for approval.")
                % {"unit": t.unit.display_name, "period": t.period.label}
            )
    return problems


@transaction.atomic
def targets_publish(*, metric: Metric, fiscal_year_id: int, acting_user) -> int:
    """Publish every draft target of a metric in a fiscal year (the year, its quarters
    and months), after checking the tolerance at every node. Owners are notified."""
    problems = publication_problems(metric=metric, fiscal_year_id=fiscal_year_id)
    if problems:
        raise DomainError(" ".join(problems[:5]) + (" …" if len(problems) > 5 else ""))
    drafts = list(
        Target.objects.select_for_update()
        .filter(metric=metric, period__fiscal_year_id=fiscal_year_id, status=Target.Status.DRAFT)
        .select_related("period__fiscal_year", "unit", "metric")
    )
    now = timezone.now()
    for t in drafts:
        t.status = Target.Status.PUBLISHED
        t.published_at = now
    bulk_update_with_history(
        drafts,
        Target,
        ["status", "published_at"],
        default_user=acting_user,
        default_change_reason="published",
    )
    _notify_published([t for t in drafts if t.period.kind == Period.Kind.YEAR] or drafts)
    return len(drafts)


def _notify_published(targets: list[Target]) -> None:
    from notifications.models import Notification

    url = reverse("targets:mine")
    today = timezone.localdate()
    supervisors: dict[int, list[int]] = defaultdict(list)
    for m in Membership.objects.filter(
        active_on_q(today),
        kind=Membership.Kind.SUPERVISOR,
        unit_id__in={t.unit_id for t in targets if t.unit_id},
    ):
        supervisors[m.unit_id].append(m.user_id)
    rows = []
    for t in targets:
        params = _params(t)
        if t.person_id:
            rows.append(
                Notification(
                    recipient_id=t.person_id, kind="target_published", params=params, url=url
                )
            )
        else:
            for user_id in supervisors.get(t.unit_id, []):
                rows.append(
                    Notification(
                        recipient_id=user_id, kind="unit_target_published", params=params, url=url
                    )
                )
    transaction.on_commit(lambda: Notification.objects.bulk_create(rows))


@transaction.atomic
def target_acknowledge(*, target: Target, acting_user) -> Target:
    from targets.permissions import can_acknowledge

    target = Target.objects.select_for_update().get(pk=target.pk)
    if not target.is_published:
        raise DomainError(_("Only a published target can be acknowledged."))
    if target.acknowledged_at is not None:
        raise DomainError(_("This target is already acknowledged."))
    if not can_acknowledge(acting_user, target):
        raise DomainError(_("Only the target's owner acknowledges it."))
    target.acknowledged_at = timezone.now()
    target.acknowledged_by = acting_user
    _audit(target, acting_user, "acknowledged")
    target.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return target


# --- adjustments -------------------------------------------------------------------------


@transaction.atomic
def adjustment_request(
    *, target: Target, new_value, kind: str, reason: str, effective_period: Period, acting_user
) -> Adjustment:
    target = (
        Target.objects.select_for_update()
        .select_related("metric", "period", "unit", "person")
        .get(pk=target.pk)
    )
    if not target.is_published:
        raise DomainError(_("A draft target is changed directly, not by an adjustment."))
    value = clean_value(new_value, target.metric)
    domain.check_adjustment(target.value, value, reason)
    if not (
        target.period.start_date <= effective_period.start_date
        and effective_period.end_date <= target.period.end_date
    ):
        raise DomainError(
            _("The effective period %(effective)s is outside the target's period %(period)s.")
            % {"effective": effective_period.label, "period": target.period.label}
        )
    _check_open(effective_period)
    if target.adjustments.filter(status=Adjustment.Status.PENDING).exists():
        raise DomainError(_("This target already has an adjustment waiting for a decision."))
    adjustment = Adjustment(
        target=target,
        kind=kind,
        old_value=target.value,
        new_value=value,
        reason=reason.strip(),
        effective_period=effective_period,
        requested_by=acting_user,
    )
    _audit(adjustment, acting_user)
    adjustment.save()
    params = {
        "requester": acting_user.display_name,
        "metric": target.metric.display_name,
        "owner": target.owner_label,
        "value": _fmt(value, target.metric),
    }
    url = reverse("targets:adjustments")
    transaction.on_commit(
        lambda: notify(
            recipient_ids=_department_ids(), kind="adjustment_requested", params=params, url=url
        )
    )
    return adjustment


@transaction.atomic
def adjustment_decide(
    *, adjustment: Adjustment, approve: bool, note: str = "", acting_user
) -> Adjustment:
    adjustment = (
        Adjustment.objects.select_for_update()
        .select_related(
            "target__metric",
            "target__period__fiscal_year",
            "target__unit",
            "target__person",
            "effective_period",
        )
        .get(pk=adjustment.pk)
    )
    if adjustment.status != Adjustment.Status.PENDING:
        raise DomainError(_("This adjustment is already decided."))
    if not approve and not note.strip():
        raise DomainError(_("Say why the adjustment is not approved."))
    target = adjustment.target
    reason = f"adjustment #{adjustment.pk}: {adjustment.get_kind_display()}"
    if approve:
        if target.value != adjustment.old_value:
            raise DomainError(_("The target changed since this request: ask for a new one."))
        _check_open(adjustment.effective_period)
        _apply_adjustment(target, adjustment, acting_user, reason)
    adjustment.status = Adjustment.Status.APPROVED if approve else Adjustment.Status.REJECTED
    adjustment.decided_by = acting_user
    adjustment.decided_at = timezone.now()
    adjustment.decision_note = note
    _audit(adjustment, acting_user)
    adjustment.save()
    params = {
        "metric": target.metric.display_name,
        "owner": target.owner_label,
        "period": target.period.label,
        "value": _fmt(adjustment.new_value, target.metric),
        "note": note,
    }
    recipients = [adjustment.requested_by_id]
    if target.person_id:
        recipients.append(target.person_id)
    kind = "adjustment_approved" if approve else "adjustment_rejected"
    url = reverse("targets:mine") if target.person_id else reverse("targets:adjustments")
    transaction.on_commit(
        lambda: notify(recipient_ids=recipients, kind=kind, params=params, url=url)
    )
    return adjustment


def _apply_adjustment(target: Target, adjustment: Adjustment, acting_user, reason: str) -> None:
    """Set the new value; if the target is a year or a quarter with published months,
    spread the change over the months from the effective month on, and recompute the
    quarters from their months, so every level still adds up."""
    places = target.metric.decimal_places
    months = list(
        Target.objects.select_for_update()
        .filter(
            metric_id=target.metric_id,
            unit_id=target.unit_id,
            person_id=target.person_id,
            period__kind=Period.Kind.MONTH,
            period__start_date__gte=target.period.start_date,
            period__end_date__lte=target.period.end_date,
        )
        .select_related("period")
        .order_by("period__start_date")
    )
    changed = [target]
    target.value = adjustment.new_value
    if target.period.kind != Period.Kind.MONTH and months:
        start = adjustment.effective_period.start_date
        from_index = next((i for i, m in enumerate(months) if m.period.start_date >= start), None)
        if from_index is None:
            raise DomainError(_("The effective month is outside the target's period."))
        new_values = domain.spread_adjustment(
            [m.value for m in months], adjustment.new_value, from_index, places
        )
        for month, value in zip(months, new_values, strict=True):
            if month.value != value:
                month.value = value
                changed.append(month)
        # Quarters of the same owner: the sum of their months.
        by_quarter: dict[int, Decimal] = defaultdict(Decimal)
        for month in months:
            by_quarter[month.period.parent_id] += month.value
        quarters = Target.objects.select_for_update().filter(
            metric_id=target.metric_id,
            unit_id=target.unit_id,
            person_id=target.person_id,
            period_id__in=list(by_quarter),
        )
        for quarter in quarters:
            if quarter.pk != target.pk and quarter.value != by_quarter[quarter.period_id]:
                quarter.value = by_quarter[quarter.period_id]
                changed.append(quarter)
    for t in changed:
        t.basis = (_("adjusted: %(kind)s") % {"kind": adjustment.get_kind_display()})[:200]
    bulk_update_with_history(
        changed,
        Target,
        ["value", "basis"],
        default_user=acting_user,
        default_change_reason=reason[:100],
    )


# --- personal sales plans ----------------------------------------------------------------


def _clean_pipeline(pipeline: dict, period: Period) -> dict:
    months = {
        str(p.pk)
        for p in Period.objects.filter(
            kind=Period.Kind.MONTH, start_date__gte=period.start_date, end_date__lte=period.end_date
        )
    }
    clean = {}
    for key, raw in (pipeline or {}).items():
        if str(key) not in months:
            raise DomainError(_("The pipeline names a month outside the plan's period."))
        if raw in (None, ""):
            continue
        try:
            value = Decimal(str(raw).replace(",", ""))
        except InvalidOperation:
            raise DomainError(_("%(value)s is not a number.") % {"value": raw}) from None
        if value < 0:
            raise DomainError(_("An expected pipeline amount cannot be negative."))
        clean[str(key)] = str(value.quantize(Decimal("0.01")))
    return clean


@transaction.atomic
def plan_save(
    *,
    person: User,
    period: Period,
    key_accounts: str,
    actions: str,
    pipeline: dict,
    resources: str = "",
    acting_user,
) -> SalesPlan:
    """Write or rewrite the working version of a plan. After a return, the next edit
    starts a new version; the reviewed ones stay as they were."""
    if acting_user.pk != person.pk:
        raise DomainError(_("Only the salesperson writes their own plan."))
    if not key_accounts.strip() or not actions.strip():
        raise DomainError(_("A plan names its key accounts and its actions."))
    clean = _clean_pipeline(pipeline, period)
    plan, _created = SalesPlan.objects.select_for_update().get_or_create(
        person=person, period=period
    )
    if plan.status not in (SalesPlan.Status.DRAFT, SalesPlan.Status.RETURNED):
        raise DomainError(
            _("The plan is %(status)s and cannot be edited now.")
            % {"status": plan.get_status_display()}
        )
    current = plan.versions.order_by("-number").first()
    if current is None or current.submitted_at is not None:
        current = SalesPlanVersion(
            plan=plan, number=(current.number + 1) if current else 1, created_by=acting_user
        )
    current.key_accounts = key_accounts.strip()
    current.actions = actions.strip()
    current.pipeline = clean
    current.resources = resources.strip()
    current.save()
    if plan.status == SalesPlan.Status.RETURNED:
        plan.status = SalesPlan.Status.DRAFT
    _audit(plan, acting_user)
    plan.save()
    return plan


@transaction.atomic
def plan_submit(*, plan: SalesPlan, acting_user) -> SalesPlan:
    plan = (
        SalesPlan.objects.select_for_update()
        .select_related("person", "period__fiscal_year")
        .get(pk=plan.pk)
    )
    if plan.person_id != acting_user.pk:
        raise DomainError(_("Only the salesperson submits their own plan."))
    if plan.status != SalesPlan.Status.DRAFT:
        raise DomainError(_("Only a draft plan can be submitted."))
    version = plan.versions.order_by("-number").first()
    if version is None or version.submitted_at is not None:
        raise DomainError(_("Write the plan before submitting it."))
    version.submitted_at = timezone.now()
    version.save(update_fields=["submitted_at"])
    plan.status = SalesPlan.Status.SUBMITTED
    _audit(plan, acting_user, "submitted")
    plan.save()
    team = _team_of(plan.person, plan.period)
    recipients = _supervisor_ids(team.pk, timezone.localdate()) if team else []
    params = {"person": plan.person.display_name, "period": plan.period.label}
    url = reverse("targets:plan", args=[plan.pk])
    transaction.on_commit(
        lambda: notify(recipient_ids=recipients, kind="plan_submitted", params=params, url=url)
    )
    return plan


@transaction.atomic
def plan_review(*, plan: SalesPlan, approve: bool, comment: str = "", acting_user) -> SalesPlan:
    plan = (
        SalesPlan.objects.select_for_update()
        .select_related("person", "period__fiscal_year")
        .get(pk=plan.pk)
    )
    if plan.status != SalesPlan.Status.SUBMITTED:
        raise DomainError(_("Only a submitted plan can be approved or returned."))
    if plan.person_id == acting_user.pk:
        raise DomainError(_("Nobody reviews their own plan."))
    if not approve and not comment.strip():
        raise DomainError(_("Say what to change when returning a plan."))
    version = plan.versions.order_by("-number").first()
    version.reviewed_by = acting_user
    version.reviewed_at = timezone.now()
    version.decision = "approved" if approve else "returned"
    version.review_comment = comment.strip()
    version.save()
    plan.status = SalesPlan.Status.APPROVED if approve else SalesPlan.Status.RETURNED
    _audit(plan, acting_user, version.decision)
    plan.save()
    params = {"period": plan.period.label, "comment": comment.strip()}
    kind = "plan_approved" if approve else "plan_returned"
    url = reverse("targets:plan", args=[plan.pk])
    transaction.on_commit(
        lambda: notify(recipient_ids=[plan.person_id], kind=kind, params=params, url=url)
    )
    return plan
