# One image for the web and worker services of docker-compose.yml (see the README's
# Deployment section). Same commands as `make run` and `make worker`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    APP_VAR_DIR=/app/var

RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-hin tesseract-ocr-script-deva poppler-utils \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Exactly the versions the tests ran (constraints.txt), so a later build gets the same set.
COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt
COPY . .

RUN useradd --create-home --uid 10001 app \
    && mkdir -p /app/var/media \
    && chown -R app:app /app/var
USER app

# In a container gunicorn must listen beyond loopback (its default elsewhere).
ENV GUNICORN_BIND=0.0.0.0:8000
EXPOSE 8000
# Healthy when /readyz is 200: the database answers, tesseract has every model, pdftoppm
# runs, storage is writable, the broker answers. Worker containers override it (compose).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ['GUNICORN_BIND'].rpartition(':')[2], timeout=8)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "backend.wsgi"]
