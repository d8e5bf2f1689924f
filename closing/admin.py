"""The period close in the admin: read only. Runs are started, and periods reopened,
from the close pages (closing.views) or the API, through closing.services, which
hold the one-run-per-period lock and record who did it; the admin only shows what
happened. The beat schedule that starts the closes at period ends is django-celery-beat's
"Periodic tasks" ("closing-period-ends")."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from closing.models import (
    CloseRun,
    CloseStep,
    PersonAttainment,
    Reopening,
    UnitAttainment,
)
from core.admin import ReadOnlyAdminMixin


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The close's rows, to read (a close writes them)."""


class CloseStepInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CloseStep
    extra = 0
    fields = ["position", "name", "status", "done", "total", "started_at", "finished_at", "error"]
    readonly_fields = fields
    ordering = ["position"]


# What a run is: its period, state, how and by whom it started, and when.
RUN_FIELDS = [
    "period",
    "status",
    "trigger",
    "started_by",
    "created_at",
    "started_at",
    "finished_at",
]


@admin.register(CloseRun)
class CloseRunAdmin(ReadOnlyAdmin):
    list_display = ["id", *RUN_FIELDS, "duration"]
    list_filter = ["status", "trigger", "period__kind", "period__fiscal_year"]
    search_fields = ["period__fiscal_year__name", "started_by__username", "error"]
    list_select_related = ["period__fiscal_year", "started_by"]
    date_hierarchy = "created_at"
    inlines = [CloseStepInline]
    fields = [*RUN_FIELDS, "heartbeat_at", "error"]
    readonly_fields = fields

    @admin.display(description=_("duration"))
    def duration(self, obj):
        if obj.started_at is None or obj.finished_at is None:
            return "-"
        return obj.finished_at - obj.started_at


@admin.register(CloseStep)
class CloseStepAdmin(ReadOnlyAdmin):
    list_display = ["run", "position", "name", "status", "done", "total", "finished_at"]
    list_filter = ["status", "name"]
    list_select_related = ["run"]
    search_fields = ["error"]
    readonly_fields = [f.name for f in CloseStep._meta.fields]


@admin.register(Reopening)
class ReopeningAdmin(ReadOnlyAdmin):
    list_display = ["period", "reopened_at", "reopened_by", "reason"]
    list_filter = ["period__kind", "period__fiscal_year"]
    search_fields = ["reason", "reopened_by__username"]
    list_select_related = ["period__fiscal_year", "reopened_by"]
    readonly_fields = [f.name for f in Reopening._meta.fields]


class SnapshotAdmin(ReadOnlyAdmin):
    list_filter = ["period__kind", "period__fiscal_year", "metric"]
    show_full_result_count = False


@admin.register(PersonAttainment)
class PersonAttainmentAdmin(SnapshotAdmin):
    list_display = ["period", "metric", "person", "target", "actual", "attainment", "run"]
    list_select_related = ["period__fiscal_year", "metric", "run", "person"]
    search_fields = ["person__username"]
    readonly_fields = [f.name for f in PersonAttainment._meta.fields]


@admin.register(UnitAttainment)
class UnitAttainmentAdmin(SnapshotAdmin):
    list_display = ["period", "metric", "unit", "target", "actual", "attainment", "run"]
    list_select_related = ["period__fiscal_year", "metric", "run", "unit"]
    search_fields = ["unit__code", "unit__name"]
    readonly_fields = [f.name for f in UnitAttainment._meta.fields]
