# The README's commands. Each target does its own set-up on a fresh machine (python3, pip, make).
VENV   := .venv
PY     := $(VENV)/bin/python
LOCK   := infra/requirements-dev.lock
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: dev test setup lint size browser bench build deploy clean lock messages

# The venv installs exactly the locked versions (infra/requirements-dev.lock, which pins the layers'
# own layers/*/requirements.lock), then the crm package itself without resolving anything again.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*; touch $@

setup: $(STAMP)

## make lock: recompile the lock files: each layer's for Lambda's Python (CrmLayer from pyproject.toml,
## SchematronLayer and GeoLayer from their requirements.in), then the dev one on top of them all (the venv has them all)
lock: setup
	$(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 -q -o layers/crm/requirements.lock
	$(VENV)/bin/uv pip compile layers/schematron/requirements.in --universal --python-version 3.11 -q -o layers/schematron/requirements.lock
	$(VENV)/bin/uv pip compile layers/geo/requirements.in --universal --python-version 3.11 -q -o layers/geo/requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml layers/schematron/requirements.in layers/geo/requirements.in --extra dev --universal --python-version 3.11 -q \
		-c layers/crm/requirements.lock -c layers/schematron/requirements.lock -c layers/geo/requirements.lock -o $(LOCK)

## make messages: the texts of the code into each language's gettext catalogue (pybabel extract, then
## update), and the catalogues compiled (.mo for the layer, JSON for the booking site): infra/messages.py
messages: setup
	$(PY) -m infra.messages

## make dev: the local stack (moto + chalice.local gateway + scheduler) with demo data, on port 3000 or $CRM_PORT
dev: setup
	$(PY) -m infra.local

## make test: the static gates (ruff, mypy, import-linter, cfn-lint, each function's size), then the whole suite (unit, integration, e2e)
test: setup lint size browser
	$(PY) -m pytest -n 2 --dist loadfile

## make browser: Debian's chromium for the booking site's e2e test (Playwright drives it; as root in CI)
browser:
	test -x /usr/bin/chromium || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/cfn-lint template.yaml

## make size: each function's code plus its layers, unpacked as Lambda counts them, within 230 of Lambda's 250 MiB
## (the layers built by their own Makefiles for Lambda's platform, cached by their sources' hash: infra/lambda_size.py)
size: setup
	$(PY) -m infra.lambda_size

## make bench: performance ratios quoted in the README (run by hand, never by the suite)
bench: setup
	$(PY) -m bench.run

## make build: sam build (the layer builds for Lambda's platform from any machine: layers/crm/Makefile)
# SAM CLI gets a venv of its own: its pins must not move the test suite's.
build:
	test -x .venv-sam/bin/sam || (python3 -m venv .venv-sam && .venv-sam/bin/pip install --quiet aws-sam-cli uv)
	PATH="$(CURDIR)/.venv-sam/bin:$$PATH" SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam build --template template.yaml

## make deploy STACK=<name>: sam build + sam deploy (parameters from samconfig.toml: run `sam deploy --guided`
## once), then web/booking/ and a config.json written from the stack's outputs to its BookingSiteBucket
STACK ?= crm
deploy: setup build
	SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam deploy --stack-name $(STACK) --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset
	$(PY) -m infra.publish_site --stack $(STACK)

clean:
	rm -rf $(VENV) .venv-sam .local .aws-sam .pytest_cache
