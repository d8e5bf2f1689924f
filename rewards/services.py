"""Writes of incentive plans and bonus decisions.

Plans: a draft is written whole (`plan_save_draft`: the version's fields, its components
and its penalty rules), published before the first period it applies to
(`plan_publish`, which checks it with `rewards.domain.check_plan`), and changed afterwards
only as the next version (`plan_new_version`, a draft applying from a later period).

Decisions: `decisions_compute` writes one proposed decision per covered person and period,
idempotently (the close's `rewards` step calls it in batches, the department's "compute
now" at once); decisions already approved are left as they are. `decision_adjust` records
a change to a line with its reason; `decisions_approve` fixes them (DecisionVersion 1) and
starts the promotion holds their penalties ask for.

Release: `decisions_release` gives approved decisions to their people (in-app and e-mail,
on commit); the person acknowledges (`decision_acknowledge`) or appeals within
REWARDS_APPEAL_DAYS (`decision_appeal`); `appeal_resolve` upholds it or writes the next
DecisionVersion with its reason. `hold_lift` ends a promotion hold early, with a reason.

Clawbacks (追回): a sale cancelled after an approved decision counted it is taken back as an
adjustment line of the person's next decision still open (`compute_people` records it
whenever it computes that decision; `clawback_record` does it at once). Sales does not call
rewards (the layering): the next computation finds the cancelled credits itself.

Each service is atomic, checks who acts (the last line: pages and the API checked access
before) and raises DomainError with a message naming the field. `now` is a parameter so
that tests and the demo are dated.
"""

from __future__ import annotations

import datetime
import decimal
import json
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import require
from core.text import currency_name, plain
from notifications.models import Notification
from notifications.services import notify
from org.models import Period
from org.permissions import is_department
from rewards import domain, selectors
from rewards import notices as notices_texts
from rewards.models import (
    Clawback,
    Decision,
    DecisionVersion,
    IncentivePlan,
    LineAdjustment,
    PenaltyRule,
    PlanComponent,
    PromotionHold,
    TargetIncentive,
)
from rewards.selectors import exact_decimal as _decimal
from rewards.selectors import grades_for
from sales.attainment.selectors import live_attainment
from sales.domain import exact_attainment
from sales.models import SalesCredit, SalesRecord

Status = Decision.Status


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


# --- plans --------------------------------------------------------------------------------------


def _clean_components(components: list[dict]) -> list[PlanComponent]:
    parts = []
    for position, data in enumerate(components):
        tiers = [[str(Decimal(str(s))), str(Decimal(str(r)))] for s, r in data.get("tiers", ())]
        parts.append(
            PlanComponent(
                position=position,
                metric=data["metric"],
                weight=Decimal(str(data["weight"])),
                mode=data.get("mode", PlanComponent.Mode.MARGINAL),
                threshold=Decimal(str(data.get("threshold") or 0)),
                cap=None if data.get("cap") in (None, "") else Decimal(str(data["cap"])),
                tiers=tiers,
            )
        )
    return parts


def _clean_penalties(penalties: list[dict]) -> list[PenaltyRule]:
    return [
        PenaltyRule(
            position=position,
            code=data["code"],
            below=None if data.get("below") in (None, "") else Decimal(str(data["below"])),
            metric=data.get("metric"),
            grades=sorted(set(data.get("grades") or ())),
            reduction=Decimal(str(data.get("reduction") or 0)),
            hold_periods=int(data.get("hold_periods") or 0),
        )
        for position, data in enumerate(penalties)
    ]


def _check_draft(plan: IncentivePlan, components, penalties) -> None:
    """The pure rules' checks of a draft as written (before it is saved)."""
    draft = domain.Plan(
        components=tuple(
            domain.Component(
                key=c.metric.code,
                weight=c.weight,
                curve=domain.Curve(
                    tiers=tuple(domain.Tier(Decimal(s), Decimal(r)) for s, r in c.tiers),
                    mode=domain.TierMode(c.mode),
                    threshold=c.threshold,
                    cap=c.cap,
                ),
            )
            for c in components
        ),
        multipliers=None
        if plan.multipliers is None
        else {g: Decimal(str(f)) for g, f in plan.multipliers.items()},
        penalties=tuple(
            domain.PenaltyRule(
                code=p.code,
                reduction=p.reduction,
                hold_periods=p.hold_periods,
                below=p.below,
                key=p.metric.code if p.metric is not None else "",
                grades=frozenset(p.grades),
            )
            for p in penalties
        ),
        cap=plan.cap,
    )
    domain.check_plan(draft)
    if plan.target_mode == IncentivePlan.TargetMode.PLAN and plan.target_amount is None:
        raise DomainError(
            _("Give the target incentive amount, or take the amounts from HR."),
            code="invalid",
            field="target_amount",
        )


@transaction.atomic
def plan_save_draft(
    *,
    acting_user,
    fields: dict,
    components: list[dict],
    penalties: list[dict] = (),
    units=(),
    plan: IncentivePlan | None = None,
) -> IncentivePlan:
    """Create a plan (version 1 of a new code) or rewrite a draft whole: its fields, its
    population, its components ({metric, weight, mode, threshold, cap, tiers}) and its
    penalty rules ({code, below, metric, grades, reduction, hold_periods}). Checked by
    the pure rules now, so a draft that could not be published is not saved."""
    require(is_department(acting_user))
    if plan is not None and plan.is_published:
        raise DomainError(
            _("A published plan cannot be edited: make a new version."), code="published"
        )
    plan = plan or IncentivePlan()
    for name, value in fields.items():
        setattr(plan, name, value)
    if plan.target_mode == IncentivePlan.TargetMode.PERSON:
        plan.target_amount = None
    parts = _clean_components(list(components))
    rules = _clean_penalties(list(penalties))
    _check_draft(plan, parts, rules)
    if not units:
        raise DomainError(_("Choose the units the plan covers."), code="invalid", field="units")
    plan.save()
    plan.units.set(units)
    PlanComponent.objects.filter(plan=plan).delete()
    PenaltyRule.objects.filter(plan=plan).delete()
    for part in [*parts, *rules]:
        part.plan = plan
    PlanComponent.objects.bulk_create(parts)
    PenaltyRule.objects.bulk_create(rules)
    return plan


