"""The sales card on the home page (settings.HOME_PANELS): for a salesperson their
month's attainment on the main metric, the follow-ups due and their progress report;
for a supervisor who of their people is at risk and why (this month, or this quarter or
year while it is too early in the month to tell); for the department
the company's month on the main metric. A fixed number of queries."""

from __future__ import annotations

from django.utils import timezone

from org.permissions import is_department, is_salesperson, led_unit_paths
from sales import domain
from sales.attainment import selectors as attainment
from sales.attainment.permissions import can_view_dashboards, led_roots
from sales.feedback.selectors import report_status


def judged_period(choice: attainment.PeriodChoice):
    """The period a supervisor's home judges who is at risk in: the month, or, while too
    little of it has passed for a verdict (SALES_AT_RISK_MIN_ELAPSED_PCT), the quarter,
    else the fiscal year, containing today; None while it is too early for all three."""
    today = choice.today
    quarter = next((q for q in choice.quarters if q.start_date <= today <= q.end_date), None)
    least = attainment.min_elapsed_pct()
    for period in (choice.period, quarter, choice.year):
        if period is None:
            continue
        elapsed = domain.elapsed_fraction(period.start_date, period.end_date, today)
        if elapsed * 100 >= least:
            return period
    return None


def home_panel(request):
    """(template, context) for the home card, or None for people without a sales role."""
    user = request.user
    if not can_view_dashboards(user):
        return None
    today = timezone.localdate()
    selling = is_salesperson(user)
    leading = bool(led_unit_paths(user))
    department = is_department(user)
    panel = {"today": today, "selling": selling, "leading": leading, "department": department}
    if selling:
        _followups, panel["followups_due"] = attainment.due_followups(
            viewer=user, person=user, today=today, shown=0
        )
        panel["report"] = report_status(person=user, today=today)
    choice = attainment.period_choice(today=today)
    metrics = attainment.active_metrics()
    if choice is None or not metrics or choice.period.kind != choice.period.Kind.MONTH:
        panel["choice"] = None
        return "sales/attainment/dashboards/panel.html", panel
    main = metrics[0]
    roots = led_roots(user) if (leading or department) else []
    members = attainment.members_of(units=roots, period=choice.period) if leading else []
    me = ("person", user.pk)

    def led(member) -> tuple:
        """A member within the led unit holding their team, as on the team dashboard."""
        root = next((r for r in roots if member.team.path.startswith(r.path)), None)
        return ("person", member.person.pk, root.pk) if root else ("person", member.person.pk)

    owners = [
        *([me] if selling else []),
        *(led(m) for m in members),
        *(("unit", r.pk) for r in roots if department),
    ]
    rows = attainment.live_attainment(
        owners=owners,
        metrics=metrics if leading else [main],
        period=choice.period,
        today=today,
        viewer=user,
        periods=choice.periods,
    )
    panel.update(choice=choice, metric=main, threshold=attainment.at_risk_pct())
    if selling:
        panel["mine"] = rows[(me, main.pk)]
    if leading:
        judged = judged_period(choice)
        panel["judged"] = judged
        panel["members"] = len(members)
        panel["min_elapsed"] = attainment.min_elapsed_pct()
        if judged is not None:
            if judged != choice.period:
                rows = attainment.live_attainment(
                    owners=[led(m) for m in members],
                    metrics=metrics,
                    period=judged,
                    today=today,
                    viewer=user,
                    periods=choice.periods,
                )
            people = []
            for m in members:
                cells = [rows[(led(m), metric.pk)] for metric in metrics]
                reason = attainment.risk_reason(cells)
                if reason:
                    people.append({"member": m, "reason": reason})
            panel["at_risk_people"] = people
            panel["at_risk"] = len(people)
    if department:
        panel["units"] = [rows[(("unit", r.pk), main.pk)] for r in roots]
        panel["roots"] = roots
    return "sales/attainment/dashboards/panel.html", panel
