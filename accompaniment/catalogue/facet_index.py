"""An in-memory faceted index of one catalogue table: boolean masks, sort orders, text postings.

PostgreSQL stays the source of every fact; this is a per-process copy shaped for the one
question a search page asks many times a second: "among the entries this portal shows that
match these words and filters, how many have each facet option, and which twenty come first?".
In SQL that question cost one aggregate over every visible row (tens of milliseconds for a
portal seeing 50,000 aids); over numpy masks it is a few dozen vectorised AND and popcounts
(well under a millisecond).

- Entries sit at **positions** 0…n-1 in the database's `ORDER BY name, id` (so the name sort is
  the identity and collation stays PostgreSQL's).
- Each facet option is a boolean mask over the positions, computed once from the row's columns.
- Other sort orders are permutations of the positions, computed once.
- Words: the search text becomes a tsquery in PostgreSQL (`tsquery.py`); each lexeme's postings
  (which entries hold it, and in which weighted fields) are read from the table's GIN-indexed
  `search_vector` the first time they are needed, then kept. Set operations over them answer
  `&`, `|`, `!` exactly; phrases are narrowed here and checked by PostgreSQL.

An index never changes once built: `indexes.py` builds a new one when the catalogue changes.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection

from accompaniment.catalogue.tsquery import (
    And,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    TsqueryParseError,
    is_exact_without_positions,
    lexemes_of,
    parse_tsquery,
)

logger = logging.getLogger(__name__)

Mask = np.ndarray  # of bool, one per position
# Relevance: a term in the name counts 1, in the summary 0.4, in the description 0.2 (PostgreSQL's
# default weights for A, B, C, D); a term found in several fields counts each field once; the
# terms of the query add up (see `TextPostings._score`).
FIELD_WEIGHTS = {"A": 1.0, "B": 0.4, "C": 0.2, "D": 0.1}
SCORE_STEPS = 10  # every score is a multiple of 0.1: exact as an integer of tenths


def _quoted_lexeme(lexeme: str, weight: str = "") -> str:
    """A tsquery literal matching exactly this (already normalised) lexeme."""
    escaped = lexeme.replace("\\", "\\\\").replace("'", "''")
    return f"'{escaped}'" + (f":{weight}" if weight else "")


@dataclass(frozen=True)
class TextMatch:
    mask: Mask
    scores: np.ndarray  # int32 tenths of relevance, one per position


class TextPostings:
    """Which positions hold a lexeme, and with which weight: read once per lexeme, then kept.

    Bounded: beyond `max_postings` entries in all, the least recently used lexemes are dropped.
    """

    def __init__(
        self,
        table: str,
        ids: np.ndarray,
        to_positions: Callable[[np.ndarray], np.ndarray],
        max_postings: int,
        *,
        document_sql: str = "search_vector",
        extra_sources: Sequence[tuple[str, str]] = (),
    ):
        """`extra_sources`: other tables whose `search_vector` belongs to the entry named by a key
        column (a structure's offers); `document_sql`: the entry's whole document as one tsvector,
        for what only PostgreSQL can answer."""
        self.table = connection.ops.quote_name(table)
        self.ids = ids  # position → primary key
        self.size = len(ids)
        self.to_positions = to_positions
        self.max_postings = max_postings
        self.document_sql = document_sql
        self.extra_sources = [(connection.ops.quote_name(t), connection.ops.quote_name(k)) for t, k in extra_sources]
        self._postings: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def postings(self, lexeme: str) -> tuple[np.ndarray, np.ndarray]:
        """(positions, score in tenths) of the entries whose document holds `lexeme`."""
        with self._lock:
            found = self._postings.get(lexeme)
            if found is not None:
                self._postings.move_to_end(lexeme)
                return found
        return self.load([lexeme])[lexeme]

    def load(self, lexemes: Sequence[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The postings of `lexemes`, those not kept yet read in one query, and kept."""
        with self._lock:
            found = {lexeme: self._postings[lexeme] for lexeme in lexemes if lexeme in self._postings}
        missing = list(dict.fromkeys(lexeme for lexeme in lexemes if lexeme not in found))
        if not missing:
            return found
        # One row per (word, entry): the entry's own fields, plus its best row of each other source.
        # One branch per word, so that each compares with constants (a tsquery taken from a joined
        # row costs as much again per comparison).
        score = " + ".join(
            f"CASE WHEN search_vector @@ %s::tsquery THEN {round(weight * SCORE_STEPS)} ELSE 0 END"
            for weight in FIELD_WEIGHTS.values()
        )
        branches: list[str] = []
        params: list[Any] = []
        for number, lexeme in enumerate(missing):
            word = [number, *(_quoted_lexeme(lexeme, weight) for weight in FIELD_WEIGHTS), _quoted_lexeme(lexeme)]
            branches.append(
                f"SELECT %s, id, {score} FROM {self.table} WHERE is_active AND search_vector @@ %s::tsquery"
            )
            params += word
            for table, key in self.extra_sources:
                branches.append(
                    f"SELECT %s, {key}, max({score}) FROM {table}"
                    f" WHERE is_active AND search_vector @@ %s::tsquery GROUP BY {key}"
                )
                params += word
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(branches), params)
            rows = cursor.fetchall()
        words = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        positions = self.to_positions(np.fromiter((row[1] for row in rows), dtype=np.int64, count=len(rows)))
        row_scores = np.fromiter((row[2] for row in rows), dtype=np.int32, count=len(rows))
        keep = positions >= 0
        words, positions, row_scores = words[keep], positions[keep], row_scores[keep]
        for number, lexeme in enumerate(missing):
            totals = np.zeros(self.size, dtype=np.int32)
            chosen = words == number
            np.add.at(totals, positions[chosen], row_scores[chosen])
            held = np.flatnonzero(totals)
            found[lexeme] = (held, totals[held])
        with self._lock:
            for lexeme in missing:
                self._postings[lexeme] = found[lexeme]
                self._held += len(found[lexeme][0])
            while self._held > self.max_postings and len(self._postings) > 1:
                _, (dropped, _) = self._postings.popitem(last=False)
                self._held -= len(dropped)
        return found

    def clear(self) -> None:
        with self._lock:
            self._postings.clear()
            self._held = 0

    def _mask(self, positions: np.ndarray) -> Mask:
        mask = np.zeros(self.size, dtype=bool)
        mask[positions] = True
        return mask

    def _evaluate(self, node: Node) -> Mask:
        if isinstance(node, Term):
            return self._mask(self.postings(node.lexeme)[0])
        if isinstance(node, Not):
            return ~self._evaluate(node.operand)
        if isinstance(node, And | Phrase):
            return self._evaluate(node.left) & self._evaluate(node.right)
        if isinstance(node, Or):
            return self._evaluate(node.left) | self._evaluate(node.right)
        raise TypeError(node)

    def _ids_matching_in_sql(self, tsquery: str, candidates: np.ndarray | None) -> Mask:
        """PostgreSQL's own answer, for what set operations cannot settle (phrases, suffixes)."""
        sql = f"SELECT id FROM {self.table} WHERE is_active AND ({self.document_sql}) @@ %s::tsquery"
        params: list[Any] = [tsquery]
        if candidates is not None:
            sql += " AND id = ANY(%s)"
            params.append([int(value) for value in self.ids[candidates]])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64)
        positions = self.to_positions(found)
        return self._mask(positions[positions >= 0])

    def match(self, tsquery: str) -> TextMatch:
        """The positions matching `tsquery` (PostgreSQL's text form) and their relevance."""
        try:
            tree = parse_tsquery(tsquery)
        except TsqueryParseError:  # a form this parser does not know: PostgreSQL answers, unranked
            logger.warning("catalogue search: tsquery not understood, answered by PostgreSQL: %r", tsquery)
            return TextMatch(self._ids_matching_in_sql(tsquery, None), np.zeros(self.size, dtype=np.int32))
        if tree is None:  # only stop words: PostgreSQL matches nothing
            return TextMatch(np.zeros(self.size, dtype=bool), np.zeros(self.size, dtype=np.int32))
        self.load(lexemes_of(tree))  # every word not kept yet, in one query
        exact = is_exact_without_positions(tree)
        if exact is None:
            mask = self._ids_matching_in_sql(tsquery, None)
        else:
            mask = self._evaluate(tree)
            if not exact:
                mask = self._ids_matching_in_sql(tsquery, np.flatnonzero(mask))
        return TextMatch(mask, self._score(tree))

    def _score(self, node: Node) -> np.ndarray:
        """Relevance in tenths: the terms' weighted fields added up; a phrase (a hyphenated
        compound is one) counts as its best word; nothing under `!`."""
        if isinstance(node, Term):
            scores = np.zeros(self.size, dtype=np.int32)
            positions, term_scores = self.postings(node.lexeme)
            scores[positions] = term_scores
            return scores
        if isinstance(node, Not):
            return np.zeros(self.size, dtype=np.int32)
        if isinstance(node, Phrase):
            return np.maximum(self._score(node.left), self._score(node.right))
        return self._score(node.left) + self._score(node.right)


