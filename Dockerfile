# Production-like image: gunicorn for the web, the same image for the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=fabrique.settings.production

# WeasyPrint (funders' PDF reports) needs Pango.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home fabrique

WORKDIR /app
COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir uv==0.13.9 && uv pip install --system --no-cache -r requirements/base.txt
COPY . .
# Settings need their variables even to collect static files; these values are never served.
RUN DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost FABRIQUE_NATIONAL_HOSTS=localhost \
    DATABASE_URL=postgres://unused@localhost/unused REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput

USER fabrique
EXPOSE 8000
CMD ["gunicorn", "fabrique.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--access-logfile", "-"]
