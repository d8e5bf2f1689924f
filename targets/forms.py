"""Forms of the target pages. They only parse input; the rules (non-negative values,
decimals per metric, weights adding up to 100 %, reasons required...) are checked
by `targets.services` and `targets.domain`, whose messages the views show."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from org.models import FiscalYear, OrgUnit, Period, User
from targets.models import Adjustment, Metric, SeasonalityProfile, Target


class PeriodChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.label} ({obj.get_kind_display()})"


class AdjustmentForm(forms.Form):
    new_value = forms.DecimalField(
        label=_("New value"),
        max_digits=18,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    kind = forms.ChoiceField(label=_("Kind of change"), choices=Adjustment.Reason.choices)
    # Not required here: the service refuses an empty reason with its own message.
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
        help_text=_("Why the target should change; the department reads it before deciding."),
    )
    effective_period = PeriodChoiceField(
        label=_("Effective from"),
        queryset=Period.objects.none(),
        empty_label=None,
        help_text=_(
            "The months before it keep their values; the change is spread over the months "
            "from this period on. Months that are closing or closed never change: the list "
            "starts at the first month still open."
        ),
    )

    def __init__(self, *args, periods=None, first=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["effective_period"]
        if periods is not None:
            field.queryset = periods
        if first is not None:
            # A period that is not offered (closed since the page was shown, or typed in).
            field.error_messages["invalid_choice"] = _(
                "This period starts before %(first)s, the first month still open: months that "
                "are closing or closed never change. Choose %(first)s or a later period."
            ) % {"first": first.label}


class DecisionForm(forms.Form):
    """Approve or reject/return with a note (the service requires the note to refuse)."""

    decision = forms.ChoiceField(choices=[("approve", _("approve")), ("reject", _("reject"))])
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "approve"


def fiscal_month_names(start_month: int | None = None) -> list[str]:
    """Month names in fiscal order (month 1 of the fiscal year first)."""
    start = start_month or settings.FISCAL_YEAR_START_MONTH
    return [MONTHS[(start - 1 + i) % 12 + 1] for i in range(12)]


def _period_choices(years) -> list:
    """Periods grouped by fiscal year: the year, its quarters, then its months."""
    groups = []
    for year in years:
        options = []
        if year.year_period is not None:
            options.append((year.year_period.pk, year.year_period.label))
        options += [(q.pk, q.label) for q in year.quarters]
        options += [(m.pk, m.label) for m in year.months]
        groups.append((year.name, options))
    return groups


class WorkspaceForm(forms.Form):
    """Which metric and period the workspace shows (the lists come from the view)."""

    metric = forms.TypedChoiceField(label=gettext_lazy("Metric"), coerce=int)
    period = forms.TypedChoiceField(label=gettext_lazy("Period"), coerce=int)

    def __init__(self, *args, metrics, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.metrics = {m.pk: m for m in metrics}
        self.periods = {
            p.pk: p for y in years for p in [y.year_period, *y.quarters, *y.months] if p is not None
        }
        self.fields["metric"].choices = [(m.pk, m.display_name) for m in metrics]
        self.fields["period"].choices = _period_choices(years)

    def clean(self):
        data = super().clean()
        if "metric" in data:
            data["metric"] = self.metrics[data["metric"]]
        if "period" in data:
            data["period"] = self.periods[data["period"]]
        return data


class CellEditForm(forms.Form):
    """One value typed in a workspace cell (the value itself is checked by the service)."""

    metric = forms.ModelChoiceField(queryset=Metric.objects.all())
    period = forms.ModelChoiceField(queryset=Period.objects.select_related("fiscal_year"))
    unit = forms.ModelChoiceField(queryset=OrgUnit.objects.all(), required=False)
    person = forms.ModelChoiceField(queryset=User.objects.all(), required=False)
    team = forms.ModelChoiceField(queryset=OrgUnit.objects.all(), required=False)
    value = forms.CharField(max_length=40, required=False, strip=True)

    def clean(self):
        data = super().clean()
        if bool(data.get("unit")) == bool(data.get("person")):
            raise forms.ValidationError(_("A target belongs to a unit or to a person."))
        if not data.get("value"):
            self.add_error("value", _("Type a value."))
        return data


class MemberValueForm(forms.Form):
    """A member's value typed on the allocation page."""

    person = forms.IntegerField()
    value = forms.CharField(max_length=40, required=False, strip=True)

    def clean(self):
        data = super().clean()
        if not data.get("value"):
            self.add_error("value", _("Type a value."))
        return data


MODE_ORG = "org"


MODE_TIME = "time"


MODE_DOWN = "down"


