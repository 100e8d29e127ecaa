"""ev-import: turn each observability source of a scientific workflow into wide events.

One module per source (``parsl_db``, ...), each with a ``read(source, **options)`` generator
that yields records and writes nothing; ``pool`` writes and reads pools; ``cli`` wires them.
This module only lists the sources, so tooling (``auto``, docs tests) can enumerate them.
"""

__version__ = "0.1.0"

# source name (as in ``ev.source`` and the CLI subcommand) -> module under importers/
SOURCES = {
    "parsl-db": "importers.sources.parsl_db",
    "parsl-logs": "importers.sources.parsl_logs",
    "redis-log": "importers.sources.redis_log",
    "sacct": "importers.sources.sacct",
    "squeue": "importers.sources.squeue",
    "procs": "importers.sources.procs",
    "watch-procs": "importers.sources.procs_watch",
}
