from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from org.models import FiscalYear, Membership, OrgUnit, Period, RoleAssignment, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(User)
class UserAdmin(BaseUserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "last_name", "first_name", "employee_no", "email", "is_active"]
    search_fields = ["username", "first_name", "last_name", "employee_no", "email"]
    inlines = [RoleInline, MembershipInline]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("salesperf"), {"fields": ("employee_no", "preferred_language")}),
    )


@admin.register(OrgUnit)
class OrgUnitAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "name_zh", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "name_zh"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth"]

    def save_model(self, request, obj, form, change):
        from org import services

        if change:
            services.unit_update(
                unit=OrgUnit.objects.get(pk=obj.pk),
                name=obj.name,
                name_zh=obj.name_zh,
                kind=obj.kind,
                parent=obj.parent,
                is_active=obj.is_active,
                acting_user=request.user,
            )
        else:
            created = services.unit_create(
                code=obj.code,
                name=obj.name,
                name_zh=obj.name_zh,
                kind=obj.kind,
                parent=obj.parent,
                acting_user=request.user,
            )
            obj.pk = created.pk


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "unit", "kind", "start_date", "end_date"]
    list_filter = ["kind", "unit"]
    search_fields = ["user__username", "unit__code", "unit__name"]
    autocomplete_fields = ["user", "unit"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["user", "role", "granted_at"]
    list_filter = ["role"]
    search_fields = ["user__username"]


class PeriodInline(admin.TabularInline):
    model = Period
    extra = 0
    fields = ["kind", "number", "start_date", "end_date", "status"]
    readonly_fields = ["kind", "number", "start_date", "end_date", "status"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FiscalYear)
class FiscalYearAdmin(SimpleHistoryAdmin):
    list_display = ["name", "start_date", "end_date", "start_month"]
    inlines = [PeriodInline]
    readonly_fields = ["name", "start_date", "end_date", "start_month"]

    def has_add_permission(self, request):
        # Fiscal years are created on the Periods page, which generates their periods.
        return False


@admin.register(Period)
class PeriodAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "kind", "start_date", "end_date", "status"]
    list_filter = ["kind", "status", "fiscal_year"]
    readonly_fields = [
        "fiscal_year",
        "kind",
        "number",
        "parent",
        "start_date",
        "end_date",
        "status",
    ]

    def has_add_permission(self, request):
        return False
