FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var
WORKDIR /app

# The lock file alone first, so this layer is rebuilt only when it changes; every package's hash
# is checked against it.
COPY requirements.txt .
RUN pip install --require-hashes -r requirements.txt

# The code belongs to root and is read-only for the site's user, who writes only under var/.
# .dockerignore keeps .git, .venv, var/ and .env files out of the build context.
RUN useradd --create-home --uid 1000 app
COPY . .
RUN mkdir -p /app/var && chown app /app/var
USER app

# Static files are collected at build time so whitenoise serves them compressed.
RUN DEBUG=false SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py collectstatic --noinput

EXPOSE 8000
# /healthz through Python's urllib (the slim image has no curl). Compose overrides this for the
# worker (a Celery ping) and turns it off for beat, which serve no HTTP.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "scripts/healthcheck.py"]
CMD ["gunicorn", "readinggroup.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
