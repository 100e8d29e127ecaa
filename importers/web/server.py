"""Running the page: bind, say where, serve in the foreground, stop cleanly.

The socket is bound and listening before uvicorn starts, so the URL printed (flushed, on
stdout, one line) is already reachable: connections made right after it wait in the
kernel's queue. ``--port 0`` picks a free port and the URL says which. SIGTERM and Ctrl-C
stop the server gracefully (open requests finish) and the command exits 0. No browser is
opened: on a login node there is none, and over ssh the user forwards the port.
"""

from __future__ import annotations

import ipaddress
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import TextIO

from importers.core.errors import EvImportError

LOOPBACK = "127.0.0.1"


class ServeError(EvImportError):
    """The server cannot start (port taken, no such pool, a host that is not ours)."""


def _family(host: str) -> socket.AddressFamily:
    try:
        return socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        return socket.AF_INET


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on exactly ``host:port`` (port 0: any free port)."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
                         f"choose another --port (or --port 0 for any free one)") from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(pool: str | Path, host: str = LOOPBACK, port: int = 8000, *,
          out: TextIO | None = None, access_log: bool = False) -> int:
    """Serve the page of ``pool`` on ``host:port`` until SIGTERM or Ctrl-C; return 0."""
    import uvicorn

    from .app import create_app

    out = out or sys.stdout
    pool = Path(pool)
    if not pool.is_dir():
        raise ServeError(f"{pool}: no such pool directory; import something first "
                         f"(e.g. ev-import auto DIR --pool {pool}) or name the pool")
    hosts = ["127.0.0.1", "localhost", "::1", "[::1]"]
    if not is_loopback(host):
        print(f"warning: listening on {host}: anyone who can reach this address can read "
              f"the pool", file=sys.stderr)
        hosts = ["*"]
    sock = bind(host, port)
    app = create_app(pool, allowed_hosts=hosts)
    config = uvicorn.Config(app, log_level="warning", access_log=access_log, lifespan="off",
                            timeout_graceful_shutdown=5, server_header=False)
    server = uvicorn.Server(config)

    def stop(signum: int, frame: object) -> None:
        # uvicorn handles the signal first (graceful shutdown), then re-raises it to the
        # handler it found: this one, which makes the exit status 0.
        raise SystemExit(0)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    print(url_of(sock), file=out, flush=True)
    # Load the pool while the first request is on its way (it waits for this, not longer).
    threading.Thread(target=app.state.served.warm_up, name="load-pool", daemon=True).start()
    print(f"serving the pool {pool} (read-only); stop with Ctrl-C or SIGTERM",
          file=sys.stderr, flush=True)
    try:
        server.run(sockets=[sock])
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        sock.close()
        app.state.served.close()
    print("stopped", file=sys.stderr, flush=True)
    return 0
