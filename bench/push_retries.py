"""Pushes to slow group webhooks: how many copies reach each group, and whether the outbox counts them.

    .venv/bin/python bench/push_retries.py [--pushes 183] [--late 20]

The outbox worker sends one push to each of `--pushes` groups through WeCom's group webhooks (the
real client: lanes, rate windows, 10 s timeout) to a fake on loopback, on virtual time
(tests/push_scenarios.py), in two ways the platform can be slow:
- late: it answers every request only after the client's timeout (`--late` pushes);
- serial: it handles one request at a time, 1.5 s each, so only the first few of a burst are
  answered within the timeout and the rest time out while still queued (they reach the group later).
The goal: every push delivered; at most one extra copy for a push whose request timed out, none for
the rest; the outbox's attempts equal the requests the platform saw, push by push."""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections import Counter
from pathlib import Path

import common  # noqa: F401  (the project and tests/ on sys.path)
from push_scenarios import SERVICE, TIMEOUT, Figures, run_pushes


def report(kind: str, pushes: int, figures: Figures, wall: float) -> bool:
    copies = Counter(p.copies for p in figures.pushes)
    timed_out = [p for p in figures.pushes if p.unconfirmed]
    clean = [p for p in figures.pushes if not p.unconfirmed]
    counted = sum(p.attempts == p.copies for p in figures.pushes)
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(Counter(p.status for p in figures.pushes).items()))
    print(f"{kind}: {pushes} pushes -> {figures.requests} requests ({figures.requests / pushes:.2f} per push); "
          f"virtual {figures.took:.0f} s, wall {wall:.2f} s")
    print("  copies in the group: " + ", ".join(f"{n} push(es) x{c}" for c, n in sorted(copies.items())))
    print(f"  timed out at least once: {len(timed_out)}, of which shown twice {sum(p.copies == 2 for p in timed_out)}; "
          f"never timed out: {len(clean)}, of which shown more than once {sum(p.copies > 1 for p in clean)}")
    print(f"  outbox: {statuses}; attempts = requests seen for {counted}/{pushes} pushes")
    ok = (all(p.copies >= 1 for p in figures.pushes) and all(p.copies <= 2 for p in timed_out)
          and all(p.copies == 1 for p in clean) and counted == pushes)
    print(f"  goal {'met' if ok else 'MISSED'}")
    return ok


async def measure(workdir: Path, kind: str, pushes: int) -> bool:
    began = time.perf_counter()
    figures = await run_pushes(workdir, kind, pushes)
    return report(kind, pushes, figures, time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=183, help="pushes to the one-at-a-time webhook")
    parser.add_argument("--late", type=int, default=20, help="pushes to the webhook that answers too late")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)  # the outbox's warnings, one per retry, are not the figures
    print(f"client timeout {TIMEOUT:g} s; the serial webhook takes {SERVICE:g} s a request")
    with tempfile.TemporaryDirectory() as tmp:
        results = [asyncio.run(measure(Path(tmp), "late", args.late)),
                   asyncio.run(measure(Path(tmp), "serial", args.pushes))]
    raise SystemExit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
