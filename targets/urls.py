"""URL names of the targets app: the targets themselves (views), the catalogue
(catalogue.views) and the personal sales plans (plans.views)."""

from django.urls import path

from targets import views
from targets.catalogue import views as catalogue_views
from targets.plans import views as views_plans

app_name = "targets"

urlpatterns = [
    # salesperson: my targets, acknowledgement, target detail and history
    path("", views.my_targets, name="mine"),
    path("<int:pk>/", views.target_detail, name="detail"),
    path("<int:pk>/acknowledge/", views.target_acknowledge, name="acknowledge"),
    # adjustments
    path("<int:pk>/adjust/", views.adjustment_new, name="adjustment-new"),
    path("adjustments/", views.adjustment_list, name="adjustments"),
    path("adjustments/<int:pk>/decide/", views.adjustment_decide, name="adjustment-decide"),
    # catalogue and rules (department manages, everyone reads)
    path("metrics/", catalogue_views.metric_list, name="metrics"),
    path("metrics/new/", catalogue_views.metric_edit, name="metric-new"),
    path("metrics/<int:pk>/edit/", catalogue_views.metric_edit, name="metric-edit"),
    path("seasonality/", catalogue_views.seasonality_list, name="seasonality"),
    path("seasonality/new/", catalogue_views.seasonality_edit, name="seasonality-new"),
    path("seasonality/<int:pk>/edit/", catalogue_views.seasonality_edit, name="seasonality-edit"),
    path("rules/", catalogue_views.rules, name="rules"),
    path("rules/tolerance/", catalogue_views.tolerance_set, name="tolerance-set"),
    # department: cascade workspace and publication
    path("workspace/", views.workspace, name="workspace"),
    path("workspace/cell/", views.cell_edit, name="cell-edit"),
    path("<int:pk>/cascade/", views.cascade, name="cascade"),
    path("publish/", views.publish, name="publish"),
    path("import/", views.targets_import, name="import"),
    path("export/", views.targets_export, name="export"),
    # supervisors: bottom-up allocation of a team's target
    path("allocations/", views.allocation_list, name="allocations"),
    path("allocations/<int:pk>/", views.allocation, name="allocation"),
    path("allocations/<int:pk>/submit/", views.allocation_submit, name="allocation-submit"),
    path("allocations/<int:pk>/decide/", views.allocation_decide, name="allocation-decide"),
    # personal sales plans
    path("plans/", views_plans.plan_list, name="plans"),
    path("plans/write/<int:period_pk>/", views_plans.plan_write, name="plan-write"),
    path("plans/<int:pk>/", views_plans.plan_detail, name="plan"),
    path("plans/<int:pk>/submit/", views_plans.plan_submit, name="plan-submit"),
    path("plans/<int:pk>/review/", views_plans.plan_review, name="plan-review"),
]
