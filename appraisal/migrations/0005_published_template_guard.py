"""Database triggers keeping a published template version fixed, even against raw SQL.

The services refuse to change a published version and the models refuse it too
(appraisal.models: TemplateQuerySet, TemplatePart, the units m2m_changed guard);
these triggers refuse the same writes made past the ORM:

- appraisal_appraisaltemplate: an UPDATE of a published version changing any column
  but the bookkeeping `created_at` (so published -> draft is refused too, while
  draft -> published, the publication, passes), and the DELETE of a published one;
- its parts that decide how people are scored and who is appraised,
  appraisal_dimension (weights, methods, metrics, curves, rating scales),
  appraisal_gradeband and appraisal_appraisaltemplate_units (the population):
  INSERT, UPDATE and DELETE of a row whose template (before or after) is published.

Drafts stay editable; a new version is a new draft row (template_new_version copies
into it). PostgreSQL and SQLite, integrity errors on both (as in migration 0003).
The simple-history tables are not guarded (they record; the demo dates them).
Tests install these statements with `install()`.
"""

import importlib

from django.db import migrations



class VendorSQL(importlib.import_module("appraisal.migrations.0003_finalised_guard").VendorSQL):
    def describe(self):
        return "Triggers keeping published templates fixed (PostgreSQL, SQLite)"


MESSAGE = "a published appraisal template cannot be changed"

TEMPLATE = "appraisal_appraisaltemplate"
# The parts and the column naming their template.
PARTS = (
    ("appraisal_dimension", "template_id"),
    ("appraisal_gradeband", "template_id"),
    ("appraisal_appraisaltemplate_units", "appraisaltemplate_id"),
)
# Every column of a published version but the bookkeeping created_at.
FIXED_COLUMNS = (
    "id",
    "code",
    "version",
    "name",
    "name_zh",
    "description",
    "period_kind",
    "applies_from_id",
    "status",
    "published_at",
    "published_by_id",
)


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_part(table: str, column: str) -> list[str]:
    function = f"{table}_published_fixed"
    published = f"SELECT 1 FROM {TEMPLATE} WHERE id = {{row}}.{column} AND status = 'published'"
    return [
        f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS ({published.format(row="OLD")}) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23000';
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND EXISTS ({published.format(row="NEW")}) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23000';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
""",
        f"CREATE TRIGGER {function} BEFORE INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}();",
    ]


PG_FORWARD = [
    f"""
CREATE OR REPLACE FUNCTION appraisal_template_published_fixed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'published' THEN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23000';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'published' AND (
        {" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FIXED_COLUMNS)}
    ) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23000';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
""",
    f"CREATE TRIGGER appraisal_template_published_fixed BEFORE UPDATE OR DELETE ON {TEMPLATE} "
    "FOR EACH ROW EXECUTE FUNCTION appraisal_template_published_fixed();",
    *(statement for table, column in PARTS for statement in _pg_part(table, column)),
]

PG_BACKWARD = [
    *(
        statement
        for table, _column in PARTS
        for statement in (
            f"DROP TRIGGER IF EXISTS {table}_published_fixed ON {table};",
            f"DROP FUNCTION IF EXISTS {table}_published_fixed();",
        )
    ),
    f"DROP TRIGGER IF EXISTS appraisal_template_published_fixed ON {TEMPLATE};",
    "DROP FUNCTION IF EXISTS appraisal_template_published_fixed();",
]


# --- SQLite -------------------------------------------------------------------------------------

ABORT = f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"


def _sqlite_part(table: str, column: str) -> list[str]:
    published = f"(SELECT status FROM {TEMPLATE} WHERE id = {{row}}.{column}) = 'published'"
    return [
        f"CREATE TRIGGER {table}_published_insert BEFORE INSERT ON {table} "
        f"WHEN {published.format(row='NEW')} {ABORT}",
        f"CREATE TRIGGER {table}_published_update BEFORE UPDATE ON {table} "
        f"WHEN {published.format(row='OLD')} OR {published.format(row='NEW')} {ABORT}",
        f"CREATE TRIGGER {table}_published_delete BEFORE DELETE ON {table} "
        f"WHEN {published.format(row='OLD')} {ABORT}",
    ]


SQLITE_FORWARD = [
    f"CREATE TRIGGER appraisal_template_published_update BEFORE UPDATE ON {TEMPLATE} "
    "WHEN OLD.status = 'published' AND ("
    + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FIXED_COLUMNS)
    + f") {ABORT}",
    f"CREATE TRIGGER appraisal_template_published_delete BEFORE DELETE ON {TEMPLATE} "
    f"WHEN OLD.status = 'published' {ABORT}",
    *(statement for table, column in PARTS for statement in _sqlite_part(table, column)),
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS appraisal_template_published_update;",
    "DROP TRIGGER IF EXISTS appraisal_template_published_delete;",
    *(
        f"DROP TRIGGER IF EXISTS {table}_published_{op};"
        for table, _column in PARTS
        for op in ("insert", "update", "delete")
    ),
]

FORWARD = {"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}
BACKWARD = {"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}


def install(connection) -> int:
    """Create the triggers on `connection` (its vendor's statements; none for other
    vendors). Returns the number of statements run."""
    statements = FORWARD.get(connection.vendor, [])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return len(statements)


class Migration(migrations.Migration):
    dependencies = [
        ("appraisal", "0004_result_from_appeal"),
    ]

    operations = [
        VendorSQL(FORWARD, BACKWARD),
    ]
