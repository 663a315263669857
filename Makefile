# govcms — every target sets itself up on a fresh machine (virtualenv + pinned requirements).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
SANDBOX_PORT ?= 8765
DEMO_DB ?= db.sqlite3
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | sha1sum | cut -c1-12)
# pytest-xdist processes: the two-core CI machine finishes the suite in about half the time with 2
# (much of it waits on sockets, subprocesses and PostgreSQL). PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
PYTEST_XDIST := $(if $(filter 0,$(PYTEST_WORKERS)),-p no:xdist,-n $(PYTEST_WORKERS) --dist worksteal)

CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-fast bench lint install browser-deps clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## browser-deps: the browser suite's Chromium and the CJK fonts from Debian (Playwright's own browser
## download is not used), installed quietly when missing. The fonts are also what PDF exports embed
## (GOVCMS_EXPORT_PDF_FONT), so they are installed even when GOVCMS_SKIP_BROWSER=1 skips Chromium
## and the browser suite (tests/browser); without Chromium the suite fails rather than skip.
browser-deps:
	@if [ "$$GOVCMS_SKIP_BROWSER" != 1 ] && { [ ! -x $(CHROMIUM) ] || [ ! -e $(CJK_FONT) ]; }; then \
	  echo "browser-deps: apt-get install chromium fonts-noto-cjk"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium fonts-noto-cjk >/dev/null; \
	elif [ ! -e $(CJK_FONT) ]; then \
	  echo "browser-deps: apt-get install fonts-noto-cjk (PDF exports)"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    fonts-noto-cjk >/dev/null; \
	fi

## make demo: the embedded defaults (SQLite file $(DEMO_DB), tasks in-process, no broker, no Redis):
## migrations; demo data (organisations, accounts, users, check lexicon, leader register); the
## platform sandbox on 127.0.0.1:$(SANDBOX_PORT); the periodic tasks (scheduled release, publishing
## retries and polls, review reminders and escalations, role upkeep) in a background process, every
## entry at least every 10 s; the server on 127.0.0.1:$(PORT). The app calls the sandbox and links to
## the server on those ports (GOVCMS_*_API_BASE / GOVCMS_SITE_URL in the environment still win).
## Ctrl-C stops all three.
demo: install
	env -u CELERY_BROKER_URL -u CACHE_URL DATABASE_URL=sqlite:///$(abspath $(DEMO_DB)) \
	  PORT=$(PORT) SANDBOX_PORT=$(SANDBOX_PORT) DJANGO_SETTINGS_MODULE=govcms.settings.dev sh -c '\
	  accounts=$$(mktemp) && trap "rm -f $$accounts" EXIT && \
	  $(BIN)/python manage.py migrate --noinput -v0 && \
	  $(BIN)/python manage.py seed_demo --sandbox-accounts "$$accounts" && \
	  { $(BIN)/python -m sandbox --host 127.0.0.1 --port $(SANDBOX_PORT) --demo --accounts "$$accounts" & sandbox=$$!; } && \
	  { $(BIN)/python manage.py run_periodic --max-interval 10 & periodic=$$!; } && \
	  trap "kill $$sandbox $$periodic 2>/dev/null; rm -f $$accounts" EXIT INT TERM && \
	  echo "govcms: http://127.0.0.1:$(PORT)/admin/  API: http://127.0.0.1:$(PORT)/api/v1/docs  sandbox: http://127.0.0.1:$(SANDBOX_PORT)/_sandbox/  periodic tasks: running" && \
	  $(BIN)/python manage.py runserver --noreload 127.0.0.1:$(PORT)'

## make test: lint, migration check, the whole suite (PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL are set),
## the browser suite included (its screenshots and page-load summary land in test-artefacts/browser/)
test: install browser-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python manage.py makemigrations --check --dry-run -v1
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

## make test-fast: the suite less the `slow` tests (real workers killed on purpose, the demo's own
## processes, the browser suite), for local work; CI runs everything through `make test`
test-fast: install
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/pytest $(PYTEST_XDIST) -m "not slow" $(PYTEST_ARGS)

## make bench: benchmarks; each prints ratios against a baseline measured in the same run
bench: install
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python bench/ledger.py
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python bench/permissions.py
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python bench/policy.py
	$(BIN)/python bench/content_checks.py
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python bench/review_queue.py
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python bench/pipeline.py
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python bench/images.py
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python bench/compliance.py
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python bench/inbox.py
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python bench/collection.py
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python bench/editor.py

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache .ruff_cache
