"""Input and output serializers of the sales records API (/api/v1/): customers,
contacts, follow-ups, sales records with their credits, and the ERP's bulk push.

Output serializers only read: they expect the querysets of `sales.records.api`
(related rows already joined or prefetched), so a page costs a fixed number of
queries. Input serializers only check the shape of the input (types, lengths,
choices, ids the user may see); every rule of sales (the credit split adding up to
100 %, closed periods, values and their signs, unknown customers and salespeople in
the bulk push) is checked by `sales.records.services`, which the views call, and comes back
as 400 with the service's message.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import ReadSerializer, VisibleChoicesMixin, named_enum
from org.models import User
from org.permissions import visible_people
from org.serializers import UnitRefSerializer, UserRefSerializer
from sales.models import Contact, Customer, FollowUp, SalesCredit, SalesRecord
from sales.records.permissions import visible_customers
from targets.serializers import PeriodRefSerializer, typed_value
from targets.serializers import amount as money

# --- named enums (unique component names in the OpenAPI schema) ----------------------------


customer_status = named_enum(Customer.Status.choices, "CustomerStatusEnum")
followup_kind = named_enum(FollowUp.Kind.choices, "FollowUpKindEnum")
record_status = named_enum(SalesRecord.Status.choices, "SalesRecordStatusEnum")


def quantity_value(**kwargs):
    """A quantity as a string with 2 decimals (how quantities are stored)."""
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def _confirm_field(help_text):
    """`confirm`: that an amount far above a credited person's usual is right."""
    return serializers.BooleanField(
        required=False, default=False, label=_("confirm"), help_text=help_text
    )


# --- small nested shapes ---------------------------------------------------------------


class CustomerRefSerializer(ReadSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "external_id"]


# --- customers ---------------------------------------------------------------------------


class CustomerSerializer(ReadSerializer):
    owner = UserRefSerializer(read_only=True)
    status = customer_status(read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "owner",
            "industry",
            "region",
            "status",
            "became_customer_on",
            "external_id",
            "notes",
        ]


class CustomerWriteSerializer(VisibleChoicesMixin, serializers.Serializer):
    """Create: `name` is required; the owner is you unless given. PATCH: every field
    is optional."""

    visible = {"owner": visible_people}

    name = serializers.CharField(max_length=200, label=_("name"))
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        label=_("owner"),
        help_text=_(
            "Id of the owner: yourself, or (a supervisor) a person of your teams, or "
            "(the department) anybody. Yourself if empty."
        ),
    )
    industry = serializers.CharField(
        max_length=100, required=False, allow_blank=True, label=_("industry")
    )
    region = serializers.CharField(
        max_length=100, required=False, allow_blank=True, label=_("region")
    )
    status = customer_status(required=False, label=_("status"))
    became_customer_on = serializers.DateField(
        required=False,
        allow_null=True,
        label=_("customer since"),
        help_text=_("Empty for a prospect; today if it becomes active without a date."),
    )
    external_id = serializers.CharField(
        max_length=64, required=False, allow_blank=True, allow_null=True, label=_("external id")
    )
    notes = serializers.CharField(required=False, allow_blank=True, label=_("notes"))


# --- contacts ----------------------------------------------------------------------------


class ContactSerializer(ReadSerializer):
    email = serializers.CharField(
        read_only=True, help_text=_("The e-mail address as entered (not checked), or empty.")
    )

    class Meta:
        model = Contact
        fields = ["id", "customer", "name", "title", "phone", "email"]


class ContactChangeSerializer(serializers.Serializer):
    """PATCH: every field is optional; a contact stays with its customer."""

    name = serializers.CharField(max_length=200, label=_("name"))
    title = serializers.CharField(
        max_length=100, required=False, allow_blank=True, label=_("title")
    )
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True, label=_("phone"))
    email = serializers.CharField(
        max_length=254, required=False, allow_blank=True, label=_("email")
    )


class ContactCreateSerializer(VisibleChoicesMixin, ContactChangeSerializer):
    visible = {"customer": visible_customers}

    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.all(),
        label=_("customer"),
        help_text=_("Id of a customer you may change."),
    )


# --- follow-ups ----------------------------------------------------------------------------


class FollowUpSerializer(ReadSerializer):
    customer = CustomerRefSerializer(read_only=True)
    salesperson = UserRefSerializer(read_only=True)
    kind = followup_kind(read_only=True)
    is_due = serializers.SerializerMethodField(
        help_text=_("Not done, and the next action is due today or earlier.")
    )

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "customer",
            "salesperson",
            "kind",
            "happened_on",
            "need",
            "next_action",
            "next_action_on",
            "done",
            "is_due",
        ]

    def get_is_due(self, followup) -> bool:
        return followup.is_due_on(self.context["today"])


class FollowUpWriteSerializer(VisibleChoicesMixin, serializers.Serializer):
    """Create: `customer`, `kind` and `happened_on` are required. PATCH: every field is
    optional."""

    visible = {"customer": visible_customers, "salesperson": visible_people}

    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.all(),
        label=_("customer"),
        help_text=_("Id of a customer you may see."),
    )
    salesperson = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        label=_("salesperson"),
        help_text=_("Who followed up: yourself if empty; somebody else only for the department."),
    )
    kind = followup_kind(label=_("kind"))
    happened_on = serializers.DateField(label=_("date"))
    need = serializers.CharField(required=False, allow_blank=True, label=_("customer need"))
    next_action = serializers.CharField(
        max_length=200, required=False, allow_blank=True, label=_("next action")
    )
    next_action_on = serializers.DateField(
        required=False, allow_null=True, label=_("next action date")
    )


# --- sales records -------------------------------------------------------------------------


