"""Forms of the target pages. They only parse input; the rules (non-negative values,
decimals per metric, weights adding up to 100 %, reasons required...) are checked
by `targets.services` and `targets.domain`, whose messages the views show."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from org.models import Period
from targets.models import MAX_PACE_LAG_DAYS, Adjustment, Metric, SeasonalityProfile


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


class ToleranceForm(forms.Form):
    min_pct = forms.DecimalField(
        label=_("Lowest share (%)"), max_digits=6, decimal_places=2, min_value=50, max_value=100
    )
    max_pct = forms.DecimalField(
        label=_("Highest share (%)"), max_digits=6, decimal_places=2, min_value=100, max_value=200
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class MetricForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Short identifier used in imports, exports and the API, e.g. revenue."),
    )
    name = forms.CharField(label=_("Name (English)"), max_length=100)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=100)
    unit = forms.ChoiceField(label=_("Unit of measure"), choices=Metric.Unit.choices)
    direction = forms.ChoiceField(label=_("Direction"), choices=Metric.Direction.choices)
    source = forms.ChoiceField(label=_("Actual computed as"), choices=Metric.Source.choices)
    description = forms.CharField(
        label=_("What it measures"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    position = forms.IntegerField(label=_("Position in lists"), min_value=0, initial=0)
    pace_lag_days = forms.IntegerField(
        label=_("Actuals arrive late by (days)"),
        min_value=0,
        max_value=MAX_PACE_LAG_DAYS,
        initial=0,
        required=False,
        help_text=_(
            "About how many days after the event its actuals are entered (0: at once; "
            "collections often a week or more). The dashboards take the pace and the "
            "projection as of that many days ago."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def clean_pace_lag_days(self) -> int:
        """Left empty: the actuals arrive at once (0 days)."""
        return self.cleaned_data.get("pace_lag_days") or 0

    @classmethod
    def for_metric(cls, metric: Metric | None, data=None):
        initial = None
        if metric is not None:
            initial = {name: getattr(metric, name) for name in cls.base_fields}
        return cls(data, initial=initial)


def fiscal_month_names(start_month: int | None = None) -> list[str]:
    """Month names in fiscal order (month 1 of the fiscal year first)."""
    start = start_month or settings.FISCAL_YEAR_START_MONTH
    return [MONTHS[(start - 1 + i) % 12 + 1] for i in range(12)]


class SeasonalityForm(forms.Form):
    name = forms.CharField(label=_("Profile name"), max_length=100)
    method = forms.ChoiceField(
        label=_("Method"),
        choices=SeasonalityProfile.Method.choices,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for index, month in enumerate(fiscal_month_names(), start=1):
            self.fields[f"weight_{index}"] = forms.DecimalField(
                label=month,
                required=False,
                max_digits=7,
                decimal_places=4,
                widget=forms.NumberInput(
                    attrs={"step": "any", "inputmode": "decimal", "class": "js-weight"}
                ),
            )

    @property
    def weight_fields(self):
        return [self[f"weight_{i}"] for i in range(1, 13)]

    def weights(self) -> list:
        """The twelve weights as typed (an empty month counts as 0)."""
        return [self.cleaned_data.get(f"weight_{i}") or 0 for i in range(1, 13)]

    @classmethod
    def for_profile(cls, profile: SeasonalityProfile | None, data=None):
        initial = None
        if profile is not None:
            initial = {"name": profile.name, "method": profile.method}
            for index, weight in enumerate(profile.weights, start=1):
                initial[f"weight_{index}"] = weight
        return cls(data, initial=initial)
