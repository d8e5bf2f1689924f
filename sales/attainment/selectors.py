"""Live attainment: actual against target per metric, for people and units, in a
month, quarter or fiscal year, with the pace (expected to date), the projection to
the period's end and the at-risk flag (`sales.domain`), and the reads built for the
attainment dashboards.

Computed on every request from `sales.records.selectors.monthly_actuals_many` (the monthly totals
that every write keeps in step, so what was sold a second ago counts), never from a
stored copy. A unit's actual is the sum over its subtree; a person's is everything
credited to them, whichever team they sold in, against their target: the sum of the
parts each team gave them for the days they were its member (targets.models.Target).
A person within a unit (a team dashboard's member row, the owner ("person", id, unit
id)) is their parts in the unit's teams against what they were credited while in
those teams (a credit keeps its team), so a team's member rows add up to the team.

Queries, whatever the number of owners and records: one `monthly_actuals_many` call
for every metric and owner, one query for the targets (the period's, the year's for
its seasonality profile and the months' that shape the pace or the trend), and the
few the pages add (periods, metrics, members, follow-ups). The Python work grows with
owners x metrics x months, never with the records.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from org.models import FiscalYear, Membership, OrgUnit, Period, User
from org.permissions import subtree_q
from sales import domain
from sales.models import FollowUp
from sales.records.permissions import visible_followups
from sales.records.selectors import monthly_actuals_many
from sales.templatetags.dashboards_ui import pct_text
from targets.models import Metric, SeasonalityProfile, Target
from targets.permissions import visible_targets
from targets.selectors import fiscal_year_on, fiscal_years

# ("unit", id), ("person", id), or ("person", id, unit id): the person within the unit.
Owner = tuple

FOLLOWUPS_AHEAD_DAYS = 7
FOLLOWUPS_SHOWN = 10
RANKED = 5


def at_risk_pct() -> Decimal:
    return Decimal(settings.SALES_AT_RISK_PCT)


def min_elapsed_pct() -> Decimal:
    """No at-risk verdict before this share (%) of a period has passed."""
    return Decimal(settings.SALES_AT_RISK_MIN_ELAPSED_PCT)


def pace_method() -> str:
    return settings.SALES_PACE_METHOD


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


# --- periods ---------------------------------------------------------------------------------


@dataclass
class PeriodChoice:
    """The period a dashboard shows and the ones its selector lists: the year, quarters
    and months of that period's fiscal year, and the other fiscal years."""

    period: Period
    fiscal_year: FiscalYear
    periods: list[Period]  # every period of the fiscal year
    year: Period | None
    quarters: list[Period]
    months: list[Period]
    other_years: list[Period]  # the year periods of the other fiscal years
    today: datetime.date

    @property
    def elapsed_pct(self) -> Decimal:
        """How much of the period's days have passed, in %, to 0.1."""
        fraction = domain.elapsed_fraction(self.period.start_date, self.period.end_date, self.today)
        return (fraction * 100).quantize(domain.PCT_QUANTUM, rounding=ROUND_HALF_UP)

    @property
    def days(self) -> tuple[int, int]:
        """(days passed, days in the period)."""
        start, end = self.period.start_date, self.period.end_date
        passed = 0 if self.today < start else domain.days_in(start, min(self.today, end))
        return passed, domain.days_in(start, end)


class UnknownPeriod(LookupError):
    """No period with the id asked for."""


