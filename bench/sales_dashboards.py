"""Benchmark: the team and department dashboards on 1,000,000 sales records.

Loads into a PostgreSQL database of its own (created afresh: `salesperf_bench` on
the server of DATABASE_URL, or BENCH_DATABASE_URL) a company of 5 regions, 50 teams
and 500 salespeople with published targets for four metrics (revenue, gross margin,
collections, new customers) for the year, its quarters and months, 10,000
customers and about 1,000,000 sales records over the fiscal year up to the bench's
"today" (credited to the customer's owner; one in ten split with a teammate), then
measures in the same run:

- the team dashboard (a team's month; and the same team's year to date) and the
  department dashboard (the whole company's month), server time per request
  through Django's test client (middleware, views, templates), median and p95 over
  repeated requests;
- the bare SQL that computes the same numbers straight from the credits and the
  customers (sales, collections and new customers by month), for a team's people
  over the month and the year to date, and for the whole company by team over the
  same — PostgreSQL alone, median and p95.

Prints one JSON line of figures at the end. Goals (issue 4): team dashboard p95 <=
50 ms, department dashboard p95 <= 500 ms, both within 3x the bare SQL measured here.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/salesperf \\
        .venv/bin/python bench/sales_dashboards.py [--records 1000000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

from _common import (
    bench_url,
    company_of_50_teams,
    generated_records,
    plain_static_files,
    recreate_database,
    setup_django,
    with_split_credits,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = datetime.date(2026, 11, 20)  # the bench's "today": pinned, so runs compare


def _timed(fn, repeat: int) -> dict:
    for _ in range(3):  # warm up (caches, plans)
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {"median_ms": round(statistics.median(times), 2), "p95_ms": round(p95, 2)}


def load(records: int) -> dict:
    """The organisation, targets, customers and records; returns what was made."""
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from org.models import Membership, OrgUnit, Period, RoleAssignment, User
    from org.services import fiscal_year_create
    from sales.records import services as sales_services
    from targets.models import Metric, Target

    fiscal_year = fiscal_year_create(start_year=TODAY.year, start_month=1)
    periods = list(Period.objects.filter(fiscal_year=fiscal_year))
    _company, teams = company_of_50_teams()
    password = make_password("bench-password")
    people = User.objects.bulk_create(
        [User(username=f"p{i:03d}", password=password) for i in range(500)]
    )
    supervisors = User.objects.bulk_create(
        [User(username=f"sup{t:02d}", password=password) for t in range(len(teams))]
    )
    department = User.objects.create(username="dept", password=password)
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=p, role="salesperson") for p in people]
        + [RoleAssignment(user=s, role="supervisor") for s in supervisors]
        + [RoleAssignment(user=department, role="department")]
    )
    start = fiscal_year.start_date
    Membership.objects.bulk_create(
        [Membership(user=p, unit=teams[i // 10], start_date=start) for i, p in enumerate(people)]
        + [
            Membership(user=s, unit=teams[t], kind=Membership.Kind.SUPERVISOR, start_date=start)
            for t, s in enumerate(supervisors)
        ]
    )
    metrics = [
        Metric.objects.create(code=code, name=code, name_zh=code, unit=unit, source=source)
        for code, unit, source in [
            ("revenue", "currency", "amount"),
            ("gross_margin", "currency", "margin"),
            ("collections", "currency", "collections"),
            ("new_customers", "count", "new_customers"),
        ]
    ]
    targets = []
    units = list(OrgUnit.objects.all())
    for metric in metrics:
        per_month = Decimal(5 if metric.unit == "count" else 120000)
        for period in periods:
            months = {"month": 1, "quarter": 3, "year": 12}[period.kind]
            value = per_month * months
            targets += [
                Target(
                    metric=metric,
                    period=period,
                    person=p,
                    team=teams[i // 10],
                    value=value,
                    status="published",
                )
                for i, p in enumerate(people)
            ]
            for unit in units:
                size = {"company": 500, "region": 100, "team": 10}[unit.kind]
                targets.append(
                    Target(
                        metric=metric,
                        period=period,
                        unit=unit,
                        value=value * size,
                        status="published",
                    )
                )
    Target.objects.bulk_create(targets, batch_size=5000)

    days = (TODAY - fiscal_year.start_date).days + 1
    with transaction.atomic(), connection.cursor() as cursor:
        # 20 customers per salesperson, each won on some day of the year.
        cursor.execute(
            """
            INSERT INTO sales_customer (name, owner_id, industry, region, status,
                became_customer_on, external_id, notes)
            SELECT 'Customer ' || g, u.id, '', '', 'active',
                   %s::date + ((g * 37) %% %s), 'C' || g, ''
            FROM generate_series(0, 9999) g
            JOIN org_user u ON u.username = 'p' || lpad((g / 20)::text, 3, '0')
            """,
            [fiscal_year.start_date, days],
        )
        # The records: customer by g, date spread over the year to date.
        cursor.execute(
            generated_records("""
                   CASE WHEN g %% 5 = 0 THEN NULL
                        ELSE LEAST(d.day + 30, %s::date) END,
                   'booked', 'R' || g, p.id, NULL, now()
            FROM generate_series(0::bigint, %s - 1) g
            CROSS JOIN LATERAL (SELECT %s::date + ((g * 7) %% %s)::int AS day) d
            JOIN sales_customer c ON c.external_id = 'C' || (g %% 10000)
            JOIN org_period p ON p.kind = 'month' AND p.fiscal_year_id = %s
                 AND d.day BETWEEN p.start_date AND p.end_date
            """),
            [TODAY, records, fiscal_year.start_date, days, fiscal_year.pk],
        )
        # Credits: the owner; one record in ten shared 50/50 with the next teammate.
        cursor.execute(
            with_split_credits("""
            WITH r AS (
                SELECT r.id, r.date, r.collected_on, r.amount, r.gross_margin, r.quantity,
                       r.collected_amount, c.owner_id, m.unit_id AS team_id,
                       (r.id % 10 = 0) AS split,
                       (SELECT u2.id FROM org_user u2
                         WHERE u2.username = 'p' || lpad(
                               ((substr(u.username, 2)::int / 10) * 10
                                + (substr(u.username, 2)::int + 1) % 10)::text, 3, '0')
                       ) AS mate_id
                FROM sales_salesrecord r
                JOIN sales_customer c ON c.id = r.customer_id
                JOIN org_user u ON u.id = c.owner_id
                JOIN org_membership m ON m.user_id = c.owner_id AND m.kind = 'member'
            )
            """)
        )
    sales_services.totals_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")  # the load's dirty pages written before measuring
    return _made(fiscal_year)


def _made(fiscal_year) -> dict:
    """What the measurements need, from a loaded database."""
    from org.models import OrgUnit, User
    from sales.models import MonthTotal

    teams = OrgUnit.objects.filter(kind=OrgUnit.Kind.TEAM).order_by("code")
    people = User.objects.filter(username__startswith="p").order_by("username")
    return {
        "fiscal_year": fiscal_year,
        "team": teams[0],
        "supervisor": User.objects.get(username="sup00"),
        "department": User.objects.get(username="dept"),
        "people": list(people[:10]),
        "month_totals": MonthTotal.objects.count(),
    }


def measure(made: dict, repeat: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from org.models import Period
    from sales.models import SalesCredit, SalesRecord

    fiscal_year = made["fiscal_year"]
    month = Period.objects.get(
        fiscal_year=fiscal_year, kind="month", start_date__lte=TODAY, end_date__gte=TODAY
    )
    year = Period.objects.get(fiscal_year=fiscal_year, kind="year")
    team = made["team"]

    supervisor = Client(SERVER_NAME="localhost")
    supervisor.force_login(made["supervisor"])
    department = Client(SERVER_NAME="localhost")
    department.force_login(made["department"])
    team_url = reverse("sales:dashboard-team")
    org_url = reverse("sales:dashboard-org")

    def get(client, url, params):
        response = client.get(url, params)
        assert response.status_code == 200, (url, response.status_code)

    figures = {
        "records": SalesRecord.objects.count(),
        "credits": SalesCredit.objects.count(),
        "month_totals": made["month_totals"],
        "salespeople": 500,
        "repeat": repeat,
    }
    figures["team_dashboard_month"] = _timed(
        lambda: get(supervisor, team_url, {"unit": team.pk, "period": month.pk}), repeat
    )
    figures["team_dashboard_year"] = _timed(
        lambda: get(supervisor, team_url, {"unit": team.pk, "period": year.pk}), repeat
    )
    figures["department_dashboard_month"] = _timed(
        lambda: get(department, org_url, {"period": month.pk}), repeat
    )
    figures["department_dashboard_year"] = _timed(
        lambda: get(department, org_url, {"period": year.pk}), repeat
    )

    person_ids = [p.pk for p in made["people"]]

    def sql(statements):
        def run():
            with connection.cursor() as cursor:
                for query, params in statements:
                    cursor.execute(query, params)
                    cursor.fetchall()

        return run

    # What the dashboards show, straight from the credits and customers: amount,
    # margin and quantity by the month of the sale, collections by the month of the
    # collection, new customers by the month they were won — for the team's people
    # (by person) or the whole company (by team), over the month and the year to date.
    by_sale = """
        SELECT {key}, date_trunc('month', date), sum(amount), sum(gross_margin), sum(quantity)
        FROM sales_salescredit WHERE booked AND date BETWEEN %s AND %s {only} GROUP BY 1, 2
    """
    by_collection = """
        SELECT {key}, date_trunc('month', collected_on), sum(collected_amount)
        FROM sales_salescredit WHERE booked AND collected_on BETWEEN %s AND %s {only}
        GROUP BY 1, 2
    """
    won = """
        SELECT c.owner_id, date_trunc('month', c.became_customer_on), count(*)
        FROM sales_customer c WHERE c.became_customer_on BETWEEN %s AND %s {only} GROUP BY 1, 2
    """

    def statements(person_ids):
        only = "AND person_id = ANY(%s)" if person_ids else ""
        only_owner = "AND c.owner_id = ANY(%s)" if person_ids else ""
        key = "person_id" if person_ids else "team_id"
        extra = [person_ids] if person_ids else []
        found = []
        for start, end in ((month.start_date, TODAY), (year.start_date, TODAY)):
            found += [
                (by_sale.format(key=key, only=only), [start, end, *extra]),
                (by_collection.format(key=key, only=only), [start, end, *extra]),
                (won.format(only=only_owner), [start, end, *extra]),
            ]
        return found

    figures["sql_team_month_and_ytd"] = _timed(sql(statements(person_ids)), repeat)
    figures["sql_company_month_and_ytd"] = _timed(sql(statements(None)), repeat)
    team_p95 = max(
        figures["team_dashboard_month"]["p95_ms"], figures["team_dashboard_year"]["p95_ms"]
    )
    org_p95 = max(
        figures["department_dashboard_month"]["p95_ms"],
        figures["department_dashboard_year"]["p95_ms"],
    )
    team_floor = figures["sql_team_month_and_ytd"]["p95_ms"]
    org_floor = figures["sql_company_month_and_ytd"]["p95_ms"]
    figures["goals"] = {
        "team_p95_le_50ms": team_p95 <= 50,
        "department_p95_le_500ms": org_p95 <= 500,
        "team_within_3x_sql": team_p95 <= 3 * team_floor,
        "department_within_3x_sql": org_p95 <= 3 * org_floor,
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database an earlier run loaded"
    )
    args = parser.parse_args()
    url = bench_url("salesperf_bench")
    if not args.reuse:
        recreate_database(url)
    # Over plain HTTP on localhost; static files are not part of what is measured.
    setup_django(url, DJANGO_SECURE_SSL_REDIRECT="false", DJANGO_SECURE_COOKIES="false")
    plain_static_files()

    from django.core.management import call_command
    from django.utils import timezone

    from org.models import FiscalYear

    timezone.localdate = lambda *a, **k: TODAY  # the pinned "today" for the pages
    load_seconds = None
    if args.reuse:
        made = _made(FiscalYear.objects.get(start_date__year=TODAY.year))
    else:
        call_command("migrate", verbosity=0, skip_checks=True)
        started = time.perf_counter()
        made = load(args.records)
        load_seconds = round(time.perf_counter() - started, 1)
    figures = measure(made, args.repeat)
    figures["load_seconds"] = load_seconds
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
