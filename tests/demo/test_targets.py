"""The demo targets (targets/demo.py) on the suite's day."""

from decimal import Decimal

import pytest

from notifications.models import Notification
from targets.models import Metric, SalesPlan, SeasonalityProfile
from tests.demo.conftest import line

pytestmark = pytest.mark.today


def test_the_summary_names_the_years_and_counts(demo):
    names = ", ".join(
        f"FY{start.year}" for start in demo.calendar.fiscal_year_starts
    )  # fiscal years start in January in the tests
    assert line(demo.out, "Targets: ").startswith(
        f"Targets: 4 metrics, 2 seasonality profiles; {names}: "
    )
    assert line(demo.out, "Targets: ").endswith("1 adjustment(s) pending, 3 sales plans.")


def test_the_catalogue_is_in_english_and_chinese(demo):
    metrics = {m.code: m for m in Metric.objects.all()}
    assert [metrics[c].name_zh for c in ("revenue", "gross_margin", "new_customers")] == [
        "营业收入",
        "毛利",
        "新客户数",
    ]
    assert metrics["collections"].name_zh == "回款额"
    assert metrics["new_customers"].decimal_places == 0
    assert metrics["gross_margin"].source == Metric.Source.MARGIN
    profile = SeasonalityProfile.objects.get(name="Instrument sales season")
    assert min(profile.weight_values) == Decimal(4)  # the Chinese New Year month
    assert SeasonalityProfile.objects.get(name="Equal months").method == "equal"


def test_the_plans_are_approved_submitted_and_returned(demo):
    plans = {p.status: p for p in SalesPlan.objects.all()}
    returned = plans["returned"]
    assert all(v.review_comment for v in returned.versions.all())
    assert plans["approved"].versions.get().decision == "approved"
    assert Notification.objects.filter(kind="adjustment_requested").exists()
