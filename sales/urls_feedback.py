"""URLs of the sales app: feedback (included by sales.urls)."""

urlpatterns: list = []
