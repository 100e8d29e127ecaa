"""OTLP/JSON export: the mapping record -> LogRecord, checked with opentelemetry-proto.

Every line is parsed with the OpenTelemetry protobuf definitions (``opentelemetry-proto``)
through :func:`otlp.parse_logs_data`, which first enforces the OTLP/JSON rules protobuf's own
``json_format`` does not (hex ids, integer enums, lowerCamelCase names): the tests below show
``json_format`` alone getting those wrong.
"""

from __future__ import annotations

import http.server
import io
import threading
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from mixed_pool import make_mixed_pool

from importers.analysis.export import otlp, otlp_http
from importers.core.pool import read

json_format = pytest.importorskip("google.protobuf.json_format")
logs_pb2 = pytest.importorskip("opentelemetry.proto.logs.v1.logs_pb2")


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_mixed_pool(tmp_path_factory.mktemp("otlp") / "pool")


def typed(value):
    """A value with its JSON type spelled out, so 1, 1.0 and True never compare equal."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


def export_lines(records) -> list[bytes]:
    buf = io.BytesIO()
    otlp.write_jsonl(records, buf, size=97)   # several lines, batches cut mid-file
    return buf.getvalue().splitlines()


# --- the round trip (the "done when") ---------------------------------------------

def test_fixture_pool_round_trips_through_opentelemetry_proto(pool: Path) -> None:
    records = list(read(pool))
    lines = export_lines(records)
    assert len(lines) == -(-len(records) // 97)
    back = []
    for line in lines:
        message = otlp.parse_logs_data(line)           # strict OTLP/JSON, then protobuf
        assert isinstance(message, logs_pb2.LogsData)
        back.extend(otlp.records_from_message(message))
    assert len(back) == len(records)
    key = lambda rec: orjson.dumps(typed(rec), option=orjson.OPT_SORT_KEYS)  # noqa: E731
    # Every event, every attribute, every value with its type.
    assert sorted(map(key, back)) == sorted(map(key, records))
    sources = {r.get("ev.source") for r in records}
    assert {"parsl-db", "parsl-logs", "redis-log", "sacct", "procs", None} <= sources


def test_each_line_is_a_logs_data_grouped_by_resource_then_scope(pool: Path) -> None:
    for line in export_lines(read(pool)):
        data = orjson.loads(line)
        assert set(data) == {"resourceLogs"}
        resources = [tuple((a["key"], orjson.dumps(a["value"])) for a in r["resource"]
                           ["attributes"]) for r in data["resourceLogs"]]
        assert len(resources) == len(set(resources)), "one entry per resource in a line"
        for rl in data["resourceLogs"]:
            keys = [a["key"] for a in rl["resource"]["attributes"]]
            assert keys[-1] == "service.name"
            scopes = [s["scope"].get("name") for s in rl["scopeLogs"]]
            assert len(scopes) == len(set(scopes)), "one entry per scope in a resource"


def test_resources_name_host_process_and_source(pool: Path) -> None:
    pids: dict[str, set] = {}
    hosts: dict[str, set] = {}
    for line in export_lines(read(pool)):
        for rl in orjson.loads(line)["resourceLogs"]:
            attrs = {a["key"]: a["value"] for a in rl["resource"]["attributes"]}
            service = attrs["service.name"]["stringValue"]
            pids.setdefault(service, set()).add(attrs.get("process.pid", {}).get("intValue"))
            hosts.setdefault(service, set()).add(attrs.get("host.name", {}).get("stringValue"))
    # Academy's own files: the client (28679) and the htex worker running the agent (28812);
    # Academy writes "process" as a string, the resource has it as an integer.
    assert pids["academy"] == {"28679", "28812"}
    # bpftrace execsnoop imported with --host vm: the host is the resource's host.name.
    assert hosts["procs"] == {"vm"}
    # Academy's and Parsl's loggers have no host key: no host.name is invented for them.
    assert hosts["academy"] == {None}
    assert set(pids) >= {"academy", "parsl", "parsl-db", "parsl-logs", "redis-log", "sacct",
                         "procs"}


# --- field by field on real records -------------------------------------------------------

def _first(pool: Path, **match) -> dict:
    return next(r for r in read(pool) if all(r.get(k) == v for k, v in match.items()))


def test_academy_record_field_by_field(pool: Path) -> None:
    path = next((pool / "academy").rglob("285873d8-*.jsonlog"))
    raw = orjson.loads(path.read_bytes().splitlines()[2])     # "Starting agent..."
    assert raw["created"] == "1795596343.8644767"             # Academy writes strings
    rec = next(r for r in read(pool) if r.get("ev.file") == str(path)
               and r["formatted"].startswith("Starting agent"))
    lr = otlp.log_record(rec)
    # Nanoseconds from the digits: the float product would be off.
    assert lr["timeUnixNano"] == "1795596343864476700"
    assert int(float(raw["created"]) * 1e9) != 1795596343864476700
    assert lr["severityNumber"] == 5 and lr["severityText"] == "DEBUG"
    assert lr["body"] == {"stringValue": "Starting agent... (AgentId<counter>; Agent<Counter>)"}
    attrs = {a["key"]: a["value"] for a in lr["attributes"]}
    assert attrs["academy.agent_id"] == {"stringValue": "AgentId<counter>"}
    assert attrs["process"] == {"intValue": "28812"}         # coerced by the pool reader
    assert attrs["exc_info"] == {"stringValue": "None"}      # Academy's text, kept as is
    assert "levelno" not in attrs and "created" not in attrs and "name" not in attrs
    # Every other key of the record is an attribute: count them, so none arrives unseen.
    assert len(attrs) == len(rec) - 5    # created, formatted, name, levelname, levelno


def test_parsl_db_record_types(pool: Path) -> None:
    rec = _first(pool, **{"ev.source": "parsl-db", "ev.event": "try_returned"})
    attrs = {a["key"]: a["value"] for a in otlp.log_record(rec)["attributes"]}
    assert attrs["parsl.task_id"] == {"intValue": str(rec["parsl.task_id"])}
    assert attrs["parsl.run_id"] == {"stringValue": rec["parsl.run_id"]}
    time_keys = [k for k, v in rec.items() if k.endswith("_time") and isinstance(v, float)]
    assert time_keys and all("doubleValue" in attrs[k] for k in time_keys)


def test_edge_values_typed() -> None:
    # Hand-typed record: one edge case per key (bool, null, nested, > int64, custom level).
    rec = {"created": 1.5, "formatted": "x", "name": "edge", "levelname": "NOTICE",
           "levelno": 25, "flag": False, "none": None, "list": [1, "a", 2.5],
           "obj": {"k": [True]}, "huge": 1 << 70, "neg": -(1 << 63)}
    lr = otlp.log_record(rec)
    attrs = {a["key"]: a["value"] for a in lr["attributes"]}
    assert lr["timeUnixNano"] == "1500000000"
    assert lr["severityNumber"] == 12        # INFO4: 25 is not a standard level ...
    assert attrs["levelno"] == {"intValue": "25"}    # ... so levelno stays as an attribute
    assert attrs["flag"] == {"boolValue": False}
    assert attrs["none"] == {}
    assert attrs["list"] == {"arrayValue": {"values": [
        {"intValue": "1"}, {"stringValue": "a"}, {"doubleValue": 2.5}]}}
    assert attrs["obj"] == {"kvlistValue": {"values": [
        {"key": "k", "value": {"arrayValue": {"values": [{"boolValue": True}]}}}]}}
    assert attrs["huge"] == {"stringValue": str(1 << 70)}   # no int64 can hold it
    assert attrs["neg"] == {"intValue": str(-(1 << 63))}
    [back] = otlp.records_from_message(otlp.parse_logs_data(orjson.dumps(otlp.logs_data([rec]))))
    assert typed(back) == typed({**rec, "huge": str(1 << 70)})


@pytest.mark.parametrize(("levelno", "number"), [
    (5, 0), (10, 5), (11, 6), (19, 8), (20, 9), (21, 10), (24, 12), (30, 13), (40, 17),
    (50, 21), (53, 24), (60, 24),
])
def test_severity_as_opentelemetry_python_maps_levelno(levelno: int, number: int) -> None:
    assert otlp.severity_number(levelno) == number


@pytest.mark.parametrize(("created", "nanos"), [
    ("1795596343.8604872", 1795596343860487200),    # Academy's text
    (1795596343.8604872, 1795596343860487200),      # the same, read back as a float
    (1764060601.123, 1764060601123000000),          # ms from a text log
    (1700000000, 1700000000000000000),              # an integer second (sacct)
    ("1700000000.1234567891", 1700000000123456789),  # more digits than a double holds
    ("not a time", None),
])
def test_time_unix_nano_is_exact(created, nanos) -> None:
    assert otlp.time_unix_nano(created) == nanos


def test_created_digits_are_rounded_half_even_past_the_nanosecond() -> None:
    assert otlp.time_unix_nano("1.0000000005") == 1_000_000_000
    assert otlp.time_unix_nano("1.0000000015") == 1_000_000_002
    assert otlp.created_of(1795596343860487200) == float(Decimal("1795596343.8604872"))


# --- protobuf json_format's pitfalls ------------------------------------------------------

TRACE = "5b8efff798038103d269b633813fc60c"
SPAN = "eee19b7ec3c1b174"


def test_hex_trace_ids_from_otel_logging_instrumentation() -> None:
    # Hand-typed: the keys opentelemetry-instrumentation-logging adds to a LogRecord.
    rec = {"created": 1.0, "formatted": "x", "name": "app", "otelTraceID": TRACE,
           "otelSpanID": SPAN, "otelTraceSampled": True}
    line = orjson.dumps(otlp.logs_data([rec]))
    lr = orjson.loads(line)["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    assert lr["traceId"] == TRACE and lr["spanId"] == SPAN      # hex, as OTLP/JSON says
    # json_format alone decodes the hex text as base64: other bytes, no error.
    naive = logs_pb2.LogsData()
    json_format.Parse(line, naive)
    naive_id = naive.resource_logs[0].scope_logs[0].log_records[0].trace_id
    assert len(naive_id) == 24 and naive_id.hex() != TRACE
    # Ours reads the id OTLP/JSON meant.
    message = otlp.parse_logs_data(line)
    record = message.resource_logs[0].scope_logs[0].log_records[0]
    assert record.trace_id.hex() == TRACE and record.span_id.hex() == SPAN
    [back] = otlp.records_from_message(message)
    assert back == rec


def test_an_invalid_or_zero_trace_id_stays_an_attribute() -> None:
    # Hand-typed: the instrumentation writes "0" when no span is active.
    lr = otlp.log_record({"otelTraceID": "0", "otelSpanID": "0"})
    assert "traceId" not in lr and "spanId" not in lr
    assert {a["key"] for a in lr["attributes"]} == {"otelTraceID", "otelSpanID"}


def test_enum_names_are_refused_though_json_format_accepts_them() -> None:
    line = orjson.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"timeUnixNano": "1", "severityNumber": "SEVERITY_NUMBER_INFO"}]}]}]})
    naive = logs_pb2.LogsData()
    json_format.Parse(line, naive)       # accepted by protobuf ...
    assert naive.resource_logs[0].scope_logs[0].log_records[0].severity_number == 9
    with pytest.raises(otlp.OtlpFormatError, match="enums are integers"):
        otlp.parse_logs_data(line)       # ... not by OTLP/JSON


def test_snake_case_names_and_base64_ids_are_refused() -> None:
    snake = orjson.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"time_unix_nano": "1"}]}]}]})
    json_format.Parse(snake, logs_pb2.LogsData())    # protobuf takes the proto name too
    with pytest.raises(otlp.OtlpFormatError, match="lowerCamelCase"):
        otlp.parse_logs_data(snake)
    b64 = orjson.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"traceId": "W47/95gDgQPSabYzgT/GDA=="}]}]}]})
    with pytest.raises(otlp.OtlpFormatError, match="hex"):
        otlp.parse_logs_data(b64)


def test_our_lines_never_hold_enum_names_or_snake_case(pool: Path) -> None:
    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                assert "_" not in key or key == "key"
                if key == "severityNumber":
                    assert type(value) is int
                if key in ("timeUnixNano", "intValue"):
                    assert type(value) is str and value.lstrip("-").isdigit()
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    for line in export_lines(read(pool)):
        walk(orjson.loads(line))


# --- OTLP/HTTP ----------------------------------------------------------------------------

class Collector(http.server.ThreadingHTTPServer):
    """A local stand-in for a collector's OTLP/HTTP receiver that checks what it gets."""

    def __init__(self, script: list[int]) -> None:
        self.script = list(script)      # status codes to answer, then 200
        self.received: list[logs_pb2.LogsData] = []
        self.requests: list[tuple[str, str]] = []
        super().__init__(("127.0.0.1", 0), CollectorHandler)


