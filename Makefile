# The two commands of the README. Each makes its own virtual environment in .venv.
#   make demo   set up, then run the gate on the embedded broker with sample traffic
#   make test   set up (system packages too), then lint and run the whole test suite on a
#               launched Apache Kafka
# Both compile the decision core first (make native, optional: see app/native.py).
#   make lock   regenerate locks/ after a dependency change in pyproject.toml
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_ARGS ?=
UPGRADE ?=
UV_VERSION := 0.13.9

.PHONY: demo test lint native reply-model system-deps lock clean

# Every dependency from the lock (hashes checked): the runtime's, the test and native extras,
# and the demo's embedded broker; then the project itself, editable, without resolving again.
$(VENV)/.installed: pyproject.toml locks/dev.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r locks/dev.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# The rules compiled with mypyc into app/rules/_compiled/, used only while they match the sources
# (an edited module runs as Python until this is run again). Runs every time: it returns at
# once when the build is current, and on any failure leaves the pure-Python core in place,
# except in CI (CI set), where a failed build fails the run.
native: $(VENV)/.installed
	$(BIN)/python deploy/build_native.py $(if $(CI),--strict)

# The learned reader of replies (app/rules/reply_model.py), trained again after a corpus in
# tests/data changes (tests/test_reply_model.py fails until it is). Never list a held-out set
# here before its one clean measurement (tests/data/README.md).
REPLY_CORPORA := tests/data/replies.tsv tests/data/replies-heldout.tsv \
	$(foreach k,2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31,tests/data/replies-heldout-$(k).tsv)
reply-model: $(VENV)/.installed
	$(BIN)/python -m app.tools.reply_training --out app/rules/reply_model.json $(REPLY_CORPORA)

demo: $(VENV)/.installed native
	$(BIN)/sendguard demo --policy policy.example.toml $(DEMO_ARGS)

# ruff (with SLF: private crossings only inside app/faust_ext), mypy on the runtime and the
# seam, and the layout's import contracts (pyproject.toml [tool.importlinter]).
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Java, Maven and Prometheus from Debian's packages, where missing (needs root or sudo).
system-deps:
	deploy/system-deps.sh

test: system-deps lint native
	$(if $(KAFKA_BOOTSTRAP_SERVERS),,$(BIN)/python deploy/brokers.py fetch-kafka)
	$(BIN)/pytest -s -ra

# The image installs locks/runtime.txt (any platform: --universal), CI and make's venv
# locks/dev.txt (this machine's: the demo broker and hadolint are x86_64 Linux wheels), the
# image's build stage locks/build.txt. Pins already in a lock are kept; UPGRADE=--upgrade takes
# the newest versions pyproject.toml allows.
LOCK := $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--custom-compile-command "make lock" $(UPGRADE)
lock: $(VENV)/.installed
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(LOCK) --universal -o locks/build.txt locks/build.in
	$(LOCK) --universal -o locks/runtime.txt pyproject.toml
	$(LOCK) --python-platform x86_64-unknown-linux-gnu --extra test --extra native --extra demo --extra client \
		-c locks/runtime.txt -c locks/build.txt -o locks/dev.txt pyproject.toml

clean:
	rm -rf $(VENV) var .pytest_cache app/rules/_compiled
