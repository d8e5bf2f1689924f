"""Where an appraisal result version comes from, checked in the database too.

Version 1 is written by the finalisation; a later version only by the resolution of
the appraisal's appeal with the outcome "changed" (an appraisal has one appeal).
Before this migration any INSERT passed, so a second version could be added to a
released appraisal that was never appealed. Now:

- `appeal_resolved_at` names the appeal resolution a version answers (the
  appraisal's `resolved_at`); existing later versions get it from their appraisal
  (refused, with the rows named, when an existing later version answers no appeal
  resolved with a change: such a row must be looked at by hand);
- CHECK `appraisal_result_from_appeal`: version 1 has none, every later one has it;
  UNIQUE `appraisal_result_one_per_appeal`: one version per resolution;
- a BEFORE INSERT trigger (PostgreSQL and SQLite) refuses, in this order: a version
  that is not the latest + 1; a version 1 unless the appraisal's status is
  `finalised` (the finalisation sets it before writing the result) or that names an
  appeal; a later version unless the appraisal is `resolved` with `changed` at the
  very `resolved_at` it names; a second version for the same resolution.

Same messages as appraisal.models (AppraisalResult.check_new). The UPDATE/DELETE
triggers of migration 0003 are suspended while the existing rows are linked (on
SQLite they are recreated: adding the constraints rebuilds the table, which drops
its triggers). Tests install the INSERT trigger with `install()`.
"""

import importlib

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

guard = importlib.import_module("appraisal.migrations.0003_finalised_guard")


class VendorSQL(guard.VendorSQL):
    def describe(self):
        return "Triggers on appraisal results (PostgreSQL, SQLite)"


RESULT_NEXT_VERSION = "an appraisal result version must follow the latest one"
RESULT_FROM_FINALISATION = "version 1 of an appraisal result is written by its finalisation only"
RESULT_FROM_APPEAL = (
    "a later appraisal result version comes only from an appeal resolved with a change"
)
RESULT_ONE_PER_APPEAL = "the appeal already has its appraisal result version"

TABLE = "appraisal_appraisalresult"

# The conditions, in the order they are checked (NEW is the row inserted).
NOT_NEXT = (
    f"NEW.version IS DISTINCT FROM (SELECT COALESCE(MAX(version), 0) + 1 FROM {TABLE} "
    "WHERE appraisal_id = NEW.appraisal_id)"
)
NOT_FROM_FINALISATION = (
    "NEW.version = 1 AND (NEW.appeal_resolved_at IS NOT NULL OR NOT EXISTS ("
    "SELECT 1 FROM appraisal_appraisal WHERE id = NEW.appraisal_id AND status = 'finalised'))"
)
NOT_FROM_APPEAL = (
    "NEW.version <> 1 AND (NEW.appeal_resolved_at IS NULL OR NOT EXISTS ("
    "SELECT 1 FROM appraisal_appraisal WHERE id = NEW.appraisal_id AND status = 'resolved' "
    "AND resolution = 'changed' AND resolved_at = NEW.appeal_resolved_at))"
)
ANSWERED = (
    f"NEW.version <> 1 AND EXISTS (SELECT 1 FROM {TABLE} WHERE appraisal_id = NEW.appraisal_id "
    "AND appeal_resolved_at = NEW.appeal_resolved_at)"
)
CHECKS = [
    (NOT_NEXT, RESULT_NEXT_VERSION),
    (NOT_FROM_FINALISATION, RESULT_FROM_FINALISATION),
    (NOT_FROM_APPEAL, RESULT_FROM_APPEAL),
    (ANSWERED, RESULT_ONE_PER_APPEAL),
]


# --- PostgreSQL -------------------------------------------------------------------------------

PG_INSERT = [
    "CREATE OR REPLACE FUNCTION appraisal_result_insert() RETURNS trigger AS $$\nBEGIN\n"
    + "".join(
        f"    IF {condition} THEN\n"
        f"        RAISE EXCEPTION '{message}' USING ERRCODE = '23000';\n"
        "    END IF;\n"
        for condition, message in CHECKS
    )
    + "    RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;",
    f"CREATE TRIGGER appraisal_result_insert BEFORE INSERT ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION appraisal_result_insert();",
]
PG_INSERT_DROP = [
    f"DROP TRIGGER IF EXISTS appraisal_result_insert ON {TABLE};",
    "DROP FUNCTION IF EXISTS appraisal_result_insert();",
]
PG_SUSPEND = [f"ALTER TABLE {TABLE} DISABLE TRIGGER appraisal_result_fixed;"]
PG_RESUME = [f"ALTER TABLE {TABLE} ENABLE TRIGGER appraisal_result_fixed;"]


