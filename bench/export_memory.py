"""The 排行 .xlsx of 100,000 members written both ways, each in a forked child, for bench/dashboard.py: the cell
grid (rank_book, what the export used before) and the streamed writer (rank_xlsx: XlsxWriter, what it uses now);
the memory is the child's RSS growth over its own before (sampled every 5 ms)."""

from __future__ import annotations

import threading
import time

import common  # noqa: F401  (the project on sys.path)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS")).split()[1]) / 1024


class PeakRss:
    """`with PeakRss() as rss:` samples this process's RSS every 5 ms; after the block, rss.grown is the peak over
    what it was before (MB), rss.peak the peak and rss.took the block's wall time (s)."""

    def __enter__(self) -> PeakRss:
        self.before = self.peak = rss_mb()
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        self._started = time.perf_counter()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.005)

    def __exit__(self, *exc: object) -> None:
        self.took = time.perf_counter() - self._started
        self._stop.set()
        self._sampler.join()
        self.grown = self.peak - self.before


def _write_in_child(way: str, rows: int, out) -> None:
    """In a forked child: the records, then the sheet written one way, with the RSS sampled every 5 ms."""
    from bot.services.rank_table import MEMBER_COLUMNS, rank_book, rank_xlsx
    from bot.services.sheets import book_bytes

    records = [{"rank": i, "name": f"成员{i:06d}", "branch": f"第{i % 1000 + 1}党支部", "points": 100_000 - i}
               for i in range(1, rows + 1)]
    with PeakRss() as rss:
        body = (book_bytes(rank_book(records, MEMBER_COLUMNS, "个人")) if way == "before"
                else rank_xlsx(records, MEMBER_COLUMNS, "个人"))
    out.send((rss.grown, rss.took, len(body)))


def export_memory(rows: int = 100_000) -> None:
    """The 排行 .xlsx of `rows` members written both ways, each in a forked child (RSS growth over the child's own
    before): the cell grid (rank_book, what the export used before) and the streamed writer (rank_xlsx, now)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    print()
    for way, label in (("before", "rank_book (cell grid)"), ("after", "rank_xlsx (streamed)")):
        mine, theirs = context.Pipe()
        child = context.Process(target=_write_in_child, args=(way, rows, theirs))
        child.start()
        grown, took, size = mine.recv()
        child.join()
        print(f"export memory {rows:,} rows, {way}: {label}: RSS +{grown:.0f} MB, {took:.2f} s, "
              f"{size / 1e6:.1f} MB file")
