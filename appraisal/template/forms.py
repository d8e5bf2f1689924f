"""Forms of the appraisal template pages. They only parse input into the shapes the
services take (a curve dict, a list of scale levels, a list of grade bands); the
rules (weights adding up to 100 %, a curve that rises, consecutive levels with an
anchor in both languages, grades covering every score, periods not started yet...)
are checked by `appraisal.template.services` and `appraisal.template.domain`, whose messages the
views show."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appraisal.models import AppraisalTemplate, Dimension
from org.models import OrgUnit, Period
from targets.models import Metric

CURVE_METHODS = (
    Dimension.Method.ATTAINMENT,
    Dimension.Method.SATISFACTION,
    Dimension.Method.TRAINING,
)
LINEAR_PARTS = ("floor", "floor_score", "target", "target_score", "cap")
STEP_ROWS = 8
SCALE_ROWS = 7
MIN_BAND_ROWS = 7


def _number(label, **kwargs):
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=12,
        decimal_places=4,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        **kwargs,
    )


def _plain(value: Decimal | None) -> str:
    """A typed decimal as the services read it: "60", "4.5" (no exponent)."""
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


class PeriodChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _("%(period)s (%(kind)s, starts %(start)s)") % {
            "period": obj.label,
            "kind": obj.get_kind_display(),
            "start": obj.start_date.isoformat(),
        }


class UnitChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return "\u2003" * obj.depth + obj.display_name


class TemplateForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Short identifier shared by every version, e.g. sales-quarterly."),
    )
    name = forms.CharField(label=_("Name (English)"), max_length=200)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    period_kind = forms.ChoiceField(
        label=_("Appraisal period"),
        choices=Period.Kind.choices,
        help_text=_("Each salesperson is appraised once per period of this kind."),
    )
    applies_from = PeriodChoiceField(
        label=_("Applies from"),
        queryset=Period.objects.none(),
        help_text=_(
            "The first period appraised with this version: a period that has not started "
            "yet, of the kind chosen above."
        ),
    )
    units = UnitChoiceField(
        label=_("Population"),
        queryset=OrgUnit.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_(
            "The salespeople in these units and every unit below them. Hold Ctrl (⌘ on a "
            "Mac) to choose several."
        ),
    )

    def __init__(self, *args, template: AppraisalTemplate | None = None, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        today = today or timezone.localdate()
        periods = Q(start_date__gt=today)
        if template is not None:
            periods |= Q(pk=template.applies_from_id)
            del self.fields["code"]
        self.fields["applies_from"].queryset = (
            Period.objects.filter(periods)
            .select_related("fiscal_year")
            .order_by("start_date", "kind")
        )
        self.fields["units"].queryset = OrgUnit.objects.filter(is_active=True).order_by("path")

    @classmethod
    def for_template(cls, template: AppraisalTemplate | None, data=None, *, today=None):
        initial = None
        if template is not None:
            initial = {
                "name": template.name,
                "name_zh": template.name_zh,
                "description": template.description,
                "period_kind": template.period_kind,
                "applies_from": template.applies_from_id,
                "units": [unit.pk for unit in template.units.all()],
            }
        return cls(data, initial=initial, template=template, today=today)

    def clean(self):
        data = super().clean()
        period, kind = data.get("applies_from"), data.get("period_kind")
        if period is not None and kind and period.kind != kind:
            self.add_error(
                "applies_from",
                _("Choose a period of the kind chosen as the appraisal period (%(kind)s).")
                % {"kind": Period.Kind(kind).label},
            )
        return data


class DimensionForm(forms.Form):
    """One dimension. The method decides which of the sections below count: the metric
    and curve (attainment), the curve (satisfaction, training) or the scale with its
    raters (rated). The other sections are ignored."""

    name = forms.CharField(label=_("Name (English)"), max_length=100)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=100)
    weight = forms.DecimalField(
        label=_("Weight (%)"),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
        help_text=_("Its share of the final score. The weights of all dimensions add up to 100."),
    )
    method = forms.ChoiceField(
        label=_("Scoring method"),
        choices=Dimension.Method.choices,
        widget=forms.Select(attrs={"class": "js-method"}),
    )
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0)
    metric = forms.ModelChoiceField(
        label=_("Metric"),
        required=False,
        queryset=Metric.objects.none(),
        help_text=_("Its attainment (actual ÷ target) in the period is scored."),
    )
    curve_kind = forms.ChoiceField(
        label=_("Curve"),
        choices=[
            ("linear", _("linear, with a floor and a cap")),
            ("steps", _("step table")),
        ],
        initial="linear",
        required=False,
        widget=forms.Select(attrs={"class": "js-curve-kind"}),
    )
    floor = _number(_("Floor (raw value)"), help_text=_("Below it the score is 0."))
    floor_score = _number(_("Score at the floor"))
    target = _number(_("Target (raw value)"))
    target_score = _number(_("Score at the target"))
    cap = _number(
        _("Cap (raw value)"),
        help_text=_("Beyond it the score stops rising. Empty: no more above the target."),
    )
    rated_by_peers = forms.BooleanField(label=_("Also rated by peers"), required=False)
    rated_by_self = forms.BooleanField(label=_("Also rated by the person"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].queryset = Metric.objects.filter(is_active=True).order_by(
            "position", "code"
        )
        for row in range(1, STEP_ROWS + 1):
            self.fields[f"step_threshold_{row}"] = _number(_("From (raw value)"))
            self.fields[f"step_score_{row}"] = _number(_("Score"))
        for row in range(1, SCALE_ROWS + 1):
            self.fields[f"level_score_{row}"] = _number(_("Score"))
            self.fields[f"level_anchor_{row}"] = forms.CharField(
                label=_("Anchor (English)"), required=False, max_length=500
            )
            self.fields[f"level_anchor_zh_{row}"] = forms.CharField(
                label=_("Anchor (Chinese)"), required=False, max_length=500
            )

    # --- rows for the template -----------------------------------------------------

    @property
    def main_fields(self):
        return [self[n] for n in ("name", "name_zh", "weight", "method", "position")]

    @property
    def linear_fields(self):
        return [self[n] for n in LINEAR_PARTS]

    @property
    def step_rows(self):
        return [
            (self[f"step_threshold_{r}"], self[f"step_score_{r}"]) for r in range(1, STEP_ROWS + 1)
        ]

    @property
    def scale_rows(self):
        return [
            (
                r,
                self[f"level_score_{r}"],
                self[f"level_anchor_{r}"],
                self[f"level_anchor_zh_{r}"],
            )
            for r in range(1, SCALE_ROWS + 1)
        ]

    # --- parsing ---------------------------------------------------------------------

    def _curve(self, data) -> dict:
        if data.get("curve_kind") == "steps":
            steps = []
            for row in range(1, STEP_ROWS + 1):
                threshold = data.get(f"step_threshold_{row}")
                score = data.get(f"step_score_{row}")
                if threshold is None and score is None:
                    continue
                if threshold is None or score is None:
                    self.add_error(
                        f"step_threshold_{row}" if threshold is None else f"step_score_{row}",
                        _("Give both the raw value and its score on this row."),
                    )
                    continue
                steps.append([_plain(threshold), _plain(score)])
            if not steps:
                self.add_error("curve_kind", _("Fill in at least one row of the step table."))
            return {"kind": "steps", "steps": steps}
        curve = {"kind": "linear"}
        for part in LINEAR_PARTS:
            value = data.get(part)
            if value is None and part != "cap":
                self.add_error(part, _("Required for a linear curve."))
            if value is not None:
                curve[part] = _plain(value)
        return curve

    def _scale(self, data) -> list[dict]:
        levels = []
        for row in range(1, SCALE_ROWS + 1):
            score = data.get(f"level_score_{row}")
            anchor = (data.get(f"level_anchor_{row}") or "").strip()
            anchor_zh = (data.get(f"level_anchor_zh_{row}") or "").strip()
            if score is None and not anchor and not anchor_zh:
                continue
            if score is None:
                self.add_error(f"level_score_{row}", _("Give the score of this level."))
                continue
            levels.append(
                {"level": row, "score": _plain(score), "anchor": anchor, "anchor_zh": anchor_zh}
            )
        if not levels:
            self.add_error(None, _("Fill in the levels of the rating scale."))
        return levels

    def clean(self):
        data = super().clean()
        method = data.get("method")
        if method == Dimension.Method.ATTAINMENT and data.get("metric") is None:
            self.add_error("metric", _("Choose the metric whose attainment is scored."))
        if method in CURVE_METHODS:
            data["curve"] = self._curve(data)
            data["scale"] = []
        elif method == Dimension.Method.RATED:
            data["scale"] = self._scale(data)
            data["curve"] = {}
        return data

    def service_fields(self) -> dict:
        """The cleaned fields as `services.dimension_save` takes them."""
        data = self.cleaned_data
        method = data["method"]
        rated = method == Dimension.Method.RATED
        return {
            "name": data["name"],
            "name_zh": data["name_zh"],
            "weight": data["weight"],
            "method": method,
            "position": data["position"],
            "metric": data["metric"] if method == Dimension.Method.ATTAINMENT else None,
            "curve": data["curve"],
            "scale": data["scale"],
            "rated_by_peers": rated and data["rated_by_peers"],
            "rated_by_self": rated and data["rated_by_self"],
        }

    @classmethod
    def for_dimension(cls, dimension: Dimension | None, data=None, *, position: int = 0):
        initial = {"position": position, "curve_kind": "linear"}
        if dimension is not None:
            initial = {
                "name": dimension.name,
                "name_zh": dimension.name_zh,
                "weight": dimension.weight,
                "method": dimension.method,
                "position": dimension.position,
                "metric": dimension.metric_id,
                "rated_by_peers": dimension.rated_by_peers,
                "rated_by_self": dimension.rated_by_self,
            }
            curve = dimension.curve or {}
            initial["curve_kind"] = curve.get("kind") or "linear"
            for part in LINEAR_PARTS:
                if part in curve:
                    initial[part] = curve[part]
            for row, step in enumerate(curve.get("steps") or [], start=1):
                if row <= STEP_ROWS and len(step) == 2:
                    initial[f"step_threshold_{row}"], initial[f"step_score_{row}"] = step
            for row, level in enumerate(dimension.scale or [], start=1):
                if row <= SCALE_ROWS and isinstance(level, dict):
                    initial[f"level_score_{row}"] = level.get("score")
                    initial[f"level_anchor_{row}"] = level.get("anchor", "")
                    initial[f"level_anchor_zh_{row}"] = level.get("anchor_zh", "")
        return cls(data, initial=initial)


class BandsForm(forms.Form):
    """The grade bands as rows of grade, lowest score and meaning; empty rows are
    ignored."""

    def __init__(self, *args, rows: int = MIN_BAND_ROWS, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in range(1, rows + 1):
            self.fields[f"grade_{row}"] = forms.CharField(
                label=_("Grade"), required=False, max_length=10
            )
            self.fields[f"min_score_{row}"] = _number(_("From score"))
            self.fields[f"label_{row}"] = forms.CharField(
                label=_("Meaning (English)"), required=False, max_length=100
            )
            self.fields[f"label_zh_{row}"] = forms.CharField(
                label=_("Meaning (Chinese)"), required=False, max_length=100
            )

    @property
    def band_rows(self):
        return [
            (self[f"grade_{r}"], self[f"min_score_{r}"], self[f"label_{r}"], self[f"label_zh_{r}"])
            for r in range(1, self.rows + 1)
        ]

    def clean(self):
        data = super().clean()
        bands = []
        for row in range(1, self.rows + 1):
            grade = (data.get(f"grade_{row}") or "").strip()
            minimum = data.get(f"min_score_{row}")
            label = (data.get(f"label_{row}") or "").strip()
            label_zh = (data.get(f"label_zh_{row}") or "").strip()
            if not grade and minimum is None and not label and not label_zh:
                continue
            if not grade:
                self.add_error(f"grade_{row}", _("Give the grade of this row."))
            if minimum is None:
                self.add_error(f"min_score_{row}", _("Give the lowest score of this grade."))
            bands.append(
                {"grade": grade, "min_score": _plain(minimum), "label": label, "label_zh": label_zh}
            )
        data["bands"] = bands
        return data

    @classmethod
    def for_template(cls, template: AppraisalTemplate, bands, data=None):
        bands = list(bands)
        rows = max(MIN_BAND_ROWS, len(bands) + 2)
        initial = {}
        for row, band in enumerate(bands, start=1):
            initial[f"grade_{row}"] = band.grade
            initial[f"min_score_{row}"] = band.min_score
            initial[f"label_{row}"] = band.label
            initial[f"label_zh_{row}"] = band.label_zh
        return cls(data, initial=initial, rows=rows)
