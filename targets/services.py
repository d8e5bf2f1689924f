"""Writes for targets: set, cascade (over time and the organisation), publish,
allocate bottom-up, acknowledge, adjust, and personal sales plans.

Every write is atomic, checks its rule in `targets.domain`, records the acting
user in the history (django-simple-history) and raises DomainError with a
message that names the problem; nothing is written when it refuses.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.errors import DomainError
from core.history import audit_as
from core.permissions import require
from notifications.services import notify
from org.models import Membership, OrgUnit, Period, Role, User
from org.permissions import active_on_q
from targets import cascade_planner, domain, permissions, selectors
from targets.catalogue.services import tolerance
from targets.models import (
    Adjustment,
    Metric,
    SeasonalityProfile,
    Target,
)


def _both_languages(**values) -> dict:
    """Notification parameters in English and, as `<name>_zh`, in Chinese: the text is
    rendered in the reader's language (notifications.messages.render)."""
    params = {}
    for name, fn in values.items():
        if callable(fn):
            with translation.override("en"):
                params[name] = str(fn())
            with translation.override("zh-hans"):
                params[f"{name}_zh"] = str(fn())
        else:
            params[name] = fn
    return params


def _check_open(period: Period) -> None:
    if period.status != Period.Status.OPEN:
        raise DomainError(
            _("%(period)s is %(status)s: its targets cannot change.")
            % {"period": period.label, "status": period.get_status_display()}
        )


class EffectivePeriodRefused(DomainError):
    """An adjustment would take effect before the first month that is still open (see
    `selectors.first_adjustable_month`). `field` names the input; `first` is the first
    month it can take effect from (None when no month can change any more)."""

    def __init__(self, message: str, *, first: Period | None):
        self.first = first
        super().__init__(
            message,
            code="invalid",
            field="effective_period",
            data={"first_allowed_period": first.pk if first else None},
        )


# --- metrics and seasonality -------------------------------------------------------------


# --- setting one target ------------------------------------------------------------------


def _owner_filter(unit: OrgUnit | None, person: User | None) -> dict:
    if (unit is None) == (person is None):
        raise DomainError(_("A target belongs to a unit or to a person."))
    return {"unit": unit, "person": None} if unit is not None else {"person": person, "unit": None}


def _part_team(person: User, period: Period, team: OrgUnit | None) -> OrgUnit:
    """The team of a person's part for `period`: `team` if they were a member of it
    during the period, else refused; by default the team they were last in."""
    if team is None:
        team = selectors.team_of(person, period)
        if team is None:
            raise DomainError(
                _("%(person)s is not in a sales team during %(period)s.")
                % {"person": person.display_name, "period": period.label}
            )
        return team
    member = (
        Membership.objects.filter(
            user=person, unit=team, kind=Membership.Kind.MEMBER, start_date__lte=period.end_date
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=period.start_date))
        .exists()
    )
    if not member:
        raise DomainError(
            _(
                "%(person)s was not a member of %(team)s during %(period)s: a person's "
                "target is a part of a team they were in."
            )
            % {"person": person.display_name, "team": team.display_name, "period": period.label}
        )
    return team


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
    """Create or change a draft target. A person's target is their part in `team` (by
    default the team they were last a member of during the period); the team must be
    one they were a member of then. A published target changes only through an
    adjustment. A value typed in has no allocation weight any more."""
    owner = _owner_filter(unit, person)
    amount = domain.clean_value(value, metric)
    _check_open(period)
    team = _part_team(person, period, team) if person is not None else None
    target = (
        Target.objects.select_for_update(of=("self",))
        .filter(metric=metric, period=period, **owner)
        .filter(team=team if person is not None else None)
        .first()
    )
    if target is not None and target.is_published:
        raise DomainError(_("This target is published: request an adjustment to change it."))
    if target is None:
        target = Target(metric=metric, period=period, **owner, team=team)
    elif target.value == amount and (not basis or target.basis == basis):
        return target  # nothing changes: no history row, no reopened allocation
    target.value = amount
    target.weight = None
    target.basis = basis or "typed in"
    audit_as(target, acting_user)
    target.save()
    _reopen_parent_allocation(target, acting_user)
    if period.kind != Period.Kind.MONTH:
        _spread_below(target, period, metric, acting_user)
    return target


