"""Fixtures of the targets tests that work on one fiscal year and the revenue metric."""

import pytest

from org.models import Period
from org.services import fiscal_year_create
from tests.factories import revenue_metric


@pytest.fixture
def fy(db):
    """FY2026 (calendar)."""
    return fiscal_year_create(start_year=2026, start_month=1)


@pytest.fixture
def year(fy):
    """FY2026's year period."""
    return fy.periods.get(kind=Period.Kind.YEAR)


@pytest.fixture
def metric(db):
    """Revenue (销售额)."""
    return revenue_metric(name_zh="销售额")
