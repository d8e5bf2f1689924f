"""The appraisal cycles part of the REST API under /api/v1/: cycles (open, compute the
figures, finalise, release, calibration) and appraisals (the explained working, the
self-assessment, the supervisor's rating, peer ratings, calibration adjustments,
acknowledgement, appeal and its resolution).

Thin views, the same plumbing as `org.api` and `appraisal.template.api`:
`appraisal.cycles.permissions` decides who sees and does what,
`appraisal.cycles.selectors` reads (the working filtered to what the reader may see),
`appraisal.cycles.services` writes (a broken rule, `DomainError`, answers 400 with its
message, which names the person, the dimension or the field, and writes nothing).

Access, in words:
- the department sees every cycle and appraisal and is the only one to open cycles,
  compute figures, adjust scores, finalise, release and resolve appeals;
- HR reads the cycles with finalised appraisals and the finalised appraisals;
- a supervisor reads the cycles and appraisals of the units they lead (and below),
  rates them (never their own) until the rating is submitted, and reads their own;
- a salesperson reads their own appraisal (the supervisor's ratings and the result
  once released), self-assesses, acknowledges or appeals it, and rates teammates
  on the peer-rated dimensions (without seeing their appraisal);
- a hidden cycle or appraisal answers 404 (the same as a missing one), a visible one
  with a forbidden action 403, anonymous requests 401.
"""

from __future__ import annotations

from django.db.models import Subquery
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from appraisal.cycles import permissions, selectors, services
from appraisal.cycles.serializers import (
    AppealWriteSerializer,
    AppraisalDetailSerializer,
    AppraisalSerializer,
    CalibrationSerializer,
    ComputeResultSerializer,
    CycleCreateSerializer,
    CycleDetailSerializer,
    CycleSerializer,
    FinaliseResultSerializer,
    PeerRatingFormSerializer,
    PeerRatingWriteSerializer,
    RatingWriteSerializer,
    ReleaseResultSerializer,
    ResolveWriteSerializer,
    ScoreAdjustInputSerializer,
    TasksSerializer,
)
from appraisal.models import Appraisal, Cycle
from core.api import (
    ApiViewSet,
    listed,
    responses,
    validated,
)
from core.filters import IdFilter
from core.permissions import require
from org.models import OrgUnit

# --- cycles ------------------------------------------------------------------------------------


class CycleFilter(filters.FilterSet):
    period = IdFilter(field_name="period_id", label=_("period id"))
    template = IdFilter(field_name="template_id", label=_("template id"))

    class Meta:
        model = Cycle
        fields = ["period", "template"]


