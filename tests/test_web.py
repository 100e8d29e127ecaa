"""``ev-import serve`` over HTTP: the server's promises, checked without a browser.

It binds exactly the port asked, prints the URL as soon as it listens, stops on SIGTERM with
exit 0, answers GET/HEAD only, serves assets from a fixed table (no path from the URL ever
reaches the disk), escapes hostile pool content everywhere, turns bad parameters into 4xx
(never 5xx), writes nothing into the pool, and every view is reachable from ``/`` by plain
links. The same checks in a real browser are in test_web_browser.py.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT
from web_helpers import (
    BIG_VALUE,
    PAYLOADS,
    build_fixture_pool,
    serve,
    tree_state,
    write_hostile_pool,
)

pytest.importorskip("starlette", reason="the web extra is not installed")
pytest.importorskip("uvicorn", reason="the web extra is not installed")
pytest.importorskip("duckdb", reason="the web extra is not installed")
httpx = pytest.importorskip("httpx", reason="httpx (Starlette's test client) is missing")

from starlette.testclient import TestClient  # noqa: E402

from importers.web.app import create_app, open_pool_for_serving  # noqa: E402
from importers.web.assets import ASSETS, PLOTLY_URL  # noqa: E402
from importers.web.page import url  # noqa: E402
from importers.web.views import VIEWS  # noqa: E402
from importers.web.views import events as events_view  # noqa: E402
from importers.web.views import overview as overview_view  # noqa: E402
from importers.web.views import timeline as timeline_view  # noqa: E402
from importers.web.views._common import analysis  # noqa: E402

SECRET = "secret-token-7f3a9c-never-served"


@pytest.fixture(scope="module")
def fixture_pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_pool(tmp_path_factory.mktemp("web") / "pool")


@pytest.fixture
def hostile_pool(tmp_path: Path) -> Path:
    pool = write_hostile_pool(tmp_path / "hostile")
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    # A record naming that file in every place a path could hide: the server must never
    # open it (nor /etc/passwd named by the other records).
    import orjson
    rec = {"created": 1795596010.0, "formatted": f"see {secret}", "ev.origin": str(secret),
           "pathname": str(secret), "evil.thing": str(secret), "ev.file": str(secret)}
    (pool / "paths.jsonlog").write_bytes(orjson.dumps(rec) + b"\n")
    return pool


def client(pool: Path) -> TestClient:
    return TestClient(create_app(pool), base_url="http://127.0.0.1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the process -------------------------------------------------------------------------

def test_serve_binds_the_exact_port_on_loopback_prints_the_url_and_stops_on_sigterm(
        fixture_pool: Path, tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    port = free_port()
    with serve(fixture_pool, port=port, cache_dir=tmp_path / "cache") as (url, proc):
        assert url == f"http://127.0.0.1:{port}/"
        # the URL is printed once the socket listens: the first request needs no retry
        answer = httpx.get(url, timeout=60)
        assert answer.status_code == 200
        listening = [c.laddr for c in psutil.Process(proc.pid).net_connections("tcp")
                     if c.status == psutil.CONN_LISTEN]
        assert listening == [("127.0.0.1", port)]
    # serve() checked: SIGTERM -> exit 0, no traceback


def test_a_port_in_use_is_one_clear_line_and_exit_2(fixture_pool: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "importers", "serve", str(fixture_pool),
                               "--port", str(port)], capture_output=True, text=True,
                              cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert "--port" in line


def test_no_pool_directory_is_one_clear_line(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "importers", "serve",
                           str(tmp_path / "missing"), "--port", "0"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("error: ") and "no such pool directory" in line


# --- read-only, assets, headers ----------------------------------------------------------

@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
@pytest.mark.parametrize("path", ["/", "/events", "/static/ev.css", "/no/such/page"])
def test_only_get_and_head_are_answered(fixture_pool: Path, method: str, path: str) -> None:
    answer = client(fixture_pool).request(method, path)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, HEAD"


def test_head_answers_like_get_without_a_body(fixture_pool: Path) -> None:
    with client(fixture_pool) as c:
        head = c.head("/events")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-type"].startswith("text/html")


def test_assets_come_from_installed_packages(fixture_pool: Path) -> None:
    import plotly
    c = client(fixture_pool)
    js = c.get(PLOTLY_URL)
    assert js.status_code == 200
    shipped = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert js.content == shipped.read_bytes()
    assert c.get("/static/ev.css").headers["content-type"].startswith("text/css")
    assert set(ASSETS) == {PLOTLY_URL.rsplit("/", 1)[1], "ev.css", "ev.js", "ev.svg"}


@pytest.mark.parametrize("path", [
    "/static/../pyproject.toml", "/static/..%2f..%2fpyproject.toml",
    "/static/%2e%2e%2f%2e%2e%2fpyproject.toml", "/static/ev.css%2f..%2f..%2fapp.py",
    "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/app.py", "/static/.%2e",
    "/static/ev.css%00.js", "/../../etc/passwd",
])
def test_static_files_cannot_be_walked_out_of(fixture_pool: Path, path: str) -> None:
    answer = client(fixture_pool).get(path)
    assert answer.status_code in (400, 404)
    assert b"root:x:0:0" not in answer.content
    assert b"[build-system]" not in answer.content
    assert b"from __future__" not in answer.content


def test_every_answer_carries_a_strict_content_security_policy(fixture_pool: Path) -> None:
    c = client(fixture_pool)
    for path in ["/", "/events", "/static/ev.css", "/nope"]:
        headers = c.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp
        assert "connect-src 'self'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_a_foreign_host_header_is_refused(fixture_pool: Path) -> None:
    # DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not read the pool
    answer = client(fixture_pool).get("/", headers={"Host": "evil.example"})
    assert answer.status_code == 400


# --- hostile content ---------------------------------------------------------------------

HOSTILE_URLS = [
    "/", "/events", "/events?where=evil.thing%3D" + "%3C%2Fscript%3E",
    "/thing?evil.thing=" + "%3C%2Fscript%3E%3Cscript%3Ewindow.__xss%3D%27close%27%3C%2Fscript%3E",
    "/thing?linux.pid=4242", "/timeline?thing=evil.thing&color=evil.colour",
    "/timeline?thing=evil.thing&color=ev.event", "/durations?thing=evil.thing",
    "/timeline?thing=linux.pid", "/breakdown",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_values_are_text_everywhere(hostile_pool: Path, url: str) -> None:
    with client(hostile_pool) as c:
        answer = c.get(url)
    assert answer.status_code == 200, answer.text[:2000]
    body = answer.text
    for payload in PAYLOADS:
        assert payload not in body, f"raw payload {payload!r} in {url}"
    assert "javascript:" not in re.sub(r"&[^;]+;", "", " ".join(
        re.findall(r'href="([^"]*)"', body)))
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', body,
                            flags=re.S):
        assert "<" not in block and ">" not in block
    assert SECRET not in body
    assert "root:x:0:0" not in body


def test_hostile_values_are_shown_escaped(hostile_pool: Path) -> None:
    with client(hostile_pool) as c:
        events = c.get("/events").text
        timeline = c.get("/timeline?thing=evil.thing&color=evil.colour").text
    assert "&lt;script&gt;window.__xss=" in events
    assert "&lt;img src=x onerror=" in events
    assert "\x1b" not in events and "\x00" not in events and "\x07" not in events
    assert "␛[31mred␛[0m" in events   # terminal escapes shown, never replayed
    assert BIG_VALUE[:300] in events and BIG_VALUE not in events.split("<details>")[0]
    # chart strings reach Plotly HTML-escaped, so its label markup cannot make a link
    assert "\\u0026lt;a href=" in timeline


@pytest.mark.parametrize("url", [
    "/events?page=abc", "/events?page=0", "/events?page=99999999999",
    "/events?since=yesterday-ish", "/events?until=nan", "/events?grep=(unclosed",
    "/events?where=no-equals-sign", "/events?n=5", "/timeline?n=0",
    "/timeline?thing=,,,", "/timeline?sort=sideways", "/durations?bins=-1",
    "/breakdown?expect=lots", "/thing?page=x", "/thing?%00bad=1",
    "/events?where=" + "k%3D" + "v" * 60_000,
])
def test_bad_parameters_are_a_400_with_the_reason(hostile_pool: Path, url: str) -> None:
    answer = client(hostile_pool).get(url)
    assert answer.status_code == 400, answer.text[:500]
    assert 'class="error"' in answer.text


@pytest.mark.parametrize("url", [
    "/thing?no.such.key=1", "/thing?" + "quote%22key=it%27s", "/thing?angle%3Ckey%3E=x",
    "/thing?linux.pid=not-a-number", "/thing?evil.big=" + BIG_VALUE[:50_000], "/thing",
    "/thing?created=1795596001.25", "/thing?process=4242", "/events?where=levelno%3D20",
    "/events?where=evil.control%3D%1b%5b31m", "/timeline?thing=no.such.key",
    "/timeline?thing=evil.thing&color=no.such.key", "/durations?thing=%22%3B%20DROP%20x",
    "/events?has=%27%22%3C%3E&grep=%5Cx00", "/events?since=2026-11-25T00:00:00Z",
])
def test_odd_keys_and_values_never_give_a_5xx(hostile_pool: Path, url: str) -> None:
    answer = client(hostile_pool).get(url)
    assert answer.status_code < 500, answer.text[:1000]


def test_academy_string_numbers_are_found_as_numbers(hostile_pool: Path) -> None:
    body = client(hostile_pool).get("/thing?process=4242").text
    assert 'id="thing-events">1<' in body
    assert "2026-11-25 08:40:01.250 UTC" in body   # "created": "1795596001.25" as a time


def test_the_server_writes_nothing_into_the_pool(fixture_pool: Path, tmp_path: Path) -> None:
    before = tree_state(fixture_pool)
    with serve(fixture_pool, cache_dir=tmp_path / "cache") as (url, _):
        for view in VIEWS:
            httpx.get(url.rstrip("/") + view.PATH + ("?parsl.task_id=1" if view.NAME == "thing"
                                                     else ""), timeout=120)
    assert tree_state(fixture_pool) == before


# --- navigation and the notebook face ----------------------------------------------------

class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            self.forms.append((a.get("method", "get").lower(), a.get("action", "")))


def test_every_view_is_reachable_from_the_overview_by_plain_links(fixture_pool: Path) -> None:
    seen: dict[str, str] = {}
    frontier = ["/"]
    with client(fixture_pool) as c:
        for _depth in range(2):
            nxt = []
            for href in frontier:
                answer = c.get(href)
                assert answer.status_code == 200, href
                parser = Links()
                parser.feed(answer.text)
                assert all(method == "get" for method, _ in parser.forms)
                for link in parser.links:
                    parts = urlsplit(link)
                    assert not parts.scheme and not parts.netloc, link   # same site only
                    if parts.path not in seen:
                        seen[parts.path] = link
                        nxt.append(link)
            frontier = nxt[:40]
    assert {v.PATH for v in VIEWS} <= set(seen), sorted(seen)


@pytest.mark.parametrize("key", ["academy.message_tag", "parsl.task_id"])
def test_message_tags_and_task_ids_are_two_clicks_from_the_overview(
        fixture_pool: Path, key: str) -> None:
    with client(fixture_pool) as c:
        first = Links()
        first.feed(c.get("/").text)
        [keys] = [keys for _, keys in overview_view.THING_KINDS if key in keys]
        kind = url("/timeline", [("thing", ",".join(keys))])
        assert kind in first.links
        second = Links()
        second.feed(c.get(kind).text)
        things = [h for h in second.links if h.startswith("/thing?") and key in h]
        assert things, kind
        page = c.get(things[0])
        assert page.status_code == 200
        count = re.search(r'id="thing-events">([\d,]+)<', page.text)
        assert count and int(count.group(1).replace(",", "")) > 0


def test_views_are_functions_a_notebook_calls(fixture_pool: Path, tmp_path: Path) -> None:
    # the server's loader (the analysis pool, parsed once into a DuckDB file in tmp_path)
    pool = open_pool_for_serving(fixture_pool, tmp_path)
    try:
        lines = sum(len(p.read_bytes().splitlines()) for p in fixture_pool.rglob("*.jsonlog"))
        over = overview_view.data(pool, overview_view.Params())
        assert over.total_records == lines
        assert over.loaded_records == pool.events().count()
        page = events_view.data(pool, events_view.Params(where=[("ev.event", "task_launched")]))
        assert page.total == pool.events(where={"ev.event": "task_launched"}).count() > 0
        assert [r["created"] for r in page.records] == sorted(r["created"] for r in page.records)
        tl = timeline_view.data(pool, timeline_view.Params(thing=["parsl.run_id",
                                                                  "parsl.task_id"]))
        lifetimes = analysis().lifetimes(pool.events(has=("parsl.run_id", "parsl.task_id")),
                                         thing=["parsl.run_id", "parsl.task_id"])
        assert tl.total == len(lifetimes)
        assert tl.concurrency["max"] == analysis().concurrency(lifetimes).max
        assert type(timeline_view.figure(tl)).__name__ == "Figure"
    finally:
        pool.close()


# --- docs/web.md runs as written ------------------------------------------------------------

def test_the_docs_examples_run_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/web.md: the console lines in order (the pip line is checked against
    pyproject's extras, the serve line is run until it prints its URL), then the notebook
    block against the pool the console lines built."""
    import os
    import signal

    doc = (ROOT / "docs" / "web.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(console|python)\n(.*?)```", doc, flags=re.S)
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    monkeypatch.chdir(tmp_path)
    env = {**os.environ,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "EV_CACHE_DIR": str(tmp_path / "cache")}
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    ran = []
    for kind, body in blocks:
        if kind == "python":
            exec(compile(body, "docs/web.md", "exec"), {})   # noqa: S102 - our own docs
            ran.append("python")
            continue
        for line in (x[2:] for x in body.splitlines() if x.startswith("$ ")):
            if line.startswith("pip install"):
                [extra] = re.findall(r"\.\[(\w+)\]", line)
                assert re.search(rf"^{extra} = \[", pyproject, flags=re.M), extra
                continue
            if line.startswith("ev-import serve"):
                port = int(line.rsplit(" ", 1)[1])
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", port)) == 0:
                        pytest.skip(f"port {port} of the docs' example is in use here")
                proc = subprocess.Popen(["bash", "-c", f"exec {line}"], cwd=tmp_path, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                try:
                    assert proc.stdout.readline().decode().strip() == \
                        f"http://127.0.0.1:{port}/"
                    assert httpx.get(f"http://127.0.0.1:{port}/", timeout=60).status_code == 200
                finally:
                    proc.send_signal(signal.SIGTERM)
                    assert proc.wait(timeout=30) == 0
                ran.append("serve")
                continue
            done = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, f"{line}\n{done.stderr}"
            ran.append(line)
    assert "serve" in ran and "python" in ran
