"""``ev-import node-import PATH...``: one node's own logs into a shared pool (Slurm recipes)."""

from __future__ import annotations

import argparse
import inspect
import os
import socket
import sys
from pathlib import Path

from ..core.errors import EXIT_OK, EXIT_PARTIAL
from ..core.pool import pool_dir
from ..distributed import DEFAULT_BATCH_BYTES, import_paths

HOST_ENV = "EV_HOST"


def cmd_node_import(args: argparse.Namespace) -> int:
    """Import this node's logs (node-local dirs) into a shared pool, one import per node.

    Run it once per node at the end of a batch job (srun --ntasks-per-node=1) or from a Slurm
    epilog. Files are recognised as `auto` does and parsed with -j processes; each pool file's
    identity holds this node's hostname, so nodes never replace each other's files and a
    re-run on one node replaces only that node's files. A PATH missing on this node is
    skipped with a note (nodes differ; exit 0), unless --strict.

    Example:
        srun --ntasks-per-node=1 ev-import node-import /tmp/$USER/$SLURM_JOB_ID --pool ~/evpool
        ev-import node-import /tmp/parsl-logs --pool /shared/evpool -j 4
    """
    host = os.environ.get(HOST_ENV) or socket.gethostname()
    label = f"node-import {host}"
    present = [p for p in args.paths if Path(p).exists() or Path(p).is_symlink()]
    missing = [p for p in args.paths if p not in present]
    if missing and (args.strict or not present):
        if args.strict or not args.quiet:
            print(f"{label}: not on this node: {', '.join(missing)}", file=sys.stderr)
        return EXIT_PARTIAL if args.strict else EXIT_OK
    result = import_paths(present, pool=pool_dir(args.pool), jobs=args.jobs, tz=args.tz,
                          batch_bytes=args.batch_mb << 20)
    lines = result.summary()
    if missing:
        lines.insert(0, f"not on this node, skipped: {', '.join(missing)}")
    if not result.outcomes and not result.copied:
        lines.insert(0, "nothing recognised to import")
    if not args.quiet or result.partial:
        for line in lines:
            print(f"{label}: {line}", file=sys.stderr)
    return EXIT_PARTIAL if result.partial else EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "node-import",
        parents=[common],
        help="this node's logs into a shared pool, one pool file per node (Slurm recipes)",
        description=inspect.cleandoc(cmd_node_import.__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="node-local directories or files")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="processes on this node (default: all cores)")
    p.add_argument("--batch-mb", type=int, default=DEFAULT_BATCH_BYTES >> 20, metavar="MB",
                   help="input per process batch (default: %(default)s)")
    p.add_argument("--strict", action="store_true",
                   help="a PATH missing on this node is an error (exit 1)")
    p.set_defaults(run=cmd_node_import)
