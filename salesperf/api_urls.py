"""One router for /api/v1/: each app registers its viewsets here."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from appraisal.cycles import api as appraisal_cycles_api
from appraisal.results import api as appraisal_results_api
from appraisal.template import api as appraisal_api
from closing import api as closing_api
from notifications import api as notifications_api
from org import api as org_api
from rewards import api as rewards_api
from rewards import api_estimator as rewards_estimator_api
from sales import api as sales_api
from targets import api as targets_api
from targets.catalogue import api as catalogue_api
from targets.plans import api as plans_api

router = DefaultRouter()
org_api.register(router)
catalogue_api.register(router)
targets_api.register(router)
plans_api.register(router)
notifications_api.register(router)
sales_api.register(router)
appraisal_api.register(router)
appraisal_cycles_api.register(router)
appraisal_results_api.register(router)
rewards_api.register(router)
closing_api.register(router)

urlpatterns = [
    path("me/", org_api.MeView.as_view(), name="api-me"),
    path("auth/token/", org_api.ObtainTokenView.as_view(), name="api-token"),
    path("tolerance/", catalogue_api.ToleranceView.as_view(), name="api-tolerance"),
    path(
        "bonus-estimate/",
        rewards_estimator_api.BonusEstimateView.as_view(),
        name="api-bonus-estimate",
    ),
    path("", include(router.urls)),
]
