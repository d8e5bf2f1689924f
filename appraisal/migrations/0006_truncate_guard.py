"""TRUNCATE refused on the guarded tables while they hold anything final (PostgreSQL).

The row triggers of migrations 0003 and 0005 do not fire on TRUNCATE, so on
PostgreSQL `TRUNCATE appraisal_appraisalresult` (or `TRUNCATE appraisal_appraisal
CASCADE`, which truncates the results, scores, ratings and adjustments with it)
emptied what is final. A BEFORE TRUNCATE statement trigger on each guarded table now
refuses it when the table holds a row the row triggers protect:

- appraisal_appraisalresult: any row (a result is never deleted);
- appraisal_dimensionscore, appraisal_peerrating, appraisal_adjustment: a row of a
  finalised appraisal; appraisal_appraisal: a finalised appraisal;
- appraisal_appraisaltemplate: a published version; appraisal_dimension,
  appraisal_gradeband, appraisal_appraisaltemplate_units: a row of a published one.

A table holding only work in progress (drafts, appraisals not finalised) can still be
truncated, so `manage.py flush` works on a database without final records. The
messages are those of the row triggers. SQLite has no TRUNCATE: its `DELETE FROM t`
without WHERE runs the row triggers (SQLite's truncate optimisation is off on a table
with triggers), so nothing is added there. Tests install these with `install()`.
"""

import importlib

from django.db import migrations



class VendorSQL(importlib.import_module("appraisal.migrations.0003_finalised_guard").VendorSQL):
    def describe(self):
        return "TRUNCATE refused on the guarded tables holding final rows (PostgreSQL)"


MESSAGE_RESULT = "an appraisal result is never changed or deleted"
MESSAGE_ROW = "a finalised appraisal cannot be changed"
MESSAGE_TEMPLATE = "a published appraisal template cannot be changed"

FINALISED = "JOIN appraisal_appraisal a ON a.id = r.appraisal_id WHERE a.finalised_at IS NOT NULL"
PUBLISHED = (
    "JOIN appraisal_appraisaltemplate t ON t.id = r.{column} WHERE t.status = 'published'"
)

# table: (the query finding a final row, the message)
GUARDED = {
    "appraisal_appraisalresult": ("SELECT 1 FROM appraisal_appraisalresult", MESSAGE_RESULT),
    "appraisal_dimensionscore": (f"SELECT 1 FROM appraisal_dimensionscore r {FINALISED}", MESSAGE_ROW),
    "appraisal_peerrating": (f"SELECT 1 FROM appraisal_peerrating r {FINALISED}", MESSAGE_ROW),
    "appraisal_adjustment": (f"SELECT 1 FROM appraisal_adjustment r {FINALISED}", MESSAGE_ROW),
    "appraisal_appraisal": (
        "SELECT 1 FROM appraisal_appraisal WHERE finalised_at IS NOT NULL",
        MESSAGE_ROW,
    ),
    "appraisal_appraisaltemplate": (
        "SELECT 1 FROM appraisal_appraisaltemplate WHERE status = 'published'",
        MESSAGE_TEMPLATE,
    ),
    "appraisal_dimension": (
        "SELECT 1 FROM appraisal_dimension r " + PUBLISHED.format(column="template_id"),
        MESSAGE_TEMPLATE,
    ),
    "appraisal_gradeband": (
        "SELECT 1 FROM appraisal_gradeband r " + PUBLISHED.format(column="template_id"),
        MESSAGE_TEMPLATE,
    ),
    "appraisal_appraisaltemplate_units": (
        "SELECT 1 FROM appraisal_appraisaltemplate_units r "
        + PUBLISHED.format(column="appraisaltemplate_id"),
        MESSAGE_TEMPLATE,
    ),
}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


PG_FORWARD = [
    """
CREATE OR REPLACE FUNCTION appraisal_truncate_guard() RETURNS trigger AS $$
DECLARE
    found boolean;
BEGIN
    -- TG_ARGV[0]: the query finding a final row; TG_ARGV[1]: the message.
    EXECUTE 'SELECT EXISTS (' || TG_ARGV[0] || ')' INTO found;
    IF found THEN
        RAISE EXCEPTION '%', TG_ARGV[1] USING ERRCODE = '23000';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
""",
    *(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION appraisal_truncate_guard({_literal(query)}, {_literal(message)});"
        for table, (query, message) in GUARDED.items()
    ),
]

PG_BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};" for table in GUARDED),
    "DROP FUNCTION IF EXISTS appraisal_truncate_guard();",
]

FORWARD = {"postgresql": PG_FORWARD}
BACKWARD = {"postgresql": PG_BACKWARD}


def install(connection) -> int:
    """Create the triggers on `connection` (PostgreSQL only). Returns the number of
    statements run."""
    statements = FORWARD.get(connection.vendor, [])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return len(statements)


class Migration(migrations.Migration):
    dependencies = [
        ("appraisal", "0005_published_template_guard"),
    ]

    operations = [
        VendorSQL(FORWARD, BACKWARD),
    ]
