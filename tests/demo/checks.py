"""What the demo must be on ANY day it is seeded: one function per app, each asserting
that app's invariants of the demo company as of `today` (the clock the demo was
seeded on). Used by the package's tests on the suite's day and by
tests/test_demo_any_date.py on a spread of awkward days.

The dates come from org.demo_calendar.DemoCalendar; these checks restate its rules
from the outside (which periods are closed, who joined and moved when, which quarter
shows the appraisal workflow) and check the data against them.
"""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal as D

from django.conf import settings
from django.core import mail
from django.db.models import F, Q
from django.utils import timezone

from appraisal import demo as appraisal_demo
from appraisal.cycles import domain as domain_cycles
from appraisal.models import (
    Adjustment as ScoreAdjustment,
)
from appraisal.models import (
    AppraisalTemplate,
    Cycle,
    DimensionScore,
    PeerRating,
)
from closing import demo as closing_demo
from closing.models import CloseRun, PersonAttainment, ResultNotice
from notifications.models import Notification
from org import demo as org_demo
from org.demo_calendar import DemoCalendar
from org.models import FiscalYear, Membership, OrgUnit, Period, User
from rewards import demo as rewards_demo
from rewards import services as rewards_services
from rewards.models import Decision, IncentivePlan
from sales.models import (
    Customer,
    FollowUp,
    ProgressReport,
    SalesCredit,
    SalesRecord,
    SatisfactionResponse,
)
from sales.records import selectors as sales_selectors
from targets import services as target_services
from targets.catalogue import services as catalogue_services
from targets.models import Adjustment, Metric, SalesPlan, SeasonalityProfile, Target
from tests.closing.helpers import oracle, snapshot


def end_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


def quarter_starting(day: datetime.date) -> Period:
    return Period.objects.select_related("fiscal_year").get(kind="quarter", start_date=day)


# --- org -----------------------------------------------------------------------------------


def check_org(calendar: DemoCalendar) -> None:
    today = calendar.today
    assert OrgUnit.objects.filter(kind="region").count() == 2
    assert OrgUnit.objects.filter(kind="team").count() == 5
    assert 40 <= User.objects.filter(role_assignments__role="salesperson").count() <= 45
    # The fiscal years of the history, and no other.
    assert list(FiscalYear.objects.order_by("start_date").values_list("start_date", flat=True)) == (
        calendar.fiscal_year_starts
    )
    assert calendar.history_start <= calendar.last_ended_quarter.start
    assert FiscalYear.objects.filter(start_date__lte=today, end_date__gte=today).exists()
    # Nobody joins a team after today; every team has a supervisor today.
    assert not Membership.objects.filter(start_date__gt=today).exists()
    for team in OrgUnit.objects.filter(kind="team"):
        assert (
            team.memberships.filter(kind="supervisor", start_date__lte=today)
            .exclude(end_date__lt=today)
            .exists()
        ), team.code
    # The mover: Hangzhou until the day before the move, Shanghai Key Accounts since,
    # both within the history.
    mover = User.objects.get(username=org_demo.salespeople()[org_demo.MOVER][0])
    spans = list(
        mover.memberships.filter(kind="member")
        .order_by("start_date")
        .values_list("unit__code", "start_date", "end_date")
    )
    assert spans == [
        ("hz", calendar.long_ago, calendar.move_day - datetime.timedelta(days=1)),
        ("sh-key", calendar.move_day, None),
    ]
    assert calendar.history_start < calendar.move_day <= today
    # The newest member of each team joined during the history.
    newcomers = Membership.objects.filter(
        kind="member", start_date=calendar.newcomer_joined
    ).exclude(user=mover)
    assert newcomers.count() == 5
    assert calendar.history_start < calendar.newcomer_joined <= today


# --- targets ----------------------------------------------------------------------------------


