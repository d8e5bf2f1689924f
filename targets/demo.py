"""Demo targets for Qingyun Instruments, called by `manage.py seed_demo` after the
organisation is there.

For every fiscal year of the demo's history (org.demo_calendar): the company's
revenue, gross margin and collections targets cascaded down to every region, team,
salesperson and month and published, and a few acknowledgements. For the current
fiscal year also: new-customer targets left in draft at company and region level for
the department to try the workspace, one pending adjustment and three personal sales
plans (approved, submitted, returned). The metrics catalogue and two seasonality
profiles come first. Everything goes through the services, so history and
notifications exist. Idempotent: each part is skipped when it is already there.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from org import demo as org_demo
from org.models import OrgUnit, Period, User
from targets import services
from targets.catalogue import services as catalogue_services
from targets.models import Adjustment, Metric, SalesPlan, SeasonalityProfile, Target
from targets.plans import services as plan_services

DEPARTMENT = "dept.zhou"

METRICS = [
    # code, name, Chinese name, unit, actual computed as, description
    (
        "revenue",
        "Revenue",
        "营业收入",
        Metric.Unit.CURRENCY,
        Metric.Source.AMOUNT,
        "Invoiced sales, net of returns, in yuan. / 开票销售额（扣除退货），单位：元。",  # noqa: RUF001
    ),
    (
        "gross_margin",
        "Gross margin",
        "毛利",
        Metric.Unit.CURRENCY,
        Metric.Source.MARGIN,
        "Revenue less the cost of the instruments sold, in yuan. / "
        "营业收入减去所售仪器成本，单位：元。",  # noqa: RUF001
    ),
    (
        "new_customers",
        "New customers",
        "新客户数",
        Metric.Unit.COUNT,
        Metric.Source.NEW_CUSTOMERS,
        "Customers with their first order in the period. / 期间内首次下单的客户数。",
    ),
    (
        "collections",
        "Collections",
        "回款额",
        Metric.Unit.CURRENCY,
        Metric.Source.COLLECTIONS,
        "Payments received from customers, in yuan. / 收到的客户回款，单位：元。",  # noqa: RUF001
    ),
]

# Collections are entered once the payment is matched with the bank statement, about a
# week after the money arrives: the dashboards take their pace as of a week ago.
COLLECTIONS_LAG_DAYS = 7
PACE_LAG_DAYS = {"collections": COLLECTIONS_LAG_DAYS}

EQUAL_PROFILE = "Equal months"
SEASON_PROFILE = "Instrument sales season"
# By calendar month: slow in the Chinese New Year month (February), strong at the end of
# each quarter and before the year closes (budgets of hospitals and laboratories).
SEASON_BY_CALENDAR_MONTH = ["7", "4", "9", "7", "8", "10", "7", "7", "10", "7", "9", "15"]

# metric code, company's annual target, split of the company to the regions (east, south)
PUBLISHED = [
    ("revenue", Decimal("48000000.00"), ["60", "40"]),
    ("gross_margin", Decimal("16800000.00"), ["60", "40"]),
    ("collections", Decimal("45600000.00"), ["60", "40"]),
]
NEW_CUSTOMERS = Decimal(240)


def _metrics(dept: User) -> dict[str, Metric]:
    metrics = {m.code: m for m in Metric.objects.filter(code__in=[row[0] for row in METRICS])}
    for position, (code, name, name_zh, unit, source, description) in enumerate(METRICS):
        if code not in metrics:
            metrics[code] = catalogue_services.metric_save(
                acting_user=dept,
                code=code,
                name=name,
                name_zh=name_zh,
                unit=unit,
                source=source,
                description=description,
                position=position,
                pace_lag_days=PACE_LAG_DAYS.get(code, 0),
            )
    return metrics


def _profiles(dept: User, start_month: int) -> dict[str, SeasonalityProfile]:
    profiles = {p.name: p for p in SeasonalityProfile.objects.all()}
    if EQUAL_PROFILE not in profiles:
        profiles[EQUAL_PROFILE] = catalogue_services.seasonality_save(
            name=EQUAL_PROFILE, method=SeasonalityProfile.Method.EQUAL, acting_user=dept
        )
    if SEASON_PROFILE not in profiles:
        # Fiscal month 1 is the calendar month the fiscal year starts in.
        weights = [SEASON_BY_CALENDAR_MONTH[(start_month - 1 + i) % 12] for i in range(12)]
        profiles[SEASON_PROFILE] = catalogue_services.seasonality_save(
            name=SEASON_PROFILE,
            method=SeasonalityProfile.Method.CUSTOM,
            weights=weights,
            acting_user=dept,
        )
    return profiles


def _publish_cascade(
    metric: Metric,
    value: Decimal,
    weights: list[str],
    *,
    year: Period,
    company: OrgUnit,
    profile: SeasonalityProfile,
    dept: User,
) -> bool:
    """The company's annual target, cascaded by weights to the regions, equally to the
    teams and (prorated) to the people, over the months by the profile; published."""
    if Target.objects.filter(metric=metric, period=year, unit=company).exists():
        return False
    target = services.target_set(
        metric=metric, period=year, unit=company, value=value, acting_user=dept
    )
    services.cascade_down(
        target=target, profile=profile, method="weights", weights=weights, acting_user=dept
    )
    services.targets_publish(metric=metric, fiscal_year_id=year.fiscal_year_id, acting_user=dept)
    return True


def _draft_new_customers(metric: Metric, *, year: Period, company: OrgUnit, dept: User) -> None:
    if Target.objects.filter(metric=metric, period=year, unit=company).exists():
        return
    target = services.target_set(
        metric=metric, period=year, unit=company, value=NEW_CUSTOMERS, acting_user=dept
    )
    services.cascade_org(target=target, method="weights", weights=["60", "40"], acting_user=dept)


def _acknowledge_some(metric: Metric, year: Period) -> None:
    """In every team, the year targets of the second and third salesperson (by
    username) are acknowledged; the others, wei.zhang among them, are left to do."""
    targets = (
        Target.objects.filter(metric=metric, period=year, person__isnull=False)
        .select_related("person", "team", "metric", "period")
        .order_by("team__code", "person__username")
    )
    by_team: dict[int, list[Target]] = {}
    for t in targets:
        by_team.setdefault(t.team_id, []).append(t)
    for rows in by_team.values():
        for t in rows[1:3]:
            if t.acknowledged_at is None and t.person.username != "wei.zhang":
                services.target_acknowledge(target=t, acting_user=t.person)


def _open_period_on(year: Period, kind: str, today: datetime.date) -> Period | None:
    """The month or quarter of `year`'s fiscal year containing `today`, if it is open."""
    period = Period.objects.filter(
        fiscal_year_id=year.fiscal_year_id, kind=kind, start_date__lte=today, end_date__gte=today
    ).first()
    return period if period is not None and period.status == Period.Status.OPEN else None


