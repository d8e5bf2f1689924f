"""Migration 0003 (person targets in parts): `convert` keeps every value and moves only
the rows filed under a team the person was not a member of during the period.

The test database is built without migrations, so `convert` runs on today's models,
which hold rows of the old shape too (one per person and period, filed under the
team of the period's end); the schema steps of the migration are Django's own."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal as D

from django.apps import apps

from org.services import person_move_team
from targets.models import Target
from tests.targets.helpers_core import make_metric, make_year

convert = importlib.import_module("targets.migrations.0003_person_target_parts").convert


def old_row(metric, period, person, team, value, **extra) -> Target:
    return Target.objects.create(
        metric=metric, period=period, person=person, team=team, value=D(value), **extra
    )


def test_the_conversion_keeps_every_value_and_rehomes_a_movers_months(org):
    fy = make_year(2026)
    revenue = make_metric("revenue", acting_user=org.department)
    # sam moved from East Team 1 to East Team 2 on 1 July; the old full cascade filed
    # all his rows under the team he ended the year in, with 0 before the move.
    person_move_team(user=org.salesperson, new_unit=org.team2, on=datetime.date(2026, 7, 1))
    year = old_row(revenue, fy.year, org.salesperson, org.team2, "184000.00", status="published")
    january = old_row(revenue, fy.months[0], org.salesperson, org.team2, "0.00")
    july = old_row(revenue, fy.months[6], org.salesperson, org.team2, "31000.00")
    q1 = old_row(revenue, fy.quarters[0], org.salesperson, org.team2, "5.00")
    tina = old_row(revenue, fy.year, org.teammate, org.team, "365000.00")
    before = {t.pk: t.value for t in Target.objects.all()}
    history = Target.history.count()

    assert convert(apps) == 2

    rows = {t.pk: t for t in Target.objects.all()}
    assert {pk: t.value for pk, t in rows.items()} == before  # no value changed
    assert len(rows) == 5  # and nothing was added
    # filed under a team he was in during the period: that team's part, as it was
    assert (rows[year.pk].team, rows[year.pk].status) == (org.team2, "published")
    assert rows[july.pk].team == org.team2
    assert rows[tina.pk].team == org.team
    # January and Q1, before the move, go to the team he was in then
    assert rows[january.pk].team == org.team
    assert rows[q1.pk].team == org.team
    moved = Target.history.filter(
        history_change_reason__startswith="moved to the team of the period"
    )
    assert Target.history.count() == history + 2
    assert {h.id for h in moved} == {january.pk, q1.pk}
    assert all(h.team_id == org.team.pk for h in moved)
    # run again: nothing left to move
    assert convert(apps) == 0


def test_a_person_in_no_team_during_the_period_keeps_their_row(org):
    fy = make_year(2026)
    revenue = make_metric("revenue", acting_user=org.department)
    org.salesperson.memberships.update(start_date=datetime.date(2027, 1, 1))
    row = old_row(revenue, fy.year, org.salesperson, org.team, "10.00")
    assert convert(apps) == 0
    row.refresh_from_db()
    assert (row.team, row.value) == (org.team, D("10.00"))
