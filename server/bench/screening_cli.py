"""`arabesque bench screening`: its arguments; the bench itself is imported only when it runs."""

from __future__ import annotations

import argparse
import json


def _run(args: argparse.Namespace) -> int:
    from server.bench.screening import run

    print(json.dumps(run(entities=args.entities, targets=args.targets, repeats=args.repeats), indent=2))
    return 0


def register(bench: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `screening` to the `bench` subcommands."""
    screening = bench.add_parser("screening", help="sanctions/PEP matching: precision/recall at the review threshold "
                                 "and ms/query on one core against a synthetic FtM list")
    screening.add_argument("--entities", type=int, default=100_000, help="entities on the list (100000)")
    screening.add_argument("--targets", type=int, default=400, help="listed entities the labelled queries are about")
    screening.add_argument("--repeats", type=int, default=3, help="timed passes over the queries; medians (3)")
    screening.set_defaults(run=_run)


__all__ = ["register"]
