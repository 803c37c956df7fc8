"""The machine-readable zone of an identity document (ICAO 9303 TD1, TD2, TD3): text lines to typed fields.

Pure: `parse_mrz` takes the OCR'd lines and returns a reading in which every check digit is recomputed
and every field without a check digit is held to its alphabet. Only the letter/digit confusions that
ICAO's fixed field types make unambiguous are corrected (a date is digits, a country code is letters).
The check digits are computed here (ICAO 9303 part 3, 4.9: weights 7, 3, 1 over 0-9, A-Z = 10-35, < = 0)
rather than through the `mrz` package: the correction step needs the field layout anyway, and the
package's checkers would be a second, untyped copy of it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

import msgspec
import pycountry

__all__ = ["COUNTRIES", "DIGIT_POSITIONS", "LENGTHS", "LETTER_POSITIONS", "CheckDigit", "MrzFormat", "MrzReading",
           "MrzZone", "check_digit", "parse_mrz"]

MrzFormat = Literal["TD1", "TD2", "TD3"]
LENGTHS: dict[MrzFormat, tuple[int, int]] = {"TD1": (3, 30), "TD2": (2, 36), "TD3": (2, 44)}  # lines, characters

# Digit fields are dates and check digits, every one covered by a check digit.
_TO_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "Z": "2", "S": "5",
                           "B": "8", "G": "6", "T": "7"})
# Letter fields have no check digit (but for the codes, which must exist): only the classic look-alikes.
_TO_LETTER = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G"})
_ALPHABET = re.compile(r"[A-Z0-9<]*")
_NAMES = re.compile(r"[A-Z]+(<{1,2}[A-Z]+)*<*")
# ISO 3166-1 alpha-3 and the codes ICAO 9303 part 3 adds (Germany's D, the British variants, organisations,
# stateless and refugee), plus UTO, the Utopia of ICAO's examples. A state or nationality has no check digit:
# an OCR slip (TWN read YWN) is caught only by not being a code.
COUNTRIES = frozenset(country.alpha_3 for country in pycountry.countries) | frozenset({
    "D", "GBD", "GBN", "GBO", "GBP", "GBS", "UNO", "UNA", "UNK", "EUE", "RKS", "XBA", "XIM", "XCC", "XCE", "XCO",
    "XEC", "XES", "XMP", "XOM", "XDC", "XPO", "XXA", "XXB", "XXC", "XXX", "UTO"})
# Positions (line, first, end) that must be digits: dates and check digits. A check digit catches any one
# misread digit there; in the other fields it misses some (G/6 and S/8 differ by a multiple of 10, two O/0
# swaps can cancel) or there is none, so an unsure character anywhere else makes the reading invalid.
DIGIT_POSITIONS: dict[MrzFormat, list[tuple[int, int, int]]] = {
    "TD1": [(0, 14, 15), (1, 0, 7), (1, 8, 15), (1, 29, 30)],
    "TD2": [(1, 9, 10), (1, 13, 20), (1, 21, 28), (1, 35, 36)],
    "TD3": [(1, 9, 10), (1, 13, 20), (1, 21, 28), (1, 42, 44)],
}

# Positions (line, first, end) that must be letters or fillers: document code, states, names, sex.
LETTER_POSITIONS: dict[MrzFormat, list[tuple[int, int, int]]] = {
    "TD1": [(0, 0, 5), (1, 7, 8), (1, 15, 18), (2, 0, 30)],
    "TD2": [(0, 0, 36), (1, 10, 13), (1, 20, 21)],
    "TD3": [(0, 0, 44), (1, 10, 13), (1, 20, 21)],
}


class MrzZone(msgspec.Struct, frozen=True, kw_only=True):
    """Where the zone is: a box relative to the image (0..1), its text lines and the format they suggest."""

    left: float
    top: float
    right: float
    bottom: float
    lines: int
    format: MrzFormat | None
    line_boxes: list[tuple[int, int, int, int]] = []  # x, y, width, height of each line in image pixels
    rotation: int = 0  # degrees the image was turned clockwise for the box and lines to apply (0, 90, 180, 270)
    skew: float = 0.0  # degrees the lines slope (positive: falling to the right), from the lines' bars


class CheckDigit(msgspec.Struct, frozen=True, kw_only=True):
    """One check digit as printed and whether it matches the field it covers."""

    field: str
    printed: str
    valid: bool


class MrzReading(msgspec.Struct, frozen=True, kw_only=True):
    """What the zone says. `valid` is true only when every check digit matches and every other field has
    the alphabet and shape ICAO gives it; the fields are filled either way, so rules must test `valid`."""

    found: bool
    valid: bool = False
    format: MrzFormat | None = None
    lines: list[str] = []
    document_code: str = ""
    issuing_state: str = ""
    surname: str = ""
    given_names: str = ""
    document_number: str = ""
    nationality: str = ""
    birth_date: str = ""  # ISO yyyy-mm-dd, "" when the printed date is not a date
    sex: str = ""  # M, F, X or "" (< = unspecified)
    expiry_date: str = ""
    optional_data: str = ""
    optional_data_2: str = ""  # TD1 only (line 2)
    check_digits: list[CheckDigit] = []
    problems: list[str] = []  # fields that break their format, e.g. "nationality"

    def to_context(self, today: dt.date) -> dict[str, object]:
        """Flat builtins for JsonLogic rules; `expired` is relative to `today` (false when not known)."""
        expired = bool(self.expiry_date) and dt.date.fromisoformat(self.expiry_date) < today
        context: dict[str, object] = {name: getattr(self, name) for name in (
            "found", "valid", "document_code", "issuing_state", "surname", "given_names", "document_number",
            "nationality", "birth_date", "sex", "expiry_date", "optional_data")}
        context["format"] = self.format or ""
        context["expired"] = expired
        context.update({f"{c.field}_check": c.valid for c in self.check_digits})
        return context


def check_digit(text: str) -> str:
    """The ICAO 9303 check digit of `text` (digits, A-Z, <)."""
    total = 0
    for i, char in enumerate(text):
        value = int(char) if char.isdigit() else 0 if char == "<" else ord(char) - 55
        total += value * (7, 3, 1)[i % 3]
    return str(total % 10)


def _as(kind: str, text: str) -> str:
    return text.translate(_TO_DIGIT) if kind == "digits" else text.translate(_TO_LETTER)


def _date(yymmdd: str, today: dt.date, *, past: bool) -> str:
    if not yymmdd.isdigit():
        return ""
    year, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    # A birth date lies in the past; an expiry date at most 50 years ahead (and may be long gone).
    full = 2000 + year if (2000 + year <= today.year if past else 2000 + year <= today.year + 50) else 1900 + year
    try:
        return dt.date(full, month, day).isoformat()
    except ValueError:
        return ""


class _Fields(msgspec.Struct, kw_only=True):
    kind: str  # the document code (P, I, V ...), not an error code
    state: str
    names: str
    number: str
    number_cd: str
    nationality: str
    birth: str
    birth_cd: str
    sex: str
    expiry: str
    expiry_cd: str
    optional: str
    optional_cd: str | None  # TD3 only
    optional_2: str
    composite_cd: str | None  # None on visas
    composite: str  # the text the composite check digit covers


def _split(fmt: MrzFormat, lines: list[str]) -> _Fields:
    if fmt == "TD1":
        one, two, three = lines
        fields = _Fields(kind=_as("letters", one[:2]), state=_as("letters", one[2:5]), names=_as("letters", three),
                         number=one[5:14], number_cd=one[14], optional=one[15:30], optional_cd=None,
                         birth=_as("digits", two[:6]), birth_cd=_as("digits", two[6]), sex=_as("letters", two[7]),
                         expiry=_as("digits", two[8:14]), expiry_cd=_as("digits", two[14]),
                         nationality=_as("letters", two[15:18]), optional_2=two[18:29],
                         composite_cd=_as("digits", two[29]), composite="")
        fields.composite = one[5:30] + fields.birth + fields.birth_cd + fields.expiry + fields.expiry_cd + two[18:29]
        if fields.number_cd == "<" and (end := fields.optional.find("<")) > 1:
            # A document number longer than 9 characters runs on into the optional data, its check digit last.
            fields.number = fields.number + fields.optional[:end - 1]
            fields.number_cd, fields.optional = fields.optional[end - 1], fields.optional[end:]
        else:
            fields.number_cd = _as("digits", fields.number_cd)
        return fields
    one, two = lines
    if one[0] == "V":
        # A machine-readable visa (MRV-A in TD3's size, MRV-B in TD2's) has optional data to the end of line 2
        # and neither a personal-number nor a composite check digit.
        return _Fields(kind=_as("letters", one[:2]), state=_as("letters", one[2:5]), names=_as("letters", one[5:]),
                       number=two[:9], number_cd=_as("digits", two[9]), nationality=_as("letters", two[10:13]),
                       birth=_as("digits", two[13:19]), birth_cd=_as("digits", two[19]), sex=_as("letters", two[20]),
                       expiry=_as("digits", two[21:27]), expiry_cd=_as("digits", two[27]), optional=two[28:],
                       optional_cd=None, optional_2="", composite_cd=None, composite="")
    end = 42 if fmt == "TD3" else 35
    fields = _Fields(kind=_as("letters", one[:2]), state=_as("letters", one[2:5]), names=_as("letters", one[5:]),
                     number=two[:9], number_cd=_as("digits", two[9]), nationality=_as("letters", two[10:13]),
                     birth=_as("digits", two[13:19]), birth_cd=_as("digits", two[19]), sex=_as("letters", two[20]),
                     expiry=_as("digits", two[21:27]), expiry_cd=_as("digits", two[27]), optional=two[28:end],
                     optional_cd=_as("digits", two[42]) if fmt == "TD3" else None, optional_2="",
                     composite_cd=_as("digits", two[end + 1 if fmt == "TD3" else end]), composite="")
    fields.composite = (two[:9] + fields.number_cd + fields.birth + fields.birth_cd + fields.expiry + fields.expiry_cd
                        + fields.optional + (fields.optional_cd or ""))
    return fields


def _checks(fields: _Fields) -> list[CheckDigit]:
    covered = [("document_number", fields.number, fields.number_cd), ("birth_date", fields.birth, fields.birth_cd),
               ("expiry_date", fields.expiry, fields.expiry_cd)]
    if fields.optional_cd is not None:
        # An empty personal number may carry < instead of 0 as its check digit.
        blank = fields.optional_cd == "<" and set(fields.optional) <= {"<"}
        covered.append(("optional_data", fields.optional, "0" if blank else fields.optional_cd))
    if fields.composite_cd is not None:
        covered.append(("composite", fields.composite, fields.composite_cd))
    return [CheckDigit(field=name, printed=printed, valid=printed.isdigit() and check_digit(text) == printed)
            for name, text, printed in covered]


def _problems(fields: _Fields, birth: str, expiry: str) -> list[str]:
    shapes = {
        "document_code": bool(re.fullmatch(r"[A-Z][A-Z<]", fields.kind)),
        "issuing_state": fields.state.rstrip("<") in COUNTRIES and "<" not in fields.state.rstrip("<"),
        "nationality": fields.nationality.rstrip("<") in COUNTRIES and "<" not in fields.nationality.rstrip("<"),
        "sex": fields.sex in {"M", "F", "X", "<"},
        "names": bool(_NAMES.fullmatch(fields.names)) and "<<<" not in fields.names.rstrip("<"),
        "birth_date": bool(birth),
        "expiry_date": bool(expiry),
        "document_number": bool(re.fullmatch(r"[A-Z0-9<]+", fields.number)) and fields.number[0] != "<",
        "optional_data": bool(re.fullmatch(r"[A-Z0-9<]*", fields.optional + fields.optional_2)),
    }
    return [name for name, ok in shapes.items() if not ok]


def parse_mrz(lines: list[str], *, today: dt.date) -> MrzReading:
    """Fields of the zone made of `lines` (the format follows from their count and length); `today` decides
    the century of the dates. Lines of the wrong shape give a reading that is found but not valid. A character
    the OCR was unsure of comes in lower case: outside the dates and check digits it makes the reading invalid."""
    unsure = {(i, j) for i, line in enumerate(lines) for j, char in enumerate(line) if char.islower()}
    lines = [line.upper() for line in lines]
    fmt = next((f for f, (count, width) in LENGTHS.items()
                if len(lines) == count and all(len(line) == width for line in lines)), None)
    if fmt is None or not all(_ALPHABET.fullmatch(line) for line in lines):
        return MrzReading(found=True, lines=lines, problems=["shape"])
    fields = _split(fmt, lines)
    birth, expiry = _date(fields.birth, today, past=True), _date(fields.expiry, today, past=False)
    surname, _, given = fields.names.rstrip("<").partition("<<")
    checks, problems = _checks(fields), _problems(fields, birth, expiry)
    if any(not any(i == line and first <= j < end for line, first, end in DIGIT_POSITIONS[fmt]) for i, j in unsure):
        problems.append("uncertain")
    return MrzReading(
        found=True, valid=not problems and all(c.valid for c in checks), format=fmt, lines=lines,
        document_code=fields.kind.rstrip("<"), issuing_state=fields.state.rstrip("<"),
        surname=surname.replace("<", " "), given_names=given.replace("<", " ").strip(),
        document_number=fields.number.rstrip("<"), nationality=fields.nationality.rstrip("<"),
        birth_date=birth, sex=fields.sex.replace("<", ""), expiry_date=expiry,
        optional_data=fields.optional.strip("<"), optional_data_2=fields.optional_2.strip("<"),
        check_digits=checks, problems=problems)
