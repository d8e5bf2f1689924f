"""Input and output serializers of the appraisal cycles API (/api/v1/appraisal-cycles/,
/api/v1/appraisals/).

Output serializers only read: the querysets of `appraisal.cycles.api` join the cycle's
template and period, the person, the team and the raters, and the explained working
comes from `appraisal.cycles.selectors` (already filtered to what the reader may see),
so a page costs a fixed number of queries. Input serializers only check the shape of
the input (types, choices, ids that exist); the workflow's rules (who may rate, when
an appraisal can be finalised, comments required at the ends of a scale, the appeal
window) are checked by `appraisal.cycles.services` and come back as 400 with their
message, which names the person, the dimension or the field.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from appraisal.cycles import permissions as permissions_cycles
from appraisal.models import Appraisal, AppraisalTemplate, Cycle
from appraisal.template import domain
from core.errors import DomainError
from core.serializers import ReadSerializer, named_enum
from org.models import OrgUnit, Period
from org.serializers import UnitRefSerializer, UserRefSerializer
from targets.serializers import PeriodRefSerializer

appraisal_status = named_enum(Appraisal.Status.choices, "AppraisalStatusEnum")


RESOLUTIONS = [("upheld", _("upheld")), ("changed", _("changed"))]


resolution = named_enum(RESOLUTIONS, "AppraisalResolutionEnum")


def score_field(**kwargs):
    return serializers.DecimalField(max_digits=7, decimal_places=2, **kwargs)


# --- small nested shapes -----------------------------------------------------------------


class TemplateRefSerializer(ReadSerializer):
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = AppraisalTemplate
        fields = ["id", "code", "version", "name", "name_zh", "display_name"]


# --- cycles ------------------------------------------------------------------------------


class CycleSerializer(ReadSerializer):
    """Needs the template, the period (with its fiscal year) and the opener joined and
    the population prefetched."""

    template = TemplateRefSerializer(read_only=True)
    period = PeriodRefSerializer(read_only=True)
    units = UnitRefSerializer(many=True, read_only=True)
    opened_by = UserRefSerializer(read_only=True)

    class Meta:
        model = Cycle
        fields = [
            "id",
            "template",
            "period",
            "units",
            "opened_at",
            "opened_by",
            "computed_at",
            "released_at",
        ]


class StatusCountSerializer(serializers.Serializer):
    status = appraisal_status()
    label = serializers.CharField()
    count = serializers.IntegerField()


class OverviewRowSerializer(serializers.Serializer):
    """One appraisal of the cycle overview; `score` and `grade` are provisional until
    finalised, and empty where you may not see the ratings or a dimension has no
    score yet (`missing` names them)."""

    id = serializers.IntegerField(source="appraisal.pk")
    person = UserRefSerializer()
    unit = UnitRefSerializer()
    status = appraisal_status()
    status_label = serializers.CharField()
    score = score_field(allow_null=True)
    grade = serializers.CharField(allow_null=True)
    grade_label = serializers.CharField(allow_blank=True)
    rater = UserRefSerializer(allow_null=True, help_text=_("Who submitted the rating."))
    missing = serializers.ListField(
        child=serializers.CharField(), help_text=_("Dimensions without a score yet.")
    )
    hidden = serializers.BooleanField(help_text=_("The ratings are hidden from you."))


class CycleDetailSerializer(serializers.Serializer):
    """A cycle with the appraisals you may see: counts by status, and one row each."""

    id = serializers.IntegerField(source="cycle.pk")
    template = TemplateRefSerializer(source="cycle.template")
    period = PeriodRefSerializer(source="cycle.period")
    units = UnitRefSerializer(source="cycle.units.all", many=True)
    opened_at = serializers.DateTimeField(source="cycle.opened_at")
    opened_by = UserRefSerializer(source="cycle.opened_by")
    computed_at = serializers.DateTimeField(source="cycle.computed_at", allow_null=True)
    released_at = serializers.DateTimeField(source="cycle.released_at", allow_null=True)
    total = serializers.IntegerField(help_text=_("Number of the appraisals you may see."))
    ready = serializers.IntegerField(
        help_text=_("Rated with every dimension scored: can be finalised once the period ended.")
    )
    counts = serializers.SerializerMethodField()
    appraisals = OverviewRowSerializer(source="rows", many=True)

    @extend_schema_field(StatusCountSerializer(many=True))
    def get_counts(self, overview):
        """Every status in workflow order, with its label and the number of appraisals."""
        return [
            {"status": code, "label": label, "count": count}
            for code, label, count in overview.status_counts
        ]


class CycleCreateSerializer(serializers.Serializer):
    template = serializers.PrimaryKeyRelatedField(
        queryset=AppraisalTemplate.objects.all(),
        help_text=_("A published template version, the one in force for the period."),
    )
    period = serializers.PrimaryKeyRelatedField(
        queryset=Period.objects.select_related("fiscal_year"),
        help_text=_("A period of the template's kind."),
    )
    units = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(),
        many=True,
        required=False,
        allow_empty=False,
        help_text=_(
            "The population: units within the template's population (default: the "
            "template's whole population)."
        ),
    )


class ComputeResultSerializer(serializers.Serializer):
    computed = serializers.IntegerField(help_text=_("Appraisals whose figures were computed."))


class FinaliseResultSerializer(serializers.Serializer):
    finalised = serializers.IntegerField(help_text=_("Appraisals finalised now."))
    problems = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("Why the others could not be finalised, naming person and dimension."),
    )


class ReleaseResultSerializer(serializers.Serializer):
    released = serializers.IntegerField(help_text=_("Appraisals released to their person now."))


# --- the explained working -----------------------------------------------------------------


def number(**kwargs):
    """A decimal as stored (no rounding)."""
    return serializers.DecimalField(max_digits=None, decimal_places=None, **kwargs)


class CycleBandSerializer(serializers.Serializer):
    grade = serializers.CharField()
    min_score = score_field()
    label = serializers.CharField(allow_blank=True)
    label_zh = serializers.CharField(allow_blank=True)


class RatingLevelSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    score = score_field()
    anchor = serializers.CharField(help_text=_("What the level means, in your language."))


class WorkingLineSerializer(serializers.Serializer):
    """One dimension of the working. Rated lines hide the supervisor's level, comment
    and score from the person before release (`hidden`); peers are only an average
    and a count (no average below the minimum number of ratings)."""

    dimension_id = serializers.IntegerField()
    name = serializers.CharField(help_text=_("In your language."))
    method = serializers.CharField()
    method_label = serializers.CharField()
    weight = score_field()
    metric_name = serializers.CharField(allow_null=True)
    metric_unit = serializers.CharField(allow_null=True)
    actual = number(allow_null=True)
    target = number(allow_null=True)
    value = number(
        allow_null=True,
        help_text=_("Attainment in per cent, or the average satisfaction; empty without figures."),
    )
    count = serializers.IntegerField(
        allow_null=True, help_text=_("Number of satisfaction responses.")
    )
    curve_text = serializers.CharField(
        allow_blank=True, help_text=_("The scoring curve in words, in your language.")
    )
    scale = RatingLevelSerializer(many=True)
    note = serializers.CharField(
        allow_blank=True, help_text=_("Why there is no value (for example no training data yet).")
    )
    level = serializers.IntegerField(allow_null=True, help_text=_("The supervisor's level."))
    level_anchor = serializers.CharField(allow_blank=True)
    comment = serializers.CharField(allow_blank=True, help_text=_("The supervisor's comment."))
    self_level = serializers.IntegerField(allow_null=True)
    self_anchor = serializers.CharField(allow_blank=True)
    self_comment = serializers.CharField(allow_blank=True)
    peer_average = number(allow_null=True)
    peer_count = serializers.IntegerField()
    peers_too_few = serializers.BooleanField()
    score = score_field(allow_null=True)
    adjusted_score = score_field(allow_null=True)
    adjustment_reason = serializers.CharField(allow_blank=True)
    final_score = score_field(allow_null=True)
    contribution = score_field(allow_null=True)
    hidden = serializers.BooleanField(
        help_text=_("The supervisor's rating of this line is hidden from you.")
    )


class ScoreAdjustmentSerializer(serializers.Serializer):
    dimension_id = serializers.IntegerField()
    dimension = serializers.CharField()
    old_score = score_field(allow_null=True)
    new_score = score_field()
    reason = serializers.CharField()
    adjusted_by = UserRefSerializer()
    adjusted_at = serializers.DateTimeField()


class ResultVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    score = score_field()
    grade = serializers.CharField()
    grade_label = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    created_by = UserRefSerializer()


class AppealStateSerializer(serializers.Serializer):
    released_at = serializers.DateTimeField(allow_null=True)
    deadline = serializers.DateTimeField(allow_null=True, help_text=_("The last moment to appeal."))
    open = serializers.BooleanField(help_text=_("The person may still appeal."))
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    appealed_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolution = serializers.CharField(allow_blank=True)
    resolution_label = serializers.CharField(allow_blank=True)
    resolution_reason = serializers.CharField(allow_blank=True)


class AppraisalDetailSerializer(serializers.Serializer):
    """An appraisal with its explained working as far as you may see it (from
    `selectors_cycles.appraisal_view`): provisional until finalised (`final`), then
    the latest result."""

    id = serializers.IntegerField(source="appraisal.pk")
    cycle = serializers.IntegerField(source="appraisal.cycle_id")
    template = TemplateRefSerializer(source="appraisal.cycle.template")
    period = PeriodRefSerializer(source="appraisal.cycle.period")
    person = UserRefSerializer(source="appraisal.person")
    unit = UnitRefSerializer(source="appraisal.unit")
    status = appraisal_status()
    status_label = serializers.CharField()
    self_submitted = serializers.BooleanField()
    rated_by = UserRefSerializer(source="appraisal.rated_by", allow_null=True)
    rated_at = serializers.DateTimeField(source="appraisal.rated_at", allow_null=True)
    finalised_at = serializers.DateTimeField(source="appraisal.finalised_at", allow_null=True)
    final = serializers.BooleanField(help_text=_("The working is the latest result's."))
    sees_ratings = serializers.BooleanField()
    sees_self_assessment = serializers.BooleanField()
    peer_minimum = serializers.IntegerField(
        help_text=_("Fewer peer ratings than this show no average.")
    )
    lines = WorkingLineSerializer(many=True)
    total = score_field(allow_null=True)
    grade = serializers.CharField(allow_null=True)
    grade_label = serializers.CharField(allow_blank=True)
    missing = serializers.ListField(
        child=serializers.CharField(), help_text=_("Dimensions without a score yet.")
    )
    bands = CycleBandSerializer(many=True)
    adjustments = ScoreAdjustmentSerializer(many=True)
    versions = ResultVersionSerializer(many=True)
    appeal = AppealStateSerializer(allow_null=True)


class AppraisalSerializer(ReadSerializer):
    """An appraisal in a list: who, which cycle and team, where it stands; `score` and
    `grade` of the latest result where you may see the ratings (else empty).
    Needs the queryset of `appraisal.cycles.api` (joins and the latest result)."""

    template = TemplateRefSerializer(source="cycle.template", read_only=True)
    period = PeriodRefSerializer(source="cycle.period", read_only=True)
    person = UserRefSerializer(read_only=True)
    unit = UnitRefSerializer(read_only=True)
    status = appraisal_status(read_only=True)
    rated_by = UserRefSerializer(read_only=True, allow_null=True)
    resolution = serializers.CharField(read_only=True)
    score = serializers.SerializerMethodField()
    grade = serializers.SerializerMethodField()

    class Meta:
        model = Appraisal
        fields = [
            "id",
            "cycle",
            "template",
            "period",
            "person",
            "unit",
            "status",
            "self_submitted_at",
            "rated_by",
            "rated_at",
            "finalised_at",
            "released_at",
            "acknowledged_at",
            "appealed_at",
            "resolved_at",
            "resolution",
            "score",
            "grade",
        ]

    def _sees(self, appraisal) -> bool:
        request = self.context.get("request")
        return request is not None and permissions_cycles.sees_ratings(request.user, appraisal)

    @extend_schema_field(score_field(allow_null=True))
    def get_score(self, appraisal) -> str | None:
        score = getattr(appraisal, "result_score", None)
        if score is None or not self._sees(appraisal):
            return None
        return f"{score:.2f}"

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_grade(self, appraisal) -> str | None:
        grade = getattr(appraisal, "result_grade", None)
        return grade if grade and self._sees(appraisal) else None


# --- calibration ---------------------------------------------------------------------------


class GroupStatsSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("The rater's or the unit's id; `all` for everyone."))
    label = serializers.CharField()
    count = serializers.IntegerField(help_text=_("Appraisals with a total."))
    mean = score_field(allow_null=True)
    min = score_field(allow_null=True)
    max = score_field(allow_null=True)
    grades = serializers.DictField(
        child=serializers.IntegerField(), help_text=_("Number of appraisals by grade.")
    )
    rated_mean = score_field(
        allow_null=True, help_text=_("Mean of the supervisor's scores of the rated dimensions.")
    )
    outlier = score_field(
        allow_null=True,
        help_text=_("How far the rated mean is from everyone else's, when flagged."),
    )


class CalibrationRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="appraisal.pk")
    person = UserRefSerializer()
    unit = UnitRefSerializer()
    rater = UserRefSerializer(allow_null=True)
    status = appraisal_status()
    status_label = serializers.CharField()
    score = score_field(allow_null=True)
    grade = serializers.CharField(allow_null=True)
    rated_mean = score_field(allow_null=True)
    missing = serializers.ListField(child=serializers.CharField())
    adjustments = ScoreAdjustmentSerializer(many=True)
    outlier = serializers.BooleanField(help_text=_("Rated by a supervisor flagged as an outlier."))


class CalibrationSerializer(serializers.Serializer):
    """The distribution of scores and grades per supervisor and per unit against the
    whole cycle, with the outliers flagged and every appraisal listed."""

    cycle = serializers.IntegerField(source="cycle.pk")
    gap = score_field(help_text=_("Points from everyone else's mean that flag an outlier."))
    minimum = serializers.IntegerField()
    bands = CycleBandSerializer(many=True)
    overall = GroupStatsSerializer()
    raters = GroupStatsSerializer(many=True)
    units = GroupStatsSerializer(many=True)
    appraisals = CalibrationRowSerializer(source="rows", many=True)


# --- what one has to rate ----------------------------------------------------------------------


class TaskSerializer(serializers.Serializer):
    """An appraisal to rate; needs the cycle's template and period, person and team joined."""

    id = serializers.IntegerField()
    cycle = serializers.IntegerField(source="cycle_id")
    template = TemplateRefSerializer(source="cycle.template")
    period = PeriodRefSerializer(source="cycle.period")
    person = UserRefSerializer()
    unit = UnitRefSerializer()
    status = appraisal_status()


