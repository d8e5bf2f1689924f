# ruff: noqa: RUF001  (Chinese text uses full-width punctuation)
"""Demo rewards for Qingyun Instruments, called by `manage.py seed_demo` after the
organisation, targets, sales and appraisals are there (and before the closes).

The plan: "Field sales quarterly bonus" (外勤销售季度奖金) for the whole company, published
by dept.zhou ten days before the last quarter that has ended began (the quarter the demo's
history always holds: org.demo_calendar), so it applies from that quarter on:

  revenue 70 %: nothing below 50 % attainment, 0.8 % per 1 % up to 100 %, then 1.5 %
  (an accelerator), at most 180 %; collections 30 %: nothing below 60 %, 1 % per 1 %,
  at most 150 %; together at most 170 % of the target incentive of 6,000 yuan; below
  60 % weighted attainment the bonus is reduced by 30 % and promotion held for two
  quarters.

The last quarter's decisions, computed by the department after it ended, are in every
state: most proposed; one adjusted with its reason (a delivery booked a day late) and so
left for dept.shen to approve; approved ones in the Shanghai key-account team and the
Guangzhou team, of which the Shanghai ones are released: one acknowledged, one appealed
(waiting for the department) and one appeal resolved with a change (version 2, its
reason kept), the demo login wei.zhang's released and waiting for his answer. The
release's e-mails are not sent (the in-app notifications are there).

Everything goes through rewards.services with `now` set to when the step would have
happened (spread between the end of the quarter and today). Idempotent: nothing is done
when the plan is there.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from core.demo import QuietOnCommit
from org import demo as org_demo
from org.models import OrgUnit, Period, User
from rewards import services
from rewards.models import Decision, IncentivePlan
from targets.models import Metric

DEPARTMENT = "dept.zhou"
SECOND = "dept.shen"
CODE = "field-sales-quarterly"
NAME = "Field sales quarterly bonus"
NAME_ZH = "外勤销售季度奖金"
DESCRIPTION = (
    "The quarterly bonus of every salesperson, from revenue and collections, announced "
    "before the quarter starts. / 每位销售人员的季度奖金，依据营业收入和回款额计算，"
    "在季度开始前公布。"
)
SHOWCASE_TEAM = "sh-key"
SHOWCASE_PERSON = "wei.zhang"
APPROVED_TEAMS = ("sh-key", "gz")


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _between(start: datetime.datetime, end: datetime.datetime, share: float):
    return start + (end - start) * share


def _components(metrics: dict[str, Metric]) -> list[dict]:
    return [
        {
            "metric": metrics["revenue"],
            "weight": "70",
            "mode": "marginal",
            "threshold": "50",
            "cap": "180",
            "tiers": [["0", "0.8"], ["100", "1.5"]],
        },
        {
            "metric": metrics["collections"],
            "weight": "30",
            "mode": "marginal",
            "threshold": "60",
            "cap": "150",
            "tiers": [["0", "1"]],
        },
    ]


def _plan(*, quarter: Period, company: OrgUnit, dept: User, metrics) -> IncentivePlan:
    published = _at(quarter.start_date - datetime.timedelta(days=10), 15)
    plan = services.plan_save_draft(
        acting_user=dept,
        fields={
            "code": CODE,
            "name": NAME,
            "name_zh": NAME_ZH,
            "description": DESCRIPTION,
            "period_kind": Period.Kind.QUARTER,
            "applies_from": quarter,
            "target_mode": IncentivePlan.TargetMode.PLAN,
            "target_amount": Decimal("6000.00"),
            "cap": Decimal("170"),
            "created_at": published - datetime.timedelta(days=7),
        },
        components=_components(metrics),
        penalties=[{"code": "below-60", "below": "60", "reduction": "30", "hold_periods": 2}],
        units=[company],
    )
    return services.plan_publish(plan=plan, acting_user=dept, now=published)


def _decisions(*, quarter: Period, dept: User, second: User | None) -> list[str]:
    after = _at(quarter.end_date + datetime.timedelta(days=1), 9)
    now = timezone.now()
    if now <= after:  # before 9:00 the day after the quarter: nothing decided yet
        return ["the last quarter's decisions are not computed yet"]
    count = services.decisions_compute(
        period=quarter, acting_user=dept, now=_between(after, now, 0.2)
    )
    rows = list(
        Decision.objects.filter(period=quarter, status=Decision.Status.PROPOSED)
        .select_related("unit", "person")
        .order_by("unit__path", "person__username")
    )
    if not rows:
        return [f"{count} decisions computed"]
    # One adjustment with its reason: dept.zhou adjusted it, so dept.shen approves it.
    adjusted = next((d for d in rows if d.unit.code not in APPROVED_TEAMS), rows[0])
    services.decision_adjust(
        decision=adjusted,
        line=adjusted.working["lines"][0]["key"],
        amount=Decimal("300.00"),
        reason=(
            "A delivery of 28 units to Ruijin Hospital was booked on the 1st of the next "
            "quarter; the customer signed its acceptance in this one."
        ),
        acting_user=dept,
        now=_between(after, now, 0.3),
    )
    approved = [d for d in rows if d.unit.code in APPROVED_TEAMS and d.pk != adjusted.pk]
    if approved:
        services.decisions_approve(
            decisions=approved, acting_user=dept, now=_between(after, now, 0.4)
        )
    showcase = [d for d in approved if d.unit.code == SHOWCASE_TEAM]
    # Released two days ago at the latest, so that the demo login's appeal window is open.
    released = max(_between(after, now, 0.5), now - datetime.timedelta(days=2))
    if showcase:
        services.decisions_release(decisions=showcase, acting_user=dept, now=released)
    others = [d for d in showcase if d.person.username != SHOWCASE_PERSON]
    answers = []
    if len(others) >= 1:
        services.decision_acknowledge(
            decision=others[0], acting_user=others[0].person, now=_between(released, now, 0.3)
        )
        answers.append("acknowledged")
    if len(others) >= 2:
        services.decision_appeal(
            decision=others[1],
            reason=(
                "The collections of the Fudan University order arrived on the last day of "
                "the quarter but were matched a week later."
            ),
            acting_user=others[1].person,
            now=_between(released, now, 0.4),
        )
        answers.append("appealed")
    if len(others) >= 3:
        services.decision_appeal(
            decision=others[2],
            reason="My collections target was raised after the quarter had started.",
            acting_user=others[2].person,
            now=_between(released, now, 0.2),
        )
        services.appeal_resolve(
            decision=others[2],
            outcome="changed",
            amount=Decimal("450.00"),
            reason=(
                "The raised collections target took effect after the quarter started: the "
                "bonus is paid as if the first target applied."
            ),
            acting_user=second or dept,
            now=_between(released, now, 0.6),
        )
        answers.append("one appeal resolved with a change")
    return [
        f"{count} decisions for {quarter.label}",
        f"{len(approved)} approved",
        f"{len(showcase)} released ({', '.join(answers)})" if answers else "",
    ]


def seed(*, stdout, today: datetime.date) -> None:
    dept = User.objects.filter(username=DEPARTMENT).first()
    second = User.objects.filter(username=SECOND).first()
    company = OrgUnit.objects.filter(code="qingyun").first()
    metrics = {m.code: m for m in Metric.objects.filter(code__in=["revenue", "collections"])}
    if dept is None or company is None or len(metrics) < 2:
        return
    if IncentivePlan.objects.filter(code=CODE).exists():
        return
    span = org_demo.calendar(today).last_ended_quarter
    quarter = Period.objects.filter(
        kind=Period.Kind.QUARTER, start_date=span.start, end_date=span.end
    ).first()
    if quarter is None:
        return
    plan = _plan(quarter=quarter, company=company, dept=dept, metrics=metrics)
    with QuietOnCommit().around():  # the release e-mails are not sent
        lines = _decisions(quarter=quarter, dept=dept, second=second)
    stdout.write(
        f"Rewards: {NAME} v{plan.version} published from {quarter.label}; "
        + "; ".join(line for line in lines if line)
        + "."
    )
