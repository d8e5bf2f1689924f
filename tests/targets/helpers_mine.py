"""Helpers for the tests of the salesperson's pages (my targets, adjustments, plans,
catalogue) and of the notification pages: published targets for the conftest
organisation."""

from __future__ import annotations

import types
from decimal import Decimal

from django.utils import timezone

from targets import services
from targets.models import Target
from tests.targets.helpers_core import make_metric, make_year


def publish_targets(org, *, metrics=("revenue",), year=None):
    """For each metric: the team T-EAST-1 gets 360,000 (360 for counts) for the fiscal
    year of today, split equally to sam, tina and sue; T-SOUTH-1 gets 120,000 for
    oscar; every owner's year is split into equal quarters and months; then it is all
    published by the department. Returns the year and the targets by name."""
    fy = year or make_year(timezone.localdate().year)
    dept = org.department
    made = {}
    for code in metrics:
        unit = "count" if code == "new_customers" else "currency"
        metric = make_metric(code, unit, acting_user=dept)
        scale = Decimal(1) if unit == "count" else Decimal(1000)
        team = services.target_set(
            metric=metric, period=fy.year, value=360 * scale, unit=org.team, acting_user=dept
        )
        services.cascade_org(target=team, method="equal", acting_user=dept)
        south = services.target_set(
            metric=metric,
            period=fy.year,
            value=120 * scale,
            unit=org.other_team,
            acting_user=dept,
        )
        services.cascade_org(target=south, method="equal", acting_user=dept)
        for t in Target.objects.filter(metric=metric, period=fy.year):
            services.cascade_time(target=t, acting_user=dept)
        services.targets_publish(metric=metric, fiscal_year_id=fy.fiscal_year.pk, acting_user=dept)
        made[code] = metric
    first = made[metrics[0]]

    def year_target(owner_field, owner):
        return Target.objects.get(metric=first, period=fy.year, **{owner_field: owner})

    return types.SimpleNamespace(
        fy=fy,
        metric=first,
        metrics=made,
        sam=year_target("person", org.salesperson),
        tina=year_target("person", org.teammate),
        sue=year_target("person", org.supervisor),
        oscar=year_target("person", org.other_salesperson),
        team=year_target("unit", org.team),
        south=year_target("unit", org.other_team),
    )
