"""Pure rules of appraisal/template/domain.py: curves, scales, weights, bands, the weighted total
and the check of a whole template. No database."""

from decimal import Decimal as D

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from appraisal.template import domain
from appraisal.template.domain import DimensionSpec, DomainError
from tests.appraisal.helpers import BANDS, LINEAR_CURVE, SATISFACTION_CURVE, SCALE

LINEAR = domain.parse_curve(LINEAR_CURVE)
STEPS = domain.parse_curve(SATISFACTION_CURVE)

# --- linear curves ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "score"),
    [
        ("0", "0.00"),
        ("59.99", "0.00"),
        ("60", "60.00"),
        ("80", "80.00"),
        ("100", "100.00"),
        ("110", "110.00"),
        ("120", "120.00"),
        ("150", "120.00"),
    ],
)
def test_linear_curve_scores_zero_below_the_floor_rises_evenly_and_stops_at_the_cap(value, score):
    assert domain.curve_score(LINEAR, D(value)) == D(score)


def test_linear_curve_from_a_zero_floor_score_rises_from_zero():
    curve = domain.parse_curve(
        {
            "kind": "linear",
            "floor": "60",
            "floor_score": "0",
            "target": "100",
            "target_score": "100",
        }
    )
    assert domain.curve_score(curve, D("80")) == D("50.00")
    assert domain.curve_score(curve, D("130")) == D("100.00")  # no cap: stops at the target
    assert domain.curve_max(curve) == D("100.00")


def test_curve_scores_are_rounded_half_up_to_two_places():
    curve = domain.parse_curve(
        {"kind": "linear", "floor": "0", "floor_score": "0", "target": "8", "target_score": "1"}
    )
    assert domain.curve_score(curve, D("0.1")) == D("0.01")  # 0.0125 -> 0.01
    assert domain.curve_score(curve, D("0.3")) == D("0.04")  # 0.0375 -> 0.04
    assert domain.curve_score(curve, D("0.02")) == D("0.00")  # 0.0025 -> 0.00
    assert domain.curve_score(curve, D("0.04")) == D("0.01")  # 0.005 -> 0.01 (half up)
    assert domain.round_score(D("84.125")) == D("84.13")
    assert domain.round_score(D("84.124")) == D("84.12")


def test_curve_max_is_the_score_at_the_cap():
    assert domain.curve_max(LINEAR) == D("120.00")
    assert domain.curve_max(STEPS) == D("100.00")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"kind": "curvy"}, "Unknown kind of scoring curve"),
        ({"floor": None}, "the floor is missing"),
        ({"target": "abc"}, "The target is not a number"),
        ({"target": "50"}, "the target must be above the floor"),
        ({"target_score": "50"}, "score at the target must be above the score at the floor"),
        ({"cap": "90"}, "the cap cannot be below the target"),
        ({"floor_score": "-1"}, "cannot be negative"),
    ],
)
def test_a_bad_linear_curve_is_refused_naming_the_part(change, words):
    with pytest.raises(DomainError, match=words):
        domain.parse_curve(LINEAR_CURVE | change)


def test_a_missing_curve_is_refused():
    with pytest.raises(DomainError, match="missing"):
        domain.parse_curve({})


# --- step tables ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "score"),
    [
        ("0.5", "0"),
        ("1", "0"),
        ("2.99", "0"),
        ("3", "60"),
        ("4.2", "80"),
        ("4.5", "100"),
        ("5", "100"),
    ],
)
def test_step_table_scores_the_highest_threshold_reached(value, score):
    assert domain.curve_score(STEPS, D(value)) == D(score)


@pytest.mark.parametrize(
    ("steps", "words"),
    [
        ([], "at least one step"),
        ([["1", "0"], ["1", "10"]], "step 2: thresholds must go up"),
        ([["1", "50"], ["2", "10"]], "step 2: a higher threshold cannot score less"),
        ([["1", "-5"]], "step 1: the score cannot be negative"),
        ([["1"]], "step 1: give a threshold and a score"),
        ([["1", "0"], ["x", "10"]], "Step 2 threshold is not a number"),
    ],
)
def test_a_bad_step_table_is_refused_naming_the_step(steps, words):
    with pytest.raises(DomainError, match=words):
        domain.parse_curve({"kind": "steps", "steps": steps})


