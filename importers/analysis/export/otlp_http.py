"""Send OTLP/JSON log batches to a collector over OTLP/HTTP (``POST <endpoint>/v1/logs``).

Standard library only (``urllib``), so ``--endpoint`` needs no extra package. The rules are the
OTLP/HTTP specification's: one ``ExportLogsServiceRequest`` per request (its JSON is the same
object as a ``LogsData`` line), ``Content-Type: application/json``; 429, 502, 503 and 504 are
retryable, after the server's ``Retry-After`` when it sends one, else with exponential
backoff; any other 4xx is final; a 200 may carry ``partialSuccess`` with a count of rejected
records, which is reported, not hidden.

Example::

    from importers.analysis.export import otlp, otlp_http
    result = otlp_http.send(otlp.batches(records), "http://127.0.0.1:4318")
    print(result.sent, result.rejected)
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from ...core.errors import EvImportError
from .otlp import count_records

LOGS_PATH = "/v1/logs"
RETRYABLE = frozenset({429, 502, 503, 504})


class ExportFailed(EvImportError):
    """The collector refused the export or could not be reached."""


@dataclass
class SendResult:
    requests: int = 0
    sent: int = 0                  # records in accepted requests
    rejected: int = 0              # partialSuccess.rejectedLogRecords, summed
    messages: list[str] = field(default_factory=list)   # partialSuccess.errorMessage


def logs_url(endpoint: str) -> str:
    """A base URL gets ``/v1/logs`` (as OTEL_EXPORTER_OTLP_ENDPOINT does); a URL with a path
    is used as given (as OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is)."""
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ExportFailed("not an http(s) URL", endpoint,
                           "give the collector's OTLP/HTTP address, e.g. http://127.0.0.1:4318")
    if parts.path in ("", "/"):
        parts = parts._replace(path=LOGS_PATH)
    return urllib.parse.urlunsplit(parts)


def _retry_after(value: str | None, default: float) -> float:
    if value and value.strip().isdigit():
        return min(float(value.strip()), 60.0)
    return default


def send(
    batches: Iterable[Mapping[str, Any]],
    endpoint: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    attempts: int = 5,
    backoff: float = 0.5,
) -> SendResult:
    """POST each batch; retry the retryable answers; raise :class:`ExportFailed` otherwise."""
    url = logs_url(endpoint)
    result = SendResult()
    base_headers = {"Content-Type": "application/json", **(headers or {})}
    for data in batches:
        body = orjson.dumps(data)
        delay = backoff
        for attempt in range(1, attempts + 1):
            request = urllib.request.Request(url, data=body, headers=base_headers,
                                             method="POST")
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    answer = response.read()
                break
            except urllib.error.HTTPError as err:
                if err.code in RETRYABLE and attempt < attempts:
                    time.sleep(_retry_after(err.headers.get("Retry-After"), delay))
                    delay *= 2
                    continue
                detail = err.read()[:200].decode("utf-8", "replace").strip()
                raise ExportFailed(
                    f"the collector answered HTTP {err.code}", url,
                    f"{detail or err.reason}; {result.sent} records were accepted before",
                ) from None
            except (urllib.error.URLError, OSError) as err:
                reason = getattr(err, "reason", err)
                if attempt < attempts:
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise ExportFailed(
                    "cannot reach the collector", url,
                    f"{reason}; is it listening? {result.sent} records were accepted before",
                ) from None
        result.requests += 1
        result.sent += count_records(data)
        _partial(answer, result)
    return result


def _partial(answer: bytes, result: SendResult) -> None:
    """Read ``partialSuccess`` from an ExportLogsServiceResponse (an empty body is success)."""
    if not answer.strip():
        return
    try:
        obj = orjson.loads(answer)
    except orjson.JSONDecodeError:
        return
    partial = obj.get("partialSuccess") if isinstance(obj, dict) else None
    if not isinstance(partial, dict):
        return
    rejected = int(partial.get("rejectedLogRecords") or 0)
    result.rejected += rejected
    result.sent -= rejected
    if partial.get("errorMessage"):
        result.messages.append(str(partial["errorMessage"]))
