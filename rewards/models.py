"""Incentive plans (奖金方案) and the bonus decisions (奖惩决定) they give.

A plan is a family of versions sharing a `code`, handled like an appraisal template: a
draft can be edited; a published version never changes (its components, penalty rules and
target incentives neither): an edit makes the next version, a draft that applies from a
later period. It is published before the first period it applies to
(rewards.services.plan_publish).

A decision is one person's bonus for one period under one plan version: proposed by the
close (or "compute now"), adjusted line by line with reasons while proposed, then approved
in bulk. Approval writes version 1 of its `DecisionVersion`, which never changes; an appeal
resolved with a change writes the next version with its reason. The approved decision's
figures, its adjustments and every version refuse change in the models (core.frozen) and in
the database (the triggers of migration 0002).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.frozen import FrozenModel
from core.models import Released
from org.models import BilingualNameMixin, OrgUnit, Period
from targets.models import Metric

PLAN_PUBLISHED = "a published incentive plan cannot be changed"
DECISION_APPROVED = "an approved bonus decision cannot be changed"
VERSION_FIXED = "a bonus decision version is never changed or deleted"


class IncentivePlan(BilingualNameMixin, FrozenModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    class TargetMode(models.TextChoices):
        PLAN = "plan", _("one amount for everyone in the plan")
        PERSON = "person", _("an amount per person, imported from HR")

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    period_kind = models.CharField(_("bonus period"), max_length=10, choices=Period.Kind.choices)
    applies_from = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="+", verbose_name=_("applies from")
    )
    # Who it covers: the salespeople in these units and below.
    units = models.ManyToManyField(OrgUnit, related_name="+", verbose_name=_("population"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    target_mode = models.CharField(
        _("target incentive"), max_length=10, choices=TargetMode.choices, default=TargetMode.PLAN
    )
    target_amount = models.DecimalField(
        _("target incentive amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    cap = models.DecimalField(
        _("plan cap (percent of the target incentive)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
    )
    # {grade: factor as a string}; null: the grade does not multiply the bonus.
    multipliers = models.JSONField(_("grade multipliers"), null=True, blank=True)
    # An eligibility gate: at least this many days in a covered team during the period.
    min_days = models.PositiveSmallIntegerField(
        _("minimum days in the period"), null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    FROZEN_MESSAGE = PLAN_PUBLISHED
    MOVABLE_FIELDS = ("created_at",)

    class Meta:
        verbose_name = _("incentive plan")
        verbose_name_plural = _("incentive plans")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="rewards_plan_version"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(status="draft"), name="rewards_one_draft_per_code"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]), name="rewards_plan_status"
            ),
            models.CheckConstraint(
                condition=Q(period_kind__in=["year", "quarter", "month"]),
                name="rewards_plan_period_kind",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="rewards_plan_published_when",
            ),
            models.CheckConstraint(
                condition=Q(target_mode="person")
                | Q(target_mode="plan", target_amount__isnull=False, target_amount__gte=0),
                name="rewards_plan_target_amount",
            ),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cap__gt=0), name="rewards_plan_cap"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @classmethod
    def frozen_q(cls) -> Q:
        return Q(status=cls.Status.PUBLISHED)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class PlanPart(FrozenModel):
    """A part of a plan version: fixed once the version is published."""

    FROZEN_MESSAGE = PLAN_PUBLISHED
    PARENT_FIELD = "plan"

    class Meta:
        abstract = True

    @classmethod
    def frozen_q(cls) -> Q:
        return Q(plan__status=IncentivePlan.Status.PUBLISHED)


class PlanComponent(PlanPart):
    class Mode(models.TextChoices):
        MARGINAL = "marginal", _("marginal: each band at its own rate")
        WHOLE = "whole", _("whole: the tier reached applies to all")

    plan = models.ForeignKey(
        IncentivePlan, on_delete=models.CASCADE, related_name="components", verbose_name=_("plan")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    metric = models.ForeignKey(
        Metric, on_delete=models.PROTECT, related_name="+", verbose_name=_("metric")
    )
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2)
    mode = models.CharField(_("tiers"), max_length=10, choices=Mode.choices)
    threshold = models.DecimalField(_("threshold (%)"), max_digits=7, decimal_places=2, default=0)
    cap = models.DecimalField(
        _("cap (payout %)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    # [[from attainment %, rate], ...] as strings, the first from 0.
    tiers = models.JSONField(_("tiers"), default=list)

    class Meta:
        verbose_name = _("plan component")
        verbose_name_plural = _("plan components")
        ordering = ["plan_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "metric"], name="rewards_component_metric"),
            models.CheckConstraint(
                condition=Q(weight__gt=0, weight__lte=100), name="rewards_component_weight"
            ),
            models.CheckConstraint(
                condition=Q(mode__in=["marginal", "whole"]), name="rewards_component_mode"
            ),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="rewards_component_floor"),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cap__gt=0), name="rewards_component_cap"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.metric_id}"


class PenaltyRule(PlanPart):
    plan = models.ForeignKey(
        IncentivePlan, on_delete=models.CASCADE, related_name="penalties", verbose_name=_("plan")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    code = models.SlugField(_("code"), max_length=40)
    # Fires when the attainment (of `metric`, or the plan's weighted attainment without
    # one) is below `below`, or when the grade is one of `grades`.
    below = models.DecimalField(
        _("attainment below (%)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    metric = models.ForeignKey(
        Metric,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("metric"),
    )
    grades = models.JSONField(_("grades"), default=list, blank=True)
    reduction = models.DecimalField(
        _("bonus reduced by (%)"), max_digits=5, decimal_places=2, default=0
    )
    hold_periods = models.PositiveSmallIntegerField(_("promotion held for (periods)"), default=0)

    class Meta:
        verbose_name = _("penalty rule")
        verbose_name_plural = _("penalty rules")
        ordering = ["plan_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="rewards_penalty_code"),
            models.CheckConstraint(
                condition=Q(reduction__gte=0, reduction__lte=100), name="rewards_penalty_reduction"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.code}"


class TargetIncentive(PlanPart):
    """A person's target incentive under a plan whose amounts come from HR."""

    plan = models.ForeignKey(
        IncentivePlan,
        on_delete=models.CASCADE,
        related_name="target_incentives",
        verbose_name=_("plan"),
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person"),
    )
    amount = models.DecimalField(_("target incentive"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("target incentive")
        verbose_name_plural = _("target incentives")
        ordering = ["plan_id", "person_id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "person"], name="rewards_target_incentive"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="rewards_target_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.person_id}: {self.amount}"


class Decision(Released, FrozenModel):
    """One person's bonus for one period under one plan version. While `proposed` or
    `waiting` the close may recompute it and the department may adjust it; from approval
    on its figures are fixed and the workflow moves on (released, acknowledged, appealed,
    resolved)."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        PROPOSED = "proposed", _("proposed")
        APPROVED = "approved", _("approved")
        RELEASED = "released", _("released")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        APPEALED = "appealed", _("appealed")
        RESOLVED = "resolved", _("appeal resolved")

    class Waiting(models.TextChoices):
        NONE = "", _("nothing")
        APPRAISAL = "appraisal", _("waiting for the appraisal")
        INCENTIVE = "incentive", _("waiting for a target incentive")

    OPEN_STATUSES = ("waiting", "proposed")

    plan = models.ForeignKey(
        IncentivePlan, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("plan")
    )
    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="+", verbose_name=_("period")
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="bonus_decisions",
        verbose_name=_("person"),
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("team")
    )
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.PROPOSED
    )
    waiting_for = models.CharField(
        _("waiting for"), max_length=10, choices=Waiting.choices, default="", blank=True
    )
    # The proposal as computed (rewards.domain.work_out): inputs, lines and total.
    working = models.JSONField(_("working"), default=dict)
    target_incentive = models.DecimalField(
        _("target incentive"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    total = models.DecimalField(_("bonus"), max_digits=12, decimal_places=2, null=True, blank=True)
    hold_periods = models.PositiveSmallIntegerField(_("promotion held for (periods)"), default=0)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    FROZEN_MESSAGE = DECISION_APPROVED
    MOVABLE_FIELDS = (
        "status",
        "released_at",
        "acknowledged_at",
        "appealed_at",
        "appeal_reason",
        "resolved_at",
        "resolved_by",
        "resolved_by_id",
        "resolution",
        "resolution_reason",
    )

    class Meta:
        verbose_name = _("bonus decision")
        verbose_name_plural = _("bonus decisions")
        ordering = ["period_id", "unit_id", "person_id"]
        constraints = [
            models.UniqueConstraint(fields=["period", "person"], name="rewards_decision_unique"),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "waiting",
                        "proposed",
                        "approved",
                        "released",
                        "acknowledged",
                        "appealed",
                        "resolved",
                    ]
                ),
                name="rewards_decision_status",
            ),
            # Waiting has a reason and no total; everything else has a total.
            models.CheckConstraint(
                condition=Q(status="waiting", total__isnull=True) & ~Q(waiting_for="")
                | ~Q(status="waiting") & Q(total__isnull=False, waiting_for=""),
                name="rewards_decision_waiting",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["waiting", "proposed"])
                | Q(approved_at__isnull=False, approved_by__isnull=False),
                name="rewards_decision_approved_when",
            ),
        ]
        indexes = [models.Index(fields=["period", "status"], name="rewards_decision_status_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.period_id}: {self.total}"

    @classmethod
    def frozen_q(cls) -> Q:
        return ~Q(status__in=cls.OPEN_STATUSES)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class LineAdjustment(FrozenModel):
    """A change the department made to one line of a proposed decision, with its reason
    (kept; fixed once the decision is approved)."""

    decision = models.ForeignKey(
        Decision, on_delete=models.CASCADE, related_name="adjustments", verbose_name=_("decision")
    )
    line = models.CharField(_("line"), max_length=60)
    amount = models.DecimalField(_("change"), max_digits=12, decimal_places=2)
    reason = models.TextField(_("reason"))
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("adjusted by"),
    )
    adjusted_at = models.DateTimeField(_("adjusted at"), default=timezone.now)

    FROZEN_MESSAGE = DECISION_APPROVED
    PARENT_FIELD = "decision"

    class Meta:
        verbose_name = _("decision adjustment")
        verbose_name_plural = _("decision adjustments")
        ordering = ["decision_id", "adjusted_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="rewards_adjustment_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.decision_id} {self.line}: {self.amount}"

    @classmethod
    def frozen_q(cls) -> Q:
        return ~Q(decision__status__in=Decision.OPEN_STATUSES)


class DecisionVersion(FrozenModel):
    """An approved decision as it stands, written once: version 1 at approval, a later
    version for an appeal resolved with a change (with its reason)."""

    decision = models.ForeignKey(
        Decision, on_delete=models.PROTECT, related_name="versions", verbose_name=_("decision")
    )
    version = models.PositiveIntegerField(_("version"))
    working = models.JSONField(_("working"))
    total = models.DecimalField(_("bonus"), max_digits=12, decimal_places=2)
    before_penalties = models.DecimalField(
        _("bonus before penalties"), max_digits=12, decimal_places=2
    )
    adjustments = models.DecimalField(_("adjustments"), max_digits=12, decimal_places=2)
    hold_periods = models.PositiveSmallIntegerField(_("promotion held for (periods)"), default=0)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    FROZEN_MESSAGE = VERSION_FIXED

    class Meta:
        verbose_name = _("bonus decision version")
        verbose_name_plural = _("bonus decision versions")
        ordering = ["decision_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "version"], name="rewards_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="rewards_version_number"),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(reason=""), name="rewards_version_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision_id} v{self.version}"

    @classmethod
    def frozen_q(cls) -> Q:
        return Q()  # every row


class PromotionHold(models.Model):
    """Promotion held for a person from `starts_on` to `ends_on` (inclusive) by a penalty
    rule of an approved decision; lifted early only by the department, with a reason."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="promotion_holds",
        verbose_name=_("person"),
    )
    decision = models.ForeignKey(
        Decision, on_delete=models.PROTECT, related_name="holds", verbose_name=_("decision")
    )
    rule = models.CharField(_("rule"), max_length=40)
    reason = models.TextField(_("reason"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    lift_reason = models.TextField(_("reason for lifting"), blank=True)

    class Meta:
        verbose_name = _("promotion hold")
        verbose_name_plural = _("promotion holds")
        ordering = ["person_id", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["decision"], name="rewards_hold_per_decision"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="rewards_hold_dates"
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True, lift_reason="")
                | Q(lifted_at__isnull=False, lifted_by__isnull=False) & ~Q(lift_reason=""),
                name="rewards_hold_lifted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.starts_on}..{self.ends_on}"


class Budget(models.Model):
    """The bonus budget the department set for a period (and a unit's subtree)."""

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="+", verbose_name=_("period")
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    amount = models.DecimalField(_("budget"), max_digits=14, decimal_places=2)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("set by"),
    )
    set_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        verbose_name = _("bonus budget")
        verbose_name_plural = _("bonus budgets")
        constraints = [
            models.UniqueConstraint(fields=["period", "unit"], name="rewards_budget_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="rewards_budget_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} {self.unit_id}: {self.amount}"


class Clawback(models.Model):
    """A sale cancelled after the decision of its period was approved (追回): the bonus that
    decision paid for it, taken back as an adjustment line (`clawback:<id>`) of the
    person's decision in a later period of the same kind (the first computed after the
    cancellation whose decision is still open). The source decision never changes.

    `amount` (negative) is the difference between the bonus the source decision stands at
    and the bonus worked out again from its inputs without the cancelled credit (and
    without the credits of the clawbacks recorded for it before); `detail` keeps that
    working: the components' attainments before and after, both bonuses."""

    source = models.ForeignKey(
        Decision,
        on_delete=models.PROTECT,
        related_name="clawbacks_from",
        verbose_name=_("approved decision"),
    )
    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="+", verbose_name=_("taken back in")
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="clawbacks",
        verbose_name=_("person"),
    )
    record = models.ForeignKey(
        "sales.SalesRecord",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sales record"),
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.TextField(_("reason"))
    detail = models.JSONField(_("working"), default=dict)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("clawback")
        verbose_name_plural = _("clawbacks")
        ordering = ["period_id", "person_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "record"], name="rewards_clawback_unique"),
            models.CheckConstraint(condition=Q(amount__lt=0), name="rewards_clawback_amount"),
            models.CheckConstraint(condition=~Q(reason=""), name="rewards_clawback_reason"),
        ]
        indexes = [models.Index(fields=["period", "person"], name="rewards_clawback_target_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.period_id}: {self.amount} (#{self.record_id})"
