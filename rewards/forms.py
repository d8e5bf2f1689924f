"""Forms of the incentive plan pages. They only parse input into the shapes
`rewards.services.plan_save_draft` takes (tiers as [[from %, rate], ...], multipliers as
{grade: factor}, grades as a list); the rules (weights adding up to 100, tiers that start
at 0 and rise, whole tiers whose rates do not fall...) are checked by the services and
`rewards.domain`, whose messages the pages show beside the field they name."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from appraisal.template.forms import PeriodChoiceField, UnitChoiceField
from org.models import OrgUnit, Period
from rewards.models import IncentivePlan, PlanComponent
from targets.models import Metric

COMPONENT_ROWS = 4
PENALTY_ROWS = 3


def _decimal(text: str, field: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise forms.ValidationError(
            _("%(value)s is not a number (%(field)s).") % {"value": text, "field": field}
        ) from None


def parse_pairs(text: str, field: str) -> list[tuple[str, Decimal]]:
    """ "0: 0.5, 100: 1.5" -> [("0", 0.5), ("100", 1.5)] (commas or new lines between
    pairs, a colon or "=" inside one)."""
    pairs = []
    for chunk in text.replace("\n", ",").replace("\uff0c", ",").split(","):
        chunk = chunk.strip()
        if not chunk:
            continue
        key, sep, value = chunk.replace("=", ":").replace("\uff1a", ":").partition(":")
        if not sep:
            raise forms.ValidationError(
                _("Write each pair as key: value (%(chunk)s).") % {"chunk": chunk}
            )
        pairs.append((key.strip(), _decimal(value, field)))
    return pairs


def format_pairs(pairs) -> str:
    return ", ".join(f"{k}: {v}" for k, v in pairs)


class PlanForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Short identifier shared by every version, e.g. field-sales."),
    )
    name = forms.CharField(label=_("Name (English)"), max_length=200)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    period_kind = forms.ChoiceField(label=_("Bonus period"), choices=Period.Kind.choices)
    applies_from = PeriodChoiceField(
        label=_("Applies from"),
        queryset=Period.objects.select_related("fiscal_year").order_by("start_date", "-end_date"),
        help_text=_("A period of the kind above that has not started yet."),
    )
    units = UnitChoiceField(
        label=_("Population"),
        queryset=OrgUnit.objects.filter(is_active=True).order_by("path"),
        help_text=_("The salespeople in these units and below."),
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    target_mode = forms.ChoiceField(
        label=_("Target incentive"), choices=IncentivePlan.TargetMode.choices
    )
    target_amount = forms.DecimalField(
        label=_("Target incentive amount"),
        required=False,
        max_digits=12,
        decimal_places=2,
        help_text=_("The bonus paid when every target is met exactly (100 %)."),
    )
    cap = forms.DecimalField(
        label=_("Plan cap (percent of the target incentive)"),
        required=False,
        max_digits=7,
        decimal_places=2,
    )
    multipliers = forms.CharField(
        label=_("Grade multipliers"),
        required=False,
        help_text=_("E.g. S: 1.2, A: 1, B: 0.8, C: 0.5, D: 0. Empty: the grade does not count."),
    )
    min_days = forms.IntegerField(
        label=_("Minimum days in the period"),
        required=False,
        min_value=1,
        help_text=_("Eligibility: days in a covered team during the period. Empty: none."),
    )

    def clean_multipliers(self):
        text = self.cleaned_data["multipliers"].strip()
        if not text:
            return None
        return {grade: str(factor) for grade, factor in parse_pairs(text, _("multiplier"))}

    @classmethod
    def for_plan(cls, plan: IncentivePlan | None, data=None):
        if plan is None:
            return cls(data)
        initial = {
            "code": plan.code,
            "name": plan.name,
            "name_zh": plan.name_zh,
            "description": plan.description,
            "period_kind": plan.period_kind,
            "applies_from": plan.applies_from_id,
            "units": list(plan.units.all()),
            "currency": plan.currency,
            "target_mode": plan.target_mode,
            "target_amount": plan.target_amount,
            "cap": plan.cap,
            "multipliers": format_pairs((plan.multipliers or {}).items()),
            "min_days": plan.min_days,
        }
        form = cls(data, initial=initial)
        form.fields["code"].disabled = True
        return form

    def plan_fields(self) -> dict:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in (
                "code",
                "name",
                "name_zh",
                "description",
                "period_kind",
                "applies_from",
                "currency",
                "target_mode",
                "target_amount",
                "cap",
                "multipliers",
                "min_days",
            )
        }


class ComponentForm(forms.Form):
    metric = forms.ModelChoiceField(
        label=_("Metric"), queryset=Metric.objects.filter(is_active=True), required=False
    )
    weight = forms.DecimalField(label=_("Weight (%)"), required=False, max_digits=5)
    mode = forms.ChoiceField(label=_("Tier mode"), choices=PlanComponent.Mode.choices)
    threshold = forms.DecimalField(label=_("Threshold (%)"), required=False, max_digits=7)
    cap = forms.DecimalField(label=_("Cap (payout %)"), required=False, max_digits=7)
    tiers = forms.CharField(
        label=_("Tiers (from attainment %: rate)"),
        required=False,
        help_text=_("E.g. 0: 0.5, 100: 1.5 pays 0.5 % per 1 % up to 100 %, 1.5 % above."),
    )

    def clean(self):
        data = super().clean()
        if not data.get("metric"):
            return data
        data["tiers"] = [
            [str(_decimal(start, _("tier"))), str(rate)]
            for start, rate in parse_pairs(data.get("tiers") or "", _("tier"))
        ]
        return data


class PenaltyForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40, required=False)
    below = forms.DecimalField(label=_("Attainment below (%)"), required=False, max_digits=7)
    metric = forms.ModelChoiceField(
        label=_("Of the metric"),
        queryset=Metric.objects.filter(is_active=True),
        required=False,
        help_text=_("Empty: the weighted attainment of the plan."),
    )
    grades = forms.CharField(label=_("Or the grade is"), required=False, help_text=_("E.g. D"))
    reduction = forms.DecimalField(
        label=_("Bonus reduced by (%)"), required=False, max_digits=5, initial=0
    )
    hold_periods = forms.IntegerField(
        label=_("Promotion held for (periods)"), required=False, min_value=0, initial=0
    )

    def clean_grades(self):
        text = self.cleaned_data["grades"].replace("\uff0c", ",")
        return [g.strip() for g in text.replace(" ", ",").split(",") if g.strip()]


ComponentFormSet = forms.formset_factory(ComponentForm, extra=0, min_num=COMPONENT_ROWS)
PenaltyFormSet = forms.formset_factory(PenaltyForm, extra=0, min_num=PENALTY_ROWS)


def component_initial(plan: IncentivePlan | None) -> list[dict]:
    if plan is None:
        return []
    return [
        {
            "metric": c.metric_id,
            "weight": c.weight,
            "mode": c.mode,
            "threshold": c.threshold,
            "cap": c.cap,
            "tiers": format_pairs(c.tiers),
        }
        for c in plan.components.all()
    ]


def penalty_initial(plan: IncentivePlan | None) -> list[dict]:
    if plan is None:
        return []
    return [
        {
            "code": r.code,
            "below": r.below,
            "metric": r.metric_id,
            "grades": ", ".join(r.grades),
            "reduction": r.reduction,
            "hold_periods": r.hold_periods,
        }
        for r in plan.penalties.all()
    ]


def components_of(formset) -> list[dict]:
    return [
        {
            "metric": f.cleaned_data["metric"],
            "weight": f.cleaned_data.get("weight") or 0,
            "mode": f.cleaned_data["mode"],
            "threshold": f.cleaned_data.get("threshold") or 0,
            "cap": f.cleaned_data.get("cap"),
            "tiers": f.cleaned_data["tiers"],
        }
        for f in formset.forms
        if f.cleaned_data.get("metric")
    ]


def penalties_of(formset) -> list[dict]:
    return [
        {
            "code": f.cleaned_data["code"],
            "below": f.cleaned_data.get("below"),
            "metric": f.cleaned_data.get("metric"),
            "grades": f.cleaned_data.get("grades") or [],
            "reduction": f.cleaned_data.get("reduction") or 0,
            "hold_periods": f.cleaned_data.get("hold_periods") or 0,
        }
        for f in formset.forms
        if f.cleaned_data.get("code")
    ]
