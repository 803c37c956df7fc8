"""Sanctions and PEP screening: FtM lists, name normalisation, and a matcher that says why it matched."""

from verification.screening.ftm import Entity, ScreeningListInvalid, list_version, load_entities
from verification.screening.matcher import Candidate, Query, ScreeningIndex
from verification.screening.names import normalise, parse_name

__all__ = ["Candidate", "Entity", "Query", "ScreeningIndex", "ScreeningListInvalid", "list_version",
           "load_entities", "normalise", "parse_name"]
