"""appraisal.cycles.services: the cycle workflow, its refusals and its side effects."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from appraisal import tasks
from appraisal.cycles import services as cycles
from appraisal.models import (
    Adjustment,
    Appraisal,
    AppraisalResult,
    Cycle,
    DimensionScore,
    PeerRating,
)
from core.errors import DomainError
from notifications.models import Notification
from org.models import Membership, OrgUnit
from tests.appraisal import cycle_helpers as ch
from tests.appraisal.helpers import make_draft, make_year
from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory

Status = Appraisal.Status


def scores_of(appraisal) -> dict[str, DimensionScore]:
    return {
        row.dimension.name: row
        for row in DimensionScore.objects.filter(appraisal=appraisal).select_related("dimension")
    }


@pytest.fixture
def cycle(org):
    return ch.make_cycle(org)


# --- opening -----------------------------------------------------------------------------------


def test_open_creates_one_appraisal_per_salesperson_with_a_row_per_dimension(
    org, django_capture_on_commit_callbacks, eager_tasks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        cycle = ch.make_cycle(org)
    appraisals = {a.person.username: a for a in cycle.appraisals.select_related("person", "unit")}
    # sue is a member of T-EAST-1 and a salesperson too; rita, otto are supervisors only
    assert sorted(appraisals) == ["eve", "oscar", "sam", "sue", "tina"]
    assert appraisals["sam"].unit == org.team
    assert appraisals["eve"].unit == org.team2
    assert appraisals["oscar"].unit == org.other_team
    # the template asks for a self-assessment: every appraisal starts open
    assert {a.status for a in appraisals.values()} == {Status.OPEN}
    assert DimensionScore.objects.filter(appraisal__cycle=cycle).count() == 5 * 4
    assert set(cycle.units.all()) == {org.east, org.south}
    assert cycle.opened_by == org.department
    assert len(callbacks) >= 1
    told = Notification.objects.filter(kind="appraisal_cycle_opened")
    assert sorted(n.recipient.username for n in told) == ["eve", "oscar", "sam", "sue", "tina"]
    # the figures were computed once committed (by the task, run in-process here)
    cycle.refresh_from_db()
    assert cycle.computed_at is not None
    assert Appraisal.history.filter(cycle_id=cycle.pk).count() == 5


def test_open_without_self_assessment_starts_self_assessed(org):
    specs = ch.cycle_dimension_specs(ch.make_metric())
    for spec in specs:
        spec.pop("rated_by_self", None)
    template = ch.make_cycle_template(org, code="noself", specs=specs)
    cycle = ch.make_cycle(org, template=template)
    assert set(cycle.appraisals.values_list("status", flat=True)) == {Status.SELF_ASSESSED}


def test_open_a_part_of_the_population(org):
    cycle = ch.make_cycle(org, units=[org.team2])
    assert [a.person for a in cycle.appraisals.all()] == [org.east2_person]


def test_population_first_team_by_path_and_membership_on_the_period_end(org):
    year = make_year()
    # sam also joins T-SOUTH-1 (a later path than t-east-1? paths follow the tree)
    MembershipFactory(user=org.salesperson, unit=org.other_team)
    # tina left before the quarter ended: not appraised
    Membership.objects.filter(user=org.teammate, kind="member").update(
        end_date=datetime.date(2026, 2, 15)
    )
    people = dict(
        cycles.population(
            units=[org.east, org.south], period=year.quarters[0], today=datetime.date(2026, 4, 10)
        )
    )
    first = min([org.team, org.other_team], key=lambda u: u.path)
    assert people[org.salesperson.pk] == first.pk
    assert org.teammate.pk not in people
    # before she left (opening during the quarter, on 2026-02-02), she is appraised
    people = dict(cycles.population(units=[org.east], period=year.quarters[0], today=ch.OPEN_DAY))
    assert org.teammate.pk in people
    assert org.other_salesperson.pk not in people


def test_open_refusals(org):
    year = make_year()
    template = ch.make_cycle_template(org)
    q1, q2 = year.quarters[0], year.quarters[1]

    def open_(**kwargs):
        fields = {"template": template, "period": q1, "acting_user": org.department}
        fields.update(kwargs)
        return cycles.cycle_open(today=ch.OPEN_DAY, **fields)

    with pytest.raises(PermissionDenied):
        open_(acting_user=org.supervisor)
    draft = make_draft(org, code="drafty", units=[org.east])
    with pytest.raises(DomainError, match="is a draft: publish it"):
        open_(template=draft)
    with pytest.raises(DomainError, match="is not one"):
        open_(period=year.months[0])
    with pytest.raises(DomainError, match="outside the population"):
        open_(units=[org.company])
    with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
        open_(units=[org.company])
    assert template.name_zh and template.name_zh in refused.value.message  # not the English name
    with pytest.raises(DomainError, match="Choose the units"):
        open_(units=[])
    empty = OrgUnitFactory(code="t-east-9", name="East Team 9", parent=org.east)
    with pytest.raises(DomainError, match="Nobody to appraise"):
        open_(units=[empty])
    assert not Cycle.objects.exists()
    open_()
    with pytest.raises(DomainError, match="already open"):
        open_()
    # a version 2 applying from Q2: version 1 is no longer the one in force for Q2,
    # and version 2 does not apply to Q1
    from appraisal.template import services

    v2 = services.template_new_version(
        template=template, acting_user=org.department, today=ch.PUBLISH_DAY
    )
    assert v2.applies_from == q2
    v2 = services.template_publish(template=v2, acting_user=org.department, today=ch.PUBLISH_DAY)
    with pytest.raises(DomainError, match=r"Version 2 of .* is in force for"):
        open_(period=q2)
    with pytest.raises(DomainError, match=r"applies from .* after"):
        open_(template=v2, period=q1)
    open_(template=v2, period=q2)


# --- figures -------------------------------------------------------------------------------


def test_compute_figures_and_scores(org, cycle):
    ch.give_figures(org, org.salesperson)  # 900 of 1000, satisfaction 4 and 5
    ch.give_figures(org, org.teammate, target=None, satisfaction=())
    assert ch.compute(cycle) == 5
    sam = scores_of(ch.appraisal_of(cycle, org.salesperson))
    revenue = sam[ch.ATTAINMENT]
    assert (revenue.actual, revenue.target, revenue.raw_value) == (D("900"), D("1000"), D("90"))
    assert revenue.score == D("90.00")
    satisfaction = sam[ch.SATISFACTION]
    assert (satisfaction.raw_value, satisfaction.count, satisfaction.score) == (
        D("4.5"),
        2,
        D("100.00"),
    )
    assert sam[ch.ATTITUDE].score is None
    tina = scores_of(ch.appraisal_of(cycle, org.teammate))
    # no target, no responses: no score (the department must adjust before finalising)
    assert tina[ch.ATTAINMENT].actual == D("900")
    assert tina[ch.ATTAINMENT].raw_value is None and tina[ch.ATTAINMENT].score is None
    assert tina[ch.SATISFACTION].count == 0 and tina[ch.SATISFACTION].score is None


def test_compute_is_idempotent_and_by_task(org, cycle):
    ch.give_figures(org, org.salesperson)
    ch.compute(cycle)
    fields = ["actual", "target", "raw_value", "count", "score", "level"]
    before = list(DimensionScore.objects.order_by("pk").values_list(*fields))
    assert tasks.compute_cycle(cycle.pk, "2026-04-10") == 5
    assert tasks.compute_cycle(cycle.pk, "2026-04-10") == 5
    assert list(DimensionScore.objects.order_by("pk").values_list(*fields)) == before


def test_compute_skips_finalised_appraisals(org, cycle):
    sam = ch.finalise(org, ch.appraisal_of(cycle, org.salesperson))
    frozen = list(DimensionScore.objects.filter(appraisal=sam).values_list("actual", "score"))
    ch.give_figures(org, org.salesperson)
    assert ch.compute(cycle) == 4
    assert (
        list(DimensionScore.objects.filter(appraisal=sam).values_list("actual", "score")) == frozen
    )
    assert scores_of(ch.appraisal_of(cycle, org.teammate))[ch.ATTAINMENT].actual is not None


def test_compute_query_count_does_not_grow_with_the_cycle(org):
    small = ch.make_cycle(org, units=[org.team2])
    with CaptureQueriesContext(connection) as few:
        ch.compute(small)
    team = OrgUnitFactory(code="t-south-2", name="South Team 2", parent=org.south)
    for i in range(12):
        person = UserFactory(username=f"extra{i}", roles=["salesperson"])
        MembershipFactory(user=person, unit=team)
        ch.give_figures(org, person)
    template = ch.make_cycle_template(org, code="big")
    big = ch.make_cycle(org, template=template)
    assert big.appraisals.count() == 17
    with CaptureQueriesContext(connection) as many:
        assert ch.compute(big) == 17
    assert len(many) == len(few), [q["sql"][:80] for q in many.captured_queries]
    assert len(few) <= 12


# --- self-assessment --------------------------------------------------------------------------


def test_self_assessment_draft_then_submit(org, cycle):
    sam = ch.appraisal_of(cycle, org.salesperson)
    dims = ch.dimensions(cycle)
    attitude, teamwork = dims[ch.ATTITUDE].pk, dims[ch.TEAMWORK].pk
    cycles.self_assessment_save(
        appraisal=sam,
        entries={attitude: (5, ""), teamwork: (None, "")},
        submit=False,
        acting_user=org.salesperson,
        now=ch.SELF_NOW,
    )
    assert ch.reload(sam).status == Status.OPEN
    assert scores_of(sam)[ch.ATTITUDE].self_level == 5  # no comment needed from the person
    with pytest.raises(DomainError, match="Teamwork: choose a level before sending"):
        cycles.self_assessment_save(
            appraisal=sam,
            entries={attitude: (5, "")},
            submit=True,
            acting_user=org.salesperson,
            now=ch.SELF_NOW,
        )
    sam = ch.self_assess(sam, levels=(4, 2))
    assert sam.status == Status.SELF_ASSESSED
    assert sam.self_submitted_at == ch.SELF_NOW
    assert scores_of(sam)[ch.TEAMWORK].self_level == 2
    with pytest.raises(DomainError, match="self-assessment is closed"):
        ch.self_assess(sam)


def test_self_assessment_refusals(org, cycle):
    sam = ch.appraisal_of(cycle, org.salesperson)
    dims = ch.dimensions(cycle)
    with pytest.raises(PermissionDenied):
        cycles.self_assessment_save(
            appraisal=sam, entries={}, submit=False, acting_user=org.supervisor
        )
    for dimension, level, refusal in [
        (ch.ATTITUDE, 9, "Work attitude: choose a level of the scale"),
        (ch.ATTAINMENT, 3, "cannot be rated here"),
    ]:
        with pytest.raises(DomainError, match=refusal):
            cycles.self_assessment_save(
                appraisal=sam,
                entries={dims[dimension].pk: (level, "")},
                submit=False,
                acting_user=org.salesperson,
            )


# --- the supervisor's rating ------------------------------------------------------------------


def test_rating_by_the_supervisor(org, cycle):
    sam = ch.self_assess(ch.appraisal_of(cycle, org.salesperson))
    sam = ch.rate(org, sam, levels=(4, 3))
    assert sam.status == Status.RATED
    assert sam.rated_by == org.supervisor
    assert sam.rated_at == ch.RATE_NOW
    rows = scores_of(sam)
    assert (rows[ch.ATTITUDE].level, rows[ch.ATTITUDE].score) == (4, D("80.00"))
    assert rows[ch.TEAMWORK].comment == "Helps others."
    assert rows[ch.TEAMWORK].self_level == 4  # the self-assessment stays as input
    with pytest.raises(DomainError, match="already rated"):
        ch.rate(org, sam)


def test_rating_while_open_closes_the_self_assessment(org, cycle):
    tina = ch.rate(org, ch.appraisal_of(cycle, org.teammate))
    assert tina.status == Status.RATED
    assert tina.self_submitted_at is None
    with pytest.raises(DomainError, match="self-assessment is closed"):
        ch.self_assess(tina)


def test_rating_comment_required_at_the_extremes_on_submit(org, cycle):
    sam = ch.appraisal_of(cycle, org.salesperson)
    # a draft may wait for its comment
    sam = ch.rate(org, sam, levels=(5, 1), comments=("", ""), submit=False)
    assert sam.status == Status.OPEN
    assert scores_of(sam)[ch.ATTITUDE].score == D("100.00")
    with pytest.raises(DomainError, match="Work attitude: explain a rating of 5"):
        ch.rate(org, sam, levels=(5, 1), comments=("", "Never helps."))
    with pytest.raises(DomainError, match="Teamwork: choose a level before submitting"):
        cycles.rating_save(
            appraisal=sam,
            entries={ch.dimensions(cycle)[ch.ATTITUDE].pk: (3, "")},
            submit=True,
            acting_user=org.supervisor,
        )
    sam = ch.rate(org, sam, levels=(5, 1), comments=("Top.", "Never helps."))
    assert sam.status == Status.RATED


def test_rating_refusals_name_the_dimension_in_the_readers_language(org, cycle):
    sam = ch.appraisal_of(cycle, org.salesperson)
    with translation.override("zh-hans"), pytest.raises(DomainError, match=r"^工作态度\uff1a"):
        ch.rate(org, sam, levels=(5, 3), comments=("", ""))
    with translation.override("zh-hans"), pytest.raises(DomainError, match=r"^团队协作\uff1a"):
        cycles.rating_save(
            appraisal=sam,
            entries={ch.dimensions(cycle)[ch.ATTITUDE].pk: (3, "")},
            submit=True,
            acting_user=org.supervisor,
        )


def test_who_rates(org, cycle):
    sue = ch.appraisal_of(cycle, org.supervisor)
    sam = ch.appraisal_of(cycle, org.salesperson)
    oscar = ch.appraisal_of(cycle, org.other_salesperson)
    for appraisal, user in [
        (sue, org.supervisor),  # never one's own
        (sam, org.other_supervisor),  # another region
        (sam, org.teammate),
        (sam, org.department),
        (oscar, org.regional),
    ]:
        with pytest.raises(PermissionDenied):
            ch.rate(org, appraisal, rater=user)
    assert ch.rate(org, sue, rater=org.regional).rated_by == org.regional
    assert ch.rate(org, sam, rater=org.regional).rated_by == org.regional  # an ancestor's lead
    assert ch.rate(org, oscar).rated_by == org.other_supervisor


# --- peers ----------------------------------------------------------------------------------


@pytest.fixture
def tom(org):
    """A third member of T-EAST-1, so that sam has two peers (tina and tom)."""
    person = UserFactory(username="tom", roles=["salesperson"])
    MembershipFactory(user=person, unit=org.team)
    return person


def test_peer_ratings_and_their_average_in_the_working(org, tom):
    cycle = ch.make_cycle(org)
    sam = ch.appraisal_of(cycle, org.salesperson)
    teamwork = ch.dimensions(cycle)[ch.TEAMWORK].pk
    cycles.peer_rating_save(appraisal=sam, entries={teamwork: (5, "")}, acting_user=org.teammate)
    cycles.peer_rating_save(appraisal=sam, entries={teamwork: (3, "ok")}, acting_user=tom)
    cycles.peer_rating_save(appraisal=sam, entries={teamwork: (4, "")}, acting_user=tom)  # change
    assert PeerRating.objects.filter(appraisal=sam).count() == 2
    sam = ch.finalise(org, sam)
    line = sam.results.get().working["lines"][3]
    assert (line["peer_average"], line["peer_count"]) == ("4.50", 2)
    assert line["final_score"] == "60.00"  # peers are an input, not part of the score


def test_peer_average_hidden_below_the_minimum(org, settings):
    settings.APPRAISAL_PEER_MINIMUM = 2
    cycle = ch.make_cycle(org)
    sam = ch.appraisal_of(cycle, org.salesperson)
    teamwork = ch.dimensions(cycle)[ch.TEAMWORK].pk
    cycles.peer_rating_save(appraisal=sam, entries={teamwork: (5, "")}, acting_user=org.teammate)
    line = ch.finalise(org, sam).results.get().working["lines"][3]
    assert (line["peer_average"], line["peer_count"]) == (None, 1)


def test_peer_rating_refusals(org, cycle):
    sam = ch.appraisal_of(cycle, org.salesperson)
    dims = ch.dimensions(cycle)
    teamwork = dims[ch.TEAMWORK].pk
    for user in (org.salesperson, org.other_salesperson, org.east2_person):
        with pytest.raises(PermissionDenied):
            cycles.peer_rating_save(appraisal=sam, entries={teamwork: (3, "")}, acting_user=user)
    with pytest.raises(DomainError, match="cannot be rated here"):
        cycles.peer_rating_save(
            appraisal=sam, entries={dims[ch.ATTITUDE].pk: (3, "")}, acting_user=org.teammate
        )
    with pytest.raises(DomainError, match="Teamwork: choose a level"):
        cycles.peer_rating_save(
            appraisal=sam, entries={teamwork: (0, "")}, acting_user=org.teammate
        )
    cycles.peer_rating_save(appraisal=sam, entries={teamwork: (2, "")}, acting_user=org.teammate)
    cycles.peer_rating_save(appraisal=sam, entries={teamwork: (None, "")}, acting_user=org.teammate)
    assert not PeerRating.objects.exists()  # None withdraws it
    ch.rate(org, sam)
    with pytest.raises(DomainError, match="peer ratings are closed"):
        cycles.peer_rating_save(
            appraisal=sam, entries={teamwork: (3, "")}, acting_user=org.teammate
        )


# --- calibration -------------------------------------------------------------------------------


def test_score_adjust(org, cycle):
    ch.give_figures(org, org.salesperson)
    sam = ch.appraisal_of(cycle, org.salesperson)
    dims = ch.dimensions(cycle)
    attitude = dims[ch.ATTITUDE].pk

    def adjust(score="70", reason="Calibrated with the region.", user=None):
        return cycles.score_adjust(
            appraisal=sam,
            dimension_id=attitude,
            new_score=D(score) if score != "x" else score,
            reason=reason,
            acting_user=user or org.department,
        )

    with pytest.raises(DomainError, match="calibrated once rated"):
        adjust()
    sam = ch.rate(org, sam, levels=(4, 3))
    with pytest.raises(PermissionDenied):
        adjust(user=org.supervisor)
    with pytest.raises(DomainError, match="Work attitude: give the reason"):
        adjust(reason=" ")
    with pytest.raises(DomainError, match="Work attitude: the score cannot be negative"):
        adjust(score="-1")
    with pytest.raises(DomainError, match="Work attitude: the score is not a number"):
        adjust(score="x")
    first = adjust(score="70.004")
    assert (first.old_score, first.new_score) == (D("80.00"), D("70.00"))
    second = adjust(score="75", reason="Second look.")
    assert second.old_score == D("70.00")
    row = scores_of(sam)[ch.ATTITUDE]
    assert (row.score, row.adjusted_score, row.final_score) == (D("80.00"), D("75"), D("75"))
    assert Adjustment.objects.filter(appraisal=sam).count() == 2
    line = ch.finalise(org, sam).results.get().working["lines"][2]
    assert line["score"] == "80.00"
    assert line["adjusted_score"] == line["final_score"] == "75.00"
    assert line["adjustment_reason"] == "Second look."


# --- finalisation -------------------------------------------------------------------------


def test_finalise_writes_result_version_one(org, cycle):
    ch.give_figures(org, org.salesperson)
    sam = ch.rate(org, ch.self_assess(ch.appraisal_of(cycle, org.salesperson)))
    result = cycles.appraisal_finalise(
        appraisal=sam, acting_user=org.department, today=ch.AFTER_END, now=ch.FINALISE_NOW
    )
    # 90*0.4 + 100*0.2 + 80*0.2 + 60*0.2 = 36 + 20 + 16 + 12 = 84
    assert (result.version, result.score, result.grade) == (1, D("84.00"), "B")
    assert result.created_by == org.department
    assert result.reason == ""
    working = result.working
    assert working["total"] == "84.00"
    assert [line["contribution"] for line in working["lines"]] == [
        "36.00",
        "20.00",
        "16.00",
        "12.00",
    ]
    assert working["template"]["code"] == "cycle"
    assert working["period"] == {
        "id": cycle.period_id,
        "kind": "quarter",
        "start": "2026-01-01",
        "end": "2026-03-31",
    }
    assert working["lines"][0]["metric"]["code"] == "revenue"
    assert working["lines"][2]["self_level"] == 4
    sam = ch.reload(sam)
    assert sam.status == Status.FINALISED
    assert (sam.finalised_at, sam.finalised_by) == (ch.FINALISE_NOW, org.department)


def test_finalise_recomputes_the_figures(org, cycle):
    ch.give_figures(org, org.salesperson)
    ch.compute(cycle)
    sam = ch.rate(org, ch.appraisal_of(cycle, org.salesperson))
    assert scores_of(sam)[ch.ATTAINMENT].score == D("90.00")
    # a late sale (March) arrives after the rating: finalisation counts it
    from tests.sales.helpers import customer, sale

    sale(
        datetime.date(2026, 3, 30),
        customer(org.salesperson, name="Late"),
        "150",
        [(org.salesperson, 100)],
        acting_user=org.salesperson,
    )
    result = cycles.appraisal_finalise(
        appraisal=sam, acting_user=org.department, today=ch.AFTER_END
    )
    assert result.working["lines"][0]["actual"] == "1050.0000"
    assert result.working["lines"][0]["score"] == "105.00"


def test_finalise_refusals(org, cycle):
    sam = ch.appraisal_of(cycle, org.salesperson)

    def finalise(today=ch.AFTER_END, user=None):
        return cycles.appraisal_finalise(
            appraisal=sam, acting_user=user or org.department, today=today
        )

    with pytest.raises(DomainError, match="ends on 2026-03-31"):
        finalise(today=datetime.date(2026, 3, 31))
    with pytest.raises(DomainError, match=re.escape(org.salesperson.display_name) + ".*not rated"):
        finalise()
    ch.rate(org, sam)
    with pytest.raises(PermissionDenied):
        finalise(user=org.supervisor)
    message = (
        re.escape(org.salesperson.display_name)
        + f": no score for {ch.ATTAINMENT}, {ch.SATISFACTION}; adjust it"
    )
    with pytest.raises(DomainError, match=message):
        finalise()
    assert not AppraisalResult.objects.exists()
    ch.adjust_missing(org, sam)
    finalise()
    with pytest.raises(DomainError, match="not rated"):
        finalise()


def test_cycle_finalise_finalises_the_ready_ones(org, cycle):
    ch.give_figures(org, org.salesperson)
    ch.rate(org, ch.appraisal_of(cycle, org.salesperson))  # all scored
    tina = ch.rate(org, ch.appraisal_of(cycle, org.teammate))  # no figures: not ready
    with pytest.raises(DomainError, match="ends on"):
        cycles.cycle_finalise(
            cycle=cycle, acting_user=org.department, today=datetime.date(2026, 3, 1)
        )
    with pytest.raises(PermissionDenied):
        cycles.cycle_finalise(cycle=cycle, acting_user=org.hr, today=ch.AFTER_END)
    count, problems = cycles.cycle_finalise(
        cycle=cycle, acting_user=org.department, today=ch.AFTER_END
    )
    assert count == 1
    assert len(problems) == 4
    assert any(org.teammate.display_name in p and ch.ATTAINMENT in p for p in problems)
    assert any(org.other_salesperson.display_name in p and "not rated" in p for p in problems)
    assert ch.appraisal_of(cycle, org.salesperson).status == Status.FINALISED
    ch.adjust_missing(org, tina)
    count, problems = cycles.cycle_finalise(
        cycle=cycle, acting_user=org.department, today=ch.AFTER_END
    )
    assert (count, len(problems)) == (1, 3)
    assert AppraisalResult.objects.filter(version=1).count() == 2


# --- release, acknowledgement, appeals -------------------------------------------------------


def test_release_and_acknowledge(org, cycle, django_capture_on_commit_callbacks):
    sam = ch.finalise(org, ch.appraisal_of(cycle, org.salesperson))
    with django_capture_on_commit_callbacks(execute=True):
        count = cycles.cycle_release(cycle=cycle, acting_user=org.department, now=ch.RELEASE_NOW)
    assert count == 1
    sam = ch.reload(sam)
    assert (sam.status, sam.released_at) == (Status.RELEASED, ch.RELEASE_NOW)
    cycle.refresh_from_db()
    assert cycle.released_at == ch.RELEASE_NOW
    notice = Notification.objects.get(kind="appraisal_released")
    assert notice.recipient == org.salesperson
    assert notice.params["deadline"] == "2026-04-25"
    assert notice.params["grade"] == sam.results.get().grade
    assert ch.appraisal_of(cycle, org.teammate).status == Status.OPEN  # not finalised
    with pytest.raises(DomainError, match="No finalised appraisal"):
        cycles.cycle_release(cycle=cycle, acting_user=org.department)
    with pytest.raises(PermissionDenied):
        cycles.appraisal_acknowledge(appraisal=sam, acting_user=org.supervisor)
    sam = ch.acknowledge(org, sam)
    assert (sam.status, sam.acknowledged_at) == (Status.ACKNOWLEDGED, ch.ACK_NOW)
    with pytest.raises(DomainError, match="once released"):
        ch.appeal(org, sam)


def test_release_refused_to_others(org, cycle):
    ch.finalise(org, ch.appraisal_of(cycle, org.salesperson))
    with pytest.raises(PermissionDenied):
        cycles.cycle_release(cycle=cycle, acting_user=org.hr)


def test_appeal(org, cycle, django_capture_on_commit_callbacks):
    sam = ch.release(org, ch.appraisal_of(cycle, org.salesperson))
    with pytest.raises(DomainError, match="reasons for the appeal"):
        cycles.appraisal_appeal(
            appraisal=sam, reason=" ", acting_user=org.salesperson, now=ch.APPEAL_NOW
        )
    with pytest.raises(PermissionDenied):
        cycles.appraisal_appeal(appraisal=sam, reason="x", acting_user=org.teammate)
    too_late = ch.RELEASE_NOW + datetime.timedelta(days=10, seconds=1)
    with pytest.raises(DomainError, match="ended on 2026-04-25"):
        cycles.appraisal_appeal(
            appraisal=sam, reason="x", acting_user=org.salesperson, now=too_late
        )
    with django_capture_on_commit_callbacks(execute=True):
        sam = ch.appeal(org, sam, now=ch.RELEASE_NOW + datetime.timedelta(days=10))
    assert sam.status == Status.APPEALED
    assert sam.appeal_reason == "My teamwork was better than rated."
    told = Notification.objects.filter(kind="appraisal_appealed")
    assert [n.recipient for n in told] == [org.department]
    with pytest.raises(DomainError, match="once released"):
        ch.acknowledge(org, sam)


def test_resolve_upheld(org, cycle, django_capture_on_commit_callbacks):
    sam = ch.appeal(org, ch.appraisal_of(cycle, org.salesperson))
    with pytest.raises(PermissionDenied):
        cycles.appeal_resolve(
            appraisal=sam, outcome="upheld", reason="x", changes={}, acting_user=org.hr
        )
    with pytest.raises(DomainError, match="reason for the resolution"):
        cycles.appeal_resolve(
            appraisal=sam, outcome="upheld", reason="", changes={}, acting_user=org.department
        )
    with pytest.raises(DomainError, match="upheld or changed"):
        cycles.appeal_resolve(
            appraisal=sam, outcome="maybe", reason="x", changes={}, acting_user=org.department
        )
    teamwork = ch.dimensions(cycle)[ch.TEAMWORK].pk
    with pytest.raises(DomainError, match="keeps its scores"):
        cycles.appeal_resolve(
            appraisal=sam,
            outcome="upheld",
            reason="x",
            changes={teamwork: D("90")},
            acting_user=org.department,
        )
    with django_capture_on_commit_callbacks(execute=True):
        result = cycles.appeal_resolve(
            appraisal=sam,
            outcome="upheld",
            reason="The rating is consistent with the team's.",
            changes={},
            acting_user=org.department,
            now=ch.RESOLVE_NOW,
        )
    assert result is None
    sam = ch.reload(sam)
    assert (sam.status, sam.resolution, sam.resolved_by) == (
        Status.RESOLVED,
        "upheld",
        org.department,
    )
    assert sam.results.count() == 1
    notice = Notification.objects.get(kind="appraisal_appeal_resolved")
    assert notice.recipient == org.salesperson
    with pytest.raises(DomainError, match="no appeal to resolve"):
        cycles.appeal_resolve(
            appraisal=sam, outcome="upheld", reason="x", changes={}, acting_user=org.department
        )


def test_resolve_changed_adds_a_version(org, cycle):
    sam = ch.finalise(org, ch.appraisal_of(cycle, org.salesperson))
    first = sam.results.get()
    # 75*0.4 + 75*0.2 + 80*0.2 + 60*0.2 = 30 + 15 + 16 + 12 = 73
    assert (first.score, first.grade) == (D("73.00"), "C")
    with pytest.raises(DomainError, match="at least one dimension"):
        cycles.appeal_resolve(
            appraisal=ch.appeal(org, sam),
            outcome="changed",
            reason="x",
            changes={},
            acting_user=org.department,
        )
    with pytest.raises(DomainError, match="Dimension 999 is not part"):
        cycles.appeal_resolve(
            appraisal=sam,
            outcome="changed",
            reason="x",
            changes={999: D("1")},
            acting_user=org.department,
        )
    sam, second = ch.resolve_changed(org, sam, teamwork=D("100"))
    # teamwork 60 -> 100: 73 + 8 = 81
    assert (second.version, second.score, second.grade) == (2, D("81.00"), "B")
    assert second.reason == "Peers' feedback confirms better teamwork."
    teamwork = second.working["lines"][3]
    assert (teamwork["score"], teamwork["final_score"]) == ("60.00", "100.00")
    assert sam.status == Status.RESOLVED and sam.resolution == "changed"
    # version 1 is unchanged, and the working rows too
    assert AppraisalResult.objects.get(pk=first.pk).working == first.working
    assert scores_of(sam)[ch.TEAMWORK].final_score == D("60.00")
    assert list(sam.results.values_list("version", flat=True)) == [1, 2]


def test_unknown_dimension_entries_are_refused(org, cycle):
    sam = ch.appraisal_of(cycle, org.salesperson)
    with pytest.raises(DomainError, match="cannot be rated here"):
        cycles.rating_save(
            appraisal=sam, entries={"abc": (3, "")}, submit=False, acting_user=org.supervisor
        )


def test_units_fixture_sanity(org):
    # the population paths the helpers rely on
    assert OrgUnit.objects.get(pk=org.team.pk).path.startswith(org.east.path)


def _ready_cycle(org, code: str, extra: int):
    """A cycle whose appraisals are all rated with figures: eve alone (extra=0) or
    `extra` people of a new team led by otto."""
    units, rater = [org.team2], org.regional
    if extra:
        team = OrgUnitFactory(code=f"t-{code}", name=f"Team {code}", parent=org.south)
        MembershipFactory(user=org.other_supervisor, unit=team, kind="supervisor")
        for i in range(extra):
            MembershipFactory(
                user=UserFactory(username=f"{code}{i}", roles=["salesperson"]), unit=team
            )
        units, rater = [team], org.other_supervisor
    template = ch.make_cycle_template(org, code=code)
    cycle = ch.make_cycle(org, template=template, units=units)
    for appraisal in cycle.appraisals.select_related("person"):
        ch.give_figures(org, appraisal.person)
        ch.rate(org, appraisal, rater=rater)
    return cycle


def test_finalise_and_release_query_counts_do_not_grow(org):
    small, big = _ready_cycle(org, "small", 0), _ready_cycle(org, "big", 8)
    counts = []
    for cycle, size in ((small, 1), (big, 8)):
        with CaptureQueriesContext(connection) as finalising:
            count, problems = cycles.cycle_finalise(
                cycle=cycle, acting_user=org.department, today=ch.AFTER_END
            )
        assert (count, problems) == (size, [])
        with CaptureQueriesContext(connection) as releasing:
            assert cycles.cycle_release(cycle=cycle, acting_user=org.department) == size
        counts.append((len(finalising), len(releasing)))
    assert counts[0] == counts[1]


# --- exact inputs, one rounding ------------------------------------------------------------


def test_a_grade_at_a_band_edge_is_read_from_the_exact_attainment_not_its_display(org, cycle):
    """2,699 of 3,000 is 89.9666… %: shown as 90.0 % it would score 90.00 and the total
    would reach grade B's 80.00 exactly; scored exactly it is 89.97, and the total
    (40 % x 89.97 + 20 % x 100 + 20 % x 60 + 20 % x 60 = 79.988) is 79.99: grade C."""
    ch.give_figures(org, org.salesperson, target="3000", sold="2699", satisfaction=(5, 4))
    ch.compute(cycle)
    sam = ch.appraisal_of(cycle, org.salesperson)
    revenue = scores_of(sam)[ch.ATTAINMENT]
    assert revenue.raw_value == D("89.9667")  # shown with the places to redo the score
    assert revenue.score == D("89.97")
    result = ch.finalise(org, ch.rate(org, sam, levels=(3, 3))).results.get()
    assert (result.score, result.grade) == (D("79.99"), "C")
    working = {line["name"]: line for line in result.working["lines"]}
    assert working[ch.ATTAINMENT]["value"] == "89.9667"
    assert working[ch.ATTAINMENT]["contribution"] == "35.99"


def test_a_satisfaction_mean_is_scored_exactly_and_shown_with_four_places(org):
    """28 / 6 = 4.666…: the curve (20 points per point of satisfaction) scores 93.33;
    the mean rounded to 4.67 first would have scored 93.40."""
    specs = ch.cycle_dimension_specs(ch.make_metric(acting_user=org.department))
    specs[1]["curve"] = {
        "kind": "linear",
        "floor": "0",
        "floor_score": "0",
        "target": "5",
        "target_score": "100",
    }
    template = ch.make_cycle_template(org, code="exact", specs=specs)
    cycle = ch.make_cycle(org, template=template)
    ch.give_figures(org, org.salesperson, satisfaction=(5, 5, 5, 5, 4, 4))
    ch.compute(cycle)
    row = scores_of(ch.appraisal_of(cycle, org.salesperson))[ch.SATISFACTION]
    assert (row.raw_value, row.count, row.score) == (D("4.6667"), 6, D("93.33"))
