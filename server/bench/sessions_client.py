"""The load side of `arabesque bench sessions`: N SDK clients in one process, apart from the server's.

Run by the orchestrator (`server/bench/sessions.py`) as `python -m server.bench.sessions_client CONFIG`;
prints one JSON object. It walks the form screens of `kyc_individual` (welcome -> personal ->
address -> document_choice, then `back` three times and round again) on every session, against
Arabesque or against the raw python-socketio server replaying the same screens. Server CPU and RSS
are read from /proc of the server's PID, so the figures are the server's alone.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import itertools
import os
import sys
import time
from collections.abc import Awaitable, Callable

import httpx
import msgspec
import socketio

from server.bench.proc import ProcessSample, sample
from server.bench.stats import latency_figures
from server.bench.walker import WALK, Config, Errors, Walker
from server.fast_json import FastJson


class Phase(msgspec.Struct, kw_only=True):
    """What one measured phase produced."""

    transitions: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = []
    cpu_ms: float = 0.0
    errors: dict[str, int] = {}
    skipped: int = 0
    """offered transitions that found every session still waiting (the server is behind the offered rate)"""

    def report(self, offered: float | None = None) -> dict[str, object]:
        figures: dict[str, object] = {
            "transitions": self.transitions,
            "transitions_per_s": round(self.transitions / self.seconds, 1) if self.seconds else 0.0,
            "server_cpu_ms_per_transition": round(self.cpu_ms / self.transitions, 3) if self.transitions else None,
            "latency_ms": latency_figures(self.latencies_ms),
            "errors": dict(self.errors),
            "skipped_all_sessions_busy": self.skipped,
        }
        if offered is not None:
            figures = {"offered_per_s": offered, **figures}
        return figures


class Run(msgspec.Struct, kw_only=True):
    """Latencies as (start, seconds) pairs, and the offered transitions that found no idle session."""

    samples: list[tuple[float, float]] = []
    skipped: int = 0


async def _measured(pid: int, errors: Errors, work: Callable[[], Awaitable[Run]]) -> tuple[Phase, Run]:
    before_errors = collections.Counter(errors.counts)
    before: ProcessSample = sample(pid)
    started = time.perf_counter()
    run = await work()
    seconds = time.perf_counter() - started
    after = sample(pid)
    grown = errors.counts - before_errors
    phase = Phase(transitions=len(run.samples), seconds=seconds, latencies_ms=[x * 1000 for _, x in run.samples],
                  cpu_ms=(after.cpu_seconds - before.cpu_seconds) * 1000, errors=dict(grown), skipped=run.skipped)
    return phase, run


async def _open_loop(walkers: list[Walker], rate: float, seconds: float) -> Run:
    """Offer `rate` transitions/s for `seconds`, each on an idle session (round-robin); wait for the stragglers."""
    idle: collections.deque[Walker] = collections.deque(walkers)
    run = Run(samples=[])
    running: set[asyncio.Task[None]] = set()

    async def one(walker: Walker) -> None:
        started = time.perf_counter()
        took = await walker.step()
        if took is not None:
            run.samples.append((started, took))
        idle.append(walker)

    loop = asyncio.get_running_loop()
    start = loop.time()
    for i in range(int(rate * seconds)):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if not idle:
            run.skipped += 1  # every session is still waiting: the server is behind the offered rate
            continue
        task = asyncio.create_task(one(idle.popleft()))
        running.add(task)
        task.add_done_callback(running.discard)
    if running:
        await asyncio.wait(running, timeout=120)
    return run


async def _closed_loop(walkers: list[Walker], seconds: float, per_session_rate: float) -> Run:
    """Every session submits again as soon as its next screen arrives (within its per-connection share):
    the server's saturated throughput."""
    run = Run(samples=[])
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    gap = 1.0 / (0.9 * per_session_rate)  # a little under the share: timers are not exact

    async def loop_one(walker: Walker) -> None:
        while (now := loop.time()) < deadline:
            started = time.perf_counter()
            took = await walker.step()
            if took is None:
                await asyncio.sleep(0.05)
                continue
            run.samples.append((started, took))
            if (wait := now + gap - loop.time()) > 0:
                await asyncio.sleep(wait)

    await asyncio.gather(*(loop_one(w) for w in walkers))
    return run


