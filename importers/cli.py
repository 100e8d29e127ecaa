"""``ev-import``: one thin subcommand per source, and the commands that read a pool back.

The source subcommands are built from the registry (:mod:`importers.sources`): each source's
declaration gives its arguments and its ``run``, which calls the library and hands the
records to the pool writer; parsing lives in the source packages, never here. Other
commands (``auto``, and those that read a pool) are modules under ``importers/commands/``.
Library errors (:class:`~importers.core.errors.EvImportError`) become one ``error: ...``
line on stderr and the exit code of DESIGN §5: 0 ok, 1 partial (some input unparsed or
unreadable), 2 unusable.

Example::

    ev-import parsl-db runinfo/monitoring.db --tz UTC
    ev-import parsl-db runinfo/ --pool /scratch/me/evpool
"""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__, sources
from .core.errors import EXIT_PARTIAL, EvImportError
from .core.pool import pool_dir
from .core.runner import run_import, summary_line, write_import  # noqa: F401 - re-exported
from .core.terminal import printable


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--pool",
        metavar="DIR",
        help=f"pool directory (default: $EV_POOL, else ./evpool; now {pool_dir()})",
    )
    common.add_argument(
        "--tz",
        metavar="ZONE",
        help="zone of times printed without one (IANA name; default: this machine's zone)",
    )
    common.add_argument(
        "-q", "--quiet", action="store_true", help="no summary unless something went wrong"
    )
    return common


def command_modules() -> list:
    """Every module under importers/commands/, each adding its subcommand(s) via register().

    Discovered rather than listed, so adding a command touches no shared file.
    """
    import importlib
    import pkgutil

    from . import commands

    return [
        importlib.import_module(f"{commands.__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name)
        if not info.name.startswith("_")
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ev-import",
        description="Import workflow evidence (Parsl, Academy, Redis, Slurm, Linux) into a "
        "pool of wide JSON events that can be sorted, filtered and joined across layers.",
    )
    parser.add_argument("--version", action="version", version=f"ev-import {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = _common_options()

    for source in sources.all_sources():
        p = sub.add_parser(
            source.name,
            parents=[common],
            help=source.help,
            description=source.description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        source.arguments(p)
        p.set_defaults(run=source.run, parser=p)
    for module in command_modules():
        module.register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except EvImportError as exc:
        print(f"error: {printable(exc.line())}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted; the pool keeps its previous files", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout/stderr closed under us (e.g. piped into head): nothing left to tell.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stderr.fileno())
        return EXIT_PARTIAL
    except Exception as exc:  # noqa: BLE001 - only DuckDB's out-of-memory is translated
        if type(exc).__name__ != "OutOfMemoryException":
            raise
        print("error: the analysis ran out of DuckDB's memory limit "
              f"({os.environ.get('EV_DUCKDB_MEMORY', '256MB')}); "
              "set EV_DUCKDB_MEMORY higher (e.g. EV_DUCKDB_MEMORY=2GB) or narrow the query",
              file=sys.stderr)
        return 2

