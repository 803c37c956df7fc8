"""`arabesque`: serve, journeys, protocol, rules, bench, keys, users."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import msgspec


def _journeys_check(args: argparse.Namespace) -> int:
    import os

    from server.journeys import check_files
    from server.plugins import checked_tasks
    from server.settings import ConfigError, load_settings
    from server.workflow import RulesEngine
    from ui_schemas.loader import load_catalogs

    try:  # the very registry `arabesque serve` builds from this environment, plugins included
        tasks = checked_tasks(load_settings(os.environ))
    except ConfigError as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 2
    for source in tasks.sources:
        print(f"task {source.name}\t{source.source}")
    catalogs = load_catalogs(Path(args.catalogs)) if args.catalogs else load_catalogs()
    compiled, problems = check_files([Path(p) for p in args.paths], engine=RulesEngine(), catalogs=catalogs,
                                     tasks=tasks.checks)
    for problem in problems:
        print(problem, file=sys.stderr)
    for journey in compiled:
        print(f"ok {journey.key} ({len(journey.journey.states)} states, {len(journey.rules)} rules)")
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


def _journeys_graph(args: argparse.Namespace) -> int:
    from server.workflow.graph import to_mermaid
    from ui_schemas.loader import JOURNEYS_DIR, DefinitionError, load_journey_file

    path = Path(args.journey)
    if not path.exists():
        path = JOURNEYS_DIR / f"{args.journey}.yaml"
    if not path.exists():
        print(f"no journey file or built-in journey named {args.journey!r}", file=sys.stderr)
        return 2
    try:
        journey = load_journey_file(path)
    except DefinitionError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(to_mermaid(journey), end="")
    return 0


def _journeys_list(args: argparse.Namespace) -> int:
    from ui_schemas.loader import builtin_journey_files, load_journey_file

    for path in builtin_journey_files():
        journey = load_journey_file(path)
        print(f"{journey.name}\tv{journey.version}\t{journey.description}")
    return 0


def _protocol_schema(args: argparse.Namespace) -> int:
    from sdk_protocol import protocol_schema

    print(json.dumps(protocol_schema(), indent=2, sort_keys=False))
    return 0


def _protocol_codes(args: argparse.Namespace) -> int:
    from sdk_protocol import markdown_table
    from server.error_codes import load_code_table

    print(markdown_table(load_code_table()), end="")
    return 0


def _rules_conformance(args: argparse.Namespace) -> int:
    from server.workflow.conformance import parse_cases, run_case
    from server.workflow.rules import RulesEngine

    root = Path(args.directory)
    try:
        index = msgspec.json.decode((root / "index.json").read_bytes(), type=list[str])
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        print(f"expected {root / 'index.json'} listing the suite files: {exc}", file=sys.stderr)
        return 2
    engine = RulesEngine(community_semantics=not args.engine_only)
    passed = failed = 0
    for name in index:
        cases = parse_cases(json.loads((root / name).read_text(encoding="utf-8")))
        file_failed = 0
        for case in cases:
            outcome = run_case(engine, case, name)
            if outcome.passed:
                passed += 1
                continue
            failed += 1
            file_failed += 1
            if args.verbose:
                print(f"FAIL {name}: {outcome.description}: expected {json.dumps(outcome.expected)}, "
                      f"got {json.dumps(outcome.got)}")
        if args.verbose:
            print(f"{name}: {len(cases) - file_failed}/{len(cases)}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def _bench_quality(args: argparse.Namespace) -> int:
    from server.bench.quality import run

    print(json.dumps(run(Path(args.directory), preset=args.preset, details=args.details, split=args.split), indent=2))
    return 0


def _bench_mrz(args: argparse.Namespace) -> int:
    from server.bench.mrz import run

    print(json.dumps(run(Path(args.directory), rendered=args.rendered), indent=2))
    return 0


def _bench_storage(args: argparse.Namespace) -> int:
    from server.bench.storage import run

    print(json.dumps(run(endpoint=args.endpoint_url, bucket=args.bucket, repeats=args.repeats), indent=2))
    return 0


def _bench_sessions(args: argparse.Namespace) -> int:
    from server.bench.sessions import run

    ramp = [float(r) for r in args.ramp.split(",") if r.strip()]
    result = run(sessions=args.sessions, rate=args.rate, duration=args.duration, ramp=ramp,
                 ramp_seconds=args.ramp_seconds, closed_seconds=args.closed_seconds, flood=args.flood,
                 repeats=args.repeats, database_url=args.database_url, raw=not args.no_raw)
    print(json.dumps(result, indent=2) if not args.summary else json.dumps(
        {k: v for k, v in result.items() if k != "runs"}, indent=2))
    return 0


def _bench_quality_set(args: argparse.Namespace) -> int:
    from verification.quality_set import build

    rows = build(Path(args.documents), Path(args.out), seed=args.seed, only=args.only)
    print(f"wrote {len({r.path for r in rows})} images ({len(rows)} rows) and labels.csv to {args.out}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from server.app import Application
    from server.auth import resolve_api_key, resolve_rekognition_keys
    from server.logs import configure_logging
    from server.settings import ConfigError, load_settings
    from ui_schemas.loader import DefinitionError

    try:
        settings = load_settings(os.environ)
        key, generated = resolve_api_key(settings)
        rekognition_key, rekognition_secret, rekognition_generated = resolve_rekognition_keys(settings)
        application = Application(settings)
    except ConfigError as exc:
        print(f"configuration error: {exc.message}", file=sys.stderr)
        return 2
    except DefinitionError as exc:
        print(f"journey definitions are broken:\n{exc}", file=sys.stderr)
        return 2
    # after Application(): python-socketio's own handlers, added as its server is built, are replaced too
    configure_logging(level=settings.log_level, form=settings.log_format, stream=sys.stderr)
    base = f"http://{args.host}:{args.port}"
    print(f"Arabesque listening on {base}  (data: {settings.data_path}, database: "
          f"{settings.resolved_database_url.split('://', 1)[0]}, documents: {settings.resolved_storage_url})")
    if generated:
        print(f"development API key (stored in {settings.data_path / 'dev-api-key'}): {key}")
    if rekognition_generated:
        print(f"Rekognition protocol key pair (boto3 with endpoint_url={base}): {rekognition_key} / "
              f"{rekognition_secret}")
    print(f"next: curl -H 'Authorization: Bearer <key>' {base}/v1/journeys   |   "
          f"{sys.executable} -m demo_client run --server {base} --api-key <key> --journey kyc_individual "
          "--scenario approve",
          flush=True)
    print(f"back office: {base}/backoffice   (an account first: echo '<a password of 12+ characters>' | "
          f"{Path(sys.executable).parent / 'arabesque'} users create --email you@example.com --role admin "
          f"--tenant {settings.tenant})", flush=True)
    uvicorn.run(application.asgi, host=args.host, port=args.port, loop="uvloop", http="httptools",
                ws="websockets-sansio", log_level=settings.log_level, lifespan="on", timeout_graceful_shutdown=5,
                log_config=None)  # uvicorn's loggers go through the root handler (server/logs.py)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arabesque", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_serve)

    journeys = commands.add_parser("journeys", help="journey definitions").add_subparsers(dest="sub", required=True)
    check = journeys.add_parser("check", help="validate journey files; exit 1 with the problems")
    check.add_argument("paths", nargs="+", help="files or directories")
    check.add_argument("--catalogs", help="directory of <locale>.yaml message catalogs (default: built-in)")
    check.set_defaults(run=_journeys_check)
    graph = journeys.add_parser("graph", help="print a Mermaid state diagram")
    graph.add_argument("journey", help="a built-in journey name or a file path")
    graph.set_defaults(run=_journeys_graph)
    journeys.add_parser("list", help="list built-in journeys").set_defaults(run=_journeys_list)

    protocol = commands.add_parser("protocol", help="the SDK protocol").add_subparsers(dest="sub", required=True)
    protocol.add_parser("schema", help="print the JSON Schema of every message").set_defaults(run=_protocol_schema)
    protocol.add_parser("codes", help="print the table of every error code (Markdown)").set_defaults(
        run=_protocol_codes)

    rules = commands.add_parser("rules", help="JsonLogic rules").add_subparsers(dest="sub", required=True)
    conformance = rules.add_parser("conformance", help="run the JSON Logic conformance suite in DIR")
    conformance.add_argument("directory")
    conformance.add_argument("--engine-only", action="store_true",
                             help="datalogic alone, without the community-semantics pass (for comparison)")
    conformance.add_argument("-v", "--verbose", action="store_true", help="print every failure and per-file counts")
    conformance.set_defaults(run=_rules_conformance)

    bench = commands.add_parser("bench", help="measurements (not tests)").add_subparsers(dest="sub", required=True)
    quality = bench.add_parser("quality", help="document checks against DIR/labels.csv")
    quality.add_argument("directory")
    quality.add_argument("--preset", default="normal", choices=["relaxed", "normal", "strict"])
    quality.add_argument("--details", action="store_true", help="list every image a check got wrong")
    quality.add_argument("--split", default="", help="only the rows of this split (calibration, report)")
    quality.set_defaults(run=_bench_quality)
    mrz = bench.add_parser("mrz", help="MRZ reading on the specimens (scanned, photographed) and rendered zones")
    mrz.add_argument("directory", help="the documents folder (shared/data/documents)")
    mrz.add_argument("--rendered", type=int, default=60, help="how many rendered zones to read")
    mrz.set_defaults(run=_bench_mrz)
    storage = bench.add_parser("storage", help="put/get of 3 MB objects: adapters vs boto3 / plain files")
    storage.add_argument("--endpoint-url", help="an S3-compatible endpoint (default: start moto's server)")
    storage.add_argument("--bucket", default="arabesque-bench")
    storage.add_argument("--repeats", type=int, default=40)
    storage.set_defaults(run=_bench_storage)
    sessions = bench.add_parser("sessions", help="the live channel under N concurrent SDK sessions, beside raw "
                                "python-socketio (starts and stops both servers itself)")
    sessions.add_argument("--sessions", type=int, default=1000, help="concurrent SDK sessions (1000)")
    sessions.add_argument("--rate", type=float, default=200.0, help="offered transitions/s of the open loop (200)")
    sessions.add_argument("--duration", type=float, default=20.0, help="seconds of the open loop (20)")
    sessions.add_argument("--ramp", default="300,400,500,600,700,800,1000,1200",
                          help="offered rates of the max-throughput ramp, tried in order until one is not kept up")
    sessions.add_argument("--ramp-seconds", type=float, default=6.0, help="seconds per ramp step (6)")
    sessions.add_argument("--closed-seconds", type=float, default=10.0,
                          help="seconds of the closed loop (every session as fast as it can) (10)")
    sessions.add_argument("--flood", type=int, default=10000,
                          help="stale submits one socket floods during a second open loop (10000; 0 = none)")
    sessions.add_argument("--repeats", type=int, default=3, help="runs of each server; figures are medians (3)")
    sessions.add_argument("--database-url", help="e.g. postgresql+asyncpg://postgres@127.0.0.1/test (default SQLite)")
    sessions.add_argument("--no-raw", action="store_true", help="skip the raw python-socketio baseline")
    sessions.add_argument("--summary", action="store_true", help="leave the per-run details out of the output")
    sessions.set_defaults(run=_bench_sessions)
    quality_set = bench.add_parser("quality-set", help="build the labelled degradation set from specimens")
    quality_set.add_argument("documents", help="a folder like ../shared/data/documents (with labels.csv)")
    quality_set.add_argument("out")
    quality_set.add_argument("--seed", type=int, default=20261128)
    quality_set.add_argument("--only", default="", help="only the specimens whose file name contains this")
    quality_set.set_defaults(run=_bench_quality_set)
    from server.bench.faces_cli import register as register_faces_benches
    from server.bench.screening_cli import register as register_screening_bench

    register_faces_benches(bench)
    register_screening_bench(bench)

    from server.users_cli import register as register_users

    register_users(commands)

    # --- keys: API keys of every tenant (server/keys_cli.py) ---
    from server.keys_cli import add_keys_commands

    add_keys_commands(commands)

    from server.worker_cli import register as register_worker

    register_worker(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
