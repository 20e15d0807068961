"""Reading and importing a question bank, and how long the command line takes to start.

    .venv/bin/python bench/bank_import.py [FILE]     (default: the public 1,486-question bank in ../shared)

Goals: the 1,486-question bank read and checked (read_bank, which the test suite once timed) and imported in
under 3 s each; `studybot --help` and start-up under 2 s."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.services.bank_import import import_bank  # noqa: E402
from bot.storage.banks import load_stored_banks  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from quizzes.bank_io import read_bank  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "data" / "public-banks" / "dangshi-1486.json"


def timed(command: list[str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not path.exists():
        sys.exit(f"{path} not found: pass a bank file")
    studybot = str(Path(sys.executable).with_name("studybot"))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = read_bank(path)
        read_s = time.perf_counter() - started
        db = Database(f"sqlite:///{tmp}/bench.db")
        db.create_schema()
        started = time.perf_counter()
        import_bank(db, result.bank, source=path.name, replace=False, now=datetime.now())
        store_s = time.perf_counter() - started
        started = time.perf_counter()
        with db.session() as session:
            loaded = load_stored_banks(session=session)
        load_s = time.perf_counter() - started
        db.dispose()
        (Path(tmp) / "studybot.yaml").write_text(f"database:\n  url: sqlite:///{tmp}/cli.db\n", encoding="utf-8")
        cli_import_s = timed([studybot, "bank", "import", str(path), "--name", "bench"], tmp)
        help_s = min(timed([studybot, "--help"], tmp) for _ in range(3))
        script = Path(tmp) / "s.chat"
        script.write_text("张三: 开始竞赛 bench 5\n张三: 结束竞赛\n", encoding="utf-8")
        start_s = timed([studybot, "chat", "--script", str(script), "--database", f"sqlite:///{tmp}/cli.db"], tmp)
    print(f"{path.name}: {result.summary()}")
    print(f"read and check        {read_s:6.2f} s  goal < 3 s: {'met' if read_s < 3 else 'NOT met'}")
    print(f"store in SQLite       {store_s:6.2f} s")
    print(f"load from SQLite      {load_s:6.2f} s  ({sum(len(b.questions) for b in loaded.values())} questions)")
    print(f"studybot bank import  {cli_import_s:6.2f} s  (whole command)  goal < 3 s: "
          f"{'met' if cli_import_s < 3 else 'NOT met'}")
    print(f"studybot --help       {help_s:6.2f} s  goal < 2 s: {'met' if help_s < 2 else 'NOT met'}")
    print(f"start, 5-question contest from the imported bank, stop: {start_s:.2f} s (whole command)  goal < 2 s: "
          f"{'met' if start_s < 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