def period_choice(*, today: datetime.date, period_id=None) -> PeriodChoice | None:
    """The period `period_id` (any fiscal year), else the month containing today in the
    current fiscal year (its first month when today is outside it). None when there is
    no fiscal year; UnknownPeriod for an id that names none. Two queries."""
    years = fiscal_years()
    if not years:
        return None
    chosen = None
    if period_id not in (None, ""):
        chosen = next(
            (p for y in years for p in y.periods.all() if str(p.pk) == str(period_id)), None
        )
        if chosen is None:
            raise UnknownPeriod(period_id)
        fiscal_year = next(y for y in years if y.pk == chosen.fiscal_year_id)
    else:
        fiscal_year = fiscal_year_on(years, today)
    periods = list(fiscal_year.periods.all())
    year = next((p for p in periods if p.kind == Period.Kind.YEAR), None)
    quarters = sorted((p for p in periods if p.kind == Period.Kind.QUARTER), key=lambda p: p.number)
    months = sorted((p for p in periods if p.kind == Period.Kind.MONTH), key=lambda p: p.number)
    if chosen is None:
        chosen = next((m for m in months if m.start_date <= today <= m.end_date), None)
        chosen = chosen or (months[0] if months else year)
    other_years = [
        p
        for y in years
        if y.pk != fiscal_year.pk
        for p in y.periods.all()
        if p.kind == Period.Kind.YEAR
    ]
    return PeriodChoice(chosen, fiscal_year, periods, year, quarters, months, other_years, today)


def active_metrics() -> list[Metric]:
    """The active metrics in their catalogue order; the first is the main one."""
    return list(Metric.objects.filter(is_active=True).order_by("position", "code"))


# --- live attainment -------------------------------------------------------------------------


@dataclass
class MonthPoint:
    month: Period
    actual: Decimal | None  # None for a month that has not started
    target: Decimal | None  # the owner's monthly target, if the cascade made one


class OwnedRow:
    """A row whose `owner` is an `Owner` tuple: its type and id by name."""

    @property
    def owner_type(self) -> str:
        return self.owner[0]

    @property
    def owner_id(self) -> int:
        return self.owner[1]


@dataclass
class TeamPart:
    """A person's part of their target in one team they were in during the period, and
    what they sold while in it."""

    team: OrgUnit
    cell: Attainment


@dataclass
class Attainment(OwnedRow):
    """One owner's attainment of one metric in one period. A person's target is the
    sum of their parts (one per team they were in); `parts` lists each team's part and
    what they sold in it when there are several (see `person_parts`)."""

    owner: Owner
    metric: Metric
    period: Period
    target_id: int | None
    target_status: str | None  # Target.Status value, None without a target
    progress: domain.Progress
    months: list[MonthPoint] = field(default_factory=list)
    parts: list[TeamPart] = field(default_factory=list)

    @property
    def within(self) -> int | None:
        """For a person within a unit (a team dashboard's member row): the unit's id."""
        return self.owner[2] if len(self.owner) == 3 else None

    @property
    def target(self) -> Decimal | None:
        return self.progress.target

    @property
    def actual(self) -> Decimal:
        return self.progress.actual

    @property
    def attainment(self) -> Decimal | None:
        return self.progress.attainment

    @property
    def at_risk(self) -> bool:
        return self.progress.at_risk

    @property
    def too_early(self) -> bool:
        """Too little of the period has passed (as of the metric's lag) to tell."""
        return self.progress.too_early

    @property
    def risk_reason(self) -> str:
        """Why this is at risk, in one line; "" when it is not."""
        if not self.at_risk:
            return ""
        values = {
            "metric": self.metric.display_name,
            "projected": pct_text(self.progress.projected_attainment),
            "threshold": pct_text(at_risk_pct(), places=None),
            "elapsed": pct_text(self.progress.observed_pct),
        }
        if self.finished and self.progress.observed >= 1:
            return (
                _("%(metric)s ended at %(projected)s of the target (threshold %(threshold)s).")
                % values
            )
        kind = self.period.kind
        if kind == Period.Kind.YEAR:
            text = _(
                "%(metric)s projects to %(projected)s of the target (threshold %(threshold)s) "
                "at %(elapsed)s of the year."
            )
        elif kind == Period.Kind.QUARTER:
            text = _(
                "%(metric)s projects to %(projected)s of the target (threshold %(threshold)s) "
                "at %(elapsed)s of the quarter."
            )
        else:
            text = _(
                "%(metric)s projects to %(projected)s of the target (threshold %(threshold)s) "
                "at %(elapsed)s of the month."
            )
        reason = text % values
        if self.progress.lag_days:
            reason += " " + (
                ngettext(
                    "(Counted as of %(days)s day ago: its actuals arrive late.)",
                    "(Counted as of %(days)s days ago: its actuals arrive late.)",
                    self.progress.lag_days,
                )
                % {"days": self.progress.lag_days}
            )
        return reason

    @property
    def finished(self) -> bool:
        return self.progress.elapsed >= 1

    @property
    def elapsed_pct(self) -> Decimal:
        return (self.progress.elapsed * 100).quantize(domain.PCT_QUANTUM, rounding=ROUND_HALF_UP)

    @property
    def target_status_label(self) -> str:
        return Target.Status(self.target_status).label if self.target_status else ""

    @property
    def bar_pct(self) -> Decimal:
        """The progress bar's width: the actual's share of the target, 0 to 100."""
        used = self.progress.used_pct
        return min(max(used, Decimal(0)), Decimal(100)) if used is not None else Decimal(0)

    @property
    def ahead_of_pace(self) -> bool | None:
        """At or ahead of the pace (for lower-is-better: at or under it); None without
        a target."""
        behind = self.progress.pace_variance
        if behind is None:
            return None
        return behind <= 0 if self.metric.direction == domain.LOWER else behind >= 0

    @property
    def gap(self) -> Decimal | None:
        """Target minus actual: still to go (higher is better) or left under the target
        (lower is better); None without a target."""
        variance = self.progress.variance
        return None if variance is None else -variance

    @property
    def marker_pct(self) -> Decimal:
        return min(self.progress.pace_pct, Decimal(100))


