"""Names as the matcher compares them: one Latin spelling, tokens, and a key that survives spelling.

Lists and applicants write one person many ways: accents or none (José, Jose), another script
(Владимир, محمد), another transliteration (Aleksandr, Alexander; Mohammed, Muhammad), the words
in another order, a given name as an initial. `normalise` folds script and accents with anyascii
(ISC licence; unidecode is GPL), and `skeleton` keeps a token's first letter and its consonants,
after folding the spellings transliteration schemes disagree on, so most variants share a key.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import msgspec
from anyascii import anyascii

PARTICLES = frozenset({"al", "el", "bin", "ibn", "bint", "abu", "van", "von", "der", "den", "de", "del", "della", "da",
                       "di", "du", "la", "le", "ben", "bn", "mac", "st", "y", "e"})
"""Connecting words of names: compared, but never enough on their own to make two names alike."""

LEGAL_FORMS = frozenset({"ltd", "limited", "llc", "inc", "incorporated", "corp", "corporation", "co", "company",
                         "gmbh", "ag", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "plc", "oao", "ooo", "zao",
                         "pao", "ao", "jsc", "ojsc", "pjsc", "cjsc", "llp", "lp", "kg", "ab", "oy", "as", "the",
                         "and", "of", "group", "holding", "holdings", "fze", "fzco", "pte", "pty", "sdn", "bhd"})
"""Words of a company's legal form: a query for `Acme` finds `ACME Ltd`, `Acme Holdings` and `ООО Акме`."""  # noqa: RUF001

_WIDE = re.compile(r"([\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile(r"['`]")  # O'Brien is obrien; anyascii writes the Cyrillic soft sign as '

_FOLDS = (("dzh", "j"), ("zh", "j"), ("kh", "h"), ("ph", "f"), ("ck", "k"), ("x", "ks"), ("q", "k"), ("c", "k"),
          ("w", "v"), ("z", "s"), ("y", "i"))
_VOWELS = str.maketrans("", "", "aeiou")
_ABJAD = str.maketrans("", "", "aeiouv")
_VOWEL_RUNS = re.compile(r"[aeiou]+")


class Name(msgspec.Struct, frozen=True, kw_only=True):
    """A name ready to compare: its tokens, their keys, and every token squashed together in order."""

    raw: str
    tokens: tuple[str, ...]
    keys: tuple[str, ...]
    folded: bool
    """the name changed by more than case and spacing when made Latin (accents, another script)"""

    @property
    def squashed(self) -> str:
        """Every token together, sorted: the same for `xi jin ping` and `jinping xi`."""
        return "".join(sorted(self.tokens))

    @property
    def joined(self) -> str:
        return "".join(self.tokens)


def normalise(text: str) -> str:
    """Latin letters and digits, lower case, one space between words: `Müller-Lüdenscheidt` -> `muller ludenscheidt`.

    Each Chinese, Japanese or Korean character becomes its own syllable (`习近平` -> `xi jin ping`).
    """
    spaced = _WIDE.sub(r" \1 ", unicodedata.normalize("NFKC", text))
    return _NOT_WORD.sub(" ", _APOSTROPHES.sub("", anyascii(spaced).lower())).strip()


def _fold(token: str) -> str:
    for old, new in _FOLDS:
        token = token.replace(old, new)
    return token


def _collapse(text: str) -> str:
    out = text[:1]
    for letter in text[1:]:
        if letter != out[-1]:
            out += letter
    return out


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """The first letter and the consonants after it, spelling variants folded: `mohammed`, `muhammad` -> `mhmd`."""
    folded = _fold(token)
    return _collapse(folded[:1] + folded[1:].translate(_VOWELS))


@lru_cache(maxsize=200_000)
def spelling(token: str) -> str:
    """The token with the spellings transliterations disagree on folded and each vowel run as `a`.

    `tatiana` and `tatyana`, `mikhail` and `mihail`, `popov` and `popow` spell the same.
    """
    return _collapse(_VOWEL_RUNS.sub("a", _fold(token)))


@lru_cache(maxsize=200_000)
def consonants(text: str) -> str:
    """The consonants only, `v` (from w) too: what a name written in Arabic script keeps (`ywsf`, `yousef` -> `sf`)."""
    return _collapse(_fold(text).translate(_ABJAD))


@lru_cache(maxsize=200_000)
def abjad(token: str) -> bool:
    """A token written without vowels, as Arabic or Hebrew script transliterates: `mhmd`, `nsr`."""
    return len(token) >= 2 and not any(v in token for v in "aeiou")


def parse_name(raw: str, *, company: bool = False) -> Name:
    """The tokens of `raw` (a company's legal form dropped unless nothing else is left) and their keys."""
    text = normalise(raw)
    tokens = tuple(text.split())
    if company:
        kept = tuple(t for t in tokens if t not in LEGAL_FORMS)
        tokens = kept or tokens
    keys: list[str] = []
    for token in tokens:
        if len(token) < 2 or token in PARTICLES:
            continue
        keys.append("s:" + skeleton(token))
        keys.append("c:" + consonants(token))
        if len(token) >= 3:
            keys.append("p:" + token[:3])
    plain = " ".join(unicodedata.normalize("NFKC", raw).lower().split())
    return Name(raw=raw, tokens=tokens, keys=tuple(dict.fromkeys(keys)),
                folded=_NOT_WORD.sub(" ", plain).strip() != text)


def whole_keys(name: Name) -> tuple[str, ...]:
    """Keys of the whole name, whatever splits its words: `xi jin ping` and `Xi Jinping` share one,
    `عبد الله جابر` and `Abdullah Jaber` another."""
    return ("w:" + skeleton(name.squashed), "w:" + skeleton(name.joined), "k:" + consonants(name.joined))


__all__ = ["LEGAL_FORMS", "PARTICLES", "Name", "abjad", "consonants", "normalise", "parse_name", "skeleton", "spelling",
           "whole_keys"]