def test_curves_round_trip_through_their_stored_form():
    assert domain.parse_curve(LINEAR.as_data()) == LINEAR
    assert domain.parse_curve(STEPS.as_data()) == STEPS


@st.composite
def linear_curves(draw):
    floor = draw(st.decimals(min_value=0, max_value=100, places=2))
    target = floor + draw(st.decimals(min_value="0.01", max_value=100, places=2))
    cap = target + draw(st.decimals(min_value=0, max_value=100, places=2))
    floor_score = draw(st.decimals(min_value=0, max_value=100, places=2))
    target_score = floor_score + draw(st.decimals(min_value="0.01", max_value=100, places=2))
    return domain.parse_curve(
        {
            "kind": "linear",
            "floor": str(floor),
            "floor_score": str(floor_score),
            "target": str(target),
            "target_score": str(target_score),
            "cap": str(cap),
        }
    )


@st.composite
def step_curves(draw):
    n = draw(st.integers(min_value=1, max_value=6))
    thresholds = sorted(
        draw(st.sets(st.decimals(min_value=0, max_value=10, places=1), min_size=n, max_size=n))
    )
    scores = sorted(
        draw(st.lists(st.decimals(min_value=0, max_value=150, places=2), min_size=n, max_size=n))
    )
    return domain.parse_curve(
        {
            "kind": "steps",
            "steps": [[str(t), str(s)] for t, s in zip(thresholds, scores, strict=True)],
        }
    )


values = st.decimals(min_value=-10, max_value=300, places=3)


@settings(deadline=None)
@given(st.one_of(linear_curves(), step_curves()), values, values)
def test_every_curve_is_monotone_and_stays_between_zero_and_its_maximum(curve, a, b):
    low, high = sorted([a, b])
    score_low, score_high = domain.curve_score(curve, low), domain.curve_score(curve, high)
    assert score_low <= score_high
    assert D(0) <= score_low and score_high <= domain.curve_max(curve)
    assert score_high == score_high.quantize(D("0.01"))


# --- describing curves ---------------------------------------------------------------------


def test_a_linear_curve_is_described_in_plain_words():
    curve = domain.parse_curve(LINEAR_CURVE | {"floor_score": "0"})
    assert domain.describe_curve(curve, unit="%") == (
        "Below 60 % scores 0; 60 % scores 0 rising evenly to 100 at 100 %; "
        "capped at 120 % (score 150)."
    )
    assert domain.describe_curve(LINEAR, unit="%") == (
        "Below 60 % scores 0; 60 % scores 60 rising evenly to 100 at 100 %; "
        "capped at 120 % (score 120)."
    )
    flat = domain.parse_curve(LINEAR_CURVE | {"cap": ""})
    assert domain.describe_curve(flat, unit="%").endswith("no more above 100 %.")


def test_a_step_table_is_described_threshold_by_threshold():
    assert domain.describe_curve(STEPS) == (
        "1 or more scores 0; 3 or more scores 60; 4 or more scores 80; 4.5 or more scores 100."
    )
    curve = domain.parse_curve({"kind": "steps", "steps": [["50", "40"], ["80", "100"]]})
    assert domain.describe_curve(curve, unit="%") == (
        "Below 50 % scores 0; 50 % or more scores 40; 80 % or more scores 100."
    )


def test_descriptions_follow_the_active_language():
    with translation.override("zh-hans"):
        text = domain.describe_curve(LINEAR, unit="%")
    assert "60 %" in text and "120 %" in text
    # Chinese punctuation between the clauses and at the end, not "; " and ".".
    assert text.endswith("。") and text.count("\uff1b") == 2 and ";" not in text


# --- rating scales --------------------------------------------------------------------------


