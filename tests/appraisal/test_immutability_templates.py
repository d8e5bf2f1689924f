"""A published template version stays fixed on every path: model save()/delete(),
QuerySet update()/delete(), bulk_create()/bulk_update(), the population's
units.add/remove/set/clear, raw SQL (the triggers of migration 0005, on SQLite and on
PostgreSQL) and TRUNCATE (migration 0006, PostgreSQL). Drafts stay editable, and a
new version (a draft copy) is made and published as before.

The tests run with --no-migrations, so the `triggers` fixture (conftest.py) installs
the migrations' own statements (`install()`) inside the test's transaction.
"""

from __future__ import annotations

import copy
import datetime
import re
from decimal import Decimal as D

import pytest
from django.db import connection, transaction
from django.utils import timezone

from appraisal.models import (
    TEMPLATE_PUBLISHED,
    AppraisalTemplate,
    Dimension,
    FinalisedError,
    GradeBand,
)
from appraisal.template import services
from core.errors import DomainError
from tests.appraisal.helpers import (
    LINEAR_CURVE,
    TODAY,
    make_draft,
    make_published,
    make_year,
    sql_refused,
    sql_runs,
)

Units = AppraisalTemplate.units.through

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only"
)


@pytest.fixture
def versions(org):
    """v1 published (four dimensions, five grade bands, the whole company), v2 its draft
    copy (applying from Q2 2026)."""
    make_year()
    v1 = make_published(org)
    v2 = services.template_new_version(template=v1, acting_user=org.department, today=TODAY)
    return v1, v2


def _refuses(write) -> None:
    # In a savepoint: units.add() & co. refuse inside their own transaction block.
    with pytest.raises(FinalisedError, match=re.escape(TEMPLATE_PUBLISHED)), transaction.atomic():
        write()


def _parts(template) -> tuple:
    """What decides how people are scored and who is appraised, as stored."""
    template = AppraisalTemplate.objects.get(pk=template.pk)
    return (
        [
            (f.name, getattr(template, f.attname))
            for f in AppraisalTemplate._meta.concrete_fields
            if f.name != "created_at"
        ],
        sorted(template.units.values_list("pk", flat=True)),
        list(
            template.dimensions.order_by("pk").values_list(
                "pk",
                "position",
                "name",
                "name_zh",
                "weight",
                "method",
                "metric_id",
                "curve",
                "scale",
                "rated_by_peers",
                "rated_by_self",
            )
        ),
        list(template.grades.order_by("pk").values_list("pk", "grade", "min_score", "label")),
    )


# --- models ---------------------------------------------------------------------------------


def test_a_published_version_refuses_save_and_delete(org, versions):
    v1, _v2 = versions
    before = _parts(v1)
    for field, value in [
        ("name", "Renamed"),
        ("description", "Other rules."),
        ("period_kind", "month"),
        ("applies_from", make_year().quarters[1]),
        ("status", AppraisalTemplate.Status.DRAFT),
        ("published_at", timezone.now()),
        ("published_by", org.supervisor),
        ("code", "other"),
        ("version", 7),
    ]:
        template = AppraisalTemplate.objects.get(pk=v1.pk)
        setattr(template, field, value)
        _refuses(template.save)
    _refuses(AppraisalTemplate.objects.get(pk=v1.pk).delete)
    # nothing changed; saving it unchanged, or its bookkeeping created_at, is harmless
    AppraisalTemplate.objects.get(pk=v1.pk).save()
    template = AppraisalTemplate.objects.get(pk=v1.pk)
    template.created_at = timezone.now() - datetime.timedelta(days=30)
    template.save()
    assert _parts(v1) == before


def test_a_published_version_refuses_queryset_writes(org, versions):
    v1, v2 = versions
    before = _parts(v1)
    published = AppraisalTemplate.objects.filter(pk=v1.pk)
    _refuses(lambda: published.update(name="Renamed"))
    _refuses(lambda: published.update(status="draft"))
    _refuses(lambda: AppraisalTemplate.objects.all().update(description="x"))  # v1 among them
    _refuses(published.delete)
    template = AppraisalTemplate.objects.get(pk=v1.pk)
    template.name = "Renamed"
    _refuses(lambda: AppraisalTemplate.objects.bulk_update([template], ["name"]))
    # the bookkeeping created_at may be set (the demo dates its draft)
    drafted = timezone.now() - datetime.timedelta(days=30)
    assert published.update(created_at=drafted) == 1
    assert AppraisalTemplate.objects.get(pk=v1.pk).created_at == drafted
    assert _parts(v1) == before
    # the draft moves freely
    assert AppraisalTemplate.objects.filter(pk=v2.pk).update(description="Next year.") == 1


