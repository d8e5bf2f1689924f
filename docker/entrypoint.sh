#!/bin/sh
# Container entrypoint: the web service sets RUN_MIGRATIONS=true so the schema
# is brought up to date before gunicorn starts; worker and beat do not.
set -eu

if [ "${RUN_MIGRATIONS:-false}" = "true" ]; then
    echo "entrypoint: manage.py migrate --noinput"
    python manage.py migrate --noinput
fi

exec "$@"
