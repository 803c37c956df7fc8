"""`arabesque bench faces | duplicates | liveness`: their arguments; each bench is imported only when it runs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _bench_faces(args: argparse.Namespace) -> int:
    from server.bench.faces import run

    folds = tuple(int(f) for f in args.calibration_folds.split(","))
    print(json.dumps(run(Path(args.directory), docs=args.docs, variant=args.variant, workers=args.workers,
                         limit=args.limit, calibration_folds=folds, cache=Path(args.cache) if args.cache else None,
                         speed_pairs=args.speed_pairs, plot=Path(args.plot) if args.plot else None), indent=2))
    return 0


def _bench_duplicates(args: argparse.Namespace) -> int:
    from server.bench.duplicates import SIZES, run

    sizes = tuple(int(n) for n in args.sizes.split(",")) if args.sizes else SIZES
    print(json.dumps(run(Path(args.directory), workers=args.workers, limit=args.limit, sizes=sizes), indent=2))
    return 0


def _bench_liveness(args: argparse.Namespace) -> int:
    from server.bench.liveness import run
    from server.bench.turns import run_active

    result = run(Path(args.directory), pairs=args.pairs, workers=args.workers, cues=args.cues)
    if args.photos:
        result["active"] = run_active(Path(args.directory), limit=args.photos, split=args.split)
    print(json.dumps(result, indent=2))
    return 0


def register(bench: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the face benches to the `bench` subcommands."""
    faces = bench.add_parser("faces", help="face verification error rates and speed on DIR/pairs.csv")
    faces.add_argument("directory")
    faces.add_argument("--workers", type=int, default=2)
    faces.add_argument("--docs", action="store_true",
                       help="also the document-to-selfie pairs (left photo printed on an ID card and photographed)")
    faces.add_argument("--variant", default="v1", help="descriptor variant of verification.faces.VARIANTS")
    faces.add_argument("--limit", type=int, help="at most this many genuine and impostor pairs per fold")
    faces.add_argument("--calibration-folds", default="1,2", help="LFW folds the operating points are derived on")
    faces.add_argument("--cache", help="directory of descriptors cached per variant (reused across runs)")
    faces.add_argument("--speed-pairs", type=int, default=20, help="pairs timed for speed (0: no timing)")
    faces.add_argument("--plot", help="write the ROC curve to this PNG")
    faces.set_defaults(run=_bench_faces)
    duplicates = bench.add_parser("duplicates", help="duplicate-identity search on DIR/lfw identities, and search "
                                                     "time at 10k, 100k and 1M enrolled faces")
    duplicates.add_argument("directory")
    duplicates.add_argument("--workers", type=int, default=2)
    duplicates.add_argument("--limit", type=int, help="at most this many identities of each kind")
    duplicates.add_argument("--sizes", help="enrolled counts to time, comma-separated (default 10000,100000,1000000)")
    duplicates.set_defaults(run=_bench_duplicates)
    liveness = bench.add_parser("liveness", help="presentation attacks (a photo of the document, a print, a screen) "
                                "against the selfie's liveness check, generated from DIR (the faces set)")
    liveness.add_argument("directory", help="the faces folder (shared/data/faces, with pairs_folds.csv)")
    liveness.add_argument("--pairs", type=int, default=40, help="same-person pairs per split, 4 captures each (40)")
    liveness.add_argument("--workers", type=int, default=2)
    liveness.add_argument("--cues", action="store_true", help="also list the calibration split's raw cues")
    liveness.add_argument("--photos", type=int, default=60, help="head-turn challenges (`active`): photos, one per "
                          "identity, taken from --split (60; 0 leaves the active part out)")
    liveness.add_argument("--split", default="report", choices=["calibration", "report"],
                          help="the split the head-turn challenges are reported on (report)")
    liveness.set_defaults(run=_bench_liveness)


__all__ = ["register"]
