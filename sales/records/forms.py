"""Forms of the sales pages: records with their credit split, customers, contacts,
follow-ups, the list filters and the records import.

They only parse input and offer the choices a user may pick; the rules (split adding
up to 100 %, open periods, values of a record, who may be credited) are checked by
`sales.records.services`, `sales.domain` and `sales.records.permissions`, whose messages the views
show next to the field they name.
"""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.filters import query_params
from org.models import OrgUnit
from org.selectors import with_current_team
from sales.models import Customer, FollowUp, SalesRecord

MONEY = {"max_digits": 18, "decimal_places": 2}
DECIMAL_INPUT = {"step": "0.01", "inputmode": "decimal"}


class PersonChoiceField(forms.ModelChoiceField):
    """A person as "name · team" (their sales team today), so that two people of the
    same name are told apart; the team is read in the same query."""

    def _set_queryset(self, queryset):
        super()._set_queryset(None if queryset is None else with_current_team(queryset))

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def label_from_instance(self, obj):
        team = OrgUnit(
            name=getattr(obj, "team_name", "") or "", name_zh=getattr(obj, "team_name_zh", "") or ""
        ).display_name
        return f"{obj.display_name} · {team}" if team else obj.display_name


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "\u2003" * obj.depth + obj.display_name


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m")


def _decimal(label, *, required=True, help_text="", **limits):
    return forms.DecimalField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.NumberInput(attrs=DECIMAL_INPUT),
        **(MONEY | limits),
    )


# --- sales records --------------------------------------------------------------------------


class RecordForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    product = forms.CharField(label=_("Product"), max_length=200, required=False)
    category = forms.CharField(
        label=_("Category"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": "categories"}),
    )
    amount = _decimal(_("Amount"), help_text=_("Negative for a return or a correction."))
    quantity = _decimal(_("Quantity"), max_digits=14)
    gross_margin = _decimal(
        _("Gross margin"), required=False, help_text=_("Leave empty if not known (counts as 0).")
    )
    collected_amount = _decimal(
        _("Collected amount"), required=False, help_text=_("What the customer has paid so far.")
    )
    collected_on = forms.DateField(label=_("Collected on"), required=False, widget=DateInput())
    confirm = forms.BooleanField(
        label=_("This amount is right: book it"),
        required=False,
        help_text=_("Asked for an amount more than 10 times a credited person's largest sale."),
    )

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers

    @classmethod
    def for_record(cls, record: SalesRecord | None, data=None, *, customers):
        if record is None:
            initial = {"date": timezone.localdate(), "quantity": 1}
        else:
            initial = {name: getattr(record, name) for name in cls.base_fields if name != "confirm"}
            initial["customer"] = record.customer_id
        return cls(data, initial=initial, customers=customers)

    def values(self) -> dict:
        """The keyword arguments of sales.records.services.record_save (without the credits)."""
        data = self.cleaned_data
        return {
            "date": data["date"],
            "customer": data["customer"],
            "product": data["product"].strip(),
            "category": data["category"].strip(),
            "amount": data["amount"],
            "quantity": data["quantity"],
            "gross_margin": data["gross_margin"] or 0,
            "collected_amount": data["collected_amount"] or 0,
            "collected_on": data["collected_on"],
            "confirm": data["confirm"],
        }


class CreditForm(forms.Form):
    person = PersonChoiceField(label=_("Salesperson"), queryset=None)
    share_pct = forms.DecimalField(
        label=_("Share (%)"),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "max": "100"}),
    )

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class BaseCreditFormSet(forms.BaseFormSet):
    def credits(self) -> list[tuple]:
        """[(person, share)] of the rows filled in and not removed."""
        out = []
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            person, share = form.cleaned_data.get("person"), form.cleaned_data.get("share_pct")
            if person is not None and share is not None:
                out.append((person, share))
        return out


CreditFormSet = forms.formset_factory(
    CreditForm, formset=BaseCreditFormSet, extra=1, can_delete=True, max_num=20
)


def credit_formset(data=None, *, people, initial=None, prefix="credits"):
    return CreditFormSet(data, initial=initial, prefix=prefix, form_kwargs={"people": people})