def check_targets(calendar: DemoCalendar) -> None:
    today = calendar.today
    metrics = {m.code: m for m in Metric.objects.all()}
    assert set(metrics) == {"revenue", "gross_margin", "new_customers", "collections"}
    assert all(m.name_zh and m.description for m in metrics.values())
    profile = SeasonalityProfile.objects.get(name="Instrument sales season")
    assert len(profile.weight_values) == 12 and sum(profile.weight_values) == 100
    low, high = catalogue_services.tolerance()
    years = list(FiscalYear.objects.order_by("start_date"))
    for fiscal_year in years:
        year = fiscal_year.periods.get(kind="year")
        sellers = set(
            Membership.objects.filter(
                kind="member",
                user__role_assignments__role="salesperson",
                start_date__lte=year.end_date,
            ).values_list("user_id", flat=True)
        )
        for code in ("revenue", "gross_margin", "collections"):
            published = set(
                Target.objects.filter(
                    metric__code=code, period=year, person__isnull=False, status="published"
                ).values_list("person_id", flat=True)
            )
            assert sellers <= published, (fiscal_year.name, code)
            assert target_services.publication_problems(
                metric=metrics[code], fiscal_year_id=fiscal_year.pk
            ) == [f"There are no draft {metrics[code].display_name} targets to publish."]
        company = Target.objects.get(metric__code="revenue", period=year, unit__code="qingyun")
        assert company.value == D("48000000.00")
        # Each team's people add up to the team in every period, within the tolerance.
        values = Counter()
        for team_id, period_id, value in Target.objects.filter(
            metric__code="revenue", period__fiscal_year=fiscal_year, person__isnull=False
        ).values_list("team_id", "period_id", "value"):
            values[(team_id, period_id)] += value
        for team_target in Target.objects.filter(
            metric__code="revenue", period__fiscal_year=fiscal_year, unit__kind="team"
        ):
            total = values[(team_target.unit_id, team_target.period_id)]
            assert team_target.value * low / 100 <= total <= team_target.value * high / 100
        # The newcomers and the mover have prorated targets that say so.
        prorated = Target.objects.filter(
            metric__code="revenue", period=year, basis__contains="prorated"
        )
        joins = [calendar.newcomer_joined] * 5 + [calendar.move_day]
        assert prorated.count() >= sum(year.start_date < day <= year.end_date for day in joins)
        # The mover's target in the year of the move: a part from each team, for the
        # days in it (Hangzhou up to the day before the move, Shanghai from it).
        if year.start_date < calendar.move_day <= year.end_date:
            mover_parts = Target.objects.filter(
                metric__code="revenue",
                period=year,
                person__username=org_demo.salespeople()[org_demo.MOVER][0],
            ).select_related("team")
            assert {t.team.code for t in mover_parts} == {"hz", "sh-key"}, fiscal_year.name
            assert all(t.value > 0 for t in mover_parts)
    current = years[-1]
    assert current.start_date <= today <= current.end_date
    # New-customer targets: drafts of the current year, company and regions only.
    drafts = Target.objects.filter(metric__code="new_customers").select_related("unit", "period")
    assert {t.unit.code for t in drafts} == {"qingyun", "east", "south"}
    assert {t.status for t in drafts} == {"draft"}
    assert {t.period.fiscal_year_id for t in drafts} == {current.pk}
    # Some acknowledgements, not all; wei.zhang has one to do.
    people = Target.objects.filter(
        metric__code="revenue",
        period__kind="year",
        period__fiscal_year=current,
        person__isnull=False,
    )
    acknowledged = people.filter(acknowledged_at__isnull=False)
    assert 0 < acknowledged.count() < people.count()
    assert not acknowledged.filter(person__username="wei.zhang").exists()
    # One adjustment waits, effective from this month, which is open.
    adjustment = Adjustment.objects.select_related("effective_period").get()
    assert (adjustment.status, adjustment.kind) == ("pending", "quota_relief")
    assert adjustment.new_value < adjustment.old_value and adjustment.reason
    month = adjustment.effective_period
    assert month.start_date <= today <= month.end_date and month.status == "open"
    # Three plans for the current quarter.
    plans = {p.status: p for p in SalesPlan.objects.select_related("period")}
    assert set(plans) == {"approved", "submitted", "returned"}
    assert {p.period.start_date for p in plans.values()} == {calendar.current_quarter.start}
    assert plans["returned"].versions.count() == 2
    assert Notification.objects.filter(
        recipient__username="wei.zhang", kind="target_published"
    ).count() == 3 * len(years)