def _pending_adjustment(metric: Metric, *, year: Period, today: datetime.date) -> None:
    """Quota relief for one Guangzhou salesperson, asked by their supervisor: 30 % less
    from this month on."""
    supervisor = User.objects.filter(username="sup.gz").first()
    team = OrgUnit.objects.filter(code="gz").first()
    if supervisor is None or team is None:
        return
    target = (
        Target.objects.filter(metric=metric, period=year, team=team, person__isnull=False)
        .select_related("metric", "period")
        .order_by("person__username")[1:2]
        .first()
    )
    if target is None or Adjustment.objects.filter(target=target).exists():
        return
    month = _open_period_on(year, Period.Kind.MONTH, today)
    if month is None:
        return
    months = (
        Target.objects.filter(
            metric=metric,
            person_id=target.person_id,
            team_id=target.team_id,
            period__kind=Period.Kind.MONTH,
        )
        .filter(period__fiscal_year_id=year.fiscal_year_id)
        .select_related("period")
    )
    before = sum((t.value for t in months if t.period.start_date < month.start_date), Decimal(0))
    new_value = (before + (target.value - before) * Decimal("0.7")).quantize(Decimal("0.01"))
    services.adjustment_request(
        target=target,
        new_value=new_value,
        kind=Adjustment.Reason.QUOTA_RELIEF,
        reason=(
            "On medical leave for six weeks from this month; the Foshan hospital tender "
            "moved to next year."
        ),
        effective_period=month,
        acting_user=supervisor,
    )


