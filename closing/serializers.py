"""Input and output serializers of the period close API (/api/v1/period-closes/).

Output serializers only read: a run comes with its period (and fiscal year) and its
starter joined, and `run.progress` set by `closing.selectors` (`with_progress` or
`run_progress`) from its step rows, so a page costs a fixed number of queries. Input
serializers only check the shape of the input; the rules (an ended period, one close
at a time, a reason to reopen) are `closing.services`'s.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from closing.models import CloseRun, CloseStep, JobRun
from core.serializers import ReadSerializer, named_enum
from org.models import Period
from org.serializers import UserRefSerializer, period_kind, period_status

run_status = named_enum(CloseRun.Status.choices, "CloseRunStatusEnum")
run_trigger = named_enum(CloseRun.Trigger.choices, "CloseRunTriggerEnum")
step_status = named_enum(CloseStep.Status.choices, "CloseStepStatusEnum")


def percent_field(**kwargs):
    return serializers.DecimalField(max_digits=4, decimal_places=1, read_only=True, **kwargs)


class ClosePeriodSerializer(ReadSerializer):
    """The period of a close, with its status (its fiscal year joined)."""

    label = serializers.CharField(read_only=True)
    kind = period_kind(read_only=True)
    status = period_status(read_only=True)

    class Meta:
        model = Period
        fields = [
            "id",
            "label",
            "kind",
            "number",
            "fiscal_year",
            "start_date",
            "end_date",
            "status",
        ]


class CloseStepSerializer(serializers.Serializer):
    """One step of a run (a `closing.selectors.StepProgress`)."""

    name = serializers.CharField(read_only=True, help_text=_("The step's slug."))
    label = serializers.CharField(read_only=True, help_text=_("The step's name, translated."))
    status = step_status(read_only=True)
    total = serializers.IntegerField(read_only=True, help_text=_("Units of work to do."))
    done = serializers.IntegerField(read_only=True, help_text=_("Units of work done."))
    percent = percent_field(help_text=_("Done, in percent of the step."))
    started_at = serializers.DateTimeField(read_only=True, allow_null=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)
    error = serializers.CharField(read_only=True)


class CloseRunSerializer(ReadSerializer):
    """A run of the period close: when, by whom, its result, and how far it is."""

    period = ClosePeriodSerializer(read_only=True)
    status = run_status(read_only=True)
    trigger = run_trigger(read_only=True)
    started_by = UserRefSerializer(
        read_only=True, allow_null=True, help_text=_("Who started it (none: the schedule).")
    )
    percent = percent_field(
        source="progress.percent", help_text=_("Done, in percent of the whole close.")
    )
    current_step = serializers.CharField(
        source="progress.current.name",
        read_only=True,
        allow_null=True,
        help_text=_("The step running, failed or next (none once finished)."),
    )
    duration = serializers.DurationField(
        source="progress.duration",
        read_only=True,
        allow_null=True,
        help_text=_("From its start to its end, or until now while it runs."),
    )

    class Meta:
        model = CloseRun
        fields = [
            "id",
            "period",
            "status",
            "trigger",
            "started_by",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "duration",
            "percent",
            "current_step",
            "error",
        ]


class CloseRunDetailSerializer(CloseRunSerializer):
    """A run with the progress of each of its steps."""

    steps = CloseStepSerializer(source="progress.steps", many=True, read_only=True)

    class Meta(CloseRunSerializer.Meta):
        fields = [*CloseRunSerializer.Meta.fields, "steps"]
        read_only_fields = fields


class CloseStartSerializer(serializers.Serializer):
    period = serializers.PrimaryKeyRelatedField(
        queryset=Period.objects.select_related("fiscal_year"),
        label=_("period"),
        help_text=_("An ended month, quarter or fiscal year."),
    )


class CloseReopenSerializer(serializers.Serializer):
    period = serializers.PrimaryKeyRelatedField(
        queryset=Period.objects.select_related("fiscal_year"),
        label=_("period"),
        help_text=_("A closed period."),
    )
    reason = serializers.CharField(
        label=_("reason"), max_length=2000, help_text=_("Why it is reopened (kept).")
    )


class CloseBusySerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("Which close is running: who started it and when."))
    run = serializers.IntegerField(
        allow_null=True, help_text=_("The id of the close that is running.")
    )


class JobRunSerializer(ReadSerializer):
    class Meta:
        model = JobRun
        fields = ["finished_at", "state", "detail"]


class ScheduledJobSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="task.pk", read_only=True)
    name = serializers.CharField(source="task.name", read_only=True)
    task = serializers.CharField(source="task.task", read_only=True)
    description = serializers.CharField(read_only=True)
    enabled = serializers.BooleanField(source="task.enabled", read_only=True)
    when = serializers.CharField(
        read_only=True, help_text=_("The schedule in words, in the reader's language.")
    )
    crontab = serializers.SerializerMethodField(
        help_text=_("minute hour day-of-month month day-of-week, in CELERY_TIMEZONE.")
    )
    time_zone = serializers.CharField(source="task.crontab.timezone", read_only=True)
    next_run = serializers.DateTimeField(read_only=True, allow_null=True)
    last_run_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_result = JobRunSerializer(read_only=True, allow_null=True)

    def get_crontab(self, job) -> str:
        tab = job.crontab
        return " ".join(
            [tab.minute, tab.hour, tab.day_of_month, tab.month_of_year, tab.day_of_week]
        )


class ScheduleChangeSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    time = serializers.TimeField(
        format="%H:%M", help_text=_("The time of day the job runs (HH:MM).")
    )
