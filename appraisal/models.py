"""Appraisal templates (考核方案): the dimensions, their weights and scoring rules, and
the grade bands, published before the first period they apply to and then fixed.

A template is a family of versions sharing a `code`. A draft can be edited; a
published version never changes: an edit makes the next version, a draft that
applies from a later period. The rules (weights adding up to 100, curves, scales,
bands) are checked in `appraisal.template.domain` when a version is published. Once published,
the version (all but its bookkeeping `created_at`), its population, dimensions and
grade bands refuse change in the models (save(), delete(), QuerySet update(),
delete(), bulk_create(), bulk_update(), units.add/remove/set/clear) and in the
database (the triggers of migration 0005, TRUNCATE included: migration 0006).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Max, Q
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import Released
from org.models import BilingualNameMixin, OrgUnit, Period
from targets.models import Metric


class FinalisedError(Exception):
    """A write to what is final: a finalised appraisal's fixed parts, its results, or a
    published template version and its parts."""


# What a published version refuses, in the models here and in the database (the
# triggers of migration 0005, same message).
TEMPLATE_PUBLISHED = "a published appraisal template cannot be changed"


class TemplateQuerySet(models.QuerySet):
    """update() and delete() refused when they would touch a published version
    (update() of the bookkeeping columns alone, `created_at`, stays allowed)."""

    def _touches_published(self) -> bool:
        return self.filter(status=AppraisalTemplate.Status.PUBLISHED).exists()

    def update(self, **kwargs):
        if set(kwargs) - set(AppraisalTemplate.BOOKKEEPING_FIELDS) and self._touches_published():
            raise FinalisedError(TEMPLATE_PUBLISHED)
        return super().update(**kwargs)

    def delete(self):
        if self._touches_published():
            raise FinalisedError(TEMPLATE_PUBLISHED)
        return super().delete()

    def bulk_update(self, objs, fields, *args, **kwargs):
        # Checked here, before bulk_update's transaction (update() would refuse inside it
        # and leave the caller's transaction broken).
        objs = list(objs)
        if set(fields) - set(AppraisalTemplate.BOOKKEEPING_FIELDS) and (
            self.filter(pk__in=[obj.pk for obj in objs])._touches_published()
        ):
            raise FinalisedError(TEMPLATE_PUBLISHED)
        return super().bulk_update(objs, fields, *args, **kwargs)


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

    # Once published, every column but these is fixed (the demo back-dates a draft's
    # creation; nothing scores with it).
    BOOKKEEPING_FIELDS = ("created_at",)

    objects = TemplateQuerySet.as_manager()
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

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            update_fields = kwargs.get("update_fields")
            names = [
                f.attname
                for f in self._meta.concrete_fields
                if not f.primary_key
                and f.name not in self.BOOKKEEPING_FIELDS
                and (update_fields is None or {f.name, f.attname} & set(update_fields))
            ]
            stored = names and (
                type(self)
                .objects.filter(pk=self.pk, status=self.Status.PUBLISHED)
                .values(*names)
                .first()
            )
            if stored and any(getattr(self, name) != value for name, value in stored.items()):
                raise FinalisedError(TEMPLATE_PUBLISHED)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if type(self).objects.filter(pk=self.pk, status=self.Status.PUBLISHED).exists():
            raise FinalisedError(TEMPLATE_PUBLISHED)
        return super().delete(*args, **kwargs)


@receiver(m2m_changed, sender=AppraisalTemplate.units.through)
def _published_population_fixed(sender, instance, action, reverse, pk_set, **kwargs):
    """The population of a published version is fixed too (units.add/remove/set/clear)."""
    if action not in ("pre_add", "pre_remove", "pre_clear"):
        return
    if not reverse:
        ids = [instance.pk]
    elif pk_set is not None:  # from an OrgUnit (no accessor today): the templates named
        ids = pk_set
    else:  # clear() from an OrgUnit: all its templates
        ids = sender.objects.filter(orgunit_id=instance.pk).values("appraisaltemplate_id")
    if _any_published(ids):
        raise FinalisedError(TEMPLATE_PUBLISHED)


class TemplatePartQuerySet(models.QuerySet):
    """A published version's dimensions and grade bands: update(), delete(),
    bulk_create() and bulk_update() refused when they touch one (or move a row into
    one)."""

    def _touches_published(self) -> bool:
        return self.filter(template__status=AppraisalTemplate.Status.PUBLISHED).exists()

    def update(self, **kwargs):
        targets = [
            getattr(value, "pk", value)
            for key, value in kwargs.items()
            if key in ("template", "template_id") and not hasattr(value, "resolve_expression")
        ]
        if self._touches_published() or _any_published(targets):
            raise FinalisedError(TEMPLATE_PUBLISHED)
        return super().update(**kwargs)

    def delete(self):
        if self._touches_published():
            raise FinalisedError(TEMPLATE_PUBLISHED)
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if _any_published(obj.template_id for obj in objs):
            raise FinalisedError(TEMPLATE_PUBLISHED)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        # The rows as stored and the templates they move to, checked here, before
        # bulk_update's transaction (update() would refuse inside it and leave the
        # caller's transaction broken).
        objs = list(objs)
        stored = self.filter(pk__in=[obj.pk for obj in objs])
        if stored._touches_published() or _any_published(obj.template_id for obj in objs):
            raise FinalisedError(TEMPLATE_PUBLISHED)
        return super().bulk_update(objs, fields, *args, **kwargs)


def _any_published(template_ids) -> bool:
    """Whether any of the templates (ids, or a subquery of ids) is published."""
    if not isinstance(template_ids, models.QuerySet):
        template_ids = {pk for pk in template_ids if pk is not None}
        if not template_ids:
            return False
    return AppraisalTemplate.objects.filter(
        pk__in=template_ids, status=AppraisalTemplate.Status.PUBLISHED
    ).exists()


class TemplatePart(models.Model):
    """A part of a template version that decides how people are scored: refused by
    save() and delete() once the version is published (drafts stay editable)."""

    objects = TemplatePartQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        ids = [self.template_id]
        if self.pk is not None and not self._state.adding:
            ids.append(
                type(self).objects.filter(pk=self.pk).values_list("template_id", flat=True).first()
            )
        if _any_published(ids):
            raise FinalisedError(TEMPLATE_PUBLISHED)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        stored = list(type(self).objects.filter(pk=self.pk).values_list("template_id", flat=True))
        if _any_published(stored or [self.template_id]):
            raise FinalisedError(TEMPLATE_PUBLISHED)
        return super().delete(*args, **kwargs)


class Dimension(BilingualNameMixin, TemplatePart):
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
    # (appraisal.template.domain.parse_curve); rated: the levels of the scale with their
    # written anchors (appraisal.template.domain.parse_scale).
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


class GradeBand(TemplatePart):
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


# --- cycles: the appraisals of one period -------------------------------------------------------
#
# A cycle appraises the salespeople of a population for one period with the template
# version in force for that period. Each appraisal moves through
#   open -> self_assessed -> rated -> finalised -> released -> acknowledged | appealed -> resolved
# (an appraisal whose template asks no self-assessment starts at self_assessed; the
# supervisor may rate while it is still open, which closes the self-assessment).
# Up to `rated` the working rows (DimensionScore, PeerRating, Adjustment) may change;
# finalising writes the result as AppraisalResult version 1 and from then on the
# working rows and results are fixed: the model refuses save() and QuerySet.update(),
# and on PostgreSQL and SQLite triggers refuse raw SQL too (migration 0003; TRUNCATE
# on PostgreSQL: migration 0006). Only an appeal resolved with a change adds a result:
# the next version, with its reason (migration 0004).

FINAL_STATUSES = ("finalised", "released", "acknowledged", "appealed", "resolved")


class GuardedQuerySet(models.QuerySet):
    """update() and delete() refused when they would touch a finalised appraisal's
    fixed parts (`finalised_lookup` names the path from the row to the appraisal's
    finalisation time)."""

    finalised_lookup = "appraisal__finalised_at__isnull"

    def _touches_finalised(self) -> bool:
        return self.filter(**{self.finalised_lookup: False}).exists()

    def update(self, **kwargs):
        if self._touches_finalised():
            raise FinalisedError("a finalised appraisal cannot be changed")
        return super().update(**kwargs)

    def delete(self):
        if self._touches_finalised():
            raise FinalisedError("a finalised appraisal cannot be deleted")
        return super().delete()


class Cycle(models.Model):
    template = models.ForeignKey(
        AppraisalTemplate,
        on_delete=models.PROTECT,
        related_name="cycles",
        verbose_name=_("template"),
    )
    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="+", verbose_name=_("period")
    )
    units = models.ManyToManyField(OrgUnit, related_name="+", verbose_name=_("population"))
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opened by"),
    )
    computed_at = models.DateTimeField(_("figures computed at"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    history = HistoricalRecords(m2m_fields=[units])

    class Meta:
        verbose_name = _("appraisal cycle")
        verbose_name_plural = _("appraisal cycles")
        ordering = ["-period__start_date", "template__code"]
        constraints = [
            models.UniqueConstraint(fields=["template", "period"], name="appraisal_cycle_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.template} · {self.period_id}"


class AppraisalQuerySet(models.QuerySet):
    """The fixed parts of a finalised appraisal (who, which cycle, which team, when it
    was finalised) cannot be changed by QuerySet.update(); its workflow (release,
    acknowledgement, appeal) moves on through the services."""

    def update(self, **kwargs):
        fixed = set(kwargs) & set(Appraisal.FIXED_FIELDS)
        if fixed and self.filter(finalised_at__isnull=False).exists():
            raise FinalisedError("a finalised appraisal cannot be changed")
        return super().update(**kwargs)

    def delete(self):
        if self.filter(finalised_at__isnull=False).exists():
            raise FinalisedError("a finalised appraisal cannot be deleted")
        return super().delete()


class Appraisal(Released, models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("self-assessment")
        SELF_ASSESSED = "self_assessed", _("awaiting the supervisor's rating")
        RATED = "rated", _("rated, in calibration")
        FINALISED = "finalised", _("finalised")
        RELEASED = "released", _("released")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        APPEALED = "appealed", _("appealed")
        RESOLVED = "resolved", _("appeal resolved")

    # The columns that never change once finalised_at is set.
    FIXED_FIELDS = (
        "cycle",
        "cycle_id",
        "person",
        "person_id",
        "unit",
        "unit_id",
        "finalised_at",
        "finalised_by",
        "finalised_by_id",
        "rated_by",
        "rated_by_id",
        "rated_at",
        "self_submitted_at",
    )

    cycle = models.ForeignKey(
        Cycle, on_delete=models.PROTECT, related_name="appraisals", verbose_name=_("cycle")
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appraisals",
        verbose_name=_("salesperson"),
    )
    # The team the person belonged to in the period (at its end, or when the cycle opened).
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("team")
    )
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.OPEN
    )
    self_submitted_at = models.DateTimeField(_("self-assessment sent at"), null=True, blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rated by"),
    )
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("finalised at"), null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("finalised by"),
    )
    objects = AppraisalQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        ordering = ["cycle_id", "person__username"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "person"], name="appraisal_one_per_cycle"),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "open",
                        "self_assessed",
                        "rated",
                        "finalised",
                        "released",
                        "acknowledged",
                        "appealed",
                        "resolved",
                    ]
                ),
                name="appraisal_status",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "self_assessed", "rated"])
                | Q(finalised_at__isnull=False),
                name="appraisal_finalised_when",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "self_assessed", "rated", "finalised"])
                | Q(released_at__isnull=False),
                name="appraisal_released_when",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "self_assessed"]) | Q(rated_at__isnull=False),
                name="appraisal_rated_when",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["appealed", "resolved"]) | Q(appealed_at__isnull=False),
                name="appraisal_appealed_when",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved")
                | (Q(resolved_at__isnull=False) & Q(resolution__in=["upheld", "changed"])),
                name="appraisal_resolved_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle} · {self.person_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            stored = (
                type(self)
                .objects.filter(pk=self.pk)
                .values(
                    "finalised_at",
                    "cycle_id",
                    "person_id",
                    "unit_id",
                    "rated_by_id",
                    "rated_at",
                    "self_submitted_at",
                    "finalised_by_id",
                )
                .first()
            )
            if stored and stored["finalised_at"] is not None:
                for field, value in stored.items():
                    if getattr(self, field) != value:
                        raise FinalisedError("a finalised appraisal cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if type(self).objects.filter(pk=self.pk, finalised_at__isnull=False).exists():
            raise FinalisedError("a finalised appraisal cannot be deleted")
        return super().delete(*args, **kwargs)

    @property
    def is_finalised(self) -> bool:
        return self.finalised_at is not None


class GuardedModel(models.Model):
    """A working row of an appraisal: refused by save() and delete() once the
    appraisal is finalised."""

    objects = GuardedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._appraisal_finalised():
            raise FinalisedError("a finalised appraisal cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._appraisal_finalised():
            raise FinalisedError("a finalised appraisal cannot be changed")
        return super().delete(*args, **kwargs)

    def _appraisal_finalised(self) -> bool:
        return Appraisal.objects.filter(pk=self.appraisal_id, finalised_at__isnull=False).exists()


class DimensionScore(GuardedModel):
    """One dimension of one appraisal: the raw value and its score, the
    self-assessment and the supervisor's rating, and the department's adjustment."""

    appraisal = models.ForeignKey(
        Appraisal, on_delete=models.PROTECT, related_name="scores", verbose_name=_("appraisal")
    )
    dimension = models.ForeignKey(
        Dimension, on_delete=models.PROTECT, related_name="+", verbose_name=_("dimension")
    )
    # attainment: actual, target and attainment %; satisfaction: the average and the
    # number of responses (in `count`); rated: the supervisor's level.
    actual = models.DecimalField(
        _("actual"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    target = models.DecimalField(
        _("target"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    raw_value = models.DecimalField(
        _("value"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    count = models.PositiveIntegerField(_("number of responses"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    self_level = models.PositiveSmallIntegerField(_("self-assessment"), null=True, blank=True)
    self_comment = models.TextField(_("self-assessment comment"), blank=True)
    level = models.PositiveSmallIntegerField(_("supervisor's rating"), null=True, blank=True)
    comment = models.TextField(_("supervisor's comment"), blank=True)
    # The score from the value or level (None: no data yet), and the department's
    # calibrated score where it adjusted it (the reason is in Adjustment).
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)
    adjusted_score = models.DecimalField(
        _("calibrated score"), max_digits=7, decimal_places=2, null=True, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("dimension score")
        verbose_name_plural = _("dimension scores")
        ordering = ["appraisal_id", "dimension__position", "dimension_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appraisal", "dimension"], name="appraisal_score_unique"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0), name="appraisal_score_min"
            ),
            models.CheckConstraint(
                condition=Q(adjusted_score__isnull=True) | Q(adjusted_score__gte=0),
                name="appraisal_adjusted_min",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appraisal_id} · {self.dimension_id}"

    @property
    def final_score(self):
        return self.adjusted_score if self.adjusted_score is not None else self.score


class PeerRating(GuardedModel):
    """A teammate's rating of one rated dimension; shown only in aggregate."""

    appraisal = models.ForeignKey(
        Appraisal,
        on_delete=models.PROTECT,
        related_name="peer_ratings",
        verbose_name=_("appraisal"),
    )
    dimension = models.ForeignKey(
        Dimension, on_delete=models.PROTECT, related_name="+", verbose_name=_("dimension")
    )
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("rated by"),
    )
    level = models.PositiveSmallIntegerField(_("level"))
    comment = models.TextField(_("comment"), blank=True)
    rated_at = models.DateTimeField(_("rated at"), default=timezone.now)

    class Meta:
        verbose_name = _("peer rating")
        verbose_name_plural = _("peer ratings")
        constraints = [
            models.UniqueConstraint(
                fields=["appraisal", "dimension", "rater"], name="appraisal_peer_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appraisal_id} · {self.dimension_id} · {self.rater_id}"


class Adjustment(GuardedModel):
    """A calibration change to one dimension's score, with its reason (never deleted)."""

    appraisal = models.ForeignKey(
        Appraisal,
        on_delete=models.PROTECT,
        related_name="adjustments",
        verbose_name=_("appraisal"),
    )
    dimension = models.ForeignKey(
        Dimension, on_delete=models.PROTECT, related_name="+", verbose_name=_("dimension")
    )
    old_score = models.DecimalField(
        _("score before"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    new_score = models.DecimalField(_("score after"), max_digits=7, decimal_places=2)
    reason = models.TextField(_("reason"))
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("adjusted by"),
    )
    adjusted_at = models.DateTimeField(_("adjusted at"), default=timezone.now)

    class Meta:
        verbose_name = _("calibration adjustment")
        verbose_name_plural = _("calibration adjustments")
        ordering = ["appraisal_id", "adjusted_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="appraisal_adjust_reason"),
            models.CheckConstraint(condition=Q(new_score__gte=0), name="appraisal_adjust_min"),
        ]

    def __str__(self) -> str:
        return f"{self.appraisal_id} · {self.dimension_id} → {self.new_score}"


# Where a result version may come from, in the models here and in the database (the
# triggers of migration 0004, same messages).
RESULT_NEXT_VERSION = "an appraisal result version must follow the latest one"
RESULT_FROM_FINALISATION = "version 1 of an appraisal result is written by its finalisation only"
RESULT_FROM_APPEAL = (
    "a later appraisal result version comes only from an appeal resolved with a change"
)
RESULT_ONE_PER_APPEAL = "the appeal already has its appraisal result version"


class ResultQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise FinalisedError("an appraisal result is never changed")

    def delete(self):
        raise FinalisedError("an appraisal result is never deleted")

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        AppraisalResult.check_new(objs)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        raise FinalisedError("an appraisal result is never changed")


class AppraisalResult(models.Model):
    """A finalised result, written once: version 1 at finalisation, a later version
    for each appeal resolved with a change (with its reason). `working` holds the
    explained score as it stood: for each dimension the raw value, target, curve in
    words, score, weight and contribution, and the grade band.

    Where a version comes from is checked on insert (`check_new`, and the triggers of
    migration 0004): each follows the latest one; version 1 is written while the
    appraisal is `finalised` (by the finalisation, which sets that status first);
    a later version only while the appraisal is `resolved` with the outcome
    `changed`, naming that resolution in `appeal_resolved_at` (the appraisal's
    `resolved_at`: an appraisal has one appeal, and its resolution one version)."""

    appraisal = models.ForeignKey(
        Appraisal, on_delete=models.PROTECT, related_name="results", verbose_name=_("appraisal")
    )
    version = models.PositiveIntegerField(_("version"))
    score = models.DecimalField(_("final score"), max_digits=7, decimal_places=2)
    grade = models.CharField(_("grade"), max_length=10)
    working = models.JSONField(_("working"))
    reason = models.TextField(_("reason"), blank=True)
    # The appeal resolution this version answers (None for version 1).
    appeal_resolved_at = models.DateTimeField(_("appeal resolved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    objects = ResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("appraisal result")
        verbose_name_plural = _("appraisal results")
        ordering = ["appraisal_id", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["appraisal", "version"], name="appraisal_result_unique"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="appraisal_result_version"),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(reason=""), name="appraisal_result_reason"
            ),
            models.CheckConstraint(condition=Q(score__gte=0), name="appraisal_result_score"),
            # Version 1 answers no appeal; every later one answers one.
            models.CheckConstraint(
                condition=Q(version=1, appeal_resolved_at__isnull=True)
                | Q(version__gt=1, appeal_resolved_at__isnull=False),
                name="appraisal_result_from_appeal",
            ),
            # One version per appeal resolution.
            models.UniqueConstraint(
                fields=["appraisal", "appeal_resolved_at"], name="appraisal_result_one_per_appeal"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appraisal_id} v{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise FinalisedError("an appraisal result is never changed")
        type(self).check_new([self])
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FinalisedError("an appraisal result is never deleted")

    @classmethod
    def check_new(cls, results) -> None:
        """Refuse (FinalisedError) a new result that does not follow its appraisal's
        latest version, or does not come from the finalisation (version 1) or from an
        appeal resolved with a change (a later version). Three queries."""
        results = list(results)
        ids = {r.appraisal_id for r in results}
        if not ids:
            return
        appraisals = {
            row["pk"]: row
            for row in Appraisal.objects.filter(pk__in=ids).values(
                "pk", "status", "resolution", "resolved_at"
            )
        }
        latest = dict(
            cls.objects.filter(appraisal_id__in=ids)
            .order_by()
            .values("appraisal_id")
            .annotate(latest=Max("version"))
            .values_list("appraisal_id", "latest")
        )
        answered = set(
            cls.objects.filter(appraisal_id__in=ids, appeal_resolved_at__isnull=False).values_list(
                "appraisal_id", "appeal_resolved_at"
            )
        )
        for result in results:
            appraisal = appraisals.get(result.appraisal_id) or {}
            if result.version != latest.get(result.appraisal_id, 0) + 1:
                raise FinalisedError(RESULT_NEXT_VERSION)
            if result.version == 1:
                if (
                    result.appeal_resolved_at is not None
                    or appraisal.get("status") != Appraisal.Status.FINALISED
                ):
                    raise FinalisedError(RESULT_FROM_FINALISATION)
            else:
                if (
                    result.appeal_resolved_at is None
                    or appraisal.get("status") != Appraisal.Status.RESOLVED
                    or appraisal.get("resolution") != "changed"
                    or appraisal.get("resolved_at") != result.appeal_resolved_at
                ):
                    raise FinalisedError(RESULT_FROM_APPEAL)
                link = (result.appraisal_id, result.appeal_resolved_at)
                if link in answered:
                    raise FinalisedError(RESULT_ONE_PER_APPEAL)
                answered.add(link)
            latest[result.appraisal_id] = result.version


class ResultExport(models.Model):
    """A file of appraisal results someone exported (page or API): what HR's home
    compares with, to say what is new since the last export."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("exported by"),
    )
    exported_at = models.DateTimeField(_("exported at"), default=timezone.now)
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    filters = models.JSONField(_("filters"), default=dict, blank=True)

    class Meta:
        verbose_name = _("appraisal results export")
        verbose_name_plural = _("appraisal results exports")
        ordering = ["-exported_at", "-pk"]
        indexes = [models.Index(fields=["user", "-exported_at"], name="appraisal_export_user_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(file_format__in=["csv", "xlsx"]), name="appraisal_export_format"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.file_format} {self.exported_at:%Y-%m-%d %H:%M}"