@transaction.atomic
def plan_publish(
    *, plan: IncentivePlan, acting_user, now: datetime.datetime | None = None
) -> IncentivePlan:
    """Publish a draft before the first period it applies to; from then on it is fixed."""
    require(is_department(acting_user))
    now = _now(now)
    plan = IncentivePlan.objects.select_for_update().get(pk=plan.pk)
    if plan.is_published:
        raise DomainError(_("This version is already published."), code="published")
    start = plan.applies_from.start_date
    if start <= timezone.localdate(now):
        raise DomainError(
            _(
                "A plan is published before the first period it applies to: %(period)s "
                "started on %(date)s. Choose a later period."
            )
            % {"period": plan.applies_from.label, "date": start.isoformat()},
            code="too_late",
            field="applies_from",
        )
    if plan.applies_from.kind != plan.period_kind:
        raise DomainError(
            _("The plan applies from a period of the kind it pays for."),
            code="invalid",
            field="applies_from",
        )
    plan = selectors.with_parts(IncentivePlan.objects.filter(pk=plan.pk)).get()
    domain.check_plan(selectors.as_domain(plan))
    if (
        plan.target_mode == IncentivePlan.TargetMode.PERSON
        and not TargetIncentive.objects.filter(plan=plan).exists()
    ):
        raise DomainError(
            _("Import the target incentives from HR before publishing."),
            code="invalid",
            field="target_incentives",
        )
    plan.status = IncentivePlan.Status.PUBLISHED
    plan.published_at = now
    plan.published_by = acting_user
    plan.save(update_fields=["status", "published_at", "published_by"])
    return plan


@transaction.atomic
def plan_new_version(*, plan: IncentivePlan, applies_from: Period, acting_user) -> IncentivePlan:
    """The next version of a published plan, as a draft applying from `applies_from` (a
    later period than the version it follows): a copy of its fields and parts."""
    require(is_department(acting_user))
    if IncentivePlan.objects.filter(code=plan.code, status=IncentivePlan.Status.DRAFT).exists():
        raise DomainError(
            _("This plan already has a draft: edit it."), code="draft_exists", field="code"
        )
    if applies_from.start_date <= plan.applies_from.start_date:
        raise DomainError(
            _("A new version applies from a later period than the one it follows."),
            code="invalid",
            field="applies_from",
        )
    latest = IncentivePlan.objects.filter(code=plan.code).order_by("-version").first()
    source = selectors.with_parts(IncentivePlan.objects.filter(pk=plan.pk)).get()
    draft = IncentivePlan.objects.create(
        code=plan.code,
        version=latest.version + 1,
        name=plan.name,
        name_zh=plan.name_zh,
        description=plan.description,
        period_kind=plan.period_kind,
        applies_from=applies_from,
        currency=plan.currency,
        target_mode=plan.target_mode,
        target_amount=plan.target_amount,
        cap=plan.cap,
        multipliers=plan.multipliers,
        min_days=plan.min_days,
    )
    draft.units.set(source.units.all())
    PlanComponent.objects.bulk_create(
        PlanComponent(
            plan=draft,
            position=c.position,
            metric=c.metric,
            weight=c.weight,
            mode=c.mode,
            threshold=c.threshold,
            cap=c.cap,
            tiers=c.tiers,
        )
        for c in source.components.all()
    )
    PenaltyRule.objects.bulk_create(
        PenaltyRule(
            plan=draft,
            position=r.position,
            code=r.code,
            below=r.below,
            metric=r.metric,
            grades=r.grades,
            reduction=r.reduction,
            hold_periods=r.hold_periods,
        )
        for r in source.penalties.all()
    )
    TargetIncentive.objects.bulk_create(
        TargetIncentive(plan=draft, person_id=t.person_id, amount=t.amount)
        for t in TargetIncentive.objects.filter(plan=plan)
    )
    return draft


# --- decisions ----------------------------------------------------------------------------------


def _working_json(
    working: domain.Working, inputs: domain.Inputs, figures: dict | None = None
) -> dict:
    """The working as a decision keeps it. `figures`: {component key: (actual, target)}
    read for it, kept on the component's line (a clawback works the bonus out again
    without a cancelled credit from them)."""
    figures = figures or {}

    def figure(line: domain.Line, index: int):
        if line.kind != domain.LineKind.COMPONENT or line.key not in figures:
            return None
        value = figures[line.key][index]
        # As a rule states it (30, 500, 30.5): the close's snapshot and a live reading
        # store the same figure with different numbers of decimals.
        return None if value is None else plain(value)

    return {
        "status": str(working.status),
        "target_incentive": str(inputs.target_incentive),
        "grade": inputs.grade,
        "gates": dict(inputs.gates),
        "lines": [
            {
                "kind": str(line.kind),
                "key": line.key,
                "exact": str(line.exact),
                "amount": str(line.amount),
                "attainment": None if line.attainment is None else str(line.attainment),
                "tier": line.tier,
                "payout": None if line.payout is None else str(line.payout),
                "capped": line.capped,
                "factor": None if line.factor is None else str(line.factor),
                "actual": figure(line, 0),
                "target": figure(line, 1),
            }
            for line in working.lines
        ],
        "fired": [rule.code for rule in working.fired],
        "hold_periods": working.hold_periods,
        "total": None if working.total is None else str(working.total),
    }


def adjustment_label(adjustment: LineAdjustment) -> str:
    return f"adjustment:{adjustment.pk}"


