"""Benchmark: the period close of a month with 10,000 salespeople and 1,000,000 sales.

Loads into a PostgreSQL database of its own (created afresh: `salesperf_bench_close`
on the server of DATABASE_URL, or BENCH_DATABASE_URL as it is) a company of 10
regions and 1,000 teams with 10,000 salespeople (ten a team), published targets of
four metrics (revenue, gross margin, collections, new customers) for the month closed
(June 2025) for every person and unit, 100,000 customers, and about 1,000,000 sales
records in that month (credited to the customer's owner; one in ten split with a
teammate), their credits and the monthly totals that the app keeps (rebuilt from the
credits by `sales.records.services.totals_rebuild`, the app's own set-based repair path).
Tasks run in-process (no REDIS_URL), so a close runs its whole chain of steps in
`close_start`. Then it measures, in the same run:

- the close (`closing.services.close_start`, freeze -> snapshot -> appraisal ->
  notify -> finish): its wall time and each step's (from the steps' start and end),
  and inside them the time in `live_attainment` (the snapshot's reads and
  computing; the rest of the step is mostly its upserts) and in the e-mails
  (`closing.notices.send_results_ready`);
- the rerun: the reopening (`close_reopen`, with a reason) and the close again,
  which rewrites every row by upsert (nobody told twice within a generation; the
  reopening starts a new one, so everyone is told again);
- in a third close of its own (tracing slows the code): the peak of Python memory
  allocated (tracemalloc), and the queries (CaptureQueriesContext) per step and per
  1,000 people;
- the SQL floor: one GROUP BY over the month's credits (by person and team) plus one
  bulk insert (a single INSERT ... SELECT FROM unnest) of as many result rows as the
  close writes into a table shaped and indexed like the snapshot's; median of three.

A monthly incentive plan covers everyone (every metric a component), so the close's
rewards step computes and upserts 10,000 proposed decisions (checked: one per person).

Prints one JSON line. Goals (issue 6): the close <= 10 s, its snapshot (attainment)
step <= 5x the floor, the rerun no slower than the first close (10 % allowed for
noise); (issue 16) the rewards step <= 2x the snapshot step of the same close.
`--profile` adds a cProfile of one more close (top functions by cumulative time, on
stderr) to see where the time goes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/salesperf \\
        .venv/bin/python bench/period_close.py [--people 10000] [--records 1000000]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import json
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

from _common import (
    bench_url,
    generated_records,
    recreate_database,
    setup_django,
    with_split_credits,
)
from django.core.mail.backends.base import BaseEmailBackend

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

YEAR = 2025
MONTH = 6  # the month closed: June 2025
TEAM_SIZE = 10
TEAMS_PER_REGION = 100
CUSTOMERS_EACH = 10
MB = 1024 * 1024
SENT = {"mails": 0}


def _now():
    """The moment of the close: pinned, a day after the month ended."""
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime(YEAR, MONTH + 1, 2, 9, 0))


class CountingEmailBackend(BaseEmailBackend):
    """Counts the messages instead of sending them (the close builds and renders them
    as for a real backend)."""

    def send_messages(self, messages):
        SENT["mails"] += len(messages)
        return len(messages)


def load(people_count: int, records: int) -> dict:
    """The organisation, targets, customers, records, credits and monthly totals."""
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from org import domain as org_domain
    from org.models import Membership, OrgUnit, Period, RoleAssignment, User
    from org.services import fiscal_year_create, unit_create
    from sales.records import services as sales_services
    from targets.models import Metric, Target

    fiscal_year = fiscal_year_create(start_year=YEAR, start_month=1)
    month = Period.objects.get(fiscal_year=fiscal_year, kind="month", number=MONTH)
    team_count = max(1, people_count // TEAM_SIZE)
    region_count = max(1, -(-team_count // TEAMS_PER_REGION))
    company = unit_create(code="co", name="Company", kind=OrgUnit.Kind.COMPANY)
    regions = [
        unit_create(code=f"r{r}", name=f"Region {r}", kind=OrgUnit.Kind.REGION, parent=company)
        for r in range(region_count)
    ]
    teams = OrgUnit.objects.bulk_create(
        [
            OrgUnit(
                code=f"t{t:04d}",
                name=f"Team {t}",
                kind=OrgUnit.Kind.TEAM,
                parent=regions[t // TEAMS_PER_REGION],
                depth=2,
            )
            for t in range(team_count)
        ],
        batch_size=2000,
    )
    region_paths = {r.pk: r.path for r in regions}
    for team in teams:
        team.path = org_domain.unit_path(region_paths[team.parent_id], team.pk)
    OrgUnit.objects.bulk_update(teams, ["path"], batch_size=2000)

    password = make_password("bench-password")
    people = User.objects.bulk_create(
        [
            User(username=f"p{i:05d}", email=f"p{i:05d}@bench.example", password=password)
            for i in range(people_count)
        ],
        batch_size=2000,
    )
    department = User.objects.create(username="dept", password=password)
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=p, role="salesperson") for p in people]
        + [RoleAssignment(user=department, role="department")],
        batch_size=5000,
    )
    Membership.objects.bulk_create(
        [
            Membership(user=p, unit=teams[i // TEAM_SIZE], start_date=fiscal_year.start_date)
            for i, p in enumerate(people)
        ],
        batch_size=5000,
    )
    metrics = [
        Metric.objects.create(
            code=code, name=code, name_zh=code, unit=unit, source=source, position=position
        )
        for position, (code, unit, source) in enumerate(
            [
                ("revenue", "currency", "amount"),
                ("gross_margin", "currency", "margin"),
                ("collections", "currency", "collections"),
                ("new_customers", "count", "new_customers"),
            ]
        )
    ]
    units = list(OrgUnit.objects.all())
    sizes = {"company": people_count, "region": TEAM_SIZE * TEAMS_PER_REGION, "team": TEAM_SIZE}
    targets = []
    for metric in metrics:
        value = Decimal(2 if metric.unit == "count" else 500000)
        targets += [
            Target(
                metric=metric,
                period=month,
                person=p,
                team=teams[i // TEAM_SIZE],
                value=value + i % 7 * 1000,
                status="published",
            )
            for i, p in enumerate(people)
        ]
        targets += [
            Target(
                metric=metric, period=month, unit=u, value=value * sizes[u.kind], status="published"
            )
            for u in units
        ]
    Target.objects.bulk_create(targets, batch_size=5000)

    days = (month.end_date - month.start_date).days + 1
    with transaction.atomic(), connection.cursor() as cursor:
        # CUSTOMERS_EACH customers per salesperson, won on days over the year so far.
        cursor.execute(
            """
            INSERT INTO sales_customer (name, owner_id, industry, region, status,
                became_customer_on, external_id, notes)
            SELECT 'Customer ' || g, u.id, '', '', 'active',
                   %s::date + ((g * 37) %% %s), 'C' || g, ''
            FROM generate_series(0, %s - 1) g
            JOIN org_user u ON u.username = 'p' || lpad((g / %s)::text, 5, '0')
            """,
            [
                fiscal_year.start_date,
                (month.end_date - fiscal_year.start_date).days + 1,
                people_count * CUSTOMERS_EACH,
                CUSTOMERS_EACH,
            ],
        )
        # The records, all in the month closed; some collected the month after.
        cursor.execute(
            generated_records("""
                   CASE WHEN g %% 5 = 0 THEN NULL ELSE d.day + (g %% 20)::int END,
                   'booked', 'R' || g, %s, NULL, now()
            FROM generate_series(0::bigint, %s - 1) g
            CROSS JOIN LATERAL (SELECT %s::date + ((g * 7) %% %s)::int AS day) d
            JOIN sales_customer c ON c.external_id = 'C' || (g %% %s)
            """),
            [month.pk, records, month.start_date, days, people_count * CUSTOMERS_EACH],
        )
        # Credits: the owner; one record in ten shared 50/50 with the next teammate.
        cursor.execute(
            with_split_credits("""
            WITH r AS (
                SELECT r.id, r.date, r.collected_on, r.amount, r.gross_margin, r.quantity,
                       r.collected_amount, c.owner_id, m.unit_id AS team_id,
                       (r.id %% 10 = 0) AS split, mate.id AS mate_id
                FROM sales_salesrecord r
                JOIN sales_customer c ON c.id = r.customer_id
                JOIN org_user u ON u.id = c.owner_id
                JOIN org_membership m ON m.user_id = c.owner_id AND m.kind = 'member'
                CROSS JOIN LATERAL (
                    SELECT CASE WHEN u.username ~ '^p[0-9]+$'
                                THEN substr(u.username, 2)::int END AS n) i
                JOIN org_user mate ON mate.username = 'p' || lpad(
                    ((i.n / %s) * %s + (i.n + 1) %% %s)::text, 5, '0')
            )
            """),
            [TEAM_SIZE, TEAM_SIZE, TEAM_SIZE],
        )
    sales_services.totals_rebuild()
    _publish_plan(company, month, department)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    return _made()


def _publish_plan(company, month, department) -> None:
    """A monthly incentive plan for the whole company, published before the month: the
    close's rewards step proposes one decision per salesperson under it (every metric a
    component, marginal tiers with an accelerator, caps, a penalty rule)."""
    from datetime import timedelta

    from django.utils import timezone

    from rewards import services as rewards_services
    from targets.models import Metric

    metrics = list(Metric.objects.filter(is_active=True).order_by("position", "pk"))
    weights = [40] + [60 // (len(metrics) - 1)] * (len(metrics) - 1)
    weights[-1] += 100 - sum(weights)
    plan = rewards_services.plan_save_draft(
        acting_user=department,
        fields={
            "code": "bench",
            "name": "Bench bonus",
            "name_zh": "基准奖金",
            "period_kind": "month",
            "applies_from": month,
            "target_mode": "plan",
            "target_amount": 10000,
            "cap": 200,
        },
        components=[
            {
                "metric": metric,
                "weight": weight,
                "mode": "marginal",
                "threshold": 50,
                "cap": 250,
                "tiers": [["0", "0.8"], ["100", "1.5"]],
            }
            for metric, weight in zip(metrics, weights, strict=True)
        ],
        penalties=[{"code": "low", "below": "60", "reduction": "30", "hold_periods": 1}],
        units=[company],
    )
    before = timezone.make_aware(datetime.datetime.combine(month.start_date, datetime.time(9)))
    rewards_services.plan_publish(
        plan=plan, acting_user=department, now=before - timedelta(days=10)
    )


def _made() -> dict:
    from org.models import OrgUnit, Period, User
    from sales.models import MonthTotal, SalesCredit, SalesRecord
    from targets.models import Metric

    return {
        "month": Period.objects.select_related("fiscal_year").get(
            fiscal_year__start_date__year=YEAR, kind="month", number=MONTH
        ),
        "department": User.objects.get(username="dept"),
        "people": User.objects.filter(username__startswith="p").count(),
        "units": OrgUnit.objects.count(),
        "metrics": Metric.objects.filter(is_active=True).count(),
        "records": SalesRecord.objects.count(),
        "credits": SalesCredit.objects.count(),
        "month_totals": MonthTotal.objects.count(),
    }


def _steps():
    from django.conf import settings
    from django.utils.module_loading import import_string

    return [import_string(path) for path in settings.CLOSE_STEPS]


def _close(made: dict) -> tuple[float, object]:
    """One close of the month, in-process; (wall seconds, the finished run)."""
    from closing import services
    from closing.models import CloseRun

    gc.collect()
    started = time.perf_counter()
    run = services.close_start(
        period=made["month"], acting_user=made["department"], trigger="manual", now=_now()
    )
    # Eager tasks: the chain ran on the commit of close_start. (Should it not have,
    # wait for it, so the figure is the whole close either way.)
    run.refresh_from_db()
    while run.status in ("queued", "running"):
        time.sleep(0.01)
        run.refresh_from_db()
    seconds = time.perf_counter() - started
    if run.status != CloseRun.Status.SUCCEEDED:
        raise SystemExit(f"close run {run.pk} {run.status}: {run.error}")
    return seconds, run


def _reopen(made: dict) -> float:
    from closing import services

    made["month"].refresh_from_db()
    started = time.perf_counter()
    services.close_reopen(
        period=made["month"], reason="Benchmark: close again", acting_user=made["department"]
    )
    seconds = time.perf_counter() - started
    made["month"].refresh_from_db()
    return seconds


def _step_seconds(run) -> dict:
    return {
        s.name: round((s.finished_at - s.started_at).total_seconds(), 3)
        for s in run.steps.order_by("position")
        if s.started_at and s.finished_at
    }


def _check_rows(made: dict) -> dict:
    from closing.models import PersonAttainment, ResultNotice, UnitAttainment
    from rewards.models import Decision

    month = made["month"]
    found = {
        "person_rows": PersonAttainment.objects.filter(period=month).count(),
        "unit_rows": UnitAttainment.objects.filter(period=month).count(),
        "notices": ResultNotice.objects.filter(period=month).count(),
        "decisions": Decision.objects.filter(period=month, status="proposed").count(),
    }
    if found["decisions"] != made["people"]:
        raise SystemExit(f"decisions {found['decisions']}, expected {made['people']}")
    want_people = made["people"] * made["metrics"]
    want_units = made["units"] * made["metrics"]
    if found["person_rows"] != want_people or found["unit_rows"] != want_units:
        raise SystemExit(f"snapshot rows {found}, expected {want_people} + {want_units}")
    return found


# Calls timed inside the first close (a clock around each; no other overhead): the
# snapshot's reads (live attainment) against its writes, and the notify step's e-mails.
TIMED_CALLS = {
    "snapshot_live_attainment": ("sales.attainment.selectors", "live_attainment"),
    "notify_emails": ("closing.notices", "send_results_ready"),
}


@contextlib.contextmanager
def _timed_calls():
    import importlib

    spent: dict[str, float] = {}
    patched = []
    for label, (module_name, attribute) in TIMED_CALLS.items():
        module = importlib.import_module(module_name)
        original = getattr(module, attribute, None)
        if original is None:
            continue

        def timed(*args, _original=original, _label=label, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - started

        setattr(module, attribute, timed)
        patched.append((module, attribute, original))
    rounded: dict[str, float] = {}
    try:
        yield rounded
    finally:
        for module, attribute, original in patched:
            setattr(module, attribute, original)
        rounded.update({k: round(v, 3) for k, v in spent.items()})


def _traced_close(made: dict) -> dict:
    """A close with tracemalloc and the queries captured, per step too."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    queries_by_step: dict[str, int] = {}
    originals = []
    for step in _steps():
        original = step.run

        def counted(run, progress, _original=original, _name=step.name):
            before = len(context.captured_queries)
            try:
                return _original(run, progress)
            finally:
                queries_by_step[_name] = queries_by_step.get(_name, 0) + (
                    len(context.captured_queries) - before
                )

        object.__setattr__(step, "run", counted)  # frozen dataclass: bench-only wrap
        originals.append((step, original))
    try:
        _reopen(made)
        gc.collect()
        with CaptureQueriesContext(connection) as context:
            tracemalloc.start()
            tracemalloc.reset_peak()
            seconds, _run = _close(made)
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    finally:
        for step, original in originals:
            object.__setattr__(step, "run", original)
    per_thousand = 1000 / made["people"]
    return {
        "traced_close_s": round(seconds, 3),
        "peak_memory_mb": round(peak / MB, 1),
        "queries": len(context.captured_queries),
        "queries_per_1000_people": round(len(context.captured_queries) * per_thousand, 1),
        "queries_by_step": queries_by_step,
        "snapshot_queries_per_1000_people": round(
            queries_by_step.get("snapshot", 0) * per_thousand, 1
        ),
    }