async def flood(config: Config) -> dict[str, object]:
    """The flooder's own process (so its sending does not slow the client measuring the others): connect,
    say ready, wait for `go` on stdin, send `flood` stale submits without waiting, count the replies."""
    codes: collections.Counter[str] = collections.Counter()
    sio = socketio.AsyncClient(reconnection=False)
    done = asyncio.Event()
    disconnected = asyncio.Event()
    answered = 0

    def on_ack(reply: object = None) -> None:
        nonlocal answered
        answered += 1
        codes[str(reply.get("code", reply.get("type"))) if isinstance(reply, dict) else "none"] += 1
        if answered == config.flood:
            done.set()

    async def on_disconnect(*args: object) -> None:
        disconnected.set()

    sio.on("disconnect", on_disconnect, namespace="/sdk")
    await sio.connect(config.url, auth={"token": config.flood_token}, namespaces=["/sdk"], transports=["websocket"],
                      wait_timeout=30)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    started = time.perf_counter()
    for i in range(config.flood):
        if not sio.connected:
            break
        await sio.emit("message", {"type": "screen.submit", "screen_id": "welcome", "revision": 999, "values": {},
                                   "idempotency_key": f"flood-{i}"}, namespace="/sdk", callback=on_ack)
    sent = time.perf_counter() - started
    waiters = {asyncio.create_task(done.wait()), asyncio.create_task(disconnected.wait())}
    await asyncio.wait(waiters, timeout=config.flood_seconds, return_when=asyncio.FIRST_COMPLETED)
    finished = time.perf_counter() - started
    cut_off = disconnected.is_set()
    if sio.connected:
        await sio.disconnect()
    return {"messages": config.flood, "sent_in_s": round(sent, 3), "answered": answered,
            "answered_in_s": round(finished, 3), "replies": dict(codes), "disconnected_by_server": cut_off,
            "started_at": started}


async def _with_flood(config: Config, api: httpx.AsyncClient, walkers: list[Walker], errors: Errors
                      ) -> dict[str, object]:
    """The open loop again while another process floods one socket: the others' latency over the whole
    loop and over the flood's own window."""
    created = (await api.post("/v1/sessions", json={"journey": "kyc_individual", "reference": "flood"})).json()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.bench.sessions_client",
        msgspec.json.encode(msgspec.structs.replace(config, flood_token=created["token"])).decode(),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None
    if (await asyncio.wait_for(child.stdout.readline(), 60)).strip() != b"ready":
        raise RuntimeError("the flooder did not connect")
    seconds = config.flood_seconds

    async def go_then_loop() -> Run:
        assert child.stdin is not None
        child.stdin.write(b"go\n")
        await child.stdin.drain()
        return await _open_loop(walkers, config.rate, seconds)

    others, run = await _measured(config.server_pid, errors, go_then_loop)
    output, _ = await asyncio.wait_for(child.communicate(), 120)
    flooded: dict[str, object] = msgspec.json.decode(output.strip().splitlines()[-1])
    begin = float(str(flooded.pop("started_at")))
    end = begin + float(str(flooded["sent_in_s"]))
    window = [took * 1000 for started, took in run.samples if begin <= started <= end]
    return {"flood": flooded, "others": others.report(config.rate),
            "others_during_flood_latency_ms": latency_figures(window)}


async def _create(api: httpx.AsyncClient, n: int, concurrency: int, errors: Errors) -> list[dict[str, str]]:
    created: list[dict[str, str]] = []
    counter = itertools.count()

    async def worker() -> None:
        while (i := next(counter)) < n:
            response = await api.post("/v1/sessions", json={"journey": "kyc_individual", "reference": f"bench-{i}"})
            if response.status_code != 201:
                body = response.json() if response.headers.get("content-type", "").startswith("application/json") \
                    else {}
                errors.add(str(body.get("code", f"http.{response.status_code}")), str(body.get("message", "")))
                continue
            created.append(response.json())

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return created


async def _connect_all(walkers: list[Walker], concurrency: int, errors: Errors) -> list[float]:
    queue = collections.deque(walkers)
    took: list[float] = []
    failed: list[Walker] = []

    async def worker() -> None:
        while queue:
            walker = queue.popleft()
            started = time.perf_counter()
            try:
                await walker.connect()
                took.append(time.perf_counter() - started)
            except Exception as exc:
                errors.add("bench.connect_failed", f"{type(exc).__name__}: {exc}")
                failed.append(walker)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    for walker in failed:
        walkers.remove(walker)
    if not walkers:
        raise RuntimeError(f"no session could connect: {errors.examples}")
    return took


async def record(config: Config) -> dict[str, object]:
    """Walk one session once round and keep every screen as sent: what the raw server replays."""
    async with httpx.AsyncClient(base_url=config.url, headers={"Authorization": f"Bearer {config.api_key}"},
                                 timeout=30) as api:
        created = (await api.post("/v1/sessions", json={"journey": "kyc_individual", "reference": "rec"})).json()
    errors = Errors()
    walker = Walker(config.url, created["token"], errors)
    await walker.connect()
    assert walker.screen is not None
    screens = [walker.screen]
    for _ in WALK:
        if await walker.step() is None:
            raise RuntimeError(f"recording failed: {errors.counts} {errors.examples}")
        screens.append(walker.screen)
    await walker.close()
    return {"screens": screens}


