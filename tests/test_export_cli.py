"""``ev-import export --to otlp|perfetto``: the command over the OTLP and Perfetto formats.

Each case runs the real command on the mixed fixture pool and checks the file with the same
strict readers as the library tests (opentelemetry-proto for OTLP, the trace structure for
Perfetto), and ``--endpoint`` against a local stand-in collector.
"""

from __future__ import annotations

import threading
from pathlib import Path

import orjson
import pytest
from mixed_pool import make_mixed_pool
from test_export_otlp import Collector
from test_export_perfetto import check_structure

from importers.analysis.export import otlp
from importers.cli import main
from importers.core.pool import read

pytest.importorskip("duckdb")
pytest.importorskip("opentelemetry.proto.logs.v1.logs_pb2")


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_mixed_pool(tmp_path_factory.mktemp("export-cli") / "pool")


def otlp_records(path: Path) -> list[dict]:
    return [r for line in path.read_bytes().splitlines()
            for r in otlp.records_from_message(otlp.parse_logs_data(line))]


def test_to_otlp_file_round_trips_every_record(pool: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "pool.jsonl"
    assert main(["export", str(pool), "--to", "otlp", str(out)]) == 0
    got = otlp_records(out)
    want = list(read(pool))
    assert len(got) == len(want)
    key = lambda r: orjson.dumps(r, option=orjson.OPT_SORT_KEYS)  # noqa: E731
    assert sorted(map(key, got)) == sorted(map(key, want))
    assert f"export: {len(want)} events -> {out} (otlp)" in capsys.readouterr().err


def test_suffix_picks_otlp_and_filters_apply(pool: Path, tmp_path: Path) -> None:
    out = tmp_path / "sacct.otlp.jsonl"
    assert main(["export", str(pool), "--to", str(out), "--where", "ev.source=sacct"]) == 0
    got = otlp_records(out)
    assert got and {r["ev.source"] for r in got} == {"sacct"}


def test_endpoint_alone_sends_to_the_collector(pool: Path) -> None:
    server = Collector([])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert main(["export", str(pool), "--to", "otlp", "--endpoint", url,
                     "--where", "ev.source=parsl-db"]) == 0
    finally:
        server.shutdown()
        server.server_close()
    got = [r for m in server.received for r in otlp.records_from_message(m)]
    assert got and {r["ev.source"] for r in got} == {"parsl-db"}
    assert server.requests[0][0] == "/v1/logs"


def test_to_perfetto(pool: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    assert main(["export", str(pool), "--to", "perfetto", str(out)]) == 0
    phases = check_structure(orjson.loads(out.read_bytes()))
    assert phases["b"] == phases["e"] > 0


def test_usage_errors_are_one_line(pool: Path, tmp_path: Path, capsys) -> None:
    assert main(["export", str(pool), "--to", "otlp"]) == 2
    assert capsys.readouterr().err.startswith("error: --to otlp needs a file")
    assert main(["export", str(pool), "--to", "perfetto", str(tmp_path / "x.json"),
                 "--endpoint", "http://127.0.0.1:9"]) == 2
    assert "--endpoint is for --to otlp" in capsys.readouterr().err
