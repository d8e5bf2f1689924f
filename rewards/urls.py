"""Pages of rewards, mounted at /rewards/."""

from django.urls import path

from rewards import views, views_estimator, views_payroll

app_name = "rewards"

urlpatterns = [
    path("", views.my_decisions, name="mine"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/new/", views.plan_create, name="plan-create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan-edit"),
    path("plans/<int:pk>/publish/", views.plan_publish, name="plan-publish"),
    path("plans/<int:pk>/new-version/", views.plan_new_version, name="plan-new-version"),
    path("decisions/", views.decision_list, name="decisions"),
    path("decisions/<int:pk>/", views.decision_detail, name="decision"),
    path("decisions/<int:pk>/acknowledge/", views.decision_acknowledge, name="acknowledge"),
    path("decisions/<int:pk>/appeal/", views.decision_appeal, name="appeal"),
    path("decisions/<int:pk>/resolve/", views.decision_resolve, name="resolve"),
    path("payroll/", views_payroll.payroll, name="payroll"),
    path("holds/", views.hold_list, name="holds"),
    path("holds/<int:pk>/lift/", views.hold_lift, name="hold-lift"),
    path("what-if/", views_estimator.what_if, name="what-if"),
    path("what-if/panel/", views_estimator.what_if_panel, name="what-if-panel"),
]