def _spread_below(target: Target, period: Period, metric: Metric, acting_user) -> int:
    """Carry a year's or a quarter's new value down to the same owner's months inside it
    (a year without months: its quarters), in proportion to their current values
    (equally if they are all zero), and a year's quarters to the sum of their months,
    so that a person's year raised in the allocation does not leave their quarters at
    the old sum. Months that are closing or closed keep their values. An incomplete
    set below, or one with a published target, is left as it is: publication names
    what does not add up. Returns the number of targets changed."""
    inside = list(
        Target.objects.select_for_update(of=("self",))
        .filter(
            metric_id=target.metric_id,
            unit_id=target.unit_id,
            person_id=target.person_id,
            team_id=target.team_id,
            period__fiscal_year_id=period.fiscal_year_id,
            period__start_date__gte=period.start_date,
            period__end_date__lte=period.end_date,
        )
        .exclude(pk=target.pk)
        .select_related("period__fiscal_year")
        .order_by("period__start_date")
    )
    months = [t for t in inside if t.period.kind == Period.Kind.MONTH]
    quarters = [t for t in inside if t.period.kind == Period.Kind.QUARTER]
    if len(months) == (12 if period.kind == Period.Kind.YEAR else 3):
        leaves = months
    elif period.kind == Period.Kind.YEAR and len(quarters) == 4:
        leaves = quarters
    else:
        return 0
    if any(t.is_published for t in inside):
        return 0  # they change only by adjustments; publication names the difference
    from_index = domain.first_adjustable([t.period.status == Period.Status.OPEN for t in leaves])
    if from_index is None:
        raise DomainError(
            _("%(period)s is %(status)s: %(owner)s's %(whole)s target cannot change any more.")
            % {
                "period": leaves[-1].period.label,
                "status": leaves[-1].period.get_status_display(),
                "owner": target.owner_label,
                "whole": period.label,
            }
        )
    values = domain.spread_adjustment(
        [t.value for t in leaves], target.value, from_index, metric.decimal_places
    )
    new_values = {t.pk: v for t, v in zip(leaves, values, strict=True)}
    if leaves is months:
        for quarter in quarters:
            new_values[quarter.pk] = sum(
                (new_values[m.pk] for m in months if m.period.parent_id == quarter.period_id),
                Decimal(0),
            )
    changed = [t for t in inside if t.pk in new_values and t.value != new_values[t.pk]]
    for t in changed:
        t.value = new_values[t.pk]
    if changed:
        bulk_update_with_history(
            changed,
            Target,
            ["value"],
            default_user=acting_user,
            # Stored in English, shown in the reader's language (selectors.reason_label).
            default_change_reason=(
                "spread from the year target"
                if period.kind == Period.Kind.YEAR
                else "spread from the quarter target"
            ),
        )
        _reopen_allocations_of(changed, acting_user)
    return len(changed)


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
        audit_as(parent, acting_user, "allocation changed")
        parent.save(update_fields=["allocation_status"])


def _reopen_allocations_of(targets: list[Target], acting_user) -> None:
    """`_reopen_parent_allocation` for many of one owner's targets: one query, and a
    save for each team allocation that goes back to open."""
    people = [t for t in targets if t.person_id is not None]
    if not people:
        return
    parents = Target.objects.filter(
        metric_id=people[0].metric_id,
        period_id__in={t.period_id for t in people},
        unit_id__in={t.team_id for t in people},
        allocation_status__in=[
            Target.AllocationStatus.SUBMITTED,
            Target.AllocationStatus.APPROVED,
        ],
    )
    for parent in parents:
        parent.allocation_status = Target.AllocationStatus.OPEN
        audit_as(parent, acting_user, "allocation changed")
        parent.save(update_fields=["allocation_status"])


