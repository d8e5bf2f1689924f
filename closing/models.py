"""The period close (期末结算): a run of the scoring pipeline for one period, its
steps with their progress, and what the run writes — the attainment snapshot of
every person and unit. The pipeline itself is in `closing.pipeline` (the steps)
and `closing.tasks` (thin Celery tasks).

One run at a time per period: a partial unique index lets at most one run of a
period be queued or running, so a second start is refused by the database
whatever process it comes from. Every row a run writes has a unique key and is
written by upsert, so a rerun (or a step redelivered after a killed worker)
rewrites the same rows instead of adding new ones.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from org.models import OrgUnit, Period
from targets.models import Metric

ACTIVE_STATUSES = ("queued", "running")


class CloseRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("schedule")
        MANUAL = "manual", _("by hand")

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="close_runs", verbose_name=_("period")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    trigger = models.CharField(
        _("started by"), max_length=10, choices=Trigger.choices, default=Trigger.MANUAL
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Last sign of life of the worker running it (a run whose heartbeat is older
    # than settings.CLOSE_STALE_SECONDS is taken as lost and may be replaced).
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("period close run")
        verbose_name_plural = _("period close runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["period"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="closing_one_active_run_per_period",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="closing_run_status",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ACTIVE_STATUSES) | Q(finished_at__isnull=False),
                name="closing_run_finished_when",
            ),
        ]

    def __str__(self) -> str:
        return f"close {self.period_id} #{self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class CloseStep(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    run = models.ForeignKey(
        CloseRun, on_delete=models.CASCADE, related_name="steps", verbose_name=_("run")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.SlugField(_("step"), max_length=40)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total = models.PositiveIntegerField(_("to do"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("period close step")
        verbose_name_plural = _("period close steps")
        ordering = ["run_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "name"], name="closing_step_unique"),
            models.UniqueConstraint(fields=["run", "position"], name="closing_step_position"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "done", "failed"]),
                name="closing_step_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} · {self.name} ({self.status})"


class Snapshot(models.Model):
    """What the close found for one owner and metric in a period: the target, the
    actual and the attainment, and the run that wrote it last."""

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="+", verbose_name=_("period")
    )
    metric = models.ForeignKey(
        Metric, on_delete=models.PROTECT, related_name="+", verbose_name=_("metric")
    )
    target = models.DecimalField(
        _("target"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    actual = models.DecimalField(_("actual"), max_digits=18, decimal_places=4)
    attainment = models.DecimalField(
        _("attainment (%)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    run = models.ForeignKey(
        CloseRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        abstract = True


class PersonAttainment(Snapshot):
    """A person's attainment of one metric in a closed period, as the close found it."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("salesperson"),
    )

    class Meta:
        verbose_name = _("person attainment snapshot")
        verbose_name_plural = _("person attainment snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "metric", "person"], name="closing_person_snapshot_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} · {self.metric_id} · person {self.person_id}"


class UnitAttainment(Snapshot):
    """A unit's attainment of one metric in a closed period (its whole subtree)."""

    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )

    class Meta:
        verbose_name = _("unit attainment snapshot")
        verbose_name_plural = _("unit attainment snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "metric", "unit"], name="closing_unit_snapshot_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} · {self.metric_id} · unit {self.unit_id}"


class ResultNotice(models.Model):
    """That a person was told their results of a period are ready: once per person
    and close of the period (`generation` counts the reopenings), so a rerun does
    not tell anyone twice and the close after a reopening tells them again."""

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="+", verbose_name=_("period")
    )
    generation = models.PositiveIntegerField(_("close number"), default=0)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("salesperson"),
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("results-ready notice")
        verbose_name_plural = _("results-ready notices")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "generation", "person"], name="closing_notice_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} · {self.generation} · {self.person_id}"


class Reopening(models.Model):
    """The department reopened a closed period, with its reason (kept)."""

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="reopenings", verbose_name=_("period")
    )
    reason = models.TextField(_("reason"))
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reopened by"),
    )
    reopened_at = models.DateTimeField(_("reopened at"), default=timezone.now)

    class Meta:
        verbose_name = _("reopening")
        verbose_name_plural = _("reopenings")
        ordering = ["-reopened_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="closing_reopen_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} reopened {self.reopened_at:%Y-%m-%d}"


class JobRun(models.Model):
    """A run of a scheduled job (a task of CELERY_BEAT_SCHEDULE), as it finished: the
    schedule page shows each job's last run and its result. Written by a Celery signal
    (`closing.signals`) wherever the task ran: a worker, or in-process on the embedded
    default."""

    class State(models.TextChoices):
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    task = models.CharField(_("task"), max_length=200, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), default=timezone.now)
    state = models.CharField(_("result"), max_length=10, choices=State.choices)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("scheduled job run")
        verbose_name_plural = _("scheduled job runs")
        ordering = ["-finished_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["succeeded", "failed"]), name="closing_jobrun_state"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.state} {self.finished_at:%Y-%m-%d %H:%M}"


class ScheduleChange(models.Model):
    """The department changed a scheduled job (its time, or enabled it or not): kept,
    with who and when, so a changed schedule is never a silent one."""

    job = models.CharField(_("job"), max_length=200)
    enabled = models.BooleanField(_("enabled"))
    hour = models.PositiveSmallIntegerField(_("hour"))
    minute = models.PositiveSmallIntegerField(_("minute"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("schedule change")
        verbose_name_plural = _("schedule changes")
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hour__lte=23) & Q(minute__lte=59), name="closing_schedule_time"
            )
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.hour:02}:{self.minute:02} {self.enabled}"