# --- SQLite -------------------------------------------------------------------------------------

# One trigger whose statements run in order: the first condition that holds aborts.
SQLITE_INSERT = [
    f"CREATE TRIGGER appraisal_result_insert BEFORE INSERT ON {TABLE} BEGIN "
    + " ".join(
        f"SELECT RAISE(ABORT, '{message}') WHERE "
        f"{condition.replace('IS DISTINCT FROM', 'IS NOT')};"
        for condition, message in CHECKS
    )
    + " END;"
]
SQLITE_INSERT_DROP = ["DROP TRIGGER IF EXISTS appraisal_result_insert;"]
# Migration 0003's triggers on the table (rebuilt by AddConstraint on SQLite).
SQLITE_FIXED = [s for s in guard.SQLITE_FORWARD if f" ON {TABLE} " in s]
SQLITE_FIXED_DROP = [
    "DROP TRIGGER IF EXISTS appraisal_result_fixed_update;",
    "DROP TRIGGER IF EXISTS appraisal_result_fixed_delete;",
]

SUSPEND = {"postgresql": PG_SUSPEND, "sqlite": SQLITE_FIXED_DROP}
RESUME = {"postgresql": PG_RESUME, "sqlite": SQLITE_FIXED_DROP + SQLITE_FIXED}
FORWARD = {"postgresql": PG_INSERT, "sqlite": SQLITE_INSERT}
BACKWARD = {"postgresql": PG_INSERT_DROP, "sqlite": SQLITE_INSERT_DROP}


def install(connection) -> int:
    """Create the INSERT trigger on `connection` (migration 0003's install() creates
    the others). Returns the number of statements run."""
    statements = FORWARD.get(connection.vendor, [])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return len(statements)


def link_appeal_versions(apps, schema_editor):
    """Each existing later version names the resolution of its appraisal's appeal."""
    Result = apps.get_model("appraisal", "AppraisalResult")
    Appraisal = apps.get_model("appraisal", "Appraisal")
    db = schema_editor.connection.alias
    later = Result.objects.using(db).filter(version__gt=1)
    unanswered = later.exclude(
        appraisal__status="resolved",
        appraisal__resolution="changed",
        appraisal__resolved_at__isnull=False,
    )
    repeated = later.exclude(version=2)  # an appraisal has one appeal, so one later version
    problems = [
        f"result {pk} (appraisal {appraisal_id}, version {version})"
        for pk, appraisal_id, version in (unanswered | repeated)
        .order_by("appraisal_id", "version")
        .values_list("pk", "appraisal_id", "version")
    ]
    if problems:
        raise RuntimeError(
            "These appraisal results are later versions that no appeal resolved with a "
            "change produced (or a second one for the same appeal); look at them before "
            "migrating, since a result is never deleted by a migration: " + "; ".join(problems)
        )
    later.update(
        appeal_resolved_at=Subquery(
            Appraisal.objects.using(db).filter(pk=OuterRef("appraisal_id")).values("resolved_at")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("appraisal", "0003_finalised_guard"),
    ]

    operations = [
        VendorSQL(SUSPEND, RESUME),
        migrations.AddField(
            model_name="appraisalresult",
            name="appeal_resolved_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="appeal resolved at"),
        ),
        migrations.RunPython(link_appeal_versions, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="appraisalresult",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("appeal_resolved_at__isnull", True), ("version", 1)),
                    models.Q(("appeal_resolved_at__isnull", False), ("version__gt", 1)),
                    _connector="OR",
                ),
                name="appraisal_result_from_appeal",
            ),
        ),
        migrations.AddConstraint(
            model_name="appraisalresult",
            constraint=models.UniqueConstraint(
                fields=("appraisal", "appeal_resolved_at"), name="appraisal_result_one_per_appeal"
            ),
        ),
        VendorSQL(
            {
                "postgresql": PG_RESUME + PG_INSERT,
                "sqlite": SQLITE_FIXED_DROP + SQLITE_FIXED + SQLITE_INSERT,
            },
            {
                "postgresql": PG_INSERT_DROP + PG_SUSPEND,
                "sqlite": SQLITE_INSERT_DROP + SQLITE_FIXED_DROP,
            },
        ),
    ]
