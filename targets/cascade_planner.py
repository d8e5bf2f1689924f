"""The cascade planner: what a cascade would write, computed and never written.

Reads only. From a target it plans the targets below it: over the organisation (a
unit's child units, a team's people, with a part for each team a mover was in, prorated
by presence once), over time (a year's quarters and months by a seasonality profile),
or both at once (`plan_cascade_down`). The preview pages show its plan; the services
(`targets.services.cascade_*`) write the very plan it returns.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from core.errors import DomainError
from org.models import Membership, OrgUnit, Period, User
from targets import actuals, domain
from targets.models import Metric, SeasonalityProfile, Target


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
    # The allocation weight to store with the target (None: typed in, imported).
    weight: Decimal | None = None
    # The weight the current target was given (or its value brought back to the whole
    # period when it was typed in): what a cascade by weights keeps when none are given.
    current_weight: Decimal | None = None

    @property
    def key(self):
        """(period, unit, person, team): a person's target is one part per team."""
        return (
            self.period.pk,
            self.unit.pk if self.unit else None,
            self.person.pk if self.person else None,
            self.team.pk if self.person is not None and self.team is not None else None,
        )

    @property
    def owner_key(self) -> tuple:
        if self.unit is not None:
            return ("unit", self.unit.pk)
        return ("part", self.person.pk, self.team.pk if self.team else None)

    @property
    def owner_label(self) -> str:
        return (self.unit or self.person).display_name

    @property
    def change(self) -> Decimal | None:
        return None if self.current is None else self.value - self.current


def target_key(t: Target) -> tuple:
    return (t.period_id, t.unit_id, t.person_id, t.team_id if t.person_id else None)


@dataclass
class _Row:
    """One line below a unit in a cascade: a child unit, or one person's membership of
    the team (their stays in it: first and last days)."""

    unit: OrgUnit | None = None
    person: User | None = None
    team: OrgUnit | None = None
    stays: list[domain.Stay] = dataclass_field(default_factory=list)

    @property
    def owner_key(self) -> tuple:
        if self.unit is not None:
            return ("unit", self.unit.pk)
        return ("part", self.person.pk, self.team.pk)

    @property
    def actuals_owner(self) -> tuple[str, int]:
        return ("unit", self.unit.pk) if self.unit is not None else ("person", self.person.pk)

    def days(self, start: datetime.date, end: datetime.date) -> int:
        """The days from start to end this row is there: a unit always; a person the
        days they were a member of the team."""
        if self.unit is not None:
            return (end - start).days + 1
        return domain.days_present(start, end, self.stays)


def _span(period: Period) -> int:
    return (period.end_date - period.start_date).days + 1


