"""What the web tests share: pools to serve (one built from the shipped fixtures, one of
hostile records) and a real ``ev-import serve`` process started on one of them."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
from conftest import FIXTURES, ROOT

# Hostile content. Hand-typed on purpose: these records are the XSS/robustness edge cases
# of the web page (no real program writes them), each payload marks the page if it runs.
XSS_SCRIPT = "<script>window.__xss='script'</script>"
XSS_IMG = "<img src=x onerror=\"window.__xss='img'\">"
XSS_JS_URL = "javascript:window.__xss='href'"
XSS_CLOSE = "</script><script>window.__xss='close'</script>"
XSS_HTML_LINK = '<a href="https://example.org/">plotly link</a>'
BIG_VALUE = "x" * 100_000
CONTROL = "ctl \x00 \x1b[31mred\x1b[0m \x07 bell \x1b]0;title\x07"
PAYLOADS = [XSS_SCRIPT, XSS_IMG, XSS_JS_URL, XSS_CLOSE, XSS_HTML_LINK]


def hostile_records() -> list[dict]:
    base = 1795596000.0
    return [
        {"created": base, "formatted": f"evil {XSS_SCRIPT} {XSS_IMG}", "name": XSS_SCRIPT,
         "levelname": XSS_IMG, "levelno": 20, "ev.source": XSS_SCRIPT, "ev.event": XSS_IMG,
         XSS_SCRIPT: XSS_IMG, 'quote"key': "it's \"quoted\"", "angle<key>": XSS_JS_URL,
         "evil.thing": XSS_CLOSE, "evil.colour": XSS_HTML_LINK, "linux.hostname": XSS_IMG,
         "linux.pid": 4242, "ev.origin": "/etc/passwd", "pathname": "/etc/shadow"},
        {"created": base + 2.5, "formatted": XSS_CLOSE, "name": "evil", "ev.source": "evil",
         "ev.event": "second", "evil.thing": XSS_CLOSE, "evil.colour": XSS_HTML_LINK,
         "linux.pid": 4242, "evil.link": XSS_JS_URL},
        # Academy writes every value as a string
        {"created": str(base + 1.25), "levelno": "20", "levelname": "INFO",
         "process": "4242", "formatted": "academy-style strings", "name": "academy.evil",
         "evil.thing": "academy"},
        {"created": base + 3, "formatted": "a 100 KB value", "name": "evil",
         "ev.source": "evil", "evil.big": BIG_VALUE, "evil.thing": "big"},
        {"created": base + 4, "formatted": CONTROL, "name": "evil", "ev.source": "evil",
         "evil.control": CONTROL, "evil.thing": "big"},
    ]


def write_hostile_pool(pool: Path) -> Path:
    pool.mkdir(parents=True, exist_ok=True)
    lines = b"".join(orjson.dumps(r) + b"\n" for r in hostile_records())
    (pool / "evil.jsonlog").write_bytes(lines + b"this line is not JSON <script>x</script>\n")
    return pool


def build_fixture_pool(pool: Path) -> Path:
    """The pool of the README: ``ev-import auto fixtures/ --pool P`` (exit 1: some shipped
    process-tool examples are unparsed on purpose)."""
    done = subprocess.run([sys.executable, "-m", "importers", "auto", str(FIXTURES),
                           "--pool", str(pool), "-q"], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    assert done.returncode in (0, 1), done.stderr
    return pool


def tree_state(pool: Path) -> dict[str, tuple[int, int]]:
    """Every file and dir under the pool with its size and mtime (to prove nothing changed)."""
    out = {}
    for path in sorted(pool.rglob("*")):
        st = path.stat()
        out[str(path.relative_to(pool))] = (st.st_size, st.st_mtime_ns)
    st = pool.stat()
    out["."] = (0, st.st_mtime_ns)
    return out


def _read_line(stream, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    buf = b""
    fd = stream.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 1)
            if not chunk:
                break
            buf += chunk
            if chunk == b"\n":
                return buf.decode()
    raise AssertionError(f"no line from the server within {timeout} s (got {buf!r})")


@contextmanager
def serve(pool: Path, port: int = 0, cache_dir: Path | None = None,
          extra: tuple[str, ...] = ()) -> Iterator[tuple[str, subprocess.Popen]]:
    """``ev-import serve POOL --port N``: yields (the URL it printed, the process); stops it
    with SIGTERM and checks it exits 0."""
    env = {**os.environ, "PYTHONUNBUFFERED": "0"}
    if cache_dir is not None:
        env["EV_CACHE_DIR"] = str(cache_dir)
    proc = subprocess.Popen(
        [sys.executable, "-m", "importers", "serve", str(pool), "--port", str(port), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    try:
        url = _read_line(proc.stdout, 60).strip()
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError("the server did not stop within 20 s of SIGTERM") from None
        err = proc.stderr.read().decode(errors="replace")
        assert proc.returncode == 0, f"serve exited {proc.returncode}: {err}"
        assert "Traceback" not in err, err
