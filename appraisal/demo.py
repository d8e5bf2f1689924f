# ruff: noqa: RUF001  (Chinese text uses full-width punctuation)
"""Demo appraisal template for Qingyun Instruments, called by `manage.py seed_demo`
after the organisation and the targets are there.

"Sales performance appraisal" (销售绩效考核方案) for the whole company: version 1
published, quarterly from the first quarter of the current fiscal year that has
not started yet (or, when every quarter has started, monthly from the first month
to come), with four dimensions (revenue attainment 50 %, customer
satisfaction 20 %, work attitude 15 %, teamwork 15 %, rated by the supervisor and
by peers) and the grades S/A/B/C/D; version 2 a draft being edited from the
period after (it adds training participation). When every month of the current
fiscal year has started, nothing is created (a template is published before the
first period it applies to) and the reason is printed. Everything goes through the
services, so history and notifications exist. Idempotent: skipped when the
template is already there.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from appraisal import services
from appraisal.models import AppraisalTemplate, Dimension
from org.models import FiscalYear, OrgUnit, Period, User
from targets.models import Metric
from targets.services import metric_save

DEPARTMENT = "dept.zhou"
CODE = "sales-performance"
NAME = "Sales performance appraisal"
NAME_ZH = "销售绩效考核方案"
DESCRIPTION = (
    "How every salesperson is appraised each period, fixed and announced before the "
    "period starts. / 每个考核期销售人员的考核办法，在考核期开始前确定并公布。"
)

REVENUE_CURVE = {
    "kind": "linear",
    "floor": "60",
    "floor_score": "60",
    "target": "100",
    "target_score": "100",
    "cap": "120",
}
SATISFACTION_CURVE = {
    "kind": "steps",
    "steps": [["1", "0"], ["2", "40"], ["3", "60"], ["4", "80"], ["4.5", "100"]],
}
TRAINING_CURVE = {
    "kind": "linear",
    "floor": "0",
    "floor_score": "0",
    "target": "100",
    "target_score": "100",
    "cap": "100",
}
ATTITUDE_SCALE = [
    (
        "Often late with follow-ups; needs reminders to log visits and update the pipeline.",
        "客户跟进经常拖延，需要提醒才记录拜访和更新商机。",
    ),
    (
        "Follows up most leads, but the records are incomplete; rarely takes the initiative.",
        "能跟进大部分线索，但记录不完整，主动性不足。",
    ),
    (
        "Follows up every lead on time and keeps complete records.",
        "按时跟进所有线索，记录完整。",
    ),
    (
        "Seeks out new opportunities and prepares every visit thoroughly.",
        "主动开拓新机会，每次拜访都准备充分。",
    ),
    (
        "Goes beyond the plan: proposes initiatives and leads them to results.",
        "超出计划要求，主动提出新举措并推动落实。",
    ),
]
TEAMWORK_SCALE = [
    (
        "Works alone and keeps customer information from colleagues.",
        "单打独斗，不与同事分享客户信息。",
    ),
    ("Shares information when asked.", "在被要求时分享信息。"),
    (
        "Shares leads and information readily and helps when asked.",
        "乐于分享线索和信息，应邀提供帮助。",
    ),
    (
        "Offers help unasked and covers for colleagues when needed.",
        "主动提供帮助，必要时为同事补位。",
    ),
    (
        "Lifts the whole team: coaches newcomers and coordinates joint bids.",
        "带动整个团队：辅导新人，协调联合投标。",
    ),
]
BANDS = [
    {"grade": "S", "min_score": "110", "label": "Outstanding", "label_zh": "卓越"},
    {"grade": "A", "min_score": "95", "label": "Excellent", "label_zh": "优秀"},
    {"grade": "B", "min_score": "80", "label": "Good", "label_zh": "良好"},
    {"grade": "C", "min_score": "60", "label": "Acceptable", "label_zh": "合格"},
    {"grade": "D", "min_score": "0", "label": "Needs improvement", "label_zh": "待改进"},
]


def _scale(anchors: list[tuple[str, str]]) -> list[dict]:
    return [
        {"level": i, "score": str(20 * i), "anchor": en, "anchor_zh": zh}
        for i, (en, zh) in enumerate(anchors, start=1)
    ]


def _dimensions(revenue: Metric) -> list[dict]:
    return [
        {
            "name": "Revenue attainment",
            "name_zh": "营业收入达成率",
            "weight": Decimal("50"),
            "method": Dimension.Method.ATTAINMENT,
            "metric": revenue,
            "curve": REVENUE_CURVE,
        },
        {
            "name": "Customer satisfaction",
            "name_zh": "客户满意度",
            "weight": Decimal("20"),
            "method": Dimension.Method.SATISFACTION,
            "curve": SATISFACTION_CURVE,
        },
        {
            "name": "Work attitude",
            "name_zh": "工作态度",
            "weight": Decimal("15"),
            "method": Dimension.Method.RATED,
            "scale": _scale(ATTITUDE_SCALE),
        },
        {
            "name": "Teamwork",
            "name_zh": "团队协作",
            "weight": Decimal("15"),
            "method": Dimension.Method.RATED,
            "scale": _scale(TEAMWORK_SCALE),
            "rated_by_peers": True,
        },
    ]


def _revenue(dept: User) -> Metric:
    metric = Metric.objects.filter(code="revenue").first()
    return metric or metric_save(
        acting_user=dept,
        code="revenue",
        name="Revenue",
        name_zh="营业收入",
        unit=Metric.Unit.CURRENCY,
        source=Metric.Source.AMOUNT,
    )


def _first_period_to_come(fiscal_year: FiscalYear, today: datetime.date) -> Period | None:
    """The first quarter that has not started, else the first month."""
    for kind in (Period.Kind.QUARTER, Period.Kind.MONTH):
        period = (
            fiscal_year.periods.filter(kind=kind, start_date__gt=today)
            .select_related("fiscal_year")
            .order_by("start_date")
            .first()
        )
        if period is not None:
            return period
    return None


def _publish_v1(
    *, period: Period, company: OrgUnit, dept: User, today: datetime.date
) -> AppraisalTemplate:
    template = services.template_create(
        code=CODE,
        name=NAME,
        name_zh=NAME_ZH,
        description=DESCRIPTION,
        period_kind=period.kind,
        applies_from=period,
        units=[company],
        acting_user=dept,
    )
    for position, fields in enumerate(_dimensions(_revenue(dept))):
        services.dimension_save(template=template, acting_user=dept, position=position, **fields)
    services.bands_save(template=template, bands=BANDS, acting_user=dept)
    return services.template_publish(template=template, acting_user=dept, today=today)


def _draft_v2(v1: AppraisalTemplate, *, dept: User, today: datetime.date) -> AppraisalTemplate:
    """The next version, being edited: revenue 45 % and training participation 5 %."""
    v2 = services.template_new_version(template=v1, acting_user=dept, today=today)
    services.template_update(
        template=v2,
        description=DESCRIPTION
        + "\nDraft: adds training participation once the training records are kept. / "
        "草稿：培训记录启用后加入培训参与度。",
        acting_user=dept,
    )
    services.dimension_save(
        template=v2,
        dimension=v2.dimensions.get(method=Dimension.Method.ATTAINMENT),
        weight=Decimal("45"),
        acting_user=dept,
    )
    services.dimension_save(
        template=v2,
        name="Training participation",
        name_zh="培训参与度",
        weight=Decimal("5"),
        method=Dimension.Method.TRAINING,
        curve=TRAINING_CURVE,
        acting_user=dept,
    )
    return v2


def seed(*, stdout, today: datetime.date) -> None:
    dept = User.objects.filter(username=DEPARTMENT).first()
    company = OrgUnit.objects.filter(code="qingyun").first()
    if dept is None or company is None:
        return
    versions = AppraisalTemplate.objects.filter(code=CODE)
    if not versions.exists():
        fiscal_year = FiscalYear.objects.filter(start_date__lte=today, end_date__gte=today).first()
        period = _first_period_to_come(fiscal_year, today) if fiscal_year else None
        if period is None:
            stdout.write(
                "Appraisal: no demo template, because every month of the current fiscal "
                "year has started and a template is published before the first period it "
                "applies to."
            )
            return
        v1 = _publish_v1(period=period, company=company, dept=dept, today=today)
        _draft_v2(v1, dept=dept, today=today)
    rows = versions.select_related("applies_from__fiscal_year").order_by("version")
    stdout.write(
        f"Appraisal: {NAME}: "
        + "; ".join(f"v{t.version} {t.status} from {t.applies_from.label}" for t in rows)
        + "."
    )
