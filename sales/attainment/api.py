"""API of the sales app: live attainment and the dashboards (registered by sales.api).

- GET /api/v1/attainment/?owner=unit:<id>&owner=person:<id>&period=<id>&metric=<code>
  every owner's attainment of every metric in the period;
- GET /api/v1/dashboards/mine/, /dashboards/person/<id>/, /dashboards/team/,
  /dashboards/org/: the numbers of the dashboard pages.

The same access as the pages (`sales.attainment.permissions`): HR and people without
a sales role 403; a unit's numbers for a supervisor (their units and below) or the
department, else 403 for someone who leads nothing, 404 for a unit out of scope; a
person's for themselves, their supervisor, the department, else 404. Bad input (an
owner that is not "unit:<id>"/"person:<id>", an unknown period or metric) answers
400 naming the parameter. Anonymous requests answer 401.
"""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api import (
    ApiViewSet,
    responses,
)
from core.permissions import require
from org.models import Period
from org.permissions import is_salesperson, led_unit_paths
from sales.attainment import selectors as attainment
from sales.attainment.permissions import (
    can_view_dashboards,
    can_view_team_dashboards,
    dashboard_people,
    dashboard_person_for_user,
    dashboard_units,
    led_roots,
)
from sales.attainment.serializers import (
    AttainmentQuerySerializer,
    AttainmentSerializer,
    OrgDashboardSerializer,
    OrgQuerySerializer,
    PeriodQuerySerializer,
    PersonDashboardSerializer,
    TeamDashboardSerializer,
    TeamQuerySerializer,
)
from sales.feedback.selectors import report_status

PERIOD = OpenApiParameter(
    "period",
    OpenApiTypes.INT,
    description=gettext_lazy(
        "A month, quarter or fiscal year period id; the current month if left out."
    ),
)