def _profile_weights(method: str | None, weights) -> list[Decimal] | None:
    """Twelve monthly weights of a seasonality profile, by fiscal month; None for a
    profile whose shape is not stored (last year's actuals: the time cascade wrote
    monthly targets from them)."""
    if method == SeasonalityProfile.Method.EQUAL:
        return [Decimal(1)] * 12
    if method == SeasonalityProfile.Method.CUSTOM and weights and len(weights) == 12:
        return [Decimal(str(w)) for w in weights]
    return None


def _owner_q(owners: Iterable[Owner]) -> Q:
    units = sorted({owner[1] for owner in owners if owner[0] == "unit"})
    people = sorted({owner[1] for owner in owners if owner[0] == "person"})
    condition = Q(pk__in=[])
    if units:
        condition |= Q(unit_id__in=units)
    if people:
        condition |= Q(person_id__in=people)
    return condition


def _add_part(found: dict, key: tuple, row: tuple) -> None:
    """Add one part of a person's target to what `found` holds for `key`: the values
    summed, draft while any part is a draft, the id only while there is one part."""
    _pk, value, status, method, weights = row
    before = found.get(key)
    if before is None:
        found[key] = row
        return
    draft = Target.Status.DRAFT
    found[key] = (
        None,
        before[1] + value,
        draft if draft in (before[2], status) else status,
        before[3] or method,
        before[4] or weights,
    )


