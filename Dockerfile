# salesperf production image: gunicorn serving Django, static files served by
# WhiteNoise, front-end libraries from the npm registry (no CDN).
#
#   docker build -t salesperf .
#   docker compose up -d        (see docker-compose.yml and the README)

# --- 1. front-end libraries --------------------------------------------------
FROM node:20-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev

# --- 2. the application ------------------------------------------------------
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    WEB_CONCURRENCY=2

RUN groupadd --system --gid 1000 salesperf \
    && useradd --system --uid 1000 --gid salesperf --create-home --home-dir /home/salesperf \
       --shell /usr/sbin/nologin salesperf

WORKDIR /app

# Dependencies first (from pyproject.toml alone) so that a source change does
# not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
COPY --from=assets /src/node_modules ./node_modules

# Editable, so that BASE_DIR (templates/, static/, locale/, node_modules/,
# staticfiles/) stays /app. The compiled translations (.mo) are committed.
RUN pip install --no-deps -e . \
    && DJANGO_DEBUG=false \
       DJANGO_SECRET_KEY=collectstatic-only-not-a-real-secret-key-0123456789abcdefghij \
       python manage.py collectstatic --noinput \
    && rm -rf data \
    && mkdir -p data \
    && chown salesperf:salesperf data \
    && chmod 0755 docker/entrypoint.sh

USER salesperf

EXPOSE 8000

ENTRYPOINT ["/app/docker/entrypoint.sh"]
# gunicorn takes the number of workers from WEB_CONCURRENCY.
CMD ["gunicorn", "salesperf.wsgi", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm", \
     "--access-logfile", "-"]
