"""URLs of the sales app: dashboards (included by sales.urls)."""

from django.urls import path

from sales.attainment import views as views_dashboards

urlpatterns = [
    path("dashboard/", views_dashboards.dashboard_mine, name="dashboard-mine"),
    path("dashboard/people/<int:pk>/", views_dashboards.dashboard_person, name="dashboard-person"),
    path("dashboard/team/", views_dashboards.dashboard_team, name="dashboard-team"),
    path("dashboard/organisation/", views_dashboards.dashboard_org, name="dashboard-org"),
]