class _Cascade:
    """What a cascade of one metric in one fiscal year reads, loaded once, and the rule
    that shares a unit's target below it. Four queries whatever the size of the
    organisation: the periods, the active units, the metric's targets and the member
    memberships of the year (plus last year's actuals for the methods that use them).

    The rule (targets.domain, "parts"): a unit's target is shared over the months of
    its year — its own monthly targets when they add up to it, else the months its
    parent's allocation gives it, else its seasonality profile — and each month over
    the child units by their weights, or over the members' memberships by weight x
    days present in the month. A child's or a part's target for a quarter or the year
    is the sum of its months (all the months are rounded together, `part_table`).
    Every path (over the organisation then over time, over time then over the
    organisation, the full cascade) reads the same months and weights, so they write
    the same values."""

    def __init__(self, metric: Metric, fiscal_year_id: int):
        self.metric = metric
        self.places = metric.decimal_places
        periods = list(
            Period.objects.filter(fiscal_year_id=fiscal_year_id).select_related("fiscal_year")
        )
        self.year = next((p for p in periods if p.kind == Period.Kind.YEAR), None)
        self.quarters = sorted(
            (p for p in periods if p.kind == Period.Kind.QUARTER), key=lambda p: p.number
        )
        self.months = sorted(
            (p for p in periods if p.kind == Period.Kind.MONTH), key=lambda p: p.start_date
        )
        self.child_units: dict[int | None, list[OrgUnit]] = defaultdict(list)
        for unit in OrgUnit.objects.filter(is_active=True).order_by("code"):
            self.child_units[unit.parent_id].append(unit)
        self.targets: dict[tuple, Target] = {}
        for t in Target.objects.filter(
            metric=metric, period__fiscal_year_id=fiscal_year_id
        ).select_related("unit", "seasonality"):
            self.targets[(t.period_id, t.owner_key)] = t
        first = min((p.start_date for p in periods), default=datetime.date.min)
        last = max((p.end_date for p in periods), default=datetime.date.min)
        self.stays: dict[int, dict[int, list[domain.Stay]]] = defaultdict(dict)
        self.people: dict[int, User] = {}
        for m in (
            Membership.objects.filter(kind=Membership.Kind.MEMBER, start_date__lte=last)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
            .select_related("user")
            .order_by("user__username", "user_id", "start_date")
        ):
            self.stays[m.unit_id].setdefault(m.user_id, []).append((m.start_date, m.end_date))
            self.people[m.user_id] = m.user
        self._columns: dict[tuple, list[Decimal]] = {}
        self._tables: dict[int, tuple] = {}

    # --- reading ---------------------------------------------------------------------

    def target(self, period: Period | None, owner_key: tuple) -> Target | None:
        if period is None:
            return None
        return self.targets.get((period.pk, owner_key))

    def months_in(self, period: Period) -> list[Period]:
        return [
            m
            for m in self.months
            if period.start_date <= m.start_date and m.end_date <= period.end_date
        ]

    def rows_below(self, unit: OrgUnit, period: Period) -> list[_Row]:
        """The active child units (by code) or, for a unit without any, one row per
        person who was a member of it on a day of the period (by username)."""
        children = self.child_units.get(unit.pk)
        if children:
            return [_Row(unit=u) for u in children]
        rows = []
        for user_id, stays in self.stays.get(unit.pk, {}).items():
            if domain.days_present(period.start_date, period.end_date, stays) > 0:
                rows.append(_Row(person=self.people[user_id], team=unit, stays=stays))
        return rows

    def _parent_key(self, t: Target) -> tuple | None:
        if t.person_id is not None:
            return ("unit", t.team_id)
        parent_id = t.unit.parent_id if t.unit_id else None
        return ("unit", parent_id) if parent_id else None

    # --- weights -----------------------------------------------------------------------

    def row_weights(
        self, rows: list[_Row], period: Period, method: str, given: list | None
    ) -> list[Decimal]:
        """The weights of `rows` before any proration: equal 1; weights the ones given,
        else the weights their current targets for `period` were given (or, for targets
        typed in, their values brought back to the whole period); last year's share
        their actuals a year earlier."""
        count = len(rows)
        if method == Target.Allocation.WEIGHTS:
            base = given
            if base is None:
                current = [self.target(period, row.owner_key) for row in rows]
                if current and all(t is not None and t.weight is not None for t in current):
                    base = [t.weight for t in current]
                elif current and all(t is not None for t in current):
                    base = [
                        self._unprorated(t, row, period)
                        for t, row in zip(current, rows, strict=True)
                    ]
            return domain.allocation_weights(method, count, weights=base)
        if method == Target.Allocation.LAST_YEAR:
            owners = [row.actuals_owner for row in rows]
            shares = _last_year_shares(self.metric, period, owners)
            return domain.allocation_weights(method, count, last_year=shares)
        return domain.allocation_weights(method, count)

    @staticmethod
    def _unprorated(t: Target, row: _Row, period: Period) -> Decimal:
        """A typed-in part as the value of a whole period: its value over the share of
        the period's days the person was there (a unit's value as it is)."""
        present = row.days(period.start_date, period.end_date)
        if row.unit is not None or present <= 0:
            return t.value
        return t.value * _span(period) / present

    # --- the months of an annual target ---------------------------------------------------

    def columns(
        self,
        target: Target,
        *,
        own_months: bool = True,
        profile: SeasonalityProfile | None = None,
    ) -> list[Decimal]:
        """The twelve monthly values of an annual target: its own monthly targets when
        they add up to it (`own_months`); else, unless a profile is given or was
        chosen for it, the months its parent's allocation gives it; else its profile
        (a person's months weighted by the days they were in the team)."""
        key = (target.owner_key, own_months, profile.pk if profile else None)
        if key in self._columns:
            return self._columns[key]
        result = None
        if own_months:
            stored = [self.target(m, target.owner_key) for m in self.months]
            if all(t is not None for t in stored):
                values = [t.value for t in stored]
                if sum(values, Decimal(0)) == target.value:
                    result = values
        if result is None and profile is None and target.seasonality_id is None:
            result = self._parent_row(target)
        if result is None:
            result = self.profile_months(target, profile)
        self._columns[key] = result
        return result

    def _parent_row(self, target: Target) -> list[Decimal] | None:
        parent_key = self._parent_key(target)
        parent = self.target(self.year, parent_key) if parent_key else None
        if parent is None or parent.unit is None:
            return None
        try:
            rows, cells, _weights = self.year_table(parent)
        except DomainError:
            return None
        for row, row_cells in zip(rows, cells, strict=True):
            if row.owner_key == target.owner_key:
                total = sum(row_cells, Decimal(0))
                if total == target.value:
                    return list(row_cells)
                if total > 0:
                    return domain.split_by_weights(target.value, row_cells, self.places)
        return None

    def profile_months(
        self, target: Target, profile: SeasonalityProfile | None = None
    ) -> list[Decimal]:
        """The annual value spread over the months by the profile (given, else the
        target's, else equal months); a person's months weighted by the days they
        were in the team too."""
        profile = profile or target.seasonality
        method = profile.method if profile else SeasonalityProfile.Method.EQUAL
        last_year = None
        if method == SeasonalityProfile.Method.LAST_YEAR:
            owner = ("unit", target.unit_id) if target.unit_id else ("person", target.person_id)
            year = self.year
            found = actuals.monthly_actuals(
                metric=self.metric,
                start=year.start_date.replace(year=year.start_date.year - 1),
                end=year.start_date - datetime.timedelta(days=1),
                owners=[owner],
            )
            last_year = found.get(owner)
        weights = domain.seasonality_weights(
            method, custom=profile.weight_values if profile else None, last_year=last_year
        )
        if target.person_id is not None:
            stays = self.stays.get(target.team_id, {}).get(target.person_id, [])
            present = [
                Decimal(w) * domain.days_present(m.start_date, m.end_date, stays) / _span(m)
                for w, m in zip(weights, self.months, strict=True)
            ]
            if any(present):
                weights = present
        months, _quarters = domain.split_year(target.value, weights, self.places)
        return months

    # --- a unit's year shared below it ------------------------------------------------

    def year_table(
        self,
        parent: Target,
        *,
        method: str | None = None,
        given: list | None = None,
        columns: list[Decimal] | None = None,
    ) -> tuple[list[_Row], list[list[Decimal]], list[Decimal | None]]:
        """(rows, their months, their weights) of a unit's annual target shared below
        it by `method` (its own method when None) over `columns` (its months when
        None)."""
        cached = method is None and given is None and columns is None
        if cached and parent.pk in self._tables:
            return self._tables[parent.pk]
        unit = parent.unit
        rows = self.rows_below(unit, self.year)
        if not rows:
            raise DomainError(
                _("%(unit)s has no units or members during %(period)s to allocate to.")
                % {"unit": unit.display_name, "period": self.year.label}
            )
        method = method or parent.allocation_method
        cols = columns if columns is not None else self.columns(parent)
        days = [[row.days(m.start_date, m.end_date) for m in self.months] for row in rows]
        if method == Target.Allocation.MANUAL:
            typed = [
                t.value if (t := self.target(self.year, row.owner_key)) is not None else Decimal(0)
                for row in rows
            ]
            if parent.value and not any(typed):
                raise DomainError(
                    _("%(unit)s: the targets below are typed in, and none is typed in yet.")
                    % {"unit": unit.display_name}
                )
            cells = self.typed_table(typed, cols, days)
            weights: list[Decimal | None] = [None] * len(rows)
        else:
            weights = self.row_weights(rows, self.year, method, given)
            cells = domain.part_table(cols, weights, days, self.places)
        result = (rows, cells, weights)
        if cached:
            self._tables[parent.pk] = result
        return result

    def typed_table(
        self, typed: list[Decimal], columns: list, days: list[list[int]]
    ) -> list[list[Decimal]]:
        """Values typed in for the rows, each spread over the months like the unit's
        months (and a person's over the days they were there)."""
        periods = self.months if len(columns) == len(self.months) else []
        spans = [_span(p) for p in periods] or [1] * len(columns)
        shape = [Decimal(c) for c in columns] if sum(columns) > 0 else [Decimal(1)] * len(columns)
        weights = []
        for j, s in enumerate(shape):
            weights.append([s * row[j] / spans[j] for row in days])
        for i in range(len(typed)):
            if typed[i] and not any(w[i] for w in weights):
                for j in range(len(shape)):
                    weights[j][i] = Decimal(1)
        by_column = domain.split_table(typed, weights, self.places)
        return [list(row) for row in zip(*by_column, strict=True)]

    # --- the plans ---------------------------------------------------------------------

    def plan_org(self, target: Target, method: str, given: list | None) -> list[PlannedTarget]:
        unit, period = target.unit, target.period
        rows = self.rows_below(unit, period)
        if not rows:
            raise DomainError(
                _("%(unit)s has no units or members during %(period)s to allocate to.")
                % {"unit": unit.display_name, "period": period.label}
            )
        values, weights = self._org_values(target, rows, method, given)
        label = domain.english(Target.Allocation(method).label)
        planned = []
        for row, value, weight in zip(rows, values, weights, strict=True):
            current = self.target(period, row.owner_key)
            planned.append(
                PlannedTarget(
                    period,
                    row.unit,
                    row.person,
                    row.team,
                    value,
                    self._words(label, row, period),
                    current.value if current else None,
                    bool(current and current.is_published),
                    weight,
                    current_weight=(
                        None
                        if current is None
                        else current.weight
                        if current.weight is not None
                        else self._unprorated(current, row, period)
                    ),
                )
            )
        return planned

    def _org_values(self, target: Target, rows: list[_Row], method: str, given):
        """Each row's value for the target's period and its weight: from the unit's
        year shared over its months when the period is that year, or a part of it whose
        months add up to it and no other method or weights are asked for; else the
        period on its own, over its months."""
        period = target.period
        year_target = self.target(self.year, target.owner_key)
        months = self.months_in(period)
        is_year = self.year is not None and period.pk == self.year.pk
        same = given is None and year_target is not None and method == year_target.allocation_method
        if year_target is not None and months and (is_year or same):
            cols = self.columns(year_target)
            indexes = [self.months.index(m) for m in months]
            if sum((cols[i] for i in indexes), Decimal(0)) == target.value:
                if is_year:
                    year_rows, cells, weights = self.year_table(
                        year_target, method=method, given=given
                    )
                else:
                    year_rows, cells, weights = self.year_table(year_target)
                found = {
                    row.owner_key: (sum((c[i] for i in indexes), Decimal(0)), w)
                    for row, c, w in zip(year_rows, cells, weights, strict=True)
                }
                return [found[r.owner_key][0] for r in rows], [found[r.owner_key][1] for r in rows]
        if months:
            stored = [self.target(m, target.owner_key) for m in months]
            if all(t is not None for t in stored) and (
                sum((t.value for t in stored), Decimal(0)) == target.value
            ):
                cols = [t.value for t in stored]
            elif len(months) == 1:
                cols = [target.value]
            else:
                shape = (
                    [self.columns(year_target)[self.months.index(m)] for m in months]
                    if year_target is not None
                    else []
                )
                if sum(shape, Decimal(0)) <= 0:
                    shape = [Decimal(_span(m)) for m in months]
                cols = domain.split_by_weights(target.value, shape, self.places)
            spans = [(m.start_date, m.end_date) for m in months]
        else:
            cols, spans = [target.value], [(period.start_date, period.end_date)]
        weights = self.row_weights(rows, period, method, given)
        days = [[row.days(s, e) for s, e in spans] for row in rows]
        cells = domain.part_table(cols, weights, days, self.places)
        return [sum(c, Decimal(0)) for c in cells], list(weights)

    def _words(self, label: str, row: _Row, period: Period) -> str:
        """The basis of a row's targets: the method, and for a person there for part of
        the period the days (stored in English, shown by Target.basis_display)."""
        if row.person is None:
            return str(label)
        present, days = row.days(period.start_date, period.end_date), _span(period)
        if present >= days:
            return str(label)
        return f"{label}; prorated: in the team {present} of {days} days"

    def plan_time(self, target: Target, profile: SeasonalityProfile | None) -> list[PlannedTarget]:
        if target.period.kind != Period.Kind.YEAR:
            raise DomainError(_("Only an annual target is split into quarters and months."))
        months = self.columns(target, own_months=False, profile=profile)
        quarters = [sum(months[q * 3 : q * 3 + 3], Decimal(0)) for q in range(len(self.quarters))]
        chosen = profile or target.seasonality
        if chosen is not None:
            label = str(chosen.name)
        elif self._parent_row(target) is not None:
            label = "like the months of the allocation above"
        else:
            label = domain.english(SeasonalityProfile.Method.EQUAL.label)
        if target.person_id is not None and "prorated" in (target.basis or ""):
            label = f"{label}; {target.basis.split('; ', 1)[-1]}"
        planned = []
        for period, value in [
            *zip(self.quarters, quarters, strict=True),
            *zip(self.months, months, strict=True),
        ]:
            current = self.target(period, target.owner_key)
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
                    target.weight,
                )
            )
        return planned

    def plan_down(
        self,
        target: Target,
        profile: SeasonalityProfile | None,
        method: str | None,
        given: list | None,
    ) -> list[PlannedTarget]:
        period = target.period
        is_year = period.kind == Period.Kind.YEAR
        planned: list[PlannedTarget] = []
        if is_year:
            time_rows = self.plan_time(target, profile)
            planned.extend(time_rows)
            columns = self.months
            root_values = [r.value for r in time_rows if r.period.kind == Period.Kind.MONTH]
        else:
            columns, root_values = [period], [target.value]
        if target.unit_id is None:
            return planned
        spans = [(c.start_date, c.end_date) for c in columns]
        queue = [(target.unit, root_values, method or target.allocation_method, given)]
        while queue:
            unit, column_values, unit_method, unit_given = queue.pop(0)
            rows = self.rows_below(unit, period)
            if not rows:
                continue
            days = [[row.days(s, e) for s, e in spans] for row in rows]
            current = [self.target(period, row.owner_key) for row in rows]
            if unit_method == Target.Allocation.MANUAL:
                typed = [t.value if t is not None else Decimal(0) for t in current]
                if sum(column_values, Decimal(0)) and not any(typed):
                    raise DomainError(
                        _("%(unit)s: the targets below are typed in, and none is typed in yet.")
                        % {"unit": unit.display_name}
                    )
                table = self.typed_table(typed, column_values, days)
                weights: list[Decimal | None] = [None] * len(rows)
            else:
                weights = self.row_weights(rows, period, unit_method, unit_given)
                table = domain.part_table(column_values, weights, days, self.places)
            label = domain.english(Target.Allocation(unit_method).label)
            for row, cells, before, weight in zip(rows, table, current, weights, strict=True):
                words = self._words(label, row, period)
                if unit_method == Target.Allocation.MANUAL and before is not None:
                    words = before.basis or words
                total = sum(cells, Decimal(0)) if is_year else cells[0]
                parts = [(period, total)]
                if is_year:
                    parts += [
                        (q, sum(cells[i * 3 : i * 3 + 3], Decimal(0)))
                        for i, q in enumerate(self.quarters)
                    ]
                    parts += list(zip(self.months, cells, strict=True))
                for p, value in parts:
                    planned.append(
                        PlannedTarget(
                            p, row.unit, row.person, row.team, value, words, weight=weight
                        )
                    )
                if row.unit is not None:
                    child_method = before.allocation_method if before else Target.Allocation.EQUAL
                    queue.append((row.unit, cells, child_method, None))
        for row in planned:
            found = self.target(row.period, row.owner_key)
            row.current = found.value if found else None
            row.published = bool(found and found.is_published)
        return planned


