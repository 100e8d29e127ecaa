"""The Starlette application behind ``ev-import serve``: routing, safety, the pool.

Why Starlette (+ uvicorn): a small, well-kept ASGI toolkit with no template, ORM or asset
pipeline of its own to fight, test support through httpx, and a static-file story we do not
even need (assets are a fixed table here). uvicorn is its reference server: it binds a socket
we create (so ``--port`` is honoured exactly and the URL is printed as soon as it listens) and
shuts down cleanly on SIGTERM.

Safety, as the page promises (pool content is untrusted):

- read-only: GET and HEAD only, everything else is 405 (before routing, so unknown paths too);
  the server never writes into the pool, DuckDB's spill files go to a private temp dir;
- no file is ever read by a name from the URL, a parameter or a record value: static assets
  are a fixed table of files found in installed packages;
- a strict Content-Security-Policy (scripts only from this server, no connections elsewhere),
  ``nosniff``, no referrer, no framing, and a Host check against DNS rebinding;
- bad parameters are a 400 page with the reason; DuckDB errors caused by a query are 400 too.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from importers.core.errors import EvImportError

from . import assets, page
from .params import BadParam, multi
from .views import VIEWS

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
     b"img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
     b"base-uri 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


#: DuckDB's memory limit for the server (``$EV_DUCKDB_MEMORY`` overrides it).
SERVE_MEMORY = "1GB"


class ReadOnlyAndHeaders:
    """ASGI middleware: 405 for every method but GET/HEAD; security headers on every answer."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        if scope["method"] not in ("GET", "HEAD"):
            response = PlainTextResponse(
                "405 Method Not Allowed: this server is read-only (GET and HEAD only)\n",
                status_code=405, headers={"Allow": "GET, HEAD"})
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


class ServedPool:
    """The pool behind the page, opened once and reopened when its files change.

    One lock serialises the analysis calls: a DuckDB connection is not meant to be used by
    several threads at once, and one local user rarely sends two queries together.
    """

    def __init__(self, path: Path, opener: Callable[[Path], Any] | None = None) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._opener = opener or open_pool_for_serving
        self._pool: Any = None
        self._signature: tuple | None = None
        self.temp_dir = Path(tempfile.mkdtemp(prefix="ev-import-serve-"))

    def signature(self) -> tuple:
        from importers.core.pool import pool_files

        out = []
        for file in pool_files(self.path):
            try:
                st = file.stat()
            except OSError:
                continue
            out.append((str(file), st.st_size, st.st_mtime_ns))
        return tuple(out)

    def get(self) -> Any:
        """The open pool, reopened first if a file was added, removed or grew."""
        with self.lock:
            signature = self.signature()
            if self._pool is None or signature != self._signature:
                self.close_pool()
                self._pool = self._opener(self.path, temp_dir=self.temp_dir)
                self._signature = signature
            return self._pool

    def warm_up(self) -> None:
        """Load the pool and the libraries the views use, before anyone asks."""
        try:
            self.get()
            import pandas  # noqa: F401 - lifetimes hand back DataFrames
            import plotly.graph_objects  # noqa: F401
        except Exception:  # the first request reports whatever went wrong
            pass

    def close_pool(self) -> None:
        close = getattr(self._pool, "close", None)
        if close is not None:
            close()
        self._pool = None

    def close(self) -> None:
        with self.lock:
            self.close_pool()
            shutil.rmtree(self.temp_dir, ignore_errors=True)


