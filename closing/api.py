"""The period close part of the REST API under /api/v1/: `/period-closes/` lists the
runs, shows one with the progress of its steps, starts a close of a period, and
(`/period-closes/reopen/`) reopens a closed period with a reason.

Thin views, the same plumbing as `org.api`: `closing.permissions` decides (the
sales management department starts, reopens and reads; administrators read;
everyone else 403 on the list and 404 on a run; anonymous 401),
`closing.selectors` reads, `closing.services` writes (a broken rule answers 400 with
its message; a close of the period already running answers 409 with who started it
and when, and the id of that run).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_celery_beat.models import PeriodicTask
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from closing import permissions, selectors, services
from closing.models import CloseRun
from closing.serializers import (
    CloseBusySerializer,
    CloseReopenSerializer,
    CloseRunDetailSerializer,
    CloseRunSerializer,
    CloseStartSerializer,
    ScheduleChangeSerializer,
    ScheduledJobSerializer,
)
from core.api import (
    FORBIDDEN,
    INVALID,
    ApiViewSet,
    responses,
    validated,
)
from core.filters import IdFilter
from core.permissions import require
from org.models import Period
from org.serializers import PeriodSerializer

BUSY = OpenApiResponse(
    CloseBusySerializer,
    description=_("A close of this period is already running: it is not started twice."),
)


class CloseRunFilter(filters.FilterSet):
    period = IdFilter(field_name="period_id", label=_("period id"))
    status = filters.ChoiceFilter(choices=CloseRun.Status.choices, label=_("status"))

    class Meta:
        model = CloseRun
        fields = ["period", "status"]


@extend_schema(tags=["period close"])
class PeriodCloseViewSet(ApiViewSet):
    serializer_class = CloseRunSerializer
    filterset_class = CloseRunFilter
    search_fields: list[str] = []
    ordering_fields = ["created_at", "finished_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return CloseRun.objects.none()
        runs = selectors.run_history()
        return runs if permissions.can_read_runs(self.request.user) else runs.none()

    def _detail(self, run: CloseRun):
        run.progress = selectors.run_progress(run=run)
        return CloseRunDetailSerializer(run, context=self.get_serializer_context()).data

    @extend_schema(
        responses=responses(CloseRunSerializer(many=True), invalid=False, not_found=False),
        description=_(
            "The runs of the period close, newest first, with who started them, their "
            "result, duration and percent done (sales management department and "
            "administrators)."
        ),
    )
    def list(self, request):
        require(permissions.can_read_runs(request.user))
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = self.get_serializer(selectors.with_progress(page), many=True).data
        return self.get_paginated_response(data)

    @extend_schema(
        responses=responses(CloseRunDetailSerializer, invalid=False, forbidden=False),
        description=_(
            "One run with the progress of each step (done of total, percent, error): poll "
            "it to follow a close."
        ),
    )
    def retrieve(self, request, pk=None):
        return Response(self._detail(permissions.run_for_user(request.user, pk)))

    @extend_schema(
        request=CloseStartSerializer,
        responses={
            201: OpenApiResponse(
                CloseRunDetailSerializer,
                description=_("The close ran to its end already (tasks run in-process)."),
            ),
            202: OpenApiResponse(
                CloseRunDetailSerializer,
                description=_("The close is queued or running on a worker: poll the run."),
            ),
            400: INVALID,
            403: FORBIDDEN,
            409: BUSY,
        },
        description=_(
            "Close an ended period (sales management department): freeze its sales "
            "records, record every attainment, compute the appraisal figures, tell each "
            "salesperson, mark it closed. Closing a closed period again recomputes it; a "
            "close that failed is started again the same way."
        ),
    )
    def create(self, request):
        require(permissions.can_run_closes(request.user))
        data = validated(CloseStartSerializer, request)
        period = data["period"]
        run = services.close_start(period=period, acting_user=request.user)
        run = permissions.run_for_user(request.user, run.pk)
        code = status.HTTP_202_ACCEPTED if run.is_active else status.HTTP_201_CREATED
        return Response(self._detail(run), status=code)

    @extend_schema(
        request=CloseReopenSerializer,
        responses={200: PeriodSerializer, 400: INVALID, 403: FORBIDDEN, 409: BUSY},
        description=_(
            "Reopen a closed period with a reason (sales management department): it and "
            "the closed periods within it become open again; the reason is kept. The next "
            "close recomputes its results and tells each salesperson again."
        ),
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def reopen(self, request):
        require(permissions.can_run_closes(request.user))
        data = validated(CloseReopenSerializer, request)
        services.close_reopen(
            period=data["period"], reason=data["reason"], acting_user=request.user
        )
        period = Period.objects.select_related("fiscal_year").get(pk=data["period"].pk)
        return Response(PeriodSerializer(period, context=self.get_serializer_context()).data)


@extend_schema(tags=["period close"])
class ScheduleViewSet(ApiViewSet):
    """The scheduled jobs (django-celery-beat's table): read by the department and
    administrators, enabled, disabled and timed by the department."""

    serializer_class = ScheduledJobSerializer
    pagination_class = None
    filter_backends = []
    queryset = PeriodicTask.objects.none()  # for the schema: the id is a periodic task's

    @extend_schema(
        responses=responses(ScheduledJobSerializer(many=True), invalid=False, not_found=False),
        description=_(
            "Each scheduled job: what it does, its schedule, when it runs next and when it "
            "last ran, with its result."
        ),
    )
    def list(self, request):
        require(permissions.can_read_runs(request.user))
        return Response(self.get_serializer(selectors.scheduled_jobs(), many=True).data)

    @extend_schema(
        request=ScheduleChangeSerializer,
        responses=responses(ScheduledJobSerializer),
        description=_(
            "Enable or disable a job and set its time of day (sales management department); "
            "the change is recorded."
        ),
    )
    def partial_update(self, request, pk=None):
        require(permissions.can_read_runs(request.user))
        job = selectors.job_for_change(pk)
        require(permissions.can_run_closes(request.user))
        data = validated(ScheduleChangeSerializer, request)
        services.schedule_change(
            job=job,
            enabled=data["enabled"],
            hour=data["time"].hour,
            minute=data["time"].minute,
            acting_user=request.user,
        )
        fresh = next(j for j in selectors.scheduled_jobs() if j.task.pk == job.pk)
        return Response(self.get_serializer(fresh).data)


def register(router) -> None:
    router.register("period-closes", PeriodCloseViewSet, basename="api-period-close")
    router.register("schedule", ScheduleViewSet, basename="api-schedule")
