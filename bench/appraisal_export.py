"""Benchmark: HR's export of 10,000 appraisal results as CSV and XLSX.

Loads into a database of its own, created afresh, a company of 5 regions and 50
teams with 10,000 salespeople, a published quarterly template and one cycle whose
10,000 appraisals are finalised (some released, acknowledged, appealed or resolved
with a second result version), every result written with `bulk_create` as
finalisation writes it (the working JSON included). Then, signed in as HR through
Django's test client (middleware, view, permissions, the file), it measures:

- the CSV export (a streamed response, read to the end) and the XLSX export (a
  write-only workbook in a temporary file, streamed), each repeated: median and
  worst wall time, and the median CPU time of this process (the figure to read on a
  busy machine; with PostgreSQL the server's own time is in the wall time only);
- the peak of Python memory allocated during one export of each (tracemalloc,
  measured in a run of its own since tracing slows the code), and the growth of
  the process's resident set size (ru_maxrss) over all the exports.

The database: PostgreSQL `salesperf_bench_appraisal` on the server of DATABASE_URL
(or BENCH_DATABASE_URL as it is) when one is set, else a new SQLite file in a
temporary folder (or `--sqlite`). Prints one JSON line of figures at the end.
Goals (issue 5): XLSX <= 3 s, CSV <= 1 s, memory growth <= 50 MB.

    .venv/bin/python bench/appraisal_export.py [--sqlite] [--rows 10000] [--repeat 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/salesperf \\
        .venv/bin/python bench/appraisal_export.py
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from _common import (
    company_of_50_teams,
    plain_static_files,
    postgres_url,
    recreate_database,
    setup_django,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

UTC = datetime.UTC
FINALISED_AT = datetime.datetime(2026, 4, 6, 2, 0, tzinfo=UTC)
RELEASED_AT = datetime.datetime(2026, 4, 8, 2, 0, tzinfo=UTC)
LATER = datetime.datetime(2026, 4, 14, 2, 0, tzinfo=UTC)
MB = 1024 * 1024


def _database(force_sqlite: bool) -> tuple[str, str | None]:
    """("postgresql", url) or ("sqlite", path of a new file)."""
    url = None if force_sqlite else postgres_url("salesperf_bench_appraisal")
    if url:
        return "postgresql", url
    folder = tempfile.mkdtemp(prefix="salesperf-bench-")
    return "sqlite", os.path.join(folder, "bench.sqlite3")


def _working(score: str, grade: str) -> dict:
    """A result's working as finalisation writes it (four lines), for realistic rows."""
    line = {
        "dimension_id": 1,
        "name": "Revenue attainment",
        "name_zh": "营业收入达成率",
        "method": "attainment",
        "weight": "25.00",
        "metric": {"code": "revenue", "name": "Revenue", "name_zh": "营业收入", "unit": "currency"},
        "actual": "1234567.00",
        "target": "1300000.00",
        "value": "94.97",
        "count": None,
        "curve": {"kind": "linear", "floor": "60", "target": "100", "cap": "120"},
        "scale": None,
        "level": None,
        "comment": "",
        "self_level": None,
        "peer_average": None,
        "peer_count": 0,
        "score": score,
        "adjusted_score": None,
        "adjustment_reason": "",
        "final_score": score,
        "contribution": "20.00",
    }
    return {
        "template": {"id": 1, "code": "sales", "version": 1, "name": "Sales", "name_zh": "销售"},
        "period": {"id": 1, "kind": "quarter", "start": "2026-01-01", "end": "2026-03-31"},
        "lines": [line] * 4,
        "total": score,
        "grade": grade,
        "grade_label": "Good",
        "grade_label_zh": "良好",
        "bands": [],
    }


GRADES = [("S", "110"), ("A", "95"), ("B", "80"), ("C", "60"), ("D", "0")]


def _grade(score) -> str:
    from decimal import Decimal

    return next(g for g, low in GRADES if score >= Decimal(low))


