"""People, roles, the sales organisation tree, memberships and the fiscal calendar."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F, Q
from django.utils import formats, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    SALESPERSON = "salesperson", _("salesperson")
    SUPERVISOR = "supervisor", _("supervisor")
    DEPARTMENT = "department", _("sales management department")
    HR = "hr", _("HR")
    ADMINISTRATOR = "admin", _("administrator")


class User(AbstractUser):
    employee_no = models.CharField(
        _("employee number"), max_length=32, unique=True, null=True, blank=True
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        full = self.get_full_name()
        return full or self.username

    def get_full_name(self) -> str:
        # Chinese names read family name first, without a space.
        if self.last_name and any("\u4e00" <= ch <= "\u9fff" for ch in self.last_name):
            return f"{self.last_name}{self.first_name}".strip()
        return super().get_full_name()

    @cached_property
    def role_set(self) -> frozenset[str]:
        """The roles this person holds, read once per request."""
        if not self.pk:
            return frozenset()
        return frozenset(self.role_assignments.values_list("role", flat=True))

    def has_role(self, role: str) -> bool:
        return role in self.role_set


class RoleAssignment(models.Model):
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="org_role_unique_per_user"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="org_role_known"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class BilingualNameMixin:
    """`display_name`: the Chinese name when the reader reads Chinese and there is one."""

    @property
    def display_name(self) -> str:
        if self.name_zh and translation.get_language() == "zh-hans":
            return self.name_zh
        return self.name


class OrgUnit(BilingualNameMixin, models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", _("company")
        REGION = "region", _("region")
        BRANCH = "branch", _("branch")
        TEAM = "team", _("sales team")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    # Materialised path of primary keys, "/1/4/9/": a subtree is a prefix match.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=F("id")),
                name="org_unit_not_own_parent",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["company", "region", "branch", "team"]),
                name="org_unit_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name


class Membership(models.Model):
    """Where a person sells (member) or what they lead (supervisor), with dates.

    `end_date` is inclusive; empty means "until further notice". Ending a
    membership keeps the row, so a person's history stays where it happened.
    """

    class Kind(models.TextChoices):
        MEMBER = "member", _("member")
        SUPERVISOR = "supervisor", _("supervisor")

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("person")
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("unit")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MEMBER)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user_id", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="org_membership_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["user", "unit", "kind", "start_date"], name="org_membership_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["member", "supervisor"]), name="org_membership_kind_known"
            ),
        ]
        indexes = [models.Index(fields=["unit", "kind", "start_date"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit} ({self.get_kind_display()})"

    def is_active_on(self, day: datetime.date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


class FiscalYear(models.Model):
    name = models.CharField(_("name"), max_length=20, unique=True)
    start_date = models.DateField(_("start date"), unique=True)
    end_date = models.DateField(_("end date"))
    start_month = models.PositiveSmallIntegerField(_("start month"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("fiscal year")
        verbose_name_plural = _("fiscal years")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="org_fiscal_year_dates"
            ),
            models.CheckConstraint(
                condition=Q(start_month__gte=1, start_month__lte=12),
                name="org_fiscal_year_start_month",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Period(models.Model):
    class Kind(models.TextChoices):
        YEAR = "year", _("fiscal year")
        QUARTER = "quarter", _("quarter")
        MONTH = "month", _("month")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSING = "closing", _("closing")
        CLOSED = "closed", _("closed")

    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.CASCADE, related_name="periods", verbose_name=_("fiscal year")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    number = models.PositiveSmallIntegerField(_("number"))
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent period"),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        ordering = ["start_date", "-end_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "kind", "number"], name="org_period_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="org_period_dates"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="year", number=1)
                    | Q(kind="quarter", number__gte=1, number__lte=4)
                    | Q(kind="month", number__gte=1, number__lte=12)
                ),
                name="org_period_number_in_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "closing", "closed"]),
                name="org_period_status_known",
            ),
        ]
        indexes = [models.Index(fields=["kind", "start_date"])]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_of(self.kind, self.number, self.start_date, self.fiscal_year.name)

    @classmethod
    def label_of(cls, kind: str, number: int, start_date: datetime.date, year_name: str) -> str:
        """A period's name as people say it: the fiscal year's name, "FY2026 Q4", or the
        month in the reader's language ("October 2026", "2026年10月")."""
        if kind == cls.Kind.YEAR:
            return year_name
        if kind == cls.Kind.QUARTER:
            return f"{year_name} Q{number}"
        return formats.date_format(start_date, "YEAR_MONTH_FORMAT")

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED
