"""The steps of the period close (listed, in order, in settings.CLOSE_STEPS):
freeze → snapshot → appraisal → rewards → notify → finish.

Each step is idempotent and works in batches that commit with their progress
(`Progress.each_batch`): run again after a crash, it rewrites the same rows.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from closing import notices
from closing.models import (
    ACTIVE_STATUSES,
    CloseRun,
    PersonAttainment,
    Reopening,
    ResultNotice,
    UnitAttainment,
)
from closing.pipeline import Progress, Step
from org.models import Membership, OrgUnit, Period

# --- the period and the ones within it ------------------------------------------------------


def family(period: Period) -> list[Period]:
    """The period and every period of its fiscal year within it (a quarter's months,
    a year's quarters and months), longest first. One query."""
    return list(
        Period.objects.filter(
            fiscal_year_id=period.fiscal_year_id,
            start_date__gte=period.start_date,
            end_date__lte=period.end_date,
        )
        .select_related("fiscal_year")
        .order_by("start_date", "-end_date", "pk")
    )


def _freeze_count(run: CloseRun) -> int:
    return len(family(run.period))


def _freeze(run: CloseRun, progress: Progress) -> None:
    from org.services import period_transition

    def handler(periods):
        for p in periods:
            if p.status == Period.Status.OPEN:
                period_transition(
                    period=p, to_status=Period.Status.CLOSING, acting_user=run.started_by
                )

    progress.each_batch(family(run.period), handler)


FREEZE = Step(name="freeze", label=_("Freeze the period"), count=_freeze_count, run=_freeze)


# --- the attainment snapshot ------------------------------------------------------------


def salespeople(period: Period) -> list[int]:
    """Who was a member of a team at some time during the period, by id. One query."""
    return sorted(
        set(
            Membership.objects.filter(
                kind=Membership.Kind.MEMBER,
                unit__kind=OrgUnit.Kind.TEAM,
                start_date__lte=period.end_date,
            )
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=period.start_date))
            .values_list("user_id", flat=True)
        )
    )


def owners(period: Period) -> list[tuple[str, int]]:
    """The snapshot's owners: the period's salespeople, then every active unit. Two
    queries."""
    units = OrgUnit.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
    return [("person", pk) for pk in salespeople(period)] + [("unit", pk) for pk in units]


SNAPSHOT_FIELDS = ["target", "actual", "attainment", "run", "computed_at"]
SNAPSHOT_COLUMNS = ("target", "actual", "attainment", "run_id", "computed_at")


