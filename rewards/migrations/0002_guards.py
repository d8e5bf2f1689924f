"""Database triggers keeping published plans and approved decisions fixed, even against
raw SQL (the models refuse the same writes through the ORM: core.frozen).

- rewards_incentiveplan: an UPDATE of a published version (but its `created_at`), its
  DELETE; its population (rewards_incentiveplan_units), components, penalty rules and
  target incentives: INSERT, UPDATE and DELETE of a row of a published version;
- rewards_decision: once approved (status neither `waiting` nor `proposed`), an UPDATE
  of its figures or owners, a move back to an open status, and its DELETE; its
  adjustments: INSERT, UPDATE and DELETE of a row of an approved decision;
- rewards_decisionversion: every UPDATE and DELETE.

PostgreSQL and SQLite (so that both CI runs test it); other vendors: nothing. The errors
are integrity errors (SQLSTATE 23000 on PostgreSQL, RAISE(ABORT) on SQLite), so Django
raises IntegrityError. The tests run with --no-migrations: tests/rewards/test_immutability.py
installs these statements through `install()`.
"""

from django.db import migrations

PLAN_PUBLISHED = "a published incentive plan cannot be changed"
DECISION_APPROVED = "an approved bonus decision cannot be changed"
VERSION_FIXED = "a bonus decision version is never changed or deleted"

OPEN = "('waiting', 'proposed')"
PLAN_FIXED_COLUMNS = (
    "code",
    "version",
    "name",
    "name_zh",
    "description",
    "period_kind",
    "applies_from_id",
    "currency",
    "target_mode",
    "target_amount",
    "cap",
    "multipliers",
    "min_days",
    "status",
    "published_at",
    "published_by_id",
)
DECISION_FIXED_COLUMNS = (
    "plan_id",
    "period_id",
    "person_id",
    "unit_id",
    "waiting_for",
    "working",
    "target_incentive",
    "total",
    "hold_periods",
    "computed_at",
    "approved_at",
    "approved_by_id",
)
# (table, the column naming the parent, the condition on the parent that fixes the row)
PARTS = (
    ("rewards_plancomponent", "plan_id", "rewards_incentiveplan", "status = 'published'"),
    ("rewards_penaltyrule", "plan_id", "rewards_incentiveplan", "status = 'published'"),
    ("rewards_targetincentive", "plan_id", "rewards_incentiveplan", "status = 'published'"),
    (
        "rewards_incentiveplan_units",
        "incentiveplan_id",
        "rewards_incentiveplan",
        "status = 'published'",
    ),
    ("rewards_lineadjustment", "decision_id", "rewards_decision", f"status NOT IN {OPEN}"),
)
MESSAGE_OF_PARENT = {
    "rewards_incentiveplan": PLAN_PUBLISHED,
    "rewards_decision": DECISION_APPROVED,
}


def _changed(columns, distinct: str) -> str:
    return " OR ".join(f"NEW.{c} {distinct} OLD.{c}" for c in columns)


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_raise(message: str) -> str:
    return f"RAISE EXCEPTION '{message}' USING ERRCODE = '23000';"