# --- sales ------------------------------------------------------------------------------------


def check_sales(calendar: DemoCalendar) -> None:
    today = calendar.today
    records = SalesRecord.objects.all()
    assert records.count() >= 3 * 40
    assert not records.filter(date__gt=today).exists()
    assert not records.filter(date__lt=calendar.history_start).exists()
    assert records.filter(status="cancelled").count() == 1
    # Collections: after the sale, never after today.
    assert not records.filter(collected_on__gt=today).exists()
    assert not records.filter(collected_on__lt=F("date")).exists()
    assert not records.filter(Q(collected_on__isnull=True) & ~Q(collected_amount=0)).exists()
    # Each record is in the month of its date; each credit's team is the person's team
    # on that date, and splits add up to 100 %.
    assert not records.exclude(
        period__start_date__lte=F("date"), period__end_date__gte=F("date")
    ).exists()
    for credit in SalesCredit.objects.select_related("record").filter(share_pct__lt=100)[:50]:
        assert sum(c.share_pct for c in credit.record.credits.all()) == 100
    mover = org_demo.salespeople()[org_demo.MOVER][0]
    for code, day_filter in (
        ("hz", Q(date__lt=calendar.move_day)),
        ("sh-key", Q(date__gte=calendar.move_day)),
    ):
        credits = SalesCredit.objects.filter(person__username=mover)
        assert set(credits.filter(day_filter).values_list("team__code", flat=True)) <= {code}
    # Customers: won during the history, never in the future; prospects and a lost one.
    customers = Customer.objects.all()
    assert not customers.filter(became_customer_on__gt=today).exists()
    active = customers.filter(status="active")
    assert not active.filter(became_customer_on__lt=calendar.history_start).exists()
    assert customers.filter(status="prospect").exists()
    assert active.count() == 6 * customers.values("owner_id").distinct().count()
    # Follow-ups: in the past, next actions after the follow-up; some due this week.
    follow_ups = FollowUp.objects.all()
    assert not follow_ups.filter(happened_on__gt=today).exists()
    assert not follow_ups.filter(next_action_on__lt=F("happened_on")).exists()
    assert follow_ups.filter(
        done=False, next_action_on__lte=today + datetime.timedelta(days=4)
    ).exists()
    # The monthly totals are the credits' sums.
    assert sales_selectors.month_totals_stored() == sales_selectors.month_totals_from_credits()
    # Reports: submitted for past weeks, none for a week after today; survey answers
    # in the past.
    assert ProgressReport.objects.filter(submitted_at__isnull=False).count() > 100
    assert not ProgressReport.objects.filter(period_start__gt=today).exists()
    assert ProgressReport.objects.exclude(supervisor_comment="").exists()
    answers = SatisfactionResponse.objects.all()
    assert answers.count() > 100
    assert not answers.filter(answered_on__gt=today).exists()
    assert set(answers.values_list("score", flat=True)) <= {1, 2, 3, 4, 5}


# --- appraisal --------------------------------------------------------------------------------


def rated_means(cycle: Cycle) -> dict[int, list[D]]:
    """{rater id: per appraisal, the mean of the supervisor's rated scores}."""
    scores: dict[int, list[D]] = {}
    for appraisal in cycle.appraisals.filter(rated_by__isnull=False):
        rated = [
            row.score
            for row in appraisal.scores.filter(dimension__method="rated", score__isnull=False)
        ]
        scores.setdefault(appraisal.rated_by_id, []).append(sum(rated) / len(rated))
    return scores