def open_pool_for_serving(path: Path, temp_dir: Path | None = None) -> Any:
    """The analysis Pool of ``path``, loaded once into a DuckDB file in ``temp_dir``.

    The analysis ``events`` view reads the JSON files at every query, which is right for a
    notebook's few questions but not for a page asked many (each view must answer in well
    under a second at 10^6 events). So the server parses the pool once into a table of a
    DuckDB database file in its private temporary directory (compressed, spilled to disk
    instead of held in memory, deleted on exit; never in the pool), and points the pool's
    ``events`` view at it: every analysis function then reads the table.
    """
    from .views._common import analysis

    ev = analysis()
    if hasattr(ev, "QueryError"):
        # DuckDB's own limit: a snapshot of a few hundred columns needs more than the
        # analysis default; it spills above it, so RSS stays near what queries use.
        pool = ev.open_pool(path, memory_limit=os.environ.get("EV_DUCKDB_MEMORY", SERVE_MEMORY))
    else:
        pool = ev.open_pool(path)
    con = getattr(pool, "con", None)
    if con is not None and temp_dir is not None:
        snapshot = Path(temp_dir) / f"snapshot-{time.monotonic_ns()}.duckdb"
        con.execute(f"ATTACH {_literal(str(snapshot))} AS web_snapshot")
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"CREATE TABLE web_snapshot.events AS {snapshot_select(pool)}")
        # The name ``events`` now finds the table first (a view over it would be bound
        # again, all its columns, at every query: 15-45 ms each here).
        con.execute("DROP VIEW events")
        con.execute("SET search_path = 'web_snapshot,main'")
    return pool


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def snapshot_select(pool: Any) -> str:
    """The SELECT of the pool's ``events`` view, with each JSON line parsed once.

    The view extracts every key with its own ``json ->> '/key'``, and DuckDB parses the
    line again for each (with a few hundred keys that took over 2 GB for 18,000 lines).
    Here one ``json_extract_string(json, [all pointers])`` per line feeds the same typed
    expressions (the analysis loader's own, so the types are the view's). Without the
    analysis loader's schema the view is copied as it is.
    """
    try:
        from importers.analysis import load
    except ImportError:  # pragma: no cover - the stand-in has no schema
        return "SELECT * FROM events"
    schema = getattr(pool, "schema", None)
    files = getattr(pool, "files", None)
    if schema is None or files is None:
        return "SELECT * FROM events"
    keys = sorted({k for col in schema.columns.values() for k in col.keys})
    pointers = [load.quote_literal(load.json_pointer(k)) for k in keys]
    select = load.select_list(schema, json_col="j", file_col="filename")
    for i, ptr in enumerate(pointers, 1):
        select = select.replace(f"(j ->> {ptr})", f"__v[{i}]")
    extract = (f"json_extract_string(json, [{', '.join(pointers)}])" if pointers
               else "[]::VARCHAR[]")
    return (f"SELECT {select} FROM (SELECT json AS j, filename, {extract} AS __v "
            f"FROM {load.raw_source_sql(list(files))})")


def _error_page(status: int, title: str, message: str, served: ServedPool | None) -> Response:
    body = page.render("error.html", title=title, message=message, status=status,
                       nav=VIEWS, current=None, pool_path=served.path if served else "")
    return HTMLResponse(body, status_code=status)


def view_endpoint(view: ModuleType, served: ServedPool) -> Callable[[Request], Response]:
    def endpoint(request: Request) -> Response:
        try:
            params = view.Params.from_query(multi(request.query_params))
            with served.lock:
                pool = served.get()
                data = view.data(pool, params)
            figure = view.figure(data)
        except BadParam as exc:
            return _error_page(400, "Bad parameter", str(exc), served)
        except EvImportError as exc:  # e.g. a text value for a numeric key, a bad regex
            return _error_page(400, "The query could not run", exc.line(), served)
        except Exception as exc:  # a query the pool cannot answer is the user's, not a crash
            if _is_query_error(exc):
                return _error_page(400, "The query could not run", _first_line(exc), served)
            traceback.print_exc(file=sys.stderr)
            return _error_page(500, "Internal error", "see the server's stderr", served)
        body = page.render(view.TEMPLATE, view=view, params=params, data=data, figure=figure,
                           nav=VIEWS, current=view, pool_path=served.path,
                           notebook=view.notebook_call(params))
        return HTMLResponse(body)

    endpoint.__name__ = f"view_{view.NAME}"
    return endpoint


def _is_query_error(exc: Exception) -> bool:
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is in the web extra
        return False
    return isinstance(exc, duckdb.Error) and not isinstance(exc, duckdb.InternalException)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:500]


def static_endpoint(request: Request) -> Response:
    """A fixed table lookup: the URL names an entry, never a path on disk."""
    entry = assets.ASSETS.get(request.path_params["name"])
    if entry is None:
        return PlainTextResponse("404 Not Found\n", status_code=404)
    return FileResponse(entry.path, media_type=entry.media_type,
                        headers={"Cache-Control": "public, max-age=86400"})


def create_app(pool: str | os.PathLike, *, allowed_hosts: list[str] | None = None,
               opener: Callable[..., Any] | None = None) -> Starlette:
    """The web page of ``pool``: one route per view, the assets, nothing else."""
    served = ServedPool(Path(pool), opener)
    routes = [Route(view.PATH, view_endpoint(view, served), methods=["GET", "HEAD"])
              for view in VIEWS]
    routes.append(Route("/static/{name}", static_endpoint, methods=["GET", "HEAD"]))

    async def not_found(request: Request, exc: Exception) -> Response:
        return _error_page(404, "Not found", "no such page; start from the overview",
                           served)

    hosts = allowed_hosts or ["127.0.0.1", "localhost", "::1", "[::1]"]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(ReadOnlyAndHeaders),
                    Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
                    Middleware(GZipMiddleware, minimum_size=1024)],
        exception_handlers={404: not_found},
    )
    app.state.served = served
    return app
