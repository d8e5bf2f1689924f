"""Sales in the Django admin.

The figures of the actuals (records, their credits and the monthly totals) change only
through sales.records.services, which checks the credit split, the open periods and the dates
and keeps the totals in step: the admin shows records and credits read only and does
not list the totals. A customer is changed through services.customer_save, so the admin
refuses what the pages and the API refuse (a customer-since date in a month that is
not open, or in the future), next to the field. Neither is deleted nor reverted to an
old version from their history here: that would write around the same rules.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyAdminMixin
from core.errors import DomainError
from sales.models import Contact, Customer, FollowUp, SalesCredit, SalesRecord
from sales.records import services

CUSTOMER_FIELDS = [
    "name",
    "owner",
    "industry",
    "region",
    "status",
    "became_customer_on",
    "external_id",
    "notes",
]


class NoRevertMixin:
    """The history is shown, but an old version is not saved back from it (the history
    form of simple_history saves for anybody who may view it)."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class CustomerAdminForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.customer_check(
                customer=self.instance if self.instance.pk else None,
                **{name: data.get(name) for name in CUSTOMER_FIELDS},
            )
        except DomainError as exc:
            field = getattr(exc, "field", None)
            self.add_error(field if field in self.fields else None, str(exc))
        return data


@admin.register(Customer)
class CustomerAdmin(NoRevertMixin, SimpleHistoryAdmin):
    form = CustomerAdminForm
    list_display = ["name", "owner", "status", "became_customer_on", "industry", "region"]
    list_filter = ["status", "industry"]
    search_fields = ["name", "external_id", "owner__username"]
    list_select_related = ["owner"]
    inlines = [ContactInline]

    def save_model(self, request, obj, form, change):
        """Through the service, which checks again inside its transaction."""
        stored = Customer.objects.get(pk=obj.pk) if change else None
        saved = services.customer_save(
            customer=stored,
            acting_user=request.user,
            **{name: form.cleaned_data.get(name) for name in CUSTOMER_FIELDS},
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None):
        # A customer counts among the new customers of its month: deleting one would
        # change a closed month's count (and nothing in the product deletes customers).
        return False


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

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SalesRecord)
class SalesRecordAdmin(ReadOnlyAdminMixin, NoRevertMixin, SimpleHistoryAdmin):
    list_display = ["date", "customer", "product", "amount", "status", "external_id"]
    list_filter = ["status", "period__fiscal_year"]
    search_fields = ["external_id", "customer__name", "product"]
    list_select_related = ["customer"]
    inlines = [SalesCreditInline]
    # Records change through sales.records.services, which checks the credit split, the periods
    # and the dates and keeps the monthly totals in step; the admin only reads them.
    readonly_fields = [f.name for f in SalesRecord._meta.fields]