def live_attainment(
    *,
    owners: list[Owner],
    metrics: list[Metric],
    period: Period,
    today: datetime.date,
    viewer=None,
    periods: list[Period] | None = None,
    trend_owners: Iterable[Owner] = (),
) -> dict[tuple[Owner, int], Attainment]:
    """{(owner, metric id): Attainment} for every owner and metric in `period`.

    The target is the owner's target for the metric and period, draft or published
    (its status says which) — among those `viewer` may see, when a viewer is given.
    The pace follows the owner's monthly targets of the period's months, else the
    seasonality profile of the target (or of the owner's annual target), else the
    days (settings.SALES_PACE_METHOD = "days" always the days). `months` holds the
    period's months, or, for `trend_owners`, every month of the fiscal year (actual
    and monthly target, for the trend charts). `periods`: the fiscal year's periods
    when the caller has them (else one query)."""
    owners = list(dict.fromkeys(owners))
    trend_owners = set(trend_owners)
    if periods is None:
        periods = list(Period.objects.filter(fiscal_year_id=period.fiscal_year_id))
    year = next((p for p in periods if p.kind == Period.Kind.YEAR), None)
    fy_months = sorted(
        (p for p in periods if p.kind == Period.Kind.MONTH), key=lambda p: p.start_date
    )
    period_months = [
        m for m in fy_months if period.start_date <= m.start_date <= period.end_date
    ] or ([period] if period.kind == Period.Kind.MONTH else [])
    series_months = fy_months if trend_owners and fy_months else period_months
    if not owners or not metrics:
        return {}

    # One query: the period's, the year's and the months' targets of every owner.
    pace_ids = {period.pk, *(m.pk for m in period_months)}
    if year is not None:
        pace_ids.add(year.pk)
    condition = Q(period_id__in=pace_ids) & _owner_q(owners)
    if trend_owners:
        condition |= Q(period_id__in=[m.pk for m in series_months]) & _owner_q(trend_owners)
    base = visible_targets(viewer) if viewer is not None else Target.objects.all()
    found: dict[tuple[Owner, int, int], tuple] = {}
    # A person's parts go to the person and to the units asked for them that hold the
    # part's team.
    whole = {owner for owner in owners if owner[0] == "person" and len(owner) == 2}
    within: dict[int, list[Owner]] = {}
    for owner in owners:
        if owner[0] == "person" and len(owner) == 3:
            within.setdefault(owner[1], []).append(owner)
    paths = (
        dict(
            OrgUnit.objects.filter(
                pk__in={o[1] for o in owners if o[0] == "unit"}
                | {o[2] for rows in within.values() for o in rows}
            ).values_list("pk", "path")
        )
        if any(o[0] == "unit" for o in owners) or within
        else {}
    )
    for (
        pk,
        metric_id,
        period_id,
        unit_id,
        person_id,
        team_path,
        value,
        status,
        method,
        weights,
    ) in (
        base.filter(condition, metric_id__in=[m.pk for m in metrics])
        .order_by("pk")
        .values_list(
            "pk",
            "metric_id",
            "period_id",
            "unit_id",
            "person_id",
            "team__path",
            "value",
            "status",
            "seasonality__method",
            "seasonality__weights",
        )
    ):
        row = (pk, value, status, method, weights)
        if unit_id:
            found[(("unit", unit_id), metric_id, period_id)] = row
            continue
        if ("person", person_id) in whole:
            _add_part(found, (("person", person_id), metric_id, period_id), row)
        for owner in within.get(person_id, ()):
            if team_path and team_path.startswith(paths[owner[2]]):
                _add_part(found, (owner, metric_id, period_id), row)

    # One monthly_actuals_many call, over the period or, for a trend, the year.
    if series_months:
        start = min(series_months[0].start_date, period.start_date)
        end = max(series_months[-1].end_date, period.end_date)
    else:
        start, end = period.start_date, period.end_date
    first = _month_index(start)
    period_slice = slice(
        _month_index(period.start_date) - first, _month_index(period.end_date) - first + 1
    )
    method = pace_method()
    threshold = at_risk_pct()
    too_early_pct = min_elapsed_pct()
    result: dict[tuple[Owner, int], Attainment] = {}
    all_actuals = monthly_actuals_many(
        metrics=metrics, start=start, end=end, owners=owners, unit_paths=paths
    )
    for metric in metrics:
        actuals = all_actuals[metric.pk]
        places = metric.decimal_places
        for owner in owners:
            values = actuals.get(owner) or []
            actual = sum(values[period_slice], Decimal(0))
            target = found.get((owner, metric.pk, period.pk))
            month_targets = [
                (found.get((owner, metric.pk, m.pk)) or (None, None))[1] for m in period_months
            ]
            profile = None
            for source in (target, found.get((owner, metric.pk, year.pk)) if year else None):
                if source is not None and profile is None:
                    profile = _profile_weights(source[3], source[4])
            weights, shape = domain.pace_shape(
                method=method,
                month_count=len(period_months),
                month_targets=month_targets,
                profile_weights=[profile[m.number - 1] for m in period_months] if profile else None,
            )
            progress = domain.progress(
                actual=actual,
                target=target[1] if target else None,
                start=period.start_date,
                end=period.end_date,
                today=today,
                places=places,
                threshold_pct=threshold,
                direction=metric.direction,
                weights=weights,
                shape=shape,
                lag_days=metric.pace_lag_days,
                min_elapsed_pct=too_early_pct,
            )
            shown = series_months if owner in trend_owners else period_months
            points = []
            for m in shown:
                i = _month_index(m.start_date) - first
                monthly = found.get((owner, metric.pk, m.pk))
                points.append(
                    MonthPoint(
                        month=m,
                        actual=(
                            values[i] if m.start_date <= today and 0 <= i < len(values) else None
                        ),
                        target=monthly[1] if monthly else None,
                    )
                )
            result[(owner, metric.pk)] = Attainment(
                owner=owner,
                metric=metric,
                period=period,
                target_id=target[0] if target else None,
                target_status=target[2] if target else None,
                progress=progress,
                months=points,
            )
    return result