class RecordFilterForm(forms.Form):
    month = forms.DateField(
        label=_("Month"), required=False, input_formats=["%Y-%m"], widget=MonthInput()
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    person = PersonChoiceField(
        label=_("Salesperson"), queryset=None, required=False, empty_label=_("Anybody")
    )
    team = UnitChoiceField(
        label=_("Team or unit"), queryset=None, required=False, empty_label=_("All units")
    )
    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=None, required=False, empty_label=_("All customers")
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *SalesRecord.Status.choices],
    )
    q = forms.CharField(label=_("Product"), required=False, max_length=100)

    def __init__(self, *args, people, units, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["team"].queryset = units
        self.fields["customer"].queryset = customers
        self.fields["q"].widget.attrs["placeholder"] = _("product or category")

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def date_range(self) -> tuple[datetime.date | None, datetime.date | None]:
        month = self.cleaned_data.get("month")
        if month:
            first = month.replace(day=1)
            following = (first + datetime.timedelta(days=32)).replace(day=1)
            return first, following - datetime.timedelta(days=1)
        return self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")

    def filter_params(self) -> dict[str, str]:
        """The chosen values as the parameters of `sales.records.filters.SalesRecordFilter` (a
        month as its first and last day); nothing when the form is not valid."""
        if not self.is_bound or not self.is_valid():
            return {}
        start, end = self.date_range()
        data = self.cleaned_data
        return query_params(
            date_from=start,
            date_to=end,
            person=data.get("person"),
            team=data.get("team"),
            customer=data.get("customer"),
            status=data.get("status"),
            q=data.get("q"),
        )


# --- customers and contacts ----------------------------------------------------------------


class CustomerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    owner = PersonChoiceField(label=_("Owner"), queryset=None, empty_label=None)
    industry = forms.CharField(
        label=_("Industry"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": "industries"}),
    )
    region = forms.CharField(
        label=_("Region"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": "regions"}),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=Customer.Status.choices, initial=Customer.Status.PROSPECT
    )
    became_customer_on = forms.DateField(
        label=_("Customer since"),
        required=False,
        widget=DateInput(),
        help_text=_(
            "The day it became a customer; it counts once in the new customers metric. "
            "Empty for a prospect; today if an active customer is saved without it."
        ),
    )
    external_id = forms.CharField(
        label=_("External id"),
        max_length=64,
        required=False,
        help_text=_("The customer's id in the ERP; sales imports name customers by it."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, owners, with_external_id: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        if not with_external_id:
            del self.fields["external_id"]

    @classmethod
    def for_customer(cls, customer: Customer | None, data=None, *, owners, user, manages):
        if customer is None:
            initial = {"owner": user.pk, "status": Customer.Status.PROSPECT}
        else:
            initial = {name: getattr(customer, name) for name in cls.base_fields}
            initial["owner"] = customer.owner_id
        return cls(data, initial=initial, owners=owners, with_external_id=manages)


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(),
    )

    @classmethod
    def for_contact(cls, contact, data=None, prefix=None):
        initial = None
        if contact is not None:
            initial = {name: getattr(contact, name) for name in cls.base_fields}
        return cls(data, initial=initial, prefix=prefix)


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Customer.Status.choices]
    )
    owner = PersonChoiceField(
        label=_("Owner"), queryset=None, required=False, empty_label=_("Anybody")
    )
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)

    def __init__(self, *args, owners, industries, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["q"].widget.attrs["placeholder"] = _("name or external id")
        self.fields["industry"].choices = [("", _("Any industry"))] + [(i, i) for i in industries]
        self.fields["region"].choices = [("", _("Any region"))] + [(r, r) for r in regions]

    def filter_params(self) -> dict[str, str]:
        """The chosen values as the parameters of `sales.records.filters.CustomerFilter`; nothing
        when the form is not valid."""
        if not self.is_bound or not self.is_valid():
            return {}
        return query_params(**{name: self.cleaned_data.get(name) for name in self.fields})


# --- follow-ups -------------------------------------------------------------------------------


class FollowUpForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=FollowUp.Kind.choices)
    happened_on = forms.DateField(label=_("Date"), widget=DateInput())
    need = forms.CharField(
        label=_("Customer need"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the customer asked for or needs; pre-sales or after-sales."),
    )
    next_action = forms.CharField(label=_("Next action"), max_length=200, required=False)
    next_action_on = forms.DateField(
        label=_("Next action date"),
        required=False,
        widget=DateInput(),
        help_text=_("The follow-up appears as due on this day."),
    )

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers

    @classmethod
    def for_followup(cls, followup: FollowUp | None, data=None, *, customers, customer=None):
        if followup is None:
            initial = {"happened_on": timezone.localdate(), "kind": FollowUp.Kind.VISIT}
            if customer is not None:
                initial["customer"] = customer.pk
        else:
            initial = {name: getattr(followup, name) for name in cls.base_fields}
            initial["customer"] = followup.customer_id
        return cls(data, initial=initial, customers=customers)


class FollowUpFilterForm(forms.Form):
    OPEN, DONE, ALL = "open", "done", "all"
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[(OPEN, _("Not done yet")), (DONE, _("Done")), (ALL, _("All"))],
    )
    person = PersonChoiceField(
        label=_("Salesperson"), queryset=None, required=False, empty_label=_("Anybody")
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *FollowUp.Kind.choices]
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people

    def filter_params(self) -> dict[str, str]:
        """The chosen values as the parameters of `sales.records.filters.FollowUpFilter`: not done
        yet unless told otherwise, the salesperson, the kind."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        show = data.get("show") or self.OPEN
        done = {self.OPEN: "false", self.DONE: "true"}.get(show)
        return query_params(done=done, salesperson=data.get("person"), kind=data.get("kind"))
