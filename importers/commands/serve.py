"""``ev-import serve [POOL]``: the local web page of common queries (extra ``web``)."""

from __future__ import annotations

import argparse

from ..core.errors import EvImportError
from ..core.pool import pool_dir


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from ..web.server import serve
    except ImportError as exc:
        raise EvImportError(
            f"ev-import serve needs the web extra ({exc.name} is missing): "
            "pip install 'ev-import[web]'") from None
    return serve(pool_dir(args.pool_arg or args.pool), host=args.host, port=args.port,
                 access_log=args.access_log)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "serve",
        parents=[common],
        help="a local web page of the pool: overview, breakdown, timeline, events, things",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""Serve a read-only web page of a pool on this machine.

Views: overview (exact counts per source and level, runs, things), breakdown (where the
time went, per run), timeline (things as bars, concurrency), events (filtered, paged),
thing pages (every event of a task id, pid, message tag...; what it joins to) and
durations. Each view is a function a notebook can call (importers.web.views.*). Every
asset comes from installed packages: the page works with no network. Prints the URL as
soon as it listens; stop with Ctrl-C or SIGTERM. Over ssh: ssh -L 8000:127.0.0.1:8000.

Example:
    ev-import auto fixtures/ --pool /tmp/evpool
    ev-import serve /tmp/evpool --port 8000
""",
    )
    p.add_argument("pool_arg", nargs="?", metavar="POOL",
                   help="pool directory (default: --pool, $EV_POOL, else ./evpool)")
    p.add_argument("--port", type=int, default=8000,
                   help="TCP port, used exactly (0: any free port; default 8000)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--access-log", action="store_true", help="log each request on stderr")
    p.set_defaults(run=cmd_serve)