class RatingTaskSerializer(TaskSerializer):
    started = serializers.BooleanField(help_text=_("A rating is saved as a draft."))
    self_sent = serializers.BooleanField(help_text=_("The self-assessment has been sent."))


class PeerTaskSerializer(TaskSerializer):
    done = serializers.BooleanField(help_text=_("You have rated it already."))


class TasksSerializer(serializers.Serializer):
    rating = RatingTaskSerializer(
        many=True, help_text=_("Appraisals you rate as supervisor, not submitted yet.")
    )
    peers = PeerTaskSerializer(
        many=True, help_text=_("Teammates' appraisals you may rate as a peer.")
    )


# --- peer rating -----------------------------------------------------------------------------


class PeerDimensionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name", help_text=_("In your language."))
    scale = serializers.SerializerMethodField()

    @extend_schema_field(RatingLevelSerializer(many=True))
    def get_scale(self, dimension):
        language = translation.get_language()
        try:
            levels = domain.parse_scale(dimension.scale)
        except DomainError:
            return []
        return [
            {"level": x.level, "score": f"{x.score:.2f}", "anchor": x.anchor_for(language)}
            for x in levels
        ]


class PeerRatingEntrySerializer(serializers.Serializer):
    dimension = serializers.IntegerField()
    level = serializers.IntegerField()
    comment = serializers.CharField(allow_blank=True)


