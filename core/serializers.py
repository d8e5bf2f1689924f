"""What every app's serializers share: the one shape of an API error (for the schema),
enum fields named as their own schema components, non-empty id lists documented as such,
and related-id fields limited to what the requesting user may see."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_choice_field
from rest_framework import serializers


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text=_(
            "The field, with a dotted path into lists and objects (`credits.2.share_pct`); "
            "`row` for a bulk row as a whole; empty for the request as a whole."
        )
    )
    message = serializers.CharField(help_text=_("What is wrong with it."))
    code = serializers.CharField(
        required=False,
        help_text=_(
            "What kind of problem: `required`, `invalid`, `blank`, `null`, `max_length`, "
            "`invalid_choice`, `does_not_exist` (an id or code that names nothing you may "
            "see)…"
        ),
    )
    row = serializers.IntegerField(
        required=False, help_text=_("Bulk pushes: the row's position in the list, from 1.")
    )


class ErrorSerializer(serializers.Serializer):
    """The one shape of every error answer under /api/ (4xx and 5xx)."""

    detail = serializers.CharField(help_text=_("What went wrong, in words a user can act on."))
    code = serializers.CharField(
        help_text=_(
            "A stable machine-readable code: `invalid`, `domain_error`, `not_authenticated`, "
            "`authentication_failed`, `permission_denied`, `not_found`, "
            "`method_not_allowed`, `parse_error`, `unsupported_media_type`, `too_large`, "
            "`rows_refused`, `conflict`, `locked_out`, `throttled`…"
        )
    )
    field = serializers.CharField(
        required=False, help_text=_("The first field at fault, when one is.")
    )
    errors = ErrorItemSerializer(
        many=True, required=False, help_text=_("Every problem, by field (and row).")
    )
    limit = serializers.IntegerField(
        required=False, help_text=_("`too_large`: the largest request body accepted, in bytes.")
    )
    problems = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=_("A publication refused: every problem that stops it."),
    )
    run = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=_("A period close already running: its id."),
    )
    first_allowed_period = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=_("An adjustment refused for its period: the first period it may take effect."),
    )


# A model shown, never written: every field of `Meta.fields` is read-only (as if
# `read_only_fields = fields`). (A comment: a docstring would be the schema's description.)
class ReadSerializer(serializers.ModelSerializer):
    def get_extra_kwargs(self):
        extra = super().get_extra_kwargs()
        for name in self.Meta.fields:
            extra.setdefault(name, {})["read_only"] = True
        return extra


class EnumField(serializers.ChoiceField):
    """A choice field documented as its own named enum component.

    Several models have a `kind` (units, memberships, periods); named components
    keep the OpenAPI schema free of enum-name collisions without global settings.
    """

    def __init__(self, choices, *, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(choices, **kwargs)


def named_enum(choices, enum_name: str):
    """A maker of `EnumField`s of `choices` (their keyword arguments as given), all
    documented as the one component `enum_name`."""

    def field(**kwargs) -> EnumField:
        return EnumField(choices, enum_name=enum_name, **kwargs)

    return field


class EnumFieldSchema(OpenApiSerializerFieldExtension):
    target_class = EnumField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = build_choice_field(field)
        schema.pop("x-spec-enum-id", None)
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema=schema,
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


class NonEmptyListSchema(OpenApiSerializerFieldExtension):
    """A list of related ids that may not be empty (`allow_empty=False`) says so in the
    schema (`minItems: 1`); drf-spectacular leaves it out."""

    target_class = "rest_framework.relations.ManyRelatedField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if not self.target.allow_empty and schema.get("type") == "array":
            schema.setdefault("minItems", 1)
        return schema


class VisibleChoicesMixin:
    """Limit related-id fields to what the requesting user may see: an unseen id is
    "does not exist", the same as a missing one."""

    visible = {}  # field name -> function(user) returning the visible queryset

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            for name, visible in self.visible.items():
                self.fields[name].queryset = visible(request.user)
