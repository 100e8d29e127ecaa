"""Pool records as OpenTelemetry log records: OTLP/JSON, the Collector's file format.

One output line is one ``LogsData`` object (the shape the Collector's ``file`` exporter writes
and its ``otlpjsonfile`` receiver reads; the same object is the body of an OTLP/HTTP JSON
``POST /v1/logs``). Within a line, records are grouped by *resource* (the host, process and
source that emitted them) and then by *scope* (the logger name), as an OpenTelemetry SDK would
group them.

The mapping, and why:

========================  =====================================================================
pool key                  OTLP
========================  =====================================================================
``created``               ``timeUnixNano``: an exact integer computed from the decimal digits
                          the source wrote (a string ``created`` as Academy writes it is used
                          as is; a float is taken by its shortest repr, which is the text
                          every JSON writer in the chain printed), never ``created * 1e9``,
                          whose float product is off by up to a few hundred nanoseconds.
``formatted``             ``body`` (a string)
``levelname``             ``severityText``
``levelno``               ``severityNumber``, by the table OpenTelemetry's Python SDK uses
                          (10 -> DEBUG 5, 20 -> INFO 9, 21 -> INFO2 10, ... 50 -> FATAL 21);
                          ``levelno`` is also kept as an attribute when that number does not
                          give it back (custom levels such as 25), so nothing is lost.
``name``                  the instrumentation scope's ``name`` (OpenTelemetry's logging bridge
                          uses the logger name there too)
``otelTraceID`` /         ``traceId`` / ``spanId`` (hex), when they are valid non-zero ids:
``otelSpanID``            the keys OpenTelemetry's logging instrumentation adds to Python log
                          records, which Academy's and Parsl's JSON loggers then write out
everything else           an attribute under the same key, typed: ``intValue`` (a decimal
                          string, as OTLP/JSON writes 64-bit integers), ``doubleValue``,
                          ``boolValue``, ``stringValue``, ``arrayValue``, ``kvlistValue``; a
                          JSON null becomes an empty ``AnyValue``
========================  =====================================================================

The resource of a record carries ``host.name`` (``linux.hostname``, else ``hostname``),
``process.pid`` (``linux.pid``, else the Python log record's ``process``) and
``service.name`` (``ev.source``, the importer, else the top of the logger name, e.g.
``academy``), the semantic-convention names a Collector pipeline groups and routes by.
They are copies: the record's own keys stay attributes, so :func:`records_from_logs_data`
gives back every record exactly (the round trip the tests run on the fixtures).

OTLP/JSON is proto3's JSON mapping with three exceptions that generic protobuf tools get
wrong: trace and span ids are hex, not base64; enums are integers only; field names are
lowerCamelCase only. :func:`parse_logs_data` checks a line against those rules and then
parses it with ``opentelemetry-proto`` (extra ``otlp``), so a line it accepts is one the
Collector accepts.

Example::

    from importers.core.pool import read
    from importers.analysis.export import otlp
    with open("pool.otlp.jsonl", "wb") as fh:
        otlp.write_jsonl(read("evpool"), fh)
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

import orjson

CREATED = "created"
FORMATTED = "formatted"
LEVELNAME = "levelname"
LEVELNO = "levelno"
NAME = "name"
TRACE_ID_KEY = "otelTraceID"
SPAN_ID_KEY = "otelSpanID"

HOST_KEYS = ("linux.hostname", "hostname")
PID_KEYS = ("linux.pid", "process")
SERVICE_KEY = "ev.source"
UNKNOWN_SERVICE = "unknown_service"   # OpenTelemetry's default service.name

BATCH = 1000          # records per output line: the Collector's batch processor default is 8192
_INT64 = (-(1 << 63), (1 << 63) - 1)
_NS = Decimal(1_000_000_000)
_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX16 = re.compile(r"[0-9a-f]{16}")


class OtlpFormatError(ValueError):
    """A line breaks an OTLP/JSON rule that protobuf's own JSON parser does not enforce."""


# ---------------------------------------------------------------------------------------
# Severity


def severity_number(levelno: int) -> int:
    """Python ``levelno`` -> OTLP ``SeverityNumber``, as OpenTelemetry's Python SDK maps it.

    10..19 are DEBUG..DEBUG4 (5..8), 20.. INFO (9..12), 30.. WARN (13..16), 40.. ERROR
    (17..20), 50..53 FATAL..FATAL4 (21..24); each decade's 3rd and later steps share the
    4th number. Below 10 is UNSPECIFIED (0, omitted); above 53 is FATAL4.
    """
    if levelno < 10:
        return 0
    if levelno > 53:
        return 24
    decade, step = divmod(levelno, 10)
    return 5 + 4 * (decade - 1) + min(step, 3)


