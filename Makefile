# The two commands: `make run` (the pipeline over the seeds) and `make test` (every test).
# Both set everything up on a fresh machine: the virtualenv, the Kafka jars, Prometheus.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lock kafka-start kafka-stop lint typecheck schemas bench eval chaos clean compose-check

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
	deploy/kafka/kafka.sh start
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

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
	$(BIN)/python benchmarks/pipeline_bench.py

clean:
	rm -rf $(VENV) .kafka-data .ecowire-logs .pytest_cache .mypy_cache .ruff_cache
