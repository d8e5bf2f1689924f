"""The appraisal part of the REST API under /api/v1/: appraisal templates (drafts,
dimensions, grades, publication, new versions).

Thin views, the same plumbing as `org.api`: `appraisal.template.permissions` decides who sees
and does what, `appraisal.template.services` writes (a broken rule, `DomainError`, answers
400 with its message, which names the field or the dimension, and writes nothing),
explicit input and output serializers.

Access, in words:
- the department sees every version, drafts included, and is the only one to
  change them; HR reads the published versions; a salesperson the published
  versions covering their team; a supervisor those covering the units they lead;
- a hidden template or dimension answers 404 (the same as a missing one);
- a visible one with a forbidden action answers 403;
- a change of a published version answers 400 with the service's message (make a
  new version);
- anonymous requests answer 401.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from appraisal.models import AppraisalTemplate, Dimension
from appraisal.template import permissions, selectors, services
from appraisal.template.serializers import (
    AppraisalTemplateCreateSerializer,
    AppraisalTemplateSerializer,
    AppraisalTemplateWriteSerializer,
    DimensionCreateSerializer,
    DimensionSerializer,
    DimensionWriteSerializer,
    GradesWriteSerializer,
)
from core.api import (
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    ReadViewSet,
    listed,
    responses,
    validated,
)
from core.permissions import require


def _partial(serializer_class, request):
    serializer = serializer_class(data=request.data, partial=True, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- templates -------------------------------------------------------------------------------


@listed(
    "appraisal templates",
    _(
        "The appraisal templates you may see, with their dimensions and grades: every "
        "version for the sales management department, the published ones covering you "
        "(or your units) for salespeople and supervisors, the published ones for HR."
    ),
)
class AppraisalTemplateViewSet(ReadViewSet):
    serializer_class = AppraisalTemplateSerializer
    filterset_fields = ["code", "status", "period_kind"]
    search_fields = ["code", "name", "name_zh"]
    ordering_fields = ["code", "version", "applies_from__start_date"]
    ordering = ["code", "-version"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AppraisalTemplate.objects.none()
        return selectors.with_parts(permissions.visible_templates(self.request.user))

    def _managed(self, pk) -> AppraisalTemplate:
        template = permissions.template_for_user(self.request.user, pk)
        require(permissions.can_manage_templates(self.request.user))
        return template

    def fresh(self, pk):
        return self.output(selectors.with_parts(AppraisalTemplate.objects.all()).get(pk=pk))

    @extend_schema(
        request=AppraisalTemplateCreateSerializer,
        responses=responses(AppraisalTemplateSerializer, 201, not_found=False),
        description=_(
            "Create a template: its first version, a draft (sales management department)."
        ),
    )
    def create(self, request):
        require(permissions.can_manage_templates(request.user))
        data = validated(AppraisalTemplateCreateSerializer, request)
        template = services.template_create(
            code=data["code"],
            name=data["name"],
            name_zh=data["name_zh"],
            description=data["description"],
            period_kind=data["period_kind"],
            applies_from=data["applies_from"],
            units=data["units"],
            acting_user=request.user,
        )
        return Response(self.fresh(template.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AppraisalTemplateWriteSerializer(partial=True),
        responses=responses(AppraisalTemplateSerializer),
        description=_(
            "Change a draft's names, description, period or population. A published "
            "version never changes (400): make a new version."
        ),
    )
    def partial_update(self, request, pk=None):
        template = self._managed(pk)
        data = _partial(AppraisalTemplateWriteSerializer, request)
        services.template_update(template=template, acting_user=request.user, **data)
        return Response(self.fresh(template.pk))

    @extend_schema(
        request=GradesWriteSerializer,
        responses=responses(AppraisalTemplateSerializer),
        description=_(
            "Replace a draft's grade bands. The lowest grade starts at 0 so that every "
            "score gets a grade."
        ),
    )
    @action(detail=True, methods=["put"], filter_backends=[], pagination_class=None)
    def grades(self, request, pk=None):
        template = self._managed(pk)
        data = validated(GradesWriteSerializer, request)
        services.bands_save(template=template, bands=data["grades"], acting_user=request.user)
        return Response(self.fresh(template.pk))

    @extend_schema(
        request=None,
        responses={
            200: AppraisalTemplateSerializer,
            400: OpenApiResponse(
                description=_("Every problem that stops the publication."),
            ),
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        description=_(
            "Publish a draft before the first period it applies to starts; the salespeople "
            "it covers are notified. A published version never changes."
        ),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def publish(self, request, pk=None):
        template = self._managed(pk)
        services.template_publish(template=template, acting_user=request.user)
        return Response(self.fresh(template.pk))

    @extend_schema(
        request=None,
        responses=responses(AppraisalTemplateSerializer, 201),
        description=_(
            "Make the next version of a published template: a draft copy of its "
            "dimensions, grades and population, applying to a later period."
        ),
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="new-version",
        filter_backends=[],
        pagination_class=None,
    )
    def new_version(self, request, pk=None):
        template = self._managed(pk)
        draft = services.template_new_version(template=template, acting_user=request.user)
        return Response(self.fresh(draft.pk), status=status.HTTP_201_CREATED)


# --- dimensions ------------------------------------------------------------------------------


@listed(
    "appraisal templates", _("The dimensions of the templates you may see (filter by `template`).")
)
class DimensionViewSet(ReadViewSet):
    serializer_class = DimensionSerializer
    filterset_fields = ["template", "method"]
    search_fields = ["name", "name_zh"]
    ordering_fields = ["template", "position"]
    ordering = ["template", "position", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Dimension.objects.none()
        visible = permissions.visible_templates(self.request.user).values("pk")
        return Dimension.objects.filter(template__in=visible).select_related("metric")

    def _managed(self, pk) -> Dimension:
        dimension = self._dimension(pk)
        require(permissions.can_manage_templates(self.request.user))
        return dimension

    def _dimension(self, pk) -> Dimension:
        try:
            return self.get_queryset().select_related("template").get(pk=pk)
        except (Dimension.DoesNotExist, ValueError, TypeError):
            raise Http404 from None

    def fresh(self, pk):
        return self.output(Dimension.objects.select_related("metric").get(pk=pk))

    @extend_schema(
        request=DimensionCreateSerializer,
        responses=responses(DimensionSerializer, 201),
        description=_(
            "Add a dimension to a draft (sales management department). A curve or scale "
            "may be completed later; publishing needs them."
        ),
    )
    def create(self, request):
        data = dict(validated(DimensionCreateSerializer, request))
        template = permissions.template_for_user(request.user, data.pop("template"))
        require(permissions.can_manage_templates(request.user))
        dimension = services.dimension_save(template=template, acting_user=request.user, **data)
        return Response(self.fresh(dimension.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DimensionWriteSerializer(partial=True),
        responses=responses(DimensionSerializer),
        description=_("Change a dimension of a draft."),
    )
    def partial_update(self, request, pk=None):
        dimension = self._managed(pk)
        data = _partial(DimensionWriteSerializer, request)
        services.dimension_save(
            template=dimension.template,
            dimension=dimension,
            acting_user=request.user,
            **data,
        )
        return Response(self.fresh(dimension.pk))

    @extend_schema(
        request=None,
        responses={204: None, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
        description=_("Remove a dimension from a draft."),
    )
    def destroy(self, request, pk=None):
        dimension = self._managed(pk)
        services.dimension_delete(dimension=dimension, acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    router.register(
        "appraisal-templates", AppraisalTemplateViewSet, basename="api-appraisal-template"
    )
    router.register("appraisal-dimensions", DimensionViewSet, basename="api-appraisal-dimension")