@dataclass
class FacetIndex:
    """One table's entries at positions in name order, with facet masks and sort orders."""

    ids: np.ndarray  # int64: position → primary key
    options: dict[str, dict[str, Mask]]  # facet → option value → mask
    orders: dict[str, np.ndarray]  # sort → positions in that order (the name order is the identity)
    columns: dict[str, np.ndarray]  # other values filters compare (amounts…), one per position
    text: TextPostings = field(init=False)
    table: str = ""
    document_sql: str = "search_vector"
    extra_text_sources: tuple[tuple[str, str], ...] = ()
    max_postings: int = 2_000_000

    def __post_init__(self) -> None:
        self.size = len(self.ids)
        self._sorted = np.argsort(self.ids, kind="stable")
        self._sorted_ids = self.ids[self._sorted]
        self.text = TextPostings(
            self.table,
            self.ids,
            self.positions_of,
            self.max_postings,
            document_sql=self.document_sql,
            extra_sources=self.extra_text_sources,
        )

    def positions_of(self, ids: np.ndarray) -> np.ndarray:
        """The positions of these primary keys; -1 for those not in the index."""
        ids = np.asarray(ids, dtype=np.int64)
        if not self.size or not len(ids):
            return np.full(len(ids), -1, dtype=np.int64)
        where = np.searchsorted(self._sorted_ids, ids)
        where = np.minimum(where, self.size - 1)
        return np.where(self._sorted_ids[where] == ids, self._sorted[where], -1)

    def mask_of(self, ids: Sequence[int] | np.ndarray) -> Mask:
        mask = np.zeros(self.size, dtype=bool)
        positions = self.positions_of(np.asarray(ids, dtype=np.int64))
        mask[positions[positions >= 0]] = True
        return mask

    def match_text(self, tsquery: str) -> TextMatch:
        return self.text.match(tsquery)

    # ------------------------------------------------------------------ counting
    def facet_counts(self, base: Mask, selected: dict[str, list[str]]) -> tuple[dict[str, dict[str, int]], Mask]:
        """Each option's count and the results.

        Standard faceting: an option's count is the number of entries in `base` that have it and
        satisfy every *other* group's choices (a group's choices are OR-ed); the results satisfy
        every group.
        """
        groups: dict[str, Mask] = {}
        for name, values in selected.items():
            if values:
                groups[name] = np.logical_or.reduce([self.options[name][value] for value in values])
        result = base.copy()
        for mask in groups.values():
            result &= mask
        counts: dict[str, dict[str, int]] = {}
        for name, options in self.options.items():
            if name in groups:
                others = base.copy()
                for other, mask in groups.items():
                    if other != name:
                        others &= mask
            else:
                others = result
            counts[name] = {value: int(np.count_nonzero(others & mask)) for value, mask in options.items()}
        return counts, result

    # ------------------------------------------------------------------ ordering
    def ordered(
        self, result: Mask, *, by: str | None, featured: Mask | None = None, scores: np.ndarray | None = None
    ) -> OrderedResults:
        """The results in order: `by` one of `orders`, None for relevance (featured first, then
        `scores`, then the name), anything else for the name."""
        return OrderedResults(self, result, by=by, featured=featured, scores=scores)