# --- cascade plan (shared by preview and write) ------------------------------------------


@transaction.atomic
def _write_planned(
    planned: list[cascade_planner.PlannedTarget], metric: Metric, acting_user, reason: str
) -> int:
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
    keys: set = set()
    for p in planned:
        if p.key in keys:
            raise DomainError(
                _("%(owner)s has two %(period)s targets in this change.")
                % {"owner": p.owner_label, "period": p.period.label}
            )
        keys.add(p.key)
    existing = {
        cascade_planner.target_key(t): t
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
                    team=p.team if p.person is not None else None,
                    value=p.value,
                    basis=p.basis[:200],
                    weight=p.weight,
                )
            )
        elif target.value != p.value or target.basis != p.basis[:200] or target.weight != p.weight:
            target.value = p.value
            target.basis = p.basis[:200]
            target.weight = p.weight
            to_update.append(target)
    if to_create:
        bulk_create_with_history(
            to_create, Target, default_user=acting_user, default_change_reason=reason
        )
    if to_update:
        bulk_update_with_history(
            to_update,
            Target,
            ["value", "basis", "weight"],
            default_user=acting_user,
            default_change_reason=reason,
        )
    return len(to_create) + len(to_update)


@transaction.atomic
def cascade_org(
    *, target: Target, method: str | None = None, weights: list | None = None, acting_user
) -> int:
    planned = cascade_planner.plan_org_split(target, method=method, weights=weights)
    count = _write_planned(planned, target.metric, acting_user, "cascade over the organisation")
    if method and method != target.allocation_method:
        target.allocation_method = method
        audit_as(target, acting_user)
        target.save(update_fields=["allocation_method"])
    return count


@transaction.atomic
def cascade_time(*, target: Target, profile: SeasonalityProfile | None = None, acting_user) -> int:
    planned = cascade_planner.plan_time_split(target, profile=profile)
    count = _write_planned(planned, target.metric, acting_user, "cascade over time")
    if profile is not None and profile.pk != target.seasonality_id:
        target.seasonality = profile
        audit_as(target, acting_user)
        target.save(update_fields=["seasonality"])
    return count


@transaction.atomic
def cascade_typed(*, target: Target, values: list, acting_user) -> int:
    """Write typed-in values one level down; the unit's method becomes 'typed in'."""
    planned = cascade_planner.plan_typed_split(target, values)
    if target.allocation_method != Target.Allocation.MANUAL:
        target.allocation_method = Target.Allocation.MANUAL
        audit_as(target, acting_user)
        target.save(update_fields=["allocation_method"])
    return _write_planned(planned, target.metric, acting_user, "typed in below")


def targets_write(
    *, metric: Metric, planned: list[cascade_planner.PlannedTarget], acting_user, reason: str
) -> int:
    """Write many draft targets of one metric in bulk (an import): refused whole if any
    is published or in a period that is not open."""
    return _write_planned(planned, metric, acting_user, reason[:100])


@transaction.atomic
def cascade_down(
    *,
    target: Target,
    profile: SeasonalityProfile | None = None,
    acting_user,
    method: str | None = None,
    weights: list | None = None,
) -> int:
    """Write the full cascade that `cascade_planner.plan_cascade_down` previews."""
    planned = cascade_planner.plan_cascade_down(target, profile, method=method, weights=weights)
    count = _write_planned(planned, target.metric, acting_user, "full cascade")
    fields = []
    if method and method != target.allocation_method:
        target.allocation_method = method
        fields.append("allocation_method")
    if profile is not None and profile.pk != target.seasonality_id:
        target.seasonality = profile
        fields.append("seasonality")
    if fields:
        audit_as(target, acting_user)
        target.save(update_fields=fields)
    return count


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
        **_both_languages(
            metric=lambda: target.metric.display_name,
            period=lambda: target.period.label,
            unit=lambda: target.unit.display_name if target.unit_id else "",
        ),
        "value": domain.format_value(target.value, target.metric),
    }


