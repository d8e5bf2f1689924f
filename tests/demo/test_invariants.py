"""The demo seeded on the suite's day holds every invariant (tests/demo/checks.py)."""

import pytest
from django.utils import timezone

from tests.demo import checks

pytestmark = pytest.mark.today


def test_the_demo_holds_together(demo):
    checks.check_all(demo.calendar, timezone.now())
