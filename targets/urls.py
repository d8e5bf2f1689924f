"""URL names of the targets app. Views live in views_*.py modules by area."""

from django.urls import path

from targets import views_mine, views_workspace
from targets.plans import views as views_plans

app_name = "targets"

urlpatterns = [
    # salesperson: my targets, acknowledgement, target detail and history
    path("", views_mine.my_targets, name="mine"),
    path("<int:pk>/", views_mine.target_detail, name="detail"),
    path("<int:pk>/acknowledge/", views_mine.target_acknowledge, name="acknowledge"),
    # adjustments
    path("<int:pk>/adjust/", views_mine.adjustment_new, name="adjustment-new"),
    path("adjustments/", views_mine.adjustment_list, name="adjustments"),
    path("adjustments/<int:pk>/decide/", views_mine.adjustment_decide, name="adjustment-decide"),
    # catalogue and rules (department manages, everyone reads)
    path("metrics/", views_mine.metric_list, name="metrics"),
    path("metrics/new/", views_mine.metric_edit, name="metric-new"),
    path("metrics/<int:pk>/edit/", views_mine.metric_edit, name="metric-edit"),
    path("seasonality/", views_mine.seasonality_list, name="seasonality"),
    path("seasonality/new/", views_mine.seasonality_edit, name="seasonality-new"),
    path("seasonality/<int:pk>/edit/", views_mine.seasonality_edit, name="seasonality-edit"),
    path("rules/", views_mine.rules, name="rules"),
    path("rules/tolerance/", views_mine.tolerance_set, name="tolerance-set"),
    # department: cascade workspace and publication
    path("workspace/", views_workspace.workspace, name="workspace"),
    path("workspace/cell/", views_workspace.cell_edit, name="cell-edit"),
    path("<int:pk>/cascade/", views_workspace.cascade, name="cascade"),
    path("publish/", views_workspace.publish, name="publish"),
    path("import/", views_workspace.targets_import, name="import"),
    path("export/", views_workspace.targets_export, name="export"),
    # supervisors: bottom-up allocation of a team's target
    path("allocations/", views_workspace.allocation_list, name="allocations"),
    path("allocations/<int:pk>/", views_workspace.allocation, name="allocation"),
    path(
        "allocations/<int:pk>/submit/", views_workspace.allocation_submit, name="allocation-submit"
    ),
    path(
        "allocations/<int:pk>/decide/", views_workspace.allocation_decide, name="allocation-decide"
    ),
    # personal sales plans
    path("plans/", views_plans.plan_list, name="plans"),
    path("plans/write/<int:period_pk>/", views_plans.plan_write, name="plan-write"),
    path("plans/<int:pk>/", views_plans.plan_detail, name="plan"),
    path("plans/<int:pk>/submit/", views_plans.plan_submit, name="plan-submit"),
    path("plans/<int:pk>/review/", views_plans.plan_review, name="plan-review"),
]