def _plans(*, year: Period, today: datetime.date) -> int:
    """Three plans for the current quarter: approved (Guangzhou), submitted and waiting
    for sup.sh (Shanghai Key Accounts), returned twice with comments (Hangzhou)."""
    quarter = _open_period_on(year, Period.Kind.QUARTER, today)
    if quarter is None:
        return 0
    months = list(
        Period.objects.filter(parent=quarter, kind=Period.Kind.MONTH).order_by("start_date")
    )
    cases = [("gz", "sup.gz", "approved"), ("sh-key", "sup.sh", "submitted")]
    cases.append(("hz", "sup.hz", "returned"))
    written = 0
    for team_code, supervisor_name, outcome in cases:
        supervisor = User.objects.filter(username=supervisor_name).first()
        person = (
            Target.objects.filter(period=year, team__code=team_code, person__isnull=False)
            .exclude(person__username__in=["wei.zhang", supervisor_name])
            .select_related("person")
            .order_by("person__username")
            .first()
        )
        if supervisor is None or person is None:
            continue
        person = person.person
        if SalesPlan.objects.filter(person=person, period=quarter).exists():
            continue
        pipeline = {str(m.pk): str(Decimal(180000 + 60000 * i)) for i, m in enumerate(months)}

        def save(key_accounts: str, actions: str, person=person, pipeline=pipeline):
            return plan_services.plan_save(
                person=person,
                period=quarter,
                key_accounts=key_accounts,
                actions=actions,
                pipeline=pipeline,
                resources="One demonstration analyser for two weeks; an application engineer.",
                acting_user=person,
            )

        plan = save(
            "Provincial People's Hospital (renewal of 4 analysers); City Centre for Disease "
            "Control (new lab).",
            "Site visits in the first month; product demo with the application engineer; "
            "quotation before the quarter's last month.",
        )
        plan = plan_services.plan_submit(plan=plan, acting_user=person)
        if outcome == "approved":
            plan_services.plan_review(
                plan=plan, approve=True, comment="Good plan.", acting_user=supervisor
            )
        elif outcome == "returned":
            plan = plan_services.plan_review(
                plan=plan,
                approve=False,
                comment="Add the university hospital tender and a date for each step.",
                acting_user=supervisor,
            )
            plan = save(
                "Provincial People's Hospital; City CDC; Zhejiang University Hospital tender.",
                "Visits in week 2; demo in week 5; tender documents by week 8.",
            )
            plan = plan_services.plan_submit(plan=plan, acting_user=person)
            plan_services.plan_review(
                plan=plan,
                approve=False,
                comment="The pipeline for the last month looks too high: explain it.",
                acting_user=supervisor,
            )
        written += 1
    return written


def seed(*, stdout, today: datetime.date) -> None:
    years = org_demo.history_years(today)
    dept = User.objects.filter(username=DEPARTMENT).first()
    company = OrgUnit.objects.filter(code="qingyun").first()
    if not years or dept is None or company is None:
        return
    fiscal_year = years[-1]  # the current one
    metrics = _metrics(dept)
    profiles = _profiles(dept, fiscal_year.start_month)
    for each in years:
        year = each.periods.get(kind=Period.Kind.YEAR)
        for code, value, weights in PUBLISHED:
            _publish_cascade(
                metrics[code],
                value,
                weights,
                year=year,
                company=company,
                profile=profiles[SEASON_PROFILE],
                dept=dept,
            )
        _acknowledge_some(metrics["revenue"], year)
    year = fiscal_year.periods.get(kind=Period.Kind.YEAR)
    _draft_new_customers(metrics["new_customers"], year=year, company=company, dept=dept)
    _pending_adjustment(metrics["revenue"], year=year, today=today)
    _plans(year=year, today=today)

    targets = Target.objects.filter(period__fiscal_year__in=years)
    published = targets.filter(status=Target.Status.PUBLISHED).count()
    acknowledged = targets.filter(acknowledged_at__isnull=False).count()
    pending = Adjustment.objects.filter(status=Adjustment.Status.PENDING).count()
    plans = SalesPlan.objects.filter(period__fiscal_year=fiscal_year).count()
    names = ", ".join(y.name for y in years)
    stdout.write(
        f"Targets: {Metric.objects.count()} metrics, "
        f"{SeasonalityProfile.objects.count()} seasonality profiles; {names}: "
        f"{targets.count()} targets ({published} published, {acknowledged} acknowledged), "
        f"{pending} adjustment(s) pending, {plans} sales plans."
    )
