# ParkAtlas: two commands on a fresh machine — `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PARK ?= data/demo_park.gpkg
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev assets demo bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Leaflet and every browser asset come from pinned npm packages, served by the app.
static/vendor/node_modules/.installed: static/vendor/package.json static/vendor/package-lock.json
	cd static/vendor && npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: static/vendor/node_modules/.installed

$(PARK): | $(VENV)/.installed
	$(PY) -m flask --app app demo --park $(PARK)

demo: $(VENV)/.installed
	$(PY) -m flask --app app demo --park $(PARK)

run: install assets $(PARK)
	PARKATLAS_PARK=$(PARK) $(PY) -m flask --app app run --host $(HOST) --port $(PORT)

test: install-dev assets
	$(PY) -m pytest -q

bench: install-dev
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) static/vendor/node_modules $(PARK)
