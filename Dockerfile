# One image for the four services and the CLI.
# The base is pinned by digest (python:3.11-slim-bookworm, multi-arch index): a rebuild gets the
# same bytes. `make pin-base` (where Docker runs) looks up the tag's current digest to move it on.
FROM python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md LICENSE requirements.lock ./
# the locked dependencies first (a layer that changes only with the lockfile), then ecowire itself
RUN pip install --no-compile -r requirements.lock
COPY schemas ./schemas
COPY services ./services
RUN pip install --no-compile --no-deps . && useradd --system --uid 10001 ecowire
USER ecowire
# Each service answers /health on ECOWIRE_HTTP_PORT; the probe asks it (the CLI image is always healthy).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["python", "-m", "ecowire.core.healthcheck"]
# The service to run is the command: ecowire-fetcher | ecowire-normalizer | ecowire-extractor | ecowire-aggregator
CMD ["ecowire", "--help"]
