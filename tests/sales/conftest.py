"""Fixtures of the progress report and satisfaction tests (test_feedback_*)."""

import datetime
import types

import pytest

from tests.conftest import local_moment
from tests.sales.helpers import customer, make_year

WEDNESDAY = datetime.date(2026, 3, 11)  # the day the feedback tests' clock stops on


@pytest.fixture
def clock(time_machine):
    """clock(day, hour=10) stops the clock at that local time."""

    def set_to(day: datetime.date, hour: int = 10):
        moment = local_moment(day, hour)
        time_machine.move_to(moment, tick=False)
        return moment

    set_to(WEDNESDAY)
    return set_to


@pytest.fixture
def fb(org, clock, settings):
    """FY2026 and two customers with external ids (C-1 owned by sam, C-2 by oscar)."""
    settings.SALES_REPORT_FREQUENCY = "weekly"
    return types.SimpleNamespace(
        year=make_year(2026),
        globex=customer(org.salesperson, "Globex", external_id="C-1"),
        initech=customer(org.other_salesperson, "Initech", external_id="C-2"),
    )