async def run(config: Config) -> dict[str, object]:
    errors = Errors()
    pid = config.server_pid
    result: dict[str, object] = {}
    rss_start = sample(pid).rss_bytes
    async with httpx.AsyncClient(base_url=config.url, headers={"Authorization": f"Bearer {config.api_key}"},
                                 timeout=60, limits=httpx.Limits(max_connections=config.create_concurrency)) as api:
        before = sample(pid)
        started = time.perf_counter()
        created = await _create(api, config.sessions, config.create_concurrency, errors)
        seconds = time.perf_counter() - started
        after = sample(pid)
        result["create"] = {"sessions": len(created), "per_s": round(len(created) / seconds, 1),
                            "server_cpu_ms_per_create": round((after.cpu_seconds - before.cpu_seconds) * 1000
                                                              / max(1, len(created)), 3)}
        await asyncio.sleep(1.0)
        rss_created = sample(pid).rss_bytes
        walkers = [Walker(config.url, c["token"], errors) for c in created]
        before = sample(pid)
        connect_times = await _connect_all(walkers, config.connect_concurrency, errors)
        after = sample(pid)
        result["connect"] = {"connected": len(walkers),
                             "server_cpu_ms_per_connect_hello": round((after.cpu_seconds - before.cpu_seconds) * 1000
                                                                      / max(1, len(walkers)), 3),
                             "latency_ms": latency_figures([t * 1000 for t in connect_times])}
        # The load side's own garbage collector must not pause the clocks it reads: with 1,000 clients its full
        # passes take about 100 ms. Everything built so far is frozen and automatic collection is off while
        # measuring (a run is bounded in time; memory freed by reference counting is freed as usual).
        gc.collect()
        gc.freeze()
        gc.disable()
        await asyncio.sleep(2.0)
        rss_idle = sample(pid).rss_bytes
        per_session = (rss_idle - rss_start) / 1024 / max(1, len(walkers))
        result["memory"] = {"rss_start_mb": round(rss_start / 2**20, 1),
                            "rss_created_mb": round(rss_created / 2**20, 1),
                            "rss_connected_idle_mb": round(rss_idle / 2**20, 1),
                            "kb_per_idle_connected_session": round(per_session, 2)}
        open_loop, _ = await _measured(pid, errors, lambda: _open_loop(walkers, config.rate, config.duration))
        result["open_loop"] = open_loop.report(config.rate)
        steps: list[dict[str, object]] = []
        best = 0.0
        for rate in config.ramp:
            phase, _ = await _measured(pid, errors, lambda r=rate: _open_loop(walkers, r,  # type: ignore[misc]
                                                                             config.ramp_seconds))
            report = phase.report(rate)
            steps.append(report)
            achieved = float(str(report["transitions_per_s"]))
            kept_up = achieved >= 0.95 * rate and not phase.errors and not phase.skipped
            if kept_up:
                best = max(best, achieved)
            p99 = phase.latencies_ms and sorted(phase.latencies_ms)[int(0.99 * (len(phase.latencies_ms) - 1))]
            if not kept_up or (p99 and p99 > 1000):
                break
        closed, _ = await _measured(pid, errors, lambda: _closed_loop(walkers, config.closed_seconds,
                                                                       config.per_session_rate))
        result["ramp"] = {"steps": steps, "max_sustained_per_s": best, "closed_loop": closed.report()}
        if config.flood:
            result["flood"] = await _with_flood(config, api, walkers, errors)
        await asyncio.gather(*(w.close() for w in walkers))
    result["errors"] = dict(errors.counts)
    result["error_examples"] = errors.examples
    result["client_cpu_s"] = round(time.process_time(), 2)
    return result


def main() -> None:
    socketio.AsyncClient  # noqa: B018 - imported for the side effect below
    socketio.packet.Packet.json = FastJson  # the client's own JSON: keep the load side cheap
    config = msgspec.json.decode(sys.argv[1], type=Config)
    import uvloop

    work = flood(config) if config.flood_token else record(config) if config.record else run(config)
    outcome = uvloop.run(work)
    sys.stdout.write(msgspec.json.encode(outcome).decode() + "\n")
    sys.stdout.flush()
    os._exit(0)  # do not wait for 1,000 sockets' close handshakes


if __name__ == "__main__":
    main()
