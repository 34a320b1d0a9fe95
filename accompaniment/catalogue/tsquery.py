"""PostgreSQL's text form of a `tsquery`, parsed into a tree that the in-memory index evaluates.

The search box is turned into a tsquery by PostgreSQL itself (`websearch_to_tsquery` with the
`french_unaccent` configuration, the one that built the documents' vectors), so stemming, accents
and stop words are PostgreSQL's; this module only reads the result back, e.g.
`'pret' <2> 'honneur' | 'microcred' & !'garant'`.

Precedence, as in PostgreSQL: `!` binds tightest, then the phrase operators `<->` / `<N>`, then
`&`, then `|`. A lexeme may carry a suffix (`:*` prefix match, `:AB` weights); websearch never
writes one, and the evaluator sends any query it cannot answer exactly back to PostgreSQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""\s*(?:
        '(?P<lexeme>(?:[^'\\]|''|\\.)*)'(?::(?P<suffix>[*A-Da-d]+))?
      | (?P<phrase><(?:-|\d+)>)
      | (?P<op>[&|!()])
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Term:
    lexeme: str
    suffix: str = ""  # ":*" or weights: not answered by the index


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


@dataclass(frozen=True)
class Phrase:
    """`left <distance> right`: both, at that distance. The index answers it as `And`, then PostgreSQL checks."""

    left: Node
    right: Node
    distance: int


Node = Term | Not | And | Or | Phrase


class TsqueryParseError(ValueError):
    pass


def _unescape(text: str) -> str:
    return re.sub(r"''|\\(.)", lambda m: "'" if m.group(0) == "''" else m.group(1), text)


def _tokens(text: str) -> list[tuple[str, str, str]]:
    tokens = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise TsqueryParseError(f"unexpected text at {position}: {text[position : position + 20]!r}")
        position = match.end()
        if match.group("lexeme") is not None:
            tokens.append(("lexeme", _unescape(match.group("lexeme")), match.group("suffix") or ""))
        elif match.group("phrase"):
            tokens.append(("phrase", match.group("phrase"), ""))
        else:
            tokens.append(("op", match.group("op"), ""))
    return tokens


def parse_tsquery(text: str) -> Node | None:
    """The tree of a tsquery's text form; None for an empty query (only stop words)."""
    tokens = _tokens(text)
    if not tokens:
        return None
    position = 0

    def peek() -> tuple[str, str, str] | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> tuple[str, str, str]:
        nonlocal position
        if position >= len(tokens):
            raise TsqueryParseError("unexpected end of query")
        position += 1
        return tokens[position - 1]

    def primary() -> Node:
        kind, value, suffix = take()
        if kind == "lexeme":
            return Term(value, suffix)
        if (kind, value) == ("op", "!"):
            return Not(primary())
        if (kind, value) == ("op", "("):
            node = disjunction()
            if take()[:2] != ("op", ")"):
                raise TsqueryParseError("missing )")
            return node
        raise TsqueryParseError(f"unexpected {value!r}")

    def phrase() -> Node:
        node = primary()
        while (token := peek()) is not None and token[0] == "phrase":
            take()
            distance = 1 if token[1] == "<->" else int(token[1][1:-1])
            node = Phrase(node, primary(), distance)
        return node

    def conjunction() -> Node:
        node = phrase()
        while peek() == ("op", "&", ""):
            take()
            node = And(node, phrase())
        return node

    def disjunction() -> Node:
        node = conjunction()
        while peek() == ("op", "|", ""):
            take()
            node = Or(node, conjunction())
        return node

    tree = disjunction()
    if position != len(tokens):
        raise TsqueryParseError(f"unexpected {tokens[position][1]!r}")
    return tree


def lexemes_of(node: Node) -> list[str]:
    """Every lexeme of the query, in order (the postings to read)."""
    if isinstance(node, Term):
        return [node.lexeme]
    if isinstance(node, Not):
        return lexemes_of(node.operand)
    return lexemes_of(node.left) + lexemes_of(node.right)


def is_exact_without_positions(node: Node, *, negated: bool = False) -> bool | None:
    """Whether set operations on lexeme postings answer `node` exactly.

    True: exactly. False: they give a superset of the matches (a phrase not under `!`), to be
    checked by PostgreSQL. None: neither (a phrase under `!`, a prefix or weight suffix): only
    PostgreSQL can answer.
    """
    if isinstance(node, Term):
        return True if not node.suffix else None
    if isinstance(node, Not):
        return is_exact_without_positions(node.operand, negated=not negated)
    if isinstance(node, Phrase) and negated:
        return None
    left = is_exact_without_positions(node.left, negated=negated)
    right = is_exact_without_positions(node.right, negated=negated)
    if left is None or right is None:
        return None
    return left and right and not isinstance(node, Phrase)
