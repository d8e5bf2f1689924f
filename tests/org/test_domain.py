"""Pure rules of org/domain.py: no database."""

import datetime
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import DomainError
from org import domain
from org.domain import Interval


def test_a_calendar_fiscal_year_has_a_year_four_quarters_and_twelve_months():
    specs = domain.fiscal_periods(2026, 1)
    kinds = [s.kind for s in specs]
    assert kinds.count("year") == 1 and kinds.count("quarter") == 4 and kinds.count("month") == 12
    assert specs[0].start == datetime.date(2026, 1, 1)
    assert specs[0].end == datetime.date(2026, 12, 31)
    feb = next(s for s in specs if s.kind == "month" and s.number == 2)
    assert feb.end == datetime.date(2026, 2, 28)
    assert feb.parent == ("quarter", 1)


def test_a_fiscal_year_starting_in_april_straddles_two_calendar_years():
    specs = domain.fiscal_periods(2026, 4)
    assert specs[0].start == datetime.date(2026, 4, 1)
    assert specs[0].end == datetime.date(2027, 3, 31)
    q4 = next(s for s in specs if s.kind == "quarter" and s.number == 4)
    assert (q4.start, q4.end) == (datetime.date(2027, 1, 1), datetime.date(2027, 3, 31))
    assert domain.fiscal_year_name(2026, 4) == "FY2026-27"
    assert domain.fiscal_year_name(2026, 1) == "FY2026"


@given(year=st.integers(1950, 2500), month=st.integers(1, 12))
def test_months_tile_the_year_without_gaps_or_overlaps(year, month):
    specs = domain.fiscal_periods(year, month)
    months = [s for s in specs if s.kind == "month"]
    assert months[0].start == specs[0].start
    assert months[-1].end == specs[0].end
    for before, after in itertools.pairwise(months):
        assert after.start == before.end + datetime.timedelta(days=1)
    quarters = [s for s in specs if s.kind == "quarter"]
    assert (
        sum((q.end - q.start).days + 1 for q in quarters)
        == (specs[0].end - specs[0].start).days + 1
    )


@pytest.mark.parametrize("month", [0, 13])
def test_a_start_month_outside_1_to_12_is_refused(month):
    with pytest.raises(DomainError, match="start month"):
        domain.fiscal_periods(2026, month)


@pytest.mark.parametrize(
    ("current", "target", "action"),
    [
        ("open", "closing", "start_close"),
        ("closing", "closed", "finish_close"),
        ("closing", "open", "cancel_close"),
    ],
)
def test_allowed_period_transitions(current, target, action):
    assert domain.check_period_transition(current, target, reason="") == action


def test_reopening_a_closed_period_needs_a_reason():
    with pytest.raises(DomainError, match="reason"):
        domain.check_period_transition("closed", "open", reason="  ")
    assert domain.check_period_transition("closed", "open", reason="late invoice") == "reopen"


@pytest.mark.parametrize(("current", "target"), [("open", "closed"), ("closed", "closing")])
def test_skipping_a_step_is_refused(current, target):
    with pytest.raises(DomainError):
        domain.check_period_transition(current, target, reason="x")


def d(day: int) -> datetime.date:
    return datetime.date(2026, 1, 1) + datetime.timedelta(days=day)


def test_overlapping_pairs_finds_shared_days_and_open_ends():
    a = Interval("a", d(0), d(10))
    b = Interval("b", d(10), d(20))  # shares day 10 with a
    c = Interval("c", d(21), None)  # open-ended, after b
    e = Interval("e", d(40), d(50))  # inside c's open end
    pairs = {(x.key, y.key) for x, y in domain.overlapping_pairs([c, a, e, b])}
    assert pairs == {("a", "b"), ("c", "e")}


@given(
    st.lists(
        st.tuples(st.integers(0, 100), st.integers(0, 30), st.booleans()), min_size=0, max_size=12
    )
)
def test_overlapping_pairs_matches_the_pairwise_definition(raw):
    intervals = [
        Interval(i, d(start), None if open_end else d(start + length))
        for i, (start, length, open_end) in enumerate(raw)
    ]
    found = {frozenset((a.key, b.key)) for a, b in domain.overlapping_pairs(intervals)}
    expected = {
        frozenset((a.key, b.key))
        for i, a in enumerate(intervals)
        for b in intervals[i + 1 :]
        if domain.intervals_overlap(a, b)
    }
    assert found == expected


def test_an_end_before_the_start_is_refused():
    with pytest.raises(DomainError):
        domain.check_interval(d(5), d(4))
    domain.check_interval(d(5), d(5))
    domain.check_interval(d(5), None)


def test_a_unit_cannot_move_under_its_own_descendant():
    assert domain.would_create_cycle(4, "/1/4/9/")
    assert not domain.would_create_cycle(4, "/1/44/9/")
    assert domain.unit_path("/1/4/", 9) == "/1/4/9/"
    assert domain.unit_path(None, 1) == "/1/"


def test_roles_are_parsed_from_any_separator():
    good, bad = domain.parse_roles("Salesperson; supervisor, boss", ["salesperson", "supervisor"])
    assert good == ["salesperson", "supervisor"]
    assert bad == ["boss"]


def test_ancestor_paths_go_up_from_the_unit_nearest_first():
    assert domain.ancestor_paths("/1/4/9/") == ["/1/4/9/", "/1/4/", "/1/"]
    assert domain.ancestor_paths("/1/") == ["/1/"]


def test_outermost_paths_drop_the_subtrees_inside_another():
    assert domain.outermost_paths(["/1/4/9/", "/1/4/", "/2/", "/1/5/", "/2/7/"]) == [
        "/1/4/",
        "/1/5/",
        "/2/",
    ]
    assert domain.outermost_paths(["/1/", "/1/4/", "/1/4/9/"]) == ["/1/"]
    # "/1/" is not an ancestor of "/10/": prefixes count by whole segments only.
    assert domain.outermost_paths(["/1/", "/10/"]) == ["/1/", "/10/"]
    assert domain.outermost_paths([]) == []
