"""The notifications part of the REST API under /api/v1/: the signed-in user's own
in-app notifications, and marking them read. Nobody sees anyone else's."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from core.api import (
    ApiViewSet,
    StrictFilterBackend,
    responses,
)
from notifications import selectors, services
from notifications.models import Notification
from notifications.serializers import (
    MarkedReadSerializer,
    MarkReadSerializer,
    NotificationSerializer,
)


class NotificationFilter(filters.FilterSet):
    unread = filters.BooleanFilter(
        field_name="read_at",
        lookup_expr="isnull",
        label=_("true: only unread ones; false: only read ones"),
    )

    class Meta:
        model = Notification
        fields = ["unread"]


@extend_schema_view(
    list=extend_schema(description=_("Your notifications, newest first (nobody else's)."))
)
@extend_schema(tags=["notifications"])
class NotificationViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    filter_backends = [StrictFilterBackend, OrderingFilter]
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Notification.objects.none()
        return selectors.notifications_for(user=self.request.user)

    @extend_schema(
        request=MarkReadSerializer,
        responses=responses(MarkedReadSerializer, forbidden=False, not_found=False),
        description=_(
            "Mark your notifications as read: the ones given in `ids` (others' ids are "
            "ignored), or all unread ones."
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="mark-read",
        filter_backends=[],
        pagination_class=None,
    )
    def mark_read(self, request):
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = services.notifications_mark_read(
            user=request.user, ids=serializer.validated_data.get("ids")
        )
        return Response({"count": count})


def register(router) -> None:
    router.register("notifications", NotificationViewSet, basename="api-notification")