def tree_order(units: list[OrgUnit]) -> list[OrgUnit]:
    """Units depth first, siblings by name (a unit whose parent is not in the list
    starts a tree of its own). No query."""
    present = {u.pk for u in units}
    children: dict[int | None, list[OrgUnit]] = {}
    for u in units:
        children.setdefault(u.parent_id if u.parent_id in present else None, []).append(u)
    ordered: list[OrgUnit] = []

    def walk(parent_id):
        for u in sorted(children.get(parent_id, []), key=lambda u: (u.display_name.lower(), u.pk)):
            ordered.append(u)
            walk(u.pk)

    walk(None)
    return ordered


# --- membership ------------------------------------------------------------------------------


@dataclass
class Member:
    person: User
    team: OrgUnit  # the last team of the unit's subtree they were a member of in the period


def members_of(*, units: list[OrgUnit], period: Period) -> list[Member]:
    """The people who were members of a team in the subtrees of `units` at some time
    during the period, each once (with their last team there), by name. One query."""
    if not units:
        return []
    memberships = (
        Membership.objects.filter(
            subtree_q([u.path for u in units], "unit__path"),
            kind=Membership.Kind.MEMBER,
            start_date__lte=period.end_date,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=period.start_date))
        .select_related("user", "unit")
        .order_by("start_date", "pk")
    )
    last: dict[int, Member] = {}
    for m in memberships:
        last[m.user_id] = Member(m.user, m.unit)
    return sorted(last.values(), key=lambda m: (m.person.display_name.lower(), m.person.pk))


def person_teams(*, person: User, period: Period) -> list[OrgUnit]:
    """The teams the person was a member of during the period, in the order they
    joined them. One query."""
    teams: dict[int, OrgUnit] = {}
    for m in (
        Membership.objects.filter(
            user=person, kind=Membership.Kind.MEMBER, start_date__lte=period.end_date
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=period.start_date))
        .select_related("unit")
        .order_by("start_date", "pk")
    ):
        teams.setdefault(m.unit_id, m.unit)
    return list(teams.values())


# --- the person's dashboard ------------------------------------------------------------------


@dataclass
class PersonDashboard:
    person: User
    choice: PeriodChoice
    metrics: list[Metric]
    cards: list[Attainment]  # one per active metric, in catalogue order
    followups: list[FollowUp]
    followups_due: int
    today: datetime.date

    @property
    def main(self) -> Attainment | None:
        return self.cards[0] if self.cards else None

    @property
    def at_risk(self) -> list[Attainment]:
        return worst_first(self.cards)

    @property
    def too_early(self) -> bool:
        """Some card with a target is too early to tell, and none is at risk."""
        return not self.at_risk and any(c.too_early for c in self.cards)

    def chart(self) -> dict:
        """Monthly actual against monthly target over the fiscal year, per metric."""
        return {
            "labels": [m.label for m in self.choice.months],
            "metrics": [
                {
                    "code": card.metric.code,
                    "name": card.metric.display_name,
                    "unit": card.metric.unit,
                    "actual": [_number(p.actual) for p in card.months],
                    "target": [_number(p.target) for p in card.months],
                }
                for card in self.cards
            ],
        }


