"""The organisation part of the REST API under /api/v1/.

Thin views: `org.permissions` decides who sees and does what (a hidden object
answers 404, a visible one with a forbidden action 403), `org.selectors_api`
reads, `org.services` writes (a broken rule, `DomainError`, answers 400 with
its message), and every endpoint has explicit input and output serializers.

Anonymous requests answer 401: token authentication is tried first so DRF can
send a `WWW-Authenticate: Token` challenge.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import BooleanFilter, CharFilter, DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions as drf_exceptions
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.generics import get_object_or_404
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from org import permissions, selectors_api, services
from org.domain import DomainError
from org.filters import MembershipFilter, PeriodFilter, PersonFilter, UnitFilter
from org.imports import human_size
from org.serializers import (
    ErrorSerializer,
    FiscalYearCreateSerializer,
    FiscalYearSerializer,
    MembershipCreateSerializer,
    MembershipEndSerializer,
    MembershipSerializer,
    MeSerializer,
    PeriodSerializer,
    PersonSerializer,
    UnitCreateSerializer,
    UnitSerializer,
    UnitUpdateSerializer,
)

# --- shared plumbing -------------------------------------------------------------------


class ApiPagination(PageNumberPagination):
    """`page` from 1 (a page past the last one answers 404) and `page_size` from 1 to 500;
    a `page_size` that is not such a number is refused (400), not quietly replaced."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        given = request.query_params.get(self.page_size_query_param)
        if given is not None and not (
            given.isascii() and given.isdigit() and 1 <= int(given) <= self.max_page_size
        ):
            raise ValidationError(
                {self.page_size_query_param: [_("Give a whole number from 1 to 500.")]},
                code="invalid",
            )
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
        return parameters


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, except that a filter of ids, choices, numbers, dates or booleans given
    with an empty value (`?status=`) is refused (400) instead of being ignored: the schema
    documents values, not emptiness."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            empty = [
                name
                for name, declared in filterset.filters.items()
                # an empty text filter is a text like any other (it filters nothing out)
                if not isinstance(declared, CharFilter)
                and name in request.query_params
                and not any(v.strip() for v in request.query_params.getlist(name))
            ]
            not_boolean = [
                name
                for name, declared in filterset.filters.items()
                if isinstance(declared, BooleanFilter)
                and name in request.query_params
                and name not in empty
                and request.query_params[name].strip().lower() not in {"true", "false"}
            ]
            if not_boolean:
                raise ValidationError(
                    {name: [_("Give true or false.")] for name in not_boolean}, code="invalid"
                )
            if empty:
                raise ValidationError(
                    {name: [_("Give a value, or leave the parameter out.")] for name in empty},
                    code="invalid",
                )
        return filterset


