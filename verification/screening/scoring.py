"""How alike a query name and a listed name are, and why: the token alignment behind a name score.

Each query word is paired with at most one listed word (best pairs first), so word order does not
count; a pair scores its Jaro-Winkler similarity (rapidfuzz), at least 0.95 when both words spell
the same once transliteration variants are folded (`tatiana`, `tatyana`), 0.9 when one is written
without vowels and the consonants agree (`mhmd`, `mohammed`) or is the other's initial; pairs under
0.8 count as nothing, so `James Smith` is not half of `John Smith`. Words of one name the other
lacks (a missing middle name) lower the score a little, a one-word name against a longer one a lot.
"""

from __future__ import annotations

from typing import NamedTuple

from rapidfuzz.distance import JaroWinkler
from rapidfuzz.fuzz import ratio

from verification.screening.names import PARTICLES, Name, abjad, consonants, spelling

SAME_SPELLING = 0.95
SAME_CONSONANTS = 0.9
INITIAL = 0.9
FLOOR = 0.8
EXTRA_WORD = 0.05
ONE_WORD = 0.8


def _pair(q: str, c: str) -> float:
    if len(q) == 1 or len(c) == 1:
        return INITIAL if q[0] == c[0] else 0.0
    similarity = JaroWinkler.normalized_similarity(q, c)
    if similarity < SAME_SPELLING and spelling(q) == spelling(c):
        similarity = SAME_SPELLING
    elif similarity < SAME_CONSONANTS and (abjad(q) or abjad(c)) and consonants(q) == consonants(c):
        similarity = SAME_CONSONANTS
    return similarity if similarity >= FLOOR else 0.0


def _whole(query: Name, listed: Name) -> float:
    """The names compared as one string each, in order and sorted, and as consonants if one lacks vowels."""
    best = max(ratio(query.squashed, listed.squashed), ratio(query.joined, listed.joined)) / 100
    if any(abjad(t) for t in query.tokens + listed.tokens):
        best = max(best, SAME_CONSONANTS * ratio(consonants(query.joined), consonants(listed.joined)) / 100)
    return best


def _weight(token: str) -> float:
    return 0.3 if token in PARTICLES else 0.5 if len(token) == 1 else 1.0


class Alignment(NamedTuple):
    score: float
    pairs: dict[int, tuple[int, float]]
    """query word -> (listed word, similarity)"""
    whole: bool
    """the names matched as whole strings (words split differently), not word by word"""


def align(query: Name, listed: Name) -> Alignment:
    """The name score in [0, 1] and the word pairs behind it; `explain` words it for a reviewer."""
    pairs = sorted(((_pair(q, c), i, j) for i, q in enumerate(query.tokens) for j, c in enumerate(listed.tokens)),
                   reverse=True)
    used_q: dict[int, tuple[int, float]] = {}
    used_c: set[int] = set()
    for similarity, i, j in pairs:
        if similarity > 0 and i not in used_q and j not in used_c:
            used_q[i] = (j, similarity)
            used_c.add(j)
    shorter, longer = (query.tokens, listed.tokens) if len(query.tokens) <= len(listed.tokens) else (
        listed.tokens, query.tokens)
    short_weight = sum(_weight(t) for t in shorter) or 1.0
    matched = sum(similarity * min(_weight(query.tokens[i]), _weight(listed.tokens[j]))
                  for i, (j, similarity) in used_q.items())
    score = min(1.0, matched / short_weight)
    extra = [t for t in longer if t not in PARTICLES][len([t for t in shorter if t not in PARTICLES]):]
    score *= (1 - EXTRA_WORD * len(extra)) if len(shorter) > 1 else ONE_WORD if longer != shorter else 1.0
    whole = _whole(query, listed) if score < 0.98 else 0.0
    if whole >= 0.9 and whole * 0.98 > score:
        return Alignment(round(whole * 0.98, 4), used_q, True)
    return Alignment(round(max(0.0, score), 4), used_q, False)


def explain(query: Name, listed: Name, alignment: Alignment) -> list[str]:
    """Why the names scored what they did: order, initials, spelling variants, words one of them lacks."""
    reasons = [f"name {alignment.score:.2f}"]
    folded = ["compared after transliteration / accents removed"] if query.folded or listed.folded else []
    if alignment.whole:
        return [*reasons, "same letters, split into words differently", *folded]
    used_q = alignment.pairs
    used_c = {j for j, _ in used_q.values()}
    order = [j for _, (j, _s) in sorted(used_q.items())]
    if order != sorted(order) and len(order) > 1:
        reasons.append("word order differs")
    for i, (j, similarity) in sorted(used_q.items()):
        q, c = query.tokens[i], listed.tokens[j]
        if q == c:
            continue
        if len(q) == 1 or len(c) == 1:
            reasons.append(f"initial {min(q, c, key=len).upper()} for {max(q, c, key=len)}")
        elif similarity in (SAME_SPELLING, SAME_CONSONANTS):
            reasons.append(f"spelling variant {q}/{c}")
        else:
            reasons.append(f"spelling differs {q}/{c} ({similarity:.2f})")
    missing = [c for j, c in enumerate(listed.tokens) if j not in used_c and c not in PARTICLES]
    if missing:
        reasons.append(f"not in the query: {' '.join(missing)}")
    unmatched = [q for i, q in enumerate(query.tokens) if i not in used_q and q not in PARTICLES]
    if unmatched:
        reasons.append(f"not on the list: {' '.join(unmatched)}")
    return reasons + folded


def compare_names(query: Name, listed: Name) -> tuple[float, list[str]]:
    """The name score in [0, 1] and the reasons a reviewer reads beside it."""
    alignment = align(query, listed)
    return alignment.score, explain(query, listed, alignment)


__all__ = ["Alignment", "align", "compare_names", "explain"]