def _cascade_of(target: Target) -> _Cascade:
    return _Cascade(target.metric, target.period.fiscal_year_id)


def plan_org_split(
    target: Target, *, method: str | None = None, weights: list | None = None
) -> list[PlannedTarget]:
    """What cascading `target` one level down the organisation would write: a value for
    each child unit, or a part for each person who was a member of the team during
    the period (see `_Cascade`)."""
    if target.unit_id is None:
        raise DomainError(_("A person's target has nobody below it."))
    method = method or target.allocation_method
    if method == Target.Allocation.MANUAL:
        raise DomainError(_("This unit's targets below are typed in: edit them in the workspace."))
    return _cascade_of(target).plan_org(target, method, weights)


def _last_year_shares(metric: Metric, period: Period, owners: list) -> list[Decimal]:
    """Each owner's actual over the same period one year earlier."""
    start = period.start_date.replace(year=period.start_date.year - 1)
    end = (
        period.end_date.replace(year=period.end_date.year - 1, day=28)
        if (period.end_date.month == 2 and period.end_date.day == 29)
        else period.end_date.replace(year=period.end_date.year - 1)
    )
    found = actuals.monthly_actuals(metric=metric, start=start, end=end, owners=owners)
    return [sum(found.get(o, []), Decimal(0)) for o in owners]


