"""URLs of the sales app: reports (included by sales.urls)."""

urlpatterns: list = []
