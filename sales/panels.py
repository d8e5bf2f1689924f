"""The sales card on the home page (settings.HOME_PANELS): for a salesperson their
month's attainment on the main metric, the follow-ups due and their progress report;
for a supervisor how many of their people are at risk this month; for the department
the company's month on the main metric. A fixed number of queries."""

from __future__ import annotations

from django.utils import timezone

from org.permissions import is_department, is_salesperson, led_unit_paths
from sales import attainment
from sales.permissions_attainment import can_view_dashboards, led_roots
from sales.selectors_feedback import report_status


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
        return "sales/dashboards/panel.html", panel
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
        risky = {owner for (owner, _metric), row in rows.items() if row.at_risk}
        panel["at_risk"] = sum(1 for m in members if led(m) in risky)
        panel["members"] = len(members)
    if department:
        panel["units"] = [rows[(("unit", r.pk), main.pk)] for r in roots]
        panel["roots"] = roots
    return "sales/dashboards/panel.html", panel
