"""PostGIS fixtures: one throw-away server per test session, one schema per test.

``postgis_url`` starts a local PostgreSQL + PostGIS on 127.0.0.1 (installing the
Debian packages first when absent) and stops it after the session. Set
``PARKATLAS_TEST_DATABASE_URL`` to run the same tests against an existing server
instead (each test then works in its own schema and drops it afterwards).
"""

from __future__ import annotations

import os
import uuid

import pytest

from layers.pgcluster import ThrowawayCluster
from layers.postgis import PostGISStore


@pytest.fixture(scope="session")
def postgis_url():
    """URL of a PostGIS database for this test session."""
    existing = os.environ.get("PARKATLAS_TEST_DATABASE_URL")
    if existing:
        yield existing
        return
    cluster = ThrowawayCluster()
    cluster.start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture
def postgis_store(postgis_url):
    """An empty PostGIS park store in a schema of its own, dropped after the test."""
    store = PostGISStore(postgis_url, schema=f"t_{uuid.uuid4().hex[:12]}")
    yield store
    with store.connection() as conn:
        conn.execute(store._sql("DROP SCHEMA IF EXISTS {} CASCADE", store.schema))
        conn.execute(store._sql("DROP SCHEMA IF EXISTS {} CASCADE", store.schema + "__staging"))
    store.close()


def psql(store, statement: str, *names: str, params=()) -> None:
    """What an outside client does: plain SQL on the park's tables (``{}`` in ``statement`` for the identifiers
    ``names``), committed."""
    with store.connection() as conn:
        conn.execute(store._sql(statement, *names), params)