def compute_people(
    *,
    period: Period,
    person_ids,
    plans: list[IncentivePlan] | None = None,
    now: datetime.datetime | None = None,
    actuals: dict[tuple[int, int], tuple[Decimal, Decimal | None]] | None = None,
) -> int:
    """Compute and write the decisions of these people for `period` (those a plan in force
    covers and whose decision is not approved yet): one upsert on (period, person), a
    fixed number of queries whatever the number of people. `actuals`: {(person id, metric
    id): (actual, target)} as the period close recorded them (its snapshot), else they are
    read live, as the dashboards count them. Returns how many were written."""
    now = _now(now)
    plans = selectors.plans_in_force(period) if plans is None else plans
    wanted = set(person_ids)
    cover = selectors.covered(plans, period, person_ids=wanted)
    fixed = set(
        Decision.objects.filter(period=period, person_id__in=list(cover))
        .exclude(status__in=Decision.OPEN_STATUSES)
        .values_list("person_id", flat=True)
    )
    cover = {p: c for p, c in cover.items() if p not in fixed}
    if not cover:
        return 0
    people = sorted(cover)
    if actuals is None:
        metrics = {c.metric_id: c.metric for plan in plans for c in plan.components.all()}
        actuals = {
            (owner[1], metric_id): (a.actual, a.target)
            for (owner, metric_id), a in live_attainment(
                owners=[("person", pk) for pk in people],
                metrics=list(metrics.values()),
                period=period,
                today=period.end_date,
            ).items()
        }
    grades = grades_for(people, period)
    incentives = {
        (plan_id, person_id): amount
        for plan_id, person_id, amount in TargetIncentive.objects.filter(
            plan__in=plans, person_id__in=people
        ).values_list("plan_id", "person_id", "amount")
    }
    gated = [plan for plan in plans if plan.min_days]
    days = (
        selectors.days_in_units(
            people, period, {u.path for plan in gated for u in plan.units.all()}
        )
        if gated
        else {}
    )
    _clawbacks_due(period=period, person_ids=people, now=now)
    adjustments: dict[int, list[tuple[str, Decimal]]] = {}
    for adjustment in LineAdjustment.objects.filter(
        decision__period=period, decision__person_id__in=people
    ).values("pk", "decision__person_id", "amount"):
        adjustments.setdefault(adjustment["decision__person_id"], []).append(
            (f"adjustment:{adjustment['pk']}", adjustment["amount"])
        )
    for clawback in Clawback.objects.filter(period=period, person_id__in=people).values(
        "pk", "person_id", "amount"
    ):
        adjustments.setdefault(clawback["person_id"], []).append(
            (f"clawback:{clawback['pk']}", clawback["amount"])
        )
    rows = []
    rules_of = {plan.pk: selectors.as_domain(plan) for plan in plans}
    for person_id in people:
        plan, unit_id = cover[person_id]
        rules = rules_of[plan.pk]
        incentive = (
            plan.target_amount
            if plan.target_mode == IncentivePlan.TargetMode.PLAN
            else incentives.get((plan.pk, person_id))
        )
        attainments, figures = {}, {}
        for component in plan.components.all():
            a = actuals.get((person_id, component.metric_id))
            attainments[component.metric.code] = (
                None
                if a is None
                else _decimal(exact_attainment(a[0], a[1], component.metric.direction))
            )
            if a is not None:
                figures[component.metric.code] = a
        gates = {}
        if plan.min_days:
            gates["min_days"] = days.get(person_id, 0) >= plan.min_days
        inputs = domain.Inputs(
            target_incentive=Decimal(incentive or 0),
            attainments=attainments,
            grade=grades.get(person_id),
            gates=gates,
            adjustments=tuple(adjustments.get(person_id, ())),
        )
        working = domain.work_out(rules, inputs)
        if incentive is None:
            status, waiting, total = Status.WAITING, Decision.Waiting.INCENTIVE, None
        elif working.status == domain.Status.WAITING:
            status, waiting, total = Status.WAITING, Decision.Waiting.APPRAISAL, None
        else:
            status, waiting, total = Status.PROPOSED, Decision.Waiting.NONE, working.total
        rows.append(
            Decision(
                plan=plan,
                period=period,
                person_id=person_id,
                unit_id=unit_id,
                status=status,
                waiting_for=waiting,
                working=_working_json(working, inputs, figures),
                target_incentive=incentive,
                total=total,
                hold_periods=working.hold_periods,
                computed_at=now,
            )
        )
    upsert_decisions(rows)
    return len(rows)


# The columns the close writes, with their PostgreSQL types (see `upsert_decisions`).
DECISION_COLUMNS = {
    "plan_id": "int",
    "period_id": "int",
    "person_id": "int",
    "unit_id": "int",
    "status": "text",
    "waiting_for": "text",
    "working": "jsonb",
    "target_incentive": "numeric",
    "total": "numeric",
    "hold_periods": "int",
    "computed_at": "timestamptz",
}