def check_appraisal(calendar: DemoCalendar, now: datetime.datetime) -> None:
    past_quarter = quarter_starting(calendar.last_ended_quarter.start)
    current_quarter = quarter_starting(calendar.current_quarter.start)
    v1 = AppraisalTemplate.objects.get(code=appraisal_demo.CODE, version=1)
    assert (v1.status, v1.period_kind, v1.applies_from) == ("published", "quarter", past_quarter)
    assert timezone.localdate(v1.published_at) == past_quarter.start_date - datetime.timedelta(14)
    assert v1.created_at < v1.published_at
    assert all(h.history_date <= v1.published_at for h in v1.history.all())
    # A draft of the next version when the calendar has a quarter to come.
    to_come = Period.objects.filter(kind="quarter", start_date__gt=calendar.today).exists()
    assert AppraisalTemplate.objects.filter(code=appraisal_demo.CODE, status="draft").exists() == (
        to_come
    )

    past = Cycle.objects.get(template=v1, period=past_quarter)
    current = Cycle.objects.get(template=v1, period=current_quarter)
    assert Cycle.objects.count() == 2
    end_of_quarter = end_of(past_quarter.end_date)
    assert past.opened_at < end_of_quarter
    people = {a.person.username: a for a in past.appraisals.select_related("person", "unit")}
    for appraisal in people.values():
        if appraisal.self_submitted_at:
            assert past.opened_at <= appraisal.self_submitted_at <= end_of_quarter
        for stamp in (
            appraisal.rated_at,
            appraisal.finalised_at,
            appraisal.released_at,
            appraisal.acknowledged_at,
            appraisal.appealed_at,
            appraisal.resolved_at,
        ):
            assert stamp is None or end_of_quarter < stamp <= now
    assert not ScoreAdjustment.objects.filter(appraisal__cycle=past, adjusted_at__gt=now).exists()
    # The end of the workflow in the showcase team; the demo login can still appeal.
    wei = people["wei.zhang"]
    assert (wei.status, wei.unit.code) == ("released", appraisal_demo.SHOWCASE_TEAM)
    assert domain_cycles.appeal_open(wei.released_at, settings.APPRAISAL_APPEAL_DAYS, now)
    final = {a.status: a for a in people.values() if a.finalised_at is not None}
    assert set(final) == {"finalised", "released", "acknowledged", "appealed", "resolved"}
    resolved = final["resolved"]
    v1_result, v2_result = resolved.results.order_by("version")
    assert (v1_result.version, v2_result.version) == (1, 2)
    assert v2_result.score > v1_result.score
    late = [a for a in people.values() if a.unit.code == appraisal_demo.LATE_TEAM]
    assert Counter(a.status for a in late) == {"open": 4, "self_assessed": 4}
    assert all(a.rated_by_id != a.person_id for a in people.values() if a.rated_by_id)
    peers = Counter(
        PeerRating.objects.filter(appraisal__cycle=past).values_list("appraisal_id", flat=True)
    )
    assert all(peers[a.pk] >= 2 for a in people.values() if a.unit.code != appraisal_demo.LATE_TEAM)
    # Calibration: the generous supervisor stands out, nobody else.
    flagged = domain_cycles.outliers(rated_means(past), gap=D(settings.APPRAISAL_OUTLIER_POINTS))
    assert {User.objects.get(pk=pk).username for pk in flagged} == {"sup.gz"}
    # The current quarter: self-assessment, figures computed.
    assert set(current.appraisals.values_list("status", flat=True)) == {"open", "self_assessed"}
    assert current.computed_at is not None
    assert not DimensionScore.objects.filter(appraisal__cycle=current, level__isnull=False)
    assert Notification.objects.filter(kind="appraisal_released").count() == 4
    # Every quantitative figure of the past quarter is there (survey answers cover it
    # too): the department can finalise the rated appraisals without scoring anything
    # by hand. The current quarter's attainment is computed (its surveys may not have
    # come in yet on its first days).
    assert not DimensionScore.objects.filter(
        appraisal__cycle=past,
        dimension__method__in=["attainment", "satisfaction"],
        score__isnull=True,
    ).exists()
    assert not DimensionScore.objects.filter(
        appraisal__cycle=current, dimension__method="attainment", score__isnull=True
    ).exists()


def check_notifications(calendar: DemoCalendar) -> None:
    """A realistic handful unread per person: what is older has been read."""
    unread = Counter(
        Notification.objects.filter(read_at__isnull=True).values_list("recipient_id", flat=True)
    )
    assert unread and max(unread.values()) <= 5


# --- closing ----------------------------------------------------------------------------------


