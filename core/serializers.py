"""The one shape of an API error, for the schema."""

from django.utils.translation import gettext_lazy as _
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