def test_a_scale_has_consecutive_levels_with_rising_scores_and_bilingual_anchors():
    levels = domain.parse_scale(SCALE)
    assert [lv.level for lv in levels] == [1, 2, 3, 4, 5]
    assert levels[4].score == D("100")
    assert levels[0].anchor_for("en") == "Poor"
    assert levels[0].anchor_for("zh-hans") == "差"
    assert domain.level_score(levels, 4) == D("80.00")
    assert domain.scale_max(levels) == D("100.00")
    with pytest.raises(DomainError, match="no level 6"):
        domain.level_score(levels, 6)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda s: s[:1], "at least two levels"),
        (lambda s: [s[0], s[2]], r"numbered 1, 2, 3… in order \(level 2\)"),
        (lambda s: [s[0], s[1] | {"score": "20"}], "level 2: each level must score more"),
        (lambda s: [s[0], s[1] | {"anchor_zh": " "}], "level 2: write what the level means"),
        (lambda s: [s[0] | {"score": "-1"}, s[1]], "level 1: the score cannot be negative"),
        (lambda s: [s[0] | {"score": "x"}, s[1]], "The score of level 1 is not a number"),
    ],
)
def test_a_bad_scale_is_refused_naming_the_level(change, words):
    with pytest.raises(DomainError, match=words):
        domain.parse_scale(change([dict(row) for row in SCALE]))


# --- weights ----------------------------------------------------------------------------------


def test_weights_adding_up_to_exactly_100_are_accepted():
    domain.check_weights([D("50"), D("20"), D("15"), D("15")], ["a", "b", "c", "d"])
    domain.check_weights([D("33.33"), D("33.33"), D("33.34")], ["a", "b", "c"])


def test_weights_not_adding_up_to_100_are_refused_saying_the_total():
    with pytest.raises(DomainError) as exc:
        domain.check_weights([D("50"), D("20"), D("15"), D("10")], ["a", "b", "c", "d"])
    assert str(exc.value) == "The weights add up to 95.00 %; they must add up to exactly 100 %."


def test_a_zero_or_too_precise_weight_is_refused_naming_the_dimension():
    with pytest.raises(DomainError, match="The weight of Teamwork must be more than 0 %"):
        domain.check_weights([D("100"), D("0")], ["Revenue", "Teamwork"])
    with pytest.raises(DomainError, match="The weight of Teamwork has more than two decimals"):
        domain.check_weights([D("99"), D("1.005")], ["Revenue", "Teamwork"])


@given(st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=8))
def test_weights_are_refused_exactly_when_they_do_not_add_up_to_100(cents):
    weights = [D(c) / 100 for c in cents]
    names = [f"d{i}" for i in range(len(weights))]
    if sum(weights) == 100:
        domain.check_weights(weights, names)
    else:
        with pytest.raises(DomainError, match="they must add up to exactly 100 %"):
            domain.check_weights(weights, names)


# --- the weighted total ------------------------------------------------------------------


def test_the_weighted_total_is_the_sum_of_the_rounded_contributions():
    final, parts = domain.weighted_total(
        [(D("90"), D("50")), (D("80"), D("20")), (D("60"), D("15")), (D("100"), D("15"))]
    )
    assert parts == [D("45.00"), D("16.00"), D("9.00"), D("15.00")]
    assert final == D("85.00")


def test_contributions_are_rounded_half_up():
    final, parts = domain.weighted_total([(D("33.33"), D("50.5")), (D("1"), D("49.5"))])
    # 16.83165 -> 16.83 and 0.495 -> 0.50
    assert parts == [D("16.83"), D("0.50")]
    assert final == D("17.33")


def test_roundings_that_would_overshoot_are_balanced_so_the_total_stays_exact():
    # each 99.99 x 33.33 % = 33.326667 -> 33.33, and 33.34 % -> 33.336666 -> 33.34:
    # 100.00 naively, above the highest score; the exact sum is 99.99.
    final, parts = domain.weighted_total(
        [(D("99.99"), D("33.33")), (D("99.99"), D("33.33")), (D("99.99"), D("33.34"))]
    )
    assert final == D("99.99") == sum(parts)
    assert all(
        abs(p - D("99.99") * w / 100) < D("0.01")
        for p, w in zip(parts, [D("33.33"), D("33.33"), D("33.34")], strict=True)
    )


def test_the_weighted_total_refuses_weights_not_adding_up_to_100():
    with pytest.raises(DomainError, match=r"add up to 90\.00 %"):
        domain.weighted_total([(D("50"), D("50")), (D("50"), D("40"))])