MODE_CHOICES = [
    (MODE_ORG, gettext_lazy("One level down the organisation")),
    (MODE_TIME, gettext_lazy("Over time: quarters and months")),
    (MODE_DOWN, gettext_lazy("Full cascade: every unit, person and month below")),
]


class CascadeForm(forms.Form):
    """How to cascade a target. For 'weights' and 'typed in', one `share_<n>` field per
    unit or person one level down (in the order of the children passed in)."""

    mode = forms.ChoiceField(label=gettext_lazy("Cascade"), widget=forms.RadioSelect)
    method = forms.ChoiceField(
        label=gettext_lazy("Allocation method"), choices=Target.Allocation.choices, required=False
    )
    profile = forms.ModelChoiceField(
        label=gettext_lazy("Seasonality profile"),
        queryset=SeasonalityProfile.objects.all(),
        required=False,
        empty_label=gettext_lazy("Equal months"),
    )
    preview = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, target: Target, children: list, profiles=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.children = children
        modes = []
        for value, label in MODE_CHOICES:
            if value == MODE_ORG and target.unit_id is None:
                continue
            if value == MODE_TIME and target.period.kind != Period.Kind.YEAR:
                continue
            if value == MODE_DOWN and (
                target.unit_id is None or target.period.kind != Period.Kind.YEAR
            ):
                continue
            modes.append((value, label))
        self.fields["mode"].choices = modes
        if profiles is not None:
            self.fields["profile"].queryset = profiles
        for index, child in enumerate(children):
            self.fields[f"share_{index}"] = forms.CharField(
                label=child.owner_label, required=False, max_length=40
            )

    @property
    def share_fields(self):
        return [self[f"share_{i}"] for i in range(len(self.children))]

    def clean(self):
        data = super().clean()
        method = data.get("method") or ""
        data["shares"] = None
        mode = data.get("mode")
        blank = not any((data.get(f"share_{i}") or "").strip() for i in range(len(self.children)))
        if method == Target.Allocation.WEIGHTS and blank:
            # No weights given: the service keeps the proportions of the current targets.
            return data
        if (mode == MODE_ORG and method == Target.Allocation.MANUAL) or (
            mode in (MODE_ORG, MODE_DOWN) and method == Target.Allocation.WEIGHTS
        ):
            shares = []
            for index in range(len(self.children)):
                raw = (data.get(f"share_{index}") or "").strip()
                if not raw:
                    self.add_error(
                        f"share_{index}",
                        _("Give a weight.")
                        if method == Target.Allocation.WEIGHTS
                        else _("Type a value."),
                    )
                elif method == Target.Allocation.WEIGHTS:
                    try:
                        weight = Decimal(raw.replace(",", ""))
                    except InvalidOperation:
                        weight = None
                    if weight is None or not weight.is_finite() or weight < 0:
                        self.add_error(
                            f"share_{index}",
                            _("A weight is a number of zero or more, not “%(value)s”.")
                            % {"value": raw},
                        )
                    else:
                        raw = str(weight)
                shares.append(raw)
            data["shares"] = shares
        return data


class PublishForm(forms.Form):
    metric = forms.ModelChoiceField(
        label=gettext_lazy("Metric"), queryset=Metric.objects.filter(is_active=True)
    )
    fiscal_year = forms.ModelChoiceField(
        label=gettext_lazy("Fiscal year"), queryset=FiscalYear.objects.all()
    )


class AllocationSubmitForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comment for the department (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AllocationDecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", gettext_lazy("Approve")), ("return", gettext_lazy("Return"))]
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (required to return)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AllocationFilterForm(forms.Form):
    fiscal_year = forms.ModelChoiceField(
        label=gettext_lazy("Fiscal year"),
        queryset=FiscalYear.objects.all(),
        required=False,
        empty_label=gettext_lazy("All years"),
    )
    metric = forms.ModelChoiceField(
        label=gettext_lazy("Metric"),
        queryset=Metric.objects.all(),
        required=False,
        empty_label=gettext_lazy("All metrics"),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Periods"),
        choices=[("", gettext_lazy("All periods")), *Period.Kind.choices],
        required=False,
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Allocation"),
        choices=[("", gettext_lazy("Any status")), *Target.AllocationStatus.choices],
        required=False,
    )


class ExportForm(forms.Form):
    fiscal_year = forms.ModelChoiceField(
        label=gettext_lazy("Fiscal year"), queryset=FiscalYear.objects.all()
    )
    metric = forms.ModelChoiceField(
        label=gettext_lazy("Metric"),
        queryset=Metric.objects.all(),
        required=False,
        empty_label=gettext_lazy("All metrics"),
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[("csv", "CSV"), ("xlsx", "XLSX")],
        required=False,
    )