def load(rows: int) -> dict:
    """The organisation, the template, the cycle, the appraisals and their results."""
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from appraisal.models import (
        Appraisal,
        AppraisalResult,
        AppraisalTemplate,
        Cycle,
        Dimension,
        GradeBand,
    )
    from org.models import Membership, Period, RoleAssignment, User
    from org.services import fiscal_year_create
    from targets.models import Metric

    fiscal_year = fiscal_year_create(start_year=2026, start_month=1)
    quarter = Period.objects.get(fiscal_year=fiscal_year, kind="quarter", number=1)
    company, teams = company_of_50_teams(chinese_names=True)
    per_team = -(-rows // len(teams))
    password = make_password("bench-password")
    with transaction.atomic():
        people = User.objects.bulk_create(
            [
                User(username=f"p{i:05d}", first_name="明", last_name=f"王{i}", password=password)
                for i in range(rows)
            ],
            batch_size=2000,
        )
        department = User.objects.create(username="dept", password=password)
        hr = User.objects.create(username="hr", password=password)
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=p, role="salesperson") for p in people]
            + [
                RoleAssignment(user=department, role="department"),
                RoleAssignment(user=hr, role="hr"),
            ],
            batch_size=2000,
        )
        Membership.objects.bulk_create(
            [
                Membership(user=p, unit=teams[i // per_team], start_date=fiscal_year.start_date)
                for i, p in enumerate(people)
            ],
            batch_size=2000,
        )
        metric = Metric.objects.create(
            code="revenue", name="Revenue", name_zh="营业收入", unit="currency", source="amount"
        )
        template = AppraisalTemplate.objects.create(
            code="sales",
            version=1,
            name="Sales appraisal",
            name_zh="销售考核",
            period_kind="quarter",
            applies_from=quarter,
        )
        template.units.set([company])
        Dimension.objects.bulk_create(
            [
                Dimension(
                    template=template,
                    position=0,
                    name="Revenue attainment",
                    name_zh="营业收入达成率",
                    weight=Decimal(100),
                    method="attainment",
                    metric=metric,
                )
            ]
        )
        GradeBand.objects.bulk_create(
            [GradeBand(template=template, grade=g, min_score=Decimal(m)) for g, m in GRADES]
        )
        # Published once complete: from then on its parts are fixed.
        AppraisalTemplate.objects.filter(pk=template.pk).update(
            status="published",
            published_at=datetime.datetime(2025, 12, 1, tzinfo=UTC),
            published_by=department,
        )
        cycle = Cycle.objects.create(template=template, period=quarter, opened_by=department)
        cycle.units.set([company])

        statuses = ["finalised", "released", "released", "acknowledged", "acknowledged"]
        statuses += ["acknowledged", "appealed", "resolved", "released", "acknowledged"]
        appraisals = []
        for i, person in enumerate(people):
            status = statuses[i % len(statuses)]
            released = status != "finalised"
            appraisals.append(
                Appraisal(
                    cycle=cycle,
                    person=person,
                    unit=teams[i // per_team],
                    status="finalised",  # version 1 is written while finalised
                    rated_by=department,
                    rated_at=FINALISED_AT,
                    finalised_at=FINALISED_AT,
                    finalised_by=department,
                    released_at=RELEASED_AT if released else None,
                    acknowledged_at=LATER if status == "acknowledged" else None,
                    appealed_at=LATER if status in ("appealed", "resolved") else None,
                    appeal_reason="=the figures" if status in ("appealed", "resolved") else "",
                    resolved_at=LATER if status == "resolved" else None,
                    resolution="changed" if status == "resolved" else "",
                    resolution_reason="Recomputed." if status == "resolved" else "",
                )
            )
        appraisals = Appraisal.objects.bulk_create(appraisals, batch_size=2000)
        firsts, seconds = [], []
        for i, appraisal in enumerate(appraisals):
            score = Decimal(40 + (i * 37) % 80) + Decimal("0.25")
            firsts.append(
                AppraisalResult(
                    appraisal=appraisal,
                    version=1,
                    score=score,
                    grade=_grade(score),
                    working=_working(str(score), _grade(score)),
                    created_by=department,
                )
            )
            if statuses[i % len(statuses)] == "resolved":
                better = score + 5
                seconds.append(
                    AppraisalResult(
                        appraisal=appraisal,
                        version=2,
                        score=better,
                        grade=_grade(better),
                        working=_working(str(better), _grade(better)),
                        reason="-5 points were missing: March answers added",
                        appeal_resolved_at=LATER,
                        created_by=department,
                    )
                )
        AppraisalResult.objects.bulk_create(firsts, batch_size=2000)
        # Then each appraisal moves on to its status; an appeal resolved with a change
        # adds version 2.
        for status in set(statuses) - {"finalised"}:
            ids = [a.pk for i, a in enumerate(appraisals) if statuses[i % len(statuses)] == status]
            Appraisal.objects.filter(pk__in=ids).update(status=status)
        AppraisalResult.objects.bulk_create(seconds, batch_size=2000)
        results = firsts + seconds
    return {"hr": hr, "results": len(results), "appraisals": len(appraisals)}


def _export(client, url: str, file_format: str) -> int:
    response = client.get(url, {"format": file_format})
    assert response.status_code == 200, response.status_code
    size = 0
    for piece in response.streaming_content:
        size += len(piece)
    response.close()
    return size


def _timed(fn, repeat: int) -> dict:
    fn()  # warm up (templates, translations, plans)
    times, cpu = [], []
    for _ in range(repeat):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - start_cpu)
        times.append(time.perf_counter() - start)
    return {
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "median_cpu_s": round(statistics.median(cpu), 3),
    }


def _peak_mb(fn) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round((peak - base) / MB, 1)


def measure(made: dict, repeat: int) -> dict:
    import csv
    import io

    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    hr = Client(SERVER_NAME="localhost")
    hr.force_login(made["hr"])
    url = reverse("appraisal-results:export")

    # The file holds one row per appraisal (the latest version of each).
    response = hr.get(url, {"format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8")
    lines = list(csv.reader(io.StringIO(body[1:])))
    assert len(lines) == made["appraisals"] + 1, (len(lines), made["appraisals"])

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    figures = {
        "database": connection.vendor,
        "appraisals": made["appraisals"],
        "results": made["results"],
        "repeat": repeat,
    }
    sizes = {}
    for file_format in ("csv", "xlsx"):
        sizes[file_format] = _export(hr, url, file_format)
        timing = _timed(lambda f=file_format: _export(hr, url, f), repeat)
        timing["bytes"] = sizes[file_format]
        figures[file_format] = timing
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for file_format in ("csv", "xlsx"):
        figures[file_format]["peak_python_mb"] = _peak_mb(lambda f=file_format: _export(hr, url, f))
    figures["rss_growth_mb"] = round((rss_after - rss_before) / 1024, 1)  # ru_maxrss is KiB
    peak = max(figures["csv"]["peak_python_mb"], figures["xlsx"]["peak_python_mb"])
    figures["goals"] = {
        "csv_le_1s": figures["csv"]["max_s"] <= 1,
        "xlsx_le_3s": figures["xlsx"]["max_s"] <= 3,
        "memory_le_50mb": peak <= 50 and figures["rss_growth_mb"] <= 50,
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="finalised appraisals")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sqlite", action="store_true", help="a new SQLite file in any case")
    args = parser.parse_args()
    vendor, location = _database(args.sqlite)
    secure = {"DJANGO_SECURE_SSL_REDIRECT": "false", "DJANGO_SECURE_COOKIES": "false"}
    if vendor == "postgresql":
        recreate_database(location)
        setup_django(location, **secure)
    else:
        setup_django(None, SQLITE_PATH=location, **secure)
    plain_static_files()

    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)
    started = time.perf_counter()
    made = load(args.rows)
    load_seconds = round(time.perf_counter() - started, 1)
    figures = measure(made, args.repeat)
    figures["load_seconds"] = load_seconds
    print(json.dumps(figures))
    if vendor == "sqlite":
        os.remove(location)
        os.rmdir(os.path.dirname(location))


if __name__ == "__main__":
    main()