class CollectorHandler(http.server.BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((self.path, self.headers["Content-Type"]))
        if self.server.script:
            code = self.server.script.pop(0)
            self.send_response(code)
            self.send_header("Retry-After", "0")
            self.end_headers()
            return
        message = otlp.parse_logs_data(body)
        self.server.received.append(message)
        rejected = sum(1 for rl in message.resource_logs for sl in rl.scope_logs
                       for lr in sl.log_records if lr.severity_number >= 17)
        answer = {"partialSuccess": {"rejectedLogRecords": str(rejected),
                                     "errorMessage": "no errors here"}} if rejected else {}
        data = orjson.dumps(answer)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def collector(request: pytest.FixtureRequest):
    server = Collector(getattr(request, "param", []))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_endpoint_receives_every_record(pool: Path, collector: Collector) -> None:
    records = list(read(pool))
    url = f"http://127.0.0.1:{collector.server_address[1]}"
    result = otlp_http.send(otlp.batches(records, 500), url, backoff=0)
    assert collector.requests[0] == ("/v1/logs", "application/json")
    got = [r for m in collector.received for r in otlp.records_from_message(m)]
    assert len(got) == len(records) == result.sent + result.rejected
    errors = sum(1 for r in records if isinstance(r.get("levelno"), int) and r["levelno"] >= 40)
    assert result.rejected == errors and (errors == 0 or result.messages)
    assert result.requests == -(-len(records) // 500)


@pytest.mark.parametrize("collector", [[503, 429]], indirect=True)
def test_endpoint_retries_what_otlp_says_is_retryable(collector: Collector) -> None:
    url = f"http://127.0.0.1:{collector.server_address[1]}/custom/logs"
    result = otlp_http.send([otlp.logs_data([{"created": 1.0, "formatted": "x"}])], url,
                            backoff=0)
    assert result.sent == 1 and len(collector.requests) == 3
    assert collector.requests[-1][0] == "/custom/logs"     # a path given is used as is


@pytest.mark.parametrize("collector", [[400]], indirect=True)
def test_endpoint_refusal_is_one_clear_error(collector: Collector) -> None:
    url = f"http://127.0.0.1:{collector.server_address[1]}"
    with pytest.raises(otlp_http.ExportFailed, match=r"answered HTTP 400: http://127\.0\.0\.1"):
        otlp_http.send([otlp.logs_data([{"created": 1.0}])], url, backoff=0)


def test_endpoint_unreachable_is_one_clear_error() -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()      # nothing listens there now
    with pytest.raises(otlp_http.ExportFailed, match="cannot reach the collector"):
        otlp_http.send([otlp.logs_data([{"created": 1.0}])], f"http://127.0.0.1:{port}",
                       attempts=2, backoff=0)
