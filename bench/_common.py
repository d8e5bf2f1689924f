"""What the benchmarks share: a PostgreSQL database of their own, created afresh, Django
set up with production settings, and the credits of the loaded sales records."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit, urlunsplit


def postgres_url(database: str) -> str | None:
    """BENCH_DATABASE_URL as it is, else the server of DATABASE_URL with `database`;
    None when neither is a PostgreSQL URL."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    if os.environ.get("BENCH_DATABASE_URL"):
        return url
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def bench_url(database: str) -> str:
    url = postgres_url(database)
    if url is None:
        sys.exit("Set DATABASE_URL (or BENCH_DATABASE_URL) to a PostgreSQL server.")
    return url


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(database_url: str | None, **environ: str) -> None:
    """Production settings (DEBUG off: no query log, cached templates), tasks in-process
    (no REDIS_URL), over `database_url` (None: SQLite, SQLITE_PATH in `environ`); the
    rest of `environ` is set as given."""
    if database_url is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = database_url
        os.environ["DB_POOL"] = "False"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesperf.settings")
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 50)
    os.environ.update(environ)
    import django

    django.setup()


def plain_static_files() -> None:
    """No collectstatic for a benchmark: {% static %} without the hashed manifest."""
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def company_of_50_teams(*, chinese_names: bool = False):
    """The company, 5 regions under it and 10 teams under each; returns the company and
    the 50 teams in order. With `chinese_names`, the company and the teams have them."""
    from org.models import OrgUnit
    from org.services import unit_create

    company = unit_create(
        code="co",
        name="Company",
        name_zh="公司" if chinese_names else "",
        kind=OrgUnit.Kind.COMPANY,
    )
    teams = []
    for r in range(5):
        region = unit_create(
            code=f"r{r}", name=f"Region {r}", kind=OrgUnit.Kind.REGION, parent=company
        )
        for t in range(10):
            teams.append(
                unit_create(
                    code=f"r{r}t{t}",
                    name=f"Team {r}-{t}",
                    name_zh=f"销售{r}-{t}组" if chinese_names else "",
                    kind=OrgUnit.Kind.TEAM,
                    parent=region,
                )
            )
    return company, teams


def generated_records(rest: str) -> str:
    """The insert of generated sales records, `g` the number of each: its product,
    category and amounts (no collection for one in five), then `rest`: the collection
    date, status, external id, period, author and time, and the FROM clause naming `g`,
    `d.day` and the customer `c`. The head has no parameter marks (`%%` stands for `%`)."""
    return _RECORDS_INSERT_HEAD + rest


_RECORDS_INSERT_HEAD = """
            INSERT INTO sales_salesrecord (date, customer_id, product, category, amount,
                quantity, gross_margin, collected_amount, collected_on, status,
                external_id, period_id, created_by_id, created_at)
            SELECT d.day, c.id, 'Product ' || (g %% 7), 'Category ' || (g %% 3),
                   (1000 + (g * 7919) %% 9000)::numeric(18, 2), 1 + g %% 5,
                   (300 + (g * 104729) %% 3000)::numeric(18, 2),
                   CASE WHEN g %% 5 = 0 THEN 0 ELSE (1000 + (g * 7919) %% 9000) END,"""


def with_split_credits(records: str) -> str:
    """`records` (a WITH clause naming `r`: id, date, collected_on, the amounts,
    owner_id, team_id, split, mate_id) and the insert of their credits: the owner's,
    and where `split` half of it for the teammate. The insert has no parameter marks,
    so `records` may have them or not."""
    return records + _SPLIT_CREDITS_INSERT


_SPLIT_CREDITS_INSERT = """
            INSERT INTO sales_salescredit (record_id, person_id, team_id, share_pct, amount,
                gross_margin, quantity, collected_amount, date, collected_on, booked)
            SELECT id, owner_id, team_id, CASE WHEN split THEN 50 ELSE 100 END,
                   CASE WHEN split THEN round(amount / 2, 2) ELSE amount END,
                   CASE WHEN split THEN round(gross_margin / 2, 2) ELSE gross_margin END,
                   CASE WHEN split THEN round(quantity / 2, 2) ELSE quantity END,
                   CASE WHEN split THEN round(collected_amount / 2, 2)
                        ELSE collected_amount END,
                   date, collected_on, true
            FROM r
            UNION ALL
            SELECT id, mate_id, team_id, 50, amount - round(amount / 2, 2),
                   gross_margin - round(gross_margin / 2, 2), quantity - round(quantity / 2, 2),
                   collected_amount - round(collected_amount / 2, 2), date, collected_on, true
            FROM r WHERE split
"""
