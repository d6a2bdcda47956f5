# I2I: `make run` builds the demo and serves it; `make test` runs every test.
# Both install what they need first (a virtual environment; Chromium, PostgreSQL and Redis for tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST   ?= 127.0.0.1
PORT   ?= 5000
export I2I_ENV ?= development

.PHONY: run test install system-deps pdf-deps lint format bench screens vendor clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# Debian packages the tests drive: a real Chromium, PostgreSQL server and Redis server,
# poppler's pdftoppm (reports' PDF pages looked at as PNG).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| ! command -v redis-server >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then \
		echo "Installing Chromium, PostgreSQL, Redis and Poppler from Debian packages..."; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium postgresql redis-server poppler-utils fonts-dejavu-core >/dev/null; \
	fi

# What WeasyPrint (reports as PDF) needs from the system, for `make run` too.
pdf-deps:
	@if ! ldconfig -p | grep -q libpangoft2-1.0; then \
		echo "Installing Pango for PDF reports from Debian packages..."; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; \
	fi

run: $(STAMP) pdf-deps
	$(BIN)/i2i db upgrade
	$(BIN)/i2i demo
	@echo ""
	@echo "  I2I is at http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	@echo "  Sign in as ada (admin), maria (manager), dina (designer), rui (researcher), sam (responder)"
	@echo "  with the password: incident-to-insight"
	@echo ""
	$(BIN)/gunicorn -c python:app.gunicorn_conf --workers 2 --bind $(HOST):$(PORT) --access-logfile - 'wsgi:create_app()'

test: $(STAMP) system-deps pdf-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/feed_and_post.py

# Screenshots of the incident page, a feed, the incident list, search and notifications,
# desktop and phone, into docs/screens/ (a throw-away demo, Debian's Chromium).
screens: $(STAMP) system-deps
	$(BIN)/python bench/screens.py

# Refresh the vendored front-end files from the npm registry (never a CDN at run time).
vendor:
	rm -rf .vendor-tmp && mkdir .vendor-tmp
	cd .vendor-tmp && npm pack --silent htmx.org@2.0.11 axe-core@4.14.1 \
		vega@6.4.0 vega-lite@6.5.0 vega-interpreter@2.3.2 >/dev/null && \
		for f in *.tgz; do mkdir "$${f%.tgz}" && tar xzf "$$f" -C "$${f%.tgz}"; done
	cp .vendor-tmp/htmx.org-2.0.11/package/dist/htmx.min.js static/js/vendor/htmx.min.js
	cp .vendor-tmp/axe-core-4.14.1/package/axe.min.js tests/browser/vendor/axe.min.js
	cp .vendor-tmp/vega-6.4.0/package/build/vega.min.js static/js/vendor/vega.min.js
	cp .vendor-tmp/vega-6.4.0/package/LICENSE static/js/vendor/vega.LICENSE
	cp .vendor-tmp/vega-lite-6.5.0/package/build/vega-lite.min.js static/js/vendor/vega-lite.min.js
	cp .vendor-tmp/vega-lite-6.5.0/package/LICENSE static/js/vendor/vega-lite.LICENSE
	# The interpreter is an ES module importing three helpers from vega-util; the vega
	# bundle already exports them, so the one import line reads them from it instead.
	sed "s/^import { ascending, isString, DisallowedObjectProperties } from 'vega-util';$$/const { ascending, isString, DisallowedObjectProperties } = globalThis.vega;/; /sourceMappingURL/d" \
		.vendor-tmp/vega-interpreter-2.3.2/package/build/vega-interpreter.js > static/js/vendor/vega-interpreter.js
	grep -q "globalThis.vega;" static/js/vendor/vega-interpreter.js
	cp .vendor-tmp/vega-interpreter-2.3.2/package/LICENSE static/js/vendor/vega-interpreter.LICENSE
	rm -rf .vendor-tmp

clean:
	rm -rf $(VENV) .pytest_cache
