"""Reads of progress reports and customer satisfaction, each in a fixed number of
queries whatever the number of people, periods and responses.

- `report_status`: the salesperson's current report and how many of the last four
  ended periods lack a submitted one (the home card uses this contract);
- `my_reports`: the salesperson's periods with their reports and states;
- `team_grid` / `team_reports`: every member of the units a supervisor leads (or of
  the whole organisation, for the department) by period, with the state of each
  report; `missing_reports` for flagging;
- `satisfaction_average`: the appraisal's input, per person and date range;
  `satisfaction_averages`: the same over the responses a user may see.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from core.filters import query_params
from org.models import Membership, OrgUnit, Period, Role, RoleAssignment, User
from org.permissions import active_on_q, is_department, led_unit_paths, subtree_q
from sales.feedback import domain
from sales.feedback.domain import ReportPeriod, ReportState
from sales.feedback.filters import SatisfactionFilter
from sales.feedback.permissions import visible_satisfaction
from sales.models import ProgressReport, SatisfactionResponse

MISSING_WINDOW = 4  # ended periods counted by report_status


def report_frequency() -> str:
    return settings.SALES_REPORT_FREQUENCY


def period_label(period: ReportPeriod) -> str:
    """ "Week of 2 March 2026" or "March 2026", in the active language."""
    if period.frequency == domain.MONTHLY:
        return formats.date_format(period.start, "YEAR_MONTH_FORMAT")
    return _("Week of %(date)s") % {"date": formats.date_format(period.start, "DATE_FORMAT")}


def period_label_both(period: ReportPeriod) -> dict[str, str]:
    """The label in English and Chinese, for notification parameters."""
    with translation.override("en"):
        english = period_label(period)
    with translation.override("zh-hans"):
        chinese = period_label(period)
    return {"period": english, "period_zh": chinese}


def report_period(report: ProgressReport) -> ReportPeriod:
    return ReportPeriod(report.period_start, report.period_end, report.frequency)


def submitted_on(report: ProgressReport | None) -> datetime.date | None:
    if report is None or report.submitted_at is None:
        return None
    return timezone.localtime(report.submitted_at).date()


def state_of(
    report: ProgressReport | None, period: ReportPeriod, today: datetime.date, expected=True
) -> ReportState:
    return domain.report_state(
        period,
        today,
        expected=expected,
        written=report is not None,
        submitted_on=submitted_on(report),
        read=bool(report and report.read_at),
        commented=bool(report and report.commented_at),
    )


def _salesperson_role():
    return Exists(RoleAssignment.objects.filter(user_id=OuterRef("user_id"), role=Role.SALESPERSON))


# --- the salesperson's own reports ---------------------------------------------------------------


def report_status(*, person, today: datetime.date) -> dict:
    """{"period_start", "period_end", "report" (ProgressReport or None), "previous_missing"
    (missing reports among the last 4 ended periods while the person was a team
    member)}. Two queries."""
    frequency = report_frequency()
    current = domain.period_containing(today, frequency)
    previous = domain.previous_periods(today, frequency, MISSING_WINDOW)
    reports = {
        r.period_start: r
        for r in ProgressReport.objects.filter(
            person_id=person.pk,
            frequency=frequency,
            period_start__gte=previous[-1].start,
            period_start__lte=current.start,
        )
    }
    memberships = Membership.objects.filter(
        user_id=person.pk, kind=Membership.Kind.MEMBER, start_date__lte=current.end
    ).values_list("start_date", "end_date")
    submitted = {start for start, r in reports.items() if r.submitted_at is not None}
    return {
        "period_start": current.start,
        "period_end": current.end,
        "report": reports.get(current.start),
        "previous_missing": domain.count_missing(previous, today, submitted, memberships),
    }


@dataclass
class MyPeriod:
    period: ReportPeriod
    label: str
    report: ProgressReport | None
    state: ReportState
    writable: bool


def my_reports(*, person, today: datetime.date, count: int = 12, offset: int = 0) -> list:
    """The person's last `count` periods (newest first, `offset` periods further back),
    each with its report, state and whether it may still be written. Two queries."""
    frequency = report_frequency()
    anchor = domain.period_containing(today, frequency)
    for _i in range(offset):
        anchor = domain.previous_period(anchor)
    periods = domain.recent_periods(anchor.start, frequency, count)
    if not periods:
        return []
    reports = {
        r.period_start: r
        for r in ProgressReport.objects.filter(
            person_id=person.pk,
            frequency=frequency,
            period_start__gte=periods[-1].start,
            period_start__lte=periods[0].start,
        ).select_related("commented_by")
    }
    memberships = list(
        Membership.objects.filter(
            user_id=person.pk, kind=Membership.Kind.MEMBER, start_date__lte=periods[0].end
        ).values_list("start_date", "end_date")
    )
    writable = {p.start for p in domain.writable_periods(today, frequency)}
    rows = []
    for period in periods:
        report = reports.get(period.start)
        expected = domain.expected_in(period, memberships)
        rows.append(
            MyPeriod(
                period=period,
                label=period_label(period),
                report=report,
                state=state_of(report, period, today, expected=expected),
                writable=period.start in writable and period.start <= today,
            )
        )
    return rows


def own_report(*, person, period: ReportPeriod) -> ProgressReport | None:
    return (
        ProgressReport.objects.filter(
            person_id=person.pk, frequency=period.frequency, period_start=period.start
        )
        .select_related("commented_by")
        .first()
    )


# --- supervisors: the team grid ------------------------------------------------------------------


def scope_paths(user, unit: OrgUnit | None = None) -> tuple[str, ...] | None:
    """The subtrees whose members a user follows on the team page: the department
    everything (None) or the chosen unit; a supervisor the units they lead, or the
    chosen unit (which the caller has checked is visible)."""
    if unit is not None:
        return (unit.path,)
    if is_department(user):
        return None
    return led_unit_paths(user)


def _members(
    periods: list[ReportPeriod], paths: tuple[str, ...] | None, exclude=None
) -> QuerySet[Membership]:
    start = min(p.start for p in periods)
    end = max(p.end for p in periods)
    members = (
        Membership.objects.filter(kind=Membership.Kind.MEMBER, start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .filter(_salesperson_role())
    )
    if paths is not None:
        members = members.filter(subtree_q(paths, "unit__path")) if paths else members.none()
    if exclude is not None:
        members = members.exclude(user_id=exclude.pk)
    return members


@dataclass
class Cell:
    period: ReportPeriod
    state: ReportState
    report: ProgressReport | None = None


@dataclass
class TeamRow:
    person: User
    team: OrgUnit
    cells: list[Cell] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return sum(1 for c in self.cells if c.state.missing)


def team_grid(
    *,
    user,
    periods: list[ReportPeriod],
    today: datetime.date,
    unit: OrgUnit | None = None,
) -> list[TeamRow]:
    """One row per member of the units in scope (not the viewer), by team then name,
    with one cell per period (in the order given). Two queries."""
    if not periods:
        return []
    members = _members(periods, scope_paths(user, unit), exclude=user)
    memberships = list(
        members.select_related("user", "unit").order_by(
            "user__last_name", "user__first_name", "user__username", "-start_date"
        )
    )
    if not memberships:
        return []
    reports = {
        (r.person_id, r.period_start): r
        for r in ProgressReport.objects.filter(
            person_id__in=members.values("user_id"),
            frequency=periods[0].frequency,
            period_start__in=[p.start for p in periods],
        )
    }
    intervals: dict[int, list] = {}
    rows: dict[int, TeamRow] = {}
    for m in memberships:
        intervals.setdefault(m.user_id, []).append((m.start_date, m.end_date))
        if m.user_id not in rows:  # the latest membership names the team
            rows[m.user_id] = TeamRow(person=m.user, team=m.unit)
    for person_id, row in rows.items():
        for period in periods:
            report = reports.get((person_id, period.start))
            expected = domain.expected_in(period, intervals[person_id])
            row.cells.append(
                Cell(period, state_of(report, period, today, expected=expected), report)
            )
    return sorted(rows.values(), key=lambda r: (r.team.path, r.person.display_name.lower()))


def team_reports(
    *, user, period_start: datetime.date, today: datetime.date | None = None, unit=None
) -> list[dict]:
    """For a supervisor (or the department): every member of the units in scope with
    their report for the period containing `period_start`, or a missing flag."""
    today = today or timezone.localdate()
    period = domain.period_containing(period_start, report_frequency())
    return [
        {
            "person": row.person,
            "team": row.team,
            "report": row.cells[0].report,
            "state": row.cells[0].state.state,
            "missing": row.cells[0].state.missing,
            "late": row.cells[0].state.late,
        }
        for row in team_grid(user=user, periods=[period], today=today, unit=unit)
        if row.cells[0].state.state != domain.NOT_EXPECTED
    ]


@dataclass(frozen=True)
class MissingReport:
    person: User
    team: OrgUnit


def missing_reports(
    *, period: ReportPeriod, today: datetime.date, paths: tuple[str, ...] | None = None
) -> list[MissingReport]:
    """Members (of the units at `paths`, or of every unit) during `period` whose report
    for it is missing; one item per person and team. Two queries."""
    if not domain.has_ended(period, today):
        return []
    members = _members([period], paths)
    submitted = set(
        ProgressReport.objects.filter(
            person_id__in=members.values("user_id"),
            frequency=period.frequency,
            period_start=period.start,
            submitted_at__isnull=False,
        ).values_list("person_id", flat=True)
    )
    found = {}
    for m in members.select_related("user", "unit").order_by("unit__path", "user__username"):
        if m.user_id not in submitted:
            found.setdefault((m.user_id, m.unit_id), MissingReport(m.user, m.unit))
    return list(found.values())


def supervisors_by_path(paths: set[str], day: datetime.date) -> dict[str, set[int]]:
    """{unit path: ids of the people leading that unit on `day`} for the given unit
    paths. One query."""
    found: dict[str, set[int]] = {}
    if not paths:
        return found
    for user_id, path in Membership.objects.filter(
        active_on_q(day), kind=Membership.Kind.SUPERVISOR, unit__path__in=sorted(paths)
    ).values_list("user_id", "unit__path"):
        found.setdefault(path, set()).add(user_id)
    return found


def report_supervisor_ids(*, person, period: ReportPeriod, day: datetime.date) -> set[int]:
    """Whom to tell about a person's report: the supervisors of the nearest unit above
    each team the person was a member of during the period (the team itself first)
    that has one other than the person. Two queries."""
    paths = set(
        Membership.objects.filter(
            user_id=person.pk, kind=Membership.Kind.MEMBER, start_date__lte=period.end
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=period.start))
        .values_list("unit__path", flat=True)
    )
    chain = {a for p in paths for a in domain.ancestor_paths(p)}
    leads = supervisors_by_path(chain, day)
    found: set[int] = set()
    for path in paths:
        found |= domain.nearest_supervisors(path, leads, exclude=person.pk)
    return found


# --- satisfaction ---------------------------------------------------------------------------------


def satisfaction_average(
    *, person_ids, start: datetime.date, end: datetime.date
) -> dict[int, dict]:
    """{person id: {"average": Decimal with 2 places (half up) or None, "count": int,
    "total": the sum of the scores}} over the responses answered from `start` to `end`
    (inclusive); the exact mean is total / count (what an appraisal scores). One query."""
    person_ids = list(dict.fromkeys(person_ids))
    result = {pk: {"average": None, "count": 0, "total": 0} for pk in person_ids}
    if not person_ids:
        return result
    for row in (
        SatisfactionResponse.objects.filter(
            salesperson_id__in=person_ids, answered_on__gte=start, answered_on__lte=end
        )
        .values("salesperson_id")
        .annotate(total=Sum("score"), n=Count("id"))
        .order_by()
    ):
        result[row["salesperson_id"]] = {
            "average": domain.average(row["total"], row["n"]),
            "count": row["n"],
            "total": row["total"],
        }
    return result


def satisfaction_average_for_period(*, person_ids, period: Period) -> dict[int, dict]:
    """`satisfaction_average` over a fiscal period (month, quarter or year)."""
    return satisfaction_average(person_ids=person_ids, start=period.start_date, end=period.end_date)


def satisfaction_filtered(*, user, params) -> QuerySet[SatisfactionResponse]:
    """The responses `user` may see, narrowed by the satisfaction list's filters
    (`SatisfactionFilter`, the API's as well) given as query parameters."""
    return SatisfactionFilter(params, queryset=visible_satisfaction(user)).qs


def satisfaction_for(
    user,
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    unit: OrgUnit | None = None,
    person: User | None = None,
    customer=None,
    score: int | None = None,
) -> QuerySet[SatisfactionResponse]:
    """The responses a user may see, narrowed by the filters (never widened): answered
    from `start` to `end`, about a person or the members of a unit (or below) on the day
    of the answer, from a customer, of a score."""
    return satisfaction_filtered(
        user=user,
        params=query_params(
            answered_from=start,
            answered_to=end,
            unit=unit,
            salesperson=person,
            customer=customer,
            score=score,
        ),
    )


@dataclass
class PersonAverage:
    person: User
    average: object  # Decimal or None
    count: int


def satisfaction_averages(responses: QuerySet[SatisfactionResponse]) -> list[PersonAverage]:
    """Per salesperson, the average and count of `responses` (already limited to what
    the user may see and to the chosen dates), by name. Two queries."""
    rows = list(
        responses.order_by()
        .values("salesperson_id")
        .annotate(total=Sum("score"), n=Count("id"))
        .order_by()
    )
    people = User.objects.in_bulk([r["salesperson_id"] for r in rows])
    found = [
        PersonAverage(people[r["salesperson_id"]], domain.average(r["total"], r["n"]), r["n"])
        for r in rows
    ]
    return sorted(found, key=lambda a: a.person.display_name.lower())


def fiscal_period_on(day: datetime.date, kind: str = Period.Kind.MONTH) -> Period | None:
    return (
        Period.objects.select_related("fiscal_year")
        .filter(kind=kind, start_date__lte=day, end_date__gte=day)
        .first()
    )
