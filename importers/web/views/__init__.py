"""The views of the web page, one module each, in the order of the page's navigation.

Each module has ``NAME``, ``TITLE``, ``PATH``, ``TEMPLATE``, a ``Params`` dataclass with
``from_query``, ``data(pool, params)``, ``figure(data)`` and ``notebook_call(params)`` (the
Python a user types to get the same data).
"""

from __future__ import annotations

from . import breakdown, durations, events, overview, thing, timeline

VIEWS = [overview, breakdown, timeline, events, durations, thing]
