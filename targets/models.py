"""Metrics, seasonality profiles, targets and their cascade, adjustments and
personal sales plans."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from org.models import BilingualNameMixin, OrgUnit, Period

# The longest lag a metric's actuals may have (days): a month and a half.
MAX_PACE_LAG_DAYS = 45


class Metric(BilingualNameMixin, models.Model):
    class Unit(models.TextChoices):
        CURRENCY = "currency", _("currency")
        COUNT = "count", _("count")
        PERCENT = "percent", _("percent")

    class Direction(models.TextChoices):
        HIGHER = "higher", _("higher is better")
        LOWER = "lower", _("lower is better")

    class Source(models.TextChoices):
        AMOUNT = "amount", _("sum of amount")
        MARGIN = "margin", _("sum of gross margin")
        QUANTITY = "quantity", _("sum of quantity")
        NEW_CUSTOMERS = "new_customers", _("count of new customers")
        COLLECTIONS = "collections", _("sum of collected payments")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    unit = models.CharField(_("unit of measure"), max_length=10, choices=Unit.choices)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )
    source = models.CharField(_("actual computed as"), max_length=20, choices=Source.choices)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Actuals that arrive late (collections are entered once the payment is matched):
    # the dashboards take the pace and the projection as of this many days ago.
    pace_lag_days = models.PositiveSmallIntegerField(
        _("actuals arrive late by (days)"),
        default=0,
        help_text=_(
            "About how many days after the event its actuals are entered (0: at once). "
            "The pace and the projection count the period up to that many days ago."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__in=["currency", "count", "percent"]), name="targets_metric_unit"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=["higher", "lower"]), name="targets_metric_direction"
            ),
            models.CheckConstraint(
                condition=Q(pace_lag_days__lte=MAX_PACE_LAG_DAYS),
                name="targets_metric_pace_lag_days",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def decimal_places(self) -> int:
        """Money and percentages to 2 decimals, counts to whole numbers."""
        return 0 if self.unit == self.Unit.COUNT else 2


class SeasonalityProfile(models.Model):
    """How an annual target spreads over the twelve months of the fiscal year."""

    class Method(models.TextChoices):
        EQUAL = "equal", _("equal months")
        CUSTOM = "custom", _("custom monthly weights")
        LAST_YEAR = "last_year", _("shape of last year's actuals")

    name = models.CharField(_("name"), max_length=100, unique=True)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    # Twelve percentages (strings of decimals), fiscal month 1 first; only for CUSTOM.
    weights = models.JSONField(_("monthly weights (%)"), default=list, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("seasonality profile")
        verbose_name_plural = _("seasonality profiles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def weight_values(self) -> list[Decimal]:
        return [Decimal(str(w)) for w in self.weights]


class Target(models.Model):
    """The value of a metric for an owner (an org unit or a person) in a period.

    A person's target is held in parts, one per team they were a member of during the
    period: the part `team` allocated to them for the days they were its member (a
    person who stays in one team has one part). Their target for the period is the
    sum of their parts; a team's member rows are its parts."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    class Allocation(models.TextChoices):
        EQUAL = "equal", _("equal")
        WEIGHTS = "weights", _("by weights")
        LAST_YEAR = "last_year", _("by last year's share")
        MANUAL = "manual", _("typed in")

    class AllocationStatus(models.TextChoices):
        OPEN = "open", pgettext_lazy("allocation status", "not submitted")
        SUBMITTED = "submitted", _("submitted")
        APPROVED = "approved", _("approved")
        RETURNED = "returned", _("returned")

    metric = models.ForeignKey(
        Metric, on_delete=models.PROTECT, related_name="targets", verbose_name=_("metric")
    )
    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="targets", verbose_name=_("period")
    )
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name=_("unit"),
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name=_("person"),
    )
    # For a person: the team whose allocation this part belongs to (the person was its
    # member for some of the period's days).
    team = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="member_targets",
        verbose_name=_("team"),
    )
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # How this target's value was arrived at, in words (e.g. "prorated: 92 of 184 days").
    basis = models.CharField(_("basis"), max_length=200, blank=True)
    # The weight the parent's allocation gave this target, before any proration: 1 for
    # equal shares, the weight given, last year's actual. A person's part is the
    # team's target shared by weight x days present. Empty when typed in or imported.
    weight = models.DecimalField(
        _("allocation weight"), max_digits=24, decimal_places=6, null=True, blank=True
    )
    # How this (unit) target is split to the units or people below it.
    allocation_method = models.CharField(
        _("allocation method"),
        max_length=10,
        choices=Allocation.choices,
        default=Allocation.EQUAL,
    )
    allocation_status = models.CharField(
        _("allocation status"),
        max_length=10,
        choices=AllocationStatus.choices,
        default=AllocationStatus.OPEN,
    )
    allocation_comment = models.TextField(_("allocation comment"), blank=True)
    seasonality = models.ForeignKey(
        SeasonalityProfile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("seasonality profile"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=False) & Q(person__isnull=True))
                | (Q(unit__isnull=True) & Q(person__isnull=False)),
                name="targets_target_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0), name="targets_target_value_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]), name="targets_target_status"
            ),
            models.CheckConstraint(
                condition=Q(person__isnull=True) | Q(team__isnull=False),
                name="targets_person_target_has_team",
            ),
            models.UniqueConstraint(
                fields=["metric", "period", "unit"],
                condition=Q(unit__isnull=False),
                name="targets_unique_unit_target",
            ),
            models.UniqueConstraint(
                fields=["metric", "period", "person", "team"],
                condition=Q(person__isnull=False),
                name="targets_unique_person_part",
            ),
        ]
        indexes = [
            models.Index(fields=["period", "metric"]),
            models.Index(fields=["person", "period"]),
            models.Index(fields=["team", "period"]),
        ]

    def __str__(self) -> str:
        return f"{self.metric.code} · {self.period_id} · {self.owner_label}"

    @property
    def owner(self):
        return self.unit if self.unit_id else self.person

    @property
    def owner_label(self) -> str:
        owner = self.owner
        return owner.display_name if owner is not None else ""

    @property
    def owner_key(self) -> tuple:
        """Who holds the target: ("unit", id), or ("part", person id, team id)."""
        if self.unit_id:
            return ("unit", self.unit_id)
        return ("part", self.person_id, self.team_id)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def basis_display(self) -> str:
        from targets.domain import basis_display

        return basis_display(self.basis)