def _query(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _choice(period: Period | None, today):
    """The period chosen (validated) or the current month, with its fiscal year; 400
    when there is no fiscal year at all."""
    choice = attainment.period_choice(today=today, period_id=period.pk if period else None)
    if choice is None:
        raise ValidationError(
            {"period": [_("There is no fiscal year yet.")]}, code="does_not_exist"
        )
    return choice


def _settings(today) -> dict:
    return {
        "today": today,
        "at_risk_pct": attainment.at_risk_pct(),
        "at_risk_min_elapsed_pct": attainment.min_elapsed_pct(),
        "pace_method": attainment.pace_method(),
    }


def _person_payload(request, person, period) -> tuple[dict, dict]:
    today = timezone.localdate()
    choice = _choice(period, today)
    dash = attainment.person_dashboard(
        viewer=request.user, person=person, choice=choice, today=today
    )
    data = {
        **_settings(today),
        "person": person,
        "choice": choice,
        "cards": dash.cards,
        "followups_due": dash.followups_due,
        "followups": dash.followups,
        "report": report_status(person=person, today=today) if is_salesperson(person) else None,
    }
    return data, {("person", person.pk): person}


class OneObjectSchema(AutoSchema):
    """`list` here answers one object (the period, the settings and the rows), not a list."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


@extend_schema(tags=["attainment"])
class AttainmentViewSet(ApiViewSet):
    """Live attainment, computed on every request from the actuals."""

    schema = OneObjectSchema()

    filter_backends = []
    pagination_class = None
    serializer_class = AttainmentSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "owner",
                OpenApiTypes.STR,
                many=True,
                pattern=r"^(?:unit|person):\d+(?:,(?:unit|person):\d+)*$",
                description=gettext_lazy(
                    "unit:<id> or person:<id>, repeated or comma-separated; yourself if left out."
                ),
            ),
            PERIOD,
            OpenApiParameter(
                "metric",
                OpenApiTypes.STR,
                many=True,
                pattern=r"^[^,\s]+(?:,[^,\s]+)*$",
                description=gettext_lazy(
                    "Metric codes, repeated or comma-separated; every active metric if left out."
                ),
            ),
        ],
        responses=responses(AttainmentSerializer),
        description=gettext_lazy(
            "Each owner's target, actual, pace (expected by today), variance, attainment, "
            "projection and at-risk flag for each metric in the period, with the period's "
            "months. Units: a supervisor's units and below, or any for the department; "
            "people: yourself, the people of the units you lead, or anyone for the department."
        ),
    )
    def list(self, request):
        user = request.user
        require(can_view_dashboards(user))
        query = _query(AttainmentQuerySerializer, request)
        owners = query.get("owner") or [("person", user.pk)]
        unit_ids = [pk for kind, pk in owners if kind == "unit"]
        person_ids = [pk for kind, pk in owners if kind == "person"]
        if unit_ids:
            require(can_view_team_dashboards(user))
        found = {}
        if unit_ids:
            found |= {("unit", u.pk): u for u in dashboard_units(user).filter(pk__in=unit_ids)}
        if person_ids:
            found |= {("person", p.pk): p for p in dashboard_people(user).filter(pk__in=person_ids)}
        if any(owner not in found for owner in owners):
            raise Http404
        metrics = attainment.active_metrics()
        codes = query.get("metric")
        if codes:
            known = {m.code: m for m in metrics}
            unknown = [c for c in codes if c not in known]
            if unknown:
                raise ValidationError(
                    {
                        "metric": [
                            _("Unknown or inactive metric: %(codes)s.")
                            % {"codes": ", ".join(unknown)}
                        ]
                    },
                    code="does_not_exist",
                )
            metrics = [known[c] for c in codes]
        today = timezone.localdate()
        choice = _choice(query.get("period"), today)
        rows = attainment.live_attainment(
            owners=owners,
            metrics=metrics,
            period=choice.period,
            today=today,
            viewer=user,
            periods=choice.periods,
        )
        data = {
            **_settings(today),
            "period": choice.period,
            "rows": [rows[(owner, m.pk)] for owner in owners for m in metrics],
        }
        return Response(AttainmentSerializer(data, context={"owners": found}).data)


@extend_schema(tags=["dashboards"])
class DashboardViewSet(ApiViewSet):
    """The numbers of the dashboard pages."""

    filter_backends = []
    pagination_class = None
    serializer_class = PersonDashboardSerializer

    @extend_schema(
        parameters=[PERIOD],
        responses=responses(PersonDashboardSerializer, not_found=False),
        description=gettext_lazy(
            "Your cards (every active metric, with the fiscal year month by month), "
            "follow-ups due within a week and your progress report status."
        ),
    )
    @action(detail=False, methods=["get"])
    def mine(self, request):
        require(can_view_dashboards(request.user))
        query = _query(PeriodQuerySerializer, request)
        data, owners = _person_payload(request, request.user, query.get("period"))
        return Response(PersonDashboardSerializer(data, context={"owners": owners}).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("person_id", OpenApiTypes.INT, OpenApiParameter.PATH),
            PERIOD,
        ],
        responses=responses(PersonDashboardSerializer),
        description=gettext_lazy(
            "A person's dashboard: yourself, a person of the units you lead, anyone "
            "for the department."
        ),
    )
    @action(detail=False, methods=["get"], url_path=r"person/(?P<person_id>[0-9]+)")
    def person(self, request, person_id=None):
        require(can_view_dashboards(request.user))
        person = dashboard_person_for_user(request.user, person_id)
        query = _query(PeriodQuerySerializer, request)
        data, owners = _person_payload(request, person, query.get("period"))
        return Response(PersonDashboardSerializer(data, context={"owners": owners}).data)

    @extend_schema(
        parameters=[
            PERIOD,
            OpenApiParameter(
                "unit", OpenApiTypes.INT, description=gettext_lazy("A unit you lead (or below).")
            ),
            OpenApiParameter(
                "sort",
                OpenApiTypes.STR,
                description=gettext_lazy("name, team, risk, or a metric code (-code)."),
            ),
        ],
        responses=responses(TeamDashboardSerializer),
        description=gettext_lazy(
            "A unit against its targets, its child units rolled up and every member's "
            "attainment per metric (supervisors and the department)."
        ),
    )
    @action(detail=False, methods=["get"])
    def team(self, request):
        user = request.user
        require(can_view_team_dashboards(user))
        query = _query(TeamQuerySerializer, request)
        units = attainment.tree_order(list(dashboard_units(user)))
        if query.get("unit") is not None:
            unit = next((u for u in units if u.pk == query["unit"]), None)
            if unit is None:
                raise Http404
        else:
            paths = led_unit_paths(user)
            unit = next((u for u in units if u.path in paths), None) or next(
                (u for u in units if u.kind == u.Kind.TEAM), units[0] if units else None
            )
        if unit is None:
            raise Http404
        today = timezone.localdate()
        choice = _choice(query.get("period"), today)
        dash = attainment.team_dashboard(
            viewer=user, unit=unit, units=units, choice=choice, today=today, sort=query["sort"]
        )
        owners = {("unit", u.pk): u for u in [unit, *(r.unit for r in dash.subunits)]}
        owners |= {("person", r.person.pk): r.person for r in dash.members}
        data = {
            **_settings(today),
            "unit": unit,
            "choice": choice,
            "sort": dash.sort,
            "totals": dash.totals,
            "subunits": dash.subunits,
            "members": dash.members,
            "at_risk_count": dash.at_risk_count,
        }
        return Response(TeamDashboardSerializer(data, context={"owners": owners}).data)

    @extend_schema(
        parameters=[
            PERIOD,
            OpenApiParameter(
                "metric", OpenApiTypes.STR, description=gettext_lazy("A metric code.")
            ),
        ],
        responses=responses(OrgDashboardSerializer, not_found=False),
        description=gettext_lazy(
            "The organisation rolled up for one metric (the department: all of it; a "
            "supervisor: their subtree), the month-by-month total against the target, and the "
            "five best and worst teams and people."
        ),
    )
    @action(detail=False, methods=["get"])
    def org(self, request):
        user = request.user
        require(can_view_team_dashboards(user))
        query = _query(OrgQuerySerializer, request)
        metrics = attainment.active_metrics()
        code = query.get("metric")
        metric = next((m for m in metrics if m.code == code), None) if code else None
        if code and metric is None:
            raise ValidationError(
                {"metric": [_("Unknown or inactive metric: %(codes)s.") % {"codes": code}]},
                code="does_not_exist",
            )
        metric = metric or (metrics[0] if metrics else None)
        if metric is None:
            raise ValidationError(
                {"metric": [_("No metric is active yet.")]}, code="does_not_exist"
            )
        today = timezone.localdate()
        choice = _choice(query.get("period"), today)
        dash = attainment.org_dashboard(
            viewer=user,
            roots=led_roots(user),
            choice=choice,
            metric=metric,
            metrics=metrics,
            today=today,
        )
        owners = {("unit", r.unit.pk): r.unit for r in dash.tree}
        data = {
            **_settings(today),
            "roots": dash.roots,
            "choice": choice,
            "metric": metric,
            "tree": dash.tree,
            "company": dash.company,
            "top_units": dash.top_units,
            "bottom_units": dash.bottom_units,
            "top_people": dash.top_people,
            "bottom_people": dash.bottom_people,
        }
        return Response(OrgDashboardSerializer(data, context={"owners": owners}).data)


def register(router) -> None:
    router.register("attainment", AttainmentViewSet, basename="api-attainment")
    router.register("dashboards", DashboardViewSet, basename="api-dashboard")
