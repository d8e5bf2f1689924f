"""The organisation part of the REST API under /api/v1/.

Thin views: `org.permissions` decides who sees and does what (a hidden object
answers 404, a visible one with a forbidden action 403), `org.selectors`
reads, `org.services` writes (a broken rule, `DomainError`, answers 400 with
its message), and every endpoint has explicit input and output serializers.

Anonymous requests answer 401: token authentication is tried first so DRF can
send a `WWW-Authenticate: Token` challenge.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import (
    AUTHENTICATION,
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    ReadViewSet,
    error_response,
    listed,
    responses,
    validated,
)
from core.permissions import require
from core.serializers import ErrorSerializer
from org import permissions, selectors, services
from org.filters import MembershipFilter, PeriodFilter, PersonFilter, UnitFilter
from org.serializers import (
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

# --- me ----------------------------------------------------------------------------------


class MeView(APIView):
    """The signed-in user: roles, current memberships and the units they lead."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["me"], responses={200: MeSerializer})
    def get(self, request):
        user = request.user
        memberships = selectors.current_memberships_of(user)
        return Response(
            MeSerializer(
                user, context={"request": request, "current_memberships": memberships}
            ).data
        )


# --- units -------------------------------------------------------------------------------


@listed("units", _("Units you may see (filters narrow, never widen)."))
class UnitViewSet(ReadViewSet):
    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    search_fields = ["name", "name_zh", "code"]
    ordering_fields = ["path", "code", "name", "kind", "depth"]
    ordering = ["path"]

    def get_queryset(self):
        return selectors.units_for_api(self.request.user)

    @extend_schema(
        request=UnitCreateSerializer,
        responses=responses(UnitSerializer, 201, not_found=False),
        description=_("Create a unit (sales management department and administrators)."),
    )
    def create(self, request):
        require(permissions.can_manage_organisation(request.user))
        data = validated(UnitCreateSerializer, request)
        unit = services.unit_create(
            code=data["code"],
            name=data["name"],
            name_zh=data.get("name_zh", ""),
            kind=data["kind"],
            parent=data.get("parent"),
            acting_user=request.user,
        )
        return Response(self.fresh(unit.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=UnitUpdateSerializer,
        responses=responses(UnitSerializer),
        description=_("Change a unit; `parent` moves it with its subtree."),
    )
    def partial_update(self, request, pk=None):
        unit = permissions.unit_for_user(request.user, pk)
        require(permissions.can_manage_organisation(request.user))
        data = dict(validated(UnitUpdateSerializer, request))
        if "parent" not in data:
            data["parent"] = ...  # the service's "unchanged"
        services.unit_update(unit=unit, acting_user=request.user, **data)
        return Response(self.fresh(unit.pk))


# --- people ------------------------------------------------------------------------------


@listed("people", _("People you may see, with roles and current memberships."))
class PersonViewSet(ReadViewSet):
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    search_fields = ["username", "first_name", "last_name", "email", "employee_no"]
    ordering_fields = ["username", "last_name", "first_name", "employee_no"]
    ordering = ["username"]

    def get_queryset(self):
        return selectors.people_for_api(self.request.user)


# --- memberships ---------------------------------------------------------------------------


@listed("memberships", _("Memberships you may see."))
class MembershipViewSet(ReadViewSet):
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    ordering_fields = ["start_date", "end_date", "kind"]
    ordering = ["user__username", "start_date", "pk"]

    def get_queryset(self):
        return selectors.memberships_for_api(self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": selectors.today()}

    @extend_schema(
        request=MembershipCreateSerializer,
        responses=responses(MembershipSerializer, 201, not_found=False),
        description=_(
            "Put a person in a unit from a date (sales management department and "
            "administrators). Overlapping memberships are refused with 400."
        ),
    )
    def create(self, request):
        require(permissions.can_manage_organisation(request.user))
        data = validated(MembershipCreateSerializer, request)
        membership = services.membership_create(acting_user=request.user, **data)
        return Response(self.output(membership), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=MembershipEndSerializer,
        responses=responses(MembershipSerializer),
        description=_("End a membership on a date (inclusive); the row is kept as history."),
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        membership = permissions.membership_for_user(request.user, pk)
        require(permissions.can_manage_organisation(request.user))
        data = validated(MembershipEndSerializer, request)
        membership = services.membership_end(
            membership=membership, end_date=data["end_date"], acting_user=request.user
        )
        return Response(self.output(membership))


# --- fiscal calendar -----------------------------------------------------------------------


@listed("fiscal calendar", _("Fiscal years, newest first."))
class FiscalYearViewSet(ReadViewSet):
    serializer_class = FiscalYearSerializer
    filter_backends = [OrderingFilter]
    ordering_fields = ["start_date", "name"]
    ordering = ["-start_date"]

    def get_queryset(self):
        return selectors.fiscal_years_for_api()

    @extend_schema(
        request=FiscalYearCreateSerializer,
        responses=responses(FiscalYearSerializer, 201, not_found=False),
        description=_(
            "Create a fiscal year with its quarters and months (sales management department)."
        ),
    )
    def create(self, request):
        require(permissions.can_manage_periods(request.user))
        data = validated(FiscalYearCreateSerializer, request)
        fiscal_year = services.fiscal_year_create(
            start_year=data["start_year"],
            start_month=data["start_month"],
            acting_user=request.user,
        )
        return Response(self.output(fiscal_year), status=status.HTTP_201_CREATED)


@listed("fiscal calendar", _("Years, quarters and months of the fiscal calendar."))
class PeriodViewSet(ReadViewSet):
    serializer_class = PeriodSerializer
    filterset_class = PeriodFilter
    ordering_fields = ["start_date", "end_date", "kind", "status"]
    ordering = ["start_date", "-end_date", "pk"]

    def get_queryset(self):
        return selectors.periods_for_api()

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
        require(permissions.can_manage_periods(request.user))
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
