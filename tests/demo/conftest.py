"""The demo company, seeded once for the whole package (per test process) on the
suite's pinned day, for the tests that only read it.

The seed runs in a transaction opened for the package and rolled back after it
(Django's TestCase.setUpTestData pattern): each test runs in a savepoint inside it,
so a test that writes (a second seeding, a close, a sign-in) leaves the demo as it
found it, and no test outside this package ever sees the demo. The tests of other
days seed their own demo: tests/test_demo_any_date.py.
"""

from __future__ import annotations

import io
import types

import pytest
from django.test import TestCase

from org import demo as org_demo
from tests.conftest import built_once


def seed(*, today=None) -> str:
    """Run `manage.py seed_demo --quiet` with its on-commit callbacks run at once (as
    they would when its transaction commits); returns what it printed."""
    from django.core.management import call_command

    out = io.StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("seed_demo", quiet=True, stdout=out, **({"today": today} if today else {}))
    return out.getvalue()


def line(out: str, prefix: str) -> str:
    return next(row for row in out.splitlines() if row.startswith(prefix))


@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker, suite_today):
    """types.SimpleNamespace(out, today, calendar) of the demo seeded on the suite's day."""
    with built_once(django_db_blocker, suite_today) as building:
        with building():
            out = seed()
        yield types.SimpleNamespace(
            out=out, today=suite_today, calendar=org_demo.calendar(suite_today)
        )


@pytest.fixture(autouse=True)
def _in_the_demo(demo, db):
    """Every test of the package runs in a savepoint inside the seeded demo."""
