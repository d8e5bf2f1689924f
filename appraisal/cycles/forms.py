"""Forms of the appraisal cycle pages. They only parse input into the shapes the
services take (a template, period and units; `{dimension_id: (level, comment)}`
entries; a dimension and a score with its reason; an appeal's reasons; an appeal's
outcome with `{dimension_id: new score}`). The workflow rules (who may do what and
when, a comment at the top and bottom levels, a reason for every change...) are
checked by `appraisal.cycles.services`, whose messages the views show."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from appraisal.models import AppraisalTemplate, Dimension
from appraisal.template import domain
from appraisal.template.forms import PeriodChoiceField, UnitChoiceField
from core.errors import DomainError
from org.models import OrgUnit, Period

SUBMIT = "submit"


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _("%(name)s · %(code)s v%(version)s (%(kind)s)") % {
            "name": obj.display_name,
            "code": obj.code,
            "version": obj.version,
            "kind": obj.get_period_kind_display(),
        }


class CycleOpenForm(forms.Form):
    """Open a cycle: a published template, a period of its kind, and (optionally) a
    part of its population."""

    template = TemplateChoiceField(
        label=_("Appraisal template"),
        queryset=AppraisalTemplate.objects.none(),
        help_text=_("A published version: the one in force for the period is used."),
    )
    period = PeriodChoiceField(
        label=_("Period"),
        queryset=Period.objects.none(),
        help_text=_("A period of the template's kind (month, quarter or year)."),
    )
    units = UnitChoiceField(
        label=_("Population"),
        queryset=OrgUnit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_(
            "Leave empty to appraise the template's whole population, or choose units "
            "inside it. Hold Ctrl (⌘ on a Mac) to choose several."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = AppraisalTemplate.objects.filter(
            status=AppraisalTemplate.Status.PUBLISHED
        ).order_by("code", "-version")
        self.fields["period"].queryset = Period.objects.select_related("fiscal_year").order_by(
            "-start_date", "kind"
        )
        self.fields["units"].queryset = OrgUnit.objects.filter(is_active=True).order_by("path")

    def clean(self):
        data = super().clean()
        template, period = data.get("template"), data.get("period")
        if template is not None and period is not None and period.kind != template.period_kind:
            self.add_error(
                "period",
                _("%(template)s appraises each %(kind)s: choose a period of that kind.")
                % {"template": template.display_name, "kind": template.get_period_kind_display()},
            )
        return data


# --- ratings ---------------------------------------------------------------------------------


@dataclass
class RatingItem:
    """One rated dimension on a rating form: its levels (anchors in the reader's
    language), what was entered before, and what the rater is shown beside it (the
    self-assessment and the peers' average, for the supervisor)."""

    dimension: Dimension
    levels: list
    level: int | None = None
    comment: str = ""
    self_level: int | None = None
    self_comment: str = ""
    peer_average: Decimal | None = None
    peer_count: int = 0
    fields: tuple = ()


def rating_levels(dimension: Dimension, language: str) -> list[dict]:
    """The scale's levels with their score and anchor in the reader's language."""
    try:
        levels = domain.parse_scale(dimension.scale or [])
    except DomainError:
        return []
    top = len(levels)
    return [
        {
            "level": level.level,
            "score": level.score,
            "anchor": level.anchor_for(language),
            "extreme": level.level in (1, top),
        }
        for level in levels
    ]


class RatingForm(forms.Form):
    """Levels and comments for some rated dimensions (the self-assessment, the
    supervisor's rating or a peer's rating). Saving keeps a draft; the submit button
    (`action=submit`) sends it; a level may be left empty in a draft."""

    def __init__(self, data=None, *, items: list[RatingItem], comment_help=None, **kwargs):
        super().__init__(data, **kwargs)
        self.items = items
        for item in items:
            key = item.dimension.pk
            self.fields[f"level_{key}"] = forms.TypedChoiceField(
                label=item.dimension.display_name,
                choices=[("", _("not rated yet"))]
                + [(row["level"], f"{row['level']} · {row['anchor']}") for row in item.levels],
                coerce=int,
                empty_value=None,
                required=False,
                initial=item.level,
                widget=forms.RadioSelect,
            )
            self.fields[f"comment_{key}"] = forms.CharField(
                label=_("Comment"),
                required=False,
                max_length=4000,
                initial=item.comment,
                help_text=comment_help,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            item.fields = (self[f"level_{key}"], self[f"comment_{key}"])

    def entries(self) -> dict[int, tuple[int | None, str]]:
        data = self.cleaned_data
        return {
            item.dimension.pk: (
                data.get(f"level_{item.dimension.pk}"),
                (data.get(f"comment_{item.dimension.pk}") or "").strip(),
            )
            for item in self.items
        }

    @staticmethod
    def submitting(data) -> bool:
        return (data or {}).get("action") == SUBMIT


# --- calibration and appeals ---------------------------------------------------------------


def _score_field(label, *, required=True, help_text=None):
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal(0),
        max_digits=7,
        decimal_places=2,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )


class DimensionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class AdjustForm(forms.Form):
    """The department's calibration of one dimension's score, with its reason."""

    dimension = DimensionChoiceField(label=_("Dimension"), queryset=Dimension.objects.none())
    new_score = _score_field(_("New score"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded with the change and shown wherever the ratings are shown."),
    )

    def __init__(self, *args, template_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dimension"].queryset = Dimension.objects.filter(
            template_id=template_id
        ).order_by("position", "id")

    def clean_reason(self):
        return self.cleaned_data["reason"].strip()


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=_("Reasons for the appeal"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Say what you think is wrong and why; the department reads it."),
    )

    def clean_reason(self):
        return self.cleaned_data["reason"].strip()


class ResolveForm(forms.Form):
    """Upheld (the result stands) or changed (new scores for some dimensions, which
    make the result's next version), with the reason in both cases."""

    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            ("upheld", _("Upheld: the result stands")),
            ("changed", _("Changed: new scores make a new version of the result")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Told to the person and kept with the result."),
    )

    def __init__(self, *args, dimensions: list[Dimension], **kwargs):
        super().__init__(*args, **kwargs)
        self.dimensions = dimensions
        for dimension in dimensions:
            self.fields[f"score_{dimension.pk}"] = _score_field(
                dimension.display_name, required=False
            )

    @property
    def score_fields(self):
        return [self[f"score_{d.pk}"] for d in self.dimensions]

    def clean_reason(self):
        return self.cleaned_data["reason"].strip()

    def clean(self):
        data = super().clean()
        changes = {
            d.pk: data[f"score_{d.pk}"]
            for d in self.dimensions
            if data.get(f"score_{d.pk}") is not None
        }
        if data.get("outcome") == "changed" and not changes:
            self.add_error(None, _("Give the new score of at least one dimension."))
        data["changes"] = changes if data.get("outcome") == "changed" else {}
        return data
