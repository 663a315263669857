# govcms — every target sets itself up on a fresh machine (virtualenv + pinned requirements).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
SANDBOX_PORT ?= 8765
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | sha1sum | cut -c1-12)

.PHONY: demo test bench lint install clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## make demo: embedded defaults (SQLite, tasks in-process), demo data, the platform sandbox on
## 127.0.0.1:$(SANDBOX_PORT) and the server on 127.0.0.1:$(PORT)
demo: install
	env -u DATABASE_URL -u CELERY_BROKER_URL DJANGO_SETTINGS_MODULE=govcms.settings.dev sh -c '\
	  $(BIN)/python manage.py migrate --noinput -v0 && \
	  $(BIN)/python manage.py seed_demo && \
	  { $(BIN)/python -m publishing.sandbox --host 127.0.0.1 --port $(SANDBOX_PORT) --demo & sandbox=$$!; } && \
	  trap "kill $$sandbox 2>/dev/null" EXIT INT TERM && \
	  echo "govcms: http://127.0.0.1:$(PORT)/admin/  API: http://127.0.0.1:$(PORT)/api/v1/docs  sandbox: http://127.0.0.1:$(SANDBOX_PORT)/_sandbox/" && \
	  $(BIN)/python manage.py runserver --noreload 127.0.0.1:$(PORT)'

## make test: lint, migration check, the whole suite (PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL are set)
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python manage.py makemigrations --check --dry-run -v1
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/pytest $(PYTEST_ARGS)

## make bench: benchmarks; each prints ratios against a baseline measured in the same run
bench: install
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python bench/ledger.py
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python bench/permissions.py
	$(BIN)/python bench/content_checks.py
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python bench/review_queue.py
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python bench/pipeline.py
	DJANGO_SETTINGS_MODULE=govcms.settings.test $(BIN)/python bench/images.py

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache .ruff_cache
