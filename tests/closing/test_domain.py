"""The pure rules of the period close (closing.domain), without a database."""

import datetime
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closing import domain
from org import domain as org_domain

UTC = datetime.UTC
T0 = datetime.datetime(2026, 2, 3, 10, 0, tzinfo=UTC)


def test_a_period_may_be_closed_from_the_day_after_its_end():
    end = datetime.date(2026, 1, 31)
    assert not domain.has_ended(end, datetime.date(2026, 1, 30))
    assert not domain.has_ended(end, end)
    assert domain.has_ended(end, datetime.date(2026, 2, 1))


def test_a_run_is_stale_after_the_allowed_silence_since_its_last_sign_of_life():
    def stale(seconds, *, started=None, heartbeat=None):
        return domain.is_stale(
            created_at=T0,
            started_at=started,
            heartbeat_at=heartbeat,
            now=T0 + datetime.timedelta(seconds=seconds),
            stale_seconds=60,
        )

    assert not stale(60)
    assert stale(61)
    # A heartbeat (or the start) keeps it alive.
    assert not stale(100, heartbeat=T0 + datetime.timedelta(seconds=50))
    assert not stale(100, started=T0 + datetime.timedelta(seconds=45))
    assert stale(200, started=T0 + datetime.timedelta(seconds=45))


def test_last_sign_of_life_is_the_latest_known_moment():
    later = T0 + datetime.timedelta(minutes=5)
    assert domain.last_sign_of_life(created_at=T0, started_at=None, heartbeat_at=None) == T0
    assert domain.last_sign_of_life(created_at=T0, started_at=T0, heartbeat_at=later) == later


def test_batches_cut_in_order_with_a_short_last_one():
    assert domain.batches(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert domain.batches([], 3) == []
    assert domain.batches([1, 2], 0) == [[1], [2]]


def test_percent_is_clamped_and_rounded():
    assert domain.percent(1, 3) == D("33.3")
    assert domain.percent(2, 3) == D("66.7")
    assert domain.percent(5, 3) == D("100.0")
    assert domain.percent(-1, 3) == D("0.0")
    assert domain.percent(0, 0) == D(0)


def test_a_runs_percent_weighs_each_step_the_same():
    steps = [("done", 1, 1), ("running", 5, 10), ("pending", 0, 0), ("pending", 0, 3)]
    # (100 + 50 + 0 + 0) / 4
    assert domain.run_percent(steps) == D("37.5")
    assert domain.run_percent([("done", 0, 0)]) == D("100.0")
    assert domain.run_percent([]) == D(0)


def test_next_step_follows_the_plan():
    names = ["freeze", "snapshot", "finish"]
    assert domain.next_step(names, "freeze") == "snapshot"
    assert domain.next_step(names, "finish") is None


def test_long_errors_are_clipped():
    assert domain.clip_error("  boom  ") == "boom"
    clipped = domain.clip_error("x" * 5000)
    assert len(clipped) == domain.ERROR_MAX_CHARS and clipped.endswith("\u2026")


def test_the_beat_looks_at_the_current_and_the_previous_fiscal_year():
    years = [
        domain.YearSpan(2024, datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)),
        domain.YearSpan(2025, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
        domain.YearSpan(2026, datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)),
        domain.YearSpan(2027, datetime.date(2027, 1, 1), datetime.date(2027, 12, 31)),
    ]
    picked = domain.recent_years(years, datetime.date(2026, 2, 1))
    assert [y.key for y in picked] == [2025, 2026]
    assert [y.key for y in domain.recent_years(years, datetime.date(2023, 5, 1))] == []


