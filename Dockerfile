# Production image: gunicorn serving CareSlot with production settings.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock \
    && useradd --system --home /app careslot

COPY gunicorn.conf.py ./
COPY backend ./backend
COPY scripts/docker-entrypoint.sh ./scripts/docker-entrypoint.sh
RUN SECRET_KEY=collectstatic-only ALLOW_PER_PROCESS_CACHE=true python backend/manage.py collectstatic --noinput -v0 \
    && chown -R careslot /app

USER careslot
EXPOSE 8000
# Liveness only: the process answers. Readiness (database, migrations, task lag) is /readyz,
# which docker-compose.yml and orchestrators probe for the api service.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["sh", "scripts/docker-entrypoint.sh"]
# gunicorn.conf.py sets the timeouts (docs/operations.md); its heartbeat files go to /dev/shm
# (memory), as gunicorn advises in containers. gunicorn is PID 1 (the entrypoint execs it), so
# `docker stop`'s SIGTERM reaches it and in-flight requests finish. No access log: its request
# line carries query strings (personal data); the app logs each request (docs/operations.md).
CMD ["gunicorn", "--config", "gunicorn.conf.py", "--chdir", "backend", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-tmp-dir", "/dev/shm"]
