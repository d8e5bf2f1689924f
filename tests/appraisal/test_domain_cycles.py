"""appraisal.cycles.domain: pure rules, no database."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.utils import translation

from appraisal.cycles.domain import (
    LineInput,
    appeal_deadline,
    appeal_open,
    apply_changes,
    check_rating,
    comment_required,
    explain,
    line_from,
    missing_scores,
    outliers,
    summary,
)
from appraisal.template import domain
from core.errors import DomainError
from tests.appraisal.helpers import BANDS, LINEAR_CURVE, SCALE


def line(pk, name, weight, score=None, adjusted=None, **kwargs) -> LineInput:
    return LineInput(
        dimension_id=pk,
        name=name,
        name_zh=name + "\uff08zh\uff09",
        method=kwargs.pop("method", "rated"),
        weight=D(weight),
        score=None if score is None else D(score),
        adjusted_score=None if adjusted is None else D(adjusted),
        **kwargs,
    )


# --- ratings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"), [(1, True), (2, False), (3, False), (4, False), (5, True), (None, False)]
)
def test_comment_required_at_the_extremes(level, expected):
    assert comment_required(SCALE, level) is expected
    assert comment_required(domain.parse_scale(SCALE), level) is expected


def test_check_rating_scores_the_level():
    assert check_rating(SCALE, 4, "", name="Teamwork") == D("80.00")
    assert check_rating(SCALE, "3", "", name="Teamwork") == D("60.00")


@pytest.mark.parametrize("level", [0, 6, "x", None])
def test_check_rating_refuses_a_level_off_the_scale(level):
    with pytest.raises(DomainError, match="Teamwork: choose a level of the scale \\(1 to 5\\)"):
        check_rating(SCALE, level, "fine", name="Teamwork")


@pytest.mark.parametrize("level", [1, 5])
def test_check_rating_needs_a_comment_at_the_extremes(level):
    with pytest.raises(DomainError, match=f"Teamwork: explain a rating of {level}"):
        check_rating(SCALE, level, "   ", name="Teamwork")
    assert check_rating(SCALE, level, "Because.", name="Teamwork") == domain.level_score(
        domain.parse_scale(SCALE), level
    )
    # self-assessments and peers need no comment
    check_rating(SCALE, level, "", name="Teamwork", need_comment=False)


# --- the working ---------------------------------------------------------------------------


def test_missing_scores_names_the_lines_without_a_final_score():
    lines = [
        line(1, "Revenue", "50", score=None),
        line(2, "Satisfaction", "20", score=None, adjusted="70"),
        line(3, "Teamwork", "30", score="80"),
        line(4, "Training", "0.01"),
    ]
    assert missing_scores(lines) == ["Revenue", "Training"]


def test_missing_scores_are_named_in_the_readers_language():
    lines = [line(1, "Revenue", "50"), line(2, "Teamwork", "50", score="80")]
    with translation.override("zh-hans"):
        assert missing_scores(lines) == ["Revenue\uff08zh\uff09"]
    with translation.override("en"):
        assert missing_scores(lines) == ["Revenue"]


def test_explain_builds_the_working():
    lines = [
        line(
            1,
            "Revenue",
            "40",
            score="90",
            method="attainment",
            metric={
                "code": "revenue",
                "name": "Revenue",
                "name_zh": "营业收入",
                "unit": "currency",
            },
            actual=D("900.0000"),
            target=D("1000.0000"),
            value=D("90.0000"),
            curve=dict(LINEAR_CURVE),
        ),
        line(2, "Satisfaction", "20", score=None, adjusted="75", adjustment_reason="No data."),
        line(
            3,
            "Teamwork",
            "40",
            score="60",
            scale=list(SCALE),
            level=3,
            comment="Helps.",
            self_level=4,
            peer_average=D("3.50"),
            peer_count=2,
        ),
    ]
    working = explain(
        lines,
        BANDS,
        template={"id": 7, "code": "t", "version": 2, "name": "T", "name_zh": "方案"},
        period={"id": 3, "kind": "quarter", "start": "2026-01-01", "end": "2026-03-31"},
    )
    # 90*0.4 + 75*0.2 + 60*0.4 = 36 + 15 + 24 = 75
    assert working["total"] == "75.00"
    assert working["grade"] == "C"
    assert working["grade_label"] == "Fair"
    assert working["grade_label_zh"] == "合格"
    assert working["template"]["version"] == 2
    assert working["period"]["start"] == "2026-01-01"
    assert [b["grade"] for b in working["bands"]] == ["S", "A", "B", "C", "D"]
    first, second, third = working["lines"]
    assert first == {
        "dimension_id": 1,
        "name": "Revenue",
        "name_zh": "Revenue\uff08zh\uff09",
        "method": "attainment",
        "weight": "40.00",
        "metric": {"code": "revenue", "name": "Revenue", "name_zh": "营业收入", "unit": "currency"},
        "actual": "900.0000",
        "target": "1000.0000",
        "value": "90.0000",
        "count": None,
        "curve": LINEAR_CURVE,
        "scale": None,
        "level": None,
        "comment": "",
        "self_level": None,
        "peer_average": None,
        "peer_count": 0,
        "score": "90.00",
        "adjusted_score": None,
        "adjustment_reason": "",
        "final_score": "90.00",
        "contribution": "36.00",
    }
    assert second["score"] is None
    assert second["adjusted_score"] == second["final_score"] == "75.00"
    assert second["adjustment_reason"] == "No data."
    assert third["peer_average"] == "3.50"
    assert third["self_level"] == 4
    assert third["scale"][0]["anchor_zh"] == "差"
    # contributions add up to the total shown
    assert sum(D(x["contribution"]) for x in working["lines"]) == D(working["total"])


def test_explain_contributions_add_up_after_rounding():
    lines = [
        line(i, f"D{i}", w, score=s)
        for i, (w, s) in enumerate(
            [("33.33", "87.5"), ("33.33", "91.25"), ("33.34", "78.13")], start=1
        )
    ]
    working = explain(lines, BANDS)
    assert sum(D(x["contribution"]) for x in working["lines"]) == D(working["total"])
    assert working["total"] == str(
        domain.round_score(
            D("87.5") * D("0.3333") + D("91.25") * D("0.3333") + D("78.13") * D("0.3334")
        )
    )


def test_explain_refuses_lines_without_a_final_score_naming_them():
    lines = [line(1, "Revenue", "50"), line(2, "Teamwork", "50", score="80"), line(3, "X", "0.1")]
    with pytest.raises(DomainError, match="No score yet for Revenue, X"):
        explain(lines, BANDS)


def test_explain_accepts_parsed_bands():
    working = explain([line(1, "A", "100", score="96")], domain.parse_bands(BANDS))
    assert working["grade"] == "A"


def test_line_from_reads_attributes_only():
    class Metric:
        code, name, name_zh, unit = "revenue", "Revenue", "营业收入", "currency"

    class Dim:
        pk, name, name_zh, method, weight = 5, "Revenue", "营业收入", "attainment", D("40")
        metric_id, metric, curve, scale = 1, Metric(), dict(LINEAR_CURVE), []

    class Row:
        actual, target, raw_value, count = D("9"), D("10"), D("90"), None
        level, comment, self_level, score, adjusted_score = None, "", None, D("90"), None

    result = line_from(Dim(), Row(), adjustment_reason="")
    assert result.metric["name_zh"] == "营业收入"
    assert result.value == D("90")
    assert result.final_score == D("90")
    assert result.scale is None
    empty = line_from(Dim(), None)
    assert empty.score is None and empty.final_score is None


# --- appeal changes -----------------------------------------------------------------------------


def _working():
    return explain(
        [line(1, "Revenue", "60", score="90"), line(2, "Teamwork", "40", score="60")], BANDS
    )


def test_apply_changes_makes_a_new_working():
    before = _working()
    assert before["total"] == "78.00"  # 54 + 24
    assert before["grade"] == "C"
    after = apply_changes(before, {2: D("90")}, "Peers confirm it.")
    assert after["total"] == "90.00"  # 54 + 36
    assert after["grade"] == "B"
    teamwork = after["lines"][1]
    assert teamwork["score"] == "60.00"  # the original score stays visible
    assert teamwork["adjusted_score"] == teamwork["final_score"] == "90.00"
    assert teamwork["adjustment_reason"] == "Peers confirm it."
    assert teamwork["contribution"] == "36.00"
    # the earlier working is untouched
    assert before["lines"][1]["final_score"] == "60.00"
    assert before["total"] == "78.00"


def test_apply_changes_refusals():
    working = _working()
    with pytest.raises(DomainError, match="reason"):
        apply_changes(working, {2: D("90")}, "  ")
    with pytest.raises(DomainError, match="at least one dimension"):
        apply_changes(working, {}, "why")
    with pytest.raises(DomainError, match="Dimension 9 is not part"):
        apply_changes(working, {9: D("90")}, "why")
    with pytest.raises(DomainError, match="Teamwork: the new score cannot be negative"):
        apply_changes(working, {2: D("-1")}, "why")
    with pytest.raises(DomainError, match="Teamwork: the new score is not a number"):
        apply_changes(working, {2: "abc"}, "why")


# --- calibration --------------------------------------------------------------------------


def test_summary():
    assert summary([]) == {"count": 0, "mean": None, "min": None, "max": None}
    assert summary([D("80"), D("70"), None, D("91")]) == {
        "count": 3,
        "mean": D("80.33"),
        "min": D("70"),
        "max": D("91"),
    }


def test_outliers_flags_groups_far_from_everyone_else():
    groups = {
        "sue": [D("95"), D("97"), D("99")],  # mean 97 vs others 69.5 -> +27.5
        "otto": [D("70"), D("72")],  # mean 71 vs (97*3 + 68*2)/5 -> 71 - 85.4 = -14.4
        "rita": [D("66"), D("70")],  # mean 68 vs (291 + 142)/5 = 86.6 -> -18.6
    }
    found = outliers(groups, gap=D("15"), minimum=2)
    assert set(found) == {"sue", "rita"}
    assert found == {"sue": D("27.50"), "rita": D("-18.60")}
    assert outliers(groups, gap=D("14.4")) == {
        "sue": D("27.50"),
        "otto": D("-14.40"),
        "rita": D("-18.60"),
    }
    assert outliers(groups, gap=D("100")) == {}


def test_outliers_ignore_small_groups_but_count_their_scores():
    groups = {"solo": [D("10")], "a": [D("80"), D("80")], "b": [D("80"), D("80")]}
    assert "solo" not in outliers(groups, gap=D("1"))
    # a: 80 vs (10 + 80 + 80) / 3 = 56.67 -> 23.33
    assert outliers(groups, gap=D("20")) == {"a": D("23.33"), "b": D("23.33")}
    assert outliers(groups, gap=D("20"), minimum=3) == {}


def test_outliers_at_exactly_the_gap_and_alone():
    groups = {"a": [D("80"), D("80")], "b": [D("70"), D("70")]}
    assert outliers(groups, gap=D("10")) == {"a": D("10.00"), "b": D("-10.00")}
    assert outliers(groups, gap=D("10.01")) == {}
    assert outliers({"a": [D("80"), D("90")]}, gap=D("1")) == {}  # nobody else to compare


# --- appeal window ------------------------------------------------------------------------


def test_appeal_deadline_and_window():
    released = datetime.datetime(2026, 4, 15, 10, tzinfo=datetime.UTC)
    deadline = appeal_deadline(released, 10)
    assert deadline == datetime.datetime(2026, 4, 25, 10, tzinfo=datetime.UTC)
    assert appeal_open(released, 10, deadline)
    assert not appeal_open(released, 10, deadline + datetime.timedelta(seconds=1))
    assert not appeal_open(None, 10, released)
