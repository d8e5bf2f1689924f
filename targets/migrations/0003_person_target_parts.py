"""A person's target becomes parts, one per team they were a member of in the period.

Before, a person had one target per metric and period, filed under the team they
ended the period in; a cascade computed it from that team's share for the days they
were in it, and the teams they had left gave them nothing. Now each team allocates
a part to each person for the days they were its member, and the person's target
for the period is the sum of their parts (unique per metric, period, person, team).

`convert` turns the existing rows into parts without changing any value, so that
every person keeps the target they were told and acknowledged, and every team's
allocation keeps its sum:

- a row filed under a team the person was a member of at some time during the
  period is that team's part, as it is (nearly every row: the whole period in one
  team, or a mover's share in the team they ended the period in);
- a row filed under a team the person was not a member of at all during the period
  (a full cascade filed a mover's months before the move under the team of the
  year's end, with 0) moves to the team they were in during that period (the last
  one they joined in it), with a history entry saying so;
- a row of a person who was in no team during the period is left as it is.

What the old rule never allocated (a mover's part in the team they left) is not
invented: the department cascades the team's target again (drafts) or sets the part
and publishes it (see the README, "Person targets in parts"). The new weight is left
empty: cascades set it from now on. Runs on SQLite and PostgreSQL alike.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

REASON = "moved to the team of the period (migration 0003: person targets in parts)"


def convert(apps, schema_editor=None) -> int:
    """Move every person target filed under a team the person was not a member of
    during its period to the team they were in then; returns the number moved."""
    Target = apps.get_model("targets", "Target")
    Membership = apps.get_model("org", "Membership")
    Historical = apps.get_model("targets", "HistoricalTarget")
    stays = defaultdict(list)
    for user_id, unit_id, start, end in Membership.objects.filter(kind="member").values_list(
        "user_id", "unit_id", "start_date", "end_date"
    ):
        stays[user_id].append((start, end or datetime.date.max, unit_id))
    fields = [f.attname for f in Target._meta.concrete_fields if f.attname != "id"]
    now = timezone.now()
    moved = []
    rows = (
        Target.objects.filter(person__isnull=False, person_id__in=list(stays))
        .select_related("period")
        .order_by("pk")
    )
    for row in rows:
        period = row.period
        teams = [
            unit_id
            for start, end, unit_id in sorted(stays[row.person_id])
            if start <= period.end_date and end >= period.start_date
        ]
        if not teams or row.team_id in teams:
            continue
        row.team_id = teams[-1]
        # An UPDATE, not save(): no signal, the history row is written below.
        Target.objects.filter(pk=row.pk).update(team_id=row.team_id)
        moved.append(row)
    Historical.objects.bulk_create(
        Historical(
            id=row.pk,
            **{name: getattr(row, name) for name in fields},
            history_date=now,
            history_type="~",
            history_change_reason=REASON,
        )
        for row in moved
    )
    return len(moved)


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0001_initial"),
        ("targets", "0002_labels"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="target",
            name="targets_unique_person_target",
        ),
        migrations.AddField(
            model_name="historicaltarget",
            name="weight",
            field=models.DecimalField(
                blank=True,
                decimal_places=6,
                max_digits=24,
                null=True,
                verbose_name="allocation weight",
            ),
        ),
        migrations.AddField(
            model_name="target",
            name="weight",
            field=models.DecimalField(
                blank=True,
                decimal_places=6,
                max_digits=24,
                null=True,
                verbose_name="allocation weight",
            ),
        ),
        migrations.AddIndex(
            model_name="target",
            index=models.Index(fields=["team", "period"], name="targets_tar_team_id_0f75f6_idx"),
        ),
        migrations.AddConstraint(
            model_name="target",
            constraint=models.UniqueConstraint(
                condition=models.Q(("person__isnull", False)),
                fields=("metric", "period", "person", "team"),
                name="targets_unique_person_part",
            ),
        ),
        # Last: PostgreSQL refuses DDL on a table with pending trigger events (the
        # deferred foreign keys of the rows written), and no step needs the old shape.
        migrations.RunPython(convert, migrations.RunPython.noop),
    ]