class PeerRatingFormSerializer(serializers.Serializer):
    """What a teammate sees: whom they rate, the dimensions and their own ratings."""

    appraisal = serializers.IntegerField()
    person = UserRefSerializer()
    dimensions = PeerDimensionSerializer(many=True)
    entries = PeerRatingEntrySerializer(many=True, help_text=_("Your ratings so far."))


# --- inputs of the workflow ------------------------------------------------------------------


class LevelEntrySerializer(serializers.Serializer):
    dimension = serializers.IntegerField(min_value=1, help_text=_("Dimension id."))
    level = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("A level of the dimension's scale (empty: not rated yet)."),
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


def _entries(rows) -> dict[int, tuple[int | None, str]]:
    entries: dict[int, tuple[int | None, str]] = {}
    for row in rows:
        if row["dimension"] in entries:
            raise serializers.ValidationError(
                {"entries": _("Dimension %(id)s is given twice.") % {"id": row["dimension"]}}
            )
        entries[row["dimension"]] = (row["level"], row["comment"])
    return entries


class RatingWriteSerializer(serializers.Serializer):
    """The self-assessment or the supervisor's rating: levels and comments by
    dimension; `submit: true` sends it (a draft otherwise)."""

    entries = LevelEntrySerializer(many=True)
    submit = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        return {"entries": _entries(attrs["entries"]), "submit": attrs["submit"]}


