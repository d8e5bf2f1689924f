"""Helpers of the API's fixed-query-count tests: a client signed in as a user, and a
request that answers how many queries it ran."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def count(client, method: str, url: str, data=None):
    """(the number of queries, the response) of `method` on `url` (a JSON body), which
    must answer 200 or 201."""
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(url, data or {}, format="json")
    assert response.status_code in (200, 201), (url, response.status_code, response.content)
    return len(ctx.captured_queries), response
