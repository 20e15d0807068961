"""Searching the study library: BM25 over jieba words, per field, title and tags counting most.

Each field (title, tags, summary, body) is scored with BM25 on its own and the scores are added with weights
4, 3, 2, 1, so one mention in a title outweighs any number of mentions in a body. idf is taken over the whole
library, so words every item uses (党, 工作) count for little. Words jieba does not know are split into single
characters (三会一课 → 三/会/一/课), which alone match loosely; so each query chunk of several words is also
matched as a phrase, and a query found verbatim in a title gets a bonus no other item can reach by words alone."""

from __future__ import annotations

import math
import threading
import unicodedata
import weakref
from collections import Counter
from dataclasses import dataclass

from content.items import StudyItem
from content.library import Library
from quizzes.grading.segmenter import cut

__all__ = ["Hit", "SearchIndex", "search", "terms"]

# (field, weight, BM25 b): titles and tags are short and near-equal in length, so no length normalisation there.
_FIELDS = (("title", 4.0, 0.0), ("tags", 3.0, 0.0), ("summary", 2.0, 0.5), ("body", 1.0, 0.75))
_K1 = 1.2

# Single characters that carry no topic, and question words a member may type ("什么是三会一课").
_STOP_CHARS = set("的了和与及或是在对把被之其而也都就等为以于由从向着过吗呢啊吧呀么"
                  "这那有个每各该并又且则即但还很更最将已要让给跟同如若")
_STOP_WORDS = {
    "什么", "怎么", "怎样", "如何", "哪些", "哪个", "为什么", "是否", "关于", "有关", "我们", "你们", "他们",
    "一个", "一些", "这个", "那个", "这些", "那些", "以及", "进行", "可以", "没有", "还是", "请问", "介绍",
}


@dataclass(frozen=True)
class Hit:
    item: StudyItem
    score: float


def _normal(text: str) -> str:
    # NFKC folds full-width letters and digits (ｘｙｚ, ２０２２) into the forms the items are written in
    return unicodedata.normalize("NFKC", text).lower()


def _is_word(token: str) -> bool:
    if not token or token in _STOP_WORDS or token in _STOP_CHARS:
        return False
    if len(token) == 1 and token.isascii():
        return False
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)  # drops punctuation, symbols, spaces


def terms(text: str) -> list[str]:
    """The searchable words of `text`, in order, repeats kept (they are term frequencies)."""
    return [token for token in cut(_normal(text)) if _is_word(token)]


@dataclass
class _Field:
    counts: list[Counter[str]]  # per item
    lengths: list[int]
    texts: list[str]  # normalised, for phrase counts
    average: float


class SearchIndex:
    """Term statistics of one library, built on the first search (segmenting loads jieba's dictionary)."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self._items = library.items
        self._fields: dict[str, _Field] | None = None
        self._document_frequency: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _build(self) -> dict[str, _Field]:
        with self._lock:
            if self._fields is None:
                fields: dict[str, _Field] = {}
                texts_of = {
                    "title": [item.title for item in self._items],
                    "tags": [" ".join(item.tags) for item in self._items],
                    "summary": [item.summary for item in self._items],
                    "body": [item.body for item in self._items],
                }
                seen: list[set[str]] = [set() for _ in self._items]
                for name, texts in texts_of.items():
                    counts = [Counter(terms(text)) for text in texts]
                    for words, count in zip(seen, counts):
                        words.update(count)
                    lengths = [sum(count.values()) for count in counts]
                    average = sum(lengths) / len(lengths) if lengths else 0.0
                    fields[name] = _Field(counts, lengths, [_normal(text) for text in texts], average)
                for words in seen:
                    self._document_frequency.update(words)
                self._fields = fields
        return self._fields

    def _idf(self, document_frequency: int) -> float:
        n = len(self._items)
        return math.log(1 + (n - document_frequency + 0.5) / (document_frequency + 0.5))

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        """The best `limit` items for `query`, best first; ties keep library order. [] for a blank query."""
        query = _normal(query).strip()
        if not query or limit <= 0 or not self._items:
            return []
        fields = self._build()
        words, phrases = _query_terms(query)
        if not words and not phrases:
            return []
        idf = {word: self._idf(self._document_frequency[word]) for word in words}
        for phrase in phrases:
            frequency = sum(1 for i in range(len(self._items)) if any(phrase in f.texts[i] for f in fields.values()))
            idf[phrase] = self._idf(frequency)
        # Any item's score from words and phrases stays below this, so the bonus puts verbatim titles first.
        ceiling = sum(value * (_K1 + 1) for value in idf.values()) * sum(weight for _, weight, _ in _FIELDS)
        compact = "".join(query.split())
        hits = []
        for index, item in enumerate(self._items):
            score = 0.0
            for name, weight, b in _FIELDS:
                field = fields[name]
                norm = 1 - b + b * field.lengths[index] / field.average if field.average else 1.0
                frequencies = [(field.counts[index][word], idf[word]) for word in words]
                frequencies += [(field.texts[index].count(phrase), idf[phrase]) for phrase in phrases]
                for frequency, weight_of_term in frequencies:
                    if frequency:
                        score += weight * weight_of_term * frequency * (_K1 + 1) / (frequency + _K1 * norm)
            if score > 0 and len(compact) > 1 and compact in "".join(fields["title"].texts[index].split()):
                score += ceiling
            if score > 0:
                hits.append((score, index, item))
        hits.sort(key=lambda hit: (-hit[0], hit[1]))
        return [Hit(item, round(score, 6)) for score, _, item in hits[:limit]]


def _query_terms(query: str) -> tuple[list[str], list[str]]:
    """The query's words and phrases. A phrase is a run of several words with no stop word or space between them
    (什么是三会一课 → 三/会/一/课 → 三会一课); its single characters are left out as words, since alone they match
    almost any item and the phrase stands for them."""
    words: list[str] = []
    phrases: list[str] = []
    run: list[str] = []
    for token in [*cut(query), " "]:  # the trailing space ends the last run
        if _is_word(token):
            run.append(token)
            continue
        if len(run) > 1:
            phrases.append("".join(run))
            run = [word for word in run if len(word) > 1]
        words += run
        run = []
    words = list(dict.fromkeys(words))
    return words, [phrase for phrase in dict.fromkeys(phrases) if phrase not in words]


# One index per library for search(): libraries are read-only, so the index never goes stale.
_indexes: weakref.WeakKeyDictionary[Library, SearchIndex] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


def search(library: Library, query: str, limit: int = 5) -> list[Hit]:
    """`SearchIndex(library).search(query, limit)`, with the index kept for the library's next search."""
    with _indexes_lock:
        index = _indexes.get(library)
        if index is None:
            index = _indexes[library] = SearchIndex(library)
    return index.search(query, limit)
