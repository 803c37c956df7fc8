"""`arabesque bench mrz DOCUMENTS_DIR [--rendered N]`: the MRZ reader on the specimens, on the specimens
photographed and rectified, and on rendered zones; read / valid / exact / wrong-accepted, and the time taken.

The expected lines are the transcriptions in tests/verification/test_mrz.py (labels, read by eye), so the
bench runs from a checkout. "exact" compares every field of the reading with the transcription's; "wrong
accepted" counts readings that are valid with any field different: the figure that must stay 0.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import cv2
import msgspec
import numpy as np

from server.bench.stats import percentiles
from verification.mrz import MrzFormat, MrzReading, parse_mrz
from verification.mrz_glyphs import OcrbLines
from verification.mrz_ocr import locate_mrz, read_mrz
from verification.mrz_render import capture, random_mrz, render_mrz


class _Tally(msgspec.Struct, kw_only=True):
    total: int = 0
    found: int = 0
    valid: int = 0
    exact: int = 0
    wrong_accepted: int = 0
    not_exact: list[str] = []

    def add(self, name: str, reading: MrzReading, expected: MrzReading) -> None:
        same = msgspec.structs.replace(reading, lines=[]) == msgspec.structs.replace(expected, lines=[])
        self.total += 1
        self.found += reading.found
        self.valid += reading.valid
        self.exact += same
        self.wrong_accepted += reading.valid and not same
        if not same:
            self.not_exact.append(name)


def _timed(gray: np.ndarray, ocr: OcrbLines, today: dt.date, locate: list[float], read: list[float]
           ) -> MrzReading:
    start = time.perf_counter()
    zone = locate_mrz(gray)
    locate.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    reading = read_mrz(gray, zone, ocr=ocr, today=today) if zone is not None else MrzReading(found=False)
    read.append((time.perf_counter() - start) * 1000)
    return reading


def run(directory: Path, *, rendered: int = 60, today: dt.date | None = None) -> dict[str, object]:
    """Every figure of the MRZ reader (see the module's docstring); `directory` is shared/data/documents."""
    from tests.verification.test_mrz import NOT_VALID_AS_PRINTED, SPECIMENS

    today = today or dt.date(2026, 11, 28)
    ocr = OcrbLines()
    scans, photos, synthetic = _Tally(), _Tally(), _Tally()
    locate_ms: list[float] = []
    read_ms: list[float] = []
    for k, (name, lines) in enumerate(sorted(SPECIMENS.items())):
        expected = parse_mrz(lines, today=today)
        colour = cv2.imread(str(directory / "passporteye" / name))
        if colour is None:
            raise ValueError(f"Expected the specimen {name} in {directory / 'passporteye'}, found none")
        scans.add(name, read_mrz(cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY), ocr=ocr, today=today), expected)
        if name in NOT_VALID_AS_PRINTED:
            continue
        rectified = capture(colour, np.random.default_rng(k))
        reading = _timed(rectified, ocr, today, locate_ms, read_ms) if rectified is not None else MrzReading(
            found=False)
        photos.add(name, reading, expected)
    rng = np.random.default_rng(20261128)
    formats: tuple[MrzFormat, ...] = ("TD1", "TD2", "TD3")
    by_height: dict[int, _Tally] = {height: _Tally() for height in (14, 18, 24, 32)}
    for k in range(rendered):
        lines = random_mrz(formats[k % 3], rng, today)
        height = int(rng.choice(list(by_height)))
        reading = _timed(render_mrz(lines, rng, char_height=height), ocr, today, locate_ms, read_ms)
        synthetic.add(f"{formats[k % 3]}@{height}px:{'/'.join(lines)}", reading, parse_mrz(lines, today=today))
        by_height[height].add("", reading, parse_mrz(lines, today=today))
    return {
        "specimens": msgspec.to_builtins(scans),
        "specimens_valid_as_printed": scans.total - len(NOT_VALID_AS_PRINTED),
        "photographed_specimens": msgspec.to_builtins(photos),
        "rendered": {**msgspec.to_builtins(synthetic), "not_exact": synthetic.not_exact[:10]},
        "rendered_exact_by_character_height": {f"{h}px": f"{t.exact}/{t.total}" for h, t in by_height.items()},
        "ms_locate": percentiles(locate_ms),
        "ms_read": percentiles(read_ms),
        "ms_locate_and_read": percentiles([a + b for a, b in zip(locate_ms, read_ms, strict=True)]),
    }