def _floor(made: dict, rows: int, repeat: int = 3) -> dict:
    """One GROUP BY over the month's credits + one bulk insert of `rows` result rows
    into a table like the snapshot's (same columns, unique key, keys indexed)."""
    from decimal import Decimal

    from django.db import connection, transaction

    month = made["month"]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute(
            """
            CREATE TABLE bench_floor (
                id bigserial PRIMARY KEY, period_id bigint NOT NULL, metric_id bigint NOT NULL,
                owner_id bigint NOT NULL, target numeric(18, 4), actual numeric(18, 4) NOT NULL,
                attainment numeric(12, 2), run_id bigint, computed_at timestamptz NOT NULL,
                UNIQUE (period_id, metric_id, owner_id))
            """
        )
    times = []
    for _ in range(repeat):
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE bench_floor")
        gc.collect()
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT person_id, team_id, sum(amount), sum(gross_margin), sum(quantity),
                       sum(collected_amount)
                FROM sales_salescredit
                WHERE booked AND date BETWEEN %s AND %s
                GROUP BY person_id, team_id
                """,
                [month.start_date, month.end_date],
            )
            grouped = cursor.fetchall()
            owners, metrics, actuals = [], [], []
            for i in range(rows):
                row = grouped[i % len(grouped)]
                owners.append(i)
                metrics.append(i % 4)
                actuals.append(row[2 + i % 4] or Decimal(0))
            cursor.execute(
                """
                INSERT INTO bench_floor (period_id, metric_id, owner_id, target, actual,
                    attainment, computed_at)
                SELECT %s, m, o, a * 1.1, a, round(100 / 1.1, 2), now()
                FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[]) AS u(o, m, a)
                """,
                [month.pk, owners, metrics, actuals],
            )
        times.append(time.perf_counter() - started)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_floor")
    return {
        "floor_s": round(statistics.median(times), 3),
        "floor_min_s": round(min(times), 3),
        "floor_groups": len(grouped),
        "floor_rows": rows,
    }


def _profile(made: dict, top: int = 40) -> None:
    import cProfile
    import pstats

    _reopen(made)
    profiler = cProfile.Profile()
    profiler.enable()
    _close(made)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def _prepare_reused(made: dict) -> None:
    """A database loaded by an earlier run: the month open again, as a first close finds
    it (the snapshot rows of earlier runs are left: they are rewritten by upsert)."""
    from org.models import Period

    month = made["month"]
    if month.status == Period.Status.CLOSED:
        _reopen(made)
    elif month.status == Period.Status.CLOSING:
        sys.exit("The month is `closing` (an earlier run failed): reload without --reuse.")


def measure(made: dict, *, profile: bool) -> dict:
    from closing.models import PersonAttainment, UnitAttainment

    figures = {
        key: made[key]
        for key in ("people", "units", "metrics", "records", "credits", "month_totals")
    }
    SENT["mails"] = 0
    with _timed_calls() as inside:
        close_s, run = _close(made)
    figures["close_s"] = round(close_s, 3)
    figures["steps_s"] = _step_seconds(run)
    figures["inside_steps_s"] = inside
    figures.update(_check_rows(made))
    figures["mails"] = SENT["mails"]
    first_rows = sorted(
        PersonAttainment.objects.filter(period=made["month"]).values_list(
            "person_id", "metric_id", "target", "actual", "attainment"
        )
    )
    first_units = sorted(
        UnitAttainment.objects.filter(period=made["month"]).values_list(
            "unit_id", "metric_id", "target", "actual", "attainment"
        )
    )

    figures["reopen_s"] = round(_reopen(made), 3)
    rerun_s, rerun = _close(made)
    figures["rerun_s"] = round(rerun_s, 3)
    figures["rerun_steps_s"] = _step_seconds(rerun)
    _check_rows(made)
    figures["rerun_identical"] = first_rows == sorted(
        PersonAttainment.objects.filter(period=made["month"]).values_list(
            "person_id", "metric_id", "target", "actual", "attainment"
        )
    ) and first_units == sorted(
        UnitAttainment.objects.filter(period=made["month"]).values_list(
            "unit_id", "metric_id", "target", "actual", "attainment"
        )
    )
    del first_rows, first_units

    figures.update(_traced_close(made))
    figures.update(_floor(made, figures["person_rows"] + figures["unit_rows"]))
    snapshot_s = figures["steps_s"].get("snapshot")
    if snapshot_s is not None:
        figures["snapshot_over_floor"] = round(snapshot_s / figures["floor_s"], 2)
    rewards_s = figures["steps_s"].get("rewards")
    if snapshot_s and rewards_s is not None:
        figures["rewards_over_snapshot"] = round(rewards_s / snapshot_s, 2)
    figures["goals"] = {
        "rewards_le_2x_snapshot": rewards_s is not None
        and snapshot_s is not None
        and rewards_s <= 2 * snapshot_s,
        "close_le_10s": figures["close_s"] <= 10,
        "snapshot_le_5x_floor": snapshot_s is not None and snapshot_s <= 5 * figures["floor_s"],
        "rerun_no_slower": figures["rerun_s"] <= 1.1 * figures["close_s"],
    }
    if profile:
        _profile(made)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database an earlier run loaded"
    )
    parser.add_argument("--profile", action="store_true", help="also profile one close (stderr)")
    args = parser.parse_args()
    url = bench_url("salesperf_bench_close")
    if not args.reuse:
        recreate_database(url)
    # Production settings, tasks in-process, e-mail counted.
    os.environ.pop("EMAIL_HOST", None)
    setup_django(url, LOG_LEVEL="WARNING")
    from django.conf import settings

    settings.EMAIL_BACKEND = f"{__name__}.CountingEmailBackend"

    from django.core.management import call_command

    load_seconds = None
    if args.reuse:
        made = _made()
        _prepare_reused(made)
    else:
        call_command("migrate", verbosity=0, skip_checks=True)
        started = time.perf_counter()
        made = load(args.people, args.records)
        load_seconds = round(time.perf_counter() - started, 1)
    figures = measure(made, profile=args.profile)
    figures["load_seconds"] = load_seconds
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