def _number(value: Decimal | None):
    return None if value is None else float(value)


def due_followups(
    *, viewer, person: User, today: datetime.date, shown: int = FOLLOWUPS_SHOWN
) -> tuple[list[FollowUp], int]:
    """The person's open follow-ups (those `viewer` may see) whose next action falls
    within a week or is overdue: the first `shown` and how many in all. One query, two
    when some are shown."""
    due = (
        visible_followups(viewer)
        .filter(
            salesperson=person,
            done=False,
            next_action_on__isnull=False,
            next_action_on__lte=today + datetime.timedelta(days=FOLLOWUPS_AHEAD_DAYS),
        )
        .select_related("customer")
        .order_by("next_action_on", "pk")
    )
    return (list(due[:shown]) if shown else []), due.count()


def person_dashboard(
    *, viewer, person: User, choice: PeriodChoice, today: datetime.date
) -> PersonDashboard:
    """A person's cards (every active metric in the period, with the trend over the
    fiscal year) and their follow-ups due. For someone who was in several teams during
    the period, each card holds their part in each team and what they sold in it."""
    metrics = active_metrics()
    owner = ("person", person.pk)
    teams = person_teams(person=person, period=choice.period)
    parted = [("person", person.pk, team.pk) for team in teams] if len(teams) > 1 else []
    rows = live_attainment(
        owners=[owner, *parted],
        metrics=metrics,
        period=choice.period,
        today=today,
        viewer=viewer,
        periods=choice.periods,
        trend_owners=[owner],
    )
    cards = [rows[(owner, m.pk)] for m in metrics]
    for card in cards:
        card.parts = [
            TeamPart(team, rows[(part, card.metric.pk)])
            for team, part in zip(teams, parted, strict=False)
        ]
    followups, due = due_followups(viewer=viewer, person=person, today=today)
    return PersonDashboard(
        person=person,
        choice=choice,
        metrics=metrics,
        cards=cards,
        followups=followups,
        followups_due=due,
        today=today,
    )


# --- the team dashboard ----------------------------------------------------------------------

SORTS = ("name", "team", "risk")


@dataclass
class MemberRow:
    member: Member
    cells: list[Attainment]  # one per metric, in the dashboard's metric order

    @property
    def person(self) -> User:
        return self.member.person

    @property
    def at_risk(self) -> bool:
        return any(c.at_risk for c in self.cells)

    @property
    def risk_reason(self) -> str:
        return risk_reason(self.cells)


def worst_first(cells: Iterable[Attainment]) -> list[Attainment]:
    """The cells at risk, the lowest projected attainment first."""
    risky = [c for c in cells if c.at_risk]
    return sorted(risky, key=lambda c: (c.progress.projected_attainment, c.metric.position))


def risk_reason(cells: Iterable[Attainment]) -> str:
    """Why an owner is at risk, in one line: the worst metric's reason, and the other
    metrics at risk named after it; "" when none is."""
    risky = worst_first(cells)
    if not risky:
        return ""
    reason = risky[0].risk_reason
    if len(risky) > 1:
        reason += " " + _("Also at risk: %(metrics)s.") % {
            "metrics": ", ".join(c.metric.display_name for c in risky[1:])
        }
    return reason


@dataclass
class UnitRow:
    unit: OrgUnit
    cells: list[Attainment]

    @property
    def at_risk(self) -> bool:
        return any(c.at_risk for c in self.cells)


