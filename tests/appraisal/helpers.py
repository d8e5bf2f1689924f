"""Helpers shared by the appraisal tests: a fiscal year, metrics and a publishable
draft template (four dimensions, one per scoring method family, and five grades).

The fiscal year is 2026 (January start); `TODAY` is before it starts, so a
template applying from its first quarter can be published on `TODAY`.
"""

from __future__ import annotations

import copy
import datetime
import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from appraisal.models import AppraisalTemplate
from appraisal.template import services
from org.models import FiscalYear, Period
from org.services import fiscal_year_create
from targets.models import Metric
from tests.targets import helpers_core as core_helpers
from tests.targets.helpers_core import Year

TODAY = datetime.date(2025, 12, 1)

LINEAR_CURVE = {
    "kind": "linear",
    "floor": "60",
    "floor_score": "60",
    "target": "100",
    "target_score": "100",
    "cap": "120",
}
SATISFACTION_CURVE = {
    "kind": "steps",
    "steps": [["1", "0"], ["3", "60"], ["4", "80"], ["4.5", "100"]],
}
SCALE = [
    {"level": 1, "score": "20", "anchor": "Poor", "anchor_zh": "差"},
    {"level": 2, "score": "40", "anchor": "Weak", "anchor_zh": "较差"},
    {"level": 3, "score": "60", "anchor": "Fair", "anchor_zh": "一般"},
    {"level": 4, "score": "80", "anchor": "Good", "anchor_zh": "良好"},
    {"level": 5, "score": "100", "anchor": "Excellent", "anchor_zh": "优秀"},
]
BANDS = [
    {"grade": "S", "min_score": "110", "label": "Outstanding", "label_zh": "卓越"},
    {"grade": "A", "min_score": "95", "label": "Excellent", "label_zh": "优秀"},
    {"grade": "B", "min_score": "80", "label": "Good", "label_zh": "良好"},
    {"grade": "C", "min_score": "60", "label": "Fair", "label_zh": "合格"},
    {"grade": "D", "min_score": "0", "label": "Needs improvement", "label_zh": "待改进"},
]


def make_year(start_year: int = 2026) -> Year:
    """The fiscal year starting in January of `start_year` (made once, then reused)."""
    existing = FiscalYear.objects.filter(start_date=datetime.date(start_year, 1, 1)).first()
    return Year(existing or fiscal_year_create(start_year=start_year, start_month=1))


def make_metric(code: str = "revenue", *, acting_user=None) -> Metric:
    """The metric `code` (made once through the catalogue, then reused)."""
    existing = Metric.objects.filter(code=code).first()
    if existing:
        return existing
    unit = "count" if code == "new_customers" else "currency"
    return core_helpers.make_metric(code, unit, acting_user=acting_user)


def dimension_specs(metric: Metric) -> list[dict]:
    """The fields of the four dimensions of the standard template (weights 50/20/15/15)."""
    return [
        {
            "name": "Revenue attainment",
            "name_zh": "营业收入达成率",
            "weight": Decimal("50"),
            "method": "attainment",
            "metric": metric,
            "curve": copy.deepcopy(LINEAR_CURVE),
        },
        {
            "name": "Customer satisfaction",
            "name_zh": "客户满意度",
            "weight": Decimal("20"),
            "method": "satisfaction",
            "curve": copy.deepcopy(SATISFACTION_CURVE),
        },
        {
            "name": "Work attitude",
            "name_zh": "工作态度",
            "weight": Decimal("15"),
            "method": "rated",
            "scale": copy.deepcopy(SCALE),
        },
        {
            "name": "Teamwork",
            "name_zh": "团队协作",
            "weight": Decimal("15"),
            "method": "rated",
            "scale": copy.deepcopy(SCALE),
            "rated_by_peers": True,
        },
    ]


def make_draft(
    org,
    *,
    code: str = "sales",
    year: Year | None = None,
    applies_from: Period | None = None,
    units=None,
    acting_user=None,
    dimensions: bool = True,
    bands: bool = True,
) -> AppraisalTemplate:
    """A quarterly draft (v1) for the whole company applying from Q1 2026; with its
    four dimensions and five grades it is publishable on TODAY."""
    year = year or make_year()
    acting_user = acting_user or org.department
    template = services.template_create(
        code=code,
        name="Sales performance appraisal",
        name_zh="销售绩效考核方案",
        description="How salespeople are appraised each quarter.",
        period_kind=Period.Kind.QUARTER,
        applies_from=applies_from or year.quarters[0],
        units=list(units) if units is not None else [org.company],
        acting_user=acting_user,
    )
    if dimensions:
        metric = make_metric(acting_user=acting_user)
        for position, fields in enumerate(dimension_specs(metric)):
            services.dimension_save(
                template=template, acting_user=acting_user, position=position, **fields
            )
    if bands:
        services.bands_save(template=template, bands=copy.deepcopy(BANDS), acting_user=acting_user)
    return template


def make_published(org, *, today: datetime.date = TODAY, **kwargs) -> AppraisalTemplate:
    """make_draft(...) published on `today` by the department."""
    template = make_draft(org, **kwargs)
    return services.template_publish(
        template=template, acting_user=kwargs.get("acting_user") or org.department, today=today
    )


# --- raw SQL, past the models, against the database triggers ------------------------------


def sql_refused(sql: str, params=(), message: str | None = None) -> None:
    """`sql` fails with an IntegrityError (whose message contains `message`)."""
    match = re.escape(message) if message else None
    with (
        pytest.raises(IntegrityError, match=match),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def sql_runs(sql: str, params=()) -> int:
    """`sql` runs; how many rows it touched."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