class DomainRuleBroken(APIException):
    """A service refused the change: 400 with the service's message as `detail`."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("This change breaks a rule of the organisation.")
    default_code = "domain_error"


@contextmanager
def domain_errors():
    try:
        yield
    except DomainError as error:
        raise DomainRuleBroken(str(error)) from error


# --- the one error shape -------------------------------------------------------------------
#
# Every error answer under /api/ is JSON of one shape (`ErrorSerializer`, the schema's
# `Error` component): {"detail": str, "code": str} and, where they apply, "field" (the
# first field at fault), "errors" (every problem: [{"field", "message", "row"?}]) and a
# few named extras (`limit`, `problems`, `run`, `first_allowed_period`). DRF's exceptions
# reach it through `api_exception_handler` (settings.REST_FRAMEWORK); what Django answers
# before or around DRF (an unknown URL, a body over the limit) through `ApiErrorMiddleware`.


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self, size: int | None = None):
        super().__init__(too_large_message(size))
        self.extra = {"limit": request_limit()}


def request_limit() -> int:
    """The largest request body accepted, in bytes: SALES_IMPORT_MAX_BYTES, the one
    documented limit (settings.DATA_UPLOAD_MAX_MEMORY_SIZE is set from it)."""
    return settings.SALES_IMPORT_MAX_BYTES


def too_large_message(size: int | None) -> str:
    limit = human_size(request_limit())
    if size:
        return gettext(
            "The request has %(size)s; at most %(limit)s are accepted: split it into "
            "smaller requests."
        ) % {"size": human_size(size), "limit": limit}
    return gettext(
        "The request is larger than %(limit)s, the most accepted: split it into smaller requests."
    ) % {"limit": limit}


def error_body(detail, *, code: str, field: str = "", errors=None, **extra) -> dict:
    body = {"detail": str(detail), "code": code}
    if field:
        body["field"] = field
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body


def error_response(detail, *, code: str, status_code: int, **kwargs) -> Response:
    """An error answered by a view itself (not raised): the one shape."""
    return Response(error_body(detail, code=code, **kwargs), status=status_code)


def flatten_errors(detail, field: str = ""):
    """(field, message) pairs from a serializer's nested errors: `credits.2.share_pct` for
    the second credit's share (positions from 1); "" for the request as a whole. Each
    message is DRF's ErrorDetail, whose `code` says what kind of problem it is."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                name = ""
            elif isinstance(key, int):  # a ListField's item, by its 0-based index
                name = str(key + 1)
            else:
                name = str(key)
            yield from flatten_errors(value, f"{field}.{name}" if field and name else field or name)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            for item in detail:
                yield field, item
        else:
            for position, value in enumerate(detail, start=1):
                if value:  # DRF leaves {} for the list's valid items
                    yield from flatten_errors(
                        value, f"{field}.{position}" if field else str(position)
                    )
    else:
        yield field, detail


def validation_body(detail) -> dict:
    pairs = list(flatten_errors(detail))
    if not pairs:
        pairs = [("", gettext("Invalid input."))]
    text = "; ".join(f"{field}: {message}" if field else message for field, message in pairs)
    first_field = next((field for field, _message in pairs if field), "")
    return error_body(
        text,
        code="invalid",
        field=first_field,
        errors=[
            {"field": field, "message": str(message), "code": getattr(message, "code", "invalid")}
            for field, message in pairs
        ],
    )


def api_exception_handler(exc, context):
    """settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]: DRF's handler, answering the one shape,
    plus a body over the limit (413) and too many form fields (400) as API errors."""
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(_content_length(context["request"]))
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = drf_exceptions.ParseError(str(exc))
    elif isinstance(exc, DomainError):
        exc = DomainRuleBroken(str(exc))
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        body = validation_body(exc.detail)
        body.update(getattr(exc, "extra", {}))
    else:
        detail = exc.detail if isinstance(exc, APIException) else response.data
        if isinstance(detail, dict | list):
            body = validation_body(detail)
        else:
            body = error_body(detail, code=getattr(detail, "code", None) or exc.default_code)
        body.update(getattr(exc, "extra", {}))
    response.data = body
    return response


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    500: "server_error",
}


class ApiErrorMiddleware:
    """Under /api/: a body larger than the limit is refused (413) before anything reads
    it, and an error answered outside DRF (an unknown URL, Django's own 400) becomes the
    one JSON shape. Other paths pass untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/"):
            return self.get_response(request)
        size = _content_length(request)
        if size > request_limit():
            return JsonResponse(
                error_body(too_large_message(size), code="too_large", limit=request_limit()),
                status=413,
            )
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return self._as_json(response)
        return response

    @staticmethod
    def _as_json(response):
        code = _STATUS_CODES.get(response.status_code, "error")
        messages = {
            400: gettext("Bad request."),
            404: gettext("Not found."),
            405: gettext("This method is not allowed here."),
            413: gettext("The request is too large."),
        }
        detail = messages.get(response.status_code) or response.reason_phrase
        replaced = JsonResponse(error_body(detail, code=code), status=response.status_code)
        for header in ("Allow", "WWW-Authenticate", "Retry-After"):
            if response.has_header(header):
                replaced[header] = response[header]
        return replaced


def validated(serializer_class, request, **context):
    serializer = serializer_class(data=request.data, context={"request": request, **context})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


AUTHENTICATION = [TokenAuthentication, SessionAuthentication]

INVALID = OpenApiResponse(
    description=_("Invalid input: field errors, or `detail` with the rule that was broken.")
)
FORBIDDEN = OpenApiResponse(ErrorSerializer, description=_("You may not do this."))
NOT_FOUND = OpenApiResponse(ErrorSerializer, description=_("No such object that you may see."))


class ApiViewSet(viewsets.GenericViewSet):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated]
    pagination_class = ApiPagination
    filter_backends = [StrictFilterBackend, SearchFilter, OrderingFilter]

    def output(self, instance, **kwargs):
        return self.get_serializer(instance, **kwargs).data


# --- me ----------------------------------------------------------------------------------


class MeView(APIView):
    """The signed-in user: roles, current memberships and the units they lead."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["me"], responses={200: MeSerializer})
    def get(self, request):
        user = request.user
        memberships = selectors_api.current_memberships_of(user)
        return Response(
            MeSerializer(
                user, context={"request": request, "current_memberships": memberships}
            ).data
        )


