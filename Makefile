# The two commands for a fresh machine: `make run` and `make test`. Needs Python 3.11+, Java 17+, Maven;
# `make test` also needs PostgreSQL's Debian package (its binaries start a private test cluster).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install kafka-jars keycloak run test test-fast lint bench chaos clean docs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

kafka-jars: install
	$(BIN)/vorort kafka fetch

## The Keycloak server distribution for the external-issuer test (Maven Central, once, into var/keycloak).
keycloak: install
	$(BIN)/python -c "from vorort.keycloak import fetch; print(fetch())"

## Bring the whole platform up with demo data; Ctrl-C stops everything.
## Development only: webhooks may go to the local demo receiver (production allows no private address).
## `make run KAFKA_NODES=3`: on a three-node KRaft cluster (SASL/SCRAM, one principal per service).
KAFKA_NODES ?= 1
run: kafka-jars
	$(BIN)/vorort migrate
	$(BIN)/vorort identity bootstrap
	WEBHOOKS_ALLOWED_NETWORKS=127.0.0.1/32 $(BIN)/vorort run --kafka-nodes $(KAFKA_NODES)

## The whole suite: import contracts, unit, contract and integration tests against real PostgreSQL and Kafka.
## TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: kafka-jars keycloak lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

## Only the tests that need no infrastructure.
test-fast: install
	$(BIN)/python -m pytest tests/unit tests/contract

## Import contracts, ruff and mypy (their settings and the reasons for them: pyproject.toml).
lint: install
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check shared services vorort tests bench
	$(BIN)/mypy

docs: install
	$(BIN)/vorort docs asyncapi

bench: kafka-jars
	$(BIN)/python -m bench

chaos: kafka-jars
	VORORT_CHAOS=full $(BIN)/python -m pytest tests/chaos -s

clean:
	rm -rf var/*.db var/kafka/node var/postgres
