"""Reads of appraisal cycles (appraisal/cycles/selectors.py): what each reader sees of
a cycle and of one appraisal (ratings hidden from the person before release, peers
only in aggregate above the minimum, the self-assessment only for the person, the
raters and the department), the to-do lists, the calibration statistics and
outliers, and fixed query counts.

The cycle comes from tests/appraisal/cycle_helpers.py (EAST + SOUTH, Q1 2026: sam,
tina, sue in T-EAST-1; eve in T-EAST-2; oscar in T-SOUTH-1). `figures()` writes
attainment and satisfaction figures straight into the working rows (there are no
sales in these tests), so that totals can be worked out before finalisation.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from appraisal.cycles import selectors as reads
from appraisal.cycles import services as cycles
from appraisal.models import Appraisal, DimensionScore
from tests.appraisal import cycle_helpers as ch

D = Decimal


@pytest.fixture
def cycle(org):
    return ch.make_cycle(org)


def figures(cycle, *, people=None):
    """Attainment 95 % (score 95) and satisfaction 4.2 from 5 responses (score 80)
    (finalising recomputes them from the sales: none here, so finalise first)."""
    attainment, satisfaction = D("95"), D("4.2")
    dims = ch.dimensions(cycle)
    rows = DimensionScore.objects.filter(appraisal__cycle=cycle)
    if people is not None:
        rows = rows.filter(appraisal__person__in=people)
    rows.filter(dimension=dims[ch.ATTAINMENT]).update(
        actual=attainment * 1000, target=D("100000"), raw_value=attainment, score=attainment
    )
    rows.filter(dimension=dims[ch.SATISFACTION]).update(
        raw_value=satisfaction, count=5, score=D("80")
    )


def of(cycle, person):
    return Appraisal.objects.select_related(
        "cycle__template", "cycle__period__fiscal_year", "person", "unit", "rated_by"
    ).get(cycle=cycle, person=person)


def line(view, name):
    return next(x for x in view.lines if x.dimension_id == ch.dimensions(view.appraisal)[name].pk)


def peer_rate(appraisal, rater, level, comment=""):
    dims = ch.dimensions(appraisal)
    cycles.peer_rating_save(
        appraisal=appraisal, entries={dims[ch.TEAMWORK].pk: (level, comment)}, acting_user=rater
    )


# --- the cycle list and overview -----------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("department", 5),
        ("supervisor", 3),  # sam, tina and herself
        ("regional", 4),
        ("other_supervisor", 1),
    ],
)
def test_the_cycle_list_counts_the_appraisals_the_reader_sees(org, cycle, persona, expected):
    [row] = reads.cycle_list(getattr(org, persona))
    assert row == cycle
    assert row.appraisal_count == expected
    assert row.finalised_count == 0


def test_the_cycle_list_is_empty_for_salespeople_and_hr_before_finalisation(org, cycle):
    assert reads.cycle_list(org.salesperson) == []
    assert reads.cycle_list(org.hr) == []
    ch.finalise(org, of(cycle, org.east2_person))
    [row] = reads.cycle_list(org.hr)
    assert (row.appraisal_count, row.finalised_count, row.released_count) == (1, 1, 0)


def test_the_overview_counts_statuses_and_works_out_provisional_scores(org, cycle):
    figures(cycle)
    ch.rate(org, ch.self_assess(of(cycle, org.salesperson)))
    ch.self_assess(of(cycle, org.teammate))
    overview = reads.cycle_overview(cycle=cycle, user=org.department)
    assert overview.total == 5
    assert overview.counts["open"] == 3
    assert overview.counts["self_assessed"] == 1
    assert overview.counts["rated"] == 1
    assert overview.ready == 1
    assert [s for s, _label, _n in overview.status_counts][:3] == ["open", "self_assessed", "rated"]
    rows = {r.person.username: r for r in overview.rows}
    # 95 * 40 % + 80 * 20 % + 80 (level 4) * 20 % + 60 (level 3) * 20 % = 82
    assert (rows["sam"].score, rows["sam"].grade, rows["sam"].grade_label) == (
        D("82.00"),
        "B",
        "Good",
    )
    assert rows["sam"].rater == org.supervisor
    assert rows["tina"].score is None
    assert rows["tina"].missing == [ch.ATTITUDE, ch.TEAMWORK]
    assert rows["sam"].missing == []


def test_a_supervisor_sees_only_the_rows_of_her_teams_and_not_her_own_scores(org, cycle):
    figures(cycle)
    ch.rate(org, of(cycle, org.supervisor))  # rita rates sue
    overview = reads.cycle_overview(cycle=cycle, user=org.supervisor)
    rows = {r.person.username: r for r in overview.rows}
    assert set(rows) == {"sam", "tina", "sue"}
    assert rows["sue"].hidden and rows["sue"].score is None and rows["sue"].grade is None
    assert not rows["sam"].hidden
    assert overview.counts["rated"] == 1
    regional = {
        r.person.username: r for r in reads.cycle_overview(cycle=cycle, user=org.regional).rows
    }
    assert regional["sue"].score == D("82.00")


def test_a_finalised_row_shows_the_result(org, cycle):
    eve = ch.finalise(org, of(cycle, org.east2_person))
    result = eve.results.get()
    [row] = reads.cycle_overview(cycle=cycle, user=org.hr).rows
    assert (row.person, row.score, row.grade) == (org.east2_person, result.score, result.grade)


def test_the_overview_takes_a_fixed_number_of_queries(org, cycle, django_assert_max_num_queries):
    dora = type(org.department).objects.get(pk=org.department.pk)
    reads.cycle_overview(cycle=cycle, user=dora)  # the roles, cached on the user
    with CaptureQueriesContext(connection) as few:
        reads.cycle_overview(cycle=cycle, user=dora)
    ch.finalise(org, of(cycle, org.east2_person))
    figures(cycle, people=[org.salesperson, org.teammate])
    for person in (org.salesperson, org.teammate):
        ch.rate(org, of(cycle, person))
    with CaptureQueriesContext(connection) as many:
        overview = reads.cycle_overview(cycle=cycle, user=dora)
        [(r.person.username, r.unit.code, r.rater, r.score) for r in overview.rows]
    assert len(many) == len(few) <= 5
    with django_assert_max_num_queries(1):
        reads.cycle_list(dora)


# --- one appraisal --------------------------------------------------------------------------


def test_the_person_sees_figures_but_no_rating_total_or_grade_before_release(org, cycle):
    figures(cycle)
    sam = ch.rate(org, ch.self_assess(of(cycle, org.salesperson), levels=(5, 4)))
    view = reads.appraisal_view(appraisal=of(cycle, org.salesperson), user=org.salesperson)
    assert not view.sees_ratings and view.sees_self_assessment
    assert view.total is None and view.grade is None and view.versions == []
    attainment = line(view, ch.ATTAINMENT)
    assert (attainment.value, attainment.score, attainment.target) == (
        D("95"),
        D("95.00"),
        D("100000"),
    )
    assert attainment.final_score is None and attainment.contribution is None
    attitude = line(view, ch.ATTITUDE)
    assert attitude.hidden
    assert (attitude.level, attitude.comment, attitude.score) == (None, "", None)
    assert (attitude.self_level, attitude.self_anchor) == (5, "Excellent")
    # the supervisor sees it all
    view = reads.appraisal_view(appraisal=of(cycle, org.salesperson), user=org.supervisor)
    attitude = line(view, ch.ATTITUDE)
    assert (attitude.level, attitude.level_anchor, attitude.comment) == (4, "Good", "Reliable.")
    assert attitude.score == D("80.00") and attitude.contribution == D("16.00")
    assert (view.total, view.grade, view.grade_label) == (D("82.00"), "B", "Good")
    assert attitude.self_level == 5
    assert sam.status == "rated"


def test_peers_appear_only_as_an_average_from_the_minimum_on(org, cycle, settings):
    settings.APPRAISAL_PEER_MINIMUM = 2
    sue_appraisal = of(cycle, org.supervisor)
    peer_rate(sue_appraisal, org.salesperson, 5, "Always helps.")
    view = reads.appraisal_view(appraisal=sue_appraisal, user=org.regional)
    teamwork = line(view, ch.TEAMWORK)
    assert (teamwork.peer_average, teamwork.peer_count, teamwork.peers_too_few) == (None, 1, True)
    assert reads.peer_aggregates(appraisal=sue_appraisal) == {
        ch.dimensions(sue_appraisal)[ch.TEAMWORK].pk: (None, 1)
    }
    peer_rate(sue_appraisal, org.teammate, 4)
    view = reads.appraisal_view(appraisal=sue_appraisal, user=org.regional)
    teamwork = line(view, ch.TEAMWORK)
    assert (teamwork.peer_average, teamwork.peer_count, teamwork.peers_too_few) == (
        D("4.50"),
        2,
        False,
    )
    # no peer average on other lines, none for the person before release
    assert line(view, ch.ATTITUDE).peer_count == 0
    own = line(reads.appraisal_view(appraisal=sue_appraisal, user=org.supervisor), ch.TEAMWORK)
    assert (own.peer_average, own.peer_count) == (None, 0)
    # nobody learns who rated what: only the rater reads back their own rating
    assert reads.peer_ratings_by(appraisal=sue_appraisal, rater=org.salesperson) == {
        ch.dimensions(sue_appraisal)[ch.TEAMWORK].pk: (5, "Always helps.")
    }
    assert reads.peer_ratings_by(appraisal=sue_appraisal, rater=org.regional) == {}


def test_hr_sees_the_ratings_once_finalised_but_not_the_self_assessment(org, cycle):
    eve = ch.self_assess(of(cycle, org.east2_person), levels=(2, 2))
    ch.finalise(org, eve)
    view = reads.appraisal_view(appraisal=of(cycle, org.east2_person), user=org.hr)
    assert view.final and view.sees_ratings and not view.sees_self_assessment
    attitude = line(view, ch.ATTITUDE)
    assert attitude.level == 4 and attitude.self_level is None
    # the missing figures were adjusted in calibration: shown with their reason
    attainment = line(view, ch.ATTAINMENT)
    assert attainment.adjusted_score == D("75.00") and "No data" in attainment.adjustment_reason
    assert attainment.note  # no target: said in words
    assert [a.dimension for a in view.adjustments] == [ch.ATTAINMENT, ch.SATISFACTION]
    assert [(v.version, v.reason) for v in view.versions] == [(1, "")]
    assert view.total == eve.results.get().score


def test_after_release_the_person_sees_the_result_and_the_appeal_window(org, cycle, settings):
    settings.APPRAISAL_APPEAL_DAYS = 10
    sam = ch.release(org, of(cycle, org.salesperson))
    now = ch.RELEASE_NOW + datetime.timedelta(days=3)
    view = reads.appraisal_view(appraisal=of(cycle, org.salesperson), user=org.salesperson, now=now)
    assert view.sees_ratings and view.total == sam.results.get().score
    assert view.appeal.deadline == ch.RELEASE_NOW + datetime.timedelta(days=10)
    assert view.appeal.open
    late = ch.RELEASE_NOW + datetime.timedelta(days=11)
    view = reads.appraisal_view(
        appraisal=of(cycle, org.salesperson), user=org.salesperson, now=late
    )
    assert not view.appeal.open


def test_an_appeal_resolved_with_a_change_shows_both_versions(org, cycle):
    _sam, result = ch.resolve_changed(org, of(cycle, org.salesperson), teamwork=D("90"))
    view = reads.appraisal_view(appraisal=of(cycle, org.salesperson), user=org.salesperson)
    assert [v.version for v in view.versions] == [1, 2]
    assert view.versions[1].reason == "Peers' feedback confirms better teamwork."
    assert view.total == result.score
    assert line(view, ch.TEAMWORK).final_score == D("90.00")
    assert view.appeal.resolution == "changed" and view.appeal.reason
    assert view.status == "resolved"


def test_names_and_anchors_are_in_the_readers_language(org, cycle):
    ch.rate(org, of(cycle, org.salesperson))
    with translation.override("zh-hans"):
        view = reads.appraisal_view(appraisal=of(cycle, org.salesperson), user=org.supervisor)
        attitude = line(view, ch.ATTITUDE)
        assert attitude.name == "工作态度"
        assert attitude.level_anchor == "良好"
        assert [s.anchor for s in attitude.scale][:2] == ["差", "较差"]
        assert line(view, ch.ATTAINMENT).curve_text
    view = reads.appraisal_view(appraisal=of(cycle, org.salesperson), user=org.supervisor)
    assert line(view, ch.ATTITUDE).name == ch.ATTITUDE
    assert "60 %" in line(view, ch.ATTAINMENT).curve_text


def test_the_appraisal_view_takes_a_fixed_number_of_queries(
    org, cycle, django_assert_max_num_queries
):
    ch.release(org, of(cycle, org.teammate))
    figures(cycle, people=[org.salesperson])
    sam = of(cycle, org.salesperson)
    peer_rate(sam, org.teammate, 4)
    ch.rate(org, sam)
    cycles.score_adjust(
        appraisal=sam,
        dimension_id=ch.dimensions(cycle)[ch.ATTITUDE].pk,
        new_score=D("70"),
        reason="Calibrated.",
        acting_user=org.department,
    )
    sue = type(org.supervisor).objects.get(pk=org.supervisor.pk)
    # the roles and led units of the reader (2), then the view itself (7)
    with django_assert_max_num_queries(9):
        view = reads.appraisal_view(appraisal=of(cycle, org.salesperson), user=sue)
    assert view.total is not None and view.adjustments
    tina = type(org.teammate).objects.get(pk=org.teammate.pk)
    with django_assert_max_num_queries(9):
        view = reads.appraisal_view(appraisal=of(cycle, org.teammate), user=tina)
    assert view.final and len(view.versions) == 1


# --- to-do lists ---------------------------------------------------------------------------


def test_my_appraisals_say_what_to_do(org, cycle):
    [row] = reads.my_appraisals(org.salesperson)
    assert (row.status, row.to_do, row.score) == ("open", "self_assess", None)
    ch.finalise(org, of(cycle, org.salesperson))
    [row] = reads.my_appraisals(org.salesperson)
    assert (row.status, row.to_do, row.score) == ("finalised", "", None)  # not released
    sam = ch.release(org, of(cycle, org.salesperson))
    [row] = reads.my_appraisals(org.salesperson, now=ch.RELEASE_NOW)
    assert (row.to_do, row.score) == ("respond", sam.results.get().score)
    assert row.deadline == ch.RELEASE_NOW + datetime.timedelta(days=10)
    assert reads.my_appraisals(org.regional) == []


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("supervisor", ["sam", "tina"]),
        ("regional", ["sam", "sue", "tina", "eve"]),
        ("other_supervisor", ["oscar"]),
        ("salesperson", []),
        ("department", []),
    ],
)
def test_rating_tasks(org, cycle, persona, expected):
    tasks = reads.rating_tasks(getattr(org, persona))
    assert [a.person.username for a in tasks] == expected


def test_rating_tasks_drop_once_submitted_and_say_a_draft_is_started(org, cycle):
    ch.rate(org, of(cycle, org.salesperson))
    ch.rate(org, of(cycle, org.teammate), submit=False)
    tasks = reads.rating_tasks(org.supervisor)
    assert [(a.person.username, a.started) for a in tasks] == [("tina", True)]


def test_peer_tasks_are_the_teammates_not_oneself_nor_for_the_leader(org, cycle):
    assert [a.person.username for a in reads.peer_tasks(org.teammate)] == ["sam", "sue"]
    assert reads.peer_tasks(org.supervisor) == []  # she rates them as supervisor
    assert reads.peer_tasks(org.east2_person) == []  # alone in the team
    assert reads.peer_tasks(org.department) == []
    peer_rate(of(cycle, org.salesperson), org.teammate, 4)
    assert [(a.person.username, a.done) for a in reads.peer_tasks(org.teammate)] == [
        ("sam", True),
        ("sue", False),
    ]
    ch.rate(org, of(cycle, org.salesperson))  # closed to peers
    assert [a.person.username for a in reads.peer_tasks(org.teammate)] == ["sue"]


# --- calibration -----------------------------------------------------------------------------


def _rate_everyone(org, cycle):
    """sue rates her team top (5, 5), rita rates low (1, 1): an outlier each way."""
    top = ("Exceptional.", "Exceptional.")
    low = ("Needs support.", "Needs support.")
    ch.rate(org, of(cycle, org.salesperson), levels=(5, 5), comments=top)
    ch.rate(org, of(cycle, org.teammate), levels=(5, 5), comments=top)
    ch.rate(org, of(cycle, org.supervisor), levels=(1, 1), comments=low)
    ch.rate(org, of(cycle, org.east2_person), levels=(1, 1), comments=low)
    ch.rate(org, of(cycle, org.other_salesperson), levels=(4, 3))


def test_calibration_flags_the_raters_far_from_everyone_else(org, cycle, settings):
    settings.APPRAISAL_OUTLIER_POINTS = "10"
    figures(cycle)
    _rate_everyone(org, cycle)
    result = reads.calibration(cycle=cycle)
    raters = {g.key: g for g in result.raters}
    sue, rita, otto = (raters[u.pk] for u in (org.supervisor, org.regional, org.other_supervisor))
    assert (sue.count, sue.rated_mean) == (2, D("100.00"))
    # 100 against the mean of 20, 20 and 70
    assert sue.outlier == D("63.33")
    assert rita.outlier == D("-70.00")  # 20 against 100, 100, 70
    assert otto.outlier is None  # one appraisal: too few to judge
    assert [g.key for g in result.outlier_raters] == sorted(
        [org.supervisor.pk, org.regional.pk], key=lambda pk: raters[pk].label
    )
    # totals: 95*.4 + 80*.2 + 100*.2 + 100*.2 = 94 (B); with 20s: 62 (C); oscar 82 (B)
    assert (sue.mean, sue.min, sue.max, sue.grades["B"]) == (D("94.00"), D("94.00"), D("94.00"), 2)
    assert rita.grades == {"S": 0, "A": 0, "B": 0, "C": 2, "D": 0}
    assert result.overall.count == 5
    assert result.overall.grades["B"] == 3 and result.overall.grades["C"] == 2
    units = {g.key: g for g in result.units}
    assert units[org.team.pk].count == 3 and units[org.other_team.pk].count == 1
    rows = {r.person.username: r for r in result.rows}
    assert rows["sam"].outlier and rows["eve"].outlier and not rows["oscar"].outlier
    assert rows["oscar"].rater == org.other_supervisor


def test_calibration_lists_adjustments_and_uses_the_rating_not_the_adjusted_score(org, cycle):
    figures(cycle)
    _rate_everyone(org, cycle)
    sam = of(cycle, org.salesperson)
    cycles.score_adjust(
        appraisal=sam,
        dimension_id=ch.dimensions(cycle)[ch.ATTITUDE].pk,
        new_score=D("80"),
        reason="In line with the others.",
        acting_user=org.department,
    )
    result = reads.calibration(cycle=cycle)
    row = next(r for r in result.rows if r.appraisal.pk == sam.pk)
    assert [(a.dimension, a.old_score, a.new_score, a.reason) for a in row.adjustments] == [
        (ch.ATTITUDE, D("100.00"), D("80.00"), "In line with the others.")
    ]
    assert row.score == D("90.00")  # the total uses the adjusted score
    assert row.rated_mean == D("100.00")  # the rater's own scores judge the rater


def test_with_a_wider_gap_nobody_is_an_outlier(org, cycle, settings):
    settings.APPRAISAL_OUTLIER_POINTS = "71"
    figures(cycle)
    _rate_everyone(org, cycle)
    assert reads.calibration(cycle=cycle).outlier_raters == []


def test_calibration_takes_a_fixed_number_of_queries(org, cycle):
    with CaptureQueriesContext(connection) as few:
        reads.calibration(cycle=cycle)
    ch.finalise(org, of(cycle, org.east2_person))
    figures(cycle, people=[org.salesperson, org.teammate, org.supervisor, org.other_salesperson])
    peer_rate(of(cycle, org.supervisor), org.teammate, 3)
    _rate_all_but_eve(org, cycle)
    with CaptureQueriesContext(connection) as many:
        result = reads.calibration(cycle=cycle)
        [(r.person.username, r.unit.code, r.rater, r.adjustments) for r in result.rows]
    assert len(many) == len(few) <= 6


def _rate_all_but_eve(org, cycle):
    for person in (org.salesperson, org.teammate, org.supervisor, org.other_salesperson):
        ch.rate(org, of(cycle, person))


def test_a_training_dimension_says_there_is_no_data_yet(org, training_recorded):
    specs = ch.cycle_dimension_specs(ch.make_metric(acting_user=org.department))
    specs[1] = {
        "name": "Training",
        "name_zh": "培训",
        "weight": D("20"),
        "method": "training",
        "curve": {"kind": "steps", "steps": [["1", "50"], ["3", "100"]]},
    }
    template = ch.make_cycle_template(org, code="training", specs=specs)
    cycle = ch.make_cycle(org, template=template)
    ch.compute(cycle)
    view = reads.appraisal_view(appraisal=of(cycle, org.salesperson), user=org.department)
    training = next(x for x in view.lines if x.method == "training")
    assert training.note == "No training data yet."
    assert (training.value, training.score, training.final_score) == (None, None, None)
    assert "Training" in view.missing and view.total is None
    assert training.curve_text.startswith("Below 1 scores 0")