@dataclass
class TeamDashboard:
    unit: OrgUnit
    units: list[OrgUnit]  # the units the viewer may pick
    choice: PeriodChoice
    metrics: list[Metric]
    totals: list[Attainment]  # the unit against its target, per metric
    subunits: list[UnitRow]  # the child units, rolled up (a region's teams)
    members: list[MemberRow]
    sort: str

    @property
    def at_risk_count(self) -> int:
        return sum(1 for r in self.members if r.at_risk)

    def chart(self) -> dict:
        """Each member's actual to date per metric, in % of their target (bars),
        against their pace, the share of the target expected by today (a line): like
        with like. A bar is red when the member is at risk on that metric."""
        return {
            "labels": [r.person.display_name for r in self.members],
            "metrics": [
                {
                    "code": metric.code,
                    "name": metric.display_name,
                    "values": [_number(r.cells[i].progress.used_pct) for r in self.members],
                    "pace": [
                        _number(r.cells[i].progress.pace_pct)
                        if r.cells[i].target is not None
                        else None
                        for r in self.members
                    ],
                    "risk": [r.cells[i].at_risk for r in self.members],
                }
                for i, metric in enumerate(self.metrics)
            ],
        }


def sort_key(sort: str, metrics: list[Metric]):
    """The key and order for the member table's `?sort=`: name, team, risk (at risk
    first), or a metric code (attainment, lowest first; "-code" highest first).
    Members without an attainment go last. Unknown sorts: by name."""
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    codes = [m.code for m in metrics]

    def by_name(row):
        return (row.person.display_name.lower(), row.person.pk)

    if name in codes:
        index = codes.index(name)

        def key(row):
            value = row.cells[index].attainment
            if value is None:
                return (1, 0, by_name(row))
            return (0, -value if descending else value, by_name(row))

        return key, False
    if name == "team":
        return (lambda row: (row.member.team.display_name.lower(), by_name(row))), descending
    if name == "risk":
        return (lambda row: (not row.at_risk, by_name(row))), descending
    return by_name, descending and name == "name"


def clean_sort(sort: str | None, metrics: list[Metric]) -> str:
    sort = (sort or "").strip()
    allowed = {*SORTS, *(m.code for m in metrics)}
    return sort if sort.lstrip("-") in allowed else "name"


def team_dashboard(
    *,
    viewer,
    unit: OrgUnit,
    units: list[OrgUnit],
    choice: PeriodChoice,
    today: datetime.date,
    sort: str = "name",
) -> TeamDashboard:
    """A unit against its targets, its child units rolled up, and every member's
    attainment per metric, sorted by `sort` (see sort_key): their parts in the unit's
    teams against what they sold while in them, so the member rows add up to the
    unit's row (a person who moved in or out counts for their days here only)."""
    metrics = active_metrics()
    children = [u for u in units if u.parent_id == unit.pk]
    members = members_of(units=[unit], period=choice.period)
    owners = [
        ("unit", unit.pk),
        *(("unit", u.pk) for u in children),
        *(("person", m.person.pk, unit.pk) for m in members),
    ]
    rows = live_attainment(
        owners=owners,
        metrics=metrics,
        period=choice.period,
        today=today,
        viewer=viewer,
        periods=choice.periods,
    )
    member_rows = [
        MemberRow(m, [rows[(("person", m.person.pk, unit.pk), x.pk)] for x in metrics])
        for m in members
    ]
    sort = clean_sort(sort, metrics)
    key, reverse = sort_key(sort, metrics)
    member_rows.sort(key=key, reverse=reverse)
    return TeamDashboard(
        unit=unit,
        units=units,
        choice=choice,
        metrics=metrics,
        totals=[rows[(("unit", unit.pk), x.pk)] for x in metrics],
        subunits=[UnitRow(u, [rows[(("unit", u.pk), x.pk)] for x in metrics]) for u in children],
        members=member_rows,
        sort=sort,
    )


# --- the organisation dashboard --------------------------------------------------------------


@dataclass
class TreeRow:
    unit: OrgUnit
    depth: int  # below the dashboard's top
    cell: Attainment


@dataclass
class Ranked(OwnedRow):
    label: str
    owner: Owner
    cell: Attainment
    team: OrgUnit | None = None


