"""Word segmentation for grading 填空 answers: a private jieba tokenizer, loaded once, on first use.

The tokenizer is our own `jieba.Tokenizer()`, never jieba's global default one, so words we add (a bank's answers,
so that 两个维护 or 提高质量 stay one word) do not leak into other code using jieba, and theirs not into ours.
Its prefix dictionary (~350,000 words, ~500,000 prefixes) takes about 0.7 s to build from jieba's dict.txt and
~0.2 s to load from the marshal cache jieba writes, so it is loaded lazily: importing this module (or `quizzes`,
or running `studybot --help`) neither imports jieba nor loads the dictionary.

The cache lives in `$STUDYBOT_CACHE_DIR`, else `~/.cache/studybot`, else the system temp dir. jieba's own log lines
("Building prefix dict …") go to this module's logger at DEBUG instead of jieba's stderr handler."""

from __future__ import annotations

import logging
import marshal
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:  # pragma: no cover
    import jieba

__all__ = ["tokenizer", "is_loaded", "cut", "split_words", "words_added", "is_word", "frequency", "cache_dir",
           "CACHE_ENV", "load_seconds"]

log = logging.getLogger(__name__)

CACHE_ENV = "STUDYBOT_CACHE_DIR"
CACHE_FILE = "jieba.cache"

# A module-level lazy holder rather than an object passed around: the dictionary is large (~60 MB in memory) and
# must be loaded once per process, whoever grades first (contest, 每日一题, a bank loader calling prepare()).
_tokenizer: jieba.Tokenizer | None = None
_lock = threading.RLock()
_load_seconds: float | None = None


def cache_dir() -> Path:
    """Where jieba's prefix-dictionary cache is kept; created if need be (the temp dir when it cannot be)."""
    configured = os.environ.get(CACHE_ENV)
    candidates = [Path(configured).expanduser()] if configured else []
    candidates.append(Path.home() / ".cache" / "studybot")
    for candidate in candidates:
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return candidate
    return Path(tempfile.gettempdir())


class _ToDebug(logging.Filter):
    """Re-logs jieba's records on our logger at DEBUG and drops them from jieba's stderr handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        log.debug("jieba: %s", record.getMessage())
        return False


def tokenizer() -> jieba.Tokenizer:
    """The shared tokenizer, its dictionary loaded (from the cache when there is one)."""
    global _tokenizer, _load_seconds
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None:
            import jieba  # deferred: importing jieba alone costs ~0.2 s

            started = time.perf_counter()
            instance = jieba.Tokenizer()
            instance.tmp_dir = str(cache_dir())
            instance.cache_file = CACHE_FILE
            if not _load_cache(instance, Path(instance.tmp_dir) / CACHE_FILE):
                quiet = _ToDebug()
                jieba_log = logging.getLogger("jieba")
                jieba_log.addFilter(quiet)
                try:
                    instance.initialize()  # builds the prefix dict from dict.txt and writes the cache file
                finally:
                    jieba_log.removeFilter(quiet)
            _load_seconds = time.perf_counter() - started
            log.debug("jieba dictionary ready in %.2f s (cache in %s)", _load_seconds, instance.tmp_dir)
            _tokenizer = instance
    return _tokenizer


def _load_cache(instance: jieba.Tokenizer, path: Path) -> bool:
    """Read the cache jieba wrote, as jieba would, but in one read: jieba's marshal.load() on the open file reads
    it piecemeal, about 4x slower (0.7 s instead of 0.2 s here). False (and jieba builds it anew) if unusable."""
    try:
        freq, total = marshal.loads(path.read_bytes())
    except Exception:  # missing, truncated or from another Python: rebuilt by jieba
        return False
    if not isinstance(freq, dict) or not freq or not total:
        return False
    instance.FREQ, instance.total, instance.initialized = freq, total, True
    log.debug("jieba: prefix dict loaded from cache %s", path)
    return True


def is_loaded() -> bool:
    return _tokenizer is not None


def load_seconds() -> float | None:
    """How long loading the dictionary took in this process, or None if it is not loaded."""
    return _load_seconds


def cut(text: str) -> list[str]:
    """jieba's accurate mode without HMM: only dictionary words (ours included), so typos are not made into words."""
    return tokenizer().lcut(text, HMM=False)


def is_word(text: str) -> bool:
    """True if the dictionary (with the words added) knows `text` as a word."""
    return bool(tokenizer().FREQ.get(text))


def frequency(text: str) -> int:
    """How often jieba's corpus has `text` as a word (0 when it is not a word)."""
    return tokenizer().FREQ.get(text) or 0


@contextmanager
def words_added(words: Iterable[str]) -> Iterator[None]:
    """Segment with `words` added to the dictionary, and only for the duration: one question's own
    answers are words while its answers are graded, and never leak into another question's grading
    (which would make verdicts depend on the order questions were seen). Holds the lock throughout."""
    tk = tokenizer()
    with _lock:
        total, saved = tk.total, {}
        for word in words:
            if len(word) > 1 and not tk.FREQ.get(word) and word not in saved:
                saved[word] = tk.FREQ.get(word)
                tk.add_word(word)  # frequency suggested by jieba: just enough to keep the word whole
        try:
            yield
        finally:
            for word, old in saved.items():  # jieba's del_word leaves `total` inflated: restore by hand
                if old is None:
                    del tk.FREQ[word]
                else:
                    tk.FREQ[word] = old
            tk.total = total


def split_words(text: str) -> list[str]:
    """The words of `text` as the dictionary splits it, except that `text` itself is not taken as one word:
    提高质量 → 提高/质量, 党的纪律 → 党/的/纪律 (both are dictionary words). Used to find an answer's key words.
    `text` should be one block without spaces or punctuation (a normalised answer)."""
    if len(text) <= 1:
        return [text] if text else []
    tk = tokenizer()
    n = len(text)
    dag = tk.get_DAG(text)
    first = [end for end in dag[0] if end != n - 1]
    dag[0] = first or [0]
    route: dict[int, tuple[float, int]] = {}  # (log probability, end of the word starting here)
    tk.calc(text, dag, cast("dict[int, tuple[int, int]]", route))  # types-jieba has the probability an int
    words: list[str] = []
    ascii_run = ""
    x = 0
    while x < n:
        y = route[x][1] + 1
        word = text[x:y]
        if len(word) == 1 and word.isascii() and word.isalnum():
            ascii_run += word  # as jieba does: 2020 is one word, not four
        else:
            if ascii_run:
                words.append(ascii_run)
                ascii_run = ""
            words.append(word)
        x = y
    if ascii_run:
        words.append(ascii_run)
    return words