def levelno_of(number: int) -> int | None:
    """The ``levelno`` a ``SeverityNumber`` stands for (its first, standard, value)."""
    if number < 5:
        return None
    decade, step = divmod(number - 5, 4)
    return 10 * (decade + 1) + step


# ---------------------------------------------------------------------------------------
# Times


def time_unix_nano(created: Any) -> int | None:
    """``created`` (epoch seconds) as an exact integer of nanoseconds, or None if unusable.

    Decimal arithmetic on the digits the source wrote: ``"1795596343.8604872"`` (Academy's
    string) or the float that reads back from it, whose repr is those same digits, gives
    1795596343860487200 exactly, where ``int(1795596343.8604872 * 1e9)`` gives
    1795596343860487168. Digits past the nanosecond are rounded half to even.
    """
    if isinstance(created, bool) or created is None:
        return None
    if isinstance(created, int):
        return created * 1_000_000_000
    text = repr(created) if isinstance(created, float) else str(created).strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return int((value * _NS).to_integral_value())


def created_of(nanos: int) -> float | int:
    """The inverse of :func:`time_unix_nano`: epoch seconds as the float nearest the digits."""
    seconds, rest = divmod(nanos, 1_000_000_000)
    if not rest:
        return float(seconds)
    return float(Decimal(nanos) / _NS)


# ---------------------------------------------------------------------------------------
# Values


def any_value(value: Any) -> dict[str, Any]:
    """A JSON value as an OTLP ``AnyValue`` (the JSON form, lowerCamelCase)."""
    kind = type(value)                   # exact types first: the hot path, no isinstance
    if kind is str:
        return {"stringValue": value}
    if kind is float:
        return {"doubleValue": value}
    if kind is bool:                     # before int: bool is an int in Python
        return {"boolValue": value}
    if kind is int or isinstance(value, int) and not isinstance(value, bool):
        if _INT64[0] <= value <= _INT64[1]:
            return {"intValue": str(value)}
        return {"stringValue": str(value)}   # wider than int64: kept, as its digits
    if isinstance(value, str):
        return {"stringValue": str(value)}
    if isinstance(value, bool):
        return {"boolValue": bool(value)}
    if isinstance(value, float):
        return {"doubleValue": float(value)}
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {"kvlistValue": {"values": [{"key": str(k), "value": any_value(v)}
                                           for k, v in value.items()]}}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [any_value(v) for v in value]}}
    return {"stringValue": str(value)}


def value_of(av: Mapping[str, Any]) -> Any:
    """An OTLP ``AnyValue`` (JSON form) back to the JSON value it stands for."""
    if not av:
        return None
    [(kind, value)] = av.items()
    if kind == "stringValue":
        return value
    if kind == "intValue":
        return int(value)
    if kind == "doubleValue":
        return float(value)
    if kind == "boolValue":
        return bool(value)
    if kind == "arrayValue":
        return [value_of(v) for v in value.get("values", ())]
    if kind == "kvlistValue":
        return {kv["key"]: value_of(kv.get("value", {})) for kv in value.get("values", ())}
    if kind == "bytesValue":
        return value
    raise OtlpFormatError(f"unknown AnyValue kind {kind!r}")


def attributes(pairs: Iterable[tuple[str, Any]]) -> list[dict[str, Any]]:
    return [{"key": key, "value": any_value(value)} for key, value in pairs]


# ---------------------------------------------------------------------------------------
# Records -> OTLP