def test_due_periods_are_the_ended_open_ones_never_closed_shortest_first():
    def span(key, kind, start, end, status="open", has_run=False):
        return domain.PeriodSpan(key, kind, start, end, status, has_run)

    d = datetime.date
    periods = [
        span("year", "year", d(2026, 1, 1), d(2026, 12, 31)),
        span("q1", "quarter", d(2026, 1, 1), d(2026, 3, 31)),
        span("mar", "month", d(2026, 3, 1), d(2026, 3, 31)),
        span("feb", "month", d(2026, 2, 1), d(2026, 2, 28)),
        span("jan", "month", d(2026, 1, 1), d(2026, 1, 31), has_run=True),
        span("dec", "month", d(2025, 12, 1), d(2025, 12, 31), status="closed"),
        span("apr", "month", d(2026, 4, 1), d(2026, 4, 30)),
    ]
    # At the quarter's end its close covers February and March: one close, never two
    # nested ones at the same time.
    due = domain.due_for_close(periods, d(2026, 4, 1))
    assert [p.key for p in due] == ["q1"]
    # On the last day of a month, that month is not due yet.
    assert [p.key for p in domain.due_for_close(periods, d(2026, 3, 31))] == ["feb"]
    # At the year's end, the year alone.
    assert [p.key for p in domain.due_for_close(periods, d(2027, 1, 1))] == ["year"]


def test_every_ended_period_is_due_or_covered_by_a_due_one_never_both():
    d = datetime.date
    specs = org_domain.fiscal_periods(2026, 1)
    for today in (d(2026, 2, 1), d(2026, 4, 1), d(2026, 7, 15), d(2027, 1, 1)):
        periods = [
            domain.PeriodSpan(i, s.kind, s.start, s.end, "open", False) for i, s in enumerate(specs)
        ]
        due = domain.due_for_close(periods, today)
        for p in periods:
            covering = [q for q in due if domain.within(q.start, q.end, p.start, p.end)]
            if p.end < today:
                assert len(covering) == 1, (today, p)
            for q in due:
                if q is not p and p in due:
                    assert not domain.within(q.start, q.end, p.start, p.end)


def test_within():
    d = datetime.date
    assert domain.within(d(2026, 1, 1), d(2026, 3, 31), d(2026, 2, 1), d(2026, 2, 28))
    assert domain.within(d(2026, 1, 1), d(2026, 3, 31), d(2026, 1, 1), d(2026, 3, 31))
    assert not domain.within(d(2026, 1, 1), d(2026, 3, 31), d(2026, 3, 1), d(2026, 4, 30))


# --- what a period's status means ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "ended", "run", "active", "state"),
    [
        ("open", False, None, False, domain.STATE_OPEN),
        ("open", True, None, False, domain.STATE_WAITING),
        ("open", True, "failed", False, domain.STATE_CLOSE_FAILED),
        ("open", True, "succeeded", False, domain.STATE_REOPENED),
        ("open", True, "running", True, domain.STATE_RUNNING),
        ("closing", True, "failed", False, domain.STATE_CLOSING_STOPPED),
        ("closed", True, "succeeded", False, domain.STATE_CLOSED),
        ("closed", True, "failed", False, domain.STATE_CLOSED_FAILED_RERUN),
        ("closed", True, None, False, domain.STATE_CLOSED_OUTSIDE),
        ("closed", True, "queued", True, domain.STATE_RUNNING),
    ],
)
def test_a_period_is_shown_in_one_state(status, ended, run, active, state):
    assert (
        domain.period_state(status=status, has_ended=ended, run_status=run, run_active=active)
        == state
    )


@given(
    status=st.sampled_from(["open", "closing", "closed"]),
    ended=st.booleans(),
    run=st.sampled_from([None, "queued", "running", "succeeded", "failed"]),
)
def test_every_combination_has_exactly_one_state_that_agrees_with_the_status(status, ended, run):
    active = run in ("queued", "running")
    state = domain.period_state(status=status, has_ended=ended, run_status=run, run_active=active)
    closed_states = {
        domain.STATE_CLOSED,
        domain.STATE_CLOSED_FAILED_RERUN,
        domain.STATE_CLOSED_OUTSIDE,
    }
    if not active:
        assert (state in closed_states) == (status == "closed")
    if run is None and not active:
        assert state in {
            domain.STATE_OPEN,
            domain.STATE_WAITING,
            domain.STATE_CLOSED_OUTSIDE,
            domain.STATE_CLOSING_STOPPED,
        }