def upsert_decisions(rows: list[Decision]) -> None:
    """Write proposed (or waiting) decisions by their unique key (period, person),
    replacing an earlier proposal and never an approved decision. On PostgreSQL one
    statement whatever the number of rows: the rows travel as one JSON document read by
    jsonb_to_recordset (a working is a JSON object: as a parameter of its own, or inside
    an array, each would be quoted and escaped row by row); elsewhere bulk_create with
    update_conflicts."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Decision.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["period", "person"],
            update_fields=[
                "plan",
                "unit",
                "status",
                "waiting_for",
                "working",
                "target_incentive",
                "total",
                "hold_periods",
                "computed_at",
            ],
        )
        return
    document = json.dumps(
        [
            {
                column: (
                    value.isoformat()
                    if isinstance(value, datetime.datetime)
                    else str(value)
                    if isinstance(value, Decimal)
                    else value
                )
                for column in DECISION_COLUMNS
                for value in [getattr(row, column)]
            }
            for row in rows
        ]
    )
    qn = connection.ops.quote_name
    table = qn(Decision._meta.db_table)
    columns = ", ".join(qn(c) for c in DECISION_COLUMNS)
    shape = ", ".join(f"{qn(c)} {t}" for c, t in DECISION_COLUMNS.items())
    updates = ", ".join(
        f"{qn(c)} = EXCLUDED.{qn(c)}"
        for c in DECISION_COLUMNS
        if c not in ("period_id", "person_id")
    )
    # Identifiers from the model, quoted by the backend; the rows are one parameter. The
    # text columns without a value at proposal (appeal, resolution) are written empty.
    sql = (
        f"INSERT INTO {table} ({columns}, appeal_reason, resolution, resolution_reason) "  # noqa: S608
        f"SELECT {columns}, '', '', '' FROM jsonb_to_recordset(%s::jsonb) AS r({shape}) "
        f"ON CONFLICT (period_id, person_id) DO UPDATE SET {updates} "
        f"WHERE {table}.status IN ('waiting', 'proposed')"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [document])


def covered_people(period: Period) -> list[int]:
    """Who the plans in force for `period` cover, by id (what the close's step counts)."""
    return sorted(selectors.covered(selectors.plans_in_force(period), period))


@transaction.atomic
def decisions_compute(
    *, period: Period, acting_user=None, now: datetime.datetime | None = None
) -> int:
    """The department's "compute now": every covered person's decision for the period
    (approved ones left as they are)."""
    if acting_user is not None:
        require(is_department(acting_user))
    plans = selectors.plans_in_force(period)
    if not plans:
        raise DomainError(
            _("No published incentive plan applies to %(period)s.") % {"period": period.label},
            code="no_plan",
        )
    people = sorted(selectors.covered(plans, period))
    return compute_people(period=period, person_ids=people, plans=plans, now=now)


def _line_keys(decision: Decision) -> set[str]:
    return {line["key"] or line["kind"] for line in decision.working.get("lines", ())}


@transaction.atomic
def decision_adjust(
    *,
    decision: Decision,
    line: str,
    amount,
    reason: str,
    acting_user,
    now: datetime.datetime | None = None,
) -> Decision:
    """Change one line of a proposed decision by `amount` (cents), with a reason; the
    decision is worked out again with the change as its own line."""
    require(is_department(acting_user))
    decision = Decision.objects.select_for_update().select_related("period").get(pk=decision.pk)
    if decision.status != Status.PROPOSED:
        raise DomainError(
            _("Only a proposed decision can be adjusted (this one is %(status)s).")
            % {"status": decision.get_status_display()},
            code="not_proposed",
        )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the adjustment."), code="invalid", field="reason")
    if line not in _line_keys(decision):
        raise DomainError(
            _("The decision has no line %(line)s.") % {"line": line}, code="invalid", field="line"
        )
    try:
        amount = Decimal(str(amount))
    except decimal.InvalidOperation:
        raise DomainError(
            _("Give the change as an amount."), code="invalid", field="amount"
        ) from None
    if amount == 0 or amount != amount.quantize(domain.CENT):
        raise DomainError(_("Give the change in cents, and not 0."), code="invalid", field="amount")
    if decision.total is not None and decision.total + amount < 0:
        raise DomainError(
            _("The adjustment would make the bonus negative."), code="invalid", field="amount"
        )
    LineAdjustment.objects.create(
        decision=decision,
        line=line,
        amount=amount,
        reason=reason,
        adjusted_by=acting_user,
        adjusted_at=_now(now),
    )
    compute_people(period=decision.period, person_ids=[decision.person_id], now=now)
    decision.refresh_from_db()
    return decision


def _two_people() -> bool:
    return settings.REWARDS_TWO_PERSON_APPROVAL


@transaction.atomic
def decisions_approve(
    *, decisions, acting_user, now: datetime.datetime | None = None
) -> list[Decision]:
    """Approve proposed decisions in bulk: each gets its version 1 (fixed) and, when a
    penalty holds promotion, its promotion hold. With REWARDS_TWO_PERSON_APPROVAL (the
    default) nobody approves a decision they adjusted themselves."""
    require(is_department(acting_user))
    now = _now(now)
    ids = [getattr(d, "pk", d) for d in decisions]
    rows = list(
        Decision.objects.select_for_update()
        .filter(pk__in=ids)
        .select_related("period", "person")
        .order_by("pk")
    )
    for decision in rows:
        if decision.status != Status.PROPOSED:
            raise DomainError(
                _("%(person)s: only a proposed decision can be approved (it is %(status)s).")
                % {
                    "person": decision.person.display_name,
                    "status": decision.get_status_display(),
                },
                code="not_proposed",
            )
    adjusted_by_me = (
        set(
            LineAdjustment.objects.filter(decision_id__in=ids, adjusted_by=acting_user).values_list(
                "decision_id", flat=True
            )
        )
        if _two_people()
        else set()
    )
    for decision in rows:
        if decision.pk in adjusted_by_me:
            raise DomainError(
                _(
                    "%(person)s: you adjusted this decision, so another member of the "
                    "department approves it."
                )
                % {"person": decision.person.display_name},
                code="four_eyes",
            )
    versions, holds = [], []
    for decision in rows:
        lines = decision.working.get("lines", ())
        adjustments = sum(
            (Decimal(x["amount"]) for x in lines if x["kind"] == domain.LineKind.ADJUSTMENT),
            Decimal(0),
        )
        before = sum(
            (
                Decimal(x["amount"])
                for x in lines
                if x["kind"]
                in (domain.LineKind.COMPONENT, domain.LineKind.PLAN_CAP, domain.LineKind.MULTIPLIER)
            ),
            Decimal(0),
        )
        versions.append(
            DecisionVersion(
                decision=decision,
                version=1,
                working=decision.working,
                total=decision.total,
                before_penalties=before,
                adjustments=adjustments,
                hold_periods=decision.hold_periods,
                created_at=now,
                created_by=acting_user,
            )
        )
        if decision.hold_periods:
            holds.append(_hold(decision))
    Decision.objects.filter(pk__in=[d.pk for d in rows]).update(
        status=Status.APPROVED, approved_at=now, approved_by=acting_user
    )
    DecisionVersion.objects.bulk_create(versions)
    PromotionHold.objects.bulk_create(holds)
    return rows


def _hold(decision: Decision) -> PromotionHold:
    """The hold a decision's penalties ask for: from the day after its period, for the
    number of periods of its kind the longest rule says."""
    period = decision.period
    start = period.end_date + datetime.timedelta(days=1)
    end = _periods_later(period, decision.hold_periods)
    fired = decision.working.get("fired", ())
    return PromotionHold(
        person_id=decision.person_id,
        decision=decision,
        rule=",".join(fired)[:40],
        reason=_("Penalty rule %(rules)s of %(period)s.")
        % {"rules": ", ".join(fired), "period": period.label},
        starts_on=start,
        ends_on=end,
    )


def _periods_later(period: Period, count: int) -> datetime.date:
    """The last day of the `count`-th period of the same kind after `period`."""
    length = {"month": 1, "quarter": 3, "year": 12}[period.kind]
    first = period.start_date
    month = first.month - 1 + length * (count + 1)
    year = first.year + month // 12
    start_after = datetime.date(year, month % 12 + 1, 1)
    return start_after - datetime.timedelta(days=1)


# --- release, acknowledgement, appeals, holds ------------------------------------------------


def appeal_days() -> int:
    """How many days after the release a person may appeal (REWARDS_APPEAL_DAYS)."""
    return settings.REWARDS_APPEAL_DAYS


def appeal_deadline(decision: Decision) -> datetime.datetime | None:
    if decision.released_at is None:
        return None
    return decision.released_at + datetime.timedelta(days=appeal_days())


def currency_params(code: str) -> dict:
    """The currency in both languages (a notification is rendered in the reader's)."""
    with translation.override("en"):
        english = currency_name(code)
    with translation.override("zh-hans"):
        chinese = currency_name(code)
    return {"currency": english, "currency_zh": chinese}


def decision_url(decision_id: int) -> str:
    """The link of a notification: the decision's page."""
    return reverse("rewards:decision", args=[decision_id])


def current_version(decision: Decision) -> DecisionVersion | None:
    """The decision as it stands: its latest version (None before approval)."""
    return DecisionVersion.objects.filter(decision=decision).order_by("-version").first()


def _status_label(status: str) -> str:
    return str(Status(status).label)


def _locked(decision: Decision | int) -> Decision:
    pk = getattr(decision, "pk", decision)
    return (
        Decision.objects.select_for_update(of=("self",))
        .select_related("period__fiscal_year", "person", "plan")
        .get(pk=pk)
    )


def _department_ids() -> list[int]:
    from org.models import Role, User

    return list(
        User.objects.filter(is_active=True, role_assignments__role=Role.DEPARTMENT)
        .values_list("pk", flat=True)
        .distinct()
    )


@transaction.atomic
def decisions_release(
    *, decisions, acting_user, now: datetime.datetime | None = None
) -> list[Decision]:
    """The department releases approved decisions to their people (the appeal window
    starts): each person is told in the app and by e-mail, with the link to the decision,
    once the release is committed. Every decision given must be approved."""
    require(is_department(acting_user))
    now = _now(now)
    ids = [getattr(d, "pk", d) for d in decisions]
    rows = list(
        Decision.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("period__fiscal_year", "person", "plan")
        .order_by("pk")
    )
    if not rows:
        raise DomainError(_("Choose the decisions to release."), code="invalid", field="decisions")
    for decision in rows:
        if decision.status != Status.APPROVED:
            raise DomainError(
                _("%(person)s: only an approved decision can be released (it is %(status)s).")
                % {
                    "person": decision.person.display_name,
                    "status": decision.get_status_display(),
                },
                code="not_approved",
                field="decisions",
            )
    Decision.objects.filter(pk__in=[d.pk for d in rows]).update(
        status=Status.RELEASED, released_at=now
    )
    totals = dict(
        DecisionVersion.objects.filter(decision__in=rows)
        .order_by("decision_id", "version")
        .values_list("decision_id", "total")
    )  # the latest version wins
    notices, items = [], []
    for decision in rows:
        decision.status, decision.released_at = Status.RELEASED, now
        deadline = timezone.localtime(appeal_deadline(decision)).date().isoformat()
        total = f"{totals.get(decision.pk, decision.total):,.2f}"
        url = decision_url(decision.pk)
        notices.append(
            Notification(
                recipient_id=decision.person_id,
                kind=notices_texts.RELEASED,
                params={
                    **notices_texts.period_params(decision.period),
                    "total": total,
                    **currency_params(decision.plan.currency),
                    "deadline": deadline,
                },
                url=url,
            )
        )
        items.append(
            {
                "person_id": decision.person_id,
                "period_id": decision.period_id,
                "total": total,
                "currency": decision.plan.currency,
                "deadline": deadline,
                "url": url,
            }
        )

    def after_commit():
        # One text per person (their figures), so not notify(): one insert for all.
        Notification.objects.bulk_create(notices)
        notices_texts.send_released(items=items)

    transaction.on_commit(after_commit)
    return rows


def _own_released(decision: Decision, acting_user) -> Decision:
    decision = _locked(decision)
    require(acting_user is not None and decision.person_id == acting_user.pk)
    if decision.status != Status.RELEASED:
        raise DomainError(
            _(
                "The decision is %(status)s: it can be acknowledged or appealed once released, "
                "and only once."
            )
            % {"status": decision.get_status_display()},
            code="not_released",
            field="status",
        )
    return decision


@transaction.atomic
def decision_acknowledge(
    *, decision: Decision, acting_user, now: datetime.datetime | None = None
) -> Decision:
    """The person acknowledges their released decision."""
    decision = _own_released(decision, acting_user)
    decision.status = Status.ACKNOWLEDGED
    decision.acknowledged_at = _now(now)
    decision.save(update_fields=["status", "acknowledged_at"])
    return decision


@transaction.atomic
def decision_appeal(
    *, decision: Decision, reason: str, acting_user, now: datetime.datetime | None = None
) -> Decision:
    """The person appeals their released decision, with reasons, within REWARDS_APPEAL_DAYS
    of the release; the department is told."""
    now = _now(now)
    decision = _own_released(decision, acting_user)
    deadline = appeal_deadline(decision)
    if now > deadline:
        raise DomainError(
            _("The time to appeal ended on %(date)s.")
            % {"date": timezone.localtime(deadline).date().isoformat()},
            code="too_late",
            field="reason",
        )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Write the reasons for the appeal."), code="invalid", field="reason")
    decision.status = Status.APPEALED
    decision.appealed_at = now
    decision.appeal_reason = reason
    decision.save(update_fields=["status", "appealed_at", "appeal_reason"])
    department = _department_ids()
    params = {
        "person": decision.person.display_name,
        **notices_texts.period_params(decision.period),
    }
    url = decision_url(decision.pk)
    transaction.on_commit(
        lambda: notify(
            recipient_ids=department, kind=notices_texts.APPEALED, params=params, url=url
        )
    )
    return decision


OUTCOMES = {
    Decision.Resolution.UPHELD: ("upheld: the decision stands", "维持原决定"),
    Decision.Resolution.CHANGED: ("changed: see the new version", "已更改\uff0c请查看新版本"),
}


def _clean_changes(changes, amount, lines: set[str]) -> list[tuple[str, Decimal]]:
    """[(line, change in cents)]: `changes` as (line, amount) pairs or {line, amount}
    dicts; `amount` alone changes the bonus as a whole (the line "total")."""
    pairs = []
    for change in changes or ():
        if isinstance(change, dict):
            pairs.append((change.get("line"), change.get("amount")))
        else:
            pairs.append(tuple(change))
    if amount not in (None, ""):
        pairs.append(("total", amount))
    cleaned = []
    for line, value in pairs:
        if line != "total" and line not in lines:
            raise DomainError(
                _("The decision has no line %(line)s.") % {"line": line},
                code="invalid",
                field="changes",
            )
        try:
            value = Decimal(str(value))
        except decimal.InvalidOperation:
            raise DomainError(
                _("Give the change as an amount."), code="invalid", field="amount"
            ) from None
        if not value.is_finite() or value == 0 or value != value.quantize(domain.CENT):
            raise DomainError(
                _("Give the change in cents, and not 0."), code="invalid", field="amount"
            )
        cleaned.append((line, value))
    return cleaned


def _with_lines(working: dict, extra: list[tuple[str, Decimal]]) -> dict:
    """The working with `extra` (label, cents) added as adjustment lines: each in cents
    already, so the new total is the old one plus their sum, and still adds up."""
    lines = [dict(line) for line in working.get("lines", ())]
    for label, value in extra:
        lines.append(
            {
                "kind": str(domain.LineKind.ADJUSTMENT),
                "key": label,
                "exact": str(value),
                "amount": str(value),
                "attainment": None,
                "tier": None,
                "payout": None,
                "capped": False,
                "factor": None,
            }
        )
    total = sum((Decimal(line["amount"]) for line in lines), Decimal(0))
    return {**working, "lines": lines, "total": str(total)}


def _version_figures(working: dict) -> tuple[Decimal, Decimal]:
    """(bonus before penalties, adjustments) of a working, as DecisionVersion keeps them."""
    lines = working.get("lines", ())
    before_kinds = (domain.LineKind.COMPONENT, domain.LineKind.PLAN_CAP, domain.LineKind.MULTIPLIER)
    before = sum((Decimal(x["amount"]) for x in lines if x["kind"] in before_kinds), Decimal(0))
    adjustments = sum(
        (Decimal(x["amount"]) for x in lines if x["kind"] == domain.LineKind.ADJUSTMENT),
        Decimal(0),
    )
    return before, adjustments


@transaction.atomic
def appeal_resolve(
    *,
    decision: Decision,
    outcome: str,
    reason: str,
    acting_user,
    now: datetime.datetime | None = None,
    amount=None,
    changes=None,
) -> DecisionVersion | None:
    """The department resolves an appeal with its reason: `upheld` (the decision stands),
    or `changed`: the next DecisionVersion, whose working is the current one with one
    adjustment line per change, labelled `appeal:<line>` (`changes`: (line, cents) pairs;
    `amount`: cents on the bonus as a whole), and the reason; the earlier versions stay.
    The person is told. Returns the new version (None when upheld)."""
    require(is_department(acting_user))
    now = _now(now)
    decision = _locked(decision)
    if decision.status != Status.APPEALED:
        raise DomainError(
            _("%(person)s's decision is %(status)s: there is no appeal to resolve.")
            % {"person": decision.person.display_name, "status": decision.get_status_display()},
            code="not_appealed",
            field="status",
        )
    if outcome not in OUTCOMES:
        raise DomainError(
            _("Choose whether the decision is upheld or changed."),
            code="invalid",
            field="outcome",
        )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the resolution."), code="invalid", field="reason")
    latest = current_version(decision)
    version = None
    if outcome == Decision.Resolution.UPHELD:
        if changes or amount not in (None, ""):
            raise DomainError(
                _("An upheld decision keeps its figures: remove the changes."),
                code="invalid",
                field="changes",
            )
    else:
        cleaned = _clean_changes(changes, amount, _line_keys(latest))
        if not cleaned:
            raise DomainError(
                _("Give the change of at least one line, or of the bonus."),
                code="invalid",
                field="changes",
            )
        working = _with_lines(latest.working, [(f"appeal:{line}", v) for line, v in cleaned])
        total = Decimal(working["total"])
        if total < 0:
            raise DomainError(
                _("The change would make the bonus negative."), code="invalid", field="amount"
            )
        before, adjustments = _version_figures(working)
        version = DecisionVersion.objects.create(
            decision=decision,
            version=latest.version + 1,
            working=working,
            total=total,
            before_penalties=before,
            adjustments=adjustments,
            hold_periods=latest.hold_periods,
            reason=reason,
            created_at=now,
            created_by=acting_user,
        )
    decision.status = Status.RESOLVED
    decision.resolved_at = now
    decision.resolved_by = acting_user
    decision.resolution = outcome
    decision.resolution_reason = reason
    decision.save(
        update_fields=["status", "resolved_at", "resolved_by", "resolution", "resolution_reason"]
    )
    text, text_zh = OUTCOMES[outcome]
    params = {
        **notices_texts.period_params(decision.period),
        "outcome": text,
        "outcome_zh": text_zh,
    }
    person_id = decision.person_id
    url = decision_url(decision.pk)
    transaction.on_commit(
        lambda: notify(
            recipient_ids=[person_id], kind=notices_texts.RESOLVED, params=params, url=url
        )
    )
    return version


@transaction.atomic
def hold_lift(
    *, hold: PromotionHold, reason: str, acting_user, now: datetime.datetime | None = None
) -> PromotionHold:
    """The department lifts a promotion hold early, with its reason (kept)."""
    require(is_department(acting_user))
    now = _now(now)
    hold = PromotionHold.objects.select_for_update().get(pk=hold.pk)
    if hold.lifted_at is not None:
        raise DomainError(_("This promotion hold was already lifted."), code="lifted", field="hold")
    if hold.ends_on < timezone.localdate(now):
        raise DomainError(
            _("This promotion hold ended on %(date)s.") % {"date": hold.ends_on.isoformat()},
            code="ended",
            field="hold",
        )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            _("Give the reason for lifting the hold."), code="invalid", field="reason"
        )
    hold.lifted_at = now
    hold.lifted_by = acting_user
    hold.lift_reason = reason
    hold.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    return hold