@transaction.atomic
def allocation_submit(*, target: Target, acting_user, comment: str = "") -> Target:
    target = (
        Target.objects.select_for_update(of=("self",))
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
    audit_as(target, acting_user, "allocation submitted")
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
        Target.objects.select_for_update(of=("self",))
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
    audit_as(target, acting_user, "allocation approved" if approve else "allocation returned")
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
    year: periods that are not open; targets whose children do not add up to them
    within the tolerance, in the organisation (a unit's child units, a team's people,
    for the same period) or in time (an owner's quarters of their year, months of
    their quarter; an owner without quarters: the months of their year); allocations
    waiting for a decision. Two queries, whatever the number of targets."""
    low, high = tolerance()
    targets = list(
        Target.objects.filter(metric=metric, period__fiscal_year_id=fiscal_year_id)
        .select_related("unit", "person", "period__fiscal_year", "period__parent")
        .order_by("period__start_date", "-period__end_date", "unit__path", "person__username")
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
    parents = dict(OrgUnit.objects.values_list("pk", "parent_id"))
    by_figure: dict[domain.Figure, Target] = {}
    for t in targets:
        org_parent = ("unit", t.team_id) if t.person_id else ("unit", parents.get(t.unit_id))
        figure = domain.Figure(
            owner=t.owner_key,
            period=t.period_id,
            value=t.value,
            draft=not t.is_published,
            within=_periods_around(t.period),
            org_parent=org_parent if org_parent[1] else None,
        )
        by_figure[figure] = t
    for problem in domain.sum_problems(by_figure, low, high):
        t = by_figure[problem.parent]
        names = {
            "owner": t.owner_label,
            "unit": t.owner_label,
            "period": t.period.label,
            "share": problem.share,
            "sum": domain.format_value(problem.total, metric),
            "value": domain.format_value(t.value, metric),
            "min": low,
            "max": high,
        }
        if problem.kind == "org":
            message = _(
                "%(unit)s, %(period)s: the targets below add up to %(share)s %% of "
                "%(value)s; they must be between %(min)s %% and %(max)s %%."
            )
        elif by_figure[problem.children[0]].period.kind == Period.Kind.QUARTER:
            message = _(
                "%(owner)s, %(period)s: the quarters add up to %(sum)s, %(share)s %% of "
                "%(value)s; they must be between %(min)s %% and %(max)s %%: change the "
                "quarters or the year so that they agree."
            )
        else:
            message = _(
                "%(owner)s, %(period)s: the months add up to %(sum)s, %(share)s %% of "
                "%(value)s; they must be between %(min)s %% and %(max)s %%: change the "
                "months or %(period)s so that they agree."
            )
        problems.append(message % names)
    for t in targets:
        if t.unit_id is not None and t.allocation_status == Target.AllocationStatus.SUBMITTED:
            problems.append(
                _("%(unit)s, %(period)s: the team's allocation waits for approval.")
                % {"unit": t.unit.display_name, "period": t.period.label}
            )
    return problems


def _periods_around(period: Period) -> tuple[tuple[int, int], ...]:
    """The periods around `period`, nearest first, each with the number of periods
    like it that make it up (a month: (its quarter, 3), (its year, 12); a quarter:
    (its year, 4)), by id, from the parents already loaded."""
    if period.parent_id is None:
        return ()
    if period.kind == Period.Kind.MONTH:
        grand = period.parent.parent_id if period.parent is not None else None
        return ((period.parent_id, 3), (grand, 12)) if grand else ((period.parent_id, 3),)
    return ((period.parent_id, 4),)


@transaction.atomic
def targets_publish(*, metric: Metric, fiscal_year_id: int, acting_user) -> int:
    """Publish every draft target of a metric in a fiscal year (the year, its quarters
    and months), after checking the tolerance at every node. Owners are notified."""
    problems = publication_problems(metric=metric, fiscal_year_id=fiscal_year_id)
    if problems:
        raise DomainError(
            " ".join(problems[:5]) + (" …" if len(problems) > 5 else ""),
            code="publication_refused",
            data={"problems": problems},
        )
    drafts = list(
        Target.objects.select_for_update(of=("self",))
        .filter(metric=metric, period__fiscal_year_id=fiscal_year_id, status=Target.Status.DRAFT)
        .select_related("period__fiscal_year", "unit", "metric")
    )
    now = timezone.now()
    for t in drafts:
        t.status = Target.Status.PUBLISHED
        t.published_at = now
    # Every draft gets the same two values: one UPDATE (the rows are locked above),
    # then one history row each.
    Target.objects.filter(
        metric=metric, period__fiscal_year_id=fiscal_year_id, status=Target.Status.DRAFT
    ).update(status=Target.Status.PUBLISHED, published_at=now)
    Target.history.bulk_history_create(
        drafts, update=True, default_user=acting_user, default_change_reason="published"
    )
    # One notification per owner, for the longest period published (the year if any).
    rank = {Period.Kind.YEAR: 0, Period.Kind.QUARTER: 1, Period.Kind.MONTH: 2}
    first: dict[tuple, Target] = {}
    for t in sorted(drafts, key=lambda t: (rank.get(t.period.kind, 3), t.period.start_date)):
        first.setdefault((t.unit_id, t.person_id), t)
    # A person's target is the sum of their parts (one per team they were in).
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for t in drafts:
        if t.person_id:
            totals[(t.person_id, t.period_id)] += t.value
    _notify_published(list(first.values()), totals)
    return len(drafts)


def _notify_published(targets: list[Target], totals: dict[tuple, Decimal]) -> None:
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
            params["value"] = domain.format_value(
                totals.get((t.person_id, t.period_id), t.value), t.metric
            )
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
    """The owner acknowledges a published target, once. Anyone else: PermissionDenied."""
    target = Target.objects.select_for_update(of=("self",)).get(pk=target.pk)
    if not target.is_published:
        raise DomainError(_("Only a published target can be acknowledged."))
    if target.acknowledged_at is not None:
        raise DomainError(_("This target is already acknowledged."))
    require(permissions.can_acknowledge(acting_user, target))
    target.acknowledged_at = timezone.now()
    target.acknowledged_by = acting_user
    audit_as(target, acting_user, "acknowledged")
    target.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return target


@transaction.atomic
def targets_acknowledge(*, targets: list[Target], acting_user) -> list[Target]:
    """Acknowledge several targets at once (a year and its parts): all of them or none."""
    return [target_acknowledge(target=t, acting_user=acting_user) for t in targets]


# --- adjustments -------------------------------------------------------------------------


@transaction.atomic
def adjustment_request(
    *, target: Target, new_value, kind: str, reason: str, effective_period: Period, acting_user
) -> Adjustment:
    target = (
        Target.objects.select_for_update(of=("self",))
        .select_related("metric", "period", "unit", "person")
        .get(pk=target.pk)
    )
    if not target.is_published:
        raise DomainError(_("A draft target is changed directly, not by an adjustment."))
    value = domain.clean_value(new_value, target.metric)
    domain.check_adjustment(target.value, value, reason)
    if kind not in Adjustment.Reason.values:
        raise DomainError(_("Choose the kind of adjustment."))
    if not (
        target.period.start_date <= effective_period.start_date
        and effective_period.end_date <= target.period.end_date
    ):
        raise DomainError(
            _("The effective period %(effective)s is outside the target's period %(period)s.")
            % {"effective": effective_period.label, "period": target.period.label}
        )
    first = _check_effective(target, effective_period)
    _check_open(effective_period)
    if target.adjustments.filter(status=Adjustment.Status.PENDING).exists():
        raise DomainError(_("This target already has an adjustment waiting for a decision."))
    # Refuses a change that cannot spread.
    _plan_adjustment(target, value, effective_period, first_open=first)
    adjustment = Adjustment(
        target=target,
        kind=kind,
        old_value=target.value,
        new_value=value,
        reason=reason.strip(),
        effective_period=effective_period,
        requested_by=acting_user,
    )
    audit_as(adjustment, acting_user)
    adjustment.save()
    params = {
        "requester": acting_user.display_name,
        **_both_languages(
            metric=lambda: target.metric.display_name, owner=lambda: target.owner_label
        ),
        "value": domain.format_value(value, target.metric),
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
        Adjustment.objects.select_for_update(of=("self",))
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
    reason = f"adjustment #{adjustment.pk} ({adjustment.kind}): {adjustment.reason}"
    if approve:
        if target.value != adjustment.old_value:
            raise DomainError(_("The target changed since this request: ask for a new one."))
        # A month may have closed since the request: then it is refused, not moved to a
        # later month, because the requester chose the new value for the months they
        # named (the months kept would hold more than they counted on).
        first = _check_effective(target, adjustment.effective_period, deciding=True)
        _check_open(adjustment.effective_period)
        _apply_adjustment(target, adjustment, acting_user, reason, first_open=first)
    adjustment.status = Adjustment.Status.APPROVED if approve else Adjustment.Status.REJECTED
    adjustment.decided_by = acting_user
    adjustment.decided_at = timezone.now()
    adjustment.decision_note = note
    audit_as(adjustment, acting_user)
    adjustment.save()
    params = {
        **_both_languages(
            metric=lambda: target.metric.display_name,
            owner=lambda: target.owner_label,
            period=lambda: target.period.label,
        ),
        "value": domain.format_value(adjustment.new_value, target.metric),
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


def _check_effective(
    target: Target, effective_period: Period, *, deciding: bool = False
) -> Period | None:
    """The first month of the target's period from which every month is open, when the
    effective period starts there or later; refused otherwise, naming the month that
    is closing or closed, and the first month the change can take effect from."""
    if deciding:
        # Locked until the approval commits: a close cannot freeze a month in between.
        months = list(
            Period.objects.select_for_update(of=("self",))
            .filter(
                fiscal_year_id=target.period.fiscal_year_id,
                kind=Period.Kind.MONTH,
                start_date__gte=target.period.start_date,
                end_date__lte=target.period.end_date,
            )
            .select_related("fiscal_year")
            .order_by("start_date")
        )
    else:
        months = selectors.months_of(period=target.period)
    if not months:
        return None  # a calendar without months: only the periods' own status counts
    index = domain.first_adjustable([m.status == Period.Status.OPEN for m in months])
    first = None if index is None else months[index]
    if first is not None and effective_period.start_date >= first.start_date:
        return first
    frozen = months[-1] if index is None else months[index - 1]
    names = {
        "month": frozen.label,
        "status": frozen.get_status_display(),
        "period": target.period.label,
        "effective": effective_period.label,
        "first": first.label if first is not None else "",
    }
    if deciding:
        if first is None:
            message = _(
                "%(month)s, the last month of %(period)s, is now %(status)s: this adjustment "
                "can no longer be applied. Reject it with a note."
            )
        else:
            message = _(
                "%(month)s is now %(status)s: its target cannot change, so this adjustment "
                "can no longer take effect from %(effective)s. Reject it with a note; a new "
                "request can take effect from %(first)s at the earliest."
            )
        raise DomainError(message % names)
    if first is None:
        message = _(
            "%(month)s, the last month of %(period)s, is %(status)s: this target can no "
            "longer be adjusted."
        )
    else:
        message = _(
            "%(month)s is %(status)s: its target cannot change, so an adjustment cannot take "
            "effect from %(effective)s. Choose %(first)s or a later period."
        )
    raise EffectivePeriodRefused(message % names, first=first)


def _plan_adjustment(
    target: Target,
    new_value: Decimal,
    effective_period: Period,
    *,
    first_open: Period | None,
    lock: bool = False,
) -> list[tuple[Target, Decimal]]:
    """The owner's targets an adjustment changes, with their new values, so that every
    level still adds up: the target itself; its months (or, without months, a year's
    quarters) from the effective period on, in proportion to their current values;
    a year's quarters recomputed from their months; and the quarter and year above a
    changed quarter or month, moved by the same amount."""
    places = target.metric.decimal_places
    qs = Target.objects.filter(
        metric_id=target.metric_id,
        unit_id=target.unit_id,
        person_id=target.person_id,
        team_id=target.team_id,
        period__fiscal_year_id=target.period.fiscal_year_id,
    ).select_related("period")
    if lock:
        qs = qs.select_for_update(of=("self",))
    owned = [t for t in qs if t.pk != target.pk]
    period = target.period
    new_values: dict[int, tuple[Target, Decimal]] = {target.pk: (target, new_value)}

    def inside(t: Target, kind: str) -> bool:
        return (
            t.period.kind == kind
            and period.start_date <= t.period.start_date
            and t.period.end_date <= period.end_date
        )

    months = sorted(
        (t for t in owned if inside(t, Period.Kind.MONTH)), key=lambda t: t.period.start_date
    )
    quarters = sorted(
        (t for t in owned if inside(t, Period.Kind.QUARTER)), key=lambda t: t.period.start_date
    )
    expected_months = {Period.Kind.YEAR: 12, Period.Kind.QUARTER: 3}.get(period.kind, 0)
    leaves = []
    if expected_months and len(months) == expected_months:
        leaves = months
    elif period.kind == Period.Kind.YEAR and len(quarters) == 4:
        leaves = quarters
    if leaves:
        start = effective_period.start_date
        from_index = next(
            (i for i, leaf in enumerate(leaves) if leaf.period.end_date >= start), None
        )
        if from_index is None:
            raise DomainError(_("The effective month is outside the target's period."))
        if first_open is not None and leaves[from_index].period.start_date < first_open.start_date:
            # Quarters without months: the first quarter that changes holds a month
            # that is closing or closed.
            raise DomainError(
                _(
                    "%(owner)s's %(period)s target would change, and %(period)s holds months "
                    "that are closing or closed: choose an effective period from the next "
                    "quarter on."
                )
                % {"owner": target.owner_label, "period": leaves[from_index].period.label}
            )
        spread = domain.spread_adjustment(
            [leaf.value for leaf in leaves], new_value, from_index, places
        )
        for leaf, value in zip(leaves, spread, strict=True):
            new_values[leaf.pk] = (leaf, value)
        if leaves is months and quarters:
            by_quarter: dict[int, Decimal] = defaultdict(Decimal)
            for month, value in zip(months, spread, strict=True):
                by_quarter[month.period.parent_id] += value
            for quarter in quarters:
                if quarter.period_id in by_quarter:
                    new_values[quarter.pk] = (quarter, by_quarter[quarter.period_id])
    delta = new_value - target.value
    for above in owned:
        if (
            above.period.kind != period.kind
            and above.period.start_date <= period.start_date
            and period.end_date <= above.period.end_date
        ):
            if above.value + delta < 0:
                raise DomainError(_("A target cannot be negative."))
            new_values[above.pk] = (above, above.value + delta)
    return [(t, v) for t, v in new_values.values() if t.value != v or t.pk == target.pk]


def _apply_adjustment(
    target: Target,
    adjustment: Adjustment,
    acting_user,
    reason: str,
    *,
    first_open: Period | None,
) -> None:
    """Set the new value and move the owner's other periods with it (see
    `_plan_adjustment`); every changed row gets a history entry with the reason."""
    changes = _plan_adjustment(
        target,
        adjustment.new_value,
        adjustment.effective_period,
        first_open=first_open,
        lock=True,
    )
    basis = f"adjusted: {domain.english(Adjustment.Reason(adjustment.kind).label)}"[:200]
    changed = []
    for t, value in changes:
        t.value = value
        t.basis = basis
        changed.append(t)
    bulk_update_with_history(
        changed,
        Target,
        ["value", "basis"],
        default_user=acting_user,
        default_change_reason=reason[:100],
    )


# --- personal sales plans ----------------------------------------------------------------
