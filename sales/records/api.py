"""The sales records part of the REST API under /api/v1/ (registered by sales.api):
customers, contacts, follow-ups, sales records with their credit split, and the
ERP's bulk push.

Thin views, the same plumbing as `org.api` and `targets.api`: `sales.records.permissions`
decides who sees and does what, `sales.records.services` writes (a broken rule,
`DomainError`, answers 400 with its message and writes nothing), explicit input and
output serializers.

Access, in words:
- a salesperson sees their own customers, contacts and follow-ups and the records
  in which they hold a credit; a supervisor also those of the people of the units
  they lead; the department everything; HR nothing (empty lists, 404, and 403 on
  every write);
- a hidden object answers 404 (the same as a missing one); an id of a hidden
  customer or person in a request body is "does not exist" (400 naming the field);
- a visible object with a forbidden action answers 403;
- a change the user may make in principle but not in this state (a record in a
  closed or closing period, a cancelled record changed or cancelled again) answers
  400 with the service's message;
- a record's credits: a new record's people are those `can_enter_record` allows; a
  change keeps the people already credited and may add only those (the rule of the
  browser form).
- anonymous requests answer 401.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.api import (
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    ReadViewSet,
    error_response,
    listed,
    responses,
    validated,
)
from core.imports import RowsRefused
from core.permissions import require
from org.models import User
from sales.models import SalesRecord
from sales.records import permissions, selectors, services
from sales.records.filters import ContactFilter, CustomerFilter, FollowUpFilter, SalesRecordFilter
from sales.records.serializers import (
    BulkRefusedSerializer,
    BulkResultSerializer,
    BulkRowSerializer,
    ContactChangeSerializer,
    ContactCreateSerializer,
    ContactSerializer,
    CustomerSerializer,
    CustomerWriteSerializer,
    FollowUpSerializer,
    FollowUpWriteSerializer,
    SalesRecordChangeSerializer,
    SalesRecordSerializer,
    SalesRecordWriteSerializer,
)

# The ERP push: at most this many rows per request (split larger pushes); the body's
# size is capped by SALES_IMPORT_MAX_BYTES, as for a file import.
BULK_MAX_ROWS = 5000


# --- customers -----------------------------------------------------------------------------


@listed(
    "customers",
    gettext_lazy(
        "Customers you may see: a salesperson their own, a supervisor also those of the "
        "people of the units they lead, the department all, HR none. `search` looks in "
        "the name, industry, region and external id."
    ),
)
class CustomerViewSet(ReadViewSet):
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    search_fields = ["name", "industry", "region", "external_id"]
    ordering_fields = ["name", "status", "became_customer_on", "region", "industry"]
    ordering = ["name", "pk"]

    def get_queryset(self):
        return selectors.customers_for_api(self.request.user)

    @extend_schema(
        request=CustomerWriteSerializer,
        responses=responses(CustomerSerializer, 201, not_found=False),
        description=gettext_lazy(
            "Add a customer, owned by you or (a supervisor) by a person of your teams or "
            "(the department) by anybody. Becoming active without a date means today."
        ),
    )
    def create(self, request):
        user = request.user
        require(permissions.can_enter_sales(user))
        data = validated(CustomerWriteSerializer, request)
        customer = services.customer_save(
            name=data["name"],
            owner=data.get("owner") or user,
            industry=data.get("industry", ""),
            region=data.get("region", ""),
            status=data.get("status", "prospect"),
            became_customer_on=data.get("became_customer_on"),
            external_id=data.get("external_id"),
            notes=data.get("notes", ""),
            acting_user=user,
        )
        return Response(self.fresh(customer.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CustomerWriteSerializer(partial=True),
        responses=responses(CustomerSerializer),
        description=gettext_lazy(
            "Change a customer (its owner, the owner's supervisor, the department). A new "
            "owner must be somebody you may give customers to. The customer-since date is "
            "at the latest tomorrow, and it is neither set, changed nor cleared when the "
            "old or the new date lies in a closed or closing month (400)."
        ),
    )
    def partial_update(self, request, pk=None):
        user = request.user
        customer = permissions.customer_for_user(user, pk)
        require(permissions.can_change_customer(user, customer))
        data = validated(CustomerWriteSerializer, request, partial=True)
        services.customer_save(
            customer=customer,
            name=data.get("name", customer.name),
            owner=data.get("owner", customer.owner),
            industry=data.get("industry", customer.industry),
            region=data.get("region", customer.region),
            status=data.get("status", customer.status),
            became_customer_on=data.get("became_customer_on", customer.became_customer_on),
            external_id=data.get("external_id", customer.external_id),
            notes=data.get("notes", customer.notes),
            acting_user=user,
        )
        return Response(self.fresh(customer.pk))


# --- contacts ------------------------------------------------------------------------------


@listed(
    "customers",
    gettext_lazy("Contacts of the customers you may see; `customer` narrows to one customer."),
)
class ContactViewSet(ReadViewSet):
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    search_fields = ["name", "title", "email", "phone"]
    ordering_fields = ["name"]
    ordering = ["customer_id", "name", "pk"]

    def get_queryset(self):
        return selectors.contacts_for_api(self.request.user)

    @extend_schema(
        request=ContactCreateSerializer,
        responses=responses(ContactSerializer, 201, not_found=False),
        description=gettext_lazy("Add a contact to a customer you may change."),
    )
    def create(self, request):
        user = request.user
        require(permissions.can_enter_sales(user))
        data = validated(ContactCreateSerializer, request)
        customer = data["customer"]
        require(permissions.can_change_customer(user, customer))
        contact = services.contact_save(
            customer=customer,
            name=data["name"],
            title=data.get("title", ""),
            phone=data.get("phone", ""),
            email=data.get("email", ""),
            acting_user=user,
        )
        return Response(self.output(contact), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ContactChangeSerializer(partial=True),
        responses=responses(ContactSerializer),
        description=gettext_lazy("Change a contact of a customer you may change."),
    )
    def partial_update(self, request, pk=None):
        user = request.user
        contact = get_object_or_404(self.get_queryset(), pk=pk)
        require(permissions.can_change_customer(user, contact.customer))
        data = validated(ContactChangeSerializer, request, partial=True)
        contact = services.contact_save(
            customer=contact.customer,
            contact=contact,
            name=data.get("name", contact.name),
            title=data.get("title", contact.title),
            phone=data.get("phone", contact.phone),
            email=data.get("email", contact.email),
            acting_user=user,
        )
        return Response(self.output(contact))


# --- follow-ups ----------------------------------------------------------------------------


@listed(
    "follow-ups",
    gettext_lazy(
        "Follow-ups you may see: a salesperson their own, a supervisor also those of the "
        "people of the units they lead, the department all, HR none. `due=true`: not "
        "done, with a next action due today or earlier."
    ),
)
class FollowUpViewSet(ReadViewSet):
    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilter
    search_fields = ["need", "next_action", "customer__name"]
    ordering_fields = ["happened_on", "next_action_on", "kind"]
    ordering = ["-happened_on", "-pk"]

    def get_queryset(self):
        return selectors.followups_for_api(self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    @extend_schema(
        request=FollowUpWriteSerializer,
        responses=responses(FollowUpSerializer, 201, not_found=False),
        description=gettext_lazy(
            "Note a visit, call, pre-sales consultation or after-sales service with a "
            "customer you may see, the need and the next action. The department may note "
            "one for somebody else."
        ),
    )
    def create(self, request):
        user = request.user
        require(permissions.can_enter_sales(user))
        data = validated(FollowUpWriteSerializer, request)
        salesperson = data.get("salesperson") or user
        if salesperson.pk != user.pk:
            require(permissions.can_manage_sales(user))
        followup = services.followup_save(
            customer=data["customer"],
            salesperson=salesperson,
            kind=data["kind"],
            happened_on=data["happened_on"],
            need=data.get("need", ""),
            next_action=data.get("next_action", ""),
            next_action_on=data.get("next_action_on"),
            acting_user=user,
        )
        return Response(self.fresh(followup.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=FollowUpWriteSerializer(partial=True),
        responses=responses(FollowUpSerializer),
        description=gettext_lazy(
            "Change a follow-up (the salesperson who made it, or the department; only the "
            "department gives it to somebody else)."
        ),
    )
    def partial_update(self, request, pk=None):
        user = request.user
        followup = permissions.followup_for_user(user, pk)
        require(permissions.can_change_followup(user, followup))
        data = validated(FollowUpWriteSerializer, request, partial=True)
        salesperson = data.get("salesperson", followup.salesperson)
        if salesperson.pk != followup.salesperson_id:
            require(permissions.can_manage_sales(user))
        services.followup_save(
            followup=followup,
            customer=data.get("customer", followup.customer),
            salesperson=salesperson,
            kind=data.get("kind", followup.kind),
            happened_on=data.get("happened_on", followup.happened_on),
            need=data.get("need", followup.need),
            next_action=data.get("next_action", followup.next_action),
            next_action_on=data.get("next_action_on", followup.next_action_on),
            acting_user=user,
        )
        return Response(self.fresh(followup.pk))

    @extend_schema(
        request=None,
        responses=responses(FollowUpSerializer),
        description=gettext_lazy(
            "Mark a follow-up done (the salesperson who made it, or the department)."
        ),
    )
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        user = request.user
        followup = permissions.followup_for_user(user, pk)
        require(permissions.can_change_followup(user, followup))
        services.followup_done(followup=followup, acting_user=user)
        return Response(self.fresh(followup.pk))


# --- sales records -------------------------------------------------------------------------


def _credited_ids(record: SalesRecord | None) -> list[int]:
    return list(record.credits.values_list("person_id", flat=True)) if record else []


def _credited_people(credits) -> list[tuple[User, object]]:
    """[(person, share)] from [{person: id or username, share_pct}] in one query; an
    unknown person is named (400)."""
    ids = {c["person"] for c in credits if isinstance(c["person"], int)}
    names = {c["person"] for c in credits if isinstance(c["person"], str)}
    found = list(User.objects.filter(Q(pk__in=ids) | Q(username__in=names)))
    by_id = {u.pk: u for u in found}
    by_name = {u.username: u for u in found}
    people, unknown = [], []
    for credit in credits:
        key = credit["person"]
        person = by_id.get(key) if isinstance(key, int) else by_name.get(key)
        if person is None:
            unknown.append(_("Unknown salesperson: %(name)s.") % {"name": key})
        else:
            people.append((person, credit["share_pct"]))
    if unknown:
        raise ValidationError({"credits": unknown})
    return people


@listed(
    "sales records",
    gettext_lazy(
        "Sales records you may see, with their credits: a salesperson those in which "
        "they hold a credit, a supervisor also those credited in the units they lead, "
        "the department all, HR none."
    ),
)
class SalesRecordViewSet(ReadViewSet):
    serializer_class = SalesRecordSerializer
    filterset_class = SalesRecordFilter
    search_fields = ["product", "category", "external_id", "customer__name"]
    ordering_fields = ["date", "amount", "gross_margin", "created_at"]
    ordering = ["-date", "-pk"]

    def get_queryset(self):
        return selectors.records_for_api(self.request.user)

    def _save(self, *, data, customer, credits, acting_user, record=None, external_id=None):
        return services.record_save(
            record=record,
            date=data["date"],
            customer=customer,
            amount=data["amount"],
            quantity=data.get("quantity", 0),
            gross_margin=data.get("gross_margin", 0),
            collected_amount=data.get("collected_amount") or 0,
            collected_on=data.get("collected_on"),
            product=data.get("product", ""),
            category=data.get("category", ""),
            credits=credits,
            external_id=external_id,
            confirm=data.get("confirm", False),
            acting_user=acting_user,
        )

    @extend_schema(
        request=SalesRecordWriteSerializer,
        responses={
            201: OpenApiResponse(SalesRecordSerializer, description=gettext_lazy("A new record.")),
            200: OpenApiResponse(
                SalesRecordSerializer,
                description=gettext_lazy("The record with this external id, updated."),
            ),
            400: INVALID,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        description=gettext_lazy(
            "Log a sale credited to you and/or people of your teams (the department: "
            "anybody), with the credit split in percentages adding up to exactly 100. A "
            "person is given by id or username. With the external id of an existing record "
            "that record is updated (404 if you may not see it). A date in a closed or "
            "closing period is refused with 400: a correction goes into an open period. The "
            "sale's date and the collection date are at the latest tomorrow, and the "
            "collection is on or after the sale."
        ),
    )
    def create(self, request):
        user = request.user
        require(permissions.can_enter_sales(user))
        data = validated(SalesRecordWriteSerializer, request)
        credits = _credited_people(data["credits"])
        external_id = (data.get("external_id") or "").strip() or None
        existing = None
        if external_id:
            found = SalesRecord.objects.filter(external_id=external_id).values_list("pk", flat=True)
            if found:
                existing = permissions.record_for_user(user, found[0])
                require(permissions.can_change_record(user, existing))
        require(permissions.can_credit(user, [p for p, _s in credits], _credited_ids(existing)))
        record = self._save(
            data=data,
            customer=data["customer"],
            credits=credits,
            external_id=external_id,
            acting_user=user,
        )
        code = status.HTTP_200_OK if existing else status.HTTP_201_CREATED
        return Response(self.fresh(record.pk), status=code)

    @extend_schema(
        request=SalesRecordChangeSerializer(partial=True),
        responses=responses(SalesRecordSerializer),
        description=gettext_lazy(
            "Change a record (anybody who may see it): the values given replace the "
            "record's; credits, when given, replace its credits and may keep the people "
            "already credited and add those you could credit on a new record. A cancelled "
            "record, or one in a closed or closing period, cannot be changed (400): a "
            "correction goes into an open period. Nor can a collection dated in a closed or "
            "closing month: its date is not set, moved or removed there, and its amount "
            "and credit split do not change."
        ),
    )
    def partial_update(self, request, pk=None):
        user = request.user
        record = permissions.record_for_user(user, pk)
        require(permissions.can_change_record(user, record))
        data = validated(SalesRecordChangeSerializer, request, partial=True)
        if "credits" in data:
            credits = _credited_people(data["credits"])
            require(permissions.can_credit(user, [p for p, _s in credits], _credited_ids(record)))
        else:
            credits = [(c.person, c.share_pct) for c in record.credits.select_related("person")]
        current = {
            "date": record.date,
            "amount": record.amount,
            "quantity": record.quantity,
            "gross_margin": record.gross_margin,
            "collected_amount": record.collected_amount,
            "collected_on": record.collected_on,
            "product": record.product,
            "category": record.category,
        }
        self._save(
            record=record,
            data=current | data,
            customer=data.get("customer", record.customer),
            credits=credits,
            acting_user=user,
        )
        return Response(self.fresh(record.pk))

    @extend_schema(
        request=None,
        responses=responses(SalesRecordSerializer),
        description=gettext_lazy(
            "Cancel a booked record: it no longer counts in the actuals. A record in a "
            "closed or closing period, or collected in one, cannot be cancelled (400)."
        ),
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        user = request.user
        record = permissions.record_for_user(user, pk)
        require(permissions.can_change_record(user, record))
        services.record_cancel(record=record, acting_user=user)
        return Response(self.fresh(record.pk))

    @extend_schema(
        request=BulkRowSerializer(many=True),
        responses={
            200: BulkResultSerializer,
            400: OpenApiResponse(
                BulkRefusedSerializer,
                description=gettext_lazy(
                    "Nothing was written: every bad row, by row and field (or the list as a "
                    "whole: not a list, too many rows)."
                ),
            ),
            403: FORBIDDEN,
            413: OpenApiResponse(
                BulkRefusedSerializer, description=gettext_lazy("The request is too large.")
            ),
        },
        description=gettext_lazy(
            "The ERP's push (sales management department): a JSON list of up to 5,000 "
            "records, idempotent by external id (the same record pushed again is updated, "
            "never duplicated; a record without an external id is always new). Customers "
            "are given by their external id, salespeople by username. Every row is checked "
            "first: if any is bad, nothing is written and every problem is named by row and "
            "field. The rules are those of a single record: no date in a closed or closing "
            "period, no collection set, moved, removed or changed in one, no date after "
            "tomorrow, no collection before the sale."
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[JSONParser],
        filter_backends=[],
        pagination_class=None,
    )
    def bulk(self, request):
        user = request.user
        require(permissions.can_manage_sales(user))
        rows = request.data
        if not isinstance(rows, list):
            return _refused(_("Send a JSON list of rows."), [])
        if len(rows) > BULK_MAX_ROWS:
            return _refused(
                _("%(count)s rows: at most %(max)s rows per request; split the push.")
                % {"count": len(rows), "max": BULK_MAX_ROWS},
                [],
            )
        checked, errors = [], []
        row_shape = BulkRowSerializer(context={"request": request})  # one for every row
        for index, row in enumerate(rows, start=1):
            try:
                checked.append(row_shape.run_validation(row))
            except ValidationError as exc:
                checked.append(None)  # the service refuses it: nothing is written
                errors += [
                    {"row": index, "field": field, "message": message}
                    for field, message in _flatten(exc.detail)
                ]
        try:
            result = services.records_bulk_upsert(checked, acting_user=user)
        except RowsRefused as exc:
            shape_bad = {e["row"] for e in errors}
            errors += [
                {"row": e.row, "field": e.field, "message": e.message}
                for e in exc.errors
                if e.row not in shape_bad
            ]
        if errors:
            errors.sort(key=lambda e: e["row"])
            rows_bad = len({e["row"] for e in errors})
            return _refused(
                _("Nothing was written: %(count)s of %(total)s rows have problems.")
                % {"count": rows_bad, "total": len(rows)},
                errors,
            )
        return Response(result)


def _refused(detail: str, errors: list[dict]) -> Response:
    return error_response(
        detail, code="rows_refused", status_code=status.HTTP_400_BAD_REQUEST, errors=errors
    )


def _flatten(errors, field: str = ""):
    """(field, message) pairs from a serializer's nested errors: `credits.2.share_pct`
    for the second credit's share; `row` for the row as a whole."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                yield from _flatten(value, field)
            elif isinstance(key, int):  # a list's item, by its 0-based index
                yield from _flatten(value, f"{field}.{key + 1}")
            else:
                yield from _flatten(value, f"{field}.{key}" if field else key)
    elif isinstance(errors, list):
        for position, value in enumerate(errors, start=1):
            if isinstance(value, dict | list):
                yield from _flatten(value, f"{field}.{position}")
            else:
                yield field or "row", str(value)
    else:
        yield field or "row", str(errors)


def register(router) -> None:
    router.register("customers", CustomerViewSet, basename="api-customer")
    router.register("contacts", ContactViewSet, basename="api-contact")
    router.register("follow-ups", FollowUpViewSet, basename="api-follow-up")
    router.register("sales-records", SalesRecordViewSet, basename="api-sales-record")