class SalesCreditSerializer(ReadSerializer):
    person = UserRefSerializer(read_only=True)
    team = UnitRefSerializer(read_only=True, help_text=_("The team the person sold in that day."))
    share_pct = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    amount = money(read_only=True)
    gross_margin = money(read_only=True)
    quantity = quantity_value(read_only=True)
    collected_amount = money(read_only=True)

    class Meta:
        model = SalesCredit
        fields = [
            "person",
            "team",
            "share_pct",
            "amount",
            "gross_margin",
            "quantity",
            "collected_amount",
        ]


class SalesRecordSerializer(ReadSerializer):
    customer = CustomerRefSerializer(read_only=True)
    period = PeriodRefSerializer(read_only=True, help_text=_("The month the record counts in."))
    amount = money(read_only=True)
    quantity = quantity_value(read_only=True)
    gross_margin = money(read_only=True)
    collected_amount = money(read_only=True)
    status = record_status(read_only=True)
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    credits = SalesCreditSerializer(
        many=True,
        read_only=True,
        help_text=_("Who is credited, largest share first; the parts add up to the record."),
    )

    class Meta:
        model = SalesRecord
        fields = [
            "id",
            "external_id",
            "date",
            "period",
            "customer",
            "product",
            "category",
            *SalesRecord.FIGURES,
            "status",
            "created_by",
            "created_at",
            "credits",
        ]


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string", "minLength": 1, "pattern": r"\S"}],
        "description": "The person's id (a number) or username (text).",
    }
)
class PersonKeyField(serializers.Field):
    """A person by id (a JSON number) or by username (a JSON string)."""

    default_error_messages = {
        "invalid": _("Give the person's id (a number) or username (text)."),
    }

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            return data
        if isinstance(data, str) and data.strip():
            return data.strip()
        self.fail("invalid")

    def to_representation(self, value):
        return value


class CreditInputSerializer(serializers.Serializer):
    person = PersonKeyField(label=_("salesperson"))
    share_pct = typed_value(label=_("share (%)"))


class SalesRecordChangeSerializer(VisibleChoicesMixin, serializers.Serializer):
    """A record's values. PATCH: every field is optional; the credits, when given,
    replace the record's credits."""

    visible = {"customer": visible_customers}

    date = serializers.DateField(label=_("date"))
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.all(),
        label=_("customer"),
        help_text=_("Id of a customer you may see."),
    )
    product = serializers.CharField(
        max_length=200, required=False, allow_blank=True, label=_("product")
    )
    category = serializers.CharField(
        max_length=100, required=False, allow_blank=True, label=_("category")
    )
    amount = typed_value(label=_("amount"), help_text=_("Negative for a return or a correction."))
    quantity = typed_value(required=False, label=_("quantity"), help_text=_("0 if empty."))
    gross_margin = typed_value(required=False, label=_("gross margin"), help_text=_("0 if empty."))
    collected_amount = typed_value(
        required=False, allow_null=True, label=_("collected amount"), help_text=_("0 if empty.")
    )
    collected_on = serializers.DateField(required=False, allow_null=True, label=_("collected on"))
    credits = CreditInputSerializer(
        many=True,
        label=_("credits"),
        help_text=_(
            "Who is credited and with which share: percentages with at most 2 decimals "
            "adding up to exactly 100."
        ),
    )
    confirm = _confirm_field(
        _(
            "True when an amount more than 10 times a credited person's largest sale is "
            "right; without it such an amount is refused."
        )
    )


class SalesRecordWriteSerializer(SalesRecordChangeSerializer):
    external_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        allow_null=True,
        label=_("external id"),
        help_text=_("A record with the same external id is updated instead of duplicated."),
    )


# --- the ERP's bulk push -------------------------------------------------------------------


class BulkCreditSerializer(serializers.Serializer):
    person = serializers.CharField(max_length=150, label=_("salesperson"), help_text=_("Username."))
    share_pct = typed_value(label=_("share (%)"))


class BulkRowSerializer(serializers.Serializer):
    """One sales record of the ERP push, in the format of
    `sales.records.services.records_bulk_upsert`."""

    external_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        allow_null=True,
        label=_("external id"),
        help_text=_("The same id pushed again updates the record, never duplicates it."),
    )
    date = serializers.DateField(label=_("date"))
    customer = serializers.CharField(
        max_length=64, label=_("customer"), help_text=_("The customer's external id.")
    )
    amount = typed_value(label=_("amount"))
    quantity = typed_value(required=False, label=_("quantity"), help_text=_("0 if empty."))
    gross_margin = typed_value(required=False, label=_("gross margin"), help_text=_("0 if empty."))
    collected_amount = typed_value(
        required=False, allow_null=True, label=_("collected amount"), help_text=_("0 if empty.")
    )
    collected_on = serializers.DateField(required=False, allow_null=True, label=_("collected on"))
    product = serializers.CharField(
        max_length=200, required=False, allow_blank=True, label=_("product")
    )
    category = serializers.CharField(
        max_length=100, required=False, allow_blank=True, label=_("category")
    )
    credits = BulkCreditSerializer(many=True, label=_("credits"))
    status = record_status(
        required=False,
        label=_("status"),
        help_text=_(
            "Without it a new record is booked and an existing one keeps its status: a "
            "cancelled record is booked again only when the row says so."
        ),
    )
    confirm = _confirm_field(
        _(
            "True when an amount more than 10 times a credited person's largest sale is "
            "right; without it the row is refused."
        )
    )


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text=_("Records created."))
    updated = serializers.IntegerField(help_text=_("Records updated (same external id)."))


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("Position of the row in the list, from 1."))
    field = serializers.CharField(help_text=_("The field, or `row` for the row as a whole."))
    message = serializers.CharField()


class BulkRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = RowErrorSerializer(many=True, help_text=_("Every problem, by row and field."))
