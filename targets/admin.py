"""Targets in the Django admin. Targets and adjustments are read only here: they change
through the cascade workspace, the allocation, publication and adjustments
(`targets.services`), which check the rules (a period that is closing or closed never
changes, the children add up, an adjustment is approved by the department) and notify
people. That includes the history's "revert", which would write an old version back."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyAdminMixin
from targets.models import (
    Adjustment,
    Metric,
    SalesPlan,
    SalesPlanVersion,
    SeasonalityProfile,
    Target,
    ToleranceBand,
)


@admin.register(Metric)
class MetricAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "name_zh", "unit", "direction", "source", "is_active"]
    list_filter = ["unit", "source", "is_active"]
    search_fields = ["code", "name", "name_zh"]


@admin.register(SeasonalityProfile)
class SeasonalityProfileAdmin(SimpleHistoryAdmin):
    list_display = ["name", "method"]


class ReadOnlyHistoryAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Lists, pages and history to read; no add, change, delete or revert."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied  # the revert writes the old version back
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(Target)
class TargetAdmin(ReadOnlyHistoryAdmin):
    list_display = ["metric", "period", "unit", "person", "value", "status", "allocation_status"]
    list_filter = ["metric", "status", "period__kind", "period__fiscal_year"]
    search_fields = ["unit__code", "person__username"]
    list_select_related = ["metric", "period__fiscal_year", "unit", "person"]
    readonly_fields = [f.name for f in Target._meta.fields]


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyHistoryAdmin):
    # Approved or rejected on the adjustments page or the API (adjustment_decide).
    list_display = ["target", "kind", "old_value", "new_value", "status", "requested_by"]
    list_filter = ["status", "kind"]
    list_select_related = ["target__metric", "target__unit", "target__person", "requested_by"]
    readonly_fields = [f.name for f in Adjustment._meta.fields]


class VersionInline(admin.StackedInline):
    model = SalesPlanVersion
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in SalesPlanVersion._meta.fields]


@admin.register(SalesPlan)
class SalesPlanAdmin(SimpleHistoryAdmin):
    list_display = ["person", "period", "status"]
    list_filter = ["status"]
    inlines = [VersionInline]
    readonly_fields = ["person", "period", "status"]


@admin.register(ToleranceBand)
class ToleranceBandAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The band's versions, to read: a new one is set on "How targets are set" (or the
    API), with its reason; a version is never changed or removed."""

    list_display = ["min_pct", "max_pct", "reason", "created_by", "created_at"]
    readonly_fields = list_display
