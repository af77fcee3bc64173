# One image for every CalcBridge service: code location, webserver, daemon, API and migrations.
FROM python:3.11-slim

ENV UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    DAGSTER_HOME=/opt/dagster/home \
    CALCBRIDGE_HOME=/data \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    DO_NOT_TRACK=1 \
    PATH=/app/.venv/bin:$PATH

RUN pip install --no-cache-dir uv
WORKDIR /app

# Dependencies first, from the lock file only, so code changes reuse this layer.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
RUN uv sync --frozen --no-dev \
    && mkdir -p "$DAGSTER_HOME" /data \
    && cp dagster.yaml "$DAGSTER_HOME/dagster.yaml" \
    && python -c "from orchestration.core.dbt import prepare_manifest; prepare_manifest()"

CMD ["calcbridge", "--help"]
