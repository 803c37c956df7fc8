"""python -m demo_client run --server URL --api-key KEY --journey NAME --scenario approve|reject|review|retake|not_live
[--review stop|wait|act --reviewer-key KEY]; python -m demo_client images FOLDER (the sample captures, e.g. to
upload them by hand on the demo page); python -m demo_client registry --port N --api-key KEY (a company-registry
stand-in for kyb_business's registry check)"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from demo_client.children import Children
from demo_client.client import DemoClient, DemoError, load_scenario
from demo_client.images import generate
from demo_client.registry import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo_client", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="walk one journey to its outcome")
    run.add_argument("--server", default="http://127.0.0.1:8000")
    run.add_argument("--api-key", required=True)
    run.add_argument("--journey", default="kyc_individual")
    run.add_argument("--scenario", default="approve", choices=["approve", "reject", "review", "retake", "not_live"])
    run.add_argument("--images", type=Path, help="folder of images (document_front.jpg, selfie.jpg, ...); "
                                                 "default: generated")
    run.add_argument("--scenarios", type=Path, help="folder of scenario files (default: built-in)")
    run.add_argument("--locale", default="en")
    run.add_argument("--timeout", type=float, default=120.0)
    run.add_argument("--review", choices=["stop", "wait", "act"], default="stop",
                     help="when the session waits for a person: stop there (outcome manual_review), wait for a "
                          "reviewer (back office or cases API), or act as the reviewer with --reviewer-key")
    run.add_argument("--reviewer-key", default="", help="an API key with the reviewer or admin role (--review act)")
    images_command = commands.add_parser("images", help="write the sample capture images into a folder")
    images_command.add_argument("folder", type=Path)
    registry = commands.add_parser("registry", help="serve a company-registry stand-in (GET /v1/companies/...)")
    registry.add_argument("--host", default="127.0.0.1")
    registry.add_argument("--port", type=int, default=8123)
    registry.add_argument("--api-key", required=True, help="the bearer token it accepts (the server's "
                                                           "registry_api_key secret)")
    args = parser.parse_args(argv)
    if args.command == "registry":
        serve(host=args.host, port=args.port, api_key=args.api_key)
        return 0
    if args.command == "images":
        args.folder.mkdir(parents=True, exist_ok=True)
        for path in generate(args.folder).values():
            print(path)
        return 0

    try:
        scenario = load_scenario(args.journey, args.scenario, *([args.scenarios] if args.scenarios else []))
        with tempfile.TemporaryDirectory(prefix="arabesque-demo-") as scratch:
            images = generate(Path(scratch))
            if args.images:
                images.update({p.stem: p for p in sorted(args.images.iterdir())
                               if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".heic", ".webp", ".pdf"}})
            children = Children(server=args.server, api_key=args.api_key, plan=scenario.children, out=sys.stdout,
                                locale=args.locale, timeout=args.timeout)
            client = DemoClient(server=args.server, api_key=args.api_key, journey=args.journey, scenario=scenario,
                                images=images, out=sys.stdout, locale=args.locale, timeout=args.timeout,
                                review=args.review, reviewer_key=args.reviewer_key or args.api_key,
                                children=children)
            outcome = asyncio.run(client.run())
    except DemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"outcome: {outcome}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
