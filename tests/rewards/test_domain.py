"""The pure rules of incentive plans (rewards.domain): curves, tiers, caps, the grade
multiplier, penalties, gates, adjustments and the rounding of the working.

The examples are worked out by hand from the rules in the module's docstring; the
properties hold for any curve and plan that the checks accept."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import assume, given
from hypothesis import strategies as st

from core.errors import DomainError
from rewards.domain import (
    CENT,
    Component,
    Curve,
    Figure,
    Inputs,
    LineKind,
    PenaltyRule,
    Plan,
    Status,
    Tier,
    TierMode,
    attainment_after,
    check_curve,
    check_plan,
    describe_curve,
    describe_multipliers,
    describe_penalty,
    extra_needed,
    next_step,
    next_steps,
    payout_percent,
    round_lines,
    tier_reached,
    what_if,
    work_out,
)

D = Decimal

# Below 80 %: half rate (decelerator); 80-100 %: as attained; above 100 %: double (accelerator).
ACCELERATED = Curve(
    tiers=(Tier(D(0), D("0.5")), Tier(D(80), D(1)), Tier(D(100), D(2))),
    threshold=D(50),
    cap=D(150),
)


# --- curves: worked examples -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("attainment", "payout", "tier"),
    [
        (D(0), D(0), None),
        (D("49.99"), D(0), None),  # below the threshold nothing is paid
        (D(50), D(25), 0),  # 50 * 0.5
        (D(80), D(40), 1),  # 80 * 0.5: the second tier starts here and adds nothing yet
        (D(90), D(50), 1),  # 40 + 10 * 1
        (D(100), D(60), 2),  # 40 + 20
        (D(110), D(80), 2),  # 60 + 10 * 2
        (D(145), D(150), 2),  # 60 + 90 = 150: the cap
        (D(300), D(150), 2),  # capped
        (D(-5), D(0), None),  # a negative attainment counts as 0
    ],
)
def test_marginal_tiers_pay_each_band_at_its_rate(attainment, payout, tier):
    assert payout_percent(ACCELERATED, attainment) == payout
    assert tier_reached(ACCELERATED, attainment) == tier


def test_whole_tiers_pay_all_of_it_at_the_rate_reached():
    whole = Curve(tiers=(Tier(D(0), D("0.5")), Tier(D(100), D("1.2"))), mode=TierMode.WHOLE)
    assert payout_percent(whole, D(99)) == D("49.5")
    assert payout_percent(whole, D(100)) == D(120)  # the whole 100 at 1.2
    assert payout_percent(whole, D(110)) == D(132)


def test_the_next_step_and_what_it_takes_to_reach_it():
    assert next_step(ACCELERATED, D(30)) == D(50)  # the threshold
    assert next_step(ACCELERATED, D(50)) == D(80)
    assert next_step(ACCELERATED, D(100)) is None
    assert attainment_after(D(90_000), D(100_000), D(5_000)) == D(95)
    assert attainment_after(D(1), D(0)) is None
    assert extra_needed(D(90_000), D(120_000), D(80)) == D(6_000)
    assert extra_needed(D(90_000), D(100_000), D(80)) == D(0)


@pytest.mark.parametrize(
    ("curve", "field"),
    [
        (Curve(tiers=()), "tiers"),
        (Curve(tiers=(Tier(D(10), D(1)),)), "tiers"),
        (Curve(tiers=(Tier(D(0), D(1)), Tier(D(0), D(2)))), "tiers"),
        (Curve(tiers=(Tier(D(0), D(-1)),)), "tiers"),
        (
            Curve(tiers=(Tier(D(0), D(2)), Tier(D(100), D(1))), mode=TierMode.WHOLE),
            "tiers",
        ),
        (Curve(tiers=(Tier(D(0), D(1)),), threshold=D(-1)), "threshold"),
        (Curve(tiers=(Tier(D(0), D(1)),), cap=D(0)), "cap"),
    ],
)
def test_a_curve_nobody_could_read_is_refused(curve, field):
    with pytest.raises(DomainError) as refused:
        check_curve(curve)
    assert refused.value.field == field


# --- curves: properties ----------------------------------------------------------------------

percent = st.decimals(min_value=0, max_value=300, places=2)
rate = st.decimals(min_value=0, max_value=5, places=2)


@st.composite
def curves(draw, mode=None):
    starts = sorted(set(draw(st.lists(percent, min_size=0, max_size=4))) - {D(0)})
    rates = draw(st.lists(rate, min_size=len(starts) + 1, max_size=len(starts) + 1))
    mode = mode or draw(st.sampled_from(list(TierMode)))
    if mode == TierMode.WHOLE:
        rates = sorted(rates)
    cap = draw(st.none() | st.decimals(min_value="0.01", max_value=400, places=2))
    curve = Curve(
        tiers=tuple(Tier(s, r) for s, r in zip([D(0), *starts], rates, strict=True)),
        mode=mode,
        threshold=draw(st.one_of(st.just(D(0)), percent)),
        cap=cap,
    )
    check_curve(curve)
    return curve


@given(curves(), percent)
def test_the_payout_never_exceeds_the_cap(curve, attainment):
    paid = payout_percent(curve, attainment)
    assert paid >= 0
    if curve.cap is not None:
        assert paid <= curve.cap


@given(curves(mode=TierMode.MARGINAL), st.data())
def test_marginal_tiers_are_continuous_at_their_edges(curve, data):
    edge = data.draw(st.sampled_from([t.start for t in curve.tiers]))
    assume(edge > curve.threshold)  # the threshold itself is a step by design
    step = data.draw(st.decimals(min_value="0.0001", max_value="0.01", places=4))
    assume(edge - step >= curve.threshold)
    steepest = max(t.rate for t in curve.tiers)
    below, at = payout_percent(curve, edge - step), payout_percent(curve, edge)
    assert 0 <= at - below <= steepest * step


@given(curves(), percent, percent)
def test_more_attainment_never_pays_less(curve, a, b):
    low, high = sorted([a, b])
    assert payout_percent(curve, low) <= payout_percent(curve, high)


# --- the working: worked examples ------------------------------------------------------------

PLAN = Plan(
    components=(
        Component("revenue", D(70), ACCELERATED),
        Component(
            "gross_margin", D(30), Curve(tiers=(Tier(D(0), D(1)),), threshold=D(60), cap=D(120))
        ),
    ),
    multipliers={"S": D("1.2"), "A": D(1), "B": D("0.8"), "C": D("0.5"), "D": D(0)},
    penalties=(
        PenaltyRule("low-revenue", reduction=D(30), hold_periods=2, below=D(70), key="revenue"),
        PenaltyRule("grade-c", reduction=D(10), hold_periods=1, grades=frozenset({"C"})),
    ),
    cap=D(200),
)


def lines(working):
    return [(line.kind, line.key, line.amount) for line in working.lines]


def test_a_bonus_line_by_line():
    working = work_out(
        PLAN,
        Inputs(D(10_000), {"revenue": D(110), "gross_margin": D(90)}, grade="B"),
    )
    # revenue: 10,000 * 70 % * 80 % = 5,600; margin: 10,000 * 30 % * 90 % = 2,700;
    # grade B: (5,600 + 2,700) * (0.8 - 1) = -1,660; no penalty fires.
    assert lines(working) == [
        (LineKind.COMPONENT, "revenue", D("5600.00")),
        (LineKind.COMPONENT, "gross_margin", D("2700.00")),
        (LineKind.MULTIPLIER, "B", D("-1660.00")),
    ]
    assert working.status == Status.COMPUTED
    assert working.total == D("6640.00") and working.hold_periods == 0
    assert working.before_penalties == D("6640.00")


def test_penalties_fire_in_order_and_the_longest_hold_counts():
    working = work_out(
        PLAN,
        Inputs(D(10_000), {"revenue": D(60), "gross_margin": D(50)}, grade="C"),
    )
    # revenue 60 %: 30 * 0.5 = 30 %, 10,000 * 70 % * 30 % = 2,100; margin below its
    # threshold: 0; grade C: 2,100 * -0.5 = -1,050; then 30 % and 10 % of 1,050.
    assert lines(working) == [
        (LineKind.COMPONENT, "revenue", D("2100.00")),
        (LineKind.COMPONENT, "gross_margin", D("0.00")),
        (LineKind.MULTIPLIER, "C", D("-1050.00")),
        (LineKind.PENALTY, "low-revenue", D("-315.00")),
        (LineKind.PENALTY, "grade-c", D("-105.00")),
    ]
    assert working.total == D("630.00")
    assert [rule.code for rule in working.fired] == ["low-revenue", "grade-c"]
    assert working.hold_periods == 2


def test_the_plan_cap_and_a_component_cap_say_that_they_bit():
    plan = Plan(components=(Component("revenue", D(100), ACCELERATED),), cap=D(120))
    working = work_out(plan, Inputs(D(1_000), {"revenue": D(200)}))
    component, cap = working.lines
    assert component.capped and component.payout == D(150) and component.amount == D("1500.00")
    assert (cap.kind, cap.amount) == (LineKind.PLAN_CAP, D("-300.00"))
    assert working.total == D("1200.00")


def test_without_a_final_grade_the_decision_waits_and_has_no_total():
    working = work_out(PLAN, Inputs(D(10_000), {"revenue": D(100), "gross_margin": D(100)}))
    assert working.status == Status.WAITING and working.total is None
    assert [line.kind for line in working.lines] == [LineKind.COMPONENT, LineKind.COMPONENT]


def test_a_failed_gate_takes_what_is_left_and_adjustments_come_last():
    working = work_out(
        PLAN,
        Inputs(
            D(10_000),
            {"revenue": D(100), "gross_margin": D(100)},
            grade="A",
            gates={"tenure": True, "no-written-warning": False},
            adjustments=[("SR-1042 cancelled", D("-120.50"))],
        ),
    )
    assert lines(working)[-2:] == [
        (LineKind.GATE, "no-written-warning", D("-7200.00")),
        (LineKind.ADJUSTMENT, "SR-1042 cancelled", D("-120.50")),
    ]
    assert working.total == D("-120.50")


def test_a_component_without_a_target_pays_nothing_and_says_so():
    plan = Plan(components=(Component("revenue", D(100), ACCELERATED),))
    (line,) = work_out(plan, Inputs(D(1_000), {"revenue": None})).lines
    assert (line.attainment, line.amount) == (None, D("0.00"))


@pytest.mark.parametrize(
    ("plan", "field"),
    [
        (Plan(components=()), "components"),
        (Plan(components=(Component("revenue", D(60), ACCELERATED),)), "components"),
        (
            Plan(
                components=(
                    Component("revenue", D(50), ACCELERATED),
                    Component("revenue", D(50), ACCELERATED),
                )
            ),
            "components",
        ),
        (Plan(components=(Component("revenue", D(100), ACCELERATED),), cap=D(0)), "cap"),
        (
            Plan(
                components=(Component("revenue", D(100), ACCELERATED),),
                multipliers={"A": D(-1)},
            ),
            "multipliers",
        ),
        (
            Plan(
                components=(Component("revenue", D(100), ACCELERATED),),
                penalties=(PenaltyRule("x", reduction=D(101), below=D(50)),),
            ),
            "penalties",
        ),
        (
            Plan(
                components=(Component("revenue", D(100), ACCELERATED),),
                penalties=(PenaltyRule("x", reduction=D(10)),),
            ),
            "penalties",
        ),
        (
            Plan(
                components=(Component("revenue", D(100), ACCELERATED),),
                penalties=(PenaltyRule("x", reduction=D(10), below=D(50), key="margin"),),
            ),
            "penalties",
        ),
    ],
)
def test_a_plan_that_does_not_add_up_is_refused(plan, field):
    with pytest.raises(DomainError) as refused:
        check_plan(plan)
    assert refused.value.field == field


def test_a_grade_the_plan_does_not_know_is_refused():
    with pytest.raises(DomainError) as refused:
        work_out(PLAN, Inputs(D(1), {"revenue": D(1), "gross_margin": D(1)}, grade="Z"))
    assert refused.value.field == "grade"


# --- the working: properties -----------------------------------------------------------------


def test_rounding_moves_the_lines_nearest_their_boundary():
    # 3 * 33.335 = 100.005 → 100.01; each line rounds to 33.34 (100.02): one comes down.
    amounts, total = round_lines([D("33.335"), D("33.335"), D("33.335")])
    assert total == D("100.01") and sum(amounts) == total
    assert amounts == [D("33.33"), D("33.34"), D("33.34")]


@given(st.lists(st.decimals(min_value=-(10**6), max_value=10**6, places=6), max_size=12))
def test_the_lines_add_up_to_the_total_within_a_cent_each(exact):
    amounts, total = round_lines(exact)
    assert sum(amounts, D(0)) == total
    assert total == sum(exact, D(0)).quantize(CENT, rounding="ROUND_HALF_UP")
    assert all(abs(a - x) < CENT for a, x in zip(amounts, exact, strict=True))


@st.composite
def plans(draw):
    count = draw(st.integers(min_value=1, max_value=3))
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=count - 1, max_size=count - 1)))
    weights = [D(b - a) for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    assume(all(w > 0 for w in weights))
    components = tuple(Component(f"m{i}", w, draw(curves())) for i, w in enumerate(weights))
    grades = ["S", "A", "B", "C", "D"]
    multipliers = draw(
        st.none() | st.fixed_dictionaries({g: st.decimals(0, 2, places=2) for g in grades})
    )
    penalties = tuple(
        PenaltyRule(
            f"p{i}",
            reduction=draw(st.decimals(0, 100, places=2)),
            hold_periods=draw(st.integers(0, 4)),
            below=draw(percent),
            key=draw(st.sampled_from(["", *(c.key for c in components)])),
        )
        for i in range(draw(st.integers(0, 3)))
    )
    plan = Plan(
        components=components,
        multipliers=multipliers,
        penalties=penalties,
        cap=draw(st.none() | st.decimals(min_value=1, max_value=400, places=2)),
    )
    check_plan(plan)
    return plan


@given(plans(), st.data())
def test_every_working_adds_up_to_its_total(plan, data):
    inputs = Inputs(
        target_incentive=data.draw(st.decimals(0, 10**6, places=2)),
        attainments={c.key: data.draw(st.none() | percent) for c in plan.components},
        grade=data.draw(st.sampled_from(["S", "A", "B", "C", "D"])),
        gates={"tenure": data.draw(st.booleans())},
        adjustments=data.draw(
            st.lists(st.tuples(st.just("adj"), st.decimals(-1000, 1000, places=2)), max_size=2)
        ),
    )
    working = work_out(plan, inputs)
    assert working.total == sum((line.amount for line in working.lines), D(0))
    components = [line for line in working.lines if line.kind == LineKind.COMPONENT]
    assert [line.key for line in components] == [c.key for c in plan.components]
    if plan.cap is not None:
        paid = sum((line.exact for line in working.lines if line.kind in _CAPPED), D(0))
        assert paid <= inputs.target_incentive * plan.cap / 100
    if not inputs.gates["tenure"]:
        assert working.total == sum(amount for _label, amount in inputs.adjustments)


_CAPPED = {LineKind.COMPONENT, LineKind.PLAN_CAP}


# --- in plain words --------------------------------------------------------------------------


def test_a_curve_in_plain_words_in_both_languages():
    assert describe_curve(ACCELERATED) == (
        "Below 50 % pays nothing; from 50 % to 80 %, each 1 % of attainment pays 0.5 %; "
        "from 80 % to 100 %, each 1 % of attainment pays 1 %; above 100 %, each further 1 % "
        "of attainment pays 2 %; at most 150 % in all."
    )
    whole = Curve(tiers=(Tier(D(0), D("0.5")), Tier(D(100), D("1.2"))), mode=TierMode.WHOLE)
    assert describe_curve(whole) == (
        "From 0 % to below 100 %, all of the attainment pays 0.5 % for each 1 %; "
        "from 100 % on, all of the attainment pays 1.2 % for each 1 %."
    )
    with translation.override("zh-hans"):
        chinese = describe_curve(ACCELERATED)
    assert chinese.startswith("完成率低于 50 %") and chinese.endswith("。")
    assert not any(word in chinese for word in ("pays", "attainment", "below"))


def test_penalties_and_multipliers_in_plain_words():
    rule = PenaltyRule(
        "low", reduction=D(30), hold_periods=1, below=D(70), key="revenue", grades=frozenset("D")
    )
    assert describe_penalty(rule, metric_name="Revenue") == (
        "If the attainment of Revenue is below 70 % or the grade is D, the bonus is reduced "
        "by 30 % and promotion is held for 1 period."
    )
    assert describe_multipliers({"S": D("1.2"), "A": D("1.00"), "D": D(0)}) == (
        "The appraisal grade multiplies the bonus: S by 1.2, A by 1, D by 0."
    )
    with translation.override("zh-hans"):
        chinese = describe_penalty(rule, metric_name="营业收入")
    assert "营业收入" in chinese and "30 %" in chinese and chinese.endswith("。")


# --- the what-if estimator -------------------------------------------------------------------


def test_the_what_if_crosses_a_tier():
    plan = Plan(components=(Component("revenue", D(100), ACCELERATED),))
    figures = {"revenue": Figure(actual=D(95_000), target=D(100_000))}
    today = Inputs(D(10_000), {"revenue": D(95)})
    # 95 %: 40 + 15 = 55 % of 10,000
    assert work_out(plan, today).total == D("5500.00")
    (step,) = next_steps(plan, figures)
    assert (step.key, step.attainment, step.extra) == ("revenue", D(100), D(5_000))
    # 110 %: 60 + 10 * 2 = 80 % of 10,000: the accelerator pays the last 5,000 twice over
    assert what_if(plan, today, figures, {"revenue": D(15_000)}).total == D("8000.00")
    assert what_if(plan, today, figures, {}).total == D("5500.00")


@given(st.decimals(0, 10**6, places=2), st.decimals(0, 10**6, places=2))
def test_booking_more_never_lowers_the_estimate(first, second):
    plan = Plan(components=(Component("revenue", D(100), ACCELERATED),))
    figures = {"revenue": Figure(actual=D(50_000), target=D(100_000))}
    today = Inputs(D(10_000), {"revenue": D(50)})
    low, high = sorted([first, second])
    assert (
        what_if(plan, today, figures, {"revenue": low}).total
        <= what_if(plan, today, figures, {"revenue": high}).total
    )