def plan_time_split(
    target: Target, *, profile: SeasonalityProfile | None = None
) -> list[PlannedTarget]:
    """What splitting an annual target into its quarters and months would write: by
    the profile given or chosen for the target before; without one, like its months
    in the allocation above it (a person's part: the team's months shared by the days
    they were in it); else equal months."""
    if target.period.kind != Period.Kind.YEAR:
        raise DomainError(_("Only an annual target is split into quarters and months."))
    return _cascade_of(target).plan_time(target, profile)


def plan_typed_split(target: Target, values: list) -> list[PlannedTarget]:
    """What typing in one value for every unit or person one level down would write
    (in the order of `plan_org_split`: a person who moved into the team has a row for
    their part in it)."""
    planned = plan_org_split(target, method=Target.Allocation.EQUAL)
    if len(values) != len(planned):
        raise DomainError(_("Give one value for every unit or person below."))
    for row, raw in zip(planned, values, strict=True):
        row.value = domain.clean_value(raw, target.metric, label=row.owner_label)
        row.basis = domain.english(Target.Allocation.MANUAL.label)
        row.weight = None
    return planned


def plan_cascade_down(
    target: Target,
    profile: SeasonalityProfile | None = None,
    *,
    method: str | None = None,
    weights: list | None = None,
) -> list[PlannedTarget]:
    """Preview of a full cascade from a unit's target: every unit and person below, and
    for an annual target every owner's quarters and months.

    The first level is split by `method` (default: the target's own allocation
    method) and `weights`; each level below by its unit's own method ('equal' for a
    unit without a target yet; 'weights' keeps the weights of the current targets
    below, which a cascade stores with them; 'typed in' keeps the typed-in values and
    only spreads them over the months). The annual target is spread over the months
    by the seasonality profile, then each level is split as a table of children by
    months, so that at every node and in every period the children add up to the
    parent exactly, and every owner's months add up to their quarters and year. A
    person who was in the team for part of the period gets, in each month, the share
    for the days they were in it (once: the weights are never prorated values), and a
    person who moved gets a part in each team."""
    return _cascade_of(target).plan_down(target, profile, method, weights)
