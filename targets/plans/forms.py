"""The form of a personal sales plan. It only reads and shapes input; the rules live in
the plans' services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class PlanForm(forms.Form):
    key_accounts = forms.CharField(
        label=_("Key accounts"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The customers this plan concentrates on, and what you expect from each."),
    )
    actions = forms.CharField(
        label=_("Planned actions"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Visits, offers, events and follow-ups that will get you to the target."),
    )
    resources = forms.CharField(
        label=_("Resources needed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Support you need from your supervisor or other departments."),
    )

    def __init__(self, *args, months=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.months = list(months)
        for month in self.months:
            self.fields[f"pipeline_{month.pk}"] = forms.DecimalField(
                label=month.label,
                required=False,
                max_digits=18,
                decimal_places=2,
                widget=forms.NumberInput(
                    attrs={"step": "0.01", "min": "0", "inputmode": "decimal", "class": "js-pipe"}
                ),
            )

    @property
    def pipeline_fields(self):
        return [self[f"pipeline_{m.pk}"] for m in self.months]

    def pipeline(self) -> dict[str, str]:
        out = {}
        for month in self.months:
            value = self.cleaned_data.get(f"pipeline_{month.pk}")
            if value is not None:
                out[str(month.pk)] = str(value)
        return out

    @classmethod
    def for_version(cls, version, months, data=None):
        initial = None
        if version is not None:
            initial = {
                "key_accounts": version.key_accounts,
                "actions": version.actions,
                "resources": version.resources,
            }
            for key, value in (version.pipeline or {}).items():
                initial[f"pipeline_{key}"] = value
        return cls(data, initial=initial, months=months)
