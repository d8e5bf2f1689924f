"""Customers, contacts, follow-ups and sales records (the actuals) with their credit
split.

A sales record is credited to one or more people by percentages that add up to
exactly 100. Each credit carries its share of the record's amount, margin,
quantity and collected amount (largest-remainder rounding, so the credited parts
add up to the record exactly), the record's dates and whether it is booked: the
actuals are sums over credits, grouped by month, without touching the records.
Only `sales.records.services` writes these rows and keeps the copies in step.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from org.models import OrgUnit, Period
from sales import domain

MONEY = {"max_digits": 18, "decimal_places": 2}
QUANTITY = {"max_digits": 14, "decimal_places": 2}


class Customer(models.Model):
    class Status(models.TextChoices):
        PROSPECT = "prospect", _("prospect")
        ACTIVE = "active", _("active customer")
        LOST = "lost", _("lost")

    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="customers",
        verbose_name=_("owner"),
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROSPECT
    )
    # The day it became a customer: counts once in the "new customers" metric.
    became_customer_on = models.DateField(_("customer since"), null=True, blank=True)
    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["prospect", "active", "lost"]),
                name="sales_customer_status_known",
            ),
            models.CheckConstraint(
                condition=Q(became_customer_on__isnull=True)
                | Q(became_customer_on__gte=domain.EARLIEST_CUSTOMER_SINCE),
                name="sales_customer_since_plausible",
            ),
        ]
        indexes = [models.Index(fields=["owner", "became_customer_on"])]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer_id", "name", "id"]

    def __str__(self) -> str:
        return self.name


class FollowUp(models.Model):
    class Kind(models.TextChoices):
        VISIT = "visit", _("visit")
        CALL = "call", _("call")
        PRE_SALES = "pre_sales", _("pre-sales consultation")
        AFTER_SALES = "after_sales", _("after-sales service")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("customer")
    )
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="follow_ups",
        verbose_name=_("salesperson"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    happened_on = models.DateField(_("date"))
    need = models.TextField(_("customer need"), blank=True)
    next_action = models.CharField(_("next action"), max_length=200, blank=True)
    next_action_on = models.DateField(_("next action date"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-happened_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["visit", "call", "pre_sales", "after_sales"]),
                name="sales_followup_kind_known",
            ),
        ]
        indexes = [models.Index(fields=["salesperson", "done", "next_action_on"])]

    def __str__(self) -> str:
        return f"{self.customer} · {self.get_kind_display()} · {self.happened_on}"

    @staticmethod
    def due_q(day) -> Q:
        """Open follow-ups whose next action falls on `day` or before (due or overdue)."""
        return Q(done=False, next_action_on__lte=day)

    def is_due_on(self, day) -> bool:
        return not self.done and self.next_action_on is not None and self.next_action_on <= day


class SalesRecord(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("booked")
        CANCELLED = "cancelled", _("cancelled")

    # A sale's figures as they are entered (page, import, API), in their usual order.
    FIGURES = ("amount", "quantity", "gross_margin", "collected_amount", "collected_on")

    date = models.DateField(_("date"))
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="sales", verbose_name=_("customer")
    )
    product = models.CharField(_("product"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    gross_margin = models.DecimalField(_("gross margin"), **MONEY)
    collected_amount = models.DecimalField(_("collected amount"), default=0, **MONEY)
    collected_on = models.DateField(_("collected on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.BOOKED
    )
    # An ERP pushes records idempotently by this id: the same id twice updates.
    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )
    # The month period containing `date` (set by sales.records.services).
    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="sales_records", verbose_name=_("period")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sales record")
        verbose_name_plural = _("sales records")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["booked", "cancelled"]), name="sales_record_status_known"
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{field}__gte": -domain.plausible_limit(field)})
                    & Q(**{f"{field}__lte": domain.plausible_limit(field)}),
                    name=f"sales_record_{field}_plausible",
                )
                for field in ("amount", "quantity", "gross_margin", "collected_amount")
            ),
        ]
        indexes = [models.Index(fields=["date"]), models.Index(fields=["customer", "date"])]

    def __str__(self) -> str:
        return f"{self.date} · {self.customer_id} · {self.amount}"

    @property
    def is_booked(self) -> bool:
        return self.status == self.Status.BOOKED


class SalesCredit(models.Model):
    """One person's share of a sales record, with the team they sold in that day."""

    record = models.ForeignKey(
        SalesRecord, on_delete=models.CASCADE, related_name="credits", verbose_name=_("record")
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sales_credits",
        verbose_name=_("salesperson"),
    )
    team = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="sales_credits", verbose_name=_("team")
    )
    share_pct = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2)
    # Copies kept in step by sales.records.services: the credited parts and the record's
    # dates and status, so the actuals aggregate credits alone.
    amount = models.DecimalField(_("credited amount"), **MONEY)
    gross_margin = models.DecimalField(_("credited gross margin"), **MONEY)
    quantity = models.DecimalField(_("credited quantity"), **QUANTITY)
    collected_amount = models.DecimalField(_("credited collected amount"), **MONEY)
    date = models.DateField(_("date"))
    collected_on = models.DateField(_("collected on"), null=True, blank=True)
    booked = models.BooleanField(_("booked"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sales credit")
        verbose_name_plural = _("sales credits")
        ordering = ["record_id", "-share_pct", "person_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "person"], name="sales_credit_one_per_person"
            ),
            models.CheckConstraint(
                condition=Q(share_pct__gt=0, share_pct__lte=100), name="sales_credit_share_range"
            ),
        ]
        indexes = [
            models.Index(fields=["team", "date"]),
            models.Index(fields=["person", "date"]),
            models.Index(fields=["team", "collected_on"]),
            models.Index(fields=["person", "collected_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.share_pct}% of #{self.record_id}"


class MonthTotal(models.Model):
    """The booked credits summed per person, team and month, kept in step by
    sales.records.services in the same transaction as every credit write (by increments,
    so concurrent writers add up): amount, margin and quantity by the month of the
    sale, collections by the month of the collection. Never edited by hand;
    `manage.py sales_totals --check` compares it with the credits and `--rebuild`
    recomputes it from them."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the month
    amount = models.DecimalField(default=0, **MONEY)
    gross_margin = models.DecimalField(default=0, **MONEY)
    quantity = models.DecimalField(default=0, **QUANTITY)
    collected_amount = models.DecimalField(default=0, **MONEY)

    class Meta:
        verbose_name = _("monthly sales total")
        verbose_name_plural = _("monthly sales totals")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "team", "month"], name="sales_monthtotal_one_per_key"
            ),
        ]
        indexes = [models.Index(fields=["team", "month"]), models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.team_id} · {self.month:%Y-%m}"


class ProgressReport(models.Model):
    """A salesperson's weekly (or monthly, SALES_REPORT_FREQUENCY) progress report,
    read and commented on by the supervisor."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("weekly")
        MONTHLY = "monthly", _("monthly")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="progress_reports",
        verbose_name=_("salesperson"),
    )
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    # Monday of the week, or the first day of the month.
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    progress = models.TextField(_("progress"))
    customer_feedback = models.TextField(_("customer feedback"), blank=True)
    problems = models.TextField(_("problems"), blank=True)
    help_needed = models.TextField(_("help needed"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    supervisor_comment = models.TextField(_("supervisor's comment"), blank=True)
    commented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commented by"),
    )
    commented_at = models.DateTimeField(_("commented at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read by the supervisor at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-period_start", "person_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "frequency", "period_start"],
                name="sales_report_one_per_period",
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=["weekly", "monthly"]),
                name="sales_report_frequency_known",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="sales_report_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.period_start} - {self.period_end}"


class SatisfactionResponse(models.Model):
    """One customer's survey answer about a salesperson in a month period."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="satisfaction",
        verbose_name=_("customer"),
    )
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="satisfaction_responses",
        verbose_name=_("salesperson"),
    )
    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="+", verbose_name=_("period")
    )
    answered_on = models.DateField(_("answered on"))
    score = models.PositiveSmallIntegerField(_("score (1-5)"))
    comment = models.TextField(_("comment"), blank=True)
    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("satisfaction response")
        verbose_name_plural = _("satisfaction responses")
        ordering = ["-answered_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="sales_satisfaction_score_range"
            ),
        ]
        indexes = [models.Index(fields=["salesperson", "answered_on"])]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.salesperson_id}: {self.score}"
