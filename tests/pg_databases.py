"""A PostgreSQL database of a test's own on the server the tests are given (STUDYBOT_TEST_POSTGRES), dropped after
it: for the fixtures in conftest.py and the migrations' tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url


@contextmanager
def postgres_database(server_url: str, prefix: str = "studybot_test", template: str | None = None) -> Iterator[str]:
    """The new database's name; `template`: a copy of that database (CREATE DATABASE … TEMPLATE)."""
    server = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    copied = f' TEMPLATE "{template}"' if template else ""
    with server.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"{copied}')
    try:
        yield name
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


def database_url(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)
