# The two commands of the README. Each makes its own virtual environment in .venv.
#   make demo   set up, then run the gate on the embedded broker with sample traffic
#   make test   set up (system packages too), then lint and run the whole test suite on a
#               launched Apache Kafka
# Both compile the decision core first (make native, optional: see app/native.py).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_ARGS ?=

.PHONY: demo test lint tools native system-deps clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,native]'
	touch $@

# The rules compiled with mypyc into app/_compiled/, used only while they match the sources
# (an edited module runs as Python until this is run again). Runs every time: it returns at
# once when the build is current, and on any failure leaves the pure-Python core in place.
native: $(VENV)/.installed
	$(BIN)/python deploy/build_native.py

demo: $(VENV)/.installed native
	$(BIN)/sendguard demo --policy policy.example.toml $(DEMO_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .

# Checkers the tests run without a Docker engine: the Compose specification's JSON Schema
# (shipped in the docker-compose wheel) and a Dockerfile linter (npm).
$(VENV)/tools/.installed: $(VENV)/.installed
	$(BIN)/pip download --quiet --no-deps --dest $(VENV)/tools docker-compose==1.29.2
	npm install --silent --no-audit --no-fund --prefix $(VENV)/tools dockerfilelint@1.8.0
	touch $@

tools: $(VENV)/tools/.installed

# Java, Maven, Prometheus and npm from Debian's packages, where missing (needs root or sudo).
system-deps:
	deploy/system-deps.sh

test: system-deps lint tools native
	$(if $(KAFKA_BOOTSTRAP_SERVERS),,$(BIN)/python deploy/brokers.py fetch-kafka)
	$(BIN)/pytest -s -ra

clean:
	rm -rf $(VENV) var .pytest_cache app/_compiled