def expected_closed(calendar: DemoCalendar) -> list[Period]:
    """The rule of org.demo_calendar, restated: the months of the history that ended
    before the current quarter, the quarters that ended before the last ended one."""
    history = Period.objects.filter(start_date__gte=calendar.history_start)
    return list(
        history.filter(kind="month", end_date__lt=calendar.current_quarter.start)
        | history.filter(kind="quarter", end_date__lt=calendar.last_ended_quarter.start)
    )


def check_closing(calendar: DemoCalendar) -> None:
    closed = expected_closed(calendar)
    assert set(Period.objects.filter(status="closed")) == set(closed)
    assert not Period.objects.filter(status="closing").exists()
    # The months of the current quarter that have ended are left to close.
    assert not (
        Period.objects.filter(start_date__gte=calendar.current_quarter.start)
        .exclude(status="open")
        .exists()
    )
    runs = list(CloseRun.objects.order_by("created_at", "id").select_related("period"))
    if not closed:
        assert not runs
        return
    dept = User.objects.get(username=closing_demo.DEPARTMENT)
    assert {(r.trigger, r.started_by_id) for r in runs} == {("manual", dept.pk)}
    assert Counter(r.status for r in runs) == {"succeeded": len(closed), "failed": 1}
    failed = next(r for r in runs if r.status == "failed")
    months = [p for p in closed if p.kind == "month"]
    assert failed.period == max(months, key=lambda p: p.end_date)
    assert closing_demo.STAGED_FAILURE in failed.error
    # Every closed period's snapshot is its sales (an independent oracle), nothing of
    # an open one.
    for period in closed:
        expected = oracle(period)
        metric_ids = {key[2] for key in expected}
        written = {key: v for key, v in snapshot(period).items() if key[2] in metric_ids}
        assert written == expected, period.label
    assert not PersonAttainment.objects.exclude(period__status="closed").exists()
    # Every salesperson of each closed period was told once; no e-mail went out.
    notices = ResultNotice.objects.all()
    assert notices.count() == sum(
        PersonAttainment.objects.filter(period=p).values("person").distinct().count()
        for p in closed
    )
    assert Notification.objects.filter(kind="period_results_ready").count() == notices.count()
    assert mail.outbox == []


def check_rewards(calendar: DemoCalendar, now: datetime.datetime) -> None:
    """The plan was published before the quarter it applies from; the quarter's decisions
    (once a day has passed since it ended) are in every state, each adding up."""
    quarter = quarter_starting(calendar.last_ended_quarter.start)
    plan = IncentivePlan.objects.get(code=rewards_demo.CODE, version=1)
    assert plan.status == "published"
    assert plan.applies_from == quarter
    assert timezone.localdate(plan.published_at) < quarter.start_date
    decisions = Decision.objects.filter(period=quarter)
    after = timezone.make_aware(
        datetime.datetime.combine(quarter.end_date + datetime.timedelta(days=1), datetime.time(9))
    )
    if now <= after:
        assert not decisions.exists()
        return
    states = Counter(decisions.values_list("status", flat=True))
    assert (
        sum(states.values())
        == Membership.objects.filter(
            kind="member", unit__kind="team", start_date__lte=quarter.end_date
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=quarter.end_date))
        .values("user_id")
        .distinct()
        .count()
    )
    assert {"proposed", "approved", "released", "acknowledged", "appealed", "resolved"} <= set(
        states
    ), states
    assert decisions.filter(status="proposed", adjustments__isnull=False).exists()
    for decision in decisions:
        assert decision.total == sum(D(x["amount"]) for x in decision.working["lines"])
        for version in decision.versions.all():
            assert version.total == sum(D(x["amount"]) for x in version.working["lines"])
    resolved = decisions.get(status="resolved")
    assert list(resolved.versions.values_list("version", flat=True)) == [1, 2]
    showcase = decisions.get(person__username=rewards_demo.SHOWCASE_PERSON)
    assert showcase.status == "released"
    assert rewards_services.appeal_deadline(showcase) > now


def check_all(calendar: DemoCalendar, now: datetime.datetime) -> None:
    check_org(calendar)
    check_targets(calendar)
    check_sales(calendar)
    check_appraisal(calendar, now)
    check_rewards(calendar, now)
    check_closing(calendar)
    check_notifications(calendar)
