"""URLs of the sales app: records (included by sales.urls)."""

urlpatterns: list = []
