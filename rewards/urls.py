"""Pages of rewards, mounted at /rewards/."""

from django.urls import path

from rewards import views

app_name = "rewards"

urlpatterns = [
    path("", views.my_decisions, name="mine"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("decisions/", views.decision_list, name="decisions"),
    path("decisions/<int:pk>/", views.decision_detail, name="decision"),
]