def test_a_published_population_is_fixed(org, versions):
    v1, v2 = versions
    _refuses(lambda: v1.units.add(org.east))
    _refuses(lambda: v1.units.remove(org.company))
    _refuses(lambda: v1.units.set([org.east]))
    _refuses(v1.units.clear)
    assert list(v1.units.all()) == [org.company]
    v2.units.set([org.east, org.south])  # a draft's population changes
    assert set(v2.units.all()) == {org.east, org.south}


def test_published_dimensions_and_bands_refuse_every_orm_write(org, versions):
    v1, v2 = versions
    before = _parts(v1)
    dimension = v1.dimensions.order_by("position").first()
    band = v1.grades.order_by("min_score").first()
    # save() and delete() of a row
    dimension.weight = D("45")
    _refuses(dimension.save)
    _refuses(dimension.delete)
    band.min_score = D("1")
    _refuses(band.save)
    _refuses(band.delete)
    # a new row, one by one or in bulk
    new_dimension = Dimension(
        template=v1, name="Extra", name_zh="附加", weight=D("5"), method="rated"
    )
    _refuses(new_dimension.save)
    _refuses(lambda: Dimension.objects.bulk_create([new_dimension]))
    new_band = GradeBand(template=v1, grade="E", min_score=D("10"))
    _refuses(new_band.save)
    _refuses(lambda: GradeBand.objects.bulk_create([new_band]))
    # QuerySet update() and delete(), bulk_update()
    for qs, change in (
        (Dimension.objects.filter(template=v1), {"weight": D("1")}),
        (Dimension.objects.all(), {"rated_by_peers": False}),  # v1's rows among them
        (GradeBand.objects.filter(template=v1), {"label": "x"}),
    ):
        _refuses(lambda qs=qs, change=change: qs.update(**change))
        _refuses(qs.delete)
    _refuses(lambda: Dimension.objects.bulk_update([dimension], ["weight"]))
    _refuses(lambda: GradeBand.objects.bulk_update([band], ["min_score"]))
    # a draft's row moved into the published version
    draft_dimension = v2.dimensions.order_by("position").first()
    draft_dimension.template = v1
    _refuses(draft_dimension.save)
    _refuses(lambda: Dimension.objects.bulk_update([draft_dimension], ["template"]))
    _refuses(lambda: Dimension.objects.filter(pk=draft_dimension.pk).update(template=v1))
    _refuses(lambda: GradeBand.objects.filter(template=v2).update(template_id=v1.pk))
    assert _parts(v1) == before


def test_a_draft_stays_editable_and_publishes_into_a_fixed_version(org, versions):
    v1, v2 = versions
    before = _parts(v1)
    # the draft copy has v1's parts
    assert v2.status == AppraisalTemplate.Status.DRAFT
    assert v2.dimensions.count() == 4 and v2.grades.count() == 5
    # every write path works on the draft
    revenue = v2.dimensions.get(method="attainment")
    revenue.weight = D("45")
    revenue.save()
    Dimension.objects.filter(template=v2, method="satisfaction").update(weight=D("25"))
    band = v2.grades.get(grade="S")
    band.label = "Star"
    band.save()
    GradeBand.objects.filter(template=v2, grade="S").delete()
    GradeBand.objects.bulk_create([GradeBand(template=v2, grade="S", min_score=D("115"))])
    services.dimension_save(
        template=v2,
        dimension=v2.dimensions.get(name="Work attitude"),
        rated_by_self=True,
        acting_user=org.department,
    )
    assert sum(d.weight for d in v2.dimensions.all()) == D("100")
    services.template_publish(template=v2, acting_user=org.department, today=TODAY)
    # published: fixed like v1, which has not changed
    _refuses(lambda: Dimension.objects.filter(template=v2).update(weight=D("1")))
    with pytest.raises(DomainError, match="Version 2 of Sales performance appraisal is published"):
        services.dimension_save(
            template=v2, dimension=revenue, weight=D("50"), acting_user=org.department
        )
    assert _parts(v1) == before


def test_publishing_records_the_moment_given(org):
    make_year()
    draft = make_draft(org)
    moment = timezone.make_aware(datetime.datetime(2025, 11, 20, 9, 30))
    published = services.template_publish(
        template=draft, acting_user=org.department, today=moment.date(), now=moment
    )
    assert AppraisalTemplate.objects.get(pk=published.pk).published_at == moment