class Adjustment(models.Model):
    """A requested change to a published target: quota relief, territory change, a new hire."""

    class Reason(models.TextChoices):
        QUOTA_RELIEF = "quota_relief", _("quota relief")
        TERRITORY = "territory", _("territory change")
        NEW_HIRE = "new_hire", _("new hire ramp")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    target = models.ForeignKey(
        Target, on_delete=models.PROTECT, related_name="adjustments", verbose_name=_("target")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Reason.choices)
    old_value = models.DecimalField(_("value before"), max_digits=18, decimal_places=2)
    new_value = models.DecimalField(_("new value"), max_digits=18, decimal_places=2)
    reason = models.TextField(_("reason"))
    effective_period = models.ForeignKey(
        Period,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("effective from"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("target adjustment")
        verbose_name_plural = _("target adjustments")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(new_value__gte=0), name="targets_adjustment_value_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(reason=""), name="targets_adjustment_reason_required"
            ),
            models.UniqueConstraint(
                fields=["target"],
                condition=Q(status="pending"),
                name="targets_one_pending_adjustment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} → {self.new_value}"


class SalesPlan(models.Model):
    """A salesperson's personal sales plan for a period; every submission is a new version."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        APPROVED = "approved", _("approved")
        RETURNED = "returned", _("returned")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sales_plans",
        verbose_name=_("person"),
    )
    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="sales_plans", verbose_name=_("period")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("personal sales plan")
        verbose_name_plural = _("personal sales plans")
        constraints = [
            models.UniqueConstraint(fields=["person", "period"], name="targets_one_plan_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.period}"


class SalesPlanVersion(models.Model):
    """One written version of a plan. Versions are never changed once submitted."""

    plan = models.ForeignKey(
        SalesPlan, on_delete=models.CASCADE, related_name="versions", verbose_name=_("plan")
    )
    number = models.PositiveIntegerField(_("version"))
    key_accounts = models.TextField(_("key accounts"))
    actions = models.TextField(_("planned actions"))
    # {"<month period id>": "amount"} expected pipeline by month.
    pipeline = models.JSONField(_("expected pipeline by month"), default=dict)
    resources = models.TextField(_("resources needed"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    decision = models.CharField(
        _("decision"),
        max_length=10,
        blank=True,
        choices=[("approved", _("approved")), ("returned", _("returned"))],
    )
    review_comment = models.TextField(_("supervisor's comment"), blank=True)

    class Meta:
        verbose_name = _("sales plan version")
        verbose_name_plural = _("sales plan versions")
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="targets_plan_version_unique"),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="targets_plan_version_positive"
            ),
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True) | Q(reviewed_at__gte=F("created_at")),
                name="targets_plan_review_after_writing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"


class ToleranceBand(models.Model):
    """One version of the cascade's tolerance band: the targets below a unit must add
    up to between `min_pct` and `max_pct` % of the unit's target. The latest version
    applies (without any, the TARGET_TOLERANCE_* settings); a change is a new row with
    its reason, so the rows are the band's history. Rows are never changed."""

    min_pct = models.DecimalField(_("lowest share (%)"), max_digits=6, decimal_places=2)
    max_pct = models.DecimalField(_("highest share (%)"), max_digits=6, decimal_places=2)
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("set at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("set by"),
    )

    class Meta:
        verbose_name = _("tolerance band")
        verbose_name_plural = _("tolerance bands")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_pct__gte=50) & Q(min_pct__lte=100),
                name="targets_band_min_in_range",
            ),
            models.CheckConstraint(
                condition=Q(max_pct__gte=100) & Q(max_pct__lte=200),
                name="targets_band_max_in_range",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="targets_band_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.min_pct} % to {self.max_pct} %"
