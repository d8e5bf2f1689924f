"""Demo sales for Qingyun Instruments, called by `manage.py seed_demo` after the
organisation and the targets are there.

For the demo's history (org.demo_calendar: the current fiscal year, or the
previous one too while the current one is in its first quarter) up to today: every
salesperson's customers (most of them won during the history, so they count as new
customers; a few prospects and one lost), contacts, follow-ups (some due this week),
and sales records from the history's first month to today shaped by the person's
published monthly revenue target
and a performance of their own — most near their target, two well behind, so
the team dashboards show people at risk —, with a few records split between
teammates, one cancelled order and collections some weeks after the sale (entered
about a week after the money arrives: the collections metric's pace lag).
Everything goes through the services, so the history and the monthly totals
exist. Idempotent: skipped when the demo's records are already there.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from org import demo as org_demo
from org.models import FiscalYear, Membership, Period, User
from sales.feedback import domain as domain_feedback
from sales.feedback import services as services_feedback
from sales.models import Customer, ProgressReport, SalesRecord, SatisfactionResponse
from sales.records import services
from targets.demo import COLLECTIONS_LAG_DAYS
from targets.models import Target

DEPARTMENT = "dept.zhou"
PREFIX = "DEMO-"

# How each salesperson sells against their target, by position in their team.
PERFORMANCE = ["1.12", "1.02", "0.97", "1.06", "0.58", "0.93", "1.18", "0.66"]

CITIES = {
    "sh-key": "Shanghai",
    "hz": "Hangzhou",
    "nj": "Nanjing",
    "gz": "Guangzhou",
    "sz": "Shenzhen",
}
REGIONS = {"sh-key": "Shanghai", "hz": "Zhejiang", "nj": "Jiangsu", "gz": "Guangdong"}
CUSTOMER_KINDS = [
    ("{city} No. {n} People's Hospital", "Hospital"),
    ("{city} Centre for Disease Control, lab {n}", "Public health"),
    ("{city} Medical University, institute {n}", "University"),
    ("{city} Meikang Clinical Laboratory {n}", "Independent laboratory"),
    ("{city} Maternity and Child Hospital {n}", "Hospital"),
    ("{city} Huaxin Biotech {n}", "Pharmaceutical"),
    ("{city} Women's and Children's Clinic {n}", "Clinic"),
    ("{city} Food Safety Testing Centre {n}", "Public health"),
]
PRODUCTS = [
    # product, category, unit price
    ("Biochemistry analyser BA-800", "Analysers", Decimal("68000")),
    ("Haematology analyser HX-5", "Analysers", Decimal("42000")),
    ("Immunoassay system IM-3", "Analysers", Decimal("95000")),
    ("Reagent kit, annual supply", "Reagents", Decimal("8500")),
    ("Service contract, one year", "Services", Decimal("12000")),
]
CONTACT_NAMES = ["Dr Li Hua", "Ms Wang Fang", "Mr Chen Gang", "Dr Zhao Min", "Ms Xu Jing"]
FOLLOW_UPS = [
    ("visit", "Wants a second analyser for the night shift.", "Send the quotation"),
    ("call", "Asked about the reagent price for next year.", "Call back with the price list"),
    ("pre_sales", "Evaluating two suppliers for the new lab.", "Arrange a demonstration"),
    ("after_sales", "The analyser's error rate went up after the update.", "Engineer visit"),
]


def _team_members(today: datetime.date) -> list[tuple[User, str, int]]:
    """(person, team code, position in the team) for each salesperson in a team today."""
    memberships = (
        Membership.objects.filter(kind=Membership.Kind.MEMBER, start_date__lte=today)
        .exclude(end_date__lt=today)
        .select_related("user", "unit")
        .order_by("unit__code", "user__username")
    )
    people, position = [], {}
    for m in memberships:
        index = position.get(m.unit.code, 0)
        position[m.unit.code] = index + 1
        people.append((m.user, m.unit.code, index))
    return people


def _monthly_revenue_targets(years: list[FiscalYear]) -> dict[tuple[int, int], Decimal]:
    """{(person id, month period id): published monthly revenue target} (the sum of the
    person's parts, one per team they were in)."""
    found: dict[tuple[int, int], Decimal] = {}
    for t in Target.objects.filter(
        metric__code="revenue",
        period__fiscal_year__in=years,
        period__kind=Period.Kind.MONTH,
        person__isnull=False,
        status=Target.Status.PUBLISHED,
    ):
        found[(t.person_id, t.period_id)] = found.get((t.person_id, t.period_id), 0) + t.value
    return found


def _customers(person: User, team: str, index: int, rng: random.Random, history_start, today):
    """Eight customers for the person: six won during the history (two on its first
    day), one prospect, one lost before it."""
    customers = []
    city = CITIES.get(team, "Suzhou")
    for n, (pattern, industry) in enumerate(CUSTOMER_KINDS):
        number = index * 10 + n + 1
        external_id = f"{PREFIX}C-{person.username}-{n}"
        name = pattern.format(city=city, n=number)
        if n == 6:
            status, since = Customer.Status.PROSPECT, None
        elif n == 7:
            status, since = Customer.Status.LOST, history_start - datetime.timedelta(days=200)
        else:
            status = Customer.Status.ACTIVE
            offset = rng.randrange(0, (today - history_start).days + 1)
            since = history_start + datetime.timedelta(days=offset if n >= 2 else 0)
        customer = services.customer_save(
            name=name,
            owner=person,
            industry=industry,
            region=REGIONS.get(team, "Guangdong"),
            status=status,
            became_customer_on=since,
            external_id=external_id,
            acting_user=person,
        )
        services.contact_save(
            customer=customer,
            name=CONTACT_NAMES[(index + n) % len(CONTACT_NAMES)],
            title="Head of laboratory" if n % 2 else "Procurement",
            phone=f"+86 21 5555 {number:04d}",
            acting_user=person,
        )
        customers.append(customer)
    return customers


def follow_up_dates(
    n: int, rng: random.Random, today: datetime.date
) -> tuple[datetime.date, datetime.date | None]:
    """(when the n-th follow-up happened, when its next action is due or None), drawn
    in order: it happened 2 to 39 days ago; the first two have an open action, the
    first due this week (up to 3 days overdue, never before the follow-up itself), the
    second in 12 days."""
    happened = today - datetime.timedelta(days=rng.randrange(2, 40))
    if n == 0:
        return happened, max(happened, today + datetime.timedelta(days=rng.randrange(-3, 5)))
    if n == 1:
        return happened, today + datetime.timedelta(days=12)
    return happened, None


def _follow_ups(person: User, customers, rng: random.Random, today) -> None:
    for n, customer in enumerate(customers[:6]):
        kind, need, action = FOLLOW_UPS[(n + rng.randrange(4)) % len(FOLLOW_UPS)]
        happened, due = follow_up_dates(n, rng, today)
        followup = services.followup_save(
            customer=customer,
            salesperson=person,
            kind=kind,
            happened_on=happened,
            need=need,
            next_action=action if due else "",
            next_action_on=due,
            acting_user=person,
        )
        if n >= 4:
            services.followup_done(followup=followup, acting_user=person)


def _rows(
    person, team, index, customers, teammates, months, targets, since, rng, today
) -> list[dict]:
    """The person's sales records from the year's first month to today."""
    factor = Decimal(PERFORMANCE[index % len(PERFORMANCE)])
    active = [c for c in customers if c.status == Customer.Status.ACTIVE]
    rows = []
    for month in months:
        target = targets.get((person.pk, month.pk))
        if not target or month.start_date > today:
            continue
        last_day = min(month.end_date, today)
        share = Decimal(last_day.day) / Decimal(month.end_date.day)
        to_sell = target * factor * share * Decimal(rng.uniform(0.85, 1.15))
        count = rng.randrange(3, 7)
        for n in range(count):
            day = month.start_date + datetime.timedelta(days=rng.randrange(0, last_day.day))
            choices = [c for c in active if c.became_customer_on and c.became_customer_on <= day]
            if not choices or day < since[person.pk]:
                continue
            customer = rng.choice(choices)
            product, category, price = PRODUCTS[rng.randrange(len(PRODUCTS))]
            amount = (to_sell / count).quantize(Decimal("0.01"))
            quantity = max((amount / price).quantize(Decimal("1")), Decimal(1))
            margin = (amount * Decimal(rng.uniform(0.28, 0.42))).quantize(Decimal("0.01"))
            credits = [{"person": person.username, "share_pct": "100"}]
            mates = [m for m in teammates if since[m.pk] <= day]
            if n == 0 and mates and rng.random() < 0.3:
                mate = rng.choice(mates)
                credits = [
                    {"person": person.username, "share_pct": "60"},
                    {"person": mate.username, "share_pct": "40"},
                ]
            collected_on = day + datetime.timedelta(days=rng.randrange(20, 75))
            # Entered once matched with the bank statement, a week or so later.
            entered_by = today - datetime.timedelta(days=COLLECTIONS_LAG_DAYS)
            paid = collected_on <= today and rng.random() < 0.85 and collected_on <= entered_by
            rows.append(
                {
                    "external_id": f"{PREFIX}R-{person.username}-{month.start_date:%Y%m}-{n}",
                    "date": day.isoformat(),
                    "customer": customer.external_id,
                    "product": product,
                    "category": category,
                    "amount": str(amount),
                    "quantity": str(quantity),
                    "gross_margin": str(margin),
                    "collected_amount": str(amount if paid else 0),
                    "collected_on": collected_on.isoformat() if paid else "",
                    "credits": credits,
                    # Generated from the targets: right even when far above what the
                    # person sold in the first days of the history.
                    "confirm": True,
                }
            )
    return rows


def seed(*, stdout, today: datetime.date) -> None:
    history_start = org_demo.calendar(today).history_start
    years = org_demo.history_years(today)
    dept = User.objects.filter(username=DEPARTMENT).first()
    if not years or dept is None:
        return
    if not SalesRecord.objects.filter(external_id__startswith=PREFIX).exists():
        _seed_sales(years, history_start, dept, today)
    if not ProgressReport.objects.exists():
        _seed_reports(today)
    if not SatisfactionResponse.objects.filter(external_id__startswith=PREFIX).exists():
        _seed_satisfaction(years, dept, today)
    records = SalesRecord.objects.filter(period__fiscal_year__in=years)
    names = ", ".join(y.name for y in years)
    stdout.write(
        f"Sales: {Customer.objects.count()} customers, {records.count()} sales records in "
        f"{names} ({records.filter(status=SalesRecord.Status.CANCELLED).count()} "
        f"cancelled), {ProgressReport.objects.count()} progress reports, "
        f"{SatisfactionResponse.objects.count()} satisfaction responses."
    )


def _seed_sales(
    years: list[FiscalYear], history_start: datetime.date, dept: User, today: datetime.date
) -> None:
    rng = random.Random(2026)  # noqa: S311 (demo data, not secrets)
    months = list(
        Period.objects.filter(fiscal_year__in=years, kind=Period.Kind.MONTH, start_date__lte=today)
        .exclude(status=Period.Status.CLOSED)
        .order_by("start_date")
    )
    targets = _monthly_revenue_targets(years)
    people = _team_members(today)
    by_team: dict[str, list[User]] = {}
    for person, team, _index in people:
        by_team.setdefault(team, []).append(person)
    since: dict[int, datetime.date] = {}  # the first day each person was in a team
    for user_id, start in Membership.objects.filter(kind=Membership.Kind.MEMBER).values_list(
        "user_id", "start_date"
    ):
        since[user_id] = min(start, since.get(user_id, start))
    rows: list[dict] = []
    for person, team, index in people:
        customers = _customers(person, team, index, rng, history_start, today)
        _follow_ups(person, customers, rng, today)
        teammates = [p for p in by_team[team] if p != person]
        rows += _rows(person, team, index, customers, teammates, months, targets, since, rng, today)
    for start in range(0, len(rows), 1000):
        services.records_bulk_upsert(rows[start : start + 1000], acting_user=dept)
    # A returned order: booked, then cancelled by the department.
    cancelled = SalesRecord.objects.filter(external_id__startswith=PREFIX).order_by("date").first()
    if cancelled is not None:
        services.record_cancel(record=cancelled, acting_user=dept)


def _behind(index: int) -> bool:
    """The people who sell well below their target (two in each team)."""
    return Decimal(PERFORMANCE[index % len(PERFORMANCE)]) < Decimal("0.7")


REPORT_TEXTS = [
    (
        "Visited {n} customers; two quotations sent, one order signed.",
        "The lab wants faster delivery of reagents.",
        "",
        "",
    ),
    (
        "Demonstrated the immunoassay system at a hospital; the tender is next month.",
        "Price is the main concern; they compare us with an imported brand.",
        "A competitor offers free installation.",
        "An application engineer for the tender presentation.",
    ),
    (
        "Followed up on {n} open quotations; collections on two overdue invoices.",
        "Customers are satisfied with the after-sales response time.",
        "One customer delays payment until their budget is approved.",
        "",
    ),
]


def _seed_reports(today: datetime.date) -> None:
    """The last eight report periods for every salesperson, submitted on time, except
    the two behind in each team, who missed some; supervisors commented on a few; a
    draft or two for the current period."""
    frequency = settings.SALES_REPORT_FREQUENCY
    periods = domain_feedback.previous_periods(today, frequency, 8)
    supervisors = {
        m.unit_id: m.user
        for m in Membership.objects.filter(kind=Membership.Kind.SUPERVISOR)
        .exclude(end_date__lt=today)
        .select_related("user")
    }
    team_of = {
        m.user_id: m.unit_id
        for m in Membership.objects.filter(kind=Membership.Kind.MEMBER).exclude(end_date__lt=today)
    }
    for person, _team, index in _team_members(today):
        for age, period in enumerate(periods):
            if _behind(index) and age < 1 + index % 2:
                continue  # missing: the latest one or two
            progress, feedback, problems, help_needed = REPORT_TEXTS[(index + age) % 3]
            report = services_feedback.report_save(
                person=person,
                period_start=period.start,
                progress=progress.format(n=3 + (index + age) % 4),
                customer_feedback=feedback,
                problems=problems,
                help_needed=help_needed,
                submit=True,
                acting_user=person,
                today=period.end,
            )
            # Written on the period's last afternoon (the service stamps "now").
            on_time = timezone.make_aware(
                datetime.datetime.combine(period.end, datetime.time(17, 30))
            )
            ProgressReport.objects.filter(pk=report.pk).update(submitted_at=on_time)
            supervisor = supervisors.get(team_of.get(person.pk))
            if age >= 1 and index % 3 == 0 and supervisor and supervisor != person:
                services_feedback.report_comment(
                    report=report,
                    comment="Good progress. Bring the tender documents to our Monday meeting.",
                    acting_user=supervisor,
                )
        if index in (1, 2):
            services_feedback.report_save(
                person=person,
                progress="First visits of the week done; a quotation is being prepared.",
                acting_user=person,
                today=today,
            )


def _seed_satisfaction(years: list[FiscalYear], dept: User, today: datetime.date) -> None:
    """A survey answer from most active customers in each month since the last ended
    quarter began (so that its appraisal and the current one have figures); the
    customers of the people behind are a little less happy."""
    rng = random.Random(7)  # noqa: S311 (demo data, not secrets)
    behind = {p.pk: _behind(i) for p, _t, i in _team_members(today)}
    since = org_demo.calendar(today).last_ended_quarter.start
    months = list(
        Period.objects.filter(
            fiscal_year__in=years,
            kind=Period.Kind.MONTH,
            start_date__gte=since,
            start_date__lte=today,
        )
        .exclude(status=Period.Status.CLOSED)
        .order_by("-start_date")
    )
    customers = Customer.objects.filter(
        status=Customer.Status.ACTIVE, external_id__startswith=PREFIX
    ).select_related("owner")
    comments = {
        5: "Very responsive; the engineer came the same day.",
        4: "Good service, delivery could be faster.",
        3: "Acceptable, but the quotation took two weeks.",
        2: "Hard to reach by phone.",
    }
    rows = []
    for month in months:
        answered = min(month.end_date, today) - datetime.timedelta(days=rng.randrange(0, 5))
        for customer in customers:
            if customer.owner_id not in behind or rng.random() < 0.3:
                continue
            if customer.became_customer_on and customer.became_customer_on > answered:
                continue
            score = rng.choice([2, 3, 3, 4] if behind[customer.owner_id] else [3, 4, 4, 5, 5])
            rows.append(
                {
                    "customer": customer.external_id,
                    "salesperson": customer.owner.username,
                    "answered_on": answered.isoformat(),
                    "score": score,
                    "comment": comments[score],
                    "external_id": f"{PREFIX}S-{customer.pk}-{month.start_date:%Y%m}",
                }
            )
    if rows:
        services_feedback.satisfaction_bulk_upsert(rows, acting_user=dept, today=today)
