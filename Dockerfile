# The app image. Production settings come from the environment (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LIVE_HOST=0.0.0.0 LIVE_PORT=8080 LIVE_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY live ./live
COPY db ./db
COPY streams ./streams
COPY static ./static
RUN pip install --no-cache-dir -e . && useradd --create-home live && mkdir -p /data && chown live /data
USER live
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"
CMD ["sh", "-c", "live migrate && live serve"]