# --- raw SQL: the database triggers ---------------------------------------------------------


def _refused(sql: str, params=()) -> None:
    sql_refused(sql, params, TEMPLATE_PUBLISHED)


def test_raw_sql_refused_on_a_published_version(org, versions, triggers):
    v1, v2 = versions
    before = _parts(v1)
    year = make_year()
    now = timezone.now()
    dimension = v1.dimensions.order_by("position").first()
    band = v1.grades.order_by("min_score").first()
    # the version's own columns (published -> draft included), and deleting it
    for column, value in [
        ("code", "other"),
        ("version", 7),
        ("name", "Renamed"),
        ("name_zh", "改名"),
        ("description", "Other rules."),
        ("period_kind", "month"),
        ("applies_from_id", year.quarters[1].pk),
        ("status", "draft"),
        ("published_at", now),
        ("published_by_id", org.supervisor.pk),
    ]:
        _refused(
            f"UPDATE appraisal_appraisaltemplate SET {column} = %s WHERE id = %s", [value, v1.pk]
        )
    _refused("DELETE FROM appraisal_appraisaltemplate WHERE id = %s", [v1.pk])
    # its dimensions: weights, methods, curves, rating scales, ...
    for assignment in (
        "weight = 1",
        "method = 'training'",
        "curve = '{}'",
        "scale = '[]'",
        "rated_by_peers = NOT rated_by_peers",
        "position = 9",
    ):
        _refused(f"UPDATE appraisal_dimension SET {assignment} WHERE id = %s", [dimension.pk])
    _refused("DELETE FROM appraisal_dimension WHERE id = %s", [dimension.pk])
    _refused(
        "INSERT INTO appraisal_dimension (template_id, position, name, name_zh, weight, method, "
        "curve, scale, rated_by_peers, rated_by_self) "
        "VALUES (%s, 9, 'Extra', '附加', 5, 'rated', '{}', '[]', FALSE, FALSE)",
        [v1.pk],
    )
    # its grade bands
    _refused("UPDATE appraisal_gradeband SET min_score = 1 WHERE id = %s", [band.pk])
    _refused("DELETE FROM appraisal_gradeband WHERE id = %s", [band.pk])
    _refused(
        "INSERT INTO appraisal_gradeband (template_id, grade, min_score, label, label_zh) "
        "VALUES (%s, 'E', 10, '', '')",
        [v1.pk],
    )
    # its population
    _refused(
        "INSERT INTO appraisal_appraisaltemplate_units (appraisaltemplate_id, orgunit_id) "
        "VALUES (%s, %s)",
        [v1.pk, org.east.pk],
    )
    _refused(
        "DELETE FROM appraisal_appraisaltemplate_units WHERE appraisaltemplate_id = %s", [v1.pk]
    )
    _refused(
        "UPDATE appraisal_appraisaltemplate_units SET orgunit_id = %s "
        "WHERE appraisaltemplate_id = %s",
        [org.east.pk, v1.pk],
    )
    # a draft's rows moved into the published version
    _refused(
        "UPDATE appraisal_dimension SET template_id = %s WHERE template_id = %s", [v1.pk, v2.pk]
    )
    _refused(
        "UPDATE appraisal_gradeband SET template_id = %s WHERE template_id = %s", [v1.pk, v2.pk]
    )
    _refused(
        "UPDATE appraisal_appraisaltemplate_units SET appraisaltemplate_id = %s "
        "WHERE appraisaltemplate_id = %s",
        [v1.pk, v2.pk],
    )
    # emptying the tables (SQLite has no TRUNCATE: DELETE without WHERE)
    for table in ("dimension", "gradeband", "appraisaltemplate_units", "appraisaltemplate"):
        _refused(f"DELETE FROM appraisal_{table}")
    assert _parts(v1) == before


