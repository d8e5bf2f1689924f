"""A demo scenario of appraisal/demo.py that the seeded demo does not show: a database
seeded by an earlier demo, whose template version is monthly and applies from a later
period, gets no cycle, and the demo says why. (The demo's appraisals on the suite's
day are tested in tests/demo/test_appraisal.py, on other days in
tests/test_demo_any_date.py.)"""

import datetime
import io

import pytest
from django.conf import settings
from django.utils import timezone

from appraisal import demo
from appraisal.models import Cycle
from org.models import FiscalYear, OrgUnit, Period, User
from org.services import fiscal_year_create
from tests.demo.conftest import seed

pytestmark = [pytest.mark.today, pytest.mark.django_db]


def test_without_a_quarterly_version_in_force_the_demo_opens_no_cycle_and_says_why(
    monkeypatch,
):
    original = demo.seed
    monkeypatch.setattr(demo, "seed", lambda **kwargs: None)
    seed()  # everything but the appraisals
    today = timezone.localdate()
    # A month after today (next fiscal year's first, when this is the last month).
    year_after = datetime.date(today.year + 1, settings.FISCAL_YEAR_START_MONTH, 1)
    if not FiscalYear.objects.filter(start_date=year_after).exists():
        fiscal_year_create(start_year=year_after.year, start_month=year_after.month)
    next_month = (
        Period.objects.filter(kind=Period.Kind.MONTH, start_date__gt=today)
        .select_related("fiscal_year")
        .order_by("start_date")
        .first()
    )
    demo._publish_v1(
        period=next_month,
        company=OrgUnit.objects.get(code="qingyun"),
        dept=User.objects.get(username=demo.DEPARTMENT),
    )
    out = io.StringIO()
    original(stdout=out, today=today)
    text = out.getvalue()
    assert text.startswith(
        f"Appraisal: Sales performance appraisal: v1 published from {next_month.label}; "
    )
    assert "no published quarterly version applies" in text
    assert not Cycle.objects.exists()
