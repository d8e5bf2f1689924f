"""The database guards of the appraisal app, for the tests that exercise raw SQL.

The tests run with --no-migrations, so the `triggers` fixture installs the statements
of the guard migrations (their `install()`) inside the test's transaction: 0003 (a
finalised appraisal), 0004 (where a result version comes from), 0005 (a published
template) and 0006 (TRUNCATE, PostgreSQL only).
"""

import importlib

import pytest
from django.db import connection

GUARD_MIGRATIONS = (
    "0003_finalised_guard",
    "0004_result_from_appeal",
    "0005_published_template_guard",
    "0006_truncate_guard",
)


@pytest.fixture
def triggers(db):
    if connection.vendor not in ("sqlite", "postgresql"):
        pytest.skip("the triggers exist on SQLite and PostgreSQL only")
    for name in GUARD_MIGRATIONS:
        importlib.import_module(f"appraisal.migrations.{name}").install(connection)


@pytest.fixture
def training_recorded(monkeypatch):
    """As once the training app records participation: a template with a training
    dimension can be published (until then publication refuses it)."""
    from appraisal.template import selectors

    monkeypatch.setattr(selectors, "training_data_available", lambda: True)
