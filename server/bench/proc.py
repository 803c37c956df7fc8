"""CPU time and memory of a process, read from /proc (Linux): what the session bench measures the server by."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

_TICKS = os.sysconf("SC_CLK_TCK")


class ProcessSample(msgspec.Struct, frozen=True, kw_only=True):
    cpu_seconds: float
    """user + system time of every thread of the process so far"""
    rss_bytes: int
    peak_rss_bytes: int


def sample(pid: int) -> ProcessSample:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    cpu = (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15 of stat)
    rss = peak = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
        elif line.startswith("VmHWM:"):
            peak = int(line.split()[1]) * 1024
    return ProcessSample(cpu_seconds=cpu, rss_bytes=rss, peak_rss_bytes=peak)


def children(pid: int) -> list[int]:
    """The direct children of `pid` (e.g. a server's verification workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


__all__ = ["ProcessSample", "children", "sample"]
