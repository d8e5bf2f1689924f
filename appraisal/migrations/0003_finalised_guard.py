"""Database triggers keeping a finalised appraisal fixed, even against raw SQL.

The models already refuse save(), delete() and QuerySet.update()/delete() of a
finalised appraisal's fixed parts (appraisal.models); these triggers refuse the
same writes made past the ORM:

- appraisal_appraisalresult: every UPDATE and DELETE (a result is written once);
- appraisal_dimensionscore, appraisal_peerrating, appraisal_adjustment: INSERT,
  UPDATE and DELETE of a row whose appraisal has finalised_at set;
- appraisal_appraisal: an UPDATE changing cycle_id, person_id, unit_id,
  finalised_at, finalised_by_id, rated_by_id, rated_at or self_submitted_at once
  OLD.finalised_at is set (the workflow columns, status, released_at, appeal...,
  still move on through the services), and the DELETE of a finalised appraisal.

PostgreSQL and SQLite (so that both CI runs test it); other vendors: nothing. The
errors are integrity errors (SQLSTATE 23000 on PostgreSQL, RAISE(ABORT) on SQLite),
so Django raises django.db.IntegrityError on both.

The tests run with --no-migrations: tests/appraisal/test_immutability.py installs
these statements through `install()` inside each test's transaction.
"""

from django.db import migrations

MESSAGE_RESULT = "an appraisal result is never changed or deleted"
MESSAGE_ROW = "a finalised appraisal cannot be changed"

WORKING_TABLES = (
    "appraisal_dimensionscore",
    "appraisal_peerrating",
    "appraisal_adjustment",
)
FIXED_COLUMNS = (
    "cycle_id",
    "person_id",
    "unit_id",
    "finalised_at",
    "finalised_by_id",
    "rated_by_id",
    "rated_at",
    "self_submitted_at",
)


# --- PostgreSQL -------------------------------------------------------------------------------

PG_FORWARD = [
    f"""
CREATE OR REPLACE FUNCTION appraisal_result_fixed() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE_RESULT}' USING ERRCODE = '23000';
END;
$$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER appraisal_result_fixed
BEFORE UPDATE OR DELETE ON appraisal_appraisalresult
FOR EACH ROW EXECUTE FUNCTION appraisal_result_fixed();
""",
    f"""
CREATE OR REPLACE FUNCTION appraisal_working_row_fixed() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
        SELECT 1 FROM appraisal_appraisal
        WHERE id = OLD.appraisal_id AND finalised_at IS NOT NULL
    ) THEN
        RAISE EXCEPTION '{MESSAGE_ROW}' USING ERRCODE = '23000';
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND EXISTS (
        SELECT 1 FROM appraisal_appraisal
        WHERE id = NEW.appraisal_id AND finalised_at IS NOT NULL
    ) THEN
        RAISE EXCEPTION '{MESSAGE_ROW}' USING ERRCODE = '23000';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
""",  # noqa: S608 (constants only)
    *(
        f"""
CREATE TRIGGER {table}_fixed
BEFORE INSERT OR UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION appraisal_working_row_fixed();
"""
        for table in WORKING_TABLES
    ),
    f"""
CREATE OR REPLACE FUNCTION appraisal_appraisal_fixed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.finalised_at IS NOT NULL THEN
            RAISE EXCEPTION '{MESSAGE_ROW}' USING ERRCODE = '23000';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.finalised_at IS NOT NULL AND (
        {" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FIXED_COLUMNS)}
    ) THEN
        RAISE EXCEPTION '{MESSAGE_ROW}' USING ERRCODE = '23000';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER appraisal_appraisal_fixed
BEFORE UPDATE OR DELETE ON appraisal_appraisal
FOR EACH ROW EXECUTE FUNCTION appraisal_appraisal_fixed();
""",
]

PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS appraisal_appraisal_fixed ON appraisal_appraisal;",
    "DROP FUNCTION IF EXISTS appraisal_appraisal_fixed();",
    *(f"DROP TRIGGER IF EXISTS {table}_fixed ON {table};" for table in WORKING_TABLES),
    "DROP FUNCTION IF EXISTS appraisal_working_row_fixed();",
    "DROP TRIGGER IF EXISTS appraisal_result_fixed ON appraisal_appraisalresult;",
    "DROP FUNCTION IF EXISTS appraisal_result_fixed();",
]


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_working(table: str) -> list[str]:
    finalised = "(SELECT finalised_at FROM appraisal_appraisal WHERE id = {row}.appraisal_id)"
    abort = f"BEGIN SELECT RAISE(ABORT, '{MESSAGE_ROW}'); END;"
    return [
        f"CREATE TRIGGER {table}_fixed_insert BEFORE INSERT ON {table} "
        f"WHEN {finalised.format(row='NEW')} IS NOT NULL {abort}",
        f"CREATE TRIGGER {table}_fixed_update BEFORE UPDATE ON {table} "
        f"WHEN {finalised.format(row='OLD')} IS NOT NULL "
        f"OR {finalised.format(row='NEW')} IS NOT NULL {abort}",
        f"CREATE TRIGGER {table}_fixed_delete BEFORE DELETE ON {table} "
        f"WHEN {finalised.format(row='OLD')} IS NOT NULL {abort}",
    ]


SQLITE_FORWARD = [
    "CREATE TRIGGER appraisal_result_fixed_update BEFORE UPDATE ON appraisal_appraisalresult "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE_RESULT}'); END;",
    "CREATE TRIGGER appraisal_result_fixed_delete BEFORE DELETE ON appraisal_appraisalresult "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE_RESULT}'); END;",
    *(statement for table in WORKING_TABLES for statement in _sqlite_working(table)),
    "CREATE TRIGGER appraisal_appraisal_fixed_update BEFORE UPDATE ON appraisal_appraisal "
    "WHEN OLD.finalised_at IS NOT NULL AND ("
    + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FIXED_COLUMNS)
    + f") BEGIN SELECT RAISE(ABORT, '{MESSAGE_ROW}'); END;",
    "CREATE TRIGGER appraisal_appraisal_fixed_delete BEFORE DELETE ON appraisal_appraisal "
    f"WHEN OLD.finalised_at IS NOT NULL BEGIN SELECT RAISE(ABORT, '{MESSAGE_ROW}'); END;",
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS appraisal_result_fixed_update;",
    "DROP TRIGGER IF EXISTS appraisal_result_fixed_delete;",
    *(
        f"DROP TRIGGER IF EXISTS {table}_fixed_{op};"
        for table in WORKING_TABLES
        for op in ("insert", "update", "delete")
    ),
    "DROP TRIGGER IF EXISTS appraisal_appraisal_fixed_update;",
    "DROP TRIGGER IF EXISTS appraisal_appraisal_fixed_delete;",
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


class VendorSQL(migrations.RunSQL):
    """RunSQL whose statements are chosen by the database vendor."""

    def __init__(self, forward: dict, backward: dict):
        self.forward_by_vendor = forward
        self.backward_by_vendor = backward
        super().__init__(sql=[], reverse_sql=[])

    def deconstruct(self):
        # Not serialised into later migrations.
        return (self.__class__.__name__, [self.forward_by_vendor, self.backward_by_vendor], {})

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for statement in self.forward_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for statement in self.backward_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    def describe(self):
        return "Triggers keeping finalised appraisals fixed (PostgreSQL, SQLite)"


class Migration(migrations.Migration):
    dependencies = [
        ("appraisal", "0002_cycles"),
    ]

    operations = [
        VendorSQL(FORWARD, BACKWARD),
    ]
