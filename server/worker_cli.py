"""`arabesque worker`: a node that runs background jobs (checks, timers, erasure, webhook deliveries).

It is the same application as `arabesque serve` without the HTTP and Socket.IO listener: it needs
ARABESQUE_JOBS=procrastinate (jobs in PostgreSQL), and ARABESQUE_REDIS_URL when devices are connected to
other nodes (the screens its results lead to reach them through Redis). Run as many as the checks need;
SIGTERM or SIGINT stops taking jobs and ends the running ones gracefully.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys


def _worker(args: argparse.Namespace) -> int:
    from server.app import Application
    from server.jobs.pg import PgJobs
    from server.logs import configure_logging
    from server.settings import ConfigError, load_settings
    from ui_schemas.loader import DefinitionError

    try:
        settings = load_settings(os.environ)
        if settings.jobs != "procrastinate":
            raise ConfigError("ARABESQUE_JOBS: a worker node runs jobs from PostgreSQL; expected procrastinate, got "
                              f"{settings.jobs!r} (with local, every server process runs its own jobs)",
                              variable="ARABESQUE_JOBS")
        application = Application(settings)
    except ConfigError as exc:
        print(f"configuration error: {exc.message}", file=sys.stderr)
        return 2
    except DefinitionError as exc:
        print(f"journey definitions are broken:\n{exc}", file=sys.stderr)
        return 2
    configure_logging(level=settings.log_level, form=settings.log_format, stream=sys.stderr)
    jobs = application.jobs
    assert isinstance(jobs, PgJobs)
    name = args.name or f"{socket.gethostname()}-{os.getpid()}"

    async def main() -> None:
        await application.start(runs_jobs=True)
        runner = asyncio.create_task(jobs.run_worker(name), name="worker")
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runner.cancel)
        if args.metrics_port:
            from prometheus_client import start_http_server

            start_http_server(args.metrics_port, addr=args.metrics_host, registry=application.metrics.registry)
        print(f"Arabesque worker {name} running jobs (concurrency {jobs.concurrency})", flush=True)
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        finally:
            await application.stop()

    asyncio.run(main())
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = commands.add_parser("worker", help="run background jobs (needs ARABESQUE_JOBS=procrastinate)")
    worker.add_argument("--name", default="", help="this worker's name in logs and procrastinate (host-pid)")
    worker.add_argument("--metrics-port", type=int, default=0,
                        help="serve this node's /metrics (checks, worker pool, deliveries) on this port (0: none)")
    worker.add_argument("--metrics-host", default="127.0.0.1", help="the address /metrics listens on (127.0.0.1)")
    worker.set_defaults(run=_worker)


__all__ = ["register"]