@dataclass
class OrgDashboard:
    roots: list[OrgUnit]
    choice: PeriodChoice
    metrics: list[Metric]
    metric: Metric
    tree: list[TreeRow]
    company: list[MonthPoint]  # the tops summed, month by month over the fiscal year
    top_units: list[Ranked]
    bottom_units: list[Ranked]
    top_people: list[Ranked]
    bottom_people: list[Ranked]

    @property
    def at_risk_units(self) -> int:
        return sum(1 for r in self.tree if r.cell.at_risk)

    def chart(self) -> dict:
        return {
            "labels": [p.month.label for p in self.company],
            "metrics": [
                {
                    "code": self.metric.code,
                    "name": self.metric.display_name,
                    "unit": self.metric.unit,
                    "actual": [_number(p.actual) for p in self.company],
                    "target": [_number(p.target) for p in self.company],
                }
            ],
        }


def _ranked(items: list[Ranked]) -> tuple[list[Ranked], list[Ranked]]:
    """The best and the worst RANKED by attainment (never the same row twice)."""
    scored = [r for r in items if r.cell.attainment is not None]
    scored.sort(key=lambda r: (-r.cell.attainment, r.label.lower()))
    # Fewer than two lists' worth: the better half on top, the rest at the bottom.
    top = scored[: min(RANKED, (len(scored) + 1) // 2)]
    rest = scored[len(top) :]
    bottom = sorted(rest, key=lambda r: (r.cell.attainment, r.label.lower()))[:RANKED]
    return top, bottom


def _sum_points(series: list[list[MonthPoint]]) -> list[MonthPoint]:
    """Month by month sums of several owners' series; a monthly target only when
    every owner has one."""
    if not series:
        return []
    points = []
    for parts in zip(*series, strict=True):
        actuals = [p.actual for p in parts]
        targets = [p.target for p in parts]
        points.append(
            MonthPoint(
                month=parts[0].month,
                actual=None if any(a is None for a in actuals) else sum(actuals, Decimal(0)),
                target=None if any(t is None for t in targets) else sum(targets, Decimal(0)),
            )
        )
    return points


def org_dashboard(
    *,
    viewer,
    roots: list[OrgUnit],
    choice: PeriodChoice,
    metric: Metric,
    metrics: list[Metric],
    today: datetime.date,
) -> OrgDashboard:
    """The organisation below `roots` rolled up for one metric: every active unit's
    attainment (depth first), the tops' monthly actual against target over the fiscal
    year, and the five best and worst teams and people."""
    units = (
        tree_order(list(OrgUnit.objects.filter(subtree_q([r.path for r in roots]), is_active=True)))
        if roots
        else []
    )
    members = members_of(units=roots, period=choice.period)
    root_owners = [("unit", r.pk) for r in roots]
    rows = live_attainment(
        owners=[
            *(("unit", u.pk) for u in units),
            *(("person", m.person.pk) for m in members),
        ],
        metrics=[metric],
        period=choice.period,
        today=today,
        viewer=viewer,
        periods=choice.periods,
        trend_owners=root_owners,
    )
    top_depth = min((r.depth for r in roots), default=0)
    tree = [TreeRow(u, u.depth - top_depth, rows[(("unit", u.pk), metric.pk)]) for u in units]
    teams = [
        Ranked(r.unit.display_name, ("unit", r.unit.pk), r.cell)
        for r in tree
        if r.unit.kind == OrgUnit.Kind.TEAM
    ]
    people = [
        Ranked(
            m.person.display_name,
            ("person", m.person.pk),
            rows[(("person", m.person.pk), metric.pk)],
            m.team,
        )
        for m in members
    ]
    top_units, bottom_units = _ranked(teams)
    top_people, bottom_people = _ranked(people)
    return OrgDashboard(
        roots=roots,
        choice=choice,
        metrics=metrics,
        metric=metric,
        tree=tree,
        company=_sum_points([rows[(o, metric.pk)].months for o in root_owners]),
        top_units=top_units,
        bottom_units=bottom_units,
        top_people=top_people,
        bottom_people=bottom_people,
    )
