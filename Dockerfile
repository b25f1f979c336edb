# Image for web, worker and beat (docker-compose.yml). WeasyPrint needs Pango.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PASSERELLE_ENV=production
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .
COPY . .
RUN SECRET_KEY=build ALLOWED_HOSTS=build REDIS_URL=redis://build:6379/0 python manage.py collectstatic --noinput
RUN useradd --system --home /app passerelle && mkdir -p /app/var && chown -R passerelle /app/var
USER passerelle
EXPOSE 8000
CMD ["gunicorn", "centre.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