# --- clawbacks (追回) ---------------------------------------------------------------------------

# Which credit figure a metric counts, and by which of the credit's dates (a metric not
# named here, new customers, does not move with one sale's cancellation).
CLAWBACK_SOURCES = {
    "amount": ("amount", "date"),
    "margin": ("gross_margin", "date"),
    "quantity": ("quantity", "date"),
    "collections": ("collected_amount", "collected_on"),
}
_CREDIT_VALUES = (
    "record_id",
    "person_id",
    "amount",
    "gross_margin",
    "quantity",
    "collected_amount",
    "date",
    "collected_on",
    "record__date",
    "record__amount",
    "record__customer__name",
)


def clawback_label(clawback: Clawback) -> str:
    return f"clawback:{clawback.pk}"


def _booked_then_cancelled(record_ids) -> dict[int, tuple[datetime.datetime, datetime.datetime]]:
    """{record id: (when it was first booked, when it was cancelled after that)} from the
    records' history (a record entered cancelled was never booked: it is not here)."""
    booked: dict[int, datetime.datetime] = {}
    found: dict[int, tuple[datetime.datetime, datetime.datetime]] = {}
    for pk, status, when in (
        SalesRecord.history.filter(id__in=list(record_ids))
        .order_by("history_date", "history_id")
        .values_list("id", "status", "history_date")
    ):
        if status == SalesRecord.Status.BOOKED:
            booked.setdefault(pk, when)
        elif pk in booked:
            found[pk] = (booked[pk], when)
    return found


