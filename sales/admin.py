from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from sales.models import Contact, Customer, FollowUp, SalesCredit, SalesRecord


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = ["name", "owner", "status", "became_customer_on", "industry", "region"]
    list_filter = ["status", "industry"]
    search_fields = ["name", "external_id", "owner__username"]
    list_select_related = ["owner"]
    inlines = [ContactInline]


@admin.register(FollowUp)
class FollowUpAdmin(SimpleHistoryAdmin):
    list_display = ["customer", "salesperson", "kind", "happened_on", "next_action_on", "done"]
    list_filter = ["kind", "done"]
    search_fields = ["customer__name", "salesperson__username"]
    list_select_related = ["customer", "salesperson"]


class SalesCreditInline(admin.TabularInline):
    model = SalesCredit
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in SalesCredit._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SalesRecord)
class SalesRecordAdmin(SimpleHistoryAdmin):
    list_display = ["date", "customer", "product", "amount", "status", "external_id"]
    list_filter = ["status", "period__fiscal_year"]
    search_fields = ["external_id", "customer__name", "product"]
    list_select_related = ["customer"]
    inlines = [SalesCreditInline]
    # Records change through sales.services, which checks the credit split and the
    # period; the admin only reads them.
    readonly_fields = [f.name for f in SalesRecord._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
