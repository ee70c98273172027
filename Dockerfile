# Production image: gunicorn serving CareSlot with production settings.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock \
    && useradd --system --home /app careslot

COPY backend ./backend
COPY scripts/docker-entrypoint.sh ./scripts/docker-entrypoint.sh
RUN SECRET_KEY=collectstatic-only ALLOW_PER_PROCESS_CACHE=true python backend/manage.py collectstatic --noinput -v0 \
    && chown -R careslot /app

USER careslot
EXPOSE 8000
ENTRYPOINT ["sh", "scripts/docker-entrypoint.sh"]
CMD ["gunicorn", "--chdir", "backend", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
