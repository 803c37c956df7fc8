"""`arabesque bench sessions`: the live channel under N concurrent SDK sessions, beside raw python-socketio.

Starts `arabesque serve` in a subprocess (SQLite by default, `--database-url` for PostgreSQL), drives N
sessions from a separate client process (`server/bench/sessions_client.py`, so the load does not take
the server's core), then does the same walk against a minimal python-socketio server replaying the
very screens Arabesque sent (`server/bench/raw_server.py`). Every process it starts it stops by PID.
Prints one JSON object: medians over `--repeats`, each figure's ratio to the raw server, the targets.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec

from server.bench.walker import Config

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _process(command: list[str], env: dict[str, str], url: str, log: Path, timeout: float = 90.0
             ) -> Iterator[subprocess.Popen[bytes]]:
    """A server subprocess, ready on `url`/readyz; stopped (SIGTERM, then SIGKILL) by PID on exit."""
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[2]} exited with {process.returncode}: {log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[2]} not ready within {timeout}s: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def _client(config: Config, timeout: float) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-m", "server.bench.sessions_client", msgspec.json.encode(config).decode()],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        lines = [line for line in done.stderr.splitlines() if "Unclosed" not in line and "client_session" not in line]
        raise RuntimeError(f"bench client failed ({done.returncode}): " + "\n".join(lines[-40:]))
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _arabesque_env(data_dir: Path, api_key: str, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARABESQUE_")}
    env.update({"ARABESQUE_DATA_DIR": str(data_dir), "ARABESQUE_API_KEY": api_key, "ARABESQUE_WORKERS": "1",
                "ARABESQUE_LOG_LEVEL": "warning",
                # the bench measures capacity: the per-API-key limit (a fairness policy) is lifted for it
                "ARABESQUE_API_RATE_PER_SECOND": "100000", "ARABESQUE_API_RATE_BURST": "100000"})
    if database_url:
        env["ARABESQUE_DATABASE_URL"] = database_url
    return env


def _dig(data: object, *path: str) -> float | None:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return float(data) if isinstance(data, int | float) else None


FIGURES: dict[str, tuple[str, ...]] = {
    "sessions_created_per_s": ("create", "per_s"),
    "server_cpu_ms_per_create": ("create", "server_cpu_ms_per_create"),
    "server_cpu_ms_per_connect_hello": ("connect", "server_cpu_ms_per_connect_hello"),
    "kb_rss_per_idle_connected_session": ("memory", "kb_per_idle_connected_session"),
    "server_cpu_ms_per_transition": ("open_loop", "server_cpu_ms_per_transition"),
    "latency_p50_ms": ("open_loop", "latency_ms", "p50"),
    "latency_p90_ms": ("open_loop", "latency_ms", "p90"),
    "latency_p99_ms": ("open_loop", "latency_ms", "p99"),
    "latency_max_ms": ("open_loop", "latency_ms", "max"),
    "open_loop_transitions_per_s": ("open_loop", "transitions_per_s"),
    "max_sustained_transitions_per_s": ("ramp", "max_sustained_per_s"),
    "closed_loop_transitions_per_s": ("ramp", "closed_loop", "transitions_per_s"),
    "closed_loop_server_cpu_ms_per_transition": ("ramp", "closed_loop", "server_cpu_ms_per_transition"),
    "closed_loop_latency_p99_ms": ("ramp", "closed_loop", "latency_ms", "p99"),
    "flood_others_latency_p99_ms": ("flood", "others", "latency_ms", "p99"),
    "flood_window_others_latency_p99_ms": ("flood", "others_during_flood_latency_ms", "p99"),
    "flood_others_transitions_per_s": ("flood", "others", "transitions_per_s"),
    "flood_answered_in_s": ("flood", "flood", "answered_in_s"),
}


def _summary(runs: list[dict[str, object]]) -> dict[str, object]:
    """Medians over the repeats of every figure, and every error code summed."""
    summary: dict[str, object] = {}
    for name, path in FIGURES.items():
        values = [v for run in runs if (v := _dig(run, *path)) is not None]
        if values:
            summary[name] = round(statistics.median(values), 3)
    errors: dict[str, int] = {}
    for run in runs:
        for code, count in dict(run.get("errors", {})).items():  # type: ignore[call-overload]
            errors[code] = errors.get(code, 0) + int(count)
    summary["errors"] = errors
    summary["error_count"] = sum(errors.values())
    return summary


def _targets(ours: dict[str, object]) -> dict[str, dict[str, object]]:
    def check(name: str, figure: str, target: float, higher_is_better: bool) -> None:
        value = ours.get(figure)
        met = isinstance(value, int | float) and (value >= target if higher_is_better else value <= target)
        found[name] = {"target": f"{'>=' if higher_is_better else '<='} {target}", "measured": value, "met": met}

    found: dict[str, dict[str, object]] = {}
    check("server CPU per transition (ms)", "server_cpu_ms_per_transition", 2.0, False)
    check("max throughput (transitions/s)", "max_sustained_transitions_per_s", 500, True)
    check("p99 screen latency at the offered rate (ms)", "latency_p99_ms", 15.0, False)
    check("connect + hello CPU (ms)", "server_cpu_ms_per_connect_hello", 3.0, False)
    check("session creation (/s)", "sessions_created_per_s", 300, True)
    check("RSS per idle connected session (KB)", "kb_rss_per_idle_connected_session", 60, False)
    found["errors"] = {"target": "0", "measured": ours.get("error_count"), "met": ours.get("error_count") == 0}
    return found


def _machine() -> dict[str, object]:
    model = ""
    with contextlib.suppress(OSError):
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "")
    return {"cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
            "kernel": platform.release()}


def run(*, sessions: int, rate: float, duration: float, ramp: list[float], ramp_seconds: float,
        closed_seconds: float, flood: int, repeats: int, database_url: str | None, raw: bool) -> dict[str, object]:
    """Each repeat: Arabesque on the chosen database, Arabesque on the default SQLite too when another database
    was chosen (so the two compare within one run), then the raw server."""
    api_key = "ak_bench_" + secrets.token_hex(16)
    per_run_timeout = 600 + sessions * 0.5
    ours: list[dict[str, object]] = []
    on_sqlite: list[dict[str, object]] = []
    theirs: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="arabesque-bench-") as scratch:
        root = Path(scratch)
        screens = root / "screens.json"

        def arabesque(repeat: int, url_of_database: str | None) -> dict[str, object]:
            data_dir = root / f"data{repeat}-{'sqlite' if url_of_database is None else 'other'}"
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            env = _arabesque_env(data_dir, api_key, url_of_database)
            command = [sys.executable, "-m", "server.cli", "serve", "--port", str(port)]
            with _process(command, env, url, root / "arabesque.log") as server:
                config = Config(url=url, api_key=api_key, server_pid=server.pid, sessions=sessions, rate=rate,
                                duration=duration, ramp=ramp, ramp_seconds=ramp_seconds,
                                closed_seconds=closed_seconds, flood=flood)
                if not screens.exists():
                    recorded = _client(msgspec.structs.replace(config, record="yes"), 120)
                    screens.write_text(json.dumps(recorded))
                return _client(config, per_run_timeout)

        for repeat in range(repeats):
            ours.append(arabesque(repeat, database_url))
            if database_url:
                on_sqlite.append(arabesque(repeat, None))
            if not raw:
                continue
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            command = [sys.executable, "-m", "server.bench.raw_server", str(port), str(screens)]
            with _process(command, dict(os.environ), url, root / "raw.log") as server:
                config = Config(url=url, api_key=api_key, server_pid=server.pid, sessions=sessions, rate=rate,
                                duration=duration, ramp=ramp, ramp_seconds=ramp_seconds,
                                closed_seconds=closed_seconds, flood=0)
                theirs.append(_client(config, per_run_timeout))
    summary = _summary(ours)
    baseline = _summary(theirs) if theirs else {}
    result: dict[str, object] = {
        "bench": "sessions",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "database": (database_url or "sqlite (default)").split("://", 1)[0],
        "sessions": sessions, "offered_rate_per_s": rate, "repeats": repeats,
        "arabesque": summary,
        "raw_python_socketio": baseline,
        "ratio_to_raw": _ratios(summary, baseline),
        "targets": _targets(summary),
    }
    runs: dict[str, object] = {"arabesque": ours, "raw_python_socketio": theirs}
    if on_sqlite:
        sqlite_summary = _summary(on_sqlite)
        ratio = _ratios(summary, sqlite_summary)
        result["arabesque_on_sqlite"] = sqlite_summary
        result["ratio_to_sqlite"] = ratio
        per_transition = ratio.get("server_cpu_ms_per_transition")
        result["targets"] = {**_targets(summary), "CPU per transition vs SQLite in the same run": {
            "target": "<= 1.5", "measured": per_transition,
            "met": isinstance(per_transition, float) and per_transition <= 1.5}}
        runs["arabesque_on_sqlite"] = on_sqlite
    result["runs"] = runs
    return result


def _ratios(ours: dict[str, object], base: dict[str, object]) -> dict[str, float]:
    return {name: round(float(value) / float(other), 2) for name, value in ours.items()
            if isinstance(value, int | float) and isinstance(other := base.get(name), int | float) and other}


__all__ = ["run"]
