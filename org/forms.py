from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from core.filters import query_params
from core.forms import ImportUploadForm
from org import imports
from org.audit import AUDITED
from org.models import Membership, OrgUnit, Role


class FiscalYearForm(forms.Form):
    start_year = forms.IntegerField(label=_("First calendar year"), min_value=1900, max_value=2999)
    start_month = forms.TypedChoiceField(
        label=_("Start month"), choices=list(MONTHS.items()), coerce=int
    )

    def __init__(self, *args, suggested: tuple[int, int] | None = None, **kwargs):
        """`suggested`: the (year, month) offered, by default the year after the latest."""
        super().__init__(*args, **kwargs)
        year, month = suggested or (timezone.localdate().year, settings.FISCAL_YEAR_START_MONTH)
        self.fields["start_year"].initial = year
        self.fields["start_month"].initial = month


class PeopleFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none(), required=False)
    role = forms.ChoiceField(label=_("Role"), required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else OrgUnit.objects.none()
        self.fields["role"].choices = [("", _("Any role")), *Role.choices]

    def filter_params(self) -> dict[str, str]:
        """The chosen values as the parameters of `org.filters.PersonFilter` (the unit: its
        people now, of any membership kind, in it or below)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return query_params(q=data.get("q"), within=data.get("unit"), role=data.get("role"))


class MembershipForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.filter(is_active=True))
    kind = forms.ChoiceField(label=_("Kind"), choices=Membership.Kind.choices)
    start_date = forms.DateField(
        label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(
        label=_("End date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date is before the start date."))
        return data


class MembershipEndForm(forms.Form):
    end_date = forms.DateField(label=_("End date"), widget=forms.DateInput(attrs={"type": "date"}))


class AuditFilterForm(forms.Form):
    model = forms.ChoiceField(label=_("Kind"), required=False)
    object = forms.IntegerField(required=False, widget=forms.HiddenInput)
    before = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("Everything"))] + [
            (key, label) for key, (_model, label) in AUDITED.items()
        ]


class OrgImportForm(ImportUploadForm):
    """The file, and what a CSV file (or a workbook's single sheet) holds."""

    kind = forms.ChoiceField(
        label=_("The file contains"),
        choices=[
            ("", _("(workbook: taken from the sheet names)")),
            *imports.KIND_CHOICES,
        ],
        required=False,
        help_text=_(
            "Needed for a CSV file, and for a workbook with a single sheet that is not named "
            "units, users or memberships."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, help_text=_("A CSV file (UTF-8) or an XLSX workbook."), **kwargs)
