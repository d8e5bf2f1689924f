"""The services salesperf runs on.

Tests marked `redis` / `postgres` talk to a real Redis / PostgreSQL and run
only when REDIS_URL / DATABASE_URL is set (CI's second run sets both);
otherwise they are skipped with the reason. The rest run everywhere.
"""

import os
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from salesperf.celery import app as celery_app

needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set: no real Redis configured"
)
needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"),
    reason="DATABASE_URL is not set: no real PostgreSQL configured",
)


@pytest.mark.redis
@needs_redis
def test_cache_round_trip_on_redis():
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    key = f"test-services-{uuid.uuid4().hex}"
    value = {"attainment": "97.5", "names": ["sam", "tina"]}
    try:
        assert cache.get(key) is None
        cache.set(key, value, timeout=30)
        assert cache.get(key) == value
        assert cache.add(f"{key}-n", 1, timeout=30)
        assert cache.incr(f"{key}-n") == 2
    finally:
        cache.delete_many([key, f"{key}-n"])
    assert cache.get(key) is None


@pytest.mark.redis
@needs_redis
def test_celery_uses_the_redis_broker():
    assert celery_app.conf.task_always_eager is False
    assert celery_app.conf.broker_url == os.environ["REDIS_URL"]
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
        assert conn.connected
        assert conn.transport_cls == "redis"


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db
def test_database_is_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int")
        (version,) = cursor.fetchone()
    assert version >= 140000


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db
def test_postgresql_compiles_no_query_unless_asked():
    # DB_JIT is off by default: a web request's short queries are not worth compiling.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


@pytest.mark.skipif(
    bool(os.environ.get("REDIS_URL")), reason="REDIS_URL is set: Celery uses the real broker"
)
def test_embedded_default_runs_celery_tasks_eagerly():
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    assert celery_app.conf.task_always_eager is True
    assert celery_app.conf.task_eager_propagates is True
    # memory://localhost/ (not memory://): kombu warns of a missing hostname otherwise.
    assert celery_app.conf.broker_url == "memory://localhost/"


@pytest.mark.django_db
def test_health_json_answers_200_with_every_check_for_the_token(client, settings):
    settings.HEALTH_TOKEN = "probe-secret"
    response = client.get("/health/?format=json", HTTP_AUTHORIZATION="Bearer probe-secret")
    assert response.status_code == 200, response.content
    results = response.json()
    assert results, "no health checks configured"
    assert set(results.values()) == {"OK"}, results
    if os.environ.get("REDIS_URL"):
        assert any(name.startswith("Redis") for name in results), results


@pytest.mark.django_db
def test_health_json_answers_up_for_anonymous(client):
    response = client.get("/health/?format=json")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "up"}


@pytest.mark.django_db
def test_health_html_page_answers_200_for_staff(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="ops", roles=["admin"]))
    response = client.get("/health/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"System status" in response.content