@st.composite
def weighted_parts(draw):
    n = draw(st.integers(min_value=1, max_value=7))
    cuts = sorted(
        draw(
            st.lists(
                st.integers(min_value=1, max_value=9_999),
                min_size=n - 1,
                max_size=n - 1,
                unique=True,
            )
        )
    )
    bounds = [0, *cuts, 10_000]
    weights = [D(bounds[i + 1] - bounds[i]) / 100 for i in range(n)]
    top = draw(st.decimals(min_value="0.01", max_value=200, places=2))
    scores = draw(
        st.lists(st.decimals(min_value=0, max_value=top, places=2), min_size=n, max_size=n)
    )
    return top, list(zip(scores, weights, strict=True))


@settings(deadline=None, max_examples=300)
@given(weighted_parts())
def test_the_final_score_of_scores_within_bounds_stays_within_them(case):
    top, parts = case
    final, contributions = domain.weighted_total(parts)
    assert D(0) <= final <= top
    assert min(s for s, _w in parts) <= final + D("0.005")
    assert final <= max(s for s, _w in parts)
    assert sum(contributions) == final
    exact = sum(s * w / 100 for s, w in parts)
    assert final == domain.round_score(exact)
    for (score, weight), contribution in zip(parts, contributions, strict=True):
        assert abs(contribution - score * weight / 100) < D("0.01")
        assert contribution >= 0


# --- grade bands --------------------------------------------------------------------------


def test_bands_are_sorted_best_first_and_every_score_gets_a_grade():
    bands = domain.parse_bands(list(reversed(BANDS)))
    assert [b.grade for b in bands] == ["S", "A", "B", "C", "D"]
    assert domain.grade_for(D("110"), bands).grade == "S"
    assert domain.grade_for(D("109.99"), bands).grade == "A"
    assert domain.grade_for(D("80"), bands).grade == "B"
    assert domain.grade_for(D("0"), bands).grade == "D"
    assert bands[0].label_for("zh-hans") == "卓越"


@pytest.mark.parametrize(
    ("bands", "words"),
    [
        ([], "There are no grade bands"),
        ([{"grade": "A", "min_score": "50"}], "The lowest grade starts at 50: it must start at 0"),
        (
            [{"grade": "A", "min_score": "0"}, {"grade": "a", "min_score": "5"}],
            "Grade a appears twice",
        ),
        (
            [{"grade": "A", "min_score": "0"}, {"grade": "B", "min_score": "0"}],
            "Grades A and B both start at 0",
        ),
        ([{"grade": "", "min_score": "0"}], "Grade band 1 needs a grade"),
        ([{"grade": "A", "min_score": "-1"}], "Grade A: the lowest score cannot be negative"),
        ([{"grade": "A", "min_score": "0.001"}], "more than two decimals"),
    ],
)
def test_bad_bands_are_refused_naming_the_grade(bands, words):
    with pytest.raises(DomainError, match=words):
        domain.parse_bands(bands)


@settings(deadline=None)
@given(
    st.sets(st.decimals(min_value="0.01", max_value=150, places=2), max_size=6),
    st.decimals(min_value=0, max_value=500, places=2),
)
def test_every_score_gets_exactly_the_best_grade_it_reaches(minimums, score):
    rows = [{"grade": f"G{i}", "min_score": str(m)} for i, m in enumerate(sorted(minimums))]
    bands = domain.parse_bands([{"grade": "Z", "min_score": "0"}, *rows])
    band = domain.grade_for(score, bands)
    assert band.min_score <= score
    assert all(not (band.min_score < b.min_score <= score) for b in bands)


# --- a whole template -----------------------------------------------------------------------


def specs(**changes):
    rows = [
        DimensionSpec("Revenue", D("50"), "attainment", True, LINEAR_CURVE, None),
        DimensionSpec("Satisfaction", D("20"), "satisfaction", False, SATISFACTION_CURVE, None),
        DimensionSpec("Attitude", D("15"), "rated", False, None, SCALE),
        DimensionSpec("Teamwork", D("15"), "rated", False, None, SCALE),
    ]
    for index, fields in changes.items():
        i = int(index[1:])
        rows[i] = DimensionSpec(**(rows[i].__dict__ | fields))
    return rows