def _first(rec: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = rec.get(key)
        if value is not None and value != "":
            return value
    return None


def resource_of(rec: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The resource attributes a record belongs to: host, process, service (source)."""
    pairs: list[tuple[str, Any]] = []
    host = _first(rec, HOST_KEYS)
    if host is not None:
        pairs.append(("host.name", str(host)))
    pid = _first(rec, PID_KEYS)
    if pid is not None:
        try:
            pairs.append(("process.pid", int(pid)))
        except (TypeError, ValueError):
            pass
    service = rec.get(SERVICE_KEY)
    if not service:
        name = rec.get(NAME)
        service = str(name).split(".", 1)[0] if name else UNKNOWN_SERVICE
    pairs.append(("service.name", str(service)))
    return tuple(pairs)


def _trace_ids(rec: Mapping[str, Any]) -> tuple[str | None, str | None]:
    trace = rec.get(TRACE_ID_KEY)
    span = rec.get(SPAN_ID_KEY)
    trace = trace if isinstance(trace, str) and _HEX32.fullmatch(trace) and trace.strip("0") \
        else None
    span = span if isinstance(span, str) and _HEX16.fullmatch(span) and span.strip("0") \
        else None
    return trace, span


def log_record(rec: Mapping[str, Any]) -> dict[str, Any]:
    """One pool record as an OTLP ``LogRecord`` (JSON form). The scope (``name``) and the
    resource are the caller's grouping; see :func:`logs_data`."""
    out: dict[str, Any] = {}
    nanos = time_unix_nano(rec.get(CREATED))
    if nanos is not None:
        out["timeUnixNano"] = str(nanos)
    levelno = rec.get(LEVELNO)
    keep_levelno = LEVELNO in rec
    if isinstance(levelno, int) and not isinstance(levelno, bool):
        number = severity_number(levelno)
        if number:
            out["severityNumber"] = number
            keep_levelno = levelno_of(number) != levelno
    levelname = rec.get(LEVELNAME)
    if isinstance(levelname, str) and levelname:
        out["severityText"] = levelname
    formatted = rec.get(FORMATTED)
    if formatted is not None:
        out["body"] = any_value(formatted)
    trace, span = _trace_ids(rec)
    skip = {CREATED, FORMATTED, NAME}
    if nanos is None:
        skip.discard(CREATED)            # not a time we could read: keep it as it was
    if isinstance(levelname, str) and levelname:
        skip.add(LEVELNAME)
    if not keep_levelno:
        skip.add(LEVELNO)
    if trace:
        skip.add(TRACE_ID_KEY)
    if span:
        skip.add(SPAN_ID_KEY)
    out["attributes"] = [{"key": k, "value": {"stringValue": v} if type(v) is str
                          else any_value(v)} for k, v in rec.items() if k not in skip]
    if trace:
        out["traceId"] = trace
    if span:
        out["spanId"] = span
    return out


def logs_data(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Records as one ``LogsData``: grouped by resource, then by scope, in first-seen order
    (records keep their relative order within a group)."""
    groups: dict[tuple, dict[str, list]] = {}
    for rec in records:
        scope = rec.get(NAME)
        scopes = groups.setdefault(resource_of(rec), {})
        scopes.setdefault("" if scope is None else str(scope), []).append(log_record(rec))
    resource_logs = []
    for resource, scopes in groups.items():
        scope_logs = []
        for scope, log_records in scopes.items():
            entry: dict[str, Any] = {"scope": {"name": scope} if scope else {},
                                     "logRecords": log_records}
            scope_logs.append(entry)
        resource_logs.append({"resource": {"attributes": attributes(resource)},
                              "scopeLogs": scope_logs})
    return {"resourceLogs": resource_logs}


def batches(records: Iterable[Mapping[str, Any]], size: int = BATCH) -> Iterator[dict[str, Any]]:
    """``LogsData`` objects of at most ``size`` records each, streaming (memory is one batch)."""
    batch: list[Mapping[str, Any]] = []
    for rec in records:
        batch.append(rec)
        if len(batch) >= size:
            yield logs_data(batch)
            batch = []
    if batch:
        yield logs_data(batch)


def count_records(data: Mapping[str, Any]) -> int:
    return sum(len(s.get("logRecords", ())) for r in data.get("resourceLogs", ())
               for s in r.get("scopeLogs", ()))


def write_jsonl(records: Iterable[Mapping[str, Any]], fh: BinaryIO, size: int = BATCH) -> int:
    """Write records to ``fh`` as OTLP/JSON lines (one ``LogsData`` each); return the count."""
    count = 0
    for data in batches(records, size):
        fh.write(orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE))
        count += count_records(data)
    return count


# ---------------------------------------------------------------------------------------
# OTLP -> records (the round trip) and the strict check


def records_from_logs_data(data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Pool records back from a ``LogsData`` (JSON form) that :func:`logs_data` wrote."""
    for resource_logs in data.get("resourceLogs", ()):
        for scope_logs in resource_logs.get("scopeLogs", ()):
            scope = scope_logs.get("scope", {}).get("name")
            for lr in scope_logs.get("logRecords", ()):
                rec: dict[str, Any] = {}
                if "timeUnixNano" in lr:
                    rec[CREATED] = created_of(int(lr["timeUnixNano"]))
                if "body" in lr:
                    rec[FORMATTED] = value_of(lr["body"])
                if scope:
                    rec[NAME] = scope
                if "severityText" in lr:
                    rec[LEVELNAME] = lr["severityText"]
                if lr.get("severityNumber"):
                    rec[LEVELNO] = levelno_of(int(lr["severityNumber"]))
                for kv in lr.get("attributes", ()):
                    rec[kv["key"]] = value_of(kv.get("value", {}))
                if lr.get("traceId"):
                    rec[TRACE_ID_KEY] = lr["traceId"]
                if lr.get("spanId"):
                    rec[SPAN_ID_KEY] = lr["spanId"]
                yield rec


_ID_FIELDS = frozenset({"traceId", "spanId", "parentSpanId"})
_ENUM_FIELDS = frozenset({"severityNumber", "kind", "aggregationTemporality", "code"})


def _strict(node: Any, path: str) -> Any:
    """Check the rules protobuf's JSON parser does not, and turn hex ids into the base64
    it expects. Returns the converted copy."""
    if isinstance(node, list):
        return [_strict(v, f"{path}[{i}]") for i, v in enumerate(node)]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        where = f"{path}.{key}" if path else key
        if "_" in key:
            raise OtlpFormatError(f"{where}: field names are lowerCamelCase in OTLP/JSON")
        if key in _ID_FIELDS:
            if not isinstance(value, str) or not re.fullmatch(r"(?:[0-9a-fA-F]{2})*", value):
                raise OtlpFormatError(f"{where}: ids are hex strings in OTLP/JSON, got "
                                      f"{value!r}")
            out[key] = base64.b64encode(bytes.fromhex(value)).decode()
            continue
        if key in _ENUM_FIELDS and not (isinstance(value, int) and not isinstance(value, bool)):
            raise OtlpFormatError(f"{where}: enums are integers in OTLP/JSON, got {value!r}")
        if key == "key" and isinstance(value, str):
            out[key] = value      # attribute keys are data: any spelling
            continue
        out[key] = _strict(value, where)
    return out


def parse_logs_data(line: str | bytes):
    """One OTLP/JSON line as an ``opentelemetry.proto.logs.v1.logs_pb2.LogsData`` message.

    Raises :class:`OtlpFormatError` for what protobuf's ``json_format`` would accept wrongly
    (hex ids it decodes as base64 into other bytes, enum names, snake_case names) and
    ``json_format.ParseError`` for anything else (unknown fields, wrong types).
    """
    from google.protobuf import json_format
    from opentelemetry.proto.logs.v1 import logs_pb2

    obj = orjson.loads(line)
    if not isinstance(obj, dict):
        raise OtlpFormatError("a line must hold one LogsData object")
    message = logs_pb2.LogsData()
    json_format.ParseDict(_strict(obj, ""), message)
    return message


def records_from_message(message) -> Iterator[dict[str, Any]]:
    """Pool records back from a parsed ``LogsData`` message (protobuf types, not JSON)."""
    from google.protobuf import json_format

    # Enums as numbers (MessageToDict writes their names by default); ids come out base64.
    data = json_format.MessageToDict(message, use_integers_for_enums=True)
    for rl in data.get("resourceLogs", ()):
        for sl in rl.get("scopeLogs", ()):
            for lr in sl.get("logRecords", ()):
                for key in ("traceId", "spanId"):
                    if key in lr:
                        lr[key] = base64.b64decode(lr[key]).hex()
    return records_from_logs_data(data)


# ---------------------------------------------------------------------------------------
# The export format (``ev-import export POOL --to otlp FILE.jsonl [--endpoint URL]``)


def _only(records: Iterable[Mapping[str, Any]], fields: Iterable[str] | None
          ) -> Iterable[Mapping[str, Any]]:
    if not fields:
        return records
    keep = set(fields) | {CREATED, FORMATTED, LEVELNAME, LEVELNO, NAME}
    return ({k: v for k, v in rec.items() if k in keep} for rec in records)


def export(query, target: str | None, fields: Iterable[str] | None = None, *,
           endpoint: str | None = None, headers: Mapping[str, str] | None = None) -> int:
    """Write ``query``'s records (an :class:`importers.analysis.Query`: time ordered, exact
    digits) to ``target`` as OTLP/JSON lines, and/or POST them to ``endpoint``; return how
    many records were exported. ``fields`` keeps only those keys (and the envelope)."""
    count = 0
    if target:
        from . import atomic_path

        with atomic_path(target) as tmp, open(tmp, "wb", buffering=1 << 20) as fh:
            count = write_jsonl(_only(query.records(), fields), fh)
    if endpoint:
        from .otlp_http import send

        result = send(batches(_only(query.records(), fields)), endpoint, headers=headers)
        if result.rejected:
            import sys

            print(f"export: the collector rejected {result.rejected} of "
                  f"{result.sent + result.rejected} records"
                  + (f": {result.messages[0]}" if result.messages else ""), file=sys.stderr)
        count = count or result.sent
    return count


def _format():
    try:
        from . import ExportFormat
    except ImportError:          # the export registry is not there (older checkout)
        return None
    return ExportFormat("otlp", (".otlp.jsonl", ".otlp.json"),
                        "OpenTelemetry logs as OTLP/JSON lines (the Collector's file "
                        "format); --endpoint URL also sends them over OTLP/HTTP", export)


FORMAT = _format()
