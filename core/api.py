"""The API kit every app's REST API is built with: pagination, strict filters, the one
error shape (its exception handler, its middleware and the schema hook that documents it),
input validation, authentication and the base viewset."""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import BooleanFilter, CharFilter, DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions as drf_exceptions
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import Conflict, DomainError
from core.serializers import ErrorSerializer
from core.spreadsheets import XLSX_CONTENT_TYPE
from core.uploads import human_size

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
    """A service refused the change (a `DomainError`): 400 (409 for a `Conflict`) with the
    error's message as `detail`, its code as `code`, the field at fault as `field` and
    `errors`, and its data beside them."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("This change breaks a rule.")
    default_code = "domain_error"

    def __init__(self, error: DomainError):
        super().__init__(error.message, code=error.code)
        if isinstance(error, Conflict):
            self.status_code = status.HTTP_409_CONFLICT
        extra = dict(error.data)
        if error.field:
            extra["field"] = error.field
            extra.setdefault("errors", [{"field": error.field, "message": error.message}])
        self.extra = extra


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
        exc = DomainRuleBroken(exc)
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


def validated(serializer_class, request, *, data=None, partial=False, **context):
    """The serializer's validated data for `data` (the request's body unless given), or
    a 400 naming the fields at fault; `context` joins the request in the serializer's."""
    serializer = serializer_class(
        data=request.data if data is None else data,
        partial=partial,
        context={"request": request, **context},
    )
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


AUTHENTICATION = [TokenAuthentication, SessionAuthentication]

INVALID = OpenApiResponse(
    description=_("Invalid input: field errors, or `detail` with the rule that was broken.")
)
FORBIDDEN = OpenApiResponse(ErrorSerializer, description=_("You may not do this."))
NOT_FOUND = OpenApiResponse(ErrorSerializer, description=_("No such object that you may see."))
# An export's responses: the file as CSV or XLSX, or the error.
FILE_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(
        OpenApiTypes.BINARY, description=_("CSV, UTF-8 with a byte order mark.")
    ),
    (200, XLSX_CONTENT_TYPE): OpenApiResponse(
        OpenApiTypes.BINARY, description=_("An XLSX workbook.")
    ),
    400: INVALID,
    403: FORBIDDEN,
}


def responses(ok, status_code: int = 200, *, invalid=True, forbidden=True, not_found=True):
    """An operation's documented responses: `ok` under `status_code`, then the errors it
    may answer (400 invalid input, 403 forbidden, 404 not found), in that order."""
    answers = {status_code: ok}
    if invalid:
        answers[400] = INVALID
    if forbidden:
        answers[403] = FORBIDDEN
    if not_found:
        answers[404] = NOT_FOUND
    return answers


def listed(tag: str, description):
    """A class decorator for a read viewset's schema: its tag, the list's description
    and, for a `ReadViewSet`, the one object's answer (its serializer, or 404)."""

    def document(viewset):
        operations = {"list": extend_schema(description=description)}
        if issubclass(viewset, ReadViewSet):
            operations["retrieve"] = extend_schema(
                responses={200: viewset.serializer_class, 404: NOT_FOUND}
            )
        return extend_schema_view(**operations)(extend_schema(tags=[tag])(viewset))

    return document


class ApiViewSet(viewsets.GenericViewSet):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated]
    pagination_class = ApiPagination
    filter_backends = [StrictFilterBackend, SearchFilter, OrderingFilter]

    def output(self, instance, **kwargs):
        return self.get_serializer(instance, **kwargs).data

    def fresh(self, pk):
        """The object as the API shows it, read again after a write."""
        return self.output(self.get_queryset().get(pk=pk))


# A list and one object by id; writes are the subclass's own actions.
class ReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    pass


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