def _removed(plan: IncentivePlan, credits: list[dict], period: Period) -> dict[str, Decimal]:
    """{component key: what `credits` counted in `period`} for the plan's components."""
    removed: dict[str, Decimal] = {}
    for component in plan.components.all():
        source = CLAWBACK_SOURCES.get(component.metric.source)
        if source is None:
            continue
        field, day = source
        for credit in credits:
            when = credit[day]
            if when is not None and period.start_date <= when <= period.end_date:
                key = component.metric.code
                removed[key] = removed.get(key, Decimal(0)) + Decimal(credit[field])
    return {key: value for key, value in removed.items() if value}


def _bonus_without(
    plan: IncentivePlan, working: dict, removed: dict[str, Decimal]
) -> tuple[Decimal, dict] | None:
    """The bonus of `working` (a version of an approved decision) worked out again from its
    own inputs with the `removed` figures taken off its components' actuals, and the
    attainments it read; None when the working does not keep the figures it needs."""
    directions = {c.metric.code: c.metric.direction for c in plan.components.all()}
    attainments: dict[str, Decimal | None] = {}
    for line in working.get("lines", ()):
        if line["kind"] != domain.LineKind.COMPONENT:
            continue
        key = line["key"]
        if key in removed and line["attainment"] is not None:
            if line.get("actual") is None or line.get("target") is None:
                return None
            actual = Decimal(line["actual"]) - removed[key]
            attainments[key] = _decimal(
                exact_attainment(actual, Decimal(line["target"]), directions[key])
            )
        else:
            attainments[key] = None if line["attainment"] is None else Decimal(line["attainment"])
    inputs = domain.Inputs(
        target_incentive=Decimal(working["target_incentive"]),
        attainments=attainments,
        grade=working.get("grade"),
        gates=working.get("gates") or {},
        adjustments=tuple(
            (line["key"], Decimal(line["amount"]))
            for line in working.get("lines", ())
            if line["kind"] == domain.LineKind.ADJUSTMENT
        ),
    )
    result = domain.work_out(selectors.as_domain(plan), inputs)
    if result.total is None:
        return None
    return result.total, {k: None if v is None else str(v) for k, v in attainments.items()}