def test_a_complete_template_has_no_problems():
    assert domain.check_template(dimensions=specs(), bands=BANDS) == []


def test_every_problem_of_a_template_is_listed_naming_its_dimension():
    problems = domain.check_template(
        dimensions=specs(
            d0={"has_metric": False, "weight": D("45")},
            d1={"curve": {"kind": "steps", "steps": [["2", "9"], ["1", "5"]]}},
            d2={"scale": None},
            d3={"method": "training", "curve": None},
        ),
        bands=[{"grade": "A", "min_score": "60"}],
    )
    assert problems == [
        "The weights add up to 95.00 %; they must add up to exactly 100 %.",
        "Revenue: choose the metric whose attainment is scored.",
        "Satisfaction: Step table, step 2: thresholds must go up from one step to the next.",
        "Attitude: the rating scale is missing.",
        "Teamwork: training participation cannot be scored yet, because no training records "
        "are kept; every appraisal under this version would wait for its score to be set by "
        "hand. Keep this version as a draft until training records exist, or remove the "
        "dimension.",
        "Teamwork: the scoring curve is missing.",
        "The lowest grade starts at 60: it must start at 0 so that every score gets a grade.",
    ]


def test_an_empty_template_and_duplicate_names_are_problems():
    assert domain.check_template(dimensions=[], bands=[]) == [
        "The template has no dimensions.",
        "The template has no grade bands.",
    ]
    problems = domain.check_template(dimensions=specs(d3={"name": "attitude"}), bands=BANDS)
    assert problems == ["Two dimensions are called attitude."]


# --- exact inputs, one rounding ------------------------------------------------------------


def test_a_curve_scores_the_exact_value_and_rounds_only_the_score():
    from fractions import Fraction

    curve = domain.parse_curve(
        {"kind": "linear", "floor": "0", "floor_score": "0", "target": "5", "target_score": "100"}
    )
    assert domain.curve_score(curve, Fraction(28, 6)) == D("93.33")
    assert domain.curve_score(curve, D("4.67")) == D("93.40")  # the rounded mean: not used
    steps = domain.parse_curve({"kind": "steps", "steps": [["90", "80"], ["100", "100"]]})
    assert domain.curve_score(steps, Fraction(8999, 100)) == D("0.00")
    assert domain.curve_score(steps, Fraction(9000, 100)) == D("80.00")


def test_an_exact_score_on_a_half_cent_rounds_half_up_without_a_shortened_decimal():
    from fractions import Fraction

    assert domain.round_score(Fraction(84125, 1000)) == D("84.13")
    assert domain.round_score(Fraction(1, 3)) == D("0.33")
    assert domain.round_score(Fraction(2, 3)) == D("0.67")
    assert domain.raw_display(Fraction(28, 6)) == D("4.6667")
    assert domain.raw_display(Fraction(26990, 300)) == D("89.9667")


@given(
    numerator=st.integers(min_value=0, max_value=10**9),
    denominator=st.integers(min_value=1, max_value=10**6),
)
def test_round_score_of_a_fraction_is_its_nearest_cent_half_up(numerator, denominator):
    from fractions import Fraction

    value = Fraction(numerator, denominator)
    rounded = domain.round_score(value)
    assert abs(Fraction(rounded) - value) <= Fraction(1, 200)
    if abs(Fraction(rounded) - value) == Fraction(1, 200):
        assert Fraction(rounded) > value  # a half cent goes up


def test_a_training_dimension_is_refused_until_training_is_recorded():
    dims = [
        domain.DimensionSpec(
            "Revenue", D("90"), "attainment", has_metric=True, curve=dict(LINEAR_CURVE)
        ),
        domain.DimensionSpec("Training", D("10"), "training", curve=dict(LINEAR_CURVE)),
    ]
    problems = domain.check_template(dimensions=dims, bands=BANDS)
    assert len(problems) == 1 and problems[0].startswith("Training: training participation")
    assert domain.check_template(dimensions=dims, bands=BANDS, training_data=True) == []
