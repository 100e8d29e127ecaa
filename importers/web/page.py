"""Turning view data into HTML that is safe for untrusted pool content.

Pool content is untrusted (log lines from anything), so the page never builds markup from it
by string concatenation: templates are Jinja2 with autoescaping on for every file, links to
things are built from a fixed path plus an urlencoded query (so no value can choose a scheme
such as ``javascript:``), and data for charts goes into ``<script type="application/json">``
blocks with ``<``, ``>``, ``&`` and the JavaScript line separators escaped as ``\\uXXXX``, so no
value can close the script element. Strings inside a Plotly figure are HTML-escaped too,
because Plotly renders a small HTML subset (``<a href>``, ``<b>``) in labels and hover text.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import jinja2
from markupsafe import Markup

from .assets import PLOTLY_URL

#: Figure keys whose strings are this package's own templates (Plotly's %{...} syntax and
#: <br>); no pool value is ever put under them, so they are not escaped.
_OWN_TEMPLATE_KEYS = frozenset({"hovertemplate", "texttemplate"})
_JSON_ESCAPES = {
    ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
    0x2028: "\\u2028", 0x2029: "\\u2029",
}
#: Longest value shown in full in a table cell / turned into a link; longer ones are cut
#: (with their length said) in lists and shown whole only inside an expanded event.
SHORT_VALUE = 300
LINK_VALUE = 2000


def json_for_script(text: str) -> Markup:
    """JSON text made safe to sit inside a ``<script type="application/json">`` element."""
    return Markup(text.translate(_JSON_ESCAPES))


def escape_figure_strings(node: Any, key: str | None = None) -> Any:
    """Every string of a figure dict HTML-escaped (Plotly then shows it as plain text)."""
    if isinstance(node, str):
        return node if key in _OWN_TEMPLATE_KEYS else html.escape(node, quote=False)
    if isinstance(node, Mapping):
        return {k: escape_figure_strings(v, k) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [escape_figure_strings(v, key) for v in node]
    return node


def figure_json(fig: Any) -> Markup:
    """A Plotly figure as escaped JSON for the page (strings escaped, script-safe)."""
    import plotly.io

    fig_dict = fig.to_dict() if hasattr(fig, "to_dict") else dict(fig)
    fig_dict.pop("frames", None)
    safe = {"data": escape_figure_strings(fig_dict.get("data", [])),
            "layout": escape_figure_strings(fig_dict.get("layout", {}))}
    return json_for_script(plotly.io.to_json(safe, validate=False))


def url(path: str, params: Iterable[tuple[str, Any]] | Mapping[str, Any] = ()) -> str:
    """A same-site URL: a fixed path and an urlencoded query (values cannot change the path)."""
    items = list(params.items()) if isinstance(params, Mapping) else list(params)
    query = urlencode([(k, "" if v is None else str(v)) for k, v in items if v is not None])
    return f"{path}?{query}" if query else path


def thing_url(key: str, value: Any) -> str | None:
    """The thing page of one key value, or None when the value is too long to be a link."""
    text = value_text(value)
    if len(text) > LINK_VALUE or len(key) > LINK_VALUE:
        return None
    return url("/thing", [(key, text)])


def things_url(keys: list[str], values: list[Any]) -> str | None:
    """The thing page of a set of key values (``/thing?k1=v1&k2=v2``)."""
    texts = [value_text(v) for v in values]
    if any(len(t) > LINK_VALUE for t in texts):
        return None
    return url("/thing", list(zip(keys, texts, strict=True)))


def value_text(value: Any) -> str:
    """A record value as the page shows it (numbers as JSON would print them)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return repr(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, int):
        return str(value)
    return str(value)


def short(value: Any, limit: int = SHORT_VALUE) -> str:
    text = value_text(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def number(value: Any) -> str:
    """Exact counts with thousands separators ("12,345", never "12.3k")."""
    if value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.3f}"
    return f"{int(value):,}"


def seconds(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{float(value):,.3f}"


def when(epoch: Any) -> str:
    """An epoch time as UTC ISO text with milliseconds (the page's one time format)."""
    if epoch is None:
        return ""
    try:
        value = float(epoch)
        if math.isnan(value):
            return ""
        moment = datetime.fromtimestamp(value, tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return value_text(epoch)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d} UTC"


#: C0 control characters (but tab and newline) and DEL, shown as Unicode's control pictures:
#: a log line's terminal escapes are displayed, never replayed or silently dropped.
_CONTROL_PICTURES = {c: 0x2400 + c for c in [*range(0x00, 0x09), *range(0x0B, 0x20)]}
_CONTROL_PICTURES[0x7F] = 0x2421


def visible(text: str) -> str:
    """Control characters replaced by their visible pictures (ESC -> ␛)."""
    return text.translate(_CONTROL_PICTURES)


def _finalize(value: Any) -> Any:
    """Applied to every ``{{ }}`` output before escaping: control characters made visible."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


def _join_keys() -> list[str]:
    from .views.thing import JOIN_KEYS

    return JOIN_KEYS


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("importers.web", "templates"),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.filters.update(number=number, seconds=seconds, when=when, short=short,
                       text=value_text, figure_json=figure_json)
    env.globals.update(url=url, thing_url=thing_url, things_url=things_url,
                       plotly_url=PLOTLY_URL, join_keys=_join_keys())
    return env


ENV = _environment()


def render(template: str, **context: Any) -> str:
    return ENV.get_template(template).render(**context)
