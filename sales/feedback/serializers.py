"""Input and output serializers of the progress report and satisfaction API.

Output serializers only read (their querysets join what they show). Input
serializers check the shape; the rules (periods, grace, locks, scores, open
months, unknown customers and salespeople) are `sales.feedback.services`'s and come
back as 400 with its message.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import ReadSerializer, named_enum
from org.serializers import UserRefSerializer
from sales.feedback import domain
from sales.feedback.selectors import report_period, state_of
from sales.models import Customer, ProgressReport, SatisfactionResponse
from sales.records.permissions import visible_customers

report_frequency = named_enum(ProgressReport.Frequency.choices, "ReportFrequencyEnum")


REPORT_STATES = [
    (domain.DUE, _("due")),
    (domain.DRAFT, _("draft")),
    (domain.MISSING, _("missing")),
    (domain.SUBMITTED, _("submitted")),
    (domain.LATE, _("late")),
]


report_state = named_enum(REPORT_STATES, "ReportStateEnum")


# --- progress reports ---------------------------------------------------------------------


class ProgressReportSerializer(ReadSerializer):
    person = UserRefSerializer(read_only=True)
    frequency = report_frequency(read_only=True)
    state = serializers.SerializerMethodField()
    late = serializers.SerializerMethodField()
    locked = serializers.SerializerMethodField()
    commented_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "person",
            "frequency",
            "period_start",
            "period_end",
            "progress",
            "customer_feedback",
            "problems",
            "help_needed",
            "submitted_at",
            "state",
            "late",
            "locked",
            "read_at",
            "supervisor_comment",
            "commented_by",
            "commented_at",
        ]

    def _state(self, obj):
        return state_of(obj, report_period(obj), timezone.localdate())

    @extend_schema_field(report_state())
    def get_state(self, obj) -> str:
        return self._state(obj).state

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_late(self, obj) -> bool:
        return self._state(obj).late

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_locked(self, obj) -> bool:
        return domain.is_locked(obj.commented_at is not None)


class ProgressReportWriteSerializer(serializers.Serializer):
    """Create: `period_start` (a Monday, or the 1st of a month) defaults to the current
    period. Update: every field is optional."""

    period_start = serializers.DateField(
        required=False,
        label=_("from"),
        help_text=_("The first day of the period (a Monday or the 1st); default: now."),
    )
    progress = serializers.CharField(
        required=False, allow_blank=True, default="", label=_("progress")
    )
    customer_feedback = serializers.CharField(
        required=False, allow_blank=True, default="", label=_("customer feedback")
    )
    problems = serializers.CharField(
        required=False, allow_blank=True, default="", label=_("problems")
    )
    help_needed = serializers.CharField(
        required=False, allow_blank=True, default="", label=_("help needed")
    )
    submit = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Submit it to the supervisor (a submitted report stays submitted)."),
    )


class ProgressReportCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=4000, label=_("comment"))


# --- satisfaction ---------------------------------------------------------------------------


class SatisfactionCustomerSerializer(ReadSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "external_id"]


class SatisfactionResponseSerializer(ReadSerializer):
    customer = SatisfactionCustomerSerializer(read_only=True)
    salesperson = UserRefSerializer(read_only=True)
    period = serializers.PrimaryKeyRelatedField(read_only=True, help_text=_("Month period id."))
    period_label = serializers.CharField(source="period.label", read_only=True)
    entered_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = SatisfactionResponse
        fields = [
            "id",
            "customer",
            "salesperson",
            "period",
            "period_label",
            "answered_on",
            "score",
            "comment",
            "external_id",
            "entered_by",
            "entered_at",
        ]


class SatisfactionWriteSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.all(), label=_("customer")
    )
    salesperson = serializers.IntegerField(label=_("salesperson"), help_text=_("A person's id."))
    answered_on = serializers.DateField(label=_("answered on"))
    score = serializers.IntegerField(label=_("score (1-5)"))
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    external_id = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default=None, max_length=64
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["customer"].queryset = visible_customers(request.user)


@extend_schema_field(OpenApiTypes.STR)
class _Raw(serializers.Field):
    """A value passed on as given; the service checks it and names the row."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.INT)
class _RawScore(_Raw):
    pass


@extend_schema_field(OpenApiTypes.DATE)
class _RawDate(_Raw):
    pass


class SatisfactionRowSerializer(serializers.Serializer):
    customer = _Raw(help_text=_("The customer's external id, or its exact name."))
    salesperson = _Raw(help_text=_("The salesperson's username."))
    answered_on = _RawDate(help_text=_("YYYY-MM-DD, in an open month."))
    score = _RawScore(help_text=_("1 to 5."))
    comment = _Raw(required=False, allow_null=True)
    external_id = _Raw(
        required=False,
        allow_null=True,
        help_text=_("The same id again updates that response."),
    )


class SatisfactionBulkSerializer(serializers.Serializer):
    rows = serializers.ListField(
        child=SatisfactionRowSerializer(), allow_empty=False, min_length=1, max_length=20000
    )


class SatisfactionBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class SatisfactionRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("1-based position in `rows`."))
    field = serializers.CharField()
    message = serializers.CharField()


class SatisfactionBulkRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = SatisfactionRowErrorSerializer(many=True)


class SatisfactionAverageSerializer(serializers.Serializer):
    person = UserRefSerializer()
    average = serializers.DecimalField(
        max_digits=3, decimal_places=2, allow_null=True, help_text=_("2 decimals, half up.")
    )
    count = serializers.IntegerField()


class SatisfactionAveragesQuerySerializer(serializers.Serializer):
    period = serializers.IntegerField(
        required=False, help_text=_("A fiscal period id (month, quarter or year).")
    )
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    unit = serializers.IntegerField(required=False, help_text=_("Members of this unit's subtree."))
    person = serializers.IntegerField(required=False)

    def validate(self, attrs):
        if attrs.get("period") is None and (attrs.get("start") is None or attrs.get("end") is None):
            raise serializers.ValidationError(
                _("Give a period, or a start and an end date."), code="combination"
            )
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError(
                {"end": _("The end is before the start.")}, code="combination"
            )
        return attrs
