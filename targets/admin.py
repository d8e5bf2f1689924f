from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from targets.models import (
    Adjustment,
    Metric,
    SalesPlan,
    SalesPlanVersion,
    SeasonalityProfile,
    Target,
)


@admin.register(Metric)
class MetricAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "name_zh", "unit", "direction", "source", "is_active"]
    list_filter = ["unit", "source", "is_active"]
    search_fields = ["code", "name", "name_zh"]


@admin.register(SeasonalityProfile)
class SeasonalityProfileAdmin(SimpleHistoryAdmin):
    list_display = ["name", "method"]


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    list_display = ["metric", "period", "unit", "person", "value", "status", "allocation_status"]
    list_filter = ["metric", "status", "period__kind", "period__fiscal_year"]
    search_fields = ["unit__code", "person__username"]
    list_select_related = ["metric", "period__fiscal_year", "unit", "person"]
    # Targets change through the cascade workspace, publication and adjustments,
    # which check the rules and notify people; the admin only reads them.
    readonly_fields = [f.name for f in Target._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Adjustment)
class AdjustmentAdmin(SimpleHistoryAdmin):
    list_display = ["target", "kind", "old_value", "new_value", "status", "requested_by"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in Adjustment._meta.fields]

    def has_add_permission(self, request):
        return False


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