@listed(
    "appraisal cycles",
    _(
        "The appraisal cycles you may see: every one for the sales management "
        "department, those with a finalised appraisal for HR, those with appraisals "
        "in the units you lead for supervisors."
    ),
)
class CycleViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = CycleSerializer
    filterset_class = CycleFilter
    search_fields = ["template__code", "template__name", "template__name_zh"]
    ordering_fields = ["period__start_date", "opened_at"]
    ordering = ["-period__start_date", "template__code", "pk"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Cycle.objects.none()
        return (
            permissions.visible_cycles(self.request.user)
            .select_related("template", "period__fiscal_year", "opened_by")
            .prefetch_related("units")
        )

    def _cycle(self, pk) -> Cycle:
        return permissions.cycle_for_user(self.request.user, pk)

    def _managed(self, pk) -> Cycle:
        cycle = self._cycle(pk)
        require(permissions.can_manage(self.request.user))
        return cycle

    def _detail(self, pk):
        cycle = permissions.cycle_for_user(self.request.user, pk)
        overview = selectors.cycle_overview(cycle=cycle, user=self.request.user)
        return CycleDetailSerializer(overview, context=self.get_serializer_context()).data

    @extend_schema(
        responses=responses(CycleDetailSerializer, invalid=False, forbidden=False),
        description=_(
            "One cycle with the appraisals you may see: the number in each status, and "
            "for each its person, team, status, rater and (where you may see the ratings) "
            "its provisional or final score and grade."
        ),
    )
    def retrieve(self, request, pk=None):
        return Response(self._detail(pk))

    @extend_schema(
        request=CycleCreateSerializer,
        responses=responses(CycleDetailSerializer, 201, not_found=False),
        description=_(
            "Open a cycle (sales management department): one appraisal per salesperson of "
            "the population with the published template version in force for the period. "
            "The people are told; the figures are computed once it is opened."
        ),
    )
    def create(self, request):
        require(permissions.can_run_cycles(request.user))
        data = validated(CycleCreateSerializer, request)
        cycle = services.cycle_open(
            template=data["template"],
            period=data["period"],
            units=data.get("units"),
            acting_user=request.user,
        )
        return Response(self._detail(cycle.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses=responses(ComputeResultSerializer, invalid=False),
        description=_(
            "Compute again the attainment and satisfaction figures and scores of the "
            "appraisals not finalised yet (sales management department)."
        ),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def compute(self, request, pk=None):
        cycle = self._cycle(pk)
        require(permissions.can_run_cycles(request.user))
        count = services.cycle_compute(cycle_id=cycle.pk)
        return Response(ComputeResultSerializer({"computed": count}).data)

    @extend_schema(
        request=None,
        responses=responses(FinaliseResultSerializer),
        description=_(
            "Finalise every rated appraisal of the cycle with a score for each dimension, "
            "once the period has ended; `problems` says why the others were not."
        ),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def finalise(self, request, pk=None):
        cycle = self._managed(pk)
        count, problems = services.cycle_finalise(cycle=cycle, acting_user=request.user)
        return Response(FinaliseResultSerializer({"finalised": count, "problems": problems}).data)

    @extend_schema(
        request=None,
        responses=responses(ReleaseResultSerializer),
        description=_(
            "Release the finalised appraisals to the people appraised; each is told and "
            "the appeal window starts."
        ),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def release(self, request, pk=None):
        cycle = self._managed(pk)
        count = services.cycle_release(cycle=cycle, acting_user=request.user)
        return Response(ReleaseResultSerializer({"released": count}).data)

    @extend_schema(
        request=None,
        responses=responses(CalibrationSerializer, invalid=False),
        description=_(
            "Calibration (sales management department): the distribution of the scores "
            "and grades per supervisor and per unit against the whole, the outliers "
            "flagged, and the appraisals with their adjustments."
        ),
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def calibration(self, request, pk=None):
        cycle = self._managed(pk)
        data = selectors.calibration(cycle=cycle)
        return Response(CalibrationSerializer(data, context=self.get_serializer_context()).data)


# --- appraisals --------------------------------------------------------------------------------


class AppraisalFilter(filters.FilterSet):
    cycle = IdFilter(field_name="cycle_id", label=_("cycle id"))
    period = IdFilter(field_name="cycle__period_id", label=_("period id"))
    status = filters.ChoiceFilter(choices=Appraisal.Status.choices, label=_("status"))
    unit = IdFilter(
        method="filter_unit", label=_("the team with this id, or any team below the unit")
    )
    person = IdFilter(field_name="person_id", label=_("person id"))

    class Meta:
        model = Appraisal
        fields = ["cycle", "period", "status", "unit", "person"]

    def filter_unit(self, queryset, name, value: int):
        # One subquery, no extra round trip; an unknown id yields NULL, so nothing.
        root_path = OrgUnit.objects.filter(pk=value).values("path")[:1]
        return queryset.filter(unit__path__startswith=Subquery(root_path))


@listed(
    "appraisals",
    _(
        "The appraisals you may see: every one for the sales management department, "
        "the finalised ones for HR, those of the units you lead (and your own) for "
        "supervisors, your own for salespeople. `score` and `grade` are the latest "
        "result's, shown where you may see the ratings."
    ),
)
class AppraisalViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = AppraisalSerializer
    filterset_class = AppraisalFilter
    search_fields = ["person__username", "person__first_name", "person__last_name"]
    ordering_fields = ["person__username", "status", "cycle__period__start_date"]
    ordering = ["-cycle__period__start_date", "person__username", "pk"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Appraisal.objects.none()
        return selectors.appraisals_for_api(self.request.user)

    def _appraisal(self, pk) -> Appraisal:
        return permissions.appraisal_for_user(self.request.user, pk)

    def _view(self, pk):
        appraisal = permissions.appraisal_for_user(self.request.user, pk)
        view = selectors.appraisal_view(appraisal=appraisal, user=self.request.user)
        return AppraisalDetailSerializer(view, context=self.get_serializer_context()).data

    @extend_schema(
        responses=responses(AppraisalDetailSerializer, invalid=False, forbidden=False),
        description=_(
            "One appraisal with its explained working as far as you may see it: for "
            "each dimension the value, target, curve or scale, score, weight and "
            "contribution, and the grade. The person sees the supervisor's ratings, the "
            "total and the grade once released; peers' ratings only as an average."
        ),
    )
    def retrieve(self, request, pk=None):
        return Response(self._view(pk))

    @extend_schema(
        request=None,
        responses={200: TasksSerializer},
        description=_(
            "What you have to rate: the appraisals you rate as supervisor and have not "
            "submitted, and your teammates' appraisals you may rate as a peer."
        ),
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="to-rate",
        filter_backends=[],
        pagination_class=None,
    )
    def to_rate(self, request):
        tasks = {
            "rating": selectors.rating_tasks(request.user),
            "peers": selectors.peer_tasks(request.user),
        }
        return Response(TasksSerializer(tasks, context=self.get_serializer_context()).data)

    @extend_schema(
        request=RatingWriteSerializer,
        responses=responses(AppraisalDetailSerializer),
        description=_(
            "Your self-assessment, while it is open: a level (and a comment) for each "
            "dimension you rate yourself on; `submit: true` hands it to your supervisor."
        ),
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="self-assessment",
        filter_backends=[],
        pagination_class=None,
    )
    def self_assessment(self, request, pk=None):
        appraisal = self._appraisal(pk)
        require(permissions.can_self_assess(request.user, appraisal))
        data = validated(RatingWriteSerializer, request)
        services.self_assessment_save(
            appraisal=appraisal,
            entries=data["entries"],
            submit=data["submit"],
            acting_user=request.user,
        )
        return Response(self._view(appraisal.pk))

    @extend_schema(
        request=RatingWriteSerializer,
        responses=responses(AppraisalDetailSerializer),
        description=_(
            "The supervisor's rating of the rated dimensions (a supervisor of the team or "
            "above, never of their own appraisal): the top and bottom levels need a "
            "comment; `submit: true` sends it and closes the self-assessment."
        ),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def rating(self, request, pk=None):
        appraisal = self._appraisal(pk)
        require(permissions.can_rate(request.user, appraisal))
        data = validated(RatingWriteSerializer, request)
        services.rating_save(
            appraisal=appraisal,
            entries=data["entries"],
            submit=data["submit"],
            acting_user=request.user,
        )
        return Response(self._view(appraisal.pk))

    def _peer_form(self, appraisal):
        mine = selectors.peer_ratings_by(appraisal=appraisal, rater=self.request.user)
        form = {
            "appraisal": appraisal.pk,
            "person": appraisal.person,
            "dimensions": permissions.peer_dimensions(appraisal),
            "entries": [
                {"dimension": pk, "level": level, "comment": comment}
                for pk, (level, comment) in sorted(mine.items())
            ],
        }
        return PeerRatingFormSerializer(form, context=self.get_serializer_context()).data

    @extend_schema(
        methods=["GET"],
        request=None,
        responses=responses(PeerRatingFormSerializer, invalid=False),
        description=_(
            "As a teammate: the dimensions you rate (with the levels of their scale) and "
            "your ratings so far. You do not see the appraisal itself."
        ),
    )
    @extend_schema(
        methods=["POST"],
        request=PeerRatingWriteSerializer,
        responses=responses(PeerRatingFormSerializer),
        description=_(
            "As a teammate: your levels (and optional comments) on the peer-rated "
            "dimensions, until the supervisor submits the rating; an empty level removes "
            "your earlier rating. The person sees only the average."
        ),
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="peer-rating",
        filter_backends=[],
        pagination_class=None,
    )
    def peer_rating(self, request, pk=None):
        appraisal = permissions.peer_appraisal_for_user(request.user, pk)
        require(permissions.can_peer_rate(request.user, appraisal))
        if request.method == "POST":
            data = validated(PeerRatingWriteSerializer, request)
            services.peer_rating_save(
                appraisal=appraisal, entries=data["entries"], acting_user=request.user
            )
        return Response(self._peer_form(appraisal))

    @extend_schema(
        request=ScoreAdjustInputSerializer,
        responses=responses(AppraisalDetailSerializer),
        description=_(
            "Calibration (sales management department): change one dimension's score of a "
            "rated appraisal, with the reason (recorded)."
        ),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def adjust(self, request, pk=None):
        appraisal = self._appraisal(pk)
        require(permissions.can_manage(request.user))
        data = validated(ScoreAdjustInputSerializer, request)
        services.score_adjust(
            appraisal=appraisal,
            dimension_id=data["dimension"],
            new_score=data["score"],
            reason=data["reason"],
            acting_user=request.user,
        )
        return Response(self._view(appraisal.pk))

    @extend_schema(
        request=None,
        responses=responses(AppraisalDetailSerializer),
        description=_("Acknowledge your released result."),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def acknowledge(self, request, pk=None):
        appraisal = self._appraisal(pk)
        require(permissions.is_own(request.user, appraisal))
        services.appraisal_acknowledge(appraisal=appraisal, acting_user=request.user)
        return Response(self._view(appraisal.pk))

    @extend_schema(
        request=AppealWriteSerializer,
        responses=responses(AppraisalDetailSerializer),
        description=_(
            "Appeal your released result, with your reasons, within the appeal window "
            "(`appeal_deadline`); the sales management department is told."
        ),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def appeal(self, request, pk=None):
        appraisal = self._appraisal(pk)
        require(permissions.is_own(request.user, appraisal))
        data = validated(AppealWriteSerializer, request)
        services.appraisal_appeal(
            appraisal=appraisal, reason=data["reason"], acting_user=request.user
        )
        return Response(self._view(appraisal.pk))

    @extend_schema(
        request=ResolveWriteSerializer,
        responses=responses(AppraisalDetailSerializer),
        description=_(
            "Resolve an appeal (sales management department): `upheld` with the reason, "
            "or `changed` with the new dimension scores and the reason, which records the "
            "next version of the result (the earlier ones stay). The person is told."
        ),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def resolve(self, request, pk=None):
        appraisal = self._appraisal(pk)
        require(permissions.can_manage(request.user))
        data = validated(ResolveWriteSerializer, request)
        services.appeal_resolve(
            appraisal=appraisal,
            outcome=data["outcome"],
            reason=data["reason"],
            changes=data["changes"],
            acting_user=request.user,
        )
        return Response(self._view(appraisal.pk))


def register(router) -> None:
    router.register("appraisal-cycles", CycleViewSet, basename="api-appraisal-cycle")
    router.register("appraisals", AppraisalViewSet, basename="api-appraisal")