class OrderedResults:
    """The results' primary keys in the page's order, sliced lazily (a `Paginator` object list).

    Only the entries up to the requested slice are put in order: `np.partition` finds them,
    whatever the number of matches.
    """

    def __init__(
        self,
        index: FacetIndex,
        result: Mask,
        *,
        by: str | None,
        featured: Mask | None,
        scores: np.ndarray | None,
    ) -> None:
        self.index = index
        self.result = result
        self.by = by
        # No featured entry among the results: the plain orders below need no key.
        self.featured = featured if featured is not None and bool(np.any(featured & result)) else None
        self.scores = scores
        self.count = int(np.count_nonzero(result))

    def __len__(self) -> int:
        return self.count

    def _keys(self, positions: np.ndarray) -> np.ndarray:
        """One int64 per match, smaller first: not featured (bit 52), fewer tenths of relevance
        (bits 26-51), then the name order (the position, bits 0-25)."""
        keys = positions.astype(np.int64)
        if self.scores is not None:
            keys |= (np.int64((1 << 26) - 1) - self.scores[positions].astype(np.int64)) << 26
        if self.featured is not None:
            keys |= (~self.featured[positions]).astype(np.int64) << 52
        return keys

    def positions(self, stop: int) -> np.ndarray:
        """The first `stop` positions of the results, in order."""
        stop = min(stop, self.count)
        if stop <= 0:
            return np.zeros(0, dtype=np.int64)
        if self.by is None and (self.scores is not None or self.featured is not None):
            matches = np.flatnonzero(self.result)
            keys = self._keys(matches)
            if stop < len(keys):
                keys = np.partition(keys, stop - 1)[:stop]
            return np.sort(keys) & np.int64((1 << 26) - 1)
        order = self.index.orders.get(self.by) if self.by is not None else None
        if order is None:  # the name order: positions themselves
            return np.flatnonzero(self.result)[:stop]
        return order[self.result[order]][:stop]

    def __getitem__(self, item: slice) -> list[int]:
        if not isinstance(item, slice):
            raise TypeError("slice only")
        start, stop, _ = item.indices(self.count)
        return [int(pk) for pk in self.index.ids[self.positions(stop)[start:]]]
