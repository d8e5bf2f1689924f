"""Appraisal templates (考核方案): the dimensions, their weights and scoring rules, and
the grade bands, published before the first period they apply to and then fixed.

A template is a family of versions sharing a `code`. A draft can be edited; a
published version never changes: an edit makes the next version, a draft that
applies from a later period. The rules (weights adding up to 100, curves, scales,
bands) are checked in `appraisal.domain` when a version is published.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from org.models import BilingualNameMixin, OrgUnit, Period
from targets.models import Metric


class AppraisalTemplate(BilingualNameMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # The kind of period it appraises, and the first such period it applies to; it
    # applies until a later published version of the same code takes over.
    period_kind = models.CharField(
        _("appraisal period"), max_length=10, choices=Period.Kind.choices
    )
    applies_from = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="+", verbose_name=_("applies from")
    )
    # Who it covers: the salespeople in these units and below.
    units = models.ManyToManyField(OrgUnit, related_name="+", verbose_name=_("population"))
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
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(m2m_fields=[units])

    class Meta:
        verbose_name = _("appraisal template")
        verbose_name_plural = _("appraisal templates")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="appraisal_template_version"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]), name="appraisal_template_status"
            ),
            models.CheckConstraint(
                condition=Q(period_kind__in=["year", "quarter", "month"]),
                name="appraisal_template_period_kind",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="appraisal_template_published_when",
            ),
            # One draft per code at a time.
            models.UniqueConstraint(
                fields=["code"], condition=Q(status="draft"), name="appraisal_one_draft_per_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class Dimension(BilingualNameMixin, models.Model):
    class Method(models.TextChoices):
        ATTAINMENT = "attainment", _("attainment of a metric")
        SATISFACTION = "satisfaction", _("customer satisfaction")
        RATED = "rated", _("rated on a scale")
        TRAINING = "training", _("training participation")

    template = models.ForeignKey(
        AppraisalTemplate,
        on_delete=models.CASCADE,
        related_name="dimensions",
        verbose_name=_("template"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2)
    method = models.CharField(_("scoring method"), max_length=20, choices=Method.choices)
    # attainment: the metric whose attainment in the period is scored.
    metric = models.ForeignKey(
        Metric,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("metric"),
    )
    # attainment, satisfaction and training: how the raw value becomes a score
    # (appraisal.domain.parse_curve); rated: the levels of the scale with their
    # written anchors (appraisal.domain.parse_scale).
    curve = models.JSONField(_("scoring curve"), default=dict, blank=True)
    scale = models.JSONField(_("rating scale"), default=list, blank=True)
    # rated: who rates besides the supervisor.
    rated_by_peers = models.BooleanField(_("also rated by peers"), default=False)
    rated_by_self = models.BooleanField(_("also rated by the person"), default=False)

    class Meta:
        verbose_name = _("appraisal dimension")
        verbose_name_plural = _("appraisal dimensions")
        ordering = ["template_id", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gt=0, weight__lte=100), name="appraisal_dimension_weight"
            ),
            models.CheckConstraint(
                condition=Q(method__in=["attainment", "satisfaction", "rated", "training"]),
                name="appraisal_dimension_method",
            ),
            models.CheckConstraint(
                condition=~Q(method="attainment") | Q(metric__isnull=False),
                name="appraisal_attainment_has_metric",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} · {self.name}"


class GradeBand(models.Model):
    template = models.ForeignKey(
        AppraisalTemplate,
        on_delete=models.CASCADE,
        related_name="grades",
        verbose_name=_("template"),
    )
    grade = models.CharField(_("grade"), max_length=10)
    min_score = models.DecimalField(_("from score"), max_digits=6, decimal_places=2)
    label = models.CharField(_("meaning"), max_length=100, blank=True)
    label_zh = models.CharField(_("meaning (Chinese)"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("grade band")
        verbose_name_plural = _("grade bands")
        ordering = ["template_id", "-min_score"]
        constraints = [
            models.UniqueConstraint(fields=["template", "grade"], name="appraisal_grade_unique"),
            models.UniqueConstraint(
                fields=["template", "min_score"], name="appraisal_grade_min_unique"
            ),
            models.CheckConstraint(condition=Q(min_score__gte=0), name="appraisal_grade_min"),
        ]

    def __str__(self) -> str:
        return f"{self.template} · {self.grade} ≥ {self.min_score}"