class PeerRatingWriteSerializer(serializers.Serializer):
    """A teammate's levels (and optional comments) on the dimensions rated by peers."""

    entries = LevelEntrySerializer(many=True)

    def validate(self, attrs):
        return {"entries": _entries(attrs["entries"])}


class ScoreAdjustInputSerializer(serializers.Serializer):
    dimension = serializers.IntegerField(min_value=1, help_text=_("Dimension id."))
    score = score_field(min_value=0, help_text=_("The calibrated score."))
    reason = serializers.CharField(help_text=_("Why the score changes (required)."))


class AppealWriteSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text=_("Your reasons for the appeal."))


class ScoreChangeSerializer(serializers.Serializer):
    dimension = serializers.IntegerField(min_value=1, help_text=_("Dimension id."))
    score = score_field(min_value=0, help_text=_("The new score of the dimension."))


class ResolveWriteSerializer(serializers.Serializer):
    outcome = resolution()
    reason = serializers.CharField(help_text=_("Why the result stands or changes."))
    changes = ScoreChangeSerializer(
        many=True,
        required=False,
        default=list,
        help_text=_("With `changed`: the dimensions whose score changes."),
    )

    def validate(self, attrs):
        changes = {}
        for row in attrs["changes"]:
            if row["dimension"] in changes:
                raise serializers.ValidationError(
                    {"changes": _("Dimension %(id)s is given twice.") % {"id": row["dimension"]}}
                )
            changes[row["dimension"]] = row["score"]
        return {**attrs, "changes": changes}
