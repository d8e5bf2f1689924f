"""A finalised appraisal stays fixed: model save()/delete(), QuerySet.update()/delete()
and raw SQL (the triggers of migration 0003, on SQLite and on PostgreSQL); a result
version comes only from the finalisation (v1) or from an appeal resolved with a change
(the next one, naming that resolution: migration 0004); TRUNCATE is refused on
PostgreSQL (migration 0006) and DELETE without WHERE on both.

The tests run with --no-migrations, so the `triggers` fixture (conftest.py) installs
the migrations' own statements (`install()`) inside the test's transaction.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal as D

import pytest
from django.db import connection
from django.utils import timezone

from appraisal.cycles import services as cycles
from appraisal.models import (
    RESULT_FROM_APPEAL,
    RESULT_FROM_FINALISATION,
    RESULT_NEXT_VERSION,
    RESULT_ONE_PER_APPEAL,
    Adjustment,
    Appraisal,
    AppraisalResult,
    DimensionScore,
    FinalisedError,
    PeerRating,
)
from appraisal.results import exports
from core.errors import DomainError
from tests.appraisal import cycle_helpers as ch
from tests.appraisal.helpers import sql_refused, sql_runs

Status = Appraisal.Status

MESSAGE_RESULT = "an appraisal result is never changed or deleted"  # migration 0003
MESSAGE_ROW = "a finalised appraisal cannot be changed"  # migration 0003

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only"
)


@pytest.fixture
def world(org):
    """sam's appraisal finalised (with a peer rating and adjustments), tina's open."""
    cycle = ch.make_cycle(org)
    sam = ch.appraisal_of(cycle, org.salesperson)
    teamwork = ch.dimensions(cycle)[ch.TEAMWORK]
    cycles.peer_rating_save(appraisal=sam, entries={teamwork.pk: (4, "")}, acting_user=org.teammate)
    sam = ch.finalise(org, sam)
    tina = ch.appraisal_of(cycle, org.teammate)
    return cycle, sam, tina, teamwork


# --- models -----------------------------------------------------------------------------------


def test_working_rows_refuse_save_and_delete(org, world):
    _cycle, sam, _tina, teamwork = world
    row = DimensionScore.objects.filter(appraisal=sam).first()
    row.score = D("1")
    with pytest.raises(FinalisedError):
        row.save()
    with pytest.raises(FinalisedError):
        row.delete()
    with pytest.raises(FinalisedError):
        PeerRating(appraisal=sam, dimension=teamwork, rater=org.supervisor, level=2).save()
    with pytest.raises(FinalisedError):
        PeerRating.objects.get(appraisal=sam).delete()
    with pytest.raises(FinalisedError):
        Adjustment(
            appraisal=sam,
            dimension=teamwork,
            new_score=D("1"),
            reason="late",
            adjusted_by=org.department,
        ).save()
    with pytest.raises(FinalisedError):
        Adjustment.objects.filter(appraisal=sam).first().delete()


def test_appraisal_fixed_fields_refuse_save(org, world):
    _cycle, sam, _tina, _teamwork = world
    for field, value in [
        ("person", org.teammate),
        ("unit", org.team2),
        ("finalised_at", None),
        ("finalised_by", org.supervisor),
        ("rated_by", org.regional),
        ("rated_at", timezone.now()),
    ]:
        appraisal = ch.reload(sam)
        setattr(appraisal, field, value)
        with pytest.raises(FinalisedError):
            appraisal.save()
    with pytest.raises(FinalisedError):
        ch.reload(sam).delete()
    # the workflow columns still move on
    appraisal = ch.reload(sam)
    appraisal.status = Status.RELEASED
    appraisal.released_at = ch.RELEASE_NOW
    appraisal.save()
    assert ch.reload(sam).status == Status.RELEASED


def test_results_refuse_save_and_delete(world):
    _cycle, sam, _tina, _teamwork = world
    result = sam.results.get()
    result.score = D("99")
    with pytest.raises(FinalisedError):
        result.save()
    with pytest.raises(FinalisedError):
        result.delete()


def test_querysets_refuse_update_and_delete(org, world):
    _cycle, sam, tina, _teamwork = world
    for qs in (
        DimensionScore.objects.filter(appraisal=sam),
        DimensionScore.objects.all(),  # touches sam's rows among others
        PeerRating.objects.filter(appraisal=sam),
        Adjustment.objects.filter(appraisal=sam),
    ):
        with pytest.raises(FinalisedError):
            qs.update(comment="x") if qs.model is not Adjustment else qs.update(reason="x")
        with pytest.raises(FinalisedError):
            qs.delete()
    with pytest.raises(FinalisedError):
        Appraisal.objects.filter(pk=sam.pk).update(unit=org.team2)
    with pytest.raises(FinalisedError):
        Appraisal.objects.filter(pk=sam.pk).delete()
    with pytest.raises(FinalisedError):
        AppraisalResult.objects.filter(appraisal=sam).update(grade="S")
    with pytest.raises(FinalisedError):
        AppraisalResult.objects.filter(appraisal=sam).delete()
    # not finalised: free; workflow columns of a finalised appraisal: free
    assert DimensionScore.objects.filter(appraisal=tina).update(comment="draft") == 4
    assert Appraisal.objects.filter(pk=sam.pk).update(appeal_reason="") == 1
    assert sam.results.get().grade != "S"


def test_services_refuse_a_finalised_appraisal(org, world):
    _cycle, sam, _tina, teamwork = world
    with pytest.raises(DomainError):
        cycles.score_adjust(
            appraisal=sam,
            dimension_id=teamwork.pk,
            new_score=D("1"),
            reason="late",
            acting_user=org.department,
        )
    with pytest.raises(DomainError):
        ch.rate(org, sam)
    with pytest.raises(DomainError):
        cycles.peer_rating_save(
            appraisal=sam, entries={teamwork.pk: (2, "")}, acting_user=org.teammate
        )
    with pytest.raises(DomainError):
        cycles.appraisal_finalise(appraisal=sam, acting_user=org.department, today=ch.AFTER_END)


# --- raw SQL: the database triggers ---------------------------------------------------------


def test_raw_sql_refused_on_a_finalised_appraisal(org, world, triggers):
    _cycle, sam, _tina, teamwork = world
    now = timezone.now()
    result_id = sam.results.get().pk
    # results: never changed, never deleted
    sql_refused("UPDATE appraisal_appraisalresult SET grade = 'S' WHERE id = %s", [result_id])
    sql_refused("DELETE FROM appraisal_appraisalresult WHERE id = %s", [result_id])
    # working rows of a finalised appraisal
    sql_refused("UPDATE appraisal_dimensionscore SET score = 1 WHERE appraisal_id = %s", [sam.pk])
    sql_refused("DELETE FROM appraisal_dimensionscore WHERE appraisal_id = %s", [sam.pk])
    sql_refused("UPDATE appraisal_peerrating SET level = 1 WHERE appraisal_id = %s", [sam.pk])
    sql_refused("DELETE FROM appraisal_peerrating WHERE appraisal_id = %s", [sam.pk])
    sql_refused("UPDATE appraisal_adjustment SET reason = 'x' WHERE appraisal_id = %s", [sam.pk])
    sql_refused("DELETE FROM appraisal_adjustment WHERE appraisal_id = %s", [sam.pk])
    sql_refused(
        "INSERT INTO appraisal_peerrating (appraisal_id, dimension_id, rater_id, level, "
        "comment, rated_at) VALUES (%s, %s, %s, 2, '', %s)",
        [sam.pk, teamwork.pk, org.supervisor.pk, now],
    )
    sql_refused(
        "INSERT INTO appraisal_adjustment (appraisal_id, dimension_id, old_score, new_score, "
        "reason, adjusted_by_id, adjusted_at) VALUES (%s, %s, NULL, 1, 'late', %s, %s)",
        [sam.pk, teamwork.pk, org.department.pk, now],
    )
    # the appraisal's fixed columns, and deleting it
    for column, value in [
        ("cycle_id", sam.cycle_id + 1000),
        ("person_id", org.teammate.pk),
        ("unit_id", org.team2.pk),
        ("finalised_at", None),
        ("finalised_by_id", org.supervisor.pk),
        ("rated_by_id", None),
        ("rated_at", now),
        ("self_submitted_at", now),
    ]:
        sql_refused(f"UPDATE appraisal_appraisal SET {column} = %s WHERE id = %s", [value, sam.pk])
    sql_refused("DELETE FROM appraisal_appraisal WHERE id = %s", [sam.pk])
    # nothing changed
    assert ch.reload(sam).finalised_at is not None
    assert sam.results.get().grade == AppraisalResult.objects.get(pk=result_id).grade
    assert DimensionScore.objects.filter(appraisal=sam, score=1).count() == 0


def test_raw_sql_allowed_where_it_should_be(org, world, triggers):
    _cycle, sam, tina, teamwork = world
    # a finalised appraisal's workflow columns move on
    assert (
        sql_runs(
            "UPDATE appraisal_appraisal SET status = 'released', released_at = %s WHERE id = %s",
            [ch.RELEASE_NOW, sam.pk],
        )
        == 1
    )
    # an appraisal still in progress: its rows change freely
    assert (
        sql_runs(
            "UPDATE appraisal_dimensionscore SET comment = 'x' WHERE appraisal_id = %s", [tina.pk]
        )
        == 4
    )
    sql_runs(
        "INSERT INTO appraisal_peerrating (appraisal_id, dimension_id, rater_id, level, "
        "comment, rated_at) VALUES (%s, %s, %s, 2, '', %s)",
        [tina.pk, teamwork.pk, org.salesperson.pk, timezone.now()],
    )
    assert sql_runs("DELETE FROM appraisal_peerrating WHERE appraisal_id = %s", [tina.pk]) == 1
    assert sql_runs(
        "UPDATE appraisal_appraisal SET unit_id = %s WHERE id = %s", [org.team.pk, tina.pk]
    )


def test_the_whole_workflow_runs_with_the_triggers(org, triggers):
    """The services never write what the triggers refuse."""
    cycle = ch.make_cycle(org)
    ch.give_figures(org, org.salesperson)
    sam = ch.self_assess(ch.appraisal_of(cycle, org.salesperson))
    sam = ch.rate(org, sam)
    sam = ch.finalise(org, sam)
    assert ch.compute(cycle) == 4  # skips sam
    count, problems = cycles.cycle_finalise(
        cycle=cycle, acting_user=org.department, today=ch.AFTER_END
    )
    assert count == 0 and len(problems) == 4
    sam, result = ch.resolve_changed(org, sam)
    assert result.version == 2
    assert sam.status == Status.RESOLVED
    assert result.appeal_resolved_at == sam.resolved_at == ch.RESOLVE_NOW
    eve = ch.acknowledge(org, ch.appraisal_of(cycle, org.east2_person))
    assert eve.status == Status.ACKNOWLEDGED


# --- where a result version comes from --------------------------------------------------------


def _new_result(appraisal, version: int, by, *, link=None) -> AppraisalResult:
    return AppraisalResult(
        appraisal=appraisal,
        version=version,
        score=D("99"),
        grade="A",
        working={"total": "99", "grade": "A", "lines": []},
        reason="" if version == 1 else "Typed by hand.",
        appeal_resolved_at=link,
        created_by=by,
    )


def _orm_refuses(result: AppraisalResult, message: str) -> None:
    """save() (so create()) and bulk_create() both refuse `result`, with `message`."""
    with pytest.raises(FinalisedError, match=re.escape(message)):
        result.save()
    with pytest.raises(FinalisedError, match=re.escape(message)):
        AppraisalResult.objects.bulk_create([result])


def _versions(appraisal) -> list[int]:
    return list(
        AppraisalResult.objects.filter(appraisal=appraisal)
        .order_by("version")
        .values_list("version", flat=True)
    )


def test_no_new_version_without_an_appeal_resolved_with_a_change(org, world):
    _cycle, sam, _tina, _teamwork = world
    dora = org.department
    sam = ch.release(org, sam)
    # released, never appealed: no version 2, whatever it names
    _orm_refuses(_new_result(sam, 2, dora), RESULT_FROM_APPEAL)
    _orm_refuses(_new_result(sam, 2, dora, link=ch.RESOLVE_NOW), RESULT_FROM_APPEAL)
    # and no other version: the next one follows the latest, without gaps
    _orm_refuses(_new_result(sam, 1, dora), RESULT_NEXT_VERSION)
    _orm_refuses(_new_result(sam, 3, dora, link=ch.RESOLVE_NOW), RESULT_NEXT_VERSION)
    # appealed, not resolved yet
    sam = ch.appeal(org, sam)
    _orm_refuses(_new_result(sam, 2, dora, link=sam.appealed_at), RESULT_FROM_APPEAL)
    # resolved, the result upheld
    cycles.appeal_resolve(
        appraisal=sam,
        outcome="upheld",
        reason="The ratings are confirmed.",
        acting_user=dora,
        now=ch.RESOLVE_NOW,
    )
    sam = ch.reload(sam)
    _orm_refuses(_new_result(sam, 2, dora, link=sam.resolved_at), RESULT_FROM_APPEAL)
    assert _versions(sam) == [1]
    # HR lists the version the person sees
    assert [r.version for r in exports.latest_results(org.hr) if r.appraisal_id == sam.pk] == [1]


def test_version_one_comes_from_the_finalisation_only(org, world):
    _cycle, sam, tina, _teamwork = world
    assert sam.results.get().appeal_resolved_at is None  # written by the finalisation
    # tina is not finalised: no result, even version 1
    _orm_refuses(_new_result(tina, 1, org.department), RESULT_FROM_FINALISATION)
    _orm_refuses(
        _new_result(tina, 1, org.department, link=ch.RESOLVE_NOW), RESULT_FROM_FINALISATION
    )
    assert _versions(tina) == []


def test_an_appeal_resolved_with_a_change_adds_one_version_naming_it(org, world):
    _cycle, sam, _tina, _teamwork = world
    dora = org.department
    sam, result = ch.resolve_changed(org, sam)
    assert (result.version, result.appeal_resolved_at) == (2, sam.resolved_at)
    later = sam.resolved_at + datetime.timedelta(hours=1)
    # one version per resolution; none naming another moment; no gap
    _orm_refuses(_new_result(sam, 3, dora, link=sam.resolved_at), RESULT_ONE_PER_APPEAL)
    _orm_refuses(_new_result(sam, 3, dora, link=later), RESULT_FROM_APPEAL)
    _orm_refuses(_new_result(sam, 4, dora, link=later), RESULT_NEXT_VERSION)
    assert _versions(sam) == [1, 2]


RAW_INSERT = (
    "INSERT INTO appraisal_appraisalresult (appraisal_id, version, score, grade, working, "
    "reason, appeal_resolved_at, created_at, created_by_id) "
    "VALUES (%s, %s, 99, 'A', '{{}}', 'Typed by hand.', {link}, %s, %s)"
)
NO_LINK = RAW_INSERT.format(link="NULL")
LINKED = RAW_INSERT.format(link="%s")
# The appraisal's own resolved_at, as stored.
OWN_RESOLUTION = RAW_INSERT.format(
    link="(SELECT resolved_at FROM appraisal_appraisal WHERE id = %s)"
)


def test_raw_sql_inserts_only_the_versions_the_workflow_writes(org, world, triggers):
    _cycle, sam, tina, _teamwork = world
    now, dora = timezone.now(), org.department.pk
    sam = ch.release(org, sam)
    # released, never appealed
    sql_refused(NO_LINK, [sam.pk, 2, now, dora], RESULT_FROM_APPEAL)
    sql_refused(LINKED, [sam.pk, 2, ch.RESOLVE_NOW, now, dora], RESULT_FROM_APPEAL)
    sql_refused(OWN_RESOLUTION, [sam.pk, 2, sam.pk, now, dora], RESULT_FROM_APPEAL)
    sql_refused(NO_LINK, [sam.pk, 1, now, dora], RESULT_NEXT_VERSION)
    sql_refused(LINKED, [sam.pk, 3, ch.RESOLVE_NOW, now, dora], RESULT_NEXT_VERSION)
    # not finalised: not even version 1
    sql_refused(NO_LINK, [tina.pk, 1, now, dora], RESULT_FROM_FINALISATION)
    # appealed, then resolved as upheld: still nothing
    sql_runs(
        "UPDATE appraisal_appraisal SET status = 'appealed', appealed_at = %s, "
        "appeal_reason = 'Too low.' WHERE id = %s",
        [ch.APPEAL_NOW, sam.pk],
    )
    sql_refused(OWN_RESOLUTION, [sam.pk, 2, sam.pk, now, dora], RESULT_FROM_APPEAL)
    sql_runs(
        "UPDATE appraisal_appraisal SET status = 'resolved', resolved_at = %s, "
        "resolution = 'upheld', resolution_reason = 'Confirmed.' WHERE id = %s",
        [ch.RESOLVE_NOW, sam.pk],
    )
    sql_refused(OWN_RESOLUTION, [sam.pk, 2, sam.pk, now, dora], RESULT_FROM_APPEAL)
    # resolved with a change: the next version, naming that resolution, once
    sql_runs("UPDATE appraisal_appraisal SET resolution = 'changed' WHERE id = %s", [sam.pk])
    sql_refused(NO_LINK, [sam.pk, 2, now, dora], RESULT_FROM_APPEAL)
    sql_refused(OWN_RESOLUTION, [sam.pk, 3, sam.pk, now, dora], RESULT_NEXT_VERSION)
    assert sql_runs(OWN_RESOLUTION, [sam.pk, 2, sam.pk, now, dora]) == 1
    sql_refused(OWN_RESOLUTION, [sam.pk, 3, sam.pk, now, dora], RESULT_ONE_PER_APPEAL)
    assert _versions(sam) == [1, 2]
    assert AppraisalResult.objects.get(appraisal=sam, version=2).appeal_resolved_at == (
        ch.reload(sam).resolved_at
    )


# --- emptying a table: DELETE without WHERE, TRUNCATE ------------------------------------------


def test_delete_without_where_is_refused(org, world, triggers):
    """SQLite has no TRUNCATE: its DELETE without WHERE runs the row triggers (and so
    does PostgreSQL's)."""
    _cycle, sam, _tina, _teamwork = world
    before = (AppraisalResult.objects.count(), DimensionScore.objects.count())
    sql_refused("DELETE FROM appraisal_appraisalresult", message=MESSAGE_RESULT)
    for table in ("dimensionscore", "peerrating", "adjustment", "appraisal"):
        sql_refused(f"DELETE FROM appraisal_{table}", message=MESSAGE_ROW)
    assert (AppraisalResult.objects.count(), DimensionScore.objects.count()) == before
    assert ch.reload(sam).finalised_at is not None


def _settle_foreign_keys() -> None:
    """The test's rows were written in its transaction: PostgreSQL refuses to TRUNCATE
    a table with deferred foreign key checks still pending, so run them now."""
    sql_runs("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.parametrize(
    "statement, message",
    [
        ("TRUNCATE appraisal_appraisalresult", MESSAGE_RESULT),
        ("TRUNCATE appraisal_dimensionscore", MESSAGE_ROW),
        ("TRUNCATE appraisal_peerrating", MESSAGE_ROW),
        ("TRUNCATE appraisal_adjustment", MESSAGE_ROW),
        ("TRUNCATE appraisal_appraisal CASCADE", MESSAGE_ROW),
        ("TRUNCATE appraisal_cycle CASCADE", MESSAGE_ROW),
    ],
)
@pytest.mark.postgres
@needs_postgres
def test_truncate_is_refused_while_a_table_holds_final_rows(
    org, world, triggers, statement, message
):
    _cycle, sam, _tina, _teamwork = world
    _settle_foreign_keys()
    sql_refused(statement, message=message)
    assert sam.results.count() == 1
    assert DimensionScore.objects.filter(appraisal=sam).count() == 4
    assert ch.reload(sam).finalised_at is not None


@pytest.mark.postgres
@needs_postgres
def test_truncate_passes_where_nothing_is_final(org, triggers):
    cycle = ch.make_cycle(org)  # every appraisal open, no result
    assert DimensionScore.objects.exists()
    _settle_foreign_keys()
    sql_runs("TRUNCATE appraisal_peerrating, appraisal_adjustment, appraisal_dimensionscore")
    sql_runs("TRUNCATE appraisal_appraisal CASCADE")
    assert not Appraisal.objects.filter(cycle=cycle).exists()
