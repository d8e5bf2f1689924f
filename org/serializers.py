"""Input and output serializers of the organisation API (/api/v1/).

Output serializers only read: they expect the querysets of `org.selectors`
(related rows already joined or prefetched) so a page costs a fixed number of
queries. Input serializers only validate: the views hand the cleaned data to
`org.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import ReadSerializer, VisibleChoicesMixin, named_enum
from org import permissions
from org.models import FiscalYear, Membership, OrgUnit, Period, Role, User

unit_kind = named_enum(OrgUnit.Kind.choices, "UnitKindEnum")
membership_kind = named_enum(Membership.Kind.choices, "MembershipKindEnum")
period_kind = named_enum(Period.Kind.choices, "PeriodKindEnum")
period_status = named_enum(Period.Status.choices, "PeriodStatusEnum")


# A person's own fields, as the API shows them (to me, and in the list of people).
PERSON_FIELDS = [
    "id",
    "username",
    "first_name",
    "last_name",
    "display_name",
    "email",
    "employee_no",
]


# --- small nested shapes ---------------------------------------------------------------


class UserRefSerializer(ReadSerializer):
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name"]


class UnitRefSerializer(ReadSerializer):
    display_name = serializers.CharField(read_only=True)
    kind = unit_kind(read_only=True)

    class Meta:
        model = OrgUnit
        fields = ["id", "code", "name", "display_name", "kind"]


class CurrentMembershipSerializer(ReadSerializer):
    """A membership seen from its person: where, as what, since when."""

    unit = UnitRefSerializer(read_only=True)
    kind = membership_kind(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "unit", "kind", "start_date", "end_date"]


# --- fields that may be empty ------------------------------------------------------------


class OptionalEmailField(serializers.EmailField):
    """An e-mail address that may be blank: documented as an address *or* "" (drf-spectacular
    writes `oneOf` the address and an empty string), not as an address alone."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("help_text", _("An e-mail address, or empty when none is known."))
        super().__init__(**kwargs)


def preferred_language_field():
    return serializers.ChoiceField(
        choices=[("", _("the site's language")), *settings.LANGUAGES],
        read_only=True,
        help_text=_("The language the person chose for pages and e-mail; empty: none chosen."),
    )


# --- me ----------------------------------------------------------------------------------


class MeSerializer(ReadSerializer):
    display_name = serializers.CharField(read_only=True)
    email = OptionalEmailField(read_only=True)
    preferred_language = preferred_language_field()
    roles = serializers.SerializerMethodField()
    memberships = serializers.SerializerMethodField(
        help_text=_("Memberships running today, as member or supervisor.")
    )
    led_units = serializers.SerializerMethodField(help_text=_("Units led today."))

    class Meta:
        model = User
        fields = [
            *PERSON_FIELDS,
            "preferred_language",
            "roles",
            "memberships",
            "led_units",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Role.choices)))
    def get_roles(self, user) -> list[str]:
        return sorted(user.role_set)

    @extend_schema_field(CurrentMembershipSerializer(many=True))
    def get_memberships(self, user):
        return CurrentMembershipSerializer(self.context["current_memberships"], many=True).data

    @extend_schema_field(UnitRefSerializer(many=True))
    def get_led_units(self, user):
        led = {
            m.unit_id: m.unit
            for m in self.context["current_memberships"]
            if m.kind == Membership.Kind.SUPERVISOR
        }
        units = sorted(led.values(), key=lambda u: u.path)
        return UnitRefSerializer(units, many=True).data


# --- units -------------------------------------------------------------------------------


class UnitSerializer(ReadSerializer):
    display_name = serializers.CharField(read_only=True)
    kind = unit_kind(read_only=True)
    supervisors = serializers.SerializerMethodField(help_text=_("People leading this unit today."))

    class Meta:
        model = OrgUnit
        fields = [
            "id",
            "code",
            "name",
            "name_zh",
            "display_name",
            "kind",
            "parent",
            "path",
            "depth",
            "is_active",
            "supervisors",
        ]

    @extend_schema_field(UserRefSerializer(many=True))
    def get_supervisors(self, unit):
        # Filled by the selector's Prefetch(to_attr=...); never a query per unit.
        memberships = getattr(unit, "current_supervisor_memberships", [])
        people = {m.user_id: m.user for m in memberships}
        ordered = sorted(people.values(), key=lambda u: u.username)
        return UserRefSerializer(ordered, many=True).data