def _clawback_reason(credit: dict, source: Decision) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "Sales record #%(record)s (%(date)s, %(customer)s, %(amount)s) was cancelled after "
            "the bonus decision for %(period)s was approved: the bonus it earned then is "
            "taken back."
        ) % {
            "record": credit["record_id"],
            "date": credit["record__date"].isoformat(),
            "customer": credit["record__customer__name"],
            "amount": f"{credit['record__amount']:,.2f}",
            "period": source.period.label,
        }


def _clawbacks_due(*, period: Period, person_ids, now: datetime.datetime) -> list[Clawback]:
    """Record the clawbacks these people's decisions for `period` take in: for each sale
    credited to them and cancelled after an approved decision of theirs (an earlier period
    of the same kind, computed before the cancellation) counted it, the difference the
    credit made to that decision's bonus (see Clawback), once per decision and record.
    A few queries whatever the number of people; none more when nothing was cancelled."""
    credits = list(
        SalesCredit.objects.filter(
            person_id__in=list(person_ids),
            booked=False,
            record__status=SalesRecord.Status.CANCELLED,
            date__lt=period.start_date,
        ).values(*_CREDIT_VALUES)
    )
    if not credits:
        return []
    people = {c["person_id"] for c in credits}
    sources = list(
        Decision.objects.filter(
            person_id__in=people,
            period__kind=period.kind,
            period__end_date__lt=period.start_date,
            period__start_date__lte=max(c["date"] for c in credits),
        )
        .exclude(status__in=Decision.OPEN_STATUSES)
        .select_related("period__fiscal_year")
        .order_by("period__start_date", "pk")
    )
    if not sources:
        return []
    done: dict[int, set[int]] = {}
    for source_id, record_id in Clawback.objects.filter(source__in=sources).values_list(
        "source_id", "record_id"
    ):
        done.setdefault(source_id, set()).add(record_id)
    history = _booked_then_cancelled({c["record_id"] for c in credits})
    by_person: dict[int, list[dict]] = {}
    for credit in credits:
        by_person.setdefault(credit["person_id"], []).append(credit)
    # The credits of the clawbacks recorded before (their records may be older).
    earlier = {
        (c["record_id"], c["person_id"]): c
        for c in SalesCredit.objects.filter(
            record_id__in={r for records in done.values() for r in records},
            person_id__in=people,
        ).values(*_CREDIT_VALUES)
    }
    plans = selectors.with_parts(
        IncentivePlan.objects.filter(pk__in={s.plan_id for s in sources})
    ).in_bulk()
    latest: dict[int, DecisionVersion] = {}
    for version in DecisionVersion.objects.filter(decision__in=sources).order_by("version"):
        latest[version.decision_id] = version
    # A decision still open in a period between the source's and this one takes the
    # clawback when it is computed again (the next open period), not this one.
    between: dict[int, list[datetime.date]] = {}
    for person_id, start in Decision.objects.filter(
        person_id__in=people,
        period__kind=period.kind,
        period__start_date__lt=period.start_date,
        period__start_date__gt=sources[0].period.end_date,
        status__in=Decision.OPEN_STATUSES,
    ).values_list("person_id", "period__start_date"):
        between.setdefault(person_id, []).append(start)
    made = []
    for source in sources:
        plan, version = plans[source.plan_id], latest.get(source.pk)
        if version is None or any(
            start > source.period.end_date for start in between.get(source.person_id, ())
        ):
            continue
        before_records = done.get(source.pk, set())
        new = [
            c
            for c in by_person.get(source.person_id, ())
            if c["record_id"] not in before_records
            and source.period.start_date <= c["date"] <= source.period.end_date
            and c["record_id"] in history
            # counted by the working (booked when it was computed), cancelled after
            and history[c["record_id"]][0] <= source.computed_at < history[c["record_id"]][1]
        ]
        new.sort(key=lambda c: c["record_id"])
        if not new:
            continue
        removed_credits = [
            earlier[(r, source.person_id)]
            for r in sorted(before_records)
            if (r, source.person_id) in earlier
        ]
        start = _bonus_without(
            plan, version.working, _removed(plan, removed_credits, source.period)
        )
        if start is None:
            continue
        bonus, attainments = start
        for credit in new:
            removed_credits.append(credit)
            after = _bonus_without(
                plan, version.working, _removed(plan, removed_credits, source.period)
            )
            if after is None:
                break
            amount = after[0] - bonus
            if amount < 0:
                made.append(
                    Clawback(
                        source=source,
                        period=period,
                        person_id=source.person_id,
                        record_id=credit["record_id"],
                        amount=amount,
                        reason=_clawback_reason(credit, source),
                        detail={
                            "source_version": version.version,
                            "bonus_before": str(bonus),
                            "bonus_after": str(after[0]),
                            "attainments_before": attainments,
                            "attainments_after": after[1],
                            "source_period": source.period_id,
                        },
                        created_at=now,
                    )
                )
            bonus, attainments = after
    Clawback.objects.bulk_create(made, ignore_conflicts=True)
    return made


