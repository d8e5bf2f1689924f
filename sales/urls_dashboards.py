"""URLs of the sales app: dashboards (included by sales.urls)."""

urlpatterns: list = []
