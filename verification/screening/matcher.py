"""Screen a person or a company against a list held in memory: candidates from an index, then scores.

A query never scans the list. Every listed name is indexed by the keys of its words (skeleton and
first three letters, `names.py`) and by a key of the whole name; the names sharing keys with two of
the query's words (one, for a one-word query), or its whole-name key, are the candidates, at most
`MAX_CANDIDATES` of them, most shared keys first. Each is scored by `scoring.compare_names`, then the
birth date, nationality, jurisdiction and registration number move the score when both sides know them.
"""

from __future__ import annotations

from collections import defaultdict

import msgspec
import numpy as np

from verification.screening.ftm import Entity
from verification.screening.names import Name, normalise, parse_name, whole_keys
from verification.screening.scoring import Alignment, align, explain

MAX_CANDIDATES = 100
DATE_AGREES, DATE_DIFFERS = 0.05, 0.2
COUNTRY_AGREES, COUNTRY_DIFFERS = 0.03, 0.07
NUMBER_AGREES = 0.1
MAX_BONUS = DATE_AGREES + COUNTRY_AGREES + NUMBER_AGREES


class Query(msgspec.Struct, frozen=True, kw_only=True):
    """Who is screened: a person (`birth_date` as YYYY[-MM[-DD]]) or a company (`jurisdiction`, its number)."""

    name: str
    schema: str = "Person"
    birth_date: str = ""
    nationality: str = ""
    jurisdiction: str = ""
    registration_number: str = ""


class Candidate(msgspec.Struct, frozen=True, kw_only=True):
    """A listed entity that may be the one screened, with its score and the reasons for it."""

    id: str
    caption: str
    score: float
    reasons: list[str]
    topics: list[str] = []
    datasets: list[str] = []
    schema: str = ""


def _agreement(mine: str, theirs: list[str], what: str) -> tuple[float, str]:
    if not mine or not theirs:
        return 0.0, ""
    mine = mine.strip().lower()
    if any(t.lower() == mine for t in theirs):
        return COUNTRY_AGREES, f"{what} matches ({mine})"
    return -COUNTRY_DIFFERS, f"{what} differs ({mine} vs {', '.join(sorted(set(theirs)))})"


def _dates(mine: str, theirs: list[str]) -> tuple[float, str]:
    if not mine or not theirs:
        return 0.0, ""
    if any(t == mine for t in theirs):
        return DATE_AGREES, f"birth date matches ({mine})"
    if any(t.startswith(mine) or mine.startswith(t) for t in theirs):
        return 0.0, f"birth date agrees as far as both are known ({mine} vs {', '.join(theirs)})"
    return -DATE_DIFFERS, f"birth date differs ({mine} vs {', '.join(theirs)})"


def _adjust(query: Query, entity: Entity) -> tuple[float, list[str]]:
    if entity.is_person:
        parts = [_dates(query.birth_date, entity.values("birthDate")),
                 _agreement(query.nationality, entity.values("nationality", "citizenship", "country"), "nationality")]
    else:
        parts = [_agreement(query.jurisdiction, entity.values("jurisdiction", "country"), "jurisdiction")]
        mine = normalise(query.registration_number).replace(" ", "")
        theirs = {normalise(n).replace(" ", "") for n in entity.values("registrationNumber")}
        if mine and mine in theirs:
            parts.append((NUMBER_AGREES, "registration number matches"))
    return sum(delta for delta, _ in parts), [reason for _, reason in parts if reason]


def _names_of(entity: Entity) -> list[str]:
    names = entity.values("name", "alias", "previousName")
    first, last = entity.values("firstName"), entity.values("lastName")
    if first and last:
        names.append(f"{first[0]} {' '.join(entity.values('middleName'))} {last[0]}")
    return list(dict.fromkeys(n for n in names if n.strip()))


class ScreeningIndex:
    """A list's persons and legal entities, indexed by name keys; built once, read by any number of queries."""

    def __init__(self, entities: list[Entity]) -> None:
        self.entities = entities
        self._names: list[tuple[int, Name]] = []
        postings: dict[str, list[int]] = defaultdict(list)
        for number, entity in enumerate(entities):
            for raw in _names_of(entity):
                name = parse_name(raw, company=not entity.is_person)
                if not name.tokens:
                    continue
                slot = len(self._names)
                self._names.append((number, name))
                for key in (*name.keys, *whole_keys(name)):
                    postings[key].append(slot)
        self._postings = {key: np.asarray(slots, dtype=np.int32) for key, slots in postings.items()}

    def __len__(self) -> int:
        return len(self.entities)

    def _slots(self, name: Name) -> list[int]:
        per_word: list[np.ndarray] = []
        for token in name.tokens:
            single = parse_name(token)
            found = [self._postings[k] for k in single.keys if k in self._postings]
            if found:
                per_word.append(np.unique(np.concatenate(found)))
        found_whole = [self._postings[k] for k in whole_keys(name) if k in self._postings]
        whole = np.unique(np.concatenate(found_whole)) if found_whole else np.empty(0, dtype=np.int32)
        if not per_word:
            return [int(s) for s in whole[:MAX_CANDIDATES]]
        slots, counts = np.unique(np.concatenate(per_word), return_counts=True)
        need = min(2, len(per_word))
        keep = counts >= need
        slots, counts = slots[keep], counts[keep]
        best = slots[np.argsort(-counts, kind="stable")[:MAX_CANDIDATES]]
        return list(dict.fromkeys([*(int(s) for s in whole), *(int(s) for s in best)]))

    def screen(self, query: Query, *, limit: int = 10, floor: float = 0.5) -> list[Candidate]:
        """The best `limit` entities of the query's kind scoring at least `floor`, best first."""
        person = query.schema == "Person"
        name = parse_name(query.name, company=not person)
        best: dict[int, tuple[float, Alignment, Name]] = {}
        for slot in self._slots(name):
            number, listed = self._names[slot]
            if self.entities[number].is_person != person:
                continue
            alignment = align(name, listed)
            if alignment.score + MAX_BONUS >= floor and (number not in best or alignment.score > best[number][0]):
                best[number] = (alignment.score, alignment, listed)
        scored: list[tuple[float, int, list[str]]] = []
        for number, (score, _, _) in best.items():
            delta, more = _adjust(query, self.entities[number])
            total = round(min(1.0, max(0.0, score + delta)), 4)
            if total >= floor:
                scored.append((total, number, more))
        scored.sort(key=lambda s: (-s[0], self.entities[s[1]].id))
        return [self._candidate(name, number, total, best[number][1:], more) for total, number, more in scored[:limit]]

    def _candidate(self, name: Name, number: int, total: float, matched: tuple[Alignment, Name],
                   more: list[str]) -> Candidate:
        entity = self.entities[number]
        alignment, listed = matched
        reasons = explain(name, listed, alignment)
        if listed.raw != entity.label:
            reasons.append(f"matched the alias {listed.raw!r}")
        return Candidate(id=entity.id, caption=entity.label, score=total, reasons=reasons + more,
                         topics=entity.values("topics"), datasets=entity.datasets, schema=entity.schema)


__all__ = ["MAX_CANDIDATES", "Candidate", "Query", "ScreeningIndex"]