def test_raw_sql_allowed_where_it_should_be(org, versions, triggers):
    v1, v2 = versions
    # the bookkeeping created_at of a published version
    drafted = timezone.now() - datetime.timedelta(days=30)
    assert (
        sql_runs(
            "UPDATE appraisal_appraisaltemplate SET created_at = %s WHERE id = %s", [drafted, v1.pk]
        )
        == 1
    )
    # a draft: its columns, dimensions, bands and population
    assert (
        sql_runs("UPDATE appraisal_appraisaltemplate SET name = 'Next' WHERE id = %s", [v2.pk]) == 1
    )
    assert (
        sql_runs("UPDATE appraisal_dimension SET weight = 1 WHERE template_id = %s", [v2.pk]) == 4
    )
    assert sql_runs("DELETE FROM appraisal_gradeband WHERE template_id = %s", [v2.pk]) == 5
    sql_runs(
        "INSERT INTO appraisal_gradeband (template_id, grade, min_score, label, label_zh) "
        "VALUES (%s, 'A', 0, '', '')",
        [v2.pk],
    )
    sql_runs(
        "INSERT INTO appraisal_appraisaltemplate_units (appraisaltemplate_id, orgunit_id) "
        "VALUES (%s, %s)",
        [v2.pk, org.east.pk],
    )
    assert (
        sql_runs(
            "DELETE FROM appraisal_appraisaltemplate_units WHERE appraisaltemplate_id = %s "
            "AND orgunit_id = %s",
            [v2.pk, org.east.pk],
        )
        == 1
    )
    # its publication; from then on it is fixed
    assert (
        sql_runs(
            "UPDATE appraisal_appraisaltemplate SET status = 'published', published_at = %s "
            "WHERE id = %s",
            [timezone.now(), v2.pk],
        )
        == 1
    )
    _refused("UPDATE appraisal_dimension SET weight = 2 WHERE template_id = %s", [v2.pk])
    # a draft is deleted with its parts
    v3 = services.template_new_version(template=v2, acting_user=org.department, today=TODAY)
    for table, column in (
        ("appraisal_dimension", "template_id"),
        ("appraisal_gradeband", "template_id"),
        ("appraisal_appraisaltemplate_units", "appraisaltemplate_id"),
    ):
        sql_runs(f"DELETE FROM {table} WHERE {column} = %s", [v3.pk])
    assert sql_runs("DELETE FROM appraisal_appraisaltemplate WHERE id = %s", [v3.pk]) == 1


def test_the_template_services_run_with_the_triggers(org, triggers, training_recorded):
    """The services never write what the triggers refuse (with a training dimension, as
    once training records exist)."""
    year = make_year()
    v1 = make_published(org)
    v2 = services.template_new_version(template=v1, acting_user=org.department, today=TODAY)
    services.template_update(
        template=v2, units=[org.east], applies_from=year.quarters[1], acting_user=org.department
    )
    services.dimension_save(
        template=v2,
        dimension=v2.dimensions.get(method="attainment"),
        weight=D("40"),
        acting_user=org.department,
    )
    services.dimension_save(
        template=v2,
        name="Training participation",
        name_zh="培训参与度",
        weight=D("10"),
        method="training",
        curve=copy.deepcopy(LINEAR_CURVE),
        acting_user=org.department,
    )
    services.bands_save(
        template=v2,
        bands=[{"grade": "A", "min_score": "80"}, {"grade": "B", "min_score": "0"}],
        acting_user=org.department,
    )
    v2 = services.template_publish(template=v2, acting_user=org.department, today=TODAY)
    assert v2.status == AppraisalTemplate.Status.PUBLISHED
    assert v2.dimensions.count() == 5 and v2.grades.count() == 2
    assert v1.dimensions.count() == 4 and v1.grades.count() == 5


# --- TRUNCATE (PostgreSQL) ------------------------------------------------------------------


def _settle_foreign_keys() -> None:
    """The test's rows were written in its transaction: PostgreSQL refuses to TRUNCATE
    a table with deferred foreign key checks still pending, so run them now."""
    sql_runs("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE appraisal_dimension CASCADE",
        "TRUNCATE appraisal_gradeband",
        "TRUNCATE appraisal_appraisaltemplate_units",
        "TRUNCATE appraisal_appraisaltemplate CASCADE",
    ],
)
@pytest.mark.postgres
@needs_postgres
def test_truncate_is_refused_while_a_version_is_published(org, versions, triggers, statement):
    v1, _v2 = versions
    before = _parts(v1)
    _settle_foreign_keys()
    _refused(statement)
    assert _parts(v1) == before


@pytest.mark.postgres
@needs_postgres
def test_truncate_passes_while_every_version_is_a_draft(org, triggers):
    make_year()
    make_draft(org)
    _settle_foreign_keys()
    sql_runs("TRUNCATE appraisal_gradeband, appraisal_appraisaltemplate_units")
    sql_runs("TRUNCATE appraisal_appraisaltemplate CASCADE")
    assert not AppraisalTemplate.objects.exists()
