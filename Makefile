# The two commands: `make run` (the pipeline over the seeds) and `make test` (every test).
# Both set everything up on a fresh machine: the virtualenv, the Kafka jars, Prometheus, and (for
# `make test`) the pinned Helm, built once through the Go module proxy into ~/.cache/ecowire.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lock kafka-start kafka-stop lint typecheck schemas bench eval chaos clean compose-check pin-base helm

# Every package, direct and transitive, at the version in the lockfile (`make lock` renews it).
$(STAMP): pyproject.toml requirements-dev.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip==25.3
	$(BIN)/pip install -q -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

lock: $(STAMP)
	$(BIN)/pip install -q pip-tools==7.5.2
	$(BIN)/pip-compile -q --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	$(BIN)/pip-compile -q --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links --extra dev -o requirements-dev.lock pyproject.toml

install: $(STAMP)

run: $(STAMP)
	deploy/kafka/kafka.sh install
	$(BIN)/ecowire run --seeds seeds

kafka-start:
	deploy/kafka/kafka.sh start

kafka-stop:
	deploy/kafka/kafka.sh stop

test: $(STAMP)
	[ ! -x deploy/prometheus/install.sh ] || deploy/prometheus/install.sh
	deploy/helm/install.sh >/dev/null || echo "make: no Helm (needs Go); tests/ops/test_helm.py says why" >&2
	deploy/kafka/kafka.sh start
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

# The Helm chart's checks alone (no broker, no cluster): lint, render, validate, compare with the code.
helm: $(STAMP)
	deploy/helm/install.sh >/dev/null
	$(BIN)/pytest tests/ops/test_helm.py

# The fault-injection suite (issue 11): its own broker on 29092/29093 and services on 18001-18004,
# SIGKILLs, broker restarts, hostile inputs; figures into docs/reliability.md. CHAOS_ARGS=--quick for ~4 min.
chaos: $(STAMP)
	deploy/kafka/kafka.sh install
	$(BIN)/python -m tests.chaos $(CHAOS_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

schemas: $(STAMP)
	$(BIN)/python -m ecowire_schemas.export

eval: $(STAMP)
	$(BIN)/ecowire eval

bench: $(STAMP)
	$(BIN)/python benchmarks/normalizer_bench.py
	$(BIN)/python benchmarks/extractor_bench.py
	$(BIN)/python benchmarks/extractor_bench.py --corpus
	$(BIN)/python benchmarks/scaling_bench.py
	$(BIN)/python benchmarks/pipeline_bench.py
	$(BIN)/python benchmarks/runtime_floor.py
	$(BIN)/python benchmarks/aggregator_bench.py

# Move the Dockerfile's base image to the current digest of its tag (needs Docker and the registry).
pin-base:
	tag=python:3.11-slim-bookworm; \
	digest=$$(docker buildx imagetools inspect $$tag --format '{{json .Manifest.Digest}}' | tr -d '"'); \
	sed -i "s|^FROM python:[^ ]*|FROM $$tag@$$digest|" Dockerfile && grep '^FROM' Dockerfile

clean:
	rm -rf $(VENV) .kafka-data .ecowire-logs .pytest_cache .mypy_cache .ruff_cache