def upsert_snapshot(model, owner_column: str, rows: list[tuple]) -> None:
    """Write snapshot rows (period id, metric id, owner id, target, actual, attainment,
    run id, computed at) by their unique key, replacing what an earlier close wrote:
    on PostgreSQL one INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO UPDATE (a
    statement of eight array parameters whatever the number of rows); elsewhere
    bulk_create(update_conflicts=True)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [
                model(
                    period_id=r[0],
                    metric_id=r[1],
                    **{owner_column: r[2]},
                    target=r[3],
                    actual=r[4],
                    attainment=r[5],
                    run_id=r[6],
                    computed_at=r[7],
                )
                for r in rows
            ],
            update_conflicts=True,
            unique_fields=["period", "metric", owner_column.removesuffix("_id")],
            update_fields=SNAPSHOT_FIELDS,
        )
        return
    qn = connection.ops.quote_name
    columns = ("period_id", "metric_id", owner_column, *SNAPSHOT_COLUMNS)
    types = ("int", "int", "int", "numeric", "numeric", "numeric", "int", "timestamptz")
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    updates = ", ".join(f"{qn(c)} = EXCLUDED.{qn(c)}" for c in SNAPSHOT_COLUMNS)
    key = ", ".join(qn(c) for c in ("period_id", "metric_id", owner_column))
    # Identifiers from the model and quoted by the backend; every value a parameter.
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608
        f"SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])


def snapshot_batch(
    *, run: CloseRun, period: Period, batch, metrics, periods, now=None
) -> tuple[int, int]:
    """Compute and upsert the attainment of one batch of owners: one live_attainment
    call and one upsert per kind of owner. Returns (person rows, unit rows)."""
    from sales.attainment.selectors import live_attainment

    now = now or timezone.now()
    if not metrics:
        return 0, 0
    found = live_attainment(
        owners=list(batch), metrics=metrics, period=period, today=period.end_date, periods=periods
    )
    people, units = [], []
    for (owner, metric_id), a in found.items():
        row = (
            period.pk,
            metric_id,
            owner[1],
            a.target,
            a.actual if a.actual is not None else Decimal(0),
            a.attainment,
            run.pk,
            now,
        )
        (people if owner[0] == "person" else units).append(row)
    upsert_snapshot(PersonAttainment, "person_id", people)
    upsert_snapshot(UnitAttainment, "unit_id", units)
    return len(people), len(units)


def snapshot_periods(run: CloseRun) -> list[Period]:
    """The periods a run's snapshot covers: the run's period and every period within it
    that is not closed (a quarter's close also snapshots the months it closes; a month
    closed by its own close keeps its own snapshot). A period's closes never overlap
    (closing.services.close_start), so the list does not change while the run runs.
    One query."""
    return [
        p for p in family(run.period) if p.pk == run.period_id or p.status != Period.Status.CLOSED
    ]


def _snapshot_items(run: CloseRun) -> list[tuple[Period, tuple[str, int]]]:
    return [(period, owner) for period in snapshot_periods(run) for owner in owners(period)]


def _snapshot_count(run: CloseRun) -> int:
    return len(_snapshot_items(run))


def _snapshot(run: CloseRun, progress: Progress) -> None:
    from sales.attainment.selectors import active_metrics

    metrics = active_metrics()
    periods = list(Period.objects.filter(fiscal_year_id=run.period.fiscal_year_id))
    now = timezone.now()
    progress.each_batch(
        _snapshot_items(run),
        functools.partial(_snapshot_handler, run=run, metrics=metrics, periods=periods, now=now),
    )
    # Rows of an earlier close that this one did not write (a person no longer in the
    # period, a metric made inactive) are not part of the result any more.
    covered = [p.pk for p in snapshot_periods(run)]
    with transaction.atomic():
        PersonAttainment.objects.filter(period_id__in=covered).exclude(run=run).delete()
        UnitAttainment.objects.filter(period_id__in=covered).exclude(run=run).delete()


def _snapshot_handler(batch, *, run, metrics, periods, now):
    by_period: dict[int, tuple[Period, list]] = {}
    for period, owner in batch:
        by_period.setdefault(period.pk, (period, []))[1].append(owner)
    for period, period_owners in by_period.values():
        snapshot_batch(
            run=run,
            period=period,
            batch=period_owners,
            metrics=metrics,
            periods=periods,
            now=now,
        )


SNAPSHOT = Step(
    name="snapshot", label=_("Attainment snapshot"), count=_snapshot_count, run=_snapshot
)


# --- appraisal figures ----------------------------------------------------------------------


def cycle_ids(period: Period) -> list[int]:
    """The appraisal cycles of the period and of the periods within it. One query."""
    from appraisal.models import Cycle

    return list(
        Cycle.objects.filter(
            period__fiscal_year_id=period.fiscal_year_id,
            period__start_date__gte=period.start_date,
            period__end_date__lte=period.end_date,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _appraisal_count(run: CloseRun) -> int:
    return len(cycle_ids(run.period))


def _appraisal(run: CloseRun, progress: Progress) -> None:
    from appraisal.cycles.services import cycle_compute

    def handler(ids):
        for pk in ids:
            cycle_compute(cycle_id=pk)

    progress.each_batch(cycle_ids(run.period), handler, size=1)


APPRAISAL = Step(
    name="appraisal", label=_("Appraisal figures"), count=_appraisal_count, run=_appraisal
)


# --- rewards --------------------------------------------------------------------------------


def _rewards_items(run: CloseRun) -> list[tuple[Period, int]]:
    """(period, person) for every period the run closes and every person a published
    incentive plan in force for it covers (decisions already approved are left as they
    are by rewards.services.compute_people, which reads each person's actual and target
    from the snapshot rows of the same close)."""
    from rewards.services import covered_people

    return [(p, person) for p in snapshot_periods(run) for person in covered_people(p)]


def _rewards_count(run: CloseRun) -> int:
    return len(_rewards_items(run))


def _rewards(run: CloseRun, progress: Progress) -> None:
    from rewards.services import compute_people

    now = timezone.now()

    # The figures the snapshot step has just recorded (what the close says), read once a
    # period for the whole step: one query, rather than one a batch over the same rows.
    recorded: dict[int, dict] = {}

    def actuals_of(period: Period) -> dict:
        if period.pk not in recorded:
            recorded[period.pk] = {
                (person, metric): (actual, target)
                for person, metric, actual, target in PersonAttainment.objects.filter(
                    period=period
                ).values_list("person_id", "metric_id", "actual", "target")
            }
        return recorded[period.pk]

    def handler(items):
        by_period: dict[int, tuple[Period, list[int]]] = {}
        for period, person in items:
            by_period.setdefault(period.pk, (period, []))[1].append(person)
        for period, people in by_period.values():
            compute_people(period=period, person_ids=people, now=now, actuals=actuals_of(period))

    progress.each_batch(_rewards_items(run), handler)


REWARDS = Step(name="rewards", label=_("Proposed bonuses"), count=_rewards_count, run=_rewards)


# --- notifications --------------------------------------------------------------------------


def snapshotted_people(period: Period) -> list[int]:
    return list(
        PersonAttainment.objects.filter(period=period)
        .order_by("person_id")
        .values_list("person_id", flat=True)
        .distinct()
    )


def generation(period: Period) -> int:
    """Which close of the period this is: the number of times it was reopened."""
    return Reopening.objects.filter(period_id=period.pk).count()


def insert_notices(*, period_id: int, generation: int, person_ids, now) -> list[int]:
    """Insert the results-ready notices of `person_ids`, skipping those already told
    in this generation; return the people newly inserted (one query, ON CONFLICT DO
    NOTHING ... RETURNING, so two writers can never both tell someone)."""
    person_ids = list(dict.fromkeys(person_ids))
    if not person_ids:
        return []
    qn = connection.ops.quote_name
    table = qn(ResultNotice._meta.db_table)
    sent_at = connection.ops.adapt_datetimefield_value(now)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(person_ids))
    params = []
    for pk in person_ids:
        params += [period_id, generation, pk, sent_at]
    # Identifiers quoted by the backend, every value a parameter.
    columns = ", ".join(qn(c) for c in ("period_id", "generation", "person_id", "sent_at"))
    key = ", ".join(qn(c) for c in ("period_id", "generation", "person_id"))
    insert = f"INSERT INTO {table} ({columns}) VALUES {values}"  # noqa: S608
    sql = f"{insert} ON CONFLICT ({key}) DO NOTHING RETURNING {qn('person_id')}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _notify_items(run: CloseRun) -> list[tuple[Period, int]]:
    """(period, person id) for every period the run snapshots (a quarter's close tells
    its months' results too when it closes them) and each person snapshotted in it."""
    return [
        (period, person_id)
        for period in snapshot_periods(run)
        for person_id in snapshotted_people(period)
    ]


def _notify_count(run: CloseRun) -> int:
    return len(_notify_items(run))


def _notify(run: CloseRun, progress: Progress) -> None:
    from notifications.services import notify

    def handler(batch):
        by_period: dict[int, tuple[Period, list[int]]] = {}
        for period, person_id in batch:
            by_period.setdefault(period.pk, (period, []))[1].append(person_id)
        for period, person_ids in by_period.values():
            told = insert_notices(
                period_id=period.pk,
                generation=generation(period),
                person_ids=person_ids,
                now=timezone.now(),
            )
            if not told:
                continue
            notify(
                recipient_ids=told,
                kind=notices.RESULTS_READY,
                params=notices.period_params(period),
                url=reverse("sales:dashboard-mine") + f"?period={period.pk}",
            )
            transaction.on_commit(
                functools.partial(notices.send_results_ready, period_id=period.pk, person_ids=told)
            )

    progress.each_batch(_notify_items(run), handler)


NOTIFY = Step(name="notify", label=_("Notifications"), count=_notify_count, run=_notify)


# --- finish -----------------------------------------------------------------------------------


def _finish_count(run: CloseRun) -> int:
    return 1


def _finish(run: CloseRun, progress: Progress) -> None:
    from org.services import period_transition

    def handler(_items):
        periods = family(run.period)
        # A period within this one whose own close is under way is left to that close.
        busy = set(
            CloseRun.objects.filter(
                period_id__in=[p.pk for p in periods], status__in=ACTIVE_STATUSES
            )
            .exclude(pk=run.pk)
            .values_list("period_id", flat=True)
        )
        for p in periods:
            if p.status == Period.Status.CLOSING and (p.pk == run.period_id or p.pk not in busy):
                period_transition(
                    period=p, to_status=Period.Status.CLOSED, acting_user=run.started_by
                )

    progress.each_batch([run.period_id], handler)


FINISH = Step(name="finish", label=_("Finish"), count=_finish_count, run=_finish)
