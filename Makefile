# ParkAtlas: two commands on a fresh machine — `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PARK ?= data/demo_park.gpkg
HOST ?= 127.0.0.1
PORT ?= 5000
# The local demo on the loopback address opens without a sign-in; `make run AUTH=1` asks for one
# (as a deployment does by default: see docs/accounts.md).
AUTH ?= 0

.PHONY: run serve test screenshot qgis-screenshot install install-dev assets browser clients office demo bench clean

# Root installs Debian packages directly; anyone else through sudo.
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

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

# The browser tests drive Debian's chromium through Playwright (never a downloaded browser);
# a CJK font makes the screenshots readable (the tests pass without it).
browser:
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; } || { \
	  echo "installing Debian chromium and a CJK font for the browser tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

# The client tests drive the real desktop clients from Debian packages: GDAL's tools (ogrinfo, ogr2ogr and
# the GeoPackage validator of python3-gdal) and QGIS's Python bindings, run headless under /usr/bin/python3.
clients:
	@{ command -v ogrinfo >/dev/null 2>&1 && command -v ogr2ogr >/dev/null 2>&1 \
	   && /usr/bin/python3 -c "import qgis.core, osgeo_utils.samples.validate_gpkg" >/dev/null 2>&1; } || { \
	  echo "installing Debian gdal-bin and python3-qgis for the client tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq gdal-bin python3-qgis >/dev/null; }

# The Word report must open in LibreOffice: the suite converts it with Debian's headless Writer (soffice).
office:
	@command -v soffice >/dev/null 2>&1 || { \
	  echo "installing Debian libreoffice-writer-nogui for the report test"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libreoffice-writer-nogui >/dev/null; }

$(PARK): | $(VENV)/.installed
	$(PY) -m flask --app app demo --park $(PARK)

demo: $(VENV)/.installed
	$(PY) -m flask --app app demo --park $(PARK)

run: install assets $(PARK)
	PARKATLAS_PARK=$(PARK) PARKATLAS_AUTH_REQUIRED=$(AUTH) $(PY) -m flask --app app run --host $(HOST) --port $(PORT)

# A deployment: the production WSGI server (waitress), sign-in required; README "Deployment".
# Set PARKATLAS_PROXY=1 when it sits behind a reverse proxy (which should then be the only one to reach it).
serve: install assets
	PARKATLAS_PARK=$(PARK) $(PY) -m flask --app app serve --host $(HOST) --port $(PORT)

test: install-dev assets browser clients office
	$(PY) -m pytest -q

# Refresh docs/overview.png (the README's screenshot) and docs/first-hour/ (the first-hour journey) from the browser tests.
screenshot: install-dev assets browser
	PARKATLAS_UPDATE_DOCS=1 $(PY) -m pytest -q tests/test_web_browser.py tests/test_first_hour_browser.py

# Refresh docs/qgis.png (the demo park drawn by QGIS headless, with its legend) from the client test.
qgis-screenshot: install-dev clients
	PARKATLAS_UPDATE_DOCS=1 $(PY) -m pytest -q tests/test_qgis_clients.py -k screenshot

bench: install-dev
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) static/vendor/node_modules $(PARK)
