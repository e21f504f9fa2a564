#!/bin/sh
# A throw-away PostgreSQL + PostGIS server on 127.0.0.1 for trying ParkAtlas against PostGIS.
# Installs Debian's postgresql and postgresql-15-postgis-3 when absent (root: apt-get, else sudo),
# prints the PARKATLAS_DATABASE_URL to use, and deletes everything when stopped with Ctrl-C.
# The tests do the same from the session fixture in tests/conftest_postgis.py.
set -e
cd "$(dirname "$0")/.."
exec "${PYTHON:-.venv/bin/python}" -m layers.pgcluster "$@"