def _pg_part(table: str, column: str, parent: str, fixed: str) -> list[str]:
    function = f"{table}_fixed"
    row = "SELECT 1 FROM {parent} WHERE id = {{row}}.{column} AND {fixed}".format(
        parent=parent, column=column, fixed=fixed
    )
    message = MESSAGE_OF_PARENT[parent]
    return [
        f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS ({row.format(row="OLD")}) THEN
        {_pg_raise(message)}
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND EXISTS ({row.format(row="NEW")}) THEN
        {_pg_raise(message)}
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
CREATE OR REPLACE FUNCTION rewards_incentiveplan_fixed() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'published' THEN
        IF TG_OP = 'DELETE' OR {_changed(PLAN_FIXED_COLUMNS, "IS DISTINCT FROM")} THEN
            {_pg_raise(PLAN_PUBLISHED)}
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
""",
    "CREATE TRIGGER rewards_incentiveplan_fixed BEFORE UPDATE OR DELETE ON "
    "rewards_incentiveplan FOR EACH ROW EXECUTE FUNCTION rewards_incentiveplan_fixed();",
    f"""
CREATE OR REPLACE FUNCTION rewards_decision_fixed() RETURNS trigger AS $$
BEGIN
    IF OLD.status NOT IN {OPEN} THEN
        IF TG_OP = 'DELETE' OR NEW.status IN {OPEN}
            OR {_changed(DECISION_FIXED_COLUMNS, "IS DISTINCT FROM")} THEN
            {_pg_raise(DECISION_APPROVED)}
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
""",
    "CREATE TRIGGER rewards_decision_fixed BEFORE UPDATE OR DELETE ON rewards_decision "
    "FOR EACH ROW EXECUTE FUNCTION rewards_decision_fixed();",
    f"""
CREATE OR REPLACE FUNCTION rewards_decisionversion_fixed() RETURNS trigger AS $$
BEGIN
    {_pg_raise(VERSION_FIXED)}
END;
$$ LANGUAGE plpgsql;
""",
    "CREATE TRIGGER rewards_decisionversion_fixed BEFORE UPDATE OR DELETE ON "
    "rewards_decisionversion FOR EACH ROW EXECUTE FUNCTION rewards_decisionversion_fixed();",
    # TRUNCATE fires no row trigger: refused whole on the fixed tables.
    "CREATE TRIGGER rewards_decisionversion_truncate BEFORE TRUNCATE ON "
    "rewards_decisionversion EXECUTE FUNCTION rewards_decisionversion_fixed();",
    *(statement for part in PARTS for statement in _pg_part(*part)),
]

PG_BACKWARD = [
    *(
        statement
        for table, *_ in PARTS
        for statement in (
            f"DROP TRIGGER IF EXISTS {table}_fixed ON {table};",
            f"DROP FUNCTION IF EXISTS {table}_fixed();",
        )
    ),
    "DROP TRIGGER IF EXISTS rewards_decisionversion_truncate ON rewards_decisionversion;",
    "DROP TRIGGER IF EXISTS rewards_decisionversion_fixed ON rewards_decisionversion;",
    "DROP FUNCTION IF EXISTS rewards_decisionversion_fixed();",
    "DROP TRIGGER IF EXISTS rewards_decision_fixed ON rewards_decision;",
    "DROP FUNCTION IF EXISTS rewards_decision_fixed();",
    "DROP TRIGGER IF EXISTS rewards_incentiveplan_fixed ON rewards_incentiveplan;",
    "DROP FUNCTION IF EXISTS rewards_incentiveplan_fixed();",
]


# --- SQLite -------------------------------------------------------------------------------------


def _abort(message: str) -> str:
    return f"BEGIN SELECT RAISE(ABORT, '{message}'); END;"


def _sqlite_part(table: str, column: str, parent: str, fixed: str) -> list[str]:
    row = "EXISTS (SELECT 1 FROM {parent} WHERE id = {{row}}.{column} AND {fixed})".format(
        parent=parent, column=column, fixed=fixed
    )
    abort = _abort(MESSAGE_OF_PARENT[parent])
    return [
        f"CREATE TRIGGER {table}_fixed_insert BEFORE INSERT ON {table} "
        f"WHEN {row.format(row='NEW')} {abort}",
        f"CREATE TRIGGER {table}_fixed_update BEFORE UPDATE ON {table} "
        f"WHEN {row.format(row='OLD')} OR {row.format(row='NEW')} {abort}",
        f"CREATE TRIGGER {table}_fixed_delete BEFORE DELETE ON {table} "
        f"WHEN {row.format(row='OLD')} {abort}",
    ]


SQLITE_FORWARD = [
    "CREATE TRIGGER rewards_incentiveplan_fixed_update BEFORE UPDATE ON rewards_incentiveplan "
    f"WHEN OLD.status = 'published' AND ({_changed(PLAN_FIXED_COLUMNS, 'IS NOT')}) "
    + _abort(PLAN_PUBLISHED),
    "CREATE TRIGGER rewards_incentiveplan_fixed_delete BEFORE DELETE ON rewards_incentiveplan "
    "WHEN OLD.status = 'published' " + _abort(PLAN_PUBLISHED),
    "CREATE TRIGGER rewards_decision_fixed_update BEFORE UPDATE ON rewards_decision "
    f"WHEN OLD.status NOT IN {OPEN} AND (NEW.status IN {OPEN} OR "
    f"{_changed(DECISION_FIXED_COLUMNS, 'IS NOT')}) " + _abort(DECISION_APPROVED),
    "CREATE TRIGGER rewards_decision_fixed_delete BEFORE DELETE ON rewards_decision "
    f"WHEN OLD.status NOT IN {OPEN} " + _abort(DECISION_APPROVED),
    "CREATE TRIGGER rewards_decisionversion_fixed_update BEFORE UPDATE ON "
    "rewards_decisionversion " + _abort(VERSION_FIXED),
    "CREATE TRIGGER rewards_decisionversion_fixed_delete BEFORE DELETE ON "
    "rewards_decisionversion " + _abort(VERSION_FIXED),
    *(statement for part in PARTS for statement in _sqlite_part(*part)),
]

SQLITE_BACKWARD = [
    *(
        f"DROP TRIGGER IF EXISTS {table}_fixed_{op};"
        for table, *_ in PARTS
        for op in ("insert", "update", "delete")
    ),
    "DROP TRIGGER IF EXISTS rewards_decisionversion_fixed_update;",
    "DROP TRIGGER IF EXISTS rewards_decisionversion_fixed_delete;",
    "DROP TRIGGER IF EXISTS rewards_decision_fixed_update;",
    "DROP TRIGGER IF EXISTS rewards_decision_fixed_delete;",
    "DROP TRIGGER IF EXISTS rewards_incentiveplan_fixed_update;",
    "DROP TRIGGER IF EXISTS rewards_incentiveplan_fixed_delete;",
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


def forwards(apps, schema_editor):
    for statement in FORWARD.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    for statement in BACKWARD.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("rewards", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