@transaction.atomic
def clawback_record(
    *, record: SalesRecord, acting_user=None, now: datetime.datetime | None = None
) -> list[Clawback]:
    """Take back at once what a cancelled sale earned in approved decisions (the close and
    "compute now" do it by themselves): for each person it credited, their decision in
    the next period of the same kind that is not approved yet is worked out again, which
    records the clawback as its adjustment line. Returns the record's clawbacks."""
    if acting_user is not None:
        require(is_department(acting_user))
    now = _now(now)
    record = SalesRecord.objects.get(pk=getattr(record, "pk", record))
    if record.status != SalesRecord.Status.CANCELLED:
        raise DomainError(
            _("Only a cancelled sale is taken back."), code="not_cancelled", field="record"
        )
    credits = list(record.credits.values_list("person_id", "date"))
    for person_id, day in credits:
        fixed = Decision.objects.filter(person_id=person_id).exclude(
            status__in=Decision.OPEN_STATUSES
        )
        for kind, end in (
            fixed.filter(period__start_date__lte=day, period__end_date__gte=day)
            .values_list("period__kind", "period__end_date")
            .distinct()
        ):
            target = (
                Period.objects.filter(kind=kind, start_date__gt=end)
                .exclude(pk__in=fixed.values("period_id"))
                .order_by("start_date")
                .first()
            )
            if target is not None:
                compute_people(period=target, person_ids=[person_id], now=now)
    return list(Clawback.objects.filter(record=record).order_by("pk"))
