"""Forms of the catalogue: a metric, a seasonality profile, the tolerance band. They only
read and shape input; the rules live in the catalogue's services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from targets.forms import fiscal_month_names
from targets.models import MAX_PACE_LAG_DAYS, Metric, SeasonalityProfile


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