# --- units -------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(description=_("Units you may see (filters narrow, never widen).")),
    retrieve=extend_schema(responses={200: UnitSerializer, 404: NOT_FOUND}),
)
@extend_schema(tags=["units"])
class UnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    search_fields = ["name", "name_zh", "code"]
    ordering_fields = ["path", "code", "name", "kind", "depth"]
    ordering = ["path"]

    def get_queryset(self):
        return selectors_api.units_for_api(self.request.user)

    def _fresh(self, pk):
        return self.output(self.get_queryset().get(pk=pk))

    @extend_schema(
        request=UnitCreateSerializer,
        responses={201: UnitSerializer, 400: INVALID, 403: FORBIDDEN},
        description=_("Create a unit (sales management department and administrators)."),
    )
    def create(self, request):
        permissions.require(permissions.can_manage_organisation(request.user))
        data = validated(UnitCreateSerializer, request)
        with domain_errors():
            unit = services.unit_create(
                code=data["code"],
                name=data["name"],
                name_zh=data.get("name_zh", ""),
                kind=data["kind"],
                parent=data.get("parent"),
                acting_user=request.user,
            )
        return Response(self._fresh(unit.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=UnitUpdateSerializer,
        responses={200: UnitSerializer, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
        description=_("Change a unit; `parent` moves it with its subtree."),
    )
    def partial_update(self, request, pk=None):
        unit = permissions.unit_for_user(request.user, pk)
        permissions.require(permissions.can_manage_organisation(request.user))
        data = dict(validated(UnitUpdateSerializer, request))
        if "parent" not in data:
            data["parent"] = ...  # the service's "unchanged"
        with domain_errors():
            services.unit_update(unit=unit, acting_user=request.user, **data)
        return Response(self._fresh(unit.pk))


# --- people ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(description=_("People you may see, with roles and current memberships.")),
    retrieve=extend_schema(responses={200: PersonSerializer, 404: NOT_FOUND}),
)
@extend_schema(tags=["people"])
class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    search_fields = ["username", "first_name", "last_name", "email", "employee_no"]
    ordering_fields = ["username", "last_name", "first_name", "employee_no"]
    ordering = ["username"]

    def get_queryset(self):
        return selectors_api.people_for_api(self.request.user)


# --- memberships ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(description=_("Memberships you may see.")),
    retrieve=extend_schema(responses={200: MembershipSerializer, 404: NOT_FOUND}),
)
@extend_schema(tags=["memberships"])
class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    ordering_fields = ["start_date", "end_date", "kind"]
    ordering = ["user__username", "start_date", "pk"]

    def get_queryset(self):
        return selectors_api.memberships_for_api(self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": selectors_api.today()}

    @extend_schema(
        request=MembershipCreateSerializer,
        responses={201: MembershipSerializer, 400: INVALID, 403: FORBIDDEN},
        description=_(
            "Put a person in a unit from a date (sales management department and "
            "administrators). Overlapping memberships are refused with 400."
        ),
    )
    def create(self, request):
        permissions.require(permissions.can_manage_organisation(request.user))
        data = validated(MembershipCreateSerializer, request)
        with domain_errors():
            membership = services.membership_create(acting_user=request.user, **data)
        return Response(self.output(membership), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=MembershipEndSerializer,
        responses={200: MembershipSerializer, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
        description=_("End a membership on a date (inclusive); the row is kept as history."),
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        membership = permissions.membership_for_user(request.user, pk)
        permissions.require(permissions.can_manage_organisation(request.user))
        data = validated(MembershipEndSerializer, request)
        with domain_errors():
            membership = services.membership_end(
                membership=membership, end_date=data["end_date"], acting_user=request.user
            )
        return Response(self.output(membership))


# --- fiscal calendar -----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(description=_("Fiscal years, newest first.")),
    retrieve=extend_schema(responses={200: FiscalYearSerializer, 404: NOT_FOUND}),
)
@extend_schema(tags=["fiscal calendar"])
class FiscalYearViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = FiscalYearSerializer
    filter_backends = [OrderingFilter]
    ordering_fields = ["start_date", "name"]
    ordering = ["-start_date"]

    def get_queryset(self):
        return selectors_api.fiscal_years_for_api()

    @extend_schema(
        request=FiscalYearCreateSerializer,
        responses={201: FiscalYearSerializer, 400: INVALID, 403: FORBIDDEN},
        description=_(
            "Create a fiscal year with its quarters and months (sales management department)."
        ),
    )
    def create(self, request):
        permissions.require(permissions.can_manage_periods(request.user))
        data = validated(FiscalYearCreateSerializer, request)
        with domain_errors():
            fiscal_year = services.fiscal_year_create(
                start_year=data["start_year"],
                start_month=data["start_month"],
                acting_user=request.user,
            )
        return Response(self.output(fiscal_year), status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(description=_("Years, quarters and months of the fiscal calendar.")),
    retrieve=extend_schema(responses={200: PeriodSerializer, 404: NOT_FOUND}),
)
@extend_schema(tags=["fiscal calendar"])
class PeriodViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = PeriodSerializer
    filterset_class = PeriodFilter
    ordering_fields = ["start_date", "end_date", "kind", "status"]
    ordering = ["start_date", "-end_date", "pk"]

    def get_queryset(self):
        return selectors_api.periods_for_api()

    @extend_schema(
        request=None,
        responses={
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer,
                description=_(
                    "Always: a period is closed and reopened through the period close "
                    "(`/api/v1/period-closes/`), never here."
                ),
            ),
        },
        description=_(
            "Periods are closed and reopened only through the period close, which "
            "records the attainment snapshot, the appraisal figures and the notices: "
            "`POST /api/v1/period-closes/` closes an ended period and "
            "`POST /api/v1/period-closes/reopen/` reopens a closed one with a reason. "
            "This operation answers 409 with that pointer and changes nothing."
        ),
        deprecated=True,
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        get_object_or_404(self.get_queryset(), pk=pk)
        permissions.require(permissions.can_manage_periods(request.user))
        return error_response(
            _(
                "A period is closed and reopened through the period close: "
                "POST /api/v1/period-closes/ with the period to close it, "
                "POST /api/v1/period-closes/reopen/ with the period and a reason to "
                "reopen it. Nothing was changed."
            ),
            code="conflict",
            status_code=status.HTTP_409_CONFLICT,
        )


# --- token -----------------------------------------------------------------------------------


class TooManyAttempts(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("Too many failed sign-in attempts. Try again later.")
    default_code = "locked_out"


class ObtainTokenView(ObtainAuthToken):
    """Token endpoint for machine clients (ERP). Login throttling (django-axes) applies:
    once a username is locked out, even the right password gets no token (429)."""

    authentication_classes = ()

    @extend_schema(
        tags=["auth"],
        description=_(
            "Exchange a username and password for an API token; send it as "
            "`Authorization: Token <key>`. The same token is returned until it is revoked."
        ),
        responses={
            200: ObtainAuthToken.serializer_class,
            400: INVALID,
            429: OpenApiResponse(ErrorSerializer, description=_("Locked out after failures.")),
        },
    )
    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # django-axes flags the request it was given (this DRF request).
            if getattr(request, "axes_locked_out", False):
                raise TooManyAttempts from None
            raise


def register(router) -> None:
    router.register("units", UnitViewSet, basename="api-unit")
    router.register("people", PersonViewSet, basename="api-person")
    router.register("memberships", MembershipViewSet, basename="api-membership")
    router.register("fiscal-years", FiscalYearViewSet, basename="api-fiscal-year")
    router.register("periods", PeriodViewSet, basename="api-period")


# --- the schema: every operation documents the errors it may answer ---------------------------

_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _standard_errors() -> dict[str, str]:
    return {
        "400": gettext(
            "Invalid input: a field, a filter or a page that is not valid, or a rule that "
            "was broken (`detail`, `code`; `field` and `errors` name the fields)."
        ),
        "401": gettext("Not signed in: send `Authorization: Token <key>` or a session."),
        "403": gettext("You may not do this."),
        "404": gettext("No such object that you may see (or a page past the last one)."),
    }


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents 400, 401, 403 and 404
    (and 413 when it takes a body); every error response is the one `Error` shape."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    standard = _standard_errors()
    too_large = gettext("The request body is larger than the limit (`limit`, in bytes).")
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in standard.items():
                responses.setdefault(code, {"description": description})
            if "requestBody" in operation:
                responses.setdefault("413", {"description": too_large})
            for code, response in responses.items():
                if code[0] in "45":
                    response["content"] = error
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body:  # the API is JSON; forms are not part of it
                operation["requestBody"]["content"] = {"application/json": body["application/json"]}
    _drop_unused_components(result)
    for name, component in result.get("components", {}).get("schemas", {}).items():
        _tighten(component)
        if name in CLOSED_COMPONENTS:
            component["additionalProperties"] = False
    return result


# Request bodies that refuse any key they do not name (a malformed mark-read must not
# widen to "all").
CLOSED_COMPONENTS = {"MarkReadRequest"}

# drf-spectacular's pattern for a decimal string, `^-?\d{0,A}(?:\.\d{0,B})?$`, also
# matches "", "-" and ".", which are not numbers.
_DECIMAL = re.compile(r"^\^-\?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$$")


def _tighten(schema) -> None:
    """Say what the fields check: a decimal has a digit; a string that may not be blank has
    a character that is not a space (DRF strips spaces before it checks)."""
    if isinstance(schema, list):
        for item in schema:
            _tighten(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string":
        found = _DECIMAL.match(schema.get("pattern", ""))
        if found:
            whole, places = found.groups()
            schema["pattern"] = (
                rf"^-?(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"
            )
        elif schema.get("format") == "decimal" and "pattern" not in schema:
            schema["pattern"] = r"^-?(?:\d+(?:\.\d*)?|\.\d+)$"
        elif (
            schema.get("minLength", 0) >= 1
            and not {"pattern", "format", "enum"} & set(schema)
            and not schema.get("readOnly")
        ):
            schema["pattern"] = r"\S"
    for value in schema.values():
        if isinstance(value, dict | list):
            _tighten(value)


def _drop_unused_components(result) -> None:
    """The refusal shapes that the `Error` component replaced are no longer referenced."""
    schemas = result.get("components", {}).get("schemas", {})
    pattern = re.compile(r'"#/components/schemas/([^"]+)"')
    used: set[str] = set()
    pending = set(pattern.findall(json.dumps(result.get("paths", {}), default=str)))
    while pending:
        name = pending.pop()
        if name in used or name not in schemas:
            continue
        used.add(name)
        pending |= set(pattern.findall(json.dumps(schemas[name], default=str))) - used
    for name in list(schemas):
        if name not in used:
            del schemas[name]
