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
    """The analysis Pool of ``path``, with DuckDB told to spill outside the pool."""
    from .views._common import analysis

    pool = analysis().open_pool(path)
    con = getattr(pool, "con", None) or getattr(pool, "connection", None)
    if con is not None and temp_dir is not None:
        con.execute(f"SET temp_directory = '{str(temp_dir).replace(chr(39), chr(39) * 2)}'")
    return pool


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
