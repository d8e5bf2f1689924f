"""The number filters of the dashboards (sales/templatetags/dashboards_ui.py)."""

import types
from decimal import Decimal as D

import pytest
from django.utils import translation

from sales.templatetags.dashboards_ui import metric_value, pct, signed_value

MONEY = types.SimpleNamespace(unit="currency", decimal_places=2)
COUNT = types.SimpleNamespace(unit="count", decimal_places=0)
PERCENT = types.SimpleNamespace(unit="percent", decimal_places=2)


@pytest.mark.parametrize(
    ("value", "metric", "text"),
    [
        (D("1234567.891"), MONEY, "1,234,567.89"),
        (D("999.995"), MONEY, "1,000.00"),  # half up
        (D("-1234.5"), MONEY, "-1,234.50"),
        (D("0"), MONEY, "0.00"),
        (D("12.5"), COUNT, "13"),
        (D("1000"), COUNT, "1,000"),
        (D("12.345"), PERCENT, "12.35 %"),
        (D("123"), MONEY, "123.00"),
    ],
)
def test_metric_values_are_grouped_and_rounded_half_up(value, metric, text):
    with translation.override("en"):
        assert metric_value(value, metric) == text


def test_missing_values_are_a_muted_dash():
    assert "—" in metric_value(None, MONEY) and "text-body-secondary" in pct(None)


def test_signed_values_and_percentages():
    with translation.override("en"):
        assert signed_value(D("5"), MONEY) == "+5.00"
        assert signed_value(D("-5"), MONEY) == "-5.00"
        assert signed_value(D("0"), MONEY) == "0.00"
        assert pct(D("1542.35")) == "1,542.4 %"
        assert pct(D("-0.04")) == "0.0 %"  # no minus on a rounded zero


def test_the_chinese_format_is_the_project_s():
    with translation.override("zh-hans"):
        assert metric_value(D("1234567.8"), MONEY) == "1,234,567.80"
