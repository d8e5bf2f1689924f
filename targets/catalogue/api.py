"""The catalogue API (/api/v1/metrics/, /seasonality-profiles/, /tolerance/): thin,
through the catalogue's services and selectors; the department writes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import (
    AUTHENTICATION,
    ReadViewSet,
    listed,
    responses,
    validated,
)
from core.permissions import require
from targets import permissions
from targets.catalogue import selectors as catalogue_selectors
from targets.catalogue import services as catalogue_services
from targets.catalogue.filters import MetricFilter
from targets.catalogue.serializers import (
    MetricSerializer,
    MetricWriteSerializer,
    SeasonalityProfileSerializer,
    SeasonalityProfileWriteSerializer,
    ToleranceSerializer,
    ToleranceWriteSerializer,
)
from targets.models import Metric, SeasonalityProfile


@listed("metrics", _("The metrics catalogue (every signed-in user)."))
class MetricViewSet(ReadViewSet):
    serializer_class = MetricSerializer
    filterset_class = MetricFilter
    search_fields = ["code", "name", "name_zh"]
    ordering_fields = ["position", "code", "name"]
    ordering = ["position", "code"]

    def get_queryset(self):
        return Metric.objects.all()

    @extend_schema(
        request=MetricWriteSerializer,
        responses=responses(MetricSerializer, 201, not_found=False),
        description=_("Add a metric (sales management department)."),
    )
    def create(self, request):
        require(permissions.can_manage_targets(request.user))
        data = validated(MetricWriteSerializer, request)
        metric = catalogue_services.metric_save(acting_user=request.user, **data)
        return Response(self.output(metric), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=MetricWriteSerializer(partial=True),
        responses=responses(MetricSerializer),
        description=_("Change a metric (sales management department)."),
    )
    def partial_update(self, request, pk=None):
        metric = get_object_or_404(self.get_queryset(), pk=pk)
        require(permissions.can_manage_targets(request.user))
        data = validated(MetricWriteSerializer, request, partial=True)
        metric = catalogue_services.metric_save(metric=metric, acting_user=request.user, **data)
        return Response(self.output(metric))


@listed("seasonality profiles", _("Seasonality profiles (every signed-in user)."))
class SeasonalityProfileViewSet(ReadViewSet):
    serializer_class = SeasonalityProfileSerializer
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["name"]
    ordering_fields = ["name", "method"]
    ordering = ["name"]

    def get_queryset(self):
        return SeasonalityProfile.objects.all()

    @extend_schema(
        request=SeasonalityProfileWriteSerializer,
        responses=responses(SeasonalityProfileSerializer, 201, not_found=False),
        description=_(
            "Add a profile (sales management department). Custom weights that do not add "
            "up to 100 % are refused with 400."
        ),
    )
    def create(self, request):
        require(permissions.can_manage_targets(request.user))
        data = validated(SeasonalityProfileWriteSerializer, request)
        profile = catalogue_services.seasonality_save(
            name=data["name"],
            method=data["method"],
            weights=data.get("weights"),
            acting_user=request.user,
        )
        return Response(self.output(profile), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=SeasonalityProfileWriteSerializer(partial=True),
        responses=responses(SeasonalityProfileSerializer),
        description=_("Change a profile (sales management department)."),
    )
    def partial_update(self, request, pk=None):
        profile = get_object_or_404(self.get_queryset(), pk=pk)
        require(permissions.can_manage_targets(request.user))
        data = validated(SeasonalityProfileWriteSerializer, request, partial=True)
        profile = catalogue_services.seasonality_save(
            profile=profile,
            name=data.get("name", profile.name),
            method=data.get("method", profile.method),
            weights=data.get("weights", profile.weight_values),
            acting_user=request.user,
        )
        return Response(self.output(profile))


class ToleranceView(APIView):
    """The cascade's tolerance band: read by everyone signed in, set by the department
    (a new version, kept with its reason)."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated]

    def _state(self):
        history = catalogue_selectors.tolerance_history()
        low, high = catalogue_selectors.tolerance()
        return ToleranceSerializer(
            {
                "min_pct": low,
                "max_pct": high,
                "source": "set" if history else "settings",
                "history": history,
            }
        ).data

    @extend_schema(
        tags=["targets"],
        responses={200: ToleranceSerializer},
        description=_("The tolerance band in force and its versions, newest first."),
    )
    def get(self, request):
        return Response(self._state())

    @extend_schema(
        tags=["targets"],
        request=ToleranceWriteSerializer,
        responses=responses(ToleranceSerializer, 201, not_found=False),
        description=_(
            "Set a new tolerance band (sales management department), in force from now "
            "for allocations and publications."
        ),
    )
    def post(self, request):
        require(permissions.can_manage_targets(request.user))
        data = validated(ToleranceWriteSerializer, request)
        catalogue_services.tolerance_set(acting_user=request.user, **data)
        return Response(self._state(), status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("metrics", MetricViewSet, basename="api-metric")
    router.register(
        "seasonality-profiles", SeasonalityProfileViewSet, basename="api-seasonality-profile"
    )