class UnitCreateSerializer(VisibleChoicesMixin, serializers.Serializer):
    visible = {"parent": permissions.visible_units}

    code = serializers.SlugField(max_length=40, label=_("code"))
    name = serializers.CharField(max_length=200, label=_("name"))
    name_zh = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", label=_("name (Chinese)")
    )
    kind = unit_kind(label=_("kind"))
    parent = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(), allow_null=True, required=False, label=_("parent unit")
    )


class UnitUpdateSerializer(VisibleChoicesMixin, serializers.Serializer):
    """Every field optional (PATCH). `parent: null` makes the unit a root."""

    visible = {"parent": permissions.visible_units}

    name = serializers.CharField(max_length=200, required=False, label=_("name"))
    name_zh = serializers.CharField(
        max_length=200, required=False, allow_blank=True, label=_("name (Chinese)")
    )
    kind = unit_kind(required=False, label=_("kind"))
    parent = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(), allow_null=True, required=False, label=_("parent unit")
    )
    is_active = serializers.BooleanField(required=False, label=_("active"))


# --- people ------------------------------------------------------------------------------


class PersonSerializer(ReadSerializer):
    display_name = serializers.CharField(read_only=True)
    email = OptionalEmailField(read_only=True)
    roles = serializers.SerializerMethodField()
    current_memberships = serializers.SerializerMethodField(
        help_text=_("Memberships running today that you may see.")
    )

    class Meta:
        model = User
        fields = [
            *PERSON_FIELDS,
            "is_active",
            "roles",
            "current_memberships",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Role.choices)))
    def get_roles(self, person) -> list[str]:
        return sorted(ra.role for ra in person.role_assignments.all())

    @extend_schema_field(CurrentMembershipSerializer(many=True))
    def get_current_memberships(self, person):
        memberships = getattr(person, "visible_current_memberships", [])
        return CurrentMembershipSerializer(memberships, many=True).data


# --- memberships ---------------------------------------------------------------------------


class MembershipSerializer(ReadSerializer):
    user = UserRefSerializer(read_only=True)
    unit = UnitRefSerializer(read_only=True)
    kind = membership_kind(read_only=True)
    is_current = serializers.SerializerMethodField(help_text=_("Running today."))

    class Meta:
        model = Membership
        fields = ["id", "user", "unit", "kind", "start_date", "end_date", "is_current"]

    def get_is_current(self, membership) -> bool:
        return membership.is_active_on(self.context["today"])


class MembershipCreateSerializer(VisibleChoicesMixin, serializers.Serializer):
    visible = {"user": permissions.visible_people, "unit": permissions.visible_units}

    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), label=_("person"))
    unit = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.all(), label=_("unit"))
    kind = membership_kind(default=Membership.Kind.MEMBER, label=_("kind"))
    start_date = serializers.DateField(label=_("start date"))
    end_date = serializers.DateField(
        required=False, allow_null=True, default=None, label=_("end date")
    )


class MembershipEndSerializer(serializers.Serializer):
    end_date = serializers.DateField(
        label=_("end date"), help_text=_("Last day of the membership (inclusive).")
    )


# --- fiscal calendar -----------------------------------------------------------------------


class FiscalYearSerializer(ReadSerializer):
    class Meta:
        model = FiscalYear
        fields = ["id", "name", "start_date", "end_date", "start_month"]


class FiscalYearCreateSerializer(serializers.Serializer):
    start_year = serializers.IntegerField(
        min_value=1900,
        max_value=2999,
        label=_("start year"),
        help_text=_("Calendar year in which the fiscal year starts."),
    )
    start_month = serializers.IntegerField(
        min_value=1,
        max_value=12,
        required=False,
        label=_("start month"),
        help_text=_("Month (1-12) in which the fiscal year starts; the site default if empty."),
    )

    def validate(self, attrs):
        attrs.setdefault("start_month", settings.FISCAL_YEAR_START_MONTH)
        return attrs


class PeriodSerializer(serializers.ModelSerializer):
    fiscal_year_name = serializers.CharField(source="fiscal_year.name", read_only=True)
    label = serializers.CharField(read_only=True)
    kind = period_kind(read_only=True)
    status = period_status(read_only=True)

    class Meta:
        model = Period
        fields = [
            "id",
            "fiscal_year",
            "fiscal_year_name",
            "kind",
            "number",
            "label",
            "parent",
            "start_date",
            "end_date",
            "status",
        ]
        read_only_fields = fields
