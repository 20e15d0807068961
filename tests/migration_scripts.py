"""Test-only revision directories: studybot's own revisions copied, with one revision of the test's on top of the
newest (revision 9001), so a test can upgrade a database past what the code ships: keeping rows through a table
rebuilt, failing half-way, or waiting on a gate while another process tries to upgrade too."""

from __future__ import annotations

import shutil
import textwrap
import threading
from pathlib import Path

from bot.storage.schema import MIGRATIONS

__all__ = ["scripts_with", "Gate", "GATES", "TEST_REVISION"]

TEST_REVISION = "9001"


def scripts_with(where: Path, upgrade: str) -> Path:
    """A copy of the revisions under `where`, plus 9001 whose upgrade() body is `upgrade` (it may use `op`, `sa` and
    `GATES`); the copy's directory."""
    copy = where / "migrations"
    shutil.copytree(MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    head = _head(copy)
    body = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    (copy / "versions" / f"{TEST_REVISION}_test_only.py").write_text(f'''"""A test's own revision."""
import sqlalchemy as sa
from alembic import op

from migration_scripts import GATES

revision = "{TEST_REVISION}"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
{body}


def downgrade() -> None:
    raise NotImplementedError
''', encoding="utf-8")
    return copy


def _head(migrations: Path) -> str:
    from alembic.script import ScriptDirectory

    from bot.storage.schema import alembic_config

    head = ScriptDirectory.from_config(alembic_config(migrations=migrations)).get_current_head()
    assert head is not None
    return head


class Gate:
    """Where a test revision stops until the test lets it go; counts how many times it was reached."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()
        self.runs = 0

    def pass_through(self) -> None:
        self.runs += 1
        self.reached.set()
        assert self.release.wait(timeout=60), "the test never let the revision go on"


GATES: dict[str, Gate] = {}
